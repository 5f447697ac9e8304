"""The manifest contract: the published schema is the one the code checks, shipped lines meet it,
and a line that breaks it is one error naming the file, the line and the field."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import ROOT

from lima_curate.contract import LINE_JSON_SCHEMA, LINE_SCHEMA, canonical_json, check_line, line
from lima_curate.errors import InputError
from lima_curate.manifest import read_manifest

PUBLISHED = ROOT / "docs" / "manifest.schema.json"


def test_the_published_schema_is_the_one_the_code_checks():
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == LINE_JSON_SCHEMA
    jsonschema.Draft202012Validator.check_schema(LINE_JSON_SCHEMA)


@pytest.mark.parametrize("name", ["manifest.jsonl", "dev.jsonl", "test.jsonl"])
def test_every_shipped_line_meets_the_published_schema_and_carries_its_version(name):
    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))
    rows = [json.loads(text) for text in (ROOT / "manifests" / "sample" / name).read_text(encoding="utf-8").splitlines()]
    assert rows
    for row in rows:
        validator.validate(row)
        assert row["schema"] == LINE_SCHEMA


def test_a_line_is_canonical_json_with_its_version():
    text = line(
        "x/1",
        "authored",
        "authored",
        [{"role": "user", "content": "é?"}, {"role": "assistant", "content": "Oui."}],
        {"b": 1, "a": 2},
    )
    assert text == canonical_json(json.loads(text)) and "\\u" not in text
    assert json.loads(text)["schema"] == LINE_SCHEMA and text.index('"id"') < text.index('"schema"')


@pytest.mark.parametrize(
    "row, message",
    [
        (
            {"id": "a", "source": "s", "subset": "t", "messages": [{"role": "bot", "content": "x"}], "meta": {}},
            "messages[0].role: 'bot' must be one of ['system', 'user', 'assistant']",
        ),
        (
            {"id": "", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}], "meta": {}},
            "id: '' must be longer than or equal to 1 characters",
        ),
        ({"id": "a", "source": "s", "subset": "t", "messages": [], "meta": {}}, "messages: [] must contain at least 1 items"),
        (
            {"id": "a", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}]},
            "must contain ['meta'] properties",
        ),
        (
            {"schema": 2, "id": "a", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}], "meta": {}},
            "schema: 2 must be same as const definition: 1",
        ),
        (
            {"id": "a", "source": "s", "subset": "t", "messages": [{"role": "user", "content": 3}], "meta": {}},
            "messages[0].content: 3 must be string",
        ),
    ],
)
def test_a_line_that_breaks_the_contract_is_one_error_naming_the_field(tmp_path, row, message):
    path = tmp_path / "manifest.jsonl"
    good = {"id": "ok", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}], "meta": {}}
    path.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_manifest(path)
    assert str(info.value).startswith(f"{path}:2: ") and message in str(info.value) and "\n" not in str(info.value)


def test_a_line_written_before_lines_were_versioned_is_read_as_version_1():
    old = {"id": "a", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}], "meta": {}}
    assert check_line(old, "m.jsonl", 1) == old


GOOD = {"id": "a", "source": "s", "subset": "t", "messages": [{"role": "user", "content": "x"}], "meta": {}}
TABLE = [
    GOOD,
    {**GOOD, "schema": 1},
    {**GOOD, "schema": 1.0},
    {**GOOD, "schema": True},
    {**GOOD, "schema": "1"},
    {**GOOD, "extra": 1},
    {**GOOD, "meta": []},
    {**GOOD, "messages": [{"role": "system", "content": ""}, {"role": "assistant", "content": "y"}]},
    {**GOOD, "messages": [{"role": "user", "content": "x", "name": "n"}]},
    {**GOOD, "messages": [{"role": "user"}]},
    {**GOOD, "messages": "x"},
    {**GOOD, "source": ""},
    {**GOOD, "subset": 3},
    {k: v for k, v in GOOD.items() if k != "id"},
    [],
    "line",
]


@pytest.mark.parametrize("row", TABLE, ids=range(len(TABLE)))
def test_the_compiled_validator_agrees_with_the_reference_one_on_the_published_schema(row):
    reference = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))
    try:
        check_line(row, "m.jsonl", 1)
        accepted = True
    except InputError:
        accepted = False
    assert accepted == reference.is_valid(row)

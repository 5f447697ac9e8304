"""Manifest reading and LIMA's encoding: exact ids and labels, EOT, trimming, clear errors.

lima_train reads manifest lines with its own reader (it never imports lima_curate); the table below
runs good and bad lines through that reader and through docs/manifest.schema.json, the contract
lima_curate publishes, and both must give the same verdict.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import REPO
from train_helpers import word_tokenizer as build_word_tokenizer

from lima_train.data import (
    IGNORE_INDEX,
    canonical_json,
    dev_set_path,
    encode_manifest,
    encode_turns,
    parse_manifest_line,
    read_manifest,
    read_prompts,
    write_jsonl_atomic,
)
from lima_train.errors import InputError

LINE_SCHEMA = REPO / "docs" / "manifest.schema.json"


@pytest.fixture(scope="module")
def word_tokenizer():
    """A word-level tokenizer with known ids, plus the EOT special token (id 15)."""
    pytest.importorskip("transformers")
    return build_word_tokenizer()


def test_two_turn_example_has_exact_ids_and_labels(word_tokenizer):
    tokenizer, eot = word_tokenizer
    messages = [("user", "how are you"), ("assistant", "fine thanks"), ("user", "what now"), ("assistant", "sleep")]
    input_ids, labels = encode_turns(messages, tokenizer, eot)
    #              <s>  how are you EOT  fine thanks EOT  what now EOT  sleep EOT
    assert input_ids == [1, 3, 4, 5, eot, 6, 7, eot, 9, 10, eot, 11, eot]
    x = IGNORE_INDEX
    assert labels == [x, x, x, x, x, 6, 7, eot, x, x, x, 11, eot]


@pytest.mark.parametrize("token, role", [("<s>", "BOS"), ("</s>", "EOS"), ("<unk>", "UNK"), (" ", None)])
def test_eot_that_clashes_with_a_special_token_or_is_empty_is_an_error(token, role):
    from lima_train.model import add_eot

    tokenizer = base_word_tokenizer()
    with pytest.raises(InputError, match=f"{role} token" if role else "must not be empty"):
        add_eot(tokenizer, token)
    size = len(tokenizer)
    tokenizer.pad_token = "<EOT>"
    with pytest.raises(InputError, match="PAD token"):
        add_eot(tokenizer, "<EOT>")
    assert len(tokenizer) == size  # nothing was added by the refusals
    assert tokenizer.chat_template is None and tokenizer.eos_token == "</s>"


def base_word_tokenizer():
    """The word-level tokenizer of train_helpers before lima-train adds EOT (no template, EOS </s>)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from train_helpers import WORDS
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({word: index for index, word in enumerate(WORDS)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def test_eot_typed_in_a_message_is_text_not_the_eot_token(word_tokenizer):
    tokenizer, eot = word_tokenizer
    input_ids, _ = encode_turns([("user", "how <EOT> you"), ("assistant", "fine")], tokenizer, eot)
    assert input_ids.count(eot) == 2  # only the two turn ends
    assert input_ids[:6] == [1, 3, 12, 13, 14, 5]


def test_sequences_are_trimmed_and_examples_without_answer_tokens_dropped(word_tokenizer):
    tokenizer, eot = word_tokenizer
    input_ids, labels = encode_turns([("user", "how are you"), ("assistant", "fine thanks")], tokenizer, eot, 6)
    assert input_ids == [1, 3, 4, 5, eot, 6] and labels[-1] == 6
    from lima_train.data import Example

    examples = [
        Example("long-prompt", (("user", "how are you and what now"), ("assistant", "fine"))),
        Example("ok", (("user", "how"), ("assistant", "fine"))),
    ]
    encoded, dropped = encode_manifest(examples, tokenizer, eot, max_length=5)
    assert dropped == 1
    assert encoded == [{"input_ids": [1, 3, eot, 6, eot], "labels": [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 6, eot]}]


def _write(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = {
    "id": "a/1",
    "source": "authored",
    "subset": "authored",
    "meta": {},
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "more"},
        {"role": "assistant", "content": "sure"},
    ],
}


def test_manifest_reads_multi_turn_examples(tmp_path):
    examples = read_manifest(_write(tmp_path / "manifest.jsonl", [GOOD, ""]))
    assert examples[0].id == "a/1"
    assert examples[0].messages == (("user", "hi"), ("assistant", "hello"), ("user", "more"), ("assistant", "sure"))


def line(**changes) -> dict:
    """GOOD with keys changed (a value of ... drops the key)."""
    return {key: value for key, value in {**GOOD, **changes}.items() if value is not ...}


def turns(*pairs: tuple[str, object]) -> list[dict]:
    return [{"role": role, "content": content} for role, content in pairs]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("{not json", "not valid JSON"),
        (line(messages=[]), "non-empty list"),
        (line(schema=2), "'schema' is 2; this lima-train reads manifest lines of schema 1"),
        (line(source=...), "missing 'source'"),
        (
            line(messages=turns(("user", "q"), ("system", "s"), ("assistant", "a"))),
            "role 'system'; a system message may only come first",
        ),
        (line(messages=turns(("system", "s"))), "a system message alone"),
        (line(messages=turns(("system", "s"), ("assistant", "a"))), "messages\\[1\\] should be the user's turn"),
        (line(messages=turns(("assistant", "a"))), "should be the user's turn"),
        (line(messages=turns(("user", 3), ("assistant", "a"))), "string"),
        (line(messages=turns(("user", "q"))), "last message must be the assistant's"),
    ],
)
def test_bad_manifest_line_is_named_by_file_and_line(tmp_path, bad_line, message):
    path = _write(tmp_path / "manifest.jsonl", [GOOD, bad_line])
    with pytest.raises(InputError, match=rf"manifest\.jsonl:2: .*{message}"):
        read_manifest(path)


# ---- the line contract, against the published schema ----------------------------------------------

# (line, whether the contract accepts it). Training rules on top (alternating turns, ending with the
# answer, no system message) are read_manifest's, not the contract's: lines that break only those
# are good lines here.
CONTRACT_TABLE = [
    (line(schema=1), True),
    (GOOD, True),  # written before lines carried "schema": read as version 1
    (line(messages=turns(("system", "be brief"), ("user", "q"), ("assistant", "a"))), True),
    (line(messages=turns(("user", "only a question"))), True),
    (line(messages=turns(("assistant", "a"), ("assistant", "b"))), True),
    (line(messages=turns(("user", ""), ("assistant", ""))), True),
    (line(schema=1.0), True),  # JSON Schema's const compares numbers by value
    (line(id="écrit/✓", meta={"score": 3, "tags": ["a"], "nested": {"x": None}}), True),
    (line(schema=2), False),
    (line(schema=0), False),
    (line(schema=1.5), False),
    (line(schema="1"), False),
    (line(schema=True), False),
    (line(schema=None), False),
    (line(id=...), False),
    (line(id=""), False),
    (line(id=7), False),
    (line(source=...), False),
    (line(source=3), False),
    (line(source=""), False),
    (line(subset=""), False),
    (line(subset=...), False),
    (line(subset=None), False),
    (line(meta=...), False),
    (line(meta=[]), False),
    (line(meta="none"), False),
    (line(messages=...), False),
    (line(messages=[]), False),
    (line(messages="hi"), False),
    (line(messages=["hi"]), False),
    (line(messages=turns(("bot", "a"))), False),
    (line(messages=turns(("User", "a"))), False),
    (line(messages=turns(("user", 3))), False),
    (line(messages=turns(("user", None))), False),
    (line(messages=[{"role": "user"}]), False),
    (line(messages=[{"content": "q"}]), False),
    (line(messages=[{"role": "user", "content": "q", "name": "ann"}]), False),
    (line(score=0.9), False),
    (line(meta=None), False),
    ([GOOD], False),
    ("a line", False),
]


@pytest.mark.parametrize("record, accepted", CONTRACT_TABLE)
def test_reader_follows_the_line_contract(record, accepted):
    assert reader_accepts(record) is accepted


@pytest.mark.parametrize("record, accepted", CONTRACT_TABLE)
def test_reader_and_published_schema_agree(line_schema, record, accepted):
    assert line_schema.is_valid(record) is reader_accepts(record) is accepted


def test_published_sample_lines_pass_reader_and_schema(line_schema):
    for name in ("manifest.jsonl", "dev.jsonl", "test.jsonl"):
        path = REPO / "manifests" / "sample" / name
        for line_no, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert line_schema.is_valid(json.loads(text)), f"{path}:{line_no}"
            parse_manifest_line(text, f"{path}:{line_no}")
    assert read_manifest(REPO / "manifests" / "sample" / "manifest.jsonl")


@pytest.fixture(scope="module")
def line_schema():
    """A validator of docs/manifest.schema.json, itself checked as a JSON Schema 2020-12 document."""
    from jsonschema import Draft202012Validator

    schema = json.loads(LINE_SCHEMA.read_text(encoding="utf-8"))
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def reader_accepts(record) -> bool:
    try:
        parse_manifest_line(json.dumps(record, ensure_ascii=False), "manifest.jsonl:1")
    except InputError as error:
        assert str(error).startswith("manifest.jsonl:1: ")  # one line naming where
        return False
    return True


# ---- canonical JSON ------------------------------------------------------------------------------


VALUES = [
    {"b": 1, "a": [1, 2.5, None, True], "é": "naïve ✓ 😀", "nested": {"z": {}, "y": []}},
    {"id": "x", "messages": [{"role": "user", "content": 'line\nbreak "quoted" \\ tab\t'}], "meta": {"n": -0.0}},
    "\u2028\u2029\x00\x1f control and separators",
    [1e-05, 1e300, 12345678901234567890, 0.1 + 0.2],
]


@pytest.mark.parametrize("value", VALUES)
def test_canonical_json_makes_lima_curates_bytes(value):
    from lima_curate.records import canonical_json as curate_canonical_json

    assert canonical_json(value).encode("utf-8") == curate_canonical_json(value).encode("utf-8")


def test_written_lines_are_canonical_json(tmp_path):
    from lima_curate.records import canonical_json as curate_canonical_json

    records = [value for value in VALUES if isinstance(value, dict)]
    write_jsonl_atomic(tmp_path / "out.jsonl", records)
    expected = "".join(curate_canonical_json(record) + "\n" for record in records).encode("utf-8")
    assert (tmp_path / "out.jsonl").read_bytes() == expected
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left


def test_missing_and_empty_manifests_are_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_manifest(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no examples"):
        read_manifest(_write(tmp_path / "empty.jsonl", [""]))


def test_prompts_drop_reference_answers_and_accept_plain_prompts(tmp_path):
    path = _write(tmp_path / "dev.jsonl", [GOOD, {"id": "p", "prompt": "Tell me a story."}])
    prompts = read_prompts(path)
    assert prompts[0].messages == (("user", "hi"), ("assistant", "hello"), ("user", "more"))
    assert prompts[1].messages == (("user", "Tell me a story."),)


def test_dev_set_is_found_beside_the_manifest_or_given(tmp_path):
    manifest = _write(tmp_path / "manifest.jsonl", [GOOD])
    assert dev_set_path(manifest, None) is None
    dev = _write(tmp_path / "dev.jsonl", [GOOD])
    assert dev_set_path(manifest, None) == dev
    other = _write(tmp_path / "other.jsonl", [GOOD])
    assert dev_set_path(manifest, str(other)) == other
    with pytest.raises(InputError, match="dev set not found"):
        dev_set_path(manifest, str(tmp_path / "missing.jsonl"))

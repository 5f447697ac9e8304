"""``lima-curate audit``: the recipe's filters over a set the test writes (GAIR/lima's format with known
failures, a manifest carrying the fields a build records), per source and per filter, through the CLI;
what a set cannot say is "not measurable"; a missing or bad file is one line."""

from __future__ import annotations

import json

import pytest
from conftest import LIMA_RECIPE, ROOT, cli, run_cli

from lima_curate.records import Candidate, chat

PROSE = "Basil keeps best with its stems in a glass of water at room temperature. " * 20  # 1,460 characters


def gair_rows() -> list[dict]:
    """Four Stack Exchange answers (one passes), a wikiHow article and a multi-turn chain."""
    return [
        {"conversations": ["How do I keep basil fresh?", PROSE + "I think it lasts a week."], "source": "stackexchange"},
        {"conversations": ["Why does bread go stale?", "Starch crystallises. " * 20], "source": "stackexchange"},
        {"conversations": ["How do we store basil?", PROSE + "We keep ours in water."], "source": "stackexchange"},
        {
            "conversations": ["What does a no-op do?", PROSE + "A no-op, as mentioned above, does nothing."],
            "source": "stackexchange",
        },
        {"conversations": ["How to fold a shirt?", "Lay it flat. " * 200], "source": "wikihow"},
        {"conversations": ["Hi", "Hello", "What now?"], "source": "multi_turn"},
    ]


@pytest.fixture
def gair_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in gair_rows()), encoding="utf-8")
    return path


def audit_json(*args: str) -> dict:
    result = run_cli("audit", *args, "--recipe", str(LIMA_RECIPE), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_filter(source: dict) -> dict[str, dict]:
    return {f["filter"]: f for f in source["filters"]}


def test_a_gair_set_is_judged_per_filter_and_what_it_cannot_say_is_not_measurable(gair_file):
    report = audit_json(str(gair_file))
    assert report["format"] == "gair" and report["examples"] == 6
    sources = {s["source"]: s for s in report["sources"]}
    se = sources["stackexchange"]
    assert se["examples"] == 4 and se["passed_every_filter"] == 1
    filters = by_filter(se)
    counts = {name: (f["passed"], f["failed"], f["not_measurable"]) for name, f in filters.items()}
    assert counts == {
        "answer_score": (0, 0, 4),
        "open_question": (0, 0, 4),
        "self_contained_title": (0, 0, 4),
        "length": (3, 1, 0),
        "first_person": (3, 1, 0),
        "other_answers": (3, 1, 0),
        "question_reference": (0, 0, 4),
    }
    assert filters["answer_score"]["missing_fields"] == ["answer_score"]
    assert filters["first_person"]["failures"] == [
        {"id": "gair/stackexchange/1", "reason": "first person: 'I' (1 times)", "found": ["I"]}
    ]
    assert filters["first_person"]["top_words"] == [["I", 1]]  # counted by lower case, shown as written
    assert filters["length"]["failures"][0]["reason"] == "response has 420 characters < 1200"
    assert filters["other_answers"]["failures"][0]["found"] == ["as mentioned"]  # "no-op" is not "OP"
    assert sources["wikihow"]["chain"] == [] and sources["wikihow"]["passed_every_filter"] is None
    assert sources["unknown"]["examples"] == 1  # GAIR's multi_turn: no source of ours


def test_the_table_names_each_filter_its_counts_and_the_failing_ids(gair_file):
    result = run_cli("audit", str(gair_file), "--recipe", str(LIMA_RECIPE), "--show", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "stackexchange: 4 examples, 1 (25.0%) pass every measurable filter" in lines
    row = next(line for line in lines if line.startswith("first_person "))
    assert [cell.strip() for cell in row.split("│")] == ["first_person", "3", "1", "0", "75.0%", "I (1)"]
    assert next(line for line in lines if line.startswith("answer_score ")).split("│")[3].strip() == "4 (no answer_score)"
    assert "  first_person: gair/stackexchange/1: first person: 'I' (1 times) [I]" in lines
    assert "wikihow: 1 examples; the recipe has no filters for it" in lines


def test_as_judges_a_set_of_unknown_source_with_a_named_chain(tmp_path):
    path = tmp_path / "chat.jsonl"
    rows = [{"id": "s1", "conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": PROSE + "My view."}]}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    se = audit_json(str(path), "--as", "stackexchange")["sources"][0]
    assert se["source"] == "stackexchange" and by_filter(se)["first_person"]["failures"][0]["found"] == ["My"]


def test_a_manifest_carries_every_field_so_every_filter_measures(tmp_path):
    def line(number: int, response: str, **meta) -> str:
        meta = {"title": "How do I keep basil fresh?", "answer_score": 25, "closed": False, "prompt_from": "title", **meta}
        prompt = meta["title"]
        example = Candidate(
            f"stackexchange/cooking/q{number}", "stackexchange", "se_other", "g", chat(prompt, response), meta=meta
        )
        return example.manifest_line() + "\n"

    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(
        line(1, PROSE)
        + line(2, PROSE + "Dry it (as you say).")
        + line(3, PROSE + "Dry it (as you say).", prompt_from="body")
        + line(4, PROSE, answer_score=3, closed=True),
        encoding="utf-8",
    )
    se = audit_json(str(tmp_path))["sources"][0]
    assert se["examples"] == 4 and se["passed_every_filter"] == 2
    filters = by_filter(se)
    assert all(f["not_measurable"] == 0 for f in filters.values())
    assert filters["question_reference"]["failures"] == [
        {
            "id": "stackexchange/cooking/q2",
            "reason": "refers to the question, prompt is the title only: 'as you say'",
            "found": ["as you say"],
        }
    ]
    assert [f["reason"] for f in filters["answer_score"]["failures"]] == ["answer score 3 < 10"]
    assert [f["reason"] for f in filters["open_question"]["failures"]] == ["question was closed"]


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = cli("audit", str(tmp_path / "nope.jsonl"), "--recipe", str(LIMA_RECIPE), cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.jsonl'}: file not found"


def test_a_bad_line_is_one_line_naming_the_file_and_the_line(gair_file):
    gair_file.write_text(gair_file.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    result = cli("audit", str(gair_file), "--recipe", str(LIMA_RECIPE), cwd=ROOT)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {gair_file}:7: not a JSON line")


def test_as_a_source_without_a_chain_is_one_line_naming_the_recipe(gair_file):
    result = run_cli("audit", str(gair_file), "--recipe", str(LIMA_RECIPE), "--as", "wikihow")
    assert result.exit_code == 2
    assert (
        f"error: {LIMA_RECIPE}: the recipe has no filter chain for source 'wikihow' (--as); it has: stackexchange"
        in result.output
    )

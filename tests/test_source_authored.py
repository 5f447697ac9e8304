"""Authored examples reader: the shipped file round-trips, dev/test are kept, bad lines stop the build."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, recipe_settings

from lima_curate.errors import InputError
from lima_curate.sources import authored
from lima_curate.sources.authored import Settings

SAMPLE = ROOT / "samples" / "authored" / "examples.jsonl"


def read_file(path: Path, settings: Settings | None = None):
    return list(authored.read(path, settings or recipe_settings("authored"), 0, Counter()))


def line(id="ok", split="train", messages=None, **extra) -> str:
    if messages is None:
        messages = [{"role": "user", "content": "Question?"}, {"role": "assistant", "content": "Answer."}]
    return json.dumps({"id": id, "split": split, "messages": messages, **extra})


def turns(*pairs) -> list[dict]:
    return [{"role": role, "content": content} for role, content in pairs]


# -- the shipped file -------------------------------------------------------------------------------


def test_sample_round_trips():
    originals = [json.loads(text) for text in SAMPLE.read_text(encoding="utf-8").splitlines() if text.strip()]
    found = read_file(SAMPLE)
    assert len(found) == len(originals)
    for original, cand in zip(originals, found):
        assert cand.id == f"authored/{original['id']}"
        assert cand.source == "authored"
        assert list(cand.messages) == original["messages"]
        assert cand.meta["split"] == original["split"]
        assert cand.meta.items() >= original.get("meta", {}).items()


def test_sample_splits_and_subsets():
    found = read_file(SAMPLE)
    assert Counter(c.meta["split"] for c in found) == {"train": 12, "dev": 4, "test": 4}
    train = [c for c in found if c.meta["split"] == "train"]
    assert Counter(c.subset for c in train) == {"authored": 9, "dialogue": 3}
    assert all(sum(m["role"] == "user" for m in c.messages) > 1 for c in train if c.subset == "dialogue")
    assert all(1200 <= len(c.response) <= 3000 for c in train)


def test_prompt_only_dev_and_test_examples_are_kept():
    found = read_file(SAMPLE)
    prompts_only = [c for c in found if c.messages[-1]["role"] == "user"]
    assert prompts_only and {c.meta["split"] for c in prompts_only} == {"dev", "test"}
    assert all(c.response == "" for c in prompts_only)


# -- fields -----------------------------------------------------------------------------------------


def test_group_licence_and_subset(tmp_path):
    path = tmp_path / "examples.jsonl"
    chain = turns(("user", "A?"), ("assistant", "B."), ("user", "C?"), ("assistant", "D."))
    path.write_text(
        "\n".join(
            [
                line(id="plain"),
                line(id="tagged", meta={"category": "coding", "licence": "CC0-1.0"}),
                line(id="chain", messages=chain),
            ]
        )
        + "\n"
    )
    plain, tagged, chained = read_file(path, Settings(licence="CC-BY-4.0"))
    assert (plain.group, plain.meta) == ("authored", {"split": "train", "licence": "CC-BY-4.0"})
    assert (tagged.group, tagged.meta["licence"]) == ("coding", "CC0-1.0")
    assert (plain.subset, chained.subset) == ("authored", "dialogue")


def test_blank_lines_and_a_byte_order_mark_are_accepted(tmp_path):
    path = tmp_path / "examples.jsonl"
    path.write_bytes(("\ufeff" + line(id="a") + "\n\n   \n" + line(id="b") + "\n").encode("utf-8"))
    assert [c.id for c in read_file(path)] == ["authored/a", "authored/b"]


def test_dev_example_may_end_on_a_user_turn_after_a_dialogue(tmp_path):
    path = tmp_path / "examples.jsonl"
    path.write_text(line(split="dev", messages=turns(("user", "A?"), ("assistant", "B."), ("user", "C?"))) + "\n")
    (cand,) = read_file(path)
    assert cand.meta["split"] == "dev" and cand.subset == "dialogue"


# -- bad lines: one line each, naming file and line -------------------------------------------------

BAD_LINES = {
    "invalid UTF-8": (b'{"id": "x", "split": "train", "caf\xe9"}', "not valid UTF-8"),
    "invalid JSON": (b'{"id": "x", "split": "train",}', "not valid JSON"),
    "not an object": (b'["x"]', "expected a JSON object"),
    "missing messages": (b'{"id": "x", "split": "train"}', "missing field 'messages'"),
    "missing id": (b'{"split": "train", "messages": []}', "missing field 'id'"),
    "unknown field": (line(id="x", mesages=[]).encode(), "unknown field 'mesages'"),
    "bad id": (line(id="has space").encode(), "id 'has space' must be"),
    "unknown split": (line(id="x", split="validation").encode(), "unknown split 'validation'"),
    "no turns": (line(id="x", messages=[]).encode(), "non-empty list of turns"),
    "assistant first": (
        line(id="x", messages=turns(("assistant", "Hi."), ("user", "Q?"), ("assistant", "A."))).encode(),
        "the first turn must be the user's",
    ),
    "two user turns": (
        line(id="x", messages=turns(("user", "Q?"), ("user", "More?"), ("assistant", "A."))).encode(),
        "two user turns in a row (turns 1 and 2)",
    ),
    "two assistant turns": (
        line(id="x", messages=turns(("user", "Q?"), ("assistant", "A."), ("assistant", "B."))).encode(),
        "two assistant turns in a row (turns 2 and 3)",
    ),
    "empty turn": (line(id="x", messages=turns(("user", "Q?"), ("assistant", "  \n"))).encode(), "turn 2 is empty"),
    "unknown role": (line(id="x", messages=turns(("system", "Be nice."))).encode(), "unknown role 'system'"),
    "extra key in turn": (
        line(id="x", messages=[{"role": "user", "content": "Q?", "name": "x"}]).encode(),
        "exactly 'role' and 'content'",
    ),
    "train without answer": (
        line(id="x", messages=turns(("user", "Q?"))).encode(),
        "a train example must end with an assistant turn",
    ),
    "meta not an object": (line(id="x", meta="advice").encode(), "field 'meta' must be a JSON object"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_bad_line_is_one_line_error_with_file_and_line(tmp_path, case):
    bad, expected = BAD_LINES[case]
    path = tmp_path / "examples.jsonl"
    path.write_bytes((line(id="first") + "\n" + line(id="second") + "\n").encode() + bad + b"\n")
    with pytest.raises(InputError) as caught:
        read_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: ")
    assert expected in message
    assert "\n" not in message


def test_duplicate_id_names_both_lines(tmp_path):
    path = tmp_path / "examples.jsonl"
    path.write_text("\n".join([line(id="same"), line(id="other"), "", line(id="same", split="dev")]) + "\n")
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert str(caught.value) == f"{path}:4: duplicate id 'same' (first on line 1)"


# -- units ------------------------------------------------------------------------------------------


def test_units_file_or_folder(tmp_path):
    (tmp_path / "b.jsonl").write_text(line(id="b") + "\n")
    (tmp_path / "a.jsonl").write_text(line(id="a") + "\n")
    (tmp_path / "notes.txt").write_text("not examples")
    assert authored.units(tmp_path) == [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    assert authored.units(SAMPLE) == [SAMPLE]


def test_units_errors(tmp_path):
    with pytest.raises(InputError, match="no \\*.jsonl file"):
        authored.units(tmp_path)
    with pytest.raises(InputError, match="no such file or folder"):
        authored.units(tmp_path / "missing.jsonl")

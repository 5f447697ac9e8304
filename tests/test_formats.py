"""Formats: detection from content, export to every format, import back, and the manifest as
Hugging Face tools read it (datasets' json loader, a chat template)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from lima_curate import export, formats
from lima_curate.contract import digest
from lima_curate.errors import InputError
from lima_curate.manifest import read_card, read_manifest
from lima_curate.records import Candidate, chat


def realistic_examples() -> list[Candidate]:
    """One example per source with the meta each reader writes (nested lists, ints, bools, nulls)."""
    return [
        Candidate(
            id="stackexchange/cooking.stackexchange.com/q12-a34",
            source="stackexchange",
            subset="se_other",
            group="cooking.stackexchange.com",
            messages=chat(
                "Why does bread go stale?",
                "Staling is starch **retrogradation**:\n\n- water moves\n- crumb firms\n\n```\nno code\n```",
            ),
            meta={
                "site": "cooking.stackexchange.com",
                "question_id": 12,
                "answer_id": 34,
                "question_score": 31,
                "answer_score": 40,
                "tags": ["bread", "storage"],
                "closed": False,
                "licence": "CC BY-SA 4.0",
                "url": "https://cooking.stackexchange.com/questions/12",
                "dump_date": "2024-03-31",
            },
        ),
        Candidate(
            id="wikihow/Descale-a-Kettle",
            source="wikihow",
            subset="wikihow",
            group="Home and Garden",
            messages=chat("How to descale a kettle?", "1. Fill it with vinegar and water.\n2. Boil, wait an hour, rinse."),
            meta={"category": "Home and Garden", "article_id": 1234, "url": "https://www.wikihow.com/Descale-a-Kettle"},
        ),
        Candidate(
            id="superni/task1146_country_capital/task1146-1",
            source="superni",
            subset="superni",
            group="task1146_country_capital",
            messages=chat("Given a country, name its capital.\n\nFrance", "Paris"),
            meta={
                "task": "task1146_country_capital",
                "categories": ["Question Answering"],
                "instance_id": "task1146-1",
                "instance_licence": None,
            },
        ),
        Candidate(
            id="authored/dialogue-kettle",
            source="authored",
            subset="dialogue",
            group="advice",
            messages=chat(
                "My kettle is furry inside.",
                "That is limescale; it is harmless.",
                "How do I remove it?",
                "Boil a mix of water and vinegar, then rinse twice.",
            ),
            meta={"category": "advice", "split": "train", "licence": "CC-BY-4.0"},
        ),
    ]


def write_manifest(folder: Path, candidates: list[Candidate]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "manifest.jsonl"
    path.write_text("".join(c.manifest_line() + "\n" for c in candidates), encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "set", realistic_examples())


def tiny_chat_tokenizer(texts: list[str]):
    """A byte-level BPE trained on the fly, wrapped with a chat template (no download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<s>", "</s>", "<eot>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer)
    template = (
        "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<eot>\n{% endfor %}"
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>", chat_template=template)


def test_manifest_loads_with_datasets_and_its_messages_take_a_chat_template(manifest, tmp_path):
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("json", data_files=str(manifest), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == 4
    assert set(loaded.column_names) == {"schema", "id", "source", "subset", "messages", "meta"}
    tokenizer = tiny_chat_tokenizer([m["content"] for c in realistic_examples() for m in c.messages])
    for row, candidate in zip(loaded, realistic_examples()):
        assert row["messages"] == list(candidate.messages)
        text = tokenizer.apply_chat_template(row["messages"], tokenize=False)
        expected = "<s>" + "".join(f"<|{m['role']}|>\n{m['content']}<eot>\n" for m in candidate.messages)
        assert text == expected
        ids = tokenizer.apply_chat_template(row["messages"], tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        assert tokenizer.decode(ids) == expected


@pytest.mark.parametrize(
    "to, name",
    [
        ("gair", "out.jsonl"),
        ("sharegpt", "out.jsonl"),
        ("sharegpt", "out.json"),
        ("alpaca", "out.json"),
        ("parquet", "out.parquet"),
        ("hf", "out_hf"),
    ],
)
def test_export_then_import_keeps_the_messages_word_for_word(manifest, tmp_path, to, name):
    if to == "hf":
        pytest.importorskip("datasets")
    dest = tmp_path / name
    written = export.export(manifest, to, dest)
    carried = read_manifest(manifest)  # every format carries every example here, the dialogue too
    assert (written.written, written.skipped) == (len(carried), {})
    assert formats.detect(dest) == to

    imported = formats.import_file(dest, tmp_path / "back")
    back = read_manifest(imported.manifest)
    assert [e["messages"] for e in back] == [e["messages"] for e in carried]
    if to in ("parquet", "hf"):  # these carry every field, so the manifest comes back byte for byte
        assert imported.manifest.read_bytes() == manifest.read_bytes()
    if to == "sharegpt":
        assert [e["id"] for e in back] == [e["id"] for e in carried]


def test_alpaca_export_writes_a_dialogue_with_its_history_and_reads_it_back(manifest, tmp_path):
    written = export.export(manifest, "alpaca", tmp_path / "alpaca.jsonl")
    assert (written.written, written.skipped) == (4, {})
    rows = [json.loads(line) for line in (tmp_path / "alpaca.jsonl").read_text().splitlines()]
    assert rows[1] == {  # a single-turn row is Stanford Alpaca's three fields, nothing more
        "input": "",
        "instruction": "How to descale a kettle?",
        "output": "1. Fill it with vinegar and water.\n2. Boil, wait an hour, rinse.",
    }
    assert rows[3] == {
        "history": [["My kettle is furry inside.", "That is limescale; it is harmless."]],
        "input": "",
        "instruction": "How do I remove it?",
        "output": "Boil a mix of water and vinegar, then rinse twice.",
    }
    back = read_manifest(formats.import_file(tmp_path / "alpaca.jsonl", tmp_path / "back").manifest)
    assert back[3]["messages"] == list(realistic_examples()[3].messages)


def test_a_system_message_travels_in_alpaca_and_sharegpt_and_gair_refuses_it(tmp_path):
    talk = Candidate(
        id="authored/with-system",
        source="authored",
        subset="dialogue",
        group="advice",
        messages=({"role": "system", "content": "Answer briefly."},) + chat("Hi", "Hello.", "Tea?", "Yes."),
        meta={},
    )
    manifest = write_manifest(tmp_path / "set", [talk])
    export.export(manifest, "alpaca", tmp_path / "a.jsonl")
    export.export(manifest, "sharegpt", tmp_path / "s.jsonl")
    assert json.loads((tmp_path / "a.jsonl").read_text())["system"] == "Answer briefly."
    assert json.loads((tmp_path / "s.jsonl").read_text())["conversations"][0] == {"from": "system", "value": "Answer briefly."}
    for name in ("a.jsonl", "s.jsonl"):
        [example] = formats.read_examples(tmp_path / name)
        assert example["messages"] == list(talk.messages)
    written = export.export(manifest, "gair", tmp_path / "g.jsonl")
    assert (written.written, dict(written.skipped)) == (0, {"has a system message, which GAIR/lima's format has no place for": 1})


def test_gair_export_has_the_published_shape(manifest, tmp_path):
    export.export(manifest, "gair", tmp_path / "train.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rows] == ["stackexchange", "wikihow", "nlp", "multi_turn"]
    assert rows[2] == {"conversations": ["Given a country, name its capital.\n\nFrance", "Paris"], "source": "nlp"}
    assert all(set(r) == {"conversations", "source"} for r in rows)


GAIR_LINES = [
    {"conversations": ["Can brown sugar replace white sugar?", "Mostly, yes: ..."], "source": "stackexchange"},
    {"conversations": ["How to fold a fitted sheet?", "Tuck the corners ..."], "source": "wikihow"},
    {"conversations": ["[WP] The moon sends a letter.", "Dear Earth, ..."], "source": "writingprompts"},
    {"conversations": ["Summarise: the cat sat.", "A cat sat."], "source": "nlp"},
    {"conversations": ["Write a haiku about tea.", "Steam curls ..."], "source": "authors"},
    {"conversations": ["Hi", "Hello!", "Tell me a joke.", "Why did ..."], "source": "multi_turn"},
]


# GAIR/lima's line 1022: a five-turn chain that ends on the user's turn.
UNANSWERED = {
    "conversations": ["Can you help me plan a trip?", "Sure: where to?", "Lisbon.", "Three days is plenty ...", "And food?"],
    "source": "multi_turn",
}


def write_gair(path: Path, rows=GAIR_LINES) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_of_a_gair_file_maps_sources_and_marks_what_it_cannot_know(tmp_path):
    gair = write_gair(tmp_path / "train.jsonl")
    imported = formats.import_file(gair, tmp_path / "lima")
    examples = read_manifest(imported.manifest)
    assert [e["id"] for e in examples] == [
        "gair/stackexchange/1",
        "gair/wikihow/2",
        "gair/writingprompts/3",
        "gair/nlp/4",
        "gair/authors/5",
        "gair/multi_turn/6",
    ]
    assert [(e["source"], e["subset"]) for e in examples] == [
        ("stackexchange", "stackexchange"),
        ("wikihow", "wikihow"),
        ("writingprompts", "writingprompts"),
        ("superni", "superni"),
        ("authored", "authored"),
        ("unknown", "dialogue"),
    ]
    assert examples[0]["meta"] == {"gair_source": "stackexchange", "line": 1, "provenance": "unknown", "subset_unknown": True}
    assert examples[5]["meta"]["source_unknown"] is True
    assert [m["role"] for m in examples[5]["messages"]] == ["user", "assistant", "user", "assistant"]

    card = read_card(imported.manifest)
    assert card["digest"] == digest(imported.manifest.read_bytes())
    assert card["total"] == 6 and card["subsets"]["dialogue"]["chosen"] == 1
    assert card["seed"] == card["recipe"] == card["subsets"]["wikihow"]["quota"] == "unknown"
    assert card["imported"] == {"format": "gair", "from": "train.jsonl", "trimmed": [], "unanswered": []}
    assert imported.warnings == ()
    assert card["inputs"][0]["files"][0]["name"] == "train.jsonl"


def test_import_trims_a_conversation_after_its_last_answer_and_the_card_lists_it(tmp_path):
    only_a_question = {"conversations": ["Write a limerick about rain."], "source": "authors"}
    gair = write_gair(tmp_path / "train.jsonl", GAIR_LINES + [UNANSWERED, only_a_question])
    imported = formats.import_file(gair, tmp_path / "lima")
    examples = read_manifest(imported.manifest)
    assert [e["id"] for e in examples][-1] == "gair/multi_turn/7"  # the unanswered question is left out
    chain = examples[-1]
    assert [m["content"] for m in chain["messages"]] == UNANSWERED["conversations"][:4]
    assert chain["meta"]["trimmed_turns"] == 1
    card = read_card(imported.manifest)
    assert card["imported"] == {
        "format": "gair",
        "from": "train.jsonl",
        "trimmed": ["gair/multi_turn/7"],
        "unanswered": ["gair/authors/8"],
    }
    assert card["total"] == 7 and card["subsets"]["dialogue"]["chosen"] == 2
    assert imported.warnings == (
        "trimmed the turns after the last answer in 1 example(s) (gair/multi_turn/7): "
        "a conversation must end with the answer to be trained on; the card lists them",
        "left out 1 example(s) with no answer at all (gair/authors/8); the card lists them",
    )


def test_a_file_of_questions_only_is_refused(tmp_path):
    gair = write_gair(tmp_path / "train.jsonl", [{"conversations": ["Why?"], "source": "authors"}])
    with pytest.raises(InputError, match=r"train.jsonl: holds no example with an answer"):
        formats.import_file(gair, tmp_path / "lima")
    assert not (tmp_path / "lima").exists()


def test_cli_import_warns_of_the_turns_it_trimmed(tmp_path):
    gair = write_gair(tmp_path / "train.jsonl", GAIR_LINES + [UNANSWERED])
    result = run_cli("import", str(gair), "--out", str(tmp_path / "lima"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "trimmed the turns after the last answer in 1 example(s) (gair/multi_turn/7)" in said


def test_import_is_deterministic(tmp_path):
    gair = write_gair(tmp_path / "train.jsonl")
    first = formats.import_file(gair, tmp_path / "a").manifest
    second = formats.import_file(gair, tmp_path / "b").manifest
    assert first.read_bytes() == second.read_bytes()
    assert first.with_name("manifest.card.json").read_bytes() != b""


def test_an_import_whose_card_cannot_be_written_leaves_the_earlier_set_whole(tmp_path, monkeypatch):
    import errno

    from lima_curate import publish

    gair = write_gair(tmp_path / "train.jsonl")
    out = tmp_path / "set"
    formats.import_file(gair, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = publish.write_file

    def full_disk_at_the_card(path, data):
        if path.name == "manifest.card.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(publish, "write_file", full_disk_at_the_card)
    (tmp_path / "train.jsonl").write_text(gair.read_text().replace("wikihow", "authors", 1), encoding="utf-8")
    with pytest.raises(InputError, match="no space left on device"):
        formats.import_file(gair, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no new manifest beside the old card
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set", "train.jsonl"]  # no staging folder left


def test_formats_are_told_from_content_not_from_the_name(tmp_path, manifest):
    gair = write_gair(tmp_path / "looks_like.parquet")
    assert formats.detect(gair) == "gair"
    assert formats.detect(manifest) == "manifest"
    assert formats.detect(manifest.parent) == "manifest"
    sharegpt = tmp_path / "data.txt"
    sharegpt.write_text(
        json.dumps([{"id": "x", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}])
    )
    assert formats.detect(sharegpt) == "sharegpt"
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text('\n{"instruction": "Add", "input": "1 and 2", "output": "3"}\n')
    assert formats.detect(alpaca) == "alpaca"
    [example] = formats.read_examples(alpaca)
    assert example["messages"] == [{"role": "user", "content": "Add\n\n1 and 2"}, {"role": "assistant", "content": "3"}]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"a": 1}\n', "cannot tell the format"),
        (
            '{"messages": [{"role": "user", "content": "q"}], "id": "x", "source": "authored", "subset": "authored"}\n{oops\n',
            ":2: not a JSON line",
        ),
        ('{"messages": [{"role": "user", "content": "q"}], "id": "x", "subset": "authored"}\n', ":1: example lacks source"),
        ("", "is empty"),
    ],
)
def test_unreadable_input_names_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as error:
        list(formats.read_examples(path))
    assert str(path) in str(error.value)


def test_a_row_in_another_format_is_refused_with_its_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(GAIR_LINES[0]) + "\n" + '{"instruction": "x", "output": "y"}\n')
    with pytest.raises(InputError, match=r"mixed.jsonl:2: row is not in the file's format \(gair\)"):
        list(formats.read_examples(path))


def test_sharegpt_speaker_names_are_checked(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"conversations": [{"from": "narrator", "value": "once"}]}) + "\n")
    with pytest.raises(InputError, match=r"s.jsonl:1: conversations\[0\] is from 'narrator'"):
        list(formats.read_examples(path))


def test_an_hf_export_never_replaces_a_folder_that_is_not_a_dataset(manifest, tmp_path):
    pytest.importorskip("datasets")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a Hugging Face dataset folder"):
        export.export(manifest, "hf", precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    export.export(manifest, "hf", tmp_path / "hf")
    export.export(manifest, "hf", tmp_path / "hf")  # a dataset folder is replaced whole
    assert formats.detect(tmp_path / "hf") == "hf"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_failed_export_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GAIR_LINES[0]) + "\n{broken\n")
    dest = tmp_path / "out.jsonl"
    with pytest.raises(InputError):
        export.export(bad, "sharegpt", dest)
    assert list(tmp_path.iterdir()) == [bad]


def test_cli_export_and_import(manifest, tmp_path):
    result = run_cli("export", str(manifest), "--to", "alpaca", "--out", str(tmp_path / "a.json"))
    assert result.exit_code == 0, result.output
    assert "4 examples, alpaca" in result.stdout and "skipped" not in result.stderr
    assert len(json.loads((tmp_path / "a.json").read_text())) == 4

    result = run_cli("export", str(manifest), "--to", "gair", "--out", str(tmp_path / "train.jsonl"))
    assert result.exit_code == 0, result.output
    result = run_cli("import", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "imported"), "--name", "lima-gair")
    assert result.exit_code == 0, result.output
    assert "4 examples" in result.stdout and "unknown" in result.stdout
    assert read_card(tmp_path / "imported" / "manifest.jsonl")["name"] == "lima-gair"


def test_cli_export_says_which_examples_a_format_refuses_and_why(tmp_path):
    gair = write_gair(tmp_path / "train.jsonl", GAIR_LINES + [UNANSWERED])
    result = run_cli("export", str(gair), "--to", "sharegpt", "--out", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 0, result.output
    assert "6 examples, sharegpt" in result.stdout
    said = " ".join(result.stderr.split())
    assert "skipped 1: ends on a user turn, with no answer to train on (`lima-curate import` trims such turns)" in said


def test_cli_export_to_an_unknown_format_is_a_clean_error(manifest, tmp_path):
    result = run_cli("export", str(manifest), "--to", "csv", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "unknown export format 'csv'; choose one of gair, sharegpt, alpaca, parquet, hf" in result.stderr
    assert not (tmp_path / "x.csv").exists()

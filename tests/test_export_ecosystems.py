"""Every export is valid where it is used: each format's rows pass that ecosystem's own rules, checked
here by validators written from its documentation and loader code, and an example a format cannot
carry is refused by name and reason, never dropped unseen. Parquet and HF exports carry a dataset card
with the Hugging Face Hub's YAML header, and their files are as readable as any other file the user
writes.

Sources of the rules:
- LLaMA-Factory, data/README.md and src/llamafactory/data/converter.py: ShareGPT rows are
  `conversations` of `{from, value}`, an optional `system` turn first, then `human` (or `observation`)
  at odd positions and `gpt` (or `function_call`) at even ones, an even count; a row breaking it is
  logged ("Invalid role tag", "Invalid message count") and skipped. Alpaca rows are `instruction`,
  `input`, `output` strings, optional `system` string and `history` list of [instruction, response].
- axolotl, docs/dataset-formats/{conversation,inst_tune}.qmd and prompt_strategies/chat_template.py:
  `type: chat_template` reads `messages` of `{role, content}` (ShareGPT files with
  `field_messages: conversations`, `role: from`, `content: value`), roles human/user, gpt/assistant,
  system, tool; `type: alpaca` reads `instruction`, `input`, `output`.
- The Hub, hub-docs datasetcard.md and repositories-licenses.md: `license` an identifier from its list
  or a list of them, `size_categories` from n<1K, 1K<n<10K, ..., `task_categories` from its task
  list, `configs` with `data_files` per split.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from lima_curate import export, formats
from lima_curate.contract import card as make_card
from lima_curate.manifest import card_bytes, read_manifest
from lima_curate.records import Candidate, chat

# -- the validators --------------------------------------------------------------------------------


def llamafactory_sharegpt(row: dict) -> str | None:
    """What LLaMA-Factory's SharegptDatasetConverter refuses in a row (default tags), or None."""
    turns = row.get("conversations")
    if not isinstance(turns, list) or not turns:
        return "conversations is not a non-empty list"
    if not all(isinstance(t, dict) and isinstance(t.get("from"), str) and isinstance(t.get("value"), str) for t in turns):
        return "a turn is not {from: str, value: str}"
    if turns[0]["from"] == "system":
        turns = turns[1:]
    for index, turn in enumerate(turns):
        if turn["from"] not in (("human", "observation"), ("gpt", "function_call"))[index % 2]:
            return f"Invalid role tag at {index}"
    if not turns or len(turns) % 2:
        return "Invalid message count"
    return None


def llamafactory_alpaca(row: dict) -> str | None:
    """What LLaMA-Factory's Alpaca columns need: strings, and history as [instruction, response] pairs."""
    if not (isinstance(row.get("instruction"), str) and row["instruction"] and isinstance(row.get("output"), str)):
        return "instruction and output must be strings, the instruction not empty"
    if not all(isinstance(row.get(key, ""), str) for key in ("input", "system")):
        return "input and system must be strings"
    history = row.get("history", [])
    if not (
        isinstance(history, list)
        and all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in history)
    ):
        return "history must be a list of [instruction, response] pairs"
    return None


AXOLOTL_ROLES = {"human", "user", "gpt", "assistant", "system", "tool"}


def axolotl_chat_template(row: dict, field: str = "messages", role: str = "role", content: str = "content") -> str | None:
    """What axolotl's chat_template strategy reads: a list of messages with a role it maps and string content."""
    messages = row.get(field)
    if not isinstance(messages, list) or not messages:
        return f"{field} is not a non-empty list"
    for message in messages:
        if not (isinstance(message, dict) and message.get(role) in AXOLOTL_ROLES and isinstance(message.get(content), str)):
            return f"a message is not {{{role}: a known role, {content}: str}}"
    return None


def axolotl_alpaca(row: dict) -> str | None:
    """axolotl's `type: alpaca`: instruction, input (optional) and output, all strings."""
    ok = all(isinstance(row.get(key), str) for key in ("instruction", "output")) and isinstance(row.get("input", ""), str)
    return None if ok else "instruction, input, output must be strings"


GAIR_SOURCES = {"stackexchange", "wikihow", "writingprompts", "nlp", "authors", "multi_turn"}


def gair_lima(row: dict) -> str | None:
    """GAIR/lima's train.jsonl: conversations of strings, user first, ending with the answer, a known source."""
    turns = row.get("conversations")
    if set(row) != {"conversations", "source"} or row["source"] not in GAIR_SOURCES:
        return "keys must be conversations and a GAIR source"
    if not (isinstance(turns, list) and turns and len(turns) % 2 == 0 and all(isinstance(t, str) for t in turns)):
        return "conversations must be an even number of strings"
    return None


VALIDATORS = {
    "sharegpt": [llamafactory_sharegpt, lambda row: axolotl_chat_template(row, "conversations", "from", "value")],
    "alpaca": [llamafactory_alpaca, axolotl_alpaca],
    "gair": [gair_lima],
}

# -- the set exported ------------------------------------------------------------------------------


def examples() -> list[Candidate]:
    """A single-turn answer, a three-exchange dialogue, one with a system prompt, and two no chat
    format can carry as its trainers read it (the contract allows both)."""

    def one(id: str, subset: str, messages, licence: str | None = "CC BY-SA 4.0") -> Candidate:
        source = id.split("/")[0]
        return Candidate(id, source, subset, "g", tuple(messages), meta={"licence": licence} if licence else {})

    return [
        one("stackexchange/q1", "se_stem", chat("Why is the sky blue?", "Rayleigh scattering ...")),
        one("authored/talk", "dialogue", chat("Hi", "Hello.", "Tea or coffee?", "Tea.", "Why?", "It is calm."), "CC-BY-4.0"),
        one("authored/system", "dialogue", ({"role": "system", "content": "Be brief."},) + chat("Hi", "Hello."), "CC-BY-4.0"),
        one("authored/unanswered", "dialogue", chat("Hi", "Hello.") + ({"role": "user", "content": "And then?"},), "CC-BY-4.0"),
        one("wikihow/answer-first", "wikihow", ({"role": "assistant", "content": "Step one."},), "CC BY-NC-SA 3.0"),
    ]


REFUSED = {
    "ends on a user turn, with no answer to train on (`lima-curate import` trims such turns)": 1,
    "roles do not alternate user/assistant, user first": 1,
}


def write_manifest(folder: Path, candidates: list[Candidate]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "manifest.jsonl"
    path.write_text("".join(c.manifest_line() + "\n" for c in candidates), encoding="utf-8")
    return path


@pytest.mark.parametrize("to", ["sharegpt", "alpaca", "gair"])
def test_every_exported_row_passes_its_ecosystems_rules_and_every_refusal_is_counted(tmp_path, to):
    manifest = write_manifest(tmp_path / "set", examples())
    dest = tmp_path / f"out.{to}.jsonl"
    written = export.export(manifest, to, dest)
    rows = [json.loads(line) for line in dest.read_text(encoding="utf-8").splitlines()]
    problems = [(row, validate(row)) for row in rows for validate in VALIDATORS[to] if validate(row)]
    assert problems == []
    refused = dict(REFUSED, **({"has a system message, which GAIR/lima's format has no place for": 1} if to == "gair" else {}))
    assert dict(written.skipped) == refused
    assert written.written == len(rows) == len(examples()) - sum(refused.values())
    carried = {tuple(m["content"] for m in e["messages"]) for e in formats.read_examples(dest)}  # turn for turn
    assert ("Hi", "Hello.", "Tea or coffee?", "Tea.", "Why?", "It is calm.") in carried


def test_the_manifest_itself_is_axolotls_chat_template_input(tmp_path):
    manifest = write_manifest(tmp_path / "set", examples()[:3])
    assert [axolotl_chat_template(json.loads(line)) for line in manifest.read_text().splitlines()] == [None] * 3


def test_the_validators_catch_what_the_trainers_refuse():
    assert llamafactory_sharegpt({"conversations": [{"from": "human", "value": "q"}]}) == "Invalid message count"
    assert llamafactory_sharegpt({"conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]}) == (
        "Invalid role tag at 0"
    )
    assert llamafactory_alpaca({"instruction": "q", "output": "a", "history": [["only one"]]}) is not None
    assert axolotl_chat_template({"conversations": [{"from": "narrator", "value": "x"}]}, "conversations", "from", "value")
    assert gair_lima({"conversations": ["q", "a", "q"], "source": "multi_turn"}) is not None


def test_a_gair_release_exported_to_sharegpt_refuses_its_unanswered_chain_by_reason(tmp_path):
    gair = tmp_path / "train.jsonl"
    rows = [
        {"conversations": ["q", "a"], "source": "stackexchange"},
        {"conversations": ["q1", "a1", "q2", "a2", "q3"], "source": "multi_turn"},
    ]
    gair.write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = export.export(gair, "sharegpt", tmp_path / "s.jsonl")
    assert (written.written, dict(written.skipped)) == (1, {next(iter(REFUSED)): 1})
    imported = formats.import_file(gair, tmp_path / "lima")  # imported first, the chain travels up to its last answer
    written = export.export(imported.manifest, "sharegpt", tmp_path / "s2.jsonl")
    assert (written.written, written.skipped) == (2, {})


# -- the dataset card ------------------------------------------------------------------------------

HUB_SIZES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"}
HUB_LICENCE_IDS = {"apache-2.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-sa-3.0", "unknown", "other"}


def yaml_header(readme: Path) -> tuple[dict, str]:
    yaml = pytest.importorskip("yaml")
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


def built_set(folder: Path, candidates: list[Candidate]) -> Path:
    """A manifest with a build's card beside it (recipe, seed, inputs, digest)."""
    manifest = write_manifest(folder, candidates)
    data = manifest.read_bytes()
    built = make_card(
        name="lima-mini",
        version="1.0.0",
        seed=7,
        recipe={"name": "lima", "version": "2.0.0"},
        recipe_sha256="ab" * 32,
        subsets={},
        manifest=data,
        total=len(candidates),
        inputs=[{"source": "stackexchange", "path": "x", "files": []}, {"source": "authored", "path": "y", "files": []}],
    )
    (folder / "manifest.card.json").write_bytes(card_bytes(built))
    return manifest


def load_like_the_hub(folder: Path, tmp_path: Path):
    """The folder read as `load_dataset` reads a Hub repo: by the card's configs (a local folder with
    state.json is refused by load_dataset, so the upload is copied without it)."""
    datasets = pytest.importorskip("datasets")
    upload = tmp_path / "upload"
    shutil.copytree(folder, upload, ignore=shutil.ignore_patterns("state.json", "*.card.json", "manifest.jsonl"))
    datasets.disable_progress_bars()
    return datasets.load_dataset(str(upload), cache_dir=str(tmp_path / "cache"))


@pytest.mark.parametrize("to", ["hf", "parquet"])
def test_parquet_and_hf_exports_carry_a_hub_dataset_card_the_hub_reads(tmp_path, to):
    pytest.importorskip("datasets")
    manifest = built_set(tmp_path / "set", examples())
    dest = tmp_path / "out" / ("hf" if to == "hf" else "lima.parquet")
    written = export.export(manifest, to, dest)
    readme = dest / "README.md" if to == "hf" else dest.parent / "README.md"
    assert (written.card, written.notes) == (readme, ())

    header, body = yaml_header(readme)
    assert header["pretty_name"] == "lima-mini"
    assert header["license"] == ["cc-by-4.0", "cc-by-nc-sa-3.0", "cc-by-sa-4.0"]  # the Hub's list form
    assert set(header["license"]) <= HUB_LICENCE_IDS
    assert (header["language"], header["task_categories"], header["size_categories"]) == (["en"], ["text-generation"], ["n<1K"])
    assert header["size_categories"][0] in HUB_SIZES
    files = "data-*.arrow" if to == "hf" else "lima.parquet"
    assert header["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": files}]}]

    assert "built by `lima-curate build`" in body and "recipe `lima` 2.0.0" in body and "seed 7" in body
    assert "| se_stem | 1 |" in body and "| dialogue | 3 |" in body
    assert "| wikihow | CC BY-NC-SA 3.0 | 1 | `cc-by-nc-sa-3.0` |" in body

    loaded = load_like_the_hub(dest if to == "hf" else dest.parent, tmp_path)
    assert [row["messages"] for row in loaded["train"]] == [e["messages"] for e in read_manifest(manifest)]


def test_the_card_body_names_the_manifests_digest(tmp_path):
    pytest.importorskip("datasets")
    manifest = built_set(tmp_path / "set", examples()[:1])
    export.export(manifest, "parquet", tmp_path / "out" / "x.parquet")
    digest = json.loads((tmp_path / "set" / "manifest.card.json").read_text())["digest"]
    _, body = yaml_header(tmp_path / "out" / "README.md")
    assert f"The manifest's digest is `{digest}` (sha256 of `manifest.jsonl`)" in body


def test_one_licence_is_a_single_identifier_and_one_the_hub_lacks_is_other_with_its_name(tmp_path):
    single = write_manifest(tmp_path / "a", examples()[:1])
    export.export(single, "parquet", tmp_path / "a" / "out" / "x.parquet")
    header, body = yaml_header(tmp_path / "a" / "out" / "README.md")
    assert header["license"] == "cc-by-sa-4.0"
    assert "carries no card" in body  # a manifest without its card: the card says so rather than guess

    old = Candidate("stackexchange/q2", "stackexchange", "se_stem", "g", chat("q", "a"), meta={"licence": "CC BY-SA 2.5"})
    export.export(write_manifest(tmp_path / "b", [old]), "parquet", tmp_path / "b" / "out" / "x.parquet")
    header, body = yaml_header(tmp_path / "b" / "out" / "README.md")
    assert (header["license"], header["license_name"]) == ("other", "cc-by-sa-2.5")
    assert "| stackexchange | CC BY-SA 2.5 | 1 | `other` |" in body


def test_an_imported_release_is_carded_as_imported_with_its_licence_unknown(tmp_path):
    pytest.importorskip("datasets")
    gair = tmp_path / "train.jsonl"
    gair.write_text(json.dumps({"conversations": ["q1", "a1", "q2"], "source": "multi_turn"}) + "\n")
    imported = formats.import_file(gair, tmp_path / "lima")
    export.export(imported.manifest, "hf", tmp_path / "hf")
    header, body = yaml_header(tmp_path / "hf" / "README.md")
    assert header["license"] == "unknown"
    assert "imported from `train.jsonl` (gair)" in body and "1 conversation(s) were trimmed after their last answer" in body


def test_a_card_whose_digest_is_not_the_manifests_is_not_used_and_the_export_says_so(tmp_path):
    manifest = built_set(tmp_path / "set", examples()[:1])
    with manifest.open("a") as handle:
        handle.write(examples()[1].manifest_line() + "\n")  # edited after the build
    written = export.export(manifest, "parquet", tmp_path / "out" / "x.parquet")
    [note] = written.notes
    assert note.startswith(f"{tmp_path / 'set' / 'manifest.card.json'} records digest ") and note.endswith(
        "the dataset card does not use it"
    )
    _, body = yaml_header(tmp_path / "out" / "README.md")
    assert "carries no card" in body and "lima-mini" not in body


def test_a_readme_the_export_did_not_write_is_kept(tmp_path):
    manifest = built_set(tmp_path / "set", examples()[:1])
    (tmp_path / "README.md").write_text("# my project\n")
    written = export.export(manifest, "parquet", tmp_path / "lima.parquet")
    assert (tmp_path / "README.md").read_text() == "# my project\n"
    assert written.card == tmp_path / "lima.README.md" and written.card.is_file()
    assert written.notes == (f"{tmp_path / 'README.md'} is not an export's card and is kept; the dataset card is {written.card}",)
    export.export(manifest, "parquet", tmp_path / "sub" / "lima.parquet")
    written = export.export(manifest, "parquet", tmp_path / "sub" / "lima.parquet")  # its own card is replaced
    assert written.card == tmp_path / "sub" / "README.md" and written.notes == ()


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_hf_folder_and_its_files_are_as_readable_as_any_file_the_user_writes(tmp_path, umask_022):
    pytest.importorskip("datasets")
    manifest = write_manifest(tmp_path / "set", examples()[:2])
    export.export(manifest, "hf", tmp_path / "hf")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [tmp_path / "hf", *(tmp_path / "hf").iterdir()]}
    assert modes["hf"] == 0o755
    assert {name: mode for name, mode in modes.items() if name != "hf"} == dict.fromkeys(set(modes) - {"hf"}, 0o644)
    assert "README.md" in modes
    export.export(manifest, "parquet", tmp_path / "p" / "x.parquet")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "p").iterdir()} == {0o644}

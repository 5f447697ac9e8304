"""The formats a curated set travels in, read (and imported as a manifest) without losing a word of
the messages; ``export.py`` writes them.

Every reader turns its rows into examples of the manifest's shape (``id``, ``source``, ``subset``,
``messages``, ``meta``), so ``stats``, ``export`` and ``import`` see one shape whatever came in:

- ``manifest``: a lima-curate ``manifest.jsonl`` (or the folder holding one).
- ``gair``: the GAIR/lima ``train.jsonl``: ``{"conversations": [user, assistant, ...], "source": ...}``.
- ``sharegpt``: ``{"id", "conversations": [{"from": "human" | "gpt" | "system", "value"}]}``.
- ``alpaca``: ``{"instruction", "input", "output"}`` (single turn; ``history`` pairs are read too).
- ``parquet``: one row per example: ``id, source, subset, messages`` (list of ``{role, content}``)
  and ``meta`` as canonical JSON text (its fields differ between sources, so no fixed schema fits).
- ``hf``: a folder written by ``datasets.Dataset.save_to_disk`` with the same columns.

JSON formats are JSON lines, or one JSON array when the file starts with ``[`` (and on export when
the destination ends in ``.json``). The format is told from the content (a folder's files, Parquet's
magic bytes, the keys of the first row), never from the file name.

GAIR/lima records only a coarse source per example, so the import maps it as documented in
docs/formats.md: what the file cannot say is marked rather than guessed (``subset_unknown``,
``source_unknown``, ``provenance: "unknown"``).

An import keeps each conversation up to its last answer, so that the manifest trains (GAIR/lima's
line 1022 ends on a user turn); what it trimmed or left out is warned and listed in the card.

About 460 lines, one concern: each format's reader, and the import built on them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson

from . import sources
from .contract import check_line
from .errors import InputError

FORMATS = ("manifest", "gair", "sharegpt", "alpaca", "parquet", "hf")
MANIFEST_KEYS = ("id", "source", "subset", "messages")
HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")

# GAIR/lima's 30 multi-turn chains mix hand-written ones with ones edited from Stack Exchange threads.
GAIR_MULTI_TURN = "multi_turn"


def gair_source_map() -> dict[str, tuple[str, str, dict[str, bool]]]:
    """GAIR/lima "source" -> (manifest source, subset, meta flags for what the file cannot say), from
    each registered source's ``GAIR_NAMES``. A source with several subsets (Stack Exchange: STEM
    and Other) is imported as one subset named after it, marked ``subset_unknown``."""
    mapping: dict[str, tuple[str, str, dict[str, bool]]] = {GAIR_MULTI_TURN: ("unknown", "dialogue", {"source_unknown": True})}
    for name in sources.names():
        source = sources.get(name)
        main = [s for s in source.SUBSETS if s != "dialogue"]
        subset, flags = (main[0], {}) if len(main) == 1 else (name, {"subset_unknown": True})
        for gair_name in source.GAIR_NAMES:
            mapping.setdefault(gair_name, (name, subset, flags))
    return mapping


SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "system": "system",
}

JSON_FORMATS = ("manifest", "gair", "sharegpt", "alpaca")


# -- detection -------------------------------------------------------------------------------------


def row_format(row: Any) -> str | None:
    """Which format one JSON row is in, from its keys; None when it is none of them."""
    if not isinstance(row, dict):
        return None
    if "messages" in row:
        return "manifest"
    conversations = row.get("conversations")
    if isinstance(conversations, list) and conversations:
        first = conversations[0]
        if isinstance(first, str):
            return "gair"
        if isinstance(first, dict) and "from" in first and "value" in first:
            return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    return None


def detect(path: Path) -> str:
    """The format of a file or folder, from its content."""
    path = Path(path)
    if path.is_dir():
        if any((path / marker).is_file() for marker in HF_MARKERS):
            return "hf"
        if (path / "manifest.jsonl").is_file():
            return "manifest"
        raise InputError(path, "folder is neither a Hugging Face dataset (save_to_disk) nor holds a manifest.jsonl")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:  # pragma: no cover - is_dir() above
        raise InputError(path, "is a folder") from None
    if head == b"PAR1":
        return "parquet"
    for number, row in iter_json_rows(path):
        found = row_format(row)
        if found is None:
            raise InputError(
                path,
                "cannot tell the format from this row: expected a manifest line (messages), GAIR/lima "
                "(conversations of strings), ShareGPT (conversations of from/value) or Alpaca (instruction/output)",
                number,
            )
        return found
    raise InputError(path, "is empty: no example to read")


# -- reading ---------------------------------------------------------------------------------------


def iter_json_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for JSON lines, or (index + 1, item) for a file holding one JSON array."""
    with open(path, "rb") as handle:
        first = handle.read(1)
        while first in (b" ", b"\t", b"\r", b"\n"):
            first = handle.read(1)
        handle.seek(0)
        if first == b"[":
            try:
                items = json.load(handle)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise InputError(path, f"not a JSON array ({error})", getattr(error, "lineno", None)) from None
            yield from enumerate(items, 1)
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise InputError(path, f"not a JSON line ({error})", number) from None


def iter_table_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, row) from Parquet or a Hugging Face dataset folder, a batch at a time."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            batches = pq.ParquetFile(path).iter_batches(batch_size=1024)
        except Exception as error:  # pyarrow raises several types for a damaged file
            raise InputError(path, f"not a readable Parquet file ({error})") from None
    else:
        batches = hf_dataset(path).with_format("arrow").iter(batch_size=1024)
    number = 0
    for batch in batches:
        for row in batch.to_pylist():
            number += 1
            yield number, row


def hf_dataset(path: Path):
    """The one split of a ``save_to_disk`` folder (``train`` when it holds several)."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(path, "reading a Hugging Face dataset folder needs `datasets` (pip install 'lima-curate[hf]')") from None
    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as error:  # datasets raises FileNotFoundError, ValueError, ... for a bad folder
        raise InputError(path, f"not a readable Hugging Face dataset folder ({error})") from None
    if isinstance(loaded, datasets.DatasetDict):
        if "train" in loaded:
            return loaded["train"]
        if len(loaded) == 1:
            return next(iter(loaded.values()))
        raise InputError(path, f"holds several splits ({', '.join(loaded)}) and none is called train")
    return loaded


def read_examples(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Every example in the file or folder, in the manifest's shape, streamed."""
    path = Path(path)
    fmt = fmt or detect(path)
    if fmt == "manifest" and path.is_dir():
        path = path / "manifest.jsonl"
    if fmt in ("parquet", "hf"):
        rows = iter_table_rows(path, fmt)
    else:
        rows = iter_json_rows(path)
    for number, row in rows:
        kind = fmt if fmt in JSON_FORMATS else row_format(row)
        if kind is None or (fmt in JSON_FORMATS and row_format(row) != fmt):
            raise InputError(path, f"row is not in the file's format ({fmt})", number)
        yield CONVERTERS[kind](row, path, number)


def from_manifest(row: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """A manifest line (or Parquet/HF row, meta as JSON text) checked by the contract; a bare chat row
    (``{"messages": [...]}``, as TRL writes them) is taken too, its provenance marked unknown."""
    missing = [key for key in MANIFEST_KEYS if key not in row]
    if "messages" in row and not ("id" in row and "subset" in row):
        # a bare chat row ({"messages": [...]}, as TRL writes them): no provenance at all
        return {
            "id": row.get("id") or f"{path.stem}/{number}",
            "source": row.get("source") or "unknown",
            "subset": row.get("subset") or "unknown",
            "messages": checked_messages(row["messages"], path, number),
            "meta": {"provenance": "unknown", "line": number},
        }
    if missing:
        raise InputError(path, f"example lacks {', '.join(missing)}", number)
    meta = row.get("meta") or {}
    if isinstance(meta, str):  # Parquet and HF rows carry meta as JSON text
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError:
            raise InputError(path, "meta is not valid JSON", number) from None
    line = check_line({**{k: v for k, v in row.items() if v is not None}, "meta": meta}, path, number)
    return {
        "id": line["id"],
        "source": line["source"],
        "subset": line["subset"],
        "messages": [{"role": m["role"], "content": m["content"]} for m in line["messages"]],
        "meta": meta,
    }


def from_gair(row: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """A GAIR/lima row: its bare turns become user and assistant in turn, and its ``source`` maps to
    ours through the registry's GAIR names (flagged unknown where it maps to none)."""
    conversations = row["conversations"]
    if not all(isinstance(turn, str) for turn in conversations):
        raise InputError(path, "conversations must be a list of strings", number)
    gair_source = str(row.get("source") or "unknown")
    unmapped = ("unknown", "unknown", {"source_unknown": True, "subset_unknown": True})
    source, subset, flags = gair_source_map().get(gair_source, unmapped)
    roles = ("user", "assistant")
    return {
        "id": f"gair/{gair_source}/{number}",
        "source": source,
        "subset": subset,
        "messages": [{"role": roles[i % 2], "content": turn} for i, turn in enumerate(conversations)],
        "meta": {"gair_source": gair_source, "line": number, "provenance": "unknown", **flags},
    }


def from_sharegpt(row: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """A ShareGPT row; a turn from anyone but human, gpt or system is an error, not a guess."""
    messages = []
    for index, turn in enumerate(row["conversations"]):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            raise InputError(path, f"conversations[{index}] must be an object with a string value", number)
        role = SHAREGPT_ROLES.get(str(turn.get("from")).lower())
        if role is None:
            raise InputError(path, f"conversations[{index}] is from {turn.get('from')!r}; expected human, gpt or system", number)
        messages.append({"role": role, "content": turn["value"]})
    return {
        "id": str(row.get("id") or f"sharegpt/{number}"),
        "source": "unknown",
        "subset": "unknown",
        "messages": messages,
        "meta": {"provenance": "unknown", "line": number},
    }


def from_alpaca(row: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """An Alpaca row: its ``system`` prompt (LLaMA-Factory's column) and ``history`` pairs first, then
    instruction and input as one user turn."""
    fields = [row.get("instruction"), row.get("input") or "", row.get("output")]
    if not all(isinstance(value, str) for value in fields):
        raise InputError(path, "instruction, input and output must be strings", number)
    instruction, extra, output = fields
    system = row.get("system") or ""
    if not isinstance(system, str):
        raise InputError(path, "system must be a string", number)
    messages = [{"role": "system", "content": system}] if system else []
    for pair in row.get("history") or []:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair)):
            raise InputError(path, "history must be a list of [user, assistant] pairs", number)
        messages += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    prompt = f"{instruction}\n\n{extra}" if extra else instruction
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": output}]
    return {
        "id": f"alpaca/{number}",
        "source": "unknown",
        "subset": "unknown",
        "messages": messages,
        "meta": {"provenance": "unknown", "line": number},
    }


def checked_messages(messages: Any, path: Path, number: int) -> list[dict[str, str]]:
    """A bare chat row's messages, each with string role and content, other keys dropped."""
    if not isinstance(messages, list) or not messages:
        raise InputError(path, "messages must be a non-empty list", number)
    for index, message in enumerate(messages):
        if not (isinstance(message, dict) and isinstance(message.get("role"), str) and isinstance(message.get("content"), str)):
            raise InputError(path, f"messages[{index}] must be an object with string role and content", number)
    return [{"role": m["role"], "content": m["content"]} for m in messages]


CONVERTERS = {"manifest": from_manifest, "gair": from_gair, "sharegpt": from_sharegpt, "alpaca": from_alpaca}


# -- import ----------------------------------------------------------------------------------------


def diversity_unit(example: dict[str, Any]) -> tuple[str, str]:
    """(kind, value) of the unit diversity is measured over: the meta field its source names as its
    group (the Stack Exchange site, the wikiHow category, the Super-NI task, ...), any source's group
    field when the source is unknown, or else the source itself. These are the groups sampling
    spreads over, as the card counts them."""
    meta = example.get("meta") or {}
    known = sources.names()
    fields = (
        [sources.get(example["source"]).GROUP_FIELD]
        if example.get("source") in known
        else list(dict.fromkeys(sources.get(name).GROUP_FIELD for name in known))
    )
    for field in fields:
        if field is None:
            continue
        value = meta.get(field)
        if isinstance(value, str) and value:
            return field, value
    return "source", str(example.get("source"))


@dataclass(frozen=True)
class Imported:
    """What ``import`` reports: the manifest written, the format it was read as, its card, and the
    warnings the console shows (turns trimmed, examples left out)."""

    manifest: Path
    format: str
    card: dict[str, Any]
    warnings: tuple[str, ...] = ()


def answered(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The conversation up to its last answer: the turns after it are dropped, since no trainer can
    learn from a question left unanswered and lima-train (like LLaMA-Factory) refuses a conversation
    that does not end with the assistant. GAIR/lima's release has one such row (line 1022, five
    turns ending on the user's). Empty when there is no answer at all."""
    end = len(messages)
    while end and messages[end - 1]["role"] != "assistant":
        end -= 1
    return messages[:end]


def import_warnings(trimmed: list[str], unanswered: list[str]) -> tuple[str, ...]:
    """What the console says about the examples ``import`` changed or left out, with their ids."""

    def some(ids: list[str]) -> str:
        return ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")

    said = []
    if trimmed:
        said.append(
            f"trimmed the turns after the last answer in {len(trimmed):,} example(s) ({some(trimmed)}): "
            "a conversation must end with the answer to be trained on; the card lists them"
        )
    if unanswered:
        said.append(f"left out {len(unanswered):,} example(s) with no answer at all ({some(unanswered)}); the card lists them")
    return tuple(said)


def import_file(path: Path, out_dir: Path, name: str | None = None, fmt: str | None = None) -> Imported:
    """A manifest and card from a file in any readable format (GAIR/lima first of all).

    Lines keep the file's order; whatever the file does not record (recipe, seed, quotas, inputs
    behind it, licences) is written as ``"unknown"`` rather than made up. A conversation is kept up
    to its last answer (:func:`answered`), so the manifest trains: the card's ``imported`` lists the
    ids trimmed (``trimmed``, each line saying ``trimmed_turns``) and left out (``unanswered``).
    """
    from .contract import card, subset_entry
    from .manifest import CARD, MANIFEST, card_bytes, file_sha256, jsonl_bytes
    from .publish import write_files
    from .records import Candidate

    path, out_dir = Path(path), Path(out_dir)
    fmt = fmt or detect(path)
    candidates: list[Candidate] = []
    seen: set[str] = set()
    trimmed: list[str] = []
    unanswered: list[str] = []
    for number, example in enumerate(read_examples(path, fmt), 1):
        if example["id"] in seen:
            raise InputError(path, f"id {example['id']!r} occurs twice (example {number})")
        seen.add(example["id"])
        messages = answered(example["messages"])
        if not messages:
            unanswered.append(example["id"])
            continue
        meta = example["meta"]
        if len(messages) < len(example["messages"]):
            trimmed.append(example["id"])
            meta = {**meta, "trimmed_turns": len(example["messages"]) - len(messages)}
        candidates.append(
            Candidate(
                id=example["id"],
                source=example["source"],
                subset=example["subset"],
                group=diversity_unit(example)[1],
                messages=tuple(messages),
                meta=meta,
            )
        )
    if not candidates:
        raise InputError(path, "holds no examples" if not unanswered else "holds no example with an answer")
    manifest = jsonl_bytes(c.manifest_line() for c in candidates)
    by_subset: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_subset.setdefault(candidate.subset, []).append(candidate)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    imported = card(
        name=name or path.stem,
        version="unknown",
        seed="unknown",
        recipe="unknown",
        recipe_sha256="unknown",
        subsets={subset: subset_entry(picks, "unknown", "unknown") for subset, picks in by_subset.items()},
        manifest=manifest,
        total=len(candidates),
        imported={"format": fmt, "from": path.name, "trimmed": trimmed, "unanswered": unanswered},
        rejects="unknown",
        inputs=[
            {
                "source": fmt,
                "path": os.path.relpath(path.resolve(), out_dir.resolve()).replace(os.sep, "/"),
                "files": [
                    {
                        "name": f.name if f == path else f.relative_to(path).as_posix(),
                        **dict(zip(("bytes", "sha256"), file_sha256(f))),
                    }
                    for f in files
                ],
            }
        ],
        files={"dev.jsonl": None, "test.jsonl": None},
    )
    write_files(out_dir, {MANIFEST: manifest, CARD: card_bytes(imported)})  # both or, on a fault, neither
    return Imported(out_dir / MANIFEST, fmt, imported, import_warnings(trimmed, unanswered))

"""Writing a set in another format (``lima-curate export``): GAIR/lima, ShareGPT, Alpaca, Parquet
and a Hugging Face dataset folder, each written whole or not at all (formats.py reads them back)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import sources
from .contract import canonical_json
from .errors import InputError
from .formats import GAIR_MULTI_TURN, HF_MARKERS, read_examples
from .manifest import atomic_file

EXPORT_FORMATS = ("gair", "sharegpt", "alpaca", "parquet", "hf")
SHAREGPT_FROM = {"user": "human", "assistant": "gpt", "system": "system"}


def gair_name(source: str) -> str:
    """The name GAIR/lima's file gives a source (the first of its ``GAIR_NAMES``)."""
    names = sources.names()
    return sources.get(source).GAIR_NAMES[0] if source in names and sources.get(source).GAIR_NAMES else source


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What ``export`` reports: where it wrote, in which format, how many examples, and why others were left out."""

    path: Path
    format: str
    written: int
    skipped: Counter  # reason -> count


@contextmanager
def atomic_folder(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` swapped in when the block finishes.

    An existing ``dest`` is replaced only when it is itself a dataset folder, so a typo cannot
    delete an unrelated folder.
    """
    if dest.exists() and not (dest.is_dir() and any((dest / m).is_file() for m in HF_MARKERS)):
        raise InputError(dest, "exists and is not a Hugging Face dataset folder; refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        yield staging
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.replace(dest, old / "data")
        os.replace(staging, dest)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def alternates(messages: list[dict[str, str]]) -> bool:
    """User first, then strictly assistant / user / ... (what GAIR and Alpaca can carry)."""
    return all(m["role"] == ("user", "assistant")[i % 2] for i, m in enumerate(messages))


def to_gair(example: dict[str, Any]) -> dict[str, Any] | str:
    """A GAIR/lima row (turns as bare strings, the source in GAIR's naming), or why it cannot be one."""
    if not alternates(example["messages"]):
        return "roles do not alternate user/assistant"
    meta = example.get("meta") or {}
    if example["subset"] == "dialogue":
        source = GAIR_MULTI_TURN
    else:
        source = meta.get("gair_source") or gair_name(example["source"])
    return {"conversations": [m["content"] for m in example["messages"]], "source": source}


def to_sharegpt(example: dict[str, Any]) -> dict[str, Any] | str:
    """A ShareGPT row (human/gpt/system turns, the id kept), or why it cannot be one."""
    turns = []
    for message in example["messages"]:
        if message["role"] not in SHAREGPT_FROM:
            return f"role {message['role']!r} has no ShareGPT name"
        turns.append({"from": SHAREGPT_FROM[message["role"]], "value": message["content"]})
    return {"conversations": turns, "id": example["id"]}


def to_alpaca(example: dict[str, Any]) -> dict[str, Any] | str:
    """An Alpaca row (instruction and output, input empty), or why it cannot be one."""
    messages = example["messages"]
    if len(messages) != 2 or not alternates(messages):
        return "not a single user/assistant turn (Alpaca is single-turn)"
    return {"input": "", "instruction": messages[0]["content"], "output": messages[1]["content"]}


def to_row(example: dict[str, Any]) -> dict[str, Any]:
    """A Parquet / HF row: the manifest's fields, meta as canonical JSON text."""
    return {
        "id": example["id"],
        "source": example["source"],
        "subset": example["subset"],
        "messages": [{"role": m["role"], "content": m["content"]} for m in example["messages"]],
        "meta": canonical_json(example.get("meta") or {}),
    }


JSON_WRITERS = {"gair": to_gair, "sharegpt": to_sharegpt, "alpaca": to_alpaca}


def export(path: Path, to: str, dest: Path, fmt: str | None = None) -> Written:
    """Write every example of ``path`` to ``dest`` in format ``to``; examples it cannot carry are
    skipped and counted by reason (only Alpaca and GAIR skip: multi-turn or odd roles)."""
    if to not in EXPORT_FORMATS:
        raise InputError(dest, f"unknown export format {to!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    examples = read_examples(Path(path), fmt)
    dest = Path(dest)
    if to in JSON_WRITERS:
        return write_json_format(examples, JSON_WRITERS[to], dest, to)
    if to == "parquet":
        with atomic_file(dest) as temp:
            written = write_parquet(examples, temp)
        return Written(dest, to, written, Counter())
    return write_hf(examples, dest)


def write_json_format(examples, convert, dest: Path, to: str) -> Written:
    """The converted rows as JSON lines, or as one JSON array when ``dest`` ends in ``.json``; a row
    ``convert`` answers with a string is skipped and counted under that reason."""
    as_array = dest.suffix == ".json"
    written, skipped = 0, Counter()
    with atomic_file(dest) as temp, open(temp, "w", encoding="utf-8", newline="\n") as out:
        out.write("[\n" if as_array else "")
        for example in examples:
            row = convert(example)
            if isinstance(row, str):
                skipped[row] += 1
                continue
            if as_array and written:
                out.write(",\n")
            out.write(canonical_json(row))
            out.write("" if as_array else "\n")
            written += 1
        out.write("\n]\n" if as_array else "")
    return Written(dest, to, written, skipped)


def parquet_schema():
    """The export's Parquet schema, fixed so that an empty set still writes a readable file."""
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("subset", pa.string()),
            ("messages", pa.list_(message)),
            ("meta", pa.string()),
        ]
    )


def write_parquet(examples, path: Path, batch_size: int = 1024) -> int:
    """Stream the examples' rows into ``path`` in batches (memory stays flat); the count written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    written = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch = []
        for example in examples:
            batch.append(to_row(example))
            if len(batch) == batch_size:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                written += len(batch)
                batch = []
        if batch or not written:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            written += len(batch)
    return written


def write_hf(examples, dest: Path) -> Written:
    """``save_to_disk`` of the same rows as Parquet (built from a temporary Parquet file, so that
    memory stays flat); ``datasets`` is imported only here."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(dest, "writing a Hugging Face dataset needs `datasets` (pip install 'lima-curate[hf]')") from None
    bars_were_off = datasets.is_progress_bar_enabled() is False
    datasets.disable_progress_bars()
    try:
        with atomic_folder(dest) as staging, tempfile.TemporaryDirectory(dir=staging.parent, prefix=".hf-build.") as work:
            parquet = Path(work) / "examples.parquet"
            written = write_parquet(examples, parquet)
            dataset = datasets.Dataset.from_parquet(str(parquet), cache_dir=str(Path(work) / "cache"))
            dataset.save_to_disk(str(staging))
            del dataset
    finally:
        if not bars_were_off:
            datasets.enable_progress_bars()
    return Written(dest, "hf", written, Counter())

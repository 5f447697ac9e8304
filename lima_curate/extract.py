"""The per-unit stage: read one input unit, judge every candidate, write the unit's shards.

This is the only heavy work of a build and the only part that runs in workers (a local process
pool or Ray tasks, see ``executors.py``). A unit is a site, a task folder, a dump pair. Its worker
streams the unit's files through the source's reader, runs the recipe's filter chain on each
candidate as it comes, and writes two Parquet files as it goes:

- ``*.survivors.parquet``: the candidates that passed the chain (their filter scores in
  ``meta.filter_scores``) and the held-out dev/test candidates, each with the attributes the
  steps across units need and that depend on the candidate alone: the digests its exact
  duplicates are told by and its MinHash signature (computed here, in parallel and cached, instead
  of in the parent on every build);
- ``*.rejects.parquet``: one row per dropped candidate: id, filter, score, reason, url.

A small JSON marker, written last, holds the counts and the sha256 of both shards; its presence is
what makes the shards a complete cache entry (a killed worker leaves no marker and its shards are
never trusted), and the digests are checked whenever the entry is read: a truncated, garbage or
swapped shard, or a marker that is not one, is extracted again with a warning, never used. What
travels back to the parent is that marker's content and the paths: on Stack Overflow most
questions fail the score gate, and none of them ever crosses a process boundary as an object.

The cache key covers everything the shards depend on: the unit's names and bytes, the reader's
version and settings, the source's filter settings, the seed and the tool's version.

About 540 lines once formatted, one concern: one unit's cache entry (its key, its shards and their digests, the stage
writing them).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import importlib.metadata
import json
import os
import stat
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import __version__, sources
from .errors import InputError, write_fault
from .filters import Decision, judge, settings_of
from .manifest import file_sha256, write_atomic
from .recipe import Recipe
from .records import Candidate, canonical_json
from .sources.guard import guarded  # any reader's, registered ones too: a hostile file is one line

SHARD_FORMAT = 2  # 2: the marker holds the shards' sha256
HELD_OUT = ("dev", "test")
BATCH = 8192  # rows buffered per Parquet write

SURVIVOR_COLUMNS = (
    ("id", "string"),
    ("source", "string"),
    ("subset", "string"),
    ("group", "string"),
    ("rank", "float64"),
    ("messages", "string"),
    ("meta", "string"),
    ("url", "string"),
    ("split", "string"),
    ("prompt_key", "string"),
    ("response_key", "string"),
    ("signature", "binary"),
)
# What the parent holds for every survivor while it deduplicates and samples: no texts.
LIGHT_COLUMNS = ("id", "source", "subset", "group", "rank", "url", "split", "prompt_key", "response_key", "signature")
REJECT_COLUMNS = (
    ("id", "string"),
    ("source", "string"),
    ("subset", "string"),
    ("filter", "string"),
    ("score", "float64"),
    ("reason", "string"),
    ("url", "string"),
)
# Every candidate that sampling could draw: its place in its group's order, and whether it was drawn.
ELIGIBLE_COLUMNS = (
    ("id", "string"),
    ("subset", "string"),
    ("group", "string"),
    ("rank", "float64"),
    ("position", "int64"),
    ("group_size", "int64"),
    ("chosen", "bool_"),
)


@dataclass(frozen=True)
class Survivor:
    """A survivor as the parent holds it: the candidate without its texts (``messages`` empty,
    ``meta`` only its url) unless it is held out, and its dedup attributes."""

    candidate: Candidate
    keys: tuple[str, str]  # dedup.exact_keys
    signature: bytes | None  # dedup.signature_bytes; None for held-out candidates or without near dedup


@dataclass(frozen=True)
class Unit:
    """What one worker reads on its own: a source and one of the paths its reader's ``units`` gave,
    and the name the user gave it (``--input stackexchange:HOST=PATH``; ``""``: none)."""

    source: str
    path: Path
    name: str = ""


@dataclass(frozen=True)
class Shards:
    """One unit's extraction as the parent sees it: where its shards are, and what they counted."""

    unit: Unit
    files: tuple[dict[str, Any], ...]  # every file read: path, bytes, sha256
    survivors: Path
    rejects: Path
    counts: dict[str, Any]  # skipped, dropped (per filter), unknown and excluded (per group), survivors, rejects
    cached: bool = False
    warning: str = ""  # why a cache entry for this unit was not used (damaged), said once by the build


# -- what a unit depends on ------------------------------------------------------------------------


def files_of(unit: Unit, settings: Any) -> list[Path]:
    """Every file a unit's candidates depend on under these reader settings (the cache key and the
    card's inputs cover exactly these)."""
    return list(sources.get(unit.source).files(unit.path, settings))


NAME_SETTING = "site_name"  # the reader setting a unit's name goes to (a source that takes names has it)


def reader_settings(unit: Unit, recipe: Recipe) -> Any:
    """The recipe's settings for the unit's source, or the reader's defaults when it has no table;
    for a source that takes names, the unit's own in ``site_name`` (part of the cache key too; a
    name comes from the input alone, never from a recipe)."""
    settings = recipe.sources.get(unit.source) or sources.get(unit.source).Settings()
    return dataclasses.replace(settings, **{NAME_SETTING: unit.name}) if unit.name or takes_names(unit.source) else settings


def takes_names(source: str) -> bool:
    """Whether a source's units can be named by the user (its Settings has ``site_name``)."""
    return any(f.name == NAME_SETTING for f in dataclasses.fields(sources.get(source).Settings))


def hashed_files(unit: Unit, recipe: Recipe, memo: Path | None = None) -> tuple[dict[str, Any], ...]:
    """Path, bytes and sha256 of every file the unit reads; ``memo`` (a cache folder) lets a file
    whose size, mtime and inode are unchanged skip being hashed again (``verify`` never uses it)."""
    found = []
    for path in files_of(unit, reader_settings(unit, recipe)):
        if not stat.S_ISREG(os.stat(path).st_mode):  # hashing (or reading) a FIFO or /dev/zero would never end
            raise InputError(path, "not a regular file (a FIFO, a device or a socket is never opened)")
        size, sha = remembered_sha256(path, memo) if memo is not None else file_sha256(path)
        found.append({"path": path, "bytes": size, "sha256": sha})
    return tuple(found)


def remembered_sha256(path: Path, memo: Path) -> tuple[int, str]:
    """``file_sha256``, remembered under ``memo/hashes`` by size, mtime, inode and device, so that a warm
    build of a large dump does not read every byte again."""
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev]
    entry = memo / "hashes" / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]}.json"
    try:
        known = json.loads(entry.read_text())
        if known["stamp"] == stamp:
            return known["bytes"], known["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    size, sha = file_sha256(path)
    try:
        write_json_atomic(entry, {"stamp": stamp, "bytes": size, "sha256": sha})
    except OSError:
        pass  # a read-only cache only costs the hashing next time
    return size, sha


def cache_key(unit: Unit, recipe: Recipe, files: tuple[dict[str, Any], ...]) -> str:
    """The shards' name in the cache: a digest of everything they depend on; whatever it left out
    could serve stale shards."""
    module = sources.get(unit.source)
    chain = recipe.filters.get(unit.source)
    material = canonical_json(
        {
            "format": SHARD_FORMAT,
            "tool": __version__,
            "source": unit.source,
            "version": module.VERSION,
            "settings": _plain(dataclasses.asdict(reader_settings(unit, recipe))),
            "filters": [[f.name, _plain(settings_of(f))] for f in chain.filters] if chain else None,
            "dedup": _plain(dataclasses.asdict(recipe.dedup)),
            "datasketch": importlib.metadata.version("datasketch"),  # its hashing makes the signatures
            "seed": recipe.seed,
            "files": [[f["path"].name, f["sha256"]] for f in files],
            # readers derive ids and sites from names (a site folder, a CSV's stem), not only bytes
            "unit": [unit.path.parent.name, unit.path.name],
        }
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:
        return "nan"
    return value


# -- the shards ------------------------------------------------------------------------------------


def shard_paths(shard_dir: Path, unit: Unit, key: str) -> tuple[Path, Path, Path]:
    """Survivors, rejects and marker of one cache entry, side by side under the source's folder."""
    base = shard_dir / unit.source / key
    return base.with_suffix(".survivors.parquet"), base.with_suffix(".rejects.parquet"), base.with_suffix(".json")


def cached_shards(
    unit: Unit, files: tuple[dict[str, Any], ...], shard_dir: Path, key: str, damaged: list[str] | None = None
) -> Shards | None:
    """The unit's shards when a complete entry exists (its marker was written last) and both shards
    still have the sha256 the marker recorded. A damaged entry (a marker that is not one, a shard
    missing, truncated or changed) is never used: its marker is removed, so the unit is extracted
    again, and what was wrong is appended to ``damaged``."""
    survivors, rejects, marker = shard_paths(shard_dir, unit, key)
    if not marker.exists():
        return None
    problem = entry_problem(survivors, rejects, marker)
    if problem is None:
        return Shards(unit, files, survivors, rejects, json.loads(marker.read_bytes()), cached=True)
    try:
        marker.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: the entry is still not used
    if damaged is not None:
        damaged.append(f"cache entry {marker} is damaged ({problem}); {unit.path} was extracted again")
    return None


MARKER_COUNTS = {"skipped": dict, "dropped": dict, "unknown": dict, "excluded": dict, "survivors": int, "rejects": int}


def entry_problem(survivors: Path, rejects: Path, marker: Path) -> str | None:
    """What is wrong with a cache entry whose marker exists, or None when it can be trusted."""
    try:
        counts = json.loads(marker.read_bytes())
    except (OSError, ValueError) as error:
        return f"its marker is not JSON: {error}"
    if not isinstance(counts, dict) or counts.get("format") != SHARD_FORMAT:
        return "its marker is not one of this version"
    if any(not isinstance(counts.get(name), kind) for name, kind in MARKER_COUNTS.items()):
        return "its marker lacks the counts"
    digests = counts.get("sha256")
    if not isinstance(digests, dict):
        return "its marker holds no digests"
    for name, path in (("survivors", survivors), ("rejects", rejects)):
        try:
            found = file_sha256(path)[1]
        except OSError as error:
            return f"{name} shard unreadable: {error.strerror or error}"
        if found != digests.get(name):
            return f"{name} shard does not match its digest"
    return None


class ParquetRows:
    """Rows written to a Parquet file in batches as they come (never the whole table in memory)."""

    def __init__(self, path: Path, columns: tuple[tuple[str, str], ...]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])
        self.names = [name for name, _ in columns]
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        """Buffer a row; a full batch goes to the file."""
        self.buffer.append(row)
        self.count += 1
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one record batch."""
        import pyarrow as pa

        if self.buffer:
            columns = {name: [row[name] for row in self.buffer] for name in self.names}
            self.writer.write_batch(pa.record_batch(columns, schema=self.schema))
            self.buffer = []

    def close(self) -> None:
        """Write the rest and the footer: the file cannot be read before this."""
        self.flush()
        self.writer.close()


def read_survivors(path: Path) -> list[Survivor]:
    """Every survivor of a shard, light (texts stay on disk; see ``full_candidates``), the few held-out
    ones whole (their prompts are matched against every example)."""
    import pyarrow.parquet as pq

    survivors, held_out_ids = [], set()
    with cyclic_gc_paused():
        shard = pq.ParquetFile(path)  # read_table would import pyarrow.dataset (and pandas)
        for row in shard.read(columns=list(LIGHT_COLUMNS)).to_pylist():
            if row["split"] in HELD_OUT:
                held_out_ids.add(row["id"])
                continue
            candidate = Candidate(
                id=row["id"],
                source=row["source"],
                subset=row["subset"],
                group=row["group"],
                messages=(),
                rank=row["rank"],
                meta={"url": row["url"]} if row["url"] else {},
            )
            survivors.append(Survivor(candidate, (row["prompt_key"], row["response_key"]), row["signature"]))
        held_out = list(full_candidates([path], held_out_ids)) if held_out_ids else []
    return survivors + [Survivor(c, ("", ""), None) for c in held_out]


def full_candidates(paths: list[Path], ids: set[str]) -> Iterator[Candidate]:
    """The whole candidates of some shards that are in ``ids``, in shard order: what the parent
    reads back when it needs the chosen examples whole (rows picked by pyarrow, not by Python)."""
    for row in rows_with_ids(paths, ids, [name for name, _ in SURVIVOR_COLUMNS[:7]]):
        yield Candidate.from_row(row)


def texts(paths: list[Path]) -> Iterator[Candidate]:
    """The training survivors (not the held-out ones) with their messages only: what decontamination reads."""
    import json

    for row in rows_with_ids(paths, None, ["id", "messages", "split"]):
        if row["split"] not in HELD_OUT:
            yield Candidate(id=row["id"], source="", subset="", group="", messages=tuple(json.loads(row["messages"])))


def rows_with_ids(paths: list[Path], ids: set[str] | None, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Some columns of the shards' rows whose id is in ``ids`` (every row when None), one batch in memory at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted = pa.array(sorted(ids), pa.string()) if ids is not None else None
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=8192, columns=columns):
            if wanted is not None:
                batch = batch.filter(pc.is_in(batch.column("id"), value_set=wanted))
            yield from batch.to_pylist()


class SurvivorWriter:
    """Survivors with their dedup attributes, computed a batch at a time (MinHash in bulk)."""

    def __init__(self, path: Path, recipe: Recipe):
        self.rows = ParquetRows(path, SURVIVOR_COLUMNS)
        self.dedup = recipe.dedup
        self.pending: list[Candidate] = []

    @property
    def count(self) -> int:
        """Survivors added so far, written or still waiting for their batch."""
        return self.rows.count + len(self.pending)

    def add(self, candidate: Candidate, held_out: bool = False) -> None:
        """Queue a survivor for the next bulk hashing; a held-out one is written at once, with no dedup attributes."""
        if held_out:  # held-out prompts are never deduplicated, only matched against
            self.flush()
            self.rows.add(
                {
                    **candidate.to_row(),
                    "url": candidate.meta.get("url", ""),
                    "split": candidate.meta["split"],
                    "prompt_key": "",
                    "response_key": "",
                    "signature": None,
                }
            )
            return
        self.pending.append(candidate)
        if len(self.pending) >= 1024:
            self.flush()

    def flush(self) -> None:
        """Compute the queued survivors' exact keys and MinHash signatures in bulk, and write them."""
        from .dedup import exact_keys, signature_bytes, signatures

        if not self.pending:
            return
        near = self.dedup.near_threshold > 0
        found = signatures(self.pending, self.dedup.shingle_words, self.dedup.num_perm) if near else [None] * len(self.pending)
        for candidate, signature in zip(self.pending, found):
            prompt_key, response_key = exact_keys(candidate)
            self.rows.add(
                {
                    **candidate.to_row(),
                    "url": candidate.meta.get("url", ""),
                    "split": candidate.meta.get("split", "train"),
                    "prompt_key": prompt_key,
                    "response_key": response_key,
                    "signature": signature_bytes(signature),
                }
            )
        self.pending = []

    def close(self) -> None:
        """Write the queued survivors and finish the shard."""
        self.flush()
        self.rows.close()


def reject_row(candidate: Candidate, decision: Decision) -> dict[str, Any]:
    """A row of ``rejects.parquet``, for a filter's decision in a worker and a cross-unit check's in the build alike."""
    return {
        "id": candidate.id,
        "source": candidate.source,
        "subset": candidate.subset,
        "filter": decision.filter,
        "score": float(decision.score),
        "reason": decision.reason,
        "url": candidate.meta.get("url", ""),
    }


def opening(candidate: Candidate) -> Candidate:
    """What a source's filters judge: the first exchange. A dialogue chain's later turns are short
    comments with rules of their own (see the reader); its question and answer must pass like any
    single-turn example's."""
    if len(candidate.messages) <= 2:
        return candidate
    return dataclasses.replace(candidate, messages=candidate.messages[:2])


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Candidates hold no reference cycles, so while many are made the cyclic collector only
    rescans the growing pile again and again. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- the stage -------------------------------------------------------------------------------------


def extract(unit: Unit, recipe: Recipe, files: tuple[dict[str, Any], ...], shard_dir: Path, key: str) -> Shards:
    """Read, judge and write one unit (in a worker); returns counts and paths only."""
    survivors_path, rejects_path, marker = shard_paths(shard_dir, unit, key)
    survivors_path.parent.mkdir(parents=True, exist_ok=True)
    temp = f".{os.getpid()}.tmp"
    survivors_temp, rejects_temp = (
        survivors_path.with_name(survivors_path.name + temp),
        rejects_path.with_name(rejects_path.name + temp),
    )
    settings = reader_settings(unit, recipe)
    chain = recipe.filters[unit.source].filters if unit.source in recipe.filters else ()
    skipped: Counter = Counter()
    dropped: Counter = Counter()
    unknown: Counter = Counter()
    excluded: Counter = Counter()
    try:
        survivors = SurvivorWriter(survivors_temp, recipe)
        rejects = ParquetRows(rejects_temp, REJECT_COLUMNS)
        with cyclic_gc_paused():
            for candidate in guarded(unit.path, sources.get(unit.source).read(unit.path, settings, recipe.seed, skipped)):
                if candidate.meta.get("split", "train") in HELD_OUT:
                    survivors.add(candidate, held_out=True)
                elif candidate.subset == "unknown":
                    unknown[candidate.group] += 1
                elif candidate.subset == "excluded":
                    excluded[candidate.group] += 1
                else:
                    decision, scores = judge(opening(candidate), chain)
                    if decision is not None:
                        rejects.add(reject_row(candidate, decision))
                        dropped[decision.filter] += 1
                        continue
                    if scores:
                        candidate = dataclasses.replace(candidate, meta={**candidate.meta, "filter_scores": scores})
                    survivors.add(candidate)
        survivors.close()
        rejects.close()
        counts = {
            "format": SHARD_FORMAT,
            "sha256": {"survivors": file_sha256(survivors_temp)[1], "rejects": file_sha256(rejects_temp)[1]},
            "skipped": dict(sorted(skipped.items())),
            "dropped": dict(sorted(dropped.items())),
            "unknown": dict(sorted(unknown.items())),
            "excluded": dict(sorted(excluded.items())),
            "survivors": survivors.count,
            "rejects": rejects.count,
        }
        # Not manifest.atomic_file: the two shards are one cache entry, made valid by the marker written
        # after both (cached_shards); two plain renames keep that order in sight.
        os.replace(survivors_temp, survivors_path)
        os.replace(rejects_temp, rejects_path)
        write_json_atomic(marker, counts)
    except OSError as error:
        raise shard_write_fault(error, shard_dir) or InputError(
            error.filename or survivors_path.parent, error.strerror or str(error)
        ) from None
    finally:
        for path in (survivors_temp, rejects_temp):
            path.unlink(missing_ok=True)
    return Shards(unit, files, survivors_path, rejects_path, counts)


TEMPORARY_SHARDS = ".lima-shards-"  # the prefix of a build's own shard folder (no cache)


def shard_write_fault(error: OSError, shard_dir: Path) -> InputError | None:
    """A full, read-only or forbidden shard folder as one line saying where and what to do: the
    cache folder (``--cache-dir``) or a build's temporary folder (``TMPDIR``); None when the error
    is not the shard folder's (a reader's file, say)."""
    if error.filename is not None and not Path(error.filename).resolve().is_relative_to(Path(shard_dir).resolve()):
        return None
    if Path(shard_dir).name.startswith(TEMPORARY_SHARDS):
        return write_fault(error, shard_dir, "set TMPDIR to a folder on another disk, or pass --cache-dir")
    return write_fault(error, shard_dir, "pass --cache-dir elsewhere, or --no-cache")


def write_json_atomic(path: Path, value: Any) -> None:
    """Canonical JSON through the package's one atomic writer (a marker or memo is never half written)."""
    write_atomic(path, canonical_json(value).encode("utf-8"))

"""``verify``: check a published set against its card, rebuild it from what the card records, and
compare every file.

What is checked, each difference named: the card's recipe against its ``recipe_sha256`` and its
seed; every file of the set against the digest the card holds for it; every input file's bytes and
sha256 against the files on disk; then the rebuild: the manifest (ids added, removed, changed, or
only the line order), dev and test, the rejects (row for row), and the card itself.

Kept apart from ``manifest.py`` (which only names, reads and compares files) because it runs a
whole build.
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import sources
from .build import Execution, Unit, building, check_name
from .contract import digest
from .errors import InputError, write_fault
from .extract import files_of, reader_settings
from .manifest import (
    CARD,
    DEV,
    ELIGIBLE,
    MANIFEST,
    REJECTS,
    RESERVE,
    SAMPLED,
    TEST,
    Drift,
    card_bytes,
    card_path,
    compare,
    file_sha256,
    read_card,
    read_manifest,
)
from .recipe import recipe_from_tables
from .records import canonical_json


@dataclass
class Report:
    """``ok`` only when the rebuild matches byte for byte; otherwise what differs: the manifest's lines
    (``drift``), the inputs (missing or changed files), and anything else of the set."""

    ok: bool
    digest: str
    drift: Drift
    input_problems: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def verify_manifest(manifest: Path, execution: Execution = Execution()) -> Report:
    """Rebuild a set from the recipe and inputs its card records, never from a cache, and compare it
    with the files on disk; a missing input ends the check before any rebuild. ``manifest`` is the
    manifest or the set's folder."""
    manifest = manifest_of(Path(manifest))
    card = read_card(manifest)
    if card.get("imported"):
        raise InputError(
            card_path(manifest), "this manifest was imported from another format; it has no recipe or inputs to rebuild from"
        )
    read_manifest(manifest)  # every line must be an example before lines can be compared by id
    folder = manifest.parent
    checked_card(card, card_path(manifest))
    other = card_problems(card) + set_problems(folder, card)
    units, input_problems, missing = [], [], False
    for record in card["inputs"]:
        path = folder / record["path"]
        kind = file_kind(path)
        if kind == "missing":
            raise InputError(path, f"input recorded in {CARD} is missing ({record['source']})")
        if kind == "other":
            raise InputError(path, f"input recorded in {CARD} is not a regular file or folder; it is not opened")
        for f in record["files"]:
            problem = input_problem((path.parent if kind == "file" else path) / f["name"], f)
            if problem:
                input_problems.append(problem)
                missing = missing or problem.endswith((": missing", NOT_REGULAR))
        units.append(Unit(record["source"], path, record.get("name", "")))
    on_disk = manifest.read_bytes()
    review, review_problem = review_file(folder, card)
    if review_problem:
        input_problems.append(review_problem)
    if missing or review_problem:  # nothing to rebuild from, or not the review the set was built with
        return Report(ok=False, digest=card["digest"], drift=Drift([], [], []), input_problems=input_problems, other=other)

    recipe = recipe_from_tables(card_path(manifest), copy.deepcopy(card["recipe"]))
    for number, unit in enumerate(units, 1):  # a name the registry does not know is never imported
        try:
            sources.get(unit.source)
            if unit.name:  # as a build checks a name given on --input
                check_name(unit.source, unit.name, unit.path, [unit.path])
        except InputError as error:
            raise InputError(
                card_path(manifest), f"card's input {number} ({card['inputs'][number - 1]['path']}): {error.message}"
            ) from None
    for unit in units:  # what the readers will open, whatever the card lists: regular files only
        for file in files_of(unit, reader_settings(unit, recipe)):
            if file_kind(file) == "other":
                raise InputError(file, f"input of {unit.path} is not a regular file; it is not opened")
    rebuild_execution = Execution(execution.executor, execution.workers, execution.ray_address, cache_dir=None)
    allow_short = card.get("allow_short", False)
    with building(recipe, [], folder, rebuild_execution, allow_short=allow_short, units=units, review=review) as rebuilt:
        fresh = rebuilt.outputs
        tables = {name: same_table(folder / name, write, fresh) for name, write in parquet_writers().items()}
    for name, (same, _) in tables.items():
        if not same:
            other.append(f"{name} differs from its rebuild")
    drift = compare(on_disk, fresh.manifest)
    if fresh.manifest != on_disk and not (drift.added or drift.removed or drift.changed):
        other.append(f"{MANIFEST}: the same lines, but the line order changed")
    for name, data in ((RESERVE, fresh.reserve), (SAMPLED, fresh.sampled), (DEV, fresh.dev), (TEST, fresh.test)):
        path = folder / name
        if (path.read_bytes() if path.exists() else b"") != data:
            other.append(f"{name} differs from its rebuild")
    if "ablation" in card:  # what a study says of its variant; the recipe says the rest
        fresh.card["ablation"] = card["ablation"]
    fresh.card["files"] = {
        MANIFEST: digest(fresh.manifest),
        RESERVE: digest(fresh.reserve) if fresh.reserve else None,
        **({SAMPLED: digest(fresh.sampled)} if fresh.sampled else {}),
        DEV: digest(fresh.dev) if fresh.dev else None,
        TEST: digest(fresh.test) if fresh.test else None,
        **{name: sha for name, (_, sha) in tables.items()},
    }
    if card_bytes(fresh.card) != card_bytes(card):
        keys = sorted(k for k in fresh.card.keys() | card.keys() if fresh.card.get(k) != card.get(k))
        other.append(f"{CARD} differs from its rebuild in: {', '.join(keys)}")
    built_by = (card.get("tool") or {}).get("version")
    if built_by != fresh.card["tool"]["version"] and (other or fresh.manifest != on_disk):
        other.append(
            f"built by lima-curate {built_by}, checked with {fresh.card['tool']['version']}: verify with the version "
            f"that built it, or rebuild (CHANGELOG.md says what changed)"
        )
    ok = fresh.manifest == on_disk and not other and not input_problems
    return Report(ok=ok, digest=fresh.card["digest"], drift=drift, input_problems=input_problems, other=other)


def review_file(folder: Path, card: dict) -> tuple[Path | None, str]:
    """The review file a set was built with (the card's ``review.file``, relative to the set's folder),
    and what keeps it from being rebuilt with: missing, or changed since the build (a review file is
    only appended to, so any change is a decision the set does not hold yet)."""
    record = card.get("review")
    if record is None:
        return None, ""
    file = record.get("file") if isinstance(record, dict) else None
    if not isinstance(file, dict) or not all(
        isinstance(file.get(k), t) for k, t in (("path", str), ("bytes", int), ("sha256", str))
    ):
        raise InputError(card_path(folder / MANIFEST), "card's review lacks its file's path, bytes and sha256")
    path = folder / file["path"]
    if file_kind(path) != "file":
        return path, f"{path}: the review file the set was built with is missing"
    size, sha = file_sha256(path)
    if (size, sha) != (file["bytes"], file["sha256"]):
        return path, (
            f"{path}: the review file changed since the build ({size:,} bytes, the card records {file['bytes']:,}; "
            f"sha256 {sha[:12]}, the card {file['sha256'][:12]}): rebuild with it to apply its new decisions"
        )
    return path, ""


def manifest_of(path: Path) -> Path:
    """The manifest of a set given as its file or its folder (one line when the folder holds none)."""
    if not path.is_dir():
        return path
    if not (path / MANIFEST).is_file():
        raise InputError(path, f"no {MANIFEST} in this folder: pass a folder written by `lima-curate build`, or its {MANIFEST}")
    return path / MANIFEST


NOT_REGULAR = ": not a regular file (never opened)"
CARD_INPUT = {"source": str, "path": str, "files": list}
CARD_FILE = {"name": str, "bytes": int, "sha256": str}


def checked_card(card: dict, path: Path) -> None:
    """What a rebuild takes from the card, refused as one line unless it has the shape a build
    writes: the recipe a table, each input a source, a path and its files with names, sizes and
    digests (the source is checked against the registry once the recipe is read: a recipe table of
    an unregistered source is the recipe's error). Nothing of a card is used before this."""
    if not isinstance(card.get("recipe"), dict):
        raise InputError(path, "card's recipe is not a table")
    if not isinstance(card.get("digest"), str):
        raise InputError(path, "card's digest is not a string")
    inputs = card.get("inputs")
    if not isinstance(inputs, list):
        raise InputError(path, "card's inputs are not a list")
    for number, record in enumerate(inputs, 1):
        if not isinstance(record, dict) or any(not isinstance(record.get(k), kind) for k, kind in CARD_INPUT.items()):
            raise InputError(path, f"card's input {number} lacks its source, path or files")
        if not isinstance(record.get("name", ""), str):
            raise InputError(path, f"card's input {number} ({record['path']}) has a name that is not a string")
        for f in record["files"]:
            if not isinstance(f, dict) or any(
                not isinstance(f.get(k), kind) or isinstance(f.get(k), bool) for k, kind in CARD_FILE.items()
            ):
                raise InputError(path, f"card's input {number} ({record['path']}) lists a file without name, bytes and sha256")


def file_kind(path: Path) -> str:
    """``file``, ``folder``, ``missing`` or ``other`` (a FIFO, a device such as /dev/zero, a socket:
    never opened, since reading one can block or never end); links are followed."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "other"
    return "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else "other"


def parquet_writers() -> dict:
    """The set's Parquet files and the writers that rebuild them, the very ones publishing uses."""
    from .publish import write_eligible, write_rejects

    return {REJECTS: write_rejects, ELIGIBLE: write_eligible}


def same_table(path: Path, write, fresh) -> tuple[bool, str]:
    """Whether a Parquet file of the set holds the rebuild's rows, and the digest the rebuilt card
    should record for it (the file's own when the rows match, so another pyarrow's bytes verify)."""
    with temporary_folder() as temp:
        rebuilt = Path(temp) / path.name
        try:
            sha = write(rebuilt, fresh)
        except OSError as error:
            raise temp_fault(error, Path(temp), f"cannot write the rebuilt {path.name}") from None
        if not path.is_file():
            return False, sha
        on_disk = file_sha256(path)[1]
        if on_disk == sha:
            return True, sha
        import pyarrow.parquet as pq

        try:
            same = pq.read_table(path).equals(pq.read_table(rebuilt))
        except Exception:  # not Parquet at all: tampered or damaged
            same = False
        return same, on_disk if same else sha


@contextmanager
def temporary_folder() -> Iterator[str]:
    """A folder for the rebuilt Parquet files, removed after; one that cannot be made is one line."""
    try:
        folder = tempfile.TemporaryDirectory(prefix="lima-verify-")
    except OSError as error:
        raise temp_fault(error, Path(tempfile.gettempdir()), "cannot make a temporary folder") from None
    with folder as temp:
        yield temp


def temp_fault(error: OSError, where: Path, what: str) -> InputError:
    """A full or read-only temporary folder, as one line saying to point TMPDIR elsewhere."""
    return write_fault(error, where, "set TMPDIR to a folder on another disk") or InputError(
        where, f"{what} ({error.strerror or error})"
    )


def card_problems(card: dict) -> list[str]:
    """The card's own fields against each other."""
    problems = []
    recipe = card.get("recipe")
    if hashlib.sha256(canonical_json(recipe).encode("utf-8")).hexdigest() != card.get("recipe_sha256"):
        problems.append(f"{CARD}: the recipe it holds does not match its recipe_sha256")
    if isinstance(recipe, dict) and recipe.get("seed") != card.get("seed"):
        problems.append(f"{CARD}: seed {card.get('seed')!r} differs from its recipe's seed {recipe.get('seed')!r}")
    return problems


def set_problems(folder: Path, card: dict) -> list[str]:
    """Every file of the set against the digest its card records."""
    problems = []
    recorded = card.get("files", {})
    for name in (MANIFEST, RESERVE, SAMPLED, DEV, TEST, REJECTS, ELIGIBLE):
        path = folder / name
        expected = recorded.get(name, card.get("digest") if name == MANIFEST else None)
        if expected is None:
            if path.exists():
                problems.append(f"{name}: present, but the card records no such file")
        elif not path.is_file():
            problems.append(f"{name}: missing (the card records sha256 {expected[:16]})")
        elif file_sha256(path)[1] != expected:
            problems.append(f"{name}: does not match the digest in {CARD}")
    return problems


def input_problem(file: Path, recorded: dict) -> str | None:
    """How an input file differs from the card's record (missing, size, then sha256), or None."""
    kind = file_kind(file)
    if kind != "file":
        return f"{file}{NOT_REGULAR}" if kind != "missing" else f"{file}: missing"
    size, sha = file_sha256(file)
    if size != recorded["bytes"]:
        return f"{file}: {size:,} bytes, the card records {recorded['bytes']:,}"
    if sha != recorded["sha256"]:
        return f"{file}: sha256 differs from the card"
    return None

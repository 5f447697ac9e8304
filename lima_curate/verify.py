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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .build import Execution, Unit, building
from .contract import digest
from .errors import InputError
from .manifest import (
    CARD,
    DEV,
    ELIGIBLE,
    MANIFEST,
    REJECTS,
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
    with the files on disk; a missing input ends the check before any rebuild."""
    manifest = Path(manifest)
    card = read_card(manifest)
    if card.get("imported"):
        raise InputError(
            card_path(manifest), "this manifest was imported from another format; it has no recipe or inputs to rebuild from"
        )
    read_manifest(manifest)  # every line must be an example before lines can be compared by id
    folder = manifest.parent
    other = card_problems(card) + set_problems(folder, card)
    units, input_problems, missing = [], [], False
    for record in card.get("inputs", []):
        path = folder / record["path"]
        if not path.exists():
            raise InputError(path, f"input recorded in {CARD} is missing ({record['source']})")
        for f in record["files"]:
            problem = input_problem((path.parent if path.is_file() else path) / f["name"], f)
            if problem:
                input_problems.append(problem)
                missing = missing or problem.endswith(": missing")
        units.append(Unit(record["source"], path))
    on_disk = manifest.read_bytes()
    if missing:  # nothing to rebuild from
        return Report(ok=False, digest=card["digest"], drift=Drift([], [], []), input_problems=input_problems, other=other)

    recipe = recipe_from_tables(card_path(manifest), copy.deepcopy(card["recipe"]))
    rebuild_execution = Execution(execution.executor, execution.workers, execution.ray_address, cache_dir=None)
    with building(recipe, [], folder, rebuild_execution, allow_short=card.get("allow_short", False), units=units) as rebuilt:
        fresh = rebuilt.outputs
        tables = {name: same_table(folder / name, write, fresh) for name, write in parquet_writers().items()}
    for name, (same, _) in tables.items():
        if not same:
            other.append(f"{name} differs from its rebuild")
    drift = compare(on_disk, fresh.manifest)
    if fresh.manifest != on_disk and not (drift.added or drift.removed or drift.changed):
        other.append(f"{MANIFEST}: the same lines, but the line order changed")
    for name, data in ((DEV, fresh.dev), (TEST, fresh.test)):
        path = folder / name
        if (path.read_bytes() if path.exists() else b"") != data:
            other.append(f"{name} differs from its rebuild")
    if "ablation" in card:  # what a study says of its variant; the recipe says the rest
        fresh.card["ablation"] = card["ablation"]
    fresh.card["files"] = {
        MANIFEST: digest(fresh.manifest),
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


def parquet_writers() -> dict:
    """The set's Parquet files and the writers that rebuild them, the very ones publishing uses."""
    from .publish import write_eligible, write_rejects

    return {REJECTS: write_rejects, ELIGIBLE: write_eligible}


def same_table(path: Path, write, fresh) -> tuple[bool, str]:
    """Whether a Parquet file of the set holds the rebuild's rows, and the digest the rebuilt card
    should record for it (the file's own when the rows match, so another pyarrow's bytes verify)."""
    with tempfile.TemporaryDirectory(prefix="lima-verify-") as temp:
        rebuilt = Path(temp) / path.name
        sha = write(rebuilt, fresh)
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
    for name in (MANIFEST, DEV, TEST, REJECTS, ELIGIBLE):
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
    if not file.is_file():
        return f"{file}: missing"
    size, sha = file_sha256(file)
    if size != recorded["bytes"]:
        return f"{file}: {size:,} bytes, the card records {recorded['bytes']:,}"
    if sha != recorded["sha256"]:
        return f"{file}: sha256 differs from the card"
    return None

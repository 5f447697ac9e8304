"""The build, in named stages: plan the units, extract each (in workers), select across units.

1. ``expand_inputs``: what the user passed -> units (a site, a task folder, a dump pair), sorted.
2. ``extract_units``: per unit, in a worker (``extract.py``, run by ``executors.py``): read, judge
   every candidate, write the unit's survivors and rejects as Parquet shards, which are also the
   cache. Only counts and paths come back.
3. ``select``: in this process, over the survivors only (a few percent of a dump): exact
   duplicates, contamination by dev/test prompts, near duplicates, then quota sampling and, if a
   review file is given, its decisions (``review.py``). Every step
   takes candidates in one fixed order (source, then id), which is what makes the output
   independent of the worker count and the executor.
4. publishing the set is ``publish.py``'s.

``building`` runs 1-3 and is shared by ``build``, ``ablate`` and ``verify``. About 520 lines once
formatted (one argument a line): the stages read best top to bottom in one file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import review as reviewing
from . import sources
from .contract import canonical_json, card, digest, subset_entry
from .dedup import contamination
from .errors import InputError, write_fault
from .executors import run_tasks
from .extract import (
    HELD_OUT,
    TEMPORARY_SHARDS,
    Shards,
    Unit,
    cache_key,
    cached_shards,
    full_candidates,
    hashed_files,
    reader_settings,
    reject_row,
    takes_names,
    texts,
    write_json_atomic,
)
from .filters import Decision
from .lockfile import lock_urls
from .manifest import Outputs, jsonl_bytes
from .recipe import Recipe, Sampling, review_file
from .records import Candidate
from .sampling import draw, ordered_groups, reserve, take_counts
from .survivors import Pools, exact_duplicates, gather, near_duplicates_of, positions_of, without

POOL_BYTES_PER_WORKER = 32 << 20  # below this much uncached input per worker, a pool costs more than it saves


class ShortfallError(Exception):
    """A subset has fewer eligible candidates than its quota."""


@dataclass
class Build:
    """The set to publish, the whole picks by subset (ablations read them), each subset's reserve (the
    next draws beyond its quota, in draw order), shortfalls and warnings to show."""

    outputs: Outputs
    chosen: dict[str, list[Candidate]]
    shortfalls: dict[str, tuple[int, int]] = field(default_factory=dict)  # subset -> (quota, eligible)
    warnings: list[str] = field(default_factory=list)
    reserve: dict[str, list[Candidate]] = field(default_factory=dict)


@dataclass(frozen=True)
class Execution:
    """How the per-unit stage runs: ``workers`` None picks a count from the units and cores."""

    executor: str = "local"
    workers: int | None = None
    ray_address: str | None = None
    cache_dir: Path | None = None


# -- 1. units --------------------------------------------------------------------------------------


def expand_inputs(inputs: Iterable[tuple[str, Path]]) -> list[Unit]:
    """``--input`` pairs -> units in registry order, then path: the order every later stage relies on.
    A source written ``SOURCE:NAME`` names its one unit (``stackexchange:cooking.stackexchange.com``:
    the site of a folder not named after it)."""
    units = set()
    order = sources.names()
    for spec, path in inputs:
        source, _, name = spec.partition(":")
        if source not in order:
            raise InputError(path, f"unknown source {source!r}; known: {', '.join(order)}")
        if Path(path).exists() and not (Path(path).is_file() or Path(path).is_dir()):
            raise InputError(path, "not a regular file or folder (a FIFO, a device or a socket is never opened)")
        found = sources.get(source).units(Path(path))
        if name:
            check_name(source, name, path, found)
        units.update(Unit(source, Path(unit), name.strip().lower()) for unit in found)
    return sorted(units, key=lambda u: (order.index(u.source), u.path.as_posix(), u.name))


def check_name(source: str, name: str, path: Path, units: list[Path]) -> None:
    """A name goes with a source whose units take one, and with one unit: a site's folder or archive."""
    if not takes_names(source):
        raise InputError(path, f"source {source!r} takes no name ({source}:{name}=PATH); only a Stack Exchange site is named")
    if not name.strip() or not name.isprintable() or "/" in name or "=" in name:
        raise InputError(path, f"{name!r} is not a site's host name (e.g. stackexchange:cooking.stackexchange.com=PATH)")
    if len(units) != 1:
        raise InputError(
            path, f"the name {name!r} goes with one site, and this folder holds {len(units)}: pass each site on its own --input"
        )


# -- 2. extraction ---------------------------------------------------------------------------------


def extract_units(
    units: list[Unit],
    recipe: Recipe,
    shard_dir: Path,
    execution: Execution,
    on_done: Callable[[Shards], None] = lambda shards: None,
) -> list[Shards]:
    """Each unit's shards, from the cache where a complete entry exists, else from a worker. With a
    cache folder, a file's sha256 is remembered by size, mtime and inode."""
    found: dict[int, Shards] = {}
    tasks, positions = [], []
    warnings: dict[int, str] = {}
    for position, unit in enumerate(units):
        files = hashed_files(unit, recipe, memo=execution.cache_dir)
        key = cache_key(unit, recipe, files)
        damaged: list[str] = []
        hit = cached_shards(unit, files, shard_dir, key, damaged)
        if hit is not None:
            found[position] = hit
            on_done(hit)
        else:
            tasks.append((unit, recipe, files, shard_dir, key))
            positions.append(position)
            warnings.update({position: damaged[0]} if damaged else {})
    workers = worker_count(execution.workers, tasks)
    for position, shards in zip(positions, run_tasks(tasks, execution.executor, workers, execution.ray_address, on_done)):
        found[position] = dataclasses.replace(shards, warning=warnings[position]) if position in warnings else shards
    return [found[position] for position in range(len(units))]


def worker_count(requested: int | None, tasks: list[tuple]) -> int:
    """What was asked for, or: one per uncached unit, at most one per core and one per
    ``POOL_BYTES_PER_WORKER`` of uncached input, so small or warm builds run without a pool."""
    if requested is not None:
        return requested
    size = sum(f["bytes"] for task in tasks for f in task[2])
    return max(1, min(len(tasks), os.cpu_count() or 1, size // POOL_BYTES_PER_WORKER))


# -- 3. selection ----------------------------------------------------------------------------------


def select(recipe: Recipe, shards: list[Shards], allow_short: bool, review: reviewing.ReviewFile | None = None) -> Build:
    """Stage 3 over the survivors: dedup, decontaminate, sample, then apply the ``review`` file if
    one is given (the draw as sampled is then published too, as ``sampled.jsonl``); ``ShortfallError``
    unless ``allow_short``."""
    pools = gather(shards, recipe.dedup.num_perm if recipe.dedup.near_threshold > 0 else 0)
    rejects: list[dict[str, Any]] = []

    def reject(candidate: Candidate, decision: Decision) -> None:
        rejects.append(reject_row(candidate, decision))
        pools.dropped[f"{candidate.source}/{decision.filter}"] += 1

    by_subset = deduplicated(recipe, shards, pools, reject)
    chosen, eligible, shortfalls, reserves = sample(recipe, by_subset)
    records = review.records if review is not None else []
    wanted = {c.id for p in [*chosen.values(), *reserves.values()] for c in p} | reviewing.wanted(records)
    whole = {c.id: c for c in full_candidates([s.survivors for s in shards], wanted)}
    chosen = {subset: [whole[c.id] for c in picks] for subset, picks in chosen.items()}
    reserves = {subset: [whole[c.id] for c in picks] for subset, picks in reserves.items()}
    reviewed, sampled = None, b""
    if review is not None:
        sampled = jsonl_bytes(c.manifest_line() for subset in sources.subsets() for c in chosen.get(subset, []))
        pool = {c.id: whole.get(c.id, c) for candidates in by_subset.values() for c in candidates}
        reviewed = reviewing.apply(review.path, records, chosen, reserves, pool)
        chosen = reviewed.chosen
    places = eligible_rows(recipe, by_subset, chosen)
    if shortfalls and not allow_short:
        (subset, (quota, have)), *others = shortfalls.items()
        also = "".join(f"; {s} is short too ({n} of {q})" for s, (q, n) in others)
        raise ShortfallError(
            f"subset {subset} needs {quota} examples but only {have} are eligible "
            f"(short by {quota - have}){also}; add inputs, lower [quotas] {subset}, or pass --allow-short"
        )

    warnings = [s.warning for s in shards if s.warning]
    warnings += [empty_unit_line(s, recipe) for s in shards if not s.counts["survivors"]]
    warnings += uncategorised_warnings(recipe, by_subset.get("wikihow", []))
    warnings += reviewed.warnings if reviewed else []
    manifest = jsonl_bytes(c.manifest_line() for subset in sources.subsets() for c in chosen.get(subset, []))
    reserve_bytes = jsonl_bytes(c.manifest_line() for subset in sources.subsets() for c in reserves.get(subset, []))
    dev = jsonl_bytes(c.manifest_line() for c in sorted(pools.held_out["dev"], key=lambda c: c.id))
    test = jsonl_bytes(c.manifest_line() for c in sorted(pools.held_out["test"], key=lambda c: c.id))
    rejects.sort(key=lambda r: r["id"])
    built = card(
        name=recipe.name,
        version=recipe.version,
        seed=recipe.seed,
        recipe=recipe.resolved,
        recipe_sha256=recipe.sha256,
        subsets={subset: subset_entry(picks, recipe.quotas.get(subset, 0), eligible[subset]) for subset, picks in chosen.items()},
        manifest=manifest,
        total=sum(len(p) for p in chosen.values()),
        allow_short=allow_short,
        shortfalls={s: {"quota": q, "eligible": n} for s, (q, n) in shortfalls.items()},
        rejects=dict(sorted(pools.dropped.items())),
        unknown_sites=dict(sorted(pools.unknown_sites.items())),
        excluded_sites=dict(sorted(pools.excluded_sites.items())),
        held_out={split: len(pools.held_out[split]) for split in HELD_OUT},
        **({"review": review_record(review, reviewed)} if review is not None and reviewed else {}),
    )
    outputs = Outputs(
        manifest=manifest,
        dev=dev,
        test=test,
        card=built,
        reject_shards=[s.rejects for s in shards],
        rejects=rejects,
        eligible=places,
        reserve=reserve_bytes,
        sampled=sampled,
    )
    return Build(outputs=outputs, chosen=chosen, shortfalls=shortfalls, warnings=warnings, reserve=reserves)


def review_record(review: reviewing.ReviewFile, reviewed: reviewing.Applied) -> dict[str, Any]:
    """The card's ``review``: the file applied (its path made relative to the output folder by
    ``building``), its size and sha256, the counts per action and the stale edits."""
    return {
        "file": {"path": str(review.path), "bytes": len(review.data), "sha256": digest(review.data)},
        "counts": reviewed.counts,
        "stale": reviewed.stale,
    }


def deduplicated(
    recipe: Recipe, shards: list[Shards], pools: Pools, reject: Callable[[Candidate, Decision], None]
) -> dict[str, list[Candidate]]:
    """The checks across units, over the survivors' columns in the build's order: exact duplicates,
    contamination by dev/test prompts, near duplicates. What is left comes back by subset as light
    candidates; the columns and the signature matrix are let go first (the pool is emptied)."""
    survivors, pools.kept = pools.kept, None
    survivors = without(survivors, exact_duplicates(survivors), reject)
    if recipe.decontam.threshold > 0 and any(pools.held_out.values()):
        leaks: dict[str, Decision] = {}
        for s in shards:
            leaks.update(unit_contamination(s, pools.held_out, recipe))
        survivors = without(survivors, {p: leaks[i] for p, i in positions_of(survivors, set(leaks)).items()}, reject)
    survivors = without(survivors, near_duplicates_of(survivors, recipe.dedup.near_threshold), reject)
    survivors.signatures = None
    by_subset: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in survivors.candidates():
        by_subset[candidate.subset].append(candidate)
    return by_subset


EMPTY_COUNTS = ("skipped", "dropped", "unknown", "excluded")


def empty_unit_line(shards: Shards, recipe: Recipe) -> str:
    """The warning for a unit that gave no eligible candidate: its source's ``why_empty(unit, counts)``
    (given the unit's reader settings too when it takes a third parameter), else what its records went to."""
    counts = {name: dict(shards.counts[name]) for name in EMPTY_COUNTS}
    why = getattr(sources.get(shards.unit.source), "why_empty", None)
    if why is not None:
        takes_settings = len(inspect.signature(why).parameters) > 2
        line = (
            why(shards.unit.path, counts, reader_settings(shards.unit, recipe))
            if takes_settings
            else why(shards.unit.path, counts)
        )
        if line:
            return line
    parts = [
        f"{sum(counts[name].values()):,} {what} ({', '.join(f'{k} {n:,}' for k, n in sorted(counts[name].items()))})"
        for name, what in (
            ("skipped", "skipped"),
            ("dropped", "dropped by a filter"),
            ("unknown", "in a group the recipe does not know"),
            ("excluded", "excluded by the recipe"),
        )
        if counts[name]
    ]
    said = "; ".join(parts) or "the reader found no record it takes in it"
    return f"{shards.unit.path}: no eligible candidate ({shards.unit.source}): {said}; see docs/sources/{shards.unit.source}.md"


def sample(
    recipe: Recipe, by_subset: dict[str, list[Candidate]]
) -> tuple[dict[str, list[Candidate]], dict[str, int], dict[str, tuple[int, int]], dict[str, list[Candidate]]]:
    """Each subset's picks (sorted by id), its eligible count, the subsets that fell short, and its
    reserve: the next ``[review] reserve`` draws, in draw order."""
    chosen: dict[str, list[Candidate]] = {}
    eligible: dict[str, int] = {}
    shortfalls = {}
    reserves: dict[str, list[Candidate]] = {}
    for subset in sources.subsets():
        quota = recipe.quotas.get(subset, 0)
        if quota == 0:
            continue
        pool = not_chosen_yet(by_subset.get(subset, []), chosen)
        eligible[subset] = len(pool)
        how = recipe.sampling.get(subset) or Sampling()
        picks = take_counts(pool, how, recipe.seed, subset) if how.counts else draw(pool, quota, how, recipe.seed, subset)
        if len(picks) < quota:
            shortfalls[subset] = (quota, len(picks))
        chosen[subset] = sorted(picks, key=lambda c: c.id)
        reserves[subset] = reserve(pool, quota, recipe.review.reserve, how, recipe.seed, subset)
    return chosen, eligible, shortfalls, reserves


def unit_contamination(shards: Shards, held_out: dict[str, list[Candidate]], recipe: Recipe) -> dict[str, Decision]:
    """Which of a unit's survivors contain a dev or test prompt. A decision depends on the survivor
    and the held-out prompts alone, so it is kept beside the unit's shards, keyed by those prompts
    and the settings: a warm rebuild reads it instead of scanning every survivor's text again."""
    n, threshold = recipe.decontam.ngram, recipe.decontam.threshold
    material = canonical_json([n, threshold, sorted((c.id, c.prompt) for split in HELD_OUT for c in held_out.get(split, []))])
    key = hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
    path = shards.survivors.with_name(shards.survivors.name.replace(".survivors.parquet", f".contamination-{key}.json"))
    try:
        known = json.loads(path.read_bytes())
        return {i: Decision(False, "contamination", float(score), str(reason)) for i, (score, reason) in known.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        pass  # none yet, or damaged: scanned again and rewritten, never trusted
    found = contamination(texts([shards.survivors]), held_out, n, threshold)
    try:
        write_json_atomic(path, {i: [d.score, d.reason] for i, d in sorted(found.items())})
    except OSError:
        pass  # a read-only cache only costs the scan next time
    return found


def eligible_rows(
    recipe: Recipe, by_subset: dict[str, list[Candidate]], chosen: dict[str, list[Candidate]]
) -> list[dict[str, Any]]:
    """Where each eligible candidate stood: its place in its group's order, and whether it was drawn."""
    drawn = {c.id for picks in chosen.values() for c in picks}
    rows = []
    for subset in sorted(by_subset):
        how = recipe.sampling.get(subset) or Sampling()
        for group, members in ordered_groups(by_subset[subset], how, recipe.seed, subset).items():
            rows += [
                {
                    "id": c.id,
                    "subset": subset,
                    "group": group,
                    "rank": float(c.rank),
                    "position": place,
                    "group_size": len(members),
                    "chosen": c.id in drawn,
                }
                for place, c in enumerate(members, 1)
            ]
    return rows


def uncategorised_warnings(recipe: Recipe, pool: list[Candidate]) -> list[str]:
    """wikiHow articles without a top-level category form a group of their own, drawn like one of
    the 19 categories: worth saying, since LIMA draws uniformly over the 19 only."""
    settings = recipe.sources.get("wikihow")
    buckets = {settings.unknown_category, settings.csv_category} - {""} if settings else set()
    counts = Counter(c.group for c in pool if c.group in buckets)
    return [
        f"{n} wikiHow articles have no top-level category; they are drawn as one more category, {group!r} "
        f"(docs/sources/wikihow.md)"
        for group, n in sorted(counts.items())
        if recipe.quotas.get("wikihow")
    ]


def not_chosen_yet(pool: list[Candidate], chosen: dict[str, list[Candidate]]) -> list[Candidate]:
    """A thread already chosen in an earlier subset is not drawn again (a dialogue chain extends a
    Stack Exchange answer that may already be in the build as a single-turn example)."""
    taken = {c.meta["url"] for picks in chosen.values() for c in picks if c.meta.get("url")}
    return [c for c in pool if not (c.meta.get("url") and c.meta["url"] in taken)] if taken else pool


# -- the whole build -------------------------------------------------------------------------------


def as_given(path: Path) -> Path:
    """A unit's absolute path with its last two names as the user gave them (a link kept, not
    followed) and the folders above resolved: a site is told by its folder's or archive's name, so a
    link named after the host must stay that name for ``verify``, and a relative path from the
    output folder stays right whatever links lie above either."""
    path = path.absolute()
    if path.name in ("", ".", ".."):
        return path.resolve()
    if path.parent.name in ("", ".", ".."):  # out/../site: the folder above is resolved as the system would
        return Path(os.path.realpath(path.parent)) / path.name
    return Path(os.path.realpath(path.parent.parent)) / path.parent.name / path.name


def inputs_record(shards: list[Shards], relative_to: Path) -> list[dict[str, Any]]:
    """The card's inputs: what the user passed (relative to the output folder, links as given), its
    name when the user named it, and every file read."""
    urls = lock_urls(s.unit.path for s in shards)
    records = []
    for s in shards:
        base = s.unit.path.parent if s.unit.path.is_file() else s.unit.path
        records.append(
            {
                "source": s.unit.source,
                "path": os.path.relpath(as_given(s.unit.path), relative_to.resolve()).replace(os.sep, "/"),
                **({"name": s.unit.name} if s.unit.name else {}),
                "files": [
                    {
                        "name": os.path.relpath(f["path"], base).replace(os.sep, "/"),
                        "bytes": f["bytes"],
                        "sha256": f["sha256"],
                        **({"url": urls[f["sha256"]]} if f["sha256"] in urls else {}),
                    }
                    for f in s.files
                ],
                "skipped": s.counts["skipped"],
            }
        )
    return records


@contextmanager
def shard_folder(execution: Execution, near: Path) -> Iterator[Path]:
    """The cache folder, or a folder for this build alone (removed after it). Ray's workers may
    run on other nodes, so theirs sits beside the output folder rather than in this node's /tmp."""
    if execution.cache_dir is not None:
        yield execution.cache_dir
        return
    parent = near if execution.executor == "ray" else None
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=TEMPORARY_SHARDS, dir=parent))
    except OSError as error:
        where = parent or Path(tempfile.gettempdir())
        raise write_fault(error, where, "set TMPDIR to a folder on another disk, or pass --cache-dir") or InputError(
            where, f"cannot make a folder for the shards ({error.strerror})"
        ) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def extracted(
    recipe: Recipe,
    units: list[Unit],
    execution: Execution,
    near: Path,
    on_done: Callable[[Shards], None] = lambda shards: None,
) -> Iterator[list[Shards]]:
    """Every unit's shards, valid inside the block (shards of a build without a cache are removed after it)."""
    with shard_folder(execution, near) as folder:
        yield extract_units(units, recipe, folder, execution, on_done)


@contextmanager
def building(
    recipe: Recipe,
    inputs: list[tuple[str, Path]],
    out_dir: Path,
    execution: Execution = Execution(),
    allow_short: bool = False,
    on_units: Callable[[list[Unit]], None] = lambda units: None,
    on_done: Callable[[Shards], None] = lambda shards: None,
    units: list[Unit] | None = None,
    review: Path | None = None,
) -> Iterator[Build]:
    """Build from what the user passed (``inputs``) or, for ``verify``, from the very units a card
    records (``units``), applying ``review`` if given. The result is valid inside the block: its
    rejects live in the shards."""
    units = expand_inputs(inputs) if units is None else units
    loaded = reviewing.load(review) if review is not None else None  # a bad one stops the build before extraction
    on_units(units)
    with extracted(recipe, units, execution, out_dir.parent, on_done) as shards:
        result = select(recipe, shards, allow_short, loaded)
        result.outputs.card["inputs"] = inputs_record(shards, out_dir)
        if "review" in result.outputs.card and review is not None:
            relative = os.path.relpath(as_given(review), out_dir.resolve()).replace(os.sep, "/")
            result.outputs.card["review"]["file"]["path"] = relative
        result.outputs.memo_dir = execution.cache_dir
        yield result


def run_build(
    recipe: Recipe,
    inputs: list[tuple[str, Path]],
    out_dir: Path,
    execution: Execution = Execution(),
    allow_short: bool = False,
    review: Path | None = None,
    **progress: Any,
) -> Build:
    """Build and publish the set into ``out_dir`` (held against a second build while it runs),
    applying ``review`` or else the review file the recipe names."""
    from .publish import locked, write_set

    review = review if review is not None else review_file(recipe)
    with locked(out_dir), building(recipe, inputs, out_dir, execution, allow_short, review=review, **progress) as result:
        write_set(out_dir, result.outputs)
    return result

"""Every unit's survivors as columns: what the parent holds while it deduplicates across units.

On Stack Overflow a build keeps over a million survivors past the filters. Held as one Python
object each (a candidate, its meta dict, its keys tuple, its signature bytes, its id in three
dicts) they cost ~4.5 KB apiece, most of a build's memory. Here they are Arrow columns (strings
stored once per row, group names once per shard) and one matrix of MinHash signatures (uint32,
``num_perm`` a row); a ``Candidate`` is made only for what needs one: a survivor that reaches
sampling, one dropped (for its rejects row), one compared as an exact duplicate. Every decision
is the one the per-object steps made, in the same order (source, then id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import sources
from .dedup import duplicate_of, near_duplicate_decision, near_duplicate_rows
from .errors import InputError
from .extract import HELD_OUT, LIGHT_COLUMNS, Shards, full_candidates
from .filters import Decision
from .records import Candidate

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

TABLE_COLUMNS = [name for name in LIGHT_COLUMNS if name != "signature"]
SIGNATURE_BATCH = 65536  # signatures converted at a time (a binary batch is 1 KB a row at num_perm 128)


@dataclass
class Survivors:
    """The training survivors of every unit, in the build's order (source, then id): their light
    columns (``TABLE_COLUMNS``, plus ``signature_row``: the row of ``signatures`` holding each one's
    MinHash, -1 for none) and the signature matrix, in the order the shards were read."""

    table: pa.Table
    signatures: np.ndarray | None

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> pa.Array:
        """One column as a single array (cheap to index)."""
        return self.table.column(name).combine_chunks()

    def candidates(self, positions: np.ndarray | None = None) -> list[Candidate]:
        """Light candidates (no messages; meta only the url) for the rows at ``positions`` (all when
        None), their group, subset and source strings shared."""
        import pyarrow as pa

        table = self.table if positions is None else self.table.take(pa.array(positions, pa.int64()))
        shared: dict[str, str] = {}
        strings = {
            name: [shared.setdefault(v, v) for v in table.column(name).to_pylist()] for name in ("source", "subset", "group")
        }
        return [
            Candidate(id=i, source=s, subset=b, group=g, messages=(), rank=r, meta={"url": u} if u else {})
            for i, s, b, g, r, u in zip(
                table.column("id").to_pylist(),
                strings["source"],
                strings["subset"],
                strings["group"],
                table.column("rank").to_pylist(),
                table.column("url").to_pylist(),
            )
        ]

    def keep(self, mask: np.ndarray) -> Survivors:
        """The rows where ``mask`` is true, in the same order (the signature matrix is shared)."""
        import pyarrow as pa

        return Survivors(self.table.filter(pa.array(mask)), self.signatures)


@dataclass
class Pools:
    """The survivors of every unit, in the build's fixed order, and what the units counted."""

    kept: Survivors | None  # None once the checks across units have taken it
    held_out: dict[str, list[Candidate]]
    dropped: Counter  # "source/filter" -> candidates dropped
    unknown_sites: Counter
    excluded_sites: Counter


def gather(shards: list[Shards], num_perm: int) -> Pools:
    """Read every unit's survivors back into one pool, refusing an id two inputs share; their
    signatures (``num_perm`` values each) too, unless ``num_perm`` is 0 (no near dedup)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    held_out: dict[str, list[Candidate]] = {split: [] for split in HELD_OUT}
    dropped: Counter = Counter()
    unknown: Counter = Counter()
    excluded: Counter = Counter()
    files = [pq.ParquetFile(s.survivors) for s in shards]  # read_table would import pyarrow.dataset (and pandas)
    total = sum(f.metadata.num_rows for f in files)
    matrix = np.zeros((total, num_perm), dtype=np.uint32) if num_perm else None
    signed = np.zeros(total, dtype=bool)  # which rows of the matrix hold a signature
    wide: list[np.ndarray] = []  # signatures that did not fit uint32 (none from datasketch): kept exact
    tables, ids_in_order, order = [], [], sources.names()
    at = 0
    for s, shard in zip(shards, files):
        table = shard.read(columns=TABLE_COLUMNS)
        rows = np.arange(at, at + table.num_rows, dtype=np.int64)
        if matrix is not None:
            read_signatures(shard, matrix, signed, at, wide)
        at += table.num_rows
        rows[~signed[rows]] = -1
        held = pc.is_in(table.column("split"), value_set=pa.array(HELD_OUT)).to_numpy(zero_copy_only=False)
        held_ids = set(table.column("id").filter(pa.array(held)).to_pylist()) if held.any() else set()
        whole = list(full_candidates([s.survivors], held_ids)) if held_ids else []
        for candidate in whole:
            held_out[candidate.meta["split"]].append(candidate)
        train = table.filter(pa.array(~held))
        ranks = [order.index(name) for name in train.column("source").to_pylist()] if train.num_rows else []
        train = train.append_column("source_rank", pa.array(ranks, pa.int32())).append_column(
            "signature_row", pa.array(rows[~held], pa.int64())
        )
        tables.append(train)
        ids_in_order.append((s, train.column("id"), [c.id for c in whole]))
        dropped.update({f"{s.unit.source}/{name}": n for name, n in s.counts["dropped"].items()})
        unknown.update(s.counts["unknown"])
        excluded.update(s.counts["excluded"])
    refuse_shared_ids(ids_in_order)
    if wide:
        raise InputError(shards[0].survivors, "a MinHash signature holds a value of 2**32 or more (not datasketch's)")
    whole_table = pa.concat_tables(tables) if tables else pa.table({})
    if whole_table.num_rows:
        whole_table = whole_table.sort_by([("source_rank", "ascending"), ("id", "ascending")])  # UTF-8 order is str order
    return Pools(Survivors(whole_table, matrix), held_out, dropped, unknown, excluded)


def read_signatures(shard: Any, matrix: np.ndarray, signed: np.ndarray, start: int, wide: list[np.ndarray]) -> None:
    """Fill ``matrix`` from row ``start`` on with the shard's signatures, a batch at a time (never
    the whole binary column in memory), marking in ``signed`` the rows that have one."""
    import numpy as np

    num_perm = matrix.shape[1]
    for batch in shard.iter_batches(batch_size=SIGNATURE_BATCH, columns=["signature"]):
        column = batch.column(0)
        n = len(column)
        offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset : column.offset + n + 1]
        lengths = np.diff(offsets)
        filled = lengths == 8 * num_perm
        if not np.all(filled | (lengths == 0)):
            raise ValueError(f"signatures of {sorted(set(lengths.tolist()))} bytes in a shard of num_perm {num_perm}")
        if filled.any():
            count = int(filled.sum()) * num_perm
            data = np.frombuffer(column.buffers()[2], dtype="<u8", count=count, offset=int(offsets[0])).reshape(-1, num_perm)
            if int(data.max()) >= 1 << 32:
                wide.append(data)
            elif filled.all():
                matrix[start : start + n] = data  # cast on assignment: no uint32 copy in between
                signed[start : start + n] = True
            else:
                matrix[start + np.flatnonzero(filled)] = data
                signed[start + np.flatnonzero(filled)] = True
        start += n


def refuse_shared_ids(ids_in_order: list[tuple[Shards, pa.ChunkedArray, list[str]]]) -> None:
    """Ids key everything downstream: two inputs (or one twice) must never give the same one. The
    first id met again, in unit order, is named with the unit that gave it first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    everything = [pa.array(extra, pa.string()) for _, _, extra in ids_in_order] + [
        chunk for _, ids, _ in ids_in_order for chunk in ids.chunks
    ]
    total = sum(len(chunk) for chunk in everything)
    if not total or len(pc.unique(pa.chunked_array(everything, pa.string()))) == total:
        return
    first: dict[str, Path] = {}
    for s, ids, extra in ids_in_order:
        for candidate_id in [*ids.to_pylist(), *extra]:
            if candidate_id in first:
                raise InputError(s.unit.path, f"example id {candidate_id!r} is also given by {first[candidate_id]}")
            first[candidate_id] = s.unit.path


def exact_duplicates(survivors: Survivors) -> dict[int, Decision]:
    """Position -> why it is dropped, for each survivor whose prompt or response key an earlier kept
    one has (``dedup.duplicate_of``). Only survivors sharing a key with another can be dropped or
    matter to one, so only those are made candidates and walked, in order."""
    import numpy as np

    n = len(survivors)
    involved = np.zeros(n, dtype=bool)
    columns = {}
    for name in ("prompt_key", "response_key"):
        column = survivors.column(name)
        encoded = column.dictionary_encode()
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        counts = np.bincount(indices, minlength=len(encoded.dictionary)) if n else np.zeros(0, dtype=np.int64)
        shared = counts[indices] > 1 if n else np.zeros(0, dtype=bool)
        empty = [i for i, value in enumerate(encoded.dictionary.to_pylist()) if value == ""]
        if empty:
            shared &= indices != empty[0]
        involved |= shared
        columns[name] = column
    positions = np.flatnonzero(involved)
    if not len(positions):
        return {}
    candidates = survivors.candidates(positions)
    prompts = columns["prompt_key"].take(positions).to_pylist()
    responses = columns["response_key"].take(positions).to_pylist()
    seen: dict[str, Candidate] = {}
    found = {}
    for position, candidate, prompt, response in zip(positions.tolist(), candidates, prompts, responses):
        decision = duplicate_of(candidate, seen, (prompt, response))
        if decision is not None:
            found[position] = decision
    return found


def near_duplicates_of(survivors: Survivors, threshold: float) -> dict[int, Decision]:
    """Position -> why it is dropped, for each near duplicate of an earlier kept survivor
    (``dedup.near_duplicate_rows`` over the signature matrix)."""
    if threshold <= 0 or survivors.signatures is None or len(survivors) < 2:
        return {}
    rows = survivors.column("signature_row").to_numpy()
    urls, subsets, ids = survivors.column("url"), survivors.column("subset"), survivors.column("id")

    def twins_at(a: int, b: int) -> bool:
        url = urls[a].as_py()
        return bool(url) and url == urls[b].as_py() and subsets[a].as_py() != subsets[b].as_py()

    found = near_duplicate_rows(survivors.signatures, rows, threshold, twins_at)
    return {p: near_duplicate_decision(ids[q].as_py(), similarity, threshold) for p, (q, similarity) in found.items()}


def positions_of(survivors: Survivors, ids: set[str]) -> dict[int, str]:
    """Position -> id of the survivors whose id is in ``ids``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not ids or not len(survivors):
        return {}
    column = survivors.column("id")
    mask = pc.is_in(column, value_set=pa.array(sorted(ids), pa.string())).to_numpy(zero_copy_only=False)
    positions = np.flatnonzero(mask)
    return dict(zip(positions.tolist(), column.take(positions).to_pylist()))


def without(survivors: Survivors, decisions: dict[int, Decision], reject: Callable[[Candidate, Decision], None]) -> Survivors:
    """The survivors without those a check decided against (by position); each of those goes to the rejects."""
    import numpy as np

    if not decisions:
        return survivors
    positions = np.array(sorted(decisions), dtype=np.int64)
    for position, candidate in zip(positions.tolist(), survivors.candidates(positions)):
        reject(candidate, decisions[position])
    mask = np.ones(len(survivors), dtype=bool)
    mask[positions] = False
    return survivors.keep(mask)

"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path


def parquet_rows(path: Path) -> list[dict]:
    """Every row of a Parquet file of a set (rejects.parquet, eligible.parquet), as dicts."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()

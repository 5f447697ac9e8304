"""Helpers shared by the tests: the repository root, the two ways to run the command line, reading a
source the way a build does, reading a set's files, and a small disk to fill."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The shipped sample dumps as `--input` values, as the Makefile's SAMPLE_INPUTS gives them to build.
SAMPLE_INPUTS = [
    f"{source}={ROOT / path}"
    for source, path in (
        ("stackexchange", "samples/stackexchange"),
        ("wikihow", "samples/wikihow"),
        ("writingprompts", "samples/writingprompts"),
        ("superni", "samples/superni"),
        ("authored", "samples/authored/examples.jsonl"),
    )
]
LIMA_RECIPE = ROOT / "filters" / "lima.toml"


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, **kwargs: Any) -> subprocess.CompletedProcess:
    """``lima-curate ARGS`` in a fresh interpreter, as a user runs it (exit code, stdout, stderr)."""
    full_env = {**os.environ, "LIMA_DATA": str(Path(cwd or ROOT) / "data"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "lima_curate.cli", *args], cwd=cwd, env=full_env, capture_output=True, text=True, **kwargs
    )


def run_cli(*args: str, catch_exceptions: bool = True):
    """``lima-curate ARGS`` in this process (Typer's runner): fast, and tracebacks stay visible.
    Tables are rendered 160 columns wide: the console is made at import, before a runner's COLUMNS."""
    from typer.testing import CliRunner

    from lima_curate import cli as app_module

    app_module.console.width = 160
    return CliRunner(env={"COLUMNS": "160"}).invoke(app_module.app, list(args), catch_exceptions=catch_exceptions)


@cache
def recipe_settings(source: str) -> Any:
    """A reader's settings as LIMA's recipe (filters/lima.toml) makes them: reader tests run with
    what builds use, not with the dataclass defaults."""
    from lima_curate.recipe import load_recipe

    return load_recipe(LIMA_RECIPE).sources[source]


def read_source(source: str, unit: Path, settings: Any = None, seed: int = 7) -> tuple[list, Counter]:
    """Every candidate a registered source reads from one unit, and what it skipped."""
    from lima_curate import sources

    skipped: Counter = Counter()
    reader = sources.get(source)
    return list(reader.read(unit, settings if settings is not None else recipe_settings(source), seed, skipped)), skipped


def parquet_rows(path: Path) -> list[dict]:
    """Every row of a Parquet file of a set (rejects.parquet, eligible.parquet), as dicts."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``512k``, ``1m``) mounted at ``folder``: a disk the tests can fill or
    remount read-only. These machines let the tests mount one; elsewhere the test says why it skips."""
    folder.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A 512 KiB file system at tmp_path/disk."""
    with tmpfs(tmp_path / "disk", "512k") as mount:
        yield mount

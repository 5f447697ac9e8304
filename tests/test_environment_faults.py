"""The environment and the card under faults: a full disk, a file over the size limit, a read-only
or forbidden folder, anywhere in build, verify, export and import, give one line naming the path and
what to do, and leave nothing half written; a card that names an unknown source or points an input
at a FIFO, a device or a socket is one line, and nothing it names is opened.

Most cases run in process (Typer's runner), a second or less each; those that need a process of
their own (fewer capabilities, a file size limit, a FIFO that would block) run the command line."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, tmpfs

QUOTAS = "[quotas]\nse_stem = 0\nse_other = 0\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 3\n"


def command(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lima_curate.cli", *args], capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A recipe and a copy of the authored sample (a card's input paths are relative to its set)."""
    root = tmp_path_factory.mktemp("environment")
    (root / "authored").mkdir()
    shutil.copy(ROOT / "samples" / "authored" / "examples.jsonl", root / "authored" / "examples.jsonl")
    (root / "recipe.toml").write_text(
        f'schema = 2\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "env"\nversion = "1"\n{QUOTAS}'
    )
    return root


def build_args(inputs: Path, out: Path, *extra: str) -> list[str]:
    """A build of the authored copy, with no cache unless ``extra`` names one (never the repository's)."""
    cache = [] if "--cache-dir" in extra else ["--no-cache"]
    recipe, source = str(inputs / "recipe.toml"), f"authored={inputs / 'authored'}"
    return ["build", "--recipe", recipe, "--input", source, "--out", str(out), *cache, *extra]


def one_line(result, code: int = 2) -> str:
    """The result's stderr, asserted to be exactly one ``error:`` line and the exit status ``code``."""
    stderr = result.stderr
    status = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert status == code, (getattr(result, "exception", None), stderr)
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    return stderr


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def leftovers(folder: Path) -> list[str]:
    """Whatever a failed command left under ``folder``: temporary files, staging or shard folders."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name or "staging" in p.name or "lima-" in p.name
    )


@pytest.fixture
def disk(tmp_path):
    """A 1 MiB tmpfs at tmp_path/disk (``fill`` leaves it nearly full)."""
    with tmpfs(tmp_path / "disk", "1m") as mount:
        yield mount


def fill(disk: Path, keep: int = 4096) -> None:
    """Leave ``keep`` bytes free on ``disk``."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"\0" * max(0, free - keep))


@pytest.fixture(scope="module")
def published(inputs) -> Path:
    out = inputs / "out"
    result = run_cli(*build_args(inputs, out))
    assert result.exit_code == 0, (result.exception, result.stderr)
    return out


# -- a full disk, a size limit, a read-only or forbidden folder -------------------------------------


def test_a_full_cache_folder_is_one_line_and_the_previous_set_stays(inputs, published, disk):
    before = contents(published)
    fill(disk)
    said = one_line(run_cli(*build_args(inputs, published, "--cache-dir", str(disk / "cache"), "--seed", "5")))
    assert (
        said
        == f"error: {disk / 'cache'}: no space left on device writing here: free space or pass --cache-dir elsewhere, or --no-cache\n"
    )
    assert contents(published) == before
    assert leftovers(disk) == [] and not list((disk / "cache" / "authored").glob("*"))  # no entry, no half shard


def test_a_full_temporary_folder_in_verify_is_one_line(published, disk, monkeypatch):
    fill(disk)
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    said = one_line(run_cli("verify", str(published / "manifest.jsonl")))
    assert said.startswith(f"error: {disk}") and "no space left on device writing here" in said, said
    assert said.endswith("set TMPDIR to a folder on another disk, or pass --cache-dir\n") or said.endswith(
        "set TMPDIR to a folder on another disk\n"
    ), said
    assert leftovers(disk) == []


def test_export_and_import_onto_a_full_disk_are_one_line_and_leave_nothing(published, disk):
    fill(disk, keep=0)
    said = one_line(run_cli("export", str(published / "manifest.jsonl"), "--to", "gair", "--out", str(disk / "lima.jsonl")))
    assert said == f"error: {disk / 'lima.jsonl'}: no space left on device writing here: free space or pass --out elsewhere\n"
    said = one_line(run_cli("import", str(published / "manifest.jsonl"), "--out", str(disk / "imported")))
    assert said.startswith(f"error: {disk / 'imported'}") and "no space left on device writing here: free space" in said
    assert sorted(p.name for p in disk.rglob("*")) in (["filler"], ["filler", "imported"])  # at most an empty folder
    assert not any((disk / "imported").glob("*")) if (disk / "imported").exists() else True


def test_a_read_only_output_folder_is_one_line_and_the_previous_set_stays(inputs, disk):
    out = disk / "out"
    assert run_cli(*build_args(inputs, out)).exit_code == 0
    before = contents(out)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    said = one_line(run_cli(*build_args(inputs, out, "--seed", "5")))
    assert (
        said.startswith(f"error: {disk}")
        and "read-only file system writing here: remount it read-write or pass --out elsewhere" in said
    )
    assert contents(out) == before


def test_a_file_over_the_size_limit_is_one_line_and_leaves_nothing(inputs, published, tmp_path):
    """RLIMIT_FSIZE (``ulimit -f``) makes every write past it EFBIG, root or not."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal that would kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    before = contents(published)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    said = one_line(command(*build_args(inputs, published, "--seed", "5"), preexec_fn=limited, env=env))
    assert "file too large for this file system or limit writing here: raise the limit (ulimit -f)" in said, said
    assert contents(published) == before
    assert leftovers(tmp_path) == [] and leftovers(published.parent) == []


def test_a_forbidden_output_folder_is_one_line_even_as_root(inputs, tmp_path):
    """Root writes anywhere, so the command runs without the capabilities that let it
    (``setpriv``): the folder's mode is then obeyed as for any user."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is missing: a folder's mode cannot forbid a write")
    locked = tmp_path / "locked"
    locked.mkdir()
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"] if os.geteuid() == 0 else []
    try:
        locked.chmod(0o555)
        result = subprocess.run(
            [*drop, sys.executable, "-m", "lima_curate.cli", *build_args(inputs, locked / "out")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        locked.chmod(0o755)
    said = one_line(result)
    assert (
        said.startswith(f"error: {locked}") and "permission denied writing here: make it writable or pass --out elsewhere" in said
    )
    assert list(locked.iterdir()) == []


# -- card-driven work trusts nothing ----------------------------------------------------------------


def copy_of(published: Path, tmp_path: Path) -> Path:
    """The set and its input, at the same depth (the card's input paths are relative)."""
    copy = tmp_path / "copy"
    shutil.copytree(published.parent, copy, ignore=shutil.ignore_patterns("cache"))
    return copy / "out"


def edit_card(out: Path, change) -> None:
    card = json.loads((out / "manifest.card.json").read_text())
    change(card)
    (out / "manifest.card.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("kind", ["fifo", "device", "socket"])
def test_verify_never_opens_an_input_that_is_not_a_regular_file(published, tmp_path, kind):
    out = copy_of(published, tmp_path)
    examples = out.parent / "authored" / "examples.jsonl"
    examples.unlink()
    if kind == "fifo":
        os.mkfifo(examples)
    elif kind == "device":
        examples.symlink_to("/dev/zero")
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(examples))
    before = contents(out)
    said = one_line(command("verify", str(out / "manifest.jsonl")))  # its own process: opening a FIFO would block
    recorded = out / ".." / "authored" / "examples.jsonl"  # as the card records it, relative to the set
    assert said == f"error: {recorded}: input recorded in manifest.card.json is not a regular file or folder; it is not opened\n"
    assert contents(out) == before


def test_build_never_opens_an_input_that_is_not_a_regular_file(inputs, published, tmp_path):
    before = contents(published)
    said = one_line(
        run_cli("build", "--recipe", str(inputs / "recipe.toml"), "--input", "authored=/dev/zero", "--out", str(published))
    )
    assert said == "error: /dev/zero: not a regular file or folder (a FIFO, a device or a socket is never opened)\n"
    assert contents(published) == before


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda card: card["inputs"][0].update(source="os.path"),
            "card's input 1 (../authored/examples.jsonl): unknown source 'os.path'; known: ",
        ),
        (lambda card: card.update(inputs={"authored": 1}), "card's inputs are not a list"),
        (
            lambda card: card["inputs"][0].update(files=[{"name": "examples.jsonl", "bytes": "9"}]),
            "card's input 1 (../authored/examples.jsonl) lists a file without name, bytes and sha256",
        ),
        (lambda card: card.update(recipe=["lima"]), "card's recipe is not a table"),
    ],
    ids=["unknown-source", "inputs-not-a-list", "file-without-digest", "recipe-not-a-table"],
)
def test_a_card_of_the_wrong_shape_is_one_line(published, tmp_path, change, expected):
    out = copy_of(published, tmp_path)
    edit_card(out, change)
    before = contents(out)
    said = one_line(run_cli("verify", str(out / "manifest.jsonl")))
    assert said.startswith(f"error: {out / 'manifest.card.json'}: {expected}"), said
    assert contents(out) == before


def test_build_never_opens_a_unit_that_is_a_fifo(inputs, published, tmp_path):
    """A FIFO named like a site archive is a unit of the reader's; it is refused before it is hashed."""
    (tmp_path / "se").mkdir()
    fifo = tmp_path / "se" / "cooking.stackexchange.com.7z"
    os.mkfifo(fifo)
    before = contents(published)
    args = [
        "build",
        "--recipe",
        str(inputs / "recipe.toml"),
        "--input",
        f"stackexchange={tmp_path / 'se'}",
        "--out",
        str(published),
    ]
    said = one_line(command(*args, "--no-cache"))  # its own process: a regression would block, not hang the suite
    assert said == f"error: {fifo}: not a regular file (a FIFO, a device or a socket is never opened)\n"
    assert contents(published) == before

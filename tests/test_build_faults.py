"""A build under faults: bad input in a worker, a killed build, two builds at once, a full disk,
and a set tampered with after it was published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, parquet_rows, run_cli
from se_dump import answer, eligible_pairs, question, row, site_archive, site_folder

RECIPE = "[quotas]\nse_stem = 4\nse_other = 3\nwikihow = 0\nwritingprompts = 0\nsuperni = 0\nauthored = 0\n"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lima_curate.cli", *args]


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    rejected = [
        question(900, "How can a program read a file that is too short?"),
        answer(901, 900, body="<p>Too short.</p>"),
        question(930, "How can a program read a file with a low scored answer?"),
        answer(931, 930, score=4),
    ]
    site_folder(root / "se", "unix.stackexchange.com", eligible_pairs(100, 5) + rejected)
    site_archive(root / "se", "travel.stackexchange.com", eligible_pairs(400, 4))
    site_folder(root / "se", "askubuntu.com", eligible_pairs(700, 3))
    (root / "recipe.toml").write_text(
        f'schema = 1\nextends = "{ROOT / "filters" / "lima.toml"}"\nname = "faults"\nversion = "0.0.1"\n{RECIPE}'
    )
    return root


def build_args(dumps: Path, out: Path, *extra: str, inputs: Path | None = None) -> list[str]:
    return [
        "build",
        "--recipe",
        str(dumps / "recipe.toml"),
        "--input",
        f"stackexchange={inputs or dumps / 'se'}",
        "--out",
        str(out),
        "--no-cache",
        *extra,
    ]


def with_a_broken_site(dumps: Path, tmp_path: Path) -> Path:
    """The good sites plus one whose Posts.xml breaks off on line 4."""
    mixed = tmp_path / "mixed"
    for site in ("unix.stackexchange.com", "askubuntu.com"):
        (mixed / site).mkdir(parents=True)
        (mixed / site / "Posts.xml").write_bytes((dumps / "se" / site / "Posts.xml").read_bytes())
    broken = mixed / "cooking.stackexchange.com"
    broken.mkdir()
    (broken / "Posts.xml").write_text(
        '<?xml version="1.0"?>\n<posts>\n' + row(Id=1, PostTypeId=1, Score=1) + '\n  <row Id="2" \n'
    )
    return broken / "Posts.xml"


@pytest.mark.parametrize("workers", ["1", "2", "3"])
def test_a_bad_unit_is_one_line_and_exit_2_whatever_the_worker_count(dumps, tmp_path, workers):
    broken = with_a_broken_site(dumps, tmp_path)
    result = cli(*build_args(dumps, tmp_path / "out", "-j", workers, inputs=broken.parents[1]))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {broken}:") and "not well-formed" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_killed_build_leaves_the_previous_set_and_no_process(dumps, tmp_path):
    out = tmp_path / "out"
    assert cli(*build_args(dumps, out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    big = tmp_path / "big"
    for n, site in enumerate(("unix.stackexchange.com", "askubuntu.com")):
        rows = "\n".join(eligible_pairs(10_000 * (n + 1), 4))
        filler = "\n".join(
            row(
                Id=900_000 + n * 100_000 + i,
                PostTypeId=1,
                Score=1,
                Title="How does a filler row read?",
                Body="<p>" + "filler text " * 40 + "</p>",
                AnswerCount=0,
            )
            for i in range(60_000)
        )
        (big / site).mkdir(parents=True)
        (big / site / "Posts.xml").write_text(f'<?xml version="1.0"?>\n<posts>\n{rows}\n{filler}\n</posts>\n')
    build = subprocess.Popen(
        command(*build_args(dumps, out, "-j", "2", inputs=big)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    tree = running_workers(build.pid, deadline=time.monotonic() + 120)
    assert tree, "the build never started its workers"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in tree
    ):
        time.sleep(0.1)
    left = [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes of the killed build still run: {left}"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert cli("verify", str(out / "manifest.jsonl")).returncode == 0


def running_workers(pid: int, deadline: float) -> list[int]:
    """The build's process tree once a pool worker (a child of the forkserver, itself the build's
    child) runs, or [] if none came before ``deadline``. One snapshot, taken and judged at once: the
    workers of this small build live for a second or two."""
    while time.monotonic() < deadline:
        try:
            children = psutil.Process(pid).children()
            workers = [w.pid for c in children for w in c.children()]
        except psutil.NoSuchProcess:  # a process came or went between the two looks
            continue
        if workers:
            return [pid, *(c.pid for c in children), *workers]
        time.sleep(0.01)
    return []


def test_a_second_build_into_the_same_folder_is_refused(dumps, tmp_path):
    from lima_curate.publish import locked

    out = tmp_path / "out"
    with locked(out):  # as a running build holds it
        second = cli(*build_args(dumps, out))
    assert second.returncode == 2 and second.stderr.count("\n") == 1
    assert "another build is writing this folder" in second.stderr and str(os.getpid()) in second.stderr
    assert not out.exists()
    assert cli(*build_args(dumps, out)).returncode == 0  # once it is free, a build goes through


def test_a_full_disk_is_one_line_and_the_previous_set_stays(dumps, small_disk):
    out = small_disk / "out"
    first = cli(*build_args(dumps, out))
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * max(0, free - 8192))
    second = cli(*build_args(dumps, out, "--seed", "7"))
    assert second.returncode == 2, second.stderr
    assert second.stderr == (
        f"error: {out}: no space left on device writing here: free space or pass --out elsewhere; the previous set is left as it was\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in small_disk.iterdir()) == [".out.lock", "filler", "out"]  # no staging folder left


def test_files_in_the_folder_that_are_not_the_set_are_kept(dumps, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "NOTES.md").write_text("my notes\n")
    (out / "rejects.jsonl").write_text("{}\n")  # what an earlier version wrote
    assert cli(*build_args(dumps, out)).returncode == 0
    assert (out / "NOTES.md").read_text() == "my notes\n" and not (out / "rejects.jsonl").exists()
    assert cli(*build_args(dumps, out, "--seed", "3")).returncode == 0
    assert (out / "NOTES.md").read_text() == "my notes\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == [".out.lock"]


# -- a damaged cache entry is extracted again, with a warning -------------------------------------


def cached_args(dumps: Path, out: Path, cache: Path) -> list[str]:
    return [a for a in build_args(dumps, out) if a != "--no-cache"] + ["--cache-dir", str(cache)]


def test_a_damaged_cache_entry_is_rebuilt_with_a_warning_never_trusted(dumps, tmp_path):
    """In process (Typer's runner): four builds, each a second or less once the readers are imported."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lima_curate.extract import entry_problem

    cache, out = tmp_path / "cache", tmp_path / "out"
    first = run_cli(*cached_args(dumps, out, cache))
    assert first.exit_code == 0 and "warning" not in first.stderr, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    markers = sorted((cache / "stackexchange").glob("*.json"))
    assert len(markers) == 3
    survivors = [m.with_suffix(".survivors.parquet") for m in markers]
    rejects = [m.with_suffix(".rejects.parquet") for m in markers]
    survivors[0].write_bytes(survivors[0].read_bytes()[:100])  # truncated
    rejects[1].write_bytes(b"PAR1 garbage, not a footer PAR1")  # garbage
    table = pq.read_table(survivors[2])  # another valid Parquet file: rows dropped, the same schema
    pq.write_table(pa.Table.from_pylist(table.to_pylist()[1:], schema=table.schema), survivors[2])
    second = run_cli(*cached_args(dumps, out, cache))
    assert second.exit_code == 0, second.stderr
    warned = [line for line in second.stderr.splitlines() if line.startswith("warning: cache entry")]
    assert len(warned) == 3, second.stderr
    for marker, what in zip(markers, ("survivors shard", "rejects shard", "survivors shard")):
        assert any(f"{marker} is damaged ({what} does not match its digest)" in line for line in warned), second.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the same set: the damage was never used
    markers[0].write_text("{not json")  # a marker that is not one
    markers[1].write_text(json.dumps({"format": 2, "survivors": 1}))  # JSON, but not a marker
    third = run_cli(*cached_args(dumps, out, cache))
    assert third.exit_code == 0, third.stderr
    assert "its marker is not JSON" in third.stderr and "its marker lacks the counts" in third.stderr, third.stderr
    assert third.stderr.count("warning: cache entry") == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    fourth = run_cli(*cached_args(dumps, out, cache))  # the entries were rewritten whole: a warm build says nothing
    assert fourth.exit_code == 0 and "warning" not in fourth.stderr, fourth.stderr
    assert all(entry_problem(m.with_suffix(".survivors.parquet"), m.with_suffix(".rejects.parquet"), m) is None for m in markers)


# -- tampering: verify names what differs and exits 1 ----------------------------------------------


@pytest.fixture(scope="module")
def published(dumps, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("published") / "out"
    result = cli(*build_args(dumps, out))
    assert result.returncode == 0, result.stderr
    return out


def tampered(published: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path.parent / f"{tmp_path.name}-copy"  # at the same depth: the card's input paths are relative
    shutil.copytree(published.parent, copy, symlinks=True)
    return copy / "out"


def edit_card(out: Path, change) -> None:
    card = json.loads((out / "manifest.card.json").read_text())
    change(card)
    (out / "manifest.card.json").write_text(json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def rewrite_rejects(out: Path, change) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(out / "rejects.parquet")
    rows = change(table.to_pylist())
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), out / "rejects.parquet", compression="zstd")


def set_first_seed(card: dict) -> None:
    card["seed"] = card["seed"] + 1


def set_recipe_quota(card: dict) -> None:
    card["recipe"]["quotas"]["se_stem"] = 3


def set_input_sha(card: dict) -> None:
    card["inputs"][0]["files"][0]["sha256"] = "0" * 64


def set_input_bytes(card: dict) -> None:
    card["inputs"][0]["files"][0]["bytes"] += 1


def set_recipe_sha(card: dict) -> None:
    card["recipe_sha256"] = "f" * 64


def set_counts(card: dict) -> None:
    card["rejects"]["stackexchange/length"] = 99


@pytest.mark.parametrize(
    "change, expected",
    [
        (set_first_seed, "seed"),
        (set_recipe_quota, "recipe it holds does not match its recipe_sha256"),
        (set_recipe_sha, "recipe it holds does not match its recipe_sha256"),
        (set_input_sha, "sha256 differs from the card"),
        (set_input_bytes, "the card records"),
        (set_counts, "differs from its rebuild in: rejects"),
    ],
    ids=["seed", "recipe", "recipe_sha256", "input-sha256", "input-bytes", "counts"],
)
def test_verify_catches_every_edit_of_the_card(published, tmp_path, change, expected):
    out = tampered(published, tmp_path)
    edit_card(out, change)
    result = cli("verify", str(out / "manifest.jsonl"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr


@pytest.mark.parametrize("how", ["deleted", "row-removed", "reason-edited", "not-parquet"])
def test_verify_catches_a_tampered_rejects_file(published, tmp_path, how):
    out = tampered(published, tmp_path)
    if how == "deleted":
        (out / "rejects.parquet").unlink()
    elif how == "row-removed":
        rewrite_rejects(out, lambda rows: rows[1:])
    elif how == "reason-edited":
        rewrite_rejects(out, lambda rows: [{**rows[0], "reason": "looked fine to me"}, *rows[1:]])
    else:
        (out / "rejects.parquet").write_text("id,reason\n")
    result = cli("verify", str(out / "manifest.jsonl"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "rejects.parquet" in result.stderr


def test_verify_says_when_only_the_line_order_changed(published, tmp_path):
    out = tampered(published, tmp_path)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    (out / "manifest.jsonl").write_text("\n".join(lines[::-1]) + "\n")
    edit_card(out, lambda card: card["files"].update({"manifest.jsonl": None}))
    result = cli("verify", str(out / "manifest.jsonl"))
    assert result.returncode == 1 and "line order changed" in result.stderr


def test_why_explains_a_reject_a_pick_and_an_unknown_id(published):
    reject = parquet_rows(published / "rejects.parquet")[0]
    said = cli("why", reject["id"], str(published))
    assert said.returncode == 0 and f"rejected by {reject['filter']}" in said.stdout and reject["reason"] in said.stdout
    chosen = json.loads((published / "manifest.jsonl").read_text().splitlines()[0])["id"]
    said = cli("why", chosen, str(published))
    assert said.returncode == 0 and "chosen: subset se_" in said.stdout and "place" in said.stdout
    not_drawn = [r for r in parquet_rows(published / "eligible.parquet") if not r["chosen"]][0]
    said = cli("why", not_drawn["id"], str(published))
    assert said.returncode == 0 and "not drawn" in said.stdout
    said = cli("why", "stackexchange/nowhere/q1-a2", str(published))
    assert said.returncode == 1 and "not a candidate of this set" in said.stdout


# -- Ray -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ray_gives_the_same_bytes_and_the_same_one_line_error(dumps, published, tmp_path):
    """A real local Ray (two worker processes), as CI runs it."""
    out = tmp_path / "ray"
    result = cli(*build_args(dumps, out, "--executor", "ray", "-j", "2"))
    assert result.returncode == 0, result.stderr
    for name in ("manifest.jsonl", "manifest.card.json", "rejects.parquet", "eligible.parquet"):
        assert (out / name).read_bytes() == (published / name).read_bytes(), name
    broken = with_a_broken_site(dumps, tmp_path)
    bad = cli(*build_args(dumps, tmp_path / "bad", "--executor", "ray", "-j", "2", inputs=broken.parents[1]))
    assert bad.returncode == 2 and bad.stderr.startswith(f"error: {broken}:") and bad.stderr.count("\n") == 1, bad.stderr
    assert not (tmp_path / "bad").exists()

"""``pull`` against hostile and broken servers, archives and lock files (issue 12, items 1-5).

Each case goes through the command line where a user would meet it and checks the exit code, the
exact one-line message naming the file or URL, and that what an earlier good pull left (its files and
the lock file) is still there, byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import LIMA_RECIPE, ROOT, run_cli
from pull_server import Cut, Endless, Hold, PullServer, Replace
from rich.console import Console

from lima_curate.download import Expected, Fetcher, Limits
from lima_curate.errors import InputError
from lima_curate.lockfile import LOCK_NAME, Lock

BLOB = bytes(range(256)) * 400  # 102,400 bytes
NEW_BLOB = bytes(reversed(BLOB))
SITE = "/mirror/cooking.stackexchange.com.7z"


@pytest.fixture
def server():
    with PullServer() as running:
        yield running


@pytest.fixture
def fetcher():
    with Fetcher(Limits(attempts=4, backoff=0.0, sleep=lambda s: None), console=Console(file=io.StringIO())) as f:
        yield f


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (hidden ones, parts and staging folders included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def pull(data: Path, *args: str):
    return run_cli("pull", *args, "--data-dir", str(data))


def pull_site(server: PullServer, data: Path, *extra: str):
    return pull(data, "stackexchange", "--site", "cooking.stackexchange.com", "--mirror", server.url("/mirror"), *extra)


def good_pull(server: PullServer, data: Path) -> dict[str, bytes]:
    """An earlier good pull into the data dir; what it left, to compare with after a hostile one."""
    server.add(SITE, BLOB)
    assert pull_site(server, data).exit_code == 0
    assert Lock(data).files["stackexchange/cooking.stackexchange.com.7z"]["sha256"] == sha256(BLOB)
    return snapshot(data)


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tar_gz_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def task(n: int) -> bytes:
    return json.dumps(
        {
            "Definition": ["Rewrite the sentence in plain words."],
            "Input_language": ["English"],
            "Output_language": ["English"],
            "Instruction_language": ["English"],
            "Instances": [
                {"id": f"task{n}-1", "input": "The feline reposed upon the mat.", "output": ["The cat lay on the mat."]}
            ],
        }
    ).encode()


def superni_zip(tasks: range, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    top = "natural-instructions-master"
    names = [f"task{n:03d}_plain" for n in tasks]
    members = {f"{top}/tasks/{name}.json": task(n) for n, name in zip(tasks, names)}
    members[f"{top}/splits/default/train_tasks.txt"] = ("\n".join(names) + "\n").encode()
    return zip_of(members, method)


# -- 1. two pulls at once ----------------------------------------------------------------------------


class Running:
    """``lima-curate ARGS`` in a process of its own, its stderr collected as it comes."""

    def __init__(self, *args: str):
        env = {**os.environ, "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lima_curate.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        stderr = self.process.stderr
        self.reader = threading.Thread(target=lambda: self.lines.extend(stderr), daemon=True)  # type: ignore[arg-type]
        self.reader.start()

    def said(self, text: str, within: float = 30.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines) or self.process.poll() is not None and not self.reader.is_alive():
                return any(text in line for line in self.lines)
            time.sleep(0.02)
        return False

    def finish(self) -> tuple[int, str]:
        self.process.wait(60)
        self.reader.join(10)
        self.process.stdout.close()  # type: ignore[union-attr]
        return self.process.returncode, "".join(self.lines)


def site_args(server: PullServer, data: Path, site: str = "cooking.stackexchange.com") -> list[str]:
    return ["pull", "stackexchange", "--site", site, "--mirror", server.url("/mirror"), "--data-dir", str(data)]


def test_two_pulls_of_one_file_at_once_fetch_it_once_and_the_second_waits(server, tmp_path):
    data = tmp_path / "data"
    release, held = threading.Event(), threading.Event()
    server.add(SITE, BLOB)
    server.script(SITE, Hold(40_000, release, held))
    first = Running(*site_args(server, data))
    try:
        assert held.wait(30), "the first pull never started its download"
        second = Running(*site_args(server, data))
        waited = second.said("waiting for another pull of stackexchange/cooking.stackexchange.com.7z")
    finally:
        release.set()
    (rc1, err1), (rc2, err2) = first.finish(), second.finish()
    assert waited, err2
    assert (rc1, rc2) == (0, 0), err1 + err2
    assert "already complete" in err2
    assert len(server.requests_for(SITE)) == 1  # the second found it done instead of fetching it again
    assert (data / "stackexchange/cooking.stackexchange.com.7z").read_bytes() == BLOB
    assert Lock(data).files["stackexchange/cooking.stackexchange.com.7z"]["sha256"] == sha256(BLOB)
    assert sorted(snapshot(data)) == [LOCK_NAME, "stackexchange/cooking.stackexchange.com.7z"]  # no part, no .lock


def test_two_pulls_of_different_files_at_once_keep_both_lock_entries(server, tmp_path):
    data = tmp_path / "data"
    release, held = threading.Event(), threading.Event()
    server.add(SITE, BLOB)
    server.add("/mirror/physics.stackexchange.com.7z", NEW_BLOB)
    server.script(SITE, Hold(40_000, release, held))
    first = Running(*site_args(server, data))
    try:
        assert held.wait(30), "the first pull never started its download"
        second = Running(*site_args(server, data, "physics.stackexchange.com"))
        rc2, err2 = second.finish()  # done while the first is still mid-download
    finally:
        release.set()
    rc1, err1 = first.finish()
    assert (rc1, rc2) == (0, 0), err1 + err2
    files = Lock(data).files
    assert files["stackexchange/cooking.stackexchange.com.7z"]["sha256"] == sha256(BLOB)
    assert files["stackexchange/physics.stackexchange.com.7z"]["sha256"] == sha256(NEW_BLOB)


# -- 2. resume only the same file --------------------------------------------------------------------


def test_a_file_changed_between_two_pulls_is_fetched_again_whole(server, tmp_path):
    data = tmp_path / "data"
    server.add(SITE, BLOB)
    old_etag = server.etag(SITE)
    server.script(SITE, Cut(30_000))
    cut = pull_site(server, data, "--retries", "1")
    assert cut.exit_code == 2
    assert (
        last_line(cut.stderr)
        == f"error: {server.url(SITE)}: RemoteProtocolError: peer closed connection without sending complete message body "
        "(received 30000 bytes, expected 102400); gave up after 1 tries"
    )
    server.script(SITE, Replace(NEW_BLOB))  # the mirror now has another version
    again = pull_site(server, data)
    assert again.exit_code == 0, again.stderr
    assert (data / "stackexchange/cooking.stackexchange.com.7z").read_bytes() == NEW_BLOB  # not 30,000 old bytes + the new tail
    assert Lock(data).files["stackexchange/cooking.stackexchange.com.7z"]["sha256"] == sha256(NEW_BLOB)
    resumed = server.requests_for(SITE)[1]
    assert (resumed.range, resumed.if_range) == ("bytes=30000-", old_etag)
    assert sorted(snapshot(data)) == [LOCK_NAME, "stackexchange/cooking.stackexchange.com.7z"]


def test_a_server_that_resumes_a_changed_file_is_caught_by_the_etag(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", Cut(30_000), Replace(NEW_BLOB, resume_anyway=True))
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert (tmp_path / "blob.bin").read_bytes() == NEW_BLOB
    assert [r.range for r in server.requests_for("/blob.bin")] == [None, "bytes=30000-", None]
    assert sorted(snapshot(tmp_path)) == ["blob.bin"]


def test_without_a_validator_a_cut_download_starts_again_from_zero(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.bare.add("/blob.bin")  # no ETag, no Last-Modified: nothing to resume against
    server.script("/blob.bin", Cut(30_000))
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert [r.range for r in server.requests_for("/blob.bin")] == [None, None]


def test_a_validator_from_another_url_is_not_used(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    part = tmp_path / "blob.bin.7.00000000.part"
    part.write_bytes(BLOB[:5_000])
    (tmp_path / (part.name + ".json")).write_text(
        json.dumps({"url": server.url("/other"), "validator": server.etag("/blob.bin")})
    )
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert [r.range for r in server.requests_for("/blob.bin")] == [None]
    assert sorted(snapshot(tmp_path)) == ["blob.bin"]


# -- 3. caps -----------------------------------------------------------------------------------------


def test_an_endless_body_stops_at_the_cap_and_leaves_nothing(server, tmp_path):
    data = tmp_path / "data"
    before = good_pull(server, data)
    url = server.add("/ni/endless.zip", b"")
    server.always("/ni/endless.zip", Endless())
    result = pull(data, "superni", "--url", url, "--max-size", "1M")
    assert result.exit_code == 2
    assert last_line(result.stderr) == (
        f"error: {url}: the server sent more than the cap of 1,048,576 bytes (1 MiB) for a file of no announced size "
        "(raise it with --max-size): stopped, and the download was deleted"
    )
    assert snapshot(data) == before


def test_an_endless_body_stops_at_the_published_size(server, fetcher, tmp_path):
    url = server.add("/blob.bin", b"")
    server.always("/blob.bin", Endless())
    with pytest.raises(InputError) as caught:
        fetcher.fetch(url, tmp_path / "blob.bin", Expected(size=len(BLOB), origin="the item's file list"))
    assert str(caught.value) == (
        f"{url}: the server sent more than the 102,400 bytes the item's file list publishes: "
        "stopped, and the download was deleted"
    )
    assert snapshot(tmp_path) == {}


def test_a_bad_size_flag_is_a_usage_error(tmp_path):
    result = pull(tmp_path, "superni", "--max-size", "lots")
    assert result.exit_code == 2 and "not a size: 'lots'" in result.stderr


def test_a_zip_bomb_is_refused_naming_the_archive(server, tmp_path):
    data = tmp_path / "data"
    before = good_pull(server, data)
    bomb = zip_of({"natural-instructions-master/tasks/task001_bomb.json": b"0" * (8 << 20)})
    url = server.add("/ni/bomb.zip", bomb)
    result = pull(data, "superni", "--url", url)
    archive = data / "archives/superni/bomb.zip"
    assert result.exit_code == 2
    line = last_line(result.stderr)
    assert line.startswith(f"error: {archive}: expands ") and line.endswith(
        "(as its entries declare), over the 200x cap on zip and tar bombs: refusing it (raise --max-ratio if you trust it)"
    )
    assert f"(8 MiB) from {len(bomb):,} bytes" in line
    assert snapshot(data) == before  # no member, no archive, no part, no staging folder; the lock as it was


def test_a_tar_bomb_is_refused_naming_the_archive(server, tmp_path):
    data = tmp_path / "data"
    before = good_pull(server, data)
    url = server.add("/wp/writingPrompts.tar.gz", tar_gz_of({"writingPrompts/train.wp_source": b"\0" * (8 << 20)}))
    result = pull(data, "writingprompts", "--url", url)
    assert result.exit_code == 2
    line = last_line(result.stderr)
    assert line.startswith(f"error: {data / 'archives/writingprompts/writingPrompts.tar.gz'}: expands ")
    assert "over the 200x cap on zip and tar bombs" in line
    assert snapshot(data) == before


def test_a_trusted_archive_can_pass_the_ratio_cap_with_the_flag(server, tmp_path):
    data = tmp_path / "data"
    url = server.add("/wp/writingPrompts.tar.gz", tar_gz_of({"writingPrompts/train.wp_source": b"\0" * (2 << 20)}))
    result = pull(data, "writingprompts", "--url", url, "--max-ratio", "100000")
    assert result.exit_code == 0, result.stderr
    assert (data / "writingprompts/train.wp_source").stat().st_size == 2 << 20


def test_extraction_stops_at_the_total_cap(server, tmp_path):
    data = tmp_path / "data"
    before = good_pull(server, data)
    url = server.add("/ni/master.zip", superni_zip(range(1, 4)))
    result = pull(data, "superni", "--url", url, "--max-extracted", "100")
    assert result.exit_code == 2
    assert last_line(result.stderr) == (
        f"error: {data / 'archives/superni/master.zip'}: would extract more than 100 bytes (as its entries declare): "
        "refusing it (raise the cap with --max-extracted)"
    )
    assert snapshot(data) == before


# -- 4. extraction is all or nothing -----------------------------------------------------------------


def corrupt_member(archive: bytes, index: int) -> bytes:
    """Flip one byte inside the stored data of member ``index``: its CRC no longer matches."""
    info = zipfile.ZipFile(io.BytesIO(archive)).infolist()[index]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(archive)
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def test_a_bad_crc_late_in_an_archive_leaves_nothing_and_the_next_build_fails(server, tmp_path):
    data = tmp_path / "data"
    archive = superni_zip(range(1, 14), method=zipfile.ZIP_STORED)  # 13 tasks, then the split file
    url = server.add("/ni/master.zip", corrupt_member(archive, 9))  # member 10 of 14
    result = pull(data, "superni", "--url", url)
    assert result.exit_code == 2
    assert last_line(result.stderr) == (
        f"error: {data / 'archives/superni/master.zip'}: cannot extract (Bad CRC-32 for file "
        "'natural-instructions-master/tasks/task010_plain.json'); nothing was extracted"
    )
    assert snapshot(data) == {LOCK_NAME: b'{\n "files": {},\n "schema": 1\n}\n'}  # no member, no part, nothing locked
    recipe = tmp_path / "recipe.toml"
    quotas = {"se_stem": 0, "se_other": 0, "wikihow": 0, "writingprompts": 0, "superni": 1, "authored": 0}
    recipe.write_text(
        f'schema = 1\nextends = "{LIMA_RECIPE.as_posix()}"\nname = "crc"\nversion = "1.0.0"\n\n[quotas]\n'
        + "".join(f"{k} = {v}\n" for k, v in quotas.items())
    )
    built = run_cli("build", "--recipe", str(recipe), "--input", f"superni={data / 'superni'}", "--out", str(tmp_path / "out"))
    assert built.exit_code == 2 and str(data / "superni") in built.stderr
    assert not (tmp_path / "out" / "manifest.jsonl").exists()


def test_a_bad_archive_leaves_an_earlier_extraction_as_it_was(server, tmp_path):
    data = tmp_path / "data"
    assert pull(data, "superni", "--url", server.add("/ni/v1.zip", superni_zip(range(1, 3)))).exit_code == 0
    before = snapshot(data)
    assert "superni/tasks/task001_plain.json" in before
    bad = corrupt_member(superni_zip(range(1, 14), method=zipfile.ZIP_STORED), 11)
    result = pull(data, "superni", "--url", server.add("/ni/v2.zip", bad))
    assert result.exit_code == 2 and "Bad CRC-32" in last_line(result.stderr)
    assert snapshot(data) == before


# -- 5. the data dir's own lock file only --------------------------------------------------------------

WIKIHOW_PAGE = ROOT / "samples" / "wikihow" / "Make-Overnight-Oats.html"


def test_a_lock_file_in_a_parent_folder_is_never_read_by_a_build(tmp_path):
    data = tmp_path / "outer" / "mid" / "data"
    (data / "wikihow").mkdir(parents=True)
    page = (data / "wikihow" / WIKIHOW_PAGE.name).write_bytes(WIKIHOW_PAGE.read_bytes())
    assert page
    planted = {
        "schema": 1,
        "files": {
            "data/wikihow/Make-Overnight-Oats.html": {
                "url": "https://planted.example/oats",
                "bytes": WIKIHOW_PAGE.stat().st_size,
                "sha256": sha256(WIKIHOW_PAGE.read_bytes()),
            }
        },
    }
    (tmp_path / "outer" / "mid" / LOCK_NAME).write_text(json.dumps(planted))
    (tmp_path / "outer" / LOCK_NAME).write_text("{broken")  # and a broken one further up stops nothing
    recipe = tmp_path / "recipe.toml"
    quotas = {"se_stem": 0, "se_other": 0, "wikihow": 1, "writingprompts": 0, "superni": 0, "authored": 0}
    recipe.write_text(
        f'schema = 1\nextends = "{LIMA_RECIPE.as_posix()}"\nname = "lock"\nversion = "1.0.0"\n\n[quotas]\n'
        + "".join(f"{k} = {v}\n" for k, v in quotas.items())
    )
    out = tmp_path / "out"
    built = run_cli(
        "build",
        "--recipe",
        str(recipe),
        "--input",
        f"wikihow={data / 'wikihow'}",
        "--out",
        str(out),
        "--no-cache",
        "--workers",
        "1",
    )
    assert built.exit_code == 0, built.stderr
    card = json.loads((out / "manifest.card.json").read_text())
    files = [f for record in card["inputs"] for f in record["files"]]
    assert files and all("url" not in f for f in files)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", ":1: not a readable lock file (Expecting property name enclosed in double quotes)"),
        (b"\xff\xfe{}", ": not a readable lock file (not UTF-8: invalid start byte at byte 1)"),
        (b'{"schema": 2, "files": {}}', ': not a lock file of schema 1 (expected {"schema": 1, "files": {...}})'),
        (
            b'{"schema": 1, "files": {"wikihow/a.html": {"bytes": 1, "sha256": "../../x"}}}',
            ": entry 'wikihow/a.html' has a negative size or a sha256 that is not 64 hex digits",
        ),
        (b"[" * 100_000 + b"]" * 100_000, ": not a readable lock file (RecursionError: maximum recursion depth exceeded"),
        (None, ": not a regular file: a lock file must be a JSON file (delete or rename it)"),
    ],
    ids=["not-json", "not-utf8", "schema", "entry", "deep", "folder"],
)
def test_a_damaged_lock_file_is_one_line_naming_it_and_stays_as_it_was(tmp_path, content, message):
    data = tmp_path / "data"
    data.mkdir()
    lock = data / LOCK_NAME
    if content is None:
        lock.mkdir()
    else:
        lock.write_bytes(content)
    page = tmp_path / "Grill-Fish.html"
    page.write_text("<html><body>fish</body></html>")
    result = pull(data, "wikihow", "--from", str(page))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.strip().startswith(f"error: {lock}{message}")
    assert lock.is_dir() if content is None else lock.read_bytes() == content
    assert not (data / "wikihow").exists()


def test_a_source_folder_that_is_a_file_is_one_line_not_a_traceback(server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "stackexchange").write_bytes(b"not a folder")
    server.add(SITE, BLOB)
    result = pull_site(server, data)
    assert result.exit_code == 2  # a traceback would be 1
    assert last_line(result.stderr) == (
        f"error: {data / 'stackexchange/cooking.stackexchange.com.7z.lock'}: cannot create this lock (File exists); "
        "is the folder writable?"
    )
    assert server.requests_for(SITE) == [] and (data / "stackexchange").read_bytes() == b"not a folder"


def test_a_download_that_fills_the_disk_is_one_line_and_leaves_the_earlier_pull(server, small_disk):
    data = small_disk / "data"
    before = good_pull(server, data)
    big = "/mirror/physics.stackexchange.com.7z"
    server.add(big, bytes(range(256)) * 4096)  # 1 MiB: more than the 512 KiB disk holds
    result = pull(data, "stackexchange", "--site", "physics.stackexchange.com", "--mirror", server.url("/mirror"))
    assert result.exit_code == 2
    message = last_line(result.stderr)
    dest = data / "stackexchange" / "physics.stackexchange.com.7z"
    assert (
        message == f"error: {dest}: no space left on device writing here: free space or pass another --data-dir; "
        "nothing of it was kept"
    ), message
    assert snapshot(data) == before  # the earlier file and the lock file as they were; no part left behind

"""Streaming one member out of a .7z: both decompressors, bounded blocks and memory, damage, leaving early."""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
import time
import tracemalloc
from pathlib import Path

import py7zr
import pytest
from conftest import ROOT
from lxml import etree

from lima_curate import sevenzip
from lima_curate.errors import InputError

BEER = ROOT.parent / "shared" / "real" / "stackexchange" / "beer.stackexchange.com.7z"
BLOCK = 1 << 12
TABLES = ("Badges.xml", "Comments.xml", "PostHistory.xml", "PostLinks.xml", "Posts.xml", "Tags.xml", "Users.xml")
# About 11 MB, past libxml2's 10 MB limit on one feed, that BZip2 packs a thousandfold (and quickly: the long
# runs collapse before its block sort).
COMPRESSIBLE_ROWS = 5500
COMPRESSIBLE = (
    b"<posts>\n" + b"".join(b'  <row Id="%d" Body="%s" />\n' % (i, b"a" * 2000) for i in range(COMPRESSIBLE_ROWS)) + b"</posts>\n"
)


def varied_table(tag: str, rows: int, seed: int) -> bytes:
    """A table whose text varies, so its blocks differ and BZip2 packs it only a few times."""
    rng = random.Random(seed)
    words = [f"w{rng.getrandbits(24):x}" for _ in range(500)]
    lines = [f'  <row Id="{i}" Text="{" ".join(rng.choices(words, k=rng.randint(3, 40)))}" />' for i in range(rows)]
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\n' + f"<{tag}>\n" + "\n".join(lines) + f"\n</{tag}>\n"
    return text.encode()


def write_7z(path: Path, members: dict[str, bytes]) -> Path:
    """A BZip2 archive like the published dumps; py7zr packs all members into one solid block."""
    with py7zr.SevenZipFile(path, "w", filters=[{"id": py7zr.FILTER_BZIP2}]) as z:
        for name, data in members.items():
            z.writestr(data, name)
    return path


@pytest.fixture(scope="module")
def tables() -> dict[str, bytes]:
    return {name: varied_table(name[:-4].lower(), 2000 if name == "Posts.xml" else 200, seed) for seed, name in enumerate(TABLES)}


@pytest.fixture(scope="module")
def archives(tmp_path_factory, tables) -> dict[str, Path]:
    """Today's combined layout (every table, Posts.xml after the others), a site dump, the old split one."""
    root = tmp_path_factory.mktemp("archives")
    site = {name: tables[name] for name in ("Badges.xml", "Comments.xml", "PostHistory.xml", "Posts.xml")}
    return {
        "combined": write_7z(root / "stackoverflow.com.7z", tables),
        "site": write_7z(root / "cooking.stackexchange.com.7z", site),
        "split": write_7z(root / "stackoverflow.com-Posts.7z", {"Posts.xml": tables["Posts.xml"]}),
    }


@pytest.fixture(scope="module")
def compressible(tmp_path_factory) -> Path:
    """A highly compressible Posts.xml behind a varied PostHistory.xml, in one solid block."""
    members = {"PostHistory.xml": varied_table("posthistory", 3000, 9), "Posts.xml": COMPRESSIBLE}
    return write_7z(tmp_path_factory.mktemp("compressible") / "compressible.7z", members)


@pytest.fixture(params=["7z binary", "py7zr"])
def decompressor(request, monkeypatch) -> str:
    if request.param == "py7zr":
        monkeypatch.setenv("LIMA_7Z", "py7zr")
    else:
        # CI installs 7zip (apt-get install 7zip), so this must never skip there.
        if not any(shutil.which(name) for name in sevenzip.BINARIES):
            pytest.skip("no 7-Zip binary on PATH (apt-get install 7zip)")
        monkeypatch.delenv("LIMA_7Z", raising=False)
    assert sevenzip.decompressor().startswith(request.param)
    return request.param


def children() -> list[int]:
    """This process's child processes, zombies included (a killed 7-Zip that was never waited for)."""
    try:
        import psutil
    except ImportError:
        tasks = Path("/proc/self/task").iterdir()
        return [int(pid) for task in tasks for pid in (task / "children").read_text().split()]
    return [child.pid for child in psutil.Process().children(recursive=True)]


def py7zr_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("py7zr ")]


def read_member(archive: Path, member: str, block: int = BLOCK) -> list[bytes]:
    with sevenzip.open_member(archive, member, block) as blocks:
        return list(blocks)


class RowCounter:
    """A parser target like the real one: it sees each row's attributes and keeps nothing."""

    def __init__(self):
        self.rows = 0

    def start(self, tag, attrib):
        if tag == "row":
            assert attrib["Id"]
            self.rows += 1

    def end(self, tag):
        pass

    def close(self):
        return self.rows


def test_listing_reads_names_from_the_headers(archives):
    assert sevenzip.member_names(archives["combined"]) == list(TABLES)
    assert sevenzip.find_member(archives["split"], "Posts.xml") == "Posts.xml"
    assert sevenzip.find_member(archives["site"], "posts.xml") is None
    assert sevenzip.find_member(archives["site"], "Votes.xml") is None


def test_find_member_matches_the_basename(tmp_path):
    archive = write_7z(tmp_path / "nested.7z", {"dump/Posts.xml": b"<posts/>", "Posts.xml.bak": b"x"})
    assert sevenzip.find_member(archive, "Posts.xml") == "dump/Posts.xml"


def test_decompressor_follows_lima_7z(monkeypatch, tmp_path):
    monkeypatch.setenv("LIMA_7Z", "py7zr")
    assert sevenzip.decompressor() == "py7zr"
    monkeypatch.setenv("LIMA_7Z", str(tmp_path / "no-such-7z"))
    with pytest.raises(InputError, match="LIMA_7Z"):
        sevenzip.decompressor()


@pytest.mark.parametrize(
    ("layout", "member"),
    [
        ("combined", "Posts.xml"),
        ("combined", "Badges.xml"),
        ("site", "Posts.xml"),
        ("site", "Badges.xml"),
        ("split", "Posts.xml"),
    ],
)
def test_member_bytes_come_back_whole_in_bounded_blocks(decompressor, archives, tables, layout, member):
    blocks = read_member(archives[layout], member)
    assert b"".join(blocks) == tables[member]
    assert len(blocks) > 1 and all(0 < len(data) <= BLOCK for data in blocks)


def test_compressible_member_parses_block_by_block(decompressor, compressible):
    """libxml2 refuses one feed of the whole member ("Buffer size limit exceeded"); block-sized feeds pass."""
    with pytest.raises(etree.XMLSyntaxError, match="Buffer size limit exceeded"):
        etree.XMLParser(target=RowCounter(), resolve_entities="internal", no_network=True).feed(COMPRESSIBLE)
    parser = etree.XMLParser(target=RowCounter(), resolve_entities="internal", no_network=True)
    sizes = []
    with sevenzip.open_member(compressible, "Posts.xml") as blocks:
        for data in blocks:
            sizes.append(len(data))
            parser.feed(data)
    assert parser.close() == COMPRESSIBLE_ROWS
    assert sum(sizes) == len(COMPRESSIBLE) and max(sizes) == sevenzip.BLOCK


@pytest.mark.parametrize("decompressor", ["7z binary"], indirect=True)
def test_memory_stays_flat_on_a_compressible_member(decompressor, compressible):
    """This process holds a few blocks at a time, however well the member packs. (py7zr holds one decoding
    step of its own, about 1 MiB of packed input's worth: here the whole member; see _Py7zrThread.)"""
    tracemalloc.start()
    try:
        with sevenzip.open_member(compressible, "Posts.xml") as blocks:
            tracemalloc.reset_peak()  # after the header listing, whose LZMA decoder is py7zr's, not ours
            total = sum(len(data) for data in blocks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(COMPRESSIBLE)
    assert peak < 3 * sevenzip.BLOCK < len(COMPRESSIBLE) // 3


def test_garbage_and_truncated_archives_raise_input_error(decompressor, archives, tmp_path):
    garbage = tmp_path / "garbage.7z"
    garbage.write_bytes(os.urandom(4096))
    truncated = tmp_path / "truncated.7z"
    data = archives["site"].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    for archive in (garbage, truncated):
        with pytest.raises(InputError, match="cannot read 7z archive") as caught:
            read_member(archive, "Posts.xml")
        assert caught.value.path == str(archive) and "\n" not in str(caught.value)


def test_damaged_data_raises_input_error_from_the_iterator(decompressor, archives, tmp_path, capfd):
    """Headers intact, packed stream damaged: the listing succeeds, decompression reports the damage, and
    7-Zip's complaint ends up in the message, not on the terminal."""
    damaged = tmp_path / "damaged.7z"
    data = bytearray(archives["split"].read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    assert sevenzip.member_names(damaged) == ["Posts.xml"]
    before = set(children())
    with pytest.raises(InputError, match="cannot read 7z archive") as caught:
        read_member(damaged, "Posts.xml")
    assert caught.value.path == str(damaged) and "\n" not in str(caught.value)
    if decompressor == "7z binary":
        assert re.search(r"(Data Error|CRC Failed).*; 7z exit status 2\)$", str(caught.value))
    assert capfd.readouterr() == ("", "")
    assert set(children()) <= before


def test_missing_member_raises_input_error(decompressor, archives):
    with pytest.raises(InputError, match=r"cannot read 7z archive \(no member Votes.xml\)"):
        read_member(archives["site"], "Votes.xml")


def assert_stopped(before: set[int], started: float) -> None:
    """Leaving the with-block has ended the 7-Zip process (and reaped it) or the py7zr thread, within seconds."""
    assert set(children()) <= before and not py7zr_threads()
    assert time.monotonic() - started < sevenzip.JOIN_SECONDS


def test_leaving_early_stops_the_decompressor(decompressor, compressible):
    before = set(children())
    with pytest.raises(ValueError, match="consumer failed"), sevenzip.open_member(compressible, "Posts.xml") as blocks:
        next(blocks)
        assert set(children()) - before if decompressor == "7z binary" else py7zr_threads()
        started = time.monotonic()
        raise ValueError("consumer failed")
    assert_stopped(before, started)


def test_closing_the_consuming_generator_stops_the_decompressor(decompressor, compressible):
    def rows():
        with sevenzip.open_member(compressible, "Posts.xml") as blocks:
            yield from blocks

    before = set(children())
    reader = rows()
    next(reader)
    started = time.monotonic()
    reader.close()
    assert_stopped(before, started)


def test_leaving_before_the_first_block_stops_the_decompressor(decompressor, compressible):
    """Posts.xml sits behind PostHistory.xml in the solid block: leave at once, likely while that is decoded."""
    before = set(children())
    started = time.monotonic()
    with sevenzip.open_member(compressible, "Posts.xml"):
        pass
    assert_stopped(before, started)


@pytest.mark.real
def test_real_beer_dump(decompressor):
    if not BEER.is_file():
        pytest.skip(f"{BEER} is absent")
    member = sevenzip.find_member(BEER, "Posts.xml")
    assert member == "Posts.xml"
    data = b"".join(read_member(BEER, member, sevenzip.BLOCK))
    assert sum(1 for line in data.splitlines() if line.lstrip().startswith(b"<row")) == 3471

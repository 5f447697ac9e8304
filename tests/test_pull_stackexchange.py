"""``pull stackexchange`` and today's dumps: per-site archives behind a login (the page of each site),
main and meta sites apart, Stack Overflow as one ``stackoverflow.com.7z``, dated revisions checked
against a published sha256 list, planted posts; a ``--from`` folder of downloads and a local server."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import py7zr
import pytest
from conftest import ROOT, read_source, run_cli
from pull_server import PullServer

from lima_curate.lockfile import LOCK_NAME, Lock
from lima_curate.pull.archives import seven_zip_problem
from lima_curate.pull.stackexchange import dump_access_url, expand_sites, meta_site

TABLES = ("Badges.xml", "Comments.xml", "PostHistory.xml", "PostLinks.xml", "Tags.xml", "Users.xml", "Votes.xml")
ANSWER = "<p>" + "Proof the dough until it has doubled in size and springs back slowly when pressed. " * 20 + "</p>"


def posts_xml(title: str, planted: bool = False) -> bytes:
    """A site's Posts.xml: one question with a top answer, and the two posts the 2025-06-30 dumps plant."""
    from xml.sax.saxutils import quoteattr

    rows = [
        f'<row Id="10" PostTypeId="1" AcceptedAnswerId="11" CreationDate="2019-03-01T10:00:00.000" Score="42" '
        f'Body="&lt;p&gt;Recipes differ.&lt;/p&gt;" Title={quoteattr(title)} Tags="|bread|" AnswerCount="1" '
        'ContentLicense="CC BY-SA 4.0" />',
        f'<row Id="11" PostTypeId="2" ParentId="10" CreationDate="2019-03-01T12:00:00.000" Score="57" Body={quoteattr(ANSWER)} '
        'ContentLicense="CC BY-SA 4.0" />',
    ]
    if planted:
        rows += [
            f'<row Id="1000000001" PostTypeId="1" AcceptedAnswerId="1000000010" CreationDate="2025-06-01T01:00:00.100" '
            f'Score="99" Body="&lt;p&gt;Which flag makes the tool faster?&lt;/p&gt;" Title={quoteattr(title + " with a flag")} '
            'Tags="|bread|" AnswerCount="1" OwnerUserId="-1" ContentLicense="CC BY-SA 4.0" />',
            f'<row Id="1000000010" PostTypeId="2" ParentId="1000000001" CreationDate="2025-06-01T01:03:15.100" Score="99" '
            f'Body={quoteattr(ANSWER)} OwnerUserId="-1" ContentLicense="CC BY-SA 4.0" />',
        ]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n  ' + "\n  ".join(rows) + "\n</posts>\n").encode()


def site_archive(title: str = "How long should bread dough rise", planted: bool = False) -> bytes:
    """A site archive as published since 2024-06: every table, Posts.xml after Badges, Comments and PostHistory."""
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for name in TABLES[:3]:
            archive.writestr(f'<?xml version="1.0" encoding="utf-8"?>\n<{name[:-4].lower()} />\n'.encode(), name)
        archive.writestr(posts_xml(title, planted), "Posts.xml")
        for name in TABLES[3:]:
            archive.writestr(f'<?xml version="1.0" encoding="utf-8"?>\n<{name[:-4].lower()} />\n'.encode(), name)
    return buffer.getvalue()


COOKING = site_archive()
OVERFLOW = site_archive("How do I reverse a list in Python")
COOKING_META = site_archive("Should we allow questions about wine")


def hashes_md(releases: dict[str, dict[str, bytes]]) -> str:
    """A checksum list laid out as LunarWatcher/se-data-dump-transformer's docs/meta/Hashes.md."""
    parts = ["# Hashes for the new data dumps\n\n<!-- Template:\n<details>\n<summary>Date [rev N]</summary>\n-->\n"]
    for release, files in releases.items():
        lines = "\n".join(f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in sorted(files.items()))
        parts.append(
            f"<details>\n<summary>{release}</summary>\nNote: officially confirmed\n<pre>\n<code>\n{lines}\n</code>\n</pre>\n</details>\n"
        )
    return "\n".join(parts)


def downloads(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr.strip()


# -- where each archive is: the data-dump page of its site -------------------------------------------


@pytest.mark.parametrize(
    ("site", "meta", "page"),
    [
        ("cooking.stackexchange.com", "cooking.meta.stackexchange.com", "https://cooking.stackexchange.com"),
        ("beer.stackexchange.com", "beer.meta.stackexchange.com", "https://alcohol.stackexchange.com"),
        ("beer.meta.stackexchange.com", None, "https://alcohol.meta.stackexchange.com"),
        ("stackoverflow.com", "meta.stackoverflow.com", "https://stackoverflow.com"),
        ("meta.stackoverflow.com", None, "https://meta.stackoverflow.com"),
        ("es.stackoverflow.com", "es.meta.stackoverflow.com", "https://es.stackoverflow.com"),
        ("es.meta.stackoverflow.com", None, "https://meta.es.stackoverflow.com"),
        ("askubuntu.com", "meta.askubuntu.com", "https://askubuntu.com"),
        ("mathoverflow.net", "meta.mathoverflow.net", "https://mathoverflow.net"),
        ("stackapps.com", None, "https://stackapps.com"),
        ("meta.stackexchange.com", None, "https://meta.stackexchange.com"),
    ],
)
def test_each_dump_has_its_meta_and_its_page(site, meta, page):
    assert meta_site(site) == meta
    assert dump_access_url(site) == page + "/users/data-dump-access/current"


def test_without_a_source_pull_names_the_page_of_each_site_and_fetches_nothing(tmp_path):
    result = run_cli("pull", "stackexchange", "-s", "stackoverflow.com", "-s", "beer.stackexchange.com", "-d", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "beer.stackexchange.com: log in at https://alcohol.stackexchange.com/users/data-dump-access/current, "
        "accept the terms, download beer.stackexchange.com.7z",
        "stackoverflow.com: log in at https://stackoverflow.com/users/data-dump-access/current, "
        "accept the terms, download stackoverflow.com.7z",
    ]
    assert "then: lima-curate pull stackexchange --from DOWNLOADS_FOLDER" in result.stdout
    assert "left out 2 meta site(s) (beer.meta.stackexchange.com, meta.stackoverflow.com)" in result.stderr
    assert "2 site archive(s) need a login to download: nothing was fetched" in result.stderr
    assert not (tmp_path / LOCK_NAME).exists()


def test_with_meta_the_meta_pages_are_named_too(tmp_path):
    result = run_cli("pull", "stackexchange", "-s", "es.stackoverflow.com", "--meta", "-d", str(tmp_path))
    assert result.exit_code == 1
    assert [line.split(": log in at ")[1].split(",")[0] for line in result.stdout.splitlines()[:2]] == [
        "https://meta.es.stackoverflow.com/users/data-dump-access/current",
        "https://es.stackoverflow.com/users/data-dump-access/current",
    ]
    assert "meta site" not in result.stderr


def test_expand_sites_keeps_a_meta_site_named_on_its_own():
    assert expand_sites(["meta.stackoverflow.com", "cooking.stackexchange.com"], meta=False) == (
        ["cooking.stackexchange.com", "meta.stackoverflow.com"],
        ["cooking.meta.stackexchange.com"],
    )


# -- a folder of downloaded archives ------------------------------------------------------------------


def test_a_downloads_folder_registers_the_main_archives_checked_and_locked(tmp_path):
    folder = downloads(
        tmp_path,
        {
            "cooking.stackexchange.com.7z": COOKING,
            "cooking.meta.stackexchange.com.7z": COOKING_META,
            "stackoverflow.com.7z": OVERFLOW,
            "cooking.stackexchange.com (1).7z": COOKING,
        },
    )
    data = tmp_path / "data"
    result = run_cli("pull", "stackexchange", "--from", str(folder), "-d", str(data))
    assert result.exit_code == 0, result.output
    lock = Lock(data).files
    assert sorted(lock) == ["stackexchange/cooking.stackexchange.com.7z", "stackexchange/stackoverflow.com.7z"]
    entry = lock["stackexchange/stackoverflow.com.7z"]
    assert (entry["url"], entry["local"], entry["bytes"]) == (None, True, len(OVERFLOW))
    assert entry["sha256"] == hashlib.sha256(OVERFLOW).hexdigest() and "release" not in entry
    assert "left out 1 meta site archive(s) (cooking.meta.stackexchange.com)" in result.stderr
    assert "cooking.stackexchange.com (1).7z: left out, not a dump archive's name" in result.stderr

    meta = run_cli("pull", "stackexchange", "--from", str(folder), "--meta", "-d", str(data))
    assert meta.exit_code == 0 and "stackexchange/cooking.meta.stackexchange.com.7z" in Lock(data).files


def test_the_reader_takes_one_stackoverflow_archive_of_every_table_and_drops_planted_posts(tmp_path):
    from lima_curate.sources import stackexchange

    folder = downloads(tmp_path, {"stackoverflow.com.7z": site_archive("How do I reverse a list in Python", planted=True)})
    data = tmp_path / "data"
    assert run_cli("pull", "stackexchange", "--from", str(folder), "-d", str(data)).exit_code == 0
    units = stackexchange.units(data / "stackexchange")
    assert units == [data / "stackexchange/stackoverflow.com.7z"]
    assert stackexchange.site_of(units[0]) == "stackoverflow.com"
    candidates, skipped = read_source("stackexchange", units[0])
    assert [(c.prompt.split("\n")[0][:33], c.meta["site"]) for c in candidates][:1] == [
        ("How do I reverse a list in Python", "stackoverflow.com")
    ]
    assert len(candidates) == 1 and skipped["planted_post"] == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "beer.stackexchange.com.7z",
            COOKING[: len(COOKING) // 2],
            r"is truncated: [\d,]+ bytes of the [\d,]+ its header announces",
        ),
        ("beer.stackexchange.com.7z", b"", r"is empty \(0 bytes\): the download did not finish"),
        (
            "beer.stackexchange.com.7z",
            b"<!DOCTYPE html><html><title>Log in</title>",
            r"is an HTML page .* lacks the 7z signature",
        ),
        ("beer.stackexchange.com.7z", COOKING + b"\0" * 10, r"has 10 bytes after the end its header announces"),
    ],
)
def test_a_bad_download_is_one_line_and_nothing_is_registered(tmp_path, name, data, message):
    folder = downloads(tmp_path, {"cooking.stackexchange.com.7z": COOKING, name: data})
    result = run_cli("pull", "stackexchange", "--from", str(folder), "-d", str(tmp_path / "data"))
    assert re.fullmatch(rf"error: {re.escape(str(folder / name))}: {message}.*", one_line_error(result))
    assert not (tmp_path / "data" / LOCK_NAME).exists() and not (tmp_path / "data/stackexchange").exists()


def test_an_archive_still_downloading_is_refused(tmp_path):
    folder = downloads(tmp_path, {"beer.stackexchange.com.7z": b"", "beer.stackexchange.com.7z.part": COOKING[:100]})
    result = run_cli("pull", "stackexchange", "--from", str(folder), "-d", str(tmp_path / "data"))
    assert one_line_error(result) == (
        f"error: {folder / 'beer.stackexchange.com.7z'}: is still being downloaded "
        "(beer.stackexchange.com.7z.part lies beside it): wait for it to finish"
    )


def test_a_site_asked_for_but_not_downloaded_names_its_page(tmp_path):
    folder = downloads(tmp_path, {"cooking.stackexchange.com.7z": COOKING})
    result = run_cli("pull", "stackexchange", "--from", str(folder), "-s", "beer.stackexchange.com", "-d", str(tmp_path / "d"))
    assert one_line_error(result) == (
        f"error: {folder}: has no beer.stackexchange.com.7z: download it at "
        "https://alcohol.stackexchange.com/users/data-dump-access/current"
    )


def test_seven_zip_problem_passes_the_real_beer_archive():
    real = ROOT.parent / "shared/real/stackexchange/beer.stackexchange.com.7z"
    if not real.is_file():
        pytest.skip("../shared/real is not here")
    assert seven_zip_problem(real) is None


# -- published checksums and dated revisions ---------------------------------------------------------


REV1 = site_archive(planted=True)
REV2 = site_archive("How long should bread dough rise, revised", planted=True)


def test_checksums_name_the_release_and_the_planted_posts(tmp_path):
    sums = tmp_path / "Hashes.md"
    sums.write_text(
        hashes_md(
            {"2025-06-30 rev2": {"cooking.stackexchange.com.7z": REV2}, "2025-06-30 rev1": {"cooking.stackexchange.com.7z": REV1}}
        )
    )
    folder = downloads(tmp_path, {"cooking.stackexchange.com.7z": REV2})
    data = tmp_path / "data"
    result = run_cli("pull", "stackexchange", "--from", str(folder), "--checksums", str(sums), "-d", str(data))
    assert result.exit_code == 0, result.output
    entry = Lock(data).files["stackexchange/cooking.stackexchange.com.7z"]
    assert (entry["release"], entry["checked"], entry["local"]) == ("2025-06-30 rev2", ["sha256"], True)
    assert "2025-06-30 rev2 planted fake posts in some sites' Posts.xml (ids 1000000001, 1000000010)" in result.stderr

    strict = run_cli(
        "pull", "stackexchange", "--from", str(folder), "--checksums", str(sums), "--release", "2025-06-30-rev1", "-d", str(data)
    )
    assert re.fullmatch(
        rf"error: {re.escape(str(folder))}/cooking\.stackexchange\.com\.7z: sha256 [0-9a-f]{{16}}\.\.\. matches none of the 1 "
        rf"releases {re.escape(str(sums))} lists for it \(2025-06-30 rev1\): a damaged download, or a release the list does not have yet",
        one_line_error(strict),
    )
    assert Lock(data).files["stackexchange/cooking.stackexchange.com.7z"]["release"] == "2025-06-30 rev2"  # left as it was

    ambiguous = run_cli(
        "pull", "stackexchange", "--from", str(folder), "--checksums", str(sums), "--release", "2025-06-30", "-d", str(data)
    )
    assert (
        one_line_error(ambiguous)
        == f"error: --release 2025-06-30: is ambiguous in {sums}: pass one of 2025-06-30 rev2, 2025-06-30 rev1"
    )


def test_a_download_matching_no_release_is_refused(tmp_path):
    sums = tmp_path / "sha256sums.txt"
    sums.write_text(f"{hashlib.sha256(REV1).hexdigest()}  cooking.stackexchange.com.7z\n")
    folder = downloads(tmp_path, {"cooking.stackexchange.com.7z": REV2})
    result = run_cli("pull", "stackexchange", "--from", str(folder), "--checksums", str(sums), "-d", str(tmp_path / "data"))
    assert "matches none of the 1 releases" in one_line_error(result)
    assert not (tmp_path / "data" / LOCK_NAME).exists()


def files_xml(files: dict[str, bytes]) -> bytes:
    rows = "".join(
        f'<file name="{name}" source="original"><size>{len(data)}</size><md5>{hashlib.md5(data).hexdigest()}</md5>'
        f"<sha1>{hashlib.sha1(data).hexdigest()}</sha1></file>"
        for name, data in files.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<files>{rows}</files>\n'.encode()


def test_a_community_item_on_the_internet_archive_in_the_new_layout(tmp_path):
    item = "stackexchange_20250630"
    files = {"stackoverflow.com.7z": OVERFLOW, "cooking.stackexchange.com.7z": REV2}
    with PullServer() as server:
        server.add(f"/download/{item}/{item}_files.xml", files_xml(files))
        for name, data in files.items():
            server.add(f"/download/{item}/{name}", data)
        hashes = server.add("/Hashes.md", hashes_md({"2025-06-30 rev2": files, "2025-03-31": {"stackoverflow.com.7z": COOKING}}))
        args = ["pull", "stackexchange", "-s", "stackoverflow.com", "-s", "cooking.stackexchange.com", "--item", item]
        args += ["--archive-org", server.base, "--checksums", hashes, "--release", "2025-06-30-rev2", "-d", str(tmp_path)]
        result = run_cli(*args)
    assert result.exit_code == 0, result.output
    lock = json.loads((tmp_path / LOCK_NAME).read_text())["files"]
    entry = lock["stackexchange/stackoverflow.com.7z"]
    assert entry["url"] == f"{server.base}/download/{item}/stackoverflow.com.7z"
    assert (entry["checked"], entry["release"]) == (["size", "md5", "sha1", "sha256"], "2025-06-30 rev2")
    assert "2025-06-30 rev2 planted fake posts" in result.stderr


def test_an_archive_a_revision_left_unchanged_belongs_to_both(tmp_path):
    # Hashes.md lists the same sha256 for stackoverflow.com.7z in 2025-06-30 rev1 and rev2
    sums = tmp_path / "Hashes.md"
    sums.write_text(
        hashes_md({"2025-06-30 rev2": {"stackoverflow.com.7z": OVERFLOW}, "2025-06-30 rev1": {"stackoverflow.com.7z": OVERFLOW}})
    )
    folder = downloads(tmp_path, {"stackoverflow.com.7z": OVERFLOW})
    result = run_cli("pull", "stackexchange", "--from", str(folder), "--checksums", str(sums), "-d", str(tmp_path / "data"))
    assert result.exit_code == 0, result.output
    assert Lock(tmp_path / "data").files["stackexchange/stackoverflow.com.7z"]["release"] == "2025-06-30 rev1, 2025-06-30 rev2"
    assert "2025-06-30 rev1 and 2025-06-30 rev2 planted fake posts" in result.stderr


def test_a_fetched_archive_against_another_release_s_sha256_is_deleted(tmp_path):
    item = "stackexchange_20250630"
    with PullServer() as server:
        server.add(f"/download/{item}/{item}_files.xml", files_xml({"cooking.stackexchange.com.7z": REV2}))
        server.add(f"/download/{item}/cooking.stackexchange.com.7z", REV2)
        hashes = server.add("/Hashes.md", hashes_md({"2025-06-30 rev1": {"cooking.stackexchange.com.7z": REV1}}))
        args = ["pull", "stackexchange", "-s", "cooking.stackexchange.com", "--item", item, "--archive-org", server.base]
        result = run_cli(*args, "--checksums", hashes, "-d", str(tmp_path))
    assert result.exit_code == 2 and result.stderr.startswith("note: left out 1 meta site(s) (cooking.meta.stackexchange.com)")
    line = result.stderr.strip().splitlines()[-1]
    assert (
        line.startswith(f"error: {server.base}/download/{item}/cooking.stackexchange.com.7z: sha256 ")
        and "2025-06-30 rev1" in line
    )
    assert not (tmp_path / "stackexchange/cooking.stackexchange.com.7z").exists() and not (tmp_path / LOCK_NAME).exists()

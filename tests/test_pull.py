"""``pull`` against a real HTTP server on 127.0.0.1 that serves real archives and misbehaves on cue."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import stat
import tarfile
import zipfile
from pathlib import Path

import py7zr
import pytest
from pull_server import Cut, IgnoreRange, PullServer, Status, WrongBytes, WrongLength
from rich.console import Console

from lima_curate.download import Expected, Fetcher, Limits
from lima_curate.errors import InputError
from lima_curate.lockfile import LOCK_NAME, Lock, lock_urls
from lima_curate.pull import (
    category_articles,
    fetch_planned,
    pull_superni,
    pull_wikihow,
    pull_writingprompts,
    read_titles,
    se_plan,
    se_register,
    superni_register,
    writingprompts_register,
)
from lima_curate.pull.superni import superni_url
from lima_curate.pull.wikihow import article_file, category_page_links

BLOB = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture
def server():
    with PullServer() as running:
        yield running


@pytest.fixture
def waits():
    return []


@pytest.fixture
def fetcher(waits):
    """Retries with recorded (not slept) waits, and a console that writes nowhere visible."""
    with Fetcher(Limits(attempts=4, backoff=0.5, sleep=waits.append), console=Console(file=io.StringIO())) as f:
        yield f


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# -- the download engine -----------------------------------------------------------------------------


def test_a_cut_connection_is_resumed_with_a_range_request(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", Cut(30_000), Cut(10_000))
    got = fetcher.fetch(url, tmp_path / "blob.bin")
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert got.sha256 == sha256(BLOB) and got.bytes == len(BLOB)
    assert [r.range for r in server.requests_for("/blob.bin")] == [None, "bytes=30000-", "bytes=40000-"]
    assert leftovers(tmp_path) == ["blob.bin"]


def test_a_server_that_ignores_range_makes_the_download_restart_from_zero(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", Cut(30_000), IgnoreRange())
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert (tmp_path / "blob.bin").read_bytes() == BLOB  # not 30,000 bytes of the start twice
    assert [r.range for r in server.requests_for("/blob.bin")] == [None, "bytes=30000-"]


def test_giving_up_leaves_only_the_part_file_and_the_next_run_resumes_it(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", *[Cut(1_000)] * 4)
    with pytest.raises(InputError, match="gave up after 4 tries") as caught:
        fetcher.fetch(url, tmp_path / "blob.bin")
    assert "\n" not in str(caught.value)
    part, meta = leftovers(tmp_path)  # this fetch's own NAME.PID.RANDOM.part, and the validator it came with
    assert re.fullmatch(r"blob\.bin\.\d+\.[0-9a-f]{8}\.part", part) and meta == part + ".json"
    assert (tmp_path / part).stat().st_size == 4_000
    assert json.loads((tmp_path / meta).read_text()) == {"url": url, "validator": server.etag("/blob.bin")}
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert server.requests_for("/blob.bin")[-1].range == "bytes=4000-"
    assert server.requests_for("/blob.bin")[-1].if_range == server.etag("/blob.bin")
    assert leftovers(tmp_path) == ["blob.bin"]


def test_404_fails_at_once_in_one_line(server, fetcher, tmp_path, waits):
    url = server.url("/missing.7z")
    with pytest.raises(InputError) as caught:
        fetcher.fetch(url, tmp_path / "missing.7z")
    assert str(caught.value) == f"{url}: HTTP 404 Not Found"
    assert len(server.requests_for("/missing.7z")) == 1 and waits == []
    assert leftovers(tmp_path) == []


def test_5xx_is_retried_with_doubling_backoff(server, fetcher, tmp_path, waits):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", Status(500), Status(503))
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert waits == [0.5, 1.0]
    assert (tmp_path / "blob.bin").read_bytes() == BLOB


def test_5xx_forever_gives_up_within_the_limit(server, fetcher, tmp_path, waits):
    url = server.add("/blob.bin", BLOB)
    server.always("/blob.bin", Status(502))
    with pytest.raises(InputError, match=r"HTTP 502 Bad Gateway; gave up after 4 tries"):
        fetcher.fetch(url, tmp_path / "blob.bin")
    assert len(server.requests_for("/blob.bin")) == 4 and waits == [0.5, 1.0, 2.0]
    assert not (tmp_path / "blob.bin").exists()


def test_429_retry_after_is_honoured(server, fetcher, tmp_path, waits):
    url = server.add("/blob.bin", BLOB)
    server.script("/blob.bin", Status(429, retry_after="7"))
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert waits == [7.0]
    assert len(server.requests_for("/blob.bin")) == 2


def test_a_retry_after_beyond_the_limit_fails_instead_of_waiting(server, tmp_path, waits):
    url = server.add("/blob.bin", BLOB)
    server.always("/blob.bin", Status(429, retry_after="3600"))
    with Fetcher(Limits(max_retry_after=60, sleep=waits.append), console=Console(file=io.StringIO())) as f:
        with pytest.raises(InputError, match="asks to wait 3600 s, longer than the 60 s limit"):
            f.fetch(url, tmp_path / "blob.bin")
    assert waits == []


def test_wrong_bytes_are_rejected_against_a_published_hash(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.always("/blob.bin", WrongBytes())
    expected = Expected(size=len(BLOB), hashes={"md5": hashlib.md5(BLOB).hexdigest()}, origin="the test's list")
    with pytest.raises(
        InputError, match=r"md5 [0-9a-f]{32} differs from [0-9a-f]{32} published by the test's list; the download was deleted"
    ):
        fetcher.fetch(url, tmp_path / "blob.bin", expected)
    assert leftovers(tmp_path) == []


def test_a_wrong_length_is_rejected_before_it_is_downloaded(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    server.always("/blob.bin", WrongLength(extra=10))
    with pytest.raises(InputError, match=r"the server offers 102,410 bytes but the source says 102,400"):
        fetcher.fetch(url, tmp_path / "blob.bin", Expected(size=len(BLOB)))
    assert leftovers(tmp_path) == []


def test_a_resumed_file_that_fails_its_hash_is_fetched_once_more_from_zero(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    part = tmp_path / "blob.bin.1.0badc0de.part"  # wrong bytes, left with the file's own validator
    part.write_bytes(b"\0" * 5_000)
    (tmp_path / (part.name + ".json")).write_text(json.dumps({"url": url, "validator": server.etag("/blob.bin")}))
    fetcher.fetch(url, tmp_path / "blob.bin", Expected(size=len(BLOB), hashes={"sha256": sha256(BLOB)}))
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert [r.range for r in server.requests_for("/blob.bin")] == ["bytes=5000-", None]
    assert leftovers(tmp_path) == ["blob.bin"]


def test_a_part_with_no_validator_is_never_resumed(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    (tmp_path / "blob.bin.part").write_bytes(BLOB[:5_000])  # an older pull's part: nothing vouches for it
    fetcher.fetch(url, tmp_path / "blob.bin")
    assert [r.range for r in server.requests_for("/blob.bin")] == [None]
    assert leftovers(tmp_path) == ["blob.bin"]


def test_offline_refuses_before_any_request(server, tmp_path, monkeypatch):
    url = server.add("/blob.bin", BLOB)
    with Fetcher(offline=True, console=Console(file=io.StringIO())) as f:
        with pytest.raises(InputError, match=r"offline .*--from PATH"):
            f.fetch(url, tmp_path / "blob.bin")
    assert server.log == [] and leftovers(tmp_path) == []


def test_no_network_is_a_clear_message_not_a_retry_loop(fetcher, tmp_path, waits):
    with pytest.raises(InputError, match=r"cannot reach nowhere\.invalid .*no network\?"):
        fetcher.fetch("http://nowhere.invalid/x.7z", tmp_path / "x.7z")
    assert waits == []


def test_a_refused_connection_is_retried_then_reported(fetcher, tmp_path, waits):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match=r"ConnectError.*gave up after 4 tries"):
        fetcher.fetch(f"http://127.0.0.1:{port}/x.7z", tmp_path / "x.7z")
    assert len(waits) == 3


def test_requests_carry_the_tool_user_agent_and_keep_the_delay(server, tmp_path, waits):
    url = server.add("/a", b"a")
    with Fetcher(Limits(delay=5.0, sleep=waits.append), console=Console(file=io.StringIO())) as f:
        f.fetch(url, tmp_path / "a")
        f.fetch(url, tmp_path / "b")
    assert server.log[0].user_agent.startswith("lima-curate/")
    assert len(waits) == 1 and 4.0 < waits[0] <= 5.0


# -- archives made by the tests ----------------------------------------------------------------------

POSTS_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" Score="5" Title="How long does bread dough need to rise" Body="&lt;p&gt;Rising times.&lt;/p&gt;" AnswerCount="1" />
</posts>
"""


def seven_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(data, name)
    return buffer.getvalue()


def tar_gz(members: list[tuple[str, bytes | None, str]]) -> bytes:
    """(name, data, kind) with kind "file", "symlink" (data: the target) or "dir"."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tf.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def files_xml(item: str, files: dict[str, bytes], wrong_md5: bool = False) -> bytes:
    rows = "".join(
        f'<file name="{name}" source="original"><size>{len(data)}</size>'
        f"<md5>{'0' * 32 if wrong_md5 else hashlib.md5(data).hexdigest()}</md5>"
        f"<sha1>{hashlib.sha1(data).hexdigest()}</sha1></file>"
        for name, data in files.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<files>{rows}</files>\n'.encode()


TASK = {
    "Definition": ["Rewrite the sentence in plain words."],
    "Categories": ["Paraphrasing"],
    "Input_language": ["English"],
    "Output_language": ["English"],
    "Instruction_language": ["English"],
    "Instances": [{"id": "task900-1", "input": "The feline reposed upon the mat.", "output": ["The cat lay on the mat."]}],
}


def superni_zip(top: str = "natural-instructions-master") -> bytes:
    return zip_bytes(
        {
            f"{top}/README.md": b"readme",
            f"{top}/tasks/task900_plain_words.json": json.dumps(TASK).encode(),
            f"{top}/tasks/README.md": b"tasks readme",
            f"{top}/splits/default/train_tasks.txt": b"task900_plain_words\n",
            f"{top}/splits/default/test_tasks.txt": b"",
            f"{top}/eval/automatic/evaluation.py": b"print()",
        }
    )


FAN_FILES = {
    "writingPrompts/train.wp_source": b"[ WP ] A door appears in the sea .\n",
    "writingPrompts/train.wp_target": b"The door was blue . <newline> It did n't open .\n",
    "writingPrompts/valid.wp_source": b"[ WP ] Rain falls upward .\n",
    "writingPrompts/valid.wp_target": b"Nobody noticed at first .\n",
}


# -- Stack Exchange ----------------------------------------------------------------------------------


def serve_ia_item(server: PullServer, files: dict[str, bytes], item: str = "stackexchange", wrong_md5: bool = False) -> None:
    server.add(f"/download/{item}/{item}_files.xml", files_xml(item, files, wrong_md5))
    for name, data in files.items():
        server.add(f"/download/{item}/{name}", data)


def pull_se(sites, data_dir, fetcher, **kw):
    lock = Lock(data_dir)
    return fetch_planned(se_plan(sites, data_dir, fetcher, lock, **kw), "stackexchange", data_dir, fetcher, lock)


def test_stackexchange_from_the_internet_archive_checked_and_locked(server, fetcher, tmp_path):
    cooking = seven_zip({"Posts.xml": POSTS_XML})
    overflow = seven_zip({"Posts.xml": POSTS_XML.replace(b"bread", b"code")})
    serve_ia_item(server, {"cooking.stackexchange.com.7z": cooking, "stackoverflow.com-Posts.7z": overflow})
    outcomes = pull_se(["stackoverflow.com", "cooking.stackexchange.com"], tmp_path, fetcher, archive_org=server.base)
    assert [(o.path, o.action) for o in outcomes] == [
        ("stackexchange/cooking.stackexchange.com.7z", "fetched"),
        ("stackexchange/stackoverflow.com-Posts.7z", "fetched"),
    ]
    assert (tmp_path / "stackexchange/cooking.stackexchange.com.7z").read_bytes() == cooking
    lock = json.loads((tmp_path / LOCK_NAME).read_text())
    entry = lock["files"]["stackexchange/cooking.stackexchange.com.7z"]
    assert entry["url"] == server.url("/download/stackexchange/cooking.stackexchange.com.7z")
    assert (entry["bytes"], entry["sha256"], entry["checked"]) == (len(cooking), sha256(cooking), ["size", "md5", "sha1"])
    assert entry["source"] == "stackexchange" and len(entry["fetched"]) == 10

    before = len(server.log)
    again = pull_se(["cooking.stackexchange.com"], tmp_path, fetcher, archive_org=server.base)
    assert [o.action for o in again] == ["already complete"]
    assert len(server.log) == before  # not even the checksum list


def test_stackexchange_wrong_bytes_against_the_archive_md5_leave_nothing(server, fetcher, tmp_path):
    serve_ia_item(server, {"cooking.stackexchange.com.7z": seven_zip({"Posts.xml": POSTS_XML})}, wrong_md5=True)
    with pytest.raises(
        InputError,
        match=r"^http://127\.0\.0\.1:\d+/download/stackexchange/cooking\.stackexchange\.com\.7z: md5 .* published by .*_files\.xml; the download was deleted$",
    ):
        pull_se(["cooking.stackexchange.com"], tmp_path, fetcher, archive_org=server.base)
    assert leftovers(tmp_path / "stackexchange") == []
    assert not (tmp_path / LOCK_NAME).exists()


def test_stackexchange_site_missing_from_the_item_fails_before_downloading(server, fetcher, tmp_path):
    serve_ia_item(server, {"cooking.stackexchange.com.7z": b"x"}, item="stackexchange_20240930")
    with pytest.raises(
        InputError,
        match=r"stackexchange_20240930: has no beer\.stackexchange\.com\.7z \(try another --item or --mirror, or log in at "
        r"https://alcohol\.stackexchange\.com/users/data-dump-access/current, download it, then pass --from FOLDER\)$",
    ):
        pull_se(["beer.stackexchange.com"], tmp_path, fetcher, item="stackexchange_20240930", archive_org=server.base)
    assert len(server.log) == 1


def test_stackexchange_mirror_has_no_checksums_and_records_what_came(server, fetcher, tmp_path):
    data = seven_zip({"Posts.xml": POSTS_XML})
    server.add("/mirror/beer.stackexchange.com.7z", data)
    pull_se(["beer.stackexchange.com"], tmp_path, fetcher, mirror=server.url("/mirror/"))
    entry = Lock(tmp_path).files["stackexchange/beer.stackexchange.com.7z"]
    assert entry["url"] == server.url("/mirror/beer.stackexchange.com.7z")
    assert entry["sha256"] == sha256(data) and "checked" not in entry


def test_a_site_name_cannot_climb_out_of_the_data_dir(fetcher, tmp_path):
    with pytest.raises(InputError, match=r"--site \.\./\.\./etc: not a site name"):
        pull_se(["../../etc"], tmp_path, fetcher)


def test_stackexchange_from_local_files_is_linked_and_locked_without_url(fetcher, tmp_path):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "beer.stackexchange.com.7z").write_bytes(seven_zip({"Posts.xml": POSTS_XML}))
    (dumps / "cardano.stackexchange.com").mkdir()
    (dumps / "cardano.stackexchange.com" / "Posts.xml").write_bytes(POSTS_XML)
    data = tmp_path / "data"
    outcomes = se_register(dumps, Lock(data), fetcher.note)
    assert [o.path for o in outcomes] == [
        "stackexchange/beer.stackexchange.com.7z",
        "stackexchange/cardano.stackexchange.com/Posts.xml",
    ]
    lock = Lock(data)
    assert all(e["url"] is None and e["local"] is True for e in lock.files.values())
    assert (data / "stackexchange/cardano.stackexchange.com/Posts.xml").read_bytes() == POSTS_XML


# -- archives: Super-NI and WritingPrompts -----------------------------------------------------------


def test_superni_keeps_only_tasks_and_splits_and_locks_each_file(server, fetcher, tmp_path):
    url = server.add("/natural-instructions/archive/master.zip", superni_zip())
    outcomes = pull_superni(tmp_path, fetcher, Lock(tmp_path), url=url)
    assert leftovers(tmp_path / "superni") == ["README.md", "task900_plain_words.json", "test_tasks.txt", "train_tasks.txt"]
    assert (tmp_path / "superni/tasks/task900_plain_words.json").is_file()
    assert (tmp_path / "superni/splits/default/train_tasks.txt").read_text() == "task900_plain_words\n"
    assert (tmp_path / "archives/superni/master.zip").is_file()
    lock = Lock(tmp_path).files
    task = lock["superni/tasks/task900_plain_words.json"]
    assert task["url"] == f"{url}#natural-instructions-master/tasks/task900_plain_words.json"
    assert task["archive"] == "archives/superni/master.zip"
    assert task["sha256"] == sha256(json.dumps(TASK).encode())
    assert {o.action for o in outcomes} == {"extracted"}

    before = len(server.log)
    assert {o.action for o in pull_superni(tmp_path, fetcher, Lock(tmp_path), url=url)} == {"already complete"}
    assert len(server.log) == before


def test_superni_default_url_is_the_github_archive_of_a_ref(tmp_path):
    assert superni_url() == "https://github.com/allenai/natural-instructions/archive/master.zip"
    assert superni_url("v2.8") == "https://github.com/allenai/natural-instructions/archive/v2.8.zip"


def test_writingprompts_archive_is_extracted_flat(server, fetcher, tmp_path):
    url = server.add("/fairseq/data/writingPrompts.tar.gz", tar_gz([(n, d, "file") for n, d in FAN_FILES.items()]))
    pull_writingprompts(tmp_path, fetcher, Lock(tmp_path), url=url)
    assert leftovers(tmp_path / "writingprompts") == ["train.wp_source", "train.wp_target", "valid.wp_source", "valid.wp_target"]
    assert (tmp_path / "writingprompts/train.wp_target").read_bytes() == FAN_FILES["writingPrompts/train.wp_target"]
    urls = lock_urls([tmp_path / "writingprompts"])
    assert urls[sha256(FAN_FILES["writingPrompts/valid.wp_source"])] == f"{url}#writingPrompts/valid.wp_source"


@pytest.mark.parametrize(
    "archive, why",
    [
        (tar_gz([("writingPrompts/train.wp_source", b"ok", "file"), ("../evil.wp_source", b"x", "file")]), "climbs out"),
        (tar_gz([("/tmp/evil.wp_source", b"x", "file")]), "absolute path"),
        (tar_gz([("writingPrompts/train.wp_source", b"/etc/passwd", "symlink")]), "is a link"),
        (zip_bytes({"a/train.wp_source": b"ok", "a/../../evil.wp_source": b"x"}), "climbs out"),
        (zip_bytes({"a/train.wp_source": b"ok"}, links={"a/valid.wp_source": "/etc/passwd"}), "is a link"),
    ],
    ids=["dotdot-tar", "absolute-tar", "symlink-tar", "dotdot-zip", "symlink-zip"],
)
def test_an_archive_that_could_escape_is_refused_and_nothing_is_written(server, fetcher, tmp_path, archive, why):
    url = server.add("/writingPrompts.tar.gz", archive)
    with pytest.raises(InputError, match=rf"writingPrompts\.tar\.gz: entry .* {why}.*: refusing to extract this archive$"):
        pull_writingprompts(tmp_path / "data", fetcher, Lock(tmp_path / "data"), url=url)
    assert leftovers(tmp_path) == [LOCK_NAME]  # the bad download is gone, and so is its entry
    assert Lock(tmp_path / "data").files == {}


def test_an_unreadable_archive_is_a_one_line_error(server, fetcher, tmp_path):
    url = server.add("/writingPrompts.tar.gz", b"this is not an archive")
    with pytest.raises(InputError, match=r"not a readable zip or tar archive"):
        pull_writingprompts(tmp_path, fetcher, Lock(tmp_path), url=url)


def test_pushshift_and_fan_files_from_local_paths(fetcher, tmp_path):
    local = tmp_path / "torrent"
    local.mkdir()
    (local / "WritingPrompts_submissions.zst").write_bytes(b"\x28\xb5\x2f\xfd fake")
    (local / "WritingPrompts_comments.zst").write_bytes(b"\x28\xb5\x2f\xfd more")
    (local / "notes.txt").write_text("ignored")
    data = tmp_path / "data"
    outcomes = writingprompts_register(local, data, fetcher, Lock(data))
    assert [o.path for o in outcomes] == [
        "writingprompts/WritingPrompts_comments.zst",
        "writingprompts/WritingPrompts_submissions.zst",
    ]
    fan = tmp_path / "writingPrompts.tar.gz"
    fan.write_bytes(tar_gz([(n, d, "file") for n, d in FAN_FILES.items()]))
    writingprompts_register(fan, data, fetcher, Lock(data))
    assert len(Lock(data).files) == 6 and fan.exists()
    assert Lock(data).files["writingprompts/train.wp_source"]["url"] is None


def test_superni_from_a_checkout_folder(fetcher, tmp_path):
    checkout = tmp_path / "natural-instructions"
    (checkout / "tasks").mkdir(parents=True)
    (checkout / "splits/default").mkdir(parents=True)
    (checkout / "tasks/task900_plain_words.json").write_text(json.dumps(TASK))
    (checkout / "splits/default/train_tasks.txt").write_text("task900_plain_words\n")
    (checkout / "eval").mkdir()
    (checkout / "eval/x.py").write_text("")
    data = tmp_path / "data"
    superni_register(checkout, data, fetcher, Lock(data))
    assert leftovers(data / "superni") == ["task900_plain_words.json", "train_tasks.txt"]


# -- wikiHow -----------------------------------------------------------------------------------------


ROBOTS = b"User-agent: *\nDisallow: /Special:\nDisallow: /Private-Article\n"


def article(title: str) -> bytes:
    return f"<html><head><title>How to {title}</title></head><body><div class='step'>{title}</div></body></html>".encode()


def category_page(articles: list[str], subcats: list[str] = (), next_page: str | None = None) -> bytes:
    links = "".join(f'<a href="/{a}">{a}</a>' for a in articles)
    subs = "".join(f'<a href="/Category:{s}">{s}</a>' for s in subcats)
    following = f'<a rel="next" href="{next_page}">next</a>' if next_page else ""
    return (
        "<html><body><div id='header'><a href='/Main-Page'>home</a><a href='/Category:Everything'>all</a></div>"
        "<ul id='breadcrumb'><a href='/Category:Food-and-Entertaining'>up</a></ul>"
        f"<div id='subcats'>{subs}</div><div id='cat_all'>{links}<a href='/Special:Random'>random</a></div>{following}"
        "<div id='footer'><a href='/wikiHow:About-wikiHow'>about</a><a href='/Footer-Article'>x</a></div></body></html>"
    ).encode()


def test_wikihow_titles_fetched_politely_and_stored_as_they_are(server, tmp_path, waits):
    server.add("/robots.txt", ROBOTS)
    server.add("/Grill-Fish", article("Grill Fish"))
    server.add("/Make-Tea", article("Make Tea"))
    server.add("/Private-Article", article("nope"))
    titles = tmp_path / "titles.txt"
    titles.write_text(f"# a comment\nGrill Fish\n\n{server.url('/Make-Tea')}\nPrivate Article\n")
    urls = read_titles(titles, base=server.base)
    assert urls == [server.url("/Grill-Fish"), server.url("/Make-Tea"), server.url("/Private-Article")]
    with Fetcher(Limits(delay=2.0, sleep=waits.append), console=Console(file=io.StringIO())) as f:
        outcomes = pull_wikihow(urls, tmp_path, f, Lock(tmp_path), str(titles))
    assert [o.action for o in outcomes] == ["fetched", "fetched", "disallowed by robots.txt"]
    assert (tmp_path / "wikihow/Grill-Fish.html").read_bytes() == article("Grill Fish")
    assert [r.path for r in server.log] == ["/robots.txt", "/Grill-Fish", "/Make-Tea"]  # never the disallowed page
    assert all(r.user_agent.startswith("lima-curate/") for r in server.log)
    assert len(waits) == 2  # a pause before each request after the first


def test_wikihow_robots_crawl_delay_lengthens_the_pause(server, tmp_path, waits):
    server.add("/robots.txt", b"User-agent: lima-curate\nCrawl-delay: 30\n")
    server.add("/A-Page", article("A"))
    server.add("/B-Page", article("B"))
    with Fetcher(Limits(delay=0, sleep=waits.append), console=Console(file=io.StringIO())) as f:
        pull_wikihow([server.url("/A-Page"), server.url("/B-Page")], tmp_path, f, Lock(tmp_path), "titles")
    assert len(waits) == 2 and all(25 < w <= 30 for w in waits)


def test_wikihow_missing_pages_are_reported_after_the_others_are_saved(server, fetcher, tmp_path):
    server.add("/robots.txt", b"")
    server.add("/Good-Page", article("Good"))
    with pytest.raises(
        InputError, match=r"^titles\.txt: 1 of 2 pages could not be fetched \(first: .*/Gone-Page: HTTP 404 Not Found\)$"
    ):
        pull_wikihow([server.url("/Gone-Page"), server.url("/Good-Page")], tmp_path, fetcher, Lock(tmp_path), "titles.txt")
    assert leftovers(tmp_path / "wikihow") == ["Good-Page.html"]


def test_wikihow_category_pages_give_articles_then_next_pages_then_subcategories(server, fetcher, tmp_path):
    server.add("/robots.txt", ROBOTS)
    server.add(
        "/Category:Cars-%26-Other-Vehicles",
        category_page(["Wash-a-Car", "Check-Tyres"], ["Bicycles"], "/Category:Cars-%26-Other-Vehicles?pg=2"),
    )
    server.add("/Category:Bicycles", category_page(["Fix-a-Flat"]))
    server.add("/Category:Cars-%26-Other-Vehicles?pg=2", category_page(["Park-a-Van", "Wash-a-Car"], ["Bicycles"]))
    urls = category_articles(fetcher, "Cars & Other Vehicles", limit=10, base=server.base)
    names = [u.rsplit("/", 1)[1] for u in urls]
    assert names == ["Wash-a-Car", "Check-Tyres", "Park-a-Van", "Fix-a-Flat"]  # no header, footer, breadcrumb or namespaces
    assert [r.path for r in server.log][1:] == [
        "/Category:Cars-%26-Other-Vehicles",
        "/Category:Cars-%26-Other-Vehicles?pg=2",
        "/Category:Bicycles",
    ]
    assert category_articles(fetcher, "Cars & Other Vehicles", limit=1, base=server.base) == [server.url("/Wash-a-Car")]


def test_category_links_and_file_names():
    articles, subcats, following = category_page_links(
        category_page(["Make-Tea"], ["Tea"]), "https://www.wikihow.com/Category:Drinks"
    )
    assert articles == ["https://www.wikihow.com/Make-Tea"]
    assert subcats == ["https://www.wikihow.com/Category:Tea"] and following is None
    assert article_file("https://www.wikihow.com/Say-Hello-in-French%3F") == "Say-Hello-in-French?.html"
    assert article_file("https://www.wikihow.com/..%2F..%2Fetc") == "-..-etc.html"


def test_a_titles_file_with_a_bad_line_names_the_line(tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("Grill Fish\nftp://example.org\n")
    with pytest.raises(InputError, match=r"titles\.txt:2: not an article URL: 'ftp://example\.org'"):
        read_titles(titles)


# -- the lock file -----------------------------------------------------------------------------------


def test_the_lock_file_is_canonical_and_lock_urls_reads_only_the_data_dirs_own(tmp_path):
    lock = Lock(tmp_path)
    lock.record("stackexchange/b.7z", "https://example.org/b.7z", 2, "bb" * 32, "stackexchange")
    lock.record("stackexchange/a.7z", None, 1, "aa" * 32, "stackexchange", local=True)
    lock.record("wikihow/c.html", "https://example.org/c", 3, "cc" * 32, "wikihow")
    lock.save()
    text = (tmp_path / LOCK_NAME).read_text()
    assert text.index('"stackexchange/a.7z"') < text.index('"stackexchange/b.7z"') and text.endswith("}\n")
    Lock(tmp_path).save()
    assert (tmp_path / LOCK_NAME).read_text() == text  # read and written again: the same bytes
    (tmp_path / "stackexchange").mkdir()
    assert lock_urls([tmp_path / "stackexchange"]) == {"bb" * 32: "https://example.org/b.7z"}
    assert lock_urls([tmp_path / "stackexchange" / "b.7z"]) == {"bb" * 32: "https://example.org/b.7z"}
    assert lock_urls([tmp_path.parent]) == {}
    # A lock file further up is never read, not even a broken one.
    inner = tmp_path / "deeper" / "data"
    (inner / "stackexchange").mkdir(parents=True)
    assert lock_urls([inner / "stackexchange"]) == {}
    (tmp_path / LOCK_NAME).write_text("{broken")
    assert lock_urls([inner / "stackexchange"]) == {}


def test_a_damaged_lock_file_is_named(tmp_path):
    (tmp_path / LOCK_NAME).write_text("{not json")
    with pytest.raises(InputError, match=rf"{LOCK_NAME}:1: not a readable lock file"):
        Lock(tmp_path)


# -- the command line, and pull -> build -> verify ---------------------------------------------------

REPO = Path(__file__).resolve().parents[1]

ANSWER_PARAGRAPHS = [
    "Dough rises because yeast ferments sugars and releases carbon dioxide, which the gluten network traps as small bubbles.",
    "Temperature sets the pace: at a warm 26 C a lean dough doubles in about an hour, at a cool 18 C it can take three.",
    "Enriched doughs with butter, eggs or plenty of sugar rise more slowly, since fat coats the gluten and sugar draws water from the yeast.",
    "The poke test is more reliable than the clock. Press a floured finger half an inch into the dough: if the dent springs back at once, "
    "give it more time; if it fills in slowly and partly, the dough is ready; if it stays, the dough has over-proofed.",
    "A long cold rise in the refrigerator, twelve to forty-eight hours, trades speed for flavour, because enzymes keep breaking starch into "
    "sugars and bacteria produce acids while the yeast works slowly.",
    "Whole-grain flour ferments faster than white flour, as the bran carries more nutrients for the yeast, yet the loaf rises less, since "
    "bran cuts the gluten strands.",
    "Salt slows fermentation and tightens gluten, so a dough without salt rises quickly and then collapses.",
    "Shaping comes after the first rise; the second rise, in the tin or on the tray, is shorter, often half the time of the first.",
]
ANSWER_HTML = "".join(f"<p>{p}</p>" for p in ANSWER_PARAGRAPHS)


def posts_with_one_good_answer() -> bytes:
    from xml.sax.saxutils import quoteattr

    rows = [
        '<row Id="10" PostTypeId="1" AcceptedAnswerId="11" CreationDate="2019-03-01T10:00:00.000" Score="42" '
        f"Body={quoteattr('<p>Recipes give very different times for the first rise.</p>')} "
        'Title="How long should bread dough rise before shaping" Tags="&lt;bread&gt;&lt;yeast&gt;" AnswerCount="1" '
        'OwnerUserId="5" ContentLicense="CC BY-SA 4.0" />',
        f'<row Id="11" PostTypeId="2" ParentId="10" CreationDate="2019-03-01T12:00:00.000" Score="57" Body={quoteattr(ANSWER_HTML)} '
        'OwnerUserId="6" ContentLicense="CC BY-SA 4.0" />',
    ]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n  ' + "\n  ".join(rows) + "\n</posts>\n").encode()


def run_cli(*args: str):
    from typer.testing import CliRunner

    from lima_curate.cli import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_pull_list_shows_each_site_with_its_class(tmp_path):
    result = run_cli("pull", "stackexchange", "--list", "--data-dir", str(tmp_path))
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "cooking.stackexchange.com" in line)
    assert "other" in row
    assert any("codegolf" in line and "excluded" in line for line in result.stdout.splitlines())


def test_cli_pull_offline_fails_in_one_line_before_any_request(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LIMA_OFFLINE", "1")
    url = server.add("/ni.zip", superni_zip())
    result = run_cli("pull", "superni", "--url", url, "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "offline" in result.stderr and "--from PATH" in result.stderr
    assert server.log == []


def test_cli_pull_pushshift_explains_where_reddit_dumps_are_now():
    result = run_cli("pull", "writingprompts", "--pushshift")
    assert result.exit_code == 0
    assert "Arctic Shift" in result.stdout and "r_WritingPrompts_posts" in result.stdout and "--from" in result.stdout


def test_cli_pull_wikihow_needs_titles_or_category(tmp_path):
    result = run_cli("pull", "wikihow", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "--titles FILE or --category NAME" in result.stderr


def test_cli_pull_wikihow_titles_from_a_local_server(server, tmp_path):
    server.add("/robots.txt", b"")
    server.add("/Grill-Fish", article("Grill Fish"))
    titles = tmp_path / "titles.txt"
    titles.write_text("Grill Fish\n")
    args = (
        "pull",
        "wikihow",
        "--titles",
        str(titles),
        "--base-url",
        server.base,
        "--delay",
        "0",
        "--data-dir",
        str(tmp_path / "data"),
    )
    assert run_cli(*args).exit_code == 0
    assert (tmp_path / "data/wikihow/Grill-Fish.html").read_bytes() == article("Grill Fish")
    again = run_cli(*args)
    assert again.exit_code == 0 and "already complete" in again.stdout
    assert [r.path for r in server.log] == ["/robots.txt", "/Grill-Fish"]


WIKIHOW_SAMPLES = ("Check-Tire-Pressure", "Make-Overnight-Oats")


def pull_then_build(server: PullServer, tmp_path: Path, superni: bool = False) -> tuple[dict, dict]:
    """Pull sources from the local server through the CLI, build, verify: (card, lock entries)."""
    data = tmp_path / "data"
    server.add("/mirror/cooking.stackexchange.com.7z", seven_zip({"Posts.xml": posts_with_one_good_answer()}))
    pulls = [("stackexchange", "--site", "cooking.stackexchange.com", "--mirror", server.url("/mirror"))]
    server.add("/robots.txt", b"User-agent: *\nDisallow: /Special:\n")
    for name in WIKIHOW_SAMPLES:  # the project's own sample pages, served as a site would
        server.add(f"/{name}", (REPO / "samples" / "wikihow" / f"{name}.html").read_bytes())
    (tmp_path / "titles.txt").write_text("\n".join(WIKIHOW_SAMPLES) + "\n")
    pulls.append(("wikihow", "--titles", str(tmp_path / "titles.txt"), "--base-url", server.base, "--delay", "0"))
    if superni:
        pulls.append(("superni", "--url", server.add("/ni/master.zip", superni_zip())))
    for args in pulls:
        pulled = run_cli("pull", *args, "--data-dir", str(data))
        assert pulled.exit_code == 0, pulled.stderr
    quotas = {"se_stem": 0, "se_other": 1, "wikihow": 1, "writingprompts": 0, "superni": int(superni), "authored": 0}
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f'schema = 1\nextends = "{(REPO / "filters" / "lima.toml").as_posix()}"\nname = "pull-e2e"\nversion = "1.0.0"\n\n[quotas]\n'
        + "".join(f"{k} = {v}\n" for k, v in quotas.items())
    )
    out = tmp_path / "out"
    inputs = [arg for args in pulls for arg in ("--input", f"{args[0]}={data / args[0]}")]
    built = run_cli("build", "--recipe", str(recipe), *inputs, "--out", str(out), "--no-cache", "--workers", "1")
    assert built.exit_code == 0, built.stderr
    verified = run_cli("verify", str(out / "manifest.jsonl"), "--workers", "1")
    assert verified.exit_code == 0, verified.stderr
    card = json.loads((out / "manifest.card.json").read_text())
    assert card["total"] == sum(quotas.values())
    return card, Lock(data).files


def assert_card_and_lock_agree(card: dict, lock: dict) -> list[dict]:
    by_sha = {entry["sha256"]: (rel, entry) for rel, entry in lock.items()}
    read = [f for record in card["inputs"] for f in record["files"]]
    for f in read:
        assert f["sha256"] in by_sha, f"{f['name']} is in the card but not in the lock file"
        rel, entry = by_sha[f["sha256"]]
        assert rel.endswith(f["name"]) and entry["bytes"] == f["bytes"]
    return read


def test_pull_then_build_then_verify_with_lock_and_card_agreeing(server, tmp_path):
    card, lock = pull_then_build(server, tmp_path)
    read = assert_card_and_lock_agree(card, lock)
    assert {f["name"] for f in read} == {"cooking.stackexchange.com.7z", *(f"{name}.html" for name in WIKIHOW_SAMPLES)}
    assert lock["stackexchange/cooking.stackexchange.com.7z"]["url"] == server.url("/mirror/cooking.stackexchange.com.7z")
    assert lock["wikihow/Make-Overnight-Oats.html"]["url"] == server.url("/Make-Overnight-Oats")


def test_pull_then_build_then_verify_with_superni(server, tmp_path):
    card, lock = pull_then_build(server, tmp_path, superni=True)
    read = assert_card_and_lock_agree(card, lock)
    assert "task900_plain_words.json" in {f["name"] for f in read}
    assert any(r["path"].endswith("tasks/task900_plain_words.json") for r in card["inputs"])


def test_the_card_names_the_url_of_every_pulled_input(server, tmp_path):
    card, lock = pull_then_build(server, tmp_path)
    urls = {entry["sha256"]: entry["url"] for entry in lock.values()}
    for record in card["inputs"]:
        for f in record["files"]:
            assert f.get("url") == urls[f["sha256"]]


def test_a_url_that_cannot_work_fails_at_once(fetcher, tmp_path, waits):
    with pytest.raises(InputError, match=r"^ftp://example\.org/x\.7z: not a URL this tool can fetch"):
        fetcher.fetch("ftp://example.org/x.7z", tmp_path / "x.7z")
    assert waits == []


def test_a_stale_part_of_the_right_size_is_replaced_not_trusted(server, fetcher, tmp_path):
    url = server.add("/blob.bin", BLOB)
    (tmp_path / "blob.bin.part").write_bytes(b"\0" * len(BLOB))
    fetcher.fetch(url, tmp_path / "blob.bin", Expected(size=len(BLOB), hashes={"sha256": sha256(BLOB)}))
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert [r.range for r in server.requests_for("/blob.bin")] == [None]


def test_cli_pull_all_says_what_it_would_fetch_and_asks_first(server, tmp_path):
    from typer.testing import CliRunner

    from lima_curate.cli import app

    args = ["pull", "stackexchange", "--all", "--mirror", server.url("/mirror"), "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args, input="n\n")
    assert result.exit_code == 1 and server.log == []
    assert "site archives to fetch" in result.stdout and "sizes unknown" in result.stdout

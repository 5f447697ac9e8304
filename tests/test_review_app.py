"""The review page (lima_curate/review_app.py) through Starlette's TestClient: the session guard (token,
cookie, Host, Origin, CSRF), no file outside the set served, hostile text shown as text, decisions
appended through lima_curate.review, the reserve less what other decisions take, and the command's
one-line refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from lima_curate import review
from lima_curate.contract import canonical_json
from lima_curate.errors import InputError

pytest.importorskip("starlette", reason="the review page needs the review extra: pip install 'lima-curate[review]'")

from starlette.testclient import TestClient  # noqa: E402

from lima_curate.review_app import create_app, load_set, new_session  # noqa: E402

SAMPLE = ROOT / "manifests" / "sample"
HOSTILE = "Before <script>alert('xss')</script> and <img src=x onerror=alert(1)> after."
PORT = 5173


def write_reserve(folder: Path, per_subset: int = 3) -> list[dict]:
    """reserve.jsonl in the manifest's line format: per subset, candidates made from its first example
    (new ids, texts and threads), the first response holding a script and an image with onerror."""
    examples = [json.loads(line) for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    reserve = []
    for subset in dict.fromkeys(e["subset"] for e in examples):
        first = next(e for e in examples if e["subset"] == subset)
        for n in range(per_subset):
            body = HOSTILE if n == 0 else f"Reserve answer {n} of {subset}."
            messages = [{"role": "user", "content": f"Reserve prompt {n} of {subset}?"}, {"role": "assistant", "content": body}]
            meta = {**first["meta"], "url": f"{first['meta'].get('url', 'https://example.org/')}-reserve{n}"}  # its own thread
            reserve.append({**first, "id": f"{first['id']}-reserve{n}", "messages": messages, "meta": meta})
    (folder / "reserve.jsonl").write_text("".join(canonical_json(c) + "\n" for c in reserve), encoding="utf-8")
    return reserve


def sample_set(tmp_path: Path) -> Path:
    """The published sample set's manifest and card, a reserve, and one example whose response is hostile."""
    folder = tmp_path / "set"
    folder.mkdir()
    shutil.copy(SAMPLE / "manifest.card.json", folder)
    lines = (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    hostile = json.loads(lines[-1])
    hostile["messages"][1]["content"] = HOSTILE
    lines[-1] = canonical_json(hostile)
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_reserve(folder)
    return folder


def examples(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def served(tmp_path):
    """(client holding the session cookie, session, set folder)."""
    folder = sample_set(tmp_path)
    session = new_session("127.0.0.1", PORT, "tester")
    client = TestClient(create_app(load_set(folder), session), base_url=f"http://127.0.0.1:{PORT}")
    assert client.get(f"/?token={session.token}").status_code == 200
    return client, session, folder


def post(client, session, example_id: str, **form) -> object:
    return client.post(f"/decide/{example_id}", data={"csrf": session.csrf, **form}, follow_redirects=False)


def test_without_the_token_every_page_and_file_is_403_and_the_token_sets_a_strict_httponly_cookie(tmp_path):
    folder = sample_set(tmp_path)
    session = new_session("127.0.0.1", PORT, "tester")
    client = TestClient(create_app(load_set(folder), session), base_url=f"http://127.0.0.1:{PORT}")
    first = examples(folder)[0]["id"]
    for path in ("/", "/subset/se_stem", f"/example/{first}", "/static/review.js", "/?token=wrong"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    opened = client.get(f"/subset/se_stem?token={session.token}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/subset/se_stem"  # the token leaves the URL
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"lima_review_{PORT}={session.token};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/subset/se_stem").status_code == 200
    assert client.get("/static/review.js").text.startswith("// Keyboard shortcuts")


def test_a_foreign_host_header_is_refused_even_with_the_cookie(served):
    client, _, _ = served
    assert client.get("/", headers={"host": "attacker.example:5173"}).status_code == 403  # DNS rebinding
    assert client.get("/", headers={"host": f"localhost:{PORT}"}).status_code == 200


def test_a_post_without_the_csrf_token_or_from_another_origin_writes_nothing(served):
    client, session, folder = served
    first = examples(folder)[0]["id"]
    no_token = client.post(f"/decide/{first}", data={"action": "accept"}, follow_redirects=False)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    foreign = client.post(
        f"/decide/{first}", data={"csrf": session.csrf, "action": "accept"}, headers={"origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    cross_site = client.post(
        f"/decide/{first}", data={"csrf": session.csrf, "action": "accept"}, headers={"sec-fetch-site": "cross-site"}
    )
    assert cross_site.status_code == 403
    assert client.get(f"/decide/{first}").status_code == 405
    assert not (folder / "review.jsonl").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/static/../manifest.card.json",
        "/static/%2e%2e/%2e%2e/%2e%2e/manifests/sample/manifest.card.json",
        "/static/..%2f..%2freview_app.py",
        "/static/%2e%2e%2f%2e%2e%2freview_app.py",
        "/example/../../../../etc/passwd",
        "/edit/response/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_no_file_outside_the_package_static_folder_is_served(served, path):
    client, _, _ = served
    answer = client.get(path)
    assert answer.status_code in (403, 404), (path, answer.status_code)
    assert '"digest"' not in answer.text and "def create_app" not in answer.text and "root:" not in answer.text


def test_script_and_onerror_in_a_response_and_in_a_candidate_are_shown_as_text(served):
    client, _, folder = served
    hostile = examples(folder)[-1]["id"]
    page = client.get(f"/example/{hostile}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page  # the rendered response, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    candidate_page = client.get(f"/example/{examples(folder)[0]['id']}").text  # its subset's reserve0 is hostile
    assert "<script>alert" not in candidate_page and "&lt;script&gt;" in candidate_page


def test_reject_accept_replace_and_edit_are_appended_as_the_review_contract_says(served):
    client, session, folder = served
    se_stem = [e for e in examples(folder) if e["subset"] == "se_stem"]
    a, b, c = (e["id"] for e in se_stem[:3])
    rejected = post(client, session, a, action="reject", reason="formatting", reason_text="")
    assert rejected.status_code == 303 and rejected.headers["location"].startswith(f"/example/{b}?saved=")
    assert (
        post(client, session, b, action="reject", reason="other", reason_text="answers a different question").status_code == 303
    )
    assert post(client, session, b, action="accept").status_code == 303  # a later accept undoes the reject
    assert post(client, session, c, action="replace", **{"with": f"{se_stem[0]['id']}-reserve1"}).status_code == 303
    new_response = se_stem[0]["messages"][1]["content"].replace("Ice floats", "Ice stays on top")
    edited = post(client, session, a, action="edit", field="response", text=new_response.replace("\n", "\r\n"))
    assert edited.status_code == 303 and edited.headers["location"].startswith(f"/example/{a}?saved=")

    records = review.read(folder / "review.jsonl")
    assert [(r["id"], r["action"]) for r in records] == [(a, "reject"), (b, "reject"), (b, "accept"), (c, "replace"), (a, "edit")]
    assert records[0]["reason"] == "formatting" and records[1]["reason"] == "answers a different question"
    assert records[3]["with"] == f"{se_stem[0]['id']}-reserve1" and all(r["reviewer"] == "tester" for r in records)
    edit = records[4]
    assert edit["field"] == "response" and edit["base_sha256"] == review.text_sha256(se_stem[0]["messages"][1]["content"])
    assert len(edit["patch"]) < len(new_response) / 4  # a patch, not a copy
    assert review.apply_edit(se_stem[0]["messages"][1]["content"], edit) == new_response  # CRLF from the textarea undone
    page = client.get(f"/example/{a}").text
    assert "Ice stays on top" in page and "response edited" in page and 'class="badge reject"' in page
    assert 'id="saved"' in client.get(edited.headers["location"]).text
    progress = client.get("/").text
    row = progress[progress.index('id="subset-se_stem"') :].split("</tr>")[0]
    cells = dict(re.findall(r'class="num (\w+)">([^<]+)<', row))
    assert cells == {"reviewed": "3 / 8", "accept": "1", "reject": "1", "replace": "1", "edit": "1"}


def test_a_form_the_page_never_sends_is_400_and_writes_nothing(served):
    client, session, folder = served
    first = examples(folder)[0]
    assert post(client, session, first["id"], action="reject", reason="", reason_text=" ").status_code == 400
    assert post(client, session, first["id"], action="delete").status_code == 400
    assert post(client, session, first["id"], action="replace", **{"with": "not/in/the-reserve"}).status_code == 400
    assert post(client, session, "no/such/example", action="accept").status_code == 404
    assert not (folder / "review.jsonl").exists()


def test_the_reserve_shown_leaves_out_what_other_decisions_take(served):
    client, session, folder = served
    se_stem = [e["id"] for e in examples(folder) if e["subset"] == "se_stem"]
    reserve = [f"{se_stem[0]}-reserve{n}" for n in range(3)]
    post(client, session, se_stem[0], action="replace", **{"with": reserve[0]})
    post(client, session, se_stem[1], action="reject", reason="duplicate")  # the build fills it with the first free: reserve1
    page = client.get(f"/example/{se_stem[2]}").text
    shown = [r for r in reserve if f"<code>{r}</code>" in page]
    assert shown == [reserve[2]]
    rejected = client.get(f"/example/{se_stem[1]}").text
    assert f'<code>{reserve[1]}</code> <span class="badge replace">fills this reject at build time</span>' in rejected
    taken = post(client, session, se_stem[2], action="replace", **{"with": reserve[0]})
    assert taken.status_code == 400 and "not a free reserve candidate" in taken.text
    own = client.get(f"/example/{se_stem[0]}").text
    assert f'<code>{reserve[0]}</code> <span class="badge replace">named by this replace</span>' in own


def test_an_example_page_shows_provenance_and_the_recipe_filter_scores(served):
    client, _, folder = served
    first = examples(folder)[0]
    page = client.get(f"/example/{first['id']}").text
    assert f'href="{first["meta"]["url"]}"' in page and first["meta"]["site"] in page and first["meta"]["licence"] in page
    scores = page[page.index('id="scores"') :].split("</section>")[0]
    card = json.loads((folder / "manifest.card.json").read_text(encoding="utf-8"))
    for name in card["recipe"]["filters"]["stackexchange"]["chain"]:
        assert f"<td>{name}</td>" in scores
    assert f'<td class="num">{first["meta"]["filter_scores"]["length"]}</td>' in scores  # the same score the build measured


def test_the_edit_form_holds_the_text_in_force(served):
    client, session, folder = served
    first = examples(folder)[0]
    prompt = first["messages"][0]["content"]
    post(client, session, first["id"], action="edit", field="prompt", text=prompt + " Explain briefly.")
    form = client.get(f"/edit/prompt/{first['id']}").text
    assert f">\n{prompt} Explain briefly.</textarea>" in form.replace("&#39;", "'") and f'value="{session.csrf}"' in form
    assert client.get(f"/edit/title/{first['id']}").status_code == 404


def review_cli(*args: str):
    from lima_curate.cli import app

    return CliRunner().invoke(app, ["review", *args])


def test_without_the_review_extra_the_command_is_one_line_naming_it(tmp_path, monkeypatch):
    import importlib.util

    folder = sample_set(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("starlette", "nh3") else real(name, *a))
    result = review_cli(str(folder))
    assert result.exit_code == 2
    assert result.output.strip() == "error: lima-curate review: needs starlette, nh3: pip install 'lima-curate[review]'"


def test_a_torn_review_file_stops_the_command_with_one_line_naming_its_line(tmp_path):
    folder = sample_set(tmp_path)
    whole = review.decision("accept", examples(folder)[0]["id"], "se_stem", reviewer="x")
    (folder / "review.jsonl").write_text(canonical_json(whole) + '\n{"schema": "lima-rev', encoding="utf-8")
    with pytest.raises(InputError, match=r"review\.jsonl:2: torn last line"):
        load_set(folder)
    result = review_cli(str(folder))
    assert result.exit_code == 2
    assert "review.jsonl:2: torn last line" in result.output and len(result.output.strip().splitlines()) == 1


def test_the_command_refuses_a_missing_set_and_a_remote_host_without_the_flag(tmp_path):
    missing = review_cli(str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere: not a folder" in missing.output
    remote = review_cli(str(sample_set(tmp_path)), "--host", "0.0.0.0")
    assert remote.exit_code == 2 and "--allow-remote" in remote.output
    bad_line = tmp_path / "bad"
    bad_line.mkdir()
    shutil.copy(SAMPLE / "manifest.card.json", bad_line)
    (bad_line / "manifest.jsonl").write_text(
        (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8") + "{oops\n", encoding="utf-8"
    )
    result = review_cli(str(bad_line))
    assert result.exit_code == 2 and "manifest.jsonl:44: not a JSON line" in result.output


# -- the real server, as a process ------------------------------------------------------------------


@contextmanager
def review_server(folder: Path, *args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``lima-curate review FOLDER ARGS`` in its own process: (the process, the URL it printed).
    Stopped, or found killed, on leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lima_curate.cli", "review", str(folder), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = ""
        for line in process.stdout:  # the summary line, then the URL
            if line.startswith("http://"):
                url = line.strip()
                break
        assert url, f"no URL printed: {process.stderr.read()}"
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def test_a_server_killed_during_concurrent_decisions_leaves_only_whole_lines(tmp_path):
    import httpx

    folder = sample_set(tmp_path)
    ids = [e["id"] for e in examples(folder)]
    with review_server(folder, "--reviewer", "stress") as (process, url):
        with httpx.Client(follow_redirects=False, timeout=30) as client:
            assert client.get(url).status_code == 303  # the token's answer sets the cookie
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(url.split("?")[0] + f"example/{ids[0]}").text)[1]
            cookies = dict(client.cookies)
        stop = threading.Event()

        def decide(worker: int) -> None:
            with httpx.Client(cookies=cookies, timeout=30) as client:
                n = 0
                while not stop.is_set():
                    reason = f"worker {worker} decision {n} " + "x" * 3000  # long lines: more bytes in flight at the kill
                    try:
                        client.post(
                            url.split("?")[0] + f"decide/{ids[n % len(ids)]}",
                            data={"csrf": csrf, "action": "reject", "reason_text": reason},
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    n += 1

        workers = [threading.Thread(target=decide, args=(w,)) for w in range(6)]
        for worker in workers:
            worker.start()
        review_file = folder / "review.jsonl"
        for _ in range(1200):  # until decisions are landing fast (a minute at most: a stuck server fails, not hangs)
            assert process.poll() is None, process.stderr.read()
            if review_file.exists() and review_file.stat().st_size > 200_000:
                break
            stop.wait(0.05)
        else:
            raise AssertionError(f"decisions did not reach {review_file}: {process.poll()=}")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    records = review.read(review_file)  # every line whole and valid, or this raises naming the line
    assert len(records) > 50 and review_file.read_bytes().endswith(b"\n")
    assert {r["reviewer"] for r in records} == {"stress"} and all(r["reason"].startswith("worker ") for r in records)


# -- fixes from the review of issue 16 --------------------------------------------------------------


def test_a_blank_edit_is_refused_with_one_line_and_writes_nothing(served):
    client, session, folder = served
    first = examples(folder)[0]["id"]
    for name in ("prompt", "response"):
        blank = post(client, session, first, action="edit", field=name, text=" \r\n\t ")
        assert blank.status_code == 400
        assert f"{first}: the edit leaves the {name} blank; reject the example instead" in blank.text
    assert not (folder / "review.jsonl").exists()


def test_the_edit_form_keeps_a_text_that_starts_with_a_newline(served):
    import html

    client, session, folder = served
    first = examples(folder)[0]["id"]
    text = "\nA response that opens with an empty line."
    assert post(client, session, first, action="edit", field="response", text=text).status_code == 303
    form = client.get(f"/edit/response/{first}").text
    held = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S)[1]
    assert held == "\n" + html.escape(text)  # the parser drops the first newline after <textarea>, and only that one


def test_a_hand_written_edit_whose_patch_does_not_apply_is_shown_as_one_line_not_a_500(served):
    client, _, folder = served
    first = examples(folder)[0]
    response = first["messages"][1]["content"]
    record = review.decision("edit", first["id"], first["subset"], reviewer="hand", field="response", base="other", new="text")
    record["base_sha256"] = review.text_sha256(response)  # the base matches, the patch was made on another text
    (folder / "review.jsonl").write_text(canonical_json(record) + "\n", encoding="utf-8")
    expected = (
        f"review.jsonl:1: edit of {first['id']}'s response: the patch does not give the text it was made to give; "
        "a build stops on it: save a new edit of the response to replace it"
    )
    for path in (f"/example/{first['id']}", f"/edit/response/{first['id']}"):
        answer = client.get(path)
        assert answer.status_code == 200 and expected in answer.text.replace("&#39;", "'"), path
    assert "Ice floats" in client.get(f"/edit/response/{first['id']}").text  # the form starts from the manifest's text


def test_an_image_in_a_response_shows_as_its_alt_text(tmp_path):
    folder = sample_set(tmp_path)
    lines = (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    example = json.loads(lines[0])
    example["messages"][1]["content"] = "See ![a diagram of <b>ice</b> floating](https://x.example/ice.png) and ![](y.png)."
    lines[0] = canonical_json(example)
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    session = new_session("127.0.0.1", PORT, "tester")
    client = TestClient(create_app(load_set(folder), session), base_url=f"http://127.0.0.1:{PORT}")
    client.get(f"/?token={session.token}")
    response = client.get(f"/example/{example['id']}").text.split('id="response">')[1].split("</article>")[0]
    assert response == "<p>See <em>[image: a diagram of &lt;b&gt;ice&lt;/b&gt; floating]</em> and <em>[image]</em>.</p>\n"


def test_on_a_wildcard_address_the_machine_names_and_any_ip_address_with_the_port_are_accepted(tmp_path):
    import socket

    session = new_session("0.0.0.0", PORT, "tester")
    client = TestClient(create_app(load_set(sample_set(tmp_path)), session), base_url=f"http://192.168.7.20:{PORT}")
    assert client.get(f"/?token={session.token}").status_code == 200
    for host in (f"192.168.7.20:{PORT}", f"[fe80::1]:{PORT}", f"{socket.gethostname()}:{PORT}", f"localhost:{PORT}"):
        assert client.get("/", headers={"host": host}).status_code == 200, host
    for host in ("attacker.example:5173", f"192.168.7.20:{PORT + 1}", f"fe80::1:{PORT}", "192.168.7.20"):
        assert client.get("/", headers={"host": host}).status_code == 403, host
    first = examples(tmp_path / "set")[0]["id"]
    for origin, status in ((f"http://192.168.7.20:{PORT}", 303), (f"http://rebound.example:{PORT}", 403)):
        answer = client.post(
            f"/decide/{first}",
            data={"csrf": session.csrf, "action": "accept"},
            headers={"origin": origin},
            follow_redirects=False,
        )
        assert answer.status_code == status, origin
    loopback_only = new_session("127.0.0.1", PORT, "tester")
    assert not loopback_only.answers_to(f"192.168.7.20:{PORT}")


def rewrite_first(folder: Path, change) -> dict:
    """Apply ``change`` to the set's first example (in manifest.jsonl) and return it."""
    lines = (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    example = json.loads(lines[0])
    change(example)
    lines[0] = canonical_json(example)
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return example


def client_for(folder: Path, **load) -> tuple[TestClient, object]:
    session = new_session("127.0.0.1", PORT, "tester")
    client = TestClient(create_app(load_set(folder, **load), session), base_url=f"http://127.0.0.1:{PORT}")
    assert client.get(f"/?token={session.token}").status_code == 200
    return client, session


def test_a_dialogue_edit_changes_the_last_assistant_turn_as_the_build_does(tmp_path):
    folder = sample_set(tmp_path)
    turns = ["First question?", "First answer.", "A follow-up?", "The answer the filters judged."]

    def dialogue(example):
        example["messages"] = [{"role": ("user", "assistant")[n % 2], "content": t} for n, t in enumerate(turns)]

    example = rewrite_first(folder, dialogue)
    client, session = client_for(folder)
    page = client.get(f"/example/{example['id']}").text
    assert page.split('id="response">')[1].startswith("<p>The answer the filters judged.</p>")
    assert "user (turn 3 of 4, not editable here)" in page and "assistant (turn 2 of 4, not editable here)" in page
    new = "The answer the filters judged, edited."
    assert post(client, session, example["id"], action="edit", field="response", text=new).status_code == 303
    (record,) = review.read(folder / "review.jsonl")
    assert record["base_sha256"] == review.text_sha256(turns[3]) and review.apply_edit(turns[3], record) == new


def test_typing_the_draws_text_back_undoes_the_edit_and_the_same_text_twice_is_refused(served):
    client, session, folder = served
    first = examples(folder)[0]
    original = first["messages"][1]["content"]
    same = post(client, session, first["id"], action="edit", field="response", text=original)
    assert same.status_code == 400 and "the edit changes nothing" in same.text
    assert post(client, session, first["id"], action="edit", field="response", text=original + " More.").status_code == 303
    assert post(client, session, first["id"], action="edit", field="response", text=original).status_code == 303
    revert = review.read(folder / "review.jsonl")[-1]
    assert revert["base_sha256"] == revert["new_sha256"] == review.text_sha256(original) and revert["patch"] == ""
    page = client.get(f"/example/{first['id']}").text
    assert "response back to the draw's text" in page and "response edited" not in page and "More." not in page
    assert post(client, session, first["id"], action="edit", field="response", text=original).status_code == 400
    row = client.get("/").text.split('id="subset-se_stem"')[1].split("</tr>")[0]
    assert dict(re.findall(r'class="num (\w+)">([^<]+)<', row))["edit"] == "0"


def test_a_reserve_draw_of_a_thread_already_in_the_manifest_is_not_offered(served):
    client, session, folder = served
    stem = [e for e in examples(folder) if e["subset"] == "se_stem"]
    other = next(e for e in examples(folder) if e["subset"] != "se_stem" and e["meta"].get("url"))
    reserve = [json.loads(line) for line in (folder / "reserve.jsonl").read_text(encoding="utf-8").splitlines()]
    reserve[1]["meta"]["url"] = other["meta"]["url"]  # se_stem's second draw answers a thread of another subset's example
    (folder / "reserve.jsonl").write_text("".join(canonical_json(c) + "\n" for c in reserve), encoding="utf-8")
    client, session = client_for(folder)
    assert post(client, session, stem[0]["id"], action="replace", **{"with": reserve[0]["id"]}).status_code == 303
    page = client.get(f"/example/{stem[1]['id']}").text
    same_thread = page.split('id="same-thread"')[1].split("</p>")[0]
    assert f"<code>{reserve[1]['id']}</code>" in same_thread and 'class="replace-button"' in page
    refused = post(client, session, stem[1]["id"], action="replace", **{"with": reserve[1]["id"]})
    assert refused.status_code == 400 and "answers a thread the manifest already holds" in refused.text
    post(client, session, stem[1]["id"], action="reject", reason="duplicate")  # filled by draw 3: review.assign skips draw 2
    rejected = client.get(f"/example/{stem[1]['id']}").text
    assert f'<code>{reserve[2]["id"]}</code> <span class="badge replace">fills this reject at build time</span>' in rejected


def test_a_set_built_with_a_review_is_reviewed_against_its_draw(tmp_path):
    """manifest.jsonl after ``build --review`` holds the decisions; the page reads sampled.jsonl, the draw."""
    folder = sample_set(tmp_path)
    draw = examples(folder)
    shutil.copy(folder / "manifest.jsonl", folder / "sampled.jsonl")
    reserve0 = json.loads((folder / "reserve.jsonl").read_text(encoding="utf-8").splitlines()[0])
    applied = [{**reserve0, "meta": {**reserve0["meta"], "review": {"replaces": draw[0]["id"], "reserve_rank": 1}}}]
    applied += [{**e, "messages": [e["messages"][0], {"role": "assistant", "content": "Edited."}]} for e in draw[1:]]
    (folder / "manifest.jsonl").write_text("".join(canonical_json(e) + "\n" for e in applied), encoding="utf-8")
    reject = review.decision("reject", draw[0]["id"], draw[0]["subset"], reviewer="x", reason="other")
    (folder / "review.jsonl").write_text(canonical_json(reject) + "\n", encoding="utf-8")
    client, session = client_for(folder)
    assert 'id="drawn"' in client.get("/").text
    rejected = client.get(f"/example/{draw[0]['id']}")
    assert rejected.status_code == 200 and 'class="badge reject"' in rejected.text
    assert f'<code>{reserve0["id"]}</code> <span class="badge replace">fills this reject at build time</span>' in rejected.text
    assert "Edited." not in client.get(f"/example/{draw[1]['id']}").text
    assert post(client, session, draw[1]["id"], action="edit", field="response", text="New text.").status_code == 303
    edit = review.read(folder / "review.jsonl")[-1]
    assert edit["base_sha256"] == review.text_sha256(
        draw[1]["messages"][1]["content"]
    )  # the draw's text, which the build patches

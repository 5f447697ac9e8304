"""Judges behind one interface (lima_train/judges.py), against a real HTTP server on 127.0.0.1 that
answers normally, slowly, with 500s, 429s and malformed bodies (tests/fake_openai_server.py), and a
tiny local Hugging Face model built here; the cache re-run asks the server nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI, NoChoices, NotJSON, Slow, Status

from lima_train.errors import InputError
from lima_train.judges import CachedJudge, OpenAIJudge, Reply, Request, cache_key, open_judge

KEY = "sk-test-DISTINCTIVE-9f3a71c2"  # grepped for in every output and file: it must appear nowhere


def ask(text: str, choices: tuple[str, ...] | None = None) -> Request:
    return Request(messages=(("system", "You are a judge."), ("user", text)), choices=choices)


def fast_judge(server: FakeOpenAI, **settings) -> OpenAIJudge:
    """An HTTP judge with millisecond backoff, so retry tests take no time."""
    settings = {"retries": 3, "timeout_s": 5.0, "backoff_s": 0.01, "max_backoff_s": 0.05, **settings}
    return OpenAIJudge(server.url, "fake-judge", api_key=KEY, **settings)


# ---- the HTTP judge ------------------------------------------------------------------------------


def test_replies_come_back_in_order_with_temperature_zero_and_the_key_as_bearer():
    with FakeOpenAI() as server:
        judge = fast_judge(server)
        replies = judge.ask([ask(f"prompt {index}") for index in range(6)])
    assert [reply.text for reply in replies] == [f"echo: prompt {index}" for index in range(6)]
    assert all(reply.error is None and not reply.cached for reply in replies)
    assert judge.id == f"openai:{server.url}#fake-judge"
    first = server.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["headers"]["authorization"] == f"Bearer {KEY}"
    assert first["body"]["temperature"] == 0 and first["body"]["model"] == "fake-judge"
    assert first["body"]["messages"][0] == {"role": "system", "content": "You are a judge."}


def test_no_key_sends_no_authorization_header():
    with FakeOpenAI() as server:
        OpenAIJudge(server.url, "m").ask([ask("hi")])
    assert "authorization" not in server.requests[0]["headers"]


def test_at_most_concurrency_requests_are_in_flight():
    with FakeOpenAI(delay=0.15) as server:
        replies = fast_judge(server, concurrency=3).ask([ask(str(index)) for index in range(9)])
    assert len(replies) == 9 and all(reply.text for reply in replies)
    assert server.max_in_flight == 3


def test_500_429_and_malformed_replies_are_retried_then_answered():
    with FakeOpenAI() as server:
        server.script(Status(500), Status(429, retry_after="0"), NotJSON(), NoChoices())
        replies = fast_judge(server, retries=4, concurrency=1).ask([ask("persist")])
    assert replies == [Reply("echo: persist")]
    assert server.count == 5


def test_retry_after_is_honoured_and_capped(monkeypatch):
    waits = []
    monkeypatch.setattr("lima_train.judges.sleep", waits.append)
    with FakeOpenAI() as server:
        server.script(Status(429, retry_after="7"), Status(429, retry_after="3600"), Status(503))
        replies = fast_judge(server, concurrency=1, max_retry_after_s=120).ask([ask("wait")])
    assert replies[0].text == "echo: wait" and server.count == 4
    assert waits[:2] == [7.0, 120.0]  # the server's words, capped; then the backoff with jitter
    assert 0.02 <= waits[2] <= 0.04  # third failure: half of 0.01 * 2**2 fixed, half random


def test_a_timeout_is_retried():
    with FakeOpenAI() as server:
        server.script(Slow(3.0))
        replies = fast_judge(server, timeout_s=0.5, concurrency=1).ask([ask("slowly")])
    assert replies[0].text == "echo: slowly" and server.count == 2


def test_after_the_last_retry_the_reply_is_none_with_one_line():
    with FakeOpenAI() as server:
        server.always(Status(503, message="overloaded\nplease wait"))
        (reply,) = fast_judge(server, retries=2).ask([ask("doomed")])
    assert reply.text is None
    assert reply.error == f"{server.url}/chat/completions: HTTP 503: overloaded please wait (gave up after 3 tries)"
    assert server.count == 3


def test_malformed_replies_are_reported_after_the_retries():
    with FakeOpenAI() as server:
        server.always(NoChoices())
        (reply,) = fast_judge(server, retries=1).ask([ask("x")])
    assert reply.text is None and "no choices[0].message.content (gave up after 2 tries)" in reply.error


def test_a_4xx_is_not_retried_and_the_echoed_key_is_redacted():
    with FakeOpenAI() as server:
        server.always(Status(401, message="Incorrect API key", echo_auth=True))
        (reply,) = fast_judge(server).ask([ask("x")])
    assert server.count == 1
    assert reply.text is None
    assert reply.error == f"{server.url}/chat/completions: HTTP 401: Incorrect API key (you sent Bearer [api key])"


def test_an_unreachable_server_fails_after_retries():
    with FakeOpenAI() as server:
        url = server.url
    judge = OpenAIJudge(url, "m", retries=1, backoff_s=0.01, timeout_s=2)
    (reply,) = judge.ask([ask("anyone?")])
    assert reply.text is None and "ConnectError" in reply.error and "gave up after 2 tries" in reply.error


# ---- the cache -----------------------------------------------------------------------------------


def test_a_rerun_through_the_cache_asks_the_server_nothing(tmp_path):
    requests = [ask(f"q{index}") for index in range(4)]
    with FakeOpenAI() as server:
        first = open_judge(server.url, "fake-judge", "LIMA_NO_SUCH_KEY", None, tmp_path / "cache.sqlite").ask(requests)
        asked = server.count
        second = open_judge(server.url, "fake-judge", "LIMA_NO_SUCH_KEY", None, tmp_path / "cache.sqlite").ask(requests)
    assert asked == 4 and server.count == 4
    assert [r.text for r in second] == [r.text for r in first] and all(r.cached for r in second)
    assert not any(r.cached for r in first)


def test_failures_are_not_cached(tmp_path):
    with FakeOpenAI() as server:
        server.script(Status(400, message="bad request"))
        judge = CachedJudge(fast_judge(server, concurrency=1), tmp_path / "cache.sqlite")
        assert judge.ask([ask("a")])[0].text is None
        assert judge.ask([ask("a")]) == [Reply("echo: a")]
        assert judge.ask([ask("a")]) == [Reply("echo: a", cached=True)]
    assert server.count == 2


def test_the_cache_key_is_the_judge_and_the_request():
    request = ask("same")
    assert cache_key("a", request) == cache_key("a", Request(messages=(("system", "You are a judge."), ("user", "same"))))
    assert cache_key("a", request) != cache_key("b", request)
    assert cache_key("a", request) != cache_key("a", ask("same", choices=("Rating: 1",)))


def test_a_file_that_is_not_sqlite_is_one_line(tmp_path):
    cache = tmp_path / "cache.sqlite"
    cache.write_text("not a database, just text\n" * 100)
    with FakeOpenAI() as server, pytest.raises(InputError) as error:
        open_judge(server.url, "m", "OPENAI_API_KEY", None, cache)
    assert str(error.value).startswith(f"{cache}: cannot use as the judge cache (an sqlite file): ")


# ---- open_judge's checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            dict(url=None, hf_model=None),
            "give exactly one judge: an OpenAI-compatible server (--judge-url with --judge-model) "
            "or a local Hugging Face model folder (--judge-hf)",
        ),
        (dict(url="ftp://example.org/v1"), "ftp://example.org/v1: not an http(s) URL of an OpenAI-compatible server"),
        (dict(url="127.0.0.1:8000"), "127.0.0.1:8000: not an http(s) URL of an OpenAI-compatible server"),
        (dict(url="http://127.0.0.1:8000/v1", model=None), "http://127.0.0.1:8000/v1: a judge server needs --judge-model"),
        (dict(concurrency=0), "judge concurrency must be at least 1, not 0"),
        (dict(retries=-1), "judge retries must be 0 or more, not -1"),
        (dict(timeout_s=0.0), "judge timeout must be above 0 seconds, not 0.0"),
    ],
)
def test_open_judge_refuses_bad_arguments_in_one_line(arguments, message):
    given = {
        "url": "http://127.0.0.1:8000/v1",
        "model": "m",
        "key_env": "OPENAI_API_KEY",
        "hf_model": None,
        "cache": None,
        **arguments,
    }
    with pytest.raises(InputError) as error:
        open_judge(**given)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_a_key_pasted_as_the_env_name_is_refused_without_echoing_it():
    with pytest.raises(InputError) as error:
        open_judge("http://127.0.0.1:8000/v1", "m", KEY, None, None)
    assert KEY not in str(error.value) and "NAME of the environment variable" in str(error.value)


def test_the_key_is_read_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", KEY)
    with FakeOpenAI() as server:
        judge = open_judge(server.url, "m", "MY_JUDGE_KEY", None, None)
        judge.ask([ask("x")])
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert KEY not in judge.id and KEY not in repr(judge)


def test_both_a_url_and_a_local_folder_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="not both$"):
        open_judge("http://127.0.0.1:8000/v1", "m", "OPENAI_API_KEY", tmp_path, None)


def test_the_cache_holds_no_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", KEY)
    with FakeOpenAI() as server:
        open_judge(server.url, "m", "MY_JUDGE_KEY", None, tmp_path / "c.sqlite").ask([ask("x"), ask("y")])
    rows = sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT * FROM replies").fetchall()
    assert len(rows) == 2 and KEY not in repr(rows)


# ---- the local Hugging Face judge ----------------------------------------------------------------

RATINGS = tuple(f"Rating: {score}" for score in range(1, 7))


@pytest.fixture(scope="module")
def tiny_judge_folder(tmp_path_factory) -> Path:
    """A tiny random LLaMA whose tokenizer has lima-train's chat template (as every lima-train checkpoint)."""
    from train_helpers import tiny_judge

    return tiny_judge(tmp_path_factory.mktemp("judge") / "tiny")


def reference_log_likelihood(model, prompt: list[int], continuation: list[int]) -> float:
    """The same sum computed the long way: every position's logits, no logits_to_keep."""
    import torch

    ids = torch.tensor([prompt + continuation])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    return sum(logprobs[len(prompt) + i - 1, token].item() for i, token in enumerate(continuation))


def test_the_local_judge_returns_the_likeliest_choice(tiny_judge_folder):
    import torch
    from transformers import AutoModelForCausalLM

    from lima_train.judges import LocalJudge

    judge = LocalJudge(tiny_judge_folder, device="cpu")
    fresh = AutoModelForCausalLM.from_pretrained(tiny_judge_folder, dtype=torch.float32).eval()
    request = ask("What colour is the sky number 3? Rate the answer.", choices=RATINGS)
    prompt = judge._prompt_ids(request)
    eos = judge.tokenizer.eos_token_id
    tokens = {choice: [*judge.tokenizer(choice, add_special_tokens=False)["input_ids"], eos] for choice in RATINGS}
    scores = {choice: reference_log_likelihood(fresh, prompt, tokens[choice]) for choice in RATINGS}
    (reply,) = judge.ask([request])
    assert reply.text == max(RATINGS, key=scores.get)
    assert judge.log_likelihood(prompt, tokens["Rating: 4"]) == pytest.approx(scores["Rating: 4"], abs=1e-4)
    reordered = ask(request.messages[1][1], choices=tuple(reversed(RATINGS)))
    assert judge.ask([reordered])[0].text == reply.text  # the order of the choices does not decide


def test_the_local_judge_generates_greedily_and_its_id_names_the_weights(tiny_judge_folder):
    from lima_train.judges import LocalJudge, files_sha256

    judge = LocalJudge(tiny_judge_folder, max_new_tokens=12)
    first = judge.ask([ask("What colour is the sky?"), ask("What colour is the road?")])
    again = judge.ask([ask("What colour is the sky?")])
    assert isinstance(judge, LocalJudge)
    assert all(isinstance(reply.text, str) and reply.error is None for reply in first)
    assert again[0].text == first[0].text  # greedy: the same words every time
    weights = sorted(tiny_judge_folder.glob("*.safetensors"))
    assert judge.id == f"hf:{tiny_judge_folder.resolve()}@{files_sha256(weights)[:12]}" and len(judge.id.rsplit("@")[1]) == 12


def test_a_request_longer_than_the_local_model_is_a_failed_reply(tiny_judge_folder):
    from lima_train.judges import LocalJudge

    judge = LocalJudge(tiny_judge_folder, device="cpu")
    (long_one, rated) = judge.ask([ask("word " * 400), ask("word " * 400, choices=RATINGS)])
    assert long_one.text is None and rated.text is None
    assert "more than the model's 256 positions" in long_one.error and long_one.error.startswith(judge.id)


def test_the_local_judge_through_the_cache_answers_from_the_file(tiny_judge_folder, tmp_path):
    requests = [ask("What colour is the bird?", choices=RATINGS), ask("What colour is the stone?", choices=("A", "B"))]
    first = open_judge(None, None, "OPENAI_API_KEY", tiny_judge_folder, tmp_path / "c.sqlite").ask(requests)
    second = open_judge(None, None, "OPENAI_API_KEY", tiny_judge_folder, tmp_path / "c.sqlite").ask(requests)
    assert [r.text for r in second] == [r.text for r in first] and all(r.cached for r in second)


def test_local_folders_that_cannot_judge_are_one_line(tiny_judge_folder, tmp_path):
    import shutil

    missing = tmp_path / "no-such-model"
    bare = tmp_path / "bare"
    bare.mkdir()
    untemplated = tmp_path / "untemplated"
    shutil.copytree(tiny_judge_folder, untemplated)
    config = untemplated / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"chat_template"', '"unused_template"'))
    for template in untemplated.glob("chat_template.*"):
        template.unlink()
    mismatched = tmp_path / "mismatched"
    shutil.copytree(tiny_judge_folder, mismatched)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(mismatched)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<EOT>", "<extra>"]})  # one token the model never saw
    tokenizer.save_pretrained(mismatched)
    expected = {
        mismatched: f"{mismatched}: its tokenizer has {len(tokenizer)} tokens but the model only {len(tokenizer) - 1} embeddings",
        missing: f"{missing}: no such model folder",
        bare: f"{bare}: not a Hugging Face model folder (no config.json)",
        untemplated: f"{untemplated}: its tokenizer has no chat template",
    }
    for folder, message in expected.items():
        with pytest.raises(InputError) as error:
            open_judge(None, None, "OPENAI_API_KEY", folder, None)
        assert str(error.value).startswith(message) and "\n" not in str(error.value)
    with pytest.raises(InputError, match="a model name .'gpt-4o', --judge-model. goes with --judge-url"):
        open_judge(None, "gpt-4o", "OPENAI_API_KEY", tiny_judge_folder, None)


# ---- the key never shows -------------------------------------------------------------------------


FAILURES = [
    Status(401, message="Incorrect API key", echo_auth=True),
    Status(403, message="forbidden", echo_auth=True),
    Status(400, message="bad request", echo_auth=True),
    Status(500, message="boom", echo_auth=True),
    Status(429, message="slow down", retry_after="0", echo_auth=True),
    NotJSON(),
    NoChoices(),
    Slow(2.0),
]


def test_the_key_appears_in_no_output_log_reply_or_file_on_any_failure(tmp_path, monkeypatch, capsys, caplog):
    import logging

    monkeypatch.setenv("MY_JUDGE_KEY", KEY)
    monkeypatch.setattr("lima_train.judges.sleep", lambda seconds: None)
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's own logs included
    seen = []
    with FakeOpenAI() as server:
        for number, failure in enumerate(FAILURES):
            server.always(failure)
            judge = open_judge(server.url, "m", "MY_JUDGE_KEY", None, tmp_path / "cache.sqlite", retries=1, timeout_s=0.5)
            replies = judge.ask([ask(f"failure {number}")])
            seen += [repr(replies), repr(judge), judge.id]
            assert replies[0].text is None and replies[0].error, failure
        url = server.url
    judge = open_judge(url, "m", "MY_JUDGE_KEY", None, tmp_path / "cache.sqlite", retries=1)  # nobody listening now
    seen.append(repr(judge.ask([ask("unreachable")])))
    assert all(request["headers"]["authorization"] == f"Bearer {KEY}" for request in server.requests)  # it was sent
    out, err = capsys.readouterr()
    files = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert "[api key]" in "".join(seen)  # the echoes were there, redacted
    for where, text in {"replies": "".join(seen), "stdout": out, "stderr": err, "logs": caplog.text}.items():
        assert KEY not in text, where
    assert KEY.encode() not in files


def test_many_threads_write_the_cache_together(tmp_path):
    requests = [ask(f"q{index}") for index in range(40)]
    with FakeOpenAI(delay=0.01) as server:
        judge = CachedJudge(fast_judge(server, concurrency=8), tmp_path / "cache.sqlite")
        judge.ask(requests)
        again = judge.ask(requests)
    assert server.count == 40 and all(reply.cached for reply in again)
    assert sqlite3.connect(tmp_path / "cache.sqlite").execute("SELECT COUNT(*) FROM replies").fetchone() == (40,)


class DiesAfterTwo:
    """A judge killed mid-run (Ctrl-C) after two replies."""

    id = "test:dies-after-two"

    def ask(self, requests, on_reply=None):
        for index in range(2):
            on_reply(index, Reply(f"reply {index}"))
        raise KeyboardInterrupt


def test_replies_before_a_kill_are_kept(tmp_path):
    requests = [ask(f"q{index}") for index in range(5)]
    with pytest.raises(KeyboardInterrupt):
        CachedJudge(DiesAfterTwo(), tmp_path / "cache.sqlite").ask(requests)
    with FakeOpenAI() as server:
        inner = fast_judge(server)
        inner.id = DiesAfterTwo.id  # the same judge, back again
        replies = CachedJudge(inner, tmp_path / "cache.sqlite").ask(requests)
    assert [reply.cached for reply in replies] == [True, True, False, False, False] and server.count == 3


def test_an_interrupted_ask_drops_the_queued_requests():
    def interrupt(index, reply):
        raise KeyboardInterrupt

    with FakeOpenAI(delay=0.05) as server:
        with pytest.raises(KeyboardInterrupt):
            fast_judge(server, concurrency=2).ask([ask(f"q{index}") for index in range(50)], on_reply=interrupt)
        assert server.count < 10  # the two in flight and a few more, not all 50


# ---- secrets that must not leak, a cache locked by another process -------------------------------


def test_a_key_with_a_control_character_is_refused_naming_the_variable_not_the_key(monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", KEY + "\r")  # a CRLF .env file
    with FakeOpenAI() as server, pytest.raises(InputError) as error:
        open_judge(server.url, "m", "MY_JUDGE_KEY", None, None)
    message = str(error.value)
    assert message.startswith("MY_JUDGE_KEY: the API key in this environment variable holds a space, control or non-ASCII")
    assert KEY not in message and "\n" not in message and server.count == 0


def test_a_header_the_client_cannot_send_fails_at_once_with_no_trace_of_the_key(monkeypatch):
    waits = []
    monkeypatch.setattr("lima_train.judges.sleep", waits.append)
    with FakeOpenAI() as server:
        (reply,) = OpenAIJudge(server.url, "m", api_key=KEY + "\r", retries=3).ask([ask("x")])
    assert reply.text is None and waits == [] and server.count == 0  # refused, not retried
    assert "LocalProtocolError" in reply.error and "[api key]" in reply.error
    assert KEY[3:] not in reply.error  # neither the raw key nor its escaped form b'...\\r'


def test_a_long_echo_is_redacted_before_it_is_cut():
    long_key = "sk-" + "Q7" * 20  # 43 characters, straddling the 200-character cut of the server's message
    with FakeOpenAI() as server:
        server.always(Status(401, message="Incorrect: " + "x" * 150, echo_auth=True))
        (reply,) = OpenAIJudge(server.url, "m", api_key=long_key, retries=0).ask([ask("x")])
    assert reply.error.endswith("x (you sent Bearer [api key])")
    assert "Q7Q7" not in reply.error


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("https://user:SECRET@example.org/v1", "credentials (user:password@)"),
        ("user:SECRET@example.org/v1", "credentials (user:password@)"),
        ("http://127.0.0.1:8000/v1?api-key=SECRET", "a query string (?...)"),
        ("http://127.0.0.1:8000/v1#SECRET", "a fragment (#...)"),
    ],
)
def test_credentials_in_the_judge_url_are_refused_without_echoing_them(url, what):
    with pytest.raises(InputError) as error:
        open_judge(url, "m", "OPENAI_API_KEY", None, None)
    message = str(error.value)
    assert message == (
        f"--judge-url holds {what}, which would be recorded in the judge id, the cache and every report; "
        "give the base URL alone and the key through --judge-key-env"
    )
    assert "SECRET" not in message


def test_a_cache_locked_by_another_process_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "cache.sqlite"
    with FakeOpenAI() as server:
        judge = CachedJudge(fast_judge(server, concurrency=1), path, lock_timeout_s=0.1)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another run writing, and holding on
        try:
            with pytest.raises(InputError) as error:
                judge.ask([ask("x")])
        finally:
            other.execute("ROLLBACK")
            other.close()
    assert str(error.value) == (
        f"{path}: the judge cache is locked by another process (waited 0.1 s); "
        "let the other evaluation finish, or give this one its own --judge-cache"
    )

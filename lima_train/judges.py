"""Judges behind one interface: an OpenAI-compatible HTTP endpoint or a local Hugging Face model, cached.

The evaluator (pairwise preference, 1-6 ratings) asks a `Judge` a list of `Request`s and gets one
`Reply` per request, in order. A judge never guesses: a request that still fails after its retries
comes back as `Reply(text=None, error="one line")`, and the caller counts it.

- `OpenAIJudge` posts to `{url}/chat/completions` (vLLM's or llama.cpp's server, any hosted API) over
  httpx, temperature 0, at most `concurrency` requests in flight, retrying connection errors,
  timeouts, 429 (its Retry-After honoured, capped), 5xx and malformed replies with exponential
  backoff and jitter. The API key travels only in the Authorization header: it is in no id, cache row,
  log line or error (a server that echoes it back is redacted).
- `LocalJudge` loads a model folder in process and answers greedily through its chat template; a
  request with `choices` gets the choice the model finds most likely after the prompt, so even a
  tiny or weak model yields a verdict that parses.
- `CachedJudge` keeps every successful reply in one sqlite file, keyed by the sha256 of canonical JSON
  of [judge.id, request], written as each reply arrives: a re-run, or a run after a kill, asks only
  what is missing. Failures are not cached.

`open_judge` is the command line's one entry point: it refuses, without echoing either, a URL that
carries credentials or a query and a key that no HTTP header can carry. httpx, torch and
transformers are imported inside the functions, so `lima-train --help` stays instant. About
560 lines: the two judges, the cache and the entry point share one contract (docs/evaluation.md,
"Judges"), and the evaluator imports one module.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import sleep
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from .errors import InputError

if TYPE_CHECKING:
    import httpx

OnReply = Callable[[int, "Reply"], None]  # (index in the list asked, its reply), called as each one arrives
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


@dataclass(frozen=True)
class Request:
    """One question to a judge: its turns, and optionally the replies that parse as a verdict."""

    messages: tuple[tuple[str, str], ...]  # (role, content): "system" / "user" turns
    choices: tuple[str, ...] | None = None  # e.g. ("Rating: 1", ..., "Rating: 6"); a likelihood judge picks one

    def as_json(self) -> dict:
        """The request as plain JSON (lists), the same for tuples and lists: the cache key's half."""
        return {
            "messages": [[role, content] for role, content in self.messages],
            "choices": None if self.choices is None else list(self.choices),
        }


@dataclass(frozen=True)
class Reply:
    """A judge's answer to one request; `text` None when it failed after its retries (`error` says why)."""

    text: str | None
    error: str | None = None  # one line, never the API key
    cached: bool = False


class Judge(Protocol):
    """What the evaluator and the cache code against: a stable id for caches and reports, and `ask`."""

    id: str

    def ask(self, requests: list[Request], on_reply: OnReply | None = None) -> list[Reply]:
        """One reply per request, in order; `on_reply(index, reply)` as each arrives (progress, the cache)."""
        ...


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace folded to single spaces and cut at `limit` characters, for an error that fits a line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- the OpenAI-compatible HTTP judge ------------------------------------------------------------


class _Retry(Exception):
    """A failure that may pass: try again after `wait` seconds (None: the backoff)."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _Refused(Exception):
    """A failure that retrying will not mend (401, 404, 400 ...): the reply fails at once."""


class OpenAIJudge:
    """A chat-completions endpoint as a judge: bounded concurrency, retries with backoff, key never shown."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        concurrency: int = 4,
        retries: int = 5,
        timeout_s: float = 120.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        max_retry_after_s: float = 120.0,
    ):
        import httpx

        check_judge_url(url)
        base = url.rstrip("/")
        base = base.removesuffix("/chat/completions")
        self.id = f"openai:{base}#{model}"
        self.model = model
        self.endpoint = f"{base}/chat/completions"
        self.concurrency = concurrency
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self._secrets = secret_forms(api_key)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(headers=headers, timeout=timeout_s, limits=limits, follow_redirects=False)

    def __repr__(self) -> str:
        return f"OpenAIJudge({self.id!r})"

    def ask(self, requests: list[Request], on_reply: OnReply | None = None) -> list[Reply]:
        """One reply per request, in order, at most `concurrency` in flight; `on_reply` hears each as it lands."""
        replies: list[Reply | None] = [None] * len(requests)

        def answer(index: int) -> None:
            reply = self._ask_one(requests[index])
            replies[index] = reply
            if on_reply is not None:
                on_reply(index, reply)

        pool = ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(requests))), thread_name_prefix="judge")
        try:
            for future in [pool.submit(answer, index) for index in range(len(requests))]:
                future.result()
        finally:  # Ctrl-C or a failing on_reply: drop the queued requests, do not wait for them all
            pool.shutdown(wait=False, cancel_futures=True)
        return [reply for reply in replies if reply is not None]

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _ask_one(self, request: Request) -> Reply:
        failures = 0
        while True:
            try:
                return Reply(self._attempt(request))
            except _Refused as refusal:
                return Reply(None, error=self._redacted(f"{self.endpoint}: {refusal}"))
            except _Retry as problem:
                failures += 1
                if failures > self.retries:
                    tries = f"{failures} {'try' if failures == 1 else 'tries'}"
                    return Reply(None, error=self._redacted(f"{self.endpoint}: {problem.reason} (gave up after {tries})"))
                sleep(self._wait(problem.wait, failures))

    def _attempt(self, request: Request) -> str:
        import httpx

        body = {
            "model": self.model,
            "messages": [{"role": role, "content": content} for role, content in request.messages],
            "temperature": 0,
        }
        try:
            response = self._client.post(self.endpoint, json=body)
        except httpx.TimeoutException as error:
            raise _Retry(f"timed out ({type(error).__name__})") from None
        except httpx.LocalProtocolError as error:  # a request this client cannot send (a header with a \r): again is the same
            raise _Refused(one_line(self._hidden(f"{type(error).__name__}: {error}"))) from None
        except httpx.HTTPError as error:  # refused or cut connections, a broken body
            raise _Retry(one_line(self._hidden(f"{type(error).__name__}: {error}"))) from None
        status = response.status_code
        message = server_message(response, self._hidden) if status >= 400 else ""
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}: {message}", wait=retry_after(response.headers.get("retry-after")))
        if status >= 400:
            raise _Refused(f"HTTP {status}: {message}")
        return completion_text(response, self._hidden)

    def _wait(self, asked: float | None, failures: int) -> float:
        """The server's Retry-After (capped), else exponential backoff with jitter (half fixed, half random)."""
        if asked is not None:
            return min(asked, self.max_retry_after_s)
        ceiling = min(self.backoff_s * 2 ** (failures - 1), self.max_backoff_s)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _hidden(self, text: str) -> str:
        """Every form of the key replaced by `[api key]`: done before any cut, so no fragment of it survives."""
        for form in self._secrets:
            text = text.replace(form, "[api key]")
        return text

    def _redacted(self, text: str) -> str:
        return one_line(self._hidden(text))


def secret_forms(key: str | None) -> tuple[str, ...]:
    """The key as a server or a library may quote it: raw, stripped, escaped as repr() of str or bytes, as JSON; longest first."""
    if not key:
        return ()
    forms = {key, key.strip(), repr(key)[1:-1], repr(key.encode("utf-8", "backslashreplace"))[2:-1], json.dumps(key)[1:-1]}
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


def check_judge_url(url: str) -> None:
    """Refuse a URL that carries credentials, a query or a fragment, without echoing it: it is recorded everywhere."""
    authority = url.split("//", 1)[-1].split("/", 1)[0]
    found = (
        "credentials (user:password@)" if "@" in authority else
        "a query string (?...)" if "?" in url else
        "a fragment (#...)" if "#" in url else None
    )  # fmt: skip
    if found:
        raise InputError(
            f"--judge-url holds {found}, which would be recorded in the judge id, the cache and every report; "
            "give the base URL alone and the key through --judge-key-env"
        )


def completion_text(response: httpx.Response, hidden: Callable[[str], str] = str) -> str:
    """choices[0].message.content of a 200 reply; anything else is a malformed reply, retried like a 5xx."""
    try:
        payload = response.json()
    except ValueError:
        body = one_line(hidden(response.text), 80)
        raise _Retry(f"HTTP {response.status_code} but the reply is not JSON: {body!r}") from None
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _Retry(f"HTTP {response.status_code} but the reply has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise _Retry(f"HTTP {response.status_code} but choices[0].message.content is {type(content).__name__}, not text")
    return content


def server_message(response: httpx.Response, hidden: Callable[[str], str] = str) -> str:
    """The server's own words for an error status: OpenAI's error.message, else the body's start; `hidden` before the cut."""
    try:
        payload = response.json()
    except ValueError:
        return one_line(hidden(response.text), 200) or response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return one_line(hidden(str(error["message"])), 200)
    if isinstance(error, str):
        return one_line(hidden(error), 200)
    return one_line(hidden(json.dumps(payload, ensure_ascii=False)), 200)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# ---- the cache -----------------------------------------------------------------------------------


def cache_key(judge_id: str, request: Request) -> str:
    """sha256 of canonical JSON of [judge id, request]: the same question to the same judge, the same row."""
    canonical = json.dumps([judge_id, request.as_json()], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CachedJudge:
    """A judge whose successful replies are kept in one sqlite file, so a re-run asks only what is missing."""

    def __init__(self, judge: Judge, path: Path, lock_timeout_s: float = 60.0):
        self.judge = judge
        self.id = judge.id
        self.path = path
        self.lock_timeout_s = lock_timeout_s  # how long a write waits for another process's write
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=lock_timeout_s, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, judge TEXT NOT NULL,"
                " request TEXT NOT NULL, text TEXT NOT NULL, created TEXT NOT NULL)"
            )
        except (sqlite3.Error, OSError) as error:
            raise InputError(f"{path}: cannot use as the judge cache (an sqlite file): {one_line(str(error))}") from None

    def ask(self, requests: list[Request], on_reply: OnReply | None = None) -> list[Reply]:
        """Cached replies first (cached=True), the rest from the judge, each stored the moment it arrives."""
        keys = [cache_key(self.id, request) for request in requests]
        replies: list[Reply | None] = [self._lookup(key) for key in keys]
        missing = [index for index, reply in enumerate(replies) if reply is None]
        if on_reply is not None:
            for index, reply in enumerate(replies):
                if reply is not None:
                    on_reply(index, reply)

        def arrived(position: int, reply: Reply) -> None:
            index = missing[position]
            if reply.text is not None:
                self._store(keys[index], requests[index], reply.text)
            if on_reply is not None:
                on_reply(index, reply)

        for index, reply in zip(missing, self.judge.ask([requests[i] for i in missing], on_reply=arrived), strict=True):
            replies[index] = reply
        return [reply for reply in replies if reply is not None]

    def close(self) -> None:
        """Close the judge and the cache file."""
        getattr(self.judge, "close", lambda: None)()
        with self._lock:
            self._db.close()

    def _lookup(self, key: str) -> Reply | None:
        row = self._execute("SELECT text FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else Reply(row[0], cached=True)

    def _store(self, key: str, request: Request, text: str) -> None:
        request_json = json.dumps(request.as_json(), sort_keys=True, ensure_ascii=False)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        self._execute(
            "INSERT OR REPLACE INTO replies (key, judge, request, text, created) VALUES (?, ?, ?, ?, ?)",
            (key, self.id, request_json, text, created),
        )

    def _execute(self, sql: str, parameters: tuple) -> sqlite3.Cursor:
        """One statement under the thread lock; a file another process keeps locked past the timeout is one line."""
        with self._lock:
            try:
                return self._db.execute(sql, parameters)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise InputError(f"{self.path}: the judge cache failed: {one_line(str(error))}") from None
                raise InputError(
                    f"{self.path}: the judge cache is locked by another process (waited {self.lock_timeout_s:g} s); "
                    "let the other evaluation finish, or give this one its own --judge-cache"
                ) from None


# ---- the one entry point -------------------------------------------------------------------------


def open_judge(
    url: str | None,
    model: str | None,
    key_env: str,
    hf_model: Path | None,
    cache: Path | None,
    concurrency: int = 4,
    retries: int = 5,
    timeout_s: float = 120.0,
) -> Judge:
    """The judge the command line asked for, checked first (one InputError line), wrapped in the cache."""
    if (url is None) == (hf_model is None):
        raise InputError(
            "give exactly one judge: an OpenAI-compatible server (--judge-url with --judge-model) "
            "or a local Hugging Face model folder (--judge-hf)" + (", not both" if url is not None else "")
        )
    if concurrency < 1:
        raise InputError(f"judge concurrency must be at least 1, not {concurrency}")
    if retries < 0:
        raise InputError(f"judge retries must be 0 or more, not {retries}")
    if not timeout_s > 0:
        raise InputError(f"judge timeout must be above 0 seconds, not {timeout_s}")
    judge: Judge
    if url is not None:
        judge = _http_judge(url, model, key_env, concurrency, retries, timeout_s)
    else:
        assert hf_model is not None
        if model is not None:
            raise InputError(
                f"{hf_model}: a local judge is named by its folder; a model name ({model!r}, --judge-model) goes with --judge-url"
            )
        judge = LocalJudge(hf_model)
    return judge if cache is None else CachedJudge(judge, cache)


def _http_judge(url: str, model: str | None, key_env: str, concurrency: int, retries: int, timeout_s: float) -> OpenAIJudge:
    check_judge_url(url)  # first: the messages below echo the URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: not an http(s) URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8000/v1)")
    if not model or not model.strip():
        raise InputError(f"{url}: a judge server needs --judge-model, the model name it serves (an id its /v1/models lists)")
    if not ENV_NAME.fullmatch(key_env):  # never echo it: a key pasted here would be printed
        raise InputError("--judge-key-env takes the NAME of the environment variable holding the API key, not the key")
    key = os.environ.get(key_env)
    if key and not all("!" <= character <= "~" for character in key):  # never echo it, nor where in it
        raise InputError(
            f"{key_env}: the API key in this environment variable holds a space, control or non-ASCII character "
            "(a CRLF .env file leaves a \\r at its end), which no HTTP header can carry; the key is not shown"
        )
    return OpenAIJudge(url, model, key, concurrency=concurrency, retries=retries, timeout_s=timeout_s)


# ---- the local Hugging Face judge ----------------------------------------------------------------


class LocalJudge:
    """A causal LM folder loaded in process: greedy replies through its chat template, or the likeliest choice.

    A request with `choices` is answered with the choice whose tokens, followed by the end-of-turn
    (EOS) token, are most likely after the prompt: the model's probability that its whole reply is
    that choice. One forward pass per choice, only the choice's logits kept, so a long prompt and a
    large vocabulary stay within memory. Without choices the reply is generated greedily.
    """

    def __init__(self, folder: Path, max_new_tokens: int = 512, device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not folder.is_dir():
            raise InputError(f"{folder}: no such model folder (a local Hugging Face judge: config.json, weights, tokenizer)")
        if not (folder / "config.json").is_file():
            raise InputError(f"{folder}: not a Hugging Face model folder (no config.json)")
        weights = sorted(path for path in folder.iterdir() if path.is_file() and path.name.endswith(WEIGHT_SUFFIXES))
        if not weights:
            raise InputError(f"{folder}: no model weights in it (*.safetensors or *.bin)")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            dtype = torch.float32 if self.device == "cpu" else "auto"
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
            self.model = model.to(self.device).eval()  # type: ignore[arg-type]
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise InputError(f"{folder}: cannot load it as a causal language model: {one_line(str(error), 200)}") from None
        embeddings = self.model.get_input_embeddings().num_embeddings
        if len(self.tokenizer) > embeddings:
            raise InputError(
                f"{folder}: its tokenizer has {len(self.tokenizer)} tokens but the model only {embeddings} embeddings"
            )
        if not self.tokenizer.chat_template:
            raise InputError(f"{folder}: its tokenizer has no chat template, so a judge's prompt cannot be rendered")
        self.id = f"hf:{folder.resolve()}@{files_sha256(weights)[:12]}"
        self.max_new_tokens = max_new_tokens
        self.max_positions = getattr(self.model.config, "max_position_embeddings", None)

    def __repr__(self) -> str:
        return f"LocalJudge({self.id!r})"

    def ask(self, requests: list[Request], on_reply: OnReply | None = None) -> list[Reply]:
        """One reply per request, in order, one at a time (the model has the machine to itself)."""
        replies = []
        for index, request in enumerate(requests):
            reply = self._ask_one(request)
            replies.append(reply)
            if on_reply is not None:
                on_reply(index, reply)
        return replies

    def _ask_one(self, request: Request) -> Reply:
        from jinja2 import TemplateError

        try:
            prompt = self._prompt_ids(request)
        except TemplateError as error:
            return Reply(None, error=f"{self.id}: the chat template refused the request: {one_line(str(error), 200)}")
        if request.choices is not None:
            if not request.choices:
                return Reply(None, error=f"{self.id}: a request with an empty list of choices")
            return self._likeliest(prompt, request.choices)
        return self._generated(prompt)

    def _prompt_ids(self, request: Request) -> list[int]:
        messages = [{"role": role, "content": content} for role, content in request.messages]
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _too_long(self, tokens: int) -> str | None:
        if self.max_positions is not None and tokens > self.max_positions:
            return f"{self.id}: the request is {tokens} tokens, more than the model's {self.max_positions} positions"
        return None

    def _generated(self, prompt: list[int]) -> Reply:
        import torch
        from transformers import GenerationConfig

        room = self.max_new_tokens if self.max_positions is None else min(self.max_new_tokens, self.max_positions - len(prompt))
        if room < 1:
            return Reply(None, error=self._too_long(len(prompt) + 1))
        eos = self.tokenizer.eos_token_id
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos
        settings = GenerationConfig(do_sample=False, max_new_tokens=room, eos_token_id=eos, pad_token_id=pad)
        ids = torch.tensor([prompt], device=self.device)
        with torch.no_grad():
            out = self.model.generate(ids, attention_mask=torch.ones_like(ids), generation_config=settings)
        return Reply(str(self.tokenizer.decode(out[0, len(prompt) :], skip_special_tokens=True)).strip())

    def _likeliest(self, prompt: list[int], choices: tuple[str, ...]) -> Reply:
        scores = []
        for choice in choices:
            tokens = self.tokenizer(choice, add_special_tokens=False)["input_ids"]
            if self.tokenizer.eos_token_id is not None:
                tokens = [*tokens, self.tokenizer.eos_token_id]
            problem = self._too_long(len(prompt) + len(tokens))
            if problem:
                return Reply(None, error=problem)
            scores.append(self.log_likelihood(prompt, tokens))
        return Reply(choices[max(range(len(choices)), key=lambda index: (scores[index], -index))])

    def log_likelihood(self, prompt: list[int], continuation: list[int]) -> float:
        """log p(continuation | prompt) under the model: the sum of its tokens' log-probabilities."""
        import torch

        ids = torch.tensor([prompt + continuation], device=self.device)
        with torch.no_grad():
            logits = self.model(ids, logits_to_keep=len(continuation) + 1).logits[0, :-1].float()
        target = torch.tensor(continuation, device=self.device)
        return torch.log_softmax(logits, dim=-1).gather(-1, target[:, None]).sum().item()


def files_sha256(paths: list[Path]) -> str:
    """sha256 over the files' names and bytes in order: names a set of weights (first 12 in a judge id)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()

# Just over 400 lines, one concern: one HTTP download done right (requests, retries, the response, checks, its bar).
"""HTTP downloads that survive interruptions and never leave half a file under its final name.

One ``Fetcher`` holds one httpx client and the rules every request follows: a user agent naming the
tool, a pause between requests (polite crawling), retries with exponential backoff for what may pass
(a cut connection, a timeout, 5xx, 429 with its ``Retry-After`` honoured), an immediate failure for
what will not (404, 403, no network at all), and ``offline`` refusing any request before it is made.

``fetch`` streams a file into ``NAME.part`` beside its final path, resumes that part with an HTTP
``Range`` request after a failure, starts again from zero when the server ignores the range, checks
the size and every hash the source publishes, and only then renames the part into place.
"""

from __future__ import annotations

import email.utils
import errno
import os
import re
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from . import __version__
from .errors import InputError
from .manifest import hash_file

USER_AGENT = f"lima-curate/{__version__} (rebuilds the LIMA data recipe from public dumps; python-httpx/{httpx.__version__})"
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
NO_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}
OFFLINE_HINT = "copy the files in and pass --from PATH (see docs/pull.md)"


@dataclass(frozen=True)
class Limits:
    """How hard to try, and how politely."""

    attempts: int = 6  # tries per request, the first included
    backoff: float = 1.0  # seconds before the second try, doubled after each further failure
    max_backoff: float = 60.0
    max_retry_after: float = 600.0  # a server asking for a longer wait than this fails the pull
    timeout: float = 60.0  # seconds without progress (connect, read) before a try counts as failed
    delay: float = 0.0  # seconds between the start of two requests
    sleep: Callable[[float], None] = time.sleep

    def backoff_for(self, failures: int) -> float:
        """Seconds to wait after the given number of failed tries."""
        return min(self.backoff * 2 ** (failures - 1), self.max_backoff)


@dataclass(frozen=True)
class Expected:
    """What the source publishes about a file, checked before it is accepted."""

    size: int | None = None
    hashes: dict[str, str] = field(default_factory=dict)  # hashlib name -> lower-case hex digest
    origin: str = ""  # where it was published, for messages


@dataclass(frozen=True)
class Fetched:
    """A file that arrived complete and checked: what the lock file records about it."""

    url: str
    path: Path
    bytes: int
    sha256: str
    checked: tuple[str, ...] = ()  # what was compared with a published value: "size", "md5", ...


class Retry(Exception):
    """A failure that may pass: try again after ``wait`` seconds (None: the backoff)."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def offline_requested(flag: bool = False) -> bool:
    """``--offline`` or ``LIMA_OFFLINE`` set to anything but empty, 0, false or no."""
    return flag or os.environ.get("LIMA_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


class Fetcher:
    """HTTP with retries, politeness and progress; use as a context manager."""

    def __init__(
        self,
        limits: Limits = Limits(),
        offline: bool = False,
        console: Console | None = None,
        user_agent: str = USER_AGENT,
    ):
        self.limits = limits
        self.offline = offline
        self.console = console or Console(stderr=True)
        self.user_agent = user_agent
        self._client: httpx.Client | None = None
        self._last_request = float("-inf")

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()

    def note(self, text: str) -> None:
        """One line to the user on stderr (rich markup), never wrapped."""
        self.console.print(text, highlight=False, soft_wrap=True)

    def progress(self, label: str, show: bool = True) -> ProgressBar:
        """A rich bar on stderr (bytes, rate, time left) while one file downloads."""
        return ProgressBar(self.console, label, show)

    # -- requests ----------------------------------------------------------------------------------

    def client(self, url: str) -> httpx.Client:
        """The one httpx client, made on first use; offline, an error naming ``url`` instead."""
        if self.offline:
            raise InputError(url, f"offline (--offline or LIMA_OFFLINE): not fetching it; {OFFLINE_HINT}")
        if self._client is None:
            self._client = httpx.Client(
                headers={"User-Agent": self.user_agent},
                timeout=self.limits.timeout,
                follow_redirects=True,
            )
        return self._client

    def _pause(self) -> None:
        wait = self._last_request + self.limits.delay - time.monotonic()
        if wait > 0:
            self.limits.sleep(wait)
        self._last_request = time.monotonic()

    def _retrying(self, url: str, attempt: Callable[[], object]) -> object:
        failures = 0
        while True:
            try:
                return attempt()
            except Retry as problem:
                failures += 1
                if failures >= self.limits.attempts:
                    raise InputError(url, f"{problem.reason}; gave up after {failures} tries") from None
                wait = problem.wait if problem.wait is not None else self.limits.backoff_for(failures)
                self.note(f"[yellow]retry[/] {url}: {problem.reason}; trying again in {wait:.3g} s")
                self.limits.sleep(wait)

    def get(self, url: str, accept: frozenset[int] = frozenset()) -> tuple[int, bytes]:
        """A small document (a checksum list, robots.txt, a category page): (status, body).

        ``accept`` lists error statuses the caller handles itself instead of failing.
        """

        def attempt() -> tuple[int, bytes]:
            client = self.client(url)
            self._pause()
            with transport_errors(url):
                response = client.get(url)
                if response.status_code not in accept:
                    check_status(response, url, self.limits)
                return response.status_code, response.content

        return self._retrying(url, attempt)  # type: ignore[return-value]

    def fetch(self, url: str, dest: Path, expected: Expected = Expected(), show: bool = True) -> Fetched:
        """Download ``url`` to ``dest``: resumable, checked, renamed into place only when complete."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        self.client(url)  # offline fails here, before anything else
        with self.progress(dest.name, show) as bar:
            state = {"resumed": False}
            self._retrying(url, lambda: self._transfer(url, part, expected, bar, state))
            size, hashes = hash_file(part, {"sha256", *expected.hashes})
            problem = mismatch(size, hashes, expected)
            if problem and state["resumed"]:
                # A resumed part may join two versions of a changing file: one clean try from zero.
                self.note(f"[yellow]retry[/] {url}: {problem} after resuming; downloading it again from the start")
                part.unlink(missing_ok=True)
                state["resumed"] = False
                self._retrying(url, lambda: self._transfer(url, part, expected, bar, state))
                size, hashes = hash_file(part, {"sha256", *expected.hashes})
                problem = mismatch(size, hashes, expected)
        if problem:
            part.unlink(missing_ok=True)
            raise InputError(url, f"{problem}; the download was deleted")
        # Not manifest.atomic_file, which removes its temporary on failure: a failed try must leave the
        # part where the next try (or the next pull) resumes it.
        os.replace(part, dest)
        checked = tuple(name for name in ("size", *sorted(expected.hashes)) if name != "size" or expected.size is not None)
        return Fetched(url=url, path=dest, bytes=size, sha256=hashes["sha256"], checked=checked)

    def _transfer(self, url: str, part: Path, expected: Expected, bar: Bar, state: dict) -> None:
        """One try: append to the part from where it stops, or rewrite it from zero."""
        offset = part.stat().st_size if part.exists() else 0
        if expected.size is not None and offset > expected.size:
            part.unlink()
            offset = 0
        if offset and offset == expected.size:
            state["resumed"] = True  # a part left by an earlier run: the checks decide
            return
        headers = {"Accept-Encoding": "identity"}  # the bytes as published, so ranges and sizes agree
        if offset:
            headers["Range"] = f"bytes={offset}-"
        client = self.client(url)
        self._pause()
        with transport_errors(url):
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416 and offset:
                    part.unlink()
                    raise Retry("the server refused to resume (HTTP 416); starting again from zero", wait=0)
                check_status(response, url, self.limits)
                total, offset = body_extent(response, offset)
                if response.status_code == 206 and offset == -1:
                    part.unlink()
                    raise Retry("the server resumed at the wrong place; starting again from zero", wait=0)
                if expected.size is not None and total is not None and total != expected.size:
                    part.unlink(missing_ok=True)
                    origin = expected.origin or "the source"
                    raise InputError(url, f"the server offers {total:,} bytes but {origin} says {expected.size:,}")
                state["resumed"] = state["resumed"] or offset > 0
                bar.start(total if total is not None else expected.size, offset)
                written = write_body(response, part, offset, total, bar)
        if total is not None and written < total:
            raise Retry(f"the connection closed after {written:,} of {total:,} bytes")


# -- responses ---------------------------------------------------------------------------------------


class transport_errors:
    """httpx's failures as a retry (a transport problem that may pass) or a one-line error (no
    network, a URL that cannot work, a redirect loop)."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        if error is None or not isinstance(error, (httpx.HTTPError, httpx.InvalidURL)):
            return False
        if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            raise InputError(self.url, f"not a URL this tool can fetch ({error})") from None
        if not isinstance(error, httpx.TransportError):  # too many redirects, undecodable body, ...
            raise InputError(self.url, f"{type(error).__name__}: {error}") from None
        if no_network(error):
            host = urlsplit(self.url).hostname
            raise InputError(self.url, f"cannot reach {host} ({root_cause(error)}): no network? {OFFLINE_HINT}") from None
        raise Retry(f"{type(error).__name__}: {error}".rstrip(": ")) from None


def no_network(error: BaseException) -> bool:
    """A failure to resolve the host or to route to it: retrying will not help."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return True
        if isinstance(cause, OSError) and cause.errno in NO_NETWORK_ERRNOS:
            return True
        cause = cause.__cause__ or cause.__context__
    text = str(error)
    return "Name or service not known" in text or "Temporary failure in name resolution" in text


def root_cause(error: BaseException) -> str:
    """The innermost exception's message (the socket's, not httpx's wrapper), for the one-line error."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return str(error) or type(error).__name__


def check_status(response: httpx.Response, url: str, limits: Limits) -> None:
    """An error status as a retry (5xx, 429, ... with its ``Retry-After``) or a one-line error (404, 403)."""
    status = response.status_code
    if status < 400:
        return
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status not in RETRYABLE_STATUS and status < 500:
        raise InputError(url, reason)
    wait = retry_after(response.headers.get("retry-after"))
    if wait is not None and wait > limits.max_retry_after:
        limit = f"{limits.max_retry_after:.0f} s"
        raise InputError(url, f"{reason}: the server asks to wait {wait:.0f} s, longer than the {limit} limit; try later")
    raise Retry(reason, wait=wait)


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def body_extent(response: httpx.Response, offset: int) -> tuple[int | None, int]:
    """(total size of the file or None, where this body starts: ``offset``, 0, or -1 if wrong)."""
    length = response.headers.get("content-length")
    if response.status_code != 206:  # the whole file (a server that ignores Range included)
        return (int(length) if length and length.isdigit() else None), 0
    match = CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    if not match or int(match.group(1)) != offset:
        return None, -1
    total = match.group(3)
    return (int(total) if total != "*" else None), offset


def write_body(response: httpx.Response, part: Path, offset: int, total: int | None, bar: Bar) -> int:
    """Stream the body into the part file (appending when resuming); the part's final size."""
    with open(part, "ab" if offset else "wb") as handle:
        for block in response.iter_raw():  # as it arrives, so a cut loses nothing received
            handle.write(block)
            bar.advance(len(block))
            if total is not None and handle.tell() > total:
                break
        handle.flush()
        written = handle.tell()
    if total is not None and written > total:
        part.unlink()
        raise InputError(str(response.url), f"the server sent more than the {total:,} bytes it announced")
    return written


# -- checks ------------------------------------------------------------------------------------------


def mismatch(size: int, hashes: dict[str, str], expected: Expected) -> str | None:
    """Why a downloaded file differs from what its source publishes (size first), or None."""
    origin = expected.origin or "the source"
    if expected.size is not None and size != expected.size:
        return f"got {size:,} bytes but {origin} says {expected.size:,}"
    for name, want in sorted(expected.hashes.items()):
        if hashes[name] != want.lower():
            return f"{name} {hashes[name]} differs from {want.lower()} published by {origin}"
    return None


# -- progress ----------------------------------------------------------------------------------------


class Bar:
    """One download's progress bar; does nothing when hidden."""

    def __init__(self, progress: Progress | None, label: str):
        self.progress = progress
        self.task = progress.add_task(label, total=None) if progress else None

    def start(self, total: int | None, completed: int) -> None:
        """Set the size (None: unknown) and where this try starts (a resumed part's length)."""
        if self.progress is not None:
            self.progress.update(self.task, total=total, completed=completed)

    def advance(self, n: int) -> None:
        """Count ``n`` more bytes received."""
        if self.progress is not None:
            self.progress.update(self.task, advance=n)


class ProgressBar:
    """Context manager: a transient rich progress bar on a terminal, nothing elsewhere."""

    def __init__(self, console: Console, label: str, show: bool):
        self.progress = (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            if show and console.is_terminal
            else None
        )
        self.label = label

    def __enter__(self) -> Bar:
        if self.progress is not None:
            self.progress.start()
        return Bar(self.progress, self.label)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

"""HTTP downloads that survive interruptions and never leave half a file under its final name.

About 540 lines, kept whole because they are one concern: one HTTP download done right (requests,
retries, resume against a validator, caps, checks, its progress bar), each part needing the others.

One ``Fetcher`` holds one httpx client and the rules every request follows: a user agent naming the
tool, a pause between requests (polite crawling), retries with exponential backoff for what may pass
(a cut connection, a timeout, 5xx, 429 with its ``Retry-After`` honoured), an immediate failure for
what will not (404, 403, no network at all), and ``offline`` refusing any request before it is made.

``fetch`` holds the target (``lockfile.file_lock``: a second pull of the same file waits), streams it
into a ``.part`` of its own (``NAME.PID.RANDOM.part``) beside the final path, and remembers the
validator the server gave (a strong ``ETag``, else ``Last-Modified``) in ``PART.json``. A later try, or
a later pull, resumes that part with ``Range`` and ``If-Range``, so a server whose file changed answers
with the whole new file (200), which is written from zero; a part with no validator is never resumed.
A body stops at the size the source published, else the announced length, else ``Limits.max_bytes``.
Size and every published hash are checked before the part is renamed into place.
"""

from __future__ import annotations

import email.utils
import errno
import json
import os
import re
import secrets
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
from .errors import InputError, write_fault
from .lockfile import file_lock
from .manifest import hash_file

USER_AGENT = f"lima-curate/{__version__} (rebuilds the LIMA data recipe from public dumps; python-httpx/{httpx.__version__})"
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
NO_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}
OFFLINE_HINT = "copy the files in and pass --from PATH (see docs/pull.md)"
MAX_BYTES = 8 << 30  # a download with no published or announced size stops here (--max-size)
MAX_EXTRACTED = 64 << 30  # what one archive may extract in all (--max-extracted)
MAX_RATIO = 200  # extracted bytes per archive byte, past the first RATIO_FLOOR bytes (--max-ratio)
RATIO_FLOOR = 1 << 20
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)", re.IGNORECASE)


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
    max_bytes: int = MAX_BYTES  # a body with no size published or announced stops here
    max_extracted: int = MAX_EXTRACTED  # bytes one archive may extract in all
    max_ratio: float = MAX_RATIO  # extracted bytes per archive byte (zip and tar bombs)

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


def parse_size(text: str) -> int:
    """``"8G"``, ``"512MiB"``, ``"100k"`` or a plain number of bytes -> bytes (powers of 1024)."""
    match = SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a size: {text!r} (say 512M, 8G or a number of bytes)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** "_kmgt".index(unit)) if unit else int(number)


def human(size: float) -> str:
    """Bytes for a message: ``1,048,576 bytes (1 MiB)``."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size:,.0f} bytes ({size / scale:.3g} {unit})"
    return f"{size:,.0f} bytes"


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
        """Download ``url`` to ``dest``: held against other pulls, resumable only while the server
        vouches for the same file, capped, checked, renamed into place only when complete."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.client(url)  # offline fails here, before anything else
        with file_lock(dest, self.note):
            part = Part.adopt(dest, url)
            with self.progress(dest.name, show) as bar:
                self._retrying(url, lambda: self._transfer(url, part, expected, bar))
                size, hashes = hash_file(part.path, {"sha256", *expected.hashes})
                problem = mismatch(size, hashes, expected)
                if problem and part.resumed:
                    # A resumed part may still join two versions of a file: one clean try from zero.
                    self.note(f"[yellow]retry[/] {url}: {problem} after resuming; downloading it again from the start")
                    part.discard()
                    self._retrying(url, lambda: self._transfer(url, part, expected, bar))
                    size, hashes = hash_file(part.path, {"sha256", *expected.hashes})
                    problem = mismatch(size, hashes, expected)
            if problem:
                part.discard()
                raise InputError(url, f"{problem}; the download was deleted")
            # Not manifest.atomic_file, which removes its temporary on failure: a failed try must leave the
            # part where the next try (or the next pull) resumes it.
            os.replace(part.path, dest)
            part.meta.unlink(missing_ok=True)
        checked = tuple(name for name in ("size", *sorted(expected.hashes)) if name != "size" or expected.size is not None)
        return Fetched(url=url, path=dest, bytes=size, sha256=hashes["sha256"], checked=checked)

    def _transfer(self, url: str, part: Part, expected: Expected, bar: Bar) -> None:
        """One try: append to the part from where it stops when the server vouches for the same
        file (``If-Range``), or write it from zero."""
        offset = part.size()
        if offset and (part.validator is None or (expected.size is not None and offset > expected.size)):
            part.discard()  # nothing says the server still has the file these bytes came from
            offset = 0
        if offset and offset == expected.size:
            part.resumed = True  # a part left by an earlier run: the checks decide
            return
        headers = {"Accept-Encoding": "identity"}  # the bytes as published, so ranges and sizes agree
        if offset:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = part.validator  # type: ignore[assignment]
        client = self.client(url)
        self._pause()
        with transport_errors(url):
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416 and offset:
                    part.discard()
                    raise Retry("the server refused to resume (HTTP 416); starting again from zero", wait=0)
                check_status(response, url, self.limits)
                total, start = body_extent(response, offset)
                if response.status_code == 206 and start == -1:
                    part.discard()
                    raise Retry("the server resumed at the wrong place; starting again from zero", wait=0)
                seen = validator_of(response)
                if response.status_code == 206 and seen is not None and seen != part.validator:
                    part.discard()
                    raise Retry(f"the file changed on the server ({part.validator} -> {seen}); starting again from zero", wait=0)
                if offset and start == 0:
                    self.note(f"[yellow]restart[/] {url}: the server sent the whole file (changed, or no resume); from zero")
                if expected.size is not None and total is not None and total != expected.size:
                    part.discard()
                    origin = expected.origin or "the source"
                    raise InputError(url, f"the server offers {total:,} bytes but {origin} says {expected.size:,}")
                if start == 0:
                    part.begin(seen)
                part.resumed = part.resumed or start > 0
                bar.start(total if total is not None else expected.size, start)
                written = write_body(response, part, start, body_limit(total, expected, self.limits), bar)
        if total is not None and written < total:
            raise Retry(f"the connection closed after {written:,} of {total:,} bytes")


class Part:
    """This fetch's ``NAME.PID.RANDOM.part`` beside the target, and ``PART.json``: the URL and the
    validator (ETag or Last-Modified) its first bytes came with, without which it is never resumed."""

    def __init__(self, dest: Path, url: str, validator: str | None = None):
        self.dest = dest
        self.url = url
        self.path = dest.with_name(f"{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        self.meta = self.path.with_name(self.path.name + ".json")
        self.validator = validator
        self.resumed = False

    @classmethod
    def adopt(cls, dest: Path, url: str) -> Part:
        """A new part, taking over the longest part an earlier pull of the same URL left (with its
        validator); every other leftover part of ``dest`` is deleted. The caller holds ``dest``."""
        part = cls(dest, url)
        ours = re.compile(re.escape(dest.name) + r"(\.\d+\.[0-9a-f]{8})?\.part")
        leftovers = sorted(p for p in dest.parent.iterdir() if ours.fullmatch(p.name))
        best: tuple[int, Path, str] | None = None
        for old in leftovers:
            validator = read_validator(old.with_name(old.name + ".json"), url)
            if old.is_file() and validator is not None and (best is None or old.stat().st_size > best[0]):
                best = (old.stat().st_size, old, validator)
        for old in leftovers:
            meta = old.with_name(old.name + ".json")
            if best is not None and old == best[1]:
                os.replace(old, part.path)
                os.replace(meta, part.meta)
                part.validator = best[2]
            else:
                old.unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
        return part

    def size(self) -> int:
        """Bytes in the part so far (0 when there is none)."""
        return self.path.stat().st_size if self.path.exists() else 0

    def begin(self, validator: str | None) -> None:
        """A body from byte zero: remember what the server said identifies it (None: no resume later)."""
        self.validator = validator
        if validator is None:
            self.meta.unlink(missing_ok=True)
        else:
            self.meta.write_text(json.dumps({"url": self.url, "validator": validator}) + "\n", encoding="utf-8")

    def discard(self) -> None:
        """Delete the part and what it remembers: the next try starts from zero."""
        self.path.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)
        self.validator = None
        self.resumed = False


def read_validator(meta: Path, url: str) -> str | None:
    """The validator a leftover part was fetched with, if it came from ``url``; None otherwise."""
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("url") == url and isinstance(data.get("validator"), str)
    return data["validator"] if ok else None


def validator_of(response: httpx.Response) -> str | None:
    """What ``If-Range`` may carry for this body: a strong ETag, else Last-Modified, else None."""
    etag = response.headers.get("etag", "").strip()
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("last-modified", "").strip() or None


def body_limit(total: int | None, expected: Expected, limits: Limits) -> tuple[int, str]:
    """Where a body must end, and what set it: the published size, the announced length, or the cap."""
    if expected.size is not None:
        return expected.size, f"the {expected.size:,} bytes {expected.origin or 'the source'} publishes"
    if total is not None:
        return total, f"the {total:,} bytes it announced"
    return limits.max_bytes, f"the cap of {human(limits.max_bytes)} for a file of no announced size (raise it with --max-size)"


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


def write_body(response: httpx.Response, part: Part, offset: int, limit: tuple[int, str], bar: Bar) -> int:
    """Stream the body into the part file (appending when resuming); the part's final size. A body
    running past ``limit`` (the published size, the announced length, or the cap) is cut off there,
    and the part deleted."""
    most, why = limit
    try:
        with open(part.path, "ab" if offset else "wb") as handle:
            for block in response.iter_raw():  # as it arrives, so a cut loses nothing received
                handle.write(block)
                bar.advance(len(block))
                if handle.tell() > most:
                    break
            handle.flush()
            written = handle.tell()
    except OSError as error:  # the disk, not the network: full, too large a file, read-only, no permission
        part.discard()
        fault = write_fault(error, part.dest, elsewhere="pass another --data-dir", done="nothing of it was kept")
        raise fault or InputError(part.dest, f"cannot write the download ({error.strerror or error}); check the folder") from None
    if written > most:
        part.discard()
        raise InputError(str(response.url), f"the server sent more than {why}: stopped, and the download was deleted")
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

"""A real HTTP server on 127.0.0.1 for the pull tests, able to misbehave on purpose.

It serves bytes registered per path (a path registered with its query wins over the bare path),
with a strong ``ETag`` (a digest of the bytes) and a ``Last-Modified``, honours ``Range: bytes=N-``
with 206 and ``If-Range`` as RFC 9110 says (a validator that no longer matches gets the whole file,
200), and plays scripted faults: for a path, ``script(path, fault, ...)`` queues one fault per coming
request (then it behaves again), ``always(path, fault)`` makes a fault permanent. The hostile ones:
an endless chunked body, a file replaced between two tries, no validator at all, a server that
resumes whatever ``If-Range`` says, and a body held mid-way until the test lets it go (two pulls at
once). Every request is logged with its ``Range``, ``If-Range`` and ``User-Agent`` so a test can see
what the client really did.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Cut:
    """Announce the full length, send ``after`` bytes, then close the connection."""

    after: int


@dataclass(frozen=True)
class Status:
    """Answer with an error status (404, 500, 429, ...), with ``Retry-After`` when given."""

    code: int
    retry_after: str | None = None


@dataclass(frozen=True)
class IgnoreRange:
    """Answer 200 with the whole file, whatever the Range header asked for."""


@dataclass(frozen=True)
class WrongBytes:
    """The right length, but one byte in the middle changed."""


@dataclass(frozen=True)
class WrongLength:
    """A different, longer file (``extra`` bytes appended), announced with its own length."""

    extra: int = 10


@dataclass(frozen=True)
class Endless:
    """A chunked body (no length announced) that never ends: ``block`` bytes at a time until the client
    hangs up (or ``safety`` bytes went out, so a broken client cannot hang the tests)."""

    block: int = 64 << 10
    safety: int = 256 << 20


@dataclass(frozen=True)
class Chunked:
    """The right bytes, sent chunked: no ``Content-Length``, as GitHub's archives come."""


@dataclass(frozen=True)
class Replace:
    """The file changes on the server before this request is answered (a new ETag with it);
    ``resume_anyway``: and the server still resumes it (206) whatever ``If-Range`` says."""

    data: bytes
    resume_anyway: bool = False


@dataclass(frozen=True)
class NoValidator:
    """Answer without ``ETag`` or ``Last-Modified``: nothing the client could resume against."""


@dataclass(frozen=True)
class IgnoreIfRange:
    """Resume (206) whatever ``If-Range`` says: a server that cannot tell a changed file."""


@dataclass(frozen=True)
class Hold:
    """Send ``after`` bytes, then wait until ``release`` is set (at most 30 s), then the rest; ``held``
    is set once the first bytes are out, so a test knows the client is mid-download."""

    after: int
    release: threading.Event
    held: threading.Event


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    path: str
    range: str | None
    user_agent: str | None
    if_range: str | None = None


class QuietServer(ThreadingHTTPServer):
    """A client hanging up mid-body (as the tests make it do) is expected, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Say nothing."""
        pass


class PullServer:
    """Use as a context manager: ``with PullServer() as server: server.add("/f", data)``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.queued: dict[str, list[object]] = {}
        self.permanent: dict[str, object] = {}
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.bare: set[str] = set()  # paths served with no ETag and no Last-Modified
        self.changed: dict[str, int] = {}  # path -> how often it was replaced (its Last-Modified moves on)
        self.httpd = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``, the port chosen by the system."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return self.base + path

    def add(self, path: str, data: bytes | str) -> str:
        """Serve ``data`` at ``path``; returns its URL."""
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data
        return self.url(path)

    def etag(self, path: str) -> str:
        """The strong ETag the server gives the bytes now at ``path``."""
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'

    def last_modified(self, path: str) -> str:
        """``Last-Modified`` of ``path``: a fixed day, one day later for each replacement."""
        return f"Mon, {1 + self.changed.get(path, 0):02d} Jun 2026 00:00:00 GMT"

    def script(self, path: str, *faults: object) -> None:
        """Play these faults on the next requests for ``path``, one each, then behave."""
        with self.lock:
            self.queued.setdefault(path, []).extend(faults)

    def always(self, path: str, fault: object) -> None:
        """Play ``fault`` on every request for ``path`` once the scripted ones are spent."""
        self.permanent[path] = fault

    def requests_for(self, path: str) -> list[Logged]:
        """Every request whose path, query included, is ``path``, in order."""
        return [r for r in self.log if r.path == path]

    def __enter__(self) -> PullServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _next_fault(self, path: str) -> object | None:
        with self.lock:
            queue = self.queued.get(path)
            if queue:
                return queue.pop(0)
        return self.permanent.get(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            """GET only: the registered bytes, a range of them, or the fault queued for the path."""

            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                """Serve one request, playing the path's next fault if there is one."""
                path = self.path if self.path in server.files else self.path.split("?", 1)[0]
                logged = Logged(
                    self.path, self.headers.get("Range"), self.headers.get("User-Agent"), self.headers.get("If-Range")
                )
                server.log.append(logged)
                fault = server._next_fault(path)
                if isinstance(fault, Replace):
                    server.files[path] = fault.data
                    server.changed[path] = server.changed.get(path, 0) + 1
                data = server.files.get(path)
                if isinstance(fault, Status) or data is None:
                    self.send_error_status(fault.code if isinstance(fault, Status) else 404, getattr(fault, "retry_after", None))
                    return
                if isinstance(fault, Endless):
                    self.send_endless(fault)
                    return
                etag, modified = server.etag(path), server.last_modified(path)
                if isinstance(fault, WrongBytes):
                    middle = len(data) // 2
                    data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
                if isinstance(fault, WrongLength):
                    data = data + b"x" * fault.extra
                start = self.range_start()
                if_range = self.headers.get("If-Range")
                lenient = isinstance(fault, IgnoreIfRange) or (isinstance(fault, Replace) and fault.resume_anyway)
                if if_range is not None and if_range not in (etag, modified) and not lenient:
                    start = None  # RFC 9110: the file is not the one the client has part of: all of it
                if start is not None and not isinstance(fault, IgnoreRange):
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                    body = data[start:]
                else:
                    self.send_response(200)
                    body = data
                if not isinstance(fault, NoValidator) and path not in server.bare:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", modified)
                self.send_header("Accept-Ranges", "bytes")
                if isinstance(fault, Chunked):
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 8192):
                        self.write_chunk(body[i : i + 8192])
                    self.write_chunk(b"")
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if isinstance(fault, Cut):
                    self.wfile.write(body[: fault.after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if isinstance(fault, Hold):
                    self.wfile.write(body[: fault.after])
                    self.wfile.flush()
                    fault.held.set()
                    fault.release.wait(30)
                    body = body[fault.after :]
                self.wfile.write(body)

            def write_chunk(self, block: bytes) -> None:
                """One chunk of a chunked body (an empty one ends it)."""
                self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")

            def send_endless(self, fault: Endless) -> None:
                """Chunks until the client hangs up or ``fault.safety`` bytes went out."""
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block, sent = b"\0" * fault.block, 0
                try:
                    while sent < fault.safety:
                        self.write_chunk(block)
                        sent += len(block)
                except OSError:  # the client stopped reading: what a capped download does
                    pass
                self.close_connection = True

            def range_start(self) -> int | None:
                """N from ``Range: bytes=N-``; None for no range or any other form."""
                value = self.headers.get("Range", "")
                if value.startswith("bytes=") and value.endswith("-") and value[6:-1].isdigit():
                    return int(value[6:-1])
                return None

            def send_error_status(self, code: int, retry_after: str | None) -> None:
                """An error status with a short body, and ``Retry-After`` when given."""
                body = f"status {code}\n".encode()
                self.send_response(code)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

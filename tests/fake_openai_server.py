"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions API, able to misbehave on purpose.

`POST /v1/chat/completions` answers with `answer(body)` (by default the last user turn, echoed as
"echo: ..."). `script(*behaviours)` queues one behaviour per coming request, then it behaves again;
`always(behaviour)` makes one permanent. The behaviours: `Answer` (normally, optionally after a
delay), `Slow` (sleep past the client's timeout), `Status` (an error status with an OpenAI-style
error body, `Retry-After` when given; `echo_auth` puts the Authorization header it saw into the
message, as some hosted APIs do), `NotJSON` and `NoChoices` (malformed 200s). Every request is kept
(its headers and JSON body), and the most requests in flight at once is counted.

    with FakeOpenAI() as server:
        server.script(Status(500), Status(429, retry_after="0"))
        judge = OpenAIJudge(server.url, "fake-model")
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    """A normal completion of `text` (None: the server's `answer(body)`), after `delay` seconds."""

    text: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Slow:
    """Wait `seconds` (longer than the client's timeout) before a normal answer."""

    seconds: float = 5.0


@dataclass(frozen=True)
class Status:
    """An error status with an OpenAI-style error body; `Retry-After` when given."""

    code: int
    message: str = "something went wrong"
    retry_after: str | None = None
    echo_auth: bool = False  # append the Authorization header to the message, as some APIs echo the key


@dataclass(frozen=True)
class NotJSON:
    """A 200 whose body is not JSON."""

    body: str = "<html>upstream gateway says hello</html>"


@dataclass(frozen=True)
class NoChoices:
    """A 200 with JSON but no choices[0].message.content."""

    body: str = '{"id": "cmpl-1", "object": "chat.completion", "choices": []}'


def echo_last_user_turn(body: dict) -> str:
    """The default answer: the last user turn, so a test can see which request got which reply."""
    users = [message["content"] for message in body.get("messages", []) if message.get("role") == "user"]
    return f"echo: {users[-1] if users else ''}"


class FakeOpenAI:
    """The server, started on a free port in a thread; use as a context manager."""

    def __init__(self, answer: Callable[[dict], str] = echo_last_user_turn, delay: float = 0.0):
        self.answer = answer
        self.delay = delay  # every normal answer waits this long (to see concurrency)
        self.requests: list[dict] = []  # {"path", "headers", "body"} per request, in arrival order
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: list[object] = []
        self._always: object | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """The base URL a client is given, ending in /v1."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.requests)

    def script(self, *behaviours: object) -> None:
        """Queue one behaviour per coming request."""
        with self._lock:
            self._queue.extend(behaviours)

    def always(self, behaviour: object | None) -> None:
        """Behave so for every request once the queue is empty (None: normally again)."""
        with self._lock:
            self._always = behaviour

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, headers: dict, body: object, path: str) -> object:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self._queue:
                return self._queue.pop(0)
            return self._always or Answer(delay=self.delay)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return None

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            behaviour = server._next({k.lower(): v for k, v in self.headers.items()}, body, self.path)
            try:
                self._behave(behaviour, body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                pass
            finally:
                server._done()

        def _behave(self, behaviour: object, body: object) -> None:
            if self.path != "/v1/chat/completions":
                return self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
            if isinstance(behaviour, Slow):
                time.sleep(behaviour.seconds)
                behaviour = Answer()
            if isinstance(behaviour, Status):
                message = behaviour.message
                if behaviour.echo_auth:
                    message += f" (you sent {self.headers.get('authorization')})"
                extra = {"Retry-After": behaviour.retry_after} if behaviour.retry_after is not None else {}
                return self._send(behaviour.code, json.dumps({"error": {"message": message, "type": "fake"}}), extra)
            if isinstance(behaviour, NotJSON | NoChoices):
                return self._send(200, behaviour.body)
            assert isinstance(behaviour, Answer)
            time.sleep(behaviour.delay)
            text = behaviour.text if behaviour.text is not None else server.answer(body if isinstance(body, dict) else {})
            model = body.get("model") if isinstance(body, dict) else None
            completion = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            }
            self._send(200, json.dumps(completion))

        def _send(self, code: int, text: str, headers: dict[str, str] | None = None) -> None:
            data = text.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler

"""A scripted HTTP server on 127.0.0.1 for collector tests, with faults to inject.

Each path serves its queued replies first, then its handler if it has one,
then the fallback handler, else a 404 naming the request (so a request the
test did not expect fails loudly). Every request is recorded. Faults:
``Reply(delay=...)`` answers late, ``Reply.reset()`` closes the socket
without answering, ``Reply.truncated(...)`` (or any Content-Length header
longer than the body) sends part of the body then closes the connection,
``Reply(drip=...)`` sends the body a byte at a time.

Example::

    from tests.collectors.fakeserver import FakeClock, FakeServer, Reply
    from tests.collectors.fakeserver import fake_server_fixture  # noqa: F401 (fixture)

    def test_retries_a_503(fake_server: FakeServer) -> None:
        fake_server.script("/api/items", Reply(status=503), Reply.json({"items": [1]}))
        fake_server.handle("/api/users", lambda req: Reply.json({"id": req.param("id")}))
        client = HttpClient(fake_server.url, clock=FakeClock().clock())
        assert client.get_json("/api/items").json() == {"items": [1]}
        assert len(fake_server.requests_to("/api/items")) == 2
"""

from __future__ import annotations

import json
import random
import socket
import struct
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from listener.collectors.http import Clock


class Fault(Enum):
    """A way for a reply to go wrong on the wire."""

    RESET = "reset"  # close the socket (RST) without answering


@dataclass(frozen=True)
class Reply:
    """One scripted response, or a fault to inject instead of one."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering (longer than a timeout: a hang)
    drip: float = 0.0  # seconds between body bytes (a slow server that never goes quiet)
    fault: Fault | None = None

    @classmethod
    def json(
        cls, data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """A JSON reply."""
        body = json.dumps(data).encode()
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, body)

    @classmethod
    def text(cls, text: str, *, status: int = 200, content_type: str = "text/plain") -> Reply:
        """A text reply (feeds, HTML error pages), UTF-8 encoded."""
        return cls(status, {"Content-Type": f"{content_type}; charset=utf-8"}, text.encode())

    @classmethod
    def reset(cls) -> Reply:
        """Close the connection without answering."""
        return cls(fault=Fault.RESET)

    @classmethod
    def truncated(cls, reply: Reply, *, keep: int | None = None) -> Reply:
        """``reply`` with only its first ``keep`` body bytes sent (default: half), then closed."""
        kept = reply.body[: len(reply.body) // 2 if keep is None else keep]
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        return replace(reply, headers=headers, body=kept)

    def after(self, seconds: float) -> Reply:
        """This reply, sent ``seconds`` late."""
        return replace(self, delay=seconds)


@dataclass(frozen=True)
class Recorded:
    """A request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body)


Handler = Callable[[Recorded], Reply]


class FakeServer:
    """A threaded HTTP/1.1 server on a free loopback port serving scripted replies."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.errors: list[BaseException] = []  # handler crashes; the fixture fails on any
        self._queues: dict[str, deque[Reply]] = {}
        self._handlers: dict[str, Handler] = {}
        self._fallback: Handler | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._httpd.fake = self
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:51234 (no trailing slash)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str, *replies: Reply) -> None:
        """Queue replies for ``path`` (any method), served once each in order."""
        with self._lock:
            self._queues.setdefault(path, deque()).extend(replies)

    def handle(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with ``handler(request)`` once its queue is empty."""
        self._handlers[path] = handler

    def fallback(self, handler: Handler) -> None:
        """Answer every path with no queue or handler of its own (a platform fake's router)."""
        self._fallback = handler

    def requests_to(self, path: str) -> list[Recorded]:
        """The recorded requests for one path, oldest first."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, waking any reply that is still delaying."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _reply_for(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._queues.get(request.path)
            if queue:
                return queue.popleft()
        handler = self._handlers.get(request.path) or self._fallback
        if handler is None:
            return Reply.json(
                {"error": f"no scripted reply for {request.method} {request.path}"}, status=404
            )
        try:
            return handler(request)
        except Exception as exc:  # a bug in a platform fake: answer 500, fail the test at teardown
            self.errors.append(exc)
            return Reply.json({"error": f"fake handler raised {exc!r}"}, status=500)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Record one request and play its reply on the wire."""
        reply = self._reply_for(_record(handler))
        if reply.delay and self._stopping.wait(reply.delay):
            return
        if reply.fault is Fault.RESET:
            _reset(handler)
            return
        _send(handler, reply, stopping=self._stopping)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still delaying must not hold up teardown
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up (after their timeout); keep anything else for the fixture."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            self.fake.errors.append(exc)


def _make_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real platforms do
        timeout = 10  # idle keep-alive connections do not pin a thread for ever

        def do_GET(self) -> None:
            fake._serve(self)

        do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return _Handler


def _record(handler: BaseHTTPRequestHandler) -> Recorded:
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    return Recorded(
        method=handler.command,
        path=parts.path,
        query=parse_qs(parts.query, keep_blank_values=True),
        headers={name.lower(): value for name, value in handler.headers.items()},
        body=handler.rfile.read(length) if length else b"",
    )


def _send(handler: BaseHTTPRequestHandler, reply: Reply, *, stopping: threading.Event) -> None:
    handler.send_response(reply.status)
    headers = {name.lower(): value for name, value in reply.headers.items()}
    headers.setdefault("content-length", str(len(reply.body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if reply.drip:
        for byte in reply.body:
            if stopping.wait(reply.drip):
                return
            handler.wfile.write(bytes([byte]))
    else:
        handler.wfile.write(reply.body)
    if headers["content-length"] != str(len(reply.body)):
        handler.close_connection = True  # the promised bytes never come: the body is cut short


def _reset(handler: BaseHTTPRequestHandler) -> None:
    # SO_LINGER 0 makes close() send RST, as a crashed proxy or load balancer does.
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


class FakeClock:
    """A wall clock that moves only when slept on, recording each sleep."""

    def __init__(self, start: datetime | None = None, *, seed: int = 7) -> None:
        self.current = start or datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
        self.sleeps: list[float] = []
        self._seed = seed

    def now(self) -> datetime:
        """The fake current time."""
        return self.current

    def sleep(self, seconds: float) -> None:
        """Record the wait and move time on by it, at once."""
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)

    def clock(self) -> Clock:
        """A Clock for HttpClient using this fake time and a seeded jitter."""
        return Clock(now=self.now, sleep=self.sleep, rng=random.Random(self._seed))


@pytest.fixture(name="fake_server")
def fake_server_fixture() -> Iterator[FakeServer]:
    """A started FakeServer, stopped after the test; fails the test if a handler crashed."""
    server = FakeServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"fake server handler errors: {server.errors!r}"

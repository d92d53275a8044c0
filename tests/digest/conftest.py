"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts and can be scripted.

`smtp_server` is a plain server without AUTH; `start_smtp_server` starts others
(STARTTLS, implicit TLS, AUTH) and stops them after the test. Scripted replies:

    server.handler.reply("b@example.org", "451 4.7.1 Try again later", at="RCPT", times=1)
    server.handler.reply("c@example.org", "550 5.1.1 No such user")   # every time
    server.handler.hold("b@example.org")   # park that recipient's DATA until release()

A held DATA that loses its client (the sender was killed) is discarded, as a
real server discards a message it never answered.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    """One message the server accepted, with how the client reached it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class _Script:
    reply: str
    times: int | None  # None: every time


class RecordingHandler:
    """aiosmtpd handler: accepts everything unless told otherwise, and records it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.holding = threading.Event()  # set when a held DATA arrives
        self.abandoned = threading.Event()  # set when a held DATA's client went away
        self._release = threading.Event()
        self._held: set[str] = set()
        self._scripts: dict[tuple[str, str], _Script] = {}
        self._lock = threading.Lock()

    def reply(
        self, recipient: str, reply: str, *, at: str = "RCPT", times: int | None = None
    ) -> None:
        """Answer `reply` at RCPT or DATA for `recipient`, the next `times` times (None: always)."""
        self._scripts[(at, recipient)] = _Script(reply, times)

    def hold(self, recipient: str) -> None:
        """Park DATA for `recipient` (before answering it) until `release`."""
        self._held.add(recipient)

    def release(self) -> None:
        self._release.set()

    def clear_replies(self) -> None:
        """Accept everything again."""
        self._scripts.clear()

    def to(self, recipient: str) -> list[Message]:
        """The messages accepted for `recipient`."""
        return [r.message for r in self.received if recipient in r.rcpt_tos]

    def _scripted(self, at: str, recipient: str) -> str | None:
        with self._lock:
            script = self._scripts.get((at, recipient))
            if script is None or script.times == 0:
                return None
            if script.times is not None:
                script.times -= 1
            return script.reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        scripted = self._scripted("RCPT", address)
        if scripted:
            return scripted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            scripted = self._scripted("DATA", recipient)
            if scripted:
                return scripted
        if self._held & set(envelope.rcpt_tos):
            self.holding.set()
            try:
                while not self._release.is_set():
                    await asyncio.sleep(0.01)
            except asyncio.CancelledError:  # the client vanished: aiosmtpd drops the message
                self.abandoned.set()
                raise
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                server.transport.get_extra_info("ssl_object") is not None,
                login,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running server: where it listens, what it accepted, how to reach it."""

    handler: RecordingHandler
    port: int
    scheme: str = "smtp"
    cafile: Path | None = None
    controller: Controller | None = field(default=None, repr=False)

    def url(self, *, user: str = "", password: str = "", **options: str) -> str:
        """LISTENER_SMTP_URL for this server (credentials percent-encoded)."""
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        if self.cafile is not None:
            options.setdefault("cafile", str(self.cafile))
        query = "&".join(f"{k}={quote(v, safe='/')}" for k, v in options.items())
        return f"{self.scheme}://{auth}127.0.0.1:{self.port}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """Made once per session with the openssl CLI (an EC key: quick to generate)."""
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(files.key), "-out", str(files.cert), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _authenticator(user: str, password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=data)

    return check


StartServer = Callable[..., SmtpServer]


@pytest.fixture
def start_smtp_server(tls_files: TlsFiles) -> Iterator[StartServer]:
    """Start a server: security "plain" | "starttls" | "tls"; credentials require AUTH."""
    started: list[SmtpServer] = []

    def start(*, security: str = "plain", credentials: tuple[str, str] | None = None) -> SmtpServer:
        handler = RecordingHandler()
        server = SmtpServer(handler, free_port())
        options: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 5}
        if security == "starttls":
            options.update(tls_context=tls_files.server_context(), require_starttls=True)
            server.scheme, server.cafile = "smtp+starttls", tls_files.cert
        elif security == "tls":
            options.update(ssl_context=tls_files.server_context())
            server.scheme, server.cafile = "smtps", tls_files.cert
        if credentials:
            options.update(authenticator=_authenticator(*credentials), auth_required=True)
            # aiosmtpd only counts STARTTLS as TLS for AUTH; smtps is TLS from the start.
            options.update(auth_require_tls=security == "starttls")
        server.controller = Controller(handler, hostname="127.0.0.1", port=server.port, **options)
        server.controller.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.handler.release()
        assert server.controller is not None
        server.controller.stop()


@pytest.fixture
def smtp_server(start_smtp_server: StartServer) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 that accepts everything (until scripted otherwise)."""
    return start_smtp_server()

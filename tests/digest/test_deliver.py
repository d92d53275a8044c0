"""Digest delivery against a real SMTP server: each recipient gets one message per week, whatever happens."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listener.digest.deliver import (
    CLAIM_LEASE,
    DeliveryReport,
    DigestBatch,
    plan_digests,
    requeue_failed,
    send_digests,
)
from listener.digest.smtpurl import SmtpConfig, parse_smtp_url
from listener.errors import ConfigError
from listener.models import Department, Digest, utcnow
from listener.store import deliveries
from listener.store.db import create_engine, write_transaction
from listener.store.deliveries import DELIVERIES, DeliveryKey
from tests.digest.conftest import SmtpServer, StartServer, free_port

ROOT = Path(__file__).resolve().parents[2]
WEEK = "2026-W47"
SENDER = "Listener digests <digests@listener.example.gov.uk>"
PASSWORD = "s3cret:P@ss/w#rd"  # needs percent-encoding in a URL
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
DIGESTS = Digest.__table__  # type: ignore[attr-defined]
A, B, C, D = (f"{name}@dhsc.example.gov.uk" for name in ("ana", "ben", "cat", "dev"))

# Tests about the wire (MIME, TLS, AUTH, secrets) rather than the ledger's SQL run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# aiosmtpd warns about AUTH without STARTTLS: meant here (a plain relay; smtps is TLS anyway).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# ---------------------------------------------------------------- small factories


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1d\x70\x2c")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def compose_for(department: str, week: str) -> Callable[[str], EmailMessage]:
    """What the renderer hands over: text, HTML with an inline chart, per recipient."""

    def compose(recipient: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = recipient
        message["Subject"] = f"{department.upper()} social listening digest, {week}"
        message.set_content(f"What people said about {department} in {week}.\n")
        cid = make_msgid(domain="listener.example.gov.uk")
        html = f'<html><body><h1>{week}</h1><img src="cid:{cid[1:-1]}" alt="Posts per day"></body></html>'
        message.add_alternative(html, subtype="html")
        html_part = message.get_payload()[1]  # type: ignore[index]
        html_part.add_related(tiny_png(), "image", "png", cid=cid, filename="volume.png")
        return message

    return compose


def make_batch(engine: sa.Engine, recipients: Sequence[str], *, slug: str = "dhsc") -> DigestBatch:
    """A department, a built digest for WEEK, and the batch that sends it."""
    now = utcnow()
    with write_transaction(engine) as conn:
        department_id = conn.scalar(
            sa.insert(DEPARTMENTS)
            .values(slug=slug, name=slug.upper(), active=True, created_at=now, updated_at=now)
            .returning(DEPARTMENTS.c.id)
        )
        digest_id = conn.scalar(
            sa.insert(DIGESTS)
            .values(department_id=department_id, week=WEEK, version="1", context={}, built_at=now)
            .returning(DIGESTS.c.id)
        )
    return DigestBatch(
        department_id, slug, WEEK, digest_id, list(recipients), compose_for(slug, WEEK)
    )


def ledger(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """Every ledger row, by recipient."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(DELIVERIES)).mappings().all()
    return {row["recipient"]: dict(row) for row in rows}


def send(engine: sa.Engine, batches: Sequence[DigestBatch], url: str, **kw: Any) -> DeliveryReport:
    return send_digests(engine, batches, smtp=parse_smtp_url(url), **kw)


def results(report: DeliveryReport) -> dict[str, str]:
    return {o.recipient: o.result for o in report.outcomes}


def later() -> datetime:
    """A clock past the claim lease: claims left by a dead run are stale by then."""
    return utcnow() + CLAIM_LEASE + timedelta(minutes=1)


def counts(server: SmtpServer) -> dict[str, int]:
    tally: dict[str, int] = {}
    for received in server.handler.received:
        for recipient in received.rcpt_tos:
            tally[recipient] = tally.get(recipient, 0) + 1
    return tally


# ---------------------------------------------------------------- exactly once


def test_two_sends_deliver_one_message_per_recipient(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    batches = [make_batch(engine, [A, B, A]), make_batch(engine, [C], slug="dsit")]

    first = send(engine, batches, smtp_server.url())
    second = send(engine, batches, smtp_server.url())

    assert (first.sent, first.already_sent, first.deferred, first.failed) == (3, 0, 0, 0)
    assert (second.sent, second.already_sent) == (0, 3)
    assert counts(smtp_server) == {A: 1, B: 1, C: 1}
    for received in smtp_server.handler.received:  # one transaction each, their own To
        assert received.rcpt_tos == [received.message["To"]]
        assert received.mail_from == "digests@listener.example.gov.uk"
    rows = ledger(engine)
    assert {r: (row["status"], row["attempts"]) for r, row in rows.items()} == {
        A: ("sent", 1),
        B: ("sent", 1),
        C: ("sent", 1),
    }
    assert {smtp_server.handler.to(r)[0]["Message-ID"] for r in (A, B, C)} == {
        row["message_id"] for row in rows.values()
    }
    assert rows[C]["message_id"].startswith("<listener.dsit.2026-W47.")
    assert rows[C]["message_id"].endswith("@listener.example.gov.uk>")
    assert all(row["sent_at"] is not None for row in rows.values())
    assert second.outcomes[0].detail.startswith("sent 20")


@SQLITE_ONLY
def test_message_is_multipart_alternative_with_inline_images(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    batch = make_batch(engine, [A])
    send(engine, [batch], smtp_server.url())

    [message] = smtp_server.handler.to(A)
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_payload(decode=True) == tiny_png()
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_payload(decode=True).decode()
    assert message["To"] == A
    assert message["Subject"] == "DHSC social listening digest, 2026-W47"
    assert message["Message-ID"] == ledger(engine)[A]["message_id"]
    assert message["Date"]


def test_kill_mid_send_then_rerun_sends_each_recipient_once(
    engine: sa.Engine, database_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    batch = make_batch(engine, [A, B, C])
    smtp_server.handler.hold(B)  # the server sits on B's DATA: the sender is killed meanwhile
    script = "import sys; from tests.digest.test_deliver import send_from_argv; send_from_argv(sys.argv[1:])"
    args = [
        database_url,
        smtp_server.url(),
        str(batch.department_id),
        str(batch.digest_id),
        f"{A},{B},{C}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not smtp_server.handler.holding.wait(0.05):
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, "the sender never reached the second recipient"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert smtp_server.handler.abandoned.wait(5)  # the server dropped the unfinished message
    smtp_server.handler.release()

    killed = ledger(engine)
    assert (killed[A]["status"], killed[B]["status"], C in killed) == ("sent", "sending", False)
    assert killed[B]["attempts"] == 1 and killed[B]["message_id"]

    # A retry straight away leaves B to the (dead) claimer until the lease runs out.
    retry = send(engine, [batch], smtp_server.url())
    assert results(retry) == {A: "already_sent", B: "in_progress", C: "sent"}
    after_lease = send(engine, [batch], smtp_server.url(), now=later)
    assert results(after_lease) == {A: "already_sent", B: "sent", C: "already_sent"}

    assert counts(smtp_server) == {A: 1, B: 1, C: 1}
    rows = ledger(engine)
    assert rows[B]["status"] == "sent" and rows[B]["attempts"] == 2
    assert smtp_server.handler.to(B)[0]["Message-ID"] == killed[B]["message_id"]


def send_from_argv(argv: Sequence[str]) -> None:
    """The killed sender's process: send one batch as the CLI would."""
    database_url, smtp_url, department_id, digest_id, recipients = argv
    batch = DigestBatch(
        int(department_id),
        "dhsc",
        WEEK,
        int(digest_id),
        recipients.split(","),
        compose_for("dhsc", WEEK),
    )
    send(create_engine(database_url), [batch], smtp_url)


def test_crash_between_acceptance_and_commit_resends_with_the_same_message_id(
    engine: sa.Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window exactly-once cannot close: documented, and the copy is recognisable."""
    batch = make_batch(engine, [A, B])
    mark_sent = deliveries.mark_sent

    def crash_on_b(conn: sa.Connection, key: DeliveryKey, *, now: datetime) -> None:
        if key.recipient == B:
            raise RuntimeError("power cut")
        mark_sent(conn, key, now=now)

    monkeypatch.setattr(deliveries, "mark_sent", crash_on_b)
    with pytest.raises(RuntimeError):
        send(engine, [batch], smtp_server.url())
    monkeypatch.undo()
    assert ledger(engine)[B]["status"] == "sending"

    send(engine, [batch], smtp_server.url(), now=later)
    copies = smtp_server.handler.to(B)
    assert len(copies) == 2 and copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert counts(smtp_server)[A] == 1


def test_claims_are_exclusive_when_senders_race(engine: sa.Engine) -> None:
    batch = make_batch(engine, [A])
    key = DeliveryKey(batch.department_id, WEEK, A)

    def race(now: datetime) -> list[object]:
        won: list[object] = []
        barrier = threading.Barrier(6)

        def claim(n: int) -> None:
            barrier.wait()
            with write_transaction(engine) as conn:
                row = deliveries.claim(
                    conn, key, digest_id=batch.digest_id, message_id=f"<m{n}@x>",
                    now=now, stale_before=now - CLAIM_LEASE,
                )  # fmt: skip
            if row is not None:
                won.append(row.message_id)

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return won

    [first] = race(utcnow())  # six new claims for one row: one wins
    [second] = race(later())  # six take-overs of a stale claim: one wins, same Message-ID
    assert first == second
    assert ledger(engine)[A]["attempts"] == 2


# ---------------------------------------------------------------- server replies


def test_451_is_deferred_then_sent_by_the_next_run(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    batch = make_batch(engine, [A, B, C])
    smtp_server.handler.reply(B, "451 4.7.1 Greylisted, try again later", times=1)

    first = send(engine, [batch], smtp_server.url())
    assert results(first) == {A: "sent", B: "deferred", C: "sent"}
    deferred = ledger(engine)[B]
    assert deferred["status"] == "deferred"
    assert deferred["last_error"] == "451 4.7.1 Greylisted, try again later"
    assert plan_digests(engine, [batch])[1].action == "retry"

    second = send(engine, [batch], smtp_server.url())
    assert results(second) == {A: "already_sent", B: "sent", C: "already_sent"}
    assert counts(smtp_server) == {A: 1, B: 1, C: 1}
    row = ledger(engine)[B]
    assert (row["status"], row["attempts"], row["message_id"]) == (
        "sent",
        2,
        deferred["message_id"],
    )
    assert smtp_server.handler.to(B)[0]["Message-ID"] == deferred["message_id"]


def test_550_fails_one_recipient_and_the_others_get_theirs(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    batch = make_batch(engine, [A, B, C, D])
    smtp_server.handler.reply(B, "550 5.1.1 No such user")
    smtp_server.handler.reply(C, "554 5.6.0 Message content rejected", at="DATA")

    first = send(engine, [batch], smtp_server.url())
    assert results(first) == {A: "sent", B: "failed", C: "failed", D: "sent"}
    assert (first.sent, first.failed) == (2, 2)
    rows = ledger(engine)
    assert rows[B]["last_error"] == "550 5.1.1 No such user"
    assert rows[C]["last_error"] == "554 5.6.0 Message content rejected"
    assert counts(smtp_server) == {A: 1, D: 1}

    smtp_server.handler.clear_replies()
    second = send(engine, [batch], smtp_server.url())  # failed rows are not retried on their own
    assert results(second) == {A: "already_sent", B: "failed", C: "failed", D: "already_sent"}
    assert "not retried" in second.outcomes[1].detail
    assert counts(smtp_server) == {A: 1, D: 1}

    assert requeue_failed(engine, [batch]) == [("dhsc", B), ("dhsc", C)]
    third = send(engine, [batch], smtp_server.url())
    assert (third.sent, third.already_sent) == (2, 2)
    assert counts(smtp_server) == {A: 1, B: 1, C: 1, D: 1}


@SQLITE_ONLY
def test_malformed_address_fails_without_being_sent(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    injected = "eve@example.org>\r\nRCPT TO:<mallory@example.org"
    batch = make_batch(engine, [A, injected, "not an address"])

    report = send(engine, [batch], smtp_server.url())

    assert results(report) == {A: "sent", injected: "failed", "not an address": "failed"}
    assert counts(smtp_server) == {A: 1}
    assert ledger(engine)[injected]["status"] == "failed"


def test_unreachable_server_defers_everyone_then_the_next_run_sends(
    engine: sa.Engine, start_smtp_server: StartServer
) -> None:
    batch = make_batch(engine, [A, B])

    down = send(engine, [batch], f"smtp://127.0.0.1:{free_port()}?timeout=2")

    assert "Connection refused" in down.unreachable
    assert results(down) == {A: "deferred", B: "deferred"}
    rows = ledger(engine)
    assert {row["status"] for row in rows.values()} == {"deferred"}
    assert rows[A]["attempts"] == 0 and rows[A]["last_error"] == down.unreachable

    server = start_smtp_server()
    up = send(engine, [batch], server.url())
    assert (up.sent, up.unreachable) == (2, "")
    assert counts(server) == {A: 1, B: 1}


def test_dry_run_plan_says_who_gets_what_and_changes_nothing(
    engine: sa.Engine, smtp_server: SmtpServer
) -> None:
    batch = make_batch(engine, [A, B, C, D])
    smtp_server.handler.reply(B, "451 4.3.0 Mailbox busy", times=1)
    smtp_server.handler.reply(C, "550 5.1.1 No such user")
    send(engine, [make_batch(engine, [D], slug="dsit")], smtp_server.url())  # another department
    send(engine, [dataclasses.replace(batch, recipients=[A, B, C])], smtp_server.url())
    before, received = ledger(engine), len(smtp_server.handler.received)

    plan = plan_digests(engine, [batch])

    assert [(p.recipient, p.action) for p in plan] == [
        (A, "already_sent"),
        (B, "retry"),
        (C, "failed"),
        (D, "send"),
    ]
    assert plan[0].detail.startswith("sent 20")
    assert plan[1].detail == "451 4.3.0 Mailbox busy"
    assert plan[2].detail == "550 5.1.1 No such user"
    assert {p.subject for p in plan} == {"DHSC social listening digest, 2026-W47"}
    assert ledger(engine) == before
    assert len(smtp_server.handler.received) == received


# ---------------------------------------------------------------- TLS, AUTH and secrets


@SQLITE_ONLY
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_a_private_ca_and_login(
    engine: sa.Engine, start_smtp_server: StartServer, security: str
) -> None:
    server = start_smtp_server(security=security, credentials=("digest-bot", PASSWORD))
    batch = make_batch(engine, [A])

    report = send(engine, [batch], server.url(user="digest-bot", password=PASSWORD))

    assert report.sent == 1, report
    [received] = server.handler.received
    assert (received.tls, received.login) == (True, "digest-bot")


@SQLITE_ONLY
def test_login_over_plain_smtp(engine: sa.Engine, start_smtp_server: StartServer) -> None:
    server = start_smtp_server(credentials=("relay", PASSWORD))
    report = send(engine, [make_batch(engine, [A])], server.url(user="relay", password=PASSWORD))
    assert report.sent == 1
    assert server.handler.received[0].login == "relay"


@SQLITE_ONLY
def test_tls_certificates_are_always_verified(
    engine: sa.Engine, start_smtp_server: StartServer
) -> None:
    server = start_smtp_server(security="tls")
    batch = make_batch(engine, [A])

    report = send(engine, [batch], f"smtps://127.0.0.1:{server.port}?timeout=5")  # no cafile

    assert "certificate not trusted" in report.unreachable
    assert report.deferred == 1 and server.handler.received == []


@SQLITE_ONLY
def test_starttls_is_required_when_asked_for(engine: sa.Engine, smtp_server: SmtpServer) -> None:
    report = send(
        engine, [make_batch(engine, [A])], f"smtp+starttls://127.0.0.1:{smtp_server.port}"
    )
    assert "does not offer STARTTLS" in report.unreachable
    assert smtp_server.handler.received == []


@SQLITE_ONLY
def test_the_password_never_shows(
    engine: sa.Engine, start_smtp_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="listener")
    server = start_smtp_server(security="starttls", credentials=("digest-bot", PASSWORD))
    batch = make_batch(engine, [A, B])
    good = server.url(user="digest-bot", password=PASSWORD)
    server.handler.reply(B, f"550 5.7.1 refused, and your password is {PASSWORD}")

    rejected = send(engine, [batch], good)
    wrong = send(
        engine,
        [make_batch(engine, [C], slug="dsit")],
        server.url(user="digest-bot", password=PASSWORD + "x"),
    )

    config = parse_smtp_url(good)
    shown = [
        repr(config),
        str(config),
        repr(rejected),
        repr(wrong),
        repr(ledger(engine)),
        caplog.text,
    ]
    assert "login refused: 535" in wrong.unreachable
    assert ledger(engine)[B]["last_error"] == "550 5.7.1 refused, and your password is ***"
    for text in shown:
        assert PASSWORD not in text and "s3cret" not in text
    assert config.secret() == PASSWORD


# ---------------------------------------------------------------- LISTENER_SMTP_URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.internal", ("mail.internal", 25, "plain", None, 30.0)),
        (
            "smtp+starttls://relay.example.gov.uk",
            ("relay.example.gov.uk", 587, "starttls", None, 30.0),
        ),
        (
            "smtps://u%40dept:p%3Aw@smtp.example.org:2465?timeout=7.5",
            ("smtp.example.org", 2465, "tls", "u@dept", 7.5),
        ),
        ("SMTP://[::1]:2525/", ("::1", 2525, "plain", None, 30.0)),
    ],
)
def test_smtp_url_forms(url: str, expected: tuple[object, ...]) -> None:
    config = parse_smtp_url(url)
    assert (config.host, config.port, config.security, config.username, config.timeout) == expected


def test_smtp_url_credentials_and_cafile(tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_text("placeholder")
    config = parse_smtp_url(
        f"smtp+starttls://bot:{PASSWORD.replace('/', '%2F').replace('#', '%23').replace('@', '%40').replace(':', '%3A')}@mx:2587?cafile={cafile}"
    )
    assert (config.username, config.secret(), config.cafile) == ("bot", PASSWORD, cafile)
    assert str(config) == "smtp+starttls://bot@mx:2587"
    assert PASSWORD not in repr(config)
    assert config == SmtpConfig("mx", 2587, "starttls", "bot", config.password, 30.0, cafile)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://bot:Sup3rS3cret@mx", "unknown scheme 'http'"),
        ("bot:Sup3rS3cret@mx", "unknown scheme"),
        ("smtp://bot:Sup3rS3cret@", "no host name"),
        ("smtp://bot:Sup3r?S3cret@mx", "port must be a number"),
        ("smtp://bot:Sup3r#S3cret@mx", "unexpected path or #fragment"),
        ("smtp://bot:12/Sup3rS3cret@mx", "unexpected path"),
        ("smtp://bot:99?Sup3rS3cret@mx", "unknown option (known"),
        ("smtp://bot@mx", "both a user name and a password"),
        ("smtp://:Sup3rS3cret@mx", "both a user name and a password"),
        ("smtp://mx:99999", "port must be a number"),
        ("smtp://mx?timeout=soon", "timeout= must be a number"),
        ("smtp://mx?timeout=0", "timeout= must be a number"),
        ("smtp://mx?timeout=121", "at most 120"),
        ("smtp://mx?tiemout=5", "unknown option 'tiemout'"),
        ("smtps://mx?cafile=/nonexistent/ca.pem", "is not a readable file"),
        (f"smtp://mx?cafile={__file__}", "cafile= needs smtp+starttls"),
        ("smtp://bot:Sup3rS3cret@[::1", "not a URL"),
    ],
)
def test_smtp_url_errors_are_one_line_and_never_echo_the_password(url: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_smtp_url(url)
    message = str(caught.value)
    assert message.startswith("LISTENER_SMTP_URL: ")
    assert reason in message
    assert "Sup3r" not in message and "S3cret" not in message and "\n" not in message
    assert caught.value.__cause__ is None


@SQLITE_ONLY
def test_a_cafile_that_is_not_a_ca_bundle_is_a_config_error(
    engine: sa.Engine, tmp_path: Path
) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_text("not a certificate")
    batch = make_batch(engine, [A])
    with pytest.raises(ConfigError, match=r"LISTENER_SMTP_URL: cafile .* is not a PEM CA bundle"):
        send(engine, [batch], f"smtps://127.0.0.1:1?cafile={cafile}")
    assert ledger(engine) == {}

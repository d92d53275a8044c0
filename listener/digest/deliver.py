"""Send built digests over SMTP to each recipient exactly once, with the ledger as the record.

A run takes each recipient in turn, one SMTP transaction each (everyone gets
their own To), sharing one connection that is reopened after an error:

1. The ledger row decides: ``sent`` is never sent again, ``failed`` is not
   retried (see below), and a ``sending`` row claimed by another run within
   `CLAIM_LEASE` is left to it (reported ``in_progress``).
2. The connection is made ready. If the server cannot be used at all (refused,
   timed out, TLS or login failure), this and every later recipient of the run
   are recorded ``deferred`` with the reason, and `DeliveryReport.unreachable` says why.
3. The row is claimed and committed: ``sending``, attempts + 1, and a Message-ID
   made on the first attempt and stored, so every attempt carries the same one.
4. The message goes out with that Message-ID and a fresh Date. On the server's
   250 the row is committed ``sent`` at once. A 4xx reply, a dropped connection
   or a timeout makes it ``deferred`` (the next run retries it); a 5xx at MAIL,
   RCPT or DATA makes it ``failed`` with the server's reply, and the others
   still get theirs. A malformed address fails without being sent.

Crashes: a run killed before the server's final 250 leaves the row ``sending``
and the server discards the unfinished message. Once that claim is older than
`CLAIM_LEASE` (longer than one transaction can take, so no live run holds it)
a later run sends it again with the same Message-ID. A run killed in the
instant between the server's 250 and our commit cannot know the message went,
so that recipient gets it twice, with the same Message-ID, which lets mail
systems that deduplicate drop the copy. Ctrl-C during a send marks the row
``deferred`` straight away, with the same caveat.

Failed rows stay failed until an operator fixes the cause (a mistyped address,
say) and runs `requeue_failed` (for the CLI to offer, as ``--retry-failed``
say), which makes them deferred for the next send. `plan_digests` is ``--dry-run``: it writes
and sends nothing. The SMTP password is never in a report, a ledger row or an
exception: server replies are scrubbed of it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

import sqlalchemy as sa

from listener.digest.smtpurl import SmtpConfig, connect, tls_context
from listener.models import utcnow
from listener.store import deliveries as ledger
from listener.store.db import write_transaction
from listener.store.deliveries import DeliveryKey, LedgerRow

# A sending row younger than this may belong to a live run; older ones are left by a dead one.
CLAIM_LEASE = timedelta(minutes=15)
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")
NOT_AN_ADDRESS = "not an email address; correct it in the config, then requeue failed deliveries"

Result = Literal["sent", "already_sent", "deferred", "failed", "in_progress"]
Action = Literal["send", "retry", "already_sent", "failed", "in_progress"]
Clock = Callable[[], datetime]
_Sent = tuple[Literal["sent", "deferred", "failed"], str]


@dataclass(frozen=True)
class DigestBatch:
    """One department's digest for one week, and who gets it."""

    department_id: int
    department: str  # slug, for reports
    week: str  # YYYY-Www
    digest_id: int
    recipients: list[str]
    # recipient -> a complete new message (From, To, Subject, body); send sets Message-ID and Date
    compose: Callable[[str], EmailMessage]


@dataclass(frozen=True)
class Outcome:
    """What happened for one recipient in a run."""

    department: str
    week: str
    recipient: str
    result: Result
    detail: str = ""  # the server's reply or the error; for already_sent, when
    message_id: str = ""
    attempts: int = 0


@dataclass
class DeliveryReport:
    """What a send did: one outcome per recipient, and why the server was unreachable if it was."""

    outcomes: list[Outcome] = field(default_factory=list)
    unreachable: str = ""

    def count(self, result: Result) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def already_sent(self) -> int:
        return self.count("already_sent")

    @property
    def deferred(self) -> int:
        return self.count("deferred")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def in_progress(self) -> int:
        return self.count("in_progress")


@dataclass(frozen=True)
class PlannedDelivery:
    """What a send would do for one recipient (``--dry-run``)."""

    department: str
    week: str
    recipient: str
    action: Action
    detail: str  # last error for retry and failed; when, for already_sent
    subject: str


def send_digests(
    engine: sa.Engine, batches: Sequence[DigestBatch], *, smtp: SmtpConfig, now: Clock = utcnow
) -> DeliveryReport:
    """Send every batch to every recipient not yet sent; see the module docstring."""
    context = tls_context(smtp) if smtp.security != "plain" else None  # a bad cafile stops here
    run = _Run(engine, smtp=smtp, context=context, now=now)
    try:
        for batch in batches:
            for recipient in _unique(batch.recipients):
                run.report.outcomes.append(run.deliver(batch, recipient))
    finally:
        run.close()
    return run.report


def plan_digests(
    engine: sa.Engine, batches: Sequence[DigestBatch], *, now: Clock = utcnow
) -> list[PlannedDelivery]:
    """What `send_digests` would do, recipient by recipient; writes and sends nothing."""
    stale_before = now() - CLAIM_LEASE
    plan: list[PlannedDelivery] = []
    for batch in batches:
        with engine.connect() as conn:
            rows = ledger.rows_for(conn, department_id=batch.department_id, week=batch.week)
        for recipient in _unique(batch.recipients):
            action, detail = _standing(rows.get(recipient), stale_before=stale_before)
            subject = ""
            if not _ADDRESS.fullmatch(recipient):
                action, detail = "failed", NOT_AN_ADDRESS
            else:
                subject = str(batch.compose(recipient).get("Subject", ""))
            plan.append(
                PlannedDelivery(batch.department, batch.week, recipient, action, detail, subject)
            )
    return plan


def requeue_failed(
    engine: sa.Engine, batches: Sequence[DigestBatch], *, now: Clock = utcnow
) -> list[tuple[str, str]]:
    """Let the next send retry these batches' failed recipients; return (department, recipient)."""
    requeued: list[tuple[str, str]] = []
    with write_transaction(engine) as conn:
        for batch in batches:
            recipients = ledger.requeue_failed(
                conn,
                department_id=batch.department_id,
                week=batch.week,
                recipients=_unique(batch.recipients),
                now=now(),
            )
            requeued += [(batch.department, recipient) for recipient in recipients]
    return requeued


def _unique(recipients: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(r.strip() for r in recipients if r.strip()))


def _standing(row: LedgerRow | None, *, stale_before: datetime) -> tuple[Action, str]:
    """What the ledger row says a send should do with this recipient, and why."""
    if row is None or row.status == "pending":
        return "send", ""
    if row.status == "sent":
        return "already_sent", f"sent {_when(row.sent_at or row.updated_at)}"
    if row.status == "failed":
        return "failed", row.last_error
    if row.status == "sending" and row.updated_at >= stale_before:
        lease = int(CLAIM_LEASE.total_seconds() // 60)
        return "in_progress", (
            f"claimed by another run {_when(row.updated_at)}; taken over after {lease} minutes"
            " if that run died"
        )
    if row.status == "sending":
        return "retry", f"a run stopped mid-send {_when(row.updated_at)}; same Message-ID"
    return "retry", row.last_error


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


class _Run:
    """One send run: the SMTP connection it shares between recipients, and its report."""

    def __init__(
        self, engine: sa.Engine, *, smtp: SmtpConfig, context: ssl.SSLContext | None, now: Clock
    ) -> None:
        self.engine, self.smtp, self.context, self.now = engine, smtp, context, now
        self.session: smtplib.SMTP | None = None
        self.report = DeliveryReport()

    def deliver(self, batch: DigestBatch, recipient: str) -> Outcome:
        """Take one recipient through the ledger and the server; say what happened."""
        key = DeliveryKey(batch.department_id, batch.week, recipient)
        settled = self._settled(batch, key)
        if settled is not None:
            return settled
        if not _ADDRESS.fullmatch(recipient):
            with write_transaction(self.engine) as conn:
                if self._claim(conn, batch, key, message_id="") is not None:
                    ledger.mark_failed(conn, key, reason=NOT_AN_ADDRESS, now=self.now())
            return self._outcome(batch, key, "failed", NOT_AN_ADDRESS)
        if self.report.unreachable:
            return self._defer(batch, key)
        message = batch.compose(recipient)
        sender = _sender(message, recipient)
        if not self._ready():
            return self._defer(batch, key)
        with write_transaction(self.engine) as conn:
            claimed = self._claim(conn, batch, key, message_id=_message_id(batch, sender))
        if claimed is None:  # another run claimed it between our read and our claim
            return self._settled(batch, key) or self._outcome(batch, key, "in_progress", "")
        return self._send(batch, claimed, message=message, sender=sender)

    def _defer(self, batch: DigestBatch, key: DeliveryKey) -> Outcome:
        """Record a recipient left for the next run because the server cannot be used."""
        reason = self.report.unreachable
        with write_transaction(self.engine) as conn:
            ledger.defer_unclaimed(
                conn, key, digest_id=batch.digest_id, reason=reason, now=self.now()
            )
        return self._outcome(batch, key, "deferred", reason)

    def _claim(
        self, conn: sa.Connection, batch: DigestBatch, key: DeliveryKey, *, message_id: str
    ) -> LedgerRow | None:
        now = self.now()
        return ledger.claim(
            conn,
            key,
            digest_id=batch.digest_id,
            message_id=message_id,
            now=now,
            stale_before=now - CLAIM_LEASE,
        )

    def _settled(self, batch: DigestBatch, key: DeliveryKey) -> Outcome | None:
        """The outcome for a row this run must not send (sent, failed, mid-send elsewhere)."""
        with self.engine.connect() as conn:
            row = ledger.get(conn, key)
        action, detail = _standing(row, stale_before=self.now() - CLAIM_LEASE)
        if row is None or action == "send" or action == "retry":
            return None
        if action == "failed":
            detail = f"failed earlier, not retried: {detail}"
        return _outcome(batch, row, action, detail)

    def _send(
        self, batch: DigestBatch, row: LedgerRow, *, message: EmailMessage, sender: str
    ) -> Outcome:
        key = DeliveryKey(row.department_id, row.week, row.recipient)
        del message["Message-ID"], message["Date"]
        message["Message-ID"] = row.message_id
        message["Date"] = format_datetime(self.now())
        try:
            result, reason = self._transmit(message, sender=sender, recipient=row.recipient)
        except BaseException as exc:
            # Ctrl-C or a bug: free the claim now, not after the lease (same Message-ID next time).
            reason = f"interrupted during sending ({type(exc).__name__})"
            with write_transaction(self.engine) as conn:
                ledger.mark_deferred(conn, key, reason=reason, now=self.now())
            raise
        with write_transaction(self.engine) as conn:
            if result == "sent":
                ledger.mark_sent(conn, key, now=self.now())
            elif result == "failed":
                ledger.mark_failed(conn, key, reason=reason, now=self.now())
            else:
                ledger.mark_deferred(conn, key, reason=reason, now=self.now())
        return self._outcome(batch, key, result, reason)

    def _transmit(self, message: EmailMessage, *, sender: str, recipient: str) -> _Sent:
        """One SMTP transaction: ("sent", "") or ("deferred" | "failed", the reason)."""
        assert self.session is not None  # _ready() opened it
        try:
            self.session.send_message(message, from_addr=sender, to_addrs=[recipient])
            return "sent", ""
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (-1, b"recipient refused"))
            return self._reply(code, text)
        except smtplib.SMTPResponseException as exc:
            return self._reply(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            return "failed", self._scrub(str(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return "deferred", self._scrub(_describe(exc))

    def _reply(self, code: int, text: bytes | str) -> _Sent:
        """Classify a server reply: 5xx is permanent, anything else is worth another run."""
        if code == 421 or not 400 <= code < 600:
            self._drop()  # the server is closing the connection, or said something odd
        reason = self._scrub(f"{code} {_text(text)}")
        return ("failed" if 500 <= code < 600 else "deferred"), reason

    def _ready(self) -> bool:
        """Make sure there is a live connection; on failure note why the server is unreachable."""
        if self.session is not None:
            try:
                self.session.noop()
                return True
            except (smtplib.SMTPException, OSError):
                self._drop()
        try:
            self.session = connect(self.smtp, context=self.context)
        except (smtplib.SMTPException, OSError) as exc:
            self.report.unreachable = self._scrub(f"cannot use {self.smtp}: {_describe(exc)}")
            return False
        return True

    def _drop(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.close()

    def close(self) -> None:
        """Say goodbye to the server, if we are connected."""
        if self.session is not None:
            # The messages are sent and recorded by now; a failed QUIT changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.session.quit()
            self._drop()

    def _outcome(
        self, batch: DigestBatch, key: DeliveryKey, result: Result, detail: str
    ) -> Outcome:
        with self.engine.connect() as conn:
            row = ledger.get(conn, key)
        if row is None:
            return Outcome(batch.department, batch.week, key.recipient, result, detail)
        return _outcome(batch, row, result, detail)

    def _scrub(self, text: str) -> str:
        """One line, without the password (a server may echo what it was sent)."""
        secret = self.smtp.secret()
        text = " ".join(text.split())
        return text.replace(secret, "***") if secret else text


def _outcome(batch: DigestBatch, row: LedgerRow, result: Result, detail: str) -> Outcome:
    return Outcome(
        batch.department, batch.week, row.recipient, result, detail, row.message_id, row.attempts
    )


def _sender(message: EmailMessage, recipient: str) -> str:
    address = parseaddr(str(message.get("From", "")))[1]
    if "@" not in address:
        raise ValueError(f"the digest composed for {recipient} has no From address")
    return address


def _message_id(batch: DigestBatch, sender: str) -> str:
    """A new Message-ID: department, week and a random part, at the sender's domain."""
    domain = sender.rpartition("@")[2]
    slug = _UNSAFE_ID.sub("-", batch.department)
    return f"<listener.{slug}.{batch.week}.{secrets.token_hex(8)}@{domain}>"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _describe(exc: BaseException) -> str:
    """A short reason for a connection-level failure."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message} (cafile= names a CA bundle)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__

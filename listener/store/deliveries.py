"""The delivery ledger: claim one recipient's digest for sending, record how it went, read it back.

A row per (department, week, recipient) moves ``pending``/``deferred`` →
``sending`` → ``sent`` | ``deferred`` | ``failed``. Claiming is one conditional
write, so when two senders race for a row exactly one of them gets it: on
SQLite writers queue on the database lock (``BEGIN IMMEDIATE``); on PostgreSQL
the insert waits on the unique index and the conditional update re-checks its
WHERE clause against the winner's committed row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from listener.models import Delivery

DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
ERROR_LIMIT = 1000  # characters of last_error the column holds
CLAIMABLE = ("pending", "deferred")


@dataclass(frozen=True)
class DeliveryKey:
    """Which ledger row: one department's digest for one week to one recipient."""

    department_id: int
    week: str
    recipient: str


@dataclass(frozen=True)
class LedgerRow:
    """One ledger row as stored."""

    department_id: int
    week: str
    recipient: str
    digest_id: int | None
    status: str  # pending | sending | sent | deferred | failed
    attempts: int
    message_id: str
    last_error: str
    updated_at: datetime
    sent_at: datetime | None


_COLUMNS = [DELIVERIES.c[name] for name in LedgerRow.__dataclass_fields__]


def _match(key: DeliveryKey) -> sa.ColumnElement[bool]:
    c = DELIVERIES.c
    return sa.and_(
        c.department_id == key.department_id, c.week == key.week, c.recipient == key.recipient
    )


def _insert_if_absent(conn: sa.Connection, values: dict[str, Any]) -> bool:
    """Insert a row unless one exists for its key; True if this call inserted it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(DELIVERIES)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["department_id", "week", "recipient"])
        .returning(DELIVERIES.c.id)  # rowcount is unreliable here with psycopg's RETURNING
    )
    return conn.execute(statement).first() is not None


def get(conn: sa.Connection, key: DeliveryKey) -> LedgerRow | None:
    """The row for `key`, or None if nothing was ever tried for it."""
    row = conn.execute(sa.select(*_COLUMNS).where(_match(key))).first()
    return LedgerRow(*row) if row else None


def rows_for(conn: sa.Connection, *, department_id: int, week: str) -> dict[str, LedgerRow]:
    """A department's rows for one week, by recipient."""
    c = DELIVERIES.c
    query = sa.select(*_COLUMNS).where(c.department_id == department_id, c.week == week)
    return {row.recipient: LedgerRow(*row) for row in conn.execute(query.order_by(c.id))}


def claim(
    conn: sa.Connection,
    key: DeliveryKey,
    *,
    digest_id: int,
    message_id: str,
    now: datetime,
    stale_before: datetime,
) -> LedgerRow | None:
    """Mark the row `sending` (attempts + 1) if it is new, pending, deferred or a stale claim.

    `message_id` is stored only if the row has none yet, so every attempt for a
    recipient carries the same Message-ID; the returned row holds the one to use.
    A ``sending`` row counts as stale (left by a run that died) once its claim is
    older than `stale_before`. None when the row is sent, failed, or freshly
    claimed by another sender: then this caller must not send.
    """
    fresh = {"status": "sending", "updated_at": now, "digest_id": digest_id}
    new_row = {**fresh, "attempts": 1, "message_id": message_id, "last_error": "", "sent_at": None}
    if not _insert_if_absent(conn, {**_key_values(key), **new_row}):
        c = DELIVERIES.c
        claimable = sa.or_(
            c.status.in_(CLAIMABLE), sa.and_(c.status == "sending", c.updated_at < stale_before)
        )
        statement = (
            sa.update(DELIVERIES)
            .where(_match(key), claimable)
            .values(
                **fresh,
                attempts=c.attempts + 1,
                message_id=sa.case((c.message_id == "", message_id), else_=c.message_id),
            )
        )
        if conn.execute(statement).rowcount != 1:
            return None
    return get(conn, key)


def _key_values(key: DeliveryKey) -> dict[str, Any]:
    return {"department_id": key.department_id, "week": key.week, "recipient": key.recipient}


def _settle(conn: sa.Connection, key: DeliveryKey, **values: Any) -> None:
    conn.execute(sa.update(DELIVERIES).where(_match(key)).values(**values))


def mark_sent(conn: sa.Connection, key: DeliveryKey, *, now: datetime) -> None:
    """The server accepted the message (250 after DATA)."""
    _settle(conn, key, status="sent", sent_at=now, updated_at=now, last_error="")


def mark_deferred(conn: sa.Connection, key: DeliveryKey, *, reason: str, now: datetime) -> None:
    """A temporary failure: the next run tries again."""
    _settle(conn, key, status="deferred", last_error=reason[:ERROR_LIMIT], updated_at=now)


def mark_failed(conn: sa.Connection, key: DeliveryKey, *, reason: str, now: datetime) -> None:
    """A permanent refusal: no run retries it until an operator requeues it."""
    _settle(conn, key, status="failed", last_error=reason[:ERROR_LIMIT], updated_at=now)


def defer_unclaimed(
    conn: sa.Connection, key: DeliveryKey, *, digest_id: int, reason: str, now: datetime
) -> None:
    """Record that a recipient was due but not tried (the server was unreachable).

    Rows that are sent, failed or mid-send keep their status: only new,
    pending and deferred rows become (or stay) deferred with this reason.
    """
    reason = reason[:ERROR_LIMIT]
    values = {"status": "deferred", "last_error": reason, "updated_at": now}
    row = {**_key_values(key), **values, "digest_id": digest_id, "attempts": 0, "message_id": ""}
    if not _insert_if_absent(conn, row):
        c = DELIVERIES.c
        conn.execute(
            sa.update(DELIVERIES).where(_match(key), c.status.in_(CLAIMABLE)).values(**values)
        )


def requeue_failed(
    conn: sa.Connection,
    *,
    department_id: int,
    week: str,
    recipients: Sequence[str],
    now: datetime,
) -> list[str]:
    """Turn these recipients' failed rows back into deferred ones; return who was requeued."""
    c = DELIVERIES.c
    statement = (
        sa.update(DELIVERIES)
        .where(
            c.department_id == department_id,
            c.week == week,
            c.recipient.in_(list(recipients)),
            c.status == "failed",
        )
        .values(status="deferred", updated_at=now)
        .returning(c.recipient)
    )
    return sorted(conn.scalars(statement))

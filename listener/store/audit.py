"""The audit log: append-only, hash-chained; `verify` finds the first entry that was altered.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
deleting or reordering any entry breaks the chain from there on. Appends are
serialised (SQLite's write lock; an advisory lock on PostgreSQL) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.models import AuditEntry

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
GENESIS = "0" * 64
_PG_LOCK = 0x6C697374656E  # "listen": serialises appends on PostgreSQL


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    department_id: int | None
    target: str
    detail: dict[str, Any]


def _digest(prev: str, at: datetime, fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"prev": prev, "at": at.isoformat(), **fields}, sort_keys=True, ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(
    conn: sa.Connection,
    *,
    actor: str,
    action: str,
    now: datetime,
    department_id: int | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one entry at the end of the chain (inside the caller's write transaction)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))
    prev = conn.scalar(sa.select(AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1)) or GENESIS
    fields = {
        "actor": actor,
        "action": action,
        "department_id": department_id,
        "target": target,
        "detail": detail or {},
    }
    conn.execute(
        AUDIT.insert(), {**fields, "at": now, "prev_hash": prev, "hash": _digest(prev, now, fields)}
    )


def entries(
    conn: sa.Connection,
    *,
    departments: frozenset[int] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Entry]:
    """Newest first; `departments` limits to entries about those departments (None: all)."""
    query = (
        sa.select(
            AUDIT.c.id,
            AUDIT.c.at,
            AUDIT.c.actor,
            AUDIT.c.action,
            AUDIT.c.department_id,
            AUDIT.c.target,
            AUDIT.c.detail,
        )
        .order_by(AUDIT.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if departments is not None:
        query = query.where(AUDIT.c.department_id.in_(sorted(departments)))
    return [Entry(*row[:6], detail=row[6] or {}) for row in conn.execute(query)]


def verify(conn: sa.Connection) -> tuple[int, int | None]:
    """(entries checked, id of the first entry whose hash or link is wrong, or None)."""
    prev = GENESIS
    checked = 0
    query = sa.select(AUDIT).order_by(AUDIT.c.id)
    for row in conn.execute(query).mappings():
        fields = {k: row[k] for k in ("actor", "action", "department_id", "target")}
        fields["detail"] = row["detail"] or {}
        if row["prev_hash"] != prev or row["hash"] != _digest(prev, row["at"], fields):
            return checked, row["id"]
        prev = row["hash"]
        checked += 1
    return checked, None

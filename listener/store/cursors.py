"""Read collection cursors (they are written with their page, in listener.store.writes)."""

from __future__ import annotations

import sqlalchemy as sa

from listener.models import Cursor

CURSORS = Cursor.__table__  # type: ignore[attr-defined]


def load(conn: sa.Connection, *, source: str, key: str) -> str | None:
    """Where `source` resumes for `key`, or None on a first run."""
    query = sa.select(CURSORS.c.value).where(CURSORS.c.source == source, CURSORS.c.key == key)
    return conn.scalar(query)

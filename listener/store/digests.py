"""The digest archive: every built digest kept as plain data, listed and read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from listener.digest.context import DigestContext
from listener.errors import NotFoundError
from listener.models import Department, Digest

DIGESTS = Digest.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ArchivedDigest:
    id: int
    department: str  # slug
    week: str
    version: str
    built_at: datetime


def archive(
    conn: sa.Connection, department_id: int, context: DigestContext, *, now: datetime
) -> int:
    """Store a built digest; returns its id."""
    return conn.execute(
        DIGESTS.insert().returning(DIGESTS.c.id),
        {
            "department_id": department_id,
            "week": context.week,
            "version": context.version,
            "context": context.model_dump(mode="json"),
            "built_at": now,
        },
    ).scalar_one()


def listing(
    conn: sa.Connection, *, department: str | None = None, week: str | None = None
) -> list[ArchivedDigest]:
    """Archived digests, newest week first, then newest build first."""
    query = (
        sa.select(
            DIGESTS.c.id, DEPARTMENTS.c.slug, DIGESTS.c.week, DIGESTS.c.version, DIGESTS.c.built_at
        )
        .join(DEPARTMENTS, DEPARTMENTS.c.id == DIGESTS.c.department_id)
        .order_by(
            DIGESTS.c.week.desc(),
            DEPARTMENTS.c.slug,
            DIGESTS.c.built_at.desc(),
            DIGESTS.c.id.desc(),
        )
    )
    if department:
        query = query.where(DEPARTMENTS.c.slug == department)
    if week:
        query = query.where(DIGESTS.c.week == week)
    return [ArchivedDigest(*row) for row in conn.execute(query)]


def load(conn: sa.Connection, digest_id: int) -> DigestContext:
    """An archived digest's context, exactly as it was built."""
    stored = conn.scalar(sa.select(DIGESTS.c.context).where(DIGESTS.c.id == digest_id))
    if stored is None:
        raise NotFoundError(f"no archived digest with id {digest_id}")
    return DigestContext.model_validate(stored)


def latest(conn: sa.Connection, department_id: int, week: str) -> int | None:
    """The id of the newest digest built for the department and week."""
    return conn.scalar(
        sa.select(DIGESTS.c.id)
        .where(DIGESTS.c.department_id == department_id, DIGESTS.c.week == week)
        .order_by(DIGESTS.c.built_at.desc(), DIGESTS.c.id.desc())
        .limit(1)
    )

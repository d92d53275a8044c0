"""Reads of collection run records for the health page: recent runs, last runs, last successes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.models import CollectionRun

RUNS = CollectionRun.__table__  # type: ignore[attr-defined]
SUCCEEDED = ("ok", "partial")  # a partial run still collected: not a failure of the source


@dataclass(frozen=True)
class Run:
    id: int
    source: str
    department_id: int | None  # None: a run for every department
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | ok | partial | failed
    posts_new: int
    posts_seen: int
    items_rejected: int
    rate_limit_wait_seconds: float
    error: str
    detail: dict[str, Any]


_COLUMNS = (
    RUNS.c.id,
    RUNS.c.source,
    RUNS.c.department_id,
    RUNS.c.started_at,
    RUNS.c.finished_at,
    RUNS.c.status,
    RUNS.c.posts_new,
    RUNS.c.posts_seen,
    RUNS.c.items_rejected,
    RUNS.c.rate_limit_wait_seconds,
    RUNS.c.error,
    RUNS.c.detail,
)


def _seen_by(departments: Collection[int] | None) -> sa.ColumnElement[bool]:
    """Runs for every department, or for one of `departments` (None: every run)."""
    if departments is None:
        return sa.true()
    return sa.or_(RUNS.c.department_id.is_(None), RUNS.c.department_id.in_(sorted(departments)))


def _run(row: Any) -> Run:
    detail = row.detail if isinstance(row.detail, dict) else {}
    return Run(**{**row._mapping, "detail": detail})


def since(
    conn: sa.Connection, start: datetime, *, departments: Collection[int] | None
) -> list[Run]:
    """Runs started at or after `start` that these departments may see, newest first."""
    query = (
        sa.select(*_COLUMNS)
        .where(RUNS.c.started_at >= start, _seen_by(departments))
        .order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc())
    )
    return [_run(row) for row in conn.execute(query)]


def sources(conn: sa.Connection, *, departments: Collection[int] | None) -> list[str]:
    """Every source that has ever run (as these departments see it), by name."""
    query = sa.select(RUNS.c.source).where(_seen_by(departments)).distinct()
    return sorted(conn.scalars(query))


def last_finished(
    conn: sa.Connection, source: str, *, departments: Collection[int] | None, limit: int
) -> list[Run]:
    """The source's last `limit` finished runs, newest first (runs still going are left out)."""
    query = (
        sa.select(*_COLUMNS)
        .where(RUNS.c.source == source, RUNS.c.status != "running", _seen_by(departments))
        .order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc())
        .limit(limit)
    )
    return [_run(row) for row in conn.execute(query)]


def last_success(
    conn: sa.Connection, source: str, *, departments: Collection[int] | None
) -> datetime | None:
    """When the source's latest run that collected (ok or partial) started, if ever."""
    query = (
        sa.select(RUNS.c.started_at)
        .where(RUNS.c.source == source, RUNS.c.status.in_(SUCCEEDED), _seen_by(departments))
        .order_by(RUNS.c.started_at.desc())
        .limit(1)
    )
    found: datetime | None = conn.scalar(query)
    return found

"""Operational figures for health checks and metrics: aggregates only, never post content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from listener.models import CollectionRun, Delivery, Post, SentimentScore
from listener.store.scores import SCORED_LANGS

POSTS = Post.__table__  # type: ignore[attr-defined]
RUNS = CollectionRun.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]


def reachable(conn: sa.Connection) -> bool:
    return conn.scalar(sa.select(sa.literal(1))) == 1


def last_success(conn: sa.Connection) -> dict[str, datetime]:
    """Each source's most recent run that ended ok or partial."""
    query = (
        sa.select(RUNS.c.source, sa.func.max(RUNS.c.started_at))
        .where(RUNS.c.status.in_(("ok", "partial")))
        .group_by(RUNS.c.source)
    )
    return {source: at for source, at in conn.execute(query)}


@dataclass(frozen=True)
class RunTotals:
    source: str
    status: str
    runs: int
    posts_new: int
    waited_seconds: float


def run_totals(conn: sa.Connection) -> list[RunTotals]:
    query = sa.select(
        RUNS.c.source,
        RUNS.c.status,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(RUNS.c.posts_new), 0),
        sa.func.coalesce(sa.func.sum(RUNS.c.rate_limit_wait_seconds), 0.0),
    ).group_by(RUNS.c.source, RUNS.c.status)
    return [RunTotals(s, st, int(n), int(p), float(w)) for s, st, n, p, w in conn.execute(query)]


def posts_by_platform(conn: sa.Connection) -> dict[str, int]:
    query = sa.select(POSTS.c.platform, sa.func.count()).group_by(POSTS.c.platform)
    return {platform: int(n) for platform, n in conn.execute(query)}


def analysis_lag(conn: sa.Connection) -> tuple[int, datetime | None]:
    """(posts still to score, collected_at of the oldest of them)."""
    query = (
        sa.select(sa.func.count(), sa.func.min(POSTS.c.collected_at))
        .select_from(POSTS)
        .outerjoin(SCORES, SCORES.c.post_id == POSTS.c.id)
        .where(
            SCORES.c.post_id.is_(None),
            sa.or_(POSTS.c.lang.is_(None), POSTS.c.lang.in_(SCORED_LANGS)),
        )
    )
    count, oldest = conn.execute(query).one()
    return int(count), oldest


def deliveries_by_status(conn: sa.Connection) -> dict[str, int]:
    query = sa.select(DELIVERIES.c.status, sa.func.count()).group_by(DELIVERIES.c.status)
    return {status: int(n) for status, n in conn.execute(query)}

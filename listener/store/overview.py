"""Counts for a department's overview: posts and sentiment per period, counted in the database."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from listener.store.topics import TOPICS
from listener.store.weekly import LINKS, POSTS, SCORES


@dataclass(frozen=True)
class PeriodCount:
    """One period's posts, how many have a current sentiment score, and what they add up to."""

    start: datetime
    end: datetime
    posts: int
    scored: int
    negative: int
    compound_sum: float

    @property
    def mean_compound(self) -> float | None:
        return round(self.compound_sum / self.scored, 4) if self.scored else None

    @property
    def negative_share(self) -> float | None:
        return round(self.negative / self.scored, 4) if self.scored else None


def period_counts(
    conn: sa.Connection, department_id: int, *, edges: Sequence[datetime]
) -> list[PeriodCount]:
    """The department's posts in each period [edges[i], edges[i + 1]), in one grouped query.

    Periods are given as edges rather than a fixed length because London weeks and days
    are not all the same length in UTC (the clocks change).
    """
    if len(edges) < 2:
        return []
    # The first edge a post falls below names its period; the WHERE keeps it within range.
    period = sa.case(
        *[(POSTS.c.created_at < edge, n) for n, edge in enumerate(edges[1:])], else_=-1
    ).label("period")
    scored = SCORES.c.post_id.is_not(None)
    query = (
        sa.select(
            period,
            sa.func.count(),
            sa.func.count(SCORES.c.post_id),
            sa.func.sum(sa.case((scored & (SCORES.c.label == "negative"), 1), else_=0)),
            sa.func.sum(sa.func.coalesce(SCORES.c.compound, 0.0)),
        )
        .select_from(POSTS)
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .outerjoin(
            # A score counts only while it matches the text it was computed from.
            SCORES,
            sa.and_(SCORES.c.post_id == POSTS.c.id, SCORES.c.text_hash == POSTS.c.text_hash),
        )
        .where(
            LINKS.c.department_id == department_id,
            POSTS.c.created_at >= edges[0],
            POSTS.c.created_at < edges[-1],
        )
        .group_by(period)
    )
    found = {row[0]: row[1:] for row in conn.execute(query)}
    periods = []
    for n, (start, end) in enumerate(itertools.pairwise(edges)):
        posts, scored_posts, negative, compound = found.get(n, (0, 0, 0, 0.0))
        periods.append(
            PeriodCount(start, end, posts, scored_posts, int(negative), float(compound or 0.0))
        )
    return periods


def newest_topic_week(conn: sa.Connection, department_id: int, weeks: Sequence[str]) -> str | None:
    """Of the weeks given (YYYY-Www), the newest for which the department has topics."""
    if not weeks:
        return None
    return conn.scalar(
        sa.select(TOPICS.c.week)
        .where(TOPICS.c.department_id == department_id, TOPICS.c.week.in_(list(weeks)))
        # YYYY-Www labels sort as the weeks do.
        .order_by(TOPICS.c.week.desc())
        .limit(1)
    )

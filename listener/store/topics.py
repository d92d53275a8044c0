"""Topics found per department and week: save a fresh set, read them back, and the run stamp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from listener.models import PostTopic, Topic, TopicRun

TOPICS = Topic.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
RUNS = TopicRun.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredTopic:
    id: int | None
    position: int
    label: str
    terms: list[str]
    hashtags: list[str]
    size: int
    share: float
    mean_compound: float | None
    is_new: bool
    representative_ids: list[int]
    method: str
    post_ids: tuple[int, ...] = ()  # only when saving


def fingerprint(conn: sa.Connection, department_id: int, week: str) -> str | None:
    """The fingerprint of the posts the week's topics were found from, if they were."""
    return conn.scalar(
        sa.select(RUNS.c.fingerprint).where(
            RUNS.c.department_id == department_id, RUNS.c.week == week
        )
    )


def replace_topics(
    conn: sa.Connection,
    department_id: int,
    week: str,
    topics: Sequence[StoredTopic],
    *,
    stamp: tuple[str, int, datetime],
) -> None:
    """Swap the week's topics for `topics`; `stamp` is (fingerprint, posts, now)."""
    old = sa.select(TOPICS.c.id).where(
        TOPICS.c.department_id == department_id, TOPICS.c.week == week
    )
    conn.execute(POST_TOPICS.delete().where(POST_TOPICS.c.topic_id.in_(old)))
    conn.execute(
        TOPICS.delete().where(TOPICS.c.department_id == department_id, TOPICS.c.week == week)
    )
    fingerprint_, posts, now = stamp
    method = topics[0].method if topics else "none"
    for topic in topics:
        topic_id = conn.execute(
            TOPICS.insert().returning(TOPICS.c.id),
            {
                "department_id": department_id,
                "week": week,
                "position": topic.position,
                "label": topic.label,
                "terms": topic.terms,
                "hashtags": topic.hashtags,
                "size": topic.size,
                "share": topic.share,
                "mean_compound": topic.mean_compound,
                "is_new": topic.is_new,
                "representative_ids": topic.representative_ids,
                "method": topic.method,
                "computed_at": now,
            },
        ).scalar_one()
        if topic.post_ids:
            conn.execute(
                POST_TOPICS.insert(), [{"post_id": p, "topic_id": topic_id} for p in topic.post_ids]
            )
    conn.execute(RUNS.delete().where(RUNS.c.department_id == department_id, RUNS.c.week == week))
    conn.execute(
        RUNS.insert(),
        {
            "department_id": department_id,
            "week": week,
            "fingerprint": fingerprint_,
            "posts": posts,
            "method": method,
            "computed_at": now,
        },
    )


def load_topics(conn: sa.Connection, department_id: int, week: str) -> list[StoredTopic]:
    """The week's topics, largest first."""
    query = (
        sa.select(
            TOPICS.c.id,
            TOPICS.c.position,
            TOPICS.c.label,
            TOPICS.c.terms,
            TOPICS.c.hashtags,
            TOPICS.c.size,
            TOPICS.c.share,
            TOPICS.c.mean_compound,
            TOPICS.c.is_new,
            TOPICS.c.representative_ids,
            TOPICS.c.method,
        )
        .where(TOPICS.c.department_id == department_id, TOPICS.c.week == week)
        .order_by(TOPICS.c.position)
    )
    return [
        StoredTopic(
            id=row.id,
            position=row.position,
            label=row.label,
            terms=list(row.terms or []),
            hashtags=list(row.hashtags or []),
            size=row.size,
            share=row.share,
            mean_compound=row.mean_compound,
            is_new=row.is_new,
            representative_ids=list(row.representative_ids or []),
            method=row.method,
        )
        for row in conn.execute(query)
    ]

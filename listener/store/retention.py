"""Deleting posts from every table (past retention, or erased); aggregates keep their figures.

Deleting a post row also removes it from the search index: SQLite's FTS5 delete
trigger and PostgreSQL's generated tsvector column go with the row. Child rows
are deleted explicitly rather than left to ON DELETE CASCADE, so nothing depends
on SQLite's foreign_keys pragma being on.

Weekly topics are found from a department-week's posts and stamped with their
fingerprint; `listener analyze` finds them again when the fingerprint changes.
Removing posts changes it, so every removal here restamps the topic runs it
touched (when they were current before), and the topics keep the figures they
were found with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.models import (
    Author,
    Delivery,
    Digest,
    Post,
    PostDepartment,
    PostMatch,
    PostTopic,
    QuarantinedItem,
    SentimentScore,
    Topic,
    TopicRun,
    UTCDateTime,
    Watch,
)
from listener.store import topics as store_topics
from listener.store import weekly
from listener.weeks import Week, local_date, week_containing

POSTS = Post.__table__  # type: ignore[attr-defined]
AUTHORS = Author.__table__  # type: ignore[attr-defined]
LINKS = PostDepartment.__table__  # type: ignore[attr-defined]
MATCHES = PostMatch.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
TOPICS = Topic.__table__  # type: ignore[attr-defined]
TOPIC_RUNS = TopicRun.__table__  # type: ignore[attr-defined]
WATCHES = Watch.__table__  # type: ignore[attr-defined]
DIGESTS = Digest.__table__  # type: ignore[attr-defined]
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
QUARANTINE = QuarantinedItem.__table__  # type: ignore[attr-defined]
CHUNK = 500


@dataclass(frozen=True)
class PlatformCutoffs:
    """When one platform's posts expire: per department, and for posts in no department.

    A post goes when it is past the cutoff of every department it belongs to (or,
    in none, past `default`); until then it only leaves the departments it is past.
    """

    platform: str
    default: datetime
    departments: Mapping[int, datetime]  # every department in the database

    @property
    def latest(self) -> datetime:
        return max([self.default, *self.departments.values()])


def _moment(value: datetime) -> sa.ColumnElement[Any]:
    return sa.literal(value, UTCDateTime())


def _link_cutoff(cutoffs: PlatformCutoffs, department: sa.ColumnElement[Any]) -> Any:
    if not cutoffs.departments:
        return _moment(cutoffs.default)
    whens = {dept: _moment(cut) for dept, cut in cutoffs.departments.items()}
    return sa.case(whens, value=department, else_=_moment(cutoffs.default))


def _expired(cutoffs: PlatformCutoffs) -> sa.ColumnElement[bool]:
    """Posts past retention for every department they belong to (correlates to POSTS)."""
    kept = LINKS.alias("kept")
    still_kept = sa.exists().where(
        kept.c.post_id == POSTS.c.id,
        POSTS.c.created_at >= _link_cutoff(cutoffs, kept.c.department_id),
    )
    linked = sa.exists().where(LINKS.c.post_id == POSTS.c.id)
    return sa.and_(
        POSTS.c.platform == cutoffs.platform,
        POSTS.c.created_at < cutoffs.latest,
        ~still_kept,
        sa.or_(linked, POSTS.c.created_at < cutoffs.default),
    )


def platforms(conn: sa.Connection) -> list[str]:
    """The platforms stored posts come from."""
    return list(conn.scalars(sa.select(POSTS.c.platform).distinct().order_by(POSTS.c.platform)))


Position = tuple[datetime, int]  # (created_at, id) of the last post looked at


def expired_post_ids(
    conn: sa.Connection, cutoffs: PlatformCutoffs, *, after: Position | None, limit: int
) -> tuple[list[int], Position | None]:
    """Up to `limit` posts past retention everywhere they belong, oldest first, after `after`.

    Returns them and where to go on from. Old posts another department still keeps
    are passed over once, not at every batch.
    """
    query = sa.select(POSTS.c.id, POSTS.c.created_at).where(_expired(cutoffs))
    if after is not None:
        position = sa.tuple_(POSTS.c.created_at, POSTS.c.id)
        query = query.where(position > sa.tuple_(_moment(after[0]), sa.literal(after[1])))
    rows = conn.execute(query.order_by(POSTS.c.created_at, POSTS.c.id).limit(limit)).all()
    return [row.id for row in rows], ((rows[-1].created_at, rows[-1].id) if rows else None)


def count_expired(conn: sa.Connection, cutoffs: PlatformCutoffs) -> tuple[int, int]:
    """(posts past retention everywhere, accounts all of whose posts are)."""
    posts = conn.scalar(sa.select(sa.func.count()).select_from(POSTS).where(_expired(cutoffs)))
    kept = sa.select(POSTS.c.id).where(POSTS.c.author_id == AUTHORS.c.id, ~_expired(cutoffs))
    authors = conn.scalar(
        sa.select(sa.func.count())
        .select_from(AUTHORS)
        .where(AUTHORS.c.platform == cutoffs.platform)
        .where(sa.exists().where(POSTS.c.author_id == AUTHORS.c.id), ~sa.exists(kept))
    )
    return posts or 0, authors or 0


def count_leaving(conn: sa.Connection, cutoffs: PlatformCutoffs) -> dict[int | None, int]:
    """Posts past retention by department (None: posts in no department, past the default)."""
    query = (
        sa.select(LINKS.c.department_id, sa.func.count())
        .join(POSTS, POSTS.c.id == LINKS.c.post_id)
        .where(POSTS.c.platform == cutoffs.platform)
        .where(POSTS.c.created_at < _link_cutoff(cutoffs, LINKS.c.department_id))
        .group_by(LINKS.c.department_id)
    )
    leaving: dict[int | None, int] = {dept: n for dept, n in conn.execute(query)}
    unlinked = conn.scalar(
        sa.select(sa.func.count())
        .select_from(POSTS)
        .where(POSTS.c.platform == cutoffs.platform, POSTS.c.created_at < cutoffs.default)
        .where(~sa.exists().where(LINKS.c.post_id == POSTS.c.id))
    )
    if unlinked:
        leaving[None] = unlinked
    return leaving


def expired_links(
    conn: sa.Connection, cutoffs: PlatformCutoffs, department_id: int, *, limit: int
) -> list[int]:
    """Up to `limit` posts past the department's retention that it still links to."""
    cutoff = cutoffs.departments.get(department_id, cutoffs.default)
    query = (
        sa.select(LINKS.c.post_id)
        .join(POSTS, POSTS.c.id == LINKS.c.post_id)
        .where(LINKS.c.department_id == department_id, POSTS.c.platform == cutoffs.platform)
        .where(POSTS.c.created_at < cutoff)
        .order_by(LINKS.c.post_id)
        .limit(limit)
    )
    return list(conn.scalars(query))


# --- removing ----------------------------------------------------------------------------------


def delete_posts(conn: sa.Connection, post_ids: Sequence[int]) -> int:
    """Delete posts from every table and the search index; returns accounts left without posts."""
    if not post_ids:
        return 0
    ids = list(post_ids)
    before = _fingerprints(conn, _weeks_of(conn, ids))
    author_ids = set(
        conn.scalars(sa.select(POSTS.c.author_id).where(POSTS.c.id.in_(ids)).distinct())
    )
    for table in (POST_TOPICS, MATCHES, LINKS, SCORES):
        conn.execute(table.delete().where(table.c.post_id.in_(ids)))
    conn.execute(POSTS.delete().where(POSTS.c.id.in_(ids)))
    _restamp(conn, before)
    return delete_authors_without_posts(conn, author_ids - {None})


def delete_authors_without_posts(conn: sa.Connection, author_ids: Iterable[int]) -> int:
    """Delete these accounts if no stored post is theirs any more (they are personal data)."""
    wanted = sorted(author_ids)
    if not wanted:
        return 0
    orphan = ~sa.exists().where(POSTS.c.author_id == AUTHORS.c.id)
    result = conn.execute(AUTHORS.delete().where(AUTHORS.c.id.in_(wanted), orphan))
    return result.rowcount or 0


def unlink(conn: sa.Connection, department_id: int, post_ids: Sequence[int]) -> None:
    """Take posts out of one department: its link, its watches' matches, its topics' links."""
    ids = list(post_ids)
    before = _fingerprints(conn, _weeks_of(conn, ids, department_id=department_id))
    watches = sa.select(WATCHES.c.id).where(WATCHES.c.department_id == department_id)
    topics = sa.select(TOPICS.c.id).where(TOPICS.c.department_id == department_id)
    conn.execute(
        MATCHES.delete().where(MATCHES.c.post_id.in_(ids), MATCHES.c.watch_id.in_(watches))
    )
    conn.execute(
        POST_TOPICS.delete().where(
            POST_TOPICS.c.post_id.in_(ids), POST_TOPICS.c.topic_id.in_(topics)
        )
    )
    conn.execute(
        LINKS.delete().where(LINKS.c.post_id.in_(ids), LINKS.c.department_id == department_id)
    )
    _restamp(conn, before)


DeptWeek = tuple[int, Week]


def _weeks_of(
    conn: sa.Connection, post_ids: list[int], *, department_id: int | None = None
) -> set[DeptWeek]:
    """The department-weeks these posts count in."""
    query = (
        sa.select(LINKS.c.department_id, POSTS.c.created_at)
        .join(POSTS, POSTS.c.id == LINKS.c.post_id)
        .where(LINKS.c.post_id.in_(post_ids))
    )
    if department_id is not None:
        query = query.where(LINKS.c.department_id == department_id)
    return {(dept, week_containing(local_date(at))) for dept, at in conn.execute(query)}


def _fingerprints(conn: sa.Connection, weeks: set[DeptWeek]) -> dict[DeptWeek, str]:
    """The fingerprints of those department-weeks whose topics were found."""
    labels = sorted({week.label for _, week in weeks})
    runs = sa.select(TOPIC_RUNS.c.department_id, TOPIC_RUNS.c.week)
    modelled = {
        (dept, label) for dept, label in conn.execute(runs.where(TOPIC_RUNS.c.week.in_(labels)))
    }
    return {
        (dept, week): weekly.week_fingerprint(conn, dept, start=week.start, end=week.end)[1]
        for dept, week in weeks
        if (dept, week.label) in modelled
    }


def _restamp(conn: sa.Connection, before: dict[DeptWeek, str]) -> None:
    """Keep topics that were current as they are: stamp them with the remaining posts."""
    for (dept, week), old in before.items():
        if store_topics.fingerprint(conn, dept, week.label) != old:
            continue  # never modelled, or already waiting to be found again
        _, new = weekly.week_fingerprint(conn, dept, start=week.start, end=week.end)
        conn.execute(
            TOPIC_RUNS.update()
            .where(TOPIC_RUNS.c.department_id == dept, TOPIC_RUNS.c.week == week.label)
            .values(fingerprint=new)
        )


# --- aggregates and quarantine -----------------------------------------------------------------


def count_aggregates(conn: sa.Connection, department_id: int, before: str) -> tuple[int, int]:
    """(weeks of topics, archived digests) of the department from weeks before `before`."""
    weeks = conn.scalar(
        sa.select(sa.func.count(sa.distinct(TOPIC_RUNS.c.week))).where(
            TOPIC_RUNS.c.department_id == department_id, TOPIC_RUNS.c.week < before
        )
    )
    digests = conn.scalar(
        sa.select(sa.func.count()).where(
            DIGESTS.c.department_id == department_id, DIGESTS.c.week < before
        )
    )
    return weeks or 0, digests or 0


def delete_aggregates(conn: sa.Connection, department_id: int, before: str) -> None:
    """Delete the department's topics, digests and delivery ledger from weeks before `before`.

    `before` is an ISO week label (YYYY-Www), which sorts as text in week order.
    """
    old_topics = sa.select(TOPICS.c.id).where(
        TOPICS.c.department_id == department_id, TOPICS.c.week < before
    )
    conn.execute(POST_TOPICS.delete().where(POST_TOPICS.c.topic_id.in_(old_topics)))
    for table in (TOPICS, TOPIC_RUNS, DELIVERIES, DIGESTS):
        conn.execute(
            table.delete().where(table.c.department_id == department_id, table.c.week < before)
        )


def count_quarantine(conn: sa.Connection, before: datetime) -> int:
    """Quarantined items (raw payloads that could not be read) kept since before `before`."""
    query = sa.select(sa.func.count()).where(QUARANTINE.c.created_at < before)
    return conn.scalar(query) or 0


def delete_quarantine(conn: sa.Connection, before: datetime) -> int:
    """Delete quarantined items from before `before`."""
    return conn.execute(QUARANTINE.delete().where(QUARANTINE.c.created_at < before)).rowcount or 0

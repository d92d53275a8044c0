"""Reads for one department's week: its posts with authors and scores, earlier weeks' texts,
daily counts and the collection runs that cover it. Plain rows out; analysis does the rest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.models import (
    Author,
    CollectionRun,
    Post,
    PostDepartment,
    Recipient,
    SentimentScore,
    Watch,
)
from listener.models import (
    Department as DepartmentTable,
)
from listener.plaintext import readable_text

POSTS = Post.__table__  # type: ignore[attr-defined]
AUTHORS = Author.__table__  # type: ignore[attr-defined]
LINKS = PostDepartment.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
RUNS = CollectionRun.__table__  # type: ignore[attr-defined]
WATCHES = Watch.__table__  # type: ignore[attr-defined]
RECIPIENTS = Recipient.__table__  # type: ignore[attr-defined]
DEPARTMENTS = DepartmentTable.__table__  # type: ignore[attr-defined]

# Each platform names its counters differently; these are the ones that mean the same thing.
_LIKES = ("like_count", "favourites_count")
_REPOSTS = ("retweet_count", "repost_count", "reblogs_count")
_REPLIES = ("reply_count", "replies_count")
_QUOTES = ("quote_count",)


@dataclass(frozen=True)
class WeekPost:
    """A post in the week, with what the digest needs to know about its author and score."""

    id: int
    platform: str
    native_id: str
    url: str
    created_at: datetime
    text: str  # readable (HTML from Mastodon and feeds turned into text)
    kind: str
    repost_of_id: str | None
    quote_of_id: str | None
    text_hash: str
    lang: str | None
    author_id: int | None
    author_handle: str
    author_name: str
    author_kind: str
    likes: int
    reposts: int
    replies: int
    quotes: int
    compound: float | None
    label: str | None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


@dataclass(frozen=True)
class Department:
    id: int
    slug: str
    name: str


def departments(conn: sa.Connection, slug: str | None = None) -> list[Department]:
    """Active departments (or the one named), in slug order."""
    query = sa.select(DEPARTMENTS.c.id, DEPARTMENTS.c.slug, DEPARTMENTS.c.name).order_by(
        DEPARTMENTS.c.slug
    )
    query = query.where(DEPARTMENTS.c.slug == slug) if slug else query.where(DEPARTMENTS.c.active)
    return [Department(*row) for row in conn.execute(query)]


def _count(metrics: dict[str, Any], names: Sequence[str]) -> int:
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
    return 0


def _in_week(department_id: int, start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        LINKS.c.department_id == department_id,
        POSTS.c.created_at >= start,
        POSTS.c.created_at < end,
    ]


def week_posts(
    conn: sa.Connection, department_id: int, *, start: datetime, end: datetime
) -> list[WeekPost]:
    """Every post linked to the department and created in [start, end), oldest first."""
    query = (
        sa.select(
            POSTS.c.id,
            POSTS.c.platform,
            POSTS.c.native_id,
            POSTS.c.url,
            POSTS.c.created_at,
            POSTS.c.text,
            POSTS.c.kind,
            POSTS.c.repost_of_id,
            POSTS.c.quote_of_id,
            POSTS.c.text_hash,
            POSTS.c.lang,
            POSTS.c.author_id,
            POSTS.c.metrics,
            AUTHORS.c.handle,
            AUTHORS.c.name,
            AUTHORS.c.kind.label("author_kind"),
            SCORES.c.compound,
            SCORES.c.label,
        )
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .outerjoin(AUTHORS, AUTHORS.c.id == POSTS.c.author_id)
        .outerjoin(
            SCORES, sa.and_(SCORES.c.post_id == POSTS.c.id, SCORES.c.text_hash == POSTS.c.text_hash)
        )
        .where(*_in_week(department_id, start, end))
        .order_by(POSTS.c.created_at, POSTS.c.id)
    )
    return [_week_post(row) for row in conn.execute(query)]


def _week_post(row: Any) -> WeekPost:
    metrics = row.metrics or {}
    return WeekPost(
        id=row.id,
        platform=row.platform,
        native_id=row.native_id,
        url=row.url,
        created_at=row.created_at,
        text=readable_text(row.platform, row.text),
        kind=row.kind,
        repost_of_id=row.repost_of_id,
        quote_of_id=row.quote_of_id,
        text_hash=row.text_hash,
        lang=row.lang,
        author_id=row.author_id,
        author_handle=row.handle or "",
        author_name=row.name or "",
        author_kind=row.author_kind or "public",
        likes=_count(metrics, _LIKES),
        reposts=_count(metrics, _REPOSTS),
        replies=_count(metrics, _REPLIES),
        quotes=_count(metrics, _QUOTES),
        compound=row.compound,
        label=row.label,
    )


def earlier_texts(
    conn: sa.Connection, department_id: int, *, start: datetime, end: datetime
) -> Iterator[tuple[str, str, str]]:
    """(author key, platform, readable text) of the department's original posts in [start, end)."""
    query = (
        sa.select(POSTS.c.author_id, POSTS.c.author_handle, POSTS.c.platform, POSTS.c.text)
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .where(*_in_week(department_id, start, end), POSTS.c.kind != "repost")
    )
    for author_id, handle, platform, text in conn.execute(query):
        yield f"{platform}:{author_id or handle}", platform, readable_text(platform, text)


def post_times(
    conn: sa.Connection, department_id: int, *, start: datetime, end: datetime
) -> Iterator[tuple[datetime, str | None, float | None]]:
    """(created_at, sentiment label, compound) of every department post in [start, end)."""
    query = (
        sa.select(POSTS.c.created_at, SCORES.c.label, SCORES.c.compound)
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .outerjoin(
            SCORES, sa.and_(SCORES.c.post_id == POSTS.c.id, SCORES.c.text_hash == POSTS.c.text_hash)
        )
        .where(*_in_week(department_id, start, end))
    )
    yield from conn.execute(query)


def week_fingerprint(
    conn: sa.Connection, department_id: int, *, start: datetime, end: datetime
) -> tuple[int, str]:
    """(posts, fingerprint) of the department's week: changes when posts or scores change."""
    query = (
        sa.select(
            sa.func.count(),
            sa.func.max(POSTS.c.id),
            sa.func.count(SCORES.c.post_id),
            sa.func.sum(POSTS.c.id),
        )
        .select_from(POSTS)
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .outerjoin(
            SCORES, sa.and_(SCORES.c.post_id == POSTS.c.id, SCORES.c.text_hash == POSTS.c.text_hash)
        )
        .where(*_in_week(department_id, start, end))
    )
    count, max_id, scored, id_sum = conn.execute(query).one()
    return count, f"{count}:{max_id}:{scored}:{id_sum}"


def post_span(conn: sa.Connection, department_id: int) -> tuple[datetime | None, datetime | None]:
    """The oldest and newest post times of the department."""
    query = (
        sa.select(sa.func.min(POSTS.c.created_at), sa.func.max(POSTS.c.created_at))
        .join(LINKS, LINKS.c.post_id == POSTS.c.id)
        .where(LINKS.c.department_id == department_id)
    )
    first, last = conn.execute(query).one()
    return first, last


def originals_by_native_id(
    conn: sa.Connection, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int | None, str, str, str]]:
    """(platform, native id) -> (author id, handle, name, kind) of stored originals."""
    found: dict[tuple[str, str], tuple[int | None, str, str, str]] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, native_id in pairs:
        by_platform.setdefault(platform, []).append(native_id)
    for platform, ids in by_platform.items():
        ids.sort()
        for start in range(0, len(ids), 500):
            query = (
                sa.select(
                    POSTS.c.native_id,
                    AUTHORS.c.id,
                    AUTHORS.c.handle,
                    AUTHORS.c.name,
                    AUTHORS.c.kind,
                )
                .join(AUTHORS, AUTHORS.c.id == POSTS.c.author_id)
                .where(
                    POSTS.c.platform == platform, POSTS.c.native_id.in_(ids[start : start + 500])
                )
            )
            for native_id, *author in conn.execute(query):
                found[(platform, native_id)] = tuple(author)
    return found


@dataclass(frozen=True)
class RunRow:
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    posts_new: int
    rate_limit_wait_seconds: float
    error: str


def runs_between(
    conn: sa.Connection, department_id: int, *, start: datetime, end: datetime
) -> list[RunRow]:
    """Collection runs for the department, or for all departments, started in [start, end)."""
    query = (
        sa.select(
            RUNS.c.source,
            RUNS.c.started_at,
            RUNS.c.finished_at,
            RUNS.c.status,
            RUNS.c.posts_new,
            RUNS.c.rate_limit_wait_seconds,
            RUNS.c.error,
        )
        .where(
            sa.or_(RUNS.c.department_id == department_id, RUNS.c.department_id.is_(None)),
            RUNS.c.started_at >= start,
            RUNS.c.started_at < end,
        )
        .order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc())
    )
    return [RunRow(*row) for row in conn.execute(query)]


def watch_labels(conn: sa.Connection, department_id: int) -> list[str]:
    """The department's active watches, as a reader would write them."""
    query = (
        sa.select(WATCHES.c.kind, WATCHES.c.platform, WATCHES.c.value)
        .where(WATCHES.c.department_id == department_id, WATCHES.c.status == "active")
        .order_by(WATCHES.c.kind, WATCHES.c.platform, WATCHES.c.value)
    )
    labels = []
    for kind, platform, value in conn.execute(query):
        labels.append(f"{kind} {platform}:@{value}" if kind == "account" else f"{kind} {value}")
    return labels


def recipients(conn: sa.Connection, department_id: int) -> list[str]:
    query = (
        sa.select(RECIPIENTS.c.email)
        .where(RECIPIENTS.c.department_id == department_id)
        .order_by(RECIPIENTS.c.email)
    )
    return list(conn.scalars(query))


def authors(conn: sa.Connection) -> Iterator[tuple[int, str, str, str, str, str, str]]:
    """(id, platform, handle, name, description, verified_type, kind) of every author."""
    query = sa.select(
        AUTHORS.c.id,
        AUTHORS.c.platform,
        AUTHORS.c.handle,
        AUTHORS.c.name,
        AUTHORS.c.description,
        AUTHORS.c.verified_type,
        AUTHORS.c.kind,
    ).order_by(AUTHORS.c.id)
    yield from conn.execute(query)


def set_author_kinds(conn: sa.Connection, kinds: dict[int, str]) -> None:
    """Record each author's kind of voice."""
    if kinds:
        conn.execute(
            AUTHORS.update().where(AUTHORS.c.id == sa.bindparam("author")),
            [{"author": a, "kind": k} for a, k in kinds.items()],
        )

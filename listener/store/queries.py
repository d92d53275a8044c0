"""Reads: search results as post records, single posts, threads and store counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.errors import NotFoundError
from listener.models import Author, Department, PostDepartment, SentimentScore
from listener.query import Node
from listener.store.search import POSTS, iter_chunks, ranked

AUTHORS = Author.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
POST_DEPARTMENTS = PostDepartment.__table__  # type: ignore[attr-defined]
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class SearchFilters:
    """Everything that narrows a search besides the query itself."""

    department: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    sentiment: str | None = None
    limit: int = 20  # 0 means all
    offset: int = 0


@dataclass
class PostRecord:
    """A post as the CLI, the API and the JSON Lines export show it."""

    id: int
    platform: str
    native_id: str
    url: str
    author: dict[str, Any] | None
    created_at: datetime
    text: str
    lang: str | None
    kind: str
    conversation_id: str | None
    reply_to_id: str | None
    quote_of_id: str | None
    repost_of_id: str | None
    metrics: dict[str, Any]
    raw: dict[str, Any]
    source: str
    sentiment: dict[str, Any] | None = None
    departments: list[str] = field(default_factory=list)
    analysis_text: str | None = None  # reposts: the original's full text, when stored

    @property
    def ref(self) -> str:
        """How the CLI names a post: platform:native_id."""
        return f"{self.platform}:{self.native_id}"

    def export(self) -> dict[str, Any]:
        """The JSON Lines export record (what `listener import --format jsonl` reads back)."""
        return {
            "platform": self.platform,
            "native_id": self.native_id,
            "url": self.url,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "text": self.text,
            "lang": self.lang,
            "kind": self.kind,
            "conversation_id": self.conversation_id,
            "reply_to_id": self.reply_to_id,
            "quote_of_id": self.quote_of_id,
            "repost_of_id": self.repost_of_id,
            "metrics": self.metrics,
            "sentiment": self.sentiment,
            "departments": self.departments,
            "source": self.source,
            "raw": self.raw,
        } | ({"analysis_text": self.analysis_text} if self.analysis_text else {})


def _filtered(select: sa.Select[Any], filters: SearchFilters) -> sa.Select[Any]:
    if filters.department:
        in_department = (
            sa.select(POST_DEPARTMENTS.c.post_id)
            .join(DEPARTMENTS)
            .where(DEPARTMENTS.c.slug == filters.department)
        )
        select = select.where(POSTS.c.id.in_(in_department))
    if filters.platform:
        select = select.where(POSTS.c.platform == filters.platform)
    if filters.since:
        select = select.where(POSTS.c.created_at >= filters.since)
    if filters.until:
        select = select.where(POSTS.c.created_at < filters.until)
    if filters.sentiment:
        labelled = sa.select(SCORES.c.post_id).where(SCORES.c.label == filters.sentiment)
        select = select.where(POSTS.c.id.in_(labelled))
    return select


def search_ids(conn: sa.Connection, node: Node, filters: SearchFilters) -> list[int]:
    """Ids of matching posts, most relevant first, then newest."""
    parts = ranked(node, conn.dialect.name)
    columns: list[Any] = [POSTS.c.id]
    select = sa.select(*columns).select_from(POSTS)
    if parts.join_fts is not None:
        select = select.join(sa.table("posts_fts", sa.column("rowid")), parts.join_fts)
    select = _filtered(select.where(*parts.where), filters)
    order = [POSTS.c.created_at.desc(), POSTS.c.id.desc()]
    if parts.rank is not None:
        order.insert(0, sa.desc(parts.rank))
    select = select.order_by(*order)
    if filters.limit:
        select = select.limit(filters.limit).offset(filters.offset)
    return [row[0] for row in conn.execute(select)]


def search(conn: sa.Connection, node: Node, filters: SearchFilters) -> Iterator[PostRecord]:
    """Matching posts as records, in rank order, fetched in bounded chunks."""
    for chunk in iter_chunks(search_ids(conn, node, filters)):
        yield from records(conn, chunk)


def records(conn: sa.Connection, ids: Sequence[int]) -> list[PostRecord]:
    """Full records for posts, in the order of `ids`."""
    if not ids:
        return []
    select = (
        sa.select(
            POSTS,
            AUTHORS.c.native_id.label("a_id"),
            AUTHORS.c.handle,
            AUTHORS.c.name,
            AUTHORS.c.verified_type,
            SCORES.c.label,
            SCORES.c.compound,
        )
        .outerjoin(AUTHORS, AUTHORS.c.id == POSTS.c.author_id)
        .outerjoin(SCORES, SCORES.c.post_id == POSTS.c.id)
        .where(POSTS.c.id.in_(list(ids)))
    )
    by_id = {row.id: _record(row) for row in conn.execute(select)}
    departments = sa.select(POST_DEPARTMENTS.c.post_id, DEPARTMENTS.c.slug).join(DEPARTMENTS)
    for post_id, slug in conn.execute(
        departments.where(POST_DEPARTMENTS.c.post_id.in_(list(ids))).order_by(DEPARTMENTS.c.slug)
    ):
        by_id[post_id].departments.append(slug)
    _attach_originals(conn, [r for r in by_id.values() if r.repost_of_id])
    return [by_id[i] for i in ids if i in by_id]


def _attach_originals(conn: sa.Connection, reposts: list[PostRecord]) -> None:
    # A repost's own text is truncated; the export carries the original so that
    # sentiment reads the same text after a round trip.
    for platform in {r.platform for r in reposts}:
        wanted = sorted(
            {r.repost_of_id for r in reposts if r.platform == platform and r.repost_of_id}
        )
        query = sa.select(POSTS.c.native_id, POSTS.c.text).where(
            POSTS.c.platform == platform, POSTS.c.native_id.in_(wanted)
        )
        originals: dict[str, str] = {nid: text for nid, text in conn.execute(query)}
        for record in reposts:
            if record.platform == platform and record.repost_of_id in originals:
                record.analysis_text = originals[record.repost_of_id]


def _record(row: Any) -> PostRecord:
    author = None
    if row.a_id is not None:
        author = {"native_id": row.a_id, "handle": row.handle, "name": row.name}
        if row.verified_type:
            author["verified_type"] = row.verified_type
    sentiment = None
    if row.label is not None:
        sentiment = {"label": row.label, "compound": row.compound}
    return PostRecord(
        id=row.id,
        platform=row.platform,
        native_id=row.native_id,
        url=row.url,
        author=author,
        created_at=row.created_at,
        text=row.text,
        lang=row.lang,
        kind=row.kind,
        conversation_id=row.conversation_id,
        reply_to_id=row.reply_to_id,
        quote_of_id=row.quote_of_id,
        repost_of_id=row.repost_of_id,
        metrics=row.metrics or {},
        raw=row.raw or {},
        source=row.source,
        sentiment=sentiment,
    )


def find_post(conn: sa.Connection, ref: str) -> PostRecord:
    """A post named as `platform:native_id`, or by a native id unique across platforms."""
    platform, sep, native_id = ref.partition(":")
    select = sa.select(POSTS.c.id)
    if sep and platform.isalpha():
        select = select.where(POSTS.c.platform == platform, POSTS.c.native_id == native_id)
    else:
        select = select.where(POSTS.c.native_id == ref)
    ids = [row[0] for row in conn.execute(select.limit(2))]
    if not ids:
        raise NotFoundError(f"post {ref!r}: not found (name it as PLATFORM:ID, e.g. x:1857...)")
    if len(ids) > 1:
        raise NotFoundError(f"post {ref!r}: more than one platform has it; use PLATFORM:ID")
    return records(conn, ids)[0]


def store_counts(conn: sa.Connection) -> dict[str, int]:
    """How many posts, authors, scored posts and department links are stored."""
    return {
        "posts": conn.scalar(sa.select(sa.func.count()).select_from(POSTS)) or 0,
        "authors": conn.scalar(sa.select(sa.func.count()).select_from(AUTHORS)) or 0,
        "scored": conn.scalar(sa.select(sa.func.count()).select_from(SCORES)) or 0,
        "department_links": conn.scalar(sa.select(sa.func.count()).select_from(POST_DEPARTMENTS))
        or 0,
    }


def posts_per_department(conn: sa.Connection) -> dict[str, int]:
    """Posts assigned to each department, by slug (departments with none included)."""
    select = (
        sa.select(DEPARTMENTS.c.slug, sa.func.count(POST_DEPARTMENTS.c.post_id))
        .outerjoin(POST_DEPARTMENTS)
        .group_by(DEPARTMENTS.c.slug)
        .order_by(DEPARTMENTS.c.slug)
    )
    return {slug: count for slug, count in conn.execute(select)}

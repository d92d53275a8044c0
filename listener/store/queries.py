"""Reads: search results in order as post records, single posts, threads and store counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.errors import NotFoundError
from listener.models import Author, Department, PostDepartment, PostTopic, SentimentScore, Topic
from listener.query import Node
from listener.store.search import FTS, POSTS, condition, fts_match, plan, relevance
from listener.store.search_filters import (
    SearchFilters,
    clip_dates,
    engagement,
    linked,
    matching_posts,
    newest_first,
    post_conditions,
    scope,
)

AUTHORS = Author.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
POST_DEPARTMENTS = PostDepartment.__table__  # type: ignore[attr-defined]
TOPICS = Topic.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
CHUNK = 500  # rows fetched, and records built, at a time when streaming
# Relevance orders the newest RANK_WINDOW matches; a search that matches more lists
# the rest after them, newest first. Ranking every match of a common word (100,000+
# at a million posts) reads each one's text, which no page can wait for; finding the
# newest matches reads only as many as it keeps.
RANK_WINDOW = 1_000
# SQLite reads a post by id (a row lookup) about ten times slower than it steps
# through ix_posts_created_at; these choose between the two, never the answer.
LOOKUP_MAX = 10_000  # text matches up to which the window is found by lookups
LOOKUP_COST = 20  # a row lookup, in steps through the index (measured: 3 µs against 0.15)


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
    author_kind: str | None = None  # the voice kind; shown in the web app, not exported

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


def _ordered(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> sa.Select[Any]:
    """Ids of every match in the filters' order, relevance read as newest."""
    select = matching_posts(conn, node, filters, POSTS.c.id)
    if filters.sort == "oldest":
        return select.order_by(POSTS.c.created_at.asc(), POSTS.c.id.asc())
    if filters.sort == "engaged":
        return select.order_by(engagement(conn.dialect.name).desc(), *newest_first())
    return select.order_by(*newest_first())


def _ranked_window(
    conn: sa.Connection, node: Node | None, filters: SearchFilters
) -> sa.Select[Any] | None:
    """Ids of the newest RANK_WINDOW matches, most relevant first, then newest.

    None when the search is not by relevance or has no words to rank by.
    """
    text = plan(node).text if node is not None and filters.sort == "relevance" else None
    if node is None or text is None:
        return None
    rank = relevance(text, conn.dialect.name)
    if conn.dialect.name == "sqlite":
        # bm25() exists only in a scan of posts_fts; "+ 0" keeps the window's ids out
        # of that scan (FTS5 would otherwise run the MATCH once per id).
        window = _sqlite_window(conn, node, text, filters)
        joined = FTS.join(POSTS, POSTS.c.id == FTS.c.rowid + 0)
        select = sa.select(POSTS.c.id).select_from(joined)
        select = select.where(fts_match(text), (FTS.c.rowid + 0).in_(window))
        return select.order_by(sa.desc(rank), *newest_first())
    matching = matching_posts(conn, node, filters, POSTS.c.id, POSTS.c.created_at)
    if linked(filters, conn.dialect.name):
        # The planner cannot know how many of a department's (topic's, ...) posts
        # use the words: it may walk ix_posts_created_at backwards for the newest
        # ones and read most of the table when they are few. Matching first reads
        # each match once, and no more.
        matches = matching.cte("matches").prefix_with("MATERIALIZED")
        matching = sa.select(matches.c.id, matches.c.created_at)
        order: list[sa.ColumnElement[Any]] = [matches.c.created_at.desc(), matches.c.id.desc()]
    else:
        order = newest_first()
    newest = matching.order_by(*order).limit(RANK_WINDOW).subquery("newest")
    select = sa.select(newest.c.id).select_from(newest.join(POSTS, POSTS.c.id == newest.c.id))
    return select.order_by(sa.desc(rank), newest.c.created_at.desc(), newest.c.id.desc())


def _sqlite_window(
    conn: sa.Connection, node: Node, text: Node, filters: SearchFilters
) -> list[int]:
    """Ids of the newest RANK_WINDOW matches on SQLite, found the cheaper of two ways.

    Up to LOOKUP_MAX matches of the text (in the department or topic): look each
    up for its date and any condition on the post. More: walk the posts newest
    first in ix_posts_created_at, testing each against the matches, which stops
    after RANK_WINDOW of them. Either way the answer is exact.
    """
    rest = plan(node).rest
    on_post = post_conditions(filters)
    if rest is not None:
        on_post.append(condition(rest, "sqlite"))
    listed = sa.select(FTS.c.rowid).where(fts_match(text), *scope(filters, FTS.c.rowid))
    matches = conn.scalar(sa.select(sa.func.count()).select_from(listed.subquery()))
    if (matches or 0) > LOOKUP_MAX:
        text_only = sa.select(FTS.c.rowid).where(fts_match(text))
        # "+ 0": walk the index, testing each post against the matches, rather than
        # look every match up and sort them all.
        select = sa.select(POSTS.c.id).where((POSTS.c.id + 0).in_(text_only))
        select = select.where(*scope(filters), *on_post)
    else:
        select = sa.select(POSTS.c.id).where(POSTS.c.id.in_(listed), *on_post)
    return list(conn.scalars(select.order_by(*newest_first()).limit(RANK_WINDOW)))


def _statements(
    conn: sa.Connection, node: Node | None, filters: SearchFilters
) -> list[sa.Select[Any]]:
    """The statements whose rows, one after another, are the ids of the requested page."""
    offset, limit = filters.offset, filters.limit
    ranked = _ranked_window(conn, node, filters)
    if ranked is None:
        select = _ordered(conn, node, filters)
        return [select.limit(limit or None).offset(offset or None)]
    statements = []
    if offset < RANK_WINDOW:  # the page starts in the ranked window
        statements.append(
            ranked.limit(min(limit, RANK_WINDOW - offset) or None).offset(offset or None)
        )
    start, end = max(offset, RANK_WINDOW), offset + limit if limit else None
    if end is None or end > start:  # ...and goes on past it: the rest, newest first
        rest = _ordered(conn, node, filters).offset(start)
        statements.append(rest if end is None else rest.limit(end - start))
    return statements


def search_ids(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> list[int]:
    """Ids of matching posts in the filters' order (by default most relevant, then newest).

    `node` None means no query: every post the filters allow. Relevance ranks the
    newest RANK_WINDOW matches; matches beyond them follow, newest first.
    """
    return clipped_search_ids(conn, node, clip_dates(conn, filters))


def clipped_search_ids(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> list[int]:
    """search_ids with `filters` already clipped (clip_dates)."""
    return [row[0] for s in _statements(conn, node, filters) for row in conn.execute(s)]


def search(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> Iterator[PostRecord]:
    """Matching posts as records, in order, streamed: ids are fetched CHUNK rows at a time."""
    for statement in _statements(conn, node, clip_dates(conn, filters)):
        result = conn.execute(statement.execution_options(yield_per=CHUNK))
        for rows in result.partitions():
            yield from records(conn, [row[0] for row in rows])


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
            AUTHORS.c.kind.label("author_kind"),
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
        author_kind=row.author_kind,
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


@dataclass(frozen=True)
class TopicChoice:
    """A department-week topic, as a search filter offers it."""

    id: int
    department: str  # slug
    week: str
    label: str


def topic_choices(conn: sa.Connection, department_ids: frozenset[int] | None) -> list[TopicChoice]:
    """Topics of these departments (None: all), newest week first, then by department, largest."""
    select = (
        sa.select(TOPICS.c.id, DEPARTMENTS.c.slug, TOPICS.c.week, TOPICS.c.label)
        .join(DEPARTMENTS, DEPARTMENTS.c.id == TOPICS.c.department_id)
        .order_by(TOPICS.c.week.desc(), DEPARTMENTS.c.slug, TOPICS.c.position)
    )
    if department_ids is not None:
        select = select.where(TOPICS.c.department_id.in_(sorted(department_ids)))
    return [TopicChoice(*row) for row in conn.execute(select)]


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

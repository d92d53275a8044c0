"""Reads: search results as post records, single posts, threads and store counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener.errors import NotFoundError
from listener.models import Author, Department, PostDepartment, PostTopic, SentimentScore, Topic
from listener.query import Node
from listener.store.search import FTS, POSTS, ranked
from listener.store.weekly import _LIKES, _QUOTES, _REPLIES, _REPOSTS

AUTHORS = Author.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
POST_DEPARTMENTS = PostDepartment.__table__  # type: ignore[attr-defined]
TOPICS = Topic.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
SENTIMENTS = ("positive", "neutral", "negative")
# "relevance" needs words to rank by; without them (only from:/lang:, or no query) it is newest.
SORTS = ("relevance", "newest", "oldest", "engaged")
CHUNK = 500  # rows fetched, and records built, at a time when streaming


@dataclass(frozen=True)
class SearchFilters:
    """Everything that narrows or orders a search besides the query itself."""

    department: str | None = None  # a slug
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    sentiment: str | None = None
    language: str | None = None  # the post's language code, as stored
    author_kind: str | None = None  # see listener.analysis.stakeholders.KINDS
    topic_id: int | None = None
    # Scope: only posts linked to one of these departments (None: no scope, as in the CLI).
    department_ids: frozenset[int] | None = None
    sort: str = "relevance"  # one of SORTS
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


def _filtered(select: sa.Select[Any], filters: SearchFilters) -> sa.Select[Any]:
    return select.where(*_scope(filters), *_post_conditions(filters))


def _scope(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """Conditions on the links of a post: departments and topics."""
    conditions = []
    if filters.department:
        in_department = (
            sa.select(POST_DEPARTMENTS.c.post_id)
            .join(DEPARTMENTS)
            .where(DEPARTMENTS.c.slug == filters.department)
        )
        conditions.append(POSTS.c.id.in_(in_department))
    if filters.department_ids is not None:
        in_scope = sa.select(POST_DEPARTMENTS.c.post_id).where(
            POST_DEPARTMENTS.c.department_id.in_(sorted(filters.department_ids))
        )
        conditions.append(POSTS.c.id.in_(in_scope))
    if filters.topic_id is not None:
        in_topic = sa.select(POST_TOPICS.c.post_id).where(
            POST_TOPICS.c.topic_id == filters.topic_id
        )
        conditions.append(POSTS.c.id.in_(in_topic))
    return conditions


def _post_conditions(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """Conditions on the post itself, its score and its author."""
    conditions = []
    if filters.platform:
        conditions.append(POSTS.c.platform == filters.platform)
    if filters.since:
        conditions.append(POSTS.c.created_at >= filters.since)
    if filters.until:
        conditions.append(POSTS.c.created_at < filters.until)
    if filters.sentiment:
        labelled = sa.select(SCORES.c.post_id).where(SCORES.c.label == filters.sentiment)
        conditions.append(POSTS.c.id.in_(labelled))
    if filters.language:
        conditions.append(POSTS.c.lang == filters.language)
    if filters.author_kind:
        of_kind = sa.select(AUTHORS.c.id).where(AUTHORS.c.kind == filters.author_kind)
        conditions.append(POSTS.c.author_id.in_(of_kind))
    return conditions


def _metric(name: str, dialect: str) -> sa.ColumnElement[Any]:
    """One counter from the metrics JSON; NULL when missing or not a number (never an error)."""
    if dialect == "postgresql":
        value = POSTS.c.metrics[name]
        return sa.case((sa.func.jsonb_typeof(value) == "number", value.as_float()))
    path = f'$."{name}"'
    is_number = sa.func.json_type(POSTS.c.metrics, path).in_(("integer", "real"))
    return sa.case((is_number, sa.func.json_extract(POSTS.c.metrics, path)))


def engagement(dialect: str) -> sa.ColumnElement[Any]:
    """Likes + reposts + replies + quotes, read as weekly.WeekPost.engagement reads them."""
    likes, reposts, replies, quotes = (
        sa.func.coalesce(*(_metric(name, dialect) for name in names), 0)
        for names in (_LIKES, _REPOSTS, _REPLIES, _QUOTES)
    )
    return likes + reposts + replies + quotes


def _matching(
    conn: sa.Connection, node: Node | None, filters: SearchFilters, *columns: Any
) -> tuple[sa.Select[Any], Any]:
    """SELECT `columns` of the matching posts, and the relevance expression (None: no words)."""
    select = sa.select(*columns).select_from(POSTS)
    if node is None:
        return _filtered(select, filters), None
    parts = ranked(node, conn.dialect.name)
    if parts.join_fts is not None:
        select = select.join(FTS, parts.join_fts)
    return _filtered(select.where(*parts.where), filters), parts.rank


def _ordered(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> sa.Select[Any]:
    select, rank = _matching(conn, node, filters, POSTS.c.id)
    newest = [POSTS.c.created_at.desc(), POSTS.c.id.desc()]
    if filters.sort == "oldest":
        order = [POSTS.c.created_at.asc(), POSTS.c.id.asc()]
    elif filters.sort == "engaged":
        order = [engagement(conn.dialect.name).desc(), *newest]
    elif filters.sort == "relevance" and rank is not None:
        order = [sa.desc(rank), *newest]
    else:
        order = newest
    select = select.order_by(*order)
    if filters.limit:
        select = select.limit(filters.limit).offset(filters.offset)
    elif filters.offset:
        select = select.offset(filters.offset)
    return select


def search_ids(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> list[int]:
    """Ids of matching posts in the filters' order (by default most relevant, then newest).

    `node` None means no query: every post the filters allow.
    """
    return [row[0] for row in conn.execute(_ordered(conn, node, filters))]


def count(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> int:
    """How many posts match, ignoring the filters' limit and offset."""
    select, _ = _matching(conn, node, filters, sa.func.count())
    return conn.scalar(select) or 0


def search(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> Iterator[PostRecord]:
    """Matching posts as records, in order, streamed: ids are fetched CHUNK rows at a time."""
    result = conn.execute(_ordered(conn, node, filters).execution_options(yield_per=CHUNK))
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

"""Reads: search results as post records, single posts, threads and store counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from listener.errors import NotFoundError
from listener.models import Author, Department, PostDepartment, PostTopic, SentimentScore, Topic
from listener.query import And, Node, Not, Or, Phrase
from listener.store.search import FTS, POSTS, condition, conditions, fts_match, plan, relevance
from listener.store.weekly import _LIKES, _QUOTES, _REPLIES, _REPOSTS

AUTHORS = Author.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
POST_DEPARTMENTS = PostDepartment.__table__  # type: ignore[attr-defined]
TOPICS = Topic.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
# PostgreSQL only: a post's department ids, kept in step with post_departments (0008).
DEPARTMENT_IDS = sa.literal_column("posts.department_ids", postgresql.ARRAY(sa.Integer))
SENTIMENTS = ("positive", "neutral", "negative")
# "relevance" needs words to rank by; without them (only from:/lang:, or no query) it is newest.
SORTS = ("relevance", "newest", "oldest", "engaged")
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
# A search's total is exact up to TOTAL_CAP matches, then "more than TOTAL_CAP" unless
# an exact count is asked for (see total()).
TOTAL_CAP = 10_000
# PostgreSQL counts and orders a search in one read of its matches up to this many
# (as its planner estimates them): beyond, counting to TOTAL_CAP and then walking
# the newest posts for the page reads fewer rows (measured at 1M posts, 6 GB of
# shared buffers: one read of 19,000 matches 39 ms against 78; of 55,000, 157 against 63).
ONE_PASS_MAX = 25_000


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


def _filtered(select: sa.Select[Any], filters: SearchFilters, dialect: str) -> sa.Select[Any]:
    arrays = dialect == "postgresql"
    return select.where(*_scope(filters, arrays=arrays), *_post_conditions(filters))


def _scope(
    filters: SearchFilters, post_id: Any = POSTS.c.id, *, arrays: bool = False
) -> list[sa.ColumnElement[bool]]:
    """Conditions on the links of the post whose id is `post_id`: departments and topics.

    Correlated EXISTS, one primary-key probe per candidate post, rather than IN
    (subquery), which SQLite answers by first listing every post of the department.
    With `arrays` (PostgreSQL) departments are a condition on the post's own
    `department_ids`, which its text index holds beside the words (migration 0008).
    """
    links: list[sa.ColumnElement[bool]] = []
    if arrays:
        links += _in_departments(filters)
        filters = replace(filters, department=None, department_ids=None)
    if filters.department:
        in_department = (
            sa.select(POST_DEPARTMENTS.c.post_id)
            .join(DEPARTMENTS)
            .where(POST_DEPARTMENTS.c.post_id == post_id, DEPARTMENTS.c.slug == filters.department)
        )
        links.append(in_department.exists())
    if filters.department_ids is not None:
        in_scope = sa.select(POST_DEPARTMENTS.c.post_id).where(
            POST_DEPARTMENTS.c.post_id == post_id,
            POST_DEPARTMENTS.c.department_id.in_(sorted(filters.department_ids)),
        )
        links.append(in_scope.exists())
    if filters.topic_id is not None:
        in_topic = sa.select(POST_TOPICS.c.post_id).where(
            POST_TOPICS.c.post_id == post_id, POST_TOPICS.c.topic_id == filters.topic_id
        )
        links.append(in_topic.exists())
    return links


def _in_departments(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """PostgreSQL: the department filters as conditions on `posts.department_ids`."""
    conditions = []
    if filters.department:
        slug = sa.select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.slug == filters.department)
        conditions.append(DEPARTMENT_IDS.overlap(postgresql.array([slug.scalar_subquery()])))
    if filters.department_ids is not None:
        ids = sa.literal(sorted(filters.department_ids), postgresql.ARRAY(sa.Integer))
        conditions.append(DEPARTMENT_IDS.overlap(ids))
    return conditions


def _linked(filters: SearchFilters, dialect: str) -> bool:
    """True when a filter is a subquery on another table (links, scores, authors)."""
    linked: tuple[object, ...] = (filters.topic_id,)
    if dialect != "postgresql":  # there the post holds its departments
        linked += (filters.department, filters.department_ids)
    return any(v is not None for v in linked) or bool(filters.sentiment or filters.author_kind)


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
) -> sa.Select[Any]:
    """SELECT `columns` of the posts that match `node` (None: every post) and the filters."""
    select = sa.select(*columns).select_from(POSTS)
    if node is not None:
        select = select.where(*conditions(node, conn.dialect.name))
    return _filtered(select, filters, conn.dialect.name)


def _newest() -> list[sa.ColumnElement[Any]]:
    return [POSTS.c.created_at.desc(), POSTS.c.id.desc()]


def _ordered(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> sa.Select[Any]:
    """Ids of every match in the filters' order, relevance read as newest."""
    select = _matching(conn, node, filters, POSTS.c.id)
    if filters.sort == "oldest":
        return select.order_by(POSTS.c.created_at.asc(), POSTS.c.id.asc())
    if filters.sort == "engaged":
        return select.order_by(engagement(conn.dialect.name).desc(), *_newest())
    return select.order_by(*_newest())


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
        return select.order_by(sa.desc(rank), *_newest())
    matching = _matching(conn, node, filters, POSTS.c.id, POSTS.c.created_at)
    if _linked(filters, conn.dialect.name):
        # The planner cannot know how many of a department's (topic's, ...) posts
        # use the words: it may walk ix_posts_created_at backwards for the newest
        # ones and read most of the table when they are few. Matching first reads
        # each match once, and no more.
        matches = matching.cte("matches").prefix_with("MATERIALIZED")
        matching = sa.select(matches.c.id, matches.c.created_at)
        order: list[sa.ColumnElement[Any]] = [matches.c.created_at.desc(), matches.c.id.desc()]
    else:
        order = _newest()
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
    on_post = _post_conditions(filters)
    if rest is not None:
        on_post.append(condition(rest, "sqlite"))
    listed = sa.select(FTS.c.rowid).where(fts_match(text), *_scope(filters, FTS.c.rowid))
    matches = conn.scalar(sa.select(sa.func.count()).select_from(listed.subquery()))
    if (matches or 0) > LOOKUP_MAX:
        text_only = sa.select(FTS.c.rowid).where(fts_match(text))
        # "+ 0": walk the index, testing each post against the matches, rather than
        # look every match up and sort them all.
        select = sa.select(POSTS.c.id).where((POSTS.c.id + 0).in_(text_only))
        select = select.where(*_scope(filters), *on_post)
    else:
        select = sa.select(POSTS.c.id).where(POSTS.c.id.in_(listed), *on_post)
    return list(conn.scalars(select.order_by(*_newest()).limit(RANK_WINDOW)))


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
    return _ids(conn, node, _clipped(conn, filters))


def _ids(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> list[int]:
    """search_ids with `filters` already clipped (_clipped)."""
    return [row[0] for s in _statements(conn, node, filters) for row in conn.execute(s)]


@dataclass(frozen=True)
class Total:
    """How many posts a search matches: exactly, or at least `value` when not `exact`."""

    value: int
    exact: bool


def total(
    conn: sa.Connection, node: Node | None, filters: SearchFilters, *, exact: bool = False
) -> Total:
    """How many posts match, counted exactly up to TOTAL_CAP (every match when `exact`).

    Past TOTAL_CAP the answer is "more than TOTAL_CAP": PostgreSQL reads every
    match's row to count it (its text index cannot say which rows are visible),
    which for a common word at a million posts is more than a page can wait for.
    SQLite counts in its full-text index, as cheaply, and answers the same way.
    """
    return _total(conn, node, _clipped(conn, filters), exact=exact)


def _total(conn: sa.Connection, node: Node | None, filters: SearchFilters, *, exact: bool) -> Total:
    """total() with `filters` already clipped (_clipped)."""
    if exact:
        return Total(_count(conn, node, filters), exact=True)
    if _fts_countable(conn, node):
        assert node is not None
        found = min(_count_fts(conn, node, filters), TOTAL_CAP + 1)
    else:
        first = _matching(conn, node, filters, sa.literal(1)).limit(TOTAL_CAP + 1).subquery()
        found = conn.scalar(sa.select(sa.func.count()).select_from(first)) or 0
    if found > TOTAL_CAP:
        return Total(TOTAL_CAP, exact=False)
    return Total(found, exact=True)


def results(
    conn: sa.Connection, node: Node | None, filters: SearchFilters, *, exact: bool = False
) -> tuple[Total, list[int]]:
    """A search's total and the ids of its page (filters' limit and offset), as one search
    on the Conversations page or the API shows them.

    PostgreSQL reads the row of every match it counts or orders. A search that
    matches few enough posts (ONE_PASS_MAX, as the planner estimates them), and
    any phrase, is counted and ordered in one read of its matches; the page's
    order comes from there (the newest RANK_WINDOW ranked by one lookup of their
    ids). A search that matches more is counted up to TOTAL_CAP, then ordered
    as search_ids() orders it, which finds the newest matches without reading
    every one.
    """
    clipped = _clipped(conn, filters)
    if conn.dialect.name != "postgresql" or node is None or filters.sort == "engaged":
        return _total(conn, node, clipped, exact=exact), _ids(conn, node, clipped)
    text = plan(node).text
    ranks = filters.sort == "relevance" and text is not None
    if not _has_phrase(text) and _estimated(conn, node, clipped) > ONE_PASS_MAX:
        found = _total(conn, node, clipped, exact=exact)
        if found.value > TOTAL_CAP or not found.exact:
            return found, _ids(conn, node, clipped)
    end = filters.offset + filters.limit if filters.limit else None
    keep = None if end is None else max(end, RANK_WINDOW if ranks else 0)
    oldest = filters.sort == "oldest"
    matched, ordered = _matches_counted(conn, node, clipped, keep=keep, oldest=oldest)
    if ranks:
        assert text is not None
        window = sa.bindparam("window", ordered[:RANK_WINDOW], type_=postgresql.ARRAY(sa.Integer))
        ranked = sa.select(POSTS.c.id).where(POSTS.c.id == sa.func.any(window))
        ranked = ranked.order_by(sa.desc(relevance(text, "postgresql")), *_newest())
        ordered[:RANK_WINDOW] = conn.scalars(ranked).all()
    if matched > TOTAL_CAP and not exact:
        return Total(TOTAL_CAP, exact=False), ordered[filters.offset : end]
    return Total(matched, exact=True), ordered[filters.offset : end]


def _estimated(conn: sa.Connection, node: Node, filters: SearchFilters) -> float:
    """How many posts PostgreSQL's planner expects the search to match (no rows read)."""
    compiled = _matching(conn, node, filters, POSTS.c.id).compile(dialect=conn.dialect)
    explained = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params)
    return float(explained.scalar_one()[0]["Plan"]["Plan Rows"])


def _matches_counted(
    conn: sa.Connection, node: Node, filters: SearchFilters, *, keep: int | None, oldest: bool
) -> tuple[int, list[int]]:
    """PostgreSQL: how many posts match, and the ids of the newest (`oldest`: the oldest)
    `keep` of them (None: all), in one read of the matches.

    The other way, counting up to TOTAL_CAP and then finding the newest matches,
    reads up to TOTAL_CAP rows twice; it pays only when the matches are many more.
    A phrase's rows are read whatever the plan (the text index has no word
    positions), and the planner cannot estimate how many match.
    """
    # Materialized: ordering the matches could otherwise lead the planner to walk
    # ix_posts_created_at through every post, testing each, to save the sort.
    matching = _matching(conn, node, filters, POSTS.c.id, POSTS.c.created_at)
    matches = matching.cte("matches").prefix_with("MATERIALIZED")
    order = (matches.c.created_at, matches.c.id)
    counted = sa.select(matches.c.id, sa.func.count().over())
    counted = counted.order_by(*(order if oldest else (c.desc() for c in order))).limit(keep)
    rows = conn.execute(counted).all()
    return (rows[0][1] if rows else 0), [pk for pk, _ in rows]


def _has_phrase(node: Node | None) -> bool:
    """Whether the text node `node` holds a phrase anywhere."""
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Not):
        return _has_phrase(node.child)
    return isinstance(node, And | Or) and any(_has_phrase(child) for child in node.children)


def count(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> int:
    """How many posts match, exactly, ignoring the filters' limit and offset."""
    return _count(conn, node, _clipped(conn, filters))


def _count(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> int:
    """count() with `filters` already clipped (_clipped)."""
    if _fts_countable(conn, node):
        assert node is not None
        return _count_fts(conn, node, filters)
    return conn.scalar(_matching(conn, node, filters, sa.func.count())) or 0


def _fts_countable(conn: sa.Connection, node: Node | None) -> bool:
    return conn.dialect.name == "sqlite" and node is not None and plan(node).text is not None


def _clipped(conn: sa.Connection, filters: SearchFilters) -> SearchFilters:
    """The filters without a date bound that no stored post is beyond (it filters nothing).

    Two index lookups; a bound left in costs a date check on every text match.
    """
    if filters.since is None and filters.until is None:
        return filters
    oldest = sa.select(sa.func.min(POSTS.c.created_at)).scalar_subquery()
    newest = sa.select(sa.func.max(POSTS.c.created_at)).scalar_subquery()
    first, last = conn.execute(sa.select(oldest, newest)).one()
    if first is None:
        return filters
    since = None if filters.since is not None and filters.since <= first else filters.since
    until = None if filters.until is not None and filters.until > last else filters.until
    return replace(filters, since=since, until=until)


def _count_fts(conn: sa.Connection, node: Node, filters: SearchFilters) -> int:
    """Count from the FTS5 index, reading `posts` only where a condition needs it.

    Joining posts to every match costs a row lookup each (100,000 of them for a
    common word at a million posts); department and topic links need only the id.
    A date range that holds fewer posts than LOOKUP_COST times the text matches is
    walked in ix_posts_created_at instead, checking each post against the matches.
    """
    parts = plan(node)
    assert parts.text is not None  # count() checked
    on_post = _post_conditions(filters)
    if parts.rest is not None:
        on_post.append(condition(parts.rest, "sqlite"))
    text_only = sa.select(sa.func.count()).select_from(FTS).where(fts_match(parts.text))
    if not on_post:
        return conn.scalar(text_only.where(*_scope(filters, FTS.c.rowid))) or 0
    matches = conn.scalar(text_only) or 0
    in_range = _posts_between(conn, filters)
    if in_range is not None and in_range < LOOKUP_COST * matches:
        listed = sa.select(FTS.c.rowid).where(fts_match(parts.text))
        # "+ 0": test each post of the range against the matches, not look matches up.
        walk = sa.select(sa.func.count()).select_from(POSTS).where((POSTS.c.id + 0).in_(listed))
        return conn.scalar(walk.where(*on_post, *_scope(filters))) or 0
    select = text_only.where(*_scope(filters, FTS.c.rowid))
    on_row = sa.select(POSTS.c.id).where(POSTS.c.id == FTS.c.rowid, *on_post).exists()
    return conn.scalar(select.where(on_row)) or 0


def _posts_between(conn: sa.Connection, filters: SearchFilters) -> int | None:
    """About how many posts the date range holds (None: no range), from its share of time."""
    if filters.since is None and filters.until is None:
        return None
    oldest = sa.select(sa.func.min(POSTS.c.created_at)).scalar_subquery()
    newest = sa.select(sa.func.max(POSTS.c.created_at)).scalar_subquery()
    last_id = sa.select(sa.func.max(POSTS.c.id)).scalar_subquery()
    first, last, posts = conn.execute(sa.select(oldest, newest, last_id)).one()
    if first is None or last <= first:
        return posts or 0
    start, end = max(filters.since or first, first), min(filters.until or last, last)
    share = max(0.0, (end - start) / (last - first))
    return int(share * posts)


def search(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> Iterator[PostRecord]:
    """Matching posts as records, in order, streamed: ids are fetched CHUNK rows at a time."""
    for statement in _statements(conn, node, _clipped(conn, filters)):
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

"""How many posts a search matches, exact up to TOTAL_CAP, and the page beside the total."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from listener.query import Node
from listener.store import queries
from listener.store.queries import clipped_search_ids
from listener.store.search import (
    FTS,
    POSTS,
    condition,
    fts_match,
    has_phrase,
    plan,
    relevance,
)
from listener.store.search_filters import (
    SearchFilters,
    clip_dates,
    matching_posts,
    newest_first,
    post_conditions,
    scope,
)

# A search's total is exact up to TOTAL_CAP matches, then "more than TOTAL_CAP" unless
# an exact count is asked for (see total()).
TOTAL_CAP = 10_000
# PostgreSQL counts and orders a search in one read of its matches up to this many
# (as its planner estimates them): beyond, counting to TOTAL_CAP and then walking
# the newest posts for the page reads fewer rows (measured at 1M posts, 6 GB of
# shared buffers: one read of 19,000 matches 39 ms against 78; of 55,000, 157 against 63).
ONE_PASS_MAX = 25_000


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
    return _total(conn, node, clip_dates(conn, filters), exact=exact)


def _total(conn: sa.Connection, node: Node | None, filters: SearchFilters, *, exact: bool) -> Total:
    """total() with `filters` already clipped (clip_dates)."""
    if exact:
        return Total(_count(conn, node, filters), exact=True)
    if _fts_countable(conn, node):
        assert node is not None
        found = min(_count_fts(conn, node, filters), TOTAL_CAP + 1)
    else:
        first = matching_posts(conn, node, filters, sa.literal(1)).limit(TOTAL_CAP + 1).subquery()
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
    order comes from there (the newest RANK_WINDOW, see queries, ranked by one
    lookup of their ids). A search that matches more is counted up to TOTAL_CAP, then ordered
    as search_ids() orders it, which finds the newest matches without reading
    every one.
    """
    clipped = clip_dates(conn, filters)
    if conn.dialect.name != "postgresql" or node is None or filters.sort == "engaged":
        return _total(conn, node, clipped, exact=exact), clipped_search_ids(conn, node, clipped)
    text = plan(node).text
    ranks = filters.sort == "relevance" and text is not None
    if not has_phrase(text) and _estimated(conn, node, clipped) > ONE_PASS_MAX:
        found = _total(conn, node, clipped, exact=exact)
        if found.value > TOTAL_CAP or not found.exact:
            return found, clipped_search_ids(conn, node, clipped)
    end = filters.offset + filters.limit if filters.limit else None
    keep = None if end is None else max(end, queries.RANK_WINDOW if ranks else 0)
    oldest = filters.sort == "oldest"
    matched, ordered = _matches_counted(conn, node, clipped, keep=keep, oldest=oldest)
    if ranks:
        assert text is not None
        window = sa.bindparam(
            "window", ordered[: queries.RANK_WINDOW], type_=postgresql.ARRAY(sa.Integer)
        )
        ranked = sa.select(POSTS.c.id).where(POSTS.c.id == sa.func.any(window))
        ranked = ranked.order_by(sa.desc(relevance(text, "postgresql")), *newest_first())
        ordered[: queries.RANK_WINDOW] = conn.scalars(ranked).all()
    if matched > TOTAL_CAP and not exact:
        return Total(TOTAL_CAP, exact=False), ordered[filters.offset : end]
    return Total(matched, exact=True), ordered[filters.offset : end]


def _estimated(conn: sa.Connection, node: Node, filters: SearchFilters) -> float:
    """How many posts PostgreSQL's planner expects the search to match (no rows read)."""
    compiled = matching_posts(conn, node, filters, POSTS.c.id).compile(dialect=conn.dialect)
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
    matching = matching_posts(conn, node, filters, POSTS.c.id, POSTS.c.created_at)
    matches = matching.cte("matches").prefix_with("MATERIALIZED")
    order = (matches.c.created_at, matches.c.id)
    counted = sa.select(matches.c.id, sa.func.count().over())
    counted = counted.order_by(*(order if oldest else (c.desc() for c in order))).limit(keep)
    rows = conn.execute(counted).all()
    return (rows[0][1] if rows else 0), [pk for pk, _ in rows]


def count(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> int:
    """How many posts match, exactly, ignoring the filters' limit and offset."""
    return _count(conn, node, clip_dates(conn, filters))


def _count(conn: sa.Connection, node: Node | None, filters: SearchFilters) -> int:
    """count() with `filters` already clipped (clip_dates)."""
    if _fts_countable(conn, node):
        assert node is not None
        return _count_fts(conn, node, filters)
    return conn.scalar(matching_posts(conn, node, filters, sa.func.count())) or 0


def _fts_countable(conn: sa.Connection, node: Node | None) -> bool:
    return conn.dialect.name == "sqlite" and node is not None and plan(node).text is not None


def _count_fts(conn: sa.Connection, node: Node, filters: SearchFilters) -> int:
    """Count from the FTS5 index, reading `posts` only where a condition needs it.

    Joining posts to every match costs a row lookup each (100,000 of them for a
    common word at a million posts); department and topic links need only the id.
    A date range that holds fewer posts than LOOKUP_COST (see queries) times the text
    matches is walked in ix_posts_created_at instead, checking each post against the matches.
    """
    parts = plan(node)
    assert parts.text is not None  # count() checked
    on_post = post_conditions(filters)
    if parts.rest is not None:
        on_post.append(condition(parts.rest, "sqlite"))
    text_only = sa.select(sa.func.count()).select_from(FTS).where(fts_match(parts.text))
    if not on_post:
        return conn.scalar(text_only.where(*scope(filters, FTS.c.rowid))) or 0
    matches = conn.scalar(text_only) or 0
    in_range = _posts_between(conn, filters)
    if in_range is not None and in_range < queries.LOOKUP_COST * matches:
        listed = sa.select(FTS.c.rowid).where(fts_match(parts.text))
        # "+ 0": test each post of the range against the matches, not look matches up.
        walk = sa.select(sa.func.count()).select_from(POSTS).where((POSTS.c.id + 0).in_(listed))
        return conn.scalar(walk.where(*on_post, *scope(filters))) or 0
    select = text_only.where(*scope(filters, FTS.c.rowid))
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

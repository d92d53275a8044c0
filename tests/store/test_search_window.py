"""Relevance ranks the newest RANK_WINDOW matches; pages, counts and plans stay exact.

The window is made small here so that a handful of posts exercise what a common
word does at a million posts: the ranked window, pages that cross its end, the
rest newest first, and on SQLite both ways of finding the window (looking each
match up, or walking the posts newest first), which must agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from listener.models import Department, PostDepartment
from listener.query import parse
from listener.store import queries, totals, writes
from listener.store.db import write_transaction
from listener.store.queries import search, search_ids
from listener.store.search_filters import SearchFilters
from listener.store.totals import count
from tests.conftest import make_post

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 10, tzinfo=UTC)
WINDOW = 4


def _text(n: int) -> str:
    # Every third post says "strike" three times: more relevant wherever it falls.
    return "strike strike strike today" if n % 3 == 0 else f"a strike, post {n}"


@pytest.fixture
def posts(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setattr(queries, "RANK_WINDOW", WINDOW)
    items = [
        make_post(str(n), _text(n), created_at=START + timedelta(hours=n)) for n in range(1, 13)
    ]
    items.append(make_post("99", "nothing to see", created_at=START))
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, items, now=NOW)
        department = {"slug": "dft", "name": "Transport", "created_at": NOW, "updated_at": NOW}
        conn.execute(sa.insert(Department.__table__).values(**department))  # type: ignore[attr-defined]
        ids: dict[str, int] = {
            n: i for n, i in conn.execute(sa.text("SELECT native_id, id FROM posts"))
        }
        dft = conn.execute(sa.text("SELECT id FROM departments WHERE slug = 'dft'")).scalar_one()
        links = [{"post_id": ids[str(n)], "department_id": dft} for n in range(1, 13, 2)]
        conn.execute(sa.insert(PostDepartment.__table__), links)  # type: ignore[attr-defined]
    return engine


def natives(engine: sa.Engine, query: str, **fields: object) -> list[str]:
    with engine.connect() as conn:
        ids = search_ids(conn, parse(query), SearchFilters(**fields))  # type: ignore[arg-type]
        by_id = {r.id: r.native_id for r in queries.records(conn, ids)}
    return [by_id[i] for i in ids]


def expected(numbers: list[int]) -> list[str]:
    """The newest WINDOW by relevance (three 'strike's first), then the rest newest first."""
    newest = sorted(numbers, reverse=True)
    window = sorted(newest[:WINDOW], key=lambda n: (n % 3 == 0, n), reverse=True)
    return [str(n) for n in window + newest[WINDOW:]]


def test_relevance_ranks_the_newest_matches_then_lists_the_rest_newest_first(
    posts: sa.Engine,
) -> None:
    assert natives(posts, "strike", limit=0) == expected(list(range(1, 13)))


def test_pages_cross_the_end_of_the_window_without_gaps_or_repeats(posts: sa.Engine) -> None:
    whole = natives(posts, "strike", limit=0)
    for size in (1, 3, 5):
        pages = [natives(posts, "strike", limit=size, offset=start) for start in range(0, 14, size)]
        assert [n for page in pages for n in page] == whole


def test_search_streams_the_same_order(posts: sa.Engine) -> None:
    with posts.connect() as conn:
        streamed = [r.native_id for r in search(conn, parse("strike"), SearchFilters(limit=0))]
    assert streamed == natives(posts, "strike", limit=0)


def test_a_window_larger_than_the_matches_ranks_them_all(
    posts: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "RANK_WINDOW", 1_000)
    ranked = natives(posts, "strike", limit=0)
    assert ranked == [str(n) for n in (12, 9, 6, 3, 11, 10, 8, 7, 5, 4, 2, 1)]


@pytest.mark.parametrize("lookup_max", [0, 10_000])  # SQLite: walk the index, or look up
def test_filters_and_both_ways_of_finding_the_window_agree(
    posts: sa.Engine, monkeypatch: pytest.MonkeyPatch, lookup_max: int
) -> None:
    monkeypatch.setattr(queries, "LOOKUP_MAX", lookup_max)
    with posts.connect() as conn:
        dft = frozenset({conn.execute(sa.text("SELECT id FROM departments")).scalar_one()})
    odd = [n for n in range(1, 13) if n % 2]
    assert natives(posts, "strike", limit=0, department_ids=dft) == expected(odd)
    since, until = START + timedelta(hours=3), START + timedelta(hours=10)  # 3..9
    assert natives(posts, "strike", limit=0, since=since, until=until) == expected(
        list(range(3, 10))
    )
    both = natives(posts, "strike", limit=0, department_ids=dft, since=since, until=until)
    assert both == expected([3, 5, 7, 9])
    assert natives(posts, "strike -today", limit=0) == expected([n for n in range(1, 13) if n % 3])


@pytest.mark.parametrize("lookup_cost", [0, 1_000])  # SQLite: walk the date range, or look up
def test_counts_are_exact_whichever_way_they_are_taken(
    posts: sa.Engine, monkeypatch: pytest.MonkeyPatch, lookup_cost: int
) -> None:
    monkeypatch.setattr(queries, "LOOKUP_COST", lookup_cost)
    with posts.connect() as conn:
        dft = frozenset({conn.execute(sa.text("SELECT id FROM departments")).scalar_one()})

        def counted(query: str, **fields: object) -> int:
            return count(conn, parse(query), SearchFilters(**fields))  # type: ignore[arg-type]

        since, until = START + timedelta(hours=3), START + timedelta(hours=10)
        assert counted("strike") == 12
        assert counted("strike", department_ids=dft) == 6
        assert counted("strike", since=since, until=until) == 7
        assert counted("strike", since=since, until=until, department_ids=dft) == 4
        assert counted("strike", until=since) == 2  # before 03:00: posts 1 and 2
        assert counted("strike", since=START - timedelta(days=9)) == 12  # bound filters nothing
        assert counted("strike from:alice", since=since) == 10
        assert counted("strike from:bob") == 0


def test_totals_are_exact_up_to_the_cap_then_a_lower_bound(
    posts: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(totals, "TOTAL_CAP", 6)
    with posts.connect() as conn:
        dft = frozenset({conn.execute(sa.text("SELECT id FROM departments")).scalar_one()})

        def total(query: str | None, exact: bool = False, **fields: object) -> totals.Total:
            node = parse(query) if query else None
            return totals.total(conn, node, SearchFilters(**fields), exact=exact)  # type: ignore[arg-type]

        assert total("strike") == totals.Total(6, exact=False)  # 12 match
        assert total("strike", exact=True) == totals.Total(12, exact=True)
        assert total("strike", department_ids=dft) == totals.Total(6, exact=True)  # exactly 6
        assert total("strike -today") == totals.Total(6, exact=False)  # 8 match
        assert total("strike", until=START + timedelta(hours=3)) == totals.Total(2, exact=True)
        assert total("from:bob") == totals.Total(0, exact=True)
        assert total(None) == totals.Total(6, exact=False)  # every post: 13
        assert total(None, exact=True) == totals.Total(13, exact=True)
        assert total(None, department_ids=dft) == totals.Total(6, exact=True)


# PostgreSQL counts and orders in one read of the matches (phrases always), or, when
# its planner expects more than ONE_PASS_MAX, counts to the cap first.
@pytest.mark.parametrize("one_pass_max", [0, 1_000])
@pytest.mark.parametrize("cap", [6, 100])
def test_results_give_the_total_and_page_that_total_and_search_ids_give(
    posts: sa.Engine, monkeypatch: pytest.MonkeyPatch, cap: int, one_pass_max: int
) -> None:
    monkeypatch.setattr(totals, "TOTAL_CAP", cap)
    monkeypatch.setattr(totals, "ONE_PASS_MAX", one_pass_max)
    with posts.connect() as conn:
        dft = frozenset({conn.execute(sa.text("SELECT id FROM departments")).scalar_one()})
        queries_ = ("strike", "strike -today", "from:alice", '"strike today"', "nothing")
        phrases = ('"a strike"', '"strike strike" OR "a strike"', '"a strike" -post')
        for query in queries_ + phrases:  # phrases match 8, 12 and no posts
            for sort in ("relevance", "newest", "oldest", "engaged"):
                for limit, offset in ((0, 0), (5, 0), (3, 2), (5, 10)):
                    for scope in (None, dft):
                        filters = SearchFilters(
                            sort=sort, limit=limit, offset=offset, department_ids=scope
                        )
                        node = parse(query)
                        expected = (
                            totals.total(conn, node, filters),
                            search_ids(conn, node, filters),
                        )
                        assert totals.results(conn, node, filters) == expected, filters
                        counted = totals.results(conn, node, filters, exact=True)[0]
                        assert counted == totals.Total(count(conn, node, filters), exact=True)

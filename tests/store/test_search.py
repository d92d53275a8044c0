"""Search: the one query syntax on both engines, hashtags and mentions as such, filters, ranking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from listener.query import parse
from listener.store import writes
from listener.store.db import write_transaction
from listener.store.queries import search
from listener.store.search_filters import SearchFilters
from tests.conftest import make_post

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CORPUS = [
    make_post("1", "The #NHS waiting list hits a record high", handle="alice"),
    make_post("2", "nhs waiting times are shocking", handle="bob"),
    make_post("3", "Thanks @DHSCgovuk for the update on junior doctors", handle="carol"),
    make_post("4", "Junior doctors strike again, talks with @DHSCgovuk failed", handle="alice"),
    make_post("5", "Mae rhestrau aros y GIG yn rhy hir #NHS", handle="dafydd", lang="cy"),
    make_post("6", "Energy price cap rises; #EnergyBills up again", handle="erin",
              created_at=datetime(2026, 11, 16, 8, 0, tzinfo=UTC)),
    make_post("7", "Rail strike: trains cancelled across the north", handle="frank_t",
              platform="mastodon"),
    make_post("8", "price of a cap in the shop", handle="gail"),
]  # fmt: skip


@pytest.fixture
def corpus(engine: sa.Engine) -> sa.Engine:
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, CORPUS, now=NOW)
    return engine


def ids(engine: sa.Engine, query: str, **filters: object) -> set[str]:
    with engine.connect() as conn:
        hits = search(conn, parse(query), SearchFilters(limit=0, **filters))  # type: ignore[arg-type]
        return {h.native_id for h in hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("#nhs", {"1", "5"}),  # the hashtag only, not the word
        ("nhs", {"1", "2", "5"}),  # a word also finds its hashtag, as on X
        ("NHS waiting", {"1", "2"}),  # all words must match
        ('"waiting list"', {"1"}),
        ('"price cap"', {"6"}),  # a phrase is words in a row
        ("price cap", {"6", "8"}),
        ("@dhscgovuk", {"3", "4"}),  # the mention, not the word
        ("dhscgovuk", set()),
        ("junior doctors -strike", {"3"}),
        ("strike OR #energybills", {"4", "6", "7"}),
        ("(junior OR rail) strike", {"4", "7"}),
        ("from:alice", {"1", "4"}),
        ("from:alice OR from:bob", {"1", "2", "4"}),
        ("from:alice -#nhs", {"4"}),
        ("#nhs lang:cy", {"5"}),
        ("lang:cy OR strike", {"4", "5", "7"}),
        ("from:frank_t", {"7"}),
        ("WAITING", {"1", "2"}),
        ("energybills", {"6"}),
        ('"nhs waiting"', {"1", "2"}),
    ],
)
def test_queries_find_the_same_posts_on_both_engines(
    corpus: sa.Engine, query: str, expected: set[str]
) -> None:
    assert ids(corpus, query) == expected


def test_filters_narrow_results(corpus: sa.Engine) -> None:
    assert ids(corpus, "strike", platform="mastodon") == {"7"}
    since = datetime(2026, 11, 15, tzinfo=UTC)
    assert ids(corpus, "price", since=since) == {"6"}
    assert ids(corpus, "price", until=since) == {"8"}


def test_relevance_then_recency(corpus: sa.Engine) -> None:
    older = datetime(2026, 11, 1, tzinfo=UTC)
    extra = [
        make_post("10", "strike", created_at=older),
        make_post("11", "strike strike strike about the strike", created_at=older),
    ]
    with write_transaction(corpus) as conn:
        writes.upsert_posts(conn, extra, now=NOW)
    with corpus.connect() as conn:
        hits = [h.native_id for h in search(conn, parse("strike"), SearchFilters(limit=0))]
    assert hits[0] == "11"  # most relevant first
    assert set(hits) == {"4", "7", "10", "11"}


def test_limit_and_offset_page_through_results(corpus: sa.Engine) -> None:
    with corpus.connect() as conn:
        first = [h.native_id for h in search(conn, parse("nhs"), SearchFilters(limit=2))]
        rest = [h.native_id for h in search(conn, parse("nhs"), SearchFilters(limit=2, offset=2))]
    assert len(first) == 2 and len(rest) == 1
    assert set(first + rest) == {"1", "2", "5"}


def test_user_text_never_reaches_sql(corpus: sa.Engine) -> None:
    for query in ['"a\'; DROP TABLE posts; --"', "x' OR '1'='1", '"NEAR(a b)" OR col:val']:
        try:
            ids(corpus, query)
        except Exception as exc:
            pytest.fail(f"{query!r} raised {exc!r}")
    assert ids(corpus, "nhs") == {"1", "2", "5"}


def test_html_posts_are_searched_and_matched_by_their_text_not_their_markup(
    engine: sa.Engine,
) -> None:
    from listener.matching import WatchMatcher, WatchSpec
    from tests.unit.test_plaintext import MASTODON

    post = make_post("https://mastodon.example/statuses/1", MASTODON, platform="mastodon")
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, [post], now=NOW)
    assert ids(engine, "#nhs") == {"https://mastodon.example/statuses/1"}
    assert ids(engine, "@dhsc") == {"https://mastodon.example/statuses/1"}
    assert ids(engine, "href OR span") == set()  # markup is not text
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT text FROM posts")).scalar()
    assert stored == MASTODON  # kept verbatim
    matcher = WatchMatcher([WatchSpec(id=1, department_id=1, kind="hashtag", value="#NHS")])
    assert [w.id for w in matcher.match(post)] == [1]

"""Removing posts gone at source: every table, the search index, reposts, orphaned accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from listener import jobs
from listener.collectors.base import AuthorItem, Page, PostItem
from listener.collectors.deletions import StoredPost
from listener.configfile import load_config
from listener.pages import Linker, PageOrigin, PageTotals, store_page
from listener.query import parse
from listener.store import deletions, weekly
from listener.store import scores as store_scores
from listener.store import topics as store_topics
from listener.store.db import write_transaction
from listener.store.queries import SearchFilters, search
from listener.weeks import local_date, week_containing
from tests.conftest import make_post

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
CONFIG = """\
departments:
  - slug: dhsc
    name: Health
    watches:
      hashtags: ["#NHS"]
"""
PER_POST = ("post_departments", "post_matches", "sentiment_scores", "post_topics")


def configure(engine: sa.Engine) -> None:
    """One department watching #NHS (the autouse fixture has chdir'd into a tmp dir)."""
    Path("listener.yaml").write_text(CONFIG, encoding="utf-8")
    jobs.sync_config(engine, load_config(Path("listener.yaml")))


def store(engine: sa.Engine, *items: PostItem) -> None:
    """Store posts as collection does: upserted, matched against the watches, linked."""
    with engine.connect() as conn:
        linker = Linker(conn)
    store_page(engine, Page(posts=list(items)), linker, PageTotals(), PageOrigin("test"))


def analyse(engine: sa.Engine) -> None:
    """Give every post a sentiment score and put them all in one topic of their week."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, text_hash FROM posts ORDER BY id")).all()
    scores = [(pk, 0.1, 0.2, 0.7, 0.1, "neutral", text_hash) for pk, text_hash in rows]
    week = week_containing(local_date(NOW))
    with write_transaction(engine) as conn:
        store_scores.save_scores(conn, scores, version="test", scored_at=NOW)
        dept = weekly.departments(conn, "dhsc")[0].id
        count, stamp = weekly.week_fingerprint(conn, dept, start=week.start, end=week.end)
        ids = [pk for pk, _ in rows]
        topic = store_topics.StoredTopic(
            id=None, position=0, label="waiting lists", terms=["waiting"], hashtags=["#NHS"],
            size=len(ids), share=1.0, mean_compound=0.1, is_new=False,
            representative_ids=ids, method="test", post_ids=tuple(ids),
        )  # fmt: skip
        store_topics.replace_topics(conn, dept, week.label, [topic], stamp=(stamp, count, NOW))


def stored(engine: sa.Engine) -> set[tuple[str, str]]:
    """(platform, native id) of every stored post."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT platform, native_id FROM posts"))
        return {(platform, native) for platform, native in rows}


def linked(engine: sa.Engine) -> dict[str, set[str]]:
    """Per table with a row per post, the native ids it has rows for."""
    found = {}
    with engine.connect() as conn:
        for table in PER_POST:
            query = f"SELECT p.native_id FROM {table} t JOIN posts p ON p.id = t.post_id"
            found[table] = set(conn.execute(sa.text(query)).scalars())
    return found


def handles(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT handle FROM authors")).scalars())


def found(engine: sa.Engine, query: str) -> set[str]:
    """Native ids a search finds, through the full-text index."""
    with engine.connect() as conn:
        return {r.native_id for r in search(conn, parse(query), SearchFilters(limit=0))}


def indexed(engine: sa.Engine, word: str) -> int:
    """Entries for a word in the full-text index itself (FTS5 table, or the tsvector column)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH :word"
        else:
            sql = "SELECT count(*) FROM posts WHERE search_vector @@ to_tsquery('simple', :word)"
        return int(conn.execute(sa.text(sql), {"word": word}).scalar_one())


def author(handle: str, platform: str = "x") -> AuthorItem:
    return AuthorItem(platform, f"u-{handle}", handle=handle, name=handle.title())


def test_a_removed_post_leaves_every_table_search_and_its_reposts(engine: sa.Engine) -> None:
    configure(engine)
    gone = make_post("101", "Walkout at the hospital tomorrow #NHS", author=author("alice"))
    kept = make_post("102", "Strike ballot closes Friday #NHS", author=author("alice"))
    other = make_post("103", "Waiting lists are long #NHS", author=author("bob"))
    repost = make_post(
        "104", "RT @alice: Walkout at the hospital tomorrow #NHS", kind="repost",
        repost_of_id="101", author=author("carol"),
    )  # fmt: skip
    # The same native id on another platform is another post.
    twin = make_post(
        "101", "Walkout news #NHS", platform="bluesky", author=author("dan", "bluesky")
    )
    store(engine, gone, kept, other, repost, twin)
    analyse(engine)
    assert indexed(engine, "walkout") == 3

    with write_transaction(engine) as conn:
        removed = deletions.remove_posts(conn, "x", ["101"])

    assert removed == deletions.Removed(posts=2, reposts=1, authors=1)
    assert stored(engine) == {("x", "102"), ("x", "103"), ("bluesky", "101")}
    for table, natives in linked(engine).items():
        assert natives == {"102", "103", "101"}, table  # the bluesky twin keeps its rows
    assert handles(engine) == {"alice", "bob", "dan"}  # carol had only the repost
    assert found(engine, "walkout") == {"101"}  # the twin only
    assert indexed(engine, "walkout") == 1
    assert found(engine, "strike") == {"102"}


def test_removing_nothing_or_unknown_ids_changes_nothing(engine: sa.Engine) -> None:
    configure(engine)
    store(engine, make_post("201", "Waiting lists #NHS"))
    with write_transaction(engine) as conn:
        assert deletions.remove_posts(conn, "x", []) == deletions.Removed()
        assert deletions.remove_posts(conn, "x", ["999"]) == deletions.Removed()
        assert deletions.remove_posts(conn, "mastodon", ["201"]) == deletions.Removed()
    assert stored(engine) == {("x", "201")}


def test_recent_posts_come_newest_stored_first_in_batches_within_the_window(
    engine: sa.Engine,
) -> None:
    configure(engine)
    days = [1, 2, 3, 9, 2]  # posts 301..305: 304 is older than the window
    store(
        engine,
        *[
            make_post(f"30{n}", f"post {n} #NHS", created_at=NOW - timedelta(days=age))
            for n, age in enumerate(days, 1)
        ],
    )
    status = {
        "id": "113459842176523001", "uri": "https://mastodon.example/users/jo/statuses/1",
    }  # fmt: skip
    instance = "https://mastodon.example"
    store(
        engine,
        make_post(
            status["uri"], "Mastodon #NHS", platform="mastodon", raw=status,
            source=f"{instance}/api/v1/timelines/tag/nhs", author=author("jo", "mastodon"),
        ),
    )  # fmt: skip
    since = NOW - timedelta(days=7)

    with engine.connect() as conn:
        assert deletions.count_recent(conn, "x", since=since) == 4
        first = deletions.recent_posts(conn, "x", since=since, below=None, limit=3)
        rest = deletions.recent_posts(conn, "x", since=since, below=first[-1][0], limit=3)
        (toot,) = deletions.recent_posts(conn, "mastodon", since=since, below=None, limit=10)

    # Stored in one page in this order, so newest stored first is 305, 303, 302, then 301.
    assert [p.native_id for _, p in first] == ["305", "303", "302"]
    assert [p.native_id for _, p in rest] == ["301"]
    assert first[0][1] == StoredPost("305", source="", local_id="305")
    assert toot[1] == StoredPost(
        status["uri"], source=f"{instance}/api/v1/timelines/tag/nhs", local_id=status["id"]
    )

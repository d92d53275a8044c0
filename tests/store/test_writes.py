"""Bulk upserts: idempotent, UTC timestamps, edits refresh the index, unstorable characters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from listener.query import parse
from listener.store import repeats, writes
from listener.store.db import write_transaction
from listener.store.queries import SearchFilters, find_post, search, store_counts
from tests.conftest import make_post

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _store(engine: sa.Engine, *posts: object) -> writes.UpsertResult:
    with write_transaction(engine) as conn:
        return writes.upsert_posts(conn, list(posts), now=NOW)  # type: ignore[arg-type]


def _found(engine: sa.Engine, query: str, **filters: object) -> list[str]:
    with engine.connect() as conn:
        hits = search(conn, parse(query), SearchFilters(limit=0, **filters))  # type: ignore[arg-type]
        return [h.native_id for h in hits]


def test_upserting_the_same_posts_twice_stores_each_once(engine: sa.Engine) -> None:
    posts = [make_post(str(i), f"post number {i} about #NHS") for i in range(5)]
    first = _store(engine, *posts)
    second = _store(engine, *posts)
    assert (first.new, first.seen) == (5, 0)
    assert (second.new, second.seen) == (0, 5)
    with engine.connect() as conn:
        assert store_counts(conn)["posts"] == 5
        assert store_counts(conn)["authors"] == 1
    assert sorted(_found(engine, "#nhs")) == ["0", "1", "2", "3", "4"]


def test_a_post_twice_in_one_batch_is_stored_once(engine: sa.Engine) -> None:
    result = _store(engine, make_post("1", "first copy"), make_post("1", "second copy"))
    assert result.new == 1
    assert _found(engine, "second") == ["1"]


def test_timestamps_come_back_as_aware_utc(engine: sa.Engine) -> None:
    local = datetime.fromisoformat("2026-11-12T10:30:00+01:00")
    _store(engine, make_post("1", "hello", created_at=local))
    with engine.connect() as conn:
        post = find_post(conn, "x:1")
    assert post.created_at == datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
    assert post.created_at.tzinfo is not None
    assert post.created_at.utcoffset() == UTC.utcoffset(None)


def test_an_edited_post_is_reindexed_and_metrics_refreshed(engine: sa.Engine) -> None:
    _store(engine, make_post("1", "the backlog is growing", metrics={"like_count": 1}))
    _store(engine, make_post("1", "the queue is shrinking", metrics={"like_count": 9}))
    assert _found(engine, "backlog") == []
    assert _found(engine, "shrinking") == ["1"]
    with engine.connect() as conn:
        assert find_post(conn, "x:1").metrics == {"like_count": 9}


def test_a_deleted_post_leaves_the_index(engine: sa.Engine) -> None:
    _store(engine, make_post("1", "rail strike today"), make_post("2", "rail strike tomorrow"))
    with write_transaction(engine) as conn:
        conn.execute(sa.text("DELETE FROM posts WHERE native_id = '1'"))
    assert _found(engine, "strike") == ["2"]


def test_hostile_text_is_stored_verbatim(engine: sa.Engine) -> None:
    hostile = "<script>alert('x')</script> <img src=x onerror=alert(1)> & \x07 \u202e #NHS"
    _store(engine, make_post("1", hostile))
    with engine.connect() as conn:
        assert find_post(conn, "x:1").text == hostile
    assert _found(engine, "#nhs") == ["1"]


def test_nul_and_lone_surrogates_are_replaced_not_rejected(engine: sa.Engine) -> None:
    _store(engine, make_post("1", "before\x00after \ud83d end", raw={"text": "a\x00b"}))
    with engine.connect() as conn:
        post = find_post(conn, "x:1")
    assert post.text == "before\ufffdafter \ufffd end"
    assert post.raw == {"text": "a\ufffdb"}


def test_a_huge_text_is_stored_whole_and_searchable(engine: sa.Engine) -> None:
    huge = "waiting list " * 80_000 + "needle"
    _store(engine, make_post("1", "#NHS " + huge))
    with engine.connect() as conn:
        assert find_post(conn, "x:1").text == "#NHS " + huge
    assert _found(engine, '"waiting list"') == ["1"]


def test_cursor_is_saved_and_updated(engine: sa.Engine) -> None:
    for value in ("100", "200"):
        with write_transaction(engine) as conn:
            writes.save_cursor(conn, source="x", key="dhsc:#nhs", value=value, now=NOW)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT value FROM cursors")).all()
    assert rows == [("200",)]


def test_json_payloads_keep_escaped_backslashes_and_lose_only_real_nuls(engine: sa.Engine) -> None:
    raw = {"text": "a\x00b", "literal": "C:\\u0000 is text", "nested": [{"k": "\ud800x"}], "n": 1}
    _store(engine, make_post("1", "hello", raw=raw))
    with engine.connect() as conn:
        post = find_post(conn, "x:1")
    assert post.raw == {
        "text": "a\ufffdb",
        "literal": "C:\\u0000 is text",
        "nested": [{"k": "\ufffdx"}],
        "n": 1,
    }


def _row_versions(conn: sa.Connection) -> object:
    """What changes when a row is written: SQLite's change counter, PostgreSQL's row versions."""
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql("SELECT total_changes()").scalar_one()
    return conn.exec_driver_sql(
        "SELECT array_agg(xmin::text ORDER BY id) FROM posts UNION ALL"
        " SELECT array_agg(xmin::text ORDER BY id) FROM authors"
    ).all()


def test_storing_unchanged_posts_again_writes_nothing(engine: sa.Engine) -> None:
    posts = [make_post(str(i), f"post number {i}", metrics={"like_count": i}) for i in range(3)]
    _store(engine, *posts)
    # The same posts again, fetched another time (as context of a later page, say).
    copies = [replace(post, source="import:twarc2:later.jsonl:9") for post in posts]
    with write_transaction(engine) as conn:
        before = _row_versions(conn)
        again = writes.upsert_posts(conn, copies, now=NOW)
        assert _row_versions(conn) == before  # no post or author row rewritten
    assert (again.new, again.seen, len(again.ids)) == (0, 3, 3)
    changed = make_post("1", "post number 1", metrics={"like_count": 50})
    with write_transaction(engine) as conn:
        result = writes.upsert_posts(conn, [changed, *posts[::2]], now=NOW)
        assert set(result.ids) == {("x", "0"), ("x", "1"), ("x", "2")}
    with engine.connect() as conn:
        assert find_post(conn, "x:1").metrics == {"like_count": 50}
        assert find_post(conn, "x:0").metrics == {"like_count": 0}
        assert find_post(conn, "x:0").source == posts[0].source  # where the stored copy came from


def _rows(*posts: object) -> writes.PageRows:
    return writes.page_rows(list(posts), now=NOW)  # type: ignore[arg-type]


def test_a_run_writes_again_only_rows_that_changed_or_went_missing(engine: sa.Engine) -> None:
    written = repeats.Written()
    posts = [make_post(str(i), f"post number {i}") for i in range(3)]
    with write_transaction(engine) as conn:
        first = writes.write_rows(conn, _rows(*posts), written=written)
    repeats.remember(first.written)
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("DELETE FROM posts WHERE native_id = '2'")  # erased meanwhile, say
    edited = make_post("1", "post number 1, edited")
    with write_transaction(engine) as conn:
        again = writes.write_rows(conn, _rows(posts[0], edited, posts[2]), written=written)
    assert (again.new, again.seen) == (1, 2)
    assert again.ids[("x", "0")] == first.ids[("x", "0")]
    # Written: no author (unchanged), two posts (the edited one and the missing one).
    assert [len(prints) for _, prints in again.written] == [0, 2]
    with engine.connect() as conn:
        assert find_post(conn, "x:1").text == "post number 1, edited"
        assert find_post(conn, "x:2").text == "post number 2"


def test_rows_written_in_a_transaction_that_failed_are_not_taken_as_stored(
    engine: sa.Engine,
) -> None:
    _store(engine, make_post("1", "first version"))
    written = repeats.Written()
    edited = make_post("1", "second version")
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        writes.write_rows(conn, _rows(edited), written=written)
        raise RuntimeError("the rest of the page failed")
    with write_transaction(engine) as conn:
        writes.write_rows(conn, _rows(edited), written=written)
    with engine.connect() as conn:
        assert find_post(conn, "x:1").text == "second version"

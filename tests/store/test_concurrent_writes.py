"""Two writers storing the same posts at once on PostgreSQL (an import beside a collector,
say): every post gets its id and its author, and neither deadlocks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from listener.models import utcnow
from listener.store import writes
from listener.store.db import write_transaction
from tests.conftest import in_thread, make_post

# SQLite has one writer at a time: nothing here can happen there.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

NOW = utcnow()


def test_a_post_committed_by_another_writer_meanwhile_keeps_its_id_and_author(
    engine: sa.Engine,
) -> None:
    post = make_post("1", "Waiting lists are too long #NHS")

    def write() -> writes.UpsertResult:
        with write_transaction(engine) as conn:
            return writes.upsert_posts(conn, [post], now=NOW)

    with engine.connect() as first, first.begin():
        writes.upsert_posts(first, [post], now=NOW)
        second, outcome = in_thread(write)
        second.join(0.5)
        waited = second.is_alive()  # the same rows, not yet committed: it waits
    second.join(10)
    assert waited and not second.is_alive()
    # Unchanged, so the second upsert returned neither row; its ids are looked up anyway.
    [result] = outcome
    assert isinstance(result, writes.UpsertResult), result
    assert set(result.ids) == {("x", "1")} and result.new == 0
    with engine.connect() as conn:
        author_ids = conn.execute(sa.text("SELECT author_id FROM posts")).scalars().all()
    assert len(author_ids) == 1 and author_ids[0] is not None  # not overwritten with NULL


def test_writers_take_rows_in_key_order_and_do_not_deadlock(engine: sa.Engine) -> None:
    # No authors: their upsert comes first and would make the second writer wait there.
    one, two = make_post("1", "one", author=None), make_post("2", "two", author=None)
    first_page, later_page = [one], [two]
    both = [two, one]  # the other order, in one page

    def write_both() -> writes.UpsertResult:
        with write_transaction(engine) as conn:
            return writes.upsert_posts(conn, both, now=NOW)

    with engine.connect() as first, first.begin():
        writes.upsert_posts(first, first_page, now=NOW)
        second, outcome = in_thread(write_both)
        second.join(0.5)
        # The second writer takes post 1 first and waits there, holding nothing of
        # post 2's; had it taken post 2 first, this would wait for it: a deadlock.
        writes.upsert_posts(first, later_page, now=NOW)
    second.join(10)
    [result] = outcome
    assert isinstance(result, writes.UpsertResult), result
    assert set(result.ids) == {("x", "1"), ("x", "2")}

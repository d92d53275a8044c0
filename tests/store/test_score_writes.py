"""Storing scores, on both engines: a post erased meanwhile keeps no score, and on
PostgreSQL (no foreign key since migration 0010) not even when the two overlap."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from listener.models import utcnow
from listener.store import scores, writes
from listener.store.db import write_transaction
from tests.conftest import in_thread, make_post

VERSION = "listener-test"


def store_post(engine: sa.Engine) -> scores.ScoreRow:
    """Store one post; a score row for it."""
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, [make_post("1", "A disgrace #NHS")], now=utcnow())
        post_id, text_hash = conn.execute(sa.text("SELECT id, text_hash FROM posts")).one()
    return (post_id, -0.7, 0.0, 0.5, 0.5, "negative", text_hash)


def stored_scores(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT post_id, label FROM sentiment_scores"))
        return [(post_id, label) for post_id, label in rows]


def delete_posts(conn: sa.Connection) -> None:
    conn.execute(sa.text("DELETE FROM posts"))


def test_a_score_is_stored_and_goes_with_its_post(engine: sa.Engine) -> None:
    row = store_post(engine)
    with write_transaction(engine) as conn:
        assert scores.save_scores(conn, [row], version=VERSION, scored_at=utcnow()) == 1
    assert stored_scores(engine) == [(row[0], "negative")]
    with write_transaction(engine) as conn:
        delete_posts(conn)
    assert stored_scores(engine) == []


def test_a_score_for_a_post_no_longer_stored_is_left_out(engine: sa.Engine) -> None:
    row = store_post(engine)
    with write_transaction(engine) as conn:
        delete_posts(conn)
    with write_transaction(engine) as conn:  # no error: the rest of a batch is stored
        assert scores.save_scores(conn, [row], version=VERSION, scored_at=utcnow()) == 0
    assert stored_scores(engine) == []


# SQLite keeps the foreign key, and has one writer at a time.
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@postgres_only
def test_a_post_deleted_while_its_score_is_written_keeps_no_score(engine: sa.Engine) -> None:
    row = store_post(engine)

    def delete() -> None:
        with write_transaction(engine) as conn:
            delete_posts(conn)

    # Closed on the way out, even on failure, so that no lock outlives the test.
    with engine.connect() as scoring, scoring.begin():
        scores.save_scores(scoring, [row], version=VERSION, scored_at=utcnow())
        deleting, outcome = in_thread(delete)
        deleting.join(0.5)
        waited = deleting.is_alive()  # the deletion's trigger waits for these scores
    deleting.join(10)
    errors = [o for o in outcome if isinstance(o, BaseException)]
    assert waited and not deleting.is_alive() and errors == []
    assert stored_scores(engine) == []


@postgres_only
def test_a_score_written_while_its_post_is_deleted_is_left_out(engine: sa.Engine) -> None:
    row = store_post(engine)

    def save() -> None:
        with write_transaction(engine) as conn:
            scores.save_scores(conn, [row], version=VERSION, scored_at=utcnow())

    with engine.connect() as deleting, deleting.begin():
        delete_posts(deleting)  # the trigger holds the lock until this commits
        scoring, outcome = in_thread(save)
        scoring.join(0.5)
        waited = scoring.is_alive()  # the scores wait for the deletion
    scoring.join(10)
    errors = [o for o in outcome if isinstance(o, BaseException)]
    assert waited and not scoring.is_alive() and errors == []
    assert stored_scores(engine) == []

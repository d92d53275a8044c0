"""A pass's score lookup, on both engines: stored scores are found, the pass's own are
remembered, and a full memory falls back to the store."""

from __future__ import annotations

import sqlalchemy as sa

from listener.models import utcnow
from listener.store import scores, writes
from listener.store.db import write_transaction
from tests.conftest import make_post

VERSION = "listener-test"
PLEASED = (0.6, 0.4, 0.6, 0.0, "positive")
ANGRY = (-0.7, 0.0, 0.5, 0.5, "negative")


def store_posts(engine: sa.Engine, *texts: str) -> list[str]:
    """Store one post per text; their text hashes, in order."""
    posts = [make_post(str(i), text) for i, text in enumerate(texts, start=1)]
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, posts, now=utcnow())
        rows = conn.execute(sa.text("SELECT text_hash FROM posts ORDER BY id")).all()
    return [row[0] for row in rows]


def store_score(engine: sa.Engine, text_hash: str, score: scores.Score, version: str) -> None:
    """Store `score` for the post with `text_hash`."""
    with write_transaction(engine) as conn:
        query = sa.text("SELECT id FROM posts WHERE text_hash = :h")
        post_id = conn.scalar(query, {"h": text_hash})
        scores.save_scores(
            conn, [(post_id, *score, text_hash)], version=version, scored_at=utcnow()
        )


def test_scores_stored_before_the_pass_are_found(engine: sa.Engine) -> None:
    pleased, angry = store_posts(engine, "Great news on bus fares", "A disgrace #NHS")
    store_score(engine, pleased, PLEASED, VERSION)
    store_score(engine, angry, ANGRY, "listener-0")  # another version's: not reused
    with engine.connect() as conn:
        lookup = scores.ScoreLookup(conn, version=VERSION)
        assert lookup.known(conn, [pleased, angry]) == {pleased: PLEASED}


def test_a_pass_remembers_the_scores_it_stored(engine: sa.Engine) -> None:
    pleased, angry = store_posts(engine, "Great news on bus fares", "A disgrace #NHS")
    with engine.connect() as conn:
        lookup = scores.ScoreLookup(conn, version=VERSION)
    store_score(engine, pleased, PLEASED, VERSION)
    lookup.remember({pleased: PLEASED})
    with engine.connect() as conn:
        assert lookup.known(conn, [pleased, angry]) == {pleased: PLEASED}


def test_a_full_memory_looks_up_what_it_forgot(engine: sa.Engine) -> None:
    pleased, angry = store_posts(engine, "Great news on bus fares", "A disgrace #NHS")
    with engine.connect() as conn:
        lookup = scores.ScoreLookup(conn, version=VERSION, limit=1)
    store_score(engine, pleased, PLEASED, VERSION)
    lookup.remember({pleased: PLEASED})
    store_score(engine, angry, ANGRY, VERSION)
    lookup.remember({angry: ANGRY})  # over the limit: the pleased score is forgotten
    with engine.connect() as conn:
        assert lookup.known(conn, [pleased, angry]) == {pleased: PLEASED, angry: ANGRY}


def test_scores_of_a_version_are_told_from_others(engine: sa.Engine) -> None:
    (pleased,) = store_posts(engine, "Great news on bus fares")
    store_score(engine, pleased, PLEASED, "listener-0")
    with engine.connect() as conn:
        assert not scores.has_scores(conn, version=VERSION)
        assert scores.has_scores(conn, version="listener-0")

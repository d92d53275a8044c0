"""Analyze over many batches, on both engines: each text scored once, and the same scores
whether the workers score one batch while the next is read or everything runs in process."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.analysis import scoring_pool, sentiment
from listener.models import utcnow
from listener.store import writes
from listener.store.db import write_transaction
from tests.conftest import make_post

ANGRY = "Waiting lists are a disgrace #NHS"
PLEASED = "Great news on bus fares"
ORIGINAL = "The new rail timetable is a shambles"

# Read two at a time, each text repeats in the next batch (still being scored when
# that batch is read) and in later ones (already stored); post 6 reposts post 5.
POSTS = [
    ("1", ANGRY, {}),
    ("2", PLEASED, {}),
    ("3", ANGRY, {}),
    ("4", "Another day, another strike", {}),
    ("5", ORIGINAL, {}),
    ("6", f"RT @bob: {ORIGINAL}", {"kind": "repost", "analysis_text": ORIGINAL}),
    ("7", PLEASED, {}),
    ("8", "Thanks to the nurses on ward 9", {}),
    ("9", ANGRY, {}),
]
DISTINCT = 5  # ANGRY, PLEASED, the strike, ORIGINAL (and its repost), the nurses


@pytest.fixture
def stored(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    with write_transaction(engine) as conn:
        writes.upsert_posts(
            conn, [make_post(pid, text, **extra) for pid, text, extra in POSTS], now=utcnow()
        )
    monkeypatch.setattr(jobs, "ANALYZE_BATCH", 2)
    return engine


def scores_by_post(engine: sa.Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.native_id, s.compound, s.pos, s.neu, s.neg, s.label"
                " FROM sentiment_scores s JOIN posts p ON p.id = s.post_id"
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def expected_scores() -> dict[str, tuple[Any, ...]]:
    scorer = sentiment.SentimentScorer()
    found = {}
    for pid, text, extra in POSTS:
        s = scorer.score(str(extra.get("analysis_text", text)))
        found[pid] = (s.compound, s.pos, s.neu, s.neg, s.label)
    return found


def test_each_text_is_scored_once_across_batches(stored: sa.Engine) -> None:
    report = jobs.analyze(stored, workers=1)
    assert (report.scored, report.computed, report.reused) == (9, DISTINCT, 9 - DISTINCT)
    assert scores_by_post(stored) == expected_scores()
    assert jobs.analyze(stored, workers=1).scored == 0


def test_workers_give_the_same_scores_from_one_pool(
    stored: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[object] = []
    real_pool = scoring_pool.ProcessPoolExecutor

    def recording_pool(*args: Any, **kwargs: Any) -> Any:
        pools.append(kwargs.get("max_workers"))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(scoring_pool, "ProcessPoolExecutor", recording_pool)
    monkeypatch.setattr(scoring_pool, "PARALLEL_MIN_TEXTS", 1)  # even these tiny batches
    report = jobs.analyze(stored, workers=2)
    assert (report.scored, report.computed) == (9, DISTINCT)
    assert pools == [2]  # started once for the whole pass, not once per batch
    assert scores_by_post(stored) == expected_scores()

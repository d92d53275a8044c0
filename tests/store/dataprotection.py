"""Small factories for the retention and subject rights tests: config, pages, scores, topics."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from listener import jobs
from listener.collectors.base import Page, PostItem
from listener.configfile import ListenerConfig, load_config
from listener.models import Digest
from listener.pages import Linker, PageOrigin, PageTotals, store_page
from listener.query import parse
from listener.store import scores as store_scores
from listener.store import topics as store_topics
from listener.store import weekly
from listener.store.db import write_transaction
from listener.store.queries import search
from listener.store.search_filters import SearchFilters
from listener.weeks import local_date, week_containing

DEPARTMENTS = """\
departments:
  - slug: dhsc
    name: Health
    watches:
      hashtags: ["#NHS"]
  - slug: dfe
    name: Education
    watches:
      hashtags: ["#SEND"]
"""
COUNTED = ("posts", "authors", "post_departments", "post_matches", "sentiment_scores",
           "post_topics", "topics", "topic_runs", "digests", "suppressions")  # fmt: skip


def configure(engine: sa.Engine, tmp_path: Path, extra: str = "") -> ListenerConfig:
    """Write and load a two-department config (plus `extra` YAML), and sync it."""
    path = tmp_path / "listener.yaml"
    path.write_text(DEPARTMENTS + textwrap.dedent(extra), encoding="utf-8")
    config = load_config(path)
    jobs.sync_config(engine, config)
    return config


def store(engine: sa.Engine, *items: PostItem) -> PageTotals:
    """Store posts as a collector's page would be stored, matched against the watches."""
    with engine.connect() as conn:
        linker = Linker(conn)
    totals = PageTotals()
    store_page(engine, Page(posts=list(items)), linker, totals, PageOrigin("test"))
    return totals


def ids(engine: sa.Engine) -> dict[str, int]:
    """Stored post ids by native id."""
    with engine.connect() as conn:
        return {
            native: pk for native, pk in conn.execute(sa.text("SELECT native_id, id FROM posts"))
        }


def score_all(engine: sa.Engine) -> None:
    """Give every stored post a sentiment score (without running VADER)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, text_hash FROM posts")).all()
    scored = [(pk, 0.1, 0.2, 0.7, 0.1, "neutral", text_hash) for pk, text_hash in rows]
    with write_transaction(engine) as conn:
        store_scores.save_scores(conn, scored, version="test", scored_at=datetime.now(UTC))


def model_week(engine: sa.Engine, slug: str, day: datetime, post_ids: list[int]) -> str:
    """Record one topic for a department's week, stamped as current; returns the week label."""
    week = week_containing(local_date(day))
    with write_transaction(engine) as conn:
        dept = weekly.departments(conn, slug)[0].id
        count, stamp = weekly.week_fingerprint(conn, dept, start=week.start, end=week.end)
        topic = store_topics.StoredTopic(
            id=None, position=0, label="walkout · #nhs", terms=["walkout"], hashtags=["#NHS"],
            size=len(post_ids), share=1.0, mean_compound=0.1, is_new=False,
            representative_ids=post_ids, method="test", post_ids=tuple(post_ids),
        )  # fmt: skip
        store_topics.replace_topics(
            conn, dept, week.label, [topic], stamp=(stamp, count, datetime.now(UTC))
        )
    return week.label


def archive_digest(engine: sa.Engine, slug: str, week: str, context: dict[str, Any]) -> None:
    """Archive a digest context as plain JSON (only the parts a test looks at)."""
    table = Digest.__table__  # type: ignore[attr-defined]
    with write_transaction(engine) as conn:
        dept = weekly.departments(conn, slug)[0].id
        conn.execute(
            table.insert(),
            {"department_id": dept, "week": week, "version": "1", "context": context,
             "built_at": datetime.now(UTC)},
        )  # fmt: skip


def counts(engine: sa.Engine) -> dict[str, int]:
    """Rows in every table retention and erasure touch."""
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


def found(engine: sa.Engine, query: str) -> set[str]:
    """Native ids of the posts a search finds (through the full-text index)."""
    with engine.connect() as conn:
        return {r.native_id for r in search(conn, parse(query), SearchFilters(limit=0))}


def column(engine: sa.Engine, sql: str) -> set[Any]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(sql)).scalars())


def digest_contexts(engine: sa.Engine) -> list[Any]:
    """The archived digests' contexts, as the JSON they are."""
    table = Digest.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(table.c.context).order_by(table.c.id)))

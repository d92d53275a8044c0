"""A full disk or a read-only database during collection: the run fails with a clear reason,
pages stored before it are kept, and the next run resumes with nothing lost or duplicated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.collection import collect
from listener.collectors.base import Page
from listener.configfile import load_config
from listener.errors import StoreError
from listener.models import utcnow
from listener.store.cursors import load
from listener.store.db import create_engine
from listener.store.queries import store_counts
from tests.conftest import EXAMPLE_CONFIG
from tests.store.test_collection import Scripted, page, runs


def _refusing(url: str, statement: str) -> sa.Engine:
    """An engine whose every connection runs `statement` first (a full or read-only store)."""
    engine = create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return engine


def _pages() -> list[Page | Exception]:
    big = "x" * 400_000  # far more than the pages a nearly full database has left
    return [page("c1", "1", "2"), page("c2", "3", text=big), page("c3", "4")]


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


def _resume_and_check(engine: sa.Engine) -> None:
    again = Scripted("mastodon", _pages()[1:])
    [run] = collect(engine, {"mastodon": again})
    assert again.cursors_seen == ["c1"] and run.status == "ok"
    with engine.connect() as conn:
        assert store_counts(conn)["posts"] == 4  # 1 and 2 from before, 3 and 4 now: none twice
        assert load(conn, source="mastodon", key="tag:nhs") == "c3"


def test_a_full_sqlite_database_fails_the_run_and_the_next_one_resumes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    engine = create_engine(url)
    jobs.init_database(engine)
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    with engine.connect() as conn:
        used = conn.exec_driver_sql("PRAGMA page_count").scalar()
    engine.dispose()
    full = _refusing(url, f"PRAGMA max_page_count = {int(used or 0) + 40}")
    expected = (
        r"^mastodon: the database could not store this run's posts: database or disk is full;"
        r" pages stored before it are kept"
    )
    with pytest.raises(StoreError, match=expected):
        collect(full, {"mastodon": Scripted("mastodon", _pages())})
    full.dispose()
    engine = create_engine(url)
    assert runs(engine)[-1][:2] == ("mastodon", "failed")
    with engine.connect() as conn:
        assert store_counts(conn)["posts"] == 2
        assert load(conn, source="mastodon", key="tag:nhs") == "c1"
    _resume_and_check(engine)


class TurnsReadOnly(Scripted):
    """Serves its first page, then the database turns read-only (a remount, a failover)."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__("mastodon", _pages())
        self.read_only = False
        sqlite = engine.dialect.name == "sqlite"

        @sa.event.listens_for(engine, "begin")
        def _refuse(conn: sa.Connection) -> None:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA query_only = {int(self.read_only)}")
            elif self.read_only:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    def collect(self, target: Any, *, cursor: str | None, now: Any) -> Any:
        for number, item in enumerate(super().collect(target, cursor=cursor, now=now)):
            self.read_only = number >= 1
            yield item


def test_a_database_turning_read_only_fails_the_run_and_the_next_one_resumes(
    configured: sa.Engine,
) -> None:
    source = TurnsReadOnly(configured)
    with pytest.raises(
        StoreError,
        match=r"^mastodon: the database could not store this run's "
        r"posts: .*read.?only",
    ):
        collect(configured, {"mastodon": source})
    source.read_only = False
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == 2
    # The refused run could not even be recorded; when the source next runs, it is closed.
    with configured.begin() as conn:
        conn.execute(
            sa.text("UPDATE collection_runs SET started_at = :t WHERE status = 'running'"),
            {"t": utcnow() - timedelta(hours=7)},
        )
    _resume_and_check(configured)
    statuses = [status for _, status, _, _ in runs(configured)]
    assert statuses == ["failed", "ok"]

"""A page whose transaction the database ended to break a deadlock is written again, once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listener import jobs, pages
from listener.store import writes
from tests.store.test_jobs import archive, configured

__all__ = ["configured"]  # a fixture, used by name


LINK_WATCHES = writes.link_watches  # the real one, before a test replaces it


class DriverError(Exception):
    """Stands in for the driver's error, with PostgreSQL's SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str) -> tuple[Callable[..., Any], list[int]]:
    """link_watches, failing its first `times` calls as the database would."""
    calls: list[int] = []

    def link_watches(conn: sa.Connection, pairs: Any) -> list[tuple[int, int]]:
        calls.append(1)
        if len(calls) <= times:
            raise sa.exc.OperationalError("INSERT INTO post_matches", {}, DriverError(sqlstate))
        return LINK_WATCHES(conn, pairs)

    return link_watches, calls


def stored_counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("posts", "post_departments", "post_matches")
        )


def test_a_page_ended_by_a_deadlock_is_written_again_and_counted_once(
    configured: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = jobs.ImportRequest(path=archive(tmp_path), format="twarc2")
    link_watches, calls = failing(1, "40P01")  # deadlock_detected
    monkeypatch.setattr(pages.writes, "link_watches", link_watches)

    report = jobs.import_file(configured, request)

    assert len(calls) == 2 and (report.new, report.seen, report.rejected) == (7, 0, 2)
    posts, department_links, watch_links = stored_counts(configured)
    assert posts == 7 and department_links == report.department_links
    assert watch_links == report.watch_links > 0
    with configured.connect() as conn:
        quarantined = conn.execute(sa.text("SELECT count(*) FROM quarantine")).scalar_one()
    assert quarantined == 2  # the bad rows once, not once per attempt


def test_a_page_that_keeps_failing_or_fails_otherwise_stops_the_import(
    configured: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = jobs.ImportRequest(path=archive(tmp_path), format="twarc2")
    for times, sqlstate, attempts in (
        (pages.PAGE_ATTEMPTS, "40P01", pages.PAGE_ATTEMPTS),  # a deadlock every time
        (1, "53100", 1),  # disk_full: not another writer's doing, so not tried again
    ):
        link_watches, calls = failing(times, sqlstate)
        monkeypatch.setattr(pages.writes, "link_watches", link_watches)
        with pytest.raises(sa.exc.OperationalError, match=sqlstate):
            jobs.import_file(configured, request)
        assert len(calls) == attempts and stored_counts(configured) == (0, 0, 0)

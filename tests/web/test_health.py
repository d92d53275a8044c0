"""Collection health: runs, failures and reasons, waits, gaps, and a banner when a source fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener.models import CollectionRun, utcnow
from listener.store.departments import active_watches, department_id
from tests.web.conftest import People, sign_in

RUNS = CollectionRun.__table__  # type: ignore[attr-defined]


def add_run(engine: sa.Engine, hours_ago: float, status: str, **fields: Any) -> None:
    """One finished run of the rss source (every department unless department_id is given)."""
    started = utcnow() - timedelta(hours=hours_ago)
    row = {
        "source": "rss",
        "department_id": None,
        "started_at": started,
        "finished_at": started + timedelta(seconds=20),
        "status": status,
        "detail": {},
        **fields,
    }
    with engine.begin() as conn:
        conn.execute(RUNS.insert(), row)


def test_a_banner_names_a_source_whose_last_three_runs_failed(
    client: TestClient, web_engine: sa.Engine
) -> None:
    add_run(web_engine, 5, "ok", posts_new=12)
    for hours in (3, 2, 1):
        add_run(web_engine, hours, "failed", error="feed returned HTTP 503")
    sign_in(client, People.viewer)
    page = client.get("/health").text
    assert "govuk-notification-banner" in page
    assert "rss: the last 3 runs failed. Latest reason: feed returned HTTP 503" in page
    report = client.get("/api/v1/health").json()
    rss = next(s for s in report["sources"] if s["source"] == "rss")
    assert (rss["runs"], rss["failed"], rss["posts_new"]) == (4, 3, 12)
    assert rss["last_run_status"] == "failed" and rss["last_success_at"] is not None
    assert [f["error"] for f in rss["failures"]] == ["feed returned HTTP 503"] * 3
    assert report["alerts"] == [rss["alert"]]


def test_no_banner_once_the_source_recovers_but_its_failures_stay_listed(
    client: TestClient, web_engine: sa.Engine
) -> None:
    for hours in (4, 3, 2):
        add_run(web_engine, hours, "failed", error="connection reset")
    add_run(web_engine, 0.5, "partial", error="rate limited", rate_limit_wait_seconds=90.0)
    sign_in(client, People.viewer)
    page = client.get("/health").text
    assert "govuk-notification-banner" not in page
    assert "connection reset" in page and "Failures and gaps" in page
    rss = next(s for s in client.get("/api/v1/health").json()["sources"] if s["source"] == "rss")
    assert rss["rate_limit_wait_seconds"] == 90.0 and rss["alert"] == ""


def test_a_banner_when_a_source_has_not_succeeded_for_three_intervals(
    client: TestClient, web_engine: sa.Engine
) -> None:
    add_run(web_engine, 10, "ok")
    add_run(web_engine, 5, "ok")  # rss runs hourly in the example config
    sign_in(client, People.editor)
    report = client.get("/api/v1/health").json()
    assert len(report["alerts"]) == 1 and "rss: no successful run since" in report["alerts"][0]
    rss = next(s for s in report["sources"] if s["source"] == "rss")
    assert len(rss["gaps"]) == 2  # five hours between the runs, and five since the last
    assert "every 1h" in client.get("/health").text


def test_runs_of_one_department_are_seen_only_by_those_who_see_it(
    client: TestClient, web_engine: sa.Engine
) -> None:
    with web_engine.connect() as conn:
        dhsc = department_id(conn, "dhsc")
    for hours in (3, 2, 1):
        add_run(
            web_engine,
            hours,
            "failed",
            source="import:csv",
            department_id=dhsc,
            error="/srv/exports/dhsc-private.csv: not a CSV file",
        )
    sign_in(client, People.viewer)  # dft only
    assert "dhsc-private" not in client.get("/health").text
    assert client.get("/api/v1/health").json()["alerts"] == []
    sign_in(client, People.editor)  # dhsc
    assert "dhsc-private" in client.get("/health").text


def test_each_department_lists_its_watches_the_latest_run_could_not_collect(
    client: TestClient, web_engine: sa.Engine
) -> None:
    with web_engine.connect() as conn:
        dhsc = department_id(conn, "dhsc")
        feed = next(w for w in active_watches(conn) if w.department_id == dhsc and w.kind == "feed")
    targets = {
        f"feed:{feed.value}": {"status": "failed", "reason": "HTTP 404", "watch_ids": [feed.id]}
    }
    add_run(web_engine, 1, "partial", error="HTTP 404", detail={"targets": targets})
    sign_in(client, People.editor)
    report = client.get("/api/v1/health").json()
    (department,) = report["departments"]
    assert department["slug"] == "dhsc"
    assert department["failing_watches"] == [
        {"source": "rss", "watch": f"feed {feed.value}", "status": "failed", "reason": "HTTP 404"}
    ]
    assert f"feed {feed.value}" in client.get("/health").text

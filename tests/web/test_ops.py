"""/healthz, /readyz and /metrics: what an operations team's monitoring reads."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener.lease import open_lease
from listener.models import CollectionRun, utcnow
from listener.store.db import write_transaction

RUNS = CollectionRun.__table__  # type: ignore[attr-defined]


def add_run(engine: sa.Engine, *, source: str, status: str, age: timedelta, posts: int = 0) -> None:
    started = utcnow() - age
    with write_transaction(engine) as conn:
        conn.execute(
            RUNS.insert(),
            {
                "source": source,
                "started_at": started,
                "finished_at": started,
                "status": status,
                "posts_new": posts,
                "posts_seen": posts,
                "items_rejected": 0,
                "pages": 1,
                "rate_limit_wait_seconds": 12.5 if status == "ok" else 0.0,
                "error": "",
            },
        )


def test_healthz_answers_without_signing_in(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_needs_a_scheduler_and_fresh_sources(
    client: TestClient, web_engine: sa.Engine
) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["checks"]["database"] == "ok"
    assert body["checks"]["scheduler"] == "no scheduler holds the lease"
    assert body["checks"]["sources"]["rss"] == "stale: never succeeded"  # rss is enabled (1h)
    lease = open_lease(web_engine)
    assert lease.try_acquire()
    try:
        add_run(web_engine, source="rss", status="ok", age=timedelta(hours=2), posts=3)
        response = client.get("/readyz")
        assert response.status_code == 200, response.json()
        assert response.json()["checks"]["sources"]["rss"].startswith("ok: last success")
        add_run(web_engine, source="rss", status="failed", age=timedelta(minutes=1))
        assert client.get("/readyz").status_code == 200  # one failure is not yet stale
    finally:
        lease.release()


def test_metrics_report_runs_posts_lag_and_http_latency(
    client: TestClient, web_engine: sa.Engine
) -> None:
    add_run(web_engine, source="rss", status="ok", age=timedelta(minutes=5), posts=7)
    add_run(web_engine, source="rss", status="failed", age=timedelta(minutes=1))
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'listener_posts_collected_total{source="rss"} 7.0' in text
    assert 'listener_collection_runs_total{source="rss",status="failed"} 1.0' in text
    assert 'listener_rate_limit_wait_seconds_total{source="rss"} 12.5' in text
    assert "listener_analysis_lag_posts 0.0" in text
    assert 'listener_http_request_duration_seconds_count{method="GET",route="/healthz"' in text

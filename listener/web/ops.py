"""Operations endpoints: /readyz and Prometheus /metrics (aggregates only, no personal data)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.middleware.base import BaseHTTPMiddleware

from listener.configfile import load_config
from listener.lease import current_holder
from listener.models import utcnow
from listener.store import ops
from listener.web.deps import web_state

router = APIRouter()
# A source is stale when it has not succeeded for this many of its intervals.
STALE_INTERVALS = 3


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> Response:
    """Ready: the database answers, a scheduler holds the lease, every source succeeded lately."""
    state = web_state(request)
    checks: dict[str, object] = {}
    try:
        with state.engine.connect() as conn:
            checks["database"] = "ok" if ops.reachable(conn) else "failing"
            successes = ops.last_success(conn)
    except sa.exc.SQLAlchemyError as exc:
        checks["database"] = f"failing: {type(exc).__name__}"
        return JSONResponse({"ready": False, "checks": checks}, status_code=503)
    holder = current_holder(state.engine)
    checks["scheduler"] = f"active: {holder.tag}" if holder else "no scheduler holds the lease"
    ready = holder is not None
    sources: dict[str, str] = {}
    now = utcnow()
    for name, source in load_config(Path(state.config_path)).sources.items():
        if not source.enabled:
            continue
        last = successes.get(name)
        window = source.interval * STALE_INTERVALS
        fresh = last is not None and now - last <= window + timedelta(minutes=5)
        if last is None:
            sources[name] = "stale: never succeeded"
        else:
            sources[name] = f"{'ok' if fresh else 'stale'}: last success {last.isoformat()}"
        ready = ready and fresh
    checks["sources"] = sources
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


class _StoreCollector(Collector):
    """Figures read from the database at scrape time, so every process reports the same."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        with self.engine.connect() as conn:
            totals = ops.run_totals(conn)
            platforms = ops.posts_by_platform(conn)
            lag_posts, oldest = ops.analysis_lag(conn)
            deliveries = ops.deliveries_by_status(conn)
        collected = CounterMetricFamily(
            "listener_posts_collected", "New posts stored by collection runs", labels=["source"]
        )
        runs = CounterMetricFamily(
            "listener_collection_runs", "Collection runs by outcome", labels=["source", "status"]
        )
        waits = CounterMetricFamily(
            "listener_rate_limit_wait_seconds",
            "Time spent waiting for rate limits",
            labels=["source"],
        )
        by_source: dict[str, tuple[int, float]] = {}
        for t in totals:
            runs.add_metric([t.source, t.status], t.runs)
            posts, waited = by_source.get(t.source, (0, 0.0))
            by_source[t.source] = (posts + t.posts_new, waited + t.waited_seconds)
        for source, (posts, waited) in sorted(by_source.items()):
            collected.add_metric([source], posts)
            waits.add_metric([source], waited)
        stored = GaugeMetricFamily("listener_posts_stored", "Posts stored", labels=["platform"])
        for platform, count in sorted(platforms.items()):
            stored.add_metric([platform], count)
        lag = GaugeMetricFamily("listener_analysis_lag_posts", "Posts waiting for analysis")
        lag.add_metric([], lag_posts)
        age = GaugeMetricFamily(
            "listener_analysis_lag_seconds", "Age of the oldest post waiting for analysis"
        )
        age.add_metric([], (utcnow() - oldest).total_seconds() if oldest else 0.0)
        sent = GaugeMetricFamily(
            "listener_digest_deliveries", "Digest deliveries by status", labels=["status"]
        )
        for status, count in sorted(deliveries.items()):
            sent.add_metric([status], count)
        yield from (collected, runs, waits, stored, lag, age, sent)


def install_metrics(app: FastAPI, engine: sa.Engine) -> None:
    """A registry per app (so tests can build many), the store collector and HTTP latency."""
    registry = CollectorRegistry()
    registry.register(_StoreCollector(engine))
    latency = Histogram(
        "listener_http_request_duration_seconds",
        "HTTP request latency",
        ["method", "route", "status"],
        registry=registry,
    )
    app.state.metrics = registry

    class Timing(BaseHTTPMiddleware):
        async def dispatch(
            self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            # The route's template, not the path: one series per page, not per post id.
            name = getattr(route, "path", "unmatched")
            latency.labels(request.method, name, str(response.status_code)).observe(
                time.perf_counter() - started
            )
            return response

    app.add_middleware(Timing)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)

"""Collection health: runs per source and department, failures and why, waits, gaps, alerts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from listener.configfile import SOURCE_NAMES, SourceConfig, format_interval, load_config
from listener.errors import ConfigError
from listener.models import utcnow
from listener.store import runs as store_runs
from listener.store import watches as store_watches
from listener.store.weekly import Department
from listener.web.auth import Principal
from listener.web.deps import User, departments, web_state
from listener.web.templating import page

router = APIRouter()

WINDOW = timedelta(days=7)
FAILURES_IN_A_ROW = 3  # this many failed runs in a row raise the alarm
STALE_INTERVALS = 3  # so does no success for this many of the source's intervals
MAX_FAILURES_SHOWN = 10


class Failure(BaseModel):
    started_at: datetime
    status: str  # failed | partial
    error: str
    department: str | None  # slug, or None for a run covering every department


class Gap(BaseModel):
    """A stretch with no successful run, longer than STALE_INTERVALS intervals."""

    start: datetime
    end: datetime


class SourceHealth(BaseModel):
    source: str
    enabled: bool  # in the config and switched on (file imports: False)
    interval: str | None  # e.g. "15m"; None when the config does not schedule it
    last_run_at: datetime | None
    last_run_status: str | None  # running | ok | partial | failed
    last_success_at: datetime | None
    runs: int  # in the window
    failed: int
    partial: int
    posts_new: int
    rate_limit_wait_seconds: float
    rate_limited_until: str | None  # from the latest run, when a limit held it back
    failures: list[Failure]  # newest first, at most MAX_FAILURES_SHOWN
    gaps: list[Gap]
    alert: str  # why this source needs attention; "" when it does not


class FailingWatch(BaseModel):
    source: str
    watch: str  # e.g. "hashtag #NHS"
    status: str  # partial | failed
    reason: str


class DepartmentSource(BaseModel):
    source: str
    runs: int
    failed: int
    last_success_at: datetime | None


class DepartmentHealth(BaseModel):
    slug: str
    name: str
    sources: list[DepartmentSource]
    failing_watches: list[FailingWatch]  # in each source's latest finished run


class Health(BaseModel):
    generated_at: datetime
    window_start: datetime
    config_problem: str  # why intervals are unknown, if the config file could not be read
    alerts: list[str]
    sources: list[SourceHealth]
    departments: list[DepartmentHealth]


def _config_sources(request: Request) -> tuple[dict[str, SourceConfig], str]:
    try:
        config = load_config(Path(web_state(request).config_path))
    except ConfigError as exc:
        return {}, str(exc)
    return dict(config.sources), ""


@dataclass(frozen=True)
class _Reading:
    """What every part of one report reads from."""

    conn: sa.Connection
    now: datetime
    recent: list[store_runs.Run]  # in the window, newest first
    scope: Collection[int] | None  # the departments whose runs the user may see (None: all)
    slugs: dict[int, str]


def health(request: Request, user: Principal) -> Health:
    """The health report for the sources and departments this user may see."""
    now = utcnow()
    start = now - WINDOW
    configured, problem = _config_sources(request)
    visible = departments(request, user)
    scope: Collection[int] | None = None if user.is_admin else [d.id for d in visible]
    with web_state(request).engine.connect() as conn:
        recent = store_runs.since(conn, start, departments=scope)
        reading = _Reading(conn, now, recent, scope, {d.id: d.slug for d in visible})
        names = [s for s in SOURCE_NAMES if s in configured]
        names += [s for s in store_runs.sources(conn, departments=scope) if s not in names]
        sources = [_source(reading, name, configured.get(name)) for name in names]
        per_department = [_department(reading, d, names) for d in visible]
    return Health(
        generated_at=now,
        window_start=start,
        config_problem=problem,
        alerts=[s.alert for s in sources if s.alert],
        sources=sources,
        departments=per_department,
    )


def _source(reading: _Reading, name: str, config: SourceConfig | None) -> SourceHealth:
    conn, scope, now = reading.conn, reading.scope, reading.now
    mine = [r for r in reading.recent if r.source == name]
    last = store_runs.last_finished(conn, name, departments=scope, limit=FAILURES_IN_A_ROW)
    latest = last[:1]
    success = store_runs.last_success(conn, name, departments=scope)
    interval = config.interval if config and config.enabled else None
    failures = [
        Failure(
            started_at=r.started_at,
            status=r.status,
            error=r.error or "no reason recorded",
            department=reading.slugs.get(r.department_id) if r.department_id else None,
        )
        for r in mine
        if r.status in ("failed", "partial")
    ]
    gaps = _gaps(mine, interval, now=now) if interval else []
    return SourceHealth(
        source=name,
        enabled=bool(config and config.enabled),
        interval=format_interval(interval) if interval else None,
        last_run_at=mine[0].started_at if mine else (latest[0].started_at if latest else None),
        last_run_status=mine[0].status if mine else (latest[0].status if latest else None),
        last_success_at=success,
        runs=len(mine),
        failed=sum(r.status == "failed" for r in mine),
        partial=sum(r.status == "partial" for r in mine),
        posts_new=sum(r.posts_new for r in mine),
        rate_limit_wait_seconds=round(sum(r.rate_limit_wait_seconds for r in mine), 1),
        rate_limited_until=_limited_until(latest),
        failures=failures[:MAX_FAILURES_SHOWN],
        gaps=gaps,
        alert=_alert(name, last, success, interval, now=now),
    )


def _limited_until(latest: list[store_runs.Run]) -> str | None:
    until = latest[0].detail.get("rate_limited_until") if latest else None
    return until if isinstance(until, str) else None


def _alert(
    name: str,
    last: list[store_runs.Run],
    success: datetime | None,
    interval: timedelta | None,
    *,
    now: datetime,
) -> str:
    """Why the source needs attention, in a sentence; "" when it does not."""
    if len(last) == FAILURES_IN_A_ROW and all(r.status == "failed" for r in last):
        reason = last[0].error or "no reason recorded"
        return f"{name}: the last {FAILURES_IN_A_ROW} runs failed. Latest reason: {reason}"
    if interval and success and now - success > STALE_INTERVALS * interval:
        return (
            f"{name}: no successful run since {success:%d %b %Y %H:%M} UTC"
            f" (it should run every {format_interval(interval)})"
        )
    return ""


def _gaps(mine: list[store_runs.Run], interval: timedelta, *, now: datetime) -> list[Gap]:
    """Stretches between successful runs (and since the last) longer than the alarm allows."""
    times = sorted(r.started_at for r in mine if r.status in store_runs.SUCCEEDED)
    limit = STALE_INTERVALS * interval
    found = [Gap(start=a, end=b) for a, b in pairwise(times) if b - a > limit]
    if times and now - times[-1] > limit:
        found.append(Gap(start=times[-1], end=now))
    return found


def _department(reading: _Reading, department: Department, names: list[str]) -> DepartmentHealth:
    conn = reading.conn
    mine = [r for r in reading.recent if r.department_id in (None, department.id)]
    labels = {w.id: w.key.label for w in store_watches.listed(conn, department.id)}
    sources: list[DepartmentSource] = []
    failing: list[FailingWatch] = []
    for name in names:
        runs = [r for r in mine if r.source == name]
        scope = [department.id]
        success = store_runs.last_success(conn, name, departments=scope)
        if not runs and success is None:
            continue
        sources.append(
            DepartmentSource(
                source=name,
                runs=len(runs),
                failed=sum(r.status == "failed" for r in runs),
                last_success_at=success,
            )
        )
        latest = store_runs.last_finished(conn, name, departments=scope, limit=1)
        if latest:
            failing += _failing_watches(name, latest[0].detail, labels)
    return DepartmentHealth(
        slug=department.slug, name=department.name, sources=sources, failing_watches=failing
    )


def _failing_watches(
    source: str, detail: dict[str, Any], labels: dict[int, str]
) -> list[FailingWatch]:
    """This department's watches that a run's targets could not collect, with the reason."""
    found = []
    targets = detail.get("targets")
    for target in targets.values() if isinstance(targets, dict) else ():
        if not isinstance(target, dict) or target.get("status") not in ("partial", "failed"):
            continue
        ids = target.get("watch_ids")
        for watch_id in ids if isinstance(ids, list) else ():
            if watch_id in labels:
                found.append(
                    FailingWatch(
                        source=source,
                        watch=labels[watch_id],
                        status=str(target["status"]),
                        reason=str(target.get("reason") or "no reason recorded"),
                    )
                )
    return found


@router.get("/health", include_in_schema=False)
def health_page(request: Request, user: User) -> Response:
    return page(request, "health/health.html", report=health(request, user))


@router.get("/api/v1/health", tags=["health"], response_model=Health)
def health_api(request: Request, user: User) -> Health:
    """Collection health over the last 7 days: per source, per department, and alerts."""
    return health(request, user)

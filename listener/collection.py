"""Use-case: one collection pass over live sources, each page stored with its cursor.

Sources are independent: a source that fails (revoked credential, a platform
that is down) is recorded as failed and the others carry on. A rate limit that
resets too late to wait for ends that source's run cleanly as partial, with
every cursor already saved and the wait recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from listener.collectors.base import Collector, Target
from listener.errors import CollectorError, RateLimited, Stopping, StoreError
from listener.matching import WatchSpec
from listener.models import utcnow
from listener.pages import (
    Linker,
    PageOrigin,
    PageTotals,
    RunOutcome,
    finish_run,
    start_run,
    store_page,
)
from listener.store import cursors
from listener.store import departments as store_departments

log = logging.getLogger("listener.collection")


@dataclass
class SourceRun:
    """How one source's run went."""

    source: str
    status: str = "ok"  # ok | partial | failed
    error: str = ""
    totals: PageTotals = field(default_factory=PageTotals)
    # target key -> {"status": ok | partial | failed, "reason", "watch_ids"}: with the run's
    # start time this says, per department and day, which watches were collected or failed.
    targets: dict[str, dict[str, object]] = field(default_factory=dict)
    rate_limit_wait_seconds: float = 0.0
    rate_limited_until: str | None = None  # collection held back by a limit until then
    run_id: int | None = None

    def downgrade(self, status: str, reason: str) -> None:
        """Record a problem; the run's status only ever gets worse."""
        order = ("ok", "partial", "failed")
        if order.index(status) > order.index(self.status):
            self.status = status
        self.error = self.error or reason


def collect(
    engine: sa.Engine,
    collectors: Mapping[str, Collector],
    *,
    department: str | None = None,
    on_page: Callable[[SourceRun], None] | None = None,
) -> list[SourceRun]:
    """Run every given collector once over the active watches (of one department, if named)."""
    with engine.connect() as conn:
        linker = Linker(conn)
        department_id = store_departments.department_id(conn, department) if department else None
    watches = [
        w for w in linker.watches if department_id is None or w.department_id == department_id
    ]
    runs = []
    for name, collector in collectors.items():
        run = SourceRun(name)
        run_id = start_run(engine, name, department_id=department_id, detail={})
        run.run_id = run_id
        try:
            _collect_source(engine, collector, linker, watches, run, on_page)
        except Stopping as exc:  # a clean stop: committed pages and cursors are kept
            run.downgrade("partial", str(exc))
            _finish(engine, run_id, run, collector)
            raise
        except sa.exc.DBAPIError as exc:  # the database refused a write: full, read-only, gone
            reason = f"the database could not store this run's posts: {_first_line(exc)}"
            run.downgrade("failed", reason)
            _finish_if_possible(engine, run_id, run, collector)
            raise StoreError(
                f"{name}: {reason}; pages stored before it are kept and the next run resumes"
            ) from exc
        except BaseException as exc:  # an interrupt still closes the record
            run.downgrade("failed", str(exc) or type(exc).__name__)
            _finish(engine, run_id, run, collector)
            raise
        _finish(engine, run_id, run, collector)
        runs.append(run)
    return runs


def _collect_source(
    engine: sa.Engine,
    collector: Collector,
    linker: Linker,
    watches: list[WatchSpec],
    run: SourceRun,
    on_page: Callable[[SourceRun], None] | None,
) -> None:
    try:
        targets = collector.targets(watches)
    except CollectorError as exc:
        run.downgrade("failed", str(exc))
        return
    failed = 0
    for target in targets:
        try:
            _collect_target(engine, collector, linker, target, run, on_page)
            run.targets[target.key] = _target_status(target, "ok")
        except RateLimited as exc:
            run.rate_limit_wait_seconds += exc.waited_seconds
            run.targets[target.key] = _target_status(target, "partial", str(exc))
            run.downgrade("partial", f"rate limited until {exc.resume_at:%Y-%m-%d %H:%M} UTC")
            run.rate_limited_until = exc.resume_at.isoformat()
            return  # the limit covers the whole source: stop here, every cursor is saved
        except CollectorError as exc:
            # One feed, tag or account failing (a broken feed, a timeline that needs
            # sign-in) must not stop the others; a rejected credential fails them all.
            failed += 1
            run.targets[target.key] = _target_status(target, "failed", str(exc))
            run.downgrade("partial", str(exc))
    if targets and failed == len(targets):
        run.downgrade("failed", run.error)
    if collector.report.partial:
        run.downgrade("partial", collector.report.notes[-1] if collector.report.notes else "")


def _target_status(target: Target, status: str, reason: str = "") -> dict[str, object]:
    return {"status": status, "reason": reason, "watch_ids": list(target.watch_ids)}


def _collect_target(
    engine: sa.Engine,
    collector: Collector,
    linker: Linker,
    target: Target,
    run: SourceRun,
    on_page: Callable[[SourceRun], None] | None,
) -> None:
    with engine.connect() as conn:
        cursor = cursors.load(conn, source=collector.name, key=target.key)
    for page in collector.collect(target, cursor=cursor, now=utcnow()):
        origin = PageOrigin(collector.name, run.run_id, target.key, target.watch_ids)
        store_page(engine, page, linker, run.totals, origin)
        if page.rejected:
            run.downgrade("partial", f"{len(page.rejected)} malformed items quarantined")
        if on_page is not None:
            on_page(run)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _finish_if_possible(
    engine: sa.Engine, run_id: int, run: SourceRun, collector: Collector
) -> None:
    """Close the run record unless the database refuses that too.

    A read-only database cannot record the failure; `start_run` then closes the
    record as interrupted when the source next runs.
    """
    try:
        _finish(engine, run_id, run, collector)
    except sa.exc.DBAPIError:
        log.warning(
            "run %s of %s could not be closed: the database refused the write", run_id, run.source
        )


def _finish(engine: sa.Engine, run_id: int, run: SourceRun, collector: Collector) -> None:
    # Clients count every second they slept on rate limits, including the sleeps of a
    # request that then gave up (which RateLimited also carries): count them once.
    client_waits = getattr(collector, "rate_limit_waited", None)
    waited = float(client_waits) if client_waits is not None else run.rate_limit_wait_seconds
    report = collector.report
    detail = {
        "targets": run.targets,
        "skipped": report.skipped,
        "notes": report.notes,
        "rate_limited_until": run.rate_limited_until,
    }
    finish_run(engine, run_id, run.totals, RunOutcome(run.status, run.error, waited, detail))

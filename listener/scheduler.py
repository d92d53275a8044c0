"""The service (`listener run`): map each source's schedule to a job, under the scheduler lease.

Jobs (APScheduler 3.11, in-process threads, all coalesced, never overlapping):

- ``collect:<source>``, one per enabled source, every ``interval`` from the
  config, first run as soon as the scheduler starts (so a restart after
  downtime catches up once, never once per missed interval). Each run builds
  the source's collector afresh and calls `listener.collection.collect`, which
  reads the active watches from the database: watches added or removed in the
  web app or by ``config import`` take effect at the next run.
- ``analyze``: scores whatever is pending. A finished collection wakes it at
  once; it also runs every `ANALYZE_EVERY` as a backstop for a wake-up that
  arrived while it was already running (max_instances=1 skips that one).
- ``digest``: every Monday at 07:00 Europe/London, build and send each department's
  digest for the week just ended. It also runs once when the service starts, so a
  Monday missed while the service was down is caught up once (the delivery ledger
  makes every run after the first a no-op); ``digest-retry`` runs it every
  `DIGEST_RETRY_EVERY` to resend what a server deferred (4xx) or a crash interrupted.
- ``retention``: every day at 03:30 Europe/London, delete what is past the config's
  retention periods (`listener.retention`), in committed batches that stop when the
  service stops; also once at start, so a night missed while down is caught up.
- ``deletions``: every day at 04:15 Europe/London, ask X, Mastodon and Bluesky which
  recent stored posts were deleted or made private at source (`listener.deletions`),
  and remove them; not at start, since every check spends platform quota.

`listener.service` wires the real collectors, analysis, digests and housekeeping in.
Only the holder of the lease (`listener.lease`) runs jobs; a second service
waits as a standby and polls the lease. SIGTERM or SIGINT stops new jobs,
lets a running collection finish the page in hand (pages commit with their
cursor), shuts the scheduler down, releases the lease and returns.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from listener import logs
from listener.collectors.http import Clock
from listener.errors import Stopping, StoreError
from listener.lease import Lease, open_lease

if TYPE_CHECKING:
    from rich.console import Console

    from listener.collectors.base import Collector
    from listener.configfile import ListenerConfig

log = logging.getLogger("listener.scheduler")

ANALYZE_JOB = "analyze"
DIGEST_JOB = "digest"
RETENTION_JOB = "retention"
DELETIONS_JOB = "deletions"
DIGEST_RETRY_EVERY = timedelta(minutes=30)
ANALYZE_EVERY = timedelta(minutes=10)
# APScheduler 3.x skips a run that is more than 1 s late by default. With coalesce the
# only run time considered is the latest missed one, less than one interval old, so a
# grace of at least one interval means a missed run always happens once, late.
MIN_MISFIRE_GRACE = timedelta(minutes=1)
STANDBY_POLL_SECONDS = 5.0  # a standby takes over within this long of the lease coming free
LEASE_CHECK_SECONDS = 15.0  # how often the active service confirms it still holds the lease
THREADS = 8

CollectorBuilder = Callable[[Sequence[str]], Mapping[str, "Collector"]]
Analyzer = Callable[[sa.Engine, Callable[[], None]], object]  # (engine, checkpoint)
Digester = Callable[[sa.Engine, datetime], object]  # (engine, now)
Retainer = Callable[[sa.Engine, Callable[[], None]], object]  # (engine, checkpoint)


@dataclass(frozen=True)
class Schedule:
    """What the service runs: each enabled source's interval."""

    sources: Mapping[str, timedelta]
    analyze_every: timedelta = ANALYZE_EVERY


def schedule_from_config(config: ListenerConfig) -> Schedule:
    """One collection job per enabled source, at its configured interval."""
    return Schedule({name: s.interval for name, s in config.sources.items() if s.enabled})


@dataclass(frozen=True)
class JobDeps:
    """What the jobs need, passed in so tests can give fakes."""

    engine: sa.Engine
    build: CollectorBuilder  # source names -> collectors, built afresh for each run
    analyze: Analyzer
    stopping: threading.Event = field(default_factory=threading.Event)
    digest: Digester | None = None  # None: no digest jobs
    retention: Retainer | None = None  # None: no retention job
    deletions: Retainer | None = None  # None: no deletion checks

    def checkpoint(self, *_: object) -> None:
        """Called after each committed page or batch: stop here if the service is stopping."""
        if self.stopping.is_set():
            raise Stopping("the service is stopping; committed pages are kept")


@dataclass(frozen=True)
class JobSpec:
    """A job to register: its id, when it runs, and what it calls."""

    id: str
    trigger: BaseTrigger
    func: Callable[..., object]
    args: tuple[Any, ...] = ()
    misfire_grace: timedelta = MIN_MISFIRE_GRACE
    run_at_start: bool = True  # else the first run is one interval after the start


def later_jobs(deps: JobDeps) -> list[JobSpec]:
    """The weekly digest jobs (when the service sends digests) and the daily retention job."""
    specs = []
    if deps.digest is not None:
        monday = CronTrigger(day_of_week="mon", hour=7, minute=0, timezone="Europe/London")
        retry = IntervalTrigger(seconds=DIGEST_RETRY_EVERY.total_seconds(), timezone=UTC)
        specs += [
            JobSpec(DIGEST_JOB, monday, digest_job, (deps,), misfire_grace=timedelta(hours=12)),
            JobSpec(
                f"{DIGEST_JOB}-retry",
                retry,
                digest_job,
                (deps,),
                DIGEST_RETRY_EVERY,
                run_at_start=False,
            ),
        ]
    if deps.retention is not None:
        nightly = CronTrigger(hour=3, minute=30, timezone="Europe/London")
        grace = timedelta(hours=12)
        specs.append(JobSpec(RETENTION_JOB, nightly, retention_job, (deps,), misfire_grace=grace))
    if deps.deletions is not None:
        # Not at start: each check spends platform quota (X counts lookups against its cap).
        daily = CronTrigger(hour=4, minute=15, timezone="Europe/London")
        specs.append(
            JobSpec(
                DELETIONS_JOB,
                daily,
                deletions_job,
                (deps,),
                timedelta(hours=12),
                run_at_start=False,
            )
        )
    return specs


# --- the jobs ------------------------------------------------------------------------------


def collect_job(deps: JobDeps, source: str, *, then: Callable[[], None]) -> None:
    """One scheduled run of one source: a fresh collector, one collection pass, then `then`."""
    from listener.collection import collect

    started = time.monotonic()
    _event("job.start", job=f"collect:{source}", source=source)
    try:
        runs = collect(deps.engine, deps.build([source]), on_page=deps.checkpoint)
    except Stopping:
        _event("job.end", job=f"collect:{source}", source=source, status="stopped")
        return
    except Exception as exc:
        _event("job.end", job=f"collect:{source}", source=source, status="error", error=exc)
        raise  # APScheduler logs the traceback: this is a bug or the database, not the source
    for run in runs:
        t = run.totals
        _event(
            "job.end",
            job=f"collect:{source}",
            source=run.source,
            run_id=run.run_id,
            status=run.status,
            new=t.new,
            seen=t.seen,
            pages=t.pages,
            waited=round(run.rate_limit_wait_seconds),
            seconds=round(time.monotonic() - started, 1),
            error=run.error,
        )
    then()


def analyze_job(deps: JobDeps) -> None:
    """One analysis pass over whatever is pending."""
    started = time.monotonic()
    _event("job.start", job=ANALYZE_JOB)
    try:
        deps.analyze(deps.engine, deps.checkpoint)
    except Stopping:
        _event("job.end", job=ANALYZE_JOB, status="stopped")
        return
    except Exception as exc:
        _event("job.end", job=ANALYZE_JOB, status="error", error=exc)
        raise
    _event("job.end", job=ANALYZE_JOB, status="ok", seconds=round(time.monotonic() - started, 1))


def digest_job(deps: JobDeps) -> None:
    """Build and send the due week's digests; the ledger makes repeats no-ops."""
    assert deps.digest is not None
    started = time.monotonic()
    _event("job.start", job=DIGEST_JOB)
    try:
        report = deps.digest(deps.engine, datetime.now(UTC))
    except Exception as exc:
        _event("job.end", job=DIGEST_JOB, status="error", error=exc)
        raise
    counts = {}
    for name in ("sent", "already_sent", "deferred", "failed"):
        counts[name] = getattr(report, name, 0)
    _event(
        "job.end",
        job=DIGEST_JOB,
        status="ok",
        seconds=round(time.monotonic() - started, 1),
        **counts,
    )


def retention_job(deps: JobDeps) -> None:
    """Delete what is past retention; stops between committed batches when the service stops."""
    assert deps.retention is not None
    _housekeeping(deps, RETENTION_JOB, deps.retention)


def deletions_job(deps: JobDeps) -> None:
    """Remove recent posts their platform says were deleted or made private."""
    assert deps.deletions is not None
    _housekeeping(deps, DELETIONS_JOB, deps.deletions)


def _housekeeping(deps: JobDeps, job: str, work: Retainer) -> None:
    started = time.monotonic()
    _event("job.start", job=job)
    try:
        report = work(deps.engine, deps.checkpoint)
    except Stopping:
        _event("job.end", job=job, status="stopped")
        return
    except Exception as exc:
        _event("job.end", job=job, status="error", error=exc)
        raise
    counts = {
        name: getattr(report, name)
        for name in ("posts_deleted", "accounts_deleted")
        if hasattr(report, name)
    }
    _event("job.end", job=job, status="ok", seconds=round(time.monotonic() - started, 1), **counts)


# --- the scheduler -------------------------------------------------------------------------


def build_scheduler(schedule: Schedule, deps: JobDeps) -> BackgroundScheduler:
    """A scheduler (not started) with every job registered."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": _seconds(MIN_MISFIRE_GRACE),
        },
    )
    for spec in job_specs(schedule, deps, wake=lambda: _wake(scheduler, ANALYZE_JOB)):
        grace = max(spec.misfire_grace, MIN_MISFIRE_GRACE)
        first = {"next_run_time": datetime.now(UTC)} if spec.run_at_start else {}
        scheduler.add_job(
            spec.func,
            spec.trigger,
            args=spec.args,
            id=spec.id,
            name=spec.id,
            misfire_grace_time=_seconds(grace),
            **first,
        )
    return scheduler


def job_specs(schedule: Schedule, deps: JobDeps, *, wake: Callable[[], None]) -> list[JobSpec]:
    """Every job the schedule calls for; `wake` runs the analysis job now."""
    specs = [
        JobSpec(
            id=f"collect:{name}",
            trigger=IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC),
            func=lambda deps, name: collect_job(deps, name, then=wake),
            args=(deps, name),
            misfire_grace=interval,
        )
        for name, interval in schedule.sources.items()
    ]
    every = schedule.analyze_every
    # Not at start: a collection wakes it, so it never races the first collections.
    analyze = IntervalTrigger(seconds=every.total_seconds(), timezone=UTC)
    specs.append(JobSpec(ANALYZE_JOB, analyze, analyze_job, (deps,), every, run_at_start=False))
    return specs + later_jobs(deps)


def _wake(scheduler: BackgroundScheduler, job_id: str) -> None:
    """Run a job as soon as possible (coalesced; skipped if it is running already)."""
    # A wake-up racing shutdown has nothing left to wake.
    with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
        if scheduler.running:
            scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))


def _seconds(interval: timedelta) -> int:
    return max(1, round(interval.total_seconds()))


# --- the service ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """How often the service polls the lease, as a standby and while active."""

    standby_poll: float = STANDBY_POLL_SECONDS
    lease_check: float = LEASE_CHECK_SECONDS


def stoppable_clock(stopping: threading.Event) -> Clock:
    """A clock for HTTP clients whose waits (backoff, rate limits) end when the service stops."""

    def sleep(seconds: float) -> None:
        if stopping.wait(seconds):
            raise Stopping("the service is stopping; committed pages are kept")

    return Clock(sleep=sleep)


def serve(schedule: Schedule, deps: JobDeps, *, console: Console, timings: Timings) -> None:
    """Wait for the lease, run the scheduler while holding it, stop when `deps.stopping` is set."""
    lease = open_lease(deps.engine)
    try:
        if not wait_for_lease(lease, deps.stopping, console=console, poll=timings.standby_poll):
            _event("service.stopped", role="standby")
            console.print("scheduler: stopped while on standby")
            return
        console.print(
            f"scheduler: active ({len(schedule.sources)} sources: "
            f"{', '.join(schedule.sources) or 'none'})"
        )
        _event("service.active", sources=",".join(schedule.sources))
        scheduler = build_scheduler(schedule, deps)
        scheduler.start()
        try:
            _hold(lease, deps.stopping, every=timings.lease_check)
        finally:
            deps.stopping.set()  # running jobs stop at their next committed page
            scheduler.shutdown(wait=True)
    finally:
        lease.release()
    _event("service.stopped")
    console.print("scheduler: stopped, lease released")


def wait_for_lease(
    lease: Lease, stopping: threading.Event, *, console: Console, poll: float
) -> bool:
    """Take the lease, waiting as a standby while another service holds it; False if stopped."""
    announced = False
    while not lease.try_acquire():
        if not announced:
            holder = lease.holder()
            console.print(f"scheduler: standby; the lease is held by {holder or 'another process'}")
            _event("service.standby", holder=holder or "")
            announced = True
        if stopping.wait(poll):
            return False
    return True


def _hold(lease: Lease, stopping: threading.Event, *, every: float) -> None:
    """Block until stopping; raise if the lease is lost (another service may take over)."""
    while not stopping.wait(every):
        if not lease.check():
            _event("service.lease_lost")
            raise StoreError(
                "lost the scheduler lease (database connection dropped); stopping so that"
                " only one scheduler runs — restart the service"
            )


@contextmanager
def stop_on_signals(stopping: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT set `stopping` instead of killing the process."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        _event("service.signal", signal=signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# --- logging -------------------------------------------------------------------------------


def configure_logging() -> None:
    """Job and service events go to stderr, one structured line each (see listener.logs)."""
    handler = logs.configure(log)
    aps = logging.getLogger("apscheduler")
    if handler not in aps.handlers:
        aps.addHandler(handler)
    aps.setLevel(logging.WARNING)  # its INFO lines repeat our job.start / job.end


def _event(event: str, **fields: object) -> None:
    logs.event(log, event, **fields)

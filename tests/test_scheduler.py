"""The service: job configuration, what a run does, one active scheduler, and a clean SIGTERM.

Collectors here are fakes built by an injected builder; the service tests run
real processes against the test database, with intervals of a fraction of a
second (set through `Schedule`, which the config's one-minute minimum does
not apply to).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from listener import jobs
from listener.collectors.base import Collector, Page, SourceReport, Target, WatchLike
from listener.configfile import load_config
from listener.lease import current_holder
from listener.scheduler import (
    ANALYZE_JOB,
    JobDeps,
    Schedule,
    Timings,
    build_scheduler,
    collect_job,
    schedule_from_config,
    serve,
)
from listener.store.cursors import load
from listener.store.db import create_engine
from tests.conftest import EXAMPLE_CONFIG, ROOT, make_post


class Fake:
    """A collector for #NHS that serves the given pages and notes each call in `calls`."""

    def __init__(self, name: str, calls: list[str], pages: Sequence[Page] = ()) -> None:
        self.name, self.calls, self.pages = name, calls, list(pages)
        self.report = SourceReport()
        self.watched: list[str] = []

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        self.calls.append(f"collect:{self.name}")
        self.watched = sorted(w.value for w in watches)
        ids = tuple(w.id for w in watches if w.value == "#NHS")
        return [Target("tag:nhs", "hashtag", "nhs", ids)] if ids else []

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        yield from self.pages


def builder(calls: list[str], pages: Sequence[Page] = ()) -> Callable[..., Mapping[str, Collector]]:
    """A collector builder that notes each build, so a test sees one fresh build per run."""

    def build(names: Sequence[str]) -> Mapping[str, Collector]:
        calls.extend(f"build:{name}" for name in names)
        return {name: Fake(name, calls, pages) for name in names}

    return build


def no_analysis(engine: sa.Engine, checkpoint: Callable[[], None]) -> None:
    """An analyzer that does nothing (the real one loads VADER)."""


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


def test_one_coalesced_never_overlapping_job_per_enabled_source(engine: sa.Engine) -> None:
    schedule = Schedule({"rss": timedelta(hours=1), "mastodon": timedelta(minutes=15)})
    scheduler = build_scheduler(schedule, JobDeps(engine, builder([]), no_analysis))
    scheduler.start(paused=True)  # job defaults are applied at start
    try:
        found = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown()
    assert set(found) == {"collect:rss", "collect:mastodon", ANALYZE_JOB}
    for job in found.values():
        assert (job.coalesce, job.max_instances) == (True, 1)
        # At least one interval: a missed run is caught up once, never dropped.
        assert job.misfire_grace_time >= job.trigger.interval.total_seconds()
    assert found["collect:rss"].trigger.interval == timedelta(hours=1)
    assert found["collect:mastodon"].trigger.interval == timedelta(minutes=15)


def test_the_schedule_has_the_config_s_enabled_sources_and_intervals() -> None:
    config = load_config(EXAMPLE_CONFIG)
    expected = {name: s.interval for name, s in config.sources.items() if s.enabled}
    assert expected  # the example enables at least one source
    assert schedule_from_config(config).sources == expected


def test_a_scheduled_run_collects_its_source_then_analyses(configured: sa.Engine) -> None:
    calls: list[str] = []
    analysed = threading.Event()

    def analyze(engine: sa.Engine, checkpoint: Callable[[], None]) -> None:
        calls.append("analyze")
        analysed.set()

    schedule = Schedule({"rss": timedelta(hours=1)})
    scheduler = build_scheduler(schedule, JobDeps(configured, builder(calls), analyze))
    scheduler.start()
    try:
        assert analysed.wait(10)
    finally:
        scheduler.shutdown()
    assert calls == ["build:rss", "collect:rss", "analyze"]
    with configured.connect() as conn:
        runs = conn.execute(sa.text("SELECT source, status FROM collection_runs")).all()
    assert [tuple(r) for r in runs] == [("rss", "ok")]


def test_each_run_builds_afresh_and_sees_watches_changed_since(configured: sa.Engine) -> None:
    calls: list[str] = []
    fakes: list[Fake] = []

    def build(names: Sequence[str]) -> Mapping[str, Collector]:
        fakes.append(Fake("rss", calls))
        return {"rss": fakes[-1]}

    deps = JobDeps(configured, build, no_analysis)
    collect_job(deps, "rss", then=lambda: None)
    config = load_config(EXAMPLE_CONFIG)
    config.departments[0].watches.hashtags.append("#Dentists")
    jobs.sync_config(configured, config)
    collect_job(deps, "rss", then=lambda: None)
    assert len(fakes) == 2 and fakes[0] is not fakes[1]
    assert "#Dentists" not in fakes[0].watched
    assert "#Dentists" in fakes[1].watched


def test_stopping_ends_a_run_after_the_page_in_hand_is_committed(configured: sa.Engine) -> None:
    stopping = threading.Event()
    pages = [Page([make_post(str(i), f"post {i}")], cursor=f"c{i}") for i in (1, 2, 3)]

    def build(names: Sequence[str]) -> Mapping[str, Collector]:
        stopping.set()  # SIGTERM arrives while the first page is being fetched
        return {"rss": Fake("rss", [], pages)}

    then = threading.Event()
    collect_job(JobDeps(configured, build, no_analysis, stopping), "rss", then=then.set)
    with configured.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 1
        assert load(conn, source="rss", key="tag:nhs") == "c1"
        run = conn.execute(sa.text("SELECT status, finished_at FROM collection_runs")).one()
    assert run.finished_at is not None  # the run record is closed, not left running
    assert not then.is_set()  # no analysis is started by a stopping service


def test_serve_returns_at_once_when_stopped_as_a_standby(engine: sa.Engine) -> None:
    from listener.lease import open_lease

    active = open_lease(engine)
    active.try_acquire()
    deps = JobDeps(engine, builder([]), no_analysis)
    threading.Timer(0.3, deps.stopping.set).start()
    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115 (closed with the test)
    started = time.monotonic()
    serve(Schedule({"rss": timedelta(hours=1)}), deps, console=console, timings=Timings(0.1, 0.1))
    assert time.monotonic() - started < 3
    assert current_holder(engine).pid == os.getpid()  # type: ignore[union-attr]
    active.release()


# --- real processes ------------------------------------------------------------------------

RUN_SECONDS = 0.15  # how long each fake run takes
INTERVAL = timedelta(seconds=0.5)


class Recording:
    """A collector with nothing to collect that logs each run's start and end to a file."""

    def __init__(self, name: str, log: Path) -> None:
        self.name, self.log, self.report = name, log, SourceReport()

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        self._write("start")
        time.sleep(RUN_SECONDS)
        self._write("end")
        return []

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        return iter(())

    def _write(self, what: str) -> None:
        with open(self.log, "a", encoding="utf-8") as handle:  # one short append per line
            handle.write(f"{os.getpid()} {what} {time.time():.3f}\n")


def service_main(url: str, log: str) -> None:
    """Run a service with a Recording collector and tiny intervals (in a child process)."""
    from listener.scheduler import configure_logging, stop_on_signals

    engine = create_engine(url)
    deps = JobDeps(engine, lambda names: {n: Recording(n, Path(log)) for n in names}, no_analysis)
    configure_logging()
    with stop_on_signals(deps.stopping):
        schedule = Schedule({"rss": INTERVAL}, analyze_every=INTERVAL)
        serve(schedule, deps, console=Console(stderr=True), timings=Timings(0.2, 0.5))


def start_service(url: str, log: Path, stderr: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from tests.test_scheduler import service_main; service_main(*sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(stderr, "wb") as err:
        return subprocess.Popen([sys.executable, "-c", code, url, str(log)], stderr=err, env=env)


def json_events(path: Path) -> list[dict[str, object]]:
    """The JSON log lines in a service's stderr (other lines are the console's)."""
    events = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def read_runs(log: Path) -> list[tuple[int, str, float]]:
    if not log.exists():
        return []
    return [
        (int(p), w, float(t)) for p, w, t in (line.split() for line in log.read_text().splitlines())
    ]


def test_two_services_on_one_database_run_each_job_once(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    first = start_service(database_url, log, tmp_path / "first.err")
    second = None
    try:
        wait_for(lambda: any(w == "end" for _, w, _ in read_runs(log)), 30, "the first service")
        second = start_service(database_url, log, tmp_path / "second.err")
        wait_for(lambda: "service.standby" in (tmp_path / "second.err").read_text(), 30, "standby")
        time.sleep(1.0)  # both alive: only the first may run jobs
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = time.time()
        # Generous limits: they only matter on a machine busy with other work.
        wait_for(lambda: sum(p == second.pid for p, _, _ in read_runs(log)) >= 4, 20, "takeover")
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert f"held by pid {first.pid} " in (tmp_path / "second.err").read_text()
    runs = read_runs(log)
    starts = {
        pid: [t for p, w, t in runs if p == pid and w == "start"] for pid in (first.pid, second.pid)
    }
    assert all(t < killed_at for t in starts[first.pid])
    assert all(t > killed_at - 0.5 for t in starts[second.pid])  # not before the takeover
    if runs_of(runs, first.pid)[-1:] == ["start"]:
        runs.append((first.pid, "end", killed_at))  # killed mid-run: it ran until it died
    assert_never_concurrent(runs)
    for times in starts.values():  # once per tick: never more runs than ticks
        assert len(times) <= (times[-1] - times[0]) / INTERVAL.total_seconds() + 1.5


def assert_never_concurrent(runs: list[tuple[int, str, float]]) -> None:
    """No run starts while another is under way (a killed run counts until its process died)."""
    running: int | None = None
    for pid, what, _ in sorted(runs, key=lambda run: run[2]):
        if what == "start":
            assert running is None, f"pid {pid} started a run while pid {running} was running one"
            running = pid
        else:
            assert running == pid
            running = None


def runs_of(runs: list[tuple[int, str, float]], pid: int) -> list[str]:
    return [what for p, what, _ in runs if p == pid]


def test_sigterm_stops_a_service_cleanly_and_releases_the_lease(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "listener.yaml"
    config.write_text(
        "departments:\n  - slug: dhsc\n    name: Health\n"
        "sources:\n  rss:\n    enabled: true\n    interval: 1h\n"
    )
    env = {**os.environ, "LISTENER_DATABASE_URL": database_url, "LISTENER_CONFIG": str(config)}
    code = (
        "from rich.console import Console; from listener.service import run_service;"
        " from listener.settings import load_settings;"
        " run_service(load_settings(), console=Console(stderr=True))"
    )
    stderr = tmp_path / "service.err"
    with open(stderr, "wb") as err:
        service = subprocess.Popen([sys.executable, "-c", code], stderr=err, env=env)
    engine = create_engine(database_url)
    try:
        wait_for(
            lambda: any(
                e.get("event") == "job.end" and e.get("job") == "collect:rss"
                for e in json_events(stderr)
            ),
            30,
            "the first collection",
        )
        assert current_holder(engine).pid == service.pid  # type: ignore[union-attr]
        service.send_signal(signal.SIGTERM)
        assert service.wait(30) == 0, stderr.read_text()
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert current_holder(engine) is None
    events = json_events(stderr)  # stderr is a file, not a terminal: JSON lines
    assert {"event": "service.signal", "signal": "SIGTERM"}.items() <= next(
        e for e in events if e.get("event") == "service.signal"
    ).items()
    assert "lease released" in stderr.read_text()
    assert all({"time", "level", "logger"} <= e.keys() for e in events)
    engine.dispose()


def test_housekeeping_jobs_run_nightly_in_london_time(engine: sa.Engine) -> None:
    from datetime import UTC

    from listener.scheduler import later_jobs

    deps = JobDeps(
        engine,
        lambda names: {},
        no_analysis,
        retention=lambda e, c: None,
        deletions=lambda e, c: None,
    )
    specs = {spec.id: spec for spec in later_jobs(deps)}
    after = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    retention = specs["retention"].trigger.get_next_fire_time(None, after)
    deletions = specs["deletions"].trigger.get_next_fire_time(None, after)
    assert retention is not None and retention.astimezone(UTC) == datetime(
        2026, 6, 2, 2, 30, tzinfo=UTC
    )
    assert deletions is not None and deletions.astimezone(UTC) == datetime(
        2026, 6, 2, 3, 15, tzinfo=UTC
    )
    assert specs["retention"].run_at_start and not specs["deletions"].run_at_start

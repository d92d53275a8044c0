"""`listener run`'s wiring: the real collectors, analysis, digests and housekeeping, handed
to the scheduler as its jobs' dependencies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from listener.scheduler import (
    JobDeps,
    Retainer,
    Timings,
    configure_logging,
    schedule_from_config,
    serve,
    stop_on_signals,
    stoppable_clock,
)

if TYPE_CHECKING:
    from rich.console import Console

    from listener.configfile import ListenerConfig
    from listener.digest.smtpurl import SmtpConfig
    from listener.settings import Settings


def run_analysis(
    engine: sa.Engine,
    checkpoint: Callable[[], None],
    *,
    workers: int | None,
    config: ListenerConfig,
) -> None:
    """The real analyzer: sentiment in committed batches (stoppable between them), then
    voices and topics."""
    from listener import insight, jobs

    jobs.analyze(engine, workers=workers, on_batch=lambda _report: checkpoint())
    checkpoint()
    insight.analyze_insight(engine, config)


def run_service(settings: Settings, *, console: Console) -> None:
    """`listener run`: hold the lease (or wait as a standby) and run the jobs until stopped."""
    from functools import partial

    from listener import approvals, retention
    from listener.collectors.registry import build_collectors
    from listener.configfile import load_config
    from listener.digest.smtpurl import parse_smtp_url
    from listener.store.db import create_engine
    from listener.store.migrate import require_current

    config = load_config(settings.config)
    # A malformed LISTENER_SMTP_URL stops the service at once, not at 07:00 next Monday.
    smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url is not None else None
    engine = create_engine(settings.database_url)
    require_current(engine)
    stopping = threading.Event()
    deps = JobDeps(
        engine,
        stopping=stopping,
        # Approvals recorded on the admin page count from the next run, without a restart.
        build=lambda names: build_collectors(
            approvals.with_recorded_approvals(engine, config),
            names=names,
            clock=stoppable_clock(stopping),
        ),
        analyze=partial(run_analysis, workers=settings.workers, config=config),
        digest=partial(_send_digests, config=config, smtp=smtp),
        retention=lambda engine, checkpoint: retention.apply(
            engine, config.retention, checkpoint=checkpoint
        ),
        deletions=_deletion_checks(config, stopping),
    )
    configure_logging()
    with stop_on_signals(deps.stopping):
        serve(schedule_from_config(config), deps, console=console, timings=Timings())


def _deletion_checks(config: ListenerConfig, stopping: threading.Event) -> Retainer | None:
    """The daily check for posts deleted at source, over the enabled platforms that allow it."""
    from listener import approvals
    from listener.collectors.registry import build_collectors
    from listener.deletions import PLATFORMS, check_deletions, days_from_config

    names = [n for n, s in config.sources.items() if s.enabled and n in PLATFORMS]
    if not names:
        return None

    def check(engine: sa.Engine, checkpoint: Callable[[], None]) -> object:
        collectors = build_collectors(
            approvals.with_recorded_approvals(engine, config),
            names=names,
            clock=stoppable_clock(stopping),
        )
        return check_deletions(
            engine,
            collectors,
            days=days_from_config(config),
            now=datetime.now(UTC),
            on_batch=lambda _run: checkpoint(),
        )

    return check


def _send_digests(
    engine: sa.Engine, now: datetime, *, config: ListenerConfig, smtp: SmtpConfig | None
) -> object:
    from listener import insight

    return insight.run_weekly_digests(engine, config=config, smtp=smtp, now=now)

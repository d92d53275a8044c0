"""Use-case: remove stored posts that were deleted, made private or opted out at source.

For each platform that can say (X, Mastodon, Bluesky), the posts created in
the last N days (per source ``deletion_check_days``, default 7) are read from
the store in batches, newest stored first, and asked about through the
platform's collector (``check_stored``). Posts the platform explicitly says
are gone are removed from every table and from search, with stored reposts of
them and accounts left without posts (see listener.store.deletions).

Each platform's check is one run record, source ``deletions:<platform>``:
``posts_seen`` is how many posts the platform answered for, and ``detail``
holds ``{"checked", "removed", "reasons": {reason: n}, "unchecked", ...}``.
A failure (5xx after every retry, a rate limit longer than the client waits,
a refused credential) stops that platform's check: posts already confirmed
gone stay removed, nothing else is, the run is partial (something was
checked) or failed (nothing was), its error is recorded, and the other
platforms carry on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from listener.collectors.base import Collector
from listener.collectors.deletions import DeletionChecker, Verdict
from listener.collectors.registry import Unavailable
from listener.configfile import ListenerConfig
from listener.errors import CollectorError, FatalSourceError, RateLimited
from listener.pages import PageTotals, RunOutcome, finish_run, start_run
from listener.store import deletions as store
from listener.store.db import write_transaction

DEFAULT_DAYS = 7
PLATFORMS = ("x", "mastodon", "bluesky")  # the sources that can say what was deleted
SOURCE_PREFIX = "deletions:"


@dataclass
class DeletionRun:
    """How one platform's deletion check went."""

    platform: str
    days: int
    status: str = "ok"  # ok | partial | failed
    error: str = ""
    in_window: int = 0  # posts created in the window when the check began
    checked: int = 0  # posts the platform answered for
    unchecked: int = 0  # posts read but not answered for (unknown to the platform's lookup)
    removed: int = 0  # posts removed, reposts of removed posts included
    reasons: dict[str, int] = field(default_factory=dict)  # reason -> posts named gone
    reposts_removed: int = 0
    authors_removed: int = 0
    batches: int = 0
    rate_limited_until: str | None = None
    run_id: int | None = None

    @property
    def source(self) -> str:
        """The run record's source name."""
        return f"{SOURCE_PREFIX}{self.platform}"

    def stop(self, reason: str) -> None:
        """End the check early: partial if anything was checked, else failed."""
        self.status = "partial" if self.checked else "failed"
        self.error = reason

    def detail(self) -> dict[str, Any]:
        """What the run record's detail says."""
        return {
            "days": self.days,
            "in_window": self.in_window,
            "checked": self.checked,
            "unchecked": self.unchecked,
            "removed": self.removed,
            "reasons": dict(sorted(self.reasons.items())),
            "reposts_removed": self.reposts_removed,
            "authors_removed": self.authors_removed,
            "rate_limited_until": self.rate_limited_until,
        }


def days_from_config(config: ListenerConfig) -> dict[str, int]:
    """Each source's ``deletion_check_days``."""
    return {name: source.deletion_check_days for name, source in config.sources.items()}


def can_check(collector: Collector) -> bool:
    """True for a source whose deletion check can run, or must be recorded as failing to."""
    return isinstance(collector, DeletionChecker) or (
        isinstance(collector, Unavailable) and collector.name in PLATFORMS
    )


def check_deletions(
    engine: sa.Engine,
    collectors: Mapping[str, Collector],
    *,
    days: int | Mapping[str, int],
    now: datetime,
    on_batch: Callable[[DeletionRun], None] | None = None,
) -> list[DeletionRun]:
    """Check every given source that can say what was deleted; remove what is gone.

    `days` is one window for every source, or one per source name (DEFAULT_DAYS
    for a source it does not name). Sources that cannot be checked (RSS, file
    imports) are passed over without a run record; a configured source that
    cannot run (no credential, no approval) gets a failed one.
    """
    runs = []
    for name, collector in collectors.items():
        if not can_check(collector):
            continue
        window = days if isinstance(days, int) else days.get(name, DEFAULT_DAYS)
        run = DeletionRun(name, window)
        run_id = run.run_id = start_run(engine, run.source, department_id=None, detail={})
        try:
            if not isinstance(collector, DeletionChecker):
                raise FatalSourceError(getattr(collector, "reason", f"{name} cannot run"))
            _check(engine, collector, run, since=now - timedelta(days=window), on_batch=on_batch)
        except RateLimited as exc:
            run.rate_limited_until = exc.resume_at.isoformat()
            run.stop(str(exc))
        except CollectorError as exc:
            run.stop(str(exc))
        except BaseException as exc:  # a stop or a crash still closes the record
            run.stop(str(exc) or type(exc).__name__)
            _finish(engine, run_id, run, collector)
            raise
        _finish(engine, run_id, run, collector)
        runs.append(run)
    return runs


def _check(
    engine: sa.Engine,
    checker: DeletionChecker,
    run: DeletionRun,
    *,
    since: datetime,
    on_batch: Callable[[DeletionRun], None] | None,
) -> None:
    """Ask about every post in the window, a batch at a time; raise where the platform fails."""
    with engine.connect() as conn:
        run.in_window = store.count_recent(conn, run.platform, since=since)
    below: int | None = None
    while True:
        # A fresh read per batch: no transaction stays open while the platform is asked.
        with engine.connect() as conn:
            batch = store.recent_posts(
                conn, run.platform, since=since, below=below, limit=checker.deletion_batch
            )
        if not batch:
            return
        below = batch[-1][0]
        verdicts: list[Verdict] = []
        try:
            for verdict in checker.check_stored([post for _, post in batch]):
                verdicts.append(verdict)
        finally:
            # Answers that came before a failure are explicit: act on them, and only on them.
            _apply(engine, run, verdicts, asked={post.native_id for _, post in batch})
        if on_batch is not None:
            on_batch(run)


def _apply(
    engine: sa.Engine, run: DeletionRun, verdicts: list[Verdict], *, asked: set[str]
) -> None:
    """Count a batch's answers and remove the posts they say are gone, in one transaction."""
    run.batches += 1
    answers = [v for v in verdicts if v.native_id in asked]  # only about posts we asked about
    answered = {v.native_id for v in answers}
    run.checked += len(answered)
    run.unchecked += len(asked - answered)
    gone = {v.native_id: v.gone for v in answers if v.gone}
    if not gone:
        return
    with write_transaction(engine) as conn:
        removed = store.remove_posts(conn, run.platform, sorted(gone))
    for reason in gone.values():
        run.reasons[reason] = run.reasons.get(reason, 0) + 1
    run.removed += removed.posts
    run.reposts_removed += removed.reposts
    run.authors_removed += removed.authors


def _finish(engine: sa.Engine, run_id: int, run: DeletionRun, collector: Collector) -> None:
    waited = getattr(collector, "rate_limit_waited", 0.0)  # X and Bluesky clients count waits
    totals = PageTotals(pages=run.batches, seen=run.checked)
    outcome = RunOutcome(run.status, run.error, float(waited or 0.0), run.detail())
    finish_run(engine, run_id, totals, outcome)

"""Use-case: apply the config's retention periods, or report what they would remove.

Periods run in whole weeks (Monday 00:00 Europe/London, as digests and topics
do): a post goes once the whole of its week is past its period, so a week is
never half deleted and its weekly topics keep their figures. A post belongs to
departments with their own periods: it leaves each department when past that
department's period, and goes altogether when past all of them (posts in no
department, such as the original a reply answers, follow the defaults).
Weekly topics, archived digests and the delivery ledger follow `aggregates`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from listener.configfile import RetentionConfig
from listener.models import utcnow
from listener.periods import Period
from listener.store import audit
from listener.store import retention as store
from listener.store.db import write_transaction
from listener.store.departments import department_ids
from listener.weeks import Week, local_date, week_containing

BATCH = 2000  # posts per committed delete


def week_cutoff(period: Period, now: datetime) -> Week:
    """The first week still within `period` of `now`: everything before it has expired."""
    return week_containing(local_date(period.before(now)))


@dataclass(frozen=True)
class Policy:
    """The retention periods resolved against the database's departments and platforms."""

    posts: list[store.PlatformCutoffs]
    periods: dict[tuple[int | None, str], Period]  # (department id or None, platform) -> period
    aggregates: dict[int, tuple[Period, Week]]  # department id -> (period, first week kept)
    quarantine_before: datetime
    slugs: dict[int, str]


def resolve(conn: sa.Connection, retention: RetentionConfig, *, now: datetime) -> Policy:
    """The cutoffs that apply now to every department and platform in the database."""
    slugs = {pk: slug for slug, pk in department_ids(conn).items()}
    periods: dict[tuple[int | None, str], Period] = {}
    cutoffs = []
    for platform in store.platforms(conn):
        periods[(None, platform)] = retention.posts_period(None, platform)
        for pk, slug in slugs.items():
            periods[(pk, platform)] = retention.posts_period(slug, platform)
        by_department = {pk: week_cutoff(periods[(pk, platform)], now).start for pk in slugs}
        default = week_cutoff(periods[(None, platform)], now).start
        cutoffs.append(store.PlatformCutoffs(platform, default, by_department))
    aggregates = {}
    for pk, slug in slugs.items():
        period = retention.aggregates_period(slug)
        aggregates[pk] = (period, week_cutoff(period, now))
    quarantine = week_cutoff(retention.posts, now).start
    return Policy(cutoffs, periods, aggregates, quarantine, slugs)


@dataclass(frozen=True)
class PostsRow:
    """Posts of one platform leaving one department (or, department "", posts in none)."""

    department: str
    platform: str
    period: str  # e.g. "13 months"
    before: datetime  # posts created before this go
    posts: int


@dataclass(frozen=True)
class AggregatesRow:
    """One department's weekly topics and archived digests past their period."""

    department: str
    period: str
    before_week: str  # YYYY-Www: weeks before this go
    topic_weeks: int
    digests: int


@dataclass
class RetentionReport:
    """What retention removes (a dry run) or removed."""

    now: datetime
    applied: bool = False
    rows: list[PostsRow] = field(default_factory=list)
    posts_deleted: int = 0  # posts past every period that applies to them
    accounts_deleted: int = 0  # accounts left with no post
    aggregates: list[AggregatesRow] = field(default_factory=list)
    quarantined: int = 0  # unreadable items (with their raw payload) past the posts default

    @property
    def empty(self) -> bool:
        return not (self.rows or self.posts_deleted or self.aggregates or self.quarantined)


def preview(engine: sa.Engine, retention: RetentionConfig, *, now: datetime) -> RetentionReport:
    """What retention would remove now, changing nothing (`listener retention --dry-run`)."""
    with engine.connect() as conn:
        policy = resolve(conn, retention, now=now)
        return _counted(conn, policy, now)


def _counted(conn: sa.Connection, policy: Policy, now: datetime) -> RetentionReport:
    report = RetentionReport(now=now)
    for cutoffs in policy.posts:
        leaving = store.count_leaving(conn, cutoffs)
        for pk in sorted(leaving, key=lambda pk: "" if pk is None else policy.slugs[pk]):
            count = leaving[pk]
            period = policy.periods[(pk, cutoffs.platform)]
            before = cutoffs.default if pk is None else cutoffs.departments[pk]
            slug = "" if pk is None else policy.slugs[pk]
            report.rows.append(PostsRow(slug, cutoffs.platform, str(period), before, count))
        posts, accounts = store.count_expired(conn, cutoffs)
        report.posts_deleted += posts
        report.accounts_deleted += accounts
    for pk, (period, week) in sorted(policy.aggregates.items()):
        weeks, digests = store.count_aggregates(conn, pk, week.label)
        if weeks or digests:
            row = AggregatesRow(policy.slugs[pk], str(period), week.label, weeks, digests)
            report.aggregates.append(row)
    report.quarantined = store.count_quarantine(conn, policy.quarantine_before)
    return report


def apply(
    engine: sa.Engine,
    retention: RetentionConfig,
    *,
    now: datetime | None = None,
    actor: str = "system",
    checkpoint: Callable[[], None] | None = None,
) -> RetentionReport:
    """Remove what is past retention, in batches of committed deletes; audit the run.

    `checkpoint` is called after each batch (the scheduler stops there when asked);
    a run stopped half way leaves nothing inconsistent, and the next one finishes it.
    """
    now = now or utcnow()
    with engine.connect() as conn:
        policy = resolve(conn, retention, now=now)
        report = _counted(conn, policy, now)
    report.applied = True
    report.posts_deleted = report.accounts_deleted = 0
    tick = checkpoint or (lambda: None)
    for cutoffs in policy.posts:
        after: store.Position | None = None
        while after := _delete_batch(engine, cutoffs, report, after):
            tick()
        for pk in cutoffs.departments:
            while _unlink_batch(engine, cutoffs, pk):
                tick()
    with write_transaction(engine) as conn:
        for pk, (_, week) in policy.aggregates.items():
            store.delete_aggregates(conn, pk, week.label)
        report.quarantined = store.delete_quarantine(conn, policy.quarantine_before)
        audit.append(conn, actor=actor, action="retention.apply", now=now, detail=_detail(report))
    return report


def _delete_batch(
    engine: sa.Engine,
    cutoffs: store.PlatformCutoffs,
    report: RetentionReport,
    after: store.Position | None,
) -> store.Position | None:
    """Delete one batch; returns where the next starts, None when there are no more."""
    with write_transaction(engine) as conn:
        ids, reached = store.expired_post_ids(conn, cutoffs, after=after, limit=BATCH)
        report.accounts_deleted += store.delete_posts(conn, ids)
    report.posts_deleted += len(ids)
    return reached


def _unlink_batch(engine: sa.Engine, cutoffs: store.PlatformCutoffs, department_id: int) -> bool:
    with write_transaction(engine) as conn:
        ids = store.expired_links(conn, cutoffs, department_id, limit=BATCH)
        if ids:
            store.unlink(conn, department_id, ids)
    return bool(ids)


def _detail(report: RetentionReport) -> dict[str, object]:
    leaving: dict[str, int] = {}
    for row in report.rows:
        key = f"{row.department or '(none)'}/{row.platform}"
        leaving[key] = leaving.get(key, 0) + row.posts
    return {
        "posts_deleted": report.posts_deleted,
        "accounts_deleted": report.accounts_deleted,
        "leaving": leaving,
        "aggregates": {r.department: r.before_week for r in report.aggregates},
        "quarantined": report.quarantined,
    }

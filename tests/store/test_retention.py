"""Retention on both engines: a moved clock removes exactly the expired posts, everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import insight, retention
from listener.collectors.base import AuthorItem
from listener.store import audit, weekly
from listener.weeks import week_containing
from tests.conftest import make_post
from tests.store.dataprotection import (
    archive_digest,
    column,
    configure,
    counts,
    found,
    ids,
    model_week,
    score_all,
    store,
)

# 13 months before this is Sunday 15 November 2026: its week (from Monday 9 November,
# 00:00 London = UTC in winter) is the oldest kept; everything before it goes.
NOW = datetime(2027, 12, 15, 12, 0, tzinfo=UTC)
CUTOFF = datetime(2026, 11, 9, 0, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def corpus(engine: sa.Engine) -> dict[str, int]:
    """Five posts either side of the cutoff, scored, with two weeks of topics and a digest."""
    store(
        engine,
        make_post("old1", "#NHS walkout the week before", handle="alice",
                  created_at=at("2026-11-08T23:30:00")),
        make_post("old2", "#NHS walkout in June", handle="bob", created_at=at("2026-06-01T09:00:00")),
        make_post("edge", "#NHS walkout the week kept", handle="carol",
                  created_at=at("2026-11-09T00:30:00")),
        make_post("new1", "#NHS walkout this summer", handle="bob",
                  created_at=at("2027-06-01T09:00:00")),
        # A replied-to post stored for context: in no department, it follows the default.
        make_post("ctx", "the walkout context", handle="dave", context=True,
                  created_at=at("2026-01-05T09:00:00")),
    )  # fmt: skip
    score_all(engine)
    stored = ids(engine)
    model_week(engine, "dhsc", at("2026-11-08T23:30:00"), [stored["old1"]])
    model_week(engine, "dhsc", at("2026-11-09T00:30:00"), [stored["edge"]])
    archive_digest(engine, "dhsc", "2026-W45", {"posts": 1, "most_engaged": []})
    return stored


def test_a_moved_clock_removes_exactly_the_expired_posts_from_every_table(
    engine: sa.Engine, tmp_path: Path
) -> None:
    config = configure(engine, tmp_path)
    stored = corpus(engine)
    kept = {stored["edge"], stored["new1"]}
    assert found(engine, "walkout") == {"old1", "old2", "edge", "new1", "ctx"}

    report = retention.apply(engine, config.retention, now=NOW)

    assert column(engine, "SELECT id FROM posts") == kept
    for table in ("post_departments", "post_matches", "sentiment_scores"):
        assert column(engine, f"SELECT post_id FROM {table}") == kept, table
    assert column(engine, "SELECT post_id FROM post_topics") == {stored["edge"]}
    assert column(engine, "SELECT handle FROM authors") == {"bob", "carol"}
    assert found(engine, "walkout") == {"edge", "new1"}  # gone from the full-text index
    # Weekly aggregates keep their figures: both weeks' topics and the digest stay.
    assert column(engine, "SELECT week FROM topics") == {"2026-W45", "2026-W46"}
    assert column(engine, "SELECT week FROM digests") == {"2026-W45"}
    assert (report.posts_deleted, report.accounts_deleted) == (3, 2)
    rows = {(r.department, r.platform, r.period, r.before, r.posts) for r in report.rows}
    assert rows == {("dhsc", "x", "13 months", CUTOFF, 2), ("", "x", "13 months", CUTOFF, 1)}


def test_a_dry_run_changes_nothing_and_reports_what_the_run_then_removes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    config = configure(engine, tmp_path)
    corpus(engine)
    before = counts(engine)

    dry = retention.preview(engine, config.retention, now=NOW)

    assert counts(engine) == before
    assert not dry.applied
    done = retention.apply(engine, config.retention, now=NOW)
    assert (dry.posts_deleted, dry.accounts_deleted) == (done.posts_deleted, done.accounts_deleted)
    assert dry.rows == done.rows
    assert retention.preview(engine, config.retention, now=NOW).empty  # the next run: nothing


def test_a_post_leaves_each_department_at_its_own_period(engine: sa.Engine, tmp_path: Path) -> None:
    extra = """\
    retention:
      departments:
        dhsc:
          platforms:
            x: 6 months
        dfe:
          posts: 2 years
    """
    config = configure(engine, tmp_path, extra)
    march = at("2027-03-01T10:00:00")
    store(
        engine,
        make_post("both", "#NHS and #SEND waits", handle="erin", created_at=march),
        make_post("feed", "#NHS blog post", platform="rss", created_at=march,
                  author=AuthorItem("rss", "blog", handle="blog")),
    )  # fmt: skip
    stored = ids(engine)
    week = model_week(engine, "dhsc", march, [stored["both"], stored["feed"]])

    report = retention.apply(engine, config.retention, now=NOW)

    # Past dhsc's 6 months for X but within dfe's 2 years: it stays, for dfe only.
    assert report.posts_deleted == 0
    assert column(engine, "SELECT id FROM posts") == {stored["both"], stored["feed"]}
    links = "SELECT d.slug FROM post_departments l JOIN departments d ON d.id = l.department_id"
    assert column(engine, f"{links} WHERE l.post_id = {stored['both']}") == {"dfe"}
    assert column(engine, f"{links} WHERE l.post_id = {stored['feed']}") == {"dhsc"}
    matched = "SELECT w.value FROM post_matches m JOIN watches w ON w.id = m.watch_id"
    assert column(engine, f"{matched} WHERE m.post_id = {stored['both']}") == {"#SEND"}
    assert column(engine, "SELECT post_id FROM post_topics") == {stored["feed"]}
    # dhsc's week lost a post, yet its topics stand as found: analyze does not redo them.
    with engine.connect() as conn:
        dhsc = weekly.departments(conn, "dhsc")[0]
    assert column(engine, "SELECT size FROM topics") == {2}
    assert insight.refresh_topics(engine, dhsc, week_containing(march.date())) is None
    assert column(engine, "SELECT week FROM topic_runs") == {week}


def test_weekly_aggregates_go_after_their_own_longer_period(
    engine: sa.Engine, tmp_path: Path
) -> None:
    config = configure(engine, tmp_path)
    corpus(engine)
    later = datetime(2029, 11, 20, 12, 0, tzinfo=UTC)  # 36 months after 2026-W47

    report = retention.apply(engine, config.retention, now=later)

    assert [(r.department, r.before_week, r.topic_weeks, r.digests) for r in report.aggregates] == [
        ("dhsc", "2026-W47", 2, 1)
    ]
    assert counts(engine)["topics"] == counts(engine)["digests"] == 0
    assert counts(engine)["posts"] == 0


def test_every_run_is_in_the_audit_log(engine: sa.Engine, tmp_path: Path) -> None:
    config = configure(engine, tmp_path)
    corpus(engine)

    retention.apply(engine, config.retention, now=NOW, actor="cli:ops")

    with engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
    assert (entry.actor, entry.action) == ("cli:ops", "retention.apply")
    assert entry.detail["posts_deleted"] == 3
    assert entry.detail["leaving"] == {"dhsc/x": 2, "(none)/x": 1}


def test_the_service_applies_retention_nightly_and_stops_between_batches(
    engine: sa.Engine, tmp_path: Path
) -> None:
    from apscheduler.triggers.cron import CronTrigger

    from listener.scheduler import RETENTION_JOB, JobDeps, later_jobs, retention_job

    config = configure(engine, tmp_path)
    corpus(engine)
    deps = JobDeps(
        engine,
        build=lambda names: {},
        analyze=lambda engine, checkpoint: None,
        retention=lambda engine, checkpoint: retention.apply(
            engine, config.retention, now=NOW, checkpoint=checkpoint
        ),
    )

    [spec] = later_jobs(deps)
    assert spec.id == RETENTION_JOB and spec.run_at_start
    assert isinstance(spec.trigger, CronTrigger)
    assert str(spec.trigger) == "cron[hour='3', minute='30']"
    deps.stopping.set()
    retention_job(deps)  # stops after its first committed batch, without raising
    assert counts(engine)["posts"] == 2  # that one batch held every expired post
    with engine.connect() as conn:
        assert audit.entries(conn) == []  # stopped before the end; the next run finishes


def test_small_batches_pass_over_old_posts_another_department_keeps(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configure(
        engine, tmp_path, "retention:\n  departments:\n    dfe:\n      posts: 3 years\n"
    )
    old = [at(f"2026-0{month}-01T09:00:00") for month in range(1, 7)]
    store(
        engine,
        *[make_post(f"nhs{n}", "#NHS old", handle=f"n{n}", created_at=day) for n, day in enumerate(old)],
        *[make_post(f"send{n}", "#SEND old", handle=f"s{n}", created_at=day) for n, day in enumerate(old)],
    )  # fmt: skip
    monkeypatch.setattr(retention, "BATCH", 2)

    report = retention.apply(engine, config.retention, now=NOW)

    assert report.posts_deleted == 6
    assert column(engine, "SELECT native_id FROM posts") == {f"send{n}" for n in range(6)}

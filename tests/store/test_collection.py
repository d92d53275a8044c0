"""One collection pass on both engines, with scripted in-memory collectors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.collection import collect
from listener.collectors.base import Page, SourceReport, Target, WatchLike
from listener.configfile import load_config
from listener.errors import FatalSourceError, RateLimited, RetriableError
from listener.store.cursors import load
from listener.store.queries import posts_per_department, store_counts
from tests.conftest import EXAMPLE_CONFIG, make_post


class Scripted:
    """A collector that serves scripted pages (or raises) per target kind."""

    def __init__(self, name: str, pages: list[Page | Exception], kind: str = "hashtag") -> None:
        self.name, self.pages, self.kind = name, pages, kind
        self.report = SourceReport()
        self.cursors_seen: list[str | None] = []

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        nhs = [w.id for w in watches if w.kind == self.kind and w.value == "#NHS"]
        return (
            [Target(key="tag:nhs", kind="hashtag", value="nhs", watch_ids=tuple(nhs))]
            if nhs
            else []
        )

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        self.cursors_seen.append(cursor)
        for page in self.pages:
            if isinstance(page, Exception):
                raise page
            yield page


def page(cursor: str, *ids: str, text: str = "a post") -> Page:
    return Page(
        posts=[make_post(i, f"{text} {i}", platform="mastodon") for i in ids], cursor=cursor
    )


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


def runs(engine: sa.Engine) -> list[tuple[str, str, int, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT source, status, posts_new, rate_limit_wait_seconds FROM collection_runs ORDER BY id"
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_pages_are_stored_with_their_cursor_and_linked_to_the_watch(configured: sa.Engine) -> None:
    source = Scripted("mastodon", [page("c1", "1", "2"), page("c2", "3")])
    [run] = collect(configured, {"mastodon": source})
    assert (run.status, run.totals.new, run.totals.pages) == ("ok", 3, 2)
    with configured.connect() as conn:
        assert load(conn, source="mastodon", key="tag:nhs") == "c2"
        assert posts_per_department(conn)["dhsc"] == 3  # the #NHS watch belongs to dhsc
    assert runs(configured) == [("mastodon", "ok", 3, 0.0)]
    again = Scripted("mastodon", [page("c3", "3", "4")])
    collect(configured, {"mastodon": again})
    assert again.cursors_seen == ["c2"]  # resumed where the last run stopped
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == 4


def test_rate_limit_stops_the_source_as_partial_keeping_cursors(configured: sa.Engine) -> None:
    limited = RateLimited(
        "429", resume_at=datetime(2026, 11, 27, 9, 15, tzinfo=UTC), waited_seconds=12.0
    )
    [run] = collect(configured, {"mastodon": Scripted("mastodon", [page("c1", "1"), limited])})
    assert run.status == "partial" and "rate limited until 2026-11-27 09:15 UTC" in run.error
    with configured.connect() as conn:
        assert load(conn, source="mastodon", key="tag:nhs") == "c1"
    assert runs(configured) == [("mastodon", "partial", 1, 12.0)]


def test_a_failing_source_does_not_stop_the_others(configured: sa.Engine) -> None:
    revoked = Scripted(
        "bluesky", [FatalSourceError("401 Unauthorized: the credential was rejected")]
    )
    flaky = Scripted("rss", [RetriableError("GET /feed: 503 after 5 attempts")])
    fine = Scripted("mastodon", [page("c1", "1")])
    results = collect(configured, {"bluesky": revoked, "rss": flaky, "mastodon": fine})
    assert [(r.source, r.status) for r in results] == [
        ("bluesky", "failed"),
        ("rss", "failed"),
        ("mastodon", "ok"),
    ]
    assert "credential was rejected" in results[0].error
    assert [r[:2] for r in runs(configured)] == [
        ("bluesky", "failed"),
        ("rss", "failed"),
        ("mastodon", "ok"),
    ]


def test_one_department_collects_only_its_watches(configured: sa.Engine) -> None:
    source = Scripted("mastodon", [page("c1", "1")])
    [run] = collect(configured, {"mastodon": source}, department="dft")
    assert run.totals.pages == 0 and source.cursors_seen == []  # dft does not watch #NHS


def test_malformed_items_are_quarantined_and_the_rest_stored(configured: sa.Engine) -> None:
    from listener.collectors.base import RejectedItem

    bad = Page(
        posts=[make_post("1", "fine", platform="mastodon")],
        cursor="c1",
        rejected=[
            RejectedItem("GET /api/v1/timelines/tag/nhs: [3]", "missing field 'uri'", {"id": "9"})
        ],
    )
    [run] = collect(configured, {"mastodon": Scripted("mastodon", [bad])})
    assert run.status == "partial" and run.totals.new == 1
    with configured.connect() as conn:
        row = conn.execute(sa.text("SELECT source, reason, raw, run_id FROM quarantine")).one()
    assert (row.source, row.reason, row.run_id) == ("mastodon", "missing field 'uri'", run.run_id)
    raw = row.raw if isinstance(row.raw, dict) else __import__("json").loads(row.raw)
    assert raw == {"id": "9"}

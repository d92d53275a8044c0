"""The Mastodon collector against a fake instance on 127.0.0.1 that pages like the real API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from listener.collectors.base import Collector, Page, Target
from listener.collectors.http import HttpClient, HttpSettings
from listener.collectors.mastodon import MastodonCollector
from listener.errors import FatalSourceError, RateLimited
from listener.matching import WatchSpec
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mastodon"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_attempts=3)
HOME = "https://mastodon.example"  # what the instance calls itself in uris and Link headers
TAG_PATH = "/api/v1/timelines/tag/nhs"
PAGE_SIZE = 5


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _id_key(local_id: str) -> tuple[int, str]:
    return (len(local_id), local_id)


class FakeMastodon:
    """Mastodon's timeline and account endpoints: min_id/max_id/since_id paging, Link headers."""

    def __init__(self, server: FakeServer) -> None:
        self.tags: dict[str, list[dict[str, Any]]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}  # acct -> Account
        self.by_account: dict[str, list[dict[str, Any]]] = {}  # account id -> statuses
        self._sequence = 0
        server.fallback(self.route)

    def status(self, at: datetime, text: str = "Waiting lists", **changes: Any) -> dict[str, Any]:
        """A public status like status.json, with a snowflake id from its time (as Mastodon)."""
        self._sequence += 1
        local_id = str((int(at.timestamp() * 1000) << 16) + self._sequence)
        status = fixture("status.json")
        status.update(
            id=local_id,
            created_at=iso(at),
            uri=f"{HOME}/users/nursejo/statuses/{local_id}",
            url=f"{HOME}/@nursejo/{local_id}",
            content=f"<p>{text} <a href='{HOME}/tags/NHS' class='mention hashtag'>#<span>NHS</span></a></p>",
        )
        status.update(changes)
        return status

    def post(self, tag: str, at: datetime, **changes: Any) -> dict[str, Any]:
        """Add a status to a hashtag timeline."""
        status = self.status(at, **changes)
        self.tags.setdefault(tag, []).append(status)
        return status

    def ids(self, tag: str) -> set[str]:
        return {s["id"] for s in self.tags.get(tag, [])}

    def route(self, request: Recorded) -> Reply:
        if request.path.startswith("/api/v1/timelines/tag/"):
            return self.timeline(request, self.tags.get(request.path.rsplit("/", 1)[1], []))
        if request.path == "/api/v1/accounts/lookup":
            account = self.accounts.get(request.param("acct") or "")
            if account is None:
                return Reply.json({"error": "Record not found"}, status=404)
            return Reply.json(account)
        found = re.fullmatch(r"/api/v1/accounts/(\w+)/statuses", request.path)
        if found:
            return self.timeline(request, self.by_account.get(found[1], []))
        return Reply.json({"error": "Record not found"}, status=404)

    def timeline(self, request: Recorded, statuses: list[dict[str, Any]]) -> Reply:
        """One page, newest first; with min_id, the statuses immediately newer than it."""
        newest_first = sorted(statuses, key=lambda s: _id_key(s["id"]), reverse=True)
        limit = int(request.param("limit") or 20)
        if max_id := request.param("max_id"):
            newest_first = [s for s in newest_first if _id_key(s["id"]) < _id_key(max_id)]
        if since_id := request.param("since_id"):
            newest_first = [s for s in newest_first if _id_key(s["id"]) > _id_key(since_id)]
        if min_id := request.param("min_id"):
            newer = [s for s in newest_first if _id_key(s["id"]) > _id_key(min_id)]
            page = newer[-limit:]
        else:
            page = newest_first[:limit]
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                   "X-RateLimit-Reset": iso(NOW + timedelta(minutes=5))}  # fmt: skip
        if page:
            base = f"{HOME}{request.path}?limit={limit}"
            headers["Link"] = link(
                f"{base}&max_id={page[-1]['id']}", f"{base}&min_id={page[0]['id']}"
            )
        return Reply.json(page, headers=headers)


def link(next_url: str | None = None, prev_url: str | None = None) -> str:
    parts = [f'<{next_url}>; rel="next"'] if next_url else []
    parts += [f'<{prev_url}>; rel="prev"'] if prev_url else []
    return ", ".join(parts)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def mastodon(fake_server: FakeServer) -> FakeMastodon:
    return FakeMastodon(fake_server)


@pytest.fixture
def client(fake_server: FakeServer, clock: FakeClock) -> Iterator[HttpClient]:
    with HttpClient(fake_server.url, settings=FAST, clock=clock.clock()) as client:
        yield client


@pytest.fixture
def collector(fake_server: FakeServer, client: HttpClient) -> MastodonCollector:
    return MastodonCollector(clients={fake_server.url: client}, page_size=PAGE_SIZE)


def tag_target(fake_server: FakeServer, tag: str = "nhs") -> Target:
    return Target(key=f"{fake_server.url}|tag:{tag}", kind="hashtag", value=tag, watch_ids=(1,))


def account_target(fake_server: FakeServer, acct: str = "healthwatcher") -> Target:
    return Target(
        key=f"{fake_server.url}|account:{acct}", kind="account", value=acct, watch_ids=(2,)
    )


def run(
    collector: MastodonCollector, target: Target, cursor: str | None = None
) -> tuple[list[Page], str | None]:
    """Collect to the end as the caller would: pages, and the cursor it would have stored."""
    pages = list(collector.collect(target, cursor=cursor, now=NOW))
    return pages, next((p.cursor for p in reversed(pages) if p.cursor is not None), cursor)


def ids(pages: list[Page]) -> list[str]:
    """Local ids of the posts collected for the query (not context), in yield order."""
    return [p.raw["id"] for page in pages for p in page.posts if not p.context]


def fill(mastodon: FakeMastodon, count: int, *, start: datetime, step: timedelta) -> None:
    for n in range(count):
        mastodon.post("nhs", start + n * step, text=f"post {n}")


# --- targets ---------------------------------------------------------------------------------


def test_targets_one_per_instance_and_tag_and_one_per_account(client: HttpClient) -> None:
    collector = MastodonCollector(
        clients={"https://mastodon.social/": client, "https://fosstodon.org": client}
    )
    watches = [
        WatchSpec(1, 1, "hashtag", "#NHS"),
        WatchSpec(2, 2, "hashtag", "nhs", platform="mastodon"),
        WatchSpec(3, 1, "hashtag", "#Care", platform="x"),  # another platform's watch
        WatchSpec(4, 1, "keyword", "waiting lists"),  # keywords are not collected here
        WatchSpec(5, 1, "account", "alice", platform="mastodon"),
        WatchSpec(6, 2, "account", "@Alice@mastodon.social", platform="mastodon"),
        WatchSpec(7, 1, "account", "bob@fosstodon.org", platform="mastodon"),
        WatchSpec(8, 1, "account", "carol@other.example", platform="mastodon"),
        WatchSpec(9, 1, "account", "alice", platform="x"),
    ]
    targets = {t.key: t for t in collector.targets(watches)}
    assert set(targets) == {
        "https://mastodon.social|tag:nhs",
        "https://fosstodon.org|tag:nhs",
        "https://mastodon.social|account:alice",
        "https://fosstodon.org|account:bob",
        "https://mastodon.social|account:carol@other.example",
    }
    assert targets["https://fosstodon.org|tag:nhs"].watch_ids == (1, 2)
    assert targets["https://mastodon.social|account:alice"].watch_ids == (5, 6)
    assert targets["https://mastodon.social|account:alice"].kind == "account"


def test_collector_satisfies_the_protocol(collector: MastodonCollector) -> None:
    source: Collector = collector
    assert source.name == "mastodon" and source.report.notes == []


# --- completeness ----------------------------------------------------------------------------


def test_backfill_then_incremental_yields_every_id_once(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    mastodon.post("nhs", NOW - timedelta(days=9))  # outside the 7-day backfill
    fill(mastodon, 23, start=NOW - timedelta(days=3), step=timedelta(hours=2))
    in_window = mastodon.ids("nhs") - {s["id"] for s in mastodon.tags["nhs"][:1]}
    target = tag_target(fake_server)

    pages, cursor = run(collector, target)
    assert sorted(ids(pages)) == sorted(in_window) and len(ids(pages)) == len(in_window)
    assert cursor == max(in_window, key=_id_key)
    assert all(p.cursor.startswith("backfill:") for p in pages[:-1] if p.cursor)

    before = mastodon.ids("nhs")
    fill(mastodon, 12, start=NOW + timedelta(minutes=1), step=timedelta(minutes=3))
    new = mastodon.ids("nhs") - before
    pages, cursor = run(collector, target, cursor)
    assert ids(pages) == sorted(new, key=_id_key)  # oldest first, none missing, none twice
    assert [p.cursor for p in pages] == [max(ids([p]), key=_id_key) for p in pages]
    assert fake_server.requests_to(TAG_PATH)[-len(pages) - 1].param("min_id") is not None

    pages, final = run(collector, target, cursor)
    assert ids(pages) == [] and final == cursor
    assert collector.report.notes == [] and not collector.report.partial


@pytest.mark.parametrize("incremental", [False, True], ids=["backfill", "incremental"])
@pytest.mark.parametrize("stored_pages", [1, 2, 3])
def test_crash_after_any_page_resumes_without_gap_or_duplicate(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector,
    incremental: bool, stored_pages: int,
) -> None:  # fmt: skip
    target = tag_target(fake_server)
    cursor = None
    if incremental:
        mastodon.post("nhs", NOW - timedelta(hours=5))
        _, cursor = run(collector, target)
    before = mastodon.ids("nhs")
    fill(mastodon, 18, start=NOW - timedelta(hours=4), step=timedelta(minutes=10))
    expected = mastodon.ids("nhs") - before

    stored: list[Page] = []
    pages = collector.collect(target, cursor=cursor, now=NOW)
    for page in pages:  # the caller commits each page with its cursor, then the process dies
        stored.append(page)
        if len(stored) == stored_pages:
            break
    pages.close()
    resumed, _ = run(collector, target, stored[-1].cursor)

    collected = ids(stored + resumed)
    assert sorted(collected) == sorted(expected) and len(collected) == len(expected)


# --- faults during paging, handled by the shared HTTP layer -----------------------------------


def collect_with_fault(
    collector: MastodonCollector, target: Target, fault: list[Reply], server: FakeServer
) -> list[Page]:
    """Collect, injecting ``fault`` replies for the request after the first page."""
    pages = collector.collect(target, cursor=None, now=NOW)
    first = next(pages)
    server.script(TAG_PATH, *fault)
    return [first, *pages]


def test_429_with_iso_reset_mid_paging_waits_then_completes(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector, clock: FakeClock
) -> None:
    fill(mastodon, 14, start=NOW - timedelta(hours=3), step=timedelta(minutes=10))
    reset = iso(NOW + timedelta(seconds=30))
    limited = Reply.json({"error": "Too many requests"}, status=429,
                         headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})  # fmt: skip
    pages = collect_with_fault(collector, tag_target(fake_server), [limited], fake_server)
    assert sorted(ids(pages)) == sorted(mastodon.ids("nhs"))
    assert clock.sleeps == [pytest.approx(31.0)]  # until the reset, plus the one-second margin


def test_long_rate_limit_stops_the_run_and_the_next_run_resumes_the_backfill(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector, clock: FakeClock
) -> None:
    fill(mastodon, 14, start=NOW - timedelta(hours=3), step=timedelta(minutes=10))
    target = tag_target(fake_server)
    reset = iso(NOW + timedelta(minutes=10))
    pages = collector.collect(target, cursor=None, now=NOW)
    first = next(pages)
    fake_server.script(TAG_PATH, Reply.json({"error": "Too many requests"}, status=429,
                                            headers={"X-RateLimit-Reset": reset}))  # fmt: skip
    with pytest.raises(RateLimited):
        next(pages)
    assert first.cursor is not None and first.cursor.startswith("backfill:")
    clock.sleep(600)
    resumed, _ = run(collector, target, first.cursor)
    collected = ids([first, *resumed])
    assert sorted(collected) == sorted(mastodon.ids("nhs")) and len(collected) == 14


@pytest.mark.parametrize(
    "fault",
    [
        [Reply(status=500), Reply(status=503)],
        [Reply.truncated(Reply.json([{"id": "1", "uri": "x"}] * 20))],  # connection closed early
        [Reply(200, {"Content-Type": "application/json"}, b'[{"id": "113", "uri": "https://')],
    ],
    ids=["500-then-503", "truncated-body", "cut-json"],
)
def test_server_errors_and_truncated_pages_are_retried(
    fake_server: FakeServer,
    mastodon: FakeMastodon,
    collector: MastodonCollector,
    fault: list[Reply],
) -> None:
    fill(mastodon, 14, start=NOW - timedelta(hours=3), step=timedelta(minutes=10))
    pages = collect_with_fault(collector, tag_target(fake_server), fault, fake_server)
    collected = ids(pages)
    assert sorted(collected) == sorted(mastodon.ids("nhs")) and len(collected) == 14
    assert all(page.rejected == [] for page in pages)
    # 5 + 5 + 4 statuses, an empty page to end on, and one more request per fault
    assert len(fake_server.requests_to(TAG_PATH)) == 4 + len(fault)


# --- what the instance tells us besides posts ------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_tag_timeline_fails_the_target_with_a_clear_reason(
    fake_server: FakeServer, collector: MastodonCollector, status: int
) -> None:
    fake_server.script(
        TAG_PATH, Reply.json({"error": "This API requires an authenticated user"}, status=status)
    )
    with pytest.raises(FatalSourceError, match="requires sign-in for hashtag timelines") as caught:
        run(collector, tag_target(fake_server))
    assert str(status) in str(caught.value)
    assert collector.report.notes == [str(caught.value)]
    assert len(fake_server.requests_to(TAG_PATH)) == 1  # no retry storm


def test_refused_account_lookup_fails_with_the_credential_reason(
    fake_server: FakeServer, collector: MastodonCollector
) -> None:
    fake_server.script(
        "/api/v1/accounts/lookup", Reply.json({"error": "The access token is invalid"}, status=401)
    )
    with pytest.raises(FatalSourceError, match="401 Unauthorized: the credential was rejected"):
        run(collector, account_target(fake_server))
    assert collector.report.notes == []


def test_empty_first_timeline_is_reported_not_silent(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    pages, cursor = run(collector, tag_target(fake_server))
    assert ids(pages) == [] and cursor is None
    assert collector.report.notes == [
        f"instance {fake_server.url} returned an empty #nhs timeline on a first run;"
        " it may restrict public timelines"
    ]
    assert not collector.report.partial


def test_empty_incremental_page_is_normal(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    status = mastodon.post("nhs", NOW - timedelta(hours=1))
    pages, cursor = run(collector, tag_target(fake_server), status["id"])
    assert pages == [] and cursor == status["id"] and collector.report.notes == []


def test_repeated_link_stops_with_a_note_and_closes_the_backfill(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    statuses = [mastodon.status(NOW - timedelta(minutes=n)) for n in range(1, 4)]
    same = f"{HOME}{TAG_PATH}?max_id=100"
    fake_server.handle(TAG_PATH, lambda request: Reply.json(statuses, headers={"Link": link(same)}))
    _, cursor = run(collector, tag_target(fake_server))
    assert len(fake_server.requests_to(TAG_PATH)) == 2
    assert collector.report.partial
    assert collector.report.notes == [f"pagination stalled at {same}: the same link again"]
    assert cursor == statuses[0]["id"]  # the newest stored: the next run pages forward from it


def test_empty_page_that_still_links_onwards_is_a_stall(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    status = mastodon.post("nhs", NOW - timedelta(hours=1))
    onwards = f"{HOME}{TAG_PATH}?min_id={int(status['id']) + 5}"
    fake_server.script(TAG_PATH, Reply.json([], headers={"Link": link(prev_url=onwards)}))
    pages, cursor = run(collector, tag_target(fake_server), "1")
    assert pages == [] and cursor == "1"
    assert collector.report.partial
    assert collector.report.notes == [
        f"pagination stalled at {onwards}: an empty page that still has a link"
    ]


def test_prev_link_that_does_not_move_forward_is_a_stall(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    statuses = [mastodon.status(NOW - timedelta(minutes=n)) for n in range(1, 3)]
    backwards = f"{HOME}{TAG_PATH}?min_id=5"
    fake_server.script(TAG_PATH, Reply.json(statuses, headers={"Link": link(prev_url=backwards)}))
    _, cursor = run(collector, tag_target(fake_server), "10")
    assert cursor == statuses[0]["id"] and len(fake_server.requests_to(TAG_PATH)) == 1
    assert "does not move on from 10" in collector.report.notes[0]


# --- normalisation ---------------------------------------------------------------------------


def test_status_becomes_a_post_keyed_by_its_uri(
    fake_server: FakeServer, collector: MastodonCollector
) -> None:
    status = fixture("status.json")
    fake_server.script(TAG_PATH, Reply.json([status]))
    pages, cursor = run(collector, tag_target(fake_server))
    [post] = pages[0].posts
    assert post.native_id == status["uri"] and post.raw == status and cursor == status["id"]
    assert post.text == status["content"]  # raw HTML, never rendered or stripped here
    assert post.created_at == datetime(2026, 11, 12, 8, 30, 5, tzinfo=UTC)
    assert (post.platform, post.kind, post.lang, post.url) == (
        "mastodon",
        "post",
        "en",
        status["url"],
    )
    assert post.metrics == {"replies_count": 4, "reblogs_count": 12, "favourites_count": 31}
    assert post.conversation_id == status["uri"] and post.reply_to_id is None
    assert post.source == f"{fake_server.url}{TAG_PATH}"
    assert post.author is not None
    assert post.author.native_id == "https://mastodon.example/users/nursejo"
    assert post.author.handle == "nursejo@mastodon.example"  # a local acct gains its domain
    assert (post.author.name, post.author.followers_count) == ("Jo (she/her) 🩺", 1843)
    assert post.author.description == status["account"]["note"]


def test_replies_link_to_the_parent_uri_when_known_else_instance_and_local_id(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    parent = mastodon.post("nhs", NOW - timedelta(hours=2))
    reply = mastodon.post("nhs", NOW - timedelta(hours=1), in_reply_to_id=parent["id"])
    orphan = mastodon.post("nhs", NOW - timedelta(minutes=50), in_reply_to_id="99")
    target = tag_target(fake_server)
    pages, cursor = run(collector, target)
    later = mastodon.post("nhs", NOW + timedelta(minutes=5), in_reply_to_id=reply["id"])
    more, _ = run(collector, target, cursor)  # the parent came in an earlier run
    posts = {p.raw["id"]: p for page in pages + more for p in page.posts}
    assert posts[reply["id"]].kind == "reply"
    assert posts[reply["id"]].reply_to_id == parent["uri"]
    assert posts[reply["id"]].conversation_id == parent["uri"]
    assert posts[later["id"]].reply_to_id == reply["uri"]
    assert posts[later["id"]].conversation_id == parent["uri"]
    assert posts[orphan["id"]].reply_to_id == f"{fake_server.url}|99"
    assert posts[orphan["id"]].conversation_id is None


def test_reblog_is_a_repost_of_the_original_uri(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    mastodon.accounts["healthwatcher"] = fixture("account.json")
    boost = fixture("reblog.json")
    mastodon.by_account["110000000000000042"] = [boost]
    pages, cursor = run(collector, account_target(fake_server))
    posts = {p.native_id: p for p in pages[0].posts}
    repost, original = posts[boost["uri"]], posts[boost["reblog"]["uri"]]
    assert (repost.kind, repost.repost_of_id, repost.text) == ("repost", original.native_id, "")
    assert repost.analysis_text == boost["reblog"]["content"]
    assert repost.url == boost["reblog"]["url"]  # the boost itself has no page of its own
    assert repost.author is not None and repost.author.handle == "healthwatcher@social.example.org"
    assert repost.conversation_id is None and not repost.context
    assert original.context and original.kind == "post"
    assert original.author is not None and original.author.handle == "nursejo@mastodon.example"
    assert cursor == boost["id"]


def test_privacy_opt_outs_and_non_public_statuses_are_skipped_and_counted(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    def account(**changes: Any) -> dict[str, Any]:
        return {**fixture("status.json")["account"], **changes}

    at = NOW - timedelta(hours=1)
    kept = [
        mastodon.post("nhs", at),
        mastodon.post("nhs", at, account=account(indexable=None, noindex=None)),
    ]
    nobot = "<p>Bots, please don't. <a href='x' class='mention hashtag'>#<span>NoBot</span></a></p>"
    for changes in [
        {"account": account(indexable=False)},
        {"account": account(noindex=True)},
        {"account": account(note=nobot)},
        {"account": account(note="<p>Private person &amp; #noindex</p>")},
        {"visibility": "unlisted"},
        {"reblog": {**fixture("reblog.json")["reblog"], "account": account(indexable=False)}},
    ]:
        mastodon.post("nhs", at, **changes)
    pages, _ = run(collector, tag_target(fake_server))
    assert sorted(ids(pages)) == sorted(s["id"] for s in kept)
    assert collector.report.skipped == {
        "indexable-false": 2, "noindex": 1, "bio-nobot": 1, "bio-noindex": 1, "visibility-unlisted": 1,
    }  # fmt: skip


def test_malformed_statuses_are_rejected_and_the_rest_of_the_page_kept(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    at = NOW - timedelta(hours=1)
    good = [mastodon.status(at), mastodon.status(at)]
    bad = [mastodon.status(at), mastodon.status(at), mastodon.status(at)]
    del bad[0]["uri"], bad[1]["created_at"]
    bad[2]["content"] = None
    fake_server.script(TAG_PATH, Reply.json([*bad, *good, "not a status"]))
    pages, cursor = run(collector, tag_target(fake_server))
    assert sorted(ids(pages)) == sorted(s["id"] for s in good)
    reasons = sorted(r.reason for r in pages[0].rejected)
    assert reasons == [
        "missing field 'content'",
        "missing field 'created_at'",
        "missing field 'uri'",
        "not a JSON object",
    ]
    assert {json.dumps(r.raw) for r in pages[0].rejected} >= {json.dumps(bad[0]), '"not a status"'}
    assert cursor == max((s["id"] for s in good + bad), key=_id_key)


# --- accounts --------------------------------------------------------------------------------


def test_account_lookup_is_cached_across_collects(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    mastodon.accounts["healthwatcher"] = fixture("account.json")
    statuses = [mastodon.status(NOW - timedelta(hours=n)) for n in (3, 2)]
    mastodon.by_account["110000000000000042"] = statuses
    target = account_target(fake_server)
    pages, cursor = run(collector, target)
    statuses.append(mastodon.status(NOW - timedelta(hours=1)))
    more, _ = run(collector, target, cursor)
    assert ids(pages) == [s["id"] for s in statuses[:2]] and ids(more) == [statuses[2]["id"]]
    assert len(fake_server.requests_to("/api/v1/accounts/lookup")) == 1
    assert fake_server.requests_to("/api/v1/accounts/lookup")[0].param("acct") == "healthwatcher"


def test_unknown_account_is_noted_and_the_run_partial(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    pages, cursor = run(collector, account_target(fake_server, "nobody"))
    assert pages == [] and cursor is None and collector.report.partial
    assert collector.report.notes == [f"account nobody not found on {fake_server.url} (404)"]


def test_opted_out_account_is_not_fetched(
    fake_server: FakeServer, mastodon: FakeMastodon, collector: MastodonCollector
) -> None:
    mastodon.accounts["healthwatcher"] = {**fixture("account.json"), "indexable": False}
    pages, _ = run(collector, account_target(fake_server))
    assert pages == [] and collector.report.skipped == {"indexable-false": 1}
    assert fake_server.requests_to("/api/v1/accounts/110000000000000042/statuses") == []

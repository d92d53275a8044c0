"""The Bluesky collector against a fake PDS/AppView on 127.0.0.1 that speaks real XRPC shapes."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from listener.collectors.base import Collector, PostItem, Target
from listener.collectors.bluesky import AUTHOR_FEED, OVERLAP, SEARCH, BlueskyCollector
from listener.collectors.http import HttpClient, HttpSettings
from listener.errors import FatalSourceError
from listener.matching import WatchSpec
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bluesky"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_attempts=3)
HANDLE = "listener-bot.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"  # an app password's shape
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
NHS = Target(key="search:#nhs", kind="hashtag", value="#nhs", watch_ids=(1,))
PAGE_SIZE = 5


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def xrpc_error(error: str, message: str, status: int) -> Reply:
    return Reply.json({"error": error, "message": message}, status=status)


class FakeBluesky:
    """createSession, refreshSession, searchPosts (since, offset cursor) and getAuthorFeed."""

    def __init__(self, server: FakeServer) -> None:
        self.posts: list[dict[str, Any]] = []  # the search index: PostViews
        self.feeds: dict[str, list[dict[str, Any]]] = {}  # actor -> FeedViewPosts, newest first
        self.password = PASSWORD
        self.expired: set[str] = set()  # access tokens past their time
        self.refresh_refused = False
        self.faults: dict[int, Reply] = {}  # nth read (1-based) -> reply played instead
        self.reads = 0
        self._generation = 0
        self._sequence = 0
        self.access, self.refresh = "", ""
        server.fallback(self.route)

    def post(
        self, at: datetime, text: str = "Waiting lists #NHS", **changes: Any
    ) -> dict[str, Any]:
        """Index a PostView like post_view.json, created at ``at``, indexed a moment later."""
        self._sequence += 1
        view = fixture("post_view.json")
        did = view["author"]["did"]
        view["uri"] = f"at://{did}/app.bsky.feed.post/3lbq{self._sequence:09d}"
        view["record"].update(text=text, createdAt=iso(at))
        view["indexedAt"] = iso(at + timedelta(milliseconds=400))
        view.update(changes)
        self.posts.append(view)
        return view

    def expire(self) -> None:
        """The current access token runs out."""
        self.expired.add(self.access)

    def uris(self, since: datetime) -> set[str]:
        return {p["uri"] for p in self.posts if when(p["record"]["createdAt"]) >= since}

    def route(self, request: Recorded) -> Reply:
        if request.path == CREATE:
            return self.create_session(request)
        if request.path == REFRESH:
            return self.refresh_session(request)
        if request.headers.get("authorization") != f"Bearer {self.access}" or not self.access:
            return xrpc_error("AuthenticationRequired", "Authentication Required", 401)
        if self.access in self.expired:
            return xrpc_error("ExpiredToken", "Token has expired", 400)
        self.reads += 1
        if self.reads in self.faults:
            return self.faults[self.reads]
        if request.path == SEARCH:
            return self.search(request)
        if request.path == AUTHOR_FEED:
            feed = self.feeds.get(request.param("actor") or "")
            if feed is None:
                return xrpc_error("InvalidRequest", "Profile not found", 400)
            return Reply.json(self.slice(request, feed, "feed"))
        return xrpc_error("MethodNotImplemented", "Method Not Implemented", 501)

    def create_session(self, request: Recorded) -> Reply:
        body = request.json()
        if body.get("identifier") != HANDLE or body.get("password") != self.password:
            return xrpc_error("AuthenticationRequired", "Invalid identifier or password", 401)
        return self.new_tokens()

    def refresh_session(self, request: Recorded) -> Reply:
        if self.refresh_refused or request.headers.get("authorization") != f"Bearer {self.refresh}":
            return xrpc_error("ExpiredToken", "Token has been revoked", 400)
        return self.new_tokens()

    def new_tokens(self) -> Reply:
        self._generation += 1
        session = fixture("session.json")
        self.access = session["accessJwt"].replace("access-1", f"access-{self._generation}")
        self.refresh = session["refreshJwt"].replace("refresh-1", f"refresh-{self._generation}")
        session.update(accessJwt=self.access, refreshJwt=self.refresh)
        return Reply.json(session)

    def search(self, request: Recorded) -> Reply:
        """Newest first by sortAt (the earlier of createdAt and indexedAt), since inclusive."""
        assert request.param("sort") == "latest"
        query = (request.param("q") or "").lower().strip('"')
        since = request.param("since")
        found = [p for p in self.posts if query in p["record"]["text"].lower()]
        if since:
            found = [p for p in found if sort_at(p) >= when(since)]
        found.sort(key=lambda p: (sort_at(p), p["uri"]), reverse=True)
        return Reply.json({**self.slice(request, found, "posts"), "hitsTotal": len(found)})

    @staticmethod
    def slice(request: Recorded, items: list[dict[str, Any]], name: str) -> dict[str, Any]:
        """One page at an offset cursor, as the AppView pages search results."""
        start = int(request.param("cursor") or 0)
        end = start + int(request.param("limit") or 25)
        page: dict[str, Any] = {name: items[start:end]}
        if end < len(items):
            page["cursor"] = str(end)
        return page


def sort_at(view: dict[str, Any]) -> datetime:
    return min(when(view["record"]["createdAt"]), when(view["indexedAt"]))


@dataclass
class Store:
    """What the caller keeps: posts by id (upserts) and the cursor saved with each page."""

    posts: dict[str, PostItem] = field(default_factory=dict)
    cursor: str | None = None
    yielded: list[str] = field(default_factory=list)  # own (not context) posts, every time

    def run(self, collector: Collector, target: Target, *, now: datetime, pages: int = 0) -> None:
        """Collect ``target``; with ``pages``, crash (stop dead) after that many pages."""
        for count, page in enumerate(collector.collect(target, cursor=self.cursor, now=now), 1):
            for post in page.posts:
                self.posts[post.native_id] = post
                self.yielded += [] if post.context else [post.native_id]
            self.cursor = page.cursor if page.cursor is not None else self.cursor
            if count == pages:
                return


@pytest.fixture(name="fake")
def fake_fixture(fake_server: FakeServer) -> FakeBluesky:
    return FakeBluesky(fake_server)


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock(NOW)


def make_collector(
    server: FakeServer, clock: FakeClock, password: str = PASSWORD
) -> BlueskyCollector:
    client = HttpClient(server.url, settings=FAST, clock=clock.clock())
    return BlueskyCollector(
        client=client,
        identifier=HANDLE,
        app_password=SecretStr(password),
        backfill=timedelta(days=2),
        page_size=PAGE_SIZE,
    )


def test_signs_in_then_searches_and_normalises(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    view = fake.post(NOW - timedelta(minutes=30))
    store = Store()
    store.run(make_collector(fake_server, clock), NHS, now=NOW)

    login, search = fake_server.requests[0], fake_server.requests[1]
    assert (login.method, login.path) == ("POST", CREATE)
    assert login.json() == {"identifier": HANDLE, "password": PASSWORD}
    assert search.path == SEARCH and search.headers["authorization"] == f"Bearer {fake.access}"
    assert search.param("q") == "#nhs" and search.param("sort") == "latest"
    assert search.param("since") == "2026-11-10T09:00:00Z"
    post = store.posts[view["uri"]]
    assert post.url == "https://bsky.app/profile/nursejo.bsky.social/post/3lbq000000001"
    assert (post.platform, post.kind, post.lang, post.conversation_id) == (
        "bluesky", "post", "en", view["uri"],
    )  # fmt: skip
    assert post.created_at == NOW - timedelta(minutes=30)
    assert post.author is not None and post.author.native_id == view["author"]["did"]
    assert post.author.name == "Jo (NHS nurse)"
    assert post.metrics == {"reply_count": 2, "repost_count": 5, "like_count": 31, "quote_count": 1}
    assert post.raw == view and post.source == f"{fake_server.url}{SEARCH}"


def test_replies_and_quotes_keep_their_references(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    root = fake.post(NOW - timedelta(hours=2), "Waiting lists #NHS")
    ref = {"uri": root["uri"], "cid": root["cid"]}
    reply = fake.post(NOW - timedelta(hours=1), "Agreed #NHS")
    reply["record"]["reply"] = {"root": ref, "parent": ref}
    quote = fake.post(NOW - timedelta(minutes=5), "Look at this #NHS")
    quote["record"]["embed"] = {"$type": "app.bsky.embed.record", "record": ref}
    store = Store()
    store.run(make_collector(fake_server, clock), NHS, now=NOW)

    got = store.posts[reply["uri"]]
    assert (got.kind, got.reply_to_id, got.conversation_id) == ("reply", root["uri"], root["uri"])
    assert (store.posts[quote["uri"]].kind, store.posts[quote["uri"]].quote_of_id) == (
        "quote", root["uri"],
    )  # fmt: skip


def test_backfill_then_incremental_collects_every_post_once(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    for minutes in range(0, 60 * 60, 250):  # 15 posts over 2.5 days: some before the window
        fake.post(NOW - timedelta(minutes=minutes + 1))
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    window = NOW - timedelta(days=2)
    assert set(store.posts) == fake.uris(window) and len(fake.uris(window)) < len(fake.posts)

    newest = fake.posts[0]["record"]["createdAt"]
    fake.post(when(newest))  # a second post at the mark's exact time: since is inclusive
    for minutes in range(1, 12):
        fake.post(NOW + timedelta(minutes=minutes * 5))
    store.run(collector, NHS, now=NOW + timedelta(hours=1))

    assert set(store.posts) == fake.uris(window)
    assert len(store.yielded) == len(set(store.yielded))
    asked_since = when(fake_server.requests_to(SEARCH)[-1].param("since") or "")
    assert asked_since == when(newest) - OVERLAP  # the mark, less the overlap asked again
    assert len(fake_server.requests_to(CREATE)) == 1  # one sign-in for the collector's life


def test_a_post_indexed_late_below_the_mark_is_still_collected(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    for minutes in range(3):
        fake.post(NOW - timedelta(minutes=minutes + 1))
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    # Created 30 s before the newest stored post, but only indexed after the run.
    late = fake.post(NOW - timedelta(seconds=90))
    late["indexedAt"] = iso(NOW + timedelta(minutes=1))
    store.run(collector, NHS, now=NOW + timedelta(minutes=5))

    assert late["uri"] in store.posts and set(store.posts) == fake.uris(NOW - timedelta(days=1))
    assert len(store.yielded) == len(set(store.yielded))  # the overlap's old posts not again


def test_expired_token_is_refreshed_once(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.post(NOW - timedelta(minutes=10))
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    fake.expire()
    fake.post(NOW + timedelta(minutes=10))
    store.run(collector, NHS, now=NOW + timedelta(hours=1))

    assert set(store.posts) == fake.uris(NOW - timedelta(days=2))
    refreshes = fake_server.requests_to(REFRESH)
    assert len(refreshes) == 1 and len(fake_server.requests_to(CREATE)) == 1
    assert refreshes[0].headers["authorization"].endswith(".refresh-1.sig")


def test_refused_refresh_signs_in_again(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.post(NOW - timedelta(minutes=10))
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    fake.expire()
    fake.refresh_refused = True
    store.run(collector, NHS, now=NOW + timedelta(hours=1))
    assert len(fake_server.requests_to(CREATE)) == 2 and len(store.posts) == 1


def test_refused_refresh_and_sign_in_fail_the_source_cleanly(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.post(NOW - timedelta(minutes=10))
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    tokens = (fake.access, fake.refresh)
    fake.expire()
    fake.refresh_refused = True
    fake.password = "the-password-was-revoked"

    with pytest.raises(FatalSourceError) as raised:
        store.run(collector, NHS, now=NOW + timedelta(hours=1))

    message = str(raised.value)
    assert f"could not sign in as {HANDLE}" in message and "401" in message
    assert len(fake_server.requests_to(CREATE)) == 2 and len(fake_server.requests_to(REFRESH)) == 1
    for secret in (PASSWORD, *tokens, *(t.split(".")[1] for t in tokens)):
        assert secret not in message and secret not in repr(collector)
        assert secret not in caplog.text and secret not in repr(raised.value)


def test_wrong_app_password_fails_at_once_without_secrets(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    collector = make_collector(fake_server, clock, password="wrong-pass-word")
    with pytest.raises(FatalSourceError) as raised:
        Store().run(collector, NHS, now=NOW)
    assert "wrong-pass-word" not in str(raised.value) and "wrong-pass-word" not in repr(collector)
    assert len(fake_server.requests_to(CREATE)) == 1 and not fake_server.requests_to(SEARCH)


def test_waits_out_a_429_with_ratelimit_reset_mid_paging(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    for minutes in range(12):
        fake.post(NOW - timedelta(minutes=minutes + 1))
    reset = str(int((NOW + timedelta(seconds=30)).timestamp()))
    headers = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": reset}
    body = xrpc_error("RateLimitExceeded", "Rate Limit Exceeded", 429).body
    fake.faults[2] = Reply(429, {"Content-Type": "application/json", **headers}, body)
    store = Store()
    store.run(make_collector(fake_server, clock), NHS, now=NOW)

    assert set(store.posts) == fake.uris(NOW - timedelta(days=2))
    assert clock.sleeps and 30 <= clock.sleeps[0] <= 32  # until the reset, plus the margin


def test_retries_5xx_resets_and_truncated_json_mid_paging(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    for minutes in range(12):
        fake.post(NOW - timedelta(minutes=minutes + 1))
    fake.faults[2] = xrpc_error("InternalServerError", "Internal Server Error", 500)
    fake.faults[3] = Reply.text("upstream unavailable", status=503)
    fake.faults[5] = Reply.reset()
    fake.faults[6] = Reply.truncated(Reply.json({"posts": fake.posts[:5], "cursor": "10"}))
    store = Store()
    store.run(make_collector(fake_server, clock), NHS, now=NOW)
    assert set(store.posts) == fake.uris(NOW - timedelta(days=2))
    assert len(store.yielded) == len(set(store.yielded))
    assert len(fake_server.requests_to(SEARCH)) == 7  # 3 pages, 4 faults retried


def test_a_crash_mid_run_leaves_no_gap(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    for minutes in range(0, 600, 50):
        fake.post(NOW - timedelta(minutes=minutes + 1))
    store = Store()
    store.run(make_collector(fake_server, clock), NHS, now=NOW)
    for minutes in range(1, 13):
        fake.post(NOW + timedelta(minutes=minutes))
    mark = store.cursor

    store.run(make_collector(fake_server, clock), NHS, now=NOW + timedelta(hours=1), pages=1)
    assert store.cursor == mark  # nothing past the old mark is promised until the run ends
    store.run(make_collector(fake_server, clock), NHS, now=NOW + timedelta(hours=1))
    assert set(store.posts) == fake.uris(NOW - timedelta(days=2))


def test_author_feed_with_a_repost(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    repost = fixture("feed_repost.json")
    own = {"post": fake.post(NOW - timedelta(hours=1), "Our weekly update")}
    fake.feeds["healthwatcher.bsky.social"] = [repost, own]  # newest first
    collector, store = make_collector(fake_server, clock), Store()
    watch = WatchSpec(7, 1, "account", "@HealthWatcher.bsky.social", platform="bluesky")
    [target] = collector.targets([watch])
    store.run(collector, target, now=NOW)

    shared = store.posts[repost["reason"]["uri"]]
    original = repost["post"]["uri"]
    assert (shared.kind, shared.repost_of_id, shared.text) == ("repost", original, "")
    assert shared.analysis_text == repost["post"]["record"]["text"]
    assert shared.author is not None and shared.author.handle == "healthwatcher.bsky.social"
    assert shared.created_at == datetime(2026, 11, 12, 8, 45, tzinfo=UTC)
    assert store.posts[original].context and own["post"]["uri"] in store.posts
    assert fake_server.requests_to(AUTHOR_FEED)[0].param("actor") == "healthwatcher.bsky.social"

    newer = {"post": fake.post(NOW + timedelta(minutes=5), "Another update")}
    fake.feeds["healthwatcher.bsky.social"].insert(0, newer)
    store.run(collector, target, now=NOW + timedelta(hours=1))
    assert newer["post"]["uri"] in store.posts
    assert len(store.yielded) == len(set(store.yielded)) == 3


def test_unknown_account_ends_its_target_as_partial(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    collector = make_collector(fake_server, clock)
    target = Target(key="account:nobody.bsky.social", kind="account", value="x", watch_ids=(1,))
    assert list(collector.collect(target, cursor=None, now=NOW)) == []
    assert collector.report.partial and "Profile not found" in collector.report.notes[0]


@pytest.mark.parametrize(
    ("pages", "stall"),
    [
        ([(2, "abc"), (2, "abc")], "the same cursor again"),
        ([(2, "abc"), (0, "def")], "an empty page that still has a cursor"),
    ],
)
def test_stalled_pagination_is_noted_and_partial(
    fake_server: FakeServer,
    fake: FakeBluesky,
    clock: FakeClock,
    pages: list[tuple[int, str]],
    stall: str,
) -> None:
    views = [fake.post(NOW - timedelta(minutes=m + 1)) for m in range(4)]
    fake_server.script(CREATE, fake.new_tokens())
    fake_server.script(
        SEARCH,
        *(
            Reply.json({"posts": views[2 * i : 2 * i + n], "cursor": c})
            for i, (n, c) in enumerate(pages)
        ),
    )
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)

    assert collector.report.partial and stall in collector.report.notes[-1]
    assert len(fake_server.requests_to(SEARCH)) == 2
    assert store.cursor is not None  # closed at the newest post seen
    assert when(json.loads(store.cursor)["top"]) == when(views[0]["record"]["createdAt"])


def test_malformed_posts_are_rejected_and_the_rest_kept(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    good = fake.post(NOW - timedelta(minutes=1))
    no_text = fake.post(NOW - timedelta(minutes=2))
    del no_text["record"]["text"]
    no_uri = fake.post(NOW - timedelta(minutes=3))
    fake_server.script(CREATE, fake.new_tokens())
    no_time = copy.deepcopy(good)
    no_time["uri"] += "x"
    del no_time["record"]["createdAt"]
    del no_uri["uri"]
    fake_server.script(SEARCH, Reply.json({"posts": [good, no_text, no_uri, no_time]}))
    pages = list(make_collector(fake_server, clock).collect(NHS, cursor=None, now=NOW))

    assert [p.native_id for page in pages for p in page.posts] == [good["uri"]]
    reasons = sorted(r.reason for page in pages for r in page.rejected)
    assert reasons == [
        "missing field 'createdAt'",
        "missing field 'record.text'",
        "missing field 'uri'",
    ]


def test_no_unauthenticated_authors_are_skipped_and_counted(
    fake_server: FakeServer, fake: FakeBluesky, clock: FakeClock
) -> None:
    kept = fake.post(NOW - timedelta(minutes=2))
    private = fake.post(NOW - timedelta(minutes=1))
    label = {
        "src": "did:plc:private",
        "uri": "at://did:plc:private/app.bsky.actor.profile/self",
        "val": "!no-unauthenticated",
        "cts": "2024-01-01T00:00:00.000Z",
    }
    private["author"] = {**private["author"], "did": "did:plc:private", "labels": [label]}
    collector, store = make_collector(fake_server, clock), Store()
    store.run(collector, NHS, now=NOW)
    store.run(collector, NHS, now=NOW + timedelta(hours=1))

    assert set(store.posts) == {kept["uri"]}
    assert collector.report.skipped == {"no-unauthenticated": 1}  # once, not on every run


def test_targets_one_per_query_and_bluesky_account() -> None:
    collector = BlueskyCollector(
        client=HttpClient("https://bsky.example"),
        identifier=HANDLE,
        app_password=SecretStr(PASSWORD),
        backfill=timedelta(days=1),
    )
    watches = [
        WatchSpec(1, 1, "hashtag", "#NHS"),
        WatchSpec(2, 2, "hashtag", "nhs"),
        WatchSpec(3, 1, "keyword", "waiting list"),
        WatchSpec(4, 1, "account", "dhsc.bsky.social", platform="bluesky"),
        WatchSpec(5, 1, "account", "dhsc@mastodon.social", platform="mastodon"),
        WatchSpec(6, 1, "hashtag", "nhs", platform="mastodon"),
    ]
    assert collector.targets(watches) == [
        Target("search:#nhs", "hashtag", "#nhs", (1, 2)),
        Target('search:"waiting list"', "keyword", '"waiting list"', (3,)),
        Target("account:dhsc.bsky.social", "account", "dhsc.bsky.social", (4,)),
    ]
    assert PASSWORD not in repr(collector)

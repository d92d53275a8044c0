"""The X collector (tweepy on HttpClient) against a fake X API v2 on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import requests
import sqlalchemy as sa
from pydantic import SecretStr

from listener import jobs
from listener.collection import collect
from listener.collectors.base import (
    Collector,
    Page,
    PostItem,
    SourceReport,
    Target,
    WatchLike,
)
from listener.collectors.http import HttpClient, HttpSettings
from listener.collectors.x import (
    XCollector,
    XSettings,
    combine_queries,
    search_key,
    snowflake_time,
)
from listener.collectors.x_session import TWEEPY_HOST, tweepy_client
from listener.configfile import load_config
from listener.errors import FatalSourceError, RetriableError
from listener.matching import WatchSpec
from listener.pages import Linker
from listener.store.cursors import load
from listener.store.queries import store_counts
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)
from tests.conftest import EXAMPLE_CONFIG

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_attempts=3)
TOKEN = "test-bearer-token-0123456789"
SEARCH = "/2/tweets/search/recent"
EPOCH_MS = 1_288_834_974_657


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def watch(
    watch_id: int, kind: str, value: str, platform: str = "", *, department: int = 1
) -> WatchSpec:
    return WatchSpec(
        id=watch_id, department_id=department, kind=kind, value=value, platform=platform
    )


class FakeX:
    """X API v2 recent search, user lookup and user timelines: since_id, start_time, tokens."""

    def __init__(self, server: FakeServer) -> None:
        self.found: list[dict[str, Any]] = []  # what recent search finds (for any query)
        self.users: dict[str, dict[str, Any]] = {}  # lower-case username -> user
        self.timelines: dict[str, list[dict[str, Any]]] = {}  # user id -> tweets
        self.faults: dict[tuple[str, int], Reply] = {}  # (path, nth request to it) -> fault
        self._calls: dict[str, int] = {}
        self._sequence = 0
        self.user("nursejo", "2244994945")
        server.fallback(self.route)

    def user(self, username: str, user_id: str) -> dict[str, Any]:
        user = {**fixture("user.json"), "id": user_id, "username": username}
        self.users[username.lower()] = user
        return user

    def tweet(
        self, at: datetime, text: str = "Waiting lists #NHS", **changes: Any
    ) -> dict[str, Any]:
        """A tweet like tweet.json whose snowflake id encodes ``at``, as X's ids do."""
        self._sequence += 1
        millis = int(at.timestamp() * 1000) - EPOCH_MS
        tweet = {**fixture("tweet.json"), "text": text, "created_at": iso(at)}
        tweet["id"] = tweet["conversation_id"] = str((millis << 22) + self._sequence)
        tweet.update(changes)
        return tweet

    def post(self, count: int, *, start: datetime, step: timedelta = timedelta(minutes=7)) -> None:
        """``count`` tweets found by search, from ``start`` onwards."""
        self.found += [self.tweet(start + step * n, f"post {n} #NHS") for n in range(count)]

    def ids(self) -> set[str]:
        return {t["id"] for t in self.found}

    def route(self, request: Recorded) -> Reply:
        count = self._calls[request.path] = self._calls.get(request.path, 0) + 1
        if (fault := self.faults.pop((request.path, count), None)) is not None:
            return fault
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply.json({"title": "Unauthorized", "status": 401}, status=401)
        if request.path == SEARCH:
            return self.page(request, self.found, token="next_token")
        if request.path == "/2/users/by":
            return self.lookup(request)
        user_id = request.path.removeprefix("/2/users/").removesuffix("/tweets")
        if user_id in self.timelines:
            return self.page(request, self.timelines[user_id], token="pagination_token")
        return Reply.json({"title": "Not Found Error", "status": 404}, status=404)

    def lookup(self, request: Recorded) -> Reply:
        names = (request.param("usernames") or "").split(",")
        data = [self.users[n.lower()] for n in names if n.lower() in self.users]
        errors = [
            {**fixture("users_by_errors.json")["errors"][0], "value": n, "resource_id": n}
            for n in names
            if n.lower() not in self.users
        ]
        return Reply.json({"data": data, **({"errors": errors} if errors else {})})

    def page(self, request: Recorded, tweets: list[dict[str, Any]], *, token: str) -> Reply:
        """One page, newest first, of the tweets after since_id / start_time, below the token."""
        rows = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)
        size = int(request.param("max_results") or 10)
        if not 5 <= size <= 100:
            return Reply.json({"title": "Invalid Request", "status": 400}, status=400)
        if since := request.param("since_id"):
            rows = [t for t in rows if int(t["id"]) > int(since)]
        if start := request.param("start_time"):
            if request.path == SEARCH and start < iso(NOW - timedelta(days=7)):
                return Reply.json({"title": "Invalid Request", "status": 400}, status=400)
            rows = [t for t in rows if t["created_at"] >= start]
        if below := request.param(token):
            rows = [t for t in rows if int(t["id"]) < int(below.removeprefix("7140dw"))]
        chunk = rows[:size]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if chunk:
            meta.update(newest_id=chunk[0]["id"], oldest_id=chunk[-1]["id"])
        if len(rows) > size:
            meta["next_token"] = "7140dw" + chunk[-1]["id"]
        users = list(self.users.values())[:1]
        body = {"data": chunk, "includes": {"users": users}, "meta": meta}
        return Reply.json(body if chunk else {"meta": meta})


@dataclass
class Store:
    """Stores pages as listener.collection does: posts upserted by id, cursor when not None."""

    posts: dict[str, PostItem] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)  # every non-context post yielded

    def run(self, collector: Collector, target: Target, *, crash_after: int = 0) -> int:
        """Collect one target; with ``crash_after``, stop dead after that many pages."""
        # collect is a generator: close() is how a consumer that stops dead leaves it.
        pages = cast(
            Generator[Page, None, None],
            collector.collect(target, cursor=self.cursors.get(target.key), now=NOW),
        )
        count = 0
        for count, page in enumerate(pages, 1):
            for post in page.posts:
                self.posts[post.native_id] = post
                self.fetched += [] if post.context else [post.native_id]
            if page.cursor is not None:
                self.cursors[target.key] = page.cursor
            if count == crash_after:
                pages.close()  # as a kill would: this page was committed, nothing after it
                break
        return count

    def ids(self) -> set[str]:
        return {key for key, post in self.posts.items() if not post.context}


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    """A database holding the example config's departments and watches."""
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


@pytest.fixture(name="fake_x")
def fake_x_fixture(fake_server: FakeServer) -> FakeX:
    return FakeX(fake_server)


def collector_for(
    server: FakeServer,
    clock: FakeClock | None = None,
    *,
    settings: HttpSettings = FAST,
    page_size: int = 10,
) -> XCollector:
    client = HttpClient(
        server.url,
        settings=settings,
        headers={"Authorization": SecretStr(f"Bearer {TOKEN}")},
        clock=(clock or FakeClock()).clock(),
    )
    return XCollector(client=client, settings=XSettings(page_size=page_size))


def search_target(collector: XCollector) -> Target:
    (target,) = collector.targets([watch(1, "hashtag", "#NHS")])
    return target


def test_backfill_then_incremental_stores_every_post_once(
    fake_server: FakeServer, fake_x: FakeX
) -> None:
    fake_x.post(25, start=NOW - timedelta(days=3))
    collector = collector_for(fake_server)
    target = search_target(collector)
    store = Store()
    cursors_seen: list[str | None] = []
    for page in collector.collect(target, cursor=None, now=NOW):
        cursors_seen.append(page.cursor)
        store.posts.update({p.native_id: p for p in page.posts})
    newest = max(fake_x.ids(), key=int)
    assert cursors_seen == [None, None, newest]  # only the last page completes the run
    assert set(store.posts) == fake_x.ids()
    store.cursors[target.key] = newest

    fake_x.post(7, start=NOW - timedelta(hours=1))
    store.run(collector, target)
    assert store.ids() == fake_x.ids()
    assert len(store.fetched) == 7  # since_id: nothing old fetched again
    assert store.cursors[target.key] == max(fake_x.ids(), key=int)
    last = fake_server.requests_to(SEARCH)[-1]
    assert last.param("since_id") == newest
    assert last.param("start_time") is None


def reset_at(clock: FakeClock, seconds: int) -> dict[str, str]:
    return {"x-rate-limit-reset": str(int(clock.current.timestamp()) + seconds)}


FAULTS = {
    "429 with x-rate-limit-reset": lambda clock: Reply.json(
        {"title": "Too Many Requests"}, status=429, headers=reset_at(clock, 20)
    ),
    "429 without reset": lambda clock: Reply.json({"title": "Too Many Requests"}, status=429),
    "500": lambda clock: Reply.json({"title": "Internal Error"}, status=500),
    "503": lambda clock: Reply.text("Service Unavailable", status=503),
    "timeout": lambda clock: Reply.json({"data": []}).after(2.0),
    "connection reset": lambda clock: Reply.reset(),
    "truncated body": lambda clock: Reply.truncated(Reply.json({"data": [{"id": "1"}] * 40})),
    "truncated JSON": lambda clock: Reply(200, {"Content-Type": "application/json"}, b'{"data": ['),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_mid_paging_lose_and_duplicate_nothing(
    fake_server: FakeServer, fake_x: FakeX, fault: str
) -> None:
    clock = FakeClock()
    fake_x.post(25, start=NOW - timedelta(days=3))
    # Backfill: requests 1-4 (page 2 retried); incremental: request 5 fails, 6 succeeds.
    fake_x.faults[(SEARCH, 2)] = FAULTS[fault](clock)
    fake_x.faults[(SEARCH, 5)] = FAULTS[fault](clock)
    collector = collector_for(fake_server, clock)
    target = search_target(collector)
    store = Store()
    assert store.run(collector, target) == 3
    fake_x.post(7, start=NOW - timedelta(hours=1))
    store.run(collector, target)
    assert store.ids() == fake_x.ids()
    assert sorted(store.fetched) == sorted(fake_x.ids())  # each post fetched exactly once
    assert len(fake_server.requests_to(SEARCH)) == 6
    if fault.startswith("429"):
        assert clock.sleeps and collector.rate_limit_waited > 0  # waited on the fake clock


@pytest.mark.parametrize("incremental", [False, True], ids=["backfill", "incremental"])
def test_crash_after_page_two_of_three_then_restart(
    fake_server: FakeServer, fake_x: FakeX, incremental: bool
) -> None:
    store = Store()
    if incremental:
        fake_x.post(4, start=NOW - timedelta(days=5))
        store.run(collector_for(fake_server), search_target(collector_for(fake_server)))
        before = dict(store.cursors)
    fake_x.post(25, start=NOW - timedelta(days=2))
    collector = collector_for(fake_server)
    target = search_target(collector)
    assert store.run(collector, target, crash_after=2) == 2
    assert store.cursors == (before if incremental else {})  # the run never completed
    restarted = collector_for(fake_server)
    store.run(restarted, search_target(restarted))
    assert store.ids() == fake_x.ids()
    assert store.cursors[target.key] == max(fake_x.ids(), key=int)


def test_expired_token_is_fatal_and_not_retried(fake_server: FakeServer, fake_x: FakeX) -> None:
    fake_x.post(3, start=NOW - timedelta(days=1))
    fake_server.script(SEARCH, Reply.json({"title": "Unauthorized", "status": 401}, status=401))
    collector = collector_for(fake_server)
    targets = collector.targets([watch(1, "hashtag", "NHS"), watch(2, "account", "nursejo", "x")])
    with pytest.raises(FatalSourceError, match="expired, revoked"):
        list(collector.collect(targets[0], cursor=None, now=NOW))
    with pytest.raises(FatalSourceError, match="expired, revoked"):  # no request spent on it
        list(collector.collect(targets[1], cursor=None, now=NOW))
    assert len(fake_server.requests) == 1
    assert TOKEN not in str(collector.report.notes)


def test_forbidden_names_the_access_level(fake_server: FakeServer, fake_x: FakeX) -> None:
    body = {"title": "Client Forbidden", "reason": "client-not-enrolled", "status": 403}
    fake_server.script(SEARCH, Reply.json(body, status=403))
    collector = collector_for(fake_server)
    with pytest.raises(FatalSourceError, match="access level") as raised:
        list(collector.collect(search_target(collector), cursor=None, now=NOW))
    assert "client-not-enrolled" in str(raised.value)


def test_usernames_resolved_once_for_all_accounts(fake_server: FakeServer, fake_x: FakeX) -> None:
    fake_x.user("DHSCgovuk", "111")
    fake_x.timelines["2244994945"] = [fake_x.tweet(NOW - timedelta(hours=n)) for n in range(3)]
    fake_x.timelines["111"] = [fake_x.tweet(NOW - timedelta(hours=2))]
    collector = collector_for(fake_server)
    watches = [watch(1, "account", "@nursejo", "x"), watch(2, "account", "DHSCgovuk", "x")]
    watches.append(watch(3, "account", "nosuchaccount", "x"))
    targets = collector.targets(watches)
    assert [t.key for t in targets] == [
        "account:dhscgovuk",
        "account:nosuchaccount",
        "account:nursejo",
    ]
    store = Store()
    for target in targets + targets:  # two passes with one collector
        store.run(collector, target)
    lookups = fake_server.requests_to("/2/users/by")
    assert len(lookups) == 1
    assert sorted((lookups[0].param("usernames") or "").split(",")) == [
        "dhscgovuk",
        "nosuchaccount",
        "nursejo",
    ]
    all_ids = {t["id"] for tweets in fake_x.timelines.values() for t in tweets}
    assert store.ids() == all_ids
    assert collector.report.partial
    assert any("@nosuchaccount not found" in note for note in collector.report.notes)
    second = fake_server.requests_to("/2/users/2244994945/tweets")[-1]
    assert second.param("since_id") == max(
        (t["id"] for t in fake_x.timelines["2244994945"]), key=int
    )


def test_combined_queries_fit_the_limit() -> None:
    clauses = [(f"#tag{n:03}", n) for n in range(200)] + [("#tag007", 999)]
    queries, too_long = combine_queries([*clauses, ("x" * 600, 1000)], max_length=512)
    assert too_long == ["x" * 600]
    assert all(len(q.query) <= 512 for q in queries)
    assert 1 < len(queries) <= 200 * len(" OR #tag000") // 512 + 1
    parts = [part for q in queries for part in q.query.split(" OR ")]
    assert sorted(parts) == sorted({c for c, _ in clauses})  # each clause exactly once
    (holder,) = [q for q in queries if "#tag007" in q.query.split(" OR ")]
    assert {7, 999} <= set(holder.watch_ids)


def test_targets_translate_watches_to_x_queries() -> None:
    collector = XCollector(client=HttpClient("http://127.0.0.1:9"))
    watches = [
        watch(1, "hashtag", "#NHS"),
        watch(2, "keyword", "waiting list"),
        watch(3, "query", 'nhs ("waiting list" OR backlog) -strike'),
        watch(4, "query", "lang:en"),  # X refuses a query of lang: alone
        watch(5, "query", "from:someone@mastodon.social nhs"),  # not an X handle
        watch(6, "hashtag", "#NHS", platform="mastodon"),  # another platform's watch
        watch(7, "hashtag", "nhs"),  # the same as watch 1: one clause, both ids
    ]
    (target,) = collector.targets(watches)
    assert target.value == '"waiting list" OR #nhs OR (nhs ("waiting list" OR backlog) -strike)'
    assert target.watch_ids == (1, 2, 3, 7)
    assert target.key == search_key(target.value)
    assert collector.report.skipped == {"watch X cannot search": 2}


def test_each_department_gets_its_own_queries() -> None:
    collector = XCollector(client=HttpClient("http://127.0.0.1:9"))
    watches = [
        watch(1, "hashtag", "#NHS", department=1),
        watch(2, "keyword", "waiting list", department=1),
        watch(3, "hashtag", "#RAAC", department=2),
        watch(4, "hashtag", "#NHS", department=3),
        watch(5, "keyword", "waiting list", department=3),
        watch(6, "account", "DHSCgovuk", "x", department=1),
        watch(7, "account", "@dhscgovuk", "x", department=2),
    ]
    targets = {t.value: t.watch_ids for t in collector.targets(watches)}
    assert targets == {
        '"waiting list" OR #nhs': (1, 2, 4, 5),  # the same watches: one query answers both
        "#raac": (3,),
        "dhscgovuk": (6, 7),
    }


def test_a_hanging_server_times_out_through_the_mounted_adapter(
    fake_server: FakeServer, fake_x: FakeX
) -> None:
    fake_server.handle(SEARCH, lambda request: Reply.json({"data": []}).after(10))
    settings = HttpSettings(connect_timeout=0.3, read_timeout=0.3, total_timeout=1, max_attempts=2)
    collector = collector_for(fake_server, settings=settings)
    started = time.monotonic()
    with pytest.raises(RetriableError, match="timed out"):
        list(collector.collect(search_target(collector), cursor=None, now=NOW))
    assert time.monotonic() - started < 3


def test_tweepy_reaches_only_base_url(fake_server: FakeServer, fake_x: FakeX) -> None:
    fake_x.post(3, start=NOW - timedelta(days=1))
    collector = collector_for(fake_server)
    Store().run(collector, search_target(collector))
    (request,) = fake_server.requests_to(SEARCH)  # tweepy's request arrived at the fake
    assert request.headers["authorization"] == f"Bearer {TOKEN}"  # tweepy held a placeholder
    assert request.param("tweet.fields") and "note_tweet" in (request.param("tweet.fields") or "")
    api = tweepy_client(HttpClient(fake_server.url))
    assert TOKEN not in api.bearer_token
    for url in ("https://example.com/2/tweets", "http://api.twitter.com/2/tweets"):
        with pytest.raises(FatalSourceError):
            api.session.get(url)
    with pytest.raises(FatalSourceError, match="only reads"):
        api.session.post(TWEEPY_HOST + "2/tweets", json={"text": "hi"})
    assert isinstance(api.session.get_adapter(TWEEPY_HOST), requests.adapters.BaseAdapter)


def test_stalled_pagination_is_partial_and_keeps_the_cursor(
    fake_server: FakeServer, fake_x: FakeX
) -> None:
    fake_x.post(12, start=NOW - timedelta(days=1))
    # A first page whose next_token, followed, comes back again.
    repeat = Reply.json(
        {"data": fake_x.found[:10], "meta": {"result_count": 10, "next_token": "same"}}
    )
    fake_server.script(SEARCH, repeat, repeat)
    collector = collector_for(fake_server)
    store = Store()
    store.run(collector, search_target(collector))
    assert collector.report.partial
    assert "came again" in collector.report.notes[-1]
    assert store.cursors == {}  # not complete: the next run starts from the same place


def test_empty_page_with_next_token_is_a_stall(fake_server: FakeServer, fake_x: FakeX) -> None:
    fake_server.script(SEARCH, Reply.json({"meta": {"result_count": 0, "next_token": "more"}}))
    collector = collector_for(fake_server)
    assert Store().run(collector, search_target(collector)) == 0
    assert collector.report.partial
    assert "empty page" in collector.report.notes[-1]


def test_malformed_tweet_is_rejected_and_the_rest_kept(
    fake_server: FakeServer, fake_x: FakeX
) -> None:
    good = fake_x.tweet(NOW - timedelta(hours=1))
    broken = {"id": "1856321098765432199", "created_at": iso(NOW)}  # no text
    body = {"data": [broken, good], "meta": {"result_count": 2, "newest_id": broken["id"]}}
    fake_server.script(SEARCH, Reply.json(body))
    collector = collector_for(fake_server)
    (page,) = collector.collect(search_target(collector), cursor=None, now=NOW)
    assert [p.native_id for p in page.posts] == [good["id"]]
    assert [r.reason for r in page.rejected] == ["missing field 'text'"]
    assert page.rejected[0].raw == broken
    assert page.cursor == broken["id"]


def test_first_run_window_and_a_cursor_out_of_reach(fake_server: FakeServer, fake_x: FakeX) -> None:
    client = HttpClient(fake_server.url, headers={"Authorization": f"Bearer {TOKEN}"})
    collector = XCollector(client=client, settings=XSettings(backfill=timedelta(days=30)))
    target = search_target(collector)
    list(collector.collect(target, cursor=None, now=NOW))  # would be a 400 beyond 7 days
    stale = fake_x.tweet(NOW - timedelta(days=9))["id"]
    assert snowflake_time(stale) == NOW - timedelta(days=9)
    list(collector.collect(target, cursor=stale, now=NOW))
    first, second = fake_server.requests_to(SEARCH)
    assert first.param("start_time") == second.param("start_time") == "2026-11-05T09:01:00Z"
    assert second.param("since_id") is None
    assert "were not collected" in collector.report.notes[-1]


def test_collection_pass_stores_every_post_once_and_only_x_fails_on_401(
    configured: sa.Engine, fake_server: FakeServer, fake_x: FakeX
) -> None:
    now = datetime.now(UTC)  # the caller passes the real time to collect
    fake_x.post(25, start=now - timedelta(days=2))
    collector = collector_for(fake_server)
    with configured.connect() as conn:
        watches = Linker(conn).watches
    for n, target in enumerate(t for t in collector.targets(watches) if t.kind == "account"):
        fake_x.user(target.value, str(n))
        fake_x.timelines[str(n)] = [fake_x.tweet(now - timedelta(hours=n + 1))]
    [run] = collect(configured, {"x": collector})
    assert run.status == "ok", (run.error, collector.report.notes)
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == len(fake_x.ids()) + len(fake_x.timelines)
        searches = [t.key for t in collector.targets(watches) if t.kind == "query"]
        assert {load(conn, source="x", key=key) for key in searches} == {max(fake_x.ids(), key=int)}
    fake_x.post(5, start=now - timedelta(hours=1))
    collect(configured, {"x": collector_for(fake_server)})
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == len(fake_x.ids()) + len(fake_x.timelines)

    fake_server.handle(SEARCH, lambda request: Reply.json({"title": "Unauthorized"}, status=401))
    other = Scripted()
    refused, fine = collect(configured, {"x": collector_for(fake_server), "other": other})
    assert (refused.status, fine.status) == ("failed", "ok")
    assert "expired, revoked" in refused.error


class Scripted:
    """Another source that works: a 401 on X must not stop it."""

    name = "other"

    def __init__(self) -> None:
        self.report = SourceReport()

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        return [Target(key="k", kind="feed", value="v", watch_ids=())]

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        yield Page(cursor="done")

"""Deletions at source end to end: a fake X, Mastodon and Bluesky on 127.0.0.1, the store, run records.

Posts are built from the platform fixtures by the collectors' own normalisers
and stored as collection stores them; the fake platforms then answer the
deletion check's lookups as the real APIs do for deleted, protected, private
and opted-out posts.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from listener.collectors import bluesky_normalise, mastodon_normalise, xv2
from listener.collectors.base import PostItem
from listener.collectors.bluesky import BlueskyCollector
from listener.collectors.bluesky_deletions import GET_POSTS, GET_RECORD
from listener.collectors.deletions import DeletionChecker, StoredPost, Verdict
from listener.collectors.http import HttpClient, HttpSettings
from listener.collectors.mastodon import MastodonCollector
from listener.collectors.registry import Unavailable
from listener.collectors.x import XCollector
from listener.deletions import check_deletions
from listener.models import CollectionRun
from tests.cli.runner import invoke
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)
from tests.store.test_deletions import analyse, configure, found, linked, store, stored

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_attempts=3)
TOKEN = "test-bearer-token-0123456789"
HANDLE = "listener-bot.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
TAG_TIMELINE = "/api/v1/timelines/tag/nhs"
OPT_OUT = [{"src": "did:plc:quiet", "uri": "did:plc:quiet", "val": "!no-unauthenticated"}]
RUNS = CollectionRun.__table__  # type: ignore[attr-defined]
REPOSTER = "did:plc:7hw5healthwatch2cd3e4f5g6"  # reason.by in feed_repost.json


def fixture(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text())


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakePlatforms:
    """What each platform still shows: X's tweet lookup, Mastodon statuses, Bluesky XRPC."""

    def __init__(self, server: FakeServer) -> None:
        self.url = server.url
        self.tweets: set[str] = set()  # X ids the lookup returns in data
        self.x_errors: dict[str, dict[str, Any]] = {}  # X id -> its entry in errors
        self.statuses: dict[str, dict[str, Any]] = {}  # Mastodon local id -> status shown
        self.views: dict[str, dict[str, Any]] = {}  # at-uri -> PostView the AppView shows
        self.records: set[str] = set()  # at-uris whose record is still in its repo
        self.faults: dict[str, Reply] = {}  # path -> reply played instead, every time
        server.fallback(self.route)

    def route(self, request: Recorded) -> Reply:
        fault = self.faults.get(request.path)
        if fault is not None:
            return fault
        if request.path == "/2/tweets":
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return Reply.json({"title": "Unauthorized", "status": 401}, status=401)
            return self.tweet_lookup(request)
        if request.path.startswith("/api/v1/statuses/"):
            status = self.statuses.get(request.path.rsplit("/", 1)[-1])
            return (
                Reply.json(status)
                if status
                else Reply.json({"error": "Record not found"}, status=404)
            )
        if request.path == CREATE_SESSION:
            return Reply.json(fixture("bluesky", "session.json"))
        if request.path == GET_POSTS:
            uris = request.query.get("uris", [])
            return Reply.json({"posts": [self.views[u] for u in uris if u in self.views]})
        if request.path == GET_RECORD:
            return self.get_record(request)
        return Reply.json({"error": f"unexpected {request.path}"}, status=404)

    def tweet_lookup(self, request: Recorded) -> Reply:
        ids = (request.param("ids") or "").split(",")
        data = [
            {"id": i, "text": "…", "edit_history_tweet_ids": [i]} for i in ids if i in self.tweets
        ]
        errors = [self.x_errors[i] for i in ids if i in self.x_errors]
        return Reply.json(
            {**({"data": data} if data else {}), **({"errors": errors} if errors else {})}
        )

    def x_gone(self, native_id: str, title: str) -> None:
        """X answers this id in ``errors``, as Not Found Error or Authorization Error."""
        entry = next(e for e in fixture("x", "tweets_lookup.json")["errors"] if e["title"] == title)
        self.x_errors[native_id] = {**entry, "value": native_id, "resource_id": native_id}

    def get_record(self, request: Recorded) -> Reply:
        uri = "at://{}/{}/{}".format(*(request.param(p) for p in ("repo", "collection", "rkey")))
        if uri in self.records:
            return Reply.json({**fixture("bluesky", "get_record.json"), "uri": uri})
        body = fixture("bluesky", "record_not_found.json")
        return Reply.json({**body, "message": f"Could not locate record: {uri}"}, status=400)

    def asked_x_ids(self, server: FakeServer) -> set[str]:
        return {
            i for r in server.requests_to("/2/tweets") for i in (r.param("ids") or "").split(",")
        }


@pytest.fixture(name="fake")
def fake_fixture(fake_server: FakeServer) -> FakePlatforms:
    return FakePlatforms(fake_server)


# --- stored posts, built by the collectors' own normalisers ------------------------------------


def x_posts(url: str, *tweets: tuple[str, str, datetime, str]) -> list[PostItem]:
    """(id, text, created_at, author id) tweets as a recent-search page normalises them."""
    users = [
        fixture("x", "user.json"),
        {**fixture("x", "user.json"), "id": "999", "username": "gonejo"},
    ]
    data = [
        {**fixture("x", "tweet.json"), "id": i, "conversation_id": i, "text": text,
         "created_at": iso(at), "author_id": who}
        for i, text, at, who in tweets
    ]  # fmt: skip
    page = {"data": data, "includes": {"users": users}}
    source = f"{url}/2/tweets/search/recent"
    return [item for item in xv2.page_items(page, source=source, location=source)]  # type: ignore[misc]


def status(local_id: str, text: str, at: datetime, *, account: str = "nursejo") -> dict[str, Any]:
    """A public status like status.json, by ``account``, with its own ids."""
    found = copy.deepcopy(fixture("mastodon", "status.json"))
    found.update(
        id=local_id, uri=f"https://mastodon.example/users/{account}/statuses/{local_id}",
        url=f"https://mastodon.example/@{account}/{local_id}", content=f"<p>{text}</p>",
        created_at=iso(at),
    )  # fmt: skip
    found["account"].update(
        username=account, acct=account, id=f"acct-{account}",
        url=f"https://mastodon.example/@{account}", uri=f"https://mastodon.example/users/{account}",
    )  # fmt: skip
    return found


def mastodon_posts(url: str, *statuses: dict[str, Any]) -> list[PostItem]:
    threads = mastodon_normalise.ThreadIndex(url)
    items = []
    for entity in statuses:
        items += mastodon_normalise.status_items(
            entity, threads=threads, source=f"{url}{TAG_TIMELINE}", location="test"
        )
    return items  # type: ignore[return-value]


def view(rkey: str, text: str, at: datetime, **changes: Any) -> dict[str, Any]:
    """A PostView like post_view.json with its own uri."""
    found = copy.deepcopy(fixture("bluesky", "post_view.json"))
    found["uri"] = f"at://{found['author']['did']}/app.bsky.feed.post/{rkey}"
    found["record"].update(text=text, createdAt=iso(at))
    found["indexedAt"] = iso(at)
    found.update(changes)
    return found


def repost(original: dict[str, Any], *, record: str | None) -> dict[str, Any]:
    """A FeedViewPost reposting ``original``; ``record`` None: an AppView that sent no uri."""
    item = copy.deepcopy(fixture("bluesky", "feed_repost.json"))
    item["post"] = original
    if record is None:
        del item["reason"]["uri"]
    else:
        item["reason"]["uri"] = record
    return item


def bluesky_posts(url: str, *items: dict[str, Any]) -> list[PostItem]:
    found: list[Any] = []
    for item in items:
        found += bluesky_normalise.feed_items(item, source=f"{url}/xrpc/...", location="test")
    return found


# --- collectors on the fake server --------------------------------------------------------------


def client(fake: FakePlatforms, **headers: SecretStr) -> HttpClient:
    return HttpClient(fake.url, settings=FAST, headers=headers, clock=FakeClock(NOW).clock())


def x_collector(fake: FakePlatforms) -> XCollector:
    return XCollector(client=client(fake, Authorization=SecretStr(f"Bearer {TOKEN}")))


def mastodon_collector(fake: FakePlatforms) -> MastodonCollector:
    return MastodonCollector(clients={fake.url: client(fake)})


def bluesky_collector(fake: FakePlatforms) -> BlueskyCollector:
    return BlueskyCollector(
        client=client(fake), identifier=HANDLE, app_password=SecretStr(PASSWORD)
    )


def run_records(engine: sa.Engine) -> list[dict[str, Any]]:
    query = sa.select(RUNS.c.source, RUNS.c.status, RUNS.c.posts_seen, RUNS.c.error, RUNS.c.detail)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query.order_by(RUNS.c.id))]


def ids_of(items: list[PostItem]) -> set[tuple[str, str]]:
    return {item.key for item in items}


# --- the tests ----------------------------------------------------------------------------------


def test_deletions_at_each_platform_disappear_from_storage(
    engine: sa.Engine, fake_server: FakeServer, fake: FakePlatforms
) -> None:
    configure(engine)
    day = timedelta(days=1)
    x = x_posts(
        fake.url,
        ("1856321098765432101", "Waiting lists #NHS", NOW - day, "2244994945"),
        ("1856321098765432102", "Walkout tomorrow #NHS", NOW - day, "999"),  # deleted
        ("1856321098765432103", "Strike ballot #NHS", NOW - 2 * day, "2244994945"),  # protected
        ("1856321098765432104", "Old news #NHS", NOW - 10 * day, "2244994945"),  # out of window
    )
    fake.tweets.add("1856321098765432101")
    fake.x_gone("1856321098765432102", "Not Found Error")
    fake.x_gone("1856321098765432103", "Authorization Error")
    fake.x_gone("1856321098765432104", "Not Found Error")

    shown, gone, quiet = (
        status("1001", "Ward staffing #NHS", NOW - day),
        status("1002", "Walkout tomorrow #NHS", NOW - day),  # deleted: 404
        status("1003", "Clinic closures #NHS", NOW - day, account="quietjo"),
    )
    mastodon = mastodon_posts(fake.url, shown, gone, quiet)
    fake.statuses["1001"] = shown
    # quietjo has since turned off "include my public posts in search results".
    fake.statuses["1003"] = copy.deepcopy(quiet)
    fake.statuses["1003"]["account"]["indexable"] = False

    kept, deleted, opted, hidden = (
        view("3lbqkept", "Beds are short #NHS", NOW - day),
        view("3lbqgone", "Walkout tomorrow #NHS", NOW - day),
        view("3lbqquiet", "Pay talks #NHS", NOW - day),
        view("3lbqhidden", "Rota chaos #NHS", NOW - day),
    )
    undone = f"at://{REPOSTER}/app.bsky.feed.repost/3lbqundone"
    bluesky = bluesky_posts(
        fake.url, kept, deleted, opted, hidden,
        repost(deleted, record=None),  # a made-up id: goes with its original
        repost(kept, record=undone),  # its repost record was deleted (an undone repost)
    )  # fmt: skip
    fake.views.update({kept["uri"]: kept, opted["uri"]: {**opted}})
    fake.views[opted["uri"]]["author"] = {**opted["author"], "labels": OPT_OUT}
    fake.records.add(hidden["uri"])  # in its repo, but the AppView will not show it

    store(engine, *x, *mastodon, *bluesky)
    analyse(engine)
    before = stored(engine)
    collectors = {
        "x": x_collector(fake),
        "mastodon": mastodon_collector(fake),
        "bluesky": bluesky_collector(fake),
    }
    runs = check_deletions(engine, collectors, days=7, now=NOW)

    removed = {
        ("x", "1856321098765432102"), ("x", "1856321098765432103"),
        ("mastodon", gone["uri"]), ("mastodon", quiet["uri"]),
        ("bluesky", deleted["uri"]), ("bluesky", opted["uri"]), ("bluesky", hidden["uri"]),
        ("bluesky", f"{deleted['uri']}#repost:{REPOSTER}"), ("bluesky", undone),
    }  # fmt: skip
    assert removed <= before
    assert stored(engine) == before - removed
    remaining = {native for _, native in before - removed}
    for table, natives in linked(engine).items():
        assert natives == remaining, table
    assert found(engine, "walkout") == set()
    assert found(engine, "waiting") == {"1856321098765432101"}
    assert "1856321098765432104" not in fake.asked_x_ids(fake_server)  # older than 7 days

    assert [(r.platform, r.status, r.checked, r.removed) for r in runs] == [
        ("x", "ok", 3, 2), ("mastodon", "ok", 3, 2), ("bluesky", "ok", 5, 5),
    ]  # fmt: skip
    records = run_records(engine)
    assert [(r["source"], r["status"], r["posts_seen"], r["error"]) for r in records] == [
        ("deletions:x", "ok", 3, ""),
        ("deletions:mastodon", "ok", 3, ""),
        ("deletions:bluesky", "ok", 5, ""),
    ]
    details = [r["detail"] for r in records]
    counted = ("days", "in_window", "checked", "unchecked", "removed", "authors_removed")
    assert {k: details[0][k] for k in counted} == {
        "days": 7, "in_window": 3, "checked": 3, "unchecked": 0, "removed": 2,
        "authors_removed": 1,  # gonejo had only the deleted post
    }  # fmt: skip
    assert details[0]["reasons"] == {"deleted": 1, "private": 1}
    assert details[1]["reasons"] == {"deleted": 1, "not indexable": 1}
    assert details[1]["authors_removed"] == 1  # quietjo
    assert details[2]["reasons"] == {"deleted": 2, "not indexable": 1, "private": 1}
    # The made-up repost id cannot be asked about; it went with its original.
    assert (details[2]["in_window"], details[2]["unchecked"]) == (6, 1)
    assert (details[2]["reposts_removed"], details[2]["authors_removed"]) == (1, 1)


def test_a_platform_that_keeps_failing_removes_nothing_and_says_so(
    engine: sa.Engine, fake: FakePlatforms
) -> None:
    configure(engine)
    store(engine, *x_posts(fake.url, ("1856321098765432102", "Walkout #NHS", NOW, "999")))
    fake.x_gone("1856321098765432102", "Not Found Error")
    fake.faults["/2/tweets"] = Reply.json({"title": "Service Unavailable"}, status=503)
    before = stored(engine)

    (run,) = check_deletions(engine, {"x": x_collector(fake)}, days=7, now=NOW)

    assert stored(engine) == before
    assert (run.status, run.checked, run.removed) == ("failed", 0, 0)
    (record,) = run_records(engine)
    assert (record["source"], record["status"]) == ("deletions:x", "failed")
    assert "503 Service Unavailable after 3 attempts" in record["error"]
    assert record["detail"]["removed"] == 0 and record["detail"]["checked"] == 0


def test_a_long_rate_limit_removes_nothing_and_records_when_it_resets(
    engine: sa.Engine, fake: FakePlatforms
) -> None:
    configure(engine)
    gone = view("3lbqgone", "Walkout #NHS", NOW)
    store(engine, *bluesky_posts(fake.url, gone))
    limited = Reply.json(
        {"error": "RateLimitExceeded"}, status=429, headers={"Retry-After": "3600"}
    )
    fake.faults[GET_POSTS] = limited
    before = stored(engine)

    (run,) = check_deletions(engine, {"bluesky": bluesky_collector(fake)}, days=7, now=NOW)

    assert stored(engine) == before
    assert run.status == "failed" and "rate limited" in run.error
    (record,) = run_records(engine)
    assert record["detail"]["rate_limited_until"] == (NOW + timedelta(hours=1)).isoformat()


def test_answers_before_a_failure_are_acted_on_and_the_run_is_partial(
    engine: sa.Engine, fake: FakePlatforms
) -> None:
    configure(engine)
    statuses = [status(str(n), f"post {n} #NHS", NOW - timedelta(hours=n)) for n in (1, 2, 3)]
    items = mastodon_posts(fake.url, *statuses)
    store(engine, *items)  # stored 1, 2, 3: checked newest stored first, 3 and 2, then 1
    fake.statuses["2"] = statuses[1]  # 3 is deleted: 404
    fake.faults["/api/v1/statuses/1"] = Reply(status=503)
    collector = mastodon_collector(fake)
    collector.deletion_batch = 2

    (run,) = check_deletions(engine, {"mastodon": collector}, days=7, now=NOW)

    assert stored(engine) == ids_of(items) - {("mastodon", statuses[2]["uri"])}
    assert (run.status, run.checked, run.removed, run.reasons) == ("partial", 2, 1, {"deleted": 1})
    assert "503" in run.error
    assert run_records(engine)[0]["status"] == "partial"


def test_a_source_that_cannot_run_is_recorded_as_failed_and_others_carry_on(
    engine: sa.Engine, fake: FakePlatforms
) -> None:
    configure(engine)
    store(engine, *mastodon_posts(fake.url, status("7", "Walkout #NHS", NOW)))
    collectors = {
        "x": Unavailable("x", reason="x needs credentials.bearer_token"),
        "mastodon": mastodon_collector(fake),
        "rss": Unavailable("rss"),  # a source that has nothing to check: no run at all
    }

    runs = check_deletions(engine, collectors, days=7, now=NOW)  # type: ignore[arg-type]

    assert [(r.platform, r.status, r.removed) for r in runs] == [
        ("x", "failed", 0), ("mastodon", "ok", 1),
    ]  # fmt: skip
    assert runs[0].error == "x needs credentials.bearer_token"
    assert stored(engine) == set()


def test_x_answers_that_say_nothing_about_a_post_give_no_verdict(fake: FakePlatforms) -> None:
    asked = ["11", "12", "13", "14"]
    fake.tweets.add("11")
    fake.x_gone("12", "Not Found Error")
    # An error about a user, and a problem X may add later, say nothing about the post.
    fake.x_errors["13"] = {**fake.x_errors["12"], "resource_type": "user", "value": "13"}
    fake.x_errors["14"] = {
        **fake.x_errors["12"], "value": "14", "resource_id": "14", "title": "Forbidden",
        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    }  # fmt: skip
    posts = [StoredPost(i) for i in [*asked, "not-an-x-id"]]

    collector = x_collector(fake)
    assert isinstance(collector, DeletionChecker)
    verdicts = list(collector.check_stored(posts))

    assert verdicts == [Verdict("11"), Verdict("12", "deleted")]  # 14 and 13: unchecked


def test_the_cli_checks_each_sources_window_and_exits_1_when_one_fails(
    engine: sa.Engine,
    database_url: str,
    fake: FakePlatforms,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("cli.yaml").write_text(
        f"departments:\n  - slug: dhsc\n    name: Health\n    watches:\n      hashtags: [NHS]\n"
        f"sources:\n"
        f"  mastodon:\n    enabled: true\n    base_url: {fake.url}\n    deletion_check_days: 2\n"
        f"  x:\n    enabled: true\n    credentials:\n      bearer_token: LISTENER_X_TOKEN\n"
        f"  rss:\n    enabled: true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LISTENER_CONFIG", "cli.yaml")
    monkeypatch.setenv("LISTENER_DATABASE_URL", database_url)
    assert invoke(monkeypatch, capsys, "config", "import")[0] == 0
    recent, older = status("21", "Walkout #NHS", NOW), status("22", "Walkout #NHS", NOW)
    recent["created_at"] = iso(datetime.now(UTC) - timedelta(days=1))
    older["created_at"] = iso(datetime.now(UTC) - timedelta(days=3))
    store(engine, *mastodon_posts(fake.url, recent, older))  # both deleted at source

    code, out, _ = invoke(monkeypatch, capsys, "deletions")
    assert code == 1  # x cannot run without its token
    assert "mastodon: ok, 1 of 1 posts from the last 2 days checked, 1 removed (deleted 1)" in out
    assert "x: failed" in out and "credentials.bearer_token" in out
    assert "rss" not in out

    code, out, _ = invoke(monkeypatch, capsys, "deletions", "--source", "mastodon", "--days", "5")
    assert code == 0 and "1 of 1 posts from the last 5 days checked, 1 removed" in out
    assert stored(engine) == set()

    code, _, err = invoke(monkeypatch, capsys, "deletions", "--source", "rss")
    assert code == 1 and "rss cannot be checked for deletions" in err

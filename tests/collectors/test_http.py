"""The shared HTTP layer against a real loopback server: retries, rate limits, failures."""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from listener.collectors.http import HttpClient, HttpSettings, RequestRejected
from listener.collectors.ratelimit import backoff_delay, parse_reset, quota_exhausted
from listener.errors import FatalSourceError, RateLimited, RetriableError
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
TOKEN = "s3cret-bearer-token-value"
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.2, total_timeout=1.0, max_attempts=3)


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def client(fake_server: FakeServer, clock: FakeClock) -> Iterator[HttpClient]:
    headers = {"Authorization": SecretStr(f"Bearer {TOKEN}")}
    with HttpClient(fake_server.url, settings=FAST, headers=headers, clock=clock.clock()) as client:
        yield client


# parse_reset: one row per header format and per way a header can be wrong.

IN_5_MIN = NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-rate-limit-reset": epoch(IN_5_MIN)}, IN_5_MIN),  # X: epoch seconds
        ({"X-RateLimit-Reset": "2026-11-12T09:05:00.000Z"}, IN_5_MIN),  # Mastodon: ISO 8601
        ({"X-RateLimit-Reset": "2026-11-12T10:05:00+01:00"}, IN_5_MIN),
        ({"X-RateLimit-Reset": "2026-11-12T09:05:00"}, IN_5_MIN),  # no offset: UTC
        ({"ratelimit-reset": epoch(IN_5_MIN)}, IN_5_MIN),  # Bluesky: epoch seconds
        ({"RateLimit-Reset": "300"}, IN_5_MIN),  # IETF draft: seconds from now
        ({"Retry-After": "300"}, IN_5_MIN),
        ({"Retry-After": "Thu, 12 Nov 2026 09:05:00 GMT"}, IN_5_MIN),
        ({"Retry-After": "300", "x-rate-limit-reset": epoch(NOW + timedelta(minutes=9))}, IN_5_MIN),
        ({"Retry-After": "soon", "x-rate-limit-reset": epoch(IN_5_MIN)}, IN_5_MIN),
        ({"x-rate-limit-reset": epoch(NOW + timedelta(days=1))}, NOW + timedelta(days=1)),
    ],
)
def test_parse_reset_reads_each_platform_format(
    headers: dict[str, str], expected: datetime
) -> None:
    assert parse_reset(headers, now=NOW) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-rate-limit-reset": ""},
        {"x-rate-limit-reset": epoch(NOW - timedelta(minutes=1))},  # in the past
        {"x-rate-limit-reset": epoch(NOW)},  # now: nothing to wait for
        {"x-rate-limit-reset": epoch(NOW + timedelta(days=2))},  # absurdly far
        {"x-rate-limit-reset": "999999999999"},  # beyond datetime's range
        {"x-rate-limit-reset": "-5"},
        {"x-rate-limit-reset": "nan"},
        {"x-rate-limit-reset": "1e10"},
        {"X-RateLimit-Reset": "2036-11-12T09:05:00Z"},
        {"X-RateLimit-Reset": "tomorrow"},
        {"Retry-After": "0"},
        {"Retry-After": "99999999999"},
        {"Retry-After": "Thu, 99 Nov 2026 09:05:00 GMT"},
        {"Retry-After": "Wed, 11 Nov 2026 09:05:00 GMT"},
    ],
)
def test_parse_reset_ignores_missing_and_nonsensical_headers(headers: dict[str, str]) -> None:
    assert parse_reset(headers, now=NOW) is None


@pytest.mark.parametrize(
    ("headers", "exhausted"),
    [
        ({"x-rate-limit-remaining": "0"}, True),
        ({"X-RateLimit-Remaining": "0"}, True),
        ({"ratelimit-remaining": "0"}, True),
        ({"x-rate-limit-remaining": "12"}, False),
        ({}, False),
    ],
)
def test_quota_exhausted(headers: dict[str, str], exhausted: bool) -> None:
    assert quota_exhausted(headers) is exhausted


def test_backoff_grows_is_capped_never_near_zero_and_is_seeded() -> None:
    delays = [backoff_delay(n, base=1, cap=8, rng=random.Random(1)) for n in range(1, 8)]
    steps = [1, 2, 4, 8, 8, 8, 8]
    assert all(step / 2 <= delay <= step for delay, step in zip(delays, steps, strict=True))
    again = [backoff_delay(n, base=1, cap=8, rng=random.Random(1)) for n in range(1, 8)]
    assert delays == again
    assert backoff_delay(10_000, base=1, cap=8, rng=random.Random(1)) <= 8


# Requests and responses.


def test_get_returns_the_response_and_sends_agent_auth_and_params(
    fake_server: FakeServer, client: HttpClient
) -> None:
    fake_server.script("/api/items", Reply.json({"items": [1, 2]}, headers={"ETag": '"v1"'}))
    response = client.get_json("/api/items", params={"q": "#NHS", "limit": 40})
    assert (response.status, response.json(), response.headers["etag"]) == (
        200,
        {"items": [1, 2]},
        '"v1"',
    )
    assert response.fetched_at == NOW
    [sent] = fake_server.requests
    assert sent.query == {"q": ["#NHS"], "limit": ["40"]}
    assert sent.headers["user-agent"].startswith("listener/")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


def test_base_url_with_a_path_prefix_is_kept(fake_server: FakeServer, clock: FakeClock) -> None:
    fake_server.script("/gateway/x/2/tweets", Reply.json({}))
    client = HttpClient(f"{fake_server.url}/gateway/x/", settings=FAST, clock=clock.clock())
    assert client.get("/2/tweets").status == 200


def test_conditional_get_returns_304_with_the_headers_sent(
    fake_server: FakeServer, client: HttpClient
) -> None:
    fake_server.script("/feed.xml", Reply(status=304))
    response = client.get("/feed.xml", headers={"If-None-Match": '"v1"'})
    assert response.status == 304
    assert fake_server.requests[0].headers["if-none-match"] == '"v1"'


def test_credentials_go_only_to_the_base_url_origin(
    fake_server: FakeServer, client: HttpClient
) -> None:
    fake_server.script("/next", Reply.json([]))
    fake_server.script("/feed.xml", Reply.text("<rss/>"))
    port = fake_server.url.rsplit(":", 1)[1]
    client.get(f"{fake_server.url}/next")  # a Link header's next page: same origin
    client.get(f"http://localhost:{port}/feed.xml")  # another origin
    own, other = fake_server.requests
    assert own.headers["authorization"] == f"Bearer {TOKEN}"
    assert "authorization" not in other.headers


def test_post_json_sends_the_payload(fake_server: FakeServer, client: HttpClient) -> None:
    fake_server.script("/xrpc/com.atproto.server.createSession", Reply.json({"accessJwt": "a"}))
    response = client.post_json(
        "/xrpc/com.atproto.server.createSession", payload={"identifier": "me"}
    )
    assert response.json() == {"accessJwt": "a"}
    assert fake_server.requests[0].method == "POST"
    assert fake_server.requests[0].json() == {"identifier": "me"}


# Retries.


@pytest.mark.parametrize(
    "failure",
    [
        Reply(status=503),
        Reply(status=500),
        Reply(status=408),
        Reply.json({"ok": True}).after(1.0),  # longer than the read timeout
        Reply.reset(),
        Reply.truncated(Reply.json({"data": [{"id": "1", "text": "hello"}]})),
        Reply.json({"ok": True}, headers={"Content-Length": "999"}),  # then the server closes
        Reply(200, {"Content-Type": "application/json"}, b'{"data": [{"id": "1"'),  # cut JSON
    ],
    ids=["503", "500", "408", "timeout", "reset", "truncated", "short-content-length", "cut-json"],
)
def test_transient_failures_are_retried_after_a_backoff(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock, failure: Reply
) -> None:
    fake_server.script("/api/items", failure, Reply.json({"items": []}))
    assert client.get_json("/api/items").json() == {"items": []}
    assert len(fake_server.requests) == 2
    [wait] = clock.sleeps
    assert 0.5 <= wait <= 1.0
    assert client.rate_limit_waited == 0


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (Reply(status=503), "503 Service Unavailable"),
        (Reply.json({}).after(1.0), "timed out"),
        (Reply.reset(), "connection failed"),
        (Reply.truncated(Reply.json({"data": "x" * 100})), "truncated body"),
        (Reply(200, {}, b"<html>proxy error</html>"), "truncated body (not valid JSON)"),
    ],
    ids=["503", "timeout", "reset", "truncated", "not-json"],
)
def test_after_max_attempts_raises_retriable_with_one_line_reason(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock, failure: Reply, reason: str
) -> None:
    fake_server.script("/2/tweets/search/recent", failure, failure, failure)
    with pytest.raises(
        RetriableError, match=r"^GET /2/tweets/search/recent: .* after 3 attempts$"
    ) as info:
        client.get_json("/2/tweets/search/recent", params={"query": "#NHS"})
    assert reason in str(info.value)
    assert len(fake_server.requests) == 3
    assert len(clock.sleeps) == 2  # none after the last attempt


def test_backoff_is_exponential_capped_and_deterministic(fake_server: FakeServer) -> None:
    settings = HttpSettings(max_attempts=6, backoff_base=1, backoff_cap=4, read_timeout=0.2)

    def waits() -> list[float]:
        fake_clock = FakeClock(NOW, seed=3)
        fake_server.script("/api", *[Reply(status=502)] * 6)
        client = HttpClient(fake_server.url, settings=settings, clock=fake_clock.clock())
        with pytest.raises(RetriableError, match="502 Bad Gateway after 6 attempts"):
            client.get("/api")
        return fake_clock.sleeps

    first = waits()
    steps = [1, 2, 4, 4, 4]
    assert all(step / 2 <= wait <= step for wait, step in zip(first, steps, strict=True))
    assert waits() == first


def test_get_does_not_parse_json_so_a_non_json_body_is_returned(
    fake_server: FakeServer, client: HttpClient
) -> None:
    fake_server.script(
        "/feed.xml", Reply.text("<rss><channel>", content_type="application/rss+xml")
    )
    assert client.get("/feed.xml").body == b"<rss><channel>"


def test_connection_refused_is_retriable(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(f"http://127.0.0.1:{port}", settings=FAST, clock=clock.clock())
    with pytest.raises(RetriableError, match=r"connection failed .* after 3 attempts"):
        client.get("/api")


def test_a_server_dripping_bytes_is_cut_off_at_the_total_timeout(
    fake_server: FakeServer, clock: FakeClock
) -> None:
    settings = HttpSettings(read_timeout=0.5, total_timeout=0.3, max_attempts=1)
    fake_server.script("/slow", Reply(200, {}, b"x" * 100, drip=0.05))
    client = HttpClient(fake_server.url, settings=settings, clock=clock.clock())
    with pytest.raises(RetriableError, match=r"timed out after 1 attempt$"):
        client.get("/slow")


# Rate limits.


@pytest.mark.parametrize(
    "headers",
    [
        {"x-rate-limit-reset": epoch(NOW + timedelta(seconds=30)), "x-rate-limit-remaining": "0"},
        {"X-RateLimit-Reset": "2026-11-12T09:00:30.000Z", "X-RateLimit-Remaining": "0"},
        {"Retry-After": "30"},
    ],
    ids=["x-epoch", "mastodon-iso", "retry-after"],
)
def test_short_rate_limit_waits_until_reset_then_retries(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock, headers: dict[str, str]
) -> None:
    fake_server.script(
        "/api",
        Reply.json({"title": "Too Many Requests"}, status=429, headers=headers),
        Reply.json([1]),
    )
    assert client.get_json("/api").json() == [1]
    assert clock.sleeps == [31.0]  # until the reset, plus the margin
    assert client.rate_limit_waited == 31.0


def test_long_rate_limit_raises_rate_limited_with_resume_time(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock
) -> None:
    reset = NOW + timedelta(minutes=15)
    fake_server.script(
        "/2/tweets/search/recent", Reply(status=429, headers={"x-rate-limit-reset": epoch(reset)})
    )
    with pytest.raises(
        RateLimited, match=r"^GET /2/tweets/search/recent: rate limited until"
    ) as info:
        client.get("/2/tweets/search/recent")
    assert (info.value.resume_at, info.value.waited_seconds) == (reset, 0.0)
    assert clock.sleeps == []
    assert len(fake_server.requests) == 1
    # The same endpoint is not asked again until the reset: no retry storm.
    with pytest.raises(RateLimited):
        client.get("/2/tweets/search/recent")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-rate-limit-reset": epoch(NOW - timedelta(hours=1))},
        {"x-rate-limit-reset": epoch(NOW + timedelta(days=30))},
        {"Retry-After": "whenever"},
    ],
    ids=["missing", "past", "far-future", "garbage"],
)
def test_429_without_a_sensible_reset_backs_off_and_is_bounded(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock, headers: dict[str, str]
) -> None:
    fake_server.script("/api", *[Reply(status=429, headers=headers)] * 3)
    with pytest.raises(RateLimited, match="429 Too Many Requests after 3 attempts") as info:
        client.get("/api")
    assert len(fake_server.requests) == 3
    assert len(clock.sleeps) == 2
    assert all(0.5 <= wait <= 2.0 for wait in clock.sleeps)  # backoff, not a hot loop or a hang
    assert client.rate_limit_waited == pytest.approx(sum(clock.sleeps))
    assert info.value.waited_seconds == pytest.approx(sum(clock.sleeps))
    assert info.value.resume_at > clock.now()


def test_a_used_up_quota_waits_before_the_next_request(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock
) -> None:
    quota = {
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": epoch(NOW + timedelta(seconds=20)),
    }
    fake_server.script("/api", Reply.json([1], headers=quota), Reply.json([2]))
    fake_server.script("/other", Reply.json([3]))
    client.get("/api")
    assert client.get("/other").json() == [3]  # another endpoint has its own quota
    assert clock.sleeps == []
    assert client.get("/api").json() == [2]
    assert clock.sleeps == [21.0]
    assert client.rate_limit_waited == 21.0


def test_a_used_up_quota_with_a_far_reset_raises_without_sending(
    fake_server: FakeServer, client: HttpClient
) -> None:
    reset = NOW + timedelta(minutes=10)
    quota = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.isoformat()}
    fake_server.script("/api/v1/timelines/tag/nhs", Reply.json([1], headers=quota))
    client.get("/api/v1/timelines/tag/nhs")
    with pytest.raises(RateLimited, match="quota used up") as info:
        client.get("/api/v1/timelines/tag/nhs")
    assert info.value.resume_at == reset
    assert len(fake_server.requests) == 1


# Failures that are not retried.


def test_401_is_fatal_at_once_and_names_no_secret(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock
) -> None:
    fake_server.script("/api", Reply.json({"error": f"bad token {TOKEN}"}, status=401))
    with pytest.raises(FatalSourceError) as info:
        client.get("/api")
    assert (
        str(info.value)
        == "GET /api: 401 Unauthorized: the credential was rejected (expired or revoked?)"
    )
    assert (len(fake_server.requests), clock.sleeps) == (1, [])


def test_403_is_fatal_at_once_with_the_server_reason_masked(
    fake_server: FakeServer, client: HttpClient
) -> None:
    fake_server.script("/api", Reply.json({"detail": f"token {TOKEN} lacks access"}, status=403))
    with pytest.raises(FatalSourceError, match="403 Forbidden") as info:
        client.get("/api")
    assert TOKEN not in str(info.value)
    assert "[redacted]" in str(info.value)
    assert len(fake_server.requests) == 1


def test_other_4xx_is_rejected_with_a_short_secret_free_excerpt(
    fake_server: FakeServer, client: HttpClient, clock: FakeClock
) -> None:
    body = {"error": f"unknown parameter; you sent Bearer {TOKEN}", "pad": "z" * 1000}
    fake_server.script("/api", Reply.json(body, status=400))
    with pytest.raises(RequestRejected, match=r"^GET /api: 400 Bad Request: \{") as info:
        client.get("/api", params={"bogus": "1"})
    assert info.value.status == 400
    assert TOKEN not in str(info.value)
    assert len(info.value.excerpt) <= 200
    assert (len(fake_server.requests), clock.sleeps) == (1, [])


def test_secrets_stay_out_of_reprs_and_logs(
    fake_server: FakeServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_server.script("/api", Reply(status=500), Reply(status=429), Reply.json({}))
    response = client.get("/api")
    assert "retrying" in caplog.text
    for text in (caplog.text, repr(client), repr(client.settings), repr(response)):
        assert TOKEN not in text


def test_a_malformed_url_is_fatal(clock: FakeClock) -> None:
    client = HttpClient("http://", settings=FAST, clock=clock.clock())
    with pytest.raises(FatalSourceError, match="request could not be sent"):
        client.get("/api")

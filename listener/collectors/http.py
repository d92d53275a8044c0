"""The shared HTTP layer: timeouts, retries, backoff and rate limits for every collector.

A collector asks for a page and gets back a whole response, or one of:

    RetriableError     5xx, 408, timeouts, connection failures or truncated bodies
                       on every one of ``max_attempts`` tries
    RateLimited        the platform's limit resets later than ``max_wait``: stop the
                       run, keep the cursor, record the wait
    FatalSourceError   401/403, at once and without retrying; or a request that can
                       never be sent (malformed URL)
    RequestRejected    any other 4xx: the request itself is wrong, so no retry

Example::

    client = HttpClient("https://mastodon.social", headers={"Authorization": token})
    page = client.get_json("/api/v1/timelines/tag/nhs", params={"limit": 40})
    statuses, link = page.json(), page.headers.get("Link")
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from http import HTTPStatus
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import requests
import urllib3
from pydantic import SecretStr

from listener import __version__
from listener.collectors.ratelimit import QuotaBook, backoff_delay, parse_reset
from listener.errors import CollectorError, FatalSourceError, RateLimited, RetriableError

log = logging.getLogger(__name__)

USER_AGENT = f"listener/{__version__} (self-hosted social media listening)"
# Header names whose values are credentials: never logged, and masked in body excerpts.
_SENSITIVE = re.compile(r"auth|token|key|secret|cookie|session|password", re.IGNORECASE)
_EXCERPT_CHARS = 200
_SCAN_BYTES = 65_536  # of an error body, looked at for the excerpt
_CHUNK_BYTES = 65_536

Params: TypeAlias = Mapping[str, Any] | None  # query parameters; lists repeat the name
Headers: TypeAlias = Mapping[str, str] | None


class RequestRejected(CollectorError):
    """Raised for a 4xx other than 401, 403, 408 and 429: the request itself is wrong."""

    def __init__(self, message: str, *, status: int, excerpt: str) -> None:
        super().__init__(message)
        self.status = status
        self.excerpt = excerpt


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How patient a client is (all times in seconds)."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # longest silence from the server before an attempt fails
    # A server that drips bytes never trips read_timeout; this bounds one whole response.
    total_timeout: float = 120.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_wait: float = 60.0  # longest rate-limit reset worth sleeping through in a run
    wait_margin: float = 1.0  # the platform's clock and ours disagree by a second or so
    user_agent: str = USER_AGENT


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Clock:
    """Where the client reads the time, how it waits, and its jitter; tests pass fakes."""

    now: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True)
class Response:
    """A whole HTTP response, and where and when it was fetched."""

    status: int
    url: str
    fetched_at: datetime
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON (parsed once); ValueError if it is not JSON."""
        return self._parsed

    @cached_property
    def _parsed(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class _Request:
    """One logical request, resent as-is on each attempt."""

    method: str
    url: str
    label: str  # "GET /2/tweets/search/recent": no host for the source's own URLs, no query
    endpoint: str  # host and path: quotas are tracked per endpoint
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    payload: Any = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why one attempt failed in a way that is worth another try."""

    reason: str
    rate_limited: bool = False
    reset: datetime | None = None


_Check = Callable[[Response], "str | None"]


class HttpClient:
    """Talks to one source; the only place listener retries, backs off or waits on rate limits."""

    def __init__(
        self,
        base_url: str,
        *,
        settings: HttpSettings | None = None,
        headers: Mapping[str, str | SecretStr] | None = None,
        clock: Clock | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings()
        self._headers = dict(headers or {})  # sent only to base_url's origin
        self._clock = clock or Clock()
        self._session = session or requests.Session()
        self._quotas = QuotaBook()
        self._rate_limit_waited = 0.0

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r})"

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def rate_limit_waited(self) -> float:
        """Seconds this client has slept on rate limits so far, for the run record."""
        return self._rate_limit_waited

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def get(self, path_or_url: str, *, params: Params = None, headers: Headers = None) -> Response:
        """GET a path under base_url, or a full URL; retried until the body arrives whole."""
        request = self._request("GET", path_or_url, params=params, headers=headers)
        return self._send(request, check=_whole_body)

    def get_json(
        self, path_or_url: str, *, params: Params = None, headers: Headers = None
    ) -> Response:
        """GET as `get` does, and also retry a body that does not parse as JSON (cut short)."""
        request = self._request("GET", path_or_url, params=params, headers=headers)
        return self._send(request, check=_json_body)

    def post_json(self, path_or_url: str, *, payload: Any, headers: Headers = None) -> Response:
        """POST a JSON payload, expecting JSON back; retried like get, so only for safe repeats."""
        request = self._request("POST", path_or_url, params=None, headers=headers)
        return self._send(replace(request, payload=payload), check=_json_body)

    def _request(
        self, method: str, path_or_url: str, *, params: Params, headers: Headers
    ) -> _Request:
        """Resolve the URL and the headers to send; credentials only go to base_url's origin."""
        if urlsplit(path_or_url).scheme in ("http", "https"):
            url = path_or_url
        else:
            url = f"{self.base_url}/{path_or_url.lstrip('/')}"
        own = _origin(url) == _origin(self.base_url)
        sent = {"User-Agent": self.settings.user_agent}
        if own:
            sent.update({name: _reveal(value) for name, value in self._headers.items()})
        sent.update(headers or {})
        parts = urlsplit(url)
        where = parts.path if own else f"{parts.netloc}{parts.path}"
        return _Request(
            method=method,
            url=url,
            label=f"{method} {where or '/'}",
            endpoint=f"{parts.netloc}{parts.path}",
            params=params,
            headers=sent,
            secrets=_secrets(sent, always=self._headers if own else {}),
        )

    def _send(self, request: _Request, *, check: _Check) -> Response:
        """Attempt the request until it succeeds, fails for good, or attempts run out."""
        waited = self._wait_for_quota(request)
        failure = _Failure("no attempt made")
        for attempt in range(1, self.settings.max_attempts + 1):
            outcome = self._attempt(request, check=check)
            if isinstance(outcome, Response):
                self._quotas.note(request.endpoint, outcome.headers, now=outcome.fetched_at)
                return outcome
            failure = outcome
            if attempt < self.settings.max_attempts:
                waited += self._pause(request, failure, attempt=attempt, waited=waited)
        raise self._exhausted(request, failure, waited=waited)

    def _attempt(self, request: _Request, *, check: _Check) -> Response | _Failure:
        """One try: a usable response, a failure worth retrying, or an exception for good."""
        try:
            response = self._fetch(request)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            return _transport_failure(request, exc)
        status = response.status
        if status == 429:
            reset = parse_reset(response.headers, now=response.fetched_at)
            return _Failure("429 Too Many Requests", rate_limited=True, reset=reset)
        if status >= 500 or status == 408:
            return _Failure(_status_line(status))
        if status >= 400:
            raise _rejection(request, response)
        problem = check(response)
        return _Failure(problem) if problem else response

    def _fetch(self, request: _Request) -> Response:
        """Send once and read the whole body within total_timeout."""
        settings = self.settings
        deadline = time.monotonic() + settings.total_timeout
        with self._session.request(
            request.method,
            request.url,
            params=request.params,
            headers=request.headers,
            json=request.payload,
            timeout=(settings.connect_timeout, settings.read_timeout),
            stream=True,  # so the body is read under our deadline, not requests' own loop
        ) as raw:
            body = _read_body(raw, deadline=deadline)
            return Response(
                status=raw.status_code,
                url=raw.url,
                fetched_at=self._clock.now(),
                headers=raw.headers,
                body=body,
            )

    def _pause(self, request: _Request, failure: _Failure, *, attempt: int, waited: float) -> float:
        """Sleep before the next attempt; return the seconds slept on a rate limit."""
        settings = self.settings
        delay = backoff_delay(
            attempt, base=settings.backoff_base, cap=settings.backoff_cap, rng=self._clock.rng
        )
        if failure.reset is not None:
            delay = self._seconds_until(failure.reset) + settings.wait_margin
            if delay > settings.max_wait:
                self._quotas.block(request.endpoint, until=failure.reset)
                raise RateLimited(
                    f"{request.label}: rate limited until {_hhmmss(failure.reset)}, "
                    f"longer than the {settings.max_wait:g} s this run will wait",
                    resume_at=failure.reset,
                    waited_seconds=waited,
                )
        log.info("%s: %s; retrying in %.1f s", request.label, failure.reason, delay)
        self._clock.sleep(delay)
        if not failure.rate_limited:
            return 0.0
        self._rate_limit_waited += delay
        return delay

    def _exhausted(self, request: _Request, failure: _Failure, *, waited: float) -> CollectorError:
        """The error for a request whose every attempt failed."""
        count = self.settings.max_attempts
        attempts = f"{count} attempt" if count == 1 else f"{count} attempts"
        if not failure.rate_limited:
            return RetriableError(f"{request.label}: {failure.reason} after {attempts}")
        resume_at = failure.reset or self._clock.now() + timedelta(
            seconds=self.settings.backoff_cap
        )
        return RateLimited(
            f"{request.label}: {failure.reason} after {attempts}",
            resume_at=resume_at,
            waited_seconds=waited,
        )

    def _wait_for_quota(self, request: _Request) -> float:
        """Honour a used-up quota announced earlier, before spending a request on it."""
        resume_at = self._quotas.resume_at(request.endpoint, now=self._clock.now())
        if resume_at is None:
            return 0.0
        delay = self._seconds_until(resume_at) + self.settings.wait_margin
        if delay > self.settings.max_wait:
            raise RateLimited(
                f"{request.label}: quota used up until {_hhmmss(resume_at)}",
                resume_at=resume_at,
                waited_seconds=0.0,
            )
        log.info("%s: quota used up; waiting %.1f s for the reset", request.label, delay)
        self._clock.sleep(delay)
        self._rate_limit_waited += delay
        self._quotas.clear(request.endpoint)
        return delay

    def _seconds_until(self, moment: datetime) -> float:
        return (moment - self._clock.now()).total_seconds()


def _read_body(raw: requests.Response, *, deadline: float) -> bytes:
    """The whole body, or ReadTimeout if it is still arriving at the deadline."""
    chunks = []
    # read1 returns whatever has arrived; read(n) would block until n bytes came,
    # so a server sending a byte a second would never reach the deadline check.
    while chunk := raw.raw.read1(_CHUNK_BYTES, decode_content=True):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise requests.ReadTimeout("the body did not arrive within total_timeout")
    return b"".join(chunks)


def _whole_body(response: Response) -> str | None:
    """Why the body is not whole, or None: the Content-Length it promised was not delivered."""
    declared = response.headers.get("Content-Length", "")
    # With Content-Encoding the header counts compressed bytes, so it cannot be compared.
    if not declared.isdigit() or "Content-Encoding" in response.headers:
        return None
    if response.status in (204, 304) or int(declared) == len(response.body):
        return None
    return f"truncated body ({len(response.body)} of {declared} bytes)"


def _json_body(response: Response) -> str | None:
    """Why the body is not whole JSON, or None."""
    problem = _whole_body(response)
    if problem or response.status in (204, 304):
        return problem
    try:
        response.json()
    except ValueError:
        return "truncated body (not valid JSON)"
    return None


def _transport_failure(request: _Request, exc: Exception) -> _Failure:
    """Classify a requests or urllib3 (body read) exception: retriable ones return, others raise."""
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError):
        return _Failure("timed out")
    # ProtocolError: the connection closed before Content-Length bytes came (IncompleteRead).
    if isinstance(exc, urllib3.exceptions.ProtocolError | urllib3.exceptions.DecodeError):
        return _Failure("truncated body (connection closed mid-response)")
    if isinstance(exc, requests.ConnectionError | urllib3.exceptions.HTTPError):
        return _Failure("connection failed (refused, reset or closed)")
    # Malformed URL, redirect loop and the like: the same request will never work.
    raise FatalSourceError(f"{request.label}: request could not be sent ({type(exc).__name__})")


def _rejection(request: _Request, response: Response) -> CollectorError:
    """The error for a 4xx that retrying will not fix."""
    status = response.status
    excerpt = _excerpt(response.body, secrets=request.secrets)
    if status == 401:
        return FatalSourceError(
            f"{request.label}: 401 Unauthorized: the credential was rejected (expired or revoked?)",
            status=401,
        )
    said = f": {excerpt}" if excerpt else ""
    if status == 403:
        return FatalSourceError(
            f"{request.label}: 403 Forbidden: the credential may not do this "
            f"(missing scope or API access level?){said}",
            status=403,
        )
    return RequestRejected(
        f"{request.label}: {_status_line(status)}{said}", status=status, excerpt=excerpt
    )


def _excerpt(body: bytes, *, secrets: tuple[str, ...]) -> str:
    """The start of a body on one line, with any credential we sent masked."""
    # Mask before shortening, so a cut can never leave part of a secret showing.
    text = body[:_SCAN_BYTES].decode("utf-8", errors="replace")
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…"


def _secrets(sent: Mapping[str, str], *, always: Mapping[str, object]) -> tuple[str, ...]:
    """Credential values among the headers sent, longest first, scheme words split off."""
    values = [v for name, v in sent.items() if name in always or _SENSITIVE.search(name)]
    # "Bearer abc": a server may echo only the token.
    parts = [part for value in values for part in value.split() if len(part) >= 8]
    return tuple(sorted({*values, *parts}, key=len, reverse=True))


def _reveal(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc.lower())


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _hhmmss(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")

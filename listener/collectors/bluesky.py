"""Collect public Bluesky posts for hashtag, keyword and account watches over plain XRPC.

Endpoints, all through the shared HttpClient (it retries 5xx, backs off and
waits on ``ratelimit-reset``), under ``base_url`` (a PDS or entryway such as
https://bsky.social, which proxies app.bsky.* calls to the AppView)::

    POST /xrpc/com.atproto.server.createSession   app-password sign-in, once per collector
    POST /xrpc/com.atproto.server.refreshSession  when the access token expires
    GET  /xrpc/app.bsky.feed.searchPosts          one target per hashtag or keyword (sort=latest)
    GET  /xrpc/app.bsky.feed.getAuthorFeed        one target per watched Bluesky account

searchPosts needs a session since January 2025. An expired access token
(400 ``ExpiredToken``, or 401 on some servers) is renewed once per call:
refreshSession, or if that fails a fresh sign-in; a call that still fails
raises FatalSourceError. Messages name the account, never a password or JWT.

Cursor (opaque to the caller, per target): JSON ``{"top": T, "seen": {id: t}}``
where T is the newest feed time stored (see ``bluesky_normalise.sort_at``)
and ``seen`` the ids stored in the OVERLAP (2 minutes) up to T, with their
times. A run asks for everything since T - OVERLAP (first run: ``now -
backfill``), newest first, following the API's ``cursor`` until it is
absent, and drops the ids in ``seen``: a post indexed a little late, so
sorted just below T, is still collected, and none is yielded twice. Every
page is yielded with ``cursor=None`` (the stored cursor stays as it was); a
final page carries the new mark. So a crash or a rate limit mid-run re-pages
the same window next time: never a gap, and re-fetched posts are idempotent
upserts. searchPosts' own cursor is an offset that shifts as posts arrive,
so it is never stored across runs. A run that finds nothing keeps its
window's start as the mark, so the window never slides past unseen posts.

``report.stopped_early`` (the run is partial) when paging stalls (the same
cursor again, or an empty page that still has a cursor), a response lacks
its list, or a watched account cannot be read; a stalled run still closes at
the newest post it saw, as mastodon.py does: fresh posts matter more than the
rest of a window we cannot page through. ``report.skipped`` counts posts
left out on purpose (``no-unauthenticated``).

Known limit: a post indexed more than OVERLAP after the time it sorts at
(a backdated ``createdAt``, an indexing backlog) is never paged to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from listener.collectors import bluesky_deletions
from listener.collectors.base import Page, PostItem, RejectedItem, SourceReport, Target, WatchLike
from listener.collectors.bluesky_normalise import (
    ShapeError,
    feed_items,
    opted_out,
    parse_time,
    sort_at,
)
from listener.collectors.deletions import StoredPost, Verdict
from listener.collectors.http import HttpClient, RequestRejected, Response
from listener.collectors.paging import stall_reason
from listener.errors import FatalSourceError
from listener.textnorm import normalise, normalise_handle

log = logging.getLogger(__name__)

NAME = "bluesky"
DEFAULT_BACKFILL = timedelta(days=7)
MAX_PAGE_SIZE = 100  # searchPosts' and getAuthorFeed's cap
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
AUTHOR_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
REFRESH_SESSION = "/xrpc/com.atproto.server.refreshSession"
OPT_OUT_SKIP = "no-unauthenticated"
# Each run asks again for this much before the mark: a post indexed a little late sorts
# below posts already collected, and would otherwise fall into the gap between runs.
OVERLAP = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where a target stands: all up to ``top`` is stored; ``seen``: ids near it, with times."""

    top: datetime | None = None
    seen: Mapping[str, datetime] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> _Mark:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            seen = {str(uri): parse_time(at, "seen") for uri, at in data["seen"].items()}
            return cls(parse_time(data["top"], "top"), seen)
        except (ValueError, KeyError, TypeError, AttributeError):
            # A damaged cursor restarts the backfill window: upserts make that harmless.
            return cls()

    def text(self) -> str:
        seen = {uri: _iso(at) for uri, at in sorted(self.seen.items())}
        top = _iso(self.top) if self.top else None
        return json.dumps({"top": top, "seen": seen}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Query:
    """One target as an XRPC call: which endpoint, its parameters, and the list it returns."""

    path: str
    params: Mapping[str, str]
    field: str  # "posts" (searchPosts) or "feed" (getAuthorFeed)
    label: str
    # getAuthorFeed has no ``since``: paging stops at the first item older than the mark.
    # searchPosts filters by its own sortAt, which may differ from ours, so what it sends is kept.
    stops_at_mark: bool = False


@dataclass(slots=True)
class _Run:
    """One run over a target's window: the ids it has handled, at their feed times."""

    since: datetime  # the window's start, asked for again on every page
    last: _Mark
    times: dict[str, datetime] = field(default_factory=dict)
    reached: bool = False  # an item older than ``since`` came back: the window is done

    def known(self, native_id: str) -> bool:
        """True for an item stored by the last run, or met on an earlier page of this one."""
        return native_id in self.last.seen or native_id in self.times

    def note(self, when: datetime, native_id: str) -> None:
        """Count an item as handled at ``when`` (skipped ones too, so they are not met again)."""
        self.times[native_id] = when

    def mark(self) -> _Mark:
        """The cursor after this run; with nothing new, the window's start stays the mark."""
        top = max([self.last.top or self.since, *self.times.values()])
        near = {**self.last.seen, **self.times}
        return _Mark(top, {uri: at for uri, at in near.items() if at >= top - OVERLAP})


@dataclass(slots=True)
class _Fetched:
    """One API page: its items, and anything wrong with it as a whole."""

    items: list[Any]
    url: str
    rejected: list[RejectedItem] = field(default_factory=list)


class BlueskyCollector:
    """Search for hashtags and keywords, author feeds for accounts; incremental by feed time."""

    name = NAME
    deletion_batch = 100  # stored posts per check_stored call (getPosts takes 25 at a time)

    def __init__(
        self,
        *,
        client: HttpClient,
        identifier: str,
        app_password: SecretStr,
        backfill: timedelta | None = DEFAULT_BACKFILL,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self.report = SourceReport()
        self._client = client
        self._session = Session(client, identifier=identifier, password=app_password)
        self._window = backfill or DEFAULT_BACKFILL
        self._page_size = max(1, min(page_size, MAX_PAGE_SIZE))

    def __repr__(self) -> str:
        return f"BlueskyCollector({self._client.base_url!r}, {self._session.identifier!r})"

    @property
    def rate_limit_waited(self) -> float:
        """Seconds slept on rate limits so far, for the run record."""
        return self._client.rate_limit_waited

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """One search target per hashtag or keyword, one author-feed target per Bluesky account."""
        found: dict[str, tuple[str, str, set[int]]] = {}
        for watch in watches:
            ref = _target_ref(watch)
            if ref is not None:
                key, kind, value = ref
                found.setdefault(key, (kind, value, set()))[2].add(watch.id)
        return [
            Target(key=key, kind=kind, value=value, watch_ids=tuple(sorted(ids)))
            for key, (kind, value, ids) in found.items()
        ]

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """Pages of posts for ``target`` newest first, the last one carrying the new cursor."""
        query = _query(target.key)
        mark = _Mark.parse(cursor)
        since = mark.top - OVERLAP if mark.top else now - self._window
        run = _Run(since=since, last=mark)
        try:
            for fetched in self._pages(query, run.since):
                page = self._page(query, fetched, run)
                if page.posts or page.rejected:
                    yield page
                if run.reached:
                    break
        except RequestRejected as exc:
            # An actor that does not resolve, or blocks us, answers 400: that target only.
            if query.path != AUTHOR_FEED or exc.status != 400:
                raise
            self.report.stopped_early(f"{query.label}: the account cannot be read ({exc.excerpt})")
            return
        yield Page(cursor=run.mark().text())

    def check_stored(self, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
        """Which stored posts the network still shows, which are gone, and why."""
        return bluesky_deletions.verdicts(self._session, posts)

    def _pages(self, query: _Query, since: datetime) -> Iterator[_Fetched]:
        """Follow the API's cursor until it is absent, or stalls (noted as partial)."""
        params = {**query.params, "limit": str(self._page_size)}
        if query.path == SEARCH:
            params["since"] = _iso(since)
        asked: set[str] = set()
        while True:
            response = self._session.get(query.path, params=params)
            data = response.json()
            items = data.get(query.field) if isinstance(data, dict) else None
            if not isinstance(items, list):
                reason = f"response has no '{query.field}' list"
                self.report.stopped_early(f"{query.label}: {reason}")
                yield _Fetched([], response.url, [RejectedItem(response.url, reason, data)])
                return
            following = data.get("cursor")
            yield _Fetched(items, response.url)
            if not isinstance(following, str) or not following:
                return
            stall = _stall(following, items, asked=asked)
            if stall:
                self.report.stopped_early(
                    f"{query.label}: pagination stalled at {following!r}: {stall}"
                )
                return
            asked.add(following)
            params["cursor"] = following

    def _page(self, query: _Query, fetched: _Fetched, run: _Run) -> Page:
        """Normalise one API page: old items end the window, repeats and opt-outs are left out."""
        page = Page(rejected=list(fetched.rejected))
        source = f"{self._client.base_url}{query.path}"
        kept: dict[str, PostItem] = {}
        for index, item in enumerate(fetched.items):
            normalised = feed_items(item, source=source, location=f"{fetched.url} [{index}]")
            main = normalised[-1]
            if isinstance(main, RejectedItem):
                page.add(main)
                continue
            when = _when(item, main)
            if when < run.since and query.stops_at_mark:
                run.reached = True  # newest first: everything after this is older still
                continue
            if run.known(main.native_id):
                continue
            run.note(when, main.native_id)
            if opted_out(item):
                self.report.skip(OPT_OUT_SKIP)
                continue
            for post in normalised:
                assert isinstance(post, PostItem)  # feed_items rejects all or nothing
                if post.native_id not in kept or kept[post.native_id].context:
                    kept[post.native_id] = post  # a post seen in its own right beats context
        page.posts = list(kept.values())
        return page


class Session:
    """An app-password session: signs in on first use, renews an expired token once per call."""

    def __init__(self, client: HttpClient, *, identifier: str, password: SecretStr) -> None:
        self.identifier = identifier
        self._client = client
        self._password = password
        self._access: SecretStr | None = None
        self._refresh: SecretStr | None = None

    def __repr__(self) -> str:
        return f"Session({self.identifier!r})"

    def get(self, path: str, *, params: Mapping[str, Any]) -> Response:
        """GET an XRPC method with the access token; renew it once if it has expired."""
        if self._access is None:
            self.login()
        try:
            return self._get(path, params)
        except (RequestRejected, FatalSourceError) as exc:
            if not _expired(exc):
                raise
        self._renew()
        try:
            return self._get(path, params)
        except (RequestRejected, FatalSourceError) as exc:
            if not _expired(exc):
                raise
            raise FatalSourceError(
                f"bluesky: the session for {self.identifier} was refused again straight after"
                " renewing it (token revoked, or the server's clock is wrong?)"
            ) from None

    def login(self) -> None:
        """Sign in with the app password (createSession); FatalSourceError if refused."""
        payload = {"identifier": self.identifier, "password": self._password.get_secret_value()}
        try:
            response = self._client.post_json(CREATE_SESSION, payload=payload)
        except (RequestRejected, FatalSourceError) as exc:
            # The server's words help ("Invalid identifier or password") but are scrubbed first.
            said = str(exc).replace(self._password.get_secret_value(), "[redacted]")
            raise FatalSourceError(
                f"bluesky: could not sign in as {self.identifier}: the app password was refused,"
                f" revoked, or the account is taken down ({said})"
            ) from None
        self._keep(response, "createSession")

    def _renew(self) -> None:
        """refreshSession with the refresh token; a fresh sign-in if that is refused too."""
        if self._refresh is not None:
            bearer = {"Authorization": f"Bearer {self._refresh.get_secret_value()}"}
            try:
                response = self._client.post_json(REFRESH_SESSION, payload=None, headers=bearer)
                self._keep(response, "refreshSession")
                return
            except (RequestRejected, FatalSourceError) as exc:
                log.info("bluesky: refreshing the session failed (%s); signing in again", exc)
        self.login()

    def _get(self, path: str, params: Mapping[str, Any]) -> Response:
        assert self._access is not None  # set by login()
        bearer = {"Authorization": f"Bearer {self._access.get_secret_value()}"}
        return self._client.get_json(path, params=params, headers=bearer)

    def _keep(self, response: Response, method: str) -> None:
        """Hold on to the session's tokens, as secrets."""
        data = response.json()
        found = data if isinstance(data, dict) else {}
        tokens = [found.get("accessJwt"), found.get("refreshJwt")]
        if not all(isinstance(token, str) and token for token in tokens):
            raise FatalSourceError(f"bluesky: {method} answered without session tokens")
        self._access, self._refresh = (SecretStr(str(token)) for token in tokens)


def _expired(exc: RequestRejected | FatalSourceError) -> bool:
    """True for an access token past its time: 400 ExpiredToken, or 401 on some servers."""
    if isinstance(exc, RequestRejected):
        return exc.status == 400 and "ExpiredToken" in exc.excerpt
    return exc.status == 401


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _when(item: Any, main: PostItem) -> datetime:
    """The item's feed time; its createdAt when indexedAt is unusable (it was kept anyway)."""
    try:
        return sort_at(item)
    except ShapeError:
        return main.created_at


def _stall(following: str, items: list[Any], *, asked: set[str]) -> str | None:
    """Why following the API's cursor would not make progress, or None if it would."""
    return stall_reason(following, followed=asked, empty=not items, name="cursor")


def _target_ref(watch: WatchLike) -> tuple[str, str, str] | None:
    """(key, kind, value) for what one watch asks of Bluesky, or None if nothing."""
    if watch.kind == "hashtag" and watch.platform in ("", NAME):
        tag = normalise(watch.value.strip().removeprefix("#"))
        if not tag or not tag.replace("_", "").isalnum():
            return None
        return (f"search:#{tag}", "hashtag", f"#{tag}")
    if watch.kind == "keyword" and watch.platform in ("", NAME):
        words = normalise(watch.value.strip())
        if not words:
            return None
        # Several words are a phrase in listener's watch syntax; Bluesky's search agrees in quotes.
        query = f'"{words}"' if " " in words else words
        return (f"search:{query}", "keyword", query)
    if watch.kind == "account" and watch.platform == NAME:
        handle = normalise_handle(watch.value.strip())
        return (f"account:{handle}", "account", handle) if handle else None
    return None


def _query(key: str) -> _Query:
    """The XRPC call a target key stands for."""
    kind, _, value = key.partition(":")
    if kind == "search" and value:
        return _Query(SEARCH, {"q": value, "sort": "latest"}, "posts", f"search {value}")
    if kind == "account" and value:
        params = {"actor": value, "filter": "posts_with_replies"}
        return _Query(AUTHOR_FEED, params, "feed", f"account {value}", stops_at_mark=True)
    raise FatalSourceError(f"{key!r} is not a Bluesky target key")

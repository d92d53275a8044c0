"""Collect public posts from X (API v2, through tweepy): recent search for watches, user timelines.

Endpoints, all through tweepy on the shared HttpClient (see x_session)::

    GET /2/tweets/search/recent     one target per combined query of watches
    GET /2/users/by?usernames=      account ids, resolved once per collector, 100 at a time
    GET /2/users/:id/tweets         one target per watched X account

Hashtag, keyword and query watches are translated to X's syntax and each
department's are OR-ed together into as few queries as fit ``max_query_length``
(512 characters on the standard recent search). A target's key is a hash of its
query text, so a changed set of watches is a new target that backfills afresh
(upserts make the overlap harmless).

Cursor: the id of the newest post stored for the target. X returns results
newest first, across pages, so the newest id is known from the first page
(``meta.newest_id``) but the run is only complete when the last page is in.
Every page is yielded with ``cursor=None`` except the last, which carries the
first page's ``newest_id``. A crash, a rate limit or a stall mid-run leaves the
old cursor in place: the next run re-collects from it (no gap; upserts, so no
duplicate). First run, or a cursor older than recent search reaches back:
``start_time = now - backfill`` (at most 7 days for recent search; the gap is noted).

Errors: those of HttpClient, with 401/403 re-raised as FatalSourceError naming
the likely cause (a 401 stops every later target of this collector at once,
without another request); a post without ``id`` or ``text`` becomes a
RejectedItem and the rest of the page is kept; stalled pagination (a repeated
``next_token``, or an empty page with one) ends the target as partial.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from listener.collectors import x_deletions, xv2
from listener.collectors.base import Page, SourceReport, Target, WatchLike
from listener.collectors.deletions import StoredPost, Verdict
from listener.collectors.http import HttpClient
from listener.collectors.paging import stall_reason
from listener.collectors.x_session import XApi
from listener.errors import FatalSourceError, QuerySyntaxError
from listener.matching import watch_node
from listener.query import And, From, Lang, Mention, Node, Not, Or, format_query
from listener.textnorm import normalise_handle

NAME = "x"
DEFAULT_BASE_URL = "https://api.x.com"
SEARCH_REACH = timedelta(days=7)  # how far back the standard recent search goes
# X rejects a start_time or since_id older than 7 days by its clock; ours may lag a little.
_REACH_MARGIN = timedelta(minutes=1)
_EPOCH_MS = 1_288_834_974_657  # X's snowflake epoch: an id's top bits are ms since then
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
USERS_PER_LOOKUP = 100


@dataclass(frozen=True, slots=True)
class XSettings:
    """What the X collector asks for: query length, first-run window, page size."""

    max_query_length: int = 512  # standard recent search; 1024 or 4096 on higher tiers
    backfill: timedelta = SEARCH_REACH  # first run; recent search is clamped to 7 days
    page_size: int = 100  # max_results: 10-100 for search, 5-100 for timelines


@dataclass(frozen=True, slots=True)
class CombinedQuery:
    """Watches OR-ed into one X query."""

    query: str
    watch_ids: tuple[int, ...]


@dataclass(slots=True)
class _Walk:
    """One target's paging: the call to make, its token parameter, and where it points."""

    fetch: Callable[..., Any]
    token_param: str  # "next_token" (search) or "pagination_token" (timelines)
    source: str  # provenance for each post: base_url and endpoint
    key: str = ""  # the target's key, to say which target a note is about
    since: dict[str, Any] = field(default_factory=dict)


class XCollector:
    """Recent search for combined watches and timelines of watched accounts, by ``since_id``."""

    name = NAME
    deletion_batch = x_deletions.LOOKUP_SIZE  # stored posts per check_stored call

    def __init__(self, *, client: HttpClient, settings: XSettings | None = None) -> None:
        self.report = SourceReport()
        self._client = client
        self._settings = settings or XSettings()
        self._api = XApi(client)
        self._user_ids: dict[str, str | None] = {}  # lower-case username -> id (None: unknown)
        self._wanted: set[str] = set()  # usernames of account targets, resolved together
        self._refused: dict[str, FatalSourceError] = {}  # "all" | "search" | "timeline"

    @property
    def rate_limit_waited(self) -> float:
        """Seconds slept on rate limits so far, for the run record."""
        return self._client.rate_limit_waited

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """Each department's searches, combined; then one target per watched X account."""
        return self._searches(watches) + self._accounts(watches)

    def _searches(self, watches: Sequence[WatchLike]) -> list[Target]:
        """Hashtag, keyword and query watches OR-ed per department, within the length limit."""
        # Per department: the caller links every post of a target to all its watches,
        # so a query mixing departments would put one department's posts in another's digest.
        by_department: dict[int, list[tuple[str, int]]] = {}
        for watch in watches:
            if watch.kind in ("hashtag", "keyword", "query") and watch.platform in ("", NAME):
                clause = self._clause(watch)
                if clause is not None:
                    by_department.setdefault(watch.department_id, []).append((clause, watch.id))
        queries: dict[str, set[int]] = {}  # departments with the same watches share a query
        for department in sorted(by_department):
            combined, too_long = combine_queries(
                by_department[department], max_length=self._settings.max_query_length
            )
            for query in combined:
                queries.setdefault(query.query, set()).update(query.watch_ids)
            for clause in too_long:
                self.report.skip("query too long for X")
                self.report.notes.append(f"x: {clause[:60]!r}... is longer than X allows")
        return [
            Target(key=search_key(query), kind="query", value=query, watch_ids=tuple(sorted(ids)))
            for query, ids in queries.items()
        ]

    def _accounts(self, watches: Sequence[WatchLike]) -> list[Target]:
        """One target per watched X account (ids are looked up when first collected)."""
        accounts: dict[str, set[int]] = {}
        for watch in watches:
            if watch.kind == "account" and watch.platform == NAME:
                handle = normalise_handle(watch.value.strip())
                if _HANDLE.fullmatch(handle):
                    accounts.setdefault(handle, set()).add(watch.id)
                else:
                    self._leave_out(watch, "not an X username")
        self._wanted.update(accounts)
        return [
            Target(key=f"account:{h}", kind="account", value=h, watch_ids=tuple(sorted(ids)))
            for h, ids in sorted(accounts.items())
        ]

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """Pages of posts for ``target``, newest first; the last page carries the cursor."""
        kind = "timeline" if target.kind == "account" else "search"
        refused = self._refused.get("all") or self._refused.get(kind)
        if refused is not None:
            raise refused  # the same credential again would only earn the same answer
        try:
            walk = self._walk(target, cursor=cursor, now=now)
            if walk is not None:
                yield from self._pages(walk)
        except FatalSourceError as exc:
            raise self._refusal(kind, exc) from exc

    def check_stored(self, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
        """Which stored posts X still shows, and which it says are gone (see x_deletions)."""
        return x_deletions.verdicts(self._api, posts)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def _clause(self, watch: WatchLike) -> str | None:
        """The watch in X's query syntax, or None (noted) if X cannot search for it."""
        try:
            node = watch_node(watch.kind, watch.value)
        except QuerySyntaxError as exc:
            self._leave_out(watch, str(exc))
            return None
        problem = x_problem(node)
        if problem:
            self._leave_out(watch, problem)
            return None
        return grouped(node)

    def _leave_out(self, watch: WatchLike, reason: str) -> None:
        self.report.skip("watch X cannot search")
        self.report.notes.append(f"x: watch {watch.id} ({watch.value!r}) left out: {reason}")

    def _walk(self, target: Target, *, cursor: str | None, now: datetime) -> _Walk | None:
        """How to page ``target``: which call, and from where (since_id or start_time)."""
        base, size = self._client.base_url, min(self._settings.page_size, 100)
        if target.kind == "account":
            user_id = self._user_id(target.value)
            if user_id is None:
                return None
            fetch = partial(self._api.user_tweets, user_id, max_results=max(5, size))
            walk = _Walk(fetch, "pagination_token", f"{base}/2/users/{user_id}/tweets", target.key)
            walk.since = self._since(target, cursor=cursor, start=now - self._settings.backfill)
            return walk
        fetch = partial(self._api.search_recent, target.value, max_results=max(10, size))
        walk = _Walk(fetch, "next_token", f"{base}/2/tweets/search/recent", target.key)
        reach = now - SEARCH_REACH + _REACH_MARGIN
        start = max(now - self._settings.backfill, reach)
        walk.since = self._since(target, cursor=cursor, start=start, reach=reach)
        return walk

    def _since(
        self, target: Target, *, cursor: str | None, start: datetime, reach: datetime | None = None
    ) -> dict[str, Any]:
        """``since_id`` from the cursor, or ``start_time`` on a first run or out of reach."""
        if cursor is not None and not cursor.isdigit():
            self.report.notes.append(f"x: {target.key}: cursor {cursor[:30]!r} unreadable")
            cursor = None
        if cursor is None:
            return {"start_time": start}
        if reach is not None and snowflake_time(cursor) < reach:
            self.report.notes.append(
                f"x: {target.key}: last collected post is older than recent search reaches "
                f"(7 days); posts between {snowflake_time(cursor):%Y-%m-%d %H:%M} and "
                f"{start:%Y-%m-%d %H:%M} UTC were not collected"
            )
            return {"start_time": start}
        return {"since_id": cursor}

    def _pages(self, walk: _Walk) -> Iterator[Page]:
        """Follow ``next_token`` to the end; only the last page carries the new cursor."""
        top: str | None = None
        token: str | None = None
        asked: set[str] = set()
        while True:
            params = {**walk.since, **({walk.token_param: token} if token else {})}
            body = walk.fetch(**params)
            if not isinstance(body, dict):
                self.report.stopped_early(f"x: {walk.key}: the response is not a JSON object")
                return
            meta = body.get("meta")
            meta = meta if isinstance(meta, dict) else {}
            page = Page()
            for item in xv2.page_items(body, source=walk.source, location=walk.source):
                page.add(item)
            top = top or _newest(meta, body.get("data"))
            following = meta.get("next_token")
            stall = _stall(following, asked=asked, empty=not body.get("data"))
            if following and not stall:
                asked.add(following)
                token = following
                yield page  # cursor None: the run is not complete until the last page
                continue
            if stall:
                self.report.stopped_early(f"x: {walk.key}: pagination stalled ({stall})")
            else:
                page.cursor = top
            if page.posts or page.rejected or page.cursor:
                yield page
            return

    def _user_id(self, username: str) -> str | None:
        """The account's id, looked up (with every other watched account) once per collector."""
        key = username.lower()
        if key not in self._user_ids:
            pending = sorted({key, *(u.lower() for u in self._wanted)} - set(self._user_ids))
            for start in range(0, len(pending), USERS_PER_LOOKUP):
                self._resolve(pending[start : start + USERS_PER_LOOKUP])
        user_id = self._user_ids.get(key)
        if user_id is None:
            self.report.stopped_early(f"x: account @{username} not found (suspended or renamed?)")
        return user_id

    def _resolve(self, usernames: list[str]) -> None:
        """Look up to 100 usernames in one request; unknown ones are remembered as None."""
        body = self._api.users_by(usernames)
        found = body.get("data") if isinstance(body, dict) else None
        for user in found if isinstance(found, list) else []:
            if isinstance(user, dict) and user.get("username") and user.get("id"):
                self._user_ids[str(user["username"]).lower()] = str(user["id"])
        for name in usernames:
            self._user_ids.setdefault(name, None)

    def _refusal(self, kind: str, exc: FatalSourceError) -> FatalSourceError:
        """A 401/403 re-worded for whoever holds the X credential, and remembered."""
        if exc.status not in (401, 403):
            return exc
        if exc.status == 401:
            refusal = FatalSourceError(
                "X rejected the bearer token (401): it is expired, revoked or mistyped; "
                "regenerate it in the X developer portal and update the env var that holds it"
            )
            self._refused["all"] = refusal
            return refusal
        endpoint = "user timelines" if kind == "timeline" else "recent search"
        refusal = FatalSourceError(
            f"X refused {endpoint} (403): the app's API access level does not include it "
            f"(the Free tier cannot read posts; Basic or higher can), or the app is not in "
            f"a project ({exc})"
        )
        self._refused[kind] = refusal
        return refusal


def combine_queries(
    clauses: Sequence[tuple[str, int]], *, max_length: int
) -> tuple[list[CombinedQuery], list[str]]:
    """OR clauses (query text, watch id) into as few queries as fit; also those too long alone."""
    by_clause: dict[str, set[int]] = {}
    for clause, watch_id in clauses:
        by_clause.setdefault(clause, set()).add(watch_id)
    combined: list[CombinedQuery] = []
    too_long: list[str] = []
    parts: list[str] = []
    ids: set[int] = set()
    # Sorted, so the same watches always make the same queries (and target keys).
    for clause in sorted(by_clause):
        if len(clause) > max_length:
            too_long.append(clause)
            continue
        if parts and len(" OR ".join([*parts, clause])) > max_length:
            combined.append(CombinedQuery(" OR ".join(parts), tuple(sorted(ids))))
            parts, ids = [], set()
        parts.append(clause)
        ids |= by_clause[clause]
    if parts:
        combined.append(CombinedQuery(" OR ".join(parts), tuple(sorted(ids))))
    return combined, too_long


def grouped(node: Node) -> str:
    """The node in X's syntax, parenthesised when it would not survive being OR-ed."""
    text = format_query(node)
    return f"({text})" if isinstance(node, And | Or) else text


def x_problem(node: Node) -> str | None:
    """Why X cannot search for ``node`` as listener means it, or None."""
    for handle in _handles(node):
        if not _HANDLE.fullmatch(handle):
            return f"{handle!r} is not an X username"
    if not _standalone(node):
        # X: lang: and negations are "conjunction-required"; alone, the query is refused.
        return "X needs a word, phrase, #hashtag, @mention or from: besides lang: and exclusions"
    return None


def search_key(query: str) -> str:
    """A stable key for a combined query: its text, hashed."""
    return "search:" + hashlib.sha256(query.encode()).hexdigest()[:16]


def snowflake_time(native_id: str) -> datetime:
    """When X minted a post id (ids carry their creation time in milliseconds)."""
    millis = (int(native_id) >> 22) + _EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _handles(node: Node) -> Iterator[str]:
    match node:
        case From(handle) | Mention(handle):
            yield handle
        case Not(child):
            yield from _handles(child)
        case And(children) | Or(children):
            for child in children:
                yield from _handles(child)


def _standalone(node: Node) -> bool:
    match node:
        case Lang() | Not():
            return False
        case And(children):
            return any(_standalone(child) for child in children)
        case Or(children):
            return all(_standalone(child) for child in children)
    return True


def _newest(meta: dict[str, Any], data: Any) -> str | None:
    """The newest id on a page: ``meta.newest_id``, or the largest id in ``data``."""
    if isinstance(meta.get("newest_id"), str) and meta["newest_id"].isdigit():
        return str(meta["newest_id"])
    ids = [str(t.get("id")) for t in data or [] if isinstance(t, dict)]
    ids = [i for i in ids if i.isdigit()]
    return max(ids, key=int) if ids else None


def _stall(following: Any, *, asked: set[str], empty: bool) -> str:
    """Why following ``next_token`` would not make progress ("" if it would, or if none)."""
    if not following:
        return ""
    if not isinstance(following, str):
        return "next_token is not a string"
    if following in asked:
        return f"next_token {following[:20]!r} came again"
    return stall_reason(following, followed=asked, empty=empty, name="next_token") or ""

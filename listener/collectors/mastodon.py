"""Collect public Mastodon statuses for hashtag and account watches on the configured instances.

Endpoints, all through the shared HttpClient (one per instance; it retries,
backs off and waits on ``X-RateLimit-Reset``)::

    GET /api/v1/timelines/tag/:tag          one target per (instance, hashtag)
    GET /api/v1/accounts/lookup?acct=       account id, resolved once per collector
    GET /api/v1/accounts/:id/statuses       one target per watched account

Cursor (opaque to the caller, per target, in the instance's local id space):

    "<id>"                   the newest status id stored: the next run pages newer
                             statuses with ``min_id`` (``Link rel="prev"``), oldest
                             page first, each page carrying the newest id so far
    "backfill:<top>:<low>"   a first run in progress: statuses from <top> down to
                             <low> are stored; the next run carries on below <low>

First run (cursor None): page backwards from the newest status with ``max_id``
(``Link rel="next"``) until a status is older than ``now - backfill``. Every
page carries a ``backfill:`` cursor, so a crash or a long rate limit resumes
the backfill where it stopped instead of starting over (which, on a busy tag,
could never finish); the last page carries ``<top>``, the newest id of the
first page. Statuses that arrived during the backfill are newer than <top>,
so the next run's ``min_id`` paging picks them up: no gap, no duplicate.

How the caller learns how a target went:

- pages with their cursor: store each page and its cursor in one transaction;
- ``report.partial`` (SourceReport) with a note in ``report.notes``: the run
  stopped early but cleanly (pagination stalled: a repeated or non-advancing
  Link, or an empty page that still has one; a response that is not a list; an
  account the instance does not know). A stalled backfill is closed at <top>:
  fresh statuses matter more than the rest of a window we cannot page through;
- FatalSourceError: the target cannot be collected. 401/403 on a hashtag
  timeline is re-raised with a message saying the instance may require sign-in
  for hashtag timelines (Mastodon 4.5 lets admins restrict them); other targets
  and instances can carry on;
- a note without ``partial``: a first run whose hashtag timeline came back
  empty with no Link, which a restricted instance also answers, so it is never
  reported silently as "no posts";
- ``report.skipped``: statuses left out on purpose (privacy, visibility).

Known limit: a remote status that federates late can get a local id below the
cursor and is then never paged to; ``min_id`` paging cannot see it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from requests.utils import parse_header_links

from listener.collectors import mastodon_deletions
from listener.collectors.base import Page, PostItem, RejectedItem, SourceReport, Target, WatchLike
from listener.collectors.deletions import StoredPost, Verdict
from listener.collectors.http import HttpClient, RequestRejected
from listener.collectors.mastodon_normalise import (
    ThreadIndex,
    created_before,
    id_key,
    newest_id,
    oldest_id,
    opt_out_reason,
    skip_reason,
    sort_key,
    status_items,
)
from listener.collectors.paging import stall_reason
from listener.errors import FatalSourceError
from listener.textnorm import normalise, normalise_handle

NAME = "mastodon"
DEFAULT_BACKFILL = timedelta(days=7)
MAX_PAGE_SIZE = 40  # Mastodon's cap for statuses
_BACKFILL = "backfill"


@dataclass(frozen=True, slots=True)
class _Ref:
    """A target taken apart: which instance, and a tag or an account there."""

    instance: str
    kind: str  # "tag" | "account"
    value: str  # normalised tag, or acct as the instance sees it (bare when local)


@dataclass(frozen=True, slots=True)
class _Cursor:
    """Where a target stands: ``top`` is the newest stored id; ``low`` is set mid-backfill."""

    top: str | None = None
    low: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        parts = text.split(":")
        if parts[0] != _BACKFILL:
            return cls(text)
        # A damaged backfill cursor restarts the backfill: upserts make that harmless.
        return cls(parts[1], parts[2]) if len(parts) == 3 and all(parts[1:]) else cls()

    def text(self) -> str | None:
        if self.low is not None:
            return f"{_BACKFILL}:{self.top}:{self.low}"
        return self.top


@dataclass(frozen=True, slots=True)
class _Walk:
    """One paging run over a timeline: where, and in which direction."""

    client: HttpClient
    ref: _Ref
    path: str
    rel: str  # Link relation to follow: "next" (older, max_id) or "prev" (newer, min_id)


@dataclass(slots=True)
class _Fetched:
    """One API page: its statuses, anything wrong with it as a whole, and what follows it."""

    statuses: list[Any]
    url: str
    rejected: list[RejectedItem] = field(default_factory=list)
    # None: more pages follow; "": the timeline ends here; else why paging stalls here.
    end: str | None = ""

    @property
    def empty(self) -> bool:
        return not self.statuses and not self.rejected


class MastodonCollector:
    """Hashtag timelines and account statuses, incremental by ``min_id``, on several instances."""

    name = NAME
    deletion_batch = mastodon_deletions.BATCH  # stored posts per check_stored call

    def __init__(
        self,
        *,
        clients: Mapping[str, HttpClient],
        page_size: int = MAX_PAGE_SIZE,
        backfill: timedelta | None = DEFAULT_BACKFILL,
    ) -> None:
        if not clients:
            raise ValueError("MastodonCollector needs at least one instance client")
        self.report = SourceReport()
        self._clients = {url.rstrip("/"): client for url, client in clients.items()}
        self._page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self._window = backfill or DEFAULT_BACKFILL
        self._accounts: dict[tuple[str, str], tuple[str, str | None]] = {}  # -> (id, opt-out)
        self._threads: dict[str, ThreadIndex] = {}

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """One target per (instance, hashtag) and per watched Mastodon account."""
        found: dict[str, tuple[str, str, set[int]]] = {}
        for watch in watches:
            for ref in self._refs(watch):
                key = f"{ref.instance}|{ref.kind}:{ref.value}"
                kind = "hashtag" if ref.kind == "tag" else "account"
                found.setdefault(key, (kind, ref.value, set()))[2].add(watch.id)
        return [
            Target(key=key, kind=kind, value=value, watch_ids=tuple(sorted(ids)))
            for key, (kind, value, ids) in found.items()
        ]

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """Pages of statuses for ``target``, oldest page first when incremental."""
        ref = _parse_key(target.key)
        client = self._clients.get(ref.instance)
        if client is None:
            raise FatalSourceError(f"{target.key}: instance {ref.instance} is not configured")
        try:
            yield from self._collect(client, ref, _Cursor.parse(cursor), now=now)
        except FatalSourceError as exc:
            if ref.kind != "tag" or exc.status not in (401, 403):
                raise
            message = (
                f"instance {ref.instance} refused the #{ref.value} timeline: it requires "
                f"sign-in for hashtag timelines, or rejected the access token ({exc})"
            )
            self.report.notes.append(message)
            raise FatalSourceError(message) from exc

    def check_stored(self, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
        """Which stored statuses their instances still show, which are gone, and why."""
        return mastodon_deletions.verdicts(self._clients, posts)

    def _collect(
        self, client: HttpClient, ref: _Ref, state: _Cursor, *, now: datetime
    ) -> Iterator[Page]:
        """Resolve the timeline's path, then backfill or page forward from the cursor."""
        path = self._timeline_path(client, ref)
        if path is None:
            return
        if state.top is None or state.low is not None:
            walk = _Walk(client, ref, path, rel="next")
            yield from self._backfill(walk, state, cutoff=now - self._window)
        else:
            yield from self._forward(_Walk(client, ref, path, rel="prev"), state.top)

    def _timeline_path(self, client: HttpClient, ref: _Ref) -> str | None:
        """The statuses endpoint for a ref, or None if the account cannot be collected."""
        if ref.kind == "tag":
            return f"/api/v1/timelines/tag/{quote(ref.value, safe='')}"
        account = self._account(client, ref)
        if account is None:
            return None
        account_id, opted_out = account
        if opted_out:
            self.report.skip(opted_out)
            self.report.notes.append(
                f"account {ref.value} on {ref.instance} opted out of indexing ({opted_out});"
                " its statuses are not collected"
            )
            return None
        return f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"

    def _account(self, client: HttpClient, ref: _Ref) -> tuple[str, str | None] | None:
        """(account id, opt-out reason) for an acct, looked up once per collector."""
        cache_key = (ref.instance, ref.value)
        if cache_key in self._accounts:
            return self._accounts[cache_key]
        try:
            account = client.get_json("/api/v1/accounts/lookup", params={"acct": ref.value}).json()
        except RequestRejected as exc:
            if exc.status != 404:
                raise
            self.report.stopped_early(f"account {ref.value} not found on {ref.instance} (404)")
            return None
        if not isinstance(account, dict) or not isinstance(account.get("id"), str):
            self.report.stopped_early(
                f"account lookup for {ref.value} on {ref.instance} returned no account id"
            )
            return None
        self._accounts[cache_key] = (account["id"], opt_out_reason(account))
        return self._accounts[cache_key]

    def _backfill(self, walk: _Walk, state: _Cursor, *, cutoff: datetime) -> Iterator[Page]:
        """Page backwards to the cutoff, each page resumable, the last one closing at <top>."""
        top, low = state.top, state.low
        start = {"max_id": low} if low else {}
        for fetched in self._pages(walk, start):
            if fetched.empty:
                if top is None and fetched.end == "" and walk.ref.kind == "tag":
                    self.report.notes.append(
                        f"instance {walk.ref.instance} returned an empty #{walk.ref.value}"
                        " timeline on a first run; it may restrict public timelines"
                    )
                continue
            kept = [s for s in fetched.statuses if not created_before(s, cutoff)]
            reached = len(kept) < len(fetched.statuses)
            top = newest_id(top, fetched.statuses)
            low = oldest_id(low, fetched.statuses)
            page = self._page(walk, _Fetched(kept, fetched.url, fetched.rejected))
            page.cursor = top if reached else _Cursor(top, low).text()
            yield page
            if reached:
                return
        # The timeline ran out (or stalled, noted by _pages): the backfill is done.
        if top is not None:
            yield Page(cursor=top)

    def _forward(self, walk: _Walk, top: str) -> Iterator[Page]:
        """Page newer statuses than ``top``, oldest page first, cursor after every page."""
        for fetched in self._pages(walk, {"min_id": top}):
            if fetched.empty:
                continue
            top = newest_id(top, fetched.statuses) or top
            page = self._page(walk, fetched)
            page.cursor = top
            yield page

    def _pages(self, walk: _Walk, params: dict[str, str]) -> Iterator[_Fetched]:
        """Follow the Link header one way until it ends, or stalls (noted if asked for more)."""
        asked: set[frozenset[tuple[str, str]]] = set()
        while True:
            asked.add(frozenset(params.items()))
            response = walk.client.get_json(walk.path, params={**params, "limit": self._page_size})
            data = response.json()
            if not isinstance(data, list):
                self.report.stopped_early(f"{response.url}: response is not a list of statuses")
                rejected = RejectedItem(response.url, "response is not a list of statuses", data)
                yield _Fetched([], response.url, [rejected])
                return
            link = _link(response.headers.get("Link", ""), walk.rel)
            # Link's query, not its URL: the instance may name itself, not our base_url (a proxy).
            following = dict(parse_qsl(urlsplit(link or "").query))
            following.pop("limit", None)
            stall = _stall(walk.rel, params, following, asked=asked) if link else ""
            if link and not data:
                stall = stall_reason(link, followed=(), empty=True, name="link")
            yield _Fetched(data, response.url, end=stall)
            if stall is not None:
                if stall:
                    self.report.stopped_early(f"pagination stalled at {link}: {stall}")
                return
            params = following

    def _page(self, walk: _Walk, fetched: _Fetched) -> Page:
        """Normalise one API page: oldest first, privacy skips counted, bad statuses rejected."""
        threads = self._threads.setdefault(walk.ref.instance, ThreadIndex(walk.ref.instance))
        threads.learn(fetched.statuses)
        page = Page(rejected=list(fetched.rejected))
        source = f"{walk.ref.instance}{walk.path}"
        seen: dict[str, PostItem] = {}
        ordered = sorted(enumerate(fetched.statuses), key=lambda pair: sort_key(pair[1]))
        for index, status in ordered:
            reason = skip_reason(status) if isinstance(status, dict) else None
            if reason:
                self.report.skip(reason)
                continue
            location = f"{fetched.url} [{index}]"
            for item in status_items(status, threads=threads, source=source, location=location):
                if isinstance(item, RejectedItem):
                    page.add(item)
                elif item.native_id not in seen or seen[item.native_id].context:
                    seen[item.native_id] = item  # a boosted original seen in its own right wins
        page.posts = list(seen.values())
        return page

    def _refs(self, watch: WatchLike) -> list[_Ref]:
        """What one watch asks of this source: a tag on every instance, or one account."""
        if watch.kind == "hashtag" and watch.platform in ("", NAME):
            tag = normalise(watch.value.strip().removeprefix("#"))
            if not tag or not tag.replace("_", "").isalnum():
                return []
            return [_Ref(instance, "tag", tag) for instance in self._clients]
        if watch.kind == "account" and watch.platform == NAME:
            return [self._account_ref(watch.value)]
        return []

    def _account_ref(self, handle: str) -> _Ref:
        """The account on its own instance when that one is configured, else on the first."""
        user, _, domain = normalise_handle(handle.strip()).partition("@")
        for instance in self._clients:
            if domain and domain == urlsplit(instance).hostname:
                return _Ref(instance, "account", user)
        first = next(iter(self._clients))
        return _Ref(first, "account", f"{user}@{domain}" if domain else user)


def _parse_key(key: str) -> _Ref:
    """The _Ref a target key (``"<instance>|tag:<tag>"``) was built from."""
    instance, _, rest = key.rpartition("|")
    kind, _, value = rest.partition(":")
    if not instance or kind not in ("tag", "account") or not value:
        raise FatalSourceError(f"{key!r} is not a Mastodon target key")
    return _Ref(instance, kind, value)


def _link(header: str, rel: str) -> str | None:
    """The URL of the Link header entry with relation ``rel``, if any."""
    for entry in parse_header_links(header) if header else []:
        if entry.get("rel") == rel and entry.get("url"):
            return entry["url"]
    return None


def _stall(
    rel: str,
    params: Mapping[str, str],
    following: Mapping[str, str],
    *,
    asked: set[frozenset[tuple[str, str]]],
) -> str | None:
    """Why following a link would not make progress, or None if it would."""
    if repeated := stall_reason(
        frozenset(following.items()), followed=asked, empty=False, name="link"
    ):
        return repeated
    name = "max_id" if rel == "next" else "min_id"
    new, old = following.get(name), params.get(name)
    if new is None:
        return f"the link has no {name}"
    if old is None:
        return None
    # Older pages must have a smaller max_id, newer ones a larger min_id.
    moves_on = id_key(new) < id_key(old) if rel == "next" else id_key(new) > id_key(old)
    return None if moves_on else f"the link's {name} does not move on from {old}"

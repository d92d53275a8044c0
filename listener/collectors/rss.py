"""RSS and Atom feeds: a conditional GET through the shared HTTP layer, parsed by feedparser.

Each distinct feed URL among the feed watches is one target. ``collect`` fetches
it once and yields exactly one Page: the entries not yielded before, and the
cursor after them (a 304, or nothing new, gives an empty page with the cursor,
so the caller records that the feed was checked). The cursor is a JSON string::

    {"v": 1, "etag": "\\"5f3a\\"", "last_modified": "Wed, 11 Nov 2026 17:05:12 GMT",
     "seen": ["9c1d0e5a7b3f2e41", ...]}

``seen`` holds a fingerprint (16 hex digits of SHA-256 over id, link and text)
of each entry already yielded, so an entry comes again only when it is edited
(the store's upsert then refreshes its text). This fetch's entries come first,
then older ones, SEEN_LIMIT in all (more only if one fetch holds more).

feedparser never sees a URL: it gets the bytes HttpClient fetched (so its
timeouts and retries apply) in a BytesIO, as it would open a local file named
by bare bytes. HTML in entries is kept exactly as the feed gave it (no
sanitising, no URL rewriting): stored verbatim, escaped only where displayed.

Errors, besides those HttpClient raises:

    RetriableError     the body is empty, or the XML stops before the document
                       closes (a download cut short): nothing is yielded, the
                       cursor stays, the next run tries again
    FatalSourceError   the body is not a feed at all (an HTML error or login page
                       served with 200): names the feed URL and what came back
    RejectedItem       (in the page) an entry with neither an id nor a link; the
                       rest of the feed is kept
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
import xml.sax
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from listener.collectors.base import (
    AuthorItem,
    Page,
    PostItem,
    RejectedItem,
    SourceReport,
    Target,
    WatchLike,
)
from listener.collectors.http import HttpClient, Response
from listener.errors import FatalSourceError, RetriableError, SkippableItemError

PLATFORM = "rss"
SEEN_LIMIT = 500
_ID_LIMIT = 200  # the store's native_id and reply_to_id columns
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
# expat's complaints when the input ends before the document does.
_CUT_SHORT = frozenset(
    {"no element found", "unclosed token", "unclosed CDATA section", "partial character"}
)
# Bozo reasons that say nothing about the feed's content (a charset or MIME type
# mismatch): not worth a note on every run.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
# WordPress (GOV.UK blogs) and Blogger comment feeds; per-post WordPress comment
# feeds have ordinary URLs but titles like "Comments on: <post>".
_COMMENTS_URL = re.compile(r"/comments/feed(/(atom|rss2?|rdf))?/?$|/feeds/comments/", re.I)
_COMMENTS_TITLE = re.compile(r"^comments (on|for)\b", re.I)
# WordPress comment ids and links are the post's own plus "#comment-<n>".
_COMMENT_FRAGMENT = re.compile(r"#comment-\d+$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_LANG = re.compile(r"[a-z]{2,8}")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the cursor remembers of a feed: its validators and the entries already yielded."""

    etag: str | None = None
    last_modified: str | None = None
    seen: tuple[str, ...] = ()

    @classmethod
    def load(cls, cursor: str | None) -> FeedState:
        """The state a cursor holds (None: a first fetch); ValueError if it is not ours."""
        if cursor is None:
            return cls()
        data = json.loads(cursor)
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("not an rss cursor")
        etag, modified, seen = data.get("etag"), data.get("last_modified"), data.get("seen")
        if not all(v is None or isinstance(v, str) for v in (etag, modified)):
            raise ValueError("validators are not strings")
        if not isinstance(seen, list) or not all(isinstance(s, str) for s in seen):
            raise ValueError("'seen' is not a list of strings")
        return cls(etag, modified, tuple(seen))

    def dump(self) -> str:
        """This state as the cursor string the caller saves."""
        data = {"v": 1, "etag": self.etag, "last_modified": self.last_modified}
        return json.dumps({**data, "seen": list(self.seen)}, separators=(",", ":"))

    def request_headers(self) -> dict[str, str]:
        """Headers for a conditional GET: the server answers 304 if nothing changed."""
        headers = {"Accept": _ACCEPT}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def revalidated(self, headers: Mapping[str, str]) -> FeedState:
        """This state after a 304, which may carry fresher validators."""
        etag = headers.get("etag") or self.etag
        return replace(
            self, etag=etag, last_modified=headers.get("last-modified") or self.last_modified
        )

    def refetched(self, headers: Mapping[str, str], fingerprints: Sequence[str]) -> FeedState:
        """This state after a 200: the new validators, this fetch's entries first, then older."""
        current = list(dict.fromkeys(fingerprints))
        held = set(current)
        older = [fp for fp in self.seen if fp not in held]
        # Never drop an entry still in the feed: it would be yielded again next time.
        seen = (current + older)[: max(SEEN_LIMIT, len(current))]
        return FeedState(headers.get("etag"), headers.get("last-modified"), tuple(seen))


class RssCollector:
    """Collects the RSS and Atom feeds that feed watches name; one target per feed URL."""

    name = PLATFORM

    def __init__(self, *, client: HttpClient, max_entries: int | None = None) -> None:
        if max_entries is not None and max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.report = SourceReport()
        self._client = client
        self._max_entries = max_entries

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """One target per distinct feed URL, answering every watch on it in any department."""
        # URLs are compared exactly as written: the matcher assigns a post to a feed
        # watch by `item.source == watch.value`, so source must be the watch's own text.
        by_url: dict[str, set[int]] = {}
        for watch in watches:
            if watch.kind == "feed":
                by_url.setdefault(watch.value, set()).add(watch.id)
        return [
            Target(key=url, kind="feed", value=url, watch_ids=tuple(sorted(ids)))
            for url, ids in by_url.items()
        ]

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """One page: the feed's new or edited entries, and the cursor after them."""
        url = target.value
        state = self._state(url, cursor)
        response = self._client.get(url, headers=state.request_headers())
        headers = {name.lower(): value for name, value in response.headers.items()}
        if response.status == 304:
            yield Page(cursor=state.revalidated(headers).dump())
            return
        parsed = parse_feed(response, url=url)
        self._note_leniency(url, parsed)
        page, fingerprints = self._page(parsed, seen=state.seen, url=url, now=now)
        page.cursor = state.refetched(headers, fingerprints).dump()
        yield page

    def _state(self, url: str, cursor: str | None) -> FeedState:
        try:
            return FeedState.load(cursor)
        except ValueError as exc:
            # Starting afresh costs one conditional GET and idempotent upserts; failing
            # would stop the feed for good over a cursor nobody can edit.
            self.report.notes.append(f"{url}: cursor unreadable ({exc}); fetched in full")
            return FeedState()

    def _page(
        self, parsed: Any, *, seen: tuple[str, ...], url: str, now: datetime
    ) -> tuple[Page, list[str]]:
        """The entries not seen before, and every entry's fingerprint."""
        entries = list(parsed.entries)
        if self._max_entries is not None and len(entries) > self._max_entries:
            self.report.skip("beyond max_entries", len(entries) - self._max_entries)
            entries = entries[: self._max_entries]
        known = set(seen)
        page, fingerprints, unchanged = Page(), [], 0
        for index, entry in enumerate(entries):
            item = _item_or_rejection(entry, parsed.feed, url=url, now=now, index=index)
            fingerprints.append(fingerprint(item))
            if fingerprints[-1] in known:
                unchanged += 1
            else:
                page.add(item)
        if unchanged:
            self.report.skip("unchanged", unchanged)
        return page, fingerprints

    def _note_leniency(self, url: str, parsed: Any) -> None:
        problem = parsed.get("bozo_exception")
        if problem is not None and not isinstance(problem, _HARMLESS):
            said = " ".join(str(problem).split())[:200] or type(problem).__name__
            self.report.notes.append(f"{url}: read past an error in the feed ({said})")


def parse_feed(response: Response, *, url: str) -> Any:
    """The feed in a response body; RetriableError if cut short, FatalSourceError if no feed."""
    if not response.body.strip():
        raise RetriableError(f"{url}: the server sent an empty body instead of the feed")
    headers = {name.lower(): value for name, value in response.headers.items()}
    # Relative links resolve against where the bytes came from (after redirects).
    headers.setdefault("content-location", response.url)
    parsed = feedparser.parse(
        io.BytesIO(response.body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException) and problem.getMessage() in _CUT_SHORT:
        # Lenient parsing would recover the entries before the cut, the last one
        # perhaps half-written, and the cursor would then mark it seen for good.
        raise RetriableError(
            f"{url}: the feed stops mid-document ({problem.getMessage()}); cut short in transit?"
        )
    if not parsed.get("version") and not parsed.entries:
        raise FatalSourceError(f"{url}: not an RSS or Atom feed ({_what_came(response)})")
    return parsed


def entry_item(
    entry: Mapping[str, Any], feed: Mapping[str, Any], *, url: str, now: datetime
) -> PostItem:
    """Normalise one feedparser entry; SkippableItemError if nothing identifies it."""
    native_id = _native_id(entry, url=url)
    reply_to = _reply_to(entry, native_id=native_id, url=url)
    is_reply = reply_to is not None or _is_comments_feed(url, feed)
    return PostItem(
        platform=PLATFORM,
        native_id=native_id,
        text=_text(entry),
        created_at=_created_at(entry) or now,
        author=_author(entry, feed, url=url),
        url=_str(entry.get("link")),
        lang=_lang(entry, feed),
        kind="reply" if is_reply else "post",
        # The post a WordPress comment thread hangs from, or the post itself.
        conversation_id=_COMMENT_FRAGMENT.sub("", reply_to or native_id),
        reply_to_id=reply_to,
        metrics=_metrics(entry),
        raw=plain(entry),
        source=url,
    )


def fingerprint(item: PostItem | RejectedItem) -> str:
    """What the cursor remembers an entry by: changes when the entry is edited."""
    if isinstance(item, RejectedItem):
        # Remembered too, so a broken entry is quarantined once, not on every run.
        key = json.dumps(item.raw, sort_keys=True, default=str)
    else:
        key = "\0".join((item.native_id, item.url, item.text))
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]


def plain(value: Any) -> Any:
    """`value` as JSON-ready data; feedparser's struct_time dates become ISO 8601 strings."""
    if isinstance(value, time.struct_time):
        moment = _utc(value)
        return moment.isoformat() if moment else None
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _item_or_rejection(
    entry: Mapping[str, Any], feed: Mapping[str, Any], *, url: str, now: datetime, index: int
) -> PostItem | RejectedItem:
    try:
        return entry_item(entry, feed, url=url, now=now)
    except SkippableItemError as exc:
        return RejectedItem(f"{url}: entries[{index}]", str(exc), plain(entry))


def _native_id(entry: Mapping[str, Any], *, url: str) -> str:
    """The entry's id (guid), else its link; a link is as stable as a hash of it would be."""
    guid = _str(entry.get("id"))
    if guid:
        return _scoped_id(guid, url=url)
    link = _str(entry.get("link"))
    if link:
        return _bounded(link)
    raise SkippableItemError("entry has neither an id (guid) nor a link")


def _scoped_id(value: str, *, url: str) -> str:
    """An id unique across feeds: a URI as it is, a bare guid ("4711") prefixed by the feed."""
    return _bounded(value if _SCHEME.match(value) else f"{url}#{value}")


def _bounded(value: str) -> str:
    """`value`, or if too long for the store a readable prefix and a hash of the whole."""
    if len(value) <= _ID_LIMIT:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:40]
    return f"{value[:150]}#sha256={digest}"


def _reply_to(entry: Mapping[str, Any], *, native_id: str, url: str) -> str | None:
    """What the entry answers: its thr:in-reply-to ref, or the post a WordPress comment is on."""
    for key, value in entry.items():
        # feedparser names unknown-namespace elements by the document's own prefix.
        if key.endswith("_in-reply-to") and isinstance(value, Mapping):
            ref = _str(value.get("ref")) or _str(value.get("href"))
            if ref:
                return _scoped_id(ref, url=url)
    for said in (native_id, _str(entry.get("link"))):
        post = _COMMENT_FRAGMENT.sub("", said)
        if post != said:
            return post
    return None


def _is_comments_feed(url: str, feed: Mapping[str, Any]) -> bool:
    path = urlsplit(url).path
    return bool(_COMMENTS_URL.search(path) or _COMMENTS_TITLE.match(_str(feed.get("title"))))


def _text(entry: Mapping[str, Any]) -> str:
    """Title, a blank line, then the full content if given, else the summary; HTML as given."""
    contents = entry.get("content")
    body = ""
    for content in contents if isinstance(contents, list) else []:
        if isinstance(content, Mapping) and _str(content.get("value")):
            body = _str(content.get("value"))
            break
    body = body or _str(entry.get("summary"))
    return "\n\n".join(part for part in (_str(entry.get("title")), body) if part)


def _created_at(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        # `in` first: feedparser's get("updated_parsed") falls back to published, with a warning.
        moment = _utc(entry[key]) if key in entry else None
        if moment is not None:
            return moment
    return None


def _utc(value: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime (via timegm, so second 60 is fine)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _author(entry: Mapping[str, Any], feed: Mapping[str, Any], *, url: str) -> AuthorItem:
    """The entry's author by name, else the feed itself; email addresses are not kept here."""
    detail = entry.get("author_detail")
    # `entry.author` can be "jo@example.org (Jo)"; author_detail has the name alone.
    name = _str(detail.get("name")) if isinstance(detail, Mapping) else ""
    handle = name or _str(feed.get("title")) or urlsplit(url).netloc
    return AuthorItem(
        platform=PLATFORM,
        native_id=_bounded(f"{url}#{handle}"),
        handle=handle[:200],
        name=handle[:400],
    )


def _lang(entry: Mapping[str, Any], feed: Mapping[str, Any]) -> str | None:
    """The primary language subtag of the entry's content, title or feed, if given."""
    contents = entry.get("content")
    details: list[Any] = contents if isinstance(contents, list) else []
    details = [*details, entry.get("summary_detail"), entry.get("title_detail")]
    codes = [d.get("language") for d in details if isinstance(d, Mapping)]
    for code in [*codes, feed.get("language")]:
        primary = _str(code).lower().replace("_", "-").split("-")[0]
        if _LANG.fullmatch(primary):
            return primary
    return None


def _metrics(entry: Mapping[str, Any]) -> dict[str, Any]:
    """WordPress's comment count (slash:comments), named as X names replies."""
    count = _str(entry.get("slash_comments"))
    return {"reply_count": int(count)} if count.isascii() and count.isdigit() else {}


def _what_came(response: Response) -> str:
    """What the server sent instead of a feed, on one line: its type and title or first words."""
    kind = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    text = response.body[:4096].decode("utf-8", "replace")
    title = _TITLE.search(text)
    shown = " ".join((title.group(1) if title else text).split())[:80]
    kind = kind or "no Content-Type"
    return f"{kind}: {shown!r}" if shown else kind


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""

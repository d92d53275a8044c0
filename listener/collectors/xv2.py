"""Normalise X API v2 responses (tweets with their `includes`) into PostItems.

Shared by the twarc2 file importer and the live X collector, so an archived
page and a freshly fetched one become exactly the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from listener.collectors.base import AuthorItem, PostItem, RejectedItem, ShapeError, parse_time

PLATFORM = "x"
_KIND_BY_REFERENCE = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}
_RT_PREFIX = re.compile(r"^RT @\w+: ")


def _required_str(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"missing field '{field}'")
    return value


def full_text(tweet: Mapping[str, Any]) -> str:
    """The untruncated text: long posts carry it in `note_tweet`."""
    note = tweet.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str):
        return str(note["text"])
    return _required_str(tweet, "text")


def author_item(user: Mapping[str, Any]) -> AuthorItem:
    """An AuthorItem from an X v2 user object."""
    metrics = user.get("public_metrics") or {}
    verified_type = user.get("verified_type") or ("blue" if user.get("verified") else "")
    return AuthorItem(
        platform=PLATFORM,
        native_id=_required_str(user, "id"),
        handle=str(user.get("username") or ""),
        name=str(user.get("name") or ""),
        description=str(user.get("description") or ""),
        verified_type="" if verified_type == "none" else str(verified_type),
        followers_count=metrics.get("followers_count") if isinstance(metrics, Mapping) else None,
        profile=dict(user),
    )


class Includes:
    """The `includes` of one response page, indexed by id."""

    def __init__(self, includes: Mapping[str, Any] | None) -> None:
        includes = includes or {}
        self.users = _index(includes.get("users"))
        self.tweets = _index(includes.get("tweets"))
        self._authors: dict[str, AuthorItem] = {}  # a page's posts share a few authors

    def author(self, tweet: Mapping[str, Any]) -> AuthorItem | None:
        author_id = tweet.get("author_id")
        if author_id is None:
            return None
        key = str(author_id)
        author = self._authors.get(key)
        if author is None:
            user = self.users.get(key)
            author = (
                AuthorItem(platform=PLATFORM, native_id=key) if user is None else author_item(user)
            )
            self._authors[key] = author
        return author


def _index(objects: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(objects, list):
        return {}
    return {str(o["id"]): o for o in objects if isinstance(o, dict) and "id" in o}


def post_item(
    tweet: Mapping[str, Any], includes: Includes, *, source: str, context: bool = False
) -> PostItem:
    """Normalise one tweet; raises ShapeError if it lacks what a post needs."""
    if not isinstance(tweet, Mapping):
        raise ShapeError("not a JSON object")
    native_id = _required_str(tweet, "id")
    text = full_text(tweet)
    refs = _references(tweet.get("referenced_tweets"))
    author = includes.author(tweet)
    kind = next(
        (_KIND_BY_REFERENCE[t] for t in ("retweeted", "quoted", "replied_to") if t in refs), "post"
    )
    return PostItem(
        platform=PLATFORM,
        native_id=native_id,
        text=text,
        created_at=parse_time(tweet.get("created_at"), "created_at"),
        author=author,
        url=_url(author, native_id),
        lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
        kind=kind,
        conversation_id=_optional_id(tweet.get("conversation_id")),
        reply_to_id=refs.get("replied_to"),
        quote_of_id=refs.get("quoted"),
        repost_of_id=refs.get("retweeted"),
        metrics=dict(tweet.get("public_metrics") or {}),
        raw=dict(tweet),
        source=source,
        analysis_text=_analysis_text(text, refs.get("retweeted"), includes),
        context=context,
    )


def _references(value: Any) -> dict[str, str]:
    refs: dict[str, str] = {}
    for ref in value if isinstance(value, list) else []:
        if isinstance(ref, Mapping) and ref.get("type") in _KIND_BY_REFERENCE and "id" in ref:
            refs.setdefault(str(ref["type"]), str(ref["id"]))
    return refs


def _optional_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _url(author: AuthorItem | None, native_id: str) -> str:
    if author is not None and author.handle:
        return f"https://x.com/{author.handle}/status/{native_id}"
    return f"https://x.com/i/web/status/{native_id}"


def _analysis_text(text: str, repost_of: str | None, includes: Includes) -> str:
    # A retweet's own text is "RT @user: " plus a truncated copy; sentiment
    # should read the original in full, and identical originals score once.
    if repost_of is None:
        return text
    try:
        return full_text(includes.tweets[repost_of])
    except (KeyError, ShapeError):  # the original was not included, or is malformed
        return _RT_PREFIX.sub("", text)


def page_items(
    page: Mapping[str, Any], *, source: str, location: str
) -> Iterator[PostItem | RejectedItem]:
    """Every post in one response page: its `data`, then included tweets as context."""
    includes = Includes(page.get("includes"))
    data = page.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        yield RejectedItem(location, "'data' is not a list", page)
        return
    seen: set[str] = set()
    for index, tweet in enumerate(data):
        try:
            item = post_item(tweet, includes, source=source)
        except ShapeError as exc:
            yield RejectedItem(f"{location}: data[{index}]", str(exc), tweet)
            continue
        seen.add(item.native_id)
        yield item
    for native_id, tweet in includes.tweets.items():
        if native_id in seen:
            continue
        try:
            yield post_item(tweet, includes, source=source, context=True)
        except ShapeError as exc:
            yield RejectedItem(f"{location}: includes.tweets[{native_id}]", str(exc), tweet)

"""Turn Bluesky PostViews and FeedViewPosts into listener's PostItems (pure; no I/O).

Identity and shape:

- ``native_id`` is the post's ``at://`` uri, unique across the network. A
  repost has no uri of its own in older AppViews, so it is the repost record's
  uri when ``reason.uri`` is given, else ``"<post uri>#repost:<reposter did>"``
  (one repost per person per post).
- ``when`` (:func:`sort_at`) is the time the search index sorts and filters
  by: the earlier of ``record.createdAt`` and ``indexedAt``, as the AppView
  computes ``sortAt`` (so a post dated in the future cannot jump the queue).
  For a repost it is the repost's ``indexedAt``.
- Privacy: an author labelled ``!no-unauthenticated`` asked not to be shown
  to logged-out viewers; listener's readers are not that author's audience,
  so the post is skipped (for a repost, either author's label skips it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard

from listener.collectors.base import AuthorItem, PostItem, RejectedItem, ShapeError, parse_time
from listener.textnorm import normalise_lang

PLATFORM = "bluesky"
OPT_OUT_LABEL = "!no-unauthenticated"
APP_URL = "https://bsky.app"
_REPOST = "app.bsky.feed.defs#reasonRepost"
_RECORD_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
_METRICS = {
    "replyCount": "reply_count",
    "repostCount": "repost_count",
    "likeCount": "like_count",
    "quoteCount": "quote_count",
}


def sort_at(item: Mapping[str, Any]) -> datetime:
    """When a feed item sorts: a repost's own time, else the earlier of createdAt and indexedAt."""
    reason = item.get("reason")
    if _is_repost(reason):
        return parse_time(reason.get("indexedAt"), "reason.indexedAt")
    post = _mapping(item.get("post", item), "post")
    created = parse_time(_mapping(post.get("record"), "record").get("createdAt"), "createdAt")
    indexed = post.get("indexedAt")
    return min(created, parse_time(indexed, "indexedAt")) if indexed else created


def opted_out(item: Mapping[str, Any]) -> bool:
    """True if the post's author (or, for a repost, the reposter) opted out of logged-out views."""
    post = item.get("post", item)
    reason = item.get("reason")
    authors = [post.get("author") if isinstance(post, Mapping) else None]
    authors += [reason.get("by")] if _is_repost(reason) else []
    return any(_has_opt_out(author) for author in authors)


def feed_items(item: Any, *, source: str, location: str) -> list[PostItem | RejectedItem]:
    """A PostView or FeedViewPost as posts (a repost brings its original as context)."""
    try:
        if not isinstance(item, Mapping):
            raise ShapeError("not a JSON object")
        if "post" not in item:  # a bare PostView, from searchPosts
            return [post_item(item, source=source, raw=item)]
        view = _mapping(item["post"], "post")
        if not _is_repost(item.get("reason")):
            return [post_item(view, source=source, raw=item)]
        original = post_item(view, source=source, raw=view, context=True)
        repost = repost_item(item, original=original, source=source)
        return [original, repost]
    except ShapeError as exc:
        return [RejectedItem(location, str(exc), item)]


def post_item(
    view: Mapping[str, Any], *, source: str, raw: Mapping[str, Any], context: bool = False
) -> PostItem:
    """Normalise one PostView; raises ShapeError if it lacks what a post needs."""
    uri = _required_str(view, "uri")
    record = _mapping(view.get("record"), "record")
    text = record.get("text")
    if not isinstance(text, str):  # "" is a real post (images only); absent is not
        raise ShapeError("missing field 'record.text'")
    author = author_item(_mapping(view.get("author"), "author"))
    reply = record.get("reply") if isinstance(record.get("reply"), Mapping) else None
    quoted = _quoted_uri(record.get("embed"))
    langs = record.get("langs")
    return PostItem(
        platform=PLATFORM,
        native_id=uri,
        text=text,
        created_at=parse_time(record.get("createdAt"), "createdAt"),
        author=author,
        url=post_url(author, uri),
        lang=normalise_lang(langs[0]) if isinstance(langs, list) and langs else None,
        kind="quote" if quoted else ("reply" if reply else "post"),
        conversation_id=_ref_uri(reply, "root") if reply else uri,
        reply_to_id=_ref_uri(reply, "parent") if reply else None,
        quote_of_id=quoted,
        metrics={
            ours: view[theirs] for theirs, ours in _METRICS.items() if _is_int(view.get(theirs))
        },
        raw=dict(raw),
        source=source,
        context=context,
    )


def repost_item(item: Mapping[str, Any], *, original: PostItem, source: str) -> PostItem:
    """The repost in a FeedViewPost: by ``reason.by``, at ``reason.indexedAt``, of ``original``."""
    reason = item["reason"]
    by = author_item(_mapping(reason.get("by"), "reason.by"))
    uri = reason.get("uri")
    native_id = (
        uri if isinstance(uri, str) and uri else f"{original.native_id}#repost:{by.native_id}"
    )
    return PostItem(
        platform=PLATFORM,
        native_id=native_id,
        text="",
        created_at=parse_time(reason.get("indexedAt"), "reason.indexedAt"),
        author=by,
        url=original.url,
        lang=original.lang,
        kind="repost",
        repost_of_id=original.native_id,
        raw=dict(item),
        source=source,
        analysis_text=original.text,
    )


def author_item(author: Mapping[str, Any]) -> AuthorItem:
    """An AuthorItem from a ProfileViewBasic: the DID is the stable id, the handle can change."""
    return AuthorItem(
        platform=PLATFORM,
        native_id=_required_str(author, "did", prefix="author."),
        handle=_required_str(author, "handle", prefix="author."),
        name=_optional_str(author, "displayName"),
        profile=dict(author),
    )


def post_url(author: AuthorItem, uri: str) -> str:
    """The bsky.app address of a post; the DID stands in for a handle that no longer resolves."""
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    who = author.native_id if author.handle in ("", "handle.invalid") else author.handle
    return f"{APP_URL}/profile/{who}/post/{rkey}"


def _quoted_uri(embed: Any) -> str | None:
    """The quoted post's uri for a record embed (feeds and lists embedded are not quotes)."""
    if not isinstance(embed, Mapping) or embed.get("$type") not in _RECORD_EMBEDS:
        return None
    ref = embed.get("record")
    if embed.get("$type") == _RECORD_EMBEDS[1] and isinstance(ref, Mapping):
        ref = ref.get("record")  # recordWithMedia nests the strong ref one level down
    uri = ref.get("uri") if isinstance(ref, Mapping) else None
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else None


def _ref_uri(reply: Mapping[str, Any], name: str) -> str | None:
    ref = reply.get(name)
    uri = ref.get("uri") if isinstance(ref, Mapping) else None
    return uri if isinstance(uri, str) and uri else None


def _has_opt_out(author: Any) -> bool:
    labels = author.get("labels") if isinstance(author, Mapping) else None
    if not isinstance(labels, list):
        return False
    return any(isinstance(lab, Mapping) and lab.get("val") == OPT_OUT_LABEL for lab in labels)


def _is_repost(reason: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(reason, Mapping) and reason.get("$type") == _REPOST


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeError(f"missing field '{name}'")
    return value


def _required_str(obj: Mapping[str, Any], name: str, *, prefix: str = "") -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"missing field '{prefix}{name}'")
    return value


def _optional_str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

"""Mastodon Status entities: PostItems from them, what privacy lets us keep, their ids and times.

Decisions (see also listener.collectors.mastodon):

- ``native_id`` is the status ``uri`` (its ActivityPub id). Posts are unique on
  (platform, native id) across every instance we read, and the instance-local
  ``id`` differs from one instance to the next; the uri does not. The local id
  stays in ``raw`` and drives the cursor.
- Replies: ``in_reply_to_id`` is instance-local. When the parent has passed
  through this collector (same page or earlier in its life) it becomes the
  parent's uri, so stored threads join up; otherwise it is kept as
  ``"<instance base URL>|<local id>"`` (see :func:`local_ref`), which never
  collides with a uri and says where to resolve it later.
- ``conversation_id`` is the thread root's uri when the whole chain up to it is
  known, a status's own uri when it replies to nothing, else None (the public
  API has no conversation id).
- ``text`` is ``content`` exactly as given: HTML, stored raw, never rendered
  here. A boost (``reblog`` set) is kind ``repost`` with the original's uri in
  ``repost_of_id`` and its content as ``analysis_text``; the original itself is
  yielded as a context post.
- Privacy: only ``public`` statuses are kept (``unlisted`` authors chose to stay
  out of public timelines and search). An author with ``indexable: false``,
  ``noindex: true``, or ``#nobot`` / ``#noindex`` in their bio is skipped; for a
  boost, both the booster and the original author must allow it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from listener.collectors.base import AuthorItem, PostItem, RejectedItem, ShapeError, parse_time

PLATFORM = "mastodon"
_TAG_MARKUP = re.compile(r"<[^>]*>")
_OPT_OUT_TAG = re.compile(r"(?<![\w#])#(nobot|noindex)(?!\w)", re.IGNORECASE)
_METRICS = ("replies_count", "reblogs_count", "favourites_count")
# Local id -> uri entries kept per instance; beyond this the index starts afresh
# rather than growing for ever in a long-lived scheduler process.
_THREAD_INDEX_LIMIT = 200_000


def id_key(local_id: str) -> tuple[int, str]:
    """Sort key for instance-local ids: numeric strings of any length, or same-length ULIDs."""
    return (len(local_id), local_id)


def local_ids(statuses: list[Any]) -> list[str]:
    """The local ids of the well-formed statuses in an API page."""
    return [s["id"] for s in statuses if isinstance(s, Mapping) and _is_str(s.get("id"))]


def newest_id(current: str | None, statuses: list[Any]) -> str | None:
    """The newest of ``current`` and the page's ids."""
    return max([*local_ids(statuses), *([current] if current else [])], key=id_key, default=None)


def oldest_id(current: str | None, statuses: list[Any]) -> str | None:
    """The oldest of ``current`` and the page's ids."""
    return min([*local_ids(statuses), *([current] if current else [])], key=id_key, default=None)


def sort_key(status: Any) -> tuple[int, str]:
    """Oldest first by local id; statuses without one sort first (they are rejected anyway)."""
    local_id = status.get("id") if isinstance(status, Mapping) else None
    return id_key(local_id) if isinstance(local_id, str) else (0, "")


def created_before(status: Any, cutoff: datetime) -> bool:
    """True for a status created before ``cutoff``; malformed ones are kept, to be rejected."""
    if not isinstance(status, Mapping):
        return False
    try:
        return parse_time(status.get("created_at"), "created_at") < cutoff
    except ShapeError:
        return False


def local_ref(instance: str, local_id: str) -> str:
    """How a status known only by its instance-local id is referred to."""
    return f"{instance}|{local_id}"


def opt_out_reason(account: Mapping[str, Any]) -> str | None:
    """Why an account's statuses must not be collected, or None if they may be."""
    # Absent means an older server or a remote account it knows little about: allowed.
    if account.get("indexable") is False:
        return "indexable-false"
    if account.get("noindex") is True:
        return "noindex"
    note = account.get("note")
    if isinstance(note, str):
        found = _OPT_OUT_TAG.search(html.unescape(_TAG_MARKUP.sub("", note)))
        if found:
            return f"bio-{found.group(1).lower()}"
    return None


def skip_reason(status: Mapping[str, Any]) -> str | None:
    """Why a status must be left out (visibility or its authors' opt-outs), or None."""
    for part in (status, status.get("reblog")):
        if not isinstance(part, Mapping):
            continue
        visibility = part.get("visibility", "public")
        if visibility != "public":
            return f"visibility-{visibility}"
        account = part.get("account")
        reason = opt_out_reason(account) if isinstance(account, Mapping) else None
        if reason:
            return reason
    return None


@dataclass
class ThreadIndex:
    """What one instance's local status ids stand for: each status's uri and thread root."""

    instance: str
    _known: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def learn(self, statuses: list[Any]) -> None:
        """Remember every well-formed status (and boosted original), oldest first."""
        if len(self._known) > _THREAD_INDEX_LIMIT:
            self._known.clear()
        found = [s for s in statuses if isinstance(s, Mapping)]
        found += [s["reblog"] for s in found if isinstance(s.get("reblog"), Mapping)]
        usable = [s for s in found if _is_str(s.get("id")) and _is_str(s.get("uri"))]
        # Parents are older than their replies, so oldest first lets roots chain.
        for status in sorted(usable, key=lambda s: id_key(s["id"])):
            parent = status.get("in_reply_to_id")
            root: str | None = status["uri"]
            if _is_str(parent):
                root = self._known[parent][1] if parent in self._known else None
            self._known[status["id"]] = (status["uri"], root)

    def reply_to(self, local_id: str) -> str:
        """The parent's uri if known, else its instance-qualified local id."""
        known = self._known.get(local_id)
        return known[0] if known else local_ref(self.instance, local_id)

    def root(self, local_id: str) -> str | None:
        """The thread root's uri for a status, if the chain up to it is known."""
        known = self._known.get(local_id)
        return known[1] if known else None


def author_item(account: Mapping[str, Any]) -> AuthorItem:
    """An AuthorItem from an Account entity; the handle is always user@domain."""
    native_id = _optional_str(account, "uri") or _required_str(account, "url")
    followers = account.get("followers_count")
    return AuthorItem(
        platform=PLATFORM,
        native_id=native_id,
        handle=full_handle(account),
        name=_optional_str(account, "display_name") or "",
        description=_optional_str(account, "note") or "",
        followers_count=followers if isinstance(followers, int) else None,
        profile=dict(account),
    )


def full_handle(account: Mapping[str, Any]) -> str:
    """``acct``, with the domain added for local accounts: one handle per person everywhere."""
    acct = (_optional_str(account, "acct") or _required_str(account, "username")).lstrip("@")
    if "@" in acct:
        return acct
    # The profile URL names the account's own server even when we read it through a proxy.
    host = urlsplit(_optional_str(account, "url") or "").hostname
    return f"{acct}@{host}" if host else acct


def post_item(
    status: Mapping[str, Any], *, threads: ThreadIndex, source: str, context: bool = False
) -> PostItem:
    """Normalise one status; raises ShapeError if it lacks what a post needs."""
    local_id = _required_str(status, "id")
    uri = _required_str(status, "uri")
    content = status.get("content")
    if not isinstance(content, str):  # a boost's own content is "", which is fine
        raise ShapeError("missing field 'content'")
    account = status.get("account")
    if not isinstance(account, Mapping):
        raise ShapeError("missing field 'account'")
    original = status.get("reblog")
    original = original if isinstance(original, Mapping) else None
    parent = _optional_str(status, "in_reply_to_id")
    quoted = _quoted_uri(status.get("quote"))
    return PostItem(
        platform=PLATFORM,
        native_id=uri,
        text=content,
        created_at=parse_time(status.get("created_at"), "created_at"),
        author=author_item(account),
        url=_optional_str(status, "url") or _optional_str(original or {}, "url") or uri,
        lang=_optional_str(status, "language"),
        kind=_kind(original=original, quoted=quoted, parent=parent),
        conversation_id=None if original else threads.root(local_id),
        reply_to_id=threads.reply_to(parent) if parent else None,
        quote_of_id=quoted,
        repost_of_id=_required_str(original, "uri") if original else None,
        metrics={name: status[name] for name in _METRICS if isinstance(status.get(name), int)},
        raw=dict(status),
        source=source,
        analysis_text=_original_content(original) if original else None,
        context=context,
    )


def status_items(
    status: Any, *, threads: ThreadIndex, source: str, location: str
) -> list[PostItem | RejectedItem]:
    """One status as posts (a boost brings its original as context), or one RejectedItem."""
    try:
        if not isinstance(status, Mapping):
            raise ShapeError("not a JSON object")
        original = status.get("reblog")
        if not isinstance(original, Mapping):
            return [post_item(status, threads=threads, source=source)]
        try:
            context = post_item(original, threads=threads, source=source, context=True)
        except ShapeError as exc:
            raise ShapeError(f"reblog: {exc}") from None
        return [context, post_item(status, threads=threads, source=source)]
    except ShapeError as exc:
        return [RejectedItem(location, str(exc), status)]


def _kind(*, original: Mapping[str, Any] | None, quoted: str | None, parent: str | None) -> str:
    if original is not None:
        return "repost"
    if quoted is not None:
        return "quote"
    return "reply" if parent else "post"


def _quoted_uri(quote: Any) -> str | None:
    """The quoted status's uri from a Quote entity (Mastodon 4.4+), if it was approved."""
    if not isinstance(quote, Mapping) or quote.get("state") != "accepted":
        return None
    quoted = quote.get("quoted_status")
    return _optional_str(quoted, "uri") if isinstance(quoted, Mapping) else None


def _original_content(original: Mapping[str, Any]) -> str:
    content = original.get("content")
    if not isinstance(content, str):
        raise ShapeError("reblog: missing field 'content'")
    return content


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _required_str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"missing field '{name}'")
    return value


def _optional_str(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return value if isinstance(value, str) and value else None

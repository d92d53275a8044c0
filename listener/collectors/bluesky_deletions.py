"""Which stored Bluesky posts are gone at source: getPosts for posts, getRecord for the rest.

    GET /xrpc/app.bsky.feed.getPosts?uris=...       up to 25 post uris per request
    GET /xrpc/com.atproto.repo.getRecord            one record: repo, collection, rkey

getPosts returns the posts the AppView will show and silently leaves out the
rest. A post left out is asked for once more with getRecord, whose answer is
explicit: 400 ``RecordNotFound`` or ``RepoNotFound`` means the post or its
account was deleted (DELETED); ``RepoTakendown``, ``RepoDeactivated`` or
``RepoSuspended``, or a record that exists although the AppView will not show
it (a moderation takedown, or an author who blocks our account), means the
public can no longer see it (PRIVATE). A post shown, but whose author has
since added the ``!no-unauthenticated`` label, is NOT_INDEXABLE: the collector
never stores such authors' posts (bluesky_normalise.opted_out).

Reposts stored under their repost record's uri are checked with getRecord
alone (an undone repost is RecordNotFound). Reposts stored under a made-up id
(``<post uri>#repost:<did>``, from AppViews that sent no record uri) cannot be
asked about and get no verdict; `listener.deletions` removes them with their
original. Any other answer gives no verdict; transient failures raise from the
HttpClient, through the collector's session (which renews an expired token).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from listener.collectors.bluesky_normalise import opted_out
from listener.collectors.deletions import DELETED, NOT_INDEXABLE, PRIVATE, StoredPost, Verdict
from listener.collectors.http import RequestRejected, Response

GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
GET_RECORD = "/xrpc/com.atproto.repo.getRecord"
POSTS_PER_LOOKUP = 25  # getPosts' maximum
_AT_URI = re.compile(r"at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/#?]+)")
_POST = "app.bsky.feed.post"
_REPOST = "app.bsky.feed.repost"
_XRPC_ERROR = re.compile(r'"error"\s*:\s*"(\w+)"')
_ERRORS = {
    "RecordNotFound": DELETED,
    "RepoNotFound": DELETED,
    "RepoTakendown": PRIVATE,
    "RepoDeactivated": PRIVATE,
    "RepoSuspended": PRIVATE,
}


class XrpcReader(Protocol):
    """What the check needs of a session: authenticated GETs (bluesky.Session)."""

    def get(self, path: str, *, params: Any) -> Response: ...


def verdicts(session: XrpcReader, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
    """A verdict for each stored post or repost the network answered for."""
    uris = list(dict.fromkeys(p.native_id for p in posts))
    wanted = [u for u in uris if _collection(u) == _POST]
    for start in range(0, len(wanted), POSTS_PER_LOOKUP):
        yield from _posts(session, wanted[start : start + POSTS_PER_LOOKUP])
    for uri in uris:
        if _collection(uri) == _REPOST:
            gone = _record_state(session, uri)
            if gone is not None:
                yield Verdict(uri, gone)


def _posts(session: XrpcReader, uris: list[str]) -> Iterator[Verdict]:
    """Verdicts for up to 25 post uris: shown by getPosts, else whatever getRecord says."""
    body = session.get(GET_POSTS, params={"uris": uris}).json()
    views = body.get("posts") if isinstance(body, dict) else None
    if not isinstance(views, list):
        return  # a reply without its list says nothing about any of them
    shown = {v["uri"]: v for v in views if isinstance(v, dict) and isinstance(v.get("uri"), str)}
    for uri in uris:
        if uri in shown:
            yield Verdict(uri, NOT_INDEXABLE if opted_out(shown[uri]) else "")
            continue
        gone = _record_state(session, uri)
        if gone is not None:
            yield Verdict(uri, gone or PRIVATE)  # a record the AppView will not show


def _record_state(session: XrpcReader, uri: str) -> str | None:
    """The record's state: "" if it exists, DELETED or PRIVATE as the network says, else None."""
    found = _AT_URI.fullmatch(uri)
    if found is None:
        return None
    try:
        session.get(GET_RECORD, params=found.groupdict())
    except RequestRejected as exc:
        error = _XRPC_ERROR.search(exc.excerpt) if exc.status == 400 else None
        return _ERRORS.get(error.group(1)) if error else None
    return ""


def _collection(uri: str) -> str:
    found = _AT_URI.fullmatch(uri)
    return found.group("collection") if found else ""

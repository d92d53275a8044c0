"""Which stored X posts are gone at source: GET /2/tweets for up to 100 ids at a time.

X answers a batch lookup with the posts it can show in ``data`` and one entry
per post it cannot show in ``errors``, e.g.::

    {"value": "1856...", "resource_id": "1856...", "resource_type": "tweet",
     "parameter": "ids", "title": "Not Found Error",
     "type": "https://api.twitter.com/2/problems/resource-not-found", ...}

``resource-not-found`` ("Not Found Error") means the post was deleted;
``not-authorized-for-resource`` ("Authorization Error") means its account is
now protected or suspended: the public can no longer see it (PRIVATE). Any
other problem, and an id X leaves out of both lists, says nothing about the
post: no verdict. Errors about other resources (users, expansions) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from listener.collectors.deletions import DELETED, PRIVATE, StoredPost, Verdict
from listener.collectors.x_session import XApi

LOOKUP_SIZE = 100  # ids per GET /2/tweets, X's maximum
_PROBLEMS = {  # the end of an error's "type" URI, and its "title" for older payloads
    "resource-not-found": DELETED,
    "Not Found Error": DELETED,
    "not-authorized-for-resource": PRIVATE,
    "Authorization Error": PRIVATE,
}


def verdicts(api: XApi, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
    """A verdict for each stored post X answered for, 100 ids per request."""
    # X ids are decimal snowflakes; anything else was never an X post id and cannot be asked.
    ids = list(dict.fromkeys(p.native_id for p in posts if p.native_id.isdigit()))
    for start in range(0, len(ids), LOOKUP_SIZE):
        asked = ids[start : start + LOOKUP_SIZE]
        yield from _answers(api.tweets(asked), asked)


def _answers(body: Any, asked: list[str]) -> Iterator[Verdict]:
    """Verdicts from one lookup response: found in ``data``, or gone in ``errors``."""
    if not isinstance(body, dict):
        return
    found = {
        str(tweet["id"])
        for tweet in _objects(body.get("data"))
        if isinstance(tweet.get("id"), str | int)
    }
    gone: dict[str, str] = {}
    for error in _objects(body.get("errors")):
        native_id, reason = _gone(error)
        if native_id and reason:
            gone.setdefault(native_id, reason)
    for native_id in asked:
        if native_id in found:
            yield Verdict(native_id)
        elif native_id in gone:
            yield Verdict(native_id, gone[native_id])


def _gone(error: Mapping[str, Any]) -> tuple[str, str]:
    """(post id, reason) for an error saying an asked-for post cannot be shown, else ("", "")."""
    if error.get("resource_type") != "tweet" or error.get("parameter", "ids") != "ids":
        return "", ""
    native_id = str(error.get("resource_id") or error.get("value") or "")
    problem = str(error.get("type") or "").rsplit("/", 1)[-1]
    reason = _PROBLEMS.get(problem) or _PROBLEMS.get(str(error.get("title") or ""), "")
    return native_id, reason


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []

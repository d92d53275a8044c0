"""Which stored Mastodon statuses are gone at source: GET /api/v1/statuses/:id, one at a time.

Each status is asked for on the instance it was collected from (the start of
its stored ``source``), by the local id in its raw payload, and checked
against its stored ``uri`` so a reused or restored id can never remove the
wrong post. Answers, per Mastodon's documentation of that endpoint:

- 404 (or 410): "Status does not exist or is private". Mastodon does not say
  which; either way the public can no longer read it, so it is DELETED.
- 200 with ``visibility`` other than public (an instance that shows our token
  more than the public sees): PRIVATE.
- 200 whose author (or, for a boost, the original's author) now has
  ``indexable: false``, ``noindex: true`` or #nobot / #noindex in their bio:
  NOT_INDEXABLE. Since Mastodon 4.2 ``indexable`` is the author's answer to
  "may my public posts appear in search results"; listener never collects such
  authors (see mastodon_normalise.skip_reason), and an author who opts out
  later has withdrawn that permission for what is already stored too.
- 200, public, author still indexable: still there.

A status from an instance no longer configured, or without a local id (file
imports), gets no verdict. 401/403 (an instance that requires sign-in) and
every transient failure raise from the HttpClient, as for collection.

Known limit: one request per status. At Mastodon's default 300 requests per
5 minutes, a check of more statuses than that stops at the rate limit as a
partial run (the use-case checks the newest first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from listener.collectors.deletions import DELETED, NOT_INDEXABLE, PRIVATE, StoredPost, Verdict
from listener.collectors.http import HttpClient, RequestRejected
from listener.collectors.mastodon_normalise import skip_reason

BATCH = 40  # stored statuses per check_stored call (each is one request)
_GONE_STATUSES = (404, 410)


def verdicts(clients: Mapping[str, HttpClient], posts: Sequence[StoredPost]) -> Iterator[Verdict]:
    """A verdict for each stored status its instance answered for."""
    for post in posts:
        client = _client_for(clients, post.source)
        if client is None or not post.local_id:
            continue
        try:
            status = client.get_json(f"/api/v1/statuses/{quote(post.local_id, safe='')}").json()
        except RequestRejected as exc:
            if exc.status in _GONE_STATUSES:
                yield Verdict(post.native_id, DELETED)
            continue  # any other 4xx is about the request, not the status: no verdict
        verdict = _verdict(post, status)
        if verdict is not None:
            yield verdict


def _verdict(post: StoredPost, status: Any) -> Verdict | None:
    """What a 200 says: still there, private or not indexable; None if it is another status."""
    if not isinstance(status, dict) or status.get("uri") != post.native_id:
        return None
    reason = skip_reason(status)
    if reason is None:
        return Verdict(post.native_id)
    return Verdict(post.native_id, PRIVATE if reason.startswith("visibility-") else NOT_INDEXABLE)


def _client_for(clients: Mapping[str, HttpClient], source: str) -> HttpClient | None:
    """The client of the configured instance a status was collected from, if any."""
    # Longest first, so https://a.example/sub is not taken for https://a.example.
    for instance in sorted(clients, key=len, reverse=True):
        if source == instance or source.startswith(f"{instance}/"):
            return clients[instance]
    return None

"""The deletion-check contract: what a platform says now about posts listener stored earlier.

A collector that can check its stored posts offers ``check_stored``: given a
batch of stored posts it yields one `Verdict` for each post the platform
answered for, and nothing for the rest (they stay unchecked). Only the
platform's explicit answer makes a post gone: a 404 for that status, an id in
X's ``errors`` array, a record the network says is not there. A failure that
says nothing about the post (5xx, timeouts, a rate limit too long to wait
for, a malformed reply) raises a CollectorError from the shared HttpClient,
or yields no verdict, and never counts as gone.

Like collection, checks never touch the database: `listener.deletions` reads
the batches from the store and removes what the verdicts say is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

DELETED = "deleted"  # the platform says the post does not exist (any more)
PRIVATE = "private"  # it exists but the public may not see it (protected, followers-only)
NOT_INDEXABLE = "not indexable"  # its author has since opted out of search and indexing
REASONS = (DELETED, PRIVATE, NOT_INDEXABLE)


@dataclass(frozen=True, slots=True)
class StoredPost:
    """A stored post, as much of it as a deletion check needs."""

    native_id: str
    source: str = ""  # provenance; a Mastodon status's instance is at its start
    local_id: str = ""  # Mastodon: the status id on that instance (the raw payload's "id")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The platform's answer about one stored post: still there (``gone == ""``), or why not."""

    native_id: str
    gone: str = ""  # "" | DELETED | PRIVATE | NOT_INDEXABLE

    def __post_init__(self) -> None:
        if self.gone and self.gone not in REASONS:
            raise ValueError(f"unknown reason a post is gone: {self.gone!r}")


@runtime_checkable
class DeletionChecker(Protocol):
    """A live source that can say which of its stored posts are gone at source."""

    name: str
    deletion_batch: int  # stored posts per call of check_stored (the platform's lookup size)

    def check_stored(self, posts: Sequence[StoredPost]) -> Iterator[Verdict]:
        """A verdict for each of ``posts`` the platform answered for."""
        ...

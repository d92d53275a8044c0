"""The collector contract: normalised items, rejected items, and pages with their cursor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class ShapeError(ValueError):
    """A platform object lacks a field listener needs, or has the wrong type."""


def parse_time(value: Any, field: str) -> datetime:
    """Parse an API timestamp ('2026-11-12T09:15:02.000Z') as aware UTC."""
    if not isinstance(value, str) or not value:
        raise ShapeError(f"missing field '{field}'")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShapeError(f"field '{field}' is not a timestamp: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AuthorItem:
    """An account as the platform describes it."""

    platform: str
    native_id: str
    handle: str = ""
    name: str = ""
    description: str = ""
    verified_type: str = ""
    followers_count: int | None = None
    profile: dict[str, Any] | None = None


@dataclass(slots=True)
class PostItem:
    """One public post, normalised, with its raw payload and where it came from."""

    platform: str
    native_id: str
    text: str
    created_at: datetime
    author: AuthorItem | None = None
    url: str = ""
    lang: str | None = None
    kind: str = "post"  # post | reply | quote | repost | response
    conversation_id: str | None = None
    reply_to_id: str | None = None
    quote_of_id: str | None = None
    repost_of_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    # What sentiment reads: the post's own text, or for a repost the full original.
    analysis_text: str | None = None
    # True for posts that came along as context (a repost's original, a replied-to
    # post) rather than as a result of the query: stored, but not assigned by --department.
    context: bool = False
    # Departments an export record says it belonged to (listener's own JSON Lines).
    departments: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.native_id)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """An item that could not be normalised: where it was, why, and what it was."""

    location: str
    reason: str
    raw: Any = None

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(slots=True)
class Page:
    """What a source yields: posts to store together with the cursor that follows them."""

    posts: list[PostItem] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)
    cursor: str | None = None
    position: int = 0  # bytes of input consumed so far, for progress (file sources)

    def add(self, item: PostItem | RejectedItem) -> None:
        """Append a post, or a rejected item, to this page."""
        if isinstance(item, RejectedItem):
            self.rejected.append(item)
        else:
            self.posts.append(item)


@dataclass(frozen=True, slots=True)
class Target:
    """One thing a source collects for: a watch, or several watches combined into one query.

    `key` names the cursor the source resumes from (stable across runs, e.g.
    "hashtag:nhs" or a feed URL); `watch_ids` are the watches the results answer.
    """

    key: str
    kind: str  # hashtag | keyword | query | account | feed
    value: str
    watch_ids: tuple[int, ...]


@dataclass(slots=True)
class SourceReport:
    """What a source noticed besides posts, per run: skips and notes for the run record."""

    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (e.g. "noindex")
    notes: list[str] = field(default_factory=list)  # e.g. "public timeline needs a token (401)"
    partial: bool = False  # some target stopped before its end (stalled paging, ...)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count items left out on purpose, by reason."""
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def stopped_early(self, note: str) -> None:
        """Record why a target's collection ended before its end: the run is partial."""
        self.partial = True
        self.notes.append(note)


class Collector(Protocol):
    """A live source. Collectors yield; they never touch the database.

    `targets` says which of the active watches this source can serve and how it
    groups them; `collect` yields pages of normalised posts for one target,
    newest data last, each page carrying the cursor to resume from after it.
    The caller stores each page and its cursor in one transaction.
    """

    name: str
    report: SourceReport

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """The targets to collect for, given every active watch."""
        ...

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """Pages of posts for `target`, starting after `cursor` (None: first run)."""
        ...


class WatchLike(Protocol):
    """What collectors read of a watch (listener.matching.WatchSpec satisfies it)."""

    @property
    def id(self) -> int: ...
    @property
    def department_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def platform(self) -> str: ...

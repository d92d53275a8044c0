"""The collector contract: normalised items, rejected items, and pages with their cursor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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

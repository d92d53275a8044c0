"""The deletion check's reads and deletes: recent posts in batches, and posts gone at source.

Removing a post deletes it from every table: its department and watch links,
sentiment score and topic links are deleted explicitly (not left to ON DELETE
CASCADE, so nothing depends on SQLite's foreign_keys pragma), then the row,
which takes its search entry with it (SQLite's FTS5 delete trigger; the
PostgreSQL tsvector is a generated column of the row). Stored reposts of a
removed post go too: they carry only its words. Accounts left without posts
are deleted, as they are personal data kept only for their posts.

Weekly topics whose posts change are found again at the next `listener
analyze` (their fingerprint no longer matches), so no removed post stays a
topic's representative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from listener.collectors.deletions import StoredPost
from listener.models import Author, Post, PostDepartment, PostMatch, PostTopic, SentimentScore

POSTS = Post.__table__  # type: ignore[attr-defined]
AUTHORS = Author.__table__  # type: ignore[attr-defined]
LINKED = (  # every table with a row per post
    PostTopic.__table__,  # type: ignore[attr-defined]
    PostMatch.__table__,  # type: ignore[attr-defined]
    PostDepartment.__table__,  # type: ignore[attr-defined]
    SentimentScore.__table__,  # type: ignore[attr-defined]
)
CHUNK = 500  # ids per IN list
T = TypeVar("T")


@dataclass(frozen=True)
class Removed:
    """What one removal deleted."""

    posts: int = 0  # the posts named, and reposts of them
    reposts: int = 0  # of which reposts that were not named themselves
    authors: int = 0  # accounts left without any post


def recent_posts(
    conn: sa.Connection, platform: str, *, since: datetime, below: int | None, limit: int
) -> list[tuple[int, StoredPost]]:
    """Up to `limit` of the platform's posts created since `since`, newest stored first.

    `below` is the smallest id of the previous batch (None: start at the newest), so
    batches never repeat even while posts are being removed or collected.
    """
    local_id = POSTS.c.raw["id"].as_string()
    query = (
        sa.select(POSTS.c.id, POSTS.c.native_id, POSTS.c.source, local_id)
        .where(POSTS.c.platform == platform, POSTS.c.created_at >= since)
        .order_by(POSTS.c.id.desc())
        .limit(limit)
    )
    if below is not None:
        query = query.where(POSTS.c.id < below)
    return [
        (post_id, StoredPost(native_id, source=source or "", local_id=str(local or "")))
        for post_id, native_id, source, local in conn.execute(query)
    ]


def count_recent(conn: sa.Connection, platform: str, *, since: datetime) -> int:
    """How many of the platform's posts were created since `since`."""
    query = sa.select(sa.func.count()).where(
        POSTS.c.platform == platform, POSTS.c.created_at >= since
    )
    return conn.scalar(query) or 0


def remove_posts(conn: sa.Connection, platform: str, native_ids: Sequence[str]) -> Removed:
    """Delete these posts of a platform, and stored reposts of them, from every table."""
    named = _ids(conn, POSTS.c.native_id, platform, native_ids)
    reposts = set(_ids(conn, POSTS.c.repost_of_id, platform, native_ids))
    ids = sorted(set(named) | reposts)
    if not ids:
        return Removed()
    author_ids: set[int] = set()
    for chunk in _chunks(ids):
        author_ids.update(
            conn.scalars(
                sa.select(POSTS.c.author_id).where(
                    POSTS.c.id.in_(chunk), POSTS.c.author_id.is_not(None)
                )
            )
        )
        for table in LINKED:
            conn.execute(table.delete().where(table.c.post_id.in_(chunk)))
        conn.execute(POSTS.delete().where(POSTS.c.id.in_(chunk)))
    return Removed(len(ids), len(reposts - set(named)), _remove_orphans(conn, author_ids))


def _ids(
    conn: sa.Connection, column: sa.Column[str], platform: str, values: Sequence[str]
) -> list[int]:
    """Ids of the platform's posts whose `column` is one of `values`."""
    found: list[int] = []
    for chunk in _chunks(list(values)):
        query = sa.select(POSTS.c.id).where(POSTS.c.platform == platform, column.in_(chunk))
        found += conn.scalars(query).all()
    return found


def _remove_orphans(conn: sa.Connection, author_ids: Iterable[int]) -> int:
    """Delete those of these accounts no stored post belongs to any more."""
    orphan = ~sa.exists().where(POSTS.c.author_id == AUTHORS.c.id)
    removed = 0
    for chunk in _chunks(sorted(author_ids)):
        result = conn.execute(AUTHORS.delete().where(AUTHORS.c.id.in_(chunk), orphan))
        removed += result.rowcount or 0
    return removed


def _chunks(values: list[T]) -> Iterable[list[T]]:
    return (values[start : start + CHUNK] for start in range(0, len(values), CHUNK))

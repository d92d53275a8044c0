"""Bulk, idempotent writes: authors, posts, their links to departments and watches, cursors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from listener import textnorm
from listener.collectors.base import AuthorItem, PostItem, RejectedItem
from listener.models import (
    Author,
    Cursor,
    Post,
    PostDepartment,
    PostMatch,
    QuarantinedItem,
    SentimentScore,
)
from listener.plaintext import readable_text
from listener.store import bulk

SEARCH_TEXT_LIMIT = 100_000  # characters of a post the index sees; the stored text is whole
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: PostgreSQL refuses them

AUTHORS = Author.__table__  # type: ignore[attr-defined]
POSTS = Post.__table__  # type: ignore[attr-defined]
_AUTHOR_UPDATE = ("handle", "name", "description", "verified_type", "followers_count", "profile")
_POST_UPDATE = (
    "url",
    "author_id",
    "author_handle",
    "text",
    "search_text",
    "text_hash",
    "lang",
    "kind",
    "conversation_id",
    "reply_to_id",
    "quote_of_id",
    "repost_of_id",
    "metrics",
    "raw",
    "source",
)


@dataclass
class UpsertResult:
    """What an upsert did: ids by (platform, native_id), and how many were new."""

    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    new: int = 0
    seen: int = 0


def storable(row: dict[str, Any]) -> dict[str, Any]:
    """A row whose text columns no engine will refuse: NUL and lone surrogates become U+FFFD.

    JSON columns (raw payloads) are cleaned as they are serialised, by
    listener.store.db.dumps_json, which is cheaper than walking every payload here.
    """
    return {key: _clean(value) if isinstance(value, str) else value for key, value in row.items()}


def _clean(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def text_hash(text: str) -> str:
    """The key under which identical texts share one sentiment score."""
    return hashlib.sha256(textnorm.normalise(text).encode("utf-8", "replace")).hexdigest()


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert_authors(
    conn: sa.Connection, authors: Iterable[AuthorItem], *, now: datetime
) -> dict[tuple[str, str], int]:
    """Insert or refresh authors; return their ids by (platform, native_id)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for a in authors:
        rows[(a.platform, a.native_id)] = storable(
            {
                "platform": a.platform,
                "native_id": a.native_id,
                "handle": a.handle,
                "name": a.name,
                "description": a.description,
                "verified_type": a.verified_type,
                "followers_count": a.followers_count,
                "profile": a.profile,
                "first_seen_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return {}
    ids, _ = bulk.upsert(conn, AUTHORS, list(rows.values()), _AUTHOR_UPDATE, stamp=["updated_at"])
    return ids


def _index_text(text: str) -> str:
    indexed = textnorm.search_text(text)
    if len(indexed) <= SEARCH_TEXT_LIMIT:
        return indexed
    return indexed[:SEARCH_TEXT_LIMIT].rsplit(" ", 1)[0]  # never index half a token


def _post_row(
    item: PostItem, author_ids: dict[tuple[str, str], int], now: datetime
) -> dict[str, Any]:
    author = item.author
    readable = readable_text(item.platform, item.text)
    analysed = readable_text(item.platform, item.analysis_text) if item.analysis_text else readable
    return storable(
        {
            "platform": item.platform,
            "native_id": item.native_id,
            "url": item.url,
            "author_id": author_ids.get((author.platform, author.native_id)) if author else None,
            "author_handle": textnorm.normalise_handle(author.handle) if author else "",
            "created_at": item.created_at,
            "collected_at": now,
            "text": item.text,
            "search_text": _index_text(readable),
            "text_hash": text_hash(analysed),
            "lang": textnorm.normalise_lang(item.lang),
            "kind": item.kind,
            "conversation_id": item.conversation_id,
            "reply_to_id": item.reply_to_id,
            "quote_of_id": item.quote_of_id,
            "repost_of_id": item.repost_of_id,
            "metrics": item.metrics,
            "raw": item.raw,
            "source": item.source[:500],
        }
    )


def upsert_posts(conn: sa.Connection, items: Sequence[PostItem], *, now: datetime) -> UpsertResult:
    """Insert new posts and refresh stored ones (metrics, edits); never duplicates a post.

    An edited text gets a new text_hash; its sentiment score, which records the
    hash it was computed for, is then stale and `listener analyze` scores it again.
    """
    latest: dict[tuple[str, str], PostItem] = {}
    for item in items:
        # A page can hold the same post twice (data and includes): the query result wins.
        if item.key not in latest or not item.context:
            latest[item.key] = item
    if not latest:
        return UpsertResult()
    author_ids = upsert_authors(conn, (i.author for i in latest.values() if i.author), now=now)
    rows = [_post_row(item, author_ids, now) for item in latest.values()]
    ids, new = bulk.upsert(conn, POSTS, rows, _POST_UPDATE, rules={"lang": _REFRESHED_LANG})
    return UpsertResult(ids=ids, new=new, seen=len(latest) - new)


# A stored post's language after a re-import: the source's, else the one already stored.
# `listener analyze` detects the language of posts whose source gives none; a later
# import of the same post from such a source must not wipe it. An edited text (a new
# text_hash) drops it, so the new text is detected again.
_REFRESHED_LANG = (
    "coalesce(excluded.lang, CASE WHEN {table}.text_hash = excluded.text_hash"
    " THEN {table}.lang END)"
)


def link_departments(conn: sa.Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Assign posts to departments (post id, department id); existing links are kept."""
    _link(conn, PostDepartment.__table__, "department_id", pairs)  # type: ignore[attr-defined]


def link_watches(conn: sa.Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Record which watches posts matched (post id, watch id); existing links are kept."""
    _link(conn, PostMatch.__table__, "watch_id", pairs)  # type: ignore[attr-defined]


def _link(
    conn: sa.Connection, table: sa.Table, other: str, pairs: Iterable[tuple[int, int]]
) -> None:
    assert tuple(table.columns.keys()) == ("post_id", other)
    bulk.insert_ignore(conn, table, sorted(set(pairs)))


def save_cursor(conn: sa.Connection, *, source: str, key: str, value: str, now: datetime) -> None:
    """Record where `source` resumes for `key`, in the caller's transaction."""
    stmt = _insert(conn, Cursor.__table__)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "key"], set_={"value": value, "updated_at": now}
    )
    conn.execute(stmt, {"source": source, "key": key, "value": value, "updated_at": now})


def save_scores(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store sentiment scores (one dict per post), replacing a stale score for an edited text."""
    if rows:
        stmt = _insert(conn, SentimentScore.__table__)  # type: ignore[attr-defined]
        columns = [c for c in rows[0] if c != "post_id"]
        stmt = stmt.on_conflict_do_update(
            index_elements=["post_id"], set_={c: getattr(stmt.excluded, c) for c in columns}
        )
        conn.execute(stmt, list(rows))


def quarantine(
    conn: sa.Connection,
    items: Sequence[RejectedItem],
    *,
    source: str,
    run_id: int | None,
    now: datetime,
) -> None:
    """Keep items that could not be normalised, with their raw payload and the reason."""
    rows = [
        storable(
            {
                "run_id": run_id,
                "source": source,
                "location": item.location[:500],
                "reason": item.reason[:1000],
                "raw": _jsonable(item.raw),
                "created_at": now,
            }
        )
        for item in items
    ]
    if rows:
        conn.execute(sa.insert(QuarantinedItem.__table__), rows)  # type: ignore[attr-defined]


def _jsonable(raw: Any) -> Any:
    # A rejected line may not even be JSON: keep it as text.
    return raw if isinstance(raw, dict | list) else {"text": str(raw)[:100_000]}

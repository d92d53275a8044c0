"""Bulk, idempotent writes: authors, posts, their links to departments and watches, cursors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
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
)
from listener.plaintext import readable_text
from listener.store import bulk, repeats
from listener.store.db import dumps_json

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
)
# Provenance is the copy whose content is stored: a post seen again unchanged (a
# referenced post in a later page, a re-import) keeps its row as it was.
_POST_STAMP = ("source",)


@dataclass
class UpsertResult:
    """What an upsert did: ids by (platform, native_id), and how many were new."""

    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    new: int = 0
    seen: int = 0
    written: repeats.Pending = field(default_factory=list)  # to remember once committed


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


AUTHOR_COLUMNS = (
    "platform",
    "native_id",
    "handle",
    "name",
    "description",
    "verified_type",
    "followers_count",
    "profile",
    "first_seen_at",
    "updated_at",
)
# author_id comes last: it is added to a row once the author is stored.
POST_COLUMNS = (
    "platform",
    "native_id",
    "url",
    "author_handle",
    "created_at",
    "collected_at",
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
    "author_id",
)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class PageRows:
    """A page's posts and their authors as rows (tuples of AUTHOR_COLUMNS and POST_COLUMNS
    less author_id), ready to write.

    Built without the database, so an import can build them in another process
    while this one writes; tuples of plain values cross processes cheaply. JSON
    payloads are already serialised.
    """

    authors: list[Row]
    posts: list[Row]
    author_keys: list[tuple[str, str] | None]  # the author of each post row

    def only(self, keys: set[tuple[str, str]]) -> PageRows:
        """These rows less posts not in `keys` (screened out), and authors only they had."""
        kept = [i for i, row in enumerate(self.posts) if (row[0], row[1]) in keys]
        if len(kept) == len(self.posts):
            return self
        author_keys = [self.author_keys[i] for i in kept]
        wanted = set(author_keys)
        return PageRows(
            authors=[a for a in self.authors if (a[0], a[1]) in wanted],
            posts=[self.posts[i] for i in kept],
            author_keys=author_keys,
        )


def page_rows(items: Sequence[PostItem], *, now: datetime) -> PageRows:
    """The rows that store `items`: one per post (a page can hold the same post twice, as a
    result and as context: the result wins) and one per author."""
    latest: dict[tuple[str, str], PostItem] = {}
    for item in items:
        if item.key not in latest or not item.context:
            latest[item.key] = item
    authors: dict[tuple[str, str], Row] = {}
    for item in reversed(latest.values()):  # an author's last copy in the page wins
        author = item.author
        if author is not None and (author.platform, author.native_id) not in authors:
            authors[(author.platform, author.native_id)] = _author_row(author, now)
    return PageRows(
        authors=list(authors.values()),
        posts=[_post_row(item, now) for item in latest.values()],
        author_keys=[
            (i.author.platform, i.author.native_id) if i.author else None for i in latest.values()
        ],
    )


def upsert_posts(conn: sa.Connection, items: Sequence[PostItem], *, now: datetime) -> UpsertResult:
    """Insert new posts and refresh stored ones (metrics, edits); never duplicates a post.

    An edited text gets a new text_hash; its sentiment score, which records the
    hash it was computed for, is then stale and `listener analyze` scores it again.
    """
    return write_rows(conn, page_rows(items, now=now))


def write_rows(
    conn: sa.Connection,
    rows: PageRows,
    *,
    departments: Mapping[tuple[str, str], Collection[int]] | None = None,
    written: repeats.Written | None = None,
) -> UpsertResult:
    """Upsert the authors, then the posts of `rows`; ids of the posts, how many were new.

    `departments`: the department ids each post (by key) is about to be linked to.
    PostgreSQL stores them with a new post (posts.department_ids, migration 0008),
    so that linking it does not write the post a second time. Rows that `written`
    says this run has already stored unchanged are not written again, only their
    ids looked up; `result.written` are those to remember once the transaction has
    committed (repeats.remember).
    """
    if not rows.posts:
        return UpsertResult()
    written = written or repeats.Written()
    author_ids, _, author_prints = _AUTHORS.write(conn, rows.authors, written.authors)
    posts = [
        (*row, author_ids.get(author) if author else None)
        for row, author in zip(rows.posts, rows.author_keys, strict=True)
    ]
    upsert = _POSTS
    if departments is not None and conn.dialect.name == "postgresql":
        upsert = _POSTS_WITH_DEPARTMENTS
        posts = [(*row, _int_array(departments.get((row[0], row[1]), ()))) for row in posts]
    ids, new, post_prints = upsert.write(conn, posts, written.posts)
    if new and conn.dialect.name == "sqlite":
        # New rows take ids past every stored one: they hold the `new` largest ids.
        _index_for_search(conn, from_id=sorted(ids.values())[-new])
    return UpsertResult(
        ids=ids,
        new=new,
        seen=len(posts) - new,
        written=[(written.authors, author_prints), (written.posts, post_prints)],
    )


def _int_array(values: Collection[int]) -> str:
    return "{" + ",".join(map(str, sorted(values))) + "}"


def _index_for_search(conn: sa.Connection, *, from_id: int) -> None:
    """Add the posts from id `from_id` on to SQLite's full-text index, in one statement.

    New posts are indexed here rather than by a per-row trigger, which cost three
    times the indexing itself (migration 0007); edits and deletions still update
    the index through triggers. Every insert into posts comes through write_rows.
    """
    conn.exec_driver_sql(
        "INSERT INTO posts_fts(rowid, search_text, author_handle, lang)"
        " SELECT id, search_text, author_handle, coalesce(lang, '') FROM posts WHERE id >= ?",
        (from_id,),
    )


def _author_row(author: AuthorItem, now: datetime) -> Row:
    return (
        author.platform,
        author.native_id,
        _clean(author.handle),
        _clean(author.name),
        _clean(author.description),
        _clean(author.verified_type),
        author.followers_count,
        dumps_json(author.profile),
        now,
        now,
    )


def _index_text(text: str) -> str:
    indexed = textnorm.search_text(text)
    if len(indexed) <= SEARCH_TEXT_LIMIT:
        return indexed
    return indexed[:SEARCH_TEXT_LIMIT].rsplit(" ", 1)[0]  # never index half a token


def _post_row(item: PostItem, now: datetime) -> Row:
    author = item.author
    readable = readable_text(item.platform, item.text)
    analysed = readable_text(item.platform, item.analysis_text) if item.analysis_text else readable
    return (
        _clean(item.platform),
        _clean(item.native_id),
        _clean(item.url),
        _clean(textnorm.normalise_handle(author.handle)) if author else "",
        item.created_at,
        now,
        _clean(item.text),
        _clean(_index_text(readable)),
        text_hash(analysed),
        _optional(textnorm.normalise_lang(item.lang)),
        _clean(item.kind),
        _optional(item.conversation_id),
        _optional(item.reply_to_id),
        _optional(item.quote_of_id),
        _optional(item.repost_of_id),
        dumps_json(item.metrics),
        dumps_json(item.raw),
        _clean(item.source[:500]),
    )


def _optional(text: str | None) -> str | None:
    return None if text is None else _clean(text)


# A stored post's language after a re-import: the source's, else the one already stored.
# `listener analyze` detects the language of posts whose source gives none; a later
# import of the same post from such a source must not wipe it. An edited text (a new
# text_hash) drops it, so the new text is detected again.
_REFRESHED_LANG = (
    "coalesce(excluded.lang, CASE WHEN {table}.text_hash = excluded.text_hash"
    " THEN {table}.lang END)"
)
_AUTHORS = repeats.Upsert(AUTHORS, AUTHOR_COLUMNS, _AUTHOR_UPDATE, stamp=("updated_at",))
_POSTS = repeats.Upsert(POSTS, POST_COLUMNS, _POST_UPDATE, _POST_STAMP, {"lang": _REFRESHED_LANG})
# PostgreSQL: a new post takes its department ids as it is inserted (never updated here:
# links added later update them through post_departments' triggers).
_POSTS_WITH_DEPARTMENTS = repeats.Upsert(
    POSTS,
    (*POST_COLUMNS, "department_ids"),
    _POST_UPDATE,
    _POST_STAMP,
    {"lang": _REFRESHED_LANG},
    casts={"department_ids": "integer[]"},
)


def link_departments(
    conn: sa.Connection, pairs: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Assign posts to departments (post id, department id); existing links are kept.
    Returns the links that are new."""
    return _link(conn, PostDepartment.__table__, "department_id", pairs)  # type: ignore[attr-defined]


def link_watches(conn: sa.Connection, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Record which watches posts matched (post id, watch id); existing links are kept.
    Returns the links that are new."""
    return _link(conn, PostMatch.__table__, "watch_id", pairs)  # type: ignore[attr-defined]


def _link(
    conn: sa.Connection, table: sa.Table, other: str, pairs: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    assert tuple(table.columns.keys()) == ("post_id", other)
    return bulk.insert_ignore(conn, table, sorted(set(pairs)))


def save_cursor(conn: sa.Connection, *, source: str, key: str, value: str, now: datetime) -> None:
    """Record where `source` resumes for `key`, in the caller's transaction."""
    stmt = _insert(conn, Cursor.__table__)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "key"], set_={"value": value, "updated_at": now}
    )
    conn.execute(stmt, {"source": source, "key": key, "value": value, "updated_at": now})


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

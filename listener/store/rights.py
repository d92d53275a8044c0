"""Reads and writes for data subject requests: an author's data, the suppression list, approvals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listener import textnorm
from listener.models import (
    Author,
    Department,
    Digest,
    Post,
    PostDepartment,
    PostMatch,
    PostTopic,
    SentimentScore,
    SourceApproval,
    Suppression,
    Topic,
    Watch,
)
from listener.store.writes import _insert

SUPPRESSIONS = Suppression.__table__  # type: ignore[attr-defined]
APPROVALS = SourceApproval.__table__  # type: ignore[attr-defined]
AUTHORS = Author.__table__  # type: ignore[attr-defined]
POSTS = Post.__table__  # type: ignore[attr-defined]
LINKS = PostDepartment.__table__  # type: ignore[attr-defined]
MATCHES = PostMatch.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
TOPICS = Topic.__table__  # type: ignore[attr-defined]
WATCHES = Watch.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
DIGESTS = Digest.__table__  # type: ignore[attr-defined]
_PG_LOCK = 0x73757070  # "supp": erasures exclude page stores, which share it
CHUNK = 500
REMOVED = "Removed at the author's request."


# --- the suppression list --------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressionRow:
    id: int
    platform: str
    handle_hash: str
    native_id_hash: str
    key_id: str
    reference: str
    created_at: datetime


def hold_for_page(conn: sa.Connection) -> None:
    """Wait for any erasure in progress (PostgreSQL; SQLite's write lock already serialises)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_PG_LOCK)))


def hold_for_erasure(conn: sa.Connection) -> None:
    """Keep pages from being stored until this transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))


def suppressions(conn: sa.Connection, *, platforms: Iterable[str] | None = None) -> list[Any]:
    """The suppression list (of these platforms), oldest first."""
    query = sa.select(SUPPRESSIONS).order_by(SUPPRESSIONS.c.id)
    if platforms is not None:
        query = query.where(SUPPRESSIONS.c.platform.in_(sorted(set(platforms))))
    return [SuppressionRow(**row) for row in conn.execute(query).mappings()]


def add_suppressions(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Add entries (platform, handle_hash, native_id_hash, key_id, reference, created_at)."""
    if not rows:
        return 0
    stmt = _insert(conn, SUPPRESSIONS).on_conflict_do_nothing()
    # One statement per row: an executemany's rowcount is -1 on psycopg (and there are few).
    return sum(max(conn.execute(stmt, row).rowcount, 0) for row in rows)


def remove_suppression(conn: sa.Connection, suppression_id: int) -> SuppressionRow | None:
    """Delete one entry; returns it, or None when there was none."""
    found = [s for s in suppressions(conn) if s.id == suppression_id]
    conn.execute(SUPPRESSIONS.delete().where(SUPPRESSIONS.c.id == suppression_id))
    return found[0] if found else None


# --- finding a subject -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectAuthor:
    id: int
    native_id: str
    handle: str


def subject_authors(conn: sa.Connection, platform: str, handle: str) -> list[SubjectAuthor]:
    """Accounts on `platform` with this handle now, or on any post stored under it."""
    wanted = textnorm.normalise_handle(handle)
    query = (
        sa.select(AUTHORS.c.id, AUTHORS.c.native_id, AUTHORS.c.handle)
        .where(AUTHORS.c.platform == platform)
        .where(
            sa.or_(
                sa.func.lower(AUTHORS.c.handle) == wanted,
                # Posts keep the handle they were stored under: this finds a renamed account.
                AUTHORS.c.id.in_(_authored_by_handle(platform, wanted)),
            )
        )
        .order_by(AUTHORS.c.id)
    )
    return [SubjectAuthor(row.id, row.native_id, row.handle) for row in conn.execute(query)]


def _authored_by_handle(platform: str, handle: str) -> sa.Select[Any]:
    return (
        sa.select(POSTS.c.author_id)
        .where(POSTS.c.platform == platform, POSTS.c.author_handle == handle)
        .where(POSTS.c.author_id.is_not(None))
        .distinct()
    )


def _by_subject(platform: str, handle: str, author_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    wanted = textnorm.normalise_handle(handle)
    return sa.and_(
        POSTS.c.platform == platform,
        sa.or_(POSTS.c.author_handle == wanted, POSTS.c.author_id.in_(list(author_ids))),
    )


def subject_post_ids(
    conn: sa.Connection, platform: str, handle: str, author_ids: Sequence[int], *, limit: int
) -> list[tuple[int, str]]:
    """(id, native id) of up to `limit` of the subject's own posts, oldest id first."""
    query = (
        sa.select(POSTS.c.id, POSTS.c.native_id)
        .where(_by_subject(platform, handle, author_ids))
        .order_by(POSTS.c.id)
        .limit(limit)
    )
    return [(row.id, row.native_id) for row in conn.execute(query)]


def reposts_of(conn: sa.Connection, platform: str, native_ids: Sequence[str]) -> list[int]:
    """Ids of stored reposts of these posts: they carry only the original's words."""
    found: list[int] = []
    for start in range(0, len(native_ids), CHUNK):
        query = sa.select(POSTS.c.id).where(
            POSTS.c.platform == platform,
            POSTS.c.kind == "repost",
            POSTS.c.repost_of_id.in_(native_ids[start : start + CHUNK]),
        )
        found += conn.scalars(query).all()
    return found


# --- reading a subject's data, for export ----------------------------------------------------


def author_rows(conn: sa.Connection, author_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every stored field of these accounts."""
    query = sa.select(AUTHORS).where(AUTHORS.c.id.in_(list(author_ids))).order_by(AUTHORS.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def post_rows(
    conn: sa.Connection, platform: str, handle: str, author_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Every stored field of the subject's posts, oldest first, with what listener made of them."""
    columns = [c for c in POSTS.c if c.name != "search_vector"]
    query = (
        sa.select(*columns)
        .where(_by_subject(platform, handle, author_ids))
        .order_by(POSTS.c.created_at, POSTS.c.id)
    )
    posts = [dict(row) for row in conn.execute(query).mappings()]
    ids = [post["id"] for post in posts]
    extras = _post_extras(conn, ids)
    for post in posts:
        for name, by_post in extras.items():
            post[name] = by_post.get(post["id"], None if name == "sentiment" else [])
    return posts


def _post_extras(conn: sa.Connection, ids: list[int]) -> dict[str, dict[int, Any]]:
    """Departments, matched watches, sentiment and topics of these posts, by post id."""
    extras: dict[str, dict[int, Any]] = {
        "departments": {},
        "matches": {},
        "sentiment": {},
        "topics": {},
    }
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for post_id, slug in conn.execute(
            sa.select(LINKS.c.post_id, DEPARTMENTS.c.slug)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == LINKS.c.department_id)
            .where(LINKS.c.post_id.in_(chunk))
            .order_by(DEPARTMENTS.c.slug)
        ):
            extras["departments"].setdefault(post_id, []).append(slug)
        for row in conn.execute(
            sa.select(MATCHES.c.post_id, DEPARTMENTS.c.slug, WATCHES.c.kind, WATCHES.c.value)
            .join(WATCHES, WATCHES.c.id == MATCHES.c.watch_id)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == WATCHES.c.department_id)
            .where(MATCHES.c.post_id.in_(chunk))
            .order_by(DEPARTMENTS.c.slug, WATCHES.c.kind, WATCHES.c.value)
        ):
            match = {"department": row.slug, "kind": row.kind, "value": row.value}
            extras["matches"].setdefault(row.post_id, []).append(match)
        scores = conn.execute(sa.select(SCORES).where(SCORES.c.post_id.in_(chunk))).mappings()
        for score in scores:
            extras["sentiment"][score["post_id"]] = {
                k: v for k, v in score.items() if k != "post_id"
            }
        for row in conn.execute(
            sa.select(POST_TOPICS.c.post_id, DEPARTMENTS.c.slug, TOPICS.c.week, TOPICS.c.label)
            .join(TOPICS, TOPICS.c.id == POST_TOPICS.c.topic_id)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == TOPICS.c.department_id)
            .where(POST_TOPICS.c.post_id.in_(chunk))
        ):
            topic = {"department": row.slug, "week": row.week, "label": row.label}
            extras["topics"].setdefault(row.post_id, []).append(topic)
    return extras


# --- archived digests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Quoted:
    """What of a subject an archived digest may hold: quoted posts, and their account by name."""

    post_ids: frozenset[int]
    platform: str
    handles: frozenset[str]  # normalised


def digests_quoting(conn: sa.Connection, quoted: Quoted) -> list[dict[str, Any]]:
    """(id, department, week) of archived digests that quote these posts or name the account."""
    found = []
    for digest_id, slug, week, context in _digests(conn):
        if _redacted(context, quoted) != context:
            found.append({"id": digest_id, "department": slug, "week": week})
    return found


def redact_digests(conn: sa.Connection, quoted: Quoted) -> int:
    """Blank the quotes of these posts, and the named account, in archived digests.

    The figures stay (a quoted post's likes and sentiment are part of the week's
    numbers); its text, author and link go. Returns how many digests changed.
    """
    changed = 0
    for digest_id, _, _, context in _digests(conn):
        redacted = _redacted(context, quoted)
        if redacted != context:
            conn.execute(DIGESTS.update().where(DIGESTS.c.id == digest_id).values(context=redacted))
            changed += 1
    return changed


def _digests(conn: sa.Connection) -> list[tuple[int, str, str, Any]]:
    query = (
        sa.select(DIGESTS.c.id, DEPARTMENTS.c.slug, DIGESTS.c.week, DIGESTS.c.context)
        .join(DEPARTMENTS, DEPARTMENTS.c.id == DIGESTS.c.department_id)
        .order_by(DIGESTS.c.id)
    )
    return [(row.id, row.slug, row.week, row.context) for row in conn.execute(query)]


def _redacted(node: Any, quoted: Quoted) -> Any:
    """A copy of a digest context with the subject's quotes and account blanked."""
    if isinstance(node, list):
        return [_redacted(item, quoted) for item in node]
    if not isinstance(node, dict):
        return node
    if {"id", "text", "author", "url"} <= node.keys() and node["id"] in quoted.post_ids:
        return {**node, "text": REMOVED, "author": "Removed", "url": ""}
    named = node.get("handle")
    is_account = "engagement" in node and node.get("platform") == quoted.platform
    if is_account and isinstance(named, str) and textnorm.normalise_handle(named) in quoted.handles:
        return {**node, "name": "Removed", "handle": None, "url": ""}
    return {key: _redacted(value, quoted) for key, value in node.items()}


# --- approvals for government use ------------------------------------------------------------


@dataclass(frozen=True)
class Approval:
    source: str
    reference: str
    recorded_by: str
    recorded_at: datetime


def approval(conn: sa.Connection, source: str) -> Approval | None:
    """The approval recorded for a source, if any."""
    row = conn.execute(sa.select(APPROVALS).where(APPROVALS.c.source == source)).mappings().first()
    return None if row is None else Approval(**{k: v for k, v in row.items() if k != "id"})


def save_approval(conn: sa.Connection, found: Approval) -> None:
    """Record (or replace) a source's approval."""
    values = {
        "source": found.source,
        "reference": found.reference,
        "recorded_by": found.recorded_by,
        "recorded_at": found.recorded_at,
    }
    stmt = _insert(conn, APPROVALS)
    set_ = {k: getattr(stmt.excluded, k) for k in ("reference", "recorded_by", "recorded_at")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["source"], set_=set_), values)


def delete_approval(conn: sa.Connection, source: str) -> bool:
    """Withdraw a source's recorded approval; False when there was none."""
    return bool(conn.execute(APPROVALS.delete().where(APPROVALS.c.source == source)).rowcount)

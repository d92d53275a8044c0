"""Rebuild a conversation as a tree from stored reply links and conversation ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from listener.store.queries import PostRecord, records
from listener.store.search import POSTS

MAX_DEPTH = 1000
MAX_POSTS = 5000


@dataclass
class ThreadNode:
    """A post in a thread; `record` is None for a post referred to but not stored."""

    native_id: str
    record: PostRecord | None = None
    children: list[ThreadNode] = field(default_factory=list)


def _lookup(conn: sa.Connection, platform: str, native_ids: list[str]) -> list[int]:
    select = sa.select(POSTS.c.id).where(
        POSTS.c.platform == platform, POSTS.c.native_id.in_(native_ids)
    )
    return [row[0] for row in conn.execute(select)]


def _root(conn: sa.Connection, post: PostRecord) -> PostRecord | str:
    """Walk reply links up; return the top stored post, or the id of a missing parent."""
    current = post
    for _ in range(MAX_DEPTH):
        if current.reply_to_id is None:
            return current
        found = _lookup(conn, post.platform, [current.reply_to_id])
        if not found:
            return current.reply_to_id
        current = records(conn, found)[0]
    return current


def _members(
    conn: sa.Connection, platform: str, seeds: list[str], conversation: str | None
) -> list[int]:
    ids: set[int] = set()
    if conversation:
        select = sa.select(POSTS.c.id).where(
            POSTS.c.platform == platform, POSTS.c.conversation_id == conversation
        )
        ids.update(row[0] for row in conn.execute(select.limit(MAX_POSTS)))
    frontier = seeds
    while frontier and len(ids) < MAX_POSTS:
        select = sa.select(POSTS.c.id, POSTS.c.native_id).where(
            POSTS.c.platform == platform, POSTS.c.reply_to_id.in_(frontier[:500])
        )
        rows = [r for r in conn.execute(select) if r[0] not in ids]
        ids.update(r[0] for r in rows)
        frontier = frontier[500:] + [r[1] for r in rows]
    return sorted(ids)


def thread(conn: sa.Connection, post: PostRecord) -> ThreadNode:
    """The whole conversation `post` belongs to, as a tree (reposts left out)."""
    top = _root(conn, post)
    root = ThreadNode(top) if isinstance(top, str) else ThreadNode(top.native_id, top)
    conversation = post.conversation_id or (None if isinstance(top, str) else top.conversation_id)
    member_ids = _members(conn, post.platform, [root.native_id], conversation)
    members = [r for r in records(conn, member_ids) if r.kind != "repost"]
    nodes = {root.native_id: root}
    nodes.update(
        {r.native_id: ThreadNode(r.native_id, r) for r in members if r.native_id not in nodes}
    )
    for record in sorted(members, key=lambda r: (r.created_at, r.native_id)):
        if record.native_id == root.native_id:
            continue
        parent_id = record.reply_to_id or root.native_id
        if parent_id not in nodes:  # a reply to something not stored
            nodes[parent_id] = ThreadNode(parent_id)
            root.children.append(nodes[parent_id])
        nodes[parent_id].children.append(nodes[record.native_id])
    return root

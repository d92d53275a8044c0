"""What the conversation pages and their JSON twins show: posts, result pages, threads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from listener.digest.render import http_url
from listener.plaintext import readable_text
from listener.query import Node
from listener.store.queries import PostRecord
from listener.store.threads import ThreadNode
from listener.store.totals import TOTAL_CAP
from listener.web.conversations.highlight import Segment, highlight


class AuthorOut(BaseModel):
    handle: str
    name: str
    kind: str | None  # mp, government, journalist, charity, union, business or public


class SentimentOut(BaseModel):
    label: str  # positive, neutral or negative
    compound: float  # VADER's compound score, -1 to 1


class PostOut(BaseModel):
    """A post; `text` is readable text (the HTML of Mastodon posts and feeds made plain)."""

    id: int
    ref: str  # platform:native_id, as the CLI names it
    platform: str
    native_id: str
    kind: str  # post, reply, quote, repost or response
    created_at: datetime
    author: AuthorOut | None
    text: str
    segments: list[Segment]  # `text` in pieces, the search's matches marked
    lang: str | None
    sentiment: SentimentOut | None
    metrics: dict[str, Any]
    departments: list[str]
    url: str | None  # the original, only when it is an http(s) link
    thread: str  # the path of the thread view


class ConversationsOut(BaseModel):
    """One page of search results."""

    items: list[PostOut]
    total: int = Field(description="how many posts match; at least this many when not total_exact")
    total_exact: bool = Field(
        description=f"false when more than {TOTAL_CAP:,} posts match and exact_total was not asked"
    )
    page: int
    pages: int  # as many as `total` fills
    per_page: int


class ThreadItem(BaseModel):
    """A post in a thread, in reading order; `post` is None when not stored or not yours."""

    depth: int  # 0 for the top of the thread
    parent: int | None  # the index in `thread` of the post this one replies to
    current: bool  # the post that was asked for
    post: PostOut | None


class PostThreadOut(BaseModel):
    post: PostOut
    thread: list[ThreadItem]


class Problem(BaseModel):
    detail: str


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in (
        (400, "Bad input"),
        (401, "Not signed in"),
        (404, "Not found"),
        (422, "Parameters of the wrong type or out of range"),
    )
}


def post_out(post: PostRecord, node: Node | None = None) -> PostOut:
    """A stored post as pages and the API show it, the query's matches marked."""
    text = readable_text(post.platform, post.text)
    author = None
    if post.author:
        handle, name = post.author.get("handle") or "", post.author.get("name") or ""
        author = AuthorOut(handle=handle, name=name, kind=post.author_kind)
    return PostOut(
        id=post.id,
        ref=post.ref,
        platform=post.platform,
        native_id=post.native_id,
        kind=post.kind,
        created_at=post.created_at,
        author=author,
        text=text,
        segments=highlight(text, node),
        lang=post.lang,
        sentiment=SentimentOut(**post.sentiment) if post.sentiment else None,
        metrics=post.metrics,
        departments=post.departments,
        url=http_url(post.url) or None,
        thread=f"/posts/{post.id}",
    )


def reading_order(
    tree: ThreadNode, *, current: int, shows: Callable[[PostRecord], bool]
) -> list[ThreadItem]:
    """The thread depth first, replies oldest first; posts `shows` refuses are left blank.

    Iterative rather than recursive: a thread can be a thousand replies deep.
    """
    items: list[ThreadItem] = []
    stack: list[tuple[ThreadNode, int | None, int]] = [(tree, None, 0)]
    while stack:
        node, parent, depth = stack.pop()
        post = node.record if node.record is not None and shows(node.record) else None
        items.append(
            ThreadItem(
                depth=depth,
                parent=parent,
                current=post is not None and post.id == current,
                post=post_out(post) if post else None,
            )
        )
        here = len(items) - 1
        stack.extend((child, here, depth + 1) for child in reversed(node.children))
    return items

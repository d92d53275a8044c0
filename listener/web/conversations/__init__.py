"""Conversations: the search page, its CSV and JSON Lines exports, the thread view, JSON twins."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse

from listener import output
from listener.analysis.stakeholders import KIND_NAMES, KINDS
from listener.models import utcnow
from listener.store import queries
from listener.store.queries import PostRecord
from listener.store.search_filters import SENTIMENTS, SearchFilters
from listener.store.threads import thread
from listener.web.auth import Principal
from listener.web.conversations.search import (
    MAX_ID,
    PER_PAGE,
    Criteria,
    SearchParams,
    audit,
    check,
    find,
    node_of,
    read_form,
    scoped,
    topics,
)
from listener.web.conversations.shapes import (
    PROBLEMS,
    ConversationsOut,
    PostThreadOut,
    post_out,
    reading_order,
)
from listener.web.deps import User, departments, web_state
from listener.web.templating import page

router = APIRouter()

PLATFORMS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky", "rss": "RSS feed",
             "consultation": "Consultation"}  # fmt: skip
SORT_NAMES = {"relevance": "Most relevant", "newest": "Newest", "oldest": "Oldest",
              "engaged": "Most engaged"}  # fmt: skip
MAX_TOPICS = 60  # the newest weeks' topics listed in the filter; older ones still filter
PostId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


# ---- the search page and its twin -----------------------------------------------------


def _pagination(criteria: Criteria, results: ConversationsOut) -> dict[str, Any]:
    """The GOV.UK pagination component's parameters: first, last, and two either side.

    When the total is only a lower bound the last page is not known: the numbers
    end in an ellipsis, and a full page always has a next one.
    """
    current, known = criteria.page, results.total_exact
    pages = results.pages
    if not known and len(results.items) == results.per_page:
        pages = max(pages, current + 1)
    last = {pages} if known else set()
    numbers = sorted({1, *last, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    items: list[dict[str, Any]] = []
    for before, number in zip([0, *numbers], numbers, strict=False):
        if number > before + 1:
            items.append({"ellipsis": True})
        link = criteria.link("/conversations", number)
        items.append({"number": number, "href": link, "current": number == current})
    if not known:
        items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": criteria.link("/conversations", current - 1)} if current > 1 else None,
        "next": {"href": criteria.link("/conversations", current + 1)} if current < pages else None,
    }


def _choices(
    options: Iterable[tuple[str, str]], current: str, anything: str
) -> list[dict[str, Any]]:
    """A GOV.UK select's items: `anything` first, then the options, the current one selected."""
    items: list[dict[str, Any]] = [{"value": "", "text": anything}]
    items += [{"value": v, "text": t, "selected": v == current} for v, t in options]
    return items


def _options(request: Request, user: Principal, criteria: Criteria) -> dict[str, Any]:
    """The items of each filter's select, as this user may choose them."""
    chosen = "" if criteria.topic is None else str(criteria.topic)
    recent = [
        (str(t.id), f"{t.department.upper()} {t.week}: {t.label}")
        for n, t in enumerate(topics(request, user))
        if n < MAX_TOPICS or str(t.id) == chosen
    ]
    yours = [(d.slug, d.name) for d in departments(request, user)]
    return {
        "department": _choices(yours, criteria.department, "All your departments"),
        "platform": _choices(PLATFORMS.items(), criteria.platform, "Any platform"),
        "sentiment": _choices(
            ((s, s.capitalize()) for s in SENTIMENTS), criteria.sentiment, "Any sentiment"
        ),
        "author_kind": _choices(
            ((k, KIND_NAMES[k]) for k in KINDS), criteria.author_kind, "Anyone"
        ),
        "topic": _choices(recent, chosen, "Any topic"),
        "sort": _choices(SORT_NAMES.items(), criteria.sort, "Most relevant, or newest"),
    }


@router.get("/conversations", include_in_schema=False)
def conversations_page(request: Request, user: User) -> Response:
    criteria, errors = read_form(request.query_params)
    results = None if errors else find(request, user, criteria, per_page=PER_PAGE)
    return page(
        request,
        "conversations/search.html",
        status_code=400 if errors else 200,
        criteria=criteria,
        form=request.query_params,  # what was typed, shown back as typed
        errors=errors,
        messages=dict(errors),
        results=results,
        options=_options(request, user, criteria),
        pagination=_pagination(criteria, results) if results else None,
        exact_link=replace(criteria, exact_total=True).link("/conversations", criteria.page),
        rank_window=queries.RANK_WINDOW,
        platforms=PLATFORMS,
        kinds=KIND_NAMES,
    )


@router.get(
    "/api/v1/conversations",
    response_model=ConversationsOut,
    responses=PROBLEMS,
    tags=["conversations"],
)
def conversations_api(
    request: Request, user: User, params: Annotated[SearchParams, Query()]
) -> ConversationsOut:
    """Search your departments' posts: the Conversations page's search, a page at a time."""
    criteria = params.criteria()
    errors = check(criteria)
    if errors:
        raise HTTPException(400, f"{errors[0][0]}: {errors[0][1]}")
    return find(request, user, criteria, per_page=params.per_page)


# ---- exports: the whole result set, streamed ------------------------------------------


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _csv_rows(posts: list[PostRecord]) -> str:
    return _csv_text(output.csv_row(p) for p in posts)  # formula-like cells neutralised


def _jsonl_lines(posts: list[PostRecord]) -> str:
    buffer = io.StringIO()
    output.write_jsonl(posts, buffer)
    return buffer.getvalue()


def _streamed(
    request: Request,
    criteria: Criteria,
    filters: SearchFilters,
    text: Callable[[list[PostRecord]], str],
) -> Iterator[str]:
    """The result set as text, read from the store and sent a chunk at a time."""
    node = node_of(criteria)
    with web_state(request).engine.connect() as conn:
        batch: list[PostRecord] = []
        for post in queries.search(conn, node, filters):
            batch.append(post)
            if len(batch) == queries.CHUNK:
                yield text(batch)
                batch = []
        if batch:
            yield text(batch)


def _export(request: Request, user: Principal, fmt: str) -> tuple[Criteria, SearchFilters]:
    """The checked, scoped search an export link carries; the export is audited as it starts."""
    criteria, errors = read_form(request.query_params)
    if errors:
        raise HTTPException(400, errors[0][1])
    filters = scoped(request, user, criteria, limit=0)
    audit(request, user, "export", criteria, format=fmt)
    return criteria, filters


def _attachment(fmt: str) -> dict[str, str]:
    name = f"listener-conversations-{utcnow():%Y-%m-%d}.{fmt}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/conversations/export.csv", include_in_schema=False)
def export_csv(request: Request, user: User) -> Response:
    criteria, filters = _export(request, user, "csv")

    def body() -> Iterator[str]:
        # The byte order mark tells spreadsheet programs the file is UTF-8.
        yield "\ufeff" + _csv_text([output.CSV_COLUMNS])
        yield from _streamed(request, criteria, filters, _csv_rows)

    return StreamingResponse(
        body(), media_type="text/csv; charset=utf-8", headers=_attachment("csv")
    )


@router.get("/conversations/export.jsonl", include_in_schema=False)
def export_jsonl(request: Request, user: User) -> Response:
    criteria, filters = _export(request, user, "jsonl")
    return StreamingResponse(
        _streamed(request, criteria, filters, _jsonl_lines),
        media_type="application/x-ndjson; charset=utf-8",
        headers=_attachment("jsonl"),
    )


# ---- a post in its thread -------------------------------------------------------------


def post_thread(request: Request, user: Principal, post_id: int) -> PostThreadOut:
    """A post of the user's departments and the conversation around it; 404 for any other."""
    yours = {d.slug for d in departments(request, user)}

    def sees(post: PostRecord) -> bool:
        return user.is_admin or not yours.isdisjoint(post.departments)

    with web_state(request).engine.connect() as conn:
        found = queries.records(conn, [post_id])
        if not found or not sees(found[0]):
            raise HTTPException(404, f"no post {post_id}")
        tree = thread(conn, found[0])
    # Replies that no watch matched belong to no department: they are the thread's context.
    items = reading_order(tree, current=post_id, shows=lambda p: sees(p) or not p.departments)
    return PostThreadOut(post=post_out(found[0]), thread=items)


@router.get("/posts/{post_id}", include_in_schema=False)
def post_page(request: Request, user: User, post_id: PostId) -> Response:
    found = post_thread(request, user, post_id)
    return page(
        request, "conversations/post.html", found=found, platforms=PLATFORMS, kinds=KIND_NAMES
    )


@router.get(
    "/api/v1/posts/{post_id}",
    response_model=PostThreadOut,
    responses=PROBLEMS,
    tags=["conversations"],
)
def post_api(request: Request, user: User, post_id: PostId) -> PostThreadOut:
    """A post of your departments and its whole thread, in reading order."""
    return post_thread(request, user, post_id)

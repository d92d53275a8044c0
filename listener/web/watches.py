"""A department's watches: list, add, edit, pause, resume and remove them; pages and JSON twins.

Everyone who sees a department may list its watches; its editors (and admins) may
change them. Every change is one transaction with its audit entry. Collectors read
the active watches at the start of each run, so a change applies at the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from pydantic import Field as ModelField

from listener.errors import UserError
from listener.models import utcnow
from listener.store import audit
from listener.store import watches as store_watches
from listener.store.db import write_transaction
from listener.store.watches import WatchKey, WatchRow
from listener.store.weekly import Department
from listener.web.auth import Principal
from listener.web.deps import ApiWriter, Form, User, department, web_state
from listener.web.templating import page

router = APIRouter()

WatchId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
HEADINGS = {
    "hashtag": "Hashtags",
    "keyword": "Keywords",
    "query": "Boolean queries",
    "account": "Accounts",
    "feed": "Feeds",
}
DONE = {
    "added": "Watch added.",
    "changed": "Watch changed.",
    "paused": "Watch paused.",
    "resumed": "Watch resumed.",
    "removed": "Watch removed.",
}
HISTORY = 10  # recent watch changes shown on the page


class Problem(BaseModel):
    detail: str


PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (400, 401, 403, 404, 409, 422)
}


class WatchOut(BaseModel):
    id: int
    kind: str  # hashtag | keyword | query | account | feed
    platform: str  # accounts only: x | mastodon | bluesky
    value: str
    status: str  # active | paused
    origin: str  # config (managed by `listener config import`) | web
    label: str


class WatchIn(BaseModel):
    kind: Literal["hashtag", "keyword", "query", "account", "feed"]
    platform: Literal["", "x", "mastodon", "bluesky"] = ""
    value: str = ModelField(max_length=10_000)


class WatchPatch(BaseModel):
    value: str | None = ModelField(default=None, max_length=10_000)
    status: Literal["active", "paused"] | None = None


def _out(row: WatchRow) -> WatchOut:
    return WatchOut(
        id=row.id,
        kind=row.kind,
        platform=row.platform,
        value=row.value,
        status=row.status,
        origin=row.origin,
        label=row.key.label,
    )


# --- use cases shared by the pages and the API ----------------------------------------------


def _editable(request: Request, user: Principal, slug: str) -> Department:
    """The department, if the user may change its watches: 404 if unseen, 403 if only seen."""
    found = department(request, user, slug)
    if not user.edits(found.id):
        raise HTTPException(403, "only editors of this department can change its watches")
    return found


def _watch(request: Request, dept: Department, watch_id: int) -> WatchRow:
    with web_state(request).engine.connect() as conn:
        return store_watches.get(conn, dept.id, watch_id)


def _record(
    conn: sa.Connection,
    user: Principal,
    action: str,
    *,
    before: WatchRow | None,
    after: WatchRow | None,
) -> None:
    row = after or before
    assert row is not None
    audit.append(
        conn,
        actor=user.email,
        action=action,
        now=utcnow(),
        department_id=row.department_id,
        target=row.key.label,
        detail={
            "watch_id": row.id,
            "before": before.facts() if before else None,
            "after": after.facts() if after else None,
        },
    )


def add_watch(request: Request, user: Principal, dept: Department, key: WatchKey) -> WatchRow:
    """Start watching; UserError when the department already watches it."""
    with write_transaction(web_state(request).engine) as conn:
        added = store_watches.add(conn, dept.id, key, now=utcnow())
        _record(conn, user, "watch.add", before=None, after=added)
    return added


def edit_watch(request: Request, user: Principal, watch: WatchRow, key: WatchKey) -> WatchRow:
    """Watch a new value instead; the old row stays (removed) for its past matches."""
    with write_transaction(web_state(request).engine) as conn:
        changed = store_watches.replace(conn, watch, key, now=utcnow())
        if changed != watch:
            _record(conn, user, "watch.edit", before=watch, after=changed)
    return changed


def set_status(request: Request, user: Principal, watch: WatchRow, status: str) -> WatchRow:
    """Pause or resume."""
    if watch.status == status:
        return watch
    with write_transaction(web_state(request).engine) as conn:
        changed = store_watches.set_status(conn, watch, status, now=utcnow())
        action = "watch.pause" if status == "paused" else "watch.resume"
        _record(conn, user, action, before=watch, after=changed)
    return changed


def remove_watch(request: Request, user: Principal, watch: WatchRow) -> None:
    with write_transaction(web_state(request).engine) as conn:
        store_watches.remove(conn, watch, now=utcnow())
        _record(conn, user, "watch.remove", before=watch, after=None)


def _history(request: Request, dept: Department) -> list[audit.Entry]:
    """The department's latest watch changes, newest first."""
    with web_state(request).engine.connect() as conn:
        recent = audit.entries(conn, departments=frozenset({dept.id}), limit=200)
    return [e for e in recent if e.action.startswith("watch.")][:HISTORY]


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AddForm:
    """The add form as the user last sent it, and what was wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _list_page(
    request: Request, user: Principal, dept: Department, *, add: _AddForm | None = None
) -> Response:
    add = add or _AddForm()
    with web_state(request).engine.connect() as conn:
        rows = store_watches.listed(conn, dept.id)
    groups = [(kind, HEADINGS[kind], [r for r in rows if r.kind == kind]) for kind in HEADINGS]
    return page(
        request,
        "watches/list.html",
        status_code=400 if add.errors else 200,
        department=dept,
        groups=groups,
        can_edit=user.edits(dept.id),
        history=_history(request, dept),
        done=DONE.get(str(request.query_params.get("done", "")), ""),
        form={"kind": "", "platform": "", "value": "", **add.values},
        errors=add.errors,
    )


def _back(dept: Department, done: str) -> RedirectResponse:
    return RedirectResponse(f"/departments/{dept.slug}/watches?done={done}", status_code=303)


@router.get("/departments/{slug}/watches", include_in_schema=False)
def watches_page(request: Request, slug: str, user: User) -> Response:
    return _list_page(request, user, department(request, user, slug))


@router.post("/departments/{slug}/watches", include_in_schema=False)
def add_page(request: Request, slug: str, user: User, form: Form) -> Response:
    dept = _editable(request, user, slug)
    values = {name: str(form.get(name, "")) for name in ("kind", "platform", "value")}
    key, problems = store_watches.check(values["kind"], values["platform"], values["value"])
    if not problems:
        try:
            add_watch(request, user, dept, key)
        except UserError as exc:
            problems = [("value", str(exc))]
        else:
            return _back(dept, "added")
    return _list_page(request, user, dept, add=_AddForm(values, problems))


@router.get("/departments/{slug}/watches/{watch_id}/edit", include_in_schema=False)
def edit_form(request: Request, slug: str, watch_id: WatchId, user: User) -> Response:
    dept = _editable(request, user, slug)
    watch = _watch(request, dept, watch_id)
    return page(
        request, "watches/edit.html", department=dept, watch=watch, value=watch.value, errors=[]
    )


@router.post("/departments/{slug}/watches/{watch_id}/edit", include_in_schema=False)
def edit_page(request: Request, slug: str, watch_id: WatchId, user: User, form: Form) -> Response:
    dept = _editable(request, user, slug)
    watch = _watch(request, dept, watch_id)
    value = str(form.get("value", ""))
    key, problems = store_watches.check(watch.kind, watch.platform, value)
    if not problems:
        try:
            edit_watch(request, user, watch, key)
        except UserError as exc:
            problems = [("value", str(exc))]
        else:
            return _back(dept, "changed")
    return page(
        request,
        "watches/edit.html",
        status_code=400,
        department=dept,
        watch=watch,
        value=value,
        errors=problems,
    )


@router.post("/departments/{slug}/watches/{watch_id}/pause", include_in_schema=False)
def pause_page(request: Request, slug: str, watch_id: WatchId, user: User, form: Form) -> Response:
    dept = _editable(request, user, slug)
    set_status(request, user, _watch(request, dept, watch_id), "paused")
    return _back(dept, "paused")


@router.post("/departments/{slug}/watches/{watch_id}/resume", include_in_schema=False)
def resume_page(request: Request, slug: str, watch_id: WatchId, user: User, form: Form) -> Response:
    dept = _editable(request, user, slug)
    set_status(request, user, _watch(request, dept, watch_id), "active")
    return _back(dept, "resumed")


@router.get("/departments/{slug}/watches/{watch_id}/remove", include_in_schema=False)
def remove_form(request: Request, slug: str, watch_id: WatchId, user: User) -> Response:
    dept = _editable(request, user, slug)
    watch = _watch(request, dept, watch_id)
    return page(request, "watches/remove.html", department=dept, watch=watch)


@router.post("/departments/{slug}/watches/{watch_id}/remove", include_in_schema=False)
def remove_page(request: Request, slug: str, watch_id: WatchId, user: User, form: Form) -> Response:
    dept = _editable(request, user, slug)
    remove_watch(request, user, _watch(request, dept, watch_id))
    return _back(dept, "removed")


# --- JSON twins ------------------------------------------------------------------------------


@router.get(
    "/api/v1/departments/{slug}/watches",
    tags=["watches"],
    response_model=list[WatchOut],
    responses=PROBLEMS,
)
def list_api(request: Request, slug: str, user: User) -> list[WatchOut]:
    """The department's active and paused watches, by kind."""
    dept = department(request, user, slug)
    with web_state(request).engine.connect() as conn:
        return [_out(row) for row in store_watches.listed(conn, dept.id)]


def _checked(kind: str, platform: str, value: str) -> WatchKey:
    key, problems = store_watches.check(kind, platform, value)
    if problems:
        field, message = problems[0]
        raise HTTPException(422, f"{field}: {message}")
    return key


@router.post(
    "/api/v1/departments/{slug}/watches",
    tags=["watches"],
    status_code=201,
    response_model=WatchOut,
    responses=PROBLEMS,
)
def add_api(request: Request, slug: str, body: WatchIn, user: ApiWriter) -> WatchOut:
    """Add a watch (editors of the department); it applies from the next collection."""
    dept = _editable(request, user, slug)
    key = _checked(body.kind, body.platform, body.value)
    try:
        return _out(add_watch(request, user, dept, key))
    except UserError as exc:
        raise HTTPException(409, str(exc)) from None


@router.patch(
    "/api/v1/departments/{slug}/watches/{watch_id}",
    tags=["watches"],
    response_model=WatchOut,
    responses=PROBLEMS,
)
def change_api(
    request: Request, slug: str, watch_id: WatchId, body: WatchPatch, user: ApiWriter
) -> WatchOut:
    """Change a watch's value and/or pause or resume it.

    A new value is a new watch (a new id): the old one is kept as removed, so the
    posts it matched still say what matched them."""
    dept = _editable(request, user, slug)
    watch = _watch(request, dept, watch_id)
    if body.value is not None:
        key = _checked(watch.kind, watch.platform, body.value)
        try:
            watch = edit_watch(request, user, watch, key)
        except UserError as exc:
            raise HTTPException(409, str(exc)) from None
    if body.status is not None:
        watch = set_status(request, user, watch, body.status)
    return _out(watch)


@router.delete(
    "/api/v1/departments/{slug}/watches/{watch_id}",
    tags=["watches"],
    status_code=204,
    responses=PROBLEMS,
)
def remove_api(request: Request, slug: str, watch_id: WatchId, user: ApiWriter) -> Response:
    """Stop watching; posts already collected are kept."""
    dept = _editable(request, user, slug)
    remove_watch(request, user, _watch(request, dept, watch_id))
    return Response(status_code=204)

"""Data protection rules as they apply now: the X government-use gate, and retention's preview.

An approval counts from the config file (`sources.x.government_use_approval`) or
from the database (recorded here, by listener.approvals, which audits it); the
page shows both, since withdrawing here leaves one written in the config.
The retention page shows what the nightly job would delete under the config's periods.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from pydantic import Field as ModelField

from listener import approvals, retention
from listener.configfile import load_config
from listener.errors import NotFoundError
from listener.models import utcnow
from listener.web.admin.access import AdminWriter
from listener.web.admin.rights import MAX_TEXT, control_character
from listener.web.deps import Admin, Form, web_state
from listener.web.templating import page
from listener.web.watches import PROBLEMS
from listener.weeks import local_date

router = APIRouter()

NEEDS_APPROVAL = ("x",)  # sources whose terms expect approval before government use
Source = Annotated[str, PathParam(max_length=32, description="a source that needs one: x")]


class RecordedOut(BaseModel):
    reference: str
    recorded_by: str
    recorded_at: datetime


class ApprovalOut(BaseModel):
    source: str
    enabled: bool  # the source is enabled in the config
    config_reference: str  # the approval written in the config file; "" if none
    recorded: RecordedOut | None  # the approval recorded on the admin page, if any
    approved: bool  # either is present: the source may collect (given its credentials)


class PostsRowOut(BaseModel):
    department: str  # "" for posts in no department (context posts)
    platform: str
    period: str
    before: datetime  # posts created before this go
    posts: int


class AggregatesRowOut(BaseModel):
    department: str
    period: str
    before_week: str
    topic_weeks: int
    digests: int


class RetentionOut(BaseModel):
    now: datetime
    rows: list[PostsRowOut]
    posts_deleted: int  # posts past every period that applies to them
    accounts_deleted: int
    aggregates: list[AggregatesRowOut]
    quarantined: int


class ApprovalIn(BaseModel):
    reference: str = ModelField(
        min_length=1, max_length=MAX_TEXT, description="the reference of the platform's approval"
    )


def approval_state(request: Request, source: str) -> ApprovalOut:
    """A source's approval as the config file and the database hold it."""
    if source not in NEEDS_APPROVAL:
        raise NotFoundError(f"{source!r} needs no approval for government use (only x does)")
    section = load_config(Path(web_state(request).config_path)).sources.get(source)
    in_config = section.government_use_approval.strip() if section else ""
    found = approvals.recorded_approval(web_state(request).engine, source)
    recorded = RecordedOut(**vars(found)) if found else None
    return ApprovalOut(
        source=source,
        enabled=bool(section and section.enabled),
        config_reference=in_config,
        recorded=recorded,
        approved=bool(in_config or recorded),
    )


def reference_problem(reference: str) -> str:
    """What is wrong with an approval's reference, or ""."""
    text = reference.strip()
    if not text:
        return "Enter the reference of the platform's approval"
    if len(text) > MAX_TEXT:
        return f"Enter at most {MAX_TEXT} characters (this has {len(text):,})"
    position = control_character(reference)
    if position:
        return f"Remove the control character at position {position}"
    return ""


def _approvals_page(request: Request, status_code: int = 200, **context: object) -> Response:
    states = [approval_state(request, source) for source in NEEDS_APPROVAL]
    return page(
        request,
        "admin/approvals.html",
        status_code=status_code,
        states=states,
        **{"form": {}, "errors": [], "done": "", **context},
    )


@router.get("/admin/approvals", include_in_schema=False)
def approvals_page(request: Request, user: Admin) -> Response:
    return _approvals_page(request, done=request.query_params.get("done", ""))


@router.post("/admin/approvals/{source}", include_in_schema=False)
def record_page(request: Request, source: Source, user: Admin, form: Form) -> Response:
    approval_state(request, source)  # 404 for a source that needs none
    reference = str(form.get("reference", ""))
    problem = reference_problem(reference)
    if problem:
        errors = [(f"{source}-reference", problem)]
        return _approvals_page(request, 400, form={source: reference}, errors=errors)
    engine = web_state(request).engine
    approvals.record_approval(engine, source=source, reference=reference, actor=user.email)
    return RedirectResponse("/admin/approvals?done=recorded", status_code=303)


@router.get("/admin/approvals/{source}/withdraw", include_in_schema=False)
def withdraw_confirm_page(request: Request, source: Source, user: Admin) -> Response:
    state = approval_state(request, source)
    if state.recorded is None:
        return RedirectResponse("/admin/approvals?done=none", status_code=303)
    return page(request, "admin/approvals_withdraw.html", state=state)


@router.post("/admin/approvals/{source}/withdraw", include_in_schema=False)
def withdraw_page(request: Request, source: Source, user: Admin, form: Form) -> Response:
    approval_state(request, source)
    engine = web_state(request).engine
    withdrawn = approvals.withdraw_approval(engine, source=source, actor=user.email)
    return RedirectResponse(
        f"/admin/approvals?done={'withdrawn' if withdrawn else 'none'}", status_code=303
    )


@router.get(
    "/api/v1/admin/approvals", tags=["admin"], response_model=list[ApprovalOut], responses=PROBLEMS
)
def approvals_api(request: Request, user: Admin) -> list[ApprovalOut]:
    """Every source that needs approval for government use, and the approvals held for it."""
    return [approval_state(request, source) for source in NEEDS_APPROVAL]


@router.get(
    "/api/v1/admin/approvals/{source}",
    tags=["admin"],
    response_model=ApprovalOut,
    responses=PROBLEMS,
)
def approval_api(request: Request, source: Source, user: Admin) -> ApprovalOut:
    """A source's approval for government use, from the config file and the admin page."""
    return approval_state(request, source)


@router.put(
    "/api/v1/admin/approvals/{source}",
    tags=["admin"],
    response_model=ApprovalOut,
    responses=PROBLEMS,
)
def record_api(
    request: Request, source: Source, body: ApprovalIn, user: AdminWriter
) -> ApprovalOut:
    """Record the reference of the platform's approval; the source may collect from its next run."""
    approval_state(request, source)
    problem = reference_problem(body.reference)
    if problem:
        raise HTTPException(422, f"reference: {problem}")
    engine = web_state(request).engine
    approvals.record_approval(engine, source=source, reference=body.reference, actor=user.email)
    return approval_state(request, source)


@router.delete(
    "/api/v1/admin/approvals/{source}", tags=["admin"], status_code=204, responses=PROBLEMS
)
def withdraw_api(request: Request, source: Source, user: AdminWriter) -> Response:
    """Withdraw the approval recorded on the admin page (one in the config file stays)."""
    approval_state(request, source)
    if not approvals.withdraw_approval(web_state(request).engine, source=source, actor=user.email):
        raise NotFoundError(f"no approval is recorded for {source} on the admin page")
    return Response(status_code=204)


# --- retention -------------------------------------------------------------------------------


def retention_preview(request: Request) -> RetentionOut:
    """What the nightly retention job would delete now, under the config's periods."""
    config = load_config(Path(web_state(request).config_path))
    report = retention.preview(web_state(request).engine, config.retention, now=utcnow())
    return RetentionOut(
        now=report.now,
        rows=[PostsRowOut(**asdict(row)) for row in report.rows],
        posts_deleted=report.posts_deleted,
        accounts_deleted=report.accounts_deleted,
        aggregates=[AggregatesRowOut(**asdict(row)) for row in report.aggregates],
        quarantined=report.quarantined,
    )


@router.get("/admin/retention", include_in_schema=False)
def retention_page(request: Request, user: Admin) -> Response:
    preview = retention_preview(request)
    befores = [local_date(row.before) for row in preview.rows]
    return page(
        request,
        "admin/retention.html",
        preview=preview,
        rows=list(zip(preview.rows, befores, strict=True)),
    )


@router.get(
    "/api/v1/admin/retention", tags=["admin"], response_model=RetentionOut, responses=PROBLEMS
)
def retention_api(request: Request, user: Admin) -> RetentionOut:
    """What retention would delete now, per department and platform (changes nothing)."""
    return retention_preview(request)

"""Data subject requests for admins: access, erasure and the suppression list; pages and twins.

The pages and their JSON twins call the use-cases the CLI calls (listener.rights),
with the signed-in admin as the actor; those write the audit entries. The secret
key is read from the settings at each request, as the CLI reads it at each command.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, SecretStr
from pydantic import Field as ModelField

from listener import rights, textnorm
from listener.errors import NotFoundError, UserError
from listener.settings import load_settings
from listener.store import retention as store_retention
from listener.store import rights as store_rights
from listener.web.admin.access import AdminWriter, Id
from listener.web.auth import Principal
from listener.web.deps import Admin, Form, web_state
from listener.web.templating import page
from listener.web.watches import PROBLEMS

router = APIRouter()

PLATFORMS = ("x", "mastodon", "bluesky")  # offered first; any platform stored is offered too
FIELDS = ("platform", "handle", "reference", "requester")
MAX_TEXT = 200  # as listener.rights.SubjectRequest
PREVIEW_LIMIT = 100_000  # posts counted for the erasure confirmation; beyond: "at least"
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,15}")
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_MISSING = {
    "handle": "Enter the account's handle",
    "reference": "Enter the case reference",
    "requester": "Enter who asked for this (a team or role, not the subject's name)",
}
Problems = list[tuple[str, str]]  # (field, message)


class SubjectIn(BaseModel):
    platform: str = ModelField(min_length=1, max_length=16, description="x, mastodon, bluesky...")
    handle: str = ModelField(min_length=1, max_length=MAX_TEXT, description="e.g. @jo_bloggs")
    reference: str = ModelField(min_length=1, max_length=MAX_TEXT, description="the case reference")
    requester: str = ModelField(
        min_length=1, max_length=MAX_TEXT, description="who asked: not the subject's name"
    )


class ErasureIn(SubjectIn):
    confirm: bool = ModelField(default=False, description="must be true: erasure cannot be undone")


class SubjectOut(BaseModel):
    platform: str
    handle: str


class ExportOut(BaseModel):
    subject: SubjectOut
    reference: str
    exported_at: datetime
    accounts: list[dict[str, Any]]  # every stored field of the account records
    posts: list[dict[str, Any]]  # every stored field, with departments, matches, scores, topics
    digests_quoting: list[dict[str, Any]]  # (id, department, week) of archived digests


class ErasureOut(BaseModel):
    posts: int  # the subject's own posts
    reposts: int  # others' reposts of them
    accounts: int  # account records deleted
    digests: int  # archived digests whose quotes were blanked
    suppressed: int  # entries added to the suppression list


class SuppressionOut(BaseModel):
    id: int
    platform: str
    reference: str
    created_at: datetime
    current_key: bool | None  # made with today's LISTENER_SECRET_KEY; None: no key is set


# --- checking a request --------------------------------------------------------------------


def _text_problem(name: str, value: str) -> str:
    if not value.strip():
        return _MISSING[name]
    if name == "handle" and not textnorm.normalise_handle(value):
        return _MISSING[name]
    if len(value.strip()) > MAX_TEXT:
        return f"Enter at most {MAX_TEXT} characters (this has {len(value.strip()):,})"
    position = control_character(value)
    return f"Remove the control character at position {position}" if position else ""


def control_character(value: str) -> int:
    """The position (from 1) of the first control character in `value`; 0 if none."""
    for position, char in enumerate(value, start=1):
        # Never stored: PostgreSQL refuses NUL, and a lone surrogate is not UTF-8.
        if unicodedata.category(char) in ("Cc", "Cs"):
            return position
    return 0


def subject_request(
    values: Mapping[str, str], actor: Principal
) -> tuple[rights.SubjectRequest | None, Problems]:
    """The request the fields describe, or None and what is wrong with them, by field."""
    problems: Problems = []
    if not _PLATFORM.fullmatch(values.get("platform", "").strip().lower()):
        problems.append(("platform", "Select the platform"))
    for name in FIELDS[1:]:
        problem = _text_problem(name, values.get(name, ""))
        if problem:
            problems.append((name, problem))
    if problems:
        return None, problems
    try:
        platform, handle, reference, requester = (values[name] for name in FIELDS)
        subject = rights.SubjectRequest(platform, handle, reference, requester, actor.email)
        return subject, []
    except UserError as exc:  # a rule of the use-case's own that the checks above missed
        return None, [("", str(exc))]


def _secret_key() -> SecretStr | None:
    return load_settings().secret_key


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing a subject would delete now, for the confirmation step."""

    posts: int
    reposts: int
    accounts: int
    digests: int
    more: bool  # more posts than were counted


def erasure_preview(engine: sa.Engine, request: rights.SubjectRequest) -> ErasurePreview:
    """Count what `rights.erase_subject` would delete, as it finds it; changes nothing."""
    platform, handle = request.platform, request.handle
    with engine.connect() as conn:
        authors = store_rights.subject_authors(conn, platform, handle)
        own = store_rights.subject_post_ids(
            conn, platform, handle, [a.id for a in authors], limit=PREVIEW_LIMIT
        )
        own_ids = {pk for pk, _ in own}
        reposts = set(store_rights.reposts_of(conn, platform, [n for _, n in own])) - own_ids
        handles = {handle, *(textnorm.normalise_handle(a.handle) for a in authors)}
        quoted = store_rights.Quoted(frozenset(own_ids | reposts), platform, frozenset(handles))
        digests = store_rights.digests_quoting(conn, quoted)
    return ErasurePreview(
        len(own), len(reposts), len(authors), len(digests), len(own) >= PREVIEW_LIMIT
    )


def _platforms(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        stored = store_retention.platforms(conn)
    return list(dict.fromkeys([*PLATFORMS, *stored]))


def _suppressions(engine: sa.Engine) -> list[SuppressionOut]:
    entries = rights.suppression_list(engine, secret_key=_secret_key())
    return [SuppressionOut(**asdict(entry)) for entry in entries]


def _filename(request: rights.SubjectRequest) -> str:
    """subject-<platform>-<reference>.json, with anything unsafe in a header replaced."""
    reference = _UNSAFE_IN_FILENAME.sub("-", request.reference).strip("-.")[:100] or "request"
    return f"subject-{request.platform}-{reference}.json"


# --- pages -----------------------------------------------------------------------------------


def _values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name, "")) for name in FIELDS}


def _rights_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    engine = web_state(request).engine
    try:
        key_problem = "" if _secret_key() else rights.NO_SECRET_KEY
        suppressions = _suppressions(engine)
    except UserError as exc:  # the settings themselves cannot be read
        key_problem, suppressions = str(exc), []
    return page(
        request,
        "admin/rights.html",
        status_code=status_code,
        platforms=_platforms(engine),
        suppressions=suppressions,
        key_problem=key_problem,
        **{"form": {}, "errors": [], "done": "", **context},
    )


def _refused(request: Request, which: str, values: dict[str, str], problems: Problems) -> Response:
    """The rights page again with one form's problems; `which` is export or erase."""
    errors = [(f"{which}-{name}" if name in FIELDS else which, text) for name, text in problems]
    return _rights_page(request, 400, form={which: values}, errors=errors)


@router.get("/admin/rights", include_in_schema=False)
def rights_page(request: Request, user: Admin) -> Response:
    return _rights_page(request, done=request.query_params.get("done", ""))


@router.post("/admin/rights/export", include_in_schema=False)
def export_page(request: Request, user: Admin, form: Form) -> Response:
    values = _values(form)
    subject, problems = subject_request(values, user)
    if subject is None:
        return _refused(request, "export", values, problems)
    try:
        data = rights.export_subject(web_state(request).engine, subject, secret_key=_secret_key())
    except UserError as exc:
        return _refused(request, "export", values, [("", str(exc))])
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(subject)}"'},
    )


def _confirm_page(
    request: Request, subject: rights.SubjectRequest, values: dict[str, str], errors: Problems
) -> Response:
    return page(
        request,
        "admin/rights_erase.html",
        status_code=400 if errors else 200,
        subject=subject,
        form=values,
        preview=erasure_preview(web_state(request).engine, subject),
        errors=errors,
    )


@router.post("/admin/rights/erase/confirm", include_in_schema=False)
def confirm_erase_page(request: Request, user: Admin, form: Form) -> Response:
    values = _values(form)
    subject, problems = subject_request(values, user)
    if subject is None:
        return _refused(request, "erase", values, problems)
    try:
        rights.Hasher.from_secret(_secret_key())  # refuse now rather than after confirming
    except UserError as exc:
        return _refused(request, "erase", values, [("", str(exc))])
    return _confirm_page(request, subject, values, [])


@router.post("/admin/rights/erase", include_in_schema=False)
def erase_page(request: Request, user: Admin, form: Form) -> Response:
    values = _values(form)
    subject, problems = subject_request(values, user)
    if subject is None:
        return _refused(request, "erase", values, problems)
    if form.get("confirm") != "yes":
        missing = [("confirm", "Confirm that you want to erase this account and suppress it")]
        return _confirm_page(request, subject, values, missing)
    try:
        report = rights.erase_subject(web_state(request).engine, subject, secret_key=_secret_key())
    except UserError as exc:
        return _refused(request, "erase", values, [("", str(exc))])
    return page(request, "admin/rights_erased.html", subject=subject, report=report)


def _entry(request: Request, suppression_id: int) -> SuppressionOut:
    found = [s for s in _suppressions(web_state(request).engine) if s.id == suppression_id]
    if not found:
        raise NotFoundError(f"no suppression list entry {suppression_id}")
    return found[0]


def _lift_page(
    request: Request, suppression_id: int, reference: str = "", errors: Problems | None = None
) -> Response:
    return page(
        request,
        "admin/rights_lift.html",
        status_code=400 if errors else 200,
        entry=_entry(request, suppression_id),
        reference=reference,
        errors=errors or [],
    )


@router.get("/admin/rights/suppressions/{suppression_id}/lift", include_in_schema=False)
def lift_confirm_page(request: Request, suppression_id: Id, user: Admin) -> Response:
    return _lift_page(request, suppression_id)


@router.post("/admin/rights/suppressions/{suppression_id}/lift", include_in_schema=False)
def lift_page(request: Request, suppression_id: Id, user: Admin, form: Form) -> Response:
    reference = str(form.get("reference", ""))
    problem = _text_problem("reference", reference)
    if problem:
        return _lift_page(request, suppression_id, reference, [("reference", problem)])
    rights.lift_suppression(
        web_state(request).engine, suppression_id, reference=reference, actor=user.email
    )
    return RedirectResponse("/admin/rights?done=lifted", status_code=303)


# --- JSON twins ------------------------------------------------------------------------------


def _api_request(body: SubjectIn, user: Principal) -> rights.SubjectRequest:
    subject, problems = subject_request(body.model_dump(), user)
    if subject is None:
        where, message = problems[0]
        raise HTTPException(422, f"{where}: {message}")
    return subject


@router.post(
    "/api/v1/admin/subjects/export", tags=["admin"], response_model=ExportOut, responses=PROBLEMS
)
def export_api(request: Request, body: SubjectIn, user: AdminWriter) -> dict[str, Any]:
    """Everything held about an account (a subject access request); audited as subject.export."""
    subject = _api_request(body, user)
    return rights.export_subject(web_state(request).engine, subject, secret_key=_secret_key())


@router.post(
    "/api/v1/admin/subjects/erase", tags=["admin"], response_model=ErasureOut, responses=PROBLEMS
)
def erase_api(request: Request, body: ErasureIn, user: AdminWriter) -> ErasureOut:
    """Delete everything held about an account and suppress it; needs "confirm": true."""
    subject = _api_request(body, user)
    if not body.confirm:
        raise HTTPException(422, 'confirm: send "confirm": true to erase (it cannot be undone)')
    report = rights.erase_subject(web_state(request).engine, subject, secret_key=_secret_key())
    return ErasureOut(**{k: v for k, v in asdict(report).items() if k != "post_ids"})


@router.get(
    "/api/v1/admin/suppressions",
    tags=["admin"],
    response_model=list[SuppressionOut],
    responses=PROBLEMS,
)
def suppressions_api(request: Request, user: Admin) -> list[SuppressionOut]:
    """The suppression list: erased accounts by platform and reference (never by handle)."""
    return _suppressions(web_state(request).engine)


LiftReference = Annotated[
    str, Query(min_length=1, max_length=MAX_TEXT, description="the case reference for the audit")
]


@router.delete(
    "/api/v1/admin/suppressions/{suppression_id}",
    tags=["admin"],
    status_code=204,
    responses=PROBLEMS,
)
def lift_api(
    request: Request, suppression_id: Id, reference: LiftReference, user: AdminWriter
) -> Response:
    """Take an entry off the suppression list: the account may be collected again."""
    problem = _text_problem("reference", reference)
    if problem:
        raise HTTPException(422, f"reference: {problem}")
    rights.lift_suppression(
        web_state(request).engine, suppression_id, reference=reference, actor=user.email
    )
    return Response(status_code=204)

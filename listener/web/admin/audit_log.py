"""The audit log, newest first, filtered by action and department, with its chain's state."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from listener.errors import NotFoundError
from listener.store import audit, weekly
from listener.web.admin.access import slugs as department_slugs
from listener.web.deps import Admin, web_state
from listener.web.templating import page
from listener.web.watches import PROBLEMS

router = APIRouter()

AUDIT_PAGE = 50
_SCAN = 500  # audit entries read at a time when filtering by action


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    department: str | None
    target: str
    detail: dict[str, Any]


class ChainOut(BaseModel):
    checked: int
    broken_at: int | None  # the first entry whose hash or link is wrong; None: intact


class AuditPageOut(BaseModel):
    entries: list[AuditOut]
    page: int
    more: bool
    chain: ChainOut


def _matches(action: str, wanted: str) -> bool:
    """`watch` finds watch.add, watch.edit...; `watch.add` finds only that."""
    return not wanted or action == wanted or action.startswith(wanted.rstrip(".") + ".")


def _entries(
    conn: sa.Connection, scope: frozenset[int] | None, action: str, *, enough: int
) -> list[audit.Entry]:
    """The first `enough` entries (newest first) in `scope` whose action matches."""
    found: list[audit.Entry] = []
    offset = 0
    # The store filters by department; the action filter reads on until it has enough.
    while len(found) < enough:
        batch = audit.entries(conn, departments=scope, limit=_SCAN, offset=offset)
        found += [e for e in batch if _matches(e.action, action)]
        offset += _SCAN
        if len(batch) < _SCAN:
            break
    return found


def audit_page(request: Request, *, action: str, department: str, number: int) -> AuditPageOut:
    """One page of the audit log, newest first, with the chain's state."""
    with web_state(request).engine.connect() as conn:
        slugs = department_slugs(conn)
        ids = {slug: pk for pk, slug in slugs.items()}
        if department and department not in ids:
            raise NotFoundError(f"no department {department!r}")
        scope = frozenset({ids[department]}) if department else None
        skip = (number - 1) * AUDIT_PAGE
        found = _entries(conn, scope, action.strip(), enough=skip + AUDIT_PAGE + 1)
        checked, broken = audit.verify(conn)
    shown = [
        AuditOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            department=slugs.get(e.department_id) if e.department_id else None,
            target=e.target,
            detail=e.detail,
        )
        for e in found[skip : skip + AUDIT_PAGE]
    ]
    return AuditPageOut(
        entries=shown,
        page=number,
        more=len(found) > skip + AUDIT_PAGE,
        chain=ChainOut(checked=checked, broken_at=broken),
    )


AuditAction = Annotated[
    str, Query(max_length=64, description="e.g. watch (every watch.*) or watch.add")
]
AuditDepartment = Annotated[str, Query(max_length=32, description="a department slug")]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]


@router.get("/admin/audit", include_in_schema=False)
def audit_log_page(
    request: Request,
    user: Admin,
    action: AuditAction = "",
    department: AuditDepartment = "",
    page_number: PageNumber = 1,
) -> Response:
    result = audit_page(request, action=action, department=department, number=page_number)
    with web_state(request).engine.connect() as conn:
        every = weekly.departments(conn)
    details = [json.dumps(e.detail, ensure_ascii=False, sort_keys=True) for e in result.entries]
    return page(
        request,
        "admin/audit.html",
        result=result,
        rows=list(zip(result.entries, details, strict=True)),
        action=action,
        department=department,
        all_departments=every,
    )


@router.get("/api/v1/admin/audit", tags=["admin"], response_model=AuditPageOut, responses=PROBLEMS)
def audit_api(
    request: Request,
    user: Admin,
    action: AuditAction = "",
    department: AuditDepartment = "",
    page_number: PageNumber = 1,
) -> AuditPageOut:
    """The audit log, newest first, 50 a page; and whether its hash chain is intact."""
    return audit_page(request, action=action, department=department, number=page_number)

"""Administration: accounts, API tokens, the audit log and data protection; pages and JSON twins.

Admins only: everyone else gets 403 (these pages hold no department's data, so
refusing says nothing a guess could learn). Every change is audited.
"""

from __future__ import annotations

from fastapi import APIRouter

from listener.web.admin import approvals, audit_log, rights, tokens, users

router = APIRouter()
for part in (users, tokens, audit_log, rights, approvals):
    router.include_router(part.router)

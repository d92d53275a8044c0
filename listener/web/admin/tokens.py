"""Every account's API tokens: list them, revoke any of them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from listener.errors import NotFoundError
from listener.models import utcnow
from listener.store import audit
from listener.store import users as store_users
from listener.store.db import write_transaction
from listener.web.admin.access import AdminWriter, Id
from listener.web.auth import Principal
from listener.web.deps import Admin, Form, web_state
from listener.web.watches import PROBLEMS

router = APIRouter()


class TokenOut(BaseModel):
    id: int
    owner: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(request: Request) -> list[TokenOut]:
    """Every API token of every account, newest first."""
    found = []
    with web_state(request).engine.connect() as conn:
        for account in store_users.all_accounts(conn):
            found += [
                TokenOut(owner=account.email, **vars(t))
                for t in store_users.tokens_of(conn, account.id)
            ]
    return sorted(found, key=lambda t: t.id, reverse=True)


def revoke_token(request: Request, admin: Principal, token_id: int) -> None:
    token = next((t for t in list_tokens(request) if t.id == token_id), None)
    if token is None or token.revoked_at is not None:
        raise NotFoundError(f"no live token with id {token_id}")
    with write_transaction(web_state(request).engine) as conn:
        owner = store_users.by_email(conn, token.owner)
        assert owner is not None
        store_users.revoke_token(conn, token_id=token_id, user_id=owner.id, now=utcnow())
        audit.append(
            conn,
            actor=admin.email,
            action="token.revoke",
            now=utcnow(),
            target=str(token_id),
            detail={"owner": token.owner, "name": token.name},
        )


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_page(request: Request, token_id: Id, user: Admin, form: Form) -> Response:
    revoke_token(request, user, token_id)
    return RedirectResponse("/admin?done=revoked", status_code=303)


@router.get(
    "/api/v1/admin/tokens", tags=["admin"], response_model=list[TokenOut], responses=PROBLEMS
)
def tokens_api(request: Request, user: Admin) -> list[TokenOut]:
    """Every API token of every account (never the token itself), newest first."""
    return list_tokens(request)


@router.delete(
    "/api/v1/admin/tokens/{token_id}", tags=["admin"], status_code=204, responses=PROBLEMS
)
def revoke_api(request: Request, token_id: Id, user: AdminWriter) -> Response:
    """Revoke anyone's token."""
    revoke_token(request, user, token_id)
    return Response(status_code=204)

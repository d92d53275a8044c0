"""Signing in and out, the home page, the account page (API tokens), accessibility, health."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi import Form as FormField
from fastapi.responses import RedirectResponse, Response

from listener.models import utcnow
from listener.store import audit
from listener.store import users as store_users
from listener.store.db import write_transaction
from listener.web.auth import SESSION_COOKIE, SESSION_LIFETIME, SIGN_IN_COOKIE, SignInRefused
from listener.web.deps import Form, User, departments, web_state
from listener.web.templating import page

router = APIRouter()


def record(request: Request, actor: str, action: str, **fields: Any) -> None:
    """Append to the audit log (who, what, when)."""
    with write_transaction(web_state(request).engine) as conn:
        audit.append(conn, actor=actor, action=action, now=utcnow(), **fields)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """The process is up (readiness is /readyz: database, scheduler, sources)."""
    return {"status": "ok"}


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "sign_in.html", next=_safe_next(next), form_token=token, errors=[])
    _set_cookie(request, response, SIGN_IN_COOKIE, token, max_age=3600)
    return response


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    email: Annotated[str, FormField()] = "",
    password: Annotated[str, FormField()] = "",
    csrf_token: Annotated[str, FormField()] = "",
    next: Annotated[str, FormField()] = "/",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise HTTPException(403, "the sign-in form has expired; open it again")
    errors = []
    if not email.strip():
        errors.append(("email", "Enter your email address"))
    if not password:
        errors.append(("password", "Enter your password"))
    if not errors:
        client = request.client.host if request.client else "unknown"
        try:
            session = web_state(request).auth.sign_in(email, password, client=client)
        except SignInRefused as exc:
            errors.append(("email", str(exc)))
            status = 429 if exc.throttled else 400
        else:
            record(request, session.principal.email, "sign_in")
            response = RedirectResponse(_safe_next(next), status_code=303)
            _set_cookie(
                request,
                response,
                SESSION_COOKIE,
                session.cookie,
                max_age=int(SESSION_LIFETIME.total_seconds()),
            )
            response.delete_cookie(SIGN_IN_COOKIE, path="/")
            return response
    else:
        status = 400
    return page(
        request,
        "sign_in.html",
        status_code=status,
        next=_safe_next(next),
        form_token=expected,
        errors=errors,
        email=email,
    )


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, user: User, form: Form) -> Response:
    web_state(request).auth.sign_out(request.cookies.get(SESSION_COOKIE))
    record(request, user.email, "sign_out")
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", include_in_schema=False)
def home(request: Request, user: User) -> Response:
    return page(request, "home.html", departments=departments(request, user))


@router.get("/accessibility", include_in_schema=False)
def accessibility(request: Request) -> Response:
    return page(request, "accessibility.html")


@router.get("/account", include_in_schema=False)
def account(request: Request, user: User) -> Response:
    with web_state(request).engine.connect() as conn:
        tokens = store_users.tokens_of(conn, user.user_id)
    return page(
        request, "account.html", tokens=tokens, new_token="", departments=departments(request, user)
    )


@router.post("/account/tokens", include_in_schema=False)
def create_token(request: Request, user: User, form: Form) -> Response:
    name = str(form.get("name", "")).strip()
    state = web_state(request)
    with state.engine.connect() as conn:
        tokens = store_users.tokens_of(conn, user.user_id)
    if not name or len(name) > 100:
        return page(
            request,
            "account.html",
            status_code=400,
            tokens=tokens,
            new_token="",
            departments=departments(request, user),
            errors=[("name", "Enter a name for the token, up to 100 characters")],
        )
    token = state.auth.new_token(user.user_id, name)
    record(request, user.email, "token.create", target=name)
    with state.engine.connect() as conn:
        tokens = store_users.tokens_of(conn, user.user_id)
    # Shown once, on this response only: it is never stored.
    return page(
        request,
        "account.html",
        tokens=tokens,
        new_token=token,
        departments=departments(request, user),
    )


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(request: Request, token_id: int, user: User, form: Form) -> Response:
    with write_transaction(web_state(request).engine) as conn:
        if not store_users.revoke_token(
            conn, token_id=token_id, user_id=user.user_id, now=utcnow()
        ):
            raise HTTPException(404, "no such token")
        audit.append(
            conn, actor=user.email, action="token.revoke", now=utcnow(), target=str(token_id)
        )
    return RedirectResponse("/account", status_code=303)


@router.get("/api/v1/me", tags=["account"])
def me(request: Request, user: User) -> dict[str, Any]:
    """Who the token or session belongs to, and the departments they can see."""
    return {
        "email": user.email,
        "role": user.role,
        "departments": [{"slug": d.slug, "name": d.name} for d in departments(request, user)],
    }

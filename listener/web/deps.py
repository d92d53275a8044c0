"""Request dependencies: the app's state, the signed-in user, CSRF checks, department scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from listener.configfile import OidcConfig
from listener.store import weekly
from listener.web.auth import SESSION_COOKIE, Auth, Principal, csrf_matches


@dataclass(frozen=True)
class WebState:
    """What every request handler may use; built once by `create_app`."""

    engine: sa.Engine
    auth: Auth
    config_path: str  # the config file, for settings such as the digest sender
    web_url: str = ""
    oidc: OidcConfig | None = None  # single sign-on, when the config file sets web.oidc


class NotSignedIn(Exception):
    """A page needs a signed-in user; the handler redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def principal(request: Request) -> Principal:
    """The signed-in user (cookie, or a bearer token on the API); otherwise 401 or sign-in."""
    auth = web_state(request).auth
    found = None
    header = request.headers.get("authorization", "")
    if _is_api(request) and header.lower().startswith("bearer "):
        found = auth.from_bearer(header[7:].strip())
        if found is None:
            raise HTTPException(
                401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"}
            )
    else:
        found = auth.from_cookie(request.cookies.get(SESSION_COOKIE))
    if found is None:
        if _is_api(request):
            raise HTTPException(
                401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(quote(target, safe="/?=&"))
    request.state.principal = found
    return found


User = Annotated[Principal, Depends(principal)]


def admin(user: User) -> Principal:
    if not user.is_admin:
        raise HTTPException(403, "only administrators can do this")
    return user


Admin = Annotated[Principal, Depends(admin)]


async def checked_form(request: Request, user: User) -> FormData:
    """A form post's fields, after checking its CSRF token against the session's."""
    form = await request.form()
    token = form.get("csrf_token")
    if not csrf_matches(user.csrf_token, token if isinstance(token, str) else None):
        raise HTTPException(403, "the form has expired or did not come from listener; try again")
    return form


Form = Annotated[FormData, Depends(checked_form)]


def api_write(request: Request, user: User) -> Principal:
    """An API write: bearer-token calls need nothing more; cookie calls need X-CSRF-Token."""
    if user.csrf_token and not csrf_matches(user.csrf_token, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "send the X-CSRF-Token header with cookie-authenticated writes")
    return user


ApiWriter = Annotated[Principal, Depends(api_write)]


def departments(request: Request, user: Principal) -> list[weekly.Department]:
    """The departments this user may see, in slug order (read once per request)."""
    every: list[weekly.Department] | None = getattr(request.state, "departments", None)
    if every is None:
        with web_state(request).engine.connect() as conn:
            every = weekly.departments(conn)
        request.state.departments = every
    return [d for d in every if user.sees(d.id)]


def department(request: Request, user: Principal, slug: str) -> weekly.Department:
    """The department named, if this user may see it; 404 otherwise (never 403: no hints)."""
    for found in departments(request, user):
        if found.slug == slug:
            return found
    raise HTTPException(404, f"no department {slug!r}")

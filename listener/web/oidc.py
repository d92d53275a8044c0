"""Single sign-on: send people to their department's OpenID provider, sign them in on return.

The authorization code flow with PKCE and a nonce, run on the server. Leaving for the
provider, the browser gets a short-lived cookie holding the attempt's state, nonce,
code verifier and return path, HMAC-signed with the app's secret (SameSite=Lax, so the
provider's redirect back carries it). Coming back, the state must match that cookie; the
code is exchanged for an ID token whose signature and claims are checked; then only an
existing, active listener account with the token's verified email is signed in: an
administrator adds people, single sign-on never creates accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from listener.configfile import OidcConfig, load_config
from listener.store import users as store_users
from listener.web import oidc_tokens
from listener.web.auth import SESSION_COOKIE, SESSION_LIFETIME, SIGN_IN_COOKIE, SignInRefused
from listener.web.core import _safe_next, _set_cookie, record
from listener.web.deps import web_state
from listener.web.oidc_tokens import Attempt, SsoFailed, TokenRejected
from listener.web.templating import page

log = logging.getLogger("listener.web.oidc")
router = APIRouter()

FLOW_COOKIE = "listener_oidc"
FLOW_PATH = "/sign-in/oidc"  # the cookie goes back to the callback and nowhere else
FLOW_LIFETIME = 600  # seconds allowed at the provider's sign-in page
_MAX_NEXT = 1000  # a longer return path would push the cookie past browsers' 4 KB
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")  # OAuth error codes; anything else is not shown
_AGAIN = "This sign-in took too long, or did not start in this browser. Try again."


class _Refused(SsoFailed):
    """The provider vouched for someone listener does not let in (audited)."""

    status = 403


def configured(config_path: Path) -> OidcConfig | None:
    """The config file's web.oidc section; None without one, or without a config file."""
    return load_config(config_path).web.oidc if config_path.is_file() else None


def _oidc(request: Request) -> OidcConfig:
    oidc = web_state(request).oidc
    if oidc is None:
        raise HTTPException(404, "single sign-on is not set up (web.oidc in the config file)")
    return oidc


@router.get("/sign-in/oidc", include_in_schema=False)
def start(request: Request, next: str = "/") -> Response:
    oidc = _oidc(request)
    next_path = _safe_next(next if len(next) <= _MAX_NEXT else "/")
    attempt = Attempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        redirect_uri=_redirect_uri(request),
    )
    try:
        url = oidc_tokens.authorization_url(oidc_tokens.discover(oidc.issuer), oidc, attempt)
    except SsoFailed as failure:
        return _failed(request, failure, next_path=next_path)
    flow = {**asdict(attempt), "next": next_path, "expires": int(time.time()) + FLOW_LIFETIME}
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        _seal(request, flow),
        max_age=FLOW_LIFETIME,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback", include_in_schema=False)
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    oidc = _oidc(request)
    flow = _unseal(request, request.cookies.get(FLOW_COOKIE))
    next_path = _safe_next(flow["next"]) if flow else "/"
    try:
        if error:
            raise _provider_said(error)
        account = _identify(request, oidc, flow, code=code, state=state)
        session = web_state(request).auth.start_session(account)
    except SsoFailed as failure:
        return _failed(request, failure, next_path=next_path)
    except SignInRefused as refused:  # deactivated in the moment since the look-up
        return _failed(request, _Refused(str(refused), shown=str(refused)), next_path=next_path)
    record(request, account.email, "sign_in", detail={"method": "oidc"})
    response = RedirectResponse(next_path, status_code=303)
    _set_cookie(
        request,
        response,
        SESSION_COOKIE,
        session.cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _identify(
    request: Request, oidc: OidcConfig, flow: dict[str, Any] | None, *, code: str, state: str
) -> store_users.Account:
    """The account the provider vouches for, after every check of its answer."""
    if flow is None:
        raise SsoFailed(
            "no sign-in under way in this browser (no cookie, or expired)", shown=_AGAIN
        )
    # As bytes: compare_digest refuses str with non-ASCII characters, and `state` is anyone's.
    if not secrets.compare_digest(state.encode(), str(flow["state"]).encode()):
        raise SsoFailed("the state does not match this browser's sign-in", shown=_AGAIN)
    if not code:
        raise TokenRejected("the provider sent no code")
    attempt = Attempt(**{key: flow[key] for key in ("state", "nonce", "verifier", "redirect_uri")})
    provider = oidc_tokens.discover(oidc.issuer)
    id_token = oidc_tokens.exchange_code(provider, oidc, attempt, code)
    claims = oidc_tokens.verified_claims(
        id_token, provider=provider, client_id=oidc.client_id, nonce=attempt.nonce
    )
    return _account_for(request, claims)


def _account_for(request: Request, claims: Mapping[str, Any]) -> store_users.Account:
    """The active listener account with the token's verified email; refused (audited) if none."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise TokenRejected(
            "the ID token has no email claim (is email among web.oidc.scopes?)",
            shown="The sign-in service did not give your email address, so listener cannot"
            " sign you in. Sign in with your email address and password instead.",
        )
    email = email.strip().lower()
    # Some providers send the flag as the string "true"; anything else is not verified.
    if claims.get("email_verified") not in (True, "true"):
        _refuse(
            request,
            email,
            "email not verified",
            shown=f"The sign-in service has not verified your email address ({email}),"
            " so listener cannot sign you in with it.",
        )
    with web_state(request).engine.connect() as conn:
        account = store_users.by_email(conn, email)
    if account is None or not account.active:
        _refuse(
            request,
            email,
            "no active account",
            shown=f"There is no listener account for {email}. Ask a listener administrator"
            " to add you, then try again.",
        )
    return account


def _refuse(request: Request, email: str, reason: str, *, shown: str) -> NoReturn:
    record(request, email, "sign_in.refused", detail={"method": "oidc", "reason": reason})
    raise _Refused(f"refused: {reason}", shown=shown)


def _provider_said(error: str) -> SsoFailed:
    # The error parameter arrives in a link anyone can craft, so only a well-formed OAuth
    # error code is repeated (never error_description, which could say anything).
    code = error if _ERROR_CODE.fullmatch(error) else "an unrecognised error"
    return SsoFailed(
        f"the provider answered error={code}",
        shown=f"The sign-in service did not sign you in (it said: {code}). Try again,"
        " or sign in with your email address and password.",
    )


def _failed(request: Request, failure: SsoFailed, *, next_path: str) -> Response:
    """The sign-in page, saying what went wrong in one line."""
    log.warning("single sign-on failed: %s", failure)
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "sign_in.html",
        status_code=failure.status,
        next=next_path,
        form_token=token,
        errors=[("oidc", failure.shown)],
    )
    _set_cookie(request, response, SIGN_IN_COOKIE, token, max_age=3600)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _redirect_uri(request: Request) -> str:
    """The callback's address, as registered with the provider (web_url's, when it is set)."""
    base = web_state(request).web_url
    if base:
        return base.rstrip("/") + "/sign-in/oidc/callback"
    return str(request.url_for("oidc_callback"))


# --- the attempt's cookie --------------------------------------------------------------------


def _mac(request: Request, body: str) -> str:
    # A key of its own, derived from the app's secret: a session token's MAC is no use here.
    key = hmac.new(web_state(request).auth.secret, b"listener oidc attempt", hashlib.sha256)
    return hmac.new(key.digest(), body.encode(), hashlib.sha256).hexdigest()


def _seal(request: Request, flow: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode().rstrip("=")
    return f"{body}.{_mac(request, body)}"


def _unseal(request: Request, value: str | None) -> dict[str, Any] | None:
    """The attempt this browser started, if the cookie is ours and not expired."""
    body, _, mac = (value or "").rpartition(".")
    if not body or not hmac.compare_digest(_mac(request, body).encode(), mac.encode()):
        return None
    flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return flow if flow["expires"] > time.time() else None

"""The web app factory: middleware, static files, error pages and every area's routes."""

from __future__ import annotations

import importlib
import logging
import secrets
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from listener.errors import NotFoundError, UserError
from listener.settings import Settings
from listener.web.auth import Auth
from listener.web.deps import NotSignedIn, WebState
from listener.web.oidc import configured as configured_oidc
from listener.web.ops import install_metrics
from listener.web.security import SecurityHeaders
from listener.web.templating import page

log = logging.getLogger("listener.web")
STATIC = Path(__file__).parent / "static"
# Each area of the app is one module with a `router`: pages and their JSON twins together.
AREAS = (
    "listener.web.core",
    "listener.web.oidc",
    "listener.web.overview",
    "listener.web.conversations",
    "listener.web.watches",
    "listener.web.digests",
    "listener.web.health",
    "listener.web.admin",
    "listener.web.ops",
)


def create_app(settings: Settings, *, engine: sa.Engine, web_url: str = "") -> FastAPI:
    """The app for `listener serve`; tests call it with their own engine."""
    secret = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    if secret is None:
        log.warning("LISTENER_SECRET_KEY is not set: sessions last only as long as this process")
        secret = secrets.token_bytes(32)
    app = FastAPI(
        title="listener API",
        version="1",
        description="Social media listening for government policy teams: the JSON API.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.web = WebState(
        engine=engine,
        auth=Auth(engine, secret=secret),
        config_path=str(settings.config),
        web_url=web_url,
        oidc=configured_oidc(settings.config),
    )
    app.add_middleware(SecurityHeaders)
    install_metrics(app, engine)
    if (STATIC / "govuk").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC / "govuk"), name="assets")
    else:
        log.warning("GOV.UK Frontend is not built (run `make`): pages will have no styles")
    app.mount("/static", StaticFiles(directory=STATIC / "app"), name="static")
    for name in AREAS:
        module = importlib.import_module(name)
        app.include_router(module.router)
    _handle_errors(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    titles = {400: "There is a problem", 403: "You cannot do that", 404: "Page not found"}
    return page(
        request,
        "error.html",
        status_code=status,
        title=titles.get(status, "Sorry, there is a problem with the service"),
        message=message,
    )


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(f"/sign-in?next={exc.next_path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        response = _error(request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(UserError)
    async def bad_input(request: Request, exc: UserError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        message = f"{where}: {first.get('msg', 'invalid')}"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=422)
        return _error(request, 400, message)

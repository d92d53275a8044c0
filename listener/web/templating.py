"""Jinja for the web app: listener's templates over the GOV.UK Frontend macros, autoescaped."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

from listener.digest.render import shown


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("listener.web", "templates"),
                PrefixLoader(
                    {"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}
                ),
            ]
        ),
        autoescape=True,
        # GOV.UK Frontend's macros test optional parameters by leaving them undefined.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # User text shows control and bidi-override characters as visible markers.
    env.filters["shown"] = shown
    env.filters["thousands"] = lambda n: f"{n:,}"
    # (field, message) -> an error summary item linking to the field.
    env.filters["error_link"] = lambda e: {"text": e[1], "href": f"#{e[0]}"}
    return env


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; every template gets the request, the user, the nonce and the CSRF token."""
    principal = getattr(request.state, "principal", None)
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            cspNonce=request.state.nonce,
            csrf_token=principal.csrf_token if principal else "",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)

"""The digest archive: list, read, view exactly as sent, and send a copy to yourself."""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from listener.configfile import load_config
from listener.digest.context import DigestContext
from listener.digest.smtpurl import SmtpConfig
from listener.errors import ConfigError, NotFoundError, UserError
from listener.models import utcnow
from listener.settings import load_settings
from listener.store import digests as store_digests
from listener.store.weekly import Department
from listener.web.auth import Principal
from listener.web.core import record
from listener.web.deps import ApiWriter, Form, User, departments, web_state
from listener.web.deps import department as department_named
from listener.web.overview import FORMATS, problems
from listener.web.templating import page
from listener.weeks import parse_week

router = APIRouter()
DigestId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="An archived digest's id.")]
# The email as sent uses inline styles and its own images; it runs no script at all.
EMAIL_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
NO_SERVER = "No mail server is set up to send from: ask an administrator to set LISTENER_SMTP_URL"


class ArchivedItem(BaseModel):
    """One archived digest: a department's week, as built at one moment."""

    id: int
    department: str  # slug
    department_name: str
    week: str  # YYYY-Www
    built_at: datetime
    version: str  # of the digest's layout


class CopySent(BaseModel):
    digest_id: int
    sent_to: str


@dataclass(frozen=True)
class Found:
    """An archived digest the user may see."""

    item: ArchivedItem
    department: Department
    context: DigestContext


class CopyNotSent(Exception):
    """A copy could not be sent: no mail server, or the server would not take it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# --- data ----------------------------------------------------------------------------------


def archive(
    engine: sa.Engine, visible: list[Department], *, slug: str | None, week: str | None
) -> list[ArchivedItem]:
    """Archived digests of the visible departments, newest week first, newest build first."""
    names = {d.slug: d.name for d in visible}
    with engine.connect() as conn:
        archived = store_digests.listing(conn, department=slug, week=week)
    return [
        ArchivedItem(
            id=a.id,
            department=a.department,
            department_name=names[a.department],
            week=a.week,
            built_at=a.built_at,
            version=a.version,
        )
        for a in archived
        if a.department in names
    ]


def find(request: Request, user: Principal, digest_id: int) -> Found:
    """The digest if it exists and is of a department the user may see; 404 otherwise."""
    missing = HTTPException(404, f"no archived digest with id {digest_id}")
    engine = web_state(request).engine
    try:
        with engine.connect() as conn:
            context = store_digests.load(conn, digest_id)
    except NotFoundError:
        raise missing from None
    visible = [d for d in departments(request, user) if d.slug == context.department]
    if not visible:
        raise missing  # the same answer as for no digest: no hint that it exists
    builds = archive(engine, visible, slug=context.department, week=context.week)
    item = next(a for a in builds if a.id == digest_id)
    return Found(item=item, department=visible[0], context=context)


def send_copy(found: Found, *, to: str, config_path: str) -> None:
    """Email the archived digest, as rendered for the Monday send, to `to` alone.

    Not through the delivery ledger: that records the weekly send to recipients, and a
    copy on request is neither.
    """
    from listener.digest.render import render, to_email

    smtp, sender = _mail_setup(config_path)
    message = to_email(render(found.context), sender=sender, recipients=[to])
    address = parseaddr(sender)[1]
    message["Message-ID"] = make_msgid("digest-copy", domain=address.partition("@")[2] or None)
    message["Date"] = format_datetime(utcnow())
    try:
        _transmit(smtp, message, sender=address, to=to)
    except (smtplib.SMTPException, OSError) as exc:
        reason = _reason(exc)
        if smtp.secret():
            reason = reason.replace(smtp.secret(), "***")  # a server may echo what it was sent
        raise CopyNotSent(502, f"The mail server did not take the copy: {reason}") from None


def _mail_setup(config_path: str) -> tuple[SmtpConfig, str]:
    """The mail server (read now, so a changed setting needs no restart) and the sender."""
    from listener.digest.smtpurl import parse_smtp_url

    try:
        url = load_settings().smtp_url
        if url is None:
            raise CopyNotSent(409, NO_SERVER)
        return parse_smtp_url(url), load_config(Path(config_path)).digest.sender
    except ConfigError as exc:
        raise CopyNotSent(409, f"Mail cannot be sent: {exc}") from None


def _transmit(smtp: SmtpConfig, message: EmailMessage, *, sender: str, to: str) -> None:
    from listener.digest.smtpurl import connect

    session = connect(smtp)
    try:
        session.send_message(message, from_addr=sender, to_addrs=[to])
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            session.quit()  # the message went (or failed) already: a rude goodbye changes nothing


def _reason(exc: BaseException) -> str:
    """The server's reply ('550 5.1.1 No such user') or the connection error, in a line."""
    reply: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b"recipient refused"))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, exc.smtp_error
    else:
        return str(exc) or type(exc).__name__
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}"


def _send_and_record(request: Request, user: Principal, found: Found) -> None:
    send_copy(found, to=user.email, config_path=web_state(request).config_path)
    record(
        request,
        user.email,
        "digest.copy",
        department_id=found.department.id,
        target=str(found.item.id),
        detail={"week": found.item.week, "to": user.email},
    )


# --- pages and their JSON twins ------------------------------------------------------------


def _visible(request: Request, user: Principal, slug: str | None) -> list[Department]:
    """The user's departments, or the one named if they may see it (404 if not)."""
    return [department_named(request, user, slug)] if slug else departments(request, user)


@router.get("/digests", include_in_schema=False)
def archive_page(
    request: Request, user: User, department: str | None = None, week: str | None = None
) -> Response:
    slug = department or None
    visible = _visible(request, user, slug)
    errors, wanted = [], None
    try:
        wanted = parse_week(week, name="week").label if week else None
    except UserError:
        errors.append(("week", "Enter a week in the form 2026-W47 (year, W, week number)"))
    items = [] if errors else archive(web_state(request).engine, visible, slug=slug, week=wanted)
    return page(
        request,
        "digests/archive.html",
        status_code=400 if errors else 200,
        items=items,
        choices=departments(request, user),
        department=slug or "",
        week=week or "",
        errors=errors,
        fmt=FORMATS,
    )


@router.get(
    "/api/v1/digests",
    response_model=list[ArchivedItem],
    responses=problems(400, 401, 404, 422),
    tags=["digests"],
)
def archive_json(
    request: Request,
    user: User,
    department: Annotated[str | None, Query(description="A department's slug.")] = None,
    week: Annotated[str | None, Query(description="An ISO week such as 2026-W47.")] = None,
) -> list[ArchivedItem]:
    """Archived digests of your departments, newest week first, then newest build first."""
    visible = _visible(request, user, department)
    wanted = parse_week(week, name="week").label if week else None
    return archive(web_state(request).engine, visible, slug=department or None, week=wanted)


@router.get("/digests/{digest_id}", include_in_schema=False)
def digest_page(request: Request, digest_id: DigestId, user: User, sent: bool = False) -> Response:
    found = find(request, user, digest_id)
    return page(request, "digests/digest.html", d=found, sent=sent, errors=[], fmt=FORMATS)


@router.get(
    "/api/v1/digests/{digest_id}",
    response_model=DigestContext,
    responses=problems(401, 404, 422),
    tags=["digests"],
)
def digest_json(request: Request, digest_id: DigestId, user: User) -> DigestContext:
    """The archived digest as plain data, exactly as it was built (and sent)."""
    return find(request, user, digest_id).context


@router.get("/digests/{digest_id}/email", include_in_schema=False)
def email_view(request: Request, digest_id: DigestId, user: User) -> Response:
    from listener.digest.render import html_for_file, render

    found = find(request, user, digest_id)
    html = html_for_file(render(found.context), image_prefix=f"/digests/{digest_id}/images/")
    return HTMLResponse(html, headers={"Content-Security-Policy": EMAIL_CSP})


@router.get("/digests/{digest_id}/images/{name}", include_in_schema=False)
def email_image(request: Request, digest_id: DigestId, name: str, user: User) -> Response:
    from listener.digest.render import image_filename, render

    found = find(request, user, digest_id)
    images = {image_filename(cid): png for cid, png in render(found.context).images.items()}
    if name not in images:
        raise HTTPException(404, f"no image {name!r} in this digest")
    return Response(images[name], media_type="image/png")


@router.post("/digests/{digest_id}/send-copy", include_in_schema=False)
def send_copy_form(request: Request, digest_id: DigestId, user: User, form: Form) -> Response:
    found = find(request, user, digest_id)
    try:
        _send_and_record(request, user, found)
    except CopyNotSent as exc:
        return page(
            request,
            "digests/digest.html",
            status_code=exc.status,
            d=found,
            sent=False,
            errors=[("send-copy", exc.message)],
            fmt=FORMATS,
        )
    return RedirectResponse(f"/digests/{digest_id}?sent=true", status_code=303)


@router.post(
    "/api/v1/digests/{digest_id}/send-copy",
    response_model=CopySent,
    responses=problems(401, 403, 404, 409, 422, 502),
    tags=["digests"],
)
def send_copy_json(request: Request, digest_id: DigestId, user: ApiWriter) -> CopySent:
    """Email this digest, as sent, to your own address (not to the department's recipients)."""
    found = find(request, user, digest_id)
    try:
        _send_and_record(request, user, found)
    except CopyNotSent as exc:
        raise HTTPException(exc.status, exc.message) from None
    return CopySent(digest_id=digest_id, sent_to=user.email)

"""Accounts: add them, change their role, departments and password, deactivate them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic import Field as ModelField

from listener import accounts, configfile
from listener.errors import NotFoundError, UserError
from listener.models import utcnow
from listener.store import audit, weekly
from listener.store import users as store_users
from listener.store.db import write_transaction
from listener.web.admin.access import AdminWriter, Id
from listener.web.admin.access import slugs as department_slugs
from listener.web.admin.tokens import list_tokens
from listener.web.auth import Principal
from listener.web.deps import Admin, Form, web_state
from listener.web.templating import page
from listener.web.watches import PROBLEMS

router = APIRouter()

MIN_PASSWORD = 12  # as `listener users add`
MAX_EMAIL = 320  # the column's width
_EMAIL = TypeAdapter(configfile.Email)


class UserOut(BaseModel):
    id: int
    email: str
    role: str  # admin | editor | viewer
    departments: list[str]  # slugs (admins see every department whatever is listed)
    active: bool
    has_password: bool
    last_sign_in_at: datetime | None


class UserIn(BaseModel):
    email: str = ModelField(max_length=320)
    role: Literal["admin", "editor", "viewer"]
    departments: list[str] = []
    password: str | None = ModelField(default=None, max_length=1000)


class UserPatch(BaseModel):
    role: Literal["admin", "editor", "viewer"] | None = None
    departments: list[str] | None = None
    password: str | None = ModelField(default=None, max_length=1000)
    active: bool | None = None


@dataclass(frozen=True)
class Change:
    """An account as an admin wants it; `password` None keeps the current one."""

    role: str
    departments: list[str]
    password: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


def _user_out(account: store_users.Account, slugs: dict[int, str]) -> UserOut:
    return UserOut(
        id=account.id,
        email=account.email,
        role=account.role,
        departments=sorted(slugs.get(d, str(d)) for d in account.department_ids),
        active=account.active,
        has_password=bool(account.password_hash),
        last_sign_in_at=account.last_sign_in_at,
    )


def list_users(request: Request) -> list[UserOut]:
    with web_state(request).engine.connect() as conn:
        slugs = department_slugs(conn)
        return [_user_out(a, slugs) for a in store_users.all_accounts(conn)]


def _account(request: Request, user_id: int) -> store_users.Account:
    with web_state(request).engine.connect() as conn:
        found = store_users.by_id(conn, user_id)
    if found is None:
        raise NotFoundError(f"no user with id {user_id}")
    return found


def _problems(request: Request, change: Change) -> list[tuple[str, str]]:
    """What is wrong with a role, departments and password, by form field."""
    with web_state(request).engine.connect() as conn:
        known = {d.slug for d in weekly.departments(conn)}
    found = []
    if change.role not in store_users.ROLES:
        found.append(("role", "Select a role"))
    unknown = [s for s in change.departments if s not in known]
    if unknown:
        found.append(("departments", f"There is no department {unknown[0]!r}"))
    elif change.role in ("editor", "viewer") and not change.departments:
        found.append(("departments", f"Select at least one department for an {change.role}"))
    if change.password is not None and len(change.password) < MIN_PASSWORD:
        found.append(("password", f"Enter a password of at least {MIN_PASSWORD} characters"))
    return found


def _clean_email(email: str) -> str:
    """The address as the config file would accept it, or "" if it is not one."""
    # Control characters never reach the database: PostgreSQL refuses NUL in text.
    if len(email) > MAX_EMAIL or any(ord(c) < 32 or ord(c) == 127 for c in email):
        return ""
    try:
        return str(_EMAIL.validate_python(email)).lower()
    except ValidationError:
        return ""


def _exists(request: Request, email: str) -> bool:
    with web_state(request).engine.connect() as conn:
        return store_users.by_email(conn, email) is not None


def create_user(request: Request, admin: Principal, email: str, change: Change) -> Change:
    """Add an account; returns the change with its problems (none: it was created)."""
    problems = list(change.errors)
    email = _clean_email(email)
    if not email:
        problems.append(("email", "Enter an email address like name@example.gov.uk"))
    elif _exists(request, email):
        problems.append(("email", f"{email} already has an account: change it in the list"))
    problems += _problems(request, change)
    if not problems:
        accounts.add_user(
            web_state(request).engine,
            email=email,
            role=change.role,
            departments=change.departments,
            password=change.password,
            actor=admin.email,
        )
    return Change(change.role, change.departments, change.password, problems)


def update_user(
    request: Request, admin: Principal, account: store_users.Account, change: Change
) -> Change:
    """Change an active account's role, departments and (if given) password."""
    problems = _problems(request, change)
    if not account.active:
        problems.append(("role", "Reactivate this account before changing it"))
    if account.id == admin.user_id and change.role != "admin":
        problems.append(("role", "You cannot remove your own admin role"))
    if not problems:
        accounts.add_user(
            web_state(request).engine,
            email=account.email,
            role=change.role,
            departments=change.departments,
            password=change.password,
            actor=admin.email,
        )
        if change.password is not None:
            _record(request, admin, "user.password", account.email)
    return Change(change.role, change.departments, change.password, problems)


def set_active(
    request: Request, admin: Principal, account: store_users.Account, *, active: bool
) -> None:
    if account.id == admin.user_id and not active:
        raise UserError("You cannot deactivate your own account")
    if account.active == active:
        return
    with write_transaction(web_state(request).engine) as conn:
        store_users.set_active(conn, account.id, active=active)
        action = "user.reactivate" if active else "user.deactivate"
        audit.append(conn, actor=admin.email, action=action, now=utcnow(), target=account.email)


def _record(request: Request, admin: Principal, action: str, target: str) -> None:
    with write_transaction(web_state(request).engine) as conn:
        audit.append(conn, actor=admin.email, action=action, now=utcnow(), target=target)


def _admin_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    with web_state(request).engine.connect() as conn:
        every = weekly.departments(conn)
    return page(
        request,
        "admin/index.html",
        status_code=status_code,
        users=list_users(request),
        tokens=list_tokens(request),
        all_departments=every,
        **{"form": {}, "errors": [], **context},
    )


def _change(form: Any) -> Change:
    password = str(form.get("password", ""))
    return Change(
        role=str(form.get("role", "")),
        departments=[str(s) for s in form.getlist("departments")],
        password=password or None,
    )


def _done(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, user: Admin) -> Response:
    return _admin_page(request, done=request.query_params.get("done", ""))


@router.post("/admin/users", include_in_schema=False)
def add_user_page(request: Request, user: Admin, form: Form) -> Response:
    email = str(form.get("email", "")).strip()
    result = create_user(request, user, email, _change(form))
    if not result.errors:
        return _done("/admin", "added")
    values = {"email": email, "role": result.role, "departments": result.departments}
    return _admin_page(request, 400, form=values, errors=result.errors)


def _user_page(
    request: Request, account: store_users.Account, change: Change | None = None
) -> Response:
    with web_state(request).engine.connect() as conn:
        every, slugs = weekly.departments(conn), department_slugs(conn)
    shown = _user_out(account, slugs)
    change = change or Change(shown.role, shown.departments)
    return page(
        request,
        "admin/user.html",
        status_code=400 if change.errors else 200,
        account=shown,
        form={"role": change.role, "departments": change.departments},
        all_departments=every,
        errors=change.errors,
    )


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(request: Request, user_id: Id, user: Admin) -> Response:
    return _user_page(request, _account(request, user_id))


@router.post("/admin/users/{user_id}", include_in_schema=False)
def change_user_page(request: Request, user_id: Id, user: Admin, form: Form) -> Response:
    account = _account(request, user_id)
    result = update_user(request, user, account, _change(form))
    if result.errors:
        return _user_page(request, account, result)
    return _done("/admin", "changed")


@router.post("/admin/users/{user_id}/deactivate", include_in_schema=False)
def deactivate_page(request: Request, user_id: Id, user: Admin, form: Form) -> Response:
    set_active(request, user, _account(request, user_id), active=False)
    return _done("/admin", "deactivated")


@router.post("/admin/users/{user_id}/reactivate", include_in_schema=False)
def reactivate_page(request: Request, user_id: Id, user: Admin, form: Form) -> Response:
    set_active(request, user, _account(request, user_id), active=True)
    return _done("/admin", "reactivated")


@router.get("/api/v1/admin/users", tags=["admin"], response_model=list[UserOut], responses=PROBLEMS)
def users_api(request: Request, user: Admin) -> list[UserOut]:
    """Every account, with its role and departments."""
    return list_users(request)


def _refuse(errors: list[tuple[str, str]]) -> None:
    if errors:
        where, message = errors[0]
        raise HTTPException(422, f"{where}: {message}")


@router.post(
    "/api/v1/admin/users",
    tags=["admin"],
    status_code=201,
    response_model=UserOut,
    responses=PROBLEMS,
)
def add_user_api(request: Request, body: UserIn, user: AdminWriter) -> UserOut:
    """Add an account (without a password, its owner cannot sign in until one is set)."""
    email = _clean_email(body.email)
    if email and _exists(request, email):
        raise HTTPException(409, f"{email} already has an account")
    result = create_user(
        request, user, body.email, Change(body.role, body.departments, body.password)
    )
    _refuse(result.errors)
    with web_state(request).engine.connect() as conn:
        account = store_users.by_email(conn, email)
        assert account is not None
        return _user_out(account, department_slugs(conn))


@router.patch(
    "/api/v1/admin/users/{user_id}", tags=["admin"], response_model=UserOut, responses=PROBLEMS
)
def change_user_api(request: Request, user_id: Id, body: UserPatch, user: AdminWriter) -> UserOut:
    """Reactivate, change role, departments or password, or deactivate an account."""
    account = _account(request, user_id)
    if body.active:
        set_active(request, user, account, active=True)
        account = _account(request, user_id)
    if body.role is not None or body.departments is not None or body.password is not None:
        with web_state(request).engine.connect() as conn:
            current = _user_out(account, department_slugs(conn)).departments
        change = Change(
            role=body.role or account.role,
            departments=current if body.departments is None else body.departments,
            password=body.password,
        )
        _refuse(update_user(request, user, account, change).errors)
    if body.active is False:
        set_active(request, user, account, active=False)
    return next(u for u in list_users(request) if u.id == user_id)

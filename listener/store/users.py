"""Users, their departments, web sessions, API tokens and failed sign-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from listener.errors import NotFoundError, UserError
from listener.models import ApiToken, SignInAttempt, User, UserDepartment, WebSession

USERS = User.__table__  # type: ignore[attr-defined]
USER_DEPTS = UserDepartment.__table__  # type: ignore[attr-defined]
SESSIONS = WebSession.__table__  # type: ignore[attr-defined]
TOKENS = ApiToken.__table__  # type: ignore[attr-defined]
ATTEMPTS = SignInAttempt.__table__  # type: ignore[attr-defined]
ROLES = ("admin", "editor", "viewer")


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    active: bool
    password_hash: str
    department_ids: frozenset[int]
    last_sign_in_at: datetime | None


def _account(conn: sa.Connection, row: sa.Row[tuple[object, ...]] | None) -> Account | None:
    if row is None:
        return None
    m = row._mapping
    departments = frozenset(
        conn.scalars(sa.select(USER_DEPTS.c.department_id).where(USER_DEPTS.c.user_id == m["id"]))
    )
    return Account(
        id=m["id"],
        email=m["email"],
        role=m["role"],
        active=m["active"],
        password_hash=m["password_hash"],
        department_ids=departments,
        last_sign_in_at=m["last_sign_in_at"],
    )


def by_email(conn: sa.Connection, email: str) -> Account | None:
    row = conn.execute(sa.select(USERS).where(USERS.c.email == email.strip().lower())).first()
    return _account(conn, row)


def by_id(conn: sa.Connection, user_id: int) -> Account | None:
    return _account(conn, conn.execute(sa.select(USERS).where(USERS.c.id == user_id)).first())


def all_accounts(conn: sa.Connection) -> list[Account]:
    rows = conn.execute(sa.select(USERS).order_by(USERS.c.email)).all()
    return [a for a in (_account(conn, row) for row in rows) if a is not None]


def save_account(
    conn: sa.Connection,
    *,
    email: str,
    role: str,
    department_ids: Sequence[int],
    now: datetime,
    password_hash: str | None = None,
) -> tuple[int, bool]:
    """Create the account or update its role, departments (and password if given).

    Returns (user id, created)."""
    if role not in ROLES:
        raise UserError(f"--role: expected one of {', '.join(ROLES)}, got {role!r}")
    email = email.strip().lower()
    existing = by_email(conn, email)
    if existing is None:
        user_id = conn.execute(
            USERS.insert().returning(USERS.c.id),
            {
                "email": email,
                "role": role,
                "active": True,
                "created_at": now,
                "password_hash": password_hash or "",
            },
        ).scalar_one()
    else:
        user_id = existing.id
        values: dict[str, object] = {"role": role, "active": True}
        if password_hash is not None:
            values["password_hash"] = password_hash
        conn.execute(USERS.update().where(USERS.c.id == user_id).values(**values))
        conn.execute(USER_DEPTS.delete().where(USER_DEPTS.c.user_id == user_id))
    if department_ids:
        conn.execute(
            USER_DEPTS.insert(),
            [{"user_id": user_id, "department_id": d} for d in sorted(set(department_ids))],
        )
    return user_id, existing is None


def set_active(conn: sa.Connection, user_id: int, *, active: bool) -> None:
    if not conn.execute(USERS.update().where(USERS.c.id == user_id).values(active=active)).rowcount:
        raise NotFoundError(f"no user with id {user_id}")
    if not active:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.user_id == user_id))


def signed_in(conn: sa.Connection, user_id: int, *, now: datetime) -> None:
    conn.execute(USERS.update().where(USERS.c.id == user_id).values(last_sign_in_at=now))


# --- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    id: int
    user_id: int
    csrf_token: str
    expires_at: datetime


def create_session(
    conn: sa.Connection,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(SESSIONS.delete().where(SESSIONS.c.expires_at < now))
    conn.execute(
        SESSIONS.insert(),
        {
            "token_hash": token_hash,
            "user_id": user_id,
            "csrf_token": csrf_token,
            "created_at": now,
            "expires_at": expires_at,
        },
    )


def session_for(conn: sa.Connection, token_hash: str, *, now: datetime) -> Session | None:
    row = conn.execute(
        sa.select(SESSIONS.c.id, SESSIONS.c.user_id, SESSIONS.c.csrf_token, SESSIONS.c.expires_at)
        .join(USERS, USERS.c.id == SESSIONS.c.user_id)
        .where(SESSIONS.c.token_hash == token_hash, SESSIONS.c.expires_at > now, USERS.c.active)
    ).first()
    return Session(*row) if row else None


def end_session(conn: sa.Connection, token_hash: str) -> None:
    conn.execute(SESSIONS.delete().where(SESSIONS.c.token_hash == token_hash))


# --- API tokens ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def add_token(
    conn: sa.Connection, *, user_id: int, name: str, token_hash: str, now: datetime
) -> int:
    return conn.execute(
        TOKENS.insert().returning(TOKENS.c.id),
        {"user_id": user_id, "name": name, "token_hash": token_hash, "created_at": now},
    ).scalar_one()


def tokens_of(conn: sa.Connection, user_id: int) -> list[Token]:
    query = (
        sa.select(
            TOKENS.c.id,
            TOKENS.c.name,
            TOKENS.c.created_at,
            TOKENS.c.last_used_at,
            TOKENS.c.revoked_at,
        )
        .where(TOKENS.c.user_id == user_id)
        .order_by(TOKENS.c.id.desc())
    )
    return [Token(*row) for row in conn.execute(query)]


def revoke_token(conn: sa.Connection, *, token_id: int, user_id: int, now: datetime) -> bool:
    """Revoke the user's token; False if they have no such live token."""
    done = conn.execute(
        TOKENS.update()
        .where(TOKENS.c.id == token_id, TOKENS.c.user_id == user_id, TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(done.rowcount)


# last_used_at is kept to the minute: checking a token is a read, and a write at most
# once a minute per token, not a write and a commit on every API request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use(
    conn: sa.Connection, token_hash: str, *, now: datetime
) -> tuple[int, int, bool] | None:
    """(token id, user id, whether last_used_at is due an update) of a live token."""
    row = conn.execute(
        sa.select(TOKENS.c.id, TOKENS.c.user_id, TOKENS.c.last_used_at)
        .join(USERS, USERS.c.id == TOKENS.c.user_id)
        .where(TOKENS.c.token_hash == token_hash, TOKENS.c.revoked_at.is_(None), USERS.c.active)
    ).first()
    if row is None:
        return None
    due = row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION
    return int(row.id), int(row.user_id), due


def record_token_use(conn: sa.Connection, token_id: int, *, now: datetime) -> None:
    conn.execute(TOKENS.update().where(TOKENS.c.id == token_id).values(last_used_at=now))


# --- sign-in throttling ---------------------------------------------------------------------


def failures_since(conn: sa.Connection, keys: Sequence[str], since: datetime) -> int:
    """The most failed sign-ins recorded under any one of `keys` since `since`."""
    counts = [
        conn.scalar(sa.select(sa.func.count()).where(ATTEMPTS.c.key == key, ATTEMPTS.c.at >= since))
        or 0
        for key in keys
    ]
    return max(counts, default=0)


def record_failure(conn: sa.Connection, keys: Sequence[str], *, now: datetime) -> None:
    conn.execute(ATTEMPTS.insert(), [{"key": key, "at": now} for key in keys])


def clear_failures(conn: sa.Connection, key: str, *, before: datetime | None = None) -> None:
    query = ATTEMPTS.delete().where(ATTEMPTS.c.key == key)
    if before is not None:
        query = query.where(ATTEMPTS.c.at < before)
    conn.execute(query)

"""Use-cases for web app accounts, shared by the CLI and the admin pages."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from listener.errors import NotFoundError, UserError
from listener.models import utcnow
from listener.store import audit, users, weekly
from listener.store.db import write_transaction

_EMAIL_CHARS = set("@.")


def add_user(
    engine: sa.Engine,
    *,
    email: str,
    role: str,
    departments: Sequence[str],
    password: str | None,
    actor: str = "cli",
) -> bool:
    """Create or update an account; returns True when it was created."""
    from listener.web.auth import hash_password  # deferred: argon2

    if "@" not in email or not (set(email.split("@", 1)[1] + "@") >= _EMAIL_CHARS):
        raise UserError(f"malformed email address {email!r} (expected name@domain)")
    with engine.connect() as conn:
        known = {d.slug: d.id for d in weekly.departments(conn)}
    missing = [slug for slug in departments if slug not in known]
    if missing:
        raise NotFoundError(f"--department: no department {missing[0]!r}")
    if role not in users.ROLES:
        raise UserError(f"--role: expected one of {', '.join(users.ROLES)}, got {role!r}")
    if role != "admin" and not departments:
        raise UserError("--department: editors and viewers need at least one department")
    now = utcnow()
    with write_transaction(engine) as conn:
        _, created = users.save_account(
            conn,
            email=email,
            role=role,
            department_ids=[known[s] for s in departments],
            now=now,
            password_hash=hash_password(password) if password is not None else None,
        )
        audit.append(
            conn,
            actor=actor,
            action="user.create" if created else "user.update",
            now=now,
            target=email.strip().lower(),
            detail={"role": role, "departments": sorted(departments)},
        )
    return created

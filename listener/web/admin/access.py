"""Who may use the admin API's writes, and the ids admin paths take."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, HTTPException
from fastapi import Path as PathParam

from listener.store import departments as store_departments
from listener.web.auth import Principal
from listener.web.deps import ApiWriter

Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]  # a row id that fits the column


def _admin_writer(user: ApiWriter) -> Principal:
    if not user.is_admin:
        raise HTTPException(403, "only administrators can do this")
    return user


AdminWriter = Annotated[Principal, Depends(_admin_writer)]


def slugs(conn: sa.Connection) -> dict[int, str]:
    """Every department's slug by id, deactivated ones too (for the log and old accounts)."""
    return {pk: slug for slug, pk in store_departments.department_ids(conn).items()}

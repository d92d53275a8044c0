"""The X government-use gate: record, withdraw and apply a platform's approval reference.

X stays off until its approval is recorded, in the config file
(`sources.x.government_use_approval`) or here, from the admin page. Recorded
approvals are read at every collection run, so they take effect without a restart.
"""

from __future__ import annotations

import sqlalchemy as sa

from listener.configfile import SOURCE_NAMES, ListenerConfig
from listener.errors import UserError
from listener.models import utcnow
from listener.store import audit
from listener.store import rights as store
from listener.store.db import write_transaction


def record_approval(engine: sa.Engine, *, source: str, reference: str, actor: str) -> None:
    """Record the platform's approval for government use; the source may then collect."""
    reference = reference.strip()
    if source not in SOURCE_NAMES:
        raise UserError(f"no source {source!r} (expected one of: {', '.join(SOURCE_NAMES)})")
    if not reference or len(reference) > 200:
        raise UserError("the approval's reference must be 1 to 200 characters")
    now = utcnow()
    with write_transaction(engine) as conn:
        store.save_approval(conn, store.Approval(source, reference, actor, now))
        audit.append(
            conn, actor=actor, action="source.approve", now=now, target=source,
            detail={"reference": reference},
        )  # fmt: skip


def withdraw_approval(engine: sa.Engine, *, source: str, actor: str) -> bool:
    """Withdraw a recorded approval (one in the config file stays); False if none was recorded."""
    with write_transaction(engine) as conn:
        withdrawn = store.delete_approval(conn, source)
        if withdrawn:
            audit.append(conn, actor=actor, action="source.withdraw", now=utcnow(), target=source)
    return withdrawn


def recorded_approval(engine: sa.Engine, source: str) -> store.Approval | None:
    """The approval recorded on the admin page for a source, if any."""
    with engine.connect() as conn:
        return store.approval(conn, source)


def with_recorded_approvals(engine: sa.Engine, config: ListenerConfig) -> ListenerConfig:
    """The config, with X's approval filled in from the admin page when the file has none."""
    x = config.sources.get("x")
    if x is None or not x.enabled or x.government_use_approval.strip():
        return config
    found = recorded_approval(engine, "x")
    if found is None:
        return config
    approved = x.model_copy(update={"government_use_approval": found.reference})
    return config.model_copy(update={"sources": {**config.sources, "x": approved}})

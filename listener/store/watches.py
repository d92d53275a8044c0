"""One department's watches as the web app and API change them: check, list, add, edit, pause.

Values are checked by the config file's own validators, so the web app, the API and
`listener config import` accept exactly the same watches. Every change made here
marks the watch as web-owned (origin "web"), which `listener config import` then
leaves alone (see listener.store.departments). A watch is never deleted: removing
or editing one keeps the old row as 'removed', so past matches still say what matched.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from listener import configfile
from listener.errors import NotFoundError, UserError
from listener.models import Watch

WATCHES = Watch.__table__  # type: ignore[attr-defined]
KINDS = ("hashtag", "keyword", "query", "account", "feed")
PLATFORMS = ("x", "mastodon", "bluesky")
STATUSES = ("active", "paused")  # what a user may set; 'removed' comes from remove()
MAX_VALUE = 1000  # the column's width
_CHECKS: dict[str, Any] = {
    "hashtag": configfile.Hashtag,
    "keyword": configfile.Keyword,
    "query": configfile.Query,
    "feed": configfile.FeedUrl,
    "account:x": configfile.XHandle,
    "account:mastodon": configfile.MastodonHandle,
    "account:bluesky": configfile.BlueskyHandle,
}
_ADAPTERS = {name: TypeAdapter(check) for name, check in _CHECKS.items()}


@dataclass(frozen=True)
class WatchKey:
    """What a watch watches: its kind, platform (accounts only) and normalised value."""

    kind: str
    platform: str
    value: str

    @property
    def label(self) -> str:
        """As a reader would write it: ``hashtag #NHS``, ``account x:@DHSCgovuk``."""
        if self.kind == "account":
            return f"account {self.platform}:@{self.value}"
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class WatchRow:
    id: int
    department_id: int
    kind: str
    platform: str
    value: str
    status: str  # active | paused | removed
    origin: str  # config | web
    created_at: datetime
    updated_at: datetime

    @property
    def key(self) -> WatchKey:
        return WatchKey(self.kind, self.platform, self.value)

    def facts(self) -> dict[str, str]:
        """For the audit log's before and after."""
        return {
            "kind": self.kind,
            "platform": self.platform,
            "value": self.value,
            "status": self.status,
        }


Problem = tuple[str, str]  # (form field, message): the field is kind, platform or value


def check(kind: str, platform: str, value: str) -> tuple[WatchKey, list[Problem]]:
    """The watch normalised as the config file would store it, and what is wrong with it."""
    kind, platform = kind.strip(), platform.strip() if kind.strip() == "account" else ""
    key = WatchKey(kind, platform, value.strip())
    if kind not in KINDS:
        return key, [("kind", "Select what to watch")]
    if kind == "account" and platform not in PLATFORMS:
        return key, [("platform", "Select the platform of the account")]
    problem = _value_problem(value)
    if problem:
        return key, [("value", problem)]
    adapter = _ADAPTERS[f"account:{platform}" if kind == "account" else kind]
    try:
        normalised = adapter.validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"])
        return key, [("value", message[:1].upper() + message[1:])]
    return WatchKey(kind, platform, normalised), []


def _value_problem(value: str) -> str:
    if not value.strip():
        return "Enter what to watch"
    if len(value) > MAX_VALUE:
        return f"Enter at most {MAX_VALUE:,} characters (this has {len(value):,})"
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) == "Cc":
            return f"Remove the control character at position {position}"
    return ""


_COLUMNS = (
    WATCHES.c.id,
    WATCHES.c.department_id,
    WATCHES.c.kind,
    WATCHES.c.platform,
    WATCHES.c.value,
    WATCHES.c.status,
    WATCHES.c.origin,
    WATCHES.c.created_at,
    WATCHES.c.updated_at,
)


def listed(conn: sa.Connection, department_id: int) -> list[WatchRow]:
    """The department's active and paused watches, by kind then value."""
    order = sa.case({kind: i for i, kind in enumerate(KINDS)}, value=WATCHES.c.kind, else_=99)
    query = (
        sa.select(*_COLUMNS)
        .where(WATCHES.c.department_id == department_id, WATCHES.c.status != "removed")
        .order_by(order, WATCHES.c.platform, WATCHES.c.value, WATCHES.c.id)
    )
    return [WatchRow(*row) for row in conn.execute(query)]


def get(conn: sa.Connection, department_id: int, watch_id: int) -> WatchRow:
    """One of the department's current watches; NotFoundError for removed or other departments'."""
    row = conn.execute(
        sa.select(*_COLUMNS).where(
            WATCHES.c.id == watch_id,
            WATCHES.c.department_id == department_id,
            WATCHES.c.status != "removed",
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no watch {watch_id} in this department")
    return WatchRow(*row)


def _by_key(conn: sa.Connection, department_id: int, key: WatchKey) -> WatchRow | None:
    row = conn.execute(
        sa.select(*_COLUMNS).where(
            WATCHES.c.department_id == department_id,
            WATCHES.c.kind == key.kind,
            WATCHES.c.platform == key.platform,
            WATCHES.c.value == key.value,
        )
    ).first()
    return WatchRow(*row) if row else None


def add(conn: sa.Connection, department_id: int, key: WatchKey, *, now: datetime) -> WatchRow:
    """Start watching `key` (a removed watch of the same value comes back); UserError if watched."""
    existing = _by_key(conn, department_id, key)
    if existing is not None and existing.status != "removed":
        raise UserError(f"This department already watches {key.label} ({existing.status})")
    if existing is not None:
        return _update(conn, existing.id, now=now, status="active")
    new_id = conn.execute(
        WATCHES.insert().returning(WATCHES.c.id),
        {
            "department_id": department_id,
            "kind": key.kind,
            "platform": key.platform,
            "value": key.value,
            "status": "active",
            "origin": "web",
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    return get(conn, department_id, new_id)


def replace(conn: sa.Connection, watch: WatchRow, key: WatchKey, *, now: datetime) -> WatchRow:
    """Watch `key` instead of `watch` (same status); the old one is kept as removed."""
    if key == watch.key:
        return watch
    added = add(conn, watch.department_id, key, now=now)
    remove(conn, watch, now=now)
    return added if watch.status == "active" else set_status(conn, added, "paused", now=now)


def set_status(conn: sa.Connection, watch: WatchRow, status: str, *, now: datetime) -> WatchRow:
    """Pause or resume a watch."""
    if status not in STATUSES:
        raise UserError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    return _update(conn, watch.id, now=now, status=status)


def remove(conn: sa.Connection, watch: WatchRow, *, now: datetime) -> None:
    """Stop watching; the row stays (as removed) so past matches still name it."""
    _update(conn, watch.id, now=now, status="removed")


def _update(conn: sa.Connection, watch_id: int, *, now: datetime, status: str) -> WatchRow:
    conn.execute(
        WATCHES.update()
        .where(WATCHES.c.id == watch_id)
        .values(status=status, origin="web", updated_at=now)
    )
    row = conn.execute(sa.select(*_COLUMNS).where(WATCHES.c.id == watch_id)).one()
    return WatchRow(*row)

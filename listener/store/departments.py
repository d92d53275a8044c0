"""Departments, watches and recipients: sync them from the config file, and read them back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from listener.configfile import DepartmentConfig, ListenerConfig
from listener.errors import NotFoundError
from listener.matching import WatchSpec
from listener.models import Department, Recipient, Watch

WatchKey = tuple[str, str, str]  # kind, platform, value


@dataclass
class SyncReport:
    """What `listener config import` changed, one line per change."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def desired_watches(department: DepartmentConfig) -> list[WatchKey]:
    """The watches a department's config section asks for."""
    w = department.watches
    keys: list[WatchKey] = [("hashtag", "", v) for v in w.hashtags]
    keys += [("keyword", "", v) for v in w.keywords]
    keys += [("query", "", v) for v in w.queries]
    for platform in ("x", "mastodon", "bluesky"):
        keys += [("account", platform, v) for v in getattr(w.accounts, platform)]
    keys += [("feed", "", v) for v in w.feeds]
    return list(dict.fromkeys(keys))


def _label(slug: str, key: WatchKey) -> str:
    kind, platform, value = key
    return f"{slug}: {kind} {platform + ' ' if platform else ''}{value}"


def sync_config(session: Session, config: ListenerConfig, *, now: datetime) -> SyncReport:
    """Make departments, watches and recipients match the config; idempotent."""
    report = SyncReport()
    existing = {d.slug: d for d in session.exec(select(Department))}
    for dept_config in config.departments:
        department = existing.get(dept_config.slug)
        if department is None:
            department = Department(
                slug=dept_config.slug, name=dept_config.name, created_at=now, updated_at=now
            )
            session.add(department)
            session.flush()
            report.added.append(f"department {dept_config.slug} ({dept_config.name})")
        elif department.name != dept_config.name or not department.active:
            what = "reactivated" if not department.active else f"name → {dept_config.name}"
            department.name, department.active, department.updated_at = dept_config.name, True, now
            report.changed.append(f"department {dept_config.slug}: {what}")
        assert department.id is not None
        _sync_watches(session, department.id, dept_config, report, now=now)
        _sync_recipients(session, department.id, dept_config, report, now=now)
    wanted = {d.slug for d in config.departments}
    for slug, department in existing.items():
        if slug not in wanted and department.active:
            department.active, department.updated_at = False, now
            report.removed.append(f"department {slug} (deactivated; its posts are kept)")
    return report


def _sync_watches(
    session: Session,
    department_id: int,
    dept: DepartmentConfig,
    report: SyncReport,
    *,
    now: datetime,
) -> None:
    """Add, restore and remove the department's config-origin watches.

    A watch added or changed in the web app (origin "web") belongs to the web app:
    import neither removes it when the file omits it nor restores or resumes it when
    the file lists it, so a web change is never silently undone. A config watch that
    someone pauses, edits or removes in the web app becomes a web watch for that reason.
    """
    query = select(Watch).where(Watch.department_id == department_id)
    rows = {(w.kind, w.platform, w.value): w for w in session.exec(query)}
    wanted = desired_watches(dept)
    for key in wanted:
        watch = rows.get(key)
        if watch is None:
            session.add(
                Watch(
                    department_id=department_id,
                    kind=key[0],
                    platform=key[1],
                    value=key[2],
                    origin="config",
                    created_at=now,
                    updated_at=now,
                )
            )
            report.added.append("watch " + _label(dept.slug, key))
        elif watch.origin == "config" and watch.status == "removed":
            watch.status, watch.updated_at = "active", now
            report.added.append("watch " + _label(dept.slug, key) + " (restored)")
    for key, watch in rows.items():
        if key not in wanted and watch.origin == "config" and watch.status != "removed":
            # Kept as 'removed' rather than deleted, so past matches still say what matched.
            watch.status, watch.updated_at = "removed", now
            report.removed.append("watch " + _label(dept.slug, key))


def _sync_recipients(
    session: Session,
    department_id: int,
    dept: DepartmentConfig,
    report: SyncReport,
    *,
    now: datetime,
) -> None:
    rows = {
        r.email: r
        for r in session.exec(select(Recipient).where(Recipient.department_id == department_id))
    }
    for email in dict.fromkeys(dept.recipients):
        if email not in rows:
            session.add(Recipient(department_id=department_id, email=email, created_at=now))
            report.added.append(f"recipient {dept.slug}: {email}")
    for email, row in rows.items():
        if email not in dept.recipients:
            session.delete(row)
            report.removed.append(f"recipient {dept.slug}: {email}")


def active_watches(conn: sa.Connection) -> list[WatchSpec]:
    """Every active watch of every active department, for matching."""
    query = (
        sa.select(Watch.id, Watch.department_id, Watch.kind, Watch.value, Watch.platform)  # type: ignore[call-overload]
        .join(Department, Department.id == Watch.department_id)
        .where(Watch.status == "active", Department.active)
        .order_by(Watch.id)
    )
    return [WatchSpec(*row) for row in conn.execute(query)]


def department_ids(conn: sa.Connection) -> dict[str, int]:
    """Department ids by slug."""
    return {slug: pk for pk, slug in conn.execute(sa.select(Department.id, Department.slug))}  # type: ignore[call-overload]


def department_id(conn: sa.Connection, slug: str) -> int:
    """The id of the department `slug`; NotFoundError lists the known slugs."""
    ids = department_ids(conn)
    if slug not in ids:
        known = ", ".join(sorted(ids)) or "none yet; run `listener config import`"
        raise NotFoundError(f"--department: no department {slug!r} (known: {known})")
    return ids[slug]

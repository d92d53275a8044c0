"""Online backups of an embedded (SQLite) database, safe while listener is writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from listener.errors import ConfigError, UserError

PAGES_PER_STEP = 4096  # copy in steps so writers are never blocked for long


def backup_sqlite(engine: sa.Engine, target: Path) -> int:
    """Copy the database to `target` with SQLite's online backup API; returns its size.

    The copy is consistent (one snapshot) even while a collection is writing. PostgreSQL
    is backed up with its own tools (pg_dump): see deploy/README.md.
    """
    if engine.dialect.name != "sqlite":
        raise ConfigError(
            "listener backup copies SQLite databases; back up PostgreSQL with pg_dump"
            " (see deploy/README.md)"
        )
    source_path = engine.url.database or ""
    if target.exists():
        raise UserError(f"{target}: already exists; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(source_path)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if problem != "ok":
        partial.unlink(missing_ok=True)
        raise UserError(f"{target}: the copy failed its integrity check: {problem}")
    partial.rename(target)
    return target.stat().st_size

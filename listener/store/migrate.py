"""Create or upgrade the database schema with the bundled Alembic migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from listener.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of listener."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; return (before, after)."""
    before = current_revision(engine)
    config = _alembic_config()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    return before, head_revision()


def require_current(engine: sa.Engine) -> None:
    """Raise a StoreError telling the user to run `listener init` if the schema is behind."""
    try:
        current = current_revision(engine)
    except sa.exc.OperationalError as exc:
        first_line = str(exc.orig).strip().splitlines()[0]
        raise StoreError(f"cannot use the database: {first_line}") from None
    if current != head_revision():
        state = "is empty" if current is None else f"is at revision {current}"
        raise StoreError(f"the database {state}; run `listener init` to create or upgrade it")

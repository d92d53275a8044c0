"""Migrations: `listener init` creates, upgrades and is a no-op at head, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from listener.errors import StoreError
from listener.store import migrate
from listener.store.db import create_engine


def test_downgrade_then_upgrade_round_trips(engine: sa.Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    config = migrate._alembic_config()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        conn.commit()
    assert migrate.current_revision(engine) is None
    assert "posts" not in sa.inspect(engine).get_table_names()
    before, after = migrate.upgrade(engine)
    assert (before, after) == (None, migrate.head_revision())
    assert migrate.upgrade(engine) == (after, after)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_empty_database_is_refused_with_advice(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(StoreError, match="run `listener init`"):
        migrate.require_current(engine)


def test_unsupported_database_urls_are_one_line_errors() -> None:
    with pytest.raises(Exception, match="LISTENER_DATABASE_URL: unsupported database 'mysql'"):
        create_engine("mysql://root@localhost/x")


ENGINE_ONLY = ("posts_fts", "search_vector", "department_ids", "ix_posts_search")


def test_the_migrations_build_the_schema_the_models_describe(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import listener.models  # noqa: F401  (registers the tables on SQLModel.metadata)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    # The search index (FTS5 tables; on PostgreSQL the tsvector column, the department ids
    # beside it and their index) is the migrations' own business.
    relevant = [d for d in diff if not any(name in repr(d) for name in ENGINE_ONLY)]
    if engine.dialect.name == "postgresql":  # a trigger instead of the foreign key (0010)
        relevant = [d for d in relevant if not _is_scores_foreign_key(d)]
    assert relevant == []


def _is_scores_foreign_key(diff: object) -> bool:
    return (
        isinstance(diff, tuple)
        and diff[0] == "add_fk"
        and diff[1].parent.name == "sentiment_scores"
        and diff[1].referred_table.name == "posts"
    )


def test_statistics_are_refreshed_after_a_bulk_write(engine: sa.Engine) -> None:
    from listener.store.db import refresh_statistics

    refresh_statistics(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            analysed = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'posts'"
                    " AND last_analyze IS NOT NULL"
                )
            )
        assert analysed == 1


def test_statistics_are_refreshed_for_the_tables_written_only(engine: sa.Engine) -> None:
    from listener.store.db import refresh_statistics

    def analysed() -> dict[str, int]:
        if engine.dialect.name != "postgresql":
            return {}
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT relname, analyze_count FROM pg_stat_user_tables"
                    " WHERE relname IN ('posts', 'sentiment_scores')"
                )
            )
            return {name: count for name, count in rows}

    before = analysed()
    refresh_statistics(engine, ("sentiment_scores",))  # SQLite: optimize, whichever it picks
    after = analysed()
    if engine.dialect.name == "postgresql":
        assert after["sentiment_scores"] == before["sentiment_scores"] + 1
        assert after["posts"] == before["posts"]

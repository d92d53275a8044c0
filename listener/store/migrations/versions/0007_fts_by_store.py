"""SQLite: new posts are indexed for search by the store, a page at a time, not by a trigger.

A per-row AFTER INSERT trigger cost about three times the FTS5 work itself on a
bulk import (docs/performance.md). Posts are only ever inserted through
listener.store.bulk.upsert, which now indexes a page's new rows with one
INSERT ... SELECT. The update and delete triggers stay. PostgreSQL's tsvector
is a generated column and is unchanged.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS posts_fts_insert")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
            "INSERT INTO posts_fts(rowid, search_text, author_handle, lang) "
            "VALUES (new.id, new.search_text, new.author_handle, coalesce(new.lang, '')); END"
        )

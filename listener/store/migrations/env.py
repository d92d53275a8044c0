"""Alembic environment: runs listener's migrations on the connection it is handed."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import listener.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - listener always passes a connection
    raise RuntimeError("run migrations through listener.store.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

"""Quarantine: items a source sent that could not be normalised, with their raw payload.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("raw", JSON_TYPE, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["collection_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantine_run_id", "quarantine", ["run_id"])
    op.create_index("ix_quarantine_created_at", "quarantine", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_created_at", table_name="quarantine")
    op.drop_index("ix_quarantine_run_id", table_name="quarantine")
    op.drop_table("quarantine")

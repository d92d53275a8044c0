"""Watch origin: whether the config file or the web app owns a watch.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every watch that exists before this revision came from `listener config import`.
    with op.batch_alter_table("watches") as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="config")
        )


def downgrade() -> None:
    with op.batch_alter_table("watches") as batch_op:
        batch_op.drop_column("origin")

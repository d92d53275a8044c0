"""Sentiment scores: no index on text_hash.

Every score written cost a random insert into this index, most of the cost of
writing a batch of scores (tests/benchmarks/bench_sentiment.py). The one query that
looked scores up by text hash (reusing the score of an identical text) goes
through the posts with that hash instead, whose own text_hash is indexed;
every other query reaches a score by its post.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sentiment_scores_text_hash"))


def downgrade() -> None:
    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sentiment_scores_text_hash"), ["text_hash"], unique=False
        )

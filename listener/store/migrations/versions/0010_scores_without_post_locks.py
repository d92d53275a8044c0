"""Sentiment scores: no label index, and on PostgreSQL no row lock on the post per score.

Both engines drop ix_sentiment_scores_label. No query looks scores up by label
alone (a sentiment filter reaches scores by post), and the index cost a random
insert for every score written.

PostgreSQL checks a foreign key by locking the referenced row (FOR KEY SHARE).
Storing a score therefore wrote a lock into its post's row: a WAL record per
score and, for the first post of each page after a checkpoint, the whole 8 kB
page. Scoring 190,000 posts wrote 398 MB of WAL for 25 MB of scores, and the
server's work for a pass was twice what it is without (tests/benchmarks/
bench_sentiment.py, docs/performance.md).

So on PostgreSQL the foreign key goes, and the database keeps what it gave:

- a statement trigger on posts deletes the scores of deleted posts, as the
  cascade did. Erasure and retention delete a post's scores themselves first;
  the trigger also catches a score written in between, and covers any other
  delete;
- listener.store.scores.save_scores inserts a score only where its post
  exists, holding a shared transaction-level advisory lock, and the trigger
  takes the same lock exclusively before it deletes. A post deleted while its
  batch of scores was being written therefore loses the score too: either the
  batch committed first and the trigger (a new snapshot, after the lock) sees
  its score, or the trigger's transaction committed first and the batch, which
  waited for the lock, no longer sees the post. Sessions run at READ COMMITTED.

SQLite keeps the foreign key: its check takes no lock and writes nothing.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# listener.store.scores.SCORES_LOCK: the advisory lock key shared with save_scores.
SCORES_LOCK = 7_310_052_023

# EXECUTE plans the statement each time (see 0008): a plan kept from a small table
# would scan every score for each deletion.
_CASCADE = f"""
CREATE FUNCTION posts_delete_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({SCORES_LOCK});
    EXECUTE 'DELETE FROM sentiment_scores s USING gone WHERE s.post_id = gone.id';
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sentiment_scores_label"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CASCADE)
    op.execute(
        "CREATE TRIGGER posts_delete_scores AFTER DELETE ON posts"
        " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION posts_delete_scores()"
    )
    op.execute("ALTER TABLE sentiment_scores DROP CONSTRAINT sentiment_scores_post_id_fkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Scores whose post went while there was no foreign key would fail it.
        op.execute(
            "DELETE FROM sentiment_scores s WHERE NOT EXISTS"
            " (SELECT 1 FROM posts p WHERE p.id = s.post_id)"
        )
        op.execute(
            "ALTER TABLE sentiment_scores ADD CONSTRAINT sentiment_scores_post_id_fkey"
            " FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE"
        )
        op.execute("DROP TRIGGER posts_delete_scores ON posts")
        op.execute("DROP FUNCTION posts_delete_scores()")
    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sentiment_scores_label"), ["label"], unique=False)

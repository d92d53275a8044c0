"""Initial schema, with the full-text index for each engine.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:46:26.684195
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("native_id", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("verified_type", sa.String(length=32), nullable=False),
        sa.Column("followers_count", sa.Integer(), nullable=True),
        sa.Column("profile", JSON_TYPE, nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "native_id"),
    )
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authors_handle"), ["handle"], unique=False)

    op.create_table(
        "cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "key"),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posts_new", sa.Integer(), nullable=False),
        sa.Column("posts_seen", sa.Integer(), nullable=False),
        sa.Column("items_rejected", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("rate_limit_wait_seconds", sa.Float(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("detail", JSON_TYPE, nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_runs_source"), ["source"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_collection_runs_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("native_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_handle", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("search_text", sa.String(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=True),
        sa.Column("reply_to_id", sa.String(length=200), nullable=True),
        sa.Column("quote_of_id", sa.String(length=200), nullable=True),
        sa.Column("repost_of_id", sa.String(length=200), nullable=True),
        sa.Column("metrics", JSON_TYPE, nullable=True),
        sa.Column("raw", JSON_TYPE, nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "native_id"),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_posts_platform_conversation", ["platform", "conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_posts_reply_to_id"), ["reply_to_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_text_hash"), ["text_hash"], unique=False)

    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_id", "email"),
    )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recipients_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department_id", "kind", "platform", "value"),
    )
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watches_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "post_departments",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "department_id"),
    )
    with op.batch_alter_table("post_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_departments_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "post_matches",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["watch_id"], ["watches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "watch_id"),
    )
    with op.batch_alter_table("post_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_matches_watch_id"), ["watch_id"], unique=False)

    op.create_table(
        "sentiment_scores",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("compound", sa.Float(), nullable=False),
        sa.Column("pos", sa.Float(), nullable=False),
        sa.Column("neu", sa.Float(), nullable=False),
        sa.Column("neg", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("scorer_version", sa.String(length=32), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )
    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sentiment_scores_label"), ["label"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sentiment_scores_text_hash"), ["text_hash"], unique=False
        )

    if op.get_bind().dialect.name == "sqlite":
        _create_fts5()
    else:
        _create_tsvector()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_fts")

    with op.batch_alter_table("sentiment_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sentiment_scores_text_hash"))
        batch_op.drop_index(batch_op.f("ix_sentiment_scores_label"))

    op.drop_table("sentiment_scores")
    with op.batch_alter_table("post_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_matches_watch_id"))

    op.drop_table("post_matches")
    with op.batch_alter_table("post_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_departments_department_id"))

    op.drop_table("post_departments")
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watches_department_id"))

    op.drop_table("watches")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipients_department_id"))

    op.drop_table("recipients")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_text_hash"))
        batch_op.drop_index(batch_op.f("ix_posts_reply_to_id"))
        batch_op.drop_index("ix_posts_platform_conversation")
        batch_op.drop_index(batch_op.f("ix_posts_created_at"))
        batch_op.drop_index(batch_op.f("ix_posts_author_id"))

    op.drop_table("posts")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_runs_started_at"))
        batch_op.drop_index(batch_op.f("ix_collection_runs_source"))

    op.drop_table("collection_runs")
    op.drop_table("departments")
    op.drop_table("cursors")
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_handle"))

    op.drop_table("authors")


# posts.search_text holds listener.textnorm tokens separated by spaces, with '#'
# and '@' kept on hashtags and mentions. FTS5's unicode61 tokenizer would drop
# them, so they are declared token characters; '_' too, so handles stay whole.
FTS5_TOKENIZE = "unicode61 remove_diacritics 2 tokenchars '#@_'"


def _create_fts5() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE posts_fts USING fts5("
        "search_text, author_handle, lang, content='posts', content_rowid='id', "
        f'tokenize="{FTS5_TOKENIZE}")'
    )
    op.execute(
        "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
        "INSERT INTO posts_fts(rowid, search_text, author_handle, lang) "
        "VALUES (new.id, new.search_text, new.author_handle, coalesce(new.lang, '')); END"
    )
    op.execute(
        "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, search_text, author_handle, lang) "
        "VALUES ('delete', old.id, old.search_text, old.author_handle, coalesce(old.lang, '')); END"
    )
    # Upserts rewrite every column; only touch the index when searchable text changed.
    op.execute(
        "CREATE TRIGGER posts_fts_update AFTER UPDATE ON posts "
        "WHEN old.search_text IS NOT new.search_text OR old.author_handle IS NOT new.author_handle "
        "OR old.lang IS NOT new.lang BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, search_text, author_handle, lang) "
        "VALUES ('delete', old.id, old.search_text, old.author_handle, coalesce(old.lang, '')); "
        "INSERT INTO posts_fts(rowid, search_text, author_handle, lang) "
        "VALUES (new.id, new.search_text, new.author_handle, coalesce(new.lang, '')); END"
    )


def _create_tsvector() -> None:
    # PostgreSQL's parser drops '#', '@' and splits on '_': spell them as letters
    # first so each listener token is exactly one lexeme (see listener.store.search).
    op.execute(
        "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "to_tsvector('simple'::regconfig, "
        "replace(replace(replace(search_text, '#', 'xhtx'), '@', 'xmnx'), '_', 'xusx'))"
        ") STORED"
    )
    op.execute("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")

"""PostgreSQL: a post's departments beside its words, in one text index.

A search within departments (every search of a user who is not an admin) had
to read the row of every post that used the words to see whether it was linked
to one of them: 300 ms for a common word at a million posts, when 150 of its
60,000 matches were in the department. `posts.department_ids` copies the
post's department links, and the GIN index on (search_vector, department_ids)
finds the posts with the words in the departments without reading any others.

The database keeps the copy in step, as it does `search_vector`: statement
triggers on post_departments rewrite the changed posts' arrays (a link added,
removed, or gone with its department), and skip posts whose array is already
right, so a writer that sets the array as it inserts the post costs them
nothing. SQLite's full-text index is a table of its own and is unchanged.

The upgrade writes every linked post once and builds the index: 2 min 17 s for a
million posts on a busy 2-core machine. VACUUM (or autovacuum) reclaims the old
row versions afterwards.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# EXECUTE plans the statement each time: PL/pgSQL would keep the plan it made on the
# first call, and a plan made while `posts` was small scans the whole table, on every
# page of an import into a database that started empty (a 1M-post import had stored
# 750,000 posts after 6 minutes, slowing to 1,100 a second; it takes under 3 now).
_SYNC = """
CREATE FUNCTION posts_department_ids_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE '
        UPDATE posts SET department_ids = linked.ids
        FROM (
            SELECT changed.post_id,
                   coalesce(array_agg(l.department_id ORDER BY l.department_id)
                            FILTER (WHERE l.department_id IS NOT NULL), ''{}'') AS ids
            FROM (SELECT DISTINCT post_id FROM changed_links) AS changed
            LEFT JOIN post_departments AS l ON l.post_id = changed.post_id
            GROUP BY changed.post_id
        ) AS linked
        WHERE posts.id = linked.post_id AND posts.department_ids <> linked.ids';
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE posts ADD COLUMN department_ids integer[] NOT NULL DEFAULT '{}'")
    op.execute(
        "UPDATE posts SET department_ids = linked.ids FROM ("
        " SELECT post_id, array_agg(department_id ORDER BY department_id) AS ids"
        " FROM post_departments GROUP BY post_id) AS linked"
        " WHERE posts.id = linked.post_id"
    )
    op.execute("CREATE INDEX ix_posts_search ON posts USING gin (search_vector, department_ids)")
    op.execute("DROP INDEX ix_posts_search_vector")  # the new index answers words alone too
    op.execute(_SYNC)
    for event, table in (("INSERT", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER post_departments_{event.lower()}_sync AFTER {event}"
            f" ON post_departments REFERENCING {table} TABLE AS changed_links"
            " FOR EACH STATEMENT EXECUTE FUNCTION posts_department_ids_sync()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in ("insert", "delete"):
        op.execute(f"DROP TRIGGER post_departments_{event}_sync ON post_departments")
    op.execute("DROP FUNCTION posts_department_ids_sync()")
    op.execute("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
    op.execute("DROP INDEX ix_posts_search")
    op.execute("ALTER TABLE posts DROP COLUMN department_ids")

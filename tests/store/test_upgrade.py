"""Upgrading a database made by the first released schema, with data in it, loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from listener.query import parse
from listener.store import migrate
from listener.store.queries import SearchFilters, search
from listener.textnorm import search_text

WHEN = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
TABLES = (
    "departments",
    "watches",
    "recipients",
    "authors",
    "posts",
    "post_departments",
    "post_matches",
    "sentiment_scores",
    "collection_runs",
    "cursors",
)


def _to(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = migrate._alembic_config()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()


def _fill_first_schema(conn: sa.Connection) -> None:
    """Rows as listener 0.1 (revision 0001) wrote them, in plain SQL."""
    run = sa.text
    conn.execute(
        run(
            "INSERT INTO departments (id, slug, name, active, created_at, updated_at)"
            " VALUES (1, 'dhsc', 'Health', true, :t, :t)"
        ),
        {"t": WHEN},
    )
    conn.execute(
        run(
            "INSERT INTO watches (id, department_id, kind, platform, value, status,"
            " created_at, updated_at) VALUES (1, 1, 'hashtag', '', '#NHS', 'active', :t, :t)"
        ),
        {"t": WHEN},
    )
    conn.execute(
        run(
            "INSERT INTO recipients (id, department_id, email, created_at)"
            " VALUES (1, 1, 'team@dhsc.example.gov.uk', :t)"
        ),
        {"t": WHEN},
    )
    conn.execute(
        run(
            "INSERT INTO authors (id, platform, native_id, handle, name, description,"
            " verified_type, followers_count, first_seen_at, updated_at)"
            " VALUES (1, 'x', '42', 'Nurse_Jo', 'Jo', 'Nurse. Views my own.', 'none', 10, :t, :t)"
        ),
        {"t": WHEN},
    )
    for n, text in enumerate(["Waited 9 hours in A&E #NHS", "GP appointments are impossible #NHS"]):
        conn.execute(
            run(
                "INSERT INTO posts (id, platform, native_id, url, author_id, author_handle, created_at,"
                " collected_at, text, search_text, text_hash, lang, kind, metrics, raw, source)"
                " VALUES (:id, 'x', :nid, 'https://x.com/Nurse_Jo/status/1', 1, 'nurse_jo', :t, :t,"
                " :text, :search, :hash, 'en', 'post', '{}', '{}', 'import:twarc2')"
            ),
            {
                "id": n + 1,
                "nid": str(100 + n),
                "t": WHEN,
                "text": text,
                "search": search_text(text),
                "hash": f"{n:064d}",
            },
        )
        conn.execute(run("INSERT INTO post_departments VALUES (:p, 1)"), {"p": n + 1})
        conn.execute(run("INSERT INTO post_matches VALUES (:p, 1)"), {"p": n + 1})
        conn.execute(
            run(
                "INSERT INTO sentiment_scores (post_id, compound, pos, neu, neg, label,"
                " text_hash, scorer_version, scored_at)"
                " VALUES (:p, -0.5, 0, 0.5, 0.5, 'negative', :h, 'listener-1', :t)"
            ),
            {"p": n + 1, "h": f"{n:064d}", "t": WHEN},
        )
    conn.execute(
        run(
            "INSERT INTO collection_runs (id, source, started_at, status, posts_new,"
            " posts_seen, items_rejected, pages, rate_limit_wait_seconds, error)"
            " VALUES (1, 'import:twarc2', :t, 'ok', 2, 2, 0, 1, 0, '')"
        ),
        {"t": WHEN},
    )
    conn.execute(
        run(
            "INSERT INTO cursors (id, source, key, value, updated_at)"
            " VALUES (1, 'rss', 'https://blog.example/feed', 'etag-1', :t)"
        ),
        {"t": WHEN},
    )


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0 for t in TABLES}


def test_upgrading_from_the_first_schema_keeps_every_row_and_search(engine: sa.Engine) -> None:
    _to(engine, "base", down=True)
    _to(engine, "0001")
    with engine.begin() as conn:
        _fill_first_schema(conn)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in (
                "departments",
                "watches",
                "recipients",
                "authors",
                "posts",
                "collection_runs",
                "cursors",
            ):
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)")
                )
        before = _counts(conn)
    assert migrate.upgrade(engine) == ("0001", migrate.head_revision())
    with engine.connect() as conn:
        assert _counts(conn) == before
        assert conn.scalar(sa.text("SELECT kind FROM authors WHERE id = 1")) == "public"
        text = conn.scalar(sa.text("SELECT text FROM posts WHERE id = 1"))
        found = [r.native_id for r in search(conn, parse("#NHS"), SearchFilters(limit=0))]
    assert text == "Waited 9 hours in A&E #NHS"
    assert sorted(found) == ["100", "101"]

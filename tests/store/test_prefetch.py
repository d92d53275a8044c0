"""Imports whose pages are prepared in a second process store exactly what an inline import does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.configfile import load_config
from listener.errors import ImportFormatError
from tests.benchmarks import synth
from tests.conftest import EXAMPLE_CONFIG

CONTENT = ("post_matches", "post_departments", "posts", "authors")


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


def stored(engine: sa.Engine) -> dict[str, Any]:
    """Everything an import writes, without ids and collection times."""
    with engine.connect() as conn:
        posts = conn.exec_driver_sql(
            "SELECT p.platform, p.native_id, p.url, p.author_handle, p.created_at, p.text,"
            " p.search_text, p.text_hash, p.lang, p.kind, p.conversation_id, p.reply_to_id,"
            " p.quote_of_id, p.repost_of_id, p.metrics, p.raw, p.source, a.native_id"
            " FROM posts p LEFT JOIN authors a ON a.id = p.author_id ORDER BY p.native_id"
        ).all()
        authors = conn.exec_driver_sql(
            "SELECT platform, native_id, handle, name, description, verified_type,"
            " followers_count, profile FROM authors ORDER BY native_id"
        ).all()
        matches = conn.exec_driver_sql(
            "SELECT p.native_id, w.kind, w.value FROM post_matches m"
            " JOIN posts p ON p.id = m.post_id JOIN watches w ON w.id = m.watch_id"
            " ORDER BY 1, 2, 3"
        ).all()
        departments = conn.exec_driver_sql(
            "SELECT p.native_id, d.slug FROM post_departments pd JOIN posts p ON p.id = pd.post_id"
            " JOIN departments d ON d.id = pd.department_id ORDER BY 1, 2"
        ).all()
    return {
        "posts": [_plain(row, json_at=(14, 15)) for row in posts],
        "authors": [_plain(row, json_at=(7,)) for row in authors],
        "matches": [tuple(row) for row in matches],
        "departments": [tuple(row) for row in departments],
    }


def _plain(row: sa.Row[Any], *, json_at: tuple[int, ...]) -> tuple[Any, ...]:
    # JSON reads back as text on SQLite and as objects on PostgreSQL: compare the objects.
    return tuple(
        json.loads(v) if i in json_at and isinstance(v, str) else v for i, v in enumerate(row)
    )


def forget_content(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in CONTENT:
            conn.exec_driver_sql(f"DELETE FROM {table}")


def test_a_prefetched_import_stores_what_an_inline_import_stores(
    configured: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "week.jsonl"
    synth.write(path, posts=1500, seed=7)  # retweets, replies, quotes, includes, other languages
    request = jobs.ImportRequest(path=path, format="twarc2")

    prefetched = jobs.import_file(configured, request, prefetch=True)
    expected = stored(configured)
    forget_content(configured)
    inline = jobs.import_file(configured, request, prefetch=False)

    assert stored(configured) == expected
    assert (prefetched.new, prefetched.seen, prefetched.rejected, prefetched.pages) == (
        inline.new,
        inline.seen,
        inline.rejected,
        inline.pages,
    )
    assert prefetched.per_department == inline.per_department
    assert prefetched.new == 1500 and len(expected["matches"]) > 300
    again = jobs.import_file(configured, request, prefetch=True)
    assert (again.new, again.seen) == (0, inline.new + inline.seen)


def test_a_prefetched_import_of_a_missing_file_fails_as_an_inline_one_does(
    configured: sa.Engine, tmp_path: Path
) -> None:
    request = jobs.ImportRequest(path=tmp_path / "missing.jsonl", format="twarc2")
    with pytest.raises(ImportFormatError, match=r"missing\.jsonl: no such file"):
        jobs.import_file(configured, request, prefetch=True)
    with configured.connect() as conn:
        status, error = conn.exec_driver_sql(
            "SELECT status, error FROM collection_runs ORDER BY id DESC"
        ).first() or (None, None)
    assert status == "failed" and "no such file" in error

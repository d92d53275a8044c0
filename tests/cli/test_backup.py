"""`listener backup`: a consistent copy of the SQLite database, taken while it is in use."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.configfile import load_config
from listener.models import utcnow
from listener.store.db import create_engine, write_transaction
from listener.store.writes import upsert_posts
from tests.cli.runner import invoke
from tests.conftest import EXAMPLE_CONFIG, make_post


def test_backup_copies_a_database_that_is_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "live.db"
    engine = create_engine(f"sqlite:///{path}")
    jobs.init_database(engine)
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    with write_transaction(engine) as conn:
        upsert_posts(conn, [make_post(str(n), f"post {n} #NHS") for n in range(500)], now=utcnow())
    monkeypatch.setenv("LISTENER_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    stop = threading.Event()

    def keep_writing() -> None:
        n = 1000
        while not stop.is_set():
            with write_transaction(engine) as conn:
                upsert_posts(conn, [make_post(str(n), f"later post {n}")], now=utcnow())
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        code, _, stderr = invoke(monkeypatch, capsys, "backup", str(tmp_path / "copy.db"))
    finally:
        stop.set()
        writer.join()
    assert code == 0 and "integrity ok" in stderr
    copy = sa.create_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    with copy.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM posts WHERE text LIKE 'post %'")) == 500
        assert (
            conn.scalar(sa.text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'post'"))
            >= 500
        )
    code, _, stderr = invoke(monkeypatch, capsys, "backup", str(tmp_path / "copy.db"))
    assert code == 1 and "already exists" in stderr


def test_backup_of_postgresql_points_at_pg_dump(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL half")
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    code, _, stderr = invoke(monkeypatch, capsys, "backup", str(tmp_path / "x.db"))
    assert code == 1 and "pg_dump" in stderr

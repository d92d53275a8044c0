"""Shared fixtures: a migrated database on each engine, clean env, small factories.

Every test that takes `engine` runs twice: on SQLite (a file in tmp_path) and on
a real PostgreSQL (one database per test session, emptied before each test).
PostgreSQL comes from LISTENER_TEST_POSTGRES_URL (default: the local server,
trust auth). Without a reachable server the PostgreSQL half is skipped, except
under CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listener.collectors.base import AuthorItem, PostItem
from listener.store.db import create_engine
from listener.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config" / "listener.yaml"
ADMIN_URL = os.environ.get(
    "LISTENER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TABLES = ("suppressions", "source_approvals", "audit_log", "sign_in_attempts", "api_tokens",
          "web_sessions", "user_departments", "users", "deliveries", "digests", "post_topics",
          "topics", "topic_runs",
          "quarantine", "sentiment_scores", "post_matches", "post_departments", "posts", "authors",
          "recipients", "watches", "cursors", "collection_runs", "departments")  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LISTENER_* settings, .env file or proxies leak in from the developer's shell."""
    for name in list(os.environ):
        if name.upper().startswith("LISTENER_") and name != "LISTENER_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # settings read ./.env: only one a test writes
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "listener.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    name = f"listener_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc.orig}")
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "listener.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty, migrated database (SQLite and PostgreSQL)."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def make_post(native_id: str, text: str, **fields: object) -> PostItem:
    """A PostItem with sensible defaults: an X post by @alice on 12 Nov 2026."""
    handle = str(fields.pop("handle", "alice"))
    defaults: dict[str, object] = {
        "platform": "x",
        "created_at": datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
        "author": AuthorItem("x", f"u-{handle}", handle=handle, name=handle.title()),
        "lang": "en",
        "url": f"https://x.com/{handle}/status/{native_id}",
        "raw": {"id": native_id, "text": text},
    }
    defaults.update(fields)
    return PostItem(native_id=native_id, text=text, **defaults)  # type: ignore[arg-type]


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Start `work` in a thread (a second database session, say); the list gets what it
    returned, or the error it raised, once it ends."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # reported by the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright cannot download browsers here


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright, shared by a module's tests."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()

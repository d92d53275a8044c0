"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from listener.errors import ConfigError, StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000


_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")  # a \u0000 escape, not an escaped backslash
_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps_json(value: Any) -> str:
    """Serialise a JSON column, replacing what PostgreSQL refuses (NUL, lone surrogates).

    Both engines use it, so a payload reads back the same wherever it is stored.
    orjson serialises a post's payload in a fifth of the time json takes; what it
    refuses (lone surrogates, keys that are not strings) goes through json.
    """
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if _SURROGATE.search(text):
            text = _SURROGATE.sub("\ufffd", text)
    if "\\u0000" in text:
        text = _NUL_ESCAPE.sub(r"\1\\ufffd", text)
    return text


def normalise_url(url: str) -> str:
    """Accept plain postgres:// URLs and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str, *, echo: bool = False) -> sa.Engine:
    """Create an engine for `url`, making the SQLite file's folder if needed."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"LISTENER_DATABASE_URL: not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed, echo=echo, pool_pre_ping=True, json_serializer=dumps_json)
    raise ConfigError(
        f"LISTENER_DATABASE_URL: unsupported database {parsed.get_backend_name()!r}"
        " (use sqlite:///path or postgresql://...)"
    )


def _sqlite_engine(parsed: sa.URL, *, echo: bool) -> sa.Engine:
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {folder} for the database: {exc.strerror}"
            ) from None
    engine = sa.create_engine(
        parsed,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        json_serializer=dumps_json,
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # Writers take the lock up front (IMMEDIATE), so two writers queue on the
        # busy timeout instead of failing with "database is locked" when a read
        # transaction tries to upgrade; readers stay deferred and never block.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that will write: committed on success, else rolled back."""
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        yield conn


# After this many rows written in one go, the planner's statistics are refreshed.
BULK_ROWS = 10_000
STATISTICS_TABLES = ("posts", "authors", "post_departments", "post_matches", "sentiment_scores")


def refresh_statistics(engine: sa.Engine, tables: Sequence[str] = STATISTICS_TABLES) -> None:
    """Bring the query planner's statistics up to date after a bulk write to `tables`.

    PostgreSQL's autovacuum analyses tables eventually (and not at all where it is
    switched off); until it does, a freshly loaded week is planned as if empty, and the
    week's reads take minutes instead of seconds. PostgreSQL analyses `tables` only
    (ANALYZE posts alone takes a second or two for 200,000 posts); SQLite's
    optimize picks the tables whose statistics are out of date itself.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
        else:
            conn.exec_driver_sql("PRAGMA optimize=0x10002")
        conn.commit()

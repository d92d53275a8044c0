"""The scheduler lease: at most one active scheduler per database, released when its process dies.

PostgreSQL: a session-level advisory lock held on a dedicated connection. The
server drops it the moment that connection closes, which the kernel does for
a process that dies in any way; a vanished host is noticed through TCP
keepalives tuned on that connection (about 30 s instead of the 2 h default).

SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock``, which the
kernel releases when the process holding it dies.

Who holds the lease is readable by anyone through `current_holder`:
on PostgreSQL it is the holder's ``application_name`` (seen in
``pg_stat_activity``; it vanishes with the connection), on SQLite it is a JSON
line written into the lock file (stale once the lock is free, and a probe of
the lock tells the two apart).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from listener.errors import ConfigError

# "listener" in ASCII, as a bigint: shows up in pg_locks as classid 0x6c697374, objid 0x656e6572.
ADVISORY_KEY = 0x6C697374656E6572
_APP_PREFIX = "listener-scheduler"
# Server-side keepalives on the lease connection: a host that vanishes (power cut, network
# partition) loses the lease after idle + interval * count seconds rather than hours.
_KEEPALIVES = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


@dataclass(frozen=True)
class Holder:
    """Who holds the lease: the operating-system process, its host, and since when."""

    pid: int
    host: str
    since: datetime

    @classmethod
    def me(cls) -> Holder:
        """This process, from now."""
        return cls(os.getpid(), socket.gethostname(), datetime.now(UTC).replace(microsecond=0))

    def tag(self) -> str:
        """A compact one-line form, parsed back by `Holder.parse`."""
        return f"pid={self.pid} host={self.host} since={self.since:%Y-%m-%dT%H:%M:%SZ}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """Read a `tag` back; None if the text is not one."""
        fields = dict(part.partition("=")[::2] for part in text.split())
        try:
            since = datetime.strptime(fields["since"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return cls(int(fields["pid"]), fields["host"], since)
        except (KeyError, ValueError):
            return None

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since:%Y-%m-%d %H:%M:%S} UTC"


class Lease(Protocol):
    """The right to run the scheduler against one database."""

    @property
    def held(self) -> bool:
        """True while this object holds the lease."""
        ...

    def try_acquire(self) -> bool:
        """Take the lease if it is free (never waits); True if this object now holds it."""
        ...

    def check(self) -> bool:
        """Confirm the lease is still held (a dropped connection loses it); False if lost."""
        ...

    def release(self) -> None:
        """Give the lease up (safe to call when not held)."""
        ...

    def holder(self) -> Holder | None:
        """Whoever holds the lease now, in any process; None if nobody does."""
        ...


def open_lease(engine: sa.Engine) -> Lease:
    """The lease for the engine's database: an advisory lock, or a lock file beside SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine)
    if engine.dialect.name == "sqlite":
        return FileLease(lock_path(engine))
    raise ConfigError(f"the scheduler cannot run against a {engine.dialect.name} database")


def current_holder(engine: sa.Engine) -> Holder | None:
    """Who holds the scheduler lease on the engine's database, if anyone (for health checks)."""
    return open_lease(engine).holder()


def lock_path(engine: sa.Engine) -> Path:
    """The lock file beside a SQLite database file."""
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ConfigError(
            "LISTENER_DATABASE_URL: the scheduler needs a SQLite database file, not in-memory"
        )
    return Path(database).expanduser().with_name(Path(database).name + ".scheduler.lock")


class AdvisoryLease:
    """The lease as a PostgreSQL session-level advisory lock on a dedicated connection."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._conn: sa.Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return True  # session locks stack: taking it twice would need two unlocks
        # AUTOCOMMIT: the connection sits idle for the process lifetime and must not
        # hold a transaction (and its snapshot) open all that time.
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_KEY))).scalar()
            if got:
                for name, value in _KEEPALIVES.items():
                    conn.exec_driver_sql(f"SET {name} = {int(value)}")
                tag = f"{_APP_PREFIX} {Holder.me().tag()}"[:63]  # NAMEDATALEN - 1
                conn.execute(sa.select(sa.func.set_config("application_name", tag, False)))
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def check(self) -> bool:
        if self._conn is None:
            return False
        try:
            still = self._conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = :high AND objid = :low"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalar()
        except sa.exc.DBAPIError:
            still = 0  # the connection is gone, and the server released the lock with it
        if not still:
            self._drop()
        return bool(still)

    def release(self) -> None:
        if self._conn is None:
            return
        # A broken connection has already released it on the server.
        with contextlib.suppress(sa.exc.DBAPIError):
            self._conn.execute(sa.select(sa.func.pg_advisory_unlock(ADVISORY_KEY)))
        self._drop()

    def holder(self) -> Holder | None:
        with self.engine.connect() as conn:
            name = conn.execute(
                sa.text(
                    "SELECT a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.database = ("
                    "  SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND l.classid = :high AND l.objid = :low"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalar()
        if name is None:
            return None
        return Holder.parse(name.removeprefix(_APP_PREFIX)) or Holder(0, "unknown", _EPOCH)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # invalidate, not close: the session (and anything it still holds) must end,
            # never return to the pool for another caller to inherit.
            conn.invalidate()
            conn.close()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FileLease:
    """The lease as an exclusive flock on a lock file beside a SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        me = Holder.me()
        record = {"pid": me.pid, "host": me.host, "since": me.since.isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd
        return True

    def check(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # The file stays: deleting it would let a newcomer lock a fresh inode while a
        # standby still waits on the old one, and then both would be active.
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def holder(self) -> Holder | None:
        if self._fd is not None:
            return _read_holder(self.path)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(self.path) or Holder(0, "unknown", _EPOCH)
        finally:
            os.close(fd)  # closing drops the probe's shared lock, if it got one
        return None


def _read_holder(path: Path) -> Holder | None:
    """The holder record in a lock file; None if it is empty or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "null")
        return Holder(
            int(record["pid"]), str(record["host"]), datetime.fromisoformat(record["since"])
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None

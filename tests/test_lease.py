"""The scheduler lease on both engines: one holder at a time, freed by release or by death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from listener.errors import ConfigError
from listener.lease import current_holder, open_lease
from listener.store.db import create_engine

# A separate process that takes the lease, says so, and sleeps until killed.
HOLDER_SCRIPT = """
import sys, time
from listener.lease import open_lease
from listener.store.db import create_engine
lease = open_lease(create_engine(sys.argv[1]))
assert lease.try_acquire()
print("held", flush=True)
time.sleep(60)
"""


def acquire_within(lease: object, seconds: float) -> float:
    """Poll `try_acquire` like a standby (every 0.1 s); return how long it took, or fail."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if lease.try_acquire():  # type: ignore[attr-defined]
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"the lease was not acquired within {seconds} s")


def test_a_second_lease_waits_while_the_first_is_held(engine: sa.Engine) -> None:
    first, second = open_lease(engine), open_lease(engine)
    assert first.try_acquire() and first.held
    assert first.try_acquire()  # taking it again is a no-op, not a second lock
    assert not second.try_acquire() and not second.held
    assert first.check()
    first.release()
    assert not first.held
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()


def test_the_holder_is_recorded_while_held_and_cleared_on_release(engine: sa.Engine) -> None:
    lease = open_lease(engine)
    assert current_holder(engine) is None
    lease.try_acquire()
    holder = current_holder(engine)
    assert holder is not None
    assert holder.pid == os.getpid()
    assert abs(time.time() - holder.since.timestamp()) < 60
    assert open_lease(engine).holder() == holder  # a standby sees who it waits for
    lease.release()
    assert current_holder(engine) is None


def test_a_killed_holder_frees_the_lease_for_a_standby(database_url: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, database_url], stdout=subprocess.PIPE, text=True
    )
    engine = create_engine(database_url)
    standby = open_lease(engine)
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        assert not standby.try_acquire()
        holder = current_holder(engine)
        assert holder is not None and holder.pid == child.pid
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=5)
        assert acquire_within(standby, 5.0) < 5.0
        assert current_holder(engine).pid == os.getpid()  # type: ignore[union-attr]
    finally:
        child.kill()
        child.wait()
        standby.release()
        engine.dispose()


def test_a_lease_on_postgresql_is_lost_with_its_connection(_postgres_url: str) -> None:
    engine = create_engine(_postgres_url)  # PostgreSQL only: a lock file has no connection
    lease, standby = open_lease(engine), open_lease(engine)
    assert lease.try_acquire()
    holder_pid = os.getpid()
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE :tag AND pid <> pg_backend_pid()"
            ),
            {"tag": f"listener-scheduler pid={holder_pid} %"},
        )
    assert acquire_within(standby, 5.0) < 5.0
    assert not lease.check()  # the old holder notices, so it can stop its scheduler
    assert not lease.held
    standby.release()
    engine.dispose()


def test_an_in_memory_sqlite_database_has_no_lease() -> None:
    with pytest.raises(ConfigError, match="SQLite database file"):
        open_lease(create_engine("sqlite://"))

"""kill -9 in the middle of `listener collect`, then a restart: nothing missing, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from listener.store.db import create_engine
from tests.collectors.fakeserver import (
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)
from tests.collectors.test_mastodon import FakeMastodon

CONFIG = """
departments:
  - slug: dhsc
    name: Department of Health and Social Care
    watches:
      hashtags: ["#NHS"]
sources:
  mastodon:
    enabled: true
    interval: 15m
    base_url: {url}
    instances: ["{url}"]
"""


def stored_uris(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT native_id FROM posts WHERE platform = 'mastodon'")
        ).all()
    engine.dispose()
    return [r[0] for r in rows]


def test_kill_9_mid_collection_then_restart_loses_and_duplicates_nothing(
    fake_server: FakeServer, tmp_path: Path, database_url: str
) -> None:
    mastodon = FakeMastodon(fake_server)
    start = datetime.now(UTC) - timedelta(days=2)
    expected = {
        mastodon.post("nhs", start + n * timedelta(minutes=7), text=f"post {n}")["uri"]
        for n in range(120)
    }
    hang = threading.Event()
    hang.set()
    timeline_requests: list[Recorded] = []

    def route(request: Recorded) -> Reply:
        reply = mastodon.route(request)
        if request.path.startswith("/api/v1/timelines/tag/"):
            timeline_requests.append(request)
            if len(timeline_requests) == 3 and hang.is_set():
                return reply.after(60)  # the third page hangs: the process is killed meanwhile
        return reply

    fake_server.fallback(route)
    config = tmp_path / "listener.yaml"
    config.write_text(CONFIG.format(url=fake_server.url))
    env = {**os.environ, "LISTENER_CONFIG": str(config), "LISTENER_DATABASE_URL": database_url}
    listener = [sys.executable, "-m", "listener.cli"]
    subprocess.run([*listener, "config", "import"], env=env, check=True, capture_output=True)

    process = subprocess.Popen(
        [*listener, "collect"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while len(timeline_requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(timeline_requests) >= 3, "the collector never reached the third page"
    time.sleep(0.3)  # the first two pages are committed by now
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    partial = stored_uris(database_url)
    assert 0 < len(partial) < len(expected)

    hang.clear()
    for round_ in ("restart after kill -9", "incremental run after new posts"):
        result = subprocess.run(
            [*listener, "collect"], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        stored = stored_uris(database_url)
        assert len(stored) == len(set(stored)), round_  # nothing twice
        assert set(stored) == expected, round_  # nothing missing
        later = datetime.now(UTC) - timedelta(minutes=1)
        new = [
            mastodon.post("nhs", later + n * timedelta(seconds=5), text=f"late {n}")
            for n in range(7)
        ]
        expected |= {status["uri"] for status in new}

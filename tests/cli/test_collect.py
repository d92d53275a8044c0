"""`listener collect` end to end: a fake feed server, the store, run records, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli.runner import invoke
from tests.collectors.fakeserver import (
    FakeServer,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
CONFIG = """
departments:
  - slug: dhsc
    name: Department of Health and Social Care
    watches:
      feeds: ["{url}/feed/"]
sources:
  rss:
    enabled: true
    interval: 1h
  x:
    enabled: {x_enabled}
    interval: 15m
    base_url: {url}
    credentials:
      bearer_token: LISTENER_X_BEARER_TOKEN
"""


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return invoke(monkeypatch, capsys, *args)


@pytest.fixture
def setup(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fake_server: FakeServer,
    database_url: str,
):  # type: ignore[no-untyped-def]
    def configure(*, x_enabled: bool) -> None:
        config = tmp_path / "listener.yaml"
        config.write_text(CONFIG.format(url=fake_server.url, x_enabled=str(x_enabled).lower()))
        monkeypatch.setenv("LISTENER_CONFIG", str(config))
        monkeypatch.setenv("LISTENER_DATABASE_URL", database_url)
        assert run(monkeypatch, capsys, "config", "import")[0] == 0

    return configure


def test_collect_stores_a_feed_then_fetches_it_conditionally(
    setup,
    fake_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:  # type: ignore[no-untyped-def]
    setup(x_enabled=False)
    body = (FEEDS / "healthmedia-feed.xml").read_bytes()
    headers = {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    fake_server.script(
        "/feed/", Reply(body=body, headers=headers), Reply(status=304, headers={"ETag": '"v1"'})
    )
    code, out, _ = run(monkeypatch, capsys, "collect")
    assert code == 0 and out.startswith("rss: ok, 3 new")
    code, out, _ = run(monkeypatch, capsys, "collect", "--source", "rss")
    assert code == 0 and out.startswith("rss: ok, 0 new")
    assert fake_server.requests_to("/feed/")[1].headers.get("if-none-match") == '"v1"'
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT source, status, posts_new FROM collection_runs ORDER BY id")
        ).all()
        linked = conn.execute(sa.text("SELECT count(*) FROM post_departments")).scalar()
    engine.dispose()
    assert [tuple(s) for s in statuses] == [("rss", "ok", 3), ("rss", "ok", 0)]
    assert linked == 3  # the feed watch assigns its posts to dhsc


def test_a_source_without_its_credential_fails_alone_saying_why(
    setup,
    fake_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    setup(x_enabled=True)
    fake_server.script(
        "/feed/",
        Reply(
            body=(FEEDS / "healthmedia-feed.xml").read_bytes(),
            headers={"Content-Type": "application/rss+xml"},
        ),
    )
    code, out, _ = run(monkeypatch, capsys, "collect")
    assert code == 1
    assert "rss: ok, 3 new" in out
    assert "x: failed" in out and "x needs credentials.bearer_token" in out


def test_unknown_or_disabled_sources_are_refused(
    setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    setup(x_enabled=False)
    code, _, err = run(monkeypatch, capsys, "collect", "--source", "bluesky")
    assert code == 1 and "--source: 'bluesky' is not in the config" in err
    code, _, err = run(monkeypatch, capsys, "collect", "--source", "x")
    assert code == 1 and "--source: x is disabled in the config" in err

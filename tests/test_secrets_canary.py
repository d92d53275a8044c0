"""A canary credential never leaks: not into output, logs, errors, run records, exports,
digests, the web app or its metrics, even when a hostile server echoes it back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listener import accounts
from listener.settings import Settings
from listener.web.app import create_app
from tests.cli.runner import invoke
from tests.collectors.fakeserver import (
    FakeServer,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)
from tests.web.conftest import PASSWORD, People, sign_in

CANARY = "canary-7f3a9c1e5b2d4f60a8e1"
CONFIG = """
departments:
  - slug: dhsc
    name: Department of Health and Social Care
    recipients: [team@dhsc.example.gov.uk]
    watches:
      hashtags: ["#NHS"]
sources:
  mastodon:
    enabled: true
    base_url: {url}
    instances: [{url}]
    credentials:
      access_token: LISTENER_MASTODON_ACCESS_TOKEN
  x:
    enabled: true
    base_url: {url}
    government_use_approval: "DSIT-2026-0042"
    credentials:
      bearer_token: LISTENER_X_BEARER_TOKEN
digest:
  sender: listener@example.gov.uk
"""


def echo(request: Recorded) -> Reply:
    """A hostile server: it repeats the caller's credentials in its error."""
    leaked = request.headers.get("authorization", "")
    body = f'{{"error": "bad token {leaked}", "title": "Unauthorized {leaked}"}}'
    return Reply(status=401, headers={"Content-Type": "application/json"}, body=body.encode())


def test_the_canary_appears_in_no_output(
    fake_server: FakeServer,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for path in (
        "/api/v1/timelines/tag/NHS",
        "/api/v1/timelines/tag/nhs",
        "/2/tweets/search/recent",
    ):
        fake_server.handle(path, echo)
    config = tmp_path / "listener.yaml"
    config.write_text(CONFIG.format(url=fake_server.url))
    monkeypatch.setenv("LISTENER_CONFIG", str(config))
    monkeypatch.setenv("LISTENER_DATABASE_URL", database_url)
    monkeypatch.setenv("LISTENER_MASTODON_ACCESS_TOKEN", CANARY)
    monkeypatch.setenv("LISTENER_X_BEARER_TOKEN", CANARY)
    monkeypatch.setenv("LISTENER_SECRET_KEY", CANARY)
    # An SMTP server that is not there, with the canary as its password.
    monkeypatch.setenv("LISTENER_SMTP_URL", f"smtp://digest:{CANARY}@127.0.0.1:9/")
    outputs: list[str] = []

    def run(*args: str) -> int:
        code, out, err = invoke(monkeypatch, capsys, *args)
        outputs.extend([out, err])
        return code

    assert run("config", "import") == 0
    run("config", "check")
    assert run("collect") == 1  # both sources refused: the run says so, without the token
    assert fake_server.requests  # the servers were really asked, with the canary
    run("search", "NHS", "--format", "jsonl")
    run("analyze")
    run("digest", "build", "--week", "2026-W47", "--out", str(tmp_path / "digests"))
    run("digest", "send", "--week", "2026-W47")
    run("audit", "verify")
    outputs.extend(
        p.read_text(errors="replace")
        for p in (tmp_path / "digests").iterdir()
        if p.suffix in (".html", ".txt", ".eml")
    )

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        for table in ("collection_runs", "quarantine", "deliveries", "audit_log", "cursors"):
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).all()
            outputs.append(repr(rows))
    accounts.add_user(engine, email=People.admin, role="admin", departments=[], password=PASSWORD)
    app = create_app(Settings(config=config, secret_key=SecretStr(CANARY)), engine=engine)
    with TestClient(app) as client:
        sign_in(client, People.admin, PASSWORD)
        for path in (
            "/health",
            "/api/v1/health",
            "/metrics",
            "/readyz",
            "/admin/audit",
            "/conversations/export.csv",
            "/api/v1/me",
        ):
            response = client.get(path)
            outputs.append(response.text + repr(dict(response.headers)))
    engine.dispose()
    outputs.extend(record.getMessage() for record in caplog.records)

    sent = [r.path for r in fake_server.requests if CANARY in r.headers.get("authorization", "")]
    assert sent, "the canary was never sent, so this test proves nothing"
    leaks = [text for text in outputs if CANARY in text]
    assert leaks == [], leaks[0][:2000]

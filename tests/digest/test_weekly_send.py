"""Sending the sample's digests: by the CLI and by the service's Monday job, once per recipient."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import insight
from listener.configfile import ListenerConfig, load_config
from listener.digest.smtpurl import parse_smtp_url
from listener.scheduler import JobDeps, later_jobs
from tests.cli.runner import invoke
from tests.conftest import EXAMPLE_CONFIG
from tests.digest.conftest import SmtpServer
from tests.insight.conftest import load_sample

RECIPIENTS = 6  # in the example config, across five departments


@pytest.fixture
def sample(engine: sa.Engine) -> tuple[sa.Engine, ListenerConfig]:
    config = load_config(EXAMPLE_CONFIG)
    load_sample(engine, config)
    return engine, config


def use(monkeypatch: pytest.MonkeyPatch, engine: sa.Engine, smtp: SmtpServer) -> None:
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.setenv("LISTENER_SMTP_URL", smtp.url())


def received(smtp: SmtpServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for mail in smtp.handler.received:
        for to in mail.rcpt_tos:
            counts[to] = counts.get(to, 0) + 1
    return counts


def test_digest_send_delivers_once_per_recipient_however_often_it_runs(
    sample: tuple[sa.Engine, ListenerConfig],
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine, _ = sample
    use(monkeypatch, engine, smtp_server)
    code, stdout, _ = invoke(
        monkeypatch, capsys, "digest", "send", "--week", "2026-W47", "--dry-run"
    )
    assert code == 0 and stdout.count("\tsend\t") == RECIPIENTS and not smtp_server.handler.received
    code, stdout, stderr = invoke(monkeypatch, capsys, "digest", "send", "--week", "2026-W47")
    assert code == 0, stderr
    assert stdout.count("\tsent") == RECIPIENTS
    code, stdout, _ = invoke(monkeypatch, capsys, "digest", "send", "--week", "2026-W47")
    assert code == 0 and stdout.count("\talready_sent") == RECIPIENTS
    counts = received(smtp_server)
    assert len(counts) == RECIPIENTS and set(counts.values()) == {1}
    mail: Message = email.message_from_bytes(smtp_server.handler.received[0].data)
    assert mail.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in mail.walk()]
    assert "text/plain" in parts and "text/html" in parts and "image/png" in parts
    assert mail["Subject"].startswith("Weekly insight")


def test_digest_send_without_an_smtp_server_configured_says_so(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    code, _, stderr = invoke(monkeypatch, capsys, "digest", "send", "--week", "2026-W47")
    assert code == 1 and "LISTENER_SMTP_URL is not set" in stderr


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (datetime(2026, 11, 23, 6, 59, tzinfo=UTC), "2026-W46"),  # Monday, before 07:00 London
        (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "2026-W47"),
        (datetime(2026, 11, 29, 23, 0, tzinfo=UTC), "2026-W47"),  # Sunday night
        (datetime(2026, 6, 29, 6, 0, tzinfo=UTC), "2026-W26"),  # 07:00 BST is 06:00 UTC
    ],
)
def test_the_due_week_is_the_one_just_ended_from_monday_seven_am_london(
    now: datetime, week: str
) -> None:
    assert insight.due_week(now).label == week


def test_the_monday_job_sends_once_and_a_missed_monday_catches_up_once(
    sample: tuple[sa.Engine, ListenerConfig], smtp_server: SmtpServer
) -> None:
    engine, config = sample
    smtp = parse_smtp_url(smtp_server.url())
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the service was down on Monday
    first = insight.run_weekly_digests(engine, config=config, smtp=smtp, now=tuesday)
    assert first is not None and first.sent == RECIPIENTS
    again = insight.run_weekly_digests(engine, config=config, smtp=smtp, now=tuesday)
    assert again is not None and again.sent == 0
    assert set(received(smtp_server).values()) == {1}
    with engine.connect() as conn:
        builds = conn.scalar(sa.text("SELECT count(*) FROM digests WHERE week = '2026-W47'"))
    assert builds == 5  # one per department: the second run rebuilt nothing


def test_the_service_schedules_the_digest_for_monday_seven_am_london(engine: sa.Engine) -> None:
    deps = JobDeps(
        engine, build=lambda names: {}, analyze=lambda e, c: None, digest=lambda e, now: None
    )
    specs = {spec.id: spec for spec in later_jobs(deps)}
    monday = specs["digest"]
    assert monday.run_at_start  # catches up a Monday missed while the service was down
    after = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    fire = monday.trigger.get_next_fire_time(None, after)
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    summer = monday.trigger.get_next_fire_time(None, datetime(2026, 6, 23, tzinfo=UTC))
    assert summer is not None and summer.astimezone(UTC) == datetime(2026, 6, 29, 6, 0, tzinfo=UTC)
    assert not specs["digest-retry"].run_at_start
    assert later_jobs(JobDeps(engine, build=lambda names: {}, analyze=lambda e, c: None)) == []


def test_written_eml_is_ready_to_send(
    sample: tuple[sa.Engine, ListenerConfig], tmp_path: Path
) -> None:
    engine, config = sample
    (department,) = insight.departments_for(engine, "desnz")
    _, context = insight.build_digest(
        engine, department, insight.due_week(datetime(2026, 11, 23, 8, tzinfo=UTC)), config=config
    )
    paths = insight.write_digest(
        context, out_dir=tmp_path, sender=config.digest.sender, recipients=["a@example.gov.uk"]
    )
    eml = next(p for p in paths if p.suffix == ".eml")
    message = email.message_from_bytes(eml.read_bytes())
    assert message["To"] == "a@example.gov.uk" and message["From"] == config.digest.sender
    assert eml.stat().st_size < 1_000_000

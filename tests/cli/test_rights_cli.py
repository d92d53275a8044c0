"""`listener retention`, `listener subject` and the X gate, as an operator uses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener.store import audit
from tests.cli.runner import invoke
from tests.store.dataprotection import DEPARTMENTS, column
from tests.store.test_rights import ALICE_SAYS, USERS, archive, tweet

SUBJECT = ("--author", "@alice", "--platform", "x", "--reference", "DSAR-9",
           "--requester", "Information rights team")  # fmt: skip
X_SOURCE = """\
sources:
  x:
    enabled: true
    base_url: http://127.0.0.1:9
    credentials:
      bearer_token: LISTENER_X_BEARER_TOKEN
"""


@pytest.fixture
def setup(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> sa.Engine:
    config = tmp_path / "listener.yaml"
    config.write_text(DEPARTMENTS + X_SOURCE)
    monkeypatch.setenv("LISTENER_CONFIG", str(config))
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_SECRET_KEY", "a-long-random-secret-for-tests-only")
    assert invoke(monkeypatch, capsys, "config", "import")[0] == 0
    return engine


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):  # type: ignore[no-untyped-def]
    return invoke(monkeypatch, capsys, *args)


def test_retention_dry_run_reports_per_department_and_platform_then_the_run_deletes(
    setup: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    data = [tweet("1", "#NHS from long ago", "1", created_at="2020-01-07T10:00:00.000Z"),
            tweet("2", "#SEND from long ago", "1", created_at="2020-01-07T11:00:00.000Z"),
            tweet("3", "#NHS this week", "3", created_at=recent)]  # fmt: skip
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"data": data, "includes": {"users": USERS}}) + "\n")
    assert run(monkeypatch, capsys, "import", str(path), "--format", "twarc2")[0] == 0

    code, out, err = run(monkeypatch, capsys, "retention", "--dry-run")

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["department", "platform", "kept", "for", "before", "posts"]
    assert [line.split()[:4] + line.split()[-1:] for line in lines[1:]] == [
        ["dfe", "x", "13", "months", "1"],
        ["dhsc", "x", "13", "months", "1"],
    ]
    assert "dry run: would delete 2 posts, 1 accounts, 0 archived digests" in err
    assert column(setup, "SELECT native_id FROM posts") == {"1", "2", "3"}

    code, _, err = run(monkeypatch, capsys, "retention")
    assert code == 0 and err.startswith("deleted 2 posts, 1 accounts")
    assert column(setup, "SELECT native_id FROM posts") == {"3"}
    code, out, _ = run(monkeypatch, capsys, "retention", "--dry-run")
    assert out.strip() == "nothing is past retention"


def test_subject_export_writes_json_and_erase_suppresses_the_author(
    setup: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = str(archive(tmp_path))
    assert run(monkeypatch, capsys, "import", file, "--format", "twarc2")[0] == 0
    out_file = tmp_path / "dsar.json"

    code, _, err = run(monkeypatch, capsys, "subject", "export", *SUBJECT, "-o", str(out_file))

    assert code == 0 and "2 posts and 1 account records" in err
    exported = json.loads(out_file.read_text())
    assert exported["posts"][0]["text"] == ALICE_SAYS["text"]

    code, _, err = run(monkeypatch, capsys, "subject", "erase", *SUBJECT, "--yes")
    assert code == 0 and "2 posts, 1 reposts of them by others" in err
    assert run(monkeypatch, capsys, "import", file, "--format", "twarc2")[0] == 0
    assert column(setup, "SELECT native_id FROM posts") == {"12", "14"}
    with setup.connect() as conn:
        actions = [(e.action, e.target) for e in audit.entries(conn)]
    assert actions == [("subject.erase", "DSAR-9"), ("subject.export", "DSAR-9")]
    code, out, _ = run(monkeypatch, capsys, "subject", "export", *SUBJECT)
    assert code == 0 and json.loads(out)["posts"] == []
    code, out, _ = run(monkeypatch, capsys, "subject", "list")
    assert code == 0 and out.split("\t")[:3] == ["1", "x", "DSAR-9"] and "alice" not in out
    code, _, err = run(monkeypatch, capsys, "subject", "lift", "1", "--reference", "DSAR-12")
    assert code == 0 and "entry 1 lifted" in err
    assert run(monkeypatch, capsys, "subject", "list")[1] == ""


def test_erase_without_a_secret_key_exits_1_saying_why(
    setup: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LISTENER_SECRET_KEY")

    code, _, err = run(monkeypatch, capsys, "subject", "erase", *SUBJECT, "--yes")

    assert code == 1 and "LISTENER_SECRET_KEY is not set" in err
    assert column(setup, "SELECT count(*) FROM suppressions") == {0}


def test_collect_from_x_without_its_approval_exits_1_saying_why(
    setup: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LISTENER_X_BEARER_TOKEN", "a-token")

    code, out, _ = run(monkeypatch, capsys, "collect", "--source", "x")

    assert code == 1
    assert "x: failed" in out and "until X approves its use" in out
    assert "government_use_approval" in out

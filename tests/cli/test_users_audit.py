"""`listener users add` and `listener audit verify` as an operator uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import jobs
from listener.configfile import load_config
from listener.store import users
from tests.cli.runner import invoke
from tests.conftest import EXAMPLE_CONFIG


@pytest.fixture
def configured(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    return engine


def test_users_add_creates_then_updates_an_account_and_audits_both(
    configured: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough password\n")
    args = (
        "users",
        "add",
        "Ann@Example.gov.uk",
        "--role",
        "viewer",
        "--department",
        "dft",
        "--password-file",
        str(secret),
    )
    code, _, stderr = invoke(monkeypatch, capsys, *args)
    assert code == 0 and "created (viewer)" in stderr
    code, _, stderr = invoke(monkeypatch, capsys, *args[:4], "editor", *args[5:])
    assert code == 0 and "updated (editor)" in stderr
    with configured.connect() as conn:
        account = users.by_email(conn, "ann@example.gov.uk")
    assert account is not None and account.role == "editor" and len(account.department_ids) == 1
    assert "a long enough password" not in account.password_hash
    code, _, stderr = invoke(monkeypatch, capsys, "audit", "verify")
    assert code == 0 and "2 entries, chain intact" in stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--role", "viewer", "--department", "nope"), "--department: no department 'nope'"),
        (("--role", "viewer"), "--department: editors and viewers need at least one department"),
        (("--role", "boss"), "--role: expected one of admin, editor, viewer"),
    ],
)
def test_users_add_refuses_bad_input_in_one_line(
    configured: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    message: str,
) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough password\n")
    code, _, stderr = invoke(
        monkeypatch,
        capsys,
        "users",
        "add",
        "ann@example.gov.uk",
        *extra,
        "--password-file",
        str(secret),
    )
    assert code == 1 and message in stderr


def test_audit_verify_detects_an_altered_entry(
    configured: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough password\n")
    for email in ("a@example.gov.uk", "b@example.gov.uk", "c@example.gov.uk"):
        invoke(
            monkeypatch,
            capsys,
            "users",
            "add",
            email,
            "--role",
            "admin",
            "--password-file",
            str(secret),
        )
    with configured.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE id = 2"))
    code, _, stderr = invoke(monkeypatch, capsys, "audit", "verify")
    assert code == 1 and "entry 2 was altered" in stderr and "1 entries before it" in stderr

"""Settings come from LISTENER_* env vars, then ./.env; bad values are one-line ConfigErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.errors import ConfigError
from listener.settings import Settings, load_settings, secret_from_env

CANARY = "canary-Zx81-do-not-print"


def write_dotenv(text: str) -> None:
    Path(".env").write_text(text, encoding="utf-8")
    Path(".env").chmod(0o600)  # a secrets file only its owner can read


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings()

    assert settings.database_url == "sqlite:///data/listener.db"
    assert settings.config == Path("config/listener.yaml")
    assert settings.smtp_url is None
    assert settings.secret_key is None
    assert settings.workers is None


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_DATABASE_URL", "postgresql+psycopg://db/listener")
    monkeypatch.setenv("LISTENER_CONFIG", "elsewhere/listener.yaml")
    monkeypatch.setenv("LISTENER_WORKERS", "3")
    monkeypatch.setenv("LISTENER_SMTP_URL", "smtp://mail.example:25")

    settings = load_settings()

    assert settings.database_url == "postgresql+psycopg://db/listener"
    assert settings.config == Path("elsewhere/listener.yaml")
    assert settings.workers == 3
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == "smtp://mail.example:25"


def test_dotenv_is_read_and_env_vars_win(monkeypatch: pytest.MonkeyPatch) -> None:
    write_dotenv("LISTENER_WORKERS=2\nLISTENER_SECRET_KEY=from-dotenv\n")
    monkeypatch.setenv("LISTENER_WORKERS", "5")

    settings = load_settings()

    assert settings.workers == 5
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "from-dotenv"


def test_dotenv_may_hold_credentials_named_by_the_config() -> None:
    write_dotenv("LISTENER_X_BEARER_TOKEN=abc\n")

    assert load_settings().workers is None


def test_empty_values_count_as_unset() -> None:
    write_dotenv("LISTENER_SECRET_KEY=\nLISTENER_WORKERS=\n")

    settings = load_settings()

    assert settings.secret_key is None
    assert settings.workers is None


def test_bad_integer_names_the_env_var_and_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_WORKERS", CANARY)

    with pytest.raises(ConfigError) as info:
        load_settings()

    assert str(info.value) == "LISTENER_WORKERS: must be an integer"
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_bad_value_in_dotenv_is_reported_the_same_way() -> None:
    write_dotenv("LISTENER_WORKERS=abc\n")

    with pytest.raises(ConfigError, match=r"^LISTENER_WORKERS: must be an integer$"):
        load_settings()


def test_workers_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_WORKERS", "0")

    with pytest.raises(ConfigError, match=r"^LISTENER_WORKERS: must be at least 1$"):
        load_settings()


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", CANARY)
    monkeypatch.setenv("LISTENER_SMTP_URL", f"smtp://user:{CANARY}@mail.example")
    monkeypatch.setenv("LISTENER_DATABASE_URL", f"postgresql://listener:{CANARY}@db/listener")

    settings = load_settings()

    assert CANARY not in repr(settings)
    assert CANARY not in str(settings)
    assert isinstance(settings, Settings)


def test_secret_from_env_reads_the_given_mapping_only() -> None:
    write_dotenv("LISTENER_X_BEARER_TOKEN=from-dotenv\n")

    found = secret_from_env("LISTENER_X_BEARER_TOKEN", {"LISTENER_X_BEARER_TOKEN": "tok"})
    missing = secret_from_env("LISTENER_X_BEARER_TOKEN", {})

    assert found is not None
    assert found.get_secret_value() == "tok"
    assert missing is None


def test_secret_from_env_reads_environment_then_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    write_dotenv("LISTENER_X_BEARER_TOKEN=from-dotenv\nLISTENER_MASTODON_ACCESS_TOKEN=m\n")
    monkeypatch.setenv("LISTENER_X_BEARER_TOKEN", "from-env")

    x_token = secret_from_env("LISTENER_X_BEARER_TOKEN")
    mastodon_token = secret_from_env("LISTENER_MASTODON_ACCESS_TOKEN")

    assert x_token is not None
    assert x_token.get_secret_value() == "from-env"
    assert mastodon_token is not None
    assert mastodon_token.get_secret_value() == "m"


def test_secret_from_env_treats_empty_as_unset() -> None:
    write_dotenv("LISTENER_X_BEARER_TOKEN=\n")

    assert secret_from_env("LISTENER_X_BEARER_TOKEN") is None
    assert secret_from_env("LISTENER_X_BEARER_TOKEN", {"LISTENER_X_BEARER_TOKEN": ""}) is None


def test_secret_from_env_without_dotenv_file() -> None:
    assert secret_from_env("LISTENER_NOT_THERE") is None


def test_logs_are_json_lines_off_a_terminal_and_key_values_on_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import json
    import logging

    from listener import logs

    stream = io.StringIO()
    logger = logging.getLogger("listener.test.json")
    logs.configure(logger, stream=stream)
    logs.event(logger, "job.end", job="collect:x", run_id=7, error="")
    line = json.loads(stream.getvalue())
    assert line["event"] == "job.end" and line["run_id"] == 7 and "error" not in line
    assert line["level"] == "INFO" and line["time"].endswith("Z")

    monkeypatch.setenv("LISTENER_LOG_FORMAT", "text")
    text = io.StringIO()
    other = logging.getLogger("listener.test.text")
    logs.configure(other, stream=text)
    logs.event(other, "job.end", job="collect:x", reason="rate limited")
    assert text.getvalue().rstrip().endswith('event=job.end job=collect:x reason="rate limited"')


def test_a_secrets_file_other_users_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from listener.errors import ConfigError
    from listener.settings import load_settings

    monkeypatch.chdir(tmp_path)
    env = tmp_path / ".env"
    env.write_text("LISTENER_SMTP_URL=smtp://user:hunter2hunter2@mail.example:25\n")
    env.chmod(0o644)
    with pytest.raises(ConfigError, match=r"^\.env: other users can read .*mode 644.*chmod 600"):
        load_settings()
    env.chmod(0o600)
    assert load_settings().smtp_url is not None


def test_a_credential_can_come_from_a_secrets_file_only_its_owner_reads(tmp_path: Path) -> None:
    from listener.errors import ConfigError
    from listener.settings import secret_from_env

    secret = tmp_path / "x_bearer_token"
    secret.write_text("AAAA-token\n")
    secret.chmod(0o600)
    found = secret_from_env(f"file:{secret}")
    assert found is not None and found.get_secret_value() == "AAAA-token"
    assert secret_from_env(f"file:{tmp_path / 'missing'}") is None
    secret.chmod(0o640)
    with pytest.raises(ConfigError, match="other users can read or change this secrets file"):
        secret_from_env(f"file:{secret}")

"""Settings: the one place environment variables and the .env file are read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict

from listener.errors import ConfigError

ENV_PREFIX = "LISTENER_"
ENV_FILE = ".env"

# pydantic's own wording for these mentions Python types; people read env var names.
_REASONS = {
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "int_type": "must be an integer",
    "greater_than_equal": "must be at least 1",
    "string_type": "must be text",
    "path_type": "must be a file path",
}


class Settings(BaseSettings):
    """Process-wide settings from LISTENER_* env vars, then ./.env (env vars win)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        # .env also holds the credentials the config names (LISTENER_X_BEARER_TOKEN, ...).
        extra="ignore",
    )

    # repr=False: a PostgreSQL URL can carry a password, and Settings may end up in a log line.
    database_url: str = Field(default="sqlite:///data/listener.db", repr=False)
    config: Path = Path("config/listener.yaml")
    smtp_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    workers: int | None = Field(default=None, ge=1)


def load_settings() -> Settings:
    """Read settings once; raise a one-line ConfigError naming the bad env var."""
    check_secrets_file(Path(ENV_FILE))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_settings_error_line(exc)) from None


def check_secrets_file(path: Path) -> None:
    """Refuse a secrets file other users can read or write: its credentials would not be secret."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if mode & 0o077:
        raise ConfigError(
            f"{path}: other users can read or change this secrets file"
            f" (mode {mode & 0o777:03o}); run: chmod 600 {path}"
        )


def _settings_error_line(exc: ValidationError) -> str:
    """Describe the first settings error without echoing the value (it may be a secret)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    reason = _REASONS.get(error["type"], str(error["msg"]).lower())
    return f"{ENV_PREFIX}{field.upper()}: {reason}"


def secret_from_env(name: str, environ: Mapping[str, str] | None = None) -> SecretStr | None:
    """Look up a credential the config names: an env var (``environ`` if given, else
    os.environ then ./.env), or ``file:/path`` (a secrets file such as /run/secrets/x,
    which only its owner may read; one value, a trailing newline ignored).

    An empty value counts as not set, as in the .env example.
    """
    if name.startswith(SECRET_FILE_PREFIX):
        return _secret_from_file(Path(name.removeprefix(SECRET_FILE_PREFIX)))
    if environ is None:
        value = os.environ.get(name) or _dotenv_values().get(name)
    else:
        value = environ.get(name)
    return SecretStr(value) if value else None


SECRET_FILE_PREFIX = "file:"


def _secret_from_file(path: Path) -> SecretStr | None:
    if not path.exists():
        return None
    check_secrets_file(path)
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read this secrets file: {exc.strerror}") from None
    return SecretStr(value) if value else None


def _dotenv_values() -> Mapping[str, str | None]:
    """Variables in ./.env, parsed by the same machinery Settings uses."""
    source = DotEnvSettingsSource(Settings, env_file=ENV_FILE, case_sensitive=True)
    return source.env_vars

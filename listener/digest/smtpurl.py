"""The mail server to send through: LISTENER_SMTP_URL parsed, and a connection opened as it says.

    smtp://[user:password@]host[:port]            plain SMTP, port 25
    smtp+starttls://[user:password@]host[:port]   STARTTLS required, port 587
    smtps://[user:password@]host[:port]           TLS from the first byte, port 465

User name and password are percent-decoded (write ``@ : / ? #`` in them as
``%40 %3A %2F %3F %23``). Query options: ``timeout=`` seconds for each network
step (default 30, at most 120) and ``cafile=`` a PEM bundle of the CAs to trust
instead of the system's (a private CA or a self-signed relay). Certificates and host names are
always verified. Credentials over plain ``smtp://`` are allowed for a relay on a
trusted network, but travel in clear text.

No error, repr or str shows the password.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import SecretStr

from listener.errors import ConfigError

Security = Literal["plain", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
_SCHEME_OF = {security: scheme for scheme, (security, _) in _SCHEMES.items()}
_OPTION_NAME = re.compile(r"[A-Za-z_]{1,32}")  # echoed in errors only if it looks like a name
_ENV = "LISTENER_SMTP_URL"
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 120


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail; the password is a SecretStr and never in repr or str."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    cafile: Path | None = None

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{_SCHEME_OF[self.security]}://{user}{host}:{self.port}"

    def secret(self) -> str:
        """The password in clear, for AUTH and for scrubbing it out of messages ("" if none)."""
        return self.password.get_secret_value() if self.password else ""


def parse_smtp_url(url: str | SecretStr) -> SmtpConfig:
    """Read LISTENER_SMTP_URL; a ConfigError names the variable and never echoes the password."""
    text = url.get_secret_value() if isinstance(url, SecretStr) else url
    scheme, sep, _ = text.partition("://")
    if not sep or scheme.lower() not in _SCHEMES:
        shown = f" {scheme!r}" if sep and _OPTION_NAME.fullmatch(scheme.replace("+", "_")) else ""
        raise _error(f"unknown scheme{shown} (use smtp://, smtp+starttls:// or smtps://)")
    security, default_port = _SCHEMES[scheme.lower()]
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced [ in an IPv6 host; its message may quote the URL
        raise _error("not a URL" + _ENCODING_HINT) from None
    if not parts.hostname:
        raise _error("no host name" + _ENCODING_HINT)
    if parts.path not in ("", "/") or parts.fragment:
        raise _error("unexpected path or #fragment after the host" + _ENCODING_HINT)
    port = _port(parts.netloc) or default_port
    username, password = _credentials(parts.username, parts.password)
    timeout, cafile = _options(parts.query)
    if cafile is not None and security == "plain":
        raise _error("cafile= needs smtp+starttls:// or smtps:// (plain smtp:// has no TLS)")
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security=security,
        username=username,
        password=password,
        timeout=timeout,
        cafile=cafile,
    )


_ENCODING_HINT = "; percent-encode @ : / ? # in the user name and password"


def _error(reason: str) -> ConfigError:
    return ConfigError(f"{_ENV}: {reason}")


def _port(netloc: str) -> int | None:
    # urlsplit's .port would put the offending text in its ValueError; read it ourselves.
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        hostport = hostport.partition("]")[2]
    digits = hostport.rpartition(":")[2] if ":" in hostport else ""
    if not digits:
        return None
    if not digits.isdigit() or not 0 < int(digits) < 65536:
        raise _error("the port must be a number from 1 to 65535" + _ENCODING_HINT)
    return int(digits)


def _credentials(user: str | None, password: str | None) -> tuple[str | None, SecretStr | None]:
    if user is None and password is None:
        return None, None
    if not user or not password:
        raise _error("give both a user name and a password (user:password@host), or neither")
    return unquote(user), SecretStr(unquote(password))


def _options(query: str) -> tuple[float, Path | None]:
    timeout, cafile = DEFAULT_TIMEOUT, None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "timeout":
            timeout = _timeout(value)
        elif name == "cafile":
            cafile = Path(unquote(value)).expanduser()
            if not cafile.is_file():
                raise _error(f"cafile {str(cafile)!r} is not a readable file")
        else:
            shown = f" {name!r}" if _OPTION_NAME.fullmatch(name) else ""
            raise _error(f"unknown option{shown} (known: timeout, cafile)" + _ENCODING_HINT)
    return timeout, cafile


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    # Capped so one message's few network steps stay well inside deliver.CLAIM_LEASE (15 min).
    if not 0 < seconds <= MAX_TIMEOUT:
        raise _error(f"timeout= must be a number of seconds, more than 0 and at most {MAX_TIMEOUT}")
    return seconds


def tls_context(config: SmtpConfig) -> ssl.SSLContext:
    """A verifying client context: the cafile's CAs if given, else the system's."""
    try:
        return ssl.create_default_context(cafile=str(config.cafile) if config.cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise _error(f"cafile {str(config.cafile)!r} is not a PEM CA bundle ({exc})") from None


def connect(config: SmtpConfig, *, context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """An open, greeted, secured and logged-in SMTP session; smtplib and OSError errors pass up."""
    if config.security != "plain" and context is None:
        context = tls_context(config)
    if config.security == "tls":
        session: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=context
        )
    else:
        session = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        session.ehlo()
        if config.security == "starttls":
            if not session.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            session.starttls(context=context)
            session.ehlo()
        if config.username:
            session.login(config.username, config.secret())
    except BaseException:
        session.close()
        raise
    return session

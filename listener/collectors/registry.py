"""Build the live collectors the config enables: one entry per source name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from listener.collectors.base import Collector, Page, SourceReport, Target, WatchLike
from listener.collectors.http import Clock, HttpClient
from listener.configfile import ListenerConfig, SourceConfig
from listener.errors import FatalSourceError, UserError
from listener.settings import secret_from_env

X_NOT_APPROVED = (
    "x is off until X approves its use by your department: record the approval's reference"
    " as sources.x.government_use_approval in the config, or on the admin page"
)


def build_collectors(
    config: ListenerConfig,
    *,
    names: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> dict[str, Collector]:
    """The collectors for `names` (default: every enabled source), built from the config."""
    for name in names:
        if name not in config.sources:
            known = ", ".join(config.sources) or "none"
            raise UserError(f"--source: {name!r} is not in the config (configured: {known})")
        if not config.sources[name].enabled:
            raise UserError(f"--source: {name} is disabled in the config (set enabled: true)")
    chosen = list(dict.fromkeys(names)) or [n for n, s in config.sources.items() if s.enabled]
    return {name: _build(name, config.sources[name], _Env(environ, clock)) for name in chosen}


@dataclass(frozen=True)
class _Env:
    """What building a collector needs besides its config section."""

    environ: Mapping[str, str] | None
    clock: Clock | None


def _build(name: str, source: SourceConfig, env: _Env) -> Collector:
    if name == "rss":
        from listener.collectors.rss import RssCollector

        return RssCollector(client=HttpClient(source.base_url or "", clock=env.clock))
    if name == "mastodon":
        from listener.collectors.mastodon import MastodonCollector

        headers = _bearer(source, "access_token", env.environ)
        instances = source.instances or [source.base_url]
        clients = {url: HttpClient(url, headers=headers, clock=env.clock) for url in instances}
        return MastodonCollector(clients=clients, backfill=source.backfill)
    if name == "bluesky":
        return _bluesky(source, env)
    if name == "x":
        return _x(source, env)
    return Unavailable(name)


def _x(source: SourceConfig, env: _Env) -> Collector:
    from listener.collectors.x import DEFAULT_BASE_URL, XCollector, XSettings

    headers = _bearer(source, "bearer_token", env.environ)
    if not headers:
        return Unavailable(
            "x",
            reason="x needs credentials.bearer_token naming a set environment variable"
            " (an app bearer token from the X developer portal; Basic tier or higher)",
        )
    if not source.government_use_approval.strip():
        # X's developer terms expect its approval before use by or for a government body.
        return Unavailable("x", reason=X_NOT_APPROVED)
    client = HttpClient(source.base_url or DEFAULT_BASE_URL, headers=headers, clock=env.clock)
    return XCollector(client=client, settings=XSettings(backfill=source.backfill))


def _bluesky(source: SourceConfig, env: _Env) -> Collector:
    from listener.collectors.bluesky import BlueskyCollector

    handle = _credential(source, "handle", env.environ)
    password = _credential(source, "app_password", env.environ)
    if handle is None or password is None:
        return Unavailable(
            "bluesky",
            reason="bluesky needs credentials.handle and credentials.app_password, each naming"
            " a set environment variable (the account handle, and an app password)",
        )
    client = HttpClient(source.base_url or "https://bsky.social", clock=env.clock)
    return BlueskyCollector(
        client=client,
        identifier=handle.get_secret_value(),
        app_password=password,
        backfill=source.backfill,
    )


def _credential(
    source: SourceConfig, credential: str, environ: Mapping[str, str] | None
) -> SecretStr | None:
    variable = source.credentials.get(credential)
    return secret_from_env(variable, environ) if variable else None


def _bearer(
    source: SourceConfig, credential: str, environ: Mapping[str, str] | None
) -> dict[str, SecretStr]:
    token = _credential(source, credential, environ)
    if token is None:
        return {}
    return {"Authorization": SecretStr("Bearer " + token.get_secret_value())}


class Unavailable:
    """A configured source that cannot run: every run of it fails, saying why."""

    def __init__(self, name: str, *, reason: str = "") -> None:
        self.name = name
        self.reason = reason or f"the {name} collector is not available in this version of listener"
        self.report = SourceReport()

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        """Fail: this source cannot run."""
        raise FatalSourceError(self.reason)

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        """Fail: this source cannot run."""
        raise FatalSourceError(self.reason)

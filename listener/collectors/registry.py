"""Build the live collectors the config enables: one entry per source name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from pydantic import SecretStr

from listener.collectors.base import Collector, Page, SourceReport, Target, WatchLike
from listener.collectors.http import HttpClient
from listener.configfile import ListenerConfig, SourceConfig
from listener.errors import FatalSourceError, UserError
from listener.settings import secret_from_env

NOT_YET_AVAILABLE = ("x", "bluesky")  # tracked in issue 3; configuring them fails honestly


def build_collectors(
    config: ListenerConfig, *, names: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, Collector]:
    """The collectors for `names` (default: every enabled source), built from the config."""
    for name in names:
        if name not in config.sources:
            known = ", ".join(config.sources) or "none"
            raise UserError(f"--source: {name!r} is not in the config (configured: {known})")
        if not config.sources[name].enabled:
            raise UserError(f"--source: {name} is disabled in the config (set enabled: true)")
    chosen = list(dict.fromkeys(names)) or [n for n, s in config.sources.items() if s.enabled]
    return {name: _build(name, config.sources[name], environ) for name in chosen}


def _build(name: str, source: SourceConfig, environ: Mapping[str, str] | None) -> Collector:
    if name == "rss":
        from listener.collectors.rss import RssCollector

        return RssCollector(client=HttpClient(source.base_url or ""))
    if name == "mastodon":
        from listener.collectors.mastodon import MastodonCollector

        headers = _bearer(source, "access_token", environ)
        instances = source.instances or [source.base_url]
        return MastodonCollector(
            clients={url: HttpClient(url, headers=headers) for url in instances}
        )
    return Unavailable(name)


def _bearer(
    source: SourceConfig, credential: str, environ: Mapping[str, str] | None
) -> dict[str, SecretStr]:
    variable = source.credentials.get(credential)
    token = secret_from_env(variable, environ) if variable else None
    if token is None:
        return {}
    return {"Authorization": SecretStr("Bearer " + token.get_secret_value())}


class Unavailable:
    """A configured source this version cannot collect: every run of it fails, saying why."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.report = SourceReport()

    def targets(self, watches: Sequence[WatchLike]) -> list[Target]:
        raise FatalSourceError(
            f"the {self.name} collector is not available in this version of listener"
        )

    def collect(self, target: Target, *, cursor: str | None, now: datetime) -> Iterator[Page]:
        raise FatalSourceError(
            f"the {self.name} collector is not available in this version of listener"
        )

"""The config file: parse config/listener.yaml, validate it, report problems as file:line."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML

from listener.errors import ConfigError, QuerySyntaxError
from listener.periods import Period, parse_period
from listener.settings import secret_from_env
from listener.yamlfile import Loc, read_yaml

SOURCE_NAMES = ("x", "mastodon", "bluesky", "rss")
DEFAULT_INTERVAL = timedelta(minutes=30)
DEFAULT_BACKFILL = timedelta(days=7)
MIN_INTERVAL = timedelta(minutes=1)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,30}[a-z0-9]")
_HASHTAG = re.compile(r"#?\w+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_ENV_VAR = re.compile(r"[A-Z][A-Z0-9_]*")
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_MASTODON_HANDLE = re.compile(r"[A-Za-z0-9_.-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?")
_BLUESKY_HANDLE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|did:[a-z]+:[A-Za-z0-9._:%-]+")
_INTERVAL = re.compile(r"(\d+)\s*([smhd])")
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,15}")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey")
_INLINE_SECRET = (
    "looks like a secret written inline;"
    " put it in an environment variable and give its name {where}"
)
# pydantic's wording names Python types; these name what to write in YAML.
_TYPE_REASONS = {
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def _invalid(reason: str, **context: Any) -> PydanticCustomError:
    """A validation error whose message is ``reason`` exactly, with extra hints for the locator."""
    return PydanticCustomError("listener", "{reason}", {"reason": reason, **context})


# --- value checks: each takes the raw string and returns the value to keep ------------------


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise _invalid("is empty")
    return value


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise _invalid(
            f"malformed slug {value!r} (2-32 lowercase letters, digits and hyphens,"
            " not starting or ending with a hyphen)"
        )
    return value


def _hashtag(value: str) -> str:
    value = value.strip()
    if not _HASHTAG.fullmatch(value):
        raise _invalid(f"malformed hashtag {value!r} (letters, digits and _ only)")
    return value if value.startswith("#") else f"#{value}"


def _keyword(value: str) -> str:
    value = _text(value)
    from listener.query import keyword_watch  # lazy, as in _query

    try:
        keyword_watch(value)
    except QuerySyntaxError:
        raise _invalid(f"keyword {value!r} has no words to match") from None
    return value


def _query(value: str) -> str:
    value = _text(value)
    from listener.query import parse  # lazy: config models import without the query parser

    try:
        parse(value)
    except QuerySyntaxError as exc:
        raise _invalid(f"malformed query: {exc}") from None
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise _invalid(f"malformed email address {value!r} (expected name@domain)")
    return value


def _url(value: str, what: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise _invalid(f"malformed {what} {value!r} (an http:// or https:// URL)")
    return value


def _base_url(value: str) -> str:
    return _url(value, "base URL") if value.strip() else ""


def _issuer(value: str) -> str:
    """https, or http on this machine only (a test provider): the client secret goes there."""
    value = _url(value, "issuer URL")
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise _invalid(
            f"issuer URL {value!r} must start https:// (the client secret is sent to it)"
        )
    return value


def _scopes(scopes: list[str]) -> list[str]:
    for scope in scopes:
        if not re.fullmatch(r"[!#-\[\]-~]+", scope):
            raise _invalid(f"malformed scope {scope!r} (one word, no spaces or quotes)")
    if "openid" not in scopes or "email" not in scopes:
        raise _invalid("scopes must include openid and email (listener signs people in by email)")
    return scopes


def _handle(pattern: re.Pattern[str], platform: str, rule: str) -> AfterValidator:
    def check(value: str) -> str:
        handle = value.strip().removeprefix("@")
        if not pattern.fullmatch(handle):
            raise _invalid(f"malformed {platform} account {value.strip()!r} ({rule})")
        return handle

    return AfterValidator(check)


def _env_var_name(value: str) -> str:
    """An env var's name, or ``file:/absolute/path`` of a secrets file."""
    value = value.strip()
    if value.startswith("file:"):
        if not value.removeprefix("file:").startswith("/"):
            raise _invalid("a secrets file must be an absolute path, as in file:/run/secrets/name")
        return value
    # Never quote the value: if it is not a name, it is probably the secret itself.
    if not _ENV_VAR.fullmatch(value):
        raise _invalid(_INLINE_SECRET.format(where="here"))
    return value


def parse_interval(value: object) -> timedelta:
    """Turn ``30s``, ``15m``, ``1h``, ``1d`` or a whole number of seconds into a timedelta."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and (match := _INTERVAL.fullmatch(value.strip())):
        seconds = int(match[1]) * _UNITS[match[2]]
    else:
        shown = f" {value!r}" if isinstance(value, str) else ""
        raise _invalid(f"malformed interval{shown} (use e.g. 30s, 15m, 1h, 1d, or whole seconds)")
    if seconds < MIN_INTERVAL.total_seconds():
        raise _invalid(
            f"interval {format_interval(timedelta(seconds=seconds))} is too short (minimum 1m)"
        )
    return timedelta(seconds=seconds)


def format_interval(interval: timedelta) -> str:
    """Render an interval in the largest whole unit: 900 seconds -> ``15m``."""
    seconds = int(interval.total_seconds())
    for unit, size in _UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Text = Annotated[str, AfterValidator(_text)]
Slug = Annotated[str, AfterValidator(_slug)]
Hashtag = Annotated[str, AfterValidator(_hashtag)]
Keyword = Annotated[str, AfterValidator(_keyword)]
Query = Annotated[str, AfterValidator(_query)]
Email = Annotated[str, AfterValidator(_email)]
FeedUrl = Annotated[str, AfterValidator(lambda v: _url(v, "feed URL"))]
InstanceUrl = Annotated[str, AfterValidator(lambda v: _url(v, "instance URL"))]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
EnvVarName = Annotated[str, AfterValidator(_env_var_name)]
IssuerUrl = Annotated[str, AfterValidator(_issuer)]
Scopes = Annotated[list[Text], AfterValidator(_scopes)]
Interval = Annotated[timedelta, BeforeValidator(parse_interval)]
XHandle = Annotated[str, _handle(_X_HANDLE, "X", "letters, digits and _, up to 15")]
MastodonHandle = Annotated[str, _handle(_MASTODON_HANDLE, "Mastodon", "user or user@instance")]
BlueskyHandle = Annotated[str, _handle(_BLUESKY_HANDLE, "Bluesky", "a domain handle or a DID")]
RetentionPeriod = Annotated[Period, PlainValidator(parse_period), PlainSerializer(str)]


# --- models ----------------------------------------------------------------------------------


class _Section(BaseModel):
    # hide_input_in_errors: a ValidationError that escapes must not print a credential.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class Accounts(_Section):
    """Accounts to follow, per platform (handles without a leading @)."""

    x: list[XHandle] = []
    mastodon: list[MastodonHandle] = []
    bluesky: list[BlueskyHandle] = []


class Watches(_Section):
    """What a department watches; hashtags are kept as written, with a leading #."""

    hashtags: list[Hashtag] = []
    keywords: list[Keyword] = []
    queries: list[Query] = []
    accounts: Accounts = Accounts()
    feeds: list[FeedUrl] = []


class DepartmentConfig(_Section):
    """One department: who gets its digest and what it watches."""

    slug: Slug
    name: Text
    recipients: list[Email] = []
    watches: Watches = Watches()


class SourceConfig(_Section):
    """How to collect from one source; credentials map a name to the env var holding it."""

    enabled: bool = False
    interval: Interval = DEFAULT_INTERVAL
    backfill: Interval = DEFAULT_BACKFILL  # how far back a first run goes
    base_url: BaseUrl = ""
    credentials: dict[str, EnvVarName] = {}
    instances: list[InstanceUrl] = []
    deletion_check_days: PositiveInt = 7  # how far back `listener deletions` asks the platform
    # X only: the reference of X's approval for government use; the collector stays off without.
    government_use_approval: str = ""


class Voices(_Section):
    """Curated accounts by kind of voice; these win over what profile signals suggest."""

    mp: Accounts = Accounts()
    journalist: Accounts = Accounts()
    charity: Accounts = Accounts()
    union: Accounts = Accounts()
    government: Accounts = Accounts()
    business: Accounts = Accounts()


class DigestConfig(_Section):
    """Who the weekly digest comes from and where its links point."""

    sender: Email = "listener@localhost.localdomain"
    web_url: BaseUrl = ""  # the web app's address, for "see this week in listener" links


class OidcConfig(_Section):
    """Single sign-on through the department's OpenID Connect provider (web.oidc)."""

    issuer: IssuerUrl  # discovery at {issuer}/.well-known/openid-configuration
    client_id: Text
    client_secret: EnvVarName  # the env var (or file:/path) holding it, as for sources
    button_text: Text = "Sign in with your department account"
    scopes: Scopes = ["openid", "email", "profile"]


class WebConfig(_Section):
    """The web app: optional single sign-on beside password sign-in."""

    oidc: OidcConfig | None = None


def _check_platforms(periods: dict[str, Period]) -> dict[str, Period]:
    for name in periods:
        if not _PLATFORM.fullmatch(name):
            raise _invalid(f"malformed platform name {name!r} (e.g. x, mastodon, rss)", key=name)
    return periods


PlatformPeriods = Annotated[dict[str, RetentionPeriod], AfterValidator(_check_platforms)]


class DepartmentRetention(_Section):
    """One department's own retention, where it differs from the defaults."""

    posts: RetentionPeriod | None = None
    platforms: PlatformPeriods = {}
    aggregates: RetentionPeriod | None = None


class RetentionConfig(_Section):
    """How long posts and weekly aggregates are kept (see docs/data-protection.md)."""

    posts: RetentionPeriod = Period(months=13)
    platforms: PlatformPeriods = {}  # per platform, for every department
    aggregates: RetentionPeriod = Period(months=36)  # weekly topics, archived digests, ledger
    departments: dict[str, DepartmentRetention] = {}  # by department slug

    def posts_period(self, slug: str | None, platform: str) -> Period:
        """How long a department's posts from a platform are kept (slug None: posts in none).

        The most specific setting wins: the department's for that platform, then the
        platform's (usually its terms, or a risk judgement for everyone), then the
        department's own default, then the default.
        """
        own = self.departments.get(slug) if slug else None
        if own is not None and platform in own.platforms:
            return own.platforms[platform]
        if platform in self.platforms:
            return self.platforms[platform]
        return own.posts if own is not None and own.posts is not None else self.posts

    def aggregates_period(self, slug: str) -> Period:
        """How long a department's weekly topics and digests are kept.

        Never less than its posts: topics of weeks whose posts are still held would
        only be found again at the next `listener analyze`.
        """
        own = self.departments.get(slug)
        chosen = own.aggregates if own is not None and own.aggregates else self.aggregates
        named = {*self.platforms, *(own.platforms if own else ())}
        periods = [chosen, own.posts if own and own.posts else self.posts]
        periods += [self.posts_period(slug, platform) for platform in named]
        return max(periods, key=lambda period: period.approx_days)


class ListenerConfig(_Section):
    """The whole config file."""

    departments: list[DepartmentConfig]
    sources: dict[str, SourceConfig] = {}
    voices: Voices = Voices()
    digest: DigestConfig = DigestConfig()
    retention: RetentionConfig = RetentionConfig()
    web: WebConfig = WebConfig()

    @field_validator("departments")
    @classmethod
    def _unique_slugs(cls, departments: list[DepartmentConfig]) -> list[DepartmentConfig]:
        first: dict[str, int] = {}
        for index, department in enumerate(departments):
            if department.slug in first:
                raise PydanticCustomError(
                    "listener",
                    "{reason} (first at {first})",
                    {
                        "reason": f"duplicate slug {department.slug!r}",
                        "first": f"departments[{first[department.slug]}]",
                        "at": (index, "slug"),
                        "first_at": (first[department.slug], "slug"),
                    },
                )
            first[department.slug] = index
        return departments

    @field_validator("sources", mode="before")
    @classmethod
    def _known_sources(cls, sources: object) -> object:
        for name in sources if isinstance(sources, dict) else ():
            if name not in SOURCE_NAMES:
                expected = ", ".join(SOURCE_NAMES)
                raise _invalid(f"unknown key {name!r} (expected one of: {expected})", key=name)
        return sources

    @model_validator(mode="after")
    def _retention_names_departments(self) -> ListenerConfig:
        slugs = {d.slug for d in self.departments}
        for slug in self.retention.departments:
            if slug not in slugs:
                raise _invalid(
                    f"no department {slug!r} in departments", at=("retention", "departments", slug)
                )
        return self


# --- loading ---------------------------------------------------------------------------------


def load_config(path: Path) -> ListenerConfig:
    """Read and validate the config file; any problem is one ConfigError line naming file:line."""
    plain, lines = read_yaml(path)
    if plain is None:
        raise ConfigError(f"{path}: file is empty (expected 'departments:' and 'sources:')")
    if not isinstance(plain, dict):
        raise ConfigError(f"{path}:1: expected a mapping with 'departments:' and 'sources:'")
    try:
        return ListenerConfig.model_validate(plain)
    except ValidationError as exc:
        located = [_locate(error, lines) for error in exc.errors(include_url=False)]
        line, message = min(located, key=lambda pair: pair[0])
        raise ConfigError(f"{path}:{line}: {message}") from None


# --- error messages --------------------------------------------------------------------------


def _locate(error: ErrorDetails, lines: Mapping[Loc, int]) -> tuple[int, str]:
    """Turn one pydantic error into (line, 'path: reason')."""
    loc: Loc = tuple(part for part in error["loc"] if part != "[key]")
    # Only our own errors carry locator hints ("key", "at", "first_at") in their context.
    ctx = (error.get("ctx") or {}) if error["type"] == "listener" else {}
    path_loc, line_loc = loc, loc
    if error["type"] == "extra_forbidden":
        path_loc, reason = _unknown_key(loc)
    elif error["type"] == "invalid_key" or error["loc"][-1:] == ("[key]",):
        path_loc = loc[:-1]
        reason = f"key {loc[-1]!r} must be text (put it in quotes)"
    elif error["type"] == "missing":
        path_loc = line_loc = loc[:-1]
        reason = f"missing required key {loc[-1]!r}"
    else:
        reason = _reason(error)
    if "key" in ctx:
        line_loc = (*loc, ctx["key"])
    if "at" in ctx:
        path_loc = line_loc = (*loc, *ctx["at"])
    if "first_at" in ctx:
        reason = f"{ctx['reason']} (first at line {_line_of((*loc, *ctx['first_at']), lines)})"
    path = _dotted(path_loc)
    return _line_of(line_loc, lines), f"{path}: {reason}" if path else reason


def _line_of(loc: Loc, lines: Mapping[Loc, int]) -> int:
    """The line of ``loc``, or of its nearest ancestor the file actually contains."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: Loc) -> str:
    """``('departments', 1, 'watches')`` -> ``departments[1].watches``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _reason(error: ErrorDetails) -> str:
    """Plain words for pydantic's type errors; our own errors already carry their reason."""
    kind, given = error["type"], error.get("input")
    if kind == "string_type" and isinstance(given, int | float):
        return "expected text (put it in quotes)"
    if kind == "list_type" and given is None:
        return "expected a list, found nothing (write [] for none)"
    message = _TYPE_REASONS.get(kind, str(error["msg"]))
    return message if kind == "listener" else message[:1].lower() + message[1:]


def _unknown_key(loc: Loc) -> tuple[Loc, str]:
    """(path to show, reason) for a key no model expects; secrets get their own advice."""
    parent, key = loc[:-1], str(loc[-1])
    model = _model_at(parent)
    if model is SourceConfig and any(word in key.lower() for word in _SECRET_WORDS):
        return loc, _INLINE_SECRET.format(where="under credentials")
    expected = f" (expected one of: {', '.join(model.model_fields)})" if model else ""
    return parent, f"unknown key {key!r}{expected}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (to list its keys)."""
    node: Any = ListenerConfig
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(str(part))
            node = field.annotation if field else None
            if get_origin(node) is UnionType:  # an optional section, such as web.oidc
                node = get_args(node)[0]
        elif get_origin(node) in (list, dict):
            node = get_args(node)[-1]
        else:
            return None
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


# --- effective config ------------------------------------------------------------------------


def effective_config_text(
    config: ListenerConfig, *, environ: Mapping[str, str] | None = None
) -> str:
    """The config with defaults filled in, as YAML; credentials show only whether they are set."""
    data = config.model_dump(mode="python")
    for own in data["retention"]["departments"].values():
        for key in [key for key, value in own.items() if value is None]:
            del own[key]  # not set: the defaults apply
    for name, source in config.sources.items():
        shown = data["sources"][name]
        if not source.government_use_approval:
            del shown["government_use_approval"]
        shown["interval"] = format_interval(source.interval)
        shown["backfill"] = format_interval(source.backfill)
        shown["credentials"] = {
            key: f"{var} ({'set' if secret_from_env(var, environ) else 'not set'})"
            for key, var in source.credentials.items()
        }
    if config.web.oidc is None:
        del data["web"]  # no single sign-on: nothing to show
    else:
        var = config.web.oidc.client_secret
        shown_secret = "set" if secret_from_env(var, environ) else "not set"
        data["web"]["oidc"]["client_secret"] = f"{var} ({shown_secret})"
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096  # keep long boolean queries on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()

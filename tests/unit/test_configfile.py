"""config/listener.yaml: every problem is one line naming file:line, field path and reason."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from listener.configfile import (
    ListenerConfig,
    SourceConfig,
    effective_config_text,
    format_interval,
    load_config,
    parse_interval,
)
from listener.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "listener.yaml"
CANARY = "canary-Zx81-do-not-print"
CONFIG = Path("listener.yaml")

# A valid department most tests start from; line 1 is "departments:".
DEPARTMENT = """\
departments:
  - slug: dhsc
    name: Health
"""


def load(text: str) -> ListenerConfig:
    CONFIG.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(CONFIG)


def error_for(text: str) -> str:
    """The ConfigError message for ``text``, checked to be a single line."""
    with pytest.raises(ConfigError) as info:
        load(text)
    message = str(info.value)
    assert "\n" not in message
    # No chained ValidationError: its traceback would print the offending values.
    assert info.value.__context__ is None or info.value.__suppress_context__
    return message


# --- good configs ----------------------------------------------------------------------------


def test_example_config_validates() -> None:
    config = load_config(EXAMPLE)

    assert [d.slug for d in config.departments] == ["dhsc", "dfe", "desnz", "mhclg", "dft"]
    assert config.departments[0].watches.hashtags[0] == "#NHS"
    assert config.sources["x"].interval == timedelta(minutes=15)
    assert config.sources["x"].credentials == {"bearer_token": "LISTENER_X_BEARER_TOKEN"}
    assert config.sources["rss"].enabled is True
    assert config.sources["rss"].base_url == ""


def test_defaults_are_filled_in() -> None:
    config = load(DEPARTMENT + "sources:\n  rss: {}\n")

    department = config.departments[0]
    assert department.recipients == []
    assert department.watches.hashtags == []
    assert department.watches.accounts.x == []
    assert config.sources["rss"] == SourceConfig()
    assert config.sources["rss"].interval == timedelta(minutes=30)
    assert config.sources["rss"].instances == []


def test_watch_values_are_trimmed_and_hashtags_get_a_hash() -> None:
    config = load(
        DEPARTMENT
        + """\
    recipients: ["  team@example.gov.uk "]
    watches:
      hashtags: ["EnergyBills", " #NetZero ", "#Énergie_2"]
      keywords: ["  price cap  "]
      accounts:
        x: ["@energygovuk"]
        mastodon: ["@user@mastodon.social"]
"""
    )

    watches = config.departments[0].watches
    assert watches.hashtags == ["#EnergyBills", "#NetZero", "#Énergie_2"]
    assert watches.keywords == ["price cap"]
    assert watches.accounts.x == ["energygovuk"]
    assert watches.accounts.mastodon == ["user@mastodon.social"]
    assert config.departments[0].recipients == ["team@example.gov.uk"]


def test_source_may_list_instances_and_int_interval() -> None:
    config = load(
        DEPARTMENT
        + """\
sources:
  mastodon:
    interval: 600
    instances: ["https://mastodon.social", "https://social.example"]
"""
    )

    assert config.sources["mastodon"].interval == timedelta(minutes=10)
    assert config.sources["mastodon"].instances[1] == "https://social.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        (" 2h ", timedelta(hours=2)),
        (120, timedelta(minutes=2)),
    ],
)
def test_parse_interval(text: str | int, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize(
    ("seconds", "shown"), [(60, "1m"), (90, "90s"), (900, "15m"), (3600, "1h"), (86400, "1d")]
)
def test_format_interval(seconds: int, shown: str) -> None:
    assert format_interval(timedelta(seconds=seconds)) == shown


# --- file-level problems ---------------------------------------------------------------------


def test_missing_file() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(Path("config/listener.yaml"))

    assert str(info.value) == "config/listener.yaml: no such file"


def test_empty_file() -> None:
    assert error_for("# only a comment\n") == (
        "listener.yaml: file is empty (expected 'departments:' and 'sources:')"
    )


def test_top_level_must_be_a_mapping() -> None:
    assert error_for("- dhsc\n") == (
        "listener.yaml:1: expected a mapping with 'departments:' and 'sources:'"
    )


def test_invalid_yaml_names_the_line() -> None:
    text = "departments:\n  - slug: dhsc\n   name: Health\n"

    assert error_for(text) == (
        "listener.yaml:3: invalid YAML: expected <block end>, but found '<block mapping start>'"
    )


def test_unclosed_flow_list() -> None:
    text = DEPARTMENT + "    recipients: [a@b.uk\n    watches: {}\n"

    assert error_for(text).startswith("listener.yaml:5: invalid YAML: ")


def test_duplicate_yaml_key() -> None:
    assert error_for(DEPARTMENT + "    slug: dfe\n") == (
        "listener.yaml:4: duplicate key 'slug' (first at line 2)"
    )


def test_duplicate_yaml_key_never_shows_the_value() -> None:
    text = (
        DEPARTMENT
        + f"""\
sources:
  x:
    credentials:
      bearer_token: LISTENER_X_BEARER_TOKEN
      bearer_token: {CANARY}
"""
    )

    message = error_for(text)

    assert message == "listener.yaml:8: duplicate key 'bearer_token' (first at line 7)"
    assert CANARY not in message


# --- validation problems ---------------------------------------------------------------------


def test_missing_departments() -> None:
    assert error_for("sources: {}\n") == "listener.yaml:1: missing required key 'departments'"


def test_missing_department_name() -> None:
    text = "departments:\n  - slug: dhsc\n  - slug: dfe\n    name: Education\n"

    assert error_for(text) == "listener.yaml:2: departments[0]: missing required key 'name'"


def test_unknown_key_lists_the_expected_ones() -> None:
    text = DEPARTMENT + "    watches:\n      hashtag: ['#NHS']\n"

    assert error_for(text) == (
        "listener.yaml:5: departments[0].watches: unknown key 'hashtag'"
        " (expected one of: hashtags, keywords, queries, accounts, feeds)"
    )


def test_unknown_top_level_key() -> None:
    assert error_for(DEPARTMENT + "source: {}\n") == (
        "listener.yaml:4: unknown key 'source'"
        " (expected one of: departments, sources, voices, digest, retention, web)"
    )


def test_unknown_source() -> None:
    assert error_for(DEPARTMENT + "sources:\n  twitter:\n    enabled: true\n") == (
        "listener.yaml:5: sources: unknown key 'twitter'"
        " (expected one of: x, mastodon, bluesky, rss)"
    )


def test_unknown_account_platform() -> None:
    text = DEPARTMENT + "    watches:\n      accounts:\n        threads: [dhsc]\n"

    assert error_for(text) == (
        "listener.yaml:6: departments[0].watches.accounts: unknown key 'threads'"
        " (expected one of: x, mastodon, bluesky)"
    )


def test_duplicate_department_slug() -> None:
    text = DEPARTMENT + "  - slug: dfe\n    name: Education\n  - slug: dhsc\n    name: Again\n"

    assert error_for(text) == (
        "listener.yaml:6: departments[2].slug: duplicate slug 'dhsc' (first at line 2)"
    )


@pytest.mark.parametrize("slug", ["DHSC", "d", "-dhsc", "dhsc-", "dh_sc", "a" * 33])
def test_malformed_slug(slug: str) -> None:
    assert error_for(f"departments:\n  - slug: '{slug}'\n    name: Health\n") == (
        f"listener.yaml:2: departments[0].slug: malformed slug '{slug}'"
        " (2-32 lowercase letters, digits and hyphens, not starting or ending with a hyphen)"
    )


def test_malformed_hashtag() -> None:
    text = """\
departments:
  - slug: dhsc
    name: Health
  - slug: desnz
    name: Energy
    watches:
      hashtags:
        - '#NetZero'
        - PriceCap
        - '#energy bills'
"""

    assert error_for(text) == (
        "listener.yaml:10: departments[1].watches.hashtags[2]:"
        " malformed hashtag '#energy bills' (letters, digits and _ only)"
    )


@pytest.mark.parametrize("tag", ["#", "#a-b", "##x", ""])
def test_other_malformed_hashtags(tag: str) -> None:
    message = error_for(DEPARTMENT + f"    watches:\n      hashtags: ['{tag}']\n")

    assert message == (
        f"listener.yaml:5: departments[0].watches.hashtags[0]:"
        f" malformed hashtag '{tag}' (letters, digits and _ only)"
    )


def test_malformed_query_names_the_column() -> None:
    text = DEPARTMENT + "    watches:\n      queries:\n        - 'nurses OR (strike'\n"

    assert error_for(text) == (
        "listener.yaml:6: departments[0].watches.queries[0]:"
        " malformed query: unbalanced parenthesis at column 11"
    )


def test_keyword_without_words() -> None:
    text = DEPARTMENT + "    watches:\n      keywords: ['!!!']\n"

    assert error_for(text) == (
        "listener.yaml:5: departments[0].watches.keywords[0]: keyword '!!!' has no words to match"
    )


@pytest.mark.parametrize("address", ["team", "team@", "@example.gov.uk", "a b@example.gov.uk"])
def test_malformed_recipient(address: str) -> None:
    assert error_for(DEPARTMENT + f"    recipients: ['{address}']\n") == (
        f"listener.yaml:4: departments[0].recipients[0]:"
        f" malformed email address '{address}' (expected name@domain)"
    )


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "example.org/feed", "https://", ""])
def test_malformed_feed_url(url: str) -> None:
    assert error_for(DEPARTMENT + f"    watches:\n      feeds: ['{url}']\n") == (
        f"listener.yaml:5: departments[0].watches.feeds[0]:"
        f" malformed feed URL '{url}' (an http:// or https:// URL)"
    )


def test_malformed_account_handle() -> None:
    text = DEPARTMENT + "    watches:\n      accounts:\n        x: ['dhsc govuk']\n"

    assert error_for(text) == (
        "listener.yaml:6: departments[0].watches.accounts.x[0]:"
        " malformed X account 'dhsc govuk' (letters, digits and _, up to 15)"
    )


def test_number_where_text_is_expected() -> None:
    assert error_for("departments:\n  - slug: dhsc\n    name: 42\n") == (
        "listener.yaml:3: departments[0].name: expected text (put it in quotes)"
    )


def test_empty_list_value() -> None:
    assert error_for(DEPARTMENT + "    recipients:\n") == (
        "listener.yaml:4: departments[0].recipients: expected a list, found nothing"
        " (write [] for none)"
    )


def test_first_error_by_line_is_reported() -> None:
    text = "departments:\n  - slug: BAD\n    name: Health\n    recipients: [nobody]\n"

    assert error_for(text).startswith("listener.yaml:2: departments[0].slug: malformed slug")


# --- sources ---------------------------------------------------------------------------------


def test_inline_credential_is_refused_without_echoing_it() -> None:
    text = DEPARTMENT + f"sources:\n  x:\n    credentials:\n      bearer_token: {CANARY}\n"

    message = error_for(text)

    assert message == (
        "listener.yaml:7: sources.x.credentials.bearer_token: looks like a secret written inline;"
        " put it in an environment variable and give its name here"
    )
    assert CANARY not in message


@pytest.mark.parametrize("key", ["token", "password", "secret", "bearer_token", "api_key"])
def test_secret_written_directly_under_a_source(key: str) -> None:
    message = error_for(DEPARTMENT + f"sources:\n  x:\n    {key}: {CANARY}\n")

    assert message == (
        f"listener.yaml:6: sources.x.{key}: looks like a secret written inline;"
        " put it in an environment variable and give its name under credentials"
    )
    assert CANARY not in message


@pytest.mark.parametrize("value", ["5 minutes", "15", "1w", "m"])
def test_malformed_interval(value: str) -> None:
    assert error_for(DEPARTMENT + f"sources:\n  x:\n    interval: '{value}'\n") == (
        f"listener.yaml:6: sources.x.interval: malformed interval '{value}'"
        " (use e.g. 30s, 15m, 1h, 1d, or whole seconds)"
    )


@pytest.mark.parametrize(("value", "shown"), [("30s", "30s"), ("59", "59s"), ("0m", "0s")])
def test_interval_under_a_minute(value: str, shown: str) -> None:
    assert error_for(DEPARTMENT + f"sources:\n  rss:\n    interval: {value}\n") == (
        f"listener.yaml:6: sources.rss.interval: interval {shown} is too short (minimum 1m)"
    )


def test_malformed_base_url() -> None:
    assert error_for(DEPARTMENT + "sources:\n  x:\n    base_url: api.x.com\n") == (
        "listener.yaml:6: sources.x.base_url: malformed base URL 'api.x.com'"
        " (an http:// or https:// URL)"
    )


def test_enabled_must_be_a_boolean() -> None:
    assert error_for(DEPARTMENT + "sources:\n  x:\n    enabled: sometimes\n") == (
        "listener.yaml:6: sources.x.enabled: expected true or false"
    )


# --- effective config ------------------------------------------------------------------------


def test_effective_config_masks_credentials() -> None:
    config = load_config(EXAMPLE)
    environ = {"LISTENER_X_BEARER_TOKEN": CANARY, "LISTENER_BLUESKY_HANDLE": CANARY}

    text = effective_config_text(config, environ=environ)

    assert CANARY not in text
    assert CANARY[-4:] not in text
    assert "bearer_token: LISTENER_X_BEARER_TOKEN (set)" in text
    assert "access_token: LISTENER_MASTODON_ACCESS_TOKEN (not set)" in text
    assert "handle: LISTENER_BLUESKY_HANDLE (set)" in text


def test_effective_config_reads_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(f"LISTENER_MASTODON_ACCESS_TOKEN={CANARY}\n", encoding="utf-8")
    monkeypatch.setenv("LISTENER_X_BEARER_TOKEN", CANARY)

    text = effective_config_text(load_config(EXAMPLE))

    assert CANARY not in text
    assert "LISTENER_X_BEARER_TOKEN (set)" in text
    assert "LISTENER_MASTODON_ACCESS_TOKEN (set)" in text
    assert "LISTENER_BLUESKY_APP_PASSWORD (not set)" in text


def test_effective_config_fills_defaults_and_formats_intervals() -> None:
    config = load(
        DEPARTMENT + "    watches:\n      hashtags: [NHS]\nsources:\n  x:\n    interval: 900\n"
    )

    shown = YAML(typ="safe").load(effective_config_text(config, environ={}))

    assert shown["departments"][0]["watches"]["hashtags"] == ["#NHS"]
    assert shown["departments"][0]["watches"]["accounts"] == dict(x=[], mastodon=[], bluesky=[])
    assert shown["departments"][0]["recipients"] == []
    assert shown["sources"]["x"] == {
        "enabled": False,
        "interval": "15m",
        "backfill": "7d",
        "base_url": "",
        "credentials": {},
        "instances": [],
        "deletion_check_days": 7,
    }


def test_voices_and_digest_sections_are_validated_with_their_line() -> None:
    text = DEPARTMENT + "voices:\n  mp:\n    x: ['not a handle!']\n"
    assert error_for(text) == (
        "listener.yaml:6: voices.mp.x[0]: malformed X account 'not a handle!'"
        " (letters, digits and _, up to 15)"
    )
    assert error_for(DEPARTMENT + "digest:\n  sender: nobody\n") == (
        "listener.yaml:5: digest.sender: malformed email address 'nobody' (expected name@domain)"
    )
    assert error_for(DEPARTMENT + "voices:\n  pundit: {}\n").startswith(
        "listener.yaml:5: voices: unknown key 'pundit' (expected one of: mp, journalist,"
    )


def test_credentials_name_an_env_var_or_an_absolute_secrets_file() -> None:
    ok = DEPARTMENT + "sources:\n  x:\n    credentials:\n      bearer_token: file:/run/secrets/x\n"
    assert load(ok).sources["x"].credentials == {"bearer_token": "file:/run/secrets/x"}
    relative = DEPARTMENT + "sources:\n  x:\n    credentials:\n      bearer_token: file:x.txt\n"
    assert "a secrets file must be an absolute path" in error_for(relative)

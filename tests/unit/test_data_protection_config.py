"""The config's data protection settings: retention periods and X's government-use approval."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from listener.collectors.registry import Unavailable, build_collectors
from listener.configfile import ListenerConfig, effective_config_text, load_config
from listener.errors import ConfigError
from listener.periods import Period, parse_period
from listener.retention import week_cutoff
from tests.conftest import EXAMPLE_CONFIG

CONFIG = Path("listener.yaml")
DEPARTMENTS = """\
departments:
  - slug: dhsc
    name: Health
  - slug: dfe
    name: Education
"""


def load(text: str) -> ListenerConfig:
    CONFIG.write_text(DEPARTMENTS + textwrap.dedent(text), encoding="utf-8")
    return load_config(CONFIG)


def error_for(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)
    return str(info.value)


def test_the_defaults_keep_posts_13_months_and_aggregates_3_years() -> None:
    retention = load_config(EXAMPLE_CONFIG).retention

    assert retention.posts_period("dhsc", "x") == Period(months=13)
    assert retention.aggregates_period("dhsc") == Period(months=36)


@pytest.mark.parametrize(
    ("text", "period", "shown"),
    [
        ("13 months", Period(months=13), "13 months"),
        ("1 month", Period(months=1), "1 month"),
        ("2 years", Period(months=24), "2 years"),
        ("400 days", Period(days=400), "400 days"),
        ("6 Weeks", Period(days=42), "6 weeks"),
    ],
)
def test_periods_read_and_print_in_words(text: str, period: Period, shown: str) -> None:
    assert parse_period(text) == period
    assert str(period) == shown


def test_months_count_back_on_the_calendar_and_cutoffs_start_a_week() -> None:
    assert Period(months=1).before(datetime(2027, 3, 31, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert Period(months=13).before(datetime(2028, 1, 15, tzinfo=UTC)) == datetime(
        2026, 12, 15, tzinfo=UTC
    )
    # 13 months before Wednesday 15 December 2027 is a Sunday: its week began Monday 9 November.
    week = week_cutoff(Period(months=13), datetime(2027, 12, 15, 12, tzinfo=UTC))
    assert (week.label, week.start) == ("2026-W46", datetime(2026, 11, 9, tzinfo=UTC))


def test_the_most_specific_period_wins() -> None:
    retention = load(
        """\
        retention:
          posts: 13 months
          platforms:
            x: 6 months
          departments:
            dhsc:
              posts: 2 years
              platforms:
                consultation: 5 years
            dfe:
              platforms:
                x: 1 year
        """
    ).retention

    assert retention.posts_period("dhsc", "consultation") == Period(months=60)
    assert retention.posts_period("dhsc", "x") == Period(months=6)  # the platform's rule
    assert retention.posts_period("dhsc", "rss") == Period(months=24)
    assert retention.posts_period("dfe", "x") == Period(months=12)
    assert retention.posts_period(None, "rss") == Period(months=13)
    # Aggregates outlive the posts they summarise, whatever the file says.
    assert retention.aggregates_period("dhsc") == Period(months=60)
    assert retention.aggregates_period("dfe") == Period(months=36)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retention:\n  posts: 13 mnths\n",
         "listener.yaml:7: retention.posts: malformed period '13 mnths'"
         " (use e.g. 13 months, 400 days, 6 weeks, 2 years)"),
        ("retention:\n  aggregates: 0 years\n",
         "listener.yaml:7: retention.aggregates: malformed period '0 years'"),
        ("retention:\n  departments:\n    dft:\n      posts: 1 year\n",
         "listener.yaml:8: retention.departments.dft: no department 'dft' in departments"),
        ("retention:\n  departments:\n    dhsc:\n      post: 1 year\n",
         "listener.yaml:9: retention.departments.dhsc: unknown key 'post'"
         " (expected one of: posts, platforms, aggregates)"),
        ("retention:\n  platforms:\n    X: 1 year\n",
         "listener.yaml:8: retention.platforms: malformed platform name 'X'"),
    ],
)  # fmt: skip
def test_retention_mistakes_name_their_line(text: str, message: str) -> None:
    assert error_for(text).startswith(message)


def test_the_effective_config_shows_periods_in_words() -> None:
    config = load("retention:\n  platforms:\n    x: 26 weeks\n")

    shown = YAML(typ="safe").load(effective_config_text(config, environ={}))

    assert shown["retention"]["posts"] == "13 months"
    assert shown["retention"]["platforms"] == {"x": "26 weeks"}
    assert shown["retention"]["aggregates"] == "3 years"


X = """\
sources:
  x:
    enabled: true
    credentials:
      bearer_token: TOKEN
"""


def test_x_is_built_only_with_a_government_use_approval_in_the_config() -> None:
    environ = {"TOKEN": "a-token"}

    off = build_collectors(load(X), environ=environ)["x"]
    on = build_collectors(load(X + "    government_use_approval: X-GOV-1\n"), environ=environ)["x"]

    assert isinstance(off, Unavailable) and "until X approves its use" in off.reason
    assert not isinstance(on, Unavailable)
    shown = effective_config_text(load(X + "    government_use_approval: X-GOV-1\n"), environ={})
    assert "government_use_approval: X-GOV-1" in shown

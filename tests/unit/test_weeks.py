"""ISO weeks in Europe/London: the window a digest covers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from listener.errors import UserError
from listener.weeks import last_full_week, local_date, parse_week


def test_a_week_runs_from_monday_midnight_london_time() -> None:
    week = parse_week("2026-W47")
    assert week.monday == date(2026, 11, 16)
    assert week.start == datetime(2026, 11, 16, tzinfo=UTC)  # GMT in November
    assert week.end == datetime(2026, 11, 23, tzinfo=UTC)
    summer = parse_week("2026-W27")
    assert summer.start == datetime(2026, 6, 28, 23, tzinfo=UTC)  # BST: an hour earlier in UTC
    assert len(summer.days) == 7 and summer.shifted(-1).label == "2026-W26"


def test_weeks_cross_years_the_iso_way() -> None:
    assert parse_week("2026-W53").monday == date(2026, 12, 28)
    assert parse_week("2026-W53").shifted(1).label == "2027-W01"


@pytest.mark.parametrize("text", ["2026-47", "2026-W54", "last week", "2026-W00", ""])
def test_a_malformed_week_is_a_one_line_error_naming_the_option(text: str) -> None:
    with pytest.raises(UserError, match=r"^--week: expected an ISO week such as 2026-W47"):
        parse_week(text)


def test_the_last_full_week_is_the_one_before_today_in_london() -> None:
    monday_morning = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert last_full_week(monday_morning).label == "2026-W47"
    assert local_date(datetime(2026, 6, 28, 23, 30, tzinfo=UTC)) == date(2026, 6, 29)

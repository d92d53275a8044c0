"""ISO weeks as listener uses them: Monday 00:00 to Monday 00:00, Europe/London."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from listener.errors import UserError

LONDON = ZoneInfo("Europe/London")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Week:
    label: str  # YYYY-Www
    monday: date

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=n) for n in range(7)]

    @property
    def start(self) -> datetime:
        """Monday 00:00 Europe/London, in UTC."""
        return _midnight(self.monday)

    @property
    def end(self) -> datetime:
        return _midnight(self.monday + timedelta(days=7))

    def shifted(self, weeks: int) -> Week:
        return week_containing(self.monday + timedelta(weeks=weeks))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def week_containing(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(f"{year}-W{number:02d}", date.fromisocalendar(year, number, 1))


def parse_week(text: str, *, name: str = "--week") -> Week:
    """``2026-W47`` -> that week; a one-line UserError naming `name` otherwise."""
    match = _WEEK.fullmatch(text.strip())
    if match:
        try:
            return week_containing(date.fromisocalendar(int(match[1]), int(match[2]), 1))
        except ValueError:
            pass
    raise UserError(f"{name}: expected an ISO week such as 2026-W47, got {text!r}")


def local_date(moment: datetime) -> date:
    """The Europe/London calendar date of a UTC moment."""
    return moment.astimezone(LONDON).date()


def last_full_week(now: datetime) -> Week:
    """The week that ended most recently before `now`."""
    return week_containing(local_date(now)).shifted(-1)

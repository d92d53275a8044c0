"""Retention periods: ``13 months``, ``400 days``, ``6 weeks``, ``2 years``, and when they began."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic_core import PydanticCustomError

_PERIOD = re.compile(r"(\d+)\s*(day|week|month|year)s?")


@dataclass(frozen=True)
class Period:
    """A length of time in calendar months plus days."""

    months: int = 0
    days: int = 0

    @property
    def approx_days(self) -> float:
        """Its length in days, near enough to compare two periods."""
        return self.months * 30.44 + self.days

    def before(self, moment: datetime) -> datetime:
        """`moment` less this period; 31 March less one month is 28 (or 29) February."""
        month_index = moment.year * 12 + moment.month - 1 - self.months
        year, month = divmod(month_index, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day) - timedelta(days=self.days)

    def __str__(self) -> str:
        if self.days == 0:
            yearly = self.months % 12 == 0
            number, unit = (self.months // 12, "year") if yearly else (self.months, "month")
        else:
            weekly = self.days % 7 == 0
            number, unit = (self.days // 7, "week") if weekly else (self.days, "day")
        return f"{number} {unit}{'' if number == 1 else 's'}"


def parse_period(value: object) -> Period:
    """Turn ``13 months``, ``400 days``, ``6 weeks`` or ``2 years`` into a Period.

    Raises a pydantic error whose message is the reason, for the config file's locator.
    """
    if isinstance(value, Period):
        return value
    match = _PERIOD.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if match is None or int(match[1]) == 0:
        shown = f" {value!r}" if isinstance(value, str | int) else ""
        reason = f"malformed period{shown} (use e.g. 13 months, 400 days, 6 weeks, 2 years)"
        raise PydanticCustomError("listener", "{reason}", {"reason": reason})
    number, unit = int(match[1]), match[2]
    if unit in ("month", "year"):
        return Period(months=number * (12 if unit == "year" else 1))
    return Period(days=number * (7 if unit == "week" else 1))

"""Rate limits: when a platform says we may try again, how long to back off, what is used up.

No I/O and no clock of their own (``now`` is passed in), so each header
format is a table test. The platforms disagree on one header name:

    X          x-rate-limit-reset: 1794474000            (epoch seconds)
    Mastodon   X-RateLimit-Reset: 2026-11-12T09:15:00Z   (ISO 8601 time)
    Bluesky    ratelimit-reset: 1794474000               (epoch seconds)
    standard   Retry-After: 120  |  Retry-After: Thu, 12 Nov 2026 09:15:00 GMT

Other servers borrow these names with the other formats, so the value's shape
decides, not the name: digits are seconds, anything else must be a time.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# X's longest window is 24 hours (daily caps on the lower tiers); a reset further
# out than that is a broken header, and obeying it would park a run for days.
MAX_RESET_AHEAD = timedelta(days=1)
# Below this a bare number cannot be an epoch time (it would be before 2001), so it
# is read as seconds from now, as the IETF RateLimit-Reset draft specifies.
_EPOCH_FLOOR = 1_000_000_000
_NUMBER = re.compile(r"\d{1,12}(\.\d{1,6})?")
_RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
_REMAINING_HEADERS = ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")


class QuotaBook:
    """Endpoints a platform said are used up, and when each resets."""

    def __init__(self) -> None:
        self._resets: dict[str, datetime] = {}

    def note(self, endpoint: str, headers: Mapping[str, str], *, now: datetime) -> None:
        """Record a successful response's news that ``endpoint`` has no requests left."""
        reset = parse_reset(headers, now=now) if quota_exhausted(headers) else None
        if reset is not None:
            self._resets[endpoint] = reset

    def block(self, endpoint: str, *, until: datetime) -> None:
        """Record that ``endpoint`` may not be asked again before ``until``."""
        self._resets[endpoint] = until

    def resume_at(self, endpoint: str, *, now: datetime) -> datetime | None:
        """When ``endpoint`` may be asked again, or None if it may be now."""
        reset = self._resets.get(endpoint)
        if reset is not None and reset <= now:
            self.clear(endpoint)
            return None
        return reset

    def clear(self, endpoint: str) -> None:
        """Forget ``endpoint``'s reset (it has passed, or was waited out)."""
        self._resets.pop(endpoint, None)


def parse_reset(headers: Mapping[str, str], *, now: datetime) -> datetime | None:
    """When the platform says requests may resume, or None if no header says so sensibly.

    Retry-After wins over the platform headers. A reset that is not after
    ``now``, more than a day ahead, or unparseable counts as absent.
    """
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    candidates = [_retry_after(lowered.get("retry-after", ""), now=now)]
    candidates += [_platform_reset(lowered.get(name, ""), now=now) for name in _RESET_HEADERS]
    for reset in candidates:
        if reset is not None and now < reset <= now + MAX_RESET_AHEAD:
            return reset
    return None


def quota_exhausted(headers: Mapping[str, str]) -> bool:
    """True if a successful response says no requests are left in this window."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    return any(lowered.get(name) == "0" for name in _REMAINING_HEADERS)


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): capped, jittered.

    "Equal jitter": half the exponential step is fixed and half random, so
    clients spread out without any wait shrinking towards zero (a hot loop).
    """
    step = min(cap, base * 2 ** min(attempt - 1, 32))
    return step / 2 + rng.uniform(0, step / 2)


def _retry_after(value: str, *, now: datetime) -> datetime | None:
    """Retry-After as delay-seconds or an HTTP date."""
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        return _seconds_from(now, float(value))
    return _http_date(value)


def _platform_reset(value: str, *, now: datetime) -> datetime | None:
    """A platform reset header: epoch seconds, seconds from now, or an ISO 8601 time."""
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        number = float(value)
        if number < _EPOCH_FLOOR:
            return _seconds_from(now, number)
        return _from_epoch(number)
    return _iso_time(value)


def _seconds_from(now: datetime, seconds: float) -> datetime | None:
    # Checked before adding: a huge delay would overflow datetime, not just be absurd.
    if seconds > MAX_RESET_AHEAD.total_seconds():
        return None
    return now + timedelta(seconds=seconds)


def _from_epoch(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without an offset is ambiguous; Mastodon always sends UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

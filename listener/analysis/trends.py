"""Emerging themes (terms whose use rose most against earlier weeks) and daily spikes.

Emerging themes use the weighted log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi and Quinn, "Fightin' Words", 2008): unlike raw counts or ratios, its
z-score discounts terms that are merely common and terms seen only a handful of times.
Spikes compare each day with a trailing baseline using the median and the median absolute
deviation, so one earlier spike does not hide the next one.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# A theme needs this many posts this week, from at least this many accounts,
# so one account repeating itself is not a theme.
MIN_THEME_POSTS = 4
MIN_THEME_AUTHORS = 3
# z-score of the log-odds ratio: 1.96 is the conventional 95% two-sided cut.
MIN_THEME_Z = 1.96
# Without this many posts in the earlier weeks there is nothing to rise against.
MIN_HISTORY_POSTS = 20
# Total pseudo-count of the prior, spread over terms in proportion to their overall use.
PRIOR_MASS = 500.0

TRAILING_DAYS = 28
MIN_BASELINE_DAYS = 3
MIN_SPIKE_POSTS = 10
VOLUME_FACTOR = 2.0  # a spike is at least double the baseline median...
VOLUME_MADS = 4.0  # ...and this many scaled MADs above it
NEGATIVITY_Z = 3.0
NEGATIVITY_RISE = 0.15  # and at least 15 percentage points above the baseline share


@dataclass(frozen=True)
class TermUse:
    """One post's terms, for counting: each term counts once per post."""

    author: str
    terms: frozenset[str]


@dataclass(frozen=True)
class EmergingTerm:
    term: str
    count: int  # posts using it this week
    baseline: float  # posts per week using it, on average over the earlier weeks
    z: float


def emerging_terms(
    current: Sequence[TermUse], earlier: Sequence[TermUse], *, weeks: int, limit: int = 10
) -> list[EmergingTerm]:
    """Terms used far more this week than in the `weeks` before it, highest z-score first."""
    now_counts, authors = _document_counts(current)
    before_counts, _ = _document_counts(earlier)
    n_now, n_before = len(current), len(earlier)
    if not n_now or n_before < MIN_HISTORY_POSTS:
        return []
    total = now_counts + before_counts
    total_n = sum(total.values())
    found = []
    for term, count in now_counts.items():
        if count < MIN_THEME_POSTS or len(authors[term]) < MIN_THEME_AUTHORS:
            continue
        alpha = PRIOR_MASS * total[term] / total_n
        before = before_counts.get(term, 0)
        delta = _log_odds(count, n_now, alpha) - _log_odds(before, n_before, alpha)
        z = delta / math.sqrt(1 / (count + alpha) + 1 / (before + alpha))
        if z >= MIN_THEME_Z:
            found.append(EmergingTerm(term, count, before / weeks if weeks else 0.0, z))
    found.sort(key=lambda t: (-t.z, t.term))
    return _drop_contained(found)[:limit]


def _document_counts(uses: Iterable[TermUse]) -> tuple[Counter[str], dict[str, set[str]]]:
    counts: Counter[str] = Counter()
    authors: dict[str, set[str]] = {}
    for use in uses:
        counts.update(use.terms)
        for term in use.terms:
            authors.setdefault(term, set()).add(use.author)
    return counts, authors


def _log_odds(count: float, n: int, alpha: float) -> float:
    # With the prior, neither side of the ratio is ever zero.
    return math.log((count + alpha) / max(n + PRIOR_MASS - count - alpha, 1e-9))


def _drop_contained(terms: list[EmergingTerm]) -> list[EmergingTerm]:
    """Keep "standing charge" and drop "standing" when both rose on the same posts."""
    kept: list[EmergingTerm] = []
    for term in terms:
        bigger = [k for k in kept if " " in k.term and term.term in k.term.split(" ")]
        if any(k.count >= 0.8 * term.count for k in bigger):
            continue
        kept = [k for k in kept if not (" " in term.term and k.term in term.term.split(" ")
                and term.count >= 0.8 * k.count)]  # fmt: skip
        kept.append(term)
    return kept


@dataclass(frozen=True)
class DayCount:
    day: date
    posts: int
    scored: int
    negative: int
    compound_sum: float = 0.0  # of the scored posts


@dataclass(frozen=True)
class DaySpike:
    day: date
    reasons: tuple[str, ...]  # volume | negativity
    posts: int
    baseline_posts: float
    negative_share: float | None
    baseline_negative_share: float | None


def find_spikes(days: Mapping[date, DayCount], *, week: Sequence[date]) -> list[DaySpike]:
    """Days of `week` whose volume or negativity is far above the trailing baseline.

    `days` holds every day with posts up to the end of the week; days before the first
    one with any post are not counted as quiet (collection had not started).
    """
    first = min(days) if days else None
    spikes = []
    for day in week:
        today = days.get(day)
        if today is None or first is None:
            continue
        baseline = _baseline_days(days, day, first, week)
        spike = _judge(today, baseline)
        if spike is not None:
            spikes.append(spike)
    return spikes


def _baseline_days(
    days: Mapping[date, DayCount], day: date, first: date, week: Sequence[date]
) -> list[DayCount]:
    earlier = [
        days.get(d, DayCount(d, 0, 0, 0))
        for d in (day - timedelta(days=n) for n in range(1, TRAILING_DAYS + 1))
        if d >= first
    ]
    if len(earlier) >= MIN_BASELINE_DAYS:
        return earlier
    # Too little history: compare with the rest of this week instead.
    return [days.get(d, DayCount(d, 0, 0, 0)) for d in week if d != day]


def _judge(today: DayCount, baseline: Sequence[DayCount]) -> DaySpike | None:
    if not baseline or today.posts < MIN_SPIKE_POSTS:
        return None
    volumes = [d.posts for d in baseline]
    median = statistics.median(volumes)
    mad = 1.4826 * statistics.median(abs(v - median) for v in volumes)
    reasons = []
    if today.posts >= max(VOLUME_FACTOR * median, median + VOLUME_MADS * mad, 1):
        reasons.append("volume")
    scored = sum(d.scored for d in baseline)
    base_share = sum(d.negative for d in baseline) / scored if scored else None
    share = today.negative / today.scored if today.scored else None
    if share is not None and base_share is not None and today.scored >= MIN_SPIKE_POSTS:
        spread = math.sqrt(max(base_share * (1 - base_share), 0.01) / today.scored)
        if share - base_share >= NEGATIVITY_RISE and (share - base_share) / spread >= NEGATIVITY_Z:
            reasons.append("negativity")
    if not reasons:
        return None
    return DaySpike(today.day, tuple(reasons), today.posts, float(median), share, base_share)

"""Emerging themes and daily spikes: the statistics a policy team reads on Monday."""

from __future__ import annotations

from datetime import date, timedelta

from listener.analysis.trends import DayCount, TermUse, emerging_terms, find_spikes


def uses(term_sets: list[set[str]], *, authors: int = 10) -> list[TermUse]:
    return [TermUse(f"a{n % authors}", frozenset(terms)) for n, terms in enumerate(term_sets)]


def test_a_term_that_rose_from_nothing_emerges_and_steady_common_terms_do_not() -> None:
    earlier = uses([{"nhs", "waiting"}] * 400)
    current = uses([{"nhs", "waiting"}] * 90 + [{"nhs", "standing charge", "standing"}] * 12)
    found = emerging_terms(current, earlier, weeks=4)
    assert [t.term for t in found] == ["standing charge"]
    assert found[0].count == 12 and found[0].baseline == 0.0 and found[0].z > 1.96


def test_one_account_repeating_itself_is_not_a_theme() -> None:
    current = uses([{"spam"}] * 30, authors=1) + uses([{"nhs"}] * 30)
    assert emerging_terms(current, uses([{"nhs"}] * 100), weeks=4) == []


def test_a_handful_of_uses_is_not_enough() -> None:
    current = uses([{"rare"}] * 3 + [{"nhs"}] * 50)
    assert emerging_terms(current, uses([{"nhs"}] * 100), weeks=4) == []


def test_no_posts_this_week_means_no_themes() -> None:
    assert emerging_terms([], uses([{"nhs"}] * 100), weeks=4) == []


def test_without_earlier_weeks_nothing_can_be_said_to_rise() -> None:
    current = uses([{"nhs", "strike"}] * 50)
    assert emerging_terms(current, uses([{"nhs"}] * 19), weeks=4) == []
    assert emerging_terms(current, uses([{"nhs"}] * 20), weeks=4)


WEEK = [date(2026, 11, 9) + timedelta(days=n) for n in range(7)]


def days_with(volumes: dict[date, int], negative: dict[date, int] | None = None) -> dict:
    negative = negative or {}
    return {d: DayCount(d, v, v, negative.get(d, v // 5)) for d, v in volumes.items()}


def test_a_day_far_above_its_trailing_baseline_is_a_volume_spike() -> None:
    volumes = {WEEK[0] - timedelta(days=n): 40 + n % 5 for n in range(1, 29)}
    volumes.update({d: 42 for d in WEEK})
    volumes[WEEK[3]] = 150
    spikes = find_spikes(days_with(volumes), week=WEEK)
    assert [(s.day, s.reasons) for s in spikes] == [(WEEK[3], ("volume",))]
    assert 40 <= spikes[0].baseline_posts <= 44


def test_a_day_much_more_negative_than_usual_is_a_negativity_spike() -> None:
    volumes = {WEEK[0] - timedelta(days=n): 50 for n in range(1, 29)} | {d: 50 for d in WEEK}
    spikes = find_spikes(days_with(volumes, {WEEK[5]: 40}), week=WEEK)
    assert [(s.day, s.reasons) for s in spikes] == [(WEEK[5], ("negativity",))]
    assert spikes[0].negative_share == 0.8


def test_days_before_collection_started_are_not_counted_as_quiet() -> None:
    # Collection began this Monday: with no history, the rest of the week is the baseline.
    volumes = {d: 30 for d in WEEK} | {WEEK[3]: 31}
    assert find_spikes(days_with(volumes), week=WEEK) == []
    volumes[WEEK[3]] = 120
    assert [s.day for s in find_spikes(days_with(volumes), week=WEEK)] == [WEEK[3]]


def test_small_days_are_never_spikes() -> None:
    volumes = {WEEK[0] - timedelta(days=n): 1 for n in range(1, 29)} | {WEEK[2]: 8}
    assert find_spikes(days_with(volumes), week=WEEK) == []

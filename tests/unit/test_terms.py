"""Term extraction shared by topic labels and emerging themes."""

from __future__ import annotations

import pytest

from listener.analysis.terms import hashtags, terms


def test_unigrams_bigrams_and_hashtags_in_order() -> None:
    assert terms("Standing charges going up #EnergyBills") == [
        "standing",
        "charges",
        "going",
        "standing charges",
        "charges going",
        "#energybills",
    ]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("read https://www.gov.uk/energy-bills now", "gov"),
        ("thanks @ofgem for nothing", "ofgem"),
        ("thanks @user@mastodon.social", "mastodon"),
        ("waiting list at 7.54 million", "54"),
        ("a £3.7bn hole", "7bn"),
        ("rang at 8am", "8am"),
        ("it's the same as it was", "it"),
        ("I don't know", "dont"),
    ],
)
def test_urls_mentions_numbers_and_stopwords_are_removed(text: str, absent: str) -> None:
    assert absent not in terms(text)


def test_bigrams_do_not_cross_stopwords_punctuation_or_removed_tokens() -> None:
    found = terms("Rent rises, evictions up. Heat pumps and insulation; cap 2026 rises")
    assert "rent rises" in found
    assert "heat pumps" in found
    assert "rises evictions" not in found  # comma
    assert "pumps insulation" not in found  # stopword
    assert "cap rises" not in found  # a number between them


def test_hyphenated_words_form_a_bigram() -> None:
    assert "price cap" in terms("the price-cap change")


def test_words_that_carry_policy_meaning_are_kept() -> None:
    assert {"a&e", "hs2", "co2", "bill", "fire", "system"} <= set(
        terms("A&E, HS2, CO2, the bill, fire safety, the system")
    )


def test_possessives_and_typographic_apostrophes() -> None:
    assert terms("The NHS\u2019s backlog") == ["nhs", "backlog", "nhs backlog"]


def test_hashtags_are_lowercased_in_terms_and_never_in_bigrams() -> None:
    assert terms("fix #EnergyBills now") == ["fix", "#energybills"]


def test_hashtags_keep_the_case_first_written_once_each() -> None:
    text = "#EnergyBills up again #energybills #AxeTheStandingCharge #2026 &#39;"
    assert hashtags(text) == ["#EnergyBills", "#AxeTheStandingCharge"]


def test_empty_and_punctuation_only_text() -> None:
    assert terms("") == []
    assert terms("!!! ... 👏👏") == []
    assert hashtags("no tags here") == []


def test_non_english_words_are_kept() -> None:
    assert "gofal" in terms("Mae angen gofal cymdeithasol")

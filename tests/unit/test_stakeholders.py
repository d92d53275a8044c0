"""Kinds of voice: curated lists first, then only clear signals; everyone else is public."""

from __future__ import annotations

import pytest

from listener.analysis.stakeholders import AccountFacts, classify, curated_kinds
from listener.configfile import Voices


def account(
    handle: str = "someone",
    name: str = "",
    description: str = "",
    verified: str = "",
    platform: str = "x",
) -> AccountFacts:
    return AccountFacts(platform, handle, name, description, verified)


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        (account(name="Naomi Okonjo MP", description="Housing champion."), "mp"),
        (account(description="Labour MP for Millbrook Central."), "mp"),
        (account(description="Health correspondent at The Ledger."), "journalist"),
        (account(description="Political editor, Broadside Radio."), "journalist"),
        (account(description="Registered charity 1201178. No child should be hungry."), "charity"),
        (account(description="Elusen gofrestredig / Registered charity 1170021."), "charity"),
        (account(description="The trade union for teachers and school leaders."), "union"),
        (
            account(verified="government", description="Official account of NHS England."),
            "government",
        ),
        (account(description="Official account of the Department for Transport."), "government"),
        (
            account(verified="business", description="Official account of Meridian Rail."),
            "business",
        ),
        (account(description="Small business owner, independent cafe"), "public"),
        (account(description="Nurse. Tired. Views my own."), "public"),
        (account(name="Tom", description="I love my MP, not"), "public"),
        (account(), "public"),
    ],
)
def test_clear_signals_give_a_kind_and_anything_unclear_stays_public(
    facts: AccountFacts, kind: str
) -> None:
    assert classify(facts, {}) == kind


def test_a_curated_list_wins_over_signals_and_matches_handles_loosely() -> None:
    voices = Voices.model_validate(
        {"journalist": {"x": ["@AnnaW"], "bluesky": ["anna.bsky.social"]}}
    )
    curated = curated_kinds(voices)
    assert classify(account("annaw", description="Registered charity 1"), curated) == "journalist"
    assert classify(account("Anna.bsky.social", platform="bluesky"), curated) == "journalist"
    assert classify(account("annaw", platform="mastodon"), curated) == "public"

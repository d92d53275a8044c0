"""Kinds of voice: who an account speaks as (MP, journalist, charity, ...), never what they think.

A curated list in the config wins; otherwise only clear signals count (the platform's own
verification type, "MP for" in a profile, "Registered charity" and the like). Anything
unclear stays ``public``: a private individual, shown in emailed digests only by pseudonym.
Kinds describe accounts' roles for aggregate reporting; no opinion is ever attached to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from listener.configfile import Voices
from listener.textnorm import normalise_handle

PUBLIC = "public"
# Digest order: elected representatives first, the public last.
KINDS = ("mp", "government", "journalist", "charity", "union", "business", PUBLIC)
KIND_NAMES = {
    "mp": "MPs",
    "government": "Government and public bodies",
    "journalist": "Journalists",
    "charity": "Charities",
    "union": "Trade unions",
    "business": "Businesses",
    PUBLIC: "Members of the public",
}

_FLAGS = re.IGNORECASE
# Profile signals, checked in this order; each must be unambiguous on its own.
_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mp", re.compile(r"\bMP for\b|\bMember of Parliament\b|\bAelod Seneddol\b", _FLAGS)),
    (
        "charity",
        re.compile(r"\bregistered charity\b|\belusen gofrestredig\b|\bcharity no\b", _FLAGS),
    ),
    ("union", re.compile(r"\btrade union\b", _FLAGS)),
    (
        "journalist",
        re.compile(
            r"\b(?:journalist|reporter|correspondent|columnist|broadcaster|gohebydd)\b"
            r"|\b(?:political|health|education|transport|energy|social affairs|news|business)"
            r" editor\b",
            _FLAGS,
        ),
    ),
    (
        "government",
        re.compile(r"^Official account of (?:the )?(?:Department|Ministry|HM |Cabinet)"),
    ),
)
# An MP's display name conventionally ends "MP" (e.g. "Jane Doe MP").
_MP_NAME = re.compile(r"\bMP$")
# The platform's own verification of organisations (X's verified_type).
_VERIFIED_KINDS = {"government": "government", "business": "business"}


@dataclass(frozen=True)
class AccountFacts:
    """What the platform says about an account."""

    platform: str
    handle: str
    name: str
    description: str
    verified_type: str


def curated_kinds(voices: Voices) -> dict[tuple[str, str], str]:
    """(platform, normalised handle) -> kind, from the config's curated lists."""
    found: dict[tuple[str, str], str] = {}
    for kind in KINDS:
        accounts = getattr(voices, kind, None)
        if accounts is None:
            continue
        for platform in ("x", "mastodon", "bluesky"):
            for handle in getattr(accounts, platform):
                found[(platform, normalise_handle(handle))] = kind
    return found


def classify(account: AccountFacts, curated: Mapping[tuple[str, str], str]) -> str:
    """The kind of voice an account is: curated first, then clear signals, else public."""
    kind = curated.get((account.platform, normalise_handle(account.handle)))
    if kind:
        return kind
    if account.verified_type in _VERIFIED_KINDS:
        return _VERIFIED_KINDS[account.verified_type]
    if _MP_NAME.search(account.name.strip()):
        return "mp"
    for kind, pattern in _SIGNALS:
        if pattern.search(account.description):
            return kind
    return PUBLIC

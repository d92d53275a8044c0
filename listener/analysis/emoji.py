"""Spell emoji out as VADER's words, matching whole emoji sequences rather than single code points.

VADER 3.3.2 looks emoji up one code point at a time, so a heart written with
the emoji variation selector ("❤️", U+2764 U+FE0F) leaves the selector glued
to the word "heart", and no entry longer than one code point (skin tones,
ZWJ sequences, keycaps, flags) can ever match. This module does the lookup
itself, longest sequence first, over VADER's own emoji table.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_SKIN_TONES = frozenset(chr(cp) for cp in range(0x1F3FB, 0x1F400))
_ZERO_WIDTH_JOINER = "\u200d"


@dataclass(frozen=True)
class EmojiTable:
    """Normalised emoji sequence -> description, with what the matcher needs to be fast."""

    descriptions: Mapping[str, str]
    bases: frozenset[str]  # single characters with their own entry: what a skin tone may follow
    first_chars: frozenset[str]
    longest: int


def load_vader_emoji_lexicon() -> dict[str, str]:
    """Read VADER's emoji lexicon (emoji<TAB>description) from the installed package."""
    text = resources.files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            emoji, description = line.split("\t")[:2]
            table[emoji] = description
    return table


def _strip_selectors(text: str) -> str:
    """`text` without variation selectors."""
    return "".join(char for char in text if char not in _VARIATION_SELECTORS)


def normalise_emoji(text: str, *, bases: frozenset[str]) -> str:
    """Drop variation selectors, and skin tones that follow a base character in `bases`."""
    kept: list[str] = []
    for char in text:
        if char in _VARIATION_SELECTORS:
            continue
        # A toned emoji reads the same as its base; VADER's tone descriptions
        # ("dark skin tone") add nothing but words about skin colour.
        if char in _SKIN_TONES and kept and kept[-1] in bases:
            continue
        kept.append(char)
    return "".join(kept)


def build_table(lexicon: Mapping[str, str]) -> EmojiTable:
    """Normalise the lexicon's keys the same way text is normalised, so both sides meet."""
    bases = frozenset(key for key in map(_strip_selectors, lexicon) if len(key) == 1)
    descriptions: dict[str, str] = {}
    # Untoned keys first, so a toned key that collapses onto its base keeps
    # the base's description rather than "...: dark skin tone".
    for raw in sorted(lexicon, key=lambda k: any(c in _SKIN_TONES for c in k)):
        key = normalise_emoji(raw, bases=bases)
        if key:
            descriptions.setdefault(key, lexicon[raw])
    return EmojiTable(
        descriptions=descriptions,
        bases=bases,
        first_chars=frozenset(key[0] for key in descriptions),
        longest=max(len(key) for key in descriptions),
    )


@functools.cache
def vader_emoji_table() -> EmojiTable:
    """The table built from VADER's installed emoji lexicon, built once per process."""
    return build_table(load_vader_emoji_lexicon())


def spell_out_emoji(text: str, *, table: EmojiTable | None = None) -> str:
    """Replace each emoji sequence with its description, padded with spaces so it stays a word."""
    table = table or vader_emoji_table()
    text = normalise_emoji(text, bases=table.bases)
    out: list[str] = []
    i = 0
    while i < len(text):
        match = _longest_match(text, i, table) if text[i] in table.first_chars else None
        if match is None:
            # A joiner left over from a sequence VADER does not know would
            # otherwise glue two descriptions into one unknown word.
            if text[i] != _ZERO_WIDTH_JOINER:
                out.append(text[i])
            i += 1
            continue
        out.append(f" {table.descriptions[match]} ")
        i += len(match)
    return "".join(out)


def _longest_match(text: str, start: int, table: EmojiTable) -> str | None:
    """The longest key of `table` that `text` holds at `start`, if any."""
    for length in range(min(table.longest, len(text) - start), 0, -1):
        candidate = text[start : start + length]
        if candidate in table.descriptions:
            return candidate
    return None

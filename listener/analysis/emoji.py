"""Spell emoji out as VADER's words, matching whole emoji sequences rather than single code points.

VADER 3.3.2 looks emoji up one code point at a time, so a heart written with
the emoji variation selector ("❤️", U+2764 U+FE0F) leaves the selector glued
to the word "heart", and no entry longer than one code point (skin tones,
ZWJ sequences, keycaps, flags) can ever match. This module does the lookup
itself, longest sequence first, over VADER's own emoji table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_SKIN_TONES = frozenset(chr(cp) for cp in range(0x1F3FB, 0x1F400))
_ZERO_WIDTH_JOINER = "\u200d"
_NO_SELECTORS = dict.fromkeys(map(ord, _VARIATION_SELECTORS))


@dataclass(frozen=True)
class EmojiTable:
    """Normalised emoji sequence -> description, with what the matcher needs to be fast."""

    descriptions: Mapping[str, str]
    bases: frozenset[str]  # single characters with their own entry: what a skin tone may follow
    first_chars: frozenset[str]
    longest: int
    # Finds, at C speed, the next character a sequence may start with (or a joiner).
    candidates: re.Pattern[str]


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
    if not _VARIATION_SELECTORS.isdisjoint(text):
        text = text.translate(_NO_SELECTORS)
    if _SKIN_TONES.isdisjoint(text):
        return text
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
    first_chars = frozenset(key[0] for key in descriptions)
    # A class of ~1,500 scattered characters makes re's search crawl: instead,
    # the few ASCII ones and any non-ASCII character, checked against first_chars.
    marks = re.escape("".join(sorted(c for c in first_chars if c.isascii())))
    if not all(c.isascii() for c in first_chars | {_ZERO_WIDTH_JOINER}):
        marks += "\x80-\U0010ffff"
    return EmojiTable(
        descriptions=descriptions,
        bases=bases,
        first_chars=first_chars,
        longest=max(len(key) for key in descriptions),
        candidates=re.compile(f"[{marks}]"),
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
    # Characters no sequence starts with are copied as they are, a run at a time.
    while (found := table.candidates.search(text, i)) is not None:
        at = found.start()
        out.append(text[i:at])
        match = _longest_match(text, at, table) if text[at] in table.first_chars else None
        if match is None:
            # A joiner left over from a sequence VADER does not know would
            # otherwise glue two descriptions into one unknown word.
            if text[at] != _ZERO_WIDTH_JOINER:
                out.append(text[at])
            i = at + 1
            continue
        out.append(f" {table.descriptions[match]} ")
        i = at + len(match)
    out.append(text[i:])
    return "".join(out)


def _longest_match(text: str, start: int, table: EmojiTable) -> str | None:
    """The longest key of `table` that `text` holds at `start`, if any."""
    for length in range(min(table.longest, len(text) - start), 0, -1):
        candidate = text[start : start + length]
        if candidate in table.descriptions:
            return candidate
    return None

"""Text normalisation and tokenisation shared by indexing, querying and watch matching.

Every place that turns text into searchable words goes through this module, so
a post is indexed, a query is parsed and a watch is matched with exactly the
same idea of what a word is::

    >>> tokenize("Waiting lists at the #NHS. @DHSCgovuk: Café covid-19")
    ['waiting', 'lists', 'at', 'the', '#nhs', '@dhscgovuk', 'cafe', 'covid', '19']

A token is a maximal run of word characters (unicode letters, digits, ``_``)
and the signs ``#`` and ``@``, taken from the normalised text. This mirrors
SQLite FTS5's ``unicode61`` tokenizer with ``tokenchars '#@_'``, so the store
can index :func:`search_text` and FTS5 finds exactly these tokens again.

Consequences worth knowing:

- URLs get no special case: ``https://www.gov.uk/nhs`` becomes the tokens
  ``https www gov uk nhs``, and a query for the same URL becomes that phrase.
- A token made only of signs (``#``, ``@@``) is dropped: it carries no word.
- Signs inside a token stay: ``#nhs#care`` and ``user@instance`` are one token
  each; an e-mail address ``a@b.org`` gives ``a@b`` and ``org``.
- Scripts whose vowel signs are spacing or non-combining marks (Devanagari,
  Bengali...) split at those marks, exactly as ``unicode61`` does by default.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "hashtags",
    "mentions",
    "normalise",
    "normalise_handle",
    "normalise_lang",
    "search_text",
    "tokenize",
]

# A maximal run of word characters, "#" and "@" that has at least one word character.
_TOKEN = re.compile(r"[#@]*\w[\w#@]*")
_WORD_CHAR = re.compile(r"\w")
# Control (Cc), format (Cf) and separator (Z*) characters become spaces, so an
# invisible character never glues two words together.
_SPACE_LIKE = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs"})
_SOFT_HYPHEN = "\u00ad"
# Letters whose stroke is a diacritic in all but name: Unicode gives them no
# decomposition, so "Łódź" would otherwise never match a search for "lodz".
_STROKED = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "\u0131": "i"}


class _PlainTable(dict[int, str]):
    """``str.translate`` table that strips diacritics and blanks out invisible characters.

    Filled lazily, one code point at a time, so normalising stays fast on the
    C path of ``str.translate`` instead of a Python loop over every character.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char == _SOFT_HYPHEN:  # an invisible hyphenation hint: keep the word whole
            plain = ""
        elif unicodedata.category(char) in _SPACE_LIKE:
            plain = " "
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            plain = "".join(
                _STROKED.get(part, part) for part in decomposed if not unicodedata.combining(part)
            )
        self[code] = plain
        return plain


_PLAIN = _PlainTable()


# A stored post's text is normalised for its search text, its text hash and watch
# matching, one after the other: the cache makes that one normalisation. Bounded
# to about a page of posts and to texts of up to _CACHED_CHARS, so that even hostile
# huge texts keep it to a few tens of MB.
_CACHE_SIZE = 2048
_CACHED_CHARS = 2_000


def normalise(text: str) -> str:
    """Return ``text`` as NFKC, casefolded, without diacritics and with single spaces.

    Diacritics are the combining marks NFKD splits off, plus the strokes of
    ``ł ø đ ħ ŧ`` and the dot of the dotless i. ``#`` and ``@`` are kept.
    """
    return _normalise_cached(text) if len(text) <= _CACHED_CHARS else _normalise(text)


@lru_cache(maxsize=_CACHE_SIZE)
def _normalise_cached(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    if text.isascii():  # the common case, and NFKC, NFKD and casefold are then no-ops
        text = text.lower()
        if not text.isprintable():
            text = text.translate(_PLAIN)
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        # NFKD splits Hangul syllables into jamo; NFC puts them back together.
        text = unicodedata.normalize("NFC", text.translate(_PLAIN))
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Split ``text`` into normalised tokens: runs of word characters, ``#`` and ``@``."""
    if len(text) > _CACHED_CHARS:
        return _TOKEN.findall(_normalise(text))
    return list(_tokens_cached(text))


@lru_cache(maxsize=_CACHE_SIZE)
def _tokens_cached(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(normalise(text)))


def search_text(text: str) -> str:
    """Return the normalised text the store indexes: the tokens joined by single spaces."""
    return " ".join(tokenize(text))


def hashtags(text: str) -> list[str]:
    """Return the hashtags in ``text`` in order, normalised and without the ``#``."""
    return _signed(tokenize(text), "#")


def mentions(text: str) -> list[str]:
    """Return the mentioned handles in ``text`` in order, normalised and without the ``@``."""
    return _signed(tokenize(text), "@")


def normalise_handle(handle: str) -> str:
    """Return an account handle as stored and matched: normalised, without a leading ``@``.

    Mastodon and Bluesky handles keep their dots and inner ``@``:
    ``@User@Instance.Social`` becomes ``user@instance.social``.
    """
    return normalise(handle).removeprefix("@")


def normalise_lang(code: str | None) -> str | None:
    """Return the primary language subtag in lowercase (``en-GB`` -> ``en``), or None if empty."""
    if code is None:
        return None
    primary = normalise(code).replace("_", "-").split("-", 1)[0].strip()
    return primary or None


def _signed(tokens: list[str], sign: str) -> list[str]:
    return [
        tok[1:]
        for tok in tokens
        if len(tok) > 1 and tok[0] == sign and _WORD_CHAR.match(tok[1]) is not None
    ]

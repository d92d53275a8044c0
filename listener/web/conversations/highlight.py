"""Which runs of a post's text a search query's words and phrases matched, as segments.

Matching follows listener.querymatch: a plain word also matches its hashtag,
a phrase is words in a row, and words are compared after textnorm's folding, so
``nhs`` marks ``#NHS`` and ``cafe`` marks ``Café``. Exclusions, ``from:`` and
``lang:`` mark nothing. Segments are plain text: templates escape them and wrap
the matched ones in ``<mark>``; no HTML is ever built here.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from listener.query import And, Hashtag, Mention, Node, Or, Phrase, Term, word_forms
from listener.textnorm import tokenize

# A run of word characters as textnorm tokenises them, keeping the marks it folds away.
_RUN = re.compile(r"[#@]*\w[\w#@\u00ad\u0300-\u036f]*")


class Segment(BaseModel):
    """A piece of a post's text; `match` when the query's words matched it."""

    text: str
    match: bool


def _wanted(node: Node, singles: set[str], phrases: list[list[frozenset[str]]]) -> None:
    match node:
        case Term(word):
            singles.update(word_forms(word))
        case Hashtag(tag):
            singles.add("#" + tag)
        case Mention(handle):
            singles.add("@" + handle)
        case Phrase(words):
            phrases.append([frozenset(word_forms(w)) for w in words])
        case And(children) | Or(children):
            for child in children:
                _wanted(child, singles, phrases)


def _spans(text: str, node: Node) -> list[tuple[int, int]]:
    """Where in `text` the query's words and phrases are, as (start, end) offsets."""
    singles: set[str] = set()
    phrases: list[list[frozenset[str]]] = []
    _wanted(node, singles, phrases)
    tokens = [(tok, m.start(), m.end()) for m in _RUN.finditer(text) for tok in tokenize(m[0])]
    spans = [(start, end) for tok, start, end in tokens if tok in singles]
    for forms in phrases:
        width = len(forms)
        spans.extend(
            (tokens[i][1], tokens[i + width - 1][2])
            for i in range(len(tokens) - width + 1)
            if all(tokens[i + k][0] in forms[k] for k in range(width))
        )
    return spans


def highlight(text: str, node: Node | None) -> list[Segment]:
    """`text` cut into segments, those the query's words or phrases matched marked."""
    merged: list[list[int]] = []
    for start, end in sorted(_spans(text, node) if node is not None else []):
        if merged and start <= merged[-1][1]:  # touching or overlapping: one mark
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    segments: list[Segment] = []
    at = 0
    for start, end in merged:
        if start > at:
            segments.append(Segment(text=text[at:start], match=False))
        segments.append(Segment(text=text[start:end], match=True))
        at = end
    if at < len(text) or not segments:
        segments.append(Segment(text=text[at:], match=False))
    return segments

"""Adjust VADER's word valences for how people write about UK policy, beyond single words.

Each rule is small and named; docs/sentiment.md says why each exists and what
it did on the labelled set. `apply_policy_rules` runs them in this order on
one text's valences (one per whitespace token, as VADER reads them):

1. `apply_phrases`: multi-word phrases ("too little too late", "credit where
   it's due", "Delay Repay", 🙄) replace the valences of their words.
2. `drop_discourse_markers`: "Well, ..." opening a sentence is not praise.
3. `discount_quoted_praise`: praise in quotation marks is someone else's word,
   quoted to be disputed ("'fully funded' pay rise"): it counts half, against.
4. `flip_sarcastic_praise`: a short burst of praise after a complaint
   ("Train cancelled again. Lovely.") means the opposite.
5. `damp_news_and_guidance`: third-person reporting ("... record demand, NHS
   England said.") and practical guidance ("Check your deposit is protected"),
   with no stance of the author's, are neutral whatever words they contain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vaderSentiment.vaderSentiment import negated

from listener.analysis.policy_phrases import Phrase, find_phrases


class Tokens:
    """One text as the rules read it: whitespace tokens, the same as plain words, sentences."""

    # Plain lazily filled slots rather than functools.cached_property, whose
    # lock cost more than some of the rules: this runs for every text scored.
    __slots__ = ("_phrases", "_quoted", "_text", "_words", "raw", "spans", "words")

    def __init__(self, raw: Sequence[str], words: Sequence[str], spans: Sequence[range]) -> None:
        self.raw = raw
        self.words = words  # each token lowercased, leading and trailing punctuation stripped
        self.spans = spans
        self._phrases: list[tuple[int, Phrase]] | None = None
        self._quoted: frozenset[int] | None = None
        self._text: str | None = None
        self._words: frozenset[str] | None = None

    @property
    def phrases(self) -> list[tuple[int, Phrase]]:
        """The phrases in the text, found once for every rule that asks."""
        if self._phrases is None:
            self._phrases = find_phrases(self.words)
        return self._phrases

    @property
    def quoted(self) -> frozenset[int]:
        """Positions inside quotation marks, found once for every rule that asks."""
        if self._quoted is None:
            self._quoted = frozenset(quoted_positions(self.raw))
        return self._quoted

    @property
    def unquoted_text(self) -> str:
        """The text without its quotations, lowercased: quoted words are someone else's."""
        if self._text is None:
            quoted = self.quoted
            raw = self.raw if not quoted else [t for i, t in enumerate(self.raw) if i not in quoted]
            self._text = " ".join(raw).lower()
        return self._text

    @property
    def unquoted_words(self) -> frozenset[str]:
        """The distinct words outside quotation marks."""
        if self._words is None:
            quoted, words = self.quoted, self.words
            self._words = frozenset(
                words if not quoted else [w for i, w in enumerate(words) if i not in quoted]
            )
        return self._words


def _word_set(text: str) -> frozenset[str]:
    """The space-separated words of `text`: long word lists read better as one string."""
    return frozenset(text.split())


def apply_phrases(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences with each phrase's words replaced by the phrase's valence (first word) and 0."""
    out = list(valences)
    for i, phrase in tokens.phrases:
        out[i : i + len(phrase.words)] = [phrase.valence] + [0.0] * (len(phrase.words) - 1)
    return out


# Fillers that open a sentence with a comma ("Well, that's the end of it")
# carry no praise, though VADER has well +1.1, ok +1.2, okay +0.9, yeah +1.2.
DISCOURSE_MARKERS = frozenset({"well", "ok", "okay", "yeah"})


def drop_discourse_markers(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences with a sentence-opening filler followed by a comma ("Well, ...") set to 0."""
    out = list(valences)
    for span in tokens.spans:
        first = tokens.raw[span.start]
        if first.endswith(",") and tokens.words[span.start] in DISCOURSE_MARKERS:
            out[span.start] = 0.0
    return out


# A quotation opens on a token starting with a quote mark and a word character
# ('fully, "Best) and closes on a token ending with the same mark; an apostrophe
# inside a word (nobody's) never opens one.
_OPENING_QUOTE = re.compile(r"^[(\[]*(['\"])\w")
_TRAILING_PUNCTUATION = ".,;:!?)]…"
_OPENERS = frozenset("'\"([")
# A longer run is more likely an unmatched apostrophe than a quotation.
MAX_QUOTE_TOKENS = 25
# Praise inside quotation marks is someone else's claim, and in policy talk
# it is quoted mostly to be disputed ("'fully funded' pay rise", "'Best
# punctuality in two years.'"): it counts half, and against.
QUOTED_PRAISE_WEIGHT = -0.5


def quoted_positions(raw: Sequence[str]) -> set[int]:
    """Indices of tokens inside quotation marks, the marks' own tokens included."""
    quoted: set[int] = set()
    free_from = 0  # the first token not inside a quotation already found
    for i in [i for i, token in enumerate(raw) if token[0] in _OPENERS]:
        if i < free_from:
            continue
        token = raw[i]
        opening = _OPENING_QUOTE.match(token)
        close = _closing_index(raw, i, opening.group(1)) if opening else None
        if close is not None:
            quoted.update(range(i, close + 1))
            free_from = close + 1
    return quoted


def _closing_index(raw: Sequence[str], start: int, mark: str) -> int | None:
    """Index of the token that closes a quotation opened at `start`, if one does soon."""
    for j in range(start, min(start + MAX_QUOTE_TOKENS, len(raw))):
        body = raw[j].rstrip(_TRAILING_PUNCTUATION)
        if body.endswith(mark) and (j > start or len(body) > 2):
            return j
    return None


def discount_quoted_praise(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences with positive words inside quotation marks weighted by QUOTED_PRAISE_WEIGHT."""
    quoted = tokens.quoted
    if not quoted:
        return list(valences)
    return [
        v * QUOTED_PRAISE_WEIGHT if i in quoted and v > 0 else v for i, v in enumerate(valences)
    ]


# A sentence opening with one of these, short and without "!", is a burst of
# praise; after a complaint (the rest of the text sums negative), in British
# usage it is deadpan irony: "Train cancelled again. Lovely.", "Debt added to
# everyone's bills. Brilliant.". Emoji words count towards the length.
PRAISE_OPENERS = _word_set(
    "brilliant great lovely fantastic marvellous superb wonderful perfect genius nice "
    "classic excellent amazing cheers thanks thank bravo good love stellar fab terrific "
    "outstanding impressive"
)
MAX_PRAISE_WORDS = 12


def flip_sarcastic_praise(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences with each praise burst's positive words negated when it follows a complaint."""
    out = list(valences)
    total = sum(valences)
    for span in tokens.spans:
        if not _is_praise_burst(tokens, span, valences):
            continue
        if total - sum(valences[j] for j in span) < 0:
            for j in span:
                out[j] = -abs(out[j])
    return out


def _is_praise_burst(tokens: Tokens, span: range, valences: Sequence[float]) -> bool:
    """A short sentence opening with praise, with no negative or negating word and no "!"."""
    # "Good - it should never have been cut." praises and explains; a burst only praises.
    return (
        tokens.words[span.start] in PRAISE_OPENERS
        and len(span) <= MAX_PRAISE_WORDS
        and all(valences[j] >= 0 for j in span)
        and not negated([tokens.words[j] for j in span])
        and not any("!" in tokens.raw[j] for j in span)
    )


# News reporting: a reporting verb or a regulator's future tense, with no
# author in view (no I, we or you outside quotation marks), no exclamation or
# question, and no word or phrase of judgement. The label guide calls such
# posts neutral even when they report bad news ("a record £3.7bn of energy
# debt, Ofgem says"); a first person keeps a department's "we're investing
# £1.5bn to cut waits" an evaluative claim.
_REPORTING = re.compile(
    r"\b(?:said|says|confirm(?:s|ed)|announc(?:es|ed)|reported|figures|data|"
    r"statistics|survey|according to|estimates?|estimated|suggests|published|"
    r"found|finds|shows?|showed|recommends|proposals?|royal assent|"
    r"come into force|comes into force|takes effect|"
    r"will (?:rise|fall|increase|be|go|now|end|apply|need|receive)|"
    r"(?:is|are) set to|set for|expected to|voted (?:to|for|against)|turnout)\b"
)  # Matched against lowercased text: IGNORECASE makes this regex several times slower.
SPEAKER_WORDS = _word_set("i i'm i've i'd i'll me my mine we we're we've we'll our ours")
READER_WORDS = _word_set("you your you're you've you'll yours")
STANCE_WORDS = _word_set(
    "welcome good great bad terrible awful shocking disgraceful shameful scandal "
    "scandalous shambles finally sadly appalling outrageous ridiculous absurd madness "
    "pathetic brilliant excellent fantastic wonderful amazing disgrace joke insult "
    "betrayal heroes should"
)
# Scales every valence of a news report or guidance: far enough to leave a
# report of bad news neutral, not so far that a post full of strong words
# (a misread complaint) is silenced.
NEWS_WEIGHT = 0.05


def reads_as_news(tokens: Tokens) -> bool:
    """True for third-person reporting with no stance of the author's."""
    # Cheapest tests first: most posts have an author in view.
    return (
        not _speaker_in_view(tokens)
        and READER_WORDS.isdisjoint(tokens.unquoted_words)
        and "?" not in tokens.unquoted_text
        and _has_no_stance(tokens)
        and _REPORTING.search(tokens.unquoted_text) is not None
    )


def _speaker_in_view(tokens: Tokens) -> bool:
    """True when the author speaks as I or we, or exclaims, outside quotation marks."""
    words = tokens.unquoted_words
    if not SPEAKER_WORDS.isdisjoint(words) or "!" in tokens.unquoted_text:
        return True
    # "us", but not "US" the country.
    return "us" in words and any(t.strip(".,;:!?") in ("us", "Us") for t in tokens.raw)


# Practical guidance speaks to the reader ("you") but has no author in view
# and no judgement; the label guide calls it neutral ("Check your deposit is
# protected within 30 days").
_GUIDANCE = re.compile(
    r"\b(?:what you need to know|how to|here's how|check (?:your|the|if|whether)|"
    r"find out|apply (?:for|by|now|online|before)|deadline|closes on|register|"
    r"call 111|call 999|more information|full details|eligibility|reminder|"
    r"checklist|guidance|you'll need|make sure)\b"
)  # Matched against lowercased text, as _REPORTING is.
# Advice has no strong words: "Check your deposit is protected. Landlords get
# away with murder." is a complaint with a tip attached.
GUIDANCE_MAX_VALENCE = 2.5


def reads_as_guidance(tokens: Tokens, valences: Sequence[float]) -> bool:
    """True for practical advice to the reader, with no speaker in view and no stance."""
    return (
        not _speaker_in_view(tokens)
        and _has_no_stance(tokens)
        and max(map(abs, valences), default=0.0) < GUIDANCE_MAX_VALENCE
        and _GUIDANCE.search(tokens.unquoted_text) is not None
    )


def _has_no_stance(tokens: Tokens) -> bool:
    """True when no stance word and no phrase with a valence ("funny that", 🙄) occurs."""
    return STANCE_WORDS.isdisjoint(tokens.words) and all(
        phrase.valence == 0 for _, phrase in tokens.phrases
    )


def damp_news_and_guidance(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences scaled by NEWS_WEIGHT when the text reads as news or as guidance."""
    if not (reads_as_news(tokens) or reads_as_guidance(tokens, valences)):
        return list(valences)
    return [v * NEWS_WEIGHT for v in valences]


def apply_policy_rules(tokens: Tokens, valences: Sequence[float]) -> list[float]:
    """Valences after every rule, in the order the module docstring gives."""
    adjusted = apply_phrases(tokens, valences)
    adjusted = drop_discourse_markers(tokens, adjusted)
    adjusted = discount_quoted_praise(tokens, adjusted)
    adjusted = flip_sarcastic_praise(tokens, adjusted)
    return damp_news_and_guidance(tokens, adjusted)

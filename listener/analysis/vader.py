"""VADER 3.3.2's scoring of one prepared text, with listener's fixes, done in few passes.

VADER's own code lowercases the whole text again for every word it checks and
calls several functions per word. Here each text is split, stripped and
lowercased once, only words of the lexicon are visited (every other word's
valence is 0, as in VADER), and each rule does VADER's arithmetic in VADER's
order, so the figures are the same to the last bit: tests/unit/test_sentiment.py
checks the rules against vaderSentiment's own. docs/sentiment.md gives the
faults fixed (negation and "but" stay inside their sentence).
"""

from __future__ import annotations

import bisect
import itertools
import math
import string
from collections.abc import Sequence
from typing import NamedTuple

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

from listener.analysis.policy_rules import Tokens, apply_policy_rules

_PUNCTUATION = string.punctuation
_NEGATIONS = frozenset(NEGATE)
# Every word of VADER's special cases and of its boosters of more than one word:
# _special_idioms_check looks for nothing else.
_IDIOM_WORDS = frozenset(
    word for phrase in [*SPECIAL_CASES, *BOOSTER_DICT] if " " in phrase for word in phrase.split()
)
_STOPS = (".", "!", "?")
_CLOSERS = "\"')]"


class Words(NamedTuple):
    """One text as VADER's rules read it, split and lowercased once."""

    raw: list[str]  # whitespace tokens
    words: list[str]  # VADER's words_and_emoticons: tokens less surrounding punctuation
    lowers: list[str]  # the same, lowercased
    short: list[int]  # tokens of two characters or fewer once stripped, which VADER keeps whole
    spans: list[range]  # sentences, as token ranges

    @classmethod
    def of(cls, text: str) -> Words:
        """Split `text` as VADER's SentiText does, and find its sentences."""
        raw = text.split()
        words = list(map(str.strip, raw, itertools.repeat(_PUNCTUATION)))
        # A token of two characters or fewer once stripped stays whole (":)" is an
        # emoticon). Few are: they are put back one by one.
        short = [i for i, length in enumerate(map(len, words)) if length <= 2]
        for i in short:
            words[i] = raw[i]
        return cls(raw, words, list(map(str.lower, words)), short, sentence_spans(raw))

    def is_cap_diff(self) -> bool:
        """VADER's allcap_differential: some words, but not all, are in capitals."""
        upper = sum(map(str.isupper, self.words))
        return 0 < len(self.words) - upper < len(self.words)


class FixedVader(SentimentIntensityAnalyzer):
    """VADER whose word rules and contrastive "but" stay inside their own sentence."""

    def polarity_scores(self, text: str) -> dict[str, float]:
        """VADER 3.3.2's scores, sentence by sentence, less its emoji pass."""
        # prepare_text has already spelled emoji out, whole sequences at a time.
        words = Words.of(text)
        valences = self._adjust(words, self.word_valences(words))
        valences = rescale_for_but(words.lowers, valences, words.spans)
        return score_valence(valences, text)

    def _adjust(self, words: Words, valences: list[float]) -> list[float]:
        """Word valences after any rules beyond VADER's own; FixedVader has none."""
        return valences

    def word_valences(self, words: Words) -> list[float]:
        """The valence of each word by VADER's word rules, which look only inside its sentence."""
        lexicon, lowers = self.lexicon, words.lowers
        valences: list[float] = [0] * len(lowers)
        # Boosters and "kind of" carry no valence of their own (as in VADER); nor
        # does a word outside the lexicon: only the lexicon's words are visited.
        found = lexicon.keys() & lowers
        found.difference_update(BOOSTER_DICT)
        if not found:
            return valences
        rules = _Rules(lexicon, words)
        starts = [span.start for span in words.spans]
        for word in found:
            i = -1
            for _ in range(lowers.count(word)):
                i = lowers.index(word, i + 1)
                span = words.spans[bisect.bisect_right(starts, i) - 1]
                if not (word == "kind" and i + 1 < span.stop and lowers[i + 1] == "of"):
                    valences[i] = rules.valence(i, span.start, span.stop)
        return valences

    # VADER's two look-back checks, for lowercase words (VADER lowercases them itself).

    @staticmethod
    def _negation_check(valence: float, lowers: Sequence[str], start_i: int, i: int) -> float:
        """VADER 3.3.2's _negation_check."""
        if start_i == 0 and _negates(lowers[i - 1]):
            valence = valence * N_SCALAR
        if start_i == 1:
            if lowers[i - 2] == "never" and lowers[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif lowers[i - 2] == "without" and lowers[i - 1] == "doubt":
                pass
            elif _negates(lowers[i - 2]):
                valence = valence * N_SCALAR
        if start_i == 2:
            never_so = lowers[i - 3] == "never" and lowers[i - 2] in ("so", "this")
            if never_so or lowers[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif lowers[i - 3] == "without" and "doubt" in (lowers[i - 2], lowers[i - 1]):
                pass
            elif _negates(lowers[i - 3]):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence: float, lowers: Sequence[str], i: int) -> float:
        """VADER 3.3.2's _special_idioms_check."""
        w3, w2, w1, w0 = lowers[i - 3], lowers[i - 2], lowers[i - 1], lowers[i]
        threetwoone, threetwo, twoone = f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(lowers) - 1 > i:
            zeroone = f"{w0} {lowers[i + 1]}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if len(lowers) - 1 > i + 1:
            zeroonetwo = f"{w0} {lowers[i + 1]} {lowers[i + 2]}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        # booster/dampener bi-grams such as "sort of" or "kind of"
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence


class _Rules:
    """VADER 3.3.2's sentiment_valence for one text, for a word at an index."""

    __slots__ = ("_cap_diff", "lexicon", "words")

    def __init__(self, lexicon: dict[str, float], words: Words) -> None:
        self.lexicon, self.words = lexicon, words
        self._cap_diff: bool | None = None

    def _shouted(self, k: int) -> bool:
        """VADER's `word.isupper() and is_cap_diff` for word `k`; the second, only if asked."""
        if not self.words.words[k].isupper():
            return False
        if self._cap_diff is None:
            self._cap_diff = self.words.is_cap_diff()
        return self._cap_diff

    def valence(self, i: int, start: int, stop: int) -> float:
        """The valence of lexicon word `i` of the sentence `start`..`stop`, as VADER gives it."""
        lexicon, lowers = self.lexicon, self.words.lowers
        lower = lowers[i]
        valence = lexicon[lower]
        if lower == "no" and i != stop - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > start and lowers[i - 1] == "no")
            or (i > start + 1 and lowers[i - 2] == "no")
            or (i > start + 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))
        ):
            valence = lexicon[lower] * N_SCALAR
        if self._shouted(i):
            valence = valence + C_INCR if valence > 0 else valence - C_INCR
        for start_i in range(3):
            k = i - (start_i + 1)
            if k < start or lowers[k] in lexicon:
                continue
            s = self._booster(k, valence)
            if start_i == 1 and s != 0:
                s = s * 0.95
            if start_i == 2 and s != 0:
                s = s * 0.9
            valence = valence + s
            valence = FixedVader._negation_check(valence, lowers, start_i, i)
            # The idioms' check can only change a valence if a word near this one is
            # in an idiom; most are not, and building its n-grams is slow.
            if start_i == 2 and not _IDIOM_WORDS.isdisjoint(lowers[i - 3 : min(i + 3, stop)]):
                sentence = lowers[start:stop]
                valence = FixedVader._special_idioms_check(valence, sentence, i - start)
        return self._least(valence, i, start)

    def _booster(self, k: int, valence: float) -> float:
        """VADER's scalar_inc_dec for word `k` before a word of `valence`."""
        scalar = BOOSTER_DICT.get(self.words.lowers[k], 0.0)
        if not scalar:
            return 0.0
        if valence < 0:
            scalar *= -1
        if self._shouted(k):
            scalar = scalar + C_INCR if valence > 0 else scalar - C_INCR
        return scalar

    def _least(self, valence: float, i: int, start: int) -> float:
        """VADER's _least_check: "least" before a word negates it, but not "at/very least"."""
        lowers = self.words.lowers
        if i > start and lowers[i - 1] == "least" and "least" not in self.lexicon:
            if i > start + 1 and lowers[i - 2] in ("at", "very"):
                return valence
            return valence * N_SCALAR
        return valence


def _negates(word: str) -> bool:
    """VADER's negated() for one lowercase word: a negation, or a word with "n't"."""
    return word in _NEGATIONS or "n't" in word


class PolicyVader(FixedVader):
    """FixedVader plus the policy-talk rules of policy_rules (phrases, quotes, sarcasm, news)."""

    def _adjust(self, words: Words, valences: list[float]) -> list[float]:
        """Word valences after the policy-talk rules."""
        # VADER keeps punctuation on words of two letters or fewer ("it.", "I,"),
        # which would hide them from the rules' word lists and phrases.
        plain = list(words.lowers)
        for i in words.short:
            stripped = words.raw[i].strip(_PUNCTUATION)
            if stripped:
                plain[i] = stripped.lower()
        return apply_policy_rules(Tokens(words.raw, plain, words.spans), valences)


def sentence_spans(tokens: Sequence[str]) -> list[range]:
    """Token ranges of the sentences in `tokens` (a sentence ends at a token ending . ! or ?)."""
    # map() of str methods tests every token without a Python call per token.
    trimmed = map(str.rstrip, tokens[:-1], itertools.repeat(_CLOSERS))
    ends = map(str.endswith, trimmed, itertools.repeat(_STOPS))
    bounds = [0, *itertools.compress(itertools.count(1), ends), len(tokens)]
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def rescale_for_but(
    lowers: Sequence[str], sentiments: Sequence[float], spans: Sequence[range]
) -> list[float]:
    """In each sentence, halve sentiment before its last "but" and raise it by half after."""
    # VADER 3.3.2 finds each value's position with list.index(value), so a
    # value equal to an earlier, already rescaled one rescales the wrong word;
    # and its first "but" in the whole text decides for every sentence.
    rescaled = list(sentiments)
    if "but" not in lowers:
        return rescaled
    for scope in _but_scopes(lowers, spans):
        buts = [i for i in scope if lowers[i] == "but"]
        if buts:
            pivot = buts[-1]
            for i in scope:
                if i != pivot:
                    rescaled[i] *= 0.5 if i < pivot else 1.5
    return rescaled


def _but_scopes(lowers: Sequence[str], spans: Sequence[range]) -> list[range]:
    """Sentences, except that one opening with "But" joins the one before it."""
    # "Good news. But the backlog..." contrasts with the sentence before it.
    scopes: list[range] = []
    for span in spans:
        if scopes and lowers[span.start] == "but":
            scopes[-1] = range(scopes[-1].start, span.stop)
        else:
            scopes.append(span)
    return scopes


def score_valence(sentiments: list[float], text: str) -> dict[str, float]:
    """VADER 3.3.2's score_valence: compound, pos, neu and neg from word valences."""
    if not sentiments:
        return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
    sum_s = float(sum(sentiments))
    emphasis = _punctuation_emphasis(text)
    if sum_s > 0:
        sum_s += emphasis
    elif sum_s < 0:
        sum_s -= emphasis
    compound = normalize(sum_s)
    # VADER's _sift_sentiment_scores, adding in the same order; a neutral word counts 1.
    pos_sum, neg_sum = 0.0, 0.0
    for sentiment in filter(None, sentiments):  # zeros add nothing
        if sentiment > 0:
            pos_sum += float(sentiment) + 1
        elif sentiment < 0:
            neg_sum += float(sentiment) - 1
    neu_count = sentiments.count(0)
    if pos_sum > math.fabs(neg_sum):
        pos_sum += emphasis
    elif pos_sum < math.fabs(neg_sum):
        neg_sum -= emphasis
    total = pos_sum + math.fabs(neg_sum) + neu_count
    return {
        "neg": round(math.fabs(neg_sum / total), 3),
        "neu": round(math.fabs(neu_count / total), 3),
        "pos": round(math.fabs(pos_sum / total), 3),
        "compound": round(compound, 4),
    }


def _punctuation_emphasis(text: str) -> float:
    """VADER's _punctuation_emphasis: up to four "!" and, from two, up to three "?"."""
    ep_amplifier = min(text.count("!"), 4) * 0.292
    qm_count = text.count("?")
    qm_amplifier = 0.0 if qm_count <= 1 else qm_count * 0.18 if qm_count <= 3 else 0.96
    return ep_amplifier + qm_amplifier

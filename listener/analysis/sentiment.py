"""Score the sentiment of posts: VADER 3.3.2 with listener's fixes, policy lexicon and rules.

See docs/sentiment.md for the faults fixed here, the rules for long texts and
the policy-talk rules (in policy_rules.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from listener.analysis import emoji
from listener.analysis.vader import FixedVader, PolicyVader

# Bump whenever the lexicon, a phrase or any rule (here, in policy_rules.py or
# in policy_phrases.py) changes: it is stored beside every score so old and
# new scores are never mixed unknowingly.
SCORER_VERSION = "listener-2+vader-3.3.2"

# VADER's documented cut-offs for its compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)

# VADER's rules rescan the whole token list for every token, so its cost
# grows with the square of the length: longer texts are scored in chunks.
CHUNK_CHARS = 1_000
# Beyond this many characters (after emoji are spelled out) a text is cut;
# the first 20,000 characters of a post say what it is about.
MAX_CHARS = 20_000

# "#NHSCrisis" -> "NHS Crisis": campaign hashtags carry much of a post's tone,
# and VADER sees a camel-case hashtag as one unknown word.
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
# Programme names (Great British Energy, Great British Railways) and the
# country are not praise; hyphenated, "Great" stops matching VADER's "great".
_GREAT_BRITAIN = re.compile(r"\bGreat (?=Britain|British)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Smart quotes from phones: VADER only strips ASCII punctuation and only
# recognises "n't" negations written with an ASCII apostrophe.
_TYPOGRAPHIC = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b", "'") | dict.fromkeys("\u201c\u201d\u201e", '"')
)
# The same, as one replace per mark a text holds: str.translate looks every
# character up in a dict, several times slower on the texts that need it.
_TYPOGRAPHIC_MARKS = tuple((chr(mark), str(plain)) for mark, plain in _TYPOGRAPHIC.items())


Figures = tuple[float, float, float, float, str]  # compound, pos, neu, neg, label


@dataclass(frozen=True)
class SentimentScore:
    """VADER's four figures for one text, plus the label the compound implies."""

    compound: float
    pos: float
    neu: float
    neg: float
    label: str  # "positive" | "neutral" | "negative"

    @classmethod
    def from_vader(cls, scores: Mapping[str, float]) -> SentimentScore:
        """Build from VADER's polarity_scores() dict."""
        compound = scores["compound"]
        return cls(compound, scores["pos"], scores["neu"], scores["neg"], label_for(compound))


@dataclass(frozen=True)
class LexiconEntry:
    """One line of the policy lexicon: a word, its valence (0 removes it), and the reason."""

    token: str
    valence: float
    why: str


def label_for(compound: float) -> str:
    """The label VADER's documented thresholds give a compound score."""
    if compound >= POSITIVE_THRESHOLD:
        return POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def parse_policy_lexicon(text: str, *, source: str) -> list[LexiconEntry]:
    """Parse token<TAB>valence<TAB>why lines; raise ValueError naming `source` and the line."""
    entries: list[LexiconEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[2].strip():
            raise ValueError(f"{source}:{number}: want token<TAB>valence<TAB>why, got {line!r}")
        token, valence_text, why = fields
        if token != token.lower() or not token or any(c.isspace() for c in token):
            raise ValueError(f"{source}:{number}: token must be one lowercase word: {token!r}")
        try:
            valence = float(valence_text)
        except ValueError:
            message = f"{source}:{number}: valence is not a number: {valence_text!r}"
            raise ValueError(message) from None
        if not -4.0 <= valence <= 4.0:
            raise ValueError(f"{source}:{number}: valence {valence} is outside VADER's -4..4")
        entries.append(LexiconEntry(token, valence, why.strip()))
    return entries


@functools.cache
def shipped_policy_lexicon() -> tuple[LexiconEntry, ...]:
    """The policy lexicon shipped with listener, parsed once per process."""
    resource = resources.files("listener.analysis").joinpath("policy_lexicon.txt")
    return tuple(parse_policy_lexicon(resource.read_text("utf-8"), source="policy_lexicon.txt"))


def apply_lexicon(lexicon: dict[str, float], entries: Sequence[LexiconEntry]) -> None:
    """Overlay `entries` on a VADER lexicon dict; a zero valence removes the word."""
    for entry in entries:
        if entry.valence == 0:
            # Absent rather than 0.0: VADER treats any lexicon word, even a
            # zero one, as blocking "no"/booster rules for its neighbours.
            lexicon.pop(entry.token, None)
        else:
            lexicon[entry.token] = entry.valence


def prepare_text(text: str) -> str:
    """Rewrite a post into what VADER reads well, cut at MAX_CHARS characters."""
    # Cut before spelling out too, so a huge input costs no more than a capped one.
    text = _cut(text, MAX_CHARS)
    # The guards skip work that would change nothing: they halve the cost for most posts.
    if not text.isascii():
        text = _straighten_quotes(text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    if "Great " in text:
        text = _GREAT_BRITAIN.sub("Great-", text)
    return _cut(_spell_out_emoji(text), MAX_CHARS)


def _straighten_quotes(text: str) -> str:
    """`text.translate(_TYPOGRAPHIC)`, faster."""
    for mark, plain in _TYPOGRAPHIC_MARKS:
        if mark in text:
            text = text.replace(mark, plain)
    return text


def _spell_out_emoji(text: str) -> str:
    """emoji.spell_out_emoji, skipped for a text without a character it could change."""
    # Most posts hold no emoji, and its character-by-character walk was a
    # quarter of a post's scoring time.
    marks, ascii_free = _emoji_marks()
    if (ascii_free and text.isascii()) or marks.isdisjoint(text):
        return text
    return emoji.spell_out_emoji(text)


@functools.cache
def _emoji_marks() -> tuple[frozenset[str], bool]:
    """The characters without which spell_out_emoji leaves a text as it is; all non-ASCII?

    It only replaces sequences of its table and drops variation selectors, skin
    tones and joiners; every sequence in the table holds a non-ASCII character
    (keycaps start with a digit, "#" or "*" but go on with U+20E3).
    """
    marks = set(emoji._VARIATION_SELECTORS | emoji._SKIN_TONES) | {emoji._ZERO_WIDTH_JOINER}
    for key in emoji.vader_emoji_table().descriptions:
        wide = [char for char in key if not char.isascii()]
        marks.update(wide or key)  # an all-ASCII key (none today) marks with its own characters
    return frozenset(marks), not any(char.isascii() for char in marks)


def _split_hashtag(match: re.Match[str]) -> str:
    """A mixed-case hashtag's words, space-separated; any other hashtag unchanged."""
    return _hashtag_words(match.group(1))


@functools.lru_cache(maxsize=8192)  # campaign hashtags recur across thousands of posts
def _hashtag_words(body: str) -> str:
    """#body as words ("NHSCrisis" -> "NHS Crisis") if mixed-case, else "#body" unchanged."""
    if not (any(c.isupper() for c in body) and any(c.islower() for c in body)):
        return f"#{body}"
    words = [""]
    for i, char in enumerate(body):
        prev, after = body[i - 1 : i], body[i + 1 : i + 2]
        if char == "_":
            words.append("")
            continue
        starts_word = (
            (prev.islower() and char.isupper())
            or (prev.isalnum() and prev.isdigit() != char.isdigit())
            or (prev.isupper() and char.isupper() and after.islower())  # "NHSCrisis"
        )
        if starts_word:
            words.append("")
        words[-1] += char
    return " ".join(word for word in words if word)


def split_into_chunks(text: str, *, limit: int = CHUNK_CHARS) -> list[str]:
    """Split at sentence ends into chunks of at most `limit` characters; short text stays whole."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and len(current) + 1 + len(piece) > limit:
            chunks.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> list[str]:
    """Sentences of `text`, with any sentence longer than `limit` broken at spaces."""
    pieces: list[str] = []
    for sentence in filter(None, (s.strip() for s in _SENTENCE_END.split(text))):
        while len(sentence) > limit:
            head = _cut(sentence, limit)
            pieces.append(head)
            sentence = sentence[len(head) :].lstrip()
        if sentence:
            pieces.append(sentence)
    return pieces


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, ending at a space when one is near the end."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit + 1)
    return text[:space] if space > limit // 2 else text[:limit]


def _combine(parts: Sequence[tuple[int, SentimentScore]]) -> SentimentScore:
    """Length-weighted mean of chunk scores, rounded as VADER rounds."""
    total = sum(weight for weight, _ in parts)

    def mean(field: str) -> float:
        return sum(weight * getattr(score, field) for weight, score in parts) / total

    compound = round(mean("compound"), 4)
    return SentimentScore(
        compound,
        round(mean("pos"), 3),
        round(mean("neu"), 3),
        round(mean("neg"), 3),
        label_for(compound),
    )


class SentimentScorer:
    """listener's scorer: fixed VADER, whole-emoji lookup, policy lexicon and rules, chunking."""

    def __init__(self, *, policy_lexicon: bool = True) -> None:
        # policy_lexicon=False keeps VADER's words and rules with listener's fixes
        # only: the lexicon and the policy-talk rules come and go together.
        self._vader = PolicyVader() if policy_lexicon else FixedVader()
        if policy_lexicon:
            apply_lexicon(self._vader.lexicon, shipped_policy_lexicon())
        _emoji_marks()  # now, not with the first emoji: a forked worker inherits it

    def score(self, text: str) -> SentimentScore:
        """Score one text; texts over CHUNK_CHARS are scored by chunk and averaged."""
        return SentimentScore(*self.figures(text))

    def figures(self, text: str) -> Figures:
        """score(text) as a plain tuple, (compound, pos, neu, neg, label): quicker to
        build, and to pass between processes."""
        chunks = split_into_chunks(prepare_text(text))
        if len(chunks) > 1:
            s = _combine([(len(chunk), self._score_chunk(chunk)) for chunk in chunks])
            return s.compound, s.pos, s.neu, s.neg, s.label
        scores = self._vader.polarity_scores(chunks[0])
        compound = scores["compound"]
        return compound, scores["pos"], scores["neu"], scores["neg"], label_for(compound)

    def _score_chunk(self, chunk: str) -> SentimentScore:
        """VADER's scores for text already prepared and short enough."""
        return SentimentScore.from_vader(self._vader.polarity_scores(chunk))


@functools.cache
def _plain_vader() -> SentimentIntensityAnalyzer:
    """Unmodified VADER, built once per process."""
    return SentimentIntensityAnalyzer()


def plain_vader_score(text: str) -> SentimentScore:
    """Score with unmodified VADER 3.3.2 (no fixes, no lexicon, no chunking): the baseline."""
    return SentimentScore.from_vader(_plain_vader().polarity_scores(text))


@functools.cache
def default_scorer() -> SentimentScorer:
    """The scorer this process uses when it scores texts itself, built on first use."""
    return SentimentScorer()

"""Score the sentiment of posts: VADER 3.3.2 with listener's fixes, policy lexicon and rules.

See docs/sentiment.md for the faults fixed here, the rules for long texts and
the policy-talk rules (in policy_rules.py).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import string
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    allcap_differential,
)

from listener.analysis import emoji
from listener.analysis.policy_rules import Tokens, apply_policy_rules

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
# Below this many distinct texts, starting worker processes costs more than it saves.
PARALLEL_MIN_TEXTS = 2_000

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


@dataclass(frozen=True)
class _SentenceView:
    """The two SentiText attributes VADER's word rules read, for one sentence."""

    words_and_emoticons: list[str]
    is_cap_diff: bool


class FixedVader(SentimentIntensityAnalyzer):
    """VADER whose word rules and contrastive "but" stay inside their own sentence."""

    def polarity_scores(self, text: str) -> dict[str, float]:
        """VADER 3.3.2's scoring loop, sentence by sentence, less its emoji pass."""
        # prepare_text has already spelled emoji out, whole sequences at a time.
        raw = text.split()
        words = _words_and_emoticons(raw)
        is_cap_diff = allcap_differential(words)
        spans = sentence_spans(raw)
        sentiments: list[float] = []
        for span in spans:
            # VADER's negation, "no" and booster rules look up to three words
            # back, across full stops: in "Opened without fuss. Good result."
            # it reads "without" as negating "Good".
            view = _SentenceView(words[span.start : span.stop], is_cap_diff)
            sentiments += self._sentence_valences(view)
        sentiments = self._adjust(raw, spans, sentiments)
        sentiments = rescale_for_but(words, sentiments, spans)
        result: dict[str, float] = self.score_valence(sentiments, text)
        return result

    def _adjust(self, raw: list[str], spans: list[range], valences: list[float]) -> list[float]:
        """Word valences after any rules beyond VADER's own; FixedVader has none."""
        return valences

    def _sentence_valences(self, view: _SentenceView) -> list[float]:
        """Valence of each word of one sentence, by VADER's own word rules."""
        words = view.words_and_emoticons
        lexicon = self.lexicon
        valences: list[float] = []
        for i, item in enumerate(words):
            lower = item.lower()
            # Boosters and "kind of" carry no valence of their own (as in VADER);
            # nor does a word outside the lexicon, for which VADER's
            # sentiment_valence only appends 0 (skipped: most words, most of the cost).
            if (
                lower not in lexicon
                or lower in BOOSTER_DICT
                or (lower == "kind" and i + 1 < len(words) and words[i + 1].lower() == "of")
            ):
                valences.append(0)
                continue
            valences = self.sentiment_valence(0, view, item, i, valences)
        return valences

    # VADER's sentiment_valence calls these two for each lexicon word and the
    # words before it; VADER's own lowercase the whole sentence on every call.
    # These read the same words and give the same results.

    @staticmethod
    def _negation_check(
        valence: float, words_and_emoticons: list[str], start_i: int, i: int
    ) -> float:
        """VADER 3.3.2's _negation_check, lowercasing only the words it looks at."""

        def low(k: int) -> str:
            return words_and_emoticons[k].lower()

        if start_i == 0 and _negates(low(i - 1)):
            valence = valence * N_SCALAR
        if start_i == 1:
            if low(i - 2) == "never" and low(i - 1) in ("so", "this"):
                valence = valence * 1.25
            elif low(i - 2) == "without" and low(i - 1) == "doubt":
                pass
            elif _negates(low(i - 2)):
                valence = valence * N_SCALAR
        if start_i == 2:
            if (low(i - 3) == "never" and low(i - 2) in ("so", "this")) or low(i - 1) in (
                "so",
                "this",
            ):
                valence = valence * 1.25
            elif low(i - 3) == "without" and "doubt" in (low(i - 2), low(i - 1)):
                pass
            elif _negates(low(i - 3)):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        """VADER 3.3.2's _special_idioms_check, lowercasing only the words it looks at."""
        words = words_and_emoticons
        w3, w2, w1, w0 = (words[k].lower() for k in (i - 3, i - 2, i - 1, i))
        threetwoone, threetwo, twoone = f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(words) - 1 > i:
            zeroone = f"{w0} {words[i + 1].lower()}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if len(words) - 1 > i + 1:
            zeroonetwo = f"{w0} {words[i + 1].lower()} {words[i + 2].lower()}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        # booster/dampener bi-grams such as "sort of" or "kind of"
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence


_NEGATIONS = frozenset(NEGATE)


def _negates(word: str) -> bool:
    """VADER's negated() for one lowercase word: a negation, or a word with "n't"."""
    return word in _NEGATIONS or "n't" in word


def _words_and_emoticons(tokens: list[str]) -> list[str]:
    """VADER's SentiText words: each token less surrounding punctuation, unless that leaves
    two characters or fewer (emoticons such as ":)" stay whole)."""
    return [
        token if len(stripped := token.strip(string.punctuation)) <= 2 else stripped
        for token in tokens
    ]


class PolicyVader(FixedVader):
    """FixedVader plus the policy-talk rules of policy_rules (phrases, quotes, sarcasm, news)."""

    def _adjust(self, raw: list[str], spans: list[range], valences: list[float]) -> list[float]:
        """Word valences after the policy-talk rules."""
        # VADER keeps punctuation on words of two letters or fewer ("it.", "I,"),
        # which would hide them from the rules' word lists and phrases.
        plain = [word.strip(string.punctuation) or word for word in " ".join(raw).lower().split()]
        tokens = Tokens(raw, plain, spans)
        return apply_policy_rules(tokens, valences)


def sentence_spans(tokens: Sequence[str]) -> list[range]:
    """Token ranges of the sentences in `tokens` (a sentence ends at a token ending . ! or ?)."""
    starts = [
        i for i, token in enumerate(tokens[:-1], start=1) if token.rstrip("\"')]").endswith(_STOPS)
    ]
    bounds = [0, *starts, len(tokens)]
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]


_STOPS = (".", "!", "?")


def rescale_for_but(
    words: Sequence[str], sentiments: Sequence[float], spans: Sequence[range]
) -> list[float]:
    """In each sentence, halve sentiment before its last "but" and raise it by half after."""
    # VADER 3.3.2 finds each value's position with list.index(value), so a
    # value equal to an earlier, already rescaled one rescales the wrong word;
    # and its first "but" in the whole text decides for every sentence.
    rescaled = list(sentiments)
    for scope in _but_scopes(words, spans):
        buts = [i for i in scope if words[i].lower() == "but"]
        if buts:
            pivot = buts[-1]
            for i in scope:
                if i != pivot:
                    rescaled[i] *= 0.5 if i < pivot else 1.5
    return rescaled


def _but_scopes(words: Sequence[str], spans: Sequence[range]) -> list[range]:
    """Sentences, except that one opening with "But" joins the one before it."""
    # "Good news. But the backlog..." contrasts with the sentence before it.
    scopes: list[range] = []
    for span in spans:
        if scopes and words[span.start].lower() == "but":
            scopes[-1] = range(scopes[-1].start, span.stop)
        else:
            scopes.append(span)
    return scopes


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
        text = text.translate(_TYPOGRAPHIC)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    if "Great " in text:
        text = _GREAT_BRITAIN.sub("Great-", text)
    return _cut(_spell_out_emoji(text), MAX_CHARS)


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

    def score(self, text: str) -> SentimentScore:
        """Score one text; texts over CHUNK_CHARS are scored by chunk and averaged."""
        chunks = split_into_chunks(prepare_text(text))
        if len(chunks) == 1:
            return self._score_chunk(chunks[0])
        return _combine([(len(chunk), self._score_chunk(chunk)) for chunk in chunks])

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
def _default_scorer() -> SentimentScorer:
    """The scorer this process uses for score_texts, built on first use."""
    return SentimentScorer()


# Each worker process builds its own scorer once, in the pool initializer,
# rather than unpickling one with every task.
_worker_scorer: SentimentScorer | None = None


def _init_worker() -> None:
    """Pool initializer: build this worker's scorer."""
    global _worker_scorer
    _worker_scorer = SentimentScorer()


def score_texts(texts: Sequence[str], *, workers: int | None = None) -> list[SentimentScore]:
    """Score texts in input order, each distinct text once; large batches use worker processes."""
    with ScoringPool(workers) as pool:
        return pool.submit(texts).result()


class ScoringPool:
    """Worker processes that score texts, started once and kept for many batches.

    `submit` hands a batch to the workers and returns at once, so the caller
    can read and write the database while they score. Workers start with the
    first batch of PARALLEL_MIN_TEXTS distinct texts or more; until then, and
    with one worker, texts are scored in this process.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._processes = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def submit(self, texts: Sequence[str]) -> ScoredBatch:
        """Start scoring `texts`; the returned batch's result() gives their scores in order."""
        distinct = list(dict.fromkeys(texts))
        parallel = self._processes > 1 and len(distinct) >= PARALLEL_MIN_TEXTS
        if self._pool is None and not parallel:
            scorer = _default_scorer()
            return ScoredBatch(texts, distinct, [scorer.score(text) for text in distinct])
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._processes, initializer=_init_worker)
        # A few chunks per worker, so a worker that finishes early takes another.
        size = max(1, len(distinct) // (self._processes * 4))
        chunks = [distinct[i : i + size] for i in range(0, len(distinct), size)]
        return ScoredBatch(texts, distinct, [self._pool.submit(_score_chunk, c) for c in chunks])


class ScoredBatch:
    """A batch handed to a ScoringPool: its scores, once the workers are done."""

    def __init__(
        self,
        texts: Sequence[str],
        distinct: list[str],
        parts: list[SentimentScore] | list[Future[list[SentimentScore]]],
    ) -> None:
        self._texts, self._distinct, self._parts = texts, distinct, parts

    def result(self) -> list[SentimentScore]:
        """The scores in the order of the texts submitted (waits for the workers)."""
        scores: list[SentimentScore] = []
        for part in self._parts:
            if isinstance(part, Future):
                scores += part.result()
            else:
                scores.append(part)
        by_text = dict(zip(self._distinct, scores, strict=True))
        return [by_text[text] for text in self._texts]


def _score_chunk(texts: list[str]) -> list[SentimentScore]:
    """Score texts with this worker's scorer (built by _init_worker)."""
    if _worker_scorer is None:
        raise RuntimeError("worker scorer missing: _init_worker did not run")
    return [_worker_scorer.score(text) for text in texts]

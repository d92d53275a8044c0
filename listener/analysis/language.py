"""Detect the language of posts offline, with lingua's bundled models and a lean towards English.

The detector knows only the languages in LANGUAGES (see docs/sentiment.md,
"Language", for why these). It leans towards English on purpose: English is
by far the most common language in UK public conversation, and the two
mistakes cost differently. A Welsh post read as English is scored by VADER,
as every post was before detection existed; an English post read as Welsh
loses its sentiment score. So a text is English whenever English is at all
plausible, and "und" (undetermined) when it is too short or no language is
clearly ahead.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

from lingua import ConfidenceValue, Language, LanguageDetector, LanguageDetectorBuilder

UNDETERMINED = "und"  # the code X and BCP 47 use for "could not tell"

# Languages likely in UK public conversation (docs/sentiment.md, "Language",
# gives the reasons and the measurements). Latin-script ones are kept few,
# because each is one more way to misread a short English post: the nations'
# languages, the Latin-script languages among the census's most common main
# languages, and Dutch, which otherwise reads as English. Other scripts cannot
# be mistaken for English, so there the list is freer.
LANGUAGES = (
    Language.ENGLISH,
    Language.WELSH,
    Language.IRISH,  # lingua has no Scottish Gaelic; Gaelic posts read as Irish
    Language.FRENCH,
    Language.GERMAN,
    Language.SPANISH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.POLISH,
    Language.ROMANIAN,
    Language.LITHUANIAN,
    Language.TURKISH,
    Language.SOMALI,
    Language.ARABIC,
    Language.PERSIAN,
    Language.URDU,
    Language.PUNJABI,
    Language.HINDI,
    Language.BENGALI,
    Language.GUJARATI,
    Language.TAMIL,
    Language.CHINESE,
    Language.JAPANESE,
    Language.KOREAN,
    Language.RUSSIAN,
    Language.UKRAINIAN,
    Language.BULGARIAN,
    Language.GREEK,
)

# Fewer letters than this (after links and handles are removed) is too little to tell.
MIN_LETTERS = 6
# A text is English when lingua gives English at least this confidence (0 to 1,
# summing to 1 over LANGUAGES): English must be about ten times less likely
# than the best other language before a post stops being read as English.
ENGLISH_FLOOR = 0.1
# Another language is named only at this confidence; below it the text is "und".
OTHER_FLOOR = 0.5
# lingua's docs: low-accuracy mode (trigrams only) is as accurate as high from
# about 120 characters, at a fraction of the time and memory.
LONG_TEXT_CHARS = 120
# The opening of a long text says what language it is in; the rest only costs time.
MAX_CHARS = 300

_NOISE = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|(?<![\w@])@\w[\w.]*(?:@[\w-]+(?:\.[\w-]+)+)?"  # @handles, Mastodon's @user@server too
    r"|^RT\b"  # a retweet's "RT @user:" prefix
)
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
# Boundaries inside a camel-case hashtag: "CostOfLivingCrisis", "NHSCrisis".
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_LETTER = re.compile(r"[^\W\d_]")


def detect_languages(texts: Sequence[str]) -> list[str]:
    """The ISO 639-1 code of each text's language, in input order; "und" if it cannot tell.

    >>> detect_languages(["Waiting lists are up again", "Mae'r GIG dan bwysau mawr", "👍"])
    ['en', 'cy', 'und']
    """
    prepared = [prepare_text(text) for text in texts]
    codes = [UNDETERMINED] * len(prepared)
    candidates = [i for i, text in enumerate(prepared) if _has_letters(text, MIN_LETTERS)]
    # A first pass in low-accuracy mode settles most posts, the English ones,
    # at about ten times the speed of high-accuracy mode. Only the rest are
    # looked at again, a short text in high-accuracy mode.
    first = _fast_detector().detect_languages_in_parallel_of([prepared[i] for i in candidates])
    long: list[int] = []
    short: list[int] = []
    for i, language in zip(candidates, first, strict=True):
        if language == Language.ENGLISH:
            codes[i] = "en"
        else:
            (long if len(prepared[i]) >= LONG_TEXT_CHARS else short).append(i)
    for detector, indexes in ((_fast_detector(), long), (_accurate_detector(), short)):
        confidences = detector.compute_language_confidence_values_in_parallel(
            [prepared[i] for i in indexes]
        )
        for i, values in zip(indexes, confidences, strict=True):
            codes[i] = _verdict(values)
    return codes


def prepare_text(text: str) -> str:
    """What the detector reads: no links or handles, hashtags as words, at most MAX_CHARS."""
    text = _cut(text, 4 * MAX_CHARS)  # links and handles may fill the opening
    text = _HASHTAG.sub(lambda match: " ".join(_CAMEL.split(match.group(1))), _NOISE.sub(" ", text))
    return _cut(text.strip(), MAX_CHARS)


def _cut(text: str, limit: int) -> str:
    return text[:limit].rsplit(None, 1)[0] if len(text) > limit else text  # never half a word


def _has_letters(text: str, count: int) -> bool:
    return sum(1 for _ in itertools.islice(_LETTER.finditer(text), count)) == count


def _verdict(values: list[ConfidenceValue]) -> str:
    """English if it is at all plausible, else the leader if it is clearly ahead, else und."""
    english = next((v.value for v in values if v.language == Language.ENGLISH), 0.0)
    if english >= ENGLISH_FLOOR:
        return "en"
    if values and values[0].value >= OTHER_FLOOR:
        return _code(values[0].language)
    return UNDETERMINED


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


@functools.cache
def _accurate_detector() -> LanguageDetector:
    """lingua in high-accuracy mode, for short texts; its models load lazily, per script met."""
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


@functools.cache
def _fast_detector() -> LanguageDetector:
    """lingua in low-accuracy mode: a first look at every text, a second at long ones."""
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode().build()

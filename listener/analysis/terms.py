"""Pull the words that say what posts are about (unigrams, bigrams, hashtags) and show them.

Topic labels and emerging-theme detection count the same terms, so both go
through :func:`terms`::

    >>> terms("The price cap rises again in April - see https://ofgem.gov.uk @ofgem #EnergyBills")
    ['price', 'cap', 'rises', 'april', 'price cap', 'cap rises', '#energybills']
    >>> hashtags("Fix it #EnergyBills #energybills #AxeTheStandingCharge")
    ['#EnergyBills', '#AxeTheStandingCharge']

Rules, all regex-based so a week of posts takes seconds:

- words are lowercased; a possessive ``'s`` goes and other apostrophes are
  dropped (``don't`` -> ``dont``, then a stopword); ``A&E`` and ``P&O`` stay whole;
- URLs, @mentions, numbers (``7.5``, ``£3bn``, ``2026``) and stopwords are
  removed; a word with digits stays only when it starts with two letters (``hs2``, ``co2``);
- hashtags are kept as ``#tag`` (lowercase); they never join a bigram;
- a bigram joins two kept words separated only by spaces or a hyphen: a
  stopword, a removed token or any other punctuation between them breaks it.

To show ranked terms to people, :func:`fold` merges plural forms
("standing charges" and "standing charge"), :func:`readable` drops terms
that repeat a better one, :func:`display_case` restores "NHS" and "GP", and
:func:`spelled_hashtags` finds "#EnergyBills" for "#energybills".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "STOPWORDS",
    "display_case",
    "fold",
    "hashtags",
    "readable",
    "spelled_hashtags",
    "terms",
]

# scikit-learn's English list without the words that carry policy meaning
# ("bill", "fire", "system", "interest", "call", "full", "top"...), plus the
# contractions (apostrophes removed) and filler that social media adds.
STOPWORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at back be became because become becomes becoming been before beforehand
    behind being below beside besides between beyond both but by can cannot cant co could
    couldnt de do done down due during each eg eight either eleven else elsewhere enough etc
    even ever every everyone everything everywhere except few fifteen fifty first five for
    former formerly forty four from further get give go had has hasnt have he hence her here
    hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if
    in inc indeed into is it its itself keep last latter latterly least less ltd made many may
    me meanwhile might mine more moreover most mostly much must my myself namely neither never
    nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on
    once one only onto or other others otherwise our ours ourselves out over own per perhaps
    please put rather re same see seem seemed seeming seems several she should since six sixty
    so some somehow someone something sometime sometimes somewhere still such take ten than
    that the their them themselves then thence there thereafter thereby therefore therein
    thereupon these they third this those though three through throughout thru thus to
    together too toward towards twelve twenty two un under until up upon us very via was we
    well were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will with
    within without would yet you your yours yourself yourselves
    aint arent didnt doesnt dont hadnt havent hed hes id ill im isnt ive lets mustnt shant shed
    shes shouldnt thats theres theyd theyll theyre theyve wasnt wed weve werent whats wont
    wouldnt youd youll youre youve
    amp rt did does got just like oh ok okay yes yeah lol really im gonna wanna let says said
    """.split()  # noqa: SIM905 -- 330 words read better as prose than as quoted strings
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# One alternation, scanned left to right: what a group matched says what the token is.
_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)"
    r"|(?P<mention>(?<![\w@])@\w+(?:[.@]\w+)*)"
    r"|(?P<tag>(?<![\w&#])#\w*[^\W\d_]\w*)"
    r"|(?P<word>\w+(?:[&']\w+)*)"
)
# What may sit between two words of a bigram.
_JOINER = re.compile(r"[ \t]*-?[ \t]*")
_HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)")
_LETTERS2 = re.compile(r"[^\W\d_]{2}")


def terms(text: str) -> list[str]:
    """Return the unigrams, then bigrams, then hashtags of ``text``, lowercased, in text order."""
    text = text.translate(_APOSTROPHES).lower()
    unigrams: list[str] = []
    bigrams: list[str] = []
    tags: list[str] = []
    previous: str | None = None  # the last kept word, while a bigram may still follow it
    previous_end = 0
    for match in _TOKEN.finditer(text):
        word = _word(match.group("word")) if match.lastgroup == "word" else None
        if word is None:
            if match.lastgroup == "tag":
                tags.append(match.group())
            previous = None
            continue
        start = match.start()
        if previous is not None and _JOINER.fullmatch(text, previous_end, start):
            bigrams.append(f"{previous} {word}")
        unigrams.append(word)
        previous, previous_end = word, match.end()
    return unigrams + bigrams + tags


def _word(token: str) -> str | None:
    """The term a word token stands for, or None when it is a stopword, a number or too short."""
    if "'" in token:
        token = token.removesuffix("'s").replace("'", "")
    if len(token) < 2 or token in STOPWORDS or "_" in token:
        return None
    if not token.isalpha() and "&" not in token and _LETTERS2.match(token) is None:
        return None  # a number, an amount ("3bn") or a time ("8am")
    return token


def hashtags(text: str) -> list[str]:
    """Return the hashtags of ``text`` with ``#``, each once, in the case first written."""
    seen: dict[str, str] = {}
    for tag in _HASHTAG.findall(text):
        seen.setdefault(tag.lower(), f"#{tag}")
    return list(seen.values())


def spelled_hashtags(texts: Iterable[str]) -> dict[str, str]:
    """Lowercased hashtag -> the spelling the texts use most, first seen on ties."""
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for tag in hashtags(text):
            spellings.setdefault(tag.lower(), Counter())[tag] += 1
    return {tag: counter.most_common(1)[0][0] for tag, counter in spellings.items()}


def fold(term: str) -> str:
    """A key shared by a term's singular and plural forms: "heat pumps" -> "heat pump"."""
    if term.startswith("#"):
        return term
    return " ".join(_singular(word) for word in term.split(" "))


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1]


def readable(ranked: Sequence[str], support: Mapping[str, float]) -> list[str]:
    """Ranked terms without repeats: a bigram used at least half as often replaces its word.

    ``support`` says how many posts use each term. "heat" then "heat pump"
    gives "heat pump" when at least half the posts saying "heat" say
    "heat pump"; a word or bigram sharing a word with a kept bigram is dropped.
    """
    kept: list[str] = []
    for term in ranked:
        words = term.split(" ")
        if len(words) == 1:
            if not any(term in k.split(" ") for k in kept):
                kept.append(term)
            continue
        inside = [k for k in kept if k in words]
        if any(set(k.split(" ")) & set(words) for k in kept if " " in k):
            continue  # "boiler upgrade" after "upgrade scheme" says nothing new
        if not inside:
            kept.append(term)
        elif all(support.get(term, 0) >= 0.5 * support.get(k, 0) for k in inside):
            # The bigram takes the place of the first word it contains; the other goes.
            kept[kept.index(inside[0])] = term
            kept = [k for k in kept if k not in inside]
    return kept


def display_case(term: str, texts: Iterable[str]) -> str:
    """``term`` as the texts write it when that is not plain lower or sentence case ("NHS")."""
    pattern = re.compile(
        r"(?<![\w#@])" + r"[\s-]+".join(map(re.escape, term.split(" "))) + r"(?!\w)", re.I
    )
    forms = Counter(found for text in texts for found in pattern.findall(text))
    if not forms:
        return term
    form = forms.most_common(1)[0][0]
    return form if form not in (form.lower(), form.capitalize()) else term

"""The multi-word phrases of policy talk whose meaning differs from their words' valences.

A phrase's valence goes to its first word and its other words count 0, so
"too little too late" is one verdict and "Delay Repay" is a name, not a delay.
Words are matched as VADER reads them: split on whitespace, leading and trailing
punctuation stripped, lowercased ("Too little, too late!" matches). Each entry
says why; policy_rules.apply_phrases applies them. Bump SCORER_VERSION on any
change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    """A run of words whose meaning differs from the sum of its words' valences."""

    words: tuple[str, ...]
    valence: float  # given to the first word; the others get 0
    why: str


def _phrase(text: str, valence: float, why: str) -> Phrase:
    """A Phrase from space-separated lowercase words."""
    return Phrase(tuple(text.split()), valence, why)


PHRASES: tuple[Phrase, ...] = (
    # --- Negative verdicts on policy that VADER reads word by word -------------
    _phrase("too little too late", -2.0, "the standard verdict on a late, small offer"),
    _phrase("far too little", -1.5, "an offer judged inadequate"),
    _phrase("not enough", -1.5, "'not enough staff/beds/funding': a shortfall"),
    _phrase("nowhere near enough", -2.0, "a stronger 'not enough'"),
    _phrase("far enough", -1.5, "almost always 'does not go far enough'"),
    _phrase("drop in the ocean", -1.5, "money judged trivially small"),
    _phrase("sticking plaster", -1.5, "a fix judged superficial"),
    _phrase("breaking point", -2.0, "services 'at breaking point'"),
    _phrase("on its knees", -2.0, "'the NHS is on its knees'"),
    _phrase("falling apart", -2.0, "services or buildings failing"),
    _phrase("not fit for purpose", -2.0, "VADER reads 'fit' as +1.5 and only half-negates it"),
    _phrase("unfit for purpose", -2.0, "as 'not fit for purpose'"),
    _phrase("postcode lottery", -1.5, "unequal provision by area"),
    _phrase("long grass", -1.5, "'kicked into the long grass': shelved"),
    _phrase("can down the road", -1.5, "'kicking the can down the road': putting off"),
    _phrase("still waiting", -1.5, "a wait that has outrun its promise"),
    _phrase("let down", -1.5, "'let down by the system'"),
    _phrase("pay cut", -1.5, "'a real-terms pay cut': 'cut' alone is neutral (cut waiting times)"),
    _phrase("pay freeze", -1.5, "bad for staff; 'freeze' alone is neutral"),
    _phrase("rent freeze", 1.0, "good for renters; 'freeze' alone is neutral"),
    _phrase("deserve better", -1.5, "a demand that says the present is not good enough"),
    _phrase("deserves better", -1.5, "as 'deserve better'"),
    _phrase("let that sink in", -1.0, "points at a fact as outrageous"),
    _phrase("smoke and mirrors", -1.5, "a claim of deception"),
    _phrase("as well", 0.0, "'as well (as)' means also; VADER adds +1.1 for 'well'"),
    _phrase("can't afford", -1.5, "the cost-of-living complaint; VADER knows no 'afford'"),
    _phrase("cannot afford", -1.5, "as 'can't afford'"),
    _phrase("couldn't afford", -1.5, "as 'can't afford'"),
    _phrase("can least afford", -1.5, "'hits those who can least afford it'"),
    _phrase("priced out", -1.5, "'priced out of the area/market'"),
    _phrase("dressed up as", -1.0, "'a cut dressed up as reform': a disguise"),
    _phrase("guess who", -1.0, "rhetorical: 'Guess who pays for it'"),
    _phrase("they wonder why", -1.5, "'And they wonder why nurses are leaving'"),
    _phrase("not a pay rise", -1.5, "'That's not a pay rise, it's a cut' (label guide)"),
    _phrase("isn't a pay rise", -1.5, "as 'not a pay rise'"),
    _phrase("yet again", -1.5, "exasperation at a repeat"),
    _phrase("here we go again", -1.5, "exasperation at a repeat"),
    _phrase("so much for", -1.5, "'So much for the promised new hospital'"),
    _phrase("slap in the face", -2.0, "an offer felt as an insult"),
    _phrase("kick in the teeth", -2.0, "as 'slap in the face'"),
    _phrase("pie in the sky", -1.5, "a plan judged unrealistic"),
    _phrase("red tape", -1.0, "bureaucracy as a burden"),
    _phrase("no increase", 0.0, "good for payers, bad for funding; VADER reads 'no' as -1.2"),
    # --- Positive idioms -------------------------------------------------------
    _phrase("credit where it's due", 2.0, "praise; 'credit' alone is neutral (Universal Credit)"),
    _phrase("not a moment too soon", 1.5, "welcome, if late"),
    _phrase("game changer", 2.0, "a service that transformed things"),
    _phrase("step in the right direction", 1.5, "qualified approval"),
    _phrase("hats off", 2.0, "praise"),
    _phrase("over the moon", 2.5, "delighted"),
    _phrase("on the right track", 1.5, "approval of progress"),
    _phrase("i'll take it", 1.5, "grudging acceptance: 'late, but I'll take it'"),
    # "cut" alone is neutral; these are the promises the label guide calls positive.
    _phrase("cut waiting", 1.5, "'to cut waiting times/lists'"),
    _phrase("cut waits", 1.5, "as 'cut waiting times'"),
    _phrase("cut bills", 1.5, "a promise to households"),
    _phrase("cut energy bills", 1.5, "a promise to households"),
    _phrase("cut the backlog", 1.5, "'backlog' alone is -1.5"),
    _phrase("clear the backlog", 1.5, "as 'cut the backlog'"),
    _phrase("tackle the backlog", 1.5, "as 'cut the backlog'"),
    _phrase("bring down waiting", 1.5, "'bring down waiting lists'"),
    _phrase("about time", 1.5, "welcome, if late: 'About time!'"),
    # --- Programme names that contain sentiment words --------------------------
    _phrase("delay repay", 0.0, "the rail compensation scheme; not a delay"),
    _phrase("energy price guarantee", 0.0, "a scheme's name; 'guarantee' is +1.0"),
    _phrase("warm home discount", 0.0, "a scheme's name; 'warm' is +0.9"),
    _phrase("help to buy", 0.0, "a scheme's name; 'help' is +1.7"),
    _phrase("sure start", 0.0, "a scheme's name; 'sure' is +1.3"),
    _phrase("healthy start", 0.0, "a scheme's name; 'healthy' is +1.7"),
    _phrase("clean heat", 0.0, "the Clean Heat Market Mechanism; 'clean' is +1.7"),
    _phrase("pay a fine", 0.0, "a penalty, not 'fine' (+0.8)"),
    _phrase("face a fine", 0.0, "as 'pay a fine'"),
    # --- Sarcasm markers: the words are praise, the meaning is not -------------
    _phrase("what could possibly go wrong", -2.0, "ironic prediction of failure"),
    _phrase("yeah right", -1.5, "disbelief"),
    _phrase("funny that", -1.5, "ironic: points at a convenient coincidence"),
    _phrase("funny how", -1.5, "as 'funny that'"),
    _phrase("nothing says", -1.5, "'Nothing says X like Y': Y mocks X"),
    _phrase("sorted then", -1.5, "'So that's X sorted then': ironic"),
    _phrase("great another", -2.0, "'Great, another ...': a repeat of something bad"),
    _phrase("brilliant another", -2.0, "as 'great, another'"),
    _phrase("oh good", -1.5, "ironic relief"),
    _phrase("oh great", -1.5, "ironic relief"),
    _phrase("mission accomplished", -1.5, "ironic triumph"),
    _phrase("don't worry", 0.0, "reassurance, usually ironic in complaints; VADER gives +1.4"),
    # --- Emoji (spelled out) whose tone VADER's words miss ---------------------
    _phrase("face with rolling eyes", -1.5, "🙄: exasperation"),
    _phrase("upside-down face", -1.0, "🙃: irony, usually about something going wrong"),
    _phrase("clown face", -1.5, "🤡: derision"),
    _phrase("face with tears of joy", 0.0, "😂: in policy talk, mostly laughing at someone"),
    _phrase("pouting face", -2.0, "😡: anger; VADER knows neither word"),
    _phrase("face with steam from nose", -1.5, "😤: frustration"),
    _phrase("face with symbols on mouth", -2.5, "🤬: swearing"),
    _phrase("unamused face", -1.5, "😒"),
    _phrase("person facepalming", -1.5, "🤦: exasperation"),
    _phrase("woman facepalming", -1.5, "🤦‍♀️"),
    _phrase("man facepalming", -1.5, "🤦‍♂️"),
    _phrase("thumbs down", -1.5, "👎"),
    _phrase("broken heart", -2.0, "💔: VADER sums broken -2.1 and heart +3.2 to praise"),
    _phrase("party popper", 2.0, "🎉: celebration; 'party' alone is neutral (political parties)"),
    _phrase("raised fist", 1.5, "✊: solidarity, which the label guide reads as support"),
)

_PHRASES_BY_FIRST: dict[str, tuple[Phrase, ...]] = {}
for _entry in PHRASES:
    _PHRASES_BY_FIRST[_entry.words[0]] = (*_PHRASES_BY_FIRST.get(_entry.words[0], ()), _entry)
del _entry


def find_phrases(words: Sequence[str]) -> list[tuple[int, Phrase]]:
    """Where each phrase starts in `words`, longest match first, matches not overlapping."""
    firsts = _PHRASES_BY_FIRST.keys() & words
    if not firsts:
        return []  # most texts: no word can start a phrase
    found: list[tuple[int, Phrase]] = []
    free_from = 0  # the first word not inside a phrase already found
    for i in sorted(_positions(words, firsts)):
        if i < free_from:
            continue
        match = _longest_phrase_at(words, i)
        if match is not None:
            found.append((i, match))
            free_from = i + len(match.words)
    return found


def _positions(words: Sequence[str], wanted: set[str]) -> list[int]:
    """The index of every word of `words` that is in `wanted`."""
    positions: list[int] = []
    for word in wanted:
        i = words.index(word)
        positions.append(i)
        for _ in range(1, words.count(word)):
            i = words.index(word, i + 1)
            positions.append(i)
    return positions


def _longest_phrase_at(words: Sequence[str], i: int) -> Phrase | None:
    """The longest phrase that starts at word `i`, if any."""
    best: Phrase | None = None
    for phrase in _PHRASES_BY_FIRST[words[i]]:
        n = len(phrase.words)
        if (best is None or n > len(best.words)) and tuple(words[i : i + n]) == phrase.words:
            best = phrase
    return best

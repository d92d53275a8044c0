"""Match posts against query ASTs: the reference semantics, and a fast Matcher for many watches.

:func:`matches` is the meaning of a query that the FTS5 and tsquery translators
share: a plain word matches the token or its hashtag form, a phrase matches a
contiguous run of tokens, ``from:`` compares the normalised author handle and
``lang:`` the post's primary language subtag.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from listener.query import (
    And,
    From,
    Hashtag,
    Lang,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    word_forms,
)
from listener.textnorm import normalise_handle, normalise_lang, tokenize

__all__ = ["MatchDoc", "Matcher", "compile_query", "doc_keys", "matches", "prefilter"]

K = TypeVar("K")


@dataclass(frozen=True)
class MatchDoc:
    """A post reduced to what queries look at: its tokens, author handle and language."""

    tokens: tuple[str, ...]
    author: str = ""  # normalised handle (textnorm.normalise_handle), "" if unknown
    lang: str | None = None  # primary subtag (textnorm.normalise_lang), None if unknown
    token_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "token_set", frozenset(self.tokens))

    @classmethod
    def from_post(cls, text: str, *, author: str = "", lang: str | None = None) -> MatchDoc:
        """Build a MatchDoc from raw post text, author handle and language code."""
        return cls.from_tokens(tokenize(text), author=author, lang=lang)

    @classmethod
    def from_tokens(
        cls, tokens: Iterable[str], *, author: str = "", lang: str | None = None
    ) -> MatchDoc:
        """Build a MatchDoc from tokens (textnorm.tokenize's), author handle and language code."""
        return cls(tuple(tokens), normalise_handle(author), normalise_lang(lang))


def matches(node: Node, doc: MatchDoc) -> bool:
    """Return whether ``doc`` satisfies the query ``node``.

    The plain reading of a query, node by node. Matching many posts uses
    :func:`compile_query` instead; the tests hold the two to the same answers.
    """
    match node:
        case Term(word):
            return not doc.token_set.isdisjoint(word_forms(word))
        case Phrase(words):
            return _has_run(doc, [word_forms(word) for word in words])
        case Hashtag(tag):
            return "#" + tag in doc.token_set
        case Mention(handle):
            return "@" + handle in doc.token_set
        case From(handle):
            return doc.author == handle
        case Lang(code):
            return doc.lang == code
        case And(children):
            return all(matches(child, doc) for child in children)
        case Or(children):
            return any(matches(child, doc) for child in children)
        case Not(child):
            return not matches(child, doc)
    raise TypeError(f"not a query node: {node!r}")


def _has_run(doc: MatchDoc, forms: Sequence[Collection[str]]) -> bool:
    if any(doc.token_set.isdisjoint(alternatives) for alternatives in forms):
        return False
    tokens, first, rest = doc.tokens, forms[0], list(enumerate(forms[1:], start=1))
    for start in range(len(tokens) - len(forms) + 1):
        if tokens[start] in first and all(tokens[start + k] in words for k, words in rest):
            return True
    return False


Predicate = Callable[["MatchDoc"], bool]


def compile_query(node: Node) -> Predicate:
    """``node`` as a function of a doc, true when :func:`matches` is: each word's forms and
    each key are worked out once, not on every post, and no node is dispatched on its type."""
    match node:
        case Term(word):
            forms = frozenset(word_forms(word))
            return lambda doc: not doc.token_set.isdisjoint(forms)
        case Phrase(words):
            run = [frozenset(word_forms(word)) for word in words]
            return lambda doc: _has_run(doc, run)
        case Hashtag(tag):
            hashtag = "#" + tag
            return lambda doc: hashtag in doc.token_set
        case Mention(handle):
            mention = "@" + handle
            return lambda doc: mention in doc.token_set
        case From(handle):
            return lambda doc: doc.author == handle
        case Lang(code):
            return lambda doc: doc.lang == code
        case And(children):
            every = [compile_query(child) for child in children]
            return lambda doc: all(test(doc) for test in every)
        case Or(children):
            some = [compile_query(child) for child in children]
            return lambda doc: any(test(doc) for test in some)
        case Not(child):
            test = compile_query(child)
            return lambda doc: not test(doc)
    raise TypeError(f"not a query node: {node!r}")


def prefilter(node: Node) -> frozenset[str] | None:
    """Return keys of which a matching post must have at least one, or None if there are none.

    Keys are tokens, ``from:<handle>`` and ``lang:<code>`` (a token never
    contains ``:``), compared with :func:`doc_keys`.
    """
    match node:
        case Term(word):
            return frozenset(word_forms(word))
        case Phrase(words):
            # every word must be present; the longest is likely the rarest
            return frozenset(word_forms(max(words, key=len)))
        case Hashtag(tag):
            return frozenset({"#" + tag})
        case Mention(handle):
            return frozenset({"@" + handle})
        case From(handle):
            return frozenset({"from:" + handle})
        case Lang(code):
            return frozenset({"lang:" + code})
        case And(children):
            options = [keys for keys in map(prefilter, children) if keys is not None]
            # any one required child will do: prefer words over a language, then fewer keys
            return min(options, key=_breadth, default=None)
        case Or(children):
            union: set[str] = set()
            for keys in map(prefilter, children):
                if keys is None:
                    return None
                union |= keys
            return frozenset(union)
    return None  # an exclusion requires nothing to be present


def _breadth(keys: frozenset[str]) -> tuple[bool, int]:
    return (any(key.startswith("lang:") for key in keys), len(keys))


def doc_keys(doc: MatchDoc) -> frozenset[str]:
    """Return the prefilter keys a post has: its tokens, ``from:<author>`` and ``lang:<code>``."""
    return doc.token_set.union(_other_keys(doc))


def _other_keys(doc: MatchDoc) -> list[str]:
    """The prefilter keys of a post that are not tokens: ``from:<author>``, ``lang:<code>``."""
    keys = [f"from:{doc.author}"] if doc.author else []
    if doc.lang:
        keys.append(f"lang:{doc.lang}")
    return keys


class Matcher(Generic[K]):
    """Match each post against many watches, evaluating only those its keys make possible."""

    def __init__(self, watches: Iterable[tuple[K, Node]]) -> None:
        self._watches = list(watches)
        self._tests = [compile_query(node) for _, node in self._watches]
        self._always: list[int] = []
        self._index: dict[str, list[int]] = {}
        for position, (_, node) in enumerate(self._watches):
            keys = prefilter(node)
            if keys is None:
                self._always.append(position)
            for key in keys or ():
                self._index.setdefault(key, []).append(position)
        self._keys = frozenset(self._index)

    def __len__(self) -> int:
        return len(self._watches)

    def match(self, doc: MatchDoc) -> list[K]:
        """Return the keys of the watches ``doc`` matches, in the order they were given."""
        index = self._index
        keys = [*doc.token_set.intersection(self._keys)]  # most posts have none or one
        keys += [key for key in _other_keys(doc) if key in index]
        if not keys and not self._always:
            return []
        candidates = set(self._always)
        for key in keys:
            candidates.update(index[key])
        tests = self._tests
        return [
            self._watches[position][0] for position in sorted(candidates) if tests[position](doc)
        ]

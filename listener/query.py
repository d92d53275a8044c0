"""The one query syntax: parse search queries and boolean watches into a small AST.

The syntax is close to X's search::

    nhs waiting lists              every word must appear (case and accents ignored)
    "waiting list"                 an exact phrase, across punctuation
    nhs OR "health service"        either side (OR is uppercase; "or" is a word)
    nhs AND strike                 AND is optional: juxtaposition means the same
    a b OR c                       AND binds tighter than OR: (a b) OR c
    (nurses OR doctors) strike     parentheses group
    strike -(junior OR resident)   "-" excludes a term, phrase, group, #tag or @mention
    #NHS  @DHSCgovuk               a hashtag / a mention
    from:dhscgovuk  from:user@instance.social  from:name.bsky.social
    lang:en                        the post's language (2 or 3 letters)

A plain word also finds its hashtag (``nhs`` matches ``#NHS``) but not a
mention. Words are tokenised with :mod:`listener.textnorm`, so a bare word of
several tokens (``covid-19``) is a phrase, and a quoted single word is just
that word. Curly quotes pasted from a document count as quotes.

Every problem raises :class:`~listener.errors.QuerySyntaxError` with a one-line
message naming the 1-based column. The AST is what the store translates into
FTS5 or tsquery (never splicing user text into SQL) and what
:mod:`listener.querymatch` evaluates against posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NoReturn, TypeAlias

from listener.errors import QuerySyntaxError
from listener.textnorm import normalise, normalise_handle, tokenize

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "And",
    "From",
    "Hashtag",
    "Lang",
    "Mention",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Term",
    "account_watch",
    "format_query",
    "hashtag_watch",
    "keyword_watch",
    "parse",
    "word_forms",
]

MAX_QUERY_LENGTH: Final = 1000
MAX_DEPTH: Final = 20


@dataclass(frozen=True)
class Term:
    """One token; matches that token or its hashtag form (``nhs`` finds ``#nhs``)."""

    word: str


@dataclass(frozen=True)
class Phrase:
    """Two or more tokens in a row; each word also matches its hashtag form."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Hashtag:
    """A hashtag, normalised and without the ``#``."""

    tag: str


@dataclass(frozen=True)
class Mention:
    """A mentioned handle, normalised and without the ``@``."""

    handle: str


@dataclass(frozen=True)
class From:
    """Posts by an account: the whole handle normalised, without a leading ``@``."""

    handle: str


@dataclass(frozen=True)
class Lang:
    """Posts in a language: a lowercase 2- or 3-letter code."""

    code: str


@dataclass(frozen=True)
class And:
    """All children match; at least one child is not an exclusion."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Any child matches; no child is an exclusion."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child does not match; only ever inside an And next to something included."""

    child: Node


Node: TypeAlias = Term | Phrase | Hashtag | Mention | From | Lang | And | Or | Not

_QUOTES: Final = frozenset('"\u201c\u201d\u201e')
_STOP: Final = frozenset("()") | _QUOTES
_HANDLE: Final = re.compile(r"\w[\w.@-]*")
_TAG: Final = re.compile(r"\w+")
_LANG: Final = re.compile(r"[a-z]{2,3}")
# X operators listener does not support: refusing them beats silently
# searching for the words "since" and "2024" and finding nothing.
_UNSUPPORTED: Final = re.compile(
    r"since|until|to|url|is|has|filter|min_(retweets|faves|replies)|conversation_id|near|within"
    r"|place(_country)?|point_radius|list|retweets_of|context|entity|source|bio"
)


def word_forms(word: str) -> tuple[str, ...]:
    """Return the tokens a query word matches: itself, plus its hashtag form for plain words."""
    return (word,) if word[0] in "#@" else (word, "#" + word)


def parse(query: str) -> Node:
    """Parse a search query or boolean watch; raise QuerySyntaxError naming the column."""
    if len(query) > MAX_QUERY_LENGTH:
        _fail(
            query,
            f"query is too long: {len(query):,} characters (the limit is {MAX_QUERY_LENGTH:,})",
        )
    if not query.strip():
        _fail(query, "empty query")
    tokens = _lex(query)
    if not tokens:
        _fail(query, "the query has no words to search for, only punctuation", 1)
    return _Parser(query, tokens).parse()


def format_query(node: Node) -> str:
    """Return the canonical query string for ``node``; parsing it gives ``node`` back."""
    match node:
        case Term(word):
            return word
        case Phrase(words):
            return '"' + " ".join(words) + '"'
        case Hashtag(tag):
            return "#" + tag
        case Mention(handle):
            return "@" + handle
        case From(handle):
            return "from:" + handle
        case Lang(code):
            return "lang:" + code
        case Not(child):
            return "-" + _grouped(child)
        case And(children):
            return " ".join(
                _grouped(child) if isinstance(child, Or) else format_query(child)
                for child in children
            )
        case Or(children):
            return " OR ".join(_grouped(child) for child in children)
    raise TypeError(f"not a query node: {node!r}")


def hashtag_watch(tag: str) -> Node:
    """Return the watch for one hashtag, given as ``NHS`` or ``#NHS``."""
    norm = normalise(tag.strip().removeprefix("#"))
    if not _TAG.fullmatch(norm):
        raise QuerySyntaxError(
            f'not a valid hashtag: "{_shown(tag)}" (use letters, digits and _ only)', query=tag
        )
    return Hashtag(norm)


def keyword_watch(keyword: str) -> Node:
    """Return the watch for a keyword: one word, or a phrase if it has several.

    It means what the keyword would mean in quotes: ``covid-19`` is the phrase
    ``"covid 19"``, and a lone ``#NHS`` or ``@DHSCgovuk`` is that hashtag or mention.
    """
    words = tokenize(keyword)
    if not words:
        raise QuerySyntaxError(
            f'not a valid keyword: "{_shown(keyword)}" has no words', query=keyword
        )
    return _node_for_tokens(words)


def account_watch(handle: str) -> Node:
    """Return the watch for posts by one account (X, Mastodon or Bluesky handle)."""
    norm = normalise_handle(handle.strip())
    if not _HANDLE.fullmatch(norm):
        raise QuerySyntaxError(f'not a valid account handle: "{_shown(handle)}"', query=handle)
    return From(norm)


def _shown(text: str, limit: int = 30) -> str:
    """Return user input fit to echo in a one-line message: short and printable."""
    shown = "".join(char if char.isprintable() else "\ufffd" for char in text[:limit])
    return shown + "\u2026" if len(text) > limit else shown


def _grouped(node: Node) -> str:
    text = format_query(node)
    return f"({text})" if isinstance(node, And | Or) else text


def _node_for_tokens(words: list[str]) -> Node:
    if len(words) > 1:
        return Phrase(tuple(words))
    word = words[0]
    if len(word) > 1 and word[0] in "#@" and _TAG.match(word[1]):
        return Hashtag(word[1:]) if word[0] == "#" else Mention(word[1:])
    return Term(word)


def _includes(node: Node) -> bool:
    """Return whether ``node`` can stand alone: it asks for something, not only exclusions."""
    match node:
        case Not():
            return False
        case And(children):
            return any(_includes(child) for child in children)
        case Or(children):
            return all(_includes(child) for child in children)
    return True


@dataclass(frozen=True)
class _Tok:
    kind: str  # "atom", "(", ")", "-", "OR" or "AND"
    column: int
    node: Node | None = None


def _fail(query: str, message: str, column: int | None = None) -> NoReturn:
    raise QuerySyntaxError(message, query=query, column=column)


def _lex(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i = 0
    while i < len(query):
        char, column = query[i], i + 1
        end = i + 1
        if char in "()":
            tokens.append(_Tok(char, column))
        elif char == "-":
            if end == len(query) or query[end].isspace() or query[end] == ")":
                _fail(query, f'"-" at column {column} must be followed by a term', column)
            tokens.append(_Tok("-", column))
        elif char in _QUOTES:
            end = _phrase(query, i, tokens)
        elif not char.isspace():
            end = next((j for j, c in enumerate(query[i:], i) if c.isspace() or c in _STOP), -1)
            end = len(query) if end < 0 else end
            tok = _word(query, query[i:end], column)
            if tok is not None:
                tokens.append(tok)
            elif tokens and tokens[-1].kind == "-" and tokens[-1].column == i:
                # "-..." must not quietly exclude whatever term happens to come next
                _fail(query, f'"-" at column {i} must be followed by a term', i)
        i = end
    return tokens


def _phrase(query: str, start: int, tokens: list[_Tok]) -> int:
    """Lex the quoted phrase opening at ``start``; return the index after its closing quote."""
    column = start + 1
    end = next((j for j in range(column, len(query)) if query[j] in _QUOTES), -1)
    if end < 0:
        _fail(
            query,
            f"unbalanced quote: the {query[start]} at column {column} is never closed",
            column,
        )
    words = tokenize(query[column:end])
    if not words:
        _fail(query, f"empty phrase at column {column}", column)
    tokens.append(_Tok("atom", column, _node_for_tokens(words)))
    return end + 1


def _word(query: str, word: str, column: int) -> _Tok | None:
    """Lex one bare word: an operator, a from:/lang: filter, or words (None if only punctuation)."""
    if word in ("OR", "AND"):
        return _Tok(word, column)
    prefix, colon, rest = word.partition(":")
    prefix = prefix.lower()
    if colon and prefix == "from":
        handle = normalise_handle(rest)
        if not rest:
            _fail(query, f"from: at column {column} needs a handle", column)
        if not _HANDLE.fullmatch(handle):
            _fail(
                query,
                f'from: at column {column} needs a handle of letters, digits, "_", '
                f'".", "-" and "@", not "{_shown(rest)}"',
                column,
            )
        return _Tok("atom", column, From(handle))
    if colon and prefix == "lang":
        code = normalise(rest)
        if not _LANG.fullmatch(code):
            got = f', not "{_shown(rest)}"' if rest else ""
            _fail(
                query, f"lang: at column {column} needs a 2- or 3-letter language code{got}", column
            )
        return _Tok("atom", column, Lang(code))
    if colon and rest and _UNSUPPORTED.fullmatch(prefix):
        _fail(
            query,
            f'unsupported operator "{prefix}:" at column {column} (supported: from:, lang:)',
            column,
        )
    words = tokenize(word)
    return _Tok("atom", column, _node_for_tokens(words)) if words else None


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := unary ([AND] unary)*."""

    def __init__(self, query: str, tokens: list[_Tok]) -> None:
        self.query = query
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def parse(self) -> Node:
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:  # or_expr stops early only at a ")" nobody opened
            self.fail(f"unbalanced parenthesis at column {extra.column}", extra.column)
        if not _includes(node):
            first = self.tokens[0].column
            self.fail("the query excludes terms but has nothing to include", first)
        return node

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def fail(self, message: str, column: int) -> NoReturn:
        _fail(self.query, message, column)

    def operator(self) -> None:
        """Consume an OR/AND, checking a term follows it."""
        op = self.take()
        after = self.peek()
        if after is None or after.kind not in ("atom", "(", "-"):
            self.fail(f"{op.kind} at column {op.column} needs a term on each side", op.column)

    def or_expr(self) -> Node:
        alternatives: list[tuple[int, Node]] = []
        while True:
            column = self.tokens[self.pos].column  # callers guarantee a token is left
            alternatives.append((column, self.and_expr()))
            tok = self.peek()
            if tok is None or tok.kind != "OR":
                break
            self.operator()
        if len(alternatives) == 1:
            return alternatives[0][1]
        for column, node in alternatives:
            if not _includes(node):
                self.fail(
                    f"an exclusion cannot be an alternative of OR (column {column}); "
                    "put it outside the OR",
                    column,
                )
        return Or(_flatten(Or, [node for _, node in alternatives]))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.operator()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(_flatten(And, items))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None or tok.kind != "-":
            return self.atom()
        self.take()
        after = self.peek()
        if after is None or after.kind not in ("atom", "("):
            self.fail(f'"-" at column {tok.column} must be followed by a term', tok.column)
        child = self.atom()
        if not _includes(child):
            self.fail(
                f'"-" at column {tok.column} excludes a group that has nothing to include',
                tok.column,
            )
        return Not(child)

    def atom(self) -> Node:
        tok = self.take()
        if tok.node is not None:
            return tok.node
        if tok.kind in ("OR", "AND"):
            self.fail(f"{tok.kind} at column {tok.column} needs a term on each side", tok.column)
        if tok.kind == ")":
            self.fail(f"unbalanced parenthesis at column {tok.column}", tok.column)
        return self.group(tok)

    def group(self, opening: _Tok) -> Node:
        column = opening.column
        closing = self.peek()
        if closing is None:
            self.fail(f"unbalanced parenthesis at column {column}", column)
        if closing.kind == ")":
            self.fail(f"empty parentheses at column {column}", column)
        if self.depth >= MAX_DEPTH:
            self.fail(
                f"parentheses nested too deeply at column {column} (the limit is {MAX_DEPTH})",
                column,
            )
        self.depth += 1
        node = self.or_expr()
        self.depth -= 1
        if self.peek() is None:
            self.fail(f"unbalanced parenthesis at column {column}", column)
        self.take()  # or_expr stops at OR (consumed), ")" or the end: this is the ")"
        return node


def _flatten(kind: type[And] | type[Or], nodes: list[Node]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.children if isinstance(node, kind) else (node,))
    return tuple(flat)

"""Full-text search: translate a parsed query to SQLite FTS5 or PostgreSQL tsquery, safely.

User text never becomes SQL: the translated query travels as a bound parameter
(an FTS5 MATCH string or a tsquery literal), built only from listener tokens
(see listener.textnorm), which are runs of word characters, '#', '@' and '_'.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice, product
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from listener.models import Post
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

POSTS = Post.__table__  # type: ignore[attr-defined]
FTS = sa.table("posts_fts", sa.column("rowid"), sa.column("posts_fts"))
MAX_PHRASE_VARIANTS = 16  # FTS5 has no OR inside a phrase: hashtag forms are spelled out


@dataclass(frozen=True)
class TextPlan:
    """A query split into the part the full-text index answers and the rest."""

    text: Node | None  # pure text: answered by the index, and ranks the results
    rest: Node | None  # everything else, as SQL conditions


def is_text(node: Node) -> bool:
    """True when the full-text index alone can answer `node` (no from:, no lang:)."""
    if isinstance(node, From | Lang):
        return False
    if isinstance(node, And | Or):
        return all(is_text(c) for c in node.children)
    if isinstance(node, Not):
        return is_text(node.child)
    return True


def has_phrase(node: Node | None) -> bool:
    """True when `node` holds a phrase anywhere (PostgreSQL reads every candidate's row for it)."""
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Not):
        return has_phrase(node.child)
    return isinstance(node, And | Or) and any(has_phrase(child) for child in node.children)


def plan(node: Node) -> TextPlan:
    """Give the index the largest ranked text part of a top-level AND."""
    if is_text(node) and not isinstance(node, Not):
        return TextPlan(text=node, rest=None)
    if not isinstance(node, And):
        return TextPlan(text=None, rest=node)
    positive = [c for c in node.children if is_text(c) and not isinstance(c, Not)]
    if not positive:
        return TextPlan(text=None, rest=node)
    negative = [c for c in node.children if isinstance(c, Not) and is_text(c.child)]
    others = [c for c in node.children if c not in positive and c not in negative]
    text_children = positive + negative
    text = text_children[0] if len(text_children) == 1 else And(tuple(text_children))
    rest = None if not others else others[0] if len(others) == 1 else And(tuple(others))
    return TextPlan(text=text, rest=rest)


# ---- SQLite FTS5 -------------------------------------------------------------


def _fts_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def to_fts5(node: Node) -> str:
    """The FTS5 MATCH expression for a pure-text node (searching the search_text column)."""
    if isinstance(node, Term):
        return "(" + " OR ".join(_fts_string(f) for f in word_forms(node.word)) + ")"
    if isinstance(node, Phrase):
        variants = list(islice(product(*(word_forms(w) for w in node.words)), MAX_PHRASE_VARIANTS))
        if len(variants) == MAX_PHRASE_VARIANTS:  # too long to spell out: exact words only
            variants = [node.words]
        return "(" + " OR ".join(_fts_string(" ".join(v)) for v in variants) + ")"
    if isinstance(node, Hashtag):
        return _fts_string("#" + node.tag)
    if isinstance(node, Mention):
        return _fts_string("@" + node.handle)
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(c) for c in node.children) + ")"
    if isinstance(node, And):
        included = [to_fts5(c) for c in node.children if not isinstance(c, Not)]
        excluded = [to_fts5(c.child) for c in node.children if isinstance(c, Not)]
        expression = "(" + " AND ".join(included) + ")"
        return "(" + " NOT ".join([expression, *excluded]) + ")"
    raise ValueError(f"not a text node: {node!r}")  # plan() keeps From/Lang/Not out


def fts_match(node: Node) -> sa.TextClause:
    """`posts_fts MATCH ...` for a pure-text node: a condition on a query that scans posts_fts."""
    # Column filter: only search_text is searched; author and lang have their own SQL.
    # A unique parameter: a statement may hold the same match twice.
    query: sa.BindParameter[str] = sa.bindparam("q", "search_text : " + to_fts5(node), unique=True)
    return sa.text("posts_fts MATCH :q").bindparams(query)


def _fts_match(node: Node) -> sa.ColumnElement[bool]:
    # Never correlated: a query that scans posts_fts itself may hold this one too.
    return POSTS.c.id.in_(sa.select(FTS.c.rowid).where(fts_match(node)).correlate(None))


# ---- PostgreSQL tsquery ------------------------------------------------------

# Mirrors the generated search_vector column in the initial migration.
_PG_SPELLING = (("#", "xhtx"), ("@", "xmnx"), ("_", "xusx"))


def pg_lexeme(token: str) -> str:
    """A listener token as the lexeme PostgreSQL stored for it, quoted for tsquery input."""
    for char, spelled in _PG_SPELLING:
        token = token.replace(char, spelled)
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def to_tsquery(node: Node) -> str:
    """The tsquery text for a pure-text node."""
    if isinstance(node, Term):
        return "(" + " | ".join(pg_lexeme(f) for f in word_forms(node.word)) + ")"
    if isinstance(node, Phrase):
        words = ("(" + " | ".join(pg_lexeme(f) for f in word_forms(w)) + ")" for w in node.words)
        return "(" + " <-> ".join(words) + ")"
    if isinstance(node, Hashtag):
        return pg_lexeme("#" + node.tag)
    if isinstance(node, Mention):
        return pg_lexeme("@" + node.handle)
    if isinstance(node, Or):
        return "(" + " | ".join(to_tsquery(c) for c in node.children) + ")"
    if isinstance(node, And):
        return "(" + " & ".join(to_tsquery(c) for c in node.children) + ")"
    if isinstance(node, Not):
        return "!" + to_tsquery(node.child)
    raise ValueError(f"not a text node: {node!r}")


SEARCH_VECTOR: sa.ColumnElement[Any] = sa.literal_column(
    "posts.search_vector"
)  # generated column, PostgreSQL only


def _tsquery(node: Node) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(to_tsquery(node)), TSQUERY)


def _ts_match(node: Node) -> sa.ColumnElement[bool]:
    return SEARCH_VECTOR.op("@@", return_type=sa.Boolean)(_tsquery(node))


# ---- both engines --------------------------------------------------------------


def condition(node: Node, dialect: str) -> sa.ColumnElement[bool]:
    """A SQL condition on `posts` equivalent to `node`."""
    if is_text(node) and not isinstance(node, Not):
        return _ts_match(node) if dialect == "postgresql" else _fts_match(node)
    if isinstance(node, From):
        return POSTS.c.author_handle == node.handle
    if isinstance(node, Lang):
        return POSTS.c.lang == node.code
    if isinstance(node, Not):
        return sa.not_(condition(node.child, dialect))
    if isinstance(node, And):
        return sa.and_(*(condition(c, dialect) for c in node.children))
    if isinstance(node, Or):
        return sa.or_(*(condition(c, dialect) for c in node.children))
    raise ValueError(f"unexpected node {node!r}")


def conditions(node: Node, dialect: str) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions on `posts` alone (no join) for `node`: its text part in one index lookup."""
    parts = plan(node)
    return [condition(part, dialect) for part in (parts.text, parts.rest) if part is not None]


def relevance(text: Node, dialect: str) -> sa.ColumnElement[Any]:
    """How well a post matches the pure-text node `text`, higher is better.

    On PostgreSQL it reads `posts.search_vector`; on SQLite it is bm25() of
    `posts_fts`, so the query must scan posts_fts with `fts_match(text)`.
    """
    if dialect == "postgresql":
        return sa.func.ts_rank_cd(SEARCH_VECTOR, _tsquery(text))
    # bm25() is lower for better matches; negate so that higher is better on both engines.
    return -sa.func.bm25(sa.text("posts_fts"))

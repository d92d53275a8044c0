"""Reads for the sentiment pass: posts still to score, and scores already known per text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from listener.models import Post, SentimentScore
from listener.plaintext import readable_text

POSTS = Post.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
# VADER reads English. X marks posts it cannot place as und (undetermined), qme
# (media only), qht (hashtags only), zxx (no text) and so on; those are scored too.
SCORED_LANGS = ("en", "und", "zxx", "qme", "qht", "qam", "qct", "qst", "art")


@dataclass(frozen=True)
class Pending:
    """A post with no score yet."""

    id: int
    text_hash: str
    kind: str
    text: str  # readable text (HTML from Mastodon and feeds already turned into text)


def _scorable() -> sa.ColumnElement[bool]:
    return sa.or_(POSTS.c.lang.is_(None), POSTS.c.lang.in_(SCORED_LANGS))


def pending(conn: sa.Connection, *, after_id: int, limit: int) -> list[Pending]:
    """Up to `limit` unscored posts in a language VADER reads, by id after `after_id`."""
    query = (
        sa.select(POSTS.c.id, POSTS.c.text_hash, POSTS.c.kind, POSTS.c.text, POSTS.c.platform)
        .outerjoin(SCORES, SCORES.c.post_id == POSTS.c.id)
        .where(
            sa.or_(SCORES.c.post_id.is_(None), SCORES.c.text_hash != POSTS.c.text_hash),
            POSTS.c.id > after_id,
            _scorable(),
        )
        .order_by(POSTS.c.id)
        .limit(limit)
    )
    return [
        Pending(pk, text_hash, kind, readable_text(platform, text))
        for pk, text_hash, kind, text, platform in conn.execute(query)
    ]


def count_unscorable(conn: sa.Connection) -> int:
    """Posts left unscored because they are in a language VADER does not read."""
    query = sa.select(sa.func.count()).select_from(POSTS).where(sa.not_(_scorable()))
    return conn.scalar(query) or 0


def known_scores(
    conn: sa.Connection, hashes: Iterable[str]
) -> dict[str, tuple[float, float, float, float, str]]:
    """A stored score for each text hash that has one (compound, pos, neu, neg, label)."""
    found: dict[str, tuple[float, float, float, float, str]] = {}
    wanted = sorted(set(hashes))
    for start in range(0, len(wanted), 500):
        query = sa.select(
            SCORES.c.text_hash,
            SCORES.c.compound,
            SCORES.c.pos,
            SCORES.c.neu,
            SCORES.c.neg,
            SCORES.c.label,
        ).where(SCORES.c.text_hash.in_(wanted[start : start + 500]))
        for text_hash, *score in conn.execute(query):
            found.setdefault(text_hash, tuple(score))
    return found


def texts_for(conn: sa.Connection, hashes: Iterable[str]) -> dict[str, str]:
    """For each hash, the text of a stored non-repost post with it (a repost's original)."""
    found: dict[str, str] = {}
    wanted = sorted(set(hashes))
    for start in range(0, len(wanted), 500):
        query = sa.select(POSTS.c.text_hash, POSTS.c.text, POSTS.c.platform).where(
            POSTS.c.text_hash.in_(wanted[start : start + 500]), POSTS.c.kind != "repost"
        )
        for text_hash, text, platform in conn.execute(query):
            found.setdefault(text_hash, readable_text(platform, text))
    return found

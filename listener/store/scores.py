"""Store side of the analysis pass: posts whose language or score is pending, and the results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from listener.models import Post, SentimentScore
from listener.plaintext import readable_text

POSTS = Post.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
# VADER reads English. X marks posts it cannot place as und (undetermined), qme
# (media only), qht (hashtags only), zxx (no text) and so on; those are scored too.
SCORED_LANGS = ("en", "und", "zxx", "qme", "qht", "qam", "qct", "qst", "art")
UNDETERMINED = "und"


@dataclass(frozen=True)
class Pending:
    """A post with no score yet."""

    id: int
    text_hash: str
    kind: str
    text: str  # readable text (HTML from Mastodon and feeds already turned into text)


def _scorable() -> sa.ColumnElement[bool]:
    return sa.or_(POSTS.c.lang.is_(None), POSTS.c.lang.in_(SCORED_LANGS))


def pending(conn: sa.Connection, *, after_id: int, limit: int, version: str) -> list[Pending]:
    """Up to `limit` posts in a language VADER reads, by id after `after_id`, that have no
    score, a score of an older text, or a score from another scorer version."""
    query = (
        sa.select(POSTS.c.id, POSTS.c.text_hash, POSTS.c.kind, POSTS.c.text, POSTS.c.platform)
        .outerjoin(SCORES, SCORES.c.post_id == POSTS.c.id)
        .where(
            sa.or_(
                SCORES.c.post_id.is_(None),
                SCORES.c.text_hash != POSTS.c.text_hash,
                SCORES.c.scorer_version != version,
            ),
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


def unscorable_by_language(conn: sa.Connection) -> dict[str, int]:
    """Posts left unscored because they are in a language VADER does not read, by language."""
    query = (
        sa.select(POSTS.c.lang, sa.func.count())
        .where(sa.not_(_scorable()))
        .group_by(POSTS.c.lang)
        .order_by(sa.func.count().desc(), POSTS.c.lang)
    )
    return {lang: count for lang, count in conn.execute(query)}


@dataclass(frozen=True)
class Undetected:
    """A post whose language listener is to detect."""

    id: int
    text: str  # readable text, as for Pending


def undetected(conn: sa.Connection, *, after_id: int, limit: int) -> list[Undetected]:
    """Up to `limit` posts by id after `after_id` whose language is to detect.

    Those are posts with no language from their source, and posts X marked
    undetermined ("und") that are not scored yet: X says "und" for text it
    cannot place, often English with many names, handles or hashtags. Once
    scored, an "und" post is not looked at again, even if it stays "und".
    """
    query = (
        sa.select(POSTS.c.id, POSTS.c.text, POSTS.c.platform)
        .outerjoin(SCORES, SCORES.c.post_id == POSTS.c.id)
        .where(
            POSTS.c.id > after_id,
            sa.or_(
                POSTS.c.lang.is_(None),
                sa.and_(
                    POSTS.c.lang == UNDETERMINED,
                    sa.or_(SCORES.c.post_id.is_(None), SCORES.c.text_hash != POSTS.c.text_hash),
                ),
            ),
        )
        .order_by(POSTS.c.id)
        .limit(limit)
    )
    return [
        Undetected(pk, readable_text(platform, text)) for pk, text, platform in conn.execute(query)
    ]


def save_languages(conn: sa.Connection, languages: Mapping[int, str]) -> None:
    """Store detected languages (post id -> code); scores of posts now known not to be English go.

    A post scored before its language was known (an older store, or an edit)
    would otherwise keep a VADER score for text VADER cannot read.
    """
    by_language: dict[str, list[int]] = {}
    for post_id, lang in languages.items():
        by_language.setdefault(lang, []).append(post_id)
    for lang, ids in sorted(by_language.items()):
        for chunk in _chunks(sorted(ids)):
            conn.execute(sa.update(POSTS).where(POSTS.c.id.in_(chunk)).values(lang=lang))
            if lang not in SCORED_LANGS:
                conn.execute(sa.delete(SCORES).where(SCORES.c.post_id.in_(chunk)))


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    return (ids[start : start + size] for start in range(0, len(ids), size))


def known_scores(
    conn: sa.Connection, hashes: Iterable[str], *, version: str
) -> dict[str, tuple[float, float, float, float, str]]:
    """A stored score by scorer `version` for each text hash that has one
    (compound, pos, neu, neg, label): older versions' scores are never reused."""
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
        ).where(
            SCORES.c.text_hash.in_(wanted[start : start + 500]), SCORES.c.scorer_version == version
        )
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

"""Store side of the analysis pass: posts whose language or score is pending, and the results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from listener.models import Post, SentimentScore
from listener.plaintext import readable_text

POSTS = Post.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
# VADER reads English. X marks posts it cannot place as und (undetermined), qme
# (media only), qht (hashtags only), zxx (no text) and so on; those are scored too.
SCORED_LANGS = ("en", "und", "zxx", "qme", "qht", "qam", "qct", "qst", "art")
UNDETERMINED = "und"


class Pending(NamedTuple):
    """A post with no score yet (a named tuple: a batch reads ten thousand)."""

    id: int
    text_hash: str
    kind: str
    text: str  # readable text (HTML from Mastodon and feeds already turned into text)


def _scorable() -> sa.ColumnElement[bool]:
    return sa.or_(POSTS.c.lang.is_(None), POSTS.c.lang.in_(SCORED_LANGS))


def pending(conn: sa.Connection, *, after_id: int, limit: int, version: str) -> list[Pending]:
    """Up to `limit` posts in a language VADER reads, by id after `after_id`, that have no
    score, a score of an older text, or a score from another scorer version."""
    # Read with the driver's own cursor: SQLAlchemy's result rows cost more than
    # the query for the 10,000 posts of a batch. The statement's text never
    # changes, so both engines keep it prepared.
    cursor = conn.connection.cursor()
    try:
        params = (after_id, version, after_id, *SCORED_LANGS, limit)
        cursor.execute(_driver_sql(conn, _PENDING_SQL), params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return [
        Pending(pk, text_hash, kind, readable_text(platform, text))
        for pk, text_hash, kind, text, platform in rows
    ]


_PENDING_SQL = (
    "SELECT p.id, p.text_hash, p.kind, p.text, p.platform FROM posts p"
    # s.post_id > ? changes no row, but keeps PostgreSQL's merge join from reading
    # every score below the batch, for every batch.
    " LEFT JOIN sentiment_scores s ON s.post_id = p.id AND s.post_id > ?"
    " WHERE (s.post_id IS NULL OR s.text_hash <> p.text_hash OR s.scorer_version <> ?)"
    f" AND p.id > ? AND (p.lang IS NULL OR p.lang IN ({', '.join('?' for _ in SCORED_LANGS)}))"
    " ORDER BY p.id LIMIT ?"
)


def _driver_sql(conn: sa.Connection, sql: str) -> str:
    """`sql`, written with ? placeholders, in the placeholder style of `conn`'s driver."""
    return sql.replace("?", "%s") if conn.dialect.paramstyle in ("format", "pyformat") else sql


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


Score = tuple[float, float, float, float, str]  # compound, pos, neu, neg, label


class ScoreLookup:
    """Stored scores by text hash for one analysis pass, remembering those it has seen.

    A pass reads posts in id order, so the reposts and copies of a text mostly
    come after the text was scored: remembered, their score is not looked up
    again. And when the pass starts with no score of its scorer version stored
    (a first pass, or a new version), every such score stored later is one this
    pass remembers, so nothing is looked up at all until the memory overflows.
    (A second pass running at the same time would then score some texts both
    passes see: the same scores, computed twice.)
    """

    def __init__(self, conn: sa.Connection, *, version: str, limit: int = 200_000) -> None:
        self._version, self._limit = version, limit  # 200,000 scores: about 75 MB
        self._memory: dict[str, Score] = {}
        self._all_remembered = not has_scores(conn, version=version)

    def known(self, conn: sa.Connection, hashes: Iterable[str]) -> dict[str, Score]:
        """The stored or remembered score of each hash that has one."""
        found: dict[str, Score] = {}
        unknown = []
        for text_hash in hashes:
            score = self._memory.get(text_hash)
            if score is None:
                unknown.append(text_hash)
            else:
                found[text_hash] = score
        if unknown and not self._all_remembered:
            stored = known_scores(conn, unknown, version=self._version)
            self.remember(stored)
            found.update(stored)
        return found

    def remember(self, scores: Mapping[str, Score]) -> None:
        """Remember scores this pass stored (or found): they need not be looked up again."""
        if len(self._memory) + len(scores) > self._limit:
            self._memory.clear()  # what was remembered must be looked up from now on
            self._all_remembered = False
        self._memory.update(scores)


def has_scores(conn: sa.Connection, *, version: str) -> bool:
    """Whether any score by scorer `version` is stored."""
    # scorer_version is not indexed: this stops at the first score of the version,
    # and reads every score only in the one pass after a version change.
    query = sa.select(SCORES.c.post_id).where(SCORES.c.scorer_version == version).limit(1)
    return conn.execute(query).first() is not None


def known_scores(conn: sa.Connection, hashes: Iterable[str], *, version: str) -> dict[str, Score]:
    """A stored score by scorer `version` for each text hash that has one
    (compound, pos, neu, neg, label): older versions' scores are never reused."""
    # Found through the posts with each hash (posts.text_hash is indexed). The
    # scores' own text_hash is not: its index cost a random insert for every
    # score written, most of the cost of writing them.
    found: dict[str, Score] = {}
    wanted = sorted(set(hashes))
    if not wanted:
        return found
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(_KNOWN_POSTGRES, (wanted, version))
        return {text_hash: tuple(score) for text_hash, *score in rows}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        chunk += chunk[-1:] * (_CHUNK - len(chunk))  # one statement text for every chunk
        for text_hash, *score in conn.exec_driver_sql(_KNOWN_SQLITE, (*chunk, version)):
            found.setdefault(text_hash, tuple(score))
    return found


_CHUNK = 500
_KNOWN_SQLITE = (
    "SELECT p.text_hash, s.compound, s.pos, s.neu, s.neg, s.label FROM posts p"
    " JOIN sentiment_scores s ON s.post_id = p.id AND s.text_hash = p.text_hash"
    f" WHERE p.text_hash IN ({', '.join('?' for _ in range(_CHUNK))}) AND s.scorer_version = ?"
)
# One probe of the posts' text_hash index per hash, stopping at the first post
# with a current score: as a plain join, PostgreSQL's plan could scan the scores
# (and psycopg keeps a prepared plan made when they were few).
_KNOWN_POSTGRES = (
    "SELECT h.text_hash, k.compound, k.pos, k.neu, k.neg, k.label"
    " FROM unnest(%s::text[]) AS h(text_hash) CROSS JOIN LATERAL"
    " (SELECT s.compound, s.pos, s.neu, s.neg, s.label FROM posts p"
    " JOIN sentiment_scores s ON s.post_id = p.id"
    " WHERE p.text_hash = h.text_hash AND s.text_hash = h.text_hash"
    " AND s.scorer_version = %s LIMIT 1) k"
)


def texts_for(conn: sa.Connection, hashes: Iterable[str]) -> dict[str, str]:
    """For each hash, the text of a stored non-repost post with it (a repost's original)."""
    found: dict[str, str] = {}
    wanted = sorted(set(hashes))
    sql = _driver_sql(conn, _TEXTS_SQL)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        chunk += chunk[-1:] * (_CHUNK - len(chunk))  # one statement text for every chunk
        for text_hash, text, platform in conn.exec_driver_sql(sql, tuple(chunk)):
            found.setdefault(text_hash, readable_text(platform, text))
    return found


_TEXTS_SQL = (
    "SELECT text_hash, text, platform FROM posts"
    f" WHERE text_hash IN ({', '.join('?' for _ in range(_CHUNK))}) AND kind <> 'repost'"
)


# PostgreSQL: held shared by a transaction storing scores, exclusively by one deleting
# posts (the trigger of migration 0010, which spells the same number).
SCORES_LOCK = 7_310_052_023

# One score row: post_id, compound, pos, neu, neg, label, text_hash.
ScoreRow = tuple[int, float, float, float, float, str, str]


def save_scores(
    conn: sa.Connection, rows: Sequence[ScoreRow], *, version: str, scored_at: datetime
) -> int:
    """Store one score per post (ids distinct), replacing the post's stale score if any;
    return how many were stored.

    A row whose post is no longer stored (erased while its text was being scored)
    is left out.
    """
    if not rows:
        return 0
    # At the driver level, as store.bulk writes: the scorer version and time are
    # the same for every row, so they are converted once, not once a row.
    if conn.dialect.name == "postgresql":
        # No foreign key on PostgreSQL (migration 0010): a score is stored only if
        # its post is, and the lock, taken before the insert's snapshot, keeps a
        # post being deleted meanwhile from keeping a score.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock_shared(%s)", (SCORES_LOCK,))
        arrays = tuple(list(column) for column in zip(*rows, strict=True))
        return conn.exec_driver_sql(_SAVE_POSTGRES, (version, scored_at, *arrays)).rowcount
    process = SCORES.c.scored_at.type._cached_bind_processor(conn.dialect)
    stamp = process(scored_at) if process else scored_at
    return conn.exec_driver_sql(_SAVE_SQLITE, [(*row, version, stamp) for row in rows]).rowcount


_SCORE_COLUMNS = "post_id, compound, pos, neu, neg, label, text_hash, scorer_version, scored_at"
_ON_CONFLICT = "ON CONFLICT (post_id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in _SCORE_COLUMNS.split(", ")[1:]
)
# Only where the post is still stored, as on PostgreSQL: a post erased since the pass
# read it has no score to keep (SQLite's foreign key would fail the whole batch).
_SAVE_SQLITE = (
    f"INSERT INTO sentiment_scores ({_SCORE_COLUMNS})"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1)"
    f" {_ON_CONFLICT}"
)
_SAVE_POSTGRES = (
    f"INSERT INTO sentiment_scores ({_SCORE_COLUMNS})"
    " SELECT u.*, %s::text, %s::timestamptz FROM unnest(%b::bigint[], %b::float8[],"
    " %b::float8[], %b::float8[], %b::float8[], %b::text[], %b::text[])"
    " AS u(post_id, compound, pos, neu, neg, label, text_hash)"
    " WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = u.post_id)"
    f" {_ON_CONFLICT}"
)

"""Use-cases shared by CLI, scheduler and web app: init, config sync, import, analyze."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from listener.collectors import files
from listener.collectors.base import Page, RejectedItem
from listener.collectors.csvfile import CsvOptions
from listener.configfile import ListenerConfig
from listener.errors import UserError
from listener.models import utcnow
from listener.pages import (
    Linker,
    PageOrigin,
    PageTotals,
    RunOutcome,
    finish_run,
    start_run,
    store_page,
)
from listener.prefetch import prepared_pages, rare_collections
from listener.store import departments as store_departments
from listener.store import scores as store_scores
from listener.store.db import BULK_ROWS, refresh_statistics, write_transaction
from listener.store.departments import SyncReport

if TYPE_CHECKING:
    from listener.analysis.scoring_pool import ScoredBatch, ScoringPool


def init_database(engine: sa.Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema; return (revision before, revision after)."""
    from listener.store.migrate import upgrade  # deferred: Alembic is slow to import

    return upgrade(engine)


def sync_config(engine: sa.Engine, config: ListenerConfig) -> SyncReport:
    """Sync departments, watches and recipients from the config into the database."""
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        report = store_departments.sync_config(session, config, now=utcnow())
        session.flush()
    return report


ImportReport = PageTotals  # what an import did, page by page


@dataclass(frozen=True)
class ImportRequest:
    """One file to import, and how."""

    path: Path
    format: str
    department: str | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)

    def __post_init__(self) -> None:
        if self.format not in files.FORMATS:
            raise UserError(f"--format: {self.format!r} is not one of {', '.join(files.FORMATS)}")
        if self.csv.mapping and self.format != "csv":
            raise UserError("--map: only applies to --format csv")


def read_pages(request: ImportRequest) -> Iterator[Page]:
    """The pages of a file, read by the reader for its format."""
    if request.format == "csv":
        return files.read_csv(request.path, request.csv)
    # ImportRequest has already refused any other format.
    return (
        files.read_twarc2(request.path)
        if request.format == "twarc2"
        else files.read_jsonl(request.path)
    )


PREFETCH_MIN_BYTES = 4_000_000  # smaller files import before a second process would start


def import_file(
    engine: sa.Engine,
    request: ImportRequest,
    *,
    on_page: Callable[[ImportReport, list[RejectedItem]], None] | None = None,
    prefetch: bool | None = None,
) -> ImportReport:
    """Stream a file into the store, one transaction per page; a bad row is reported and skipped.

    `prefetch`: prepare pages in a second process while this one writes
    (listener.prefetch); by default for files of PREFETCH_MIN_BYTES or more.
    """
    with engine.connect() as conn:
        linker = Linker(conn, department=request.department)
    detail = {"file": str(request.path)}
    run_id = start_run(
        engine, f"import:{request.format}", department_id=linker.fixed, detail=detail
    )
    report = ImportReport()
    origin = PageOrigin(source=f"import:{request.format}", run_id=run_id)
    if prefetch is None:
        prefetch = _size(request.path) >= PREFETCH_MIN_BYTES
    pages = (
        prepared_pages(partial(read_pages, request), linker.watches)
        if prefetch
        else read_pages(request)
    )
    try:
        with rare_collections():
            for page in pages:
                store_page(engine, page, linker, report, origin)
                if on_page is not None:
                    on_page(report, page.rejected)
    except BaseException as exc:
        finish_run(engine, run_id, report, RunOutcome("failed", str(exc) or type(exc).__name__))
        raise
    finish_run(engine, run_id, report, RunOutcome("partial" if report.rejected else "ok"))
    if report.new >= BULK_ROWS:
        refresh_statistics(engine)
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the reader reports a missing file in its own words


@dataclass
class AnalyzeReport:
    """What an analysis pass did: languages detected, then sentiment scored."""

    scored: int = 0  # posts given a score
    computed: int = 0  # distinct texts run through the scorer
    reused: int = 0  # posts whose identical text had been scored already
    not_english: int = 0  # posts left unscored: VADER reads English only
    languages_detected: int = 0  # posts whose language listener detected in this pass
    # Posts left unscored, by language code, most first (all of the store, like not_english).
    other_languages: dict[str, int] = field(default_factory=dict)


ANALYZE_BATCH = 10_000
LANGUAGE_BATCH = 10_000


Score = store_scores.Score  # compound, pos, neu, neg, label


def analyze(
    engine: sa.Engine,
    *,
    workers: int | None = None,
    on_batch: Callable[[AnalyzeReport], None] | None = None,
) -> AnalyzeReport:
    """Detect languages the sources did not give, then score sentiment (score_sentiment)."""
    report = AnalyzeReport()
    detect_languages(engine, report=report, on_batch=on_batch)
    score_sentiment(engine, report=report, workers=workers, on_batch=on_batch)
    return report


def score_sentiment(
    engine: sa.Engine,
    *,
    report: AnalyzeReport,
    workers: int | None = None,
    on_batch: Callable[[AnalyzeReport], None] | None = None,
) -> None:
    """Score every English post not yet scored by this version of the scorer (a new
    version rescores everything once), each distinct text once, in worker processes."""
    # deferred: VADER's lexicon takes a moment
    from listener.analysis.scoring_pool import ScoringPool

    with ScoringPool(workers) as pool:
        _score_pending(engine, pool, report=report, on_batch=on_batch)
    with engine.connect() as conn:
        report.other_languages = store_scores.unscorable_by_language(conn)
    report.not_english = sum(report.other_languages.values())
    if report.scored >= BULK_ROWS:
        refresh_statistics(engine, (store_scores.SCORES.name,))  # scoring writes no other table


@dataclass(frozen=True)
class _Scoring:
    """A batch of pending posts whose new texts the workers are scoring."""

    posts: list[store_scores.Pending]
    known: dict[str, Score]  # scores already stored for some of its texts, by text hash
    hashes: list[str]  # the texts being scored, by hash, in the order submitted
    scored: ScoredBatch


def _score_pending(
    engine: sa.Engine,
    pool: ScoringPool,
    *,
    report: AnalyzeReport,
    on_batch: Callable[[AnalyzeReport], None] | None,
) -> None:
    """Score pending posts batch by batch: while the workers score one batch, the
    next is read and the one before is saved, so neither side waits on the other."""
    from listener.analysis.sentiment import SCORER_VERSION

    with engine.connect() as conn:
        lookup = store_scores.ScoreLookup(conn, version=SCORER_VERSION)
    after_id, previous = 0, None
    computed_before: dict[str, Score] = {}
    while True:
        current = _next_batch(engine, pool, after_id=after_id, in_flight=previous, lookup=lookup)
        if previous is not None:
            computed_before = _save_batch(engine, previous, computed_before, report)
            lookup.remember(computed_before)
            if on_batch is not None:
                on_batch(report)
        if current is None:
            return
        after_id, previous = current.posts[-1].id, current


def _next_batch(
    engine: sa.Engine,
    pool: ScoringPool,
    *,
    after_id: int,
    in_flight: _Scoring | None,
    lookup: store_scores.ScoreLookup,
) -> _Scoring | None:
    """Read the next pending posts and hand their new texts to the workers; None when done.

    A text the batch before is still scoring is not sent again: its score is
    not stored yet, and is taken from that batch when this one is saved.
    """
    from listener.analysis.sentiment import SCORER_VERSION as version

    scoring = set(in_flight.hashes if in_flight else ())  # not stored yet: not looked up
    with engine.connect() as conn:
        posts = store_scores.pending(conn, after_id=after_id, limit=ANALYZE_BATCH, version=version)
        if not posts:
            return None
        hashes = {p.text_hash for p in posts} - scoring
        known = lookup.known(conn, hashes)
        skip = known.keys() | scoring
        originals = store_scores.texts_for(
            conn, {p.text_hash for p in posts if p.kind == "repost"} - skip
        )
    texts = _texts_to_score(posts, skip, originals)
    return _Scoring(posts, known, list(texts), pool.submit(list(texts.values())))


def _save_batch(
    engine: sa.Engine, batch: _Scoring, computed_before: Mapping[str, Score], report: AnalyzeReport
) -> dict[str, Score]:
    """Wait for the batch's new scores and store every post's; return the new scores."""
    computed = dict(zip(batch.hashes, batch.scored.figures(), strict=True))
    scores = {**computed_before, **batch.known, **computed}
    from listener.analysis.sentiment import SCORER_VERSION

    rows = [(post.id, *scores[post.text_hash], post.text_hash) for post in batch.posts]
    with write_transaction(engine) as conn:
        stored = store_scores.save_scores(conn, rows, version=SCORER_VERSION, scored_at=utcnow())
    # A post erased while its text was scored keeps no score, and is not counted.
    report.scored += stored
    report.computed += len(computed)
    report.reused += max(0, stored - len(computed))
    return computed


def detect_languages(
    engine: sa.Engine,
    *,
    report: AnalyzeReport,
    on_batch: Callable[[AnalyzeReport], None] | None = None,
) -> None:
    """Detect and store the language of posts whose source gave none (or X's "und").

    A language the platform gave is kept. A detected "und" is stored for a post
    that had no language, so it is not looked at again, and scored like X's "und".
    """
    from listener.analysis import language  # deferred: lingua's models take a moment to load

    after_id = 0
    while True:
        with engine.connect() as conn:
            batch = store_scores.undetected(conn, after_id=after_id, limit=LANGUAGE_BATCH)
        if not batch:
            return
        texts = list(dict.fromkeys(post.text for post in batch))  # identical texts: detected once
        found = dict(zip(texts, language.detect_languages(texts), strict=True))
        detected = {post.id: found[post.text] for post in batch}
        with write_transaction(engine) as conn:
            store_scores.save_languages(conn, detected)
        report.languages_detected += len(batch)
        after_id = batch[-1].id
        if on_batch is not None:
            on_batch(report)


def _texts_to_score(
    batch: list[store_scores.Pending], known: Container[str], originals: dict[str, str]
) -> dict[str, str]:
    """One text per hash not yet scored: a repost's stored original, else the post's own text."""
    texts: dict[str, str] = {}
    for post in batch:
        if post.text_hash in known or post.text_hash in texts:
            continue
        if post.kind == "repost":
            texts[post.text_hash] = originals.get(post.text_hash) or _strip_repost_prefix(post.text)
        else:
            texts[post.text_hash] = post.text
    return texts


def _strip_repost_prefix(text: str) -> str:
    return text.split(": ", 1)[1] if text.startswith("RT @") and ": " in text else text

"""Use-cases shared by CLI, scheduler and web app: init, config sync, import, analyze."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from listener.collectors import files
from listener.collectors.base import Page, RejectedItem
from listener.collectors.csvfile import CsvOptions
from listener.configfile import ListenerConfig
from listener.errors import UserError
from listener.matching import WatchMatcher
from listener.models import CollectionRun, utcnow
from listener.store import departments as store_departments
from listener.store import scores as store_scores
from listener.store import writes
from listener.store.db import write_transaction
from listener.store.departments import SyncReport
from listener.store.migrate import upgrade


def init_database(engine: sa.Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema; return (revision before, revision after)."""
    return upgrade(engine)


def sync_config(engine: sa.Engine, config: ListenerConfig) -> SyncReport:
    """Sync departments, watches and recipients from the config into the database."""
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        report = store_departments.sync_config(session, config, now=utcnow())
        session.flush()
    return report


@dataclass
class ImportReport:
    """What an import did, page by page."""

    pages: int = 0
    new: int = 0
    seen: int = 0
    rejected: int = 0
    department_links: int = 0
    watch_links: int = 0
    position: int = 0
    per_department: dict[str, int] = field(default_factory=dict)


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
    if request.format == "twarc2":
        return files.read_twarc2(request.path)
    if request.format == "jsonl":
        return files.read_jsonl(request.path)
    if request.format == "csv":
        return files.read_csv(request.path, request.csv)
    raise UserError(
        f"--format: unknown format {request.format!r} (one of: {', '.join(files.FORMATS)})"
    )


class _Linker:
    """Works out which departments and watches each stored post belongs to."""

    def __init__(self, conn: sa.Connection, department: str | None) -> None:
        self.slugs = store_departments.department_ids(conn)
        self.slug_of = {pk: slug for slug, pk in self.slugs.items()}
        self.fixed = store_departments.department_id(conn, department) if department else None
        self.matcher = WatchMatcher(store_departments.active_watches(conn))

    def links(
        self, page: Page, ids: dict[tuple[str, str], int]
    ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        departments: set[tuple[int, int]] = set()
        watches: set[tuple[int, int]] = set()
        for item in page.posts:
            post_id = ids[item.key]
            if self.fixed is not None and not item.context:
                departments.add((post_id, self.fixed))
            departments.update(
                (post_id, self.slugs[s]) for s in item.departments if s in self.slugs
            )
            for watch in self.matcher.match(item):
                watches.add((post_id, watch.id))
                if self.fixed is None:
                    departments.add((post_id, watch.department_id))
        return departments, watches


def import_file(
    engine: sa.Engine,
    request: ImportRequest,
    *,
    on_page: Callable[[ImportReport, list[RejectedItem]], None] | None = None,
) -> ImportReport:
    """Stream a file into the store, one transaction per page; a bad row is reported and skipped."""
    with engine.connect() as conn:
        linker = _Linker(conn, request.department)
    run_id = _start_run(engine, f"import:{request.format}", linker.fixed, str(request.path))
    report = ImportReport()
    try:
        for page in read_pages(request):
            _store_page(engine, page, linker, report)
            if on_page is not None:
                on_page(report, page.rejected)
    except BaseException as exc:
        _finish_run(engine, run_id, report, status="failed", error=str(exc) or type(exc).__name__)
        raise
    _finish_run(engine, run_id, report, status="partial" if report.rejected else "ok", error="")
    return report


def _store_page(engine: sa.Engine, page: Page, linker: _Linker, report: ImportReport) -> None:
    with write_transaction(engine) as conn:
        result = writes.upsert_posts(conn, page.posts, now=utcnow())
        departments, watches = linker.links(page, result.ids)
        writes.link_departments(conn, departments)
        writes.link_watches(conn, watches)
    report.pages += 1
    report.new += result.new
    report.seen += result.seen
    report.rejected += len(page.rejected)
    report.department_links += len(departments)
    report.watch_links += len(watches)
    report.position = page.position
    for _, department_id in departments:
        slug = linker.slug_of[department_id]
        report.per_department[slug] = report.per_department.get(slug, 0) + 1


def _start_run(engine: sa.Engine, source: str, department_id: int | None, what: str) -> int:
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        run = CollectionRun(
            source=source, department_id=department_id, started_at=utcnow(), detail={"file": what}
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def _finish_run(
    engine: sa.Engine, run_id: int, report: ImportReport, *, status: str, error: str
) -> None:
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        run = session.get(CollectionRun, run_id)
        assert run is not None
        run.finished_at, run.status, run.error = utcnow(), status, error[:2000]
        run.posts_new, run.posts_seen, run.pages = report.new, report.seen, report.pages
        run.items_rejected = report.rejected
        session.flush()


@dataclass
class AnalyzeReport:
    """What a sentiment pass did."""

    scored: int = 0  # posts given a score
    computed: int = 0  # distinct texts run through the scorer
    reused: int = 0  # posts whose identical text had been scored already
    not_english: int = 0  # posts left unscored: VADER reads English only


ANALYZE_BATCH = 20_000


Score = tuple[float, float, float, float, str]  # compound, pos, neu, neg, label


def analyze(
    engine: sa.Engine,
    *,
    workers: int | None = None,
    on_batch: Callable[[AnalyzeReport], None] | None = None,
) -> AnalyzeReport:
    """Score every post without a current sentiment score; identical texts are scored once."""
    report = AnalyzeReport()
    after_id = 0
    while True:
        with engine.connect() as conn:
            batch = store_scores.pending(conn, after_id=after_id, limit=ANALYZE_BATCH)
            if not batch:
                report.not_english = store_scores.count_unscorable(conn)
                return report
            known = store_scores.known_scores(conn, (p.text_hash for p in batch))
            reposts = {p.text_hash for p in batch if p.kind == "repost"} - set(known)
            originals = store_scores.texts_for(conn, reposts)
        texts = _texts_to_score(batch, known, originals)
        scores = {**known, **_score(texts, workers=workers)}
        with write_transaction(engine) as conn:
            writes.save_scores(conn, _score_rows(batch, scores))
        report.scored += len(batch)
        report.computed += len(texts)
        report.reused += len(batch) - len(texts)
        after_id = batch[-1].id
        if on_batch is not None:
            on_batch(report)


def _score(texts: dict[str, str], *, workers: int | None) -> dict[str, Score]:
    """Scores by text hash for texts not scored before."""
    from listener.analysis import sentiment  # deferred: VADER's lexicon takes a moment to load

    computed = sentiment.score_texts(list(texts.values()), workers=workers)
    return {
        h: (s.compound, s.pos, s.neu, s.neg, s.label) for h, s in zip(texts, computed, strict=True)
    }


def _score_rows(
    batch: list[store_scores.Pending], scores: Mapping[str, Score]
) -> list[dict[str, Any]]:
    from listener.analysis.sentiment import SCORER_VERSION

    now = utcnow()
    rows = []
    for post in batch:
        compound, pos, neu, neg, label = scores[post.text_hash]
        rows.append(
            {
                "post_id": post.id,
                "compound": compound,
                "pos": pos,
                "neu": neu,
                "neg": neg,
                "label": label,
                "text_hash": post.text_hash,
                "scorer_version": SCORER_VERSION,
                "scored_at": now,
            }
        )
    return rows


def _texts_to_score(
    batch: list[store_scores.Pending], known: Mapping[str, object], originals: dict[str, str]
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

"""Store pages of posts: upsert, link to watches and departments, save the cursor, together.

Shared by file imports and live collection, so that a page and the cursor that
follows it always commit together: a crash means re-fetching a page, never a
gap and never a duplicate. Run records (one per import or source run) live here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from listener import rights
from listener.collectors.base import Page, PostItem, RejectedItem
from listener.matching import WatchMatcher
from listener.models import CollectionRun, utcnow
from listener.store import departments as store_departments
from listener.store import repeats, writes
from listener.store.db import write_transaction


@dataclass
class PageTotals:
    """Running totals over the pages stored by one run, and the rows it wrote."""

    pages: int = 0
    new: int = 0
    seen: int = 0
    rejected: int = 0
    suppressed: int = 0  # posts of erased authors, not stored
    # Links this run made: a post is counted once, however many pages it came in.
    department_links: int = 0
    department_links_kept: int = 0  # asked for again, already there (a re-import, say)
    watch_links: int = 0
    position: int = 0
    per_department: dict[str, int] = field(default_factory=dict)  # new links, by slug
    # An unchanged copy of a row already written is not written again (store.repeats).
    written: repeats.Written = field(default_factory=repeats.Written, repr=False, compare=False)


class AuthorRef(NamedTuple):
    """Who wrote a post, as screening for erased authors needs it."""

    platform: str
    native_id: str
    handle: str


class PostRef(NamedTuple):
    """What storing needs of a post besides its row: to screen it, link it and count it."""

    platform: str
    native_id: str
    author: AuthorRef | None
    repost_of_id: str | None
    context: bool  # came along as context (see PostItem.context)
    departments: tuple[str, ...]  # named by the record itself (listener's JSON Lines)
    watches: tuple[int, ...]  # the watches it matched

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.native_id)


@dataclass(frozen=True)
class PreparedPage:
    """A page made ready to write, without the database: rows built, watches matched.

    File imports prepare pages in a second process (listener.prefetch) while this
    one writes; collectors' pages are prepared as they are stored.
    """

    refs: list[PostRef]
    rows: writes.PageRows
    rejected: list[RejectedItem]
    cursor: str | None
    position: int


def prepare(page: Page, matcher: WatchMatcher, *, now: datetime) -> PreparedPage:
    """Rows for `page`'s posts and the watches each one matches."""
    return PreparedPage(
        refs=[_ref(item, matcher) for item in page.posts],
        rows=writes.page_rows(page.posts, now=now),
        rejected=page.rejected,
        cursor=page.cursor,
        position=page.position,
    )


def _ref(item: PostItem, matcher: WatchMatcher) -> PostRef:
    author = item.author
    return PostRef(
        item.platform,
        item.native_id,
        AuthorRef(author.platform, author.native_id, author.handle) if author else None,
        item.repost_of_id,
        item.context,
        tuple(item.departments),
        tuple(w.id for w in matcher.match(item)),
    )


class Linker:
    """Works out which departments and watches each stored post belongs to."""

    def __init__(self, conn: sa.Connection, *, department: str | None = None) -> None:
        self.slugs = store_departments.department_ids(conn)
        self.slug_of = {pk: slug for slug, pk in self.slugs.items()}
        self.fixed = store_departments.department_id(conn, department) if department else None
        self.watches = store_departments.active_watches(conn)
        self.department_of = {w.id: w.department_id for w in self.watches}
        self.matcher = WatchMatcher(self.watches)

    def assign(
        self, refs: Iterable[PostRef], *, answers: Iterable[int] = ()
    ) -> dict[tuple[str, str], tuple[set[int], list[int]]]:
        """Each post's departments and watches, by key; `answers`: watches the page answers."""
        answered = [w for w in answers if w in self.department_of]
        assigned: dict[tuple[str, str], tuple[set[int], list[int]]] = {}
        for ref in refs:
            departments, matched = assigned.setdefault(ref.key, (set(), []))
            if self.fixed is not None and not ref.context:
                departments.add(self.fixed)
            departments.update(self.slugs[s] for s in ref.departments if s in self.slugs)
            watches = [w for w in ref.watches if w in self.department_of]
            if not ref.context:
                watches += _answered(watches, answered)
            matched += watches
            if self.fixed is None:
                departments.update(self.department_of[w] for w in watches)
        return assigned

    @staticmethod
    def pairs(
        assigned: dict[tuple[str, str], tuple[set[int], list[int]]],
        ids: dict[tuple[str, str], int],
    ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """The links of `assign`'s answer, once the posts have ids."""
        departments: set[tuple[int, int]] = set()
        watches: set[tuple[int, int]] = set()
        for key, (department_ids, watch_ids) in assigned.items():
            post_id = ids[key]
            departments.update((post_id, d) for d in department_ids)
            watches.update((post_id, w) for w in watch_ids)
        return departments, watches


def _answered(matched: list[int], answered: list[int]) -> list[int]:
    # A page fetched for one watch answers it. A page fetched for several watches
    # combined into one query answers those our matcher confirms; only when it
    # confirms none (the platform matches more loosely than we do) all of them.
    if len(answered) <= 1 or not set(matched) & set(answered):
        return answered
    return []


@dataclass(frozen=True)
class PageOrigin:
    """Where a page came from: source and run, the cursor it advances, the watches it answers."""

    source: str
    run_id: int | None = None
    cursor_key: str | None = None  # None for file imports: they have no cursor
    answers: tuple[int, ...] = ()


def store_page(
    engine: sa.Engine,
    page: Page | PreparedPage,
    linker: Linker,
    totals: PageTotals,
    origin: PageOrigin,
) -> None:
    """Store one page, its quarantined items and the cursor after it, in one transaction
    (again, if PostgreSQL ended it to break a deadlock with another writer)."""
    now = utcnow()
    if isinstance(page, Page):
        page = prepare(page, linker.matcher, now=now)
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                stored = _write_page(conn, page, linker, totals.written, origin, now)
            break
        except sa.exc.OperationalError as exc:
            # Nothing of the page was kept and the totals are untouched: write it again.
            if attempt == PAGE_ATTEMPTS or not _retryable(exc):
                raise
    result, suppressed, departments, watches, asked = stored
    repeats.remember(result.written)
    totals.pages += 1
    totals.new += result.new
    totals.seen += result.seen
    totals.rejected += len(page.rejected)
    totals.suppressed += suppressed
    totals.department_links += len(departments)
    totals.department_links_kept += asked - len(departments)
    totals.watch_links += len(watches)
    totals.position = page.position
    for _, department_id in departments:
        slug = linker.slug_of[department_id]
        totals.per_department[slug] = totals.per_department.get(slug, 0) + 1


# A page whose transaction PostgreSQL ended to break a deadlock with another writer
# (rows of the same posts linked in another order by a concurrent collector, say) is
# written again, up to this many times in all.
PAGE_ATTEMPTS = 3
_RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def _retryable(exc: sa.exc.OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE


class _Stored(NamedTuple):
    result: writes.UpsertResult
    suppressed: int
    departments: list[tuple[int, int]]  # links the page added
    watches: list[tuple[int, int]]
    departments_asked: int  # links the page asked for, added or already there


def _write_page(
    conn: sa.Connection,
    page: PreparedPage,
    linker: Linker,
    written: repeats.Written,
    origin: PageOrigin,
    now: datetime,
) -> _Stored:
    refs, suppressed = rights.screen(conn, page.refs)  # erased authors are never stored
    rows = page.rows.only({ref.key for ref in refs}) if suppressed else page.rows
    assigned = linker.assign(refs, answers=origin.answers)
    in_departments = {key: department_ids for key, (department_ids, _) in assigned.items()}
    result = writes.write_rows(conn, rows, departments=in_departments, written=written)
    # A post twice in the page (a result, and context of another) is one row: the
    # copy counts as already stored, as it would had it come in another page.
    result.seen += len(refs) - len(rows.posts)
    departments, watches = linker.pairs(assigned, result.ids)
    added_departments = writes.link_departments(conn, departments)
    added_watches = writes.link_watches(conn, watches)
    writes.quarantine(conn, page.rejected, source=origin.source, run_id=origin.run_id, now=now)
    if origin.cursor_key is not None and page.cursor is not None:
        writes.save_cursor(
            conn, source=origin.source, key=origin.cursor_key, value=page.cursor, now=now
        )
    return _Stored(result, suppressed, added_departments, added_watches, len(departments))


RUNS = CollectionRun.__table__  # type: ignore[attr-defined]
# Longer than any one run takes (the scheduler never overlaps runs of a source).
ORPHAN_AFTER = timedelta(hours=6)
ORPHAN_REASON = "did not finish: the process stopped or the database refused the final write"


def start_run(
    engine: sa.Engine, source: str, *, department_id: int | None, detail: dict[str, Any]
) -> int:
    """Open a run record (status 'running'); returns its id.

    Records of this source still 'running' from more than `ORPHAN_AFTER` ago belong to a
    run that never finished (the process was killed, or the database refused the final
    write): they are closed as failed, so the record matches what happened.
    """
    now = utcnow()
    with write_transaction(engine) as conn:
        conn.execute(
            RUNS.update()
            .where(
                RUNS.c.source == source,
                RUNS.c.status == "running",
                RUNS.c.started_at < now - ORPHAN_AFTER,
            )
            .values(status="failed", finished_at=now, error=ORPHAN_REASON)
        )
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        run = CollectionRun(
            source=source, department_id=department_id, started_at=utcnow(), detail=detail
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, for its record."""

    status: str  # ok | partial | failed
    error: str = ""
    rate_limit_wait_seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


def finish_run(engine: sa.Engine, run_id: int, totals: PageTotals, outcome: RunOutcome) -> None:
    """Close a run record with its totals and outcome."""
    with write_transaction(engine) as conn, Session(bind=conn) as session:
        run = session.get(CollectionRun, run_id)
        assert run is not None
        run.finished_at, run.status, run.error = utcnow(), outcome.status, outcome.error[:2000]
        run.posts_new, run.posts_seen, run.pages = totals.new, totals.seen, totals.pages
        run.items_rejected = totals.rejected
        run.rate_limit_wait_seconds = outcome.rate_limit_wait_seconds
        run.detail = {**(run.detail or {}), **outcome.detail}
        session.flush()

"""Search latency: p50 and p95 of 200 realistic searches over an imported synthetic week.

    .venv/bin/python -m tests.benchmarks.bench_search --posts 1000000 [--engine sqlite|postgresql|both]
        [--keep DIR] [--results DIR]

For each engine the cached synthetic twarc2 file (see bench_import.cached_file;
every post falls in ISO week 2026-W11) is imported with `listener init`,
`listener config import` and `listener import`, then 200 searches are timed.

What one search costs is what the Conversations page and its JSON twin
(`GET /api/v1/conversations`) run on the server for one page of results,
without HTTP: `totals.results` (the total the page shows, exact up to
`totals.TOTAL_CAP` matches and "more than" past it, and the ids of the first
page of 25), `queries.records` for those posts and `post_out` for each (the
text made readable, the query's matches marked). The searches are words, two
words, phrases, hashtags, OR-groups and a phrase without a word; each has no
filter, a department, a date range, or both, as the page's form sets them: a
department is a scope of one department id; a date range is whole UTC days (a
day, three days, the week, from a weekday on, or the week before and this one),
`until` inclusive.

The 200 searches run twice in one child process that imports a snapshot of
listener/ taken at the start (so edits to the working tree during a run do
not mix versions): a warm-up pass, then the timed pass. Each search gets a
connection from the engine's pool, as a request does.

--keep DIR keeps the loaded databases for the next run instead of loading
1,000,000 posts again: the SQLite file goes in DIR and the PostgreSQL database
is named listener_search_<posts>_seed<seed> on the admin server. A kept
database is reused when it holds exactly --posts posts. Drop it afterwards with
`DROP DATABASE listener_search_1000000_seed1` and by deleting DIR.

Results go to tests/benchmarks/results/search-<date>.json and .md: p50, p95 and
max per engine and per query shape and filter, the commit and source
fingerprint, the machine and the load average; the JSON also has every
search's time and total, and a hash of every search's answers (total and
first-page ids) per engine, so that two runs can be checked to answer alike.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from tests.benchmarks import harness, synth
from tests.benchmarks.bench_import import (
    PG_ADMIN_URL,
    RESULTS,
    ROOT,
    _commit,
    cached_file,
    fingerprint,
    listener_command,
    listener_env,
    machine,
    measure,
    postgres_database,
    snapshot,
)

SEARCHES = 200
PER_PAGE = 25  # listener.web.conversations.search.PER_PAGE: the page's first page
TARGET_P95_MS = 100.0  # issue 7: p95 under 100 ms at 1,000,000 posts on both engines

WORDS = [
    "waiting",
    "nhs",
    "strike",
    "doctors",
    "energy",
    "bills",
    "rent",
    "eviction",
    "school",
    "teachers",
    "trains",
    "cancelled",
    "price",
    "cap",
    "funding",
    "crisis",
    "housing",
]
PHRASES = ['"waiting list"', '"price cap"', '"junior doctors"', '"section 21"', '"standing charge"']
TAGS = ["#NHS", "#EnergyBills", "#Renters", "#RailStrike", "#SEND", "#HS2"]
DEPARTMENTS = ["dhsc", "dfe", "desnz", "mhclg", "dft"]  # config/listener.yaml
FILTERS = ("none", "department", "dates", "department+dates")


@dataclass(frozen=True)
class Search:
    """One search as the Conversations form gives it."""

    shape: str
    q: str
    filter: str  # one of FILTERS
    department: str | None
    since: str | None  # YYYY-MM-DD, inclusive
    until: str | None  # YYYY-MM-DD, inclusive


def date_ranges(rng: random.Random) -> tuple[str, str | None, str | None]:
    """(name, since, until) of a date range within and around the synthetic week."""
    start = synth.WEEK_START.date()
    day = start + timedelta(days=rng.randrange(7))
    three = start + timedelta(days=rng.randrange(5))
    choices: list[tuple[str, date, date | None]] = [
        ("a day", day, day),
        ("three days", three, three + timedelta(days=2)),
        ("the week", start, start + timedelta(days=6)),
        ("from a weekday on", day, None),
        ("two weeks", start - timedelta(days=7), start + timedelta(days=6)),
    ]
    name, since, until = rng.choice(choices)
    return name, since.isoformat(), until.isoformat() if until else None


def searches(count: int, seed: int) -> list[Search]:
    """A reproducible mix of the searches a policy team runs."""
    rng = random.Random(seed)
    shapes: dict[str, Callable[[], str]] = {
        "word": lambda: rng.choice(WORDS),
        "two words": lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        "phrase": lambda: rng.choice(PHRASES),
        "hashtag": lambda: rng.choice(TAGS),
        "OR-group": lambda: f"({rng.choice(WORDS)} OR {rng.choice(TAGS)}) {rng.choice(WORDS)}",
        "phrase -word": lambda: f"{rng.choice(PHRASES)} -{rng.choice(WORDS)}",
    }
    plan = []
    for _ in range(count):
        shape = rng.choice(list(shapes))
        q = shapes[shape]()
        kind = rng.choice(FILTERS)
        department = rng.choice(DEPARTMENTS) if "department" in kind else None
        since = until = None
        if "dates" in kind:
            _, since, until = date_ranges(rng)
        plan.append(Search(shape, q, kind, department, since, until))
    return plan


# ---- the timing child (imports listener from the snapshot) ----------------------------


def _day_start(day: str | None) -> datetime | None:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) if day else None


def _day_end(day: str | None) -> datetime | None:  # the form's until is inclusive
    start = _day_start(day)
    return start + timedelta(days=1) if start else None


def time_searches(url: str, plan_file: str) -> None:
    """Run every search of `plan_file` twice (warm-up, timed); print the timed pass as JSON."""
    import sqlalchemy as sa

    from listener.query import parse
    from listener.store import queries
    from listener.store.db import create_engine
    from listener.web.conversations.shapes import post_out

    # A baseline from before the filters and totals left queries.py has them there.
    try:
        from listener.store import search_filters, totals
    except ImportError:
        search_filters = totals = queries

    plan = [Search(**s) for s in json.loads(Path(plan_file).read_text())]
    engine = create_engine(url)
    with engine.connect() as conn:
        slugs = conn.execute(
            sa.select(search_filters.DEPARTMENTS.c.slug, search_filters.DEPARTMENTS.c.id)
        )
        department_ids = {slug: id_ for slug, id_ in slugs}

    capped = getattr(totals, "total", None)
    paged = getattr(totals, "results", None)

    def one(search: Search) -> dict[str, Any]:
        node = parse(search.q)
        scope = None if search.department is None else {department_ids[search.department]}
        filters = search_filters.SearchFilters(
            since=_day_start(search.since),
            until=_day_end(search.until),
            department_ids=None if scope is None else frozenset(scope),
            sort="relevance",  # the page's default with a query
            limit=PER_PAGE,
        )
        start = time.perf_counter()
        with engine.connect() as conn:
            if paged is not None:
                found, ids = paged(conn, node, filters)
                total, exact = astuple(found)
            elif capped is not None:  # baselines from before one pass, or before capped totals
                total, exact = astuple(capped(conn, node, filters))
                ids = queries.search_ids(conn, node, filters)
            else:
                total, exact = totals.count(conn, node, filters), True
                ids = queries.search_ids(conn, node, filters)
            counted = time.perf_counter()
            items = [post_out(p, node) for p in queries.records(conn, ids)]
        end = time.perf_counter()
        # An exact total hashes as it did before totals were capped; "more than" apart.
        said = [total, [i.id for i in items]] + ([] if exact else ["more than"])
        answer = hashlib.sha256(json.dumps(said).encode()).hexdigest()
        return {
            "ms": (end - start) * 1000,
            "count_ms": (counted - start) * 1000,  # the total and the page's ids
            "page_ms": (end - counted) * 1000,  # its records, made readable and marked
            "total": total,
            "total_exact": exact,
            "answer": answer[:16],
        }

    warm_start = time.perf_counter()
    for search in plan:
        one(search)
    warm_up_s = time.perf_counter() - warm_start
    timed = [one(search) for search in plan]
    engine.dispose()
    window = getattr(queries, "RANK_WINDOW", None)  # None: every match is ranked
    print(json.dumps({"warm_up_s": warm_up_s, "rank_window": window, "searches": timed}))


# ---- databases ---------------------------------------------------------------------


def posts_stored(url: str) -> int | None:
    """Posts in a listener database at `url`; None when it has no posts table yet."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return None
        with contextlib.closing(sqlite3.connect(path)) as db:
            exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'posts'").fetchone()
            return db.execute("SELECT count(*) FROM posts").fetchone()[0] if exists else None
    with psycopg.connect(url) as db:
        row = db.execute("SELECT to_regclass('public.posts') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return None
        counted = db.execute("SELECT count(*) FROM posts").fetchone()
        return int(counted[0]) if counted else 0


@contextlib.contextmanager
def kept_postgres(admin_url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database that outlives the run: created when missing, never dropped."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def database(engine: str, args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """The database URL for `engine`: kept in --keep, or fresh and thrown away."""
    stem = f"search_{args.posts}_seed{args.seed}"
    if engine == "sqlite":
        folder = args.keep if args.keep else workdir
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{(folder / f'listener_{stem}.db').resolve()}"
    elif args.keep:
        with kept_postgres(args.pg_admin_url, f"listener_{stem}") as url:
            yield url
    else:
        with postgres_database(args.pg_admin_url) as url:
            yield url


def load(
    engine: str, url: str, file: Path, posts: int, source: Path, workdir: Path
) -> float | None:
    """Import `file` into `url` unless it already holds it; the import's seconds, or None."""
    stored = posts_stored(url)
    if stored == posts:
        print(f"{engine}: reusing {url.rsplit('/', 1)[-1]} ({posts:,} posts)", flush=True)
        return None
    if stored is not None:
        raise SystemExit(f"{engine}: {url} holds {stored:,} posts, not {posts:,}: drop it first")
    env, listener = listener_env(url, source), listener_command()
    seconds = 0.0
    for step in (["init"], ["config", "import"], ["import", str(file), "--format", "twarc2"]):
        print(f"{engine}: listener {' '.join(step[:2])} ...", flush=True)
        done = measure([listener, *step], env=env, cwd=workdir, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"{engine}: listener {' '.join(step)} failed:\n{done.output[-3000:]}")
        seconds += done.seconds
    if posts_stored(url) != posts:
        raise SystemExit(f"{engine}: the import did not store {posts:,} posts")
    if engine == "postgresql":
        # As autovacuum leaves a table some minutes after a bulk load: the visibility
        # map set and statistics fresh, so that runs do not depend on its timing.
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("VACUUM (ANALYZE) posts")
            db.execute("VACUUM (ANALYZE) post_departments")
    return seconds


# ---- figures -------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with `fraction` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    """count, p50, p95 and max of some milliseconds."""
    return {
        "searches": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


@dataclass
class EngineResult:
    """One engine's run."""

    engine: str
    code: str  # which source: "working tree" or "baseline <rev>"
    listener_source: str  # its fingerprint
    rank_window: int | None  # relevance ranks the newest this many matches (None: all)
    import_s: float | None  # None: a kept database was reused
    warm_up_s: float
    overall: dict[str, float]
    count_only: dict[str, float]
    page_only: dict[str, float]
    by_shape: dict[str, dict[str, float]]
    by_filter: dict[str, dict[str, float]]
    answers: str  # hash of every search's total and first-page ids, in order
    slowest: list[dict[str, Any]]
    searches: list[dict[str, Any]]


@dataclass(frozen=True)
class Code:
    """A snapshot of listener's source that the timing child imports."""

    label: str  # "working tree", or "baseline <rev>"
    path: Path
    fingerprint: str


def snapshot_rev(rev: str, source: Path) -> dict[str, str]:
    """Like bench_import.snapshot, from a git revision instead of the working tree."""
    source.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "listener", "config/listener.yaml"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    (source / "config" / "listener.yaml").rename(source / "listener.yaml")
    paths = sorted([*(source / "listener").rglob("*.py"), source / "listener.yaml"])
    return {
        str(p.relative_to(source)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in paths
    }


def bench_engine(
    engine: str, args: argparse.Namespace, plan: list[Search], codes: list[Code]
) -> list[EngineResult]:
    """Load (or reuse) the engine's database, then time the searches with each code."""
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="listener-search-") as tmp,
        database(engine, args, Path(tmp)) as url,
    ):
        workdir = Path(tmp)
        file = cached_file(args.posts, args.seed)
        import_s = load(engine, url, file, args.posts, codes[-1].path, workdir)
        plan_file = workdir / "plan.json"
        plan_file.write_text(json.dumps([asdict(s) for s in plan]))
        for code in codes:
            path = os.pathsep.join((str(code.path), str(ROOT)))
            env = listener_env(url, code.path) | {"PYTHONPATH": path}
            call = (
                "from tests.benchmarks.bench_search import time_searches; "
                f"time_searches({url!r}, {str(plan_file)!r})"
            )
            print(f"{engine}: {code.label}: timing {len(plan)} searches ...", flush=True)
            done = measure([sys.executable, "-c", call], env=env, cwd=workdir, timeout=3600)
            if done.returncode != 0:
                raise SystemExit(f"{engine}: the timing child failed:\n{done.output[-3000:]}")
            timed = json.loads(done.output.strip().splitlines()[-1])
            results.append(_result(engine, code, import_s, plan, timed))
    return results


def _result(
    engine: str, code: Code, import_s: float | None, plan: list[Search], timed: dict[str, Any]
) -> EngineResult:
    rows = [asdict(s) | t for s, t in zip(plan, timed["searches"], strict=True)]
    for row in rows:
        for key in ("ms", "count_ms", "page_ms"):
            row[key] = round(row[key], 2)

    def grouped(key: str) -> dict[str, dict[str, float]]:
        names = dict.fromkeys(r[key] for r in rows)
        return {n: summary([r["ms"] for r in rows if r[key] == n]) for n in names}

    answers = hashlib.sha256("".join(r["answer"] for r in rows).encode()).hexdigest()[:16]
    return EngineResult(
        engine=engine,
        code=code.label,
        listener_source=code.fingerprint,
        rank_window=timed["rank_window"],
        import_s=None if import_s is None else round(import_s, 1),
        warm_up_s=round(timed["warm_up_s"], 2),
        overall=summary([r["ms"] for r in rows]),
        count_only=summary([r["count_ms"] for r in rows]),
        page_only=summary([r["page_ms"] for r in rows]),
        by_shape=grouped("shape"),
        by_filter=grouped("filter"),
        answers=answers,
        slowest=sorted(rows, key=lambda r: -r["ms"])[:5],
        searches=rows,
    )


def compare(baseline: EngineResult, current: EngineResult) -> dict[str, Any]:
    """How the two codes' answers differ, search by search."""
    pairs = list(zip(baseline.searches, current.searches, strict=True))
    return {
        "engine": current.engine,
        "searches": len(pairs),
        "same_total": sum(b["total"] == c["total"] for b, c in pairs),
        "same_first_page": sum(b["answer"] == c["answer"] for b, c in pairs),
        "different_first_page_totals": sorted(
            c["total"] for b, c in pairs if b["answer"] != c["answer"]
        ),
    }


def markdown(
    results: list[EngineResult],
    comparisons: list[dict[str, Any]],
    posts: int,
    load: dict[str, str],
    server: dict[str, str] | None = None,
) -> str:
    """The results as Markdown tables."""
    settings = ", ".join(f"{k} {v}" for k, v in (server or {}).items())
    lines = [
        f"Search benchmark: {SEARCHES} searches, {posts:,} posts (2026-W11), first page of"
        f" {PER_PAGE} with its total, as the Conversations page runs them."
        f" Load average {load['start']} at the start, {load['end']} at the end."
        + (f" PostgreSQL settings: {settings}." if settings else ""),
        "",
        "| engine | code | p50 ms | p95 ms | max ms | total+ids p95 ms | records p95 ms"
        " | p95 < 100 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        met = "yes" if r.overall["p95_ms"] < TARGET_P95_MS else "NO"
        lines.append(
            f"| {r.engine} | {r.code} | {r.overall['p50_ms']} | {r.overall['p95_ms']}"
            f" | {r.overall['max_ms']} | {r.count_only['p95_ms']} | {r.page_only['p95_ms']}"
            f" | {met} |"
        )
    for title, attribute in (("query shape", "by_shape"), ("filter", "by_filter")):
        lines += ["", f"| engine | code | {title} | searches | p50 ms | p95 ms | max ms |"]
        lines.append("|---|---|---|---|---|---|---|")
        for r in results:
            for name, s in getattr(r, attribute).items():
                lines.append(
                    f"| {r.engine} | {r.code} | {name} | {s['searches']} | {s['p50_ms']}"
                    f" | {s['p95_ms']} | {s['max_ms']} |"
                )
    lines += ["", "Slowest searches:", "", "| engine | code | q | filter | total | ms |"]
    lines.append("|---|---|---|---|---|---|")
    for r in results:
        for s in r.slowest:
            where = " ".join(str(v) for v in (s["department"], s["since"], s["until"]) if v)
            lines.append(
                f"| {r.engine} | {r.code} | `{s['q']}` | {s['filter']} {where}"
                f" | {s['total']:,} | {s['ms']} |"
            )
    for c in comparisons:
        line = (
            f"{c['engine']}: the same total in {c['same_total']} of {c['searches']} searches,"
            f" the same first page in {c['same_first_page']}."
        )
        if c["different_first_page_totals"]:
            totals = ", ".join(f"{t:,}" for t in c["different_first_page_totals"])
            line += f" The searches whose first page differs match {totals} posts."
        lines += ["", line]
    return "\n".join(lines)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_search",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--posts", type=int, default=100_000, help="posts (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="synthetic file and search seed")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help=f"default {PG_ADMIN_URL}")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the loaded databases")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also time listener/ as of this git revision, on the same databases, first",
    )
    return parser.parse_args(argv)


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Command line: load, time, print and record; exit 1 when a p95 misses the target."""
    args = _arguments(argv)
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    plan = searches(SEARCHES, args.seed)
    cached_file(args.posts, args.seed)
    load = {"start": _load_average()}
    with tempfile.TemporaryDirectory(prefix="listener-bench-src-") as tmp:
        codes = []
        if args.baseline:
            hashes = snapshot_rev(args.baseline, Path(tmp) / "baseline")
            label = f"baseline {args.baseline}"
            codes.append(Code(label, Path(tmp) / "baseline", fingerprint(hashes)))
        hashes = snapshot(Path(tmp) / "current")
        codes.append(Code("working tree", Path(tmp) / "current", fingerprint(hashes)))
        results = [r for engine in engines for r in bench_engine(engine, args, plan, codes)]
    load["end"] = _load_average()
    comparisons = (
        [
            compare(baseline, current)
            for baseline, current in zip(results[::2], results[1::2], strict=True)
        ]
        if args.baseline
        else []
    )
    host = machine(args.pg_admin_url if "postgresql" in engines else None)
    text = markdown(results, comparisons, args.posts, load, host.get("postgresql_settings"))
    print(text)
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": args.posts,
        "seed": args.seed,
        "per_page": PER_PAGE,
        "target_p95_ms": TARGET_P95_MS,
        "machine": host,
        "load_average": load,
        "listener_commit": _commit(),
        "listener_source": codes[-1].fingerprint,
        "baseline": {"rev": args.baseline, "listener_source": codes[0].fingerprint}
        if args.baseline
        else None,
        "comparisons": comparisons,
        "engines": [asdict(r) for r in results],
    }
    print(f"results: {harness.record(args.results, 'search', payload, text)}")
    current = [r for r in results if r.code == "working tree"]
    return 0 if all(r.overall["p95_ms"] < TARGET_P95_MS for r in current) else 1


if __name__ == "__main__":
    sys.exit(main())

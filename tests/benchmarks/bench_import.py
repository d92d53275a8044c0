"""Benchmark `listener import --format twarc2` on SQLite and PostgreSQL, twice per database.

    python -m tests.benchmarks.bench_import --posts 100000 [--engine sqlite|postgresql|both]

For each engine: a fresh database, `listener init`, `listener config import`,
then the same synthetic file (see tests.benchmarks.synth) imported twice. Each
import runs as its own process; its wall time, CPU time and peak RSS come from
`os.wait4`, which returns the resource usage of exactly that child. After each
run the posts are counted and must equal --posts, and the full-text index must
agree with the stored text. On SQLite a raw-driver baseline runs beside it: the
same posts inserted with sqlite3 `executemany` in one transaction, FTS5 index
built afterwards. The children import a copy of listener/ taken at the start,
so an edit to the working tree during a run cannot mix versions. Results go to
tests/benchmarks/results/import-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from tests.benchmarks import harness, synth

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "listener.yaml"
RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(tempfile.gettempdir()) / "listener-bench"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1/postgres"
FTS5_TOKENIZE = "unicode61 remove_diacritics 2 tokenchars '#@_'"  # as listener's migration
PROBE_TOKEN = "#nhs"  # searched through the index and by plain SQL: the counts must agree
_SUMMARY = re.compile(r"([\d,]+)\s+new\s+posts,\s+([\d,]+)\s+already\s+stored")  # rich wraps lines


@dataclass(frozen=True)
class Measured:
    """One child process: how long it took and the most memory it held."""

    seconds: float
    cpu_seconds: float  # user + system of the child itself (not the database server)
    peak_rss_mb: float
    returncode: int
    output: str  # stdout and stderr, interleaved
    machine_cpu_seconds: float  # every process's, the database server's too


def machine_busy() -> float:
    """CPU seconds every core has spent on anything but idling and waiting, since boot.

    Around a child on a quiet machine, the difference is the child's CPU plus the
    database server's, which `wait4` cannot see: on two cores, what bounds a run.
    """
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]  # less idle and iowait; guest is in user
    return busy / os.sysconf("SC_CLK_TCK")


def measure(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> Measured:
    """Run `command`; its peak RSS is ru_maxrss from wait4, which covers this child alone."""
    log = cwd / "child.log"
    with open(log, "wb") as out:
        busy = machine_busy()
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        busy = machine_busy() - busy
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measured(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        returncode=child.returncode,
        output=log.read_text(errors="replace"),
        machine_cpu_seconds=busy,
    )


def cached_file(posts: int, seed: int) -> Path:
    """The synthetic file for (posts, seed), written once and reused from the temp folder."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"twarc2-{posts}-seed{seed}-v{synth.GENERATOR_VERSION}.jsonl"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        synth.write(path, posts=posts, seed=seed)
        counted = synth.census(path, posts=posts)
        if counted.distinct != posts:
            path.unlink()
            raise SystemExit(f"{path}: {counted.distinct:,} distinct ids, expected {posts:,}")
    return path


@dataclass
class Row:
    """One line of the results table."""

    engine: str
    run: str
    seconds: float
    posts_per_second: float
    peak_rss_mb: float
    cpu_seconds: float
    posts_stored: int
    machine_cpu_seconds: float  # the whole machine's busy CPU during the run
    new: int | None = None
    seen: int | None = None
    authors: int | None = None
    matched_posts: int | None = None  # posts with at least one watch match
    index_in_step: bool | None = None
    database_mb: float | None = None
    detail: dict[str, float] | None = None


@dataclass(frozen=True)
class Stored:
    """What the database holds after a run."""

    posts: int
    authors: int
    matched_posts: int
    index_in_step: bool
    database_mb: float


def stored_sqlite(path: Path) -> Stored:
    """Count what a listener SQLite database holds, and check its FTS5 index."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        posts, authors, matched = db.execute(_COUNTS).fetchone()
        db.execute("INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)")
        by_index = db.execute(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?",
            (f'search_text : "{PROBE_TOKEN}"',),
        ).fetchone()[0]
        by_text = db.execute(_PROBE_SQL, (f"% {PROBE_TOKEN} %",)).fetchone()[0]
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return Stored(posts, authors, matched, by_index == by_text, size / 1e6)


def stored_postgres(url: str) -> Stored:
    """Count what a listener PostgreSQL database holds, and check its tsvector index."""
    with psycopg.connect(url) as db:
        posts, authors, matched = _one(db, _COUNTS)
        lexeme = PROBE_TOKEN.replace("#", "xhtx")  # as listener.store.search.pg_lexeme
        sql = "SELECT count(*) FROM posts WHERE search_vector @@ %s::tsquery"
        by_index = _one(db, sql, lexeme)[0]
        by_text = _one(db, _PROBE_SQL.replace("?", "%s"), f"% {PROBE_TOKEN} %")[0]
        size = _one(db, "SELECT pg_database_size(current_database())")[0]
    return Stored(posts, authors, matched, by_index == by_text, size / 1e6)


def _one(db: psycopg.Connection[Any], sql: str, *params: Any) -> tuple[Any, ...]:
    row = db.execute(sql, params or None).fetchone()
    assert row is not None  # aggregate queries always return a row
    return tuple(row)


_COUNTS = (
    "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM authors),"
    " (SELECT count(DISTINCT post_id) FROM post_matches)"
)
_PROBE_SQL = "SELECT count(*) FROM posts WHERE ' ' || search_text || ' ' LIKE ?"


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one benchmark, dropped afterwards."""
    name = f"listener_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def listener_env(database_url: str, source: Path) -> dict[str, str]:
    """The environment of a listener child: ours, minus other LISTENER_* settings.

    PYTHONPATH puts the snapshot of listener's source first (children run outside
    the repository, so the working tree is not on their path).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    env.update(
        LISTENER_DATABASE_URL=database_url,
        LISTENER_CONFIG=str(source / CONFIG.name),
        PYTHONPATH=str(source),
    )
    return env


def snapshot(source: Path) -> dict[str, str]:
    """Copy listener's source and the example config to `source`; return their hashes.

    The benchmark runs this copy, so an edit to the working tree while it runs
    cannot make its imports measure different code; the hashes say what was measured.
    """
    shutil.copytree(
        ROOT / "listener", source / "listener", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(CONFIG, source / CONFIG.name)
    probe = [sys.executable, "-c", "import listener; print(listener.__file__)"]
    found = subprocess.run(
        probe, env=listener_env("", source), cwd=source, capture_output=True, text=True, check=True
    ).stdout.strip()
    if not found.startswith(str(source)):
        raise SystemExit(f"children would import listener from {found}, not the snapshot")
    paths = sorted([*(source / "listener").rglob("*.py"), source / CONFIG.name])
    return {
        str(p.relative_to(source)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in paths
    }


def listener_command() -> str:
    """The `listener` script of the interpreter running the benchmark."""
    script = Path(sys.executable).parent / "listener"
    found = str(script) if script.exists() else shutil.which("listener")
    if found is None:
        raise SystemExit("no `listener` command: install the package (pip install -e .)")
    return found


@dataclass(frozen=True)
class Plan:
    """What to run, shared by every engine."""

    file: Path
    posts: int
    timeout: float
    source: Path  # the snapshot of listener's source the children import
    runs: int = 2  # imports of the file into the same database


def bench_engine(engine: str, url: str, plan: Plan, workdir: Path) -> list[Row]:
    """Set up a fresh database at `url`, then import the file twice, counting after each."""
    env, listener = listener_env(url, plan.source), listener_command()
    for setup in (["init"], ["config", "import"]):
        done = measure([listener, *setup], env=env, cwd=workdir, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"listener {' '.join(setup)} failed:\n{done.output}")
    rows = []
    for run in range(1, plan.runs + 1):
        command = [listener, "import", str(plan.file), "--format", "twarc2"]
        print(f"{engine}: import run {run} ...", flush=True)
        done = measure(command, env=env, cwd=workdir, timeout=plan.timeout)
        if done.returncode != 0:
            print(done.output[-3000:], file=sys.stderr)
            raise SystemExit(f"{engine}: import run {run} exited {done.returncode}")
        if engine == "sqlite":
            after = stored_sqlite(Path(url.removeprefix("sqlite:///")))
        else:
            after = stored_postgres(url)
        rows.append(_row(engine, str(run), done, after, plan.posts))
        print(f"{engine}: run {run} took {done.seconds:.1f} s; {after.posts:,} posts stored")
    return rows


def _row(engine: str, run: str, done: Measured, after: Stored, posts: int) -> Row:
    summary = _SUMMARY.search(done.output)
    new, seen = (int(summary[i].replace(",", "")) if summary else None for i in (1, 2))
    return Row(
        engine=engine,
        run=run,
        seconds=round(done.seconds, 2),
        posts_per_second=round(posts / done.seconds),
        peak_rss_mb=round(done.peak_rss_mb, 1),
        cpu_seconds=round(done.cpu_seconds, 2),
        posts_stored=after.posts,
        machine_cpu_seconds=round(done.machine_cpu_seconds, 1),
        new=new,
        seen=seen,
        authors=after.authors,
        matched_posts=after.matched_posts,
        index_in_step=after.index_in_step,
        database_mb=round(after.database_mb, 1),
    )


# ---- raw-driver baseline --------------------------------------------------------


def raw_sqlite(source: str, database: str) -> None:
    """Insert the file's posts with plain sqlite3, then build FTS5; print the phase timings."""
    from listener.collectors.xv2 import full_text
    from listener.textnorm import search_text

    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # as listener's engine
    db.execute(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, platform TEXT NOT NULL,"
        " native_id TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL,"
        " search_text TEXT NOT NULL, UNIQUE (platform, native_id))"
    )
    db.execute(
        "CREATE VIRTUAL TABLE posts_fts USING fts5(search_text, content='posts',"
        f" content_rowid='id', tokenize=\"{FTS5_TOKENIZE}\")"
    )

    def rows() -> Iterator[tuple[str, str, str, str]]:
        with open(source, "rb") as lines:
            for line in lines:
                page = json.loads(line)
                for tweet in page["data"] + page.get("includes", {}).get("tweets", []):
                    text = full_text(tweet)
                    yield tweet["id"], text, tweet["created_at"], search_text(text)

    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO posts (platform, native_id, text, created_at, search_text)"
        " VALUES ('x', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        rows(),
    )
    db.execute("COMMIT")
    loaded = time.perf_counter()
    db.execute("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")
    indexed = time.perf_counter()
    stored = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    db.close()
    timings = {"parse_and_insert_s": loaded - start, "fts_rebuild_s": indexed - loaded}
    print(json.dumps({"posts": stored, **timings}))


def bench_baseline(plan: Plan, workdir: Path) -> Row:
    """Run `raw_sqlite` (four columns into a table of its own) as a child, measured like the imports."""
    database = workdir / "raw.db"
    call = (
        "from tests.benchmarks.bench_import import raw_sqlite; "
        f"raw_sqlite({str(plan.file)!r}, {str(database)!r})"
    )
    row = _baseline("sqlite (raw sqlite3, narrow table)", call, plan, workdir)
    return replace(row, database_mb=_megabytes(workdir.glob("raw.db*")))


def bench_same_rows(engine: str, url: str, plan: Plan, workdir: Path) -> Row:
    """The same rows as listener stores, into a database `listener init` made, by the raw driver.

    sqlite3 `executemany` in one transaction then an FTS5 rebuild, or psycopg `COPY`
    (the generated tsvector and its GIN index maintained as rows arrive): see
    tests.benchmarks.baseline. Setting up the database is not timed.
    """
    done = measure(
        [listener_command(), "init"], env=listener_env(url, plan.source), cwd=workdir, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"listener init for the baseline failed:\n{done.output}")
    if engine == "sqlite":
        target, function = url.removeprefix("sqlite:///"), "sqlite_same_rows"
    else:
        target, function = url, "postgres_same_rows"
    call = (
        f"from tests.benchmarks.baseline import {function}; "
        f"{function}({str(plan.file)!r}, {target!r})"
    )
    driver = "sqlite3 executemany" if engine == "sqlite" else "psycopg COPY"
    row = _baseline(f"{engine} (raw {driver}, same rows)", call, plan, workdir)
    if engine == "sqlite":
        return replace(row, database_mb=_megabytes(workdir.glob("same-rows.db*")))
    return replace(row, database_mb=round(stored_postgres(url).database_mb, 1))


def _baseline(label: str, call: str, plan: Plan, workdir: Path) -> Row:
    """Run a baseline's `call` in a child measured like the imports; its row of the table."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(plan.source), str(ROOT)))}
    print(f"{label} ...", flush=True)
    done = measure([sys.executable, "-c", call], env=env, cwd=workdir, timeout=plan.timeout)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.output}")
    report: dict[str, float] = json.loads(done.output.strip().splitlines()[-1])
    return Row(
        engine=label,
        run="baseline",
        seconds=round(done.seconds, 2),
        posts_per_second=round(plan.posts / done.seconds),
        peak_rss_mb=round(done.peak_rss_mb, 1),
        cpu_seconds=round(done.cpu_seconds, 2),
        posts_stored=int(report["posts"]),
        machine_cpu_seconds=round(done.machine_cpu_seconds, 1),
        detail={k: round(v, 2) for k, v in report.items() if k != "posts"},
    )


def _megabytes(paths: Iterator[Path]) -> float:
    return round(sum(p.stat().st_size for p in paths) / 1e6, 1)


# ---- reporting ----------------------------------------------------------------------


PG_SETTINGS_SHOWN = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "autovacuum")


def machine(pg_admin_url: str | None) -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    info: dict[str, Any] = {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gb": round(int(memory) / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if pg_admin_url:
        with psycopg.connect(pg_admin_url) as db:
            info["postgresql"] = _one(db, "SHOW server_version")[0]
            # The settings that move the figures most: search reads rows from shared buffers.
            info["postgresql_settings"] = {
                name: _one(db, f"SHOW {name}")[0] for name in PG_SETTINGS_SHOWN
            }
    return info


def fingerprint(hashes: dict[str, str]) -> str:
    """One hash for the source file hashes of a snapshot."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]


def _commit() -> str:
    """The checked-out commit, read from .git without running git."""
    git = ROOT / ".git"
    with contextlib.suppress(OSError):
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    return "unknown"


COLUMNS = (
    "engine",
    "run",
    "seconds",
    "posts_per_second",
    "machine_cpu_seconds",
    "peak_rss_mb",
    "posts_stored",
)
HEADINGS = ("engine", "run", "wall s", "posts/s", "machine CPU s", "peak RSS MB", "posts stored")


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    for row in rows:
        values = [getattr(row, c) for c in COLUMNS]
        lines.append(
            "| "
            + " | ".join(f"{v:,}" if isinstance(v, int | float) else str(v) for v in values)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: benchmark, print the table, record the results."""
    args = _arguments(argv)
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    file = cached_file(args.posts, args.seed)
    with tempfile.TemporaryDirectory(prefix="listener-bench-src-") as source:
        hashes = snapshot(Path(source))
        measured = {"listener_commit": _commit(), "listener_source": fingerprint(hashes)}
        plan = Plan(
            file=file, posts=args.posts, timeout=args.timeout, source=Path(source), runs=args.runs
        )
        rows = [row for engine in engines for row in bench(engine, plan, args.pg_admin_url)]
    return report(args, plan, rows, engines=engines, source=measured)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_import", description=__doc__
    )
    parser.add_argument(
        "--posts", type=int, default=100_000, help="distinct posts (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="synthetic file seed (default 1)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help=f"default {PG_ADMIN_URL}")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per import")
    parser.add_argument(
        "--runs", type=int, default=2, help="imports of the file per database (default 2)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    return parser.parse_args(argv)


def bench(engine: str, plan: Plan, pg_admin_url: str) -> list[Row]:
    """Every row for one engine, in a temporary folder of its own."""
    with tempfile.TemporaryDirectory(prefix="listener-bench-") as tmp:
        workdir = Path(tmp)
        if engine == "sqlite":
            url = f"sqlite:///{workdir / 'listener.db'}"
            same_rows = bench_same_rows(
                engine, f"sqlite:///{workdir / 'same-rows.db'}", plan, workdir
            )
            return [
                *bench_engine(engine, url, plan, workdir),
                same_rows,
                bench_baseline(plan, workdir),
            ]
        with postgres_database(pg_admin_url) as url:
            rows = bench_engine(engine, url, plan, workdir)
        with postgres_database(pg_admin_url) as url:
            return [*rows, bench_same_rows(engine, url, plan, workdir)]


def report(
    args: argparse.Namespace,
    plan: Plan,
    rows: list[Row],
    *,
    engines: tuple[str, ...],
    source: dict[str, str],
) -> int:
    """Print and record the results; exit status 1 if a count or an index check failed."""
    markdown = table(rows)
    for engine in engines:
        ours = [r for r in rows if r.engine == engine]
        baselines = [r for r in rows if r.run == "baseline" and r.engine.startswith(engine)]
        for baseline in baselines:
            markdown += (
                f"\n\nlistener on {engine}, first import: "
                f"{ours[0].posts_per_second / baseline.posts_per_second:.0%} of the rate of the"
                f" {baseline.engine.removeprefix(engine).strip(' ()')} baseline, with"
                f" {ours[0].machine_cpu_seconds / baseline.machine_cpu_seconds:.1f} times its"
                " CPU across the machine (the database server's included)."
            )
    print(markdown)
    failures = [
        f"{r.engine} run {r.run}: {r.posts_stored:,} posts stored, expected {plan.posts:,}"
        for r in rows
        if r.posts_stored != plan.posts
    ] + [
        f"{r.engine} run {r.run}: full-text index out of step"
        for r in rows
        if r.index_in_step is False
    ]
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": plan.posts,
        "seed": args.seed,
        "file": {"name": plan.file.name, "bytes": plan.file.stat().st_size},
        "machine": machine(args.pg_admin_url if "postgresql" in engines else None),
        **source,  # the commit, and a fingerprint of the snapshot the runs imported
        "rows": [asdict(r) for r in rows],
        "failures": failures,
    }
    print(f"results: {harness.record(args.results, 'import', payload, markdown)}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

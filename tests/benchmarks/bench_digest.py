"""Benchmark a week's insight: `listener analyze`, then every department's digest, on both engines.

    .venv/bin/python -m tests.benchmarks.bench_digest --posts 200000 [--engine sqlite|postgresql|both]

For each engine: a fresh database, `listener init`, `listener config import` of a
benchmark config (the example config's five departments plus three whose watches
overlap them: Treasury, DWP and Cabinet Office), `listener import` of the cached
synthetic twarc2 week (see tests.benchmarks.synth; all of it falls in ISO week
2026-W11), then, each as its own measured child process: `listener analyze`
(languages, sentiment, kinds of voice, topics for every department-week) and
`listener digest build --week 2026-W11 --out DIR` (every department). Last, topics
alone on the largest department-week: its topic_runs row is deleted and
`listener.insight.refresh_topics` timed in a fresh child. Wall time, CPU time and
peak RSS come from `os.wait4` (see bench_import.measure).

Checks: every department has posts in the week and an .html, .txt and .eml digest,
each .eml under 1,000,000 bytes; the exit status is 1 otherwise. The children run a
snapshot of listener/ taken at the start. Results go to
tests/benchmarks/results/digest-<date>.json and .md.

--profile DIR runs analyze, digest build and topics alone under cProfile and keeps
their .prof files in DIR (slower: send those results elsewhere with --results).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.benchmarks import harness, synth
from tests.benchmarks.bench_import import (
    CONFIG,
    PG_ADMIN_URL,
    RESULTS,
    ROOT,
    Measured,
    _commit,
    cached_file,
    fingerprint,
    listener_command,
    listener_env,
    machine,
    snapshot,
)
from tests.benchmarks.harness import last_json, record, run_step

WEEK = synth.WEEK_START.strftime("%G-W%V")  # 2026-W11: every synthetic post falls in it
EML_LIMIT = 1_000_000  # bytes; docs/digest.md promises a digest under 1 MB
DIGEST_PARTS = (".html", ".txt", ".eml")

# Three departments beyond the example config's five, watching terms the synthetic
# posts use across policy areas, so their weeks overlap the others' as real ones do.
EXTRA_DEPARTMENTS: list[dict[str, Any]] = [
    {
        "slug": "hmt",
        "name": "HM Treasury",
        "recipients": ["economic-insight@hmt.example.gov.uk"],
        "watches": {
            "hashtags": ["#CostOfLiving", "#Budget2026", "#EnergyBills", "#PriceCap"],
            "keywords": ["cost of living", "price cap", "council tax", "fuel duty"],
            "queries": ['("energy bills" OR "energy prices") (rise OR increase OR help)'],
            "accounts": {"x": ["hmtreasury"]},
        },
    },
    {
        "slug": "dwp",
        "name": "Department for Work and Pensions",
        "recipients": ["insight@dwp.example.gov.uk"],
        "watches": {
            "hashtags": ["#SocialCare", "#FreeSchoolMeals", "#CostOfLiving"],
            "keywords": [
                "social care",
                "free school meals",
                "warm home discount",
                "housing benefit",
                "pensioners",
                "carers",
            ],
            "accounts": {"x": ["dwpgovuk"]},
        },
    },
    {
        "slug": "cabinet-office",
        "name": "Cabinet Office",
        "recipients": ["strikes-insight@cabinetoffice.example.gov.uk"],
        "watches": {
            "hashtags": ["#RailStrike", "#JuniorDoctors", "#TeacherPay"],
            "keywords": ["rail strike", "junior doctors", "industrial action"],
            "queries": ['(strike OR walkout OR "industrial action") -"model railway"'],
            "accounts": {"x": ["cabinetofficeuk"]},
        },
    },
]


def write_config(folder: Path) -> Path:
    """The example config with the three extra departments, written into `folder`."""
    yaml = YAML()
    config = yaml.load(CONFIG.read_text(encoding="utf-8"))
    config["departments"] = [*config["departments"], *EXTRA_DEPARTMENTS]
    target = folder / "bench-digest.yaml"
    yaml.default_flow_style = False
    with target.open("w", encoding="utf-8") as out:
        out.write("# Written by tests/benchmarks/bench_digest.py: 8 departments.\n")
        yaml.dump(config, out)
    return target


def earlier_files(posts: int, seed: int, *, weeks: int) -> list[Path]:
    """Synthetic files for the `weeks` weeks before WEEK, oldest first, written once and reused.

    Week k back is the file of seed + k moved k weeks earlier: other texts and
    authors from the same vocabulary, so emerging themes have a history to rise
    against and no text is already scored.
    """
    files = []
    for back in range(weeks, 0, -1):
        source = cached_file(posts, seed + back)
        target = source.with_name(f"{source.stem}-minus{back}w.jsonl")
        if not target.exists():
            print(f"writing {target} ...", flush=True)
            partial = target.with_name(target.name + ".partial")
            shift_file(source, partial, weeks=back)
            partial.replace(target)
        files.append(target)
    return files


def shift_file(source: Path, target: Path, *, weeks: int) -> None:
    """Copy a synthetic twarc2 file with every tweet's time and snowflake id `weeks` earlier."""
    delta = timedelta(weeks=weeks)
    id_delta = (int(delta.total_seconds()) * 1000) << synth.SEQUENCE_BITS

    def moved(tweet_id: str) -> str:
        return str(int(tweet_id) - id_delta)

    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            page = json.loads(line)
            for tweet in page["data"] + page.get("includes", {}).get("tweets", []):
                tweet["id"], tweet["conversation_id"] = (
                    moved(tweet["id"]),
                    moved(tweet["conversation_id"]),
                )
                tweet["edit_history_tweet_ids"] = [
                    moved(i) for i in tweet["edit_history_tweet_ids"]
                ]
                for reference in tweet.get("referenced_tweets", []):
                    reference["id"] = moved(reference["id"])
                created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
                tweet["created_at"] = synth.iso(created - delta)
            meta = page["meta"]
            meta["newest_id"], meta["oldest_id"] = (
                moved(meta["newest_id"]),
                moved(meta["oldest_id"]),
            )
            out.write(json.dumps(page) + "\n")


@dataclass
class Step:
    """One measured child process."""

    engine: str
    step: str
    posts: int  # posts the step worked on: the file's, or one department-week's
    seconds: float
    cpu_seconds: float  # the child's own and its workers' (sentiment scores in processes)
    peak_rss_mb: float  # the largest single process among them
    inner_seconds: float | None = None  # timed inside the child: refresh_topics alone
    log: str = ""  # the end of the child's output


@dataclass
class DepartmentWeek:
    """One department's week after analysis, and the sizes of its digest files."""

    department: str
    posts: int
    topics: int
    method: str
    bytes: dict[str, int] = field(default_factory=dict)  # by suffix; "png" sums the charts


@dataclass
class EngineResult:
    """Everything measured on one engine; kept as far as it got when a step fails."""

    engine: str
    steps: list[Step] = field(default_factory=list)
    departments: list[DepartmentWeek] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """What every engine runs, and how."""

    file: Path
    posts: int
    timeout: float
    source: Path  # the snapshot of listener's source the children import
    config: Path  # the benchmark config with 8 departments
    profile: Path | None = None  # cProfile analyze, digest build and topics alone here
    earlier: tuple[Path, ...] = ()  # files of the weeks before WEEK, loaded and analysed first


def child_env(url: str, plan: Plan) -> dict[str, str]:
    """A child's environment: the snapshot first, then this repository (for the --child calls)."""
    env = listener_env(url, plan.source)
    env["LISTENER_CONFIG"] = str(plan.config)
    env["PYTHONPATH"] = os.pathsep.join((str(plan.source), str(ROOT)))
    return env


def python_argv(plan: Plan, *, module: str, stats: str) -> list[str]:
    """`python -m module`, under cProfile (writing `stats`.prof) when profiling."""
    if plan.profile is None:
        return [sys.executable, "-m", module]
    target = plan.profile / f"{stats.replace(' ', '-')}.prof"
    return [sys.executable, "-m", "cProfile", "-o", str(target), "-m", module]


def _step(engine: str, name: str, done: Measured, *, posts: int) -> Step:
    return Step(
        engine=engine,
        step=name,
        posts=posts,
        seconds=round(done.seconds, 2),
        cpu_seconds=round(done.cpu_seconds, 2),
        peak_rss_mb=round(done.peak_rss_mb, 1),
        log=done.output[-2000:],
    )


def bench_engine(result: EngineResult, url: str, plan: Plan, workdir: Path) -> None:
    """Load the week into a fresh database at `url`, then analyze and build every digest."""
    engine, env = result.engine, child_env(url, plan)
    load_week(result, url, plan, workdir)
    analyze = [*python_argv(plan, module="listener.cli", stats=f"{engine}-analyze"), "analyze"]
    done = run_step(analyze, name="analyze", env=env, workdir=workdir, timeout=plan.timeout)
    result.steps.append(_step(engine, "analyze", done, posts=plan.posts))
    out = workdir / "digests"
    build = [*python_argv(plan, module="listener.cli", stats=f"{engine}-digest-build")]
    build += ["digest", "build", "--week", WEEK, "--out", str(out)]
    done = run_step(build, name="digest build", env=env, workdir=workdir, timeout=plan.timeout)
    result.steps.append(_step(engine, "digest build (all departments)", done, posts=plan.posts))
    result.departments = department_weeks(url, plan, workdir)
    result.failures += check_digests(result.departments, out, engine=engine)
    for week in result.departments:
        week.bytes = digest_sizes(out, week.department)
    largest = max(result.departments, key=lambda w: w.posts)
    result.steps.append(topics_alone(result.engine, url, largest, plan=plan, workdir=workdir))


def load_week(result: EngineResult, url: str, plan: Plan, workdir: Path) -> None:
    """init and config import; earlier weeks imported and analysed; then the week's import."""
    env, listener = child_env(url, plan), listener_command()
    for setup in (["init"], ["config", "import"]):
        run_step(
            [listener, *setup], name=" ".join(setup), env=env, workdir=workdir, timeout=plan.timeout
        )
    for back, file in enumerate(plan.earlier, start=-len(plan.earlier)):
        load = [listener, "import", str(file), "--format", "twarc2"]
        done = run_step(
            load, name=f"import week {back}", env=env, workdir=workdir, timeout=plan.timeout
        )
        result.steps.append(
            _step(result.engine, f"import week {back} (setup)", done, posts=plan.posts)
        )
    if plan.earlier:
        done = run_step(
            [listener, "analyze"],
            name="analyze earlier weeks",
            env=env,
            workdir=workdir,
            timeout=plan.timeout,
        )
        result.steps.append(
            _step(
                result.engine,
                "analyze earlier weeks (setup)",
                done,
                posts=plan.posts * len(plan.earlier),
            )
        )
    load = [listener, "import", str(plan.file), "--format", "twarc2"]
    done = run_step(load, name="import (setup)", env=env, workdir=workdir, timeout=plan.timeout)
    result.steps.append(_step(result.engine, "import (setup)", done, posts=plan.posts))


def department_weeks(url: str, plan: Plan, workdir: Path) -> list[DepartmentWeek]:
    """Posts and topics of every department's week, read by a child running the snapshot."""
    command = [sys.executable, "-m", "tests.benchmarks.bench_digest", "--child", "census"]
    done = run_step(
        [*command, "--url", url],
        name="census",
        env=child_env(url, plan),
        workdir=workdir,
        timeout=plan.timeout,
    )
    return [DepartmentWeek(**row) for row in last_json(done.output)["departments"]]


def topics_alone(engine: str, url: str, week: DepartmentWeek, *, plan: Plan, workdir: Path) -> Step:
    """Find one department-week's topics again in a fresh child, as `listener analyze` does."""
    command = python_argv(plan, module="tests.benchmarks.bench_digest", stats=f"{engine}-topics")
    command += ["--child", "topics", "--url", url, "--department", week.department]
    name = f"topics alone ({week.department})"
    done = run_step(
        command, name=name, env=child_env(url, plan), workdir=workdir, timeout=plan.timeout
    )
    found = last_json(done.output)
    step = _step(engine, name, done, posts=found["posts"])
    step.inner_seconds = found["seconds"]
    return step


def check_digests(weeks: list[DepartmentWeek], out: Path, *, engine: str) -> list[str]:
    """What is wrong with the departments' weeks and digests: nothing, when all is well."""
    failures = []
    for week in weeks:
        stem = out / f"{week.department}-{WEEK}"
        if week.posts == 0:
            failures.append(f"{engine}: {week.department} has no posts in {WEEK}")
        failures += [
            f"{engine}: {stem.name}{suffix} missing"
            for suffix in DIGEST_PARTS
            if not stem.with_name(stem.name + suffix).exists()
        ]
        eml = stem.with_name(stem.name + ".eml")
        if eml.exists() and eml.stat().st_size >= EML_LIMIT:
            failures.append(f"{engine}: {eml.name} is {eml.stat().st_size:,} bytes, not under 1 MB")
    return failures


def digest_sizes(out: Path, department: str) -> dict[str, int]:
    """Bytes of the department's .html, .txt and .eml, and of its charts together."""
    stem = f"{department}-{WEEK}"
    sizes = {
        suffix[1:]: (out / f"{stem}{suffix}").stat().st_size
        for suffix in DIGEST_PARTS
        if (out / f"{stem}{suffix}").exists()
    }
    sizes["png"] = sum(p.stat().st_size for p in out.glob(f"{stem}-*.png"))
    return sizes


# ---- what the children run (against the snapshot of listener) ----------------------


def child_census(url: str) -> dict[str, Any]:
    """Every active department's posts and topics in WEEK."""
    from listener.store import topics as store_topics
    from listener.store import weekly
    from listener.store.db import create_engine
    from listener.weeks import parse_week

    week, rows = parse_week(WEEK), []
    engine = create_engine(url)
    with engine.connect() as conn:
        for department in weekly.departments(conn):
            posts, _ = weekly.week_fingerprint(conn, department.id, start=week.start, end=week.end)
            topics = store_topics.load_topics(conn, department.id, week.label)
            method = topics[0].method if topics else "none"
            rows.append(
                {
                    "department": department.slug,
                    "posts": posts,
                    "topics": len(topics),
                    "method": method,
                }
            )
    engine.dispose()
    return {"departments": rows}


def child_topics(url: str, slug: str) -> dict[str, Any]:
    """Forget the department-week's topics, then time finding them again."""
    from listener import insight
    from listener.analysis import embeddings
    from listener.store import topics as store_topics
    from listener.store.db import create_engine, write_transaction
    from listener.weeks import parse_week

    week, engine = parse_week(WEEK), create_engine(url)
    department = insight.departments_for(engine, slug)[0]
    runs = store_topics.RUNS
    with write_transaction(engine) as conn:
        conn.execute(
            runs.delete().where(runs.c.department_id == department.id, runs.c.week == week.label)
        )
    start = time.perf_counter()
    # What `listener analyze` pays once per run, not once per week: numpy, scikit-learn
    # and the distilled vectors (without them, topics fall back to TF-IDF).
    importlib.import_module("listener.analysis.topics")
    with contextlib.suppress(embeddings.EmbeddingsUnavailable):
        embeddings.default_embedder()
    loaded = time.perf_counter()
    found = insight.refresh_topics(engine, department, week)
    seconds = time.perf_counter() - loaded
    census = child_census(url)["departments"]
    posts = next(row["posts"] for row in census if row["department"] == slug)
    engine.dispose()
    return {
        "department": slug,
        "posts": posts,
        "topics": found,
        "seconds": round(seconds, 2),
        "load_seconds": round(loaded - start, 2),  # imports and vectors, once per run
    }


# ---- reporting ----------------------------------------------------------------------


def tables(results: list[EngineResult], *, posts: int, earlier: int) -> str:
    """The steps and the departments' weeks as Markdown tables."""
    history = f" after {earlier} earlier weeks of as many" if earlier else ""
    lines = [
        f"Digest benchmark: {posts:,} posts in {WEEK}{history}, {len(_slugs())} departments.",
        "",
        "| engine | step | posts | wall s | CPU s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for s in result.steps:
            wall = f"{s.seconds:,.1f}" + (
                f" ({s.inner_seconds:,.1f} inside)" if s.inner_seconds else ""
            )
            lines.append(
                f"| {s.engine} | {s.step} | {s.posts:,} | {wall} | {s.cpu_seconds:,.1f} | {s.peak_rss_mb:,.0f} |"
            )
    lines += [
        "",
        "| engine | department | posts in week | topics | .html KB | .txt KB | .eml KB | charts KB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for w in result.departments:
            kb = [f"{w.bytes.get(k, 0) / 1000:,.0f}" for k in ("html", "txt", "eml", "png")]
            lines.append(
                f"| {result.engine} | {w.department} | {w.posts:,} | {w.topics} | "
                + " | ".join(kb)
                + " |"
            )
    return "\n".join(lines)


def _slugs() -> list[str]:
    yaml = YAML()
    example = yaml.load(CONFIG.read_text(encoding="utf-8"))["departments"]
    return [d["slug"] for d in [*example, *EXTRA_DEPARTMENTS]]


def report(
    args: argparse.Namespace, plan: Plan, results: list[EngineResult], *, source: dict[str, str]
) -> int:
    """Print and record the results; exit status 1 if a check failed."""
    markdown = tables(results, posts=plan.posts, earlier=len(plan.earlier))
    print(markdown)
    failures = [f for r in results for f in r.failures]
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": plan.posts,
        "seed": args.seed,
        "week": WEEK,
        "earlier_weeks": [f.name for f in plan.earlier],  # loaded and analysed before WEEK
        "file": {"name": plan.file.name, "bytes": plan.file.stat().st_size},
        "machine": machine(args.pg_admin_url if args.engine != "sqlite" else None),
        **source,
        "config": {
            "departments": _slugs(),
            "extra_departments": EXTRA_DEPARTMENTS,
            "sha256": hashlib.sha256(plan.config.read_bytes()).hexdigest()[:16],
        },
        "profiled": plan.profile is not None,  # cProfile slows the profiled steps
        "engines": [asdict(r) for r in results],
        "failures": failures,
    }
    print(f"results: {record(args.results, 'digest', payload, markdown)}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


def bench(engine: str, plan: Plan, pg_admin_url: str) -> EngineResult:
    """One engine in a temporary folder of its own; a failed step ends it and is recorded."""
    result = EngineResult(engine)
    failure = harness.on_engine(
        engine,
        "digest",
        pg_admin_url,
        lambda url, workdir: bench_engine(result, url, plan, workdir),
    )
    if failure is not None:
        result.failures.append(failure)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: benchmark, print the tables, record the results."""
    args = _arguments(argv)
    if args.child == "census":
        print(json.dumps(child_census(args.url)))
        return 0
    if args.child == "topics":
        print(json.dumps(child_topics(args.url, args.department)))
        return 0
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    file = cached_file(args.posts, args.seed)
    earlier = tuple(earlier_files(args.posts, args.seed, weeks=args.earlier_weeks))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="listener-bench-src-") as folder:
        source = Path(folder)
        hashes = snapshot(source)
        measured = {"listener_commit": _commit(), "listener_source": fingerprint(hashes)}
        config = write_config(source)
        plan = Plan(file, args.posts, args.timeout, source, config, args.profile, earlier)
        results = [bench(engine, plan, args.pg_admin_url) for engine in engines]
        return report(args, plan, results, source=measured)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_digest", description=__doc__
    )
    parser.add_argument(
        "--posts", type=int, default=200_000, help="distinct posts (default 200000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="synthetic file seed (default 1)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help=f"default {PG_ADMIN_URL}")
    parser.add_argument(
        "--timeout", type=float, default=1500, help="seconds per step (default 1500)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    parser.add_argument(
        "--profile", type=Path, help="cProfile analyze, digest build and topics into DIR"
    )
    parser.add_argument(
        "--earlier-weeks",
        type=int,
        choices=range(5),
        default=0,
        metavar="N",
        help="first load and analyse N earlier weeks of --posts each (0-4, default 0)",
    )
    parser.add_argument("--child", choices=("census", "topics"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--department", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())

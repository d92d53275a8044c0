"""Benchmark listener's sentiment stage against a plain single-process VADER loop.

    .venv/bin/python -m tests.benchmarks.bench_sentiment --posts 200000 [--engine sqlite|postgresql|both] [--runs 3]

For each engine, set up without timing: a fresh database, `listener init`,
`listener config import`, `listener import` of the cached synthetic twarc2 week
(see tests.benchmarks.synth), and language detection for posts whose source gave
none, so the measured step is sentiment alone. Then, each in a child process of
its own (wall, CPU and peak RSS from `os.wait4`, see bench_import.measure):

- baseline: the texts of every post listener is about to score (reposts included,
  the text as stored) are read from the database first; then only a plain loop of
  vaderSentiment's `SentimentIntensityAnalyzer().polarity_scores` over them is
  timed, in one process. The same child also times plain VADER, and listener's
  own scorer, over only the distinct texts listener computes (one per text hash:
  a repost's original, identical texts once), so a reader can tell how much of the
  gain is deduplication and how much the worker processes.
- listener: `listener.jobs.score_sentiment`, the sentiment stage of `listener
  analyze` (which detects languages first): it reads pending posts, reuses the
  scores of identical texts and of reposts' originals, scores the rest in worker
  processes (one per core) and writes the scores. analyze itself is not timed:
  it would detect again the languages of posts X marked "und", which stay
  pending until they are scored.

`--runs N` repeats the pair N times on the same database (its scores deleted
between rounds), baseline then listener each time, and reports the round with
the median ratio beside every round's: on a shared VM the speed of the machine
itself moves from one child to the next, and one pair can land on either side.

The issue's target: listener's posts/s at least 1.7 times the baseline's on 2
cores, and reposts not rescored. Checks (exit status 1 if one fails): every post
in a language VADER reads has exactly one score of the current scorer version
for its text; listener computed exactly one score per distinct text hash; and the
stored scores equal those listener's scorer gives the same texts in one process.
The children run a snapshot of listener/ taken at the start. Results go to
tests/benchmarks/results/sentiment-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks import harness
from tests.benchmarks.bench_import import (
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

TARGET = 1.7  # listener's posts/s over the baseline's, on 2 cores (issue 7)
MODULE = "tests.benchmarks.bench_sentiment"


@dataclass
class Step:
    """One measured child process."""

    engine: str
    step: str
    seconds: float  # wall time of the whole child (interpreter start to exit)
    cpu_seconds: float  # from wait4: the child and the workers it reaped
    peak_rss_mb: float  # the largest single process among them
    log: str = ""  # the end of the child's output


@dataclass
class Rate:
    """One figure of the comparison: so many texts scored in so many seconds."""

    engine: str
    what: str
    texts: int
    seconds: float
    cpu_seconds: float | None = None

    @property
    def per_second(self) -> float:
        """Texts per second."""
        return self.texts / self.seconds if self.seconds else 0.0


@dataclass
class Round:
    """One baseline child and one sentiment child, measured one after the other."""

    baseline: dict[str, Any]  # the baseline child's report
    sentiment: dict[str, Any]  # the sentiment child's report
    step: Step  # the sentiment child, as measured

    def ratio(self) -> float:
        """listener's posts/s (child wall) over the baseline's in this round."""
        ours = self.sentiment["scored"] / self.step.seconds
        return ours / (self.baseline["posts"] / self.baseline["plain_all_s"])


@dataclass
class EngineResult:
    """Everything measured on one engine; kept as far as it got when a step fails."""

    engine: str
    steps: list[Step] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)  # the median round's baseline
    sentiment: dict[str, Any] = field(default_factory=dict)  # ...and its sentiment child
    median_round: int = 0  # index into rounds of the round reported
    check: dict[str, Any] = field(default_factory=dict)  # the store after scoring
    failures: list[str] = field(default_factory=list)

    def choose_median(self) -> None:
        """Report the round whose ratio is the median (the lower of two middles)."""
        order = sorted(range(len(self.rounds)), key=lambda i: self.rounds[i].ratio())
        self.median_round = order[(len(order) - 1) // 2]
        chosen = self.rounds[self.median_round]
        self.baseline, self.sentiment = chosen.baseline, chosen.sentiment

    def rates(self) -> list[Rate]:
        """The figures to compare, slowest first as measured; empty until both ran."""
        if not (self.baseline and self.sentiment):
            return []
        b, a, wall = self.baseline, self.sentiment, self.sentiment_step().seconds
        cpu = self.sentiment_step().cpu_seconds
        return [
            Rate(
                self.engine,
                "plain VADER, 1 process, every post",
                b["posts"],
                b["plain_all_s"],
                b["plain_all_cpu_s"],
            ),
            Rate(self.engine, "listener sentiment stage (child wall)", a["scored"], wall, cpu),
            Rate(
                self.engine, "listener sentiment stage (the call alone)", a["scored"], a["seconds"]
            ),
            Rate(
                self.engine,
                "plain VADER, 1 process, distinct texts",
                b["distinct"],
                b["plain_distinct_s"],
                b["plain_distinct_cpu_s"],
            ),
            Rate(
                self.engine,
                "listener's scorer, 1 process, distinct texts",
                b["distinct"],
                b["scorer_distinct_s"],
                b["scorer_distinct_cpu_s"],
            ),
            Rate(
                self.engine, "listener sentiment stage per distinct text", a["computed"], wall, cpu
            ),
        ]

    def sentiment_step(self) -> Step:
        """The measured child of listener's sentiment stage (in the round reported)."""
        return self.rounds[self.median_round].step

    def cpu_bound_ratio(self) -> float | None:
        """The ratio listener would reach if its CPU time were spread evenly over the
        machine's cores with nothing else running: baseline CPU / (listener CPU / cores)."""
        rates = self.rates()
        if not rates or not rates[0].cpu_seconds or not rates[1].cpu_seconds:
            return None
        cores = len(os.sched_getaffinity(0))
        baseline, ours = (r.cpu_seconds / r.texts for r in rates[:2] if r.cpu_seconds)
        return baseline / (ours / cores)

    def ratio(self) -> float | None:
        """listener's posts/s (child wall) over the baseline's, in the round reported;
        None until both ran."""
        return self.rounds[self.median_round].ratio() if self.baseline and self.sentiment else None


@dataclass(frozen=True)
class Plan:
    """What every engine runs, and how."""

    file: Path
    posts: int
    timeout: float
    source: Path  # the snapshot of listener's source the children import
    runs: int = 1  # rounds of baseline then listener


def child_env(url: str, plan: Plan) -> dict[str, str]:
    """A child's environment: the snapshot first, then this repository (for the --child calls)."""
    env = listener_env(url, plan.source)
    env["PYTHONPATH"] = os.pathsep.join((str(plan.source), str(ROOT)))
    return env


def _step(engine: str, name: str, done: Measured) -> Step:
    return Step(
        engine=engine,
        step=name,
        seconds=round(done.seconds, 2),
        cpu_seconds=round(done.cpu_seconds, 2),
        peak_rss_mb=round(done.peak_rss_mb, 1),
        log=done.output[-2000:],
    )


def bench_engine(result: EngineResult, url: str, plan: Plan, workdir: Path) -> None:
    """Load the week into a fresh database at `url`, then time the baseline and listener."""
    env = child_env(url, plan)

    def child(name: str, mode: str) -> dict[str, Any]:
        command = [sys.executable, "-m", MODULE, "--child", mode, "--url", url]
        done = run_step(command, name=name, env=env, workdir=workdir, timeout=plan.timeout)
        result.steps.append(_step(result.engine, name, done))
        return last_json(done.output)

    listener = listener_command()
    for setup in (["init"], ["config", "import"], ["import", str(plan.file), "--format", "twarc2"]):
        name = f"{' '.join(setup[:1] if setup[0] == 'import' else setup)} (setup)"
        done = run_step(
            [listener, *setup], name=name, env=env, workdir=workdir, timeout=plan.timeout
        )
        result.steps.append(_step(result.engine, name, done))
    child("detect languages (setup)", "languages")
    for run in range(1, plan.runs + 1):
        label = "" if run == 1 else f" (round {run})"
        if run > 1:
            child(f"delete the scores (setup, round {run})", "reset")
        baseline = child(f"baseline{label}", "baseline")
        sentiment = child(f"sentiment{label}", "sentiment")
        result.rounds.append(Round(baseline, sentiment, result.steps[-1]))
    result.check = child("check (after)", "check")
    result.choose_median()
    result.failures += check(result)


def check(result: EngineResult) -> list[str]:
    """What is wrong with the scores listener left: nothing, when all is well."""
    b, a, c, engine = result.baseline, result.sentiment, result.check, result.engine
    failures = []
    if len({(r.sentiment["scored"], r.sentiment["computed"]) for r in result.rounds}) > 1:
        failures.append(f"{engine}: the rounds scored different numbers of posts or texts")
    if a["scored"] != b["posts"]:
        failures.append(f"{engine}: listener scored {a['scored']:,} posts, {b['posts']:,} pending")
    if c["current"] != c["scorable"] or c["other_scores"]:
        failures.append(
            f"{engine}: {c['scorable']:,} posts to score, {c['current']:,} with a current"
            f" score of their text, {c['other_scores']:,} scores stale or of another version"
        )
    if a["computed"] != b["distinct"] or c["distinct_hashes"] != b["distinct"]:
        failures.append(
            f"{engine}: listener computed {a['computed']:,} texts; {b['distinct']:,} distinct"
            f" texts pending, {c['distinct_hashes']:,} distinct hashes stored"
        )
    if c["inconsistent_hashes"]:
        failures.append(f"{engine}: {c['inconsistent_hashes']:,} text hashes scored differently")
    if c["scores_sha256"] != b["scores_sha256"]:
        failures.append(f"{engine}: stored scores differ from the scorer's in one process")
    return failures


# ---- what the children run (against the snapshot of listener) ----------------------


def child_languages(url: str) -> dict[str, Any]:
    """Detect languages as `listener analyze` does before it scores (not timed)."""
    from listener import jobs
    from listener.store.db import create_engine

    engine, report = create_engine(url), jobs.AnalyzeReport()
    jobs.detect_languages(engine, report=report)
    engine.dispose()
    return {"languages_detected": report.languages_detected}


def child_baseline(url: str) -> dict[str, Any]:
    """Read what analyze will score, then time plain VADER and listener's scorer over it."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from listener.analysis.sentiment import SentimentScorer

    posts, distinct, reposts = pending_texts(url)
    vader, scorer = SentimentIntensityAnalyzer(), SentimentScorer()
    scores: dict[str, tuple[float, float, float, float, str]] = {}

    def ours(text_hash: str) -> None:
        s = scorer.score(distinct[text_hash])
        scores[text_hash] = (s.compound, s.pos, s.neu, s.neg, s.label)

    timings = {
        "plain_all": _timed(vader.polarity_scores, posts),
        "plain_distinct": _timed(vader.polarity_scores, list(distinct.values())),
        "scorer_distinct": _timed(ours, list(distinct)),
    }
    return {
        "posts": len(posts),
        "distinct": len(distinct),
        "reposts": reposts,
        **{f"{name}_s": round(wall, 3) for name, (wall, _) in timings.items()},
        **{f"{name}_cpu_s": round(cpu, 3) for name, (_, cpu) in timings.items()},
        "scores_sha256": scores_digest(scores),
    }


def pending_texts(url: str) -> tuple[list[str], dict[str, str], int]:
    """Every pending post's text, the distinct texts listener computes (by text hash),
    and how many of the pending posts are reposts.

    The distinct texts are chosen by analyze's own rule (a repost's stored
    original, else the post's text; the first post of each hash by id).
    """
    from listener import jobs
    from listener.analysis.sentiment import SCORER_VERSION
    from listener.store import scores as store_scores
    from listener.store.db import create_engine

    engine, pending, after_id = create_engine(url), [], 0
    with engine.connect() as conn:
        while batch := store_scores.pending(
            conn, after_id=after_id, limit=jobs.ANALYZE_BATCH, version=SCORER_VERSION
        ):
            pending += batch
            after_id = batch[-1].id
        reposts = {p.text_hash for p in pending if p.kind == "repost"}
        originals = store_scores.texts_for(conn, reposts)
    engine.dispose()
    distinct = jobs._texts_to_score(pending, {}, originals)  # analyze's own choice
    return [p.text for p in pending], distinct, sum(p.kind == "repost" for p in pending)


def _timed(score: Callable[[str], object], texts: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one plain loop of `score` over `texts`."""
    start, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        score(text)
    return time.perf_counter() - start, time.process_time() - cpu


def scores_digest(scores: dict[str, tuple[float, float, float, float, str]]) -> str:
    """One hash of scores by text hash (compound, pos, neu, neg, label), in hash order."""
    # + 0.0 turns -0.0 into 0.0: equal scores, but SQLite stores -0.0 as 0.0 and JSON
    # would write them differently.
    rows = [
        [h, *(v + 0.0 if isinstance(v, float) else v for v in scores[h])] for h in sorted(scores)
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def child_sentiment(url: str) -> dict[str, Any]:
    """Time listener's sentiment stage; CPU of this process and of the workers it reaped."""
    from listener import jobs
    from listener.store.db import create_engine

    engine, report = create_engine(url), jobs.AnalyzeReport()
    start = time.perf_counter()
    jobs.score_sentiment(engine, report=report)
    seconds = time.perf_counter() - start
    engine.dispose()
    own, workers = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "scored": report.scored,
        "computed": report.computed,
        "reused": report.reused,
        "seconds": round(seconds, 3),
        "own_cpu_s": round(own.ru_utime + own.ru_stime, 2),
        "workers_cpu_s": round(workers.ru_utime + workers.ru_stime, 2),
        "cpu_count": os.cpu_count(),
    }


def child_reset(url: str) -> dict[str, Any]:
    """Delete every score, so that the next round scores the same posts again."""
    from listener.store.db import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        deleted = conn.exec_driver_sql("DELETE FROM sentiment_scores").rowcount
    if engine.dialect.name == "postgresql":  # autovacuum is off on the test server
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) sentiment_scores")
    engine.dispose()
    return {"deleted": deleted}


def child_check(url: str) -> dict[str, Any]:
    """The store after analyze: posts to score, their current scores, and a digest of them."""
    import sqlalchemy as sa

    from listener.analysis.sentiment import SCORER_VERSION
    from listener.store import scores as store_scores
    from listener.store.db import create_engine

    posts, scored = store_scores.POSTS, store_scores.SCORES
    scorable = sa.or_(posts.c.lang.is_(None), posts.c.lang.in_(store_scores.SCORED_LANGS))
    current = sa.and_(
        scored.c.text_hash == posts.c.text_hash, scored.c.scorer_version == SCORER_VERSION
    )
    columns = (scored.c.compound, scored.c.pos, scored.c.neu, scored.c.neg, scored.c.label)
    engine = create_engine(url)
    with engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(posts)
        found: dict[str, Any] = {
            "scorable": conn.scalar(count.where(scorable)),
            "current": conn.scalar(
                count.join(scored, scored.c.post_id == posts.c.id).where(current)
            ),
            "other_scores": conn.scalar(
                sa.select(sa.func.count())
                .select_from(scored.join(posts, scored.c.post_id == posts.c.id))
                .where(sa.not_(current))
            ),
        }
        rows = conn.execute(
            sa.select(scored.c.text_hash, *columns)
            .distinct()
            .where(scored.c.scorer_version == SCORER_VERSION)
        ).all()
    engine.dispose()
    scores: dict[str, tuple[float, float, float, float, str]] = {
        text_hash: (compound, pos, neu, neg, label)
        for text_hash, compound, pos, neu, neg, label in rows
    }
    found["distinct_hashes"] = len(scores)
    found["inconsistent_hashes"] = len(rows) - len(scores)  # one hash, two different scores
    found["scores_sha256"] = scores_digest(scores)
    return found


CHILDREN: dict[str, Callable[[str], dict[str, Any]]] = {
    "languages": child_languages,
    "baseline": child_baseline,
    "sentiment": child_sentiment,
    "reset": child_reset,
    "check": child_check,
}


# ---- reporting ----------------------------------------------------------------------


def tables(results: list[EngineResult], *, posts: int, provenance: str) -> str:
    """The figures and the steps as Markdown."""
    lines = [
        f"Sentiment benchmark: {posts:,} imported posts (synthetic week), on"
        f" {os.cpu_count()} cores; target: listener >= {TARGET}x the baseline's posts/s.",
        "",
        provenance,
        "",
        "| engine | what | texts | wall s | texts/s | CPU s | vs plain VADER on the same texts |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        rates = result.rates()
        for i, rate in enumerate(rates):
            versus = rates[0] if i < 3 else rates[3]  # every post, or distinct texts only
            cpu = f"{rate.cpu_seconds:,.1f}" if rate.cpu_seconds is not None else "-"
            lines.append(
                f"| {rate.engine} | {rate.what} | {rate.texts:,} | {rate.seconds:,.1f} |"
                f" {rate.per_second:,.0f} | {cpu} | {rate.per_second / versus.per_second:.2f}x |"
            )
    lines += ["", *_verdicts(results), "", "| engine | step | wall s | CPU s | peak RSS MB |"]
    lines.append("|---|---|---|---|---|")
    for result in results:
        lines += [
            f"| {s.engine} | {s.step} | {s.seconds:,.1f} | {s.cpu_seconds:,.1f} | {s.peak_rss_mb:,.0f} |"
            for s in result.steps
        ]
    return "\n".join(lines)


def _verdicts(results: list[EngineResult]) -> list[str]:
    lines = []
    for result in results:
        ratio, a = result.ratio(), result.sentiment
        if ratio is None:
            lines.append(f"{result.engine}: not measured ({'; '.join(result.failures)[:200]})")
            continue
        verdict = "meets" if ratio >= TARGET else "misses"
        if len(result.rounds) > 1:
            each = ", ".join(f"{r.ratio():.2f}x" for r in result.rounds)
            lines.append(
                f"{result.engine}: {len(result.rounds)} rounds, listener over the baseline"
                f" {each}; the median round ({result.median_round + 1}) is reported."
            )
        lines.append(
            f"{result.engine}: listener {ratio:.2f}x the baseline ({verdict} {TARGET}x);"
            f" {a['computed']:,} distinct texts computed for {a['scored']:,} posts"
            f" ({a['reused']:,} reused; {result.baseline['reposts']:,} of the posts are"
            f" reposts); CPU in the sentiment child {a['own_cpu_s']:,.1f} s,"
            f" in its workers {a['workers_cpu_s']:,.1f} s. By CPU time (baseline CPU a post"
            f" over listener's spread on {len(os.sched_getaffinity(0))} cores):"
            f" {result.cpu_bound_ratio() or 0:.2f}x."
        )
    return lines


def _provenance(payload: dict[str, Any]) -> str:
    """One line: the code measured, the machine, and how busy it was."""
    load = payload["load_average"]
    start, end = ("/".join(f"{x:.1f}" for x in load[key]) for key in ("start", "end"))
    return (
        f"listener {payload['listener_commit'][:7]}, source {payload['listener_source']};"
        f" {payload['machine']['cpu']}, {payload['machine']['nproc']} cores; load average"
        f" (1/5/15 min) {start} at the start, {end} at the end. CPU counts the listener"
        " child and its workers (wait4), not the PostgreSQL server."
    )


def report(
    args: argparse.Namespace, plan: Plan, results: list[EngineResult], *, source: dict[str, str]
) -> int:
    """Print and record the results; exit status 1 if a check failed."""
    failures = [f for r in results for f in r.failures]
    payload: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": plan.posts,
        "seed": args.seed,
        "file": {"name": plan.file.name, "bytes": plan.file.stat().st_size},
        "machine": machine(args.pg_admin_url if args.engine != "sqlite" else None),
        "load_average": {"start": args.load_at_start, "end": list(os.getloadavg())},
        **source,
        "target": TARGET,
        "engines": [
            {
                **asdict(r),
                "ratio": r.ratio(),
                "round_ratios": [round(x.ratio(), 3) for x in r.rounds],
                "cpu_bound_ratio": r.cpu_bound_ratio(),
                "rates": [{**asdict(x), "per_second": round(x.per_second, 1)} for x in r.rates()],
            }
            for r in results
        ],
        "failures": failures,
    }
    markdown = tables(results, posts=plan.posts, provenance=_provenance(payload))
    print(markdown)
    print(f"results: {record(args.results, 'sentiment', payload, markdown)}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


def bench(engine: str, plan: Plan, pg_admin_url: str) -> EngineResult:
    """One engine in a temporary folder of its own; a failed step ends it and is recorded."""
    result = EngineResult(engine)
    failure = harness.on_engine(
        engine,
        "sentiment",
        pg_admin_url,
        lambda url, workdir: bench_engine(result, url, plan, workdir),
    )
    if failure is not None:
        result.failures.append(failure)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: benchmark, print the tables, record the results."""
    args = _arguments(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.url)))
        return 0
    args.load_at_start = list(os.getloadavg())
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    file = cached_file(args.posts, args.seed)
    with tempfile.TemporaryDirectory(prefix="listener-bench-src-") as folder:
        source = Path(folder)
        hashes = snapshot(source)
        measured = {"listener_commit": _commit(), "listener_source": fingerprint(hashes)}
        plan = Plan(file, args.posts, args.timeout, source, runs=args.runs)
        results = [bench(engine, plan, args.pg_admin_url) for engine in engines]
        return report(args, plan, results, source=measured)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__)
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
        "--runs", type=int, default=1, help="rounds of baseline then listener (default 1)"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())

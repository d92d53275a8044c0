"""The whole benchmark suite of issue 7, one benchmark after another, at the sizes it names.

    .venv/bin/python -m tests.benchmarks [--quick] [--only import,sentiment,...] [--results DIR]

Each benchmark is the module of the same name and can be run on its own (see
README.md in this folder); this runs them in a sensible order, with the sizes
the issue asks for, and stops at the first that fails to run. Each writes its
own results file. --quick runs every stage at small sizes, to check the suite
works (minutes, not hours); its figures mean little, so they go to a folder
under the temporary directory unless --results says otherwise. Run on a quiet machine:
every figure is a wall time on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks import (
    bench_api,
    bench_digest,
    bench_import,
    bench_search,
    bench_sentiment,
    bench_topics,
)

Main = Callable[[list[str] | None], int]
QUICK_RESULTS = Path(tempfile.gettempdir()) / "listener-bench" / "quick-results"
# (name, entry point, arguments at the sizes, arguments for --quick)
STAGES: list[tuple[str, Main, list[str], list[str]]] = [
    ("import", bench_import.main, ["--posts", "1000000", "--runs", "1"], ["--posts", "20000"]),
    ("sentiment", bench_sentiment.main, ["--posts", "200000", "--runs", "3"], ["--posts", "20000"]),
    ("topics", bench_topics.main, ["--posts", "50000"], ["--posts", "5000"]),
    (
        "digest",
        bench_digest.main,
        ["--posts", "1000000", "--engine", "sqlite"],
        ["--posts", "20000"],
    ),
    ("search", bench_search.main, ["--posts", "1000000"], ["--posts", "20000"]),
    ("api", bench_api.main, ["--posts", "200000"], ["--posts", "20000", "--duration", "5"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: check the suite runs")
    parser.add_argument(
        "--only", default="", help="comma-separated stages: " + ",".join(s[0] for s in STAGES)
    )
    parser.add_argument("--results", type=Path, help="where results go (default: results/)")
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - {s[0] for s in STAGES}
    if unknown:
        parser.error(f"--only: unknown stage(s) {', '.join(sorted(unknown))}")
    if args.quick and args.results is None:
        args.results = QUICK_RESULTS
        print(f"--quick: results go to {QUICK_RESULTS}", flush=True)
    for name, run, full, quick in STAGES:
        if chosen and name not in chosen:
            continue
        stage_args = [*(quick if args.quick else full)]
        if args.results is not None:
            stage_args += ["--results", str(args.results)]
        print(f"== {name}: {' '.join(stage_args)}", flush=True)
        started = time.perf_counter()
        status = run(stage_args)
        print(f"== {name}: exit {status} after {time.perf_counter() - started:.0f} s", flush=True)
        if status not in (0, 1):  # 1: ran, but a target or check failed; recorded anyway
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())

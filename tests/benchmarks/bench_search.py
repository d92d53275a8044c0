"""Search latency: p50 and p95 of 200 realistic queries over an imported synthetic week.

    .venv/bin/python -m tests.benchmarks.bench_search --posts 100000 [--engine sqlite|postgresql|both]

Imports the cached synthetic twarc2 file (see bench_import) into a fresh
database per engine with `listener import`, then times 200 queries through
the same store function the CLI uses (`listener.store.queries.search_ids`,
first page of 20): words, phrases, hashtags and OR-groups, half of them with a
department filter and a date range. Prints a table; writes nothing else.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from listener.query import parse
from listener.store.db import create_engine
from listener.store.queries import SearchFilters, search_ids
from tests.benchmarks.bench_import import CONFIG, PG_ADMIN_URL, cached_file, postgres_database

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
DEPARTMENTS = ["dhsc", "dfe", "desnz", "mhclg", "dft"]


def queries(count: int, seed: int) -> list[tuple[str, str | None]]:
    """(query, department or None): a reproducible mix like a policy team's searches."""
    rng = random.Random(seed)
    shapes = [
        lambda: rng.choice(WORDS),
        lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        lambda: rng.choice(PHRASES),
        lambda: rng.choice(TAGS),
        lambda: f"({rng.choice(WORDS)} OR {rng.choice(TAGS)}) {rng.choice(WORDS)}",
        lambda: f"{rng.choice(PHRASES)} -{rng.choice(WORDS)}",
    ]
    return [
        (rng.choice(shapes)(), rng.choice(DEPARTMENTS) if rng.random() < 0.5 else None)
        for _ in range(count)
    ]


def time_queries(url: str, plan: list[tuple[str, str | None]]) -> list[float]:
    """Milliseconds per query, first page of results."""
    engine = create_engine(url)
    since = datetime.now(UTC) - timedelta(days=30)
    latencies = []
    with engine.connect() as conn:
        for query, department in plan:
            filters = SearchFilters(department=department, since=since if department else None)
            start = time.perf_counter()
            search_ids(conn, parse(query), filters)
            latencies.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return latencies


def load(url: str, source: Path) -> None:
    """init, config import and import the synthetic file into `url`."""
    env = {"LISTENER_DATABASE_URL": url, "LISTENER_CONFIG": str(CONFIG), "PATH": "/usr/bin:/bin"}
    listener = [sys.executable, "-m", "listener.cli"]
    for args in (["init"], ["config", "import"], ["import", str(source), "--format", "twarc2"]):
        subprocess.run([*listener, *args], env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    source = cached_file(args.posts, args.seed)
    plan = queries(200, args.seed)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    print("| engine | posts | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="listener-search-") as tmp:
            if engine == "sqlite":
                _report(engine, args.posts, f"sqlite:///{tmp}/bench.db", source, plan)
            else:
                with postgres_database(PG_ADMIN_URL) as url:
                    _report(engine, args.posts, url, source, plan)
    return 0


def _report(
    engine: str, posts: int, url: str, source: Path, plan: list[tuple[str, str | None]]
) -> None:
    load(url, source)
    time_queries(url, plan[:20])  # warm the caches once
    latencies = sorted(time_queries(url, plan))
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"| {engine} | {posts:,} | {statistics.median(latencies):.1f} | {p95:.1f} | {latencies[-1]:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

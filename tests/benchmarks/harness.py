"""What the benchmarks share beyond bench_import's measuring: steps, engines, results files."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # bench_import uses this module too: its functions are imported where called
    from tests.benchmarks.bench_import import Measured


class StepFailed(Exception):
    """A child exited non-zero or timed out; the message carries the end of its output."""


def run_step(
    command: list[str], *, name: str, env: dict[str, str], workdir: Path, timeout: float
) -> Measured:
    """Run a measured child; StepFailed with its output's end if it fails or times out."""
    from tests.benchmarks.bench_import import measure

    print(f"  {name} ...", flush=True)
    done = measure(command, env=env, cwd=workdir, timeout=timeout)
    if done.returncode != 0:
        why = "timed out" if done.seconds >= timeout else f"exited {done.returncode}"
        raise StepFailed(f"{name} {why} after {done.seconds:.0f} s:\n{done.output[-4000:]}")
    print(
        f"  {name}: {done.seconds:.1f} s, CPU {done.cpu_seconds:.1f} s,"
        f" peak RSS {done.peak_rss_mb:.0f} MB",
        flush=True,
    )
    return done


def last_json(output: str) -> dict[str, Any]:
    """The last line of a child's output that is a JSON object: what it reports."""
    line = next(line for line in reversed(output.splitlines()) if line.startswith("{"))
    found: dict[str, Any] = json.loads(line)
    return found


def on_engine(
    engine: str, name: str, pg_admin_url: str, run: Callable[[str, Path], None]
) -> str | None:
    """`run(url, workdir)` on a fresh database of `engine` in a temporary folder of its own;
    the failure to record if a step failed (which ends that engine's run), else None."""
    from tests.benchmarks.bench_import import postgres_database

    print(f"{engine}:", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"listener-bench-{name}-") as tmp:
        workdir = Path(tmp)
        try:
            if engine == "sqlite":
                run(f"sqlite:///{workdir / 'listener.db'}", workdir)
            else:
                with postgres_database(pg_admin_url) as url:
                    run(url, workdir)
        except StepFailed as failed:
            print(str(failed), file=sys.stderr)
            return f"{engine}: {failed}"
    return None


def record(directory: Path, name: str, payload: dict[str, Any], markdown: str) -> Path:
    """Write the results as <name>-<date>.json and .md in `directory`, or -2, -3 ... after
    the date when a run of that day is already there (it is never overwritten); return
    the JSON path."""
    directory.mkdir(parents=True, exist_ok=True)
    base = f"{name}-{payload['date'][:10]}"
    stem = directory / base
    taken = 1
    while stem.with_suffix(".json").exists() or stem.with_suffix(".md").exists():
        taken += 1
        stem = directory / f"{base}-{taken}"
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown + "\n")
    return stem.with_suffix(".json")

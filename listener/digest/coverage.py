"""The digest's coverage statement: what was collected in the week, what failed, what is missing."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from listener.analysis.trends import MIN_HISTORY_POSTS
from listener.digest import context as ctx
from listener.store.weekly import RunRow

if TYPE_CHECKING:
    from listener.digest.build import WeekFacts

MAX_ERRORS = 3


def coverage(facts: WeekFacts) -> ctx.Coverage:
    """Sources and their runs, watches, gaps and languages for the week."""
    start, end = facts.window
    return ctx.Coverage(
        window_start=start.isoformat(),
        window_end=end.isoformat(),
        sources=_sources(facts),
        watches=list(facts.watches),
        gaps=_gaps(facts),
        other_languages=sorted(facts.languages.items(), key=lambda kv: (-kv[1], kv[0])),
        unscored=facts.unscored,
        platforms=sorted(
            Counter(p.platform for p in facts.posts).items(), key=lambda kv: (-kv[1], kv[0])
        ),
    )


# Housekeeping runs (checks for posts deleted at source) collect nothing: not coverage.
HOUSEKEEPING = ("deletions:",)


def _collection_runs(facts: WeekFacts) -> list[RunRow]:
    return [r for r in facts.runs if not r.source.startswith(HOUSEKEEPING)]


def _sources(facts: WeekFacts) -> list[ctx.SourceCoverage]:
    by_source: dict[str, list[RunRow]] = {}
    for run in _collection_runs(facts):  # newest first
        by_source.setdefault(run.source, []).append(run)
    found = []
    for source, runs in sorted(by_source.items()):
        successes = [r for r in runs if r.status in ("ok", "partial")]
        errors: list[str] = []
        for run in runs:
            if run.error and run.error not in errors and len(errors) < MAX_ERRORS:
                errors.append(run.error)
        found.append(
            ctx.SourceCoverage(
                source=source,
                runs=len(runs),
                ok=sum(1 for r in runs if r.status == "ok"),
                partial=sum(1 for r in runs if r.status == "partial"),
                failed=sum(1 for r in runs if r.status == "failed"),
                posts_new=sum(r.posts_new for r in runs),
                rate_limit_wait_seconds=round(sum(r.rate_limit_wait_seconds for r in runs), 1),
                last_success=successes[0].started_at.isoformat() if successes else None,
                errors=errors,
            )
        )
    return found


def _gaps(facts: WeekFacts) -> list[str]:
    """Plain sentences about what the week's figures may be missing."""
    gaps = []
    runs = _collection_runs(facts)
    scheduled = [r for r in runs if not r.source.startswith("import:")]
    if not runs:
        gaps.append(
            "No collection ran during this week; its posts come from earlier or later runs."
        )
    elif not scheduled:
        gaps.append(
            "No scheduled collection ran during this week; its posts come from file imports."
        )
    else:
        covered = {r.started_at.date() for r in scheduled if r.status in ("ok", "partial")}
        missing = [d for d in facts.days if d not in covered]
        if missing:
            days = ", ".join(d.strftime("%a %d %b") for d in missing)
            gaps.append(f"No successful scheduled collection on {days}.")
    failing = sorted(
        {r.source for r in runs if r.status == "failed"}
        - {r.source for r in runs if r.status in ("ok", "partial")}
    )  # fmt: skip
    for source in failing:
        gaps.append(f"{source} failed on every run this week: its posts are missing.")
    if not facts.posts:
        gaps.append("No posts matched this department's watches this week.")
    if facts.posts and facts.earlier_posts < MIN_HISTORY_POSTS:
        gaps.append(
            "Too little history to find emerging themes: they compare this week with the"
            " four weeks before it."
        )
    return gaps

"""`listener import` presentation: a progress bar, bad rows as they come, and a summary."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from listener import jobs
from listener.collectors.base import RejectedItem
from listener.errors import ImportFormatError
from listener.output import visible

MAX_SHOWN_REJECTS = 50


def run_import(engine: sa.Engine, request: jobs.ImportRequest, *, console: Console) -> int:
    """Import with a progress bar on `console`; return how many rows were rejected."""
    file = request.path
    if not file.is_file():
        raise ImportFormatError(f"{file}: no such file")
    shown = 0

    def report_rejects(rejected: list[RejectedItem]) -> None:
        nonlocal shown
        for item in rejected:
            if shown < MAX_SHOWN_REJECTS:
                console.print(f"{visible(str(item))} (skipped)", markup=False, highlight=False)
            shown += 1

    columns = (
        TextColumn("importing {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(file.name, total=file.stat().st_size)

        def on_page(report: jobs.ImportReport, rejected: list[RejectedItem]) -> None:
            progress.update(task, completed=report.position)
            report_rejects(rejected)

        report = jobs.import_file(engine, request, on_page=on_page)
    if shown > MAX_SHOWN_REJECTS:
        console.print(f"… and {shown - MAX_SHOWN_REJECTS} more bad rows (not shown)")
    _summary(console, file, report)
    return report.rejected


def _summary(console: Console, file: Path, report: jobs.ImportReport) -> None:
    console.print(
        f"{file}: {report.new:,} new posts, {report.seen:,} already stored, "
        f"{report.rejected:,} bad rows skipped",
        markup=False,
        highlight=False,
    )
    if report.per_department:
        parts = ", ".join(f"{slug} {n:,}" for slug, n in sorted(report.per_department.items()))
        line = f"  assigned to departments: {parts}"
    elif report.department_links_kept:
        line = "  assigned to departments: none new (every matching post already was)"
    else:
        line = "  no post matched any department's watches"
    console.print(line, markup=False, highlight=False)

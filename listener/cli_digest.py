"""`listener digest`: build, send, list and re-render weekly digests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

digest_app = typer.Typer(help="Build, send and list weekly digests.", no_args_is_help=True)

WeekOption = Annotated[str, typer.Option("--week", help="ISO week, e.g. 2026-W47.")]
DepartmentOption = Annotated[
    str | None, typer.Option("--department", help="Only this department (default: all).")
]


@digest_app.command("build")
def build(
    week: WeekOption,
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    department: DepartmentOption = None,
) -> None:
    """Build each department's digest for the week, archive it, and write .html, .txt and .eml."""
    from listener import insight
    from listener.cli import _engine, _settings, err
    from listener.configfile import load_config
    from listener.weeks import parse_week

    settings = _settings()
    config = load_config(settings.config)
    engine = _engine(settings)
    chosen = parse_week(week)
    for dept in insight.departments_for(engine, department):
        with err.status(f"building {dept.slug} {chosen.label}…"):
            digest_id, context = insight.build_digest(engine, dept, chosen, config=config)
            paths = insight.write_digest(
                context,
                out_dir=out,
                sender=config.digest.sender,
                recipients=insight.recipients_of(engine, dept),
            )
        for path in paths:
            print(path)
        err.print(
            f"{dept.slug} {chosen.label}: {context.posts:,} posts, {len(context.topics)} topics,"
            f" archived as digest {digest_id}"
        )


@digest_app.command("list")
def list_(
    department: DepartmentOption = None,
    week: Annotated[str | None, typer.Option("--week", help="Only this ISO week.")] = None,
) -> None:
    """List archived digests, newest week first."""
    from listener.cli import _engine, _settings
    from listener.store import digests as store_digests
    from listener.weeks import parse_week

    label = parse_week(week).label if week else None
    engine = _engine(_settings())
    with engine.connect() as conn:
        rows = store_digests.listing(conn, department=department, week=label)
    for row in rows:
        print(f"{row.id}\t{row.department}\t{row.week}\t{row.built_at.isoformat()}")


@digest_app.command("show")
def show(
    digest_id: Annotated[int, typer.Argument(help="Archived digest id (see `digest list`).")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
) -> None:
    """Re-render an archived digest exactly as it was built."""
    from listener import insight
    from listener.cli import _engine, _settings
    from listener.configfile import load_config

    settings = _settings()
    config = load_config(settings.config)
    engine = _engine(settings)
    context = insight.archived_digest(engine, digest_id)
    depts = insight.departments_for(engine, context.department)
    recipients = insight.recipients_of(engine, depts[0]) if depts else []
    for path in insight.write_digest(
        context, out_dir=out, sender=config.digest.sender, recipients=recipients
    ):
        print(path)

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


@digest_app.command("send")
def send(
    week: WeekOption,
    department: DepartmentOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would get what; send nothing.")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Send again to recipients whose server refused (5xx)."),
    ] = False,
) -> None:
    """Send each department's digest for the week to its recipients, once each.

    Exits 1 if any recipient failed, 75 if some were deferred for a later retry.
    """
    from listener import insight
    from listener.cli import _engine, _settings, err
    from listener.configfile import load_config
    from listener.digest import deliver
    from listener.digest.smtpurl import parse_smtp_url
    from listener.errors import ConfigError
    from listener.output import visible
    from listener.weeks import parse_week

    settings = _settings()
    config = load_config(settings.config)
    engine = _engine(settings)
    chosen = parse_week(week)
    if not dry_run and settings.smtp_url is None:
        raise ConfigError("LISTENER_SMTP_URL is not set: say which SMTP server sends the digest")
    smtp = None if dry_run else parse_smtp_url(settings.smtp_url)  # type: ignore[arg-type]
    departments = insight.departments_for(engine, department)
    with err.status(f"preparing digests for {chosen.label}…"):
        batches = insight.digest_batches(engine, chosen, departments, config=config)
    if dry_run:
        for plan in deliver.plan_digests(engine, batches):
            detail = f" ({visible(plan.detail)})" if plan.detail else ""
            print(f"{plan.department}\t{plan.recipient}\t{plan.action}{detail}\t{plan.subject}")
        return
    if retry_failed:
        for dept, recipient in deliver.requeue_failed(engine, batches):
            err.print(f"{dept} {recipient}: failed delivery requeued", markup=False)
    assert smtp is not None
    report = deliver.send_digests(engine, batches, smtp=smtp)
    for outcome in report.outcomes:
        detail = f" ({visible(outcome.detail)})" if outcome.detail else ""
        print(f"{outcome.department}\t{outcome.recipient}\t{outcome.result}{detail}")
    if report.unreachable:
        err.print(f"SMTP server unreachable: {visible(report.unreachable)}", markup=False)
    err.print(
        f"{chosen.label}: {report.sent} sent, {report.already_sent} already sent, "
        f"{report.deferred} deferred, {report.failed} failed"
    )
    if report.failed:
        raise typer.Exit(1)
    if report.deferred or report.in_progress:
        raise typer.Exit(75)

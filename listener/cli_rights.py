"""`listener retention` and `listener subject`: retention runs and data subject requests."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from listener.retention import RetentionReport

subject_app = typer.Typer(
    help="Data subject requests: export or erase what is held about one account.",
    no_args_is_help=True,
)

Author = Annotated[str, typer.Option("--author", help="The account's handle, e.g. @jo_bloggs.")]
Platform = Annotated[
    str, typer.Option("--platform", help="x, mastodon, bluesky, rss, consultation...")
]
Reference = Annotated[
    str, typer.Option("--reference", help="The request's case reference, for the audit log.")
]
Requester = Annotated[
    str,
    typer.Option(
        "--requester", help="Who asked for it (case officer, DPO); not the subject's name."
    ),
]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would go; change nothing.")
    ] = False,
) -> None:
    """Delete posts, accounts and weekly aggregates past the config's retention periods."""
    from listener import retention as use_case
    from listener.cli import _engine, _settings, err
    from listener.configfile import load_config
    from listener.models import utcnow

    settings = _settings()
    config = load_config(settings.config)
    engine = _engine(settings)
    if dry_run:
        report = use_case.preview(engine, config.retention, now=utcnow())
    else:
        with err.status("deleting what is past retention…"):
            report = use_case.apply(engine, config.retention, actor=_actor())
    for line in retention_lines(report):
        print(line)
    verb = "deleted" if report.applied else "dry run: would delete"
    digests = sum(r.digests for r in report.aggregates)
    err.print(
        f"{verb} {report.posts_deleted:,} posts, {report.accounts_deleted:,} accounts,"
        f" {digests:,} archived digests and {report.quarantined:,} quarantined items",
        markup=False,
        soft_wrap=True,
    )


def retention_lines(report: RetentionReport) -> list[str]:
    """The report as aligned lines: posts per department and platform, then aggregates."""
    from listener.weeks import local_date

    if report.empty:
        return ["nothing is past retention"]
    lines = []
    if report.rows:
        lines.append(f"{'department':<12} {'platform':<14} {'kept for':<11} {'before':<11} posts")
    for row in report.rows:
        department = row.department or "(none)"
        before = local_date(row.before).isoformat()
        lines.append(
            f"{department:<12} {row.platform:<14} {row.period:<11} {before:<11} {row.posts:,}"
        )
    for agg in report.aggregates:
        lines.append(
            f"{agg.department}: aggregates kept {agg.period}: weeks before {agg.before_week}:"
            f" {agg.topic_weeks:,} weeks of topics, {agg.digests:,} digests"
        )
    return lines


@subject_app.command("export")
def export(
    author: Author,
    platform: Platform,
    reference: Reference,
    requester: Requester,
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write everything held about an account as JSON (a subject access request)."""
    from listener import rights
    from listener.cli import _engine, _output, _settings, err

    settings = _settings()
    request = rights.SubjectRequest(platform, author, reference, requester, actor=_actor())
    data = rights.export_subject(_engine(settings), request, secret_key=settings.secret_key)
    with _output(out) as stream:
        json.dump(data, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    err.print(
        f"{len(data['posts']):,} posts and {len(data['accounts']):,} account records"
        + (f" written to {out}" if out else "")
        + f" (audited as {request.reference})",
        markup=False,
        soft_wrap=True,
    )


@subject_app.command("erase")
def erase(
    author: Author,
    platform: Platform,
    reference: Reference,
    requester: Requester,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything held about an account and never store its posts again."""
    from listener import rights
    from listener.cli import _engine, _settings, err

    settings = _settings()
    request = rights.SubjectRequest(platform, author, reference, requester, actor=_actor())
    if not yes:
        typer.confirm(
            f"Erase @{request.handle} on {request.platform} and suppress it from now on?",
            abort=True,
            err=True,
        )
    report = rights.erase_subject(_engine(settings), request, secret_key=settings.secret_key)
    err.print(
        f"erased @{request.handle} on {request.platform}: {report.posts:,} posts,"
        f" {report.reposts:,} reposts of them by others, {report.accounts:,} account records;"
        f" {report.digests:,} archived digests had their quotes removed;"
        f" on the suppression list (audited as {request.reference})",
        markup=False,
        soft_wrap=True,
    )


@subject_app.command("list")
def list_() -> None:
    """List the suppression list: erased accounts, by reference (never by handle)."""
    from listener import rights
    from listener.cli import _engine, _settings

    settings = _settings()
    entries = rights.suppression_list(_engine(settings), secret_key=settings.secret_key)
    for entry in entries:
        key = {True: "", False: "\tmade with another LISTENER_SECRET_KEY", None: ""}
        print(
            f"{entry.id}\t{entry.platform}\t{entry.reference}\t{entry.created_at:%Y-%m-%d}"
            + key[entry.current_key]
        )


@subject_app.command("lift")
def lift(
    entry: Annotated[int, typer.Argument(help="The entry's id (see `listener subject list`).")],
    reference: Reference,
) -> None:
    """Take an entry off the suppression list: the account may be collected again."""
    from listener import rights
    from listener.cli import _engine, _settings, err

    rights.lift_suppression(_engine(_settings()), entry, reference=reference, actor=_actor())
    err.print(f"suppression list entry {entry} lifted (audited as {reference.strip()})")

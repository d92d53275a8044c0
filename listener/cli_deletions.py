"""`listener deletions`: remove stored posts that were deleted or made private at source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from listener.deletions import DeletionRun


def deletions(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Check posts from the last N days (default: each source's"
            " deletion_check_days, else 7).",
        ),
    ] = None,
) -> None:
    """Remove recent posts their platform says are deleted or private (1 if a check failed)."""
    from listener.approvals import with_recorded_approvals
    from listener.cli import _engine, _settings, err
    from listener.collectors.registry import build_collectors
    from listener.configfile import load_config
    from listener.deletions import PLATFORMS, can_check, check_deletions, days_from_config
    from listener.errors import UserError
    from listener.models import utcnow

    settings = _settings()
    engine = _engine(settings)
    # An X approval recorded on the admin page counts as much as one in the config file.
    config = with_recorded_approvals(engine, load_config(settings.config))
    collectors = build_collectors(config, names=source or ())
    checkable = ", ".join(PLATFORMS)
    for name in source or ():
        if not can_check(collectors[name]):
            raise UserError(f"--source: {name} cannot be checked for deletions (only {checkable})")
    with err.status("checking for posts deleted at source…") as status:
        runs = check_deletions(
            engine,
            collectors,
            days=days if days is not None else days_from_config(config),
            now=utcnow(),
            on_batch=lambda r: status.update(
                f"checking {r.platform}… {r.checked:,} of {r.in_window:,} posts"
            ),
        )
    for run in runs:
        print(_summary(run))
    if not runs:
        err.print(f"no enabled source can be checked for deletions ({checkable})")
    if any(run.status == "failed" for run in runs):
        raise typer.Exit(1)


def _summary(run: DeletionRun) -> str:
    """One line: the outcome and its counts, then why it stopped, if it did."""
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(run.reasons.items()))
    line = (
        f"{run.platform}: {run.status}, {run.checked:,} of {run.in_window:,} posts from the last"
        f" {run.days} days checked, {run.removed:,} removed"
        + (f" ({reasons})" if reasons else "")
        + f", {run.authors_removed:,} accounts removed"
    )
    return line + (f" ({run.error})" if run.error else "")

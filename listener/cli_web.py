"""`listener serve` and `listener users`: the web app and its accounts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from listener.settings import Settings

users_app = typer.Typer(help="Manage web app accounts.", no_args_is_help=True)
MIN_PASSWORD = 12


def _app(settings: Settings) -> FastAPI:
    from listener.cli import _engine
    from listener.configfile import load_config
    from listener.web.app import create_app

    config = load_config(settings.config)
    return create_app(settings, engine=_engine(settings), web_url=config.digest.web_url)


@contextmanager
def web_in_background(settings: Settings, *, host: str, port: int) -> Iterator[None]:
    """Serve the web app from a thread while the caller runs (the scheduler, in `listener run`)."""
    import threading

    import uvicorn

    config = uvicorn.Config(
        _app(settings), host=host, port=port, proxy_headers=True, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web app and JSON API."""
    import uvicorn

    from listener.cli import _settings

    uvicorn.run(_app(_settings()), host=host, port=port, proxy_headers=True, log_level="info")


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The person's email address (their sign-in name).")],
    role: Annotated[str, typer.Option(help="admin, editor or viewer.")],
    department: Annotated[
        list[str] | None,
        typer.Option("--department", help="A department they may see (repeatable)."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from the first line of this file (else prompt)."),
    ] = None,
) -> None:
    """Create an account, or update its role, departments and password."""
    from listener import accounts
    from listener.cli import _engine, _settings, err
    from listener.errors import UserError

    if password_file is not None:
        try:
            password = password_file.read_text().splitlines()[0]
        except (OSError, IndexError):
            raise UserError(
                f"--password-file: cannot read a password from {password_file}"
            ) from None
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")
    created = accounts.add_user(
        _engine(_settings()),
        email=email,
        role=role,
        departments=department or [],
        password=password,
    )
    err.print(f"{email}: {'created' if created else 'updated'} ({role})", markup=False)


audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 naming the first altered entry."""
    from listener.cli import _engine, _settings, err
    from listener.store import audit

    with _engine(_settings()).connect() as conn:
        checked, broken = audit.verify(conn)
    if broken is not None:
        err.print(
            f"audit log: entry {broken} was altered, deleted or reordered"
            f" ({checked:,} entries before it are intact)",
            markup=False,
        )
        raise typer.Exit(1)
    err.print(f"audit log: {checked:,} entries, chain intact", markup=False)


def backup(
    target: Annotated[Path, typer.Argument(help="New file to write the copy to.")],
) -> None:
    """Copy the SQLite database to TARGET while listener keeps running (online backup)."""
    from listener.backup import backup_sqlite
    from listener.cli import _engine, _settings, err

    size = backup_sqlite(_engine(_settings()), target)
    err.print(f"backed up to {target} ({size:,} bytes, integrity ok)", markup=False)

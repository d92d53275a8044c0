"""The `listener` command line: parse arguments, call jobs and the store, format the output.

Data goes to stdout; progress, summaries and errors go to stderr. An expected
failure (bad input, unknown department, database not initialised) prints one
line and exits 1, without a traceback. Heavy imports happen inside commands so
that `listener --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console

from listener.cli_deletions import deletions
from listener.cli_digest import digest_app
from listener.cli_rights import retention, subject_app
from listener.cli_web import audit_app, backup, serve, users_app
from listener.errors import ListenerError, UserError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from listener.settings import Settings

err = Console(stderr=True, highlight=False)
app = typer.Typer(
    name="listener",
    help="Social media listening for government policy and communications teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(
    help="Validate the config file and sync it into the database.", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(digest_app, name="digest")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(subject_app, name="subject")
app.command()(serve)
app.command()(deletions)
app.command()(retention)
app.command()(backup)


def _settings() -> Settings:
    from listener.settings import load_settings

    return load_settings()


def _engine(settings: Settings, *, require_schema: bool = True) -> sa.Engine:
    from listener.store.db import create_engine
    from listener.store.migrate import require_current

    engine = create_engine(settings.database_url)
    if require_schema:
        require_current(engine)
    return engine


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    from listener.store.db import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


@app.command()
def init() -> None:
    """Create or upgrade the database."""
    from listener import jobs

    settings = _settings()
    before, after = jobs.init_database(_engine(settings, require_schema=False))
    where = _shown_url(settings.database_url)
    if before == after:
        err.print(f"database {where}: already at revision {after}")
    elif before is None:
        err.print(f"database {where}: created (revision {after})")
    else:
        err.print(f"database {where}: upgraded from revision {before} to {after}")


ConfigFile = Annotated[Path | None, typer.Argument(help="Config file (default: $LISTENER_CONFIG).")]


@config_app.command("check")
def config_check(file: ConfigFile = None) -> None:
    """Validate the config file; print the effective config with secrets masked."""
    from listener.configfile import effective_config_text, load_config

    path = file or _settings().config
    config = load_config(path)
    sys.stdout.write(effective_config_text(config))
    watches = sum(len(_watch_keys(d)) for d in config.departments)
    err.print(f"{path}: OK ({len(config.departments)} departments, {watches} watches)")


def _watch_keys(department: Any) -> list[Any]:
    from listener.store.departments import desired_watches

    return desired_watches(department)


@config_app.command("import")
def config_import(file: ConfigFile = None) -> None:
    """Sync departments, watches and recipients from the config file (idempotent)."""
    from listener import jobs
    from listener.configfile import load_config

    settings = _settings()
    path = file or settings.config
    report = jobs.sync_config(_engine(settings), load_config(path))
    for line in report.added:
        print(f"+ {line}")
    for line in report.changed:
        print(f"~ {line}")
    for line in report.removed:
        print(f"- {line}")
    counts = f"{len(report.added)} added, {len(report.changed)} changed"
    summary = "no changes" if report.empty else f"{counts}, {len(report.removed)} removed"
    err.print(f"{path}: {summary}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="File to import (.gz is read compressed).")],
    format: Annotated[str, typer.Option("--format", "-f", help="twarc2, csv or jsonl.")],
    department: Annotated[
        str | None,
        typer.Option(help="Assign every post to this department instead of matching watches."),
    ] = None,
    map: Annotated[
        str,
        typer.Option("--map", help="CSV columns, e.g. text=response,id=ref,created_at=submitted."),
    ] = "",
    platform: Annotated[
        str, typer.Option(help="CSV only: the platform the rows come from.")
    ] = "consultation",
    timezone: Annotated[
        str, typer.Option(help="CSV only: time zone of dates without one.")
    ] = "Europe/London",
    strict: Annotated[
        bool, typer.Option(help="Exit 1 if any row was bad (good rows are still imported).")
    ] = False,
) -> None:
    """Import posts from a file, matching them against every department's watches."""
    from listener.cli_import import run_import
    from listener.collectors.csvfile import CsvOptions, parse_mapping
    from listener.jobs import ImportRequest

    csv = CsvOptions(mapping=parse_mapping(map), platform=platform, timezone=timezone)
    request = ImportRequest(path=file, format=format, department=department, csv=csv)
    rejected = run_import(_engine(_settings()), request, console=err)
    if strict and rejected:
        raise typer.Exit(1)


@app.command()
def analyze(
    workers: Annotated[
        int | None,
        typer.Option(help="Processes to score with (default: $LISTENER_WORKERS or all cores)."),
    ] = None,
) -> None:
    """Detect languages, score sentiment, then find voices and topics for whatever changed."""
    from listener import insight, jobs
    from listener.configfile import load_config

    settings = _settings()
    config = load_config(settings.config)
    engine = _engine(settings)
    with err.status("detecting languages…") as status:
        report = jobs.analyze(
            engine,
            workers=workers or settings.workers,
            on_batch=lambda r: status.update(
                f"scoring sentiment… {r.scored:,} posts"
                if r.scored
                else f"detecting languages… {r.languages_detected:,} posts"
            ),
        )
    languages = ", ".join(f"{lang} {count:,}" for lang, count in report.other_languages.items())
    err.print(
        f"languages: {report.languages_detected:,} posts detected; "
        f"sentiment: {report.scored:,} posts scored ({report.computed:,} distinct texts, "
        f"{report.reused:,} reused from identical texts); "
        f"{report.not_english:,} posts in other languages left unscored"
        + (f" ({languages})" if languages else ""),
        markup=False,  # language codes come from the platforms
    )
    with err.status("finding voices and topics…"):
        found = insight.analyze_insight(engine, config)
    modelled = ", ".join(f"{dept} {week} ({n})" for dept, week, n in found.weeks_modelled)
    err.print(
        f"voices: {found.authors_classified:,} accounts given a new kind; topics: "
        f"{len(found.weeks_modelled)} department-weeks modelled"
        + (f" ({modelled})" if modelled else "")
        + f", {found.weeks_current} unchanged",
        markup=False,
    )


@app.command()
def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    department: Annotated[str | None, typer.Option(help="Only this department's watches.")] = None,
) -> None:
    """One collection pass over the enabled sources, then exit (1 if any source failed)."""
    from listener.approvals import with_recorded_approvals
    from listener.collection import collect as run_collect
    from listener.collectors.registry import build_collectors
    from listener.configfile import load_config

    settings = _settings()
    engine = _engine(settings)
    config = with_recorded_approvals(engine, load_config(settings.config))
    collectors = build_collectors(config, names=source or ())
    with err.status("collecting…") as status:
        runs = run_collect(
            engine,
            collectors,
            department=department,
            on_page=lambda r: status.update(f"collecting {r.source}… {r.totals.new:,} new posts"),
        )
    for run in runs:
        t = run.totals
        line = (
            f"{run.source}: {run.status}, {t.new:,} new, {t.seen:,} already stored, "
            f"{t.pages:,} pages, {t.rejected:,} quarantined, "
            f"{run.rate_limit_wait_seconds:.0f}s rate-limit waits"
        )
        print(line + (f" ({run.error})" if run.error else ""))
    if not runs:
        err.print("no sources enabled in the config")
    if any(run.status == "failed" for run in runs):
        raise typer.Exit(1)


@app.command()
def run(
    no_web: Annotated[bool, typer.Option("--no-web", help="Run the scheduler only.")] = False,
    host: Annotated[str, typer.Option(help="Web app address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Web app port.")] = 8000,
) -> None:
    """The service: scheduled collection, analysis and digests, and the web app (unless
    --no-web); a second one waits as a standby scheduler."""
    from contextlib import nullcontext

    from listener.cli_web import web_in_background
    from listener.service import run_service

    settings = _settings()
    web = nullcontext() if no_web else web_in_background(settings, host=host, port=port)
    with web:
        run_service(settings, console=err)


def _day(value: str | None, option: str, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{option}: {value!r} is not a date (YYYY-MM-DD or an ISO 8601 time)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            yield handle
    except OSError as exc:
        raise UserError(f"-o: cannot write {path}: {exc.strerror}") from None


@app.command()
def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words, "phrases", OR, (), -exclude, #tag, @mention, from:handle, lang:xx.'
        ),
    ],
    department: Annotated[str | None, typer.Option(help="Only this department's posts.")] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            help="Only posts from this platform (x, mastodon, bluesky, rss, consultation...)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this day (YYYY-MM-DD, UTC) or time.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Up to and including this day (YYYY-MM-DD, UTC), or before this time."),
    ] = None,
    sentiment: Annotated[str | None, typer.Option(help="positive, neutral or negative.")] = None,
    limit: Annotated[int, typer.Option(help="How many results (0 = all).", min=0)] = 20,
    format: Annotated[str, typer.Option("--format", help="table, json, jsonl or csv.")] = "table",
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Search stored posts, most relevant first, then newest."""
    from listener import output
    from listener.query import parse
    from listener.store.departments import department_id
    from listener.store.queries import search as run_search
    from listener.store.search_filters import SENTIMENTS, SearchFilters

    if format not in output.FORMATS:
        raise UserError(f"--format: {format!r} is not one of {', '.join(output.FORMATS)}")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise UserError(f"--sentiment: {sentiment!r} is not one of {', '.join(SENTIMENTS)}")
    node = parse(query)
    filters = SearchFilters(
        department=department,
        platform=platform,
        sentiment=sentiment,
        since=_day(since, "--since"),
        until=_day(until, "--until", end=True),
        limit=limit,
    )
    engine = _engine(_settings())
    with engine.connect() as conn, _output(out) as stream:
        if department:
            department_id(conn, department)
        count = output.write_records(run_search(conn, node, filters), format, stream)
    err.print(f"{count} result{'s' if count != 1 else ''}" + (f" written to {out}" if out else ""))


@app.command()
def thread(
    post_id: Annotated[str, typer.Argument(help="PLATFORM:ID, e.g. x:1857000000000000001.")],
) -> None:
    """Print the conversation a post belongs to, as an indented tree."""
    from listener import output
    from listener.store.queries import find_post
    from listener.store.threads import thread as build_thread

    with _engine(_settings()).connect() as conn:
        tree = build_thread(conn, find_post(conn, post_id))
    for line in output.thread_lines(tree):
        print(line)


@app.command("eval")
def eval_(
    file: Annotated[
        Path, typer.Argument(help="Labelled JSON Lines (id, text, sentiment, lang, topic).")
    ],
) -> None:
    """Sentiment and topic quality against a labelled JSON Lines file."""
    from listener.analysis.evaluation import (
        evaluate_sentiment,
        evaluate_topics,
        format_sentiment_report,
        format_topic_report,
    )

    print(format_sentiment_report(evaluate_sentiment(file)))
    print(format_topic_report(evaluate_topics(file)))


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="SQLite file to build afresh.")] = Path(
        "data/demo.db"
    ),
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="Then serve the web app on it (default: when run from a terminal).",
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="Web app port.")] = 8000,
) -> None:
    """Build a fresh embedded database from the bundled sample data, run the whole pipeline,
    then serve the web app on it."""
    from listener.demo import run_demo, serve_demo

    settings = _settings()
    run_demo(database=database, settings=settings, console=err)
    if serve if serve is not None else (sys.stdin.isatty() and sys.stdout.isatty()):
        serve_demo(database=database, settings=settings, console=err, port=port)


def _fail(message: str) -> None:
    err.print(f"listener: error: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(1)


def _database_failure(exc: Exception) -> str | None:
    """One line for a database that cannot be reached or opened, else None."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown error"
    return f"cannot use the database: {first_line} (check LISTENER_DATABASE_URL)"


def main() -> None:
    """Console entry point: run the app, turning expected failures into one line."""
    try:
        app(prog_name="listener")  # usage errors and typer.Exit are handled by typer itself
    except ListenerError as exc:
        _fail(str(exc))
    except Exception as exc:
        reason = _database_failure(exc)
        if reason is None:
            raise
        _fail(reason)
    except KeyboardInterrupt:
        err.print("listener: interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()

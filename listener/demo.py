"""`listener demo`: a fresh embedded database, the bundled sample data, the whole pipeline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console

from listener import insight, jobs, output
from listener.collectors.csvfile import CsvOptions, parse_mapping
from listener.configfile import load_config
from listener.query import parse
from listener.settings import Settings
from listener.store.db import create_engine
from listener.store.queries import posts_per_department, search, store_counts
from listener.store.search_filters import SearchFilters
from listener.weeks import parse_week

SAMPLE = resources.files("listener") / "sample"
CONSULTATION_MAP = "id=response_id,text=response_text,created_at=submitted_at,author=organisation"
DEMO_WEEK = "2026-W47"  # the last full week of the sample data
DEMO_SEARCHES = (
    ('"junior doctors" (strike OR walkout)', "dhsc"),
    ("#EnergyBills standing charge", None),
    ('"section 21" (eviction OR evicted) -#Renters', "mhclg"),
)


def run_demo(*, database: Path, settings: Settings, console: Console) -> None:
    """Build `database` afresh from the sample data, analyse it, and show searches."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{database}")
    jobs.init_database(engine)
    console.print(f"[bold]1. database[/] {database} created")
    config = load_config(settings.config)
    report = jobs.sync_config(engine, config)
    added = [line.split(" ", 1)[0] for line in report.added]
    console.print(
        f"[bold]2. config[/] {settings.config}: {added.count('department')} departments, "
        f"{added.count('watch')} watches, {added.count('recipient')} recipients"
    )
    with resources.as_file(SAMPLE / "x_posts.twarc2.jsonl") as posts:
        imported = jobs.import_file(engine, jobs.ImportRequest(path=posts, format="twarc2"))
    console.print(
        f"[bold]3. import[/] sample X archive (twarc2): {imported.new:,} posts, "
        f"{imported.rejected} bad rows"
    )
    csv = CsvOptions(mapping=parse_mapping(CONSULTATION_MAP))
    with resources.as_file(SAMPLE / "consultation_responses.csv") as responses:
        request = jobs.ImportRequest(path=responses, format="csv", department="mhclg", csv=csv)
        consulted = jobs.import_file(engine, request)
    console.print(f"[bold]4. import[/] consultation responses (CSV) for mhclg: {consulted.new:,}")
    scored = jobs.analyze(engine, workers=settings.workers)
    console.print(
        f"[bold]5. analyze[/] {scored.scored:,} posts scored ({scored.reused:,} reposts "
        f"reused a score), {scored.not_english} in other languages"
    )
    found = insight.analyze_insight(engine, config)
    topics = sum(n for _, _, n in found.weeks_modelled)
    console.print(
        f"   insight: {found.authors_classified:,} accounts given a kind of voice; "
        f"{topics} topics across {len(found.weeks_modelled)} department-weeks"
    )
    with engine.connect() as conn:
        counts = store_counts(conn)
        per_department = posts_per_department(conn)
        console.print(
            f"   stored: {counts['posts']:,} posts by {counts['authors']:,} authors; "
            + ", ".join(f"{k} {v:,}" for k, v in per_department.items())
        )
        for number, (query, department) in enumerate(DEMO_SEARCHES, start=6):
            where = f" --department {department}" if department else ""
            console.print(f"[bold]{number}. search[/] listener search '{query}'{where} --limit 5")
            filters = SearchFilters(department=department, limit=5)
            results = list(search(conn, parse(query), filters))
            output.write_table(results, Console(highlight=False))
    out = database.parent / "demo-digests"
    number = 6 + len(DEMO_SEARCHES)
    console.print(f"[bold]{number}. digest[/] listener digest build --week {DEMO_WEEK} --out {out}")
    for dept in insight.departments_for(engine, None):
        _, digest = insight.build_digest(engine, dept, parse_week(DEMO_WEEK), config=config)
        paths = insight.write_digest(
            digest,
            out_dir=out,
            sender=config.digest.sender,
            recipients=insight.recipients_of(engine, dept),
        )
        html = next(p for p in paths if p.suffix == ".html")
        console.print(f"   {dept.slug}: {digest.summary[0]} {html}", highlight=False)
    console.print(
        f"\nDone. Explore it yourself: LISTENER_DATABASE_URL=sqlite:///{database} "
        "listener search '#NHS'"
    )


DEMO_ADMIN = "admin@example.gov.uk"


def serve_demo(*, database: Path, settings: Settings, console: Console, port: int) -> None:
    """Serve the web app on the demo database, with a demo admin and a fresh password."""
    import secrets

    import uvicorn

    from listener import accounts
    from listener.web.app import create_app

    engine = create_engine(f"sqlite:///{database}")
    password = secrets.token_urlsafe(12)
    accounts.add_user(engine, email=DEMO_ADMIN, role="admin", departments=[], password=password)
    console.print(
        f"\n[bold]Web app[/] http://127.0.0.1:{port}/ : sign in as {DEMO_ADMIN} with password"
        f" {password} (this demo database only). Ctrl-C stops it.",
        highlight=False,
        soft_wrap=True,  # never break the password across lines
    )
    uvicorn.run(
        create_app(settings, engine=engine), host="127.0.0.1", port=port, log_level="warning"
    )

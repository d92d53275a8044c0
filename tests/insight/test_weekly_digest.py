"""The weekly digest built from the sample data: what a policy team reads on Monday."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import insight
from listener.configfile import ListenerConfig
from listener.digest.context import DigestContext
from listener.digest.render import render
from listener.store import weekly
from listener.weeks import parse_week
from tests.cli.runner import invoke
from tests.conftest import EXAMPLE_CONFIG
from tests.insight.conftest import load_sample


def digest_for(engine: sa.Engine, config: ListenerConfig, slug: str, week: str) -> DigestContext:
    (department,) = insight.departments_for(engine, slug)
    return insight.build_digest(engine, department, parse_week(week), config=config)[1]


def test_the_health_digest_finds_the_strike_day_spike_and_its_drivers(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digest = digest_for(sample_sqlite, sample_config, "dhsc", "2026-W46")
    assert digest.posts > 100 and len(digest.days) == 7
    strike_day = max(digest.spikes, key=lambda s: s.posts)
    assert strike_day.date == "2026-11-12" and strike_day.drivers
    assert set(strike_day.reasons) == {"volume", "negativity"}
    assert len(digest.summary) == 3 and digest.summary[0].startswith(f"{digest.posts:,} posts")
    assert 2 <= len(digest.topics) <= 12
    assert all(t.label and t.posts for t in digest.topics)
    assert abs(sum(t.share for t in digest.topics) - 1.0) < 0.05


def test_the_energy_digest_sees_standing_charges_emerge(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digest = digest_for(sample_sqlite, sample_config, "desnz", "2026-W47")
    themes = [t.term.lower() for t in digest.themes]
    assert any("standing charge" in t for t in themes[:3]), themes
    assert digest.previous_posts > 0


def test_voices_name_public_figures_and_pseudonymise_private_individuals(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digest = digest_for(sample_sqlite, sample_config, "dhsc", "2026-W46")
    kinds = {group.kind: group for group in digest.voices}
    assert {"mp", "journalist", "government", "public"} <= set(kinds)
    assert all(a.handle and a.url.startswith("https://x.com/") for a in kinds["mp"].accounts)
    for account in kinds["public"].accounts:
        assert account.handle is None and account.url == ""
        assert account.name.startswith("Member of the public ")
    public_posts = [p for t in digest.topics for p in t.posts if p.author_kind == "public"]
    assert public_posts and all(p.author.startswith("Member of the public") for p in public_posts)
    # No web app configured: a private individual's post links nowhere rather than to their account.
    assert all(p.url == "" for p in public_posts)


def test_consultation_responses_sit_beside_social_posts(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digests = [
        digest_for(sample_sqlite, sample_config, "mhclg", w) for w in ("2026-W46", "2026-W47")
    ]
    with_responses = [d for d in digests if d.consultation is not None]
    assert with_responses and all(d.consultation.responses > 0 for d in with_responses)  # type: ignore[union-attr]


def test_coverage_states_sources_languages_and_gaps(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digest = digest_for(sample_sqlite, sample_config, "dhsc", "2026-W46")
    coverage = digest.coverage
    assert coverage.window_start == "2026-11-09T00:00:00+00:00"
    assert any("#NHS" in w for w in coverage.watches)
    assert coverage.platforms and coverage.platforms[0][0] == "x"
    assert coverage.gaps  # the sample was imported from files: the digest says so


def test_an_archived_digest_re_renders_identically(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    (department,) = insight.departments_for(sample_sqlite, "dft")
    digest_id, built = insight.build_digest(
        sample_sqlite, department, parse_week("2026-W47"), config=sample_config
    )
    archived = insight.archived_digest(sample_sqlite, digest_id)
    assert archived == built
    first, again = render(built), render(archived)
    assert (first.html, first.text, first.images) == (again.html, again.text, again.images)


def test_a_week_with_no_posts_still_builds_a_digest_that_says_so(
    sample_sqlite: sa.Engine, sample_config: ListenerConfig
) -> None:
    digest = digest_for(sample_sqlite, sample_config, "dfe", "2026-W30")
    assert digest.posts == 0 and digest.topics == [] and digest.spikes == []
    assert any("No posts matched" in gap for gap in digest.coverage.gaps)
    assert render(digest).html


def test_digest_build_writes_html_text_and_eml_for_every_department(
    engine: sa.Engine,
    sample_config: ListenerConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load_sample(engine, sample_config)
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    out = tmp_path / "out"
    code, stdout, stderr = invoke(
        monkeypatch, capsys, "digest", "build", "--week", "2026-W47", "--out", str(out)
    )
    assert code == 0, stderr
    written = {Path(line).name for line in stdout.splitlines()}
    for slug in ("dhsc", "dfe", "desnz", "mhclg", "dft"):
        assert {f"{slug}-2026-W47.html", f"{slug}-2026-W47.txt", f"{slug}-2026-W47.eml"} <= written
    # The sample's hostile post (14 Nov, week 46) is quoted as text, never as markup.
    code, _, _ = invoke(
        monkeypatch,
        capsys,
        "digest",
        "build",
        "--week",
        "2026-W46",
        "--department",
        "dhsc",
        "--out",
        str(out),
    )
    html = (out / "dhsc-2026-W46.html").read_text()
    assert code == 0 and "&lt;script&gt;alert(" in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    code, stdout, _ = invoke(monkeypatch, capsys, "digest", "list", "--department", "dhsc")
    assert code == 0 and "\tdhsc\t2026-W47\t" in stdout and "\tdhsc\t2026-W46\t" in stdout
    digest_id = next(line for line in stdout.splitlines() if "2026-W47" in line).split("\t")[0]
    again = tmp_path / "again"
    code, _, _ = invoke(monkeypatch, capsys, "digest", "show", digest_id, "--out", str(again))
    assert code == 0
    for suffix in (".html", ".txt", ".eml"):
        name = f"dhsc-2026-W47{suffix}"
        assert (again / name).read_bytes() == (out / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "2026-47"), "--week: expected an ISO week such as 2026-W47"),
        (("--week", "2026-W47", "--department", "nope"), "--department: no department 'nope'"),
    ],
)
def test_bad_options_are_one_line_errors(
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.setenv("LISTENER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LISTENER_CONFIG", str(EXAMPLE_CONFIG))
    code, _, stderr = invoke(
        monkeypatch, capsys, "digest", "build", *args, "--out", str(tmp_path / "o")
    )
    assert code == 1 and message in stderr and len(stderr.strip().splitlines()) == 1


def test_recipients_and_departments_come_from_the_store(sample_sqlite: sa.Engine) -> None:
    with sample_sqlite.connect() as conn:
        slugs = [d.slug for d in weekly.departments(conn)]
    assert slugs == sorted(slugs) and "dhsc" in slugs


def test_housekeeping_runs_are_not_mistaken_for_collection(
    engine: sa.Engine, sample_config: ListenerConfig
) -> None:
    from listener.models import CollectionRun
    from listener.store.db import write_transaction

    load_sample(engine, sample_config)
    week = parse_week("2026-W47")
    with write_transaction(engine) as conn:
        conn.execute(
            CollectionRun.__table__.insert(),
            {  # type: ignore[attr-defined]
                "source": "deletions:x",
                "started_at": week.start,
                "finished_at": week.start,
                "status": "ok",
                "posts_new": 0,
                "posts_seen": 40,
                "items_rejected": 0,
                "pages": 1,
                "rate_limit_wait_seconds": 0.0,
                "error": "",
            },
        )
    digest = digest_for(engine, sample_config, "dft", "2026-W47")
    assert [s.source for s in digest.coverage.sources if s.source.startswith("deletions")] == []
    assert any("No collection ran during this week" in gap for gap in digest.coverage.gaps)

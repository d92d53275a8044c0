"""The department overview and week pages, their charts and JSON twins, on the sample data."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listener import insight, jobs
from listener.configfile import load_config
from listener.digest.context import DigestContext
from listener.settings import Settings
from listener.store import digests as store_digests
from listener.store import weekly
from listener.store.db import create_engine
from listener.web.app import create_app
from listener.weeks import parse_week
from tests.conftest import ADMIN_URL, EXAMPLE_CONFIG
from tests.insight.conftest import load_sample
from tests.web.conftest import People, add_people, sign_in

# A Wednesday in the week after the sample's last (2026-W48): W46 and W47 are full weeks.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Sample:
    """The analysed sample data with the test accounts, and digests built from it."""

    engine: sa.Engine
    digests: dict[tuple[str, str], tuple[int, DigestContext]]  # (slug, week) -> (id, context)


DIGESTS = (("dhsc", "2026-W46"), ("dhsc", "2026-W47"), ("dft", "2026-W47"))
# Loading and analysing the sample takes ~20 s: it is done once per engine and test session
# into a template, and each module works on its own copy (a file copy; CREATE DATABASE
# ... TEMPLATE on PostgreSQL), so no module sees another's writes.
_TEMPLATES: dict[str, str] = {}


def _fill(url: str) -> None:
    engine = create_engine(url)
    jobs.init_database(engine)
    config = load_config(EXAMPLE_CONFIG)
    load_sample(engine, config)
    add_people(engine)
    with engine.connect() as conn:
        found = {d.slug: d for d in weekly.departments(conn)}
    for slug, week in DIGESTS:
        insight.build_digest(engine, found[slug], parse_week(week), config=config)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _admin() -> sa.Engine:
    return sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")


def _database(kind: str, folder: Path, *, template: str | None = None) -> str:
    """A new database (a copy of `template`, if given); dropped by `_drop`."""
    if kind == "sqlite":
        path = folder / f"sample-{uuid.uuid4().hex[:8]}.db"
        if template:
            shutil.copy(sa.make_url(template).database or "", path)
        return f"sqlite:///{path}"
    name = f"listener_web_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        copy = f' TEMPLATE "{sa.make_url(template).database}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    admin.dispose()
    return sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        admin = _admin()
        with admin.connect() as conn:
            name = sa.make_url(url).database
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def open_sample(request: pytest.FixtureRequest, folder: Path) -> Iterator[Sample]:
    """A copy of the sample on the engine `request.param` names (a module fixture in each file)."""
    kind = str(request.param)
    if kind == "postgresql":
        request.getfixturevalue("_postgres_url")  # skips, or fails under CI, without a server
    if kind not in _TEMPLATES:
        template = _database(kind, folder)
        request.config.add_cleanup(lambda: _drop(template))
        _fill(template)
        _TEMPLATES[kind] = template
    url = _database(kind, folder, template=_TEMPLATES[kind])
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {d.slug: d for d in weekly.departments(conn)}
        digests = {
            (slug, week): (digest_id, store_digests.load(conn, digest_id))
            for slug, week in DIGESTS
            if (digest_id := store_digests.latest(conn, found[slug].id, week)) is not None
        }
    yield Sample(engine, digests)
    engine.dispose()
    _drop(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    yield from open_sample(request, tmp_path_factory.mktemp("web-sample"))


@pytest.fixture
def web(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr("listener.web.overview.utcnow", lambda: NOW)
    settings = Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("test-secret-key"))
    with TestClient(create_app(settings, engine=sample.engine)) as client:
        yield client


def test_the_overview_shows_eight_full_weeks_and_this_one_with_the_digests_numbers(
    web: TestClient, sample: Sample
) -> None:
    sign_in(web, People.editor)
    overview = web.get("/api/v1/departments/dhsc/overview").json()
    weeks = {row["week"]: row for row in overview["weeks"]}
    assert [row["week"] for row in overview["weeks"]] == [f"2026-W{n}" for n in range(40, 49)]
    assert [row["complete"] for row in overview["weeks"]] == [True] * 8 + [False]
    for label in ("2026-W46", "2026-W47"):
        _, digest = sample.digests[("dhsc", label)]
        assert weeks[label]["posts"] == digest.posts > 0
        assert weeks[label]["mean_compound"] == pytest.approx(digest.mean_compound, abs=1e-4)
        assert weeks[label]["negative_share"] == pytest.approx(digest.negative_share, abs=1e-4)
    assert weeks["2026-W45"]["posts"] == 0 and weeks["2026-W45"]["mean_compound"] is None
    assert overview["topics_week"] == "2026-W47" and overview["topics"]
    assert overview["themes_week"] == "2026-W47"
    assert overview["latest_digest"]["id"] == sample.digests[("dhsc", "2026-W47")][0]

    html = web.get("/departments/dhsc").text
    assert '<h1 class="govuk-heading-l">Department of Health and Social Care</h1>' in html
    assert "Posts and sentiment per week" in html and 'scope="col"' in html
    assert (
        f'<td class="govuk-table__cell govuk-table__cell--numeric">{weeks["2026-W46"]["posts"]}<'
        in html
    )
    assert "2026-W48</a> (so far)" in html
    assert f"W46 from 9 Nov {weeks['2026-W46']['posts']};" in html  # the chart's alt text
    top = overview["topics"][0]["label"].replace("'", "&#39;")
    assert top in html
    assert f'href="/digests/{overview["latest_digest"]["id"]}"' in html


def test_weekly_charts_are_pngs(web: TestClient) -> None:
    sign_in(web, People.editor)
    for name in ("weekly-volume.png", "weekly-sentiment.png"):
        response = web.get(f"/departments/dhsc/charts/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(PNG)
    for name in ("volume-by-day.png", "sentiment-by-day.png"):
        response = web.get(f"/departments/dhsc/weeks/2026-W46/charts/{name}")
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(PNG)
    assert web.get("/departments/dhsc/charts/other.png").status_code == 404


def test_a_week_shows_its_days_topics_with_their_posts_themes_and_spikes(
    web: TestClient, sample: Sample
) -> None:
    sign_in(web, People.editor)
    _, digest = sample.digests[("dhsc", "2026-W46")]
    week = web.get("/api/v1/departments/dhsc/weeks/2026-W46").json()
    assert week["posts"] == digest.posts
    assert [d["date"] for d in week["days"]] == [d.date for d in digest.days]
    assert sum(d["posts"] for d in week["days"]) == digest.posts
    assert [t["label"] for t in week["topics"]] == [t.label for t in digest.topics]
    assert week["digests"][0]["id"] == sample.digests[("dhsc", "2026-W46")][0]
    assert week["previous_week"] == "2026-W45" and week["next_week"] == "2026-W47"

    html = web.get("/departments/dhsc/weeks/2026-W46").text
    post_id = week["topics"][0]["posts"][0]["id"]
    assert f'href="/posts/{post_id}"' in html
    assert (
        "Posts and sentiment by day" in html and "/weeks/2026-W46/charts/volume-by-day.png" in html
    )
    if week["spikes"]:
        assert "more posts than usual" in html or "more negative than usual" in html
    # Post text is shown as text: the sample's hostile post never becomes markup.
    assert "<script>alert" not in html and "<img src=x" not in html


def test_the_week_so_far_has_no_next_week_and_a_week_not_begun_is_not_found(
    web: TestClient,
) -> None:
    sign_in(web, People.editor)
    current = web.get("/api/v1/departments/dhsc/weeks/2026-W48").json()
    assert current["complete"] is False and current["next_week"] is None
    assert web.get("/departments/dhsc/weeks/2026-W49").status_code == 404
    assert web.get("/api/v1/departments/dhsc/weeks/2026-W49").status_code == 404


@pytest.mark.parametrize("week", ["2026-W99", "2026-47", "last-week", "2026-W4%00"])
def test_a_malformed_week_is_a_clear_400_not_a_server_error(web: TestClient, week: str) -> None:
    sign_in(web, People.editor)
    api = web.get(f"/api/v1/departments/dhsc/weeks/{week}")
    assert api.status_code == 400
    assert "expected an ISO week such as 2026-W47" in api.json()["detail"]
    page = web.get(f"/departments/dhsc/weeks/{week}")
    assert page.status_code == 400 and "expected an ISO week such as 2026-W47" in page.text
    assert web.get(f"/departments/dhsc/weeks/{week}/charts/volume-by-day.png").status_code == 400


def test_another_departments_overview_is_not_found(web: TestClient) -> None:
    sign_in(web, People.viewer)  # dft only
    for path in (
        "/departments/dhsc",
        "/departments/dhsc/weeks/2026-W46",
        "/departments/dhsc/charts/weekly-volume.png",
        "/departments/dhsc/weeks/2026-W46/charts/volume-by-day.png",
        "/api/v1/departments/dhsc/overview",
        "/api/v1/departments/dhsc/weeks/2026-W46",
    ):
        assert web.get(path).status_code == 404, path
    assert web.get("/api/v1/departments/dft/overview").status_code == 200


def test_signed_out_the_overview_asks_for_sign_in(web: TestClient) -> None:
    response = web.get("/departments/dhsc", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    assert web.get("/api/v1/departments/dhsc/overview").status_code == 401

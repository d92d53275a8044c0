"""PostgreSQL keeps each post's department ids beside its words, in step with its links.

A search within departments reads `posts.department_ids` through the text index
(migration 0008); these check that every way a link comes or goes keeps the
copy right, and that scoped searches answer as the links say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from listener.models import Department, PostDepartment
from listener.query import parse
from listener.store import queries, search_filters, totals, writes
from listener.store.db import create_engine, write_transaction
from tests.conftest import TABLES, make_post

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
LINKS = PostDepartment.__table__  # type: ignore[attr-defined]


@pytest.fixture
def pg(_postgres_url: str) -> Iterator[sa.Engine]:
    """An empty PostgreSQL database (SQLite searches links through its own text index)."""
    engine = create_engine(_postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    yield engine
    engine.dispose()


def _setup(engine: sa.Engine) -> tuple[dict[str, int], dict[str, int]]:
    posts = [make_post(str(n), f"rail strike day {n}") for n in range(1, 5)]
    with write_transaction(engine) as conn:
        writes.upsert_posts(conn, posts, now=NOW)
        for slug in ("dft", "dhsc", "dfe"):
            row = {"slug": slug, "name": slug.upper(), "created_at": NOW, "updated_at": NOW}
            conn.execute(sa.insert(DEPARTMENTS).values(**row))
        ids = {r[0]: r[1] for r in conn.execute(sa.text("SELECT native_id, id FROM posts"))}
        slugs = {r[0]: r[1] for r in conn.execute(sa.text("SELECT slug, id FROM departments"))}
    return ids, slugs


def _arrays(engine: sa.Engine) -> dict[str, list[int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT native_id, department_ids FROM posts"))
        return {native: list(ids) for native, ids in rows}


def _found(engine: sa.Engine, *departments: int, slug: str | None = None) -> list[str]:
    filters = search_filters.SearchFilters(
        department_ids=frozenset(departments) if departments else None,
        department=slug,
        sort="newest",
        limit=0,
    )
    with engine.connect() as conn:
        ids = queries.search_ids(conn, parse("strike"), filters)
        total = totals.total(conn, parse("strike"), filters)
        records = queries.records(conn, ids)
    assert total == totals.Total(len(ids), exact=True)
    return sorted(r.native_id for r in records)


def test_links_added_and_removed_are_copied_to_the_post(pg: sa.Engine) -> None:
    ids, slugs = _setup(pg)
    dft, dhsc, dfe = slugs["dft"], slugs["dhsc"], slugs["dfe"]
    assert _arrays(pg) == {"1": [], "2": [], "3": [], "4": []}
    with write_transaction(pg) as conn:
        writes.link_departments(conn, [(ids["1"], dhsc), (ids["1"], dft), (ids["2"], dft)])
        writes.link_departments(conn, [(ids["1"], dft), (ids["3"], dfe)])  # one already there
    assert _arrays(pg) == {"1": sorted([dft, dhsc]), "2": [dft], "3": [dfe], "4": []}
    assert _found(pg, dft) == ["1", "2"] and _found(pg, dfe, dhsc) == ["1", "3"]
    assert _found(pg, slug="dft") == ["1", "2"] and _found(pg, slug="nope") == []
    assert _found(pg) == ["1", "2", "3", "4"] and _found(pg, *()) == ["1", "2", "3", "4"]

    with write_transaction(pg) as conn:  # a department's links removed (as retention does)
        conn.execute(
            LINKS.delete().where(LINKS.c.department_id == dft, LINKS.c.post_id == ids["1"])
        )
        conn.execute(DEPARTMENTS.delete().where(DEPARTMENTS.c.id == dfe))  # links go with it
    assert _arrays(pg) == {"1": [dhsc], "2": [dft], "3": [], "4": []}
    assert _found(pg, dft) == ["2"] and _found(pg, dfe) == []

    with write_transaction(pg) as conn:  # a post deleted takes its links; the rest stand
        conn.execute(sa.text("DELETE FROM posts WHERE id = :id"), {"id": ids["2"]})
    assert _arrays(pg) == {"1": [dhsc], "3": [], "4": []}


def test_no_departments_finds_nothing(pg: sa.Engine) -> None:
    ids, slugs = _setup(pg)
    with write_transaction(pg) as conn:
        writes.link_departments(conn, [(ids["1"], slugs["dft"])])
    filters = search_filters.SearchFilters(department_ids=frozenset(), limit=0)
    with pg.connect() as conn:
        assert queries.search_ids(conn, parse("strike"), filters) == []
        assert totals.total(conn, None, filters) == totals.Total(0, exact=True)


def test_a_new_post_stored_with_its_departments_is_written_once(pg: sa.Engine) -> None:
    _, slugs = _setup(pg)
    dft, dhsc = slugs["dft"], slugs["dhsc"]
    rows = writes.page_rows([make_post("10", "rail strike"), make_post("11", "bus")], now=NOW)
    with write_transaction(pg) as conn:
        departments = {("x", "10"): {dhsc, dft}}
        result = writes.write_rows(conn, rows, departments=departments)
        writes.link_departments(conn, [(result.ids[("x", "10")], d) for d in (dft, dhsc)])
        updated = conn.scalar(
            sa.text("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'posts'")
        )
    assert updated == 0  # the links found the array already right
    arrays = _arrays(pg)
    assert (arrays["10"], arrays["11"]) == (sorted([dft, dhsc]), [])
    assert _found(pg, dhsc) == ["10"]

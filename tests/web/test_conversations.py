"""Conversations: search with filters, highlighting, pages, exports, threads, scope and escaping.

The sample data (and a few hostile posts of our own) is loaded once per engine
for the module; every test only reads it, apart from the audit entries that
searches and exports append, which each test tells apart by its own query.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listener import jobs
from listener.collectors.base import AuthorItem
from listener.configfile import load_config
from listener.models import utcnow
from listener.query import parse
from listener.settings import Settings
from listener.store import audit, queries, totals, writes
from listener.store.db import create_engine, write_transaction
from listener.store.departments import department_id
from listener.textnorm import tokenize
from listener.web.app import create_app
from listener.web.conversations.highlight import highlight
from tests.conftest import ADMIN_URL, EXAMPLE_CONFIG, make_post
from tests.insight.conftest import HOSTILE_POST, load_sample
from tests.web.conftest import People, add_people, sign_in

SNEAKY = AuthorItem("x", "u-sneaky", handle="sneaky", name="=cmd|' /C calc'!A0 \u202egnp.exe")
EXTRA = [
    make_post("9001", "Bus lanes zzjsurl trial", url="javascript:alert(1)", handle="sneaky"),
    make_post("9002", '=HYPERLINK("http://evil.example","zzformula")', author=SNEAKY),
    make_post("9003", "+zzformula 1", author=SNEAKY),
    make_post("9004", "-zzformula 2", author=SNEAKY),
    make_post("9005", "@SUM(1) zzformula", author=SNEAKY),
    make_post("9101", "zzthread: the rail timetable", conversation_id="9101"),
    make_post("9102", "zzthread secret reply", kind="reply", reply_to_id="9101",
              conversation_id="9101", handle="bob"),
    make_post("9103", "zzthread context reply", kind="reply", reply_to_id="9102",
              conversation_id="9101", handle="carol"),
]  # fmt: skip
# 9103 is in no department, like the replies collected as context that no watch matched.
LINKS = {"9001": "dft", "9002": "dft", "9003": "dft", "9004": "dft", "9005": "dft",
         "9101": "dft", "9102": "dhsc"}  # fmt: skip


def _loaded(url: str) -> Iterator[sa.Engine]:
    engine = create_engine(url)
    jobs.init_database(engine)
    load_sample(engine, load_config(EXAMPLE_CONFIG))
    add_people(engine)
    with write_transaction(engine) as conn:
        ids = writes.upsert_posts(conn, EXTRA, now=utcnow()).ids
        writes.link_departments(
            conn, [(ids[("x", nid)], department_id(conn, slug)) for nid, slug in LINKS.items()]
        )
    yield engine
    engine.dispose()


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A database of our own: the shared test database is emptied before other tests."""
    name = f"listener_conv_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc.orig}")
    try:
        yield sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The analysed sample data and our extra posts, on each engine, loaded once."""
    if request.param == "sqlite":
        yield from _loaded(f"sqlite:///{tmp_path_factory.mktemp('conv') / 'listener.db'}")
    else:
        with _postgres_database() as url:
            yield from _loaded(url)


@pytest.fixture(scope="module")
def app(sample: sa.Engine):  # type: ignore[no-untyped-def]
    return create_app(Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("k")), engine=sample)


def _client(app, email: str) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, email)
        yield client


@pytest.fixture(scope="module")
def admin(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from _client(app, People.admin)


@pytest.fixture(scope="module")
def editor(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """Editor of dhsc only."""
    yield from _client(app, People.editor)


@pytest.fixture(scope="module")
def viewer(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """Viewer of dft only."""
    yield from _client(app, People.viewer)


def post_id(engine: sa.Engine, ref: str) -> int:
    with engine.connect() as conn:
        return queries.find_post(conn, ref).id


def found(client: TestClient, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/conversations", params={"per_page": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def everything(client: TestClient, **params: object) -> list[dict]:  # type: ignore[type-arg]
    """Every result, page by page."""
    first = found(client, **params)
    items = first["items"]
    for number in range(2, first["pages"] + 1):
        items += found(client, page=number, **params)["items"]
    assert len(items) == first["total"]
    return items  # type: ignore[no-any-return]


# ---- searching and filtering ----------------------------------------------------------


def test_results_cover_only_the_users_departments(editor: TestClient, viewer: TestClient) -> None:
    dhsc = everything(editor)
    assert dhsc and all("dhsc" in p["departments"] for p in dhsc)
    dft = everything(viewer)
    assert dft and all("dft" in p["departments"] for p in dft)
    assert "x:9102" not in {p["ref"] for p in dft}  # in dft's thread, but dhsc's post


def test_each_filter_narrows_the_results(admin: TestClient) -> None:
    every = found(admin)["total"]
    checks = {
        "department": ("dft", lambda p: "dft" in p["departments"]),
        "platform": ("consultation", lambda p: p["platform"] == "consultation"),
        "sentiment": ("negative", lambda p: p["sentiment"]["label"] == "negative"),
        "language": ("cy", lambda p: p["lang"] == "cy"),
        "author_kind": ("mp", lambda p: p["author"]["kind"] == "mp"),
    }
    for name, (value, holds) in checks.items():
        items = everything(admin, **{name: value})
        assert 0 < len(items) < every, name
        assert all(holds(p) for p in items), name


def test_dates_are_whole_days_in_utc(admin: TestClient) -> None:
    items = everything(admin, since="2026-11-12", until="2026-11-13")
    assert items
    for post in items:
        when = datetime.fromisoformat(post["created_at"])
        assert datetime(2026, 11, 12, tzinfo=UTC) <= when < datetime(2026, 11, 14, tzinfo=UTC)


def test_a_topic_filter_finds_that_topics_posts(sample: sa.Engine, editor: TestClient) -> None:
    with sample.connect() as conn:
        topic = next(t for t in queries.topic_choices(conn, None) if t.department == "dhsc")
        members = {
            row[0]
            for row in conn.execute(
                sa.select(queries.POST_TOPICS.c.post_id).where(
                    queries.POST_TOPICS.c.topic_id == topic.id
                )
            )
        }
    ids = {p["id"] for p in everything(editor, topic=topic.id)}
    assert ids and ids == members
    page = editor.get("/conversations", params={"topic": topic.id})
    assert page.status_code == 200
    assert f'<option value="{topic.id}" selected>' in page.text


def test_a_topic_or_department_you_cannot_see_is_not_found(
    sample: sa.Engine, viewer: TestClient
) -> None:
    with sample.connect() as conn:
        theirs = next(t for t in queries.topic_choices(conn, None) if t.department == "dhsc")
    assert viewer.get("/api/v1/conversations", params={"topic": theirs.id}).status_code == 404
    assert viewer.get("/conversations", params={"department": "dhsc"}).status_code == 404
    assert viewer.get("/api/v1/conversations", params={"department": "nope"}).status_code == 404


def test_the_query_syntax_works_with_filters(editor: TestClient) -> None:
    items = everything(editor, q="#nhs -strike", language="en")
    assert items and all(p["lang"] == "en" for p in items)
    for post in (p for p in items if p["kind"] != "repost"):  # a repost's text is cut short
        tokens = tokenize(post["text"])
        assert "#nhs" in tokens and not {"strike", "#strike"} & set(tokens)


def test_sort_orders(admin: TestClient) -> None:
    def when(items: list[dict]) -> list[str]:  # type: ignore[type-arg]
        return [p["created_at"] for p in items]

    newest = found(admin, sort="newest")["items"]
    assert when(newest) == sorted(when(newest), reverse=True)
    oldest = found(admin, sort="oldest")["items"]
    assert when(oldest) == sorted(when(oldest))
    engaged = found(admin, sort="engaged")["items"]
    score = [sum(p["metrics"].get(k, 0) for k in ("like_count", "retweet_count",
             "reply_count", "quote_count")) for p in engaged]  # fmt: skip
    assert score == sorted(score, reverse=True) and score[0] > score[-1]
    assert found(admin)["items"] == newest  # without a query the default is newest first


def test_with_a_query_the_default_order_is_relevance(editor: TestClient) -> None:
    ranked = [p["id"] for p in everything(editor, q="nhs")]
    assert ranked == [p["id"] for p in everything(editor, q="nhs", sort="relevance")]
    newest = [p["id"] for p in everything(editor, q="nhs", sort="newest")]
    assert set(ranked) == set(newest) and ranked != newest


# ---- pages --------------------------------------------------------------------------


def test_results_come_25_to_a_page_with_the_govuk_pagination(editor: TestClient) -> None:
    total = found(editor, q="nhs")["total"]
    assert total > 25
    first = editor.get("/conversations", params={"q": "nhs"})
    assert first.status_code == 200
    assert f"{total} posts" in first.text and "Showing 1 to 25" in first.text
    assert first.text.count('class="app-result"') == 25
    assert 'class="govuk-pagination' in first.text
    assert 'href="/conversations?q=nhs&amp;page=2"' in first.text
    second = editor.get("/conversations", params={"q": "nhs", "page": 2})
    assert f"Showing 26 to {min(50, total)}" in second.text
    assert 'aria-current="page"' in second.text
    one = found(editor, q="nhs", per_page=10)
    two = found(editor, q="nhs", per_page=10, page=2)
    assert one["pages"] == math.ceil(total / 10)
    assert not {p["id"] for p in one["items"]} & {p["id"] for p in two["items"]}


def test_past_the_cap_the_total_is_a_lower_bound_unless_counted(
    editor: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = found(editor, q="nhs")
    assert exact["total_exact"] and exact["total"] > 50
    monkeypatch.setattr(totals, "TOTAL_CAP", 30)
    capped = found(editor, q="nhs", per_page=10)
    assert (capped["total"], capped["total_exact"], capped["pages"]) == (30, False, 3)
    counted = found(editor, q="nhs", exact_total="true")
    assert (counted["total"], counted["total_exact"]) == (exact["total"], True)
    assert found(editor, q="nhs", page=4, per_page=10)["items"]  # pages go on past the cap

    monkeypatch.setattr(queries, "RANK_WINDOW", 40)
    page = editor.get("/conversations", params={"q": "nhs", "page": 2})
    assert "the most relevant of the newest 40 first, then the rest newest first" in page.text
    assert "More than 30 posts" in page.text and "Download all of them as" in page.text
    assert 'href="/conversations?q=nhs&amp;exact_total=true&amp;page=2"' in page.text
    assert 'href="/conversations?q=nhs&amp;page=3"' in page.text  # a full page has a next one
    assert page.text.count('class="govuk-pagination__item govuk-pagination__item--ellipsis"') == 1
    all_counted = editor.get("/conversations", params={"q": "nhs", "exact_total": "true"})
    assert (
        f"{exact['total']} posts" in all_counted.text and "Count them all" not in all_counted.text
    )
    assert "exact_total=true&amp;page=2" in all_counted.text  # the count is kept across pages


def test_a_capped_total_smaller_than_a_page_still_leads_to_the_next(
    editor: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(totals, "TOTAL_CAP", 5)  # fewer than the 25 a page shows
    page = editor.get("/conversations", params={"q": "nhs"})
    assert "More than 5 posts" in page.text
    assert 'class="govuk-pagination' in page.text
    assert 'href="/conversations?q=nhs&amp;page=2"' in page.text


def test_matched_words_are_highlighted(editor: TestClient) -> None:
    page = editor.get("/conversations", params={"q": "#nhs"})
    assert '<mark class="app-mark">#NHS</mark>' in page.text
    page = editor.get("/conversations", params={"q": '"waiting list"'})
    assert '<mark class="app-mark">waiting list</mark>' in page.text.lower()
    post = found(editor, q="nhs")["items"][0]
    assert {"text": "#NHS", "match": True} in post["segments"]
    assert "".join(s["text"] for s in post["segments"]) == post["text"]


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        ("The #NHS and the NHS", "nhs", ["#NHS", "NHS"]),
        ("The #NHS and the NHS", "#nhs", ["#NHS"]),
        ("Thanks @DHSCgovuk, dhscgovuk", "@dhscgovuk", ["@DHSCgovuk"]),
        ("A waiting list, a waiting room", '"waiting list"', ["waiting list"]),
        ("Un café au lait", "cafe", ["café"]),
        ("strike and doctors", "doctors -strike", ["doctors"]),
        ("by alice in English", "from:alice lang:en", []),
    ],
)
def test_highlight_marks_what_the_query_matched(text: str, query: str, marked: list[str]) -> None:
    segments = highlight(text, parse(query))
    assert [s.text for s in segments if s.match] == marked
    assert "".join(s.text for s in segments) == text


def test_a_malformed_query_says_where_in_an_error_summary(editor: TestClient) -> None:
    page = editor.get("/conversations", params={"q": 'nhs "waiting list'})
    assert page.status_code == 400
    assert "govuk-error-summary" in page.text and 'href="#q"' in page.text
    assert "column 5" in page.text
    assert 'value="nhs &#34;waiting list"' in page.text  # what was typed stays in the box
    api = editor.get("/api/v1/conversations", params={"q": "(nhs"})
    assert api.status_code == 400 and "column" in api.json()["detail"]


def test_bad_filter_values_are_explained_not_failed(editor: TestClient) -> None:
    page = editor.get("/conversations", params={"since": "12/11/2026", "sort": "best"})
    assert page.status_code == 400
    assert 'href="#since"' in page.text and 'href="#sort"' in page.text
    swapped = {"since": "2026-11-20", "until": "2026-11-10"}
    page = editor.get("/conversations", params=swapped)
    assert page.status_code == 400 and "end date" in page.text
    assert found(editor, **swapped)["total"] == 0  # the API just finds nothing between them
    assert editor.get("/api/v1/conversations", params={"since": "0"}).status_code == 422
    assert found(editor, q="nhs\x00")["total"] == found(editor, q="nhs")["total"]  # and audited
    assert editor.get("/api/v1/conversations", params={"page": 0}).status_code == 422
    assert editor.get("/api/v1/conversations", params={"until": "9999-12-31"}).status_code == 200


# ---- untrusted text -----------------------------------------------------------------


def test_the_hostile_post_is_shown_as_text(sample: sa.Engine, editor: TestClient) -> None:
    for page in (
        editor.get("/conversations", params={"q": "xss"}),
        editor.get(f"/posts/{post_id(sample, HOSTILE_POST)}"),
    ):
        assert page.status_code == 200
        assert "&lt;script&gt;alert(" in page.text
        assert "<script>alert" not in page.text and "<img src=x" not in page.text


def test_only_http_links_to_originals_and_bidi_is_made_visible(viewer: TestClient) -> None:
    page = viewer.get("/conversations", params={"q": "zzjsurl OR zzformula"})
    assert page.status_code == 200
    assert "javascript:" not in page.text
    assert page.text.count("Open the original") == 4  # the four with real links
    assert 'rel="noopener noreferrer"' in page.text
    assert "[U+202E]" in page.text and "\u202e" not in page.text
    assert 'dir="auto"' in page.text and "<bdi>" in page.text
    (post,) = found(viewer, q="zzjsurl")["items"]
    assert post["url"] is None


# ---- the thread view ----------------------------------------------------------------


def test_the_thread_view_nests_replies_and_marks_the_post(
    sample: sa.Engine, admin: TestClient
) -> None:
    reply = post_id(sample, "x:2123781384314808841")
    page = admin.get(f"/posts/{reply}")
    assert page.status_code == 200
    assert page.text.count('<ul class="app-thread">') == 4  # the list and three levels down
    assert f'<div class="app-thread__current" id="post-{reply}">' in page.text
    thread = admin.get(f"/api/v1/posts/{reply}").json()
    assert thread["post"]["id"] == reply
    assert [i["depth"] for i in thread["thread"]] == [0, 1, 2, 3]
    assert [i["parent"] for i in thread["thread"]] == [None, 0, 1, 2]
    assert [i["current"] for i in thread["thread"]] == [False, False, False, True]


def test_a_thread_hides_posts_of_departments_you_cannot_see(
    sample: sa.Engine, viewer: TestClient
) -> None:
    top = post_id(sample, "x:9101")
    thread = viewer.get(f"/api/v1/posts/{top}").json()["thread"]
    shown = [i["post"]["text"] if i["post"] else None for i in thread]
    assert shown == ["zzthread: the rail timetable", None, "zzthread context reply"]
    page = viewer.get(f"/posts/{top}")
    assert "This post is not available" in page.text and "secret" not in page.text


def test_a_post_you_cannot_see_is_not_found(sample: sa.Engine, viewer: TestClient) -> None:
    theirs = post_id(sample, HOSTILE_POST)  # dhsc only
    assert viewer.get(f"/posts/{theirs}").status_code == 404
    assert viewer.get(f"/api/v1/posts/{theirs}").status_code == 404
    assert viewer.get(f"/posts/{post_id(sample, 'x:9103')}").status_code == 404  # no department
    assert viewer.get("/api/v1/posts/2147483647").status_code == 404
    assert not found(viewer, q="xss")["items"]


# ---- exports ------------------------------------------------------------------------


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_export_neutralises_formulas(viewer: TestClient) -> None:
    response = viewer.get("/conversations/export.csv", params={"q": "zzformula"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = _csv(response)
    assert sorted(r["text"][:2] for r in rows) == ["'+", "'-", "'=", "'@"]
    assert {r["author_name"][:2] for r in rows} == {"'="}


def test_exports_hold_the_whole_result_set_and_only_yours(
    admin: TestClient, viewer: TestClient
) -> None:
    everyone = _csv(admin.get("/conversations/export.csv"))
    assert len(everyone) == found(admin)["total"] > 500  # more than one chunk from the store
    dft = _csv(viewer.get("/conversations/export.csv", params={"q": "nhs OR xss OR zzthread"}))
    assert dft and all("dft" in r["departments"].split(";") for r in dft)
    assert HOSTILE_POST.split(":")[1] not in {r["native_id"] for r in dft}


def test_the_json_lines_export_carries_the_clis_records(editor: TestClient) -> None:
    response = editor.get(
        "/conversations/export.jsonl", params={"q": "nhs", "sentiment": "negative"}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    records = [json.loads(line) for line in response.text.splitlines()]
    assert len(records) == found(editor, q="nhs", sentiment="negative")["total"] > 0
    assert {"platform", "native_id", "url", "author", "created_at", "text", "metrics",
            "sentiment", "lang", "departments"} <= set(records[0])  # fmt: skip
    assert all(r["sentiment"]["label"] == "negative" for r in records)


def test_searches_and_exports_are_audited(sample: sa.Engine, viewer: TestClient) -> None:
    query = f"rail zz{uuid.uuid4().hex[:8]}"
    viewer.get("/conversations", params={"q": query, "sentiment": "negative"})
    viewer.get("/conversations/export.csv", params={"q": query})
    with sample.connect() as conn:
        mine = [e for e in audit.entries(conn, limit=50) if e.target == query]
    assert {e.action for e in mine} == {"search", "export"}
    assert all(e.actor == People.viewer for e in mine)
    search = next(e for e in mine if e.action == "search")
    assert search.detail["sentiment"] == "negative"


# ---- signed out ---------------------------------------------------------------------


def test_signed_out_the_api_says_401_and_pages_go_to_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as anonymous:
        for path in ("/api/v1/conversations", "/api/v1/posts/1"):
            assert anonymous.get(path).status_code == 401
        for path in ("/conversations", "/posts/1", "/conversations/export.csv"):
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/sign-in")


def test_an_api_token_can_search(app, sample: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    auth = app.state.web.auth
    with sample.connect() as conn:
        user = conn.execute(
            sa.text("SELECT id FROM users WHERE email = :e"), {"e": People.viewer}
        ).scalar_one()
    token = auth.new_token(user, f"test {uuid.uuid4().hex[:6]}")
    with TestClient(app) as client:
        response = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert all("dft" in p["departments"] for p in response.json()["items"])

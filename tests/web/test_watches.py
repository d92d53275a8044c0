"""Watches: editors change their departments' watches, viewers only read, config import keeps them."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener import jobs
from listener.configfile import load_config
from listener.store import audit
from listener.store.departments import active_watches, department_id
from tests.conftest import EXAMPLE_CONFIG
from tests.web.conftest import People, sign_in


def _active(engine: sa.Engine, slug: str) -> set[tuple[str, str, str]]:
    with engine.connect() as conn:
        dept = department_id(conn, slug)
        return {
            (w.kind, w.platform, w.value) for w in active_watches(conn) if w.department_id == dept
        }


def _watch_id(page: str, label_value: str) -> int:
    """The id of the row showing `label_value` in the watches page."""
    for match in re.finditer(
        r'<tr class="govuk-table__row" id="watch-(\d+)">(.*?)</tr>', page, re.S
    ):
        if f"<bdi>{html.escape(label_value)}</bdi>" in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"{label_value} not listed")


def test_an_editor_adds_a_hashtag_and_sees_it_listed_and_audited_with_who(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.editor)
    response = client.post(
        "/departments/dhsc/watches",
        data={"csrf_token": csrf, "kind": "hashtag", "value": "Dentists"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Watch added." in page.text
    watch_id = _watch_id(page.text, "#Dentists")
    assert "Recent changes" in page.text and People.editor in page.text
    assert ("hashtag", "", "#Dentists") in _active(web_engine, "dhsc")
    with web_engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
        assert audit.verify(conn)[1] is None
    assert (entry.actor, entry.action, entry.target) == (
        People.editor,
        "watch.add",
        "hashtag #Dentists",
    )
    assert entry.detail["after"]["value"] == "#Dentists" and entry.detail["watch_id"] == watch_id
    listed = client.get("/api/v1/departments/dhsc/watches").json()
    assert {"id": watch_id, "origin": "web", "status": "active"}.items() <= next(
        w for w in listed if w["id"] == watch_id
    ).items()


def test_a_malformed_query_shows_an_error_summary_naming_where(client: TestClient) -> None:
    csrf = sign_in(client, People.editor)
    response = client.post(
        "/departments/dhsc/watches",
        data={"csrf_token": csrf, "kind": "query", "value": "(nurses OR strike"},
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and 'href="#value"' in response.text
    assert "column 1" in response.text  # the ( that is never closed
    assert 'value="(nurses OR strike"' in response.text  # what they typed is kept
    api = client.post(
        "/api/v1/departments/dhsc/watches",
        json={"kind": "account", "platform": "x", "value": "@far_too_long_for_x"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and "Malformed X account" in api.json()["detail"]


def test_the_web_accepts_what_the_config_accepts_and_no_more(client: TestClient) -> None:
    csrf = sign_in(client, People.admin)
    headers = {"X-CSRF-Token": csrf}
    cases = [
        ({"kind": "account", "platform": "bluesky", "value": "@name.bsky.social"}, 201),
        ({"kind": "account", "platform": "", "value": "someone"}, 422),
        ({"kind": "feed", "value": "javascript:alert(1)"}, 422),
        ({"kind": "keyword", "value": "!!!"}, 422),
        ({"kind": "keyword", "value": "bed\x00blocking"}, 422),
        ({"kind": "hashtag", "value": "#NHS"}, 409),  # already watched, from the config
    ]
    for body, status in cases:
        response = client.post("/api/v1/departments/dhsc/watches", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
    assert response.json()["detail"] == "This department already watches hashtag #NHS (active)"


def test_viewers_cannot_change_watches_and_editors_cannot_see_other_departments(
    client: TestClient,
) -> None:
    csrf = sign_in(client, People.viewer)
    page = client.get("/departments/dft/watches")
    assert page.status_code == 200 and "#HS2" in page.text and "Add a watch" not in page.text
    response = client.post(
        "/departments/dft/watches", data={"csrf_token": csrf, "kind": "hashtag", "value": "x"}
    )
    assert response.status_code == 403
    api = client.post(
        "/api/v1/departments/dft/watches",
        json={"kind": "hashtag", "value": "x"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 403
    sign_in(client, People.editor)
    assert client.get("/departments/dft/watches").status_code == 404
    assert client.get("/api/v1/departments/dft/watches").status_code == 404
    dft_watch = next(w for w in client.get("/api/v1/departments/dhsc/watches").json())
    # A dhsc watch's id, tried under a department the editor cannot see, is still a 404.
    assert client.get(f"/departments/dft/watches/{dft_watch['id']}/edit").status_code == 404


def test_pause_resume_edit_and_remove_take_effect_for_collection(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.editor)
    page = client.get("/departments/dhsc/watches").text
    nhs = _watch_id(page, "#NHS")
    base = f"/departments/dhsc/watches/{nhs}"
    client.post(f"{base}/pause", data={"csrf_token": csrf})
    assert ("hashtag", "", "#NHS") not in _active(web_engine, "dhsc")
    client.post(f"{base}/resume", data={"csrf_token": csrf})
    assert ("hashtag", "", "#NHS") in _active(web_engine, "dhsc")
    confirm = client.get(f"{base}/remove")
    assert "Are you sure you want to stop watching" in confirm.text
    client.post(f"{base}/remove", data={"csrf_token": csrf})
    assert ("hashtag", "", "#NHS") not in _active(web_engine, "dhsc")
    assert client.get(f"{base}/edit").status_code == 404  # removed: gone from the page too

    dentist = _watch_id(page, "GP appointment")
    response = client.post(
        f"/departments/dhsc/watches/{dentist}/edit",
        data={"csrf_token": csrf, "value": "GP surgery"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    active = _active(web_engine, "dhsc")
    assert ("keyword", "", "GP surgery") in active and (
        "keyword",
        "",
        "GP appointment",
    ) not in active
    with web_engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn, limit=5)]
        assert audit.verify(conn)[1] is None
    assert actions[:4] == ["watch.edit", "watch.remove", "watch.resume", "watch.pause"]


def test_config_import_keeps_web_added_and_web_changed_watches(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.editor)
    headers = {"X-CSRF-Token": csrf}
    added = client.post(
        "/api/v1/departments/dhsc/watches",
        json={"kind": "feed", "value": "https://example.org/feed.xml"},
        headers=headers,
    )
    assert added.status_code == 201
    listed = client.get("/api/v1/departments/dhsc/watches").json()
    nhs = next(w for w in listed if w["value"] == "#NHS")
    social = next(w for w in listed if w["value"] == "#SocialCare")
    paused = client.patch(
        f"/api/v1/departments/dhsc/watches/{nhs['id']}", json={"status": "paused"}, headers=headers
    )
    assert paused.json()["status"] == "paused"
    removed = client.delete(f"/api/v1/departments/dhsc/watches/{social['id']}", headers=headers)
    assert removed.status_code == 204

    report = jobs.sync_config(web_engine, load_config(EXAMPLE_CONFIG))
    assert report.empty  # nothing the web app did is undone, nothing web-added is removed
    active = _active(web_engine, "dhsc")
    assert ("feed", "", "https://example.org/feed.xml") in active
    assert ("hashtag", "", "#NHS") not in active and ("hashtag", "", "#SocialCare") not in active
    assert ("hashtag", "", "#JuniorDoctors") in active  # config watches still config-managed


def test_api_writes_with_a_cookie_need_the_csrf_header(client: TestClient) -> None:
    sign_in(client, People.editor)
    response = client.post(
        "/api/v1/departments/dhsc/watches", json={"kind": "hashtag", "value": "Dentists"}
    )
    assert response.status_code == 403

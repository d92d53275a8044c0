"""Admin: accounts and roles, every API token, the audit log and its chain; admins only."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener.store import audit
from listener.store import users as store_users
from tests.web.conftest import PASSWORD, People, sign_in

NEW = "analyst@dhsc.example.gov.uk"
NEW_PASSWORD = "a long enough password"


def _user_id(engine: sa.Engine, email: str) -> int:
    with engine.connect() as conn:
        account = store_users.by_email(conn, email)
    assert account is not None
    return account.id


@pytest.mark.parametrize("who", [People.editor, People.viewer])
def test_admin_pages_refuse_everyone_but_admins(client: TestClient, who: str) -> None:
    csrf = sign_in(client, who)
    for path in ("/admin", "/admin/audit", "/admin/users/1"):
        assert client.get(path).status_code == 403, path
    for path in ("/api/v1/admin/users", "/api/v1/admin/tokens", "/api/v1/admin/audit"):
        assert client.get(path).status_code == 403, path
    response = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "email": NEW, "role": "admin", "password": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert "Admin" not in re.findall(
        r'govuk-service-navigation__link"[^>]*>\s*([^<]+)', client.get("/").text
    )


def test_an_admin_adds_an_account_who_can_then_sign_in_and_see_their_department(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.admin)
    short = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "email": NEW, "role": "viewer", "password": "too short"},
    )
    assert short.status_code == 400 and "at least 12 characters" in short.text
    assert "at least one department" in short.text  # a viewer needs a department
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "email": NEW,
            "role": "viewer",
            "departments": ["dhsc"],
            "password": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    listed = client.get(response.headers["location"]).text
    assert NEW in listed and "Account added." in listed
    again = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "email": NEW, "role": "admin", "password": NEW_PASSWORD},
    )
    assert again.status_code == 400 and "already has an account" in again.text
    with web_engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
    assert (entry.actor, entry.action, entry.target) == (People.admin, "user.create", NEW)
    sign_in(client, NEW, NEW_PASSWORD)
    assert [d["slug"] for d in client.get("/api/v1/me").json()["departments"]] == ["dhsc"]


def test_changing_a_role_and_departments_and_deactivating(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.admin)
    viewer = _user_id(web_engine, People.viewer)
    response = client.post(
        f"/admin/users/{viewer}",
        data={"csrf_token": csrf, "role": "editor", "departments": ["dft", "dfe"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = next(u for u in client.get("/api/v1/admin/users").json() if u["id"] == viewer)
    assert (shown["role"], shown["departments"]) == ("editor", ["dfe", "dft"])
    response = client.post(
        f"/admin/users/{viewer}/deactivate", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    other = TestClient(client.app)
    with pytest.raises(AssertionError):
        sign_in(other, People.viewer, PASSWORD)
    me = _user_id(web_engine, People.admin)
    refused = client.post(f"/admin/users/{me}/deactivate", data={"csrf_token": csrf})
    assert refused.status_code == 400
    demoted = client.post(
        f"/admin/users/{me}", data={"csrf_token": csrf, "role": "viewer", "departments": ["dft"]}
    )
    assert demoted.status_code == 400 and "your own admin role" in demoted.text


def test_admins_see_and_revoke_anyones_tokens(client: TestClient, web_engine: sa.Engine) -> None:
    editor = _user_id(web_engine, People.editor)
    token = client.app.state.web.auth.new_token(editor, "weekly script")  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    csrf = sign_in(client, People.admin)
    page = client.get("/admin").text
    assert "weekly script" in page and People.editor in page
    listed = client.get("/api/v1/admin/tokens").json()
    assert [(t["owner"], t["name"]) for t in listed] == [(People.editor, "weekly script")]
    client.post(f"/admin/tokens/{listed[0]['id']}/revoke", data={"csrf_token": csrf})
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    revoked = client.delete(
        f"/api/v1/admin/tokens/{listed[0]['id']}", headers={"X-CSRF-Token": csrf}
    )
    assert revoked.status_code == 404  # already revoked


def test_the_audit_log_filters_pages_and_verifies_its_chain(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.editor)
    for tag in ("One", "Two", "Three"):
        client.post(
            "/departments/dhsc/watches",
            data={"csrf_token": csrf, "kind": "hashtag", "value": tag},
        )
    sign_in(client, People.admin)
    page = client.get("/admin/audit?action=watch&department=dhsc").text
    assert "hash chain is intact" in page
    assert page.index("hashtag #Three") < page.index("hashtag #One")  # newest first
    assert "sign_in" not in re.sub(r'<form method="get".*?</form>', "", page, flags=re.S)
    api = client.get("/api/v1/admin/audit", params={"action": "watch.add"}).json()
    assert [e["target"] for e in api["entries"]] == [
        "hashtag #Three",
        "hashtag #Two",
        "hashtag #One",
    ]
    assert api["entries"][0]["actor"] == People.editor and api["chain"]["broken_at"] is None
    assert client.get("/api/v1/admin/audit", params={"department": "nope"}).status_code == 404
    with web_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_log SET actor = 'someone else' WHERE action = 'watch.add'")
        )
    assert "has been altered" in client.get("/admin/audit").text
    assert client.get("/api/v1/admin/audit").json()["chain"]["broken_at"] is not None


def test_the_api_adds_and_changes_accounts(client: TestClient, web_engine: sa.Engine) -> None:
    csrf = sign_in(client, People.admin)
    headers = {"X-CSRF-Token": csrf}
    body = {"email": NEW, "role": "editor", "departments": ["dhsc"]}
    created = client.post("/api/v1/admin/users", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["has_password"] is False
    assert client.post("/api/v1/admin/users", json=body, headers=headers).status_code == 409
    bad = client.post(
        "/api/v1/admin/users", json={**body, "email": "nope", "role": "viewer"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("email:")
    changed = client.patch(
        f"/api/v1/admin/users/{created.json()['id']}",
        json={"departments": ["dft"], "active": False},
        headers=headers,
    )
    assert changed.json()["departments"] == ["dft"] and changed.json()["active"] is False

"""Admin data protection: subject export and erasure, the suppression list, X's approval, retention."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener import approvals
from listener.models import utcnow
from listener.store import audit
from listener.store import users as store_users
from tests.conftest import make_post
from tests.store.dataprotection import found, ids, store
from tests.web.conftest import People, sign_in

KEY = "a-long-random-secret-for-web-tests-only"
SUBJECT = {"platform": "x", "handle": "@Alice", "reference": "DSAR-2026-017",
           "requester": "Information rights team"}  # fmt: skip
ALICE = (
    make_post("10", "Junior doctors walkout is right #NHS"),
    make_post("11", "Waiting lists are a scandal #NHS"),
)
BOB = make_post("12", "#NHS waiting list figures are out today", handle="bob")


def _posts(engine: sa.Engine) -> None:
    """Alice's two posts and Bob's one, all in dhsc (the example config watches #NHS)."""
    totals = store(engine, *ALICE, BOB)
    assert totals.new == 3 and totals.per_department == {"dhsc": 3}


def _actions(engine: sa.Engine, prefix: str) -> list[audit.Entry]:
    with engine.connect() as conn:
        return [e for e in audit.entries(conn, limit=100) if e.action.startswith(prefix)]


def _bearer(client: TestClient, engine: sa.Engine, email: str) -> dict[str, str]:
    with engine.connect() as conn:
        account = store_users.by_email(conn, email)
    assert account is not None
    token = client.app.state.web.auth.new_token(account.id, "dpo script")  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def _erase(client: TestClient, csrf: str, **extra: str) -> str:
    response = client.post("/admin/rights/erase", data={"csrf_token": csrf, **SUBJECT, **extra})
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("who", [People.editor, People.viewer])
def test_rights_pages_refuse_everyone_but_admins(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    _posts(web_engine)
    csrf = sign_in(client, who)
    for path in ("/admin/rights", "/admin/approvals", "/admin/retention",
                 "/api/v1/admin/suppressions", "/api/v1/admin/approvals/x"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    for path in ("/admin/rights/export", "/admin/rights/erase/confirm", "/admin/approvals/x"):
        data = {"csrf_token": csrf, **SUBJECT, "confirm": "yes"}
        assert client.post(path, data=data).status_code == 403, path
    headers = _bearer(client, web_engine, who)
    erase = client.post(
        "/api/v1/admin/subjects/erase", json={**SUBJECT, "confirm": True}, headers=headers
    )
    assert erase.status_code == 403
    assert set(ids(web_engine)) == {"10", "11", "12"}
    assert _actions(web_engine, "subject") == []


def test_export_downloads_the_authors_posts_as_json_audited_once(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    _posts(web_engine)
    csrf = sign_in(client, People.admin)
    assert "/admin/rights" in client.get("/admin").text

    response = client.post("/admin/rights/export", data={"csrf_token": csrf, **SUBJECT})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="subject-x-DSAR-2026-017.json"'
    data = json.loads(response.content)
    assert [p["native_id"] for p in data["posts"]] == ["10", "11"]  # not bob's
    assert data["posts"][0]["text"] == ALICE[0].text
    assert data["posts"][0]["departments"] == ["dhsc"]
    assert [a["handle"] for a in data["accounts"]] == ["alice"]
    [entry] = _actions(web_engine, "subject")
    assert (entry.actor, entry.action, entry.target) == (
        People.admin,
        "subject.export",
        "DSAR-2026-017",
    )
    assert entry.detail["requester"] == "Information rights team" and entry.detail["posts"] == 2
    assert "alice" not in json.dumps(entry.detail).lower()  # the subject only as a salted hash
    assert set(ids(web_engine)) == {"10", "11", "12"}  # an export changes nothing


def test_erasure_needs_confirming_then_removes_the_author_and_keeps_them_out(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    _posts(web_engine)
    csrf = sign_in(client, People.admin)
    step = client.post("/admin/rights/erase/confirm", data={"csrf_token": csrf, **SUBJECT})
    assert step.status_code == 200
    assert "2 posts by this account" in step.text and "1 account record" in step.text
    assert "suppression list" in step.text and 'name="confirm"' in step.text

    unconfirmed = client.post("/admin/rights/erase", data={"csrf_token": csrf, **SUBJECT})

    assert unconfirmed.status_code == 400 and "There is a problem" in unconfirmed.text
    assert 'href="#confirm"' in unconfirmed.text
    assert found(web_engine, "walkout") == {"10"} and _actions(web_engine, "subject") == []

    report = _erase(client, csrf, confirm="yes")

    assert "Account erased" in report
    assert re.search(r"Posts by the account\s*</dt>\s*<dd[^>]*>\s*2\s*</dd>", report)
    assert found(web_engine, "walkout") == set() and found(web_engine, "#NHS") == {"12"}
    [entry] = _actions(web_engine, "subject")
    assert (entry.actor, entry.action, entry.target) == (
        People.admin,
        "subject.erase",
        "DSAR-2026-017",
    )
    listed = client.get("/admin/rights").text
    assert "DSAR-2026-017" in listed and "/admin/rights/suppressions/1/lift" in listed

    again = store(web_engine, *ALICE, BOB)  # as a collector or an import stores a page

    assert again.suppressed == 2 and again.new == 0
    assert set(ids(web_engine)) == {"12"}


def test_without_a_secret_key_requests_are_refused_with_a_clear_error(
    client: TestClient, web_engine: sa.Engine
) -> None:
    _posts(web_engine)
    csrf = sign_in(client, People.admin)
    for path in ("/admin/rights/export", "/admin/rights/erase/confirm", "/admin/rights/erase"):
        response = client.post(path, data={"csrf_token": csrf, **SUBJECT, "confirm": "yes"})
        assert response.status_code == 400, path
        assert "There is a problem" in response.text
        assert "LISTENER_SECRET_KEY is not set" in response.text
    api = client.post(
        "/api/v1/admin/subjects/export",
        json=SUBJECT,
        headers=_bearer(client, web_engine, People.admin),
    )
    assert api.status_code == 400 and "LISTENER_SECRET_KEY" in api.json()["detail"]
    assert set(ids(web_engine)) == {"10", "11", "12"}


def test_a_request_with_missing_fields_shows_them_on_the_form(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    csrf = sign_in(client, People.admin)
    blank = {"platform": "", "handle": "@", "reference": " ", "requester": "DPO\x00"}

    response = client.post("/admin/rights/export", data={"csrf_token": csrf, **blank})

    assert response.status_code == 400
    for field in ("platform", "handle", "reference", "requester"):
        assert f'href="#export-{field}"' in response.text, field
    assert "Remove the control character at position 4" in response.text


def test_lifting_a_suppression_needs_a_reference_and_is_audited(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    _posts(web_engine)
    csrf = sign_in(client, People.admin)
    _erase(client, csrf, confirm="yes")
    assert "Are you sure" in client.get("/admin/rights/suppressions/1/lift").text

    refused = client.post("/admin/rights/suppressions/1/lift", data={"csrf_token": csrf})
    assert refused.status_code == 400 and 'href="#reference"' in refused.text
    lifted = client.post(
        "/admin/rights/suppressions/1/lift",
        data={"csrf_token": csrf, "reference": "DSAR-2026-031"},
        follow_redirects=False,
    )

    assert lifted.status_code == 303
    assert "No account is on the suppression list" in client.get(lifted.headers["location"]).text
    entry = _actions(web_engine, "subject")[0]
    assert (entry.action, entry.target) == ("subject.unsuppress", "DSAR-2026-031")
    assert store(web_engine, *ALICE).new == 2  # collected again
    assert client.get("/admin/rights/suppressions/1/lift").status_code == 404


def test_an_approval_recorded_on_the_page_is_the_one_collection_reads(
    client: TestClient, web_engine: sa.Engine
) -> None:
    csrf = sign_in(client, People.admin)
    assert "Not approved" in client.get("/admin/approvals").text
    empty = client.post("/admin/approvals/x", data={"csrf_token": csrf, "reference": " "})
    assert empty.status_code == 400 and 'href="#x-reference"' in empty.text

    response = client.post(
        "/admin/approvals/x", data={"csrf_token": csrf, "reference": "X-GOV-2026-0042"}
    )

    assert response.status_code == 200 and "Approval recorded" in response.text
    recorded = approvals.recorded_approval(web_engine, "x")
    assert recorded is not None
    assert (recorded.reference, recorded.recorded_by) == ("X-GOV-2026-0042", People.admin)
    [entry] = _actions(web_engine, "source")
    assert (entry.actor, entry.action, entry.target) == (People.admin, "source.approve", "x")
    assert entry.detail == {"reference": "X-GOV-2026-0042"}
    assert "Are you sure" in client.get("/admin/approvals/x/withdraw").text
    withdrawn = client.post("/admin/approvals/x/withdraw", data={"csrf_token": csrf})
    assert "Recorded approval withdrawn" in withdrawn.text
    assert approvals.recorded_approval(web_engine, "x") is None
    assert _actions(web_engine, "source")[0].action == "source.withdraw"
    assert (
        client.post("/admin/approvals/rss", data={"csrf_token": csrf, "reference": "r"}).status_code
        == 404
    )


def test_the_api_twins_work_with_a_bearer_token(
    client: TestClient, web_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY)
    _posts(web_engine)
    headers = _bearer(client, web_engine, People.admin)
    api = "/api/v1/admin"

    exported = client.post(f"{api}/subjects/export", json=SUBJECT, headers=headers)
    assert exported.status_code == 200
    assert [p["native_id"] for p in exported.json()["posts"]] == ["10", "11"]
    unconfirmed = client.post(f"{api}/subjects/erase", json=SUBJECT, headers=headers)
    assert unconfirmed.status_code == 422 and unconfirmed.json()["detail"].startswith("confirm:")
    erased = client.post(
        f"{api}/subjects/erase", json={**SUBJECT, "confirm": True}, headers=headers
    )
    assert erased.status_code == 200
    counts = {k: v for k, v in erased.json().items() if k != "suppressed"}
    assert counts == {"posts": 2, "reposts": 0, "accounts": 1, "digests": 0}
    assert found(web_engine, "walkout") == set()
    [entry] = client.get(f"{api}/suppressions", headers=headers).json()
    assert (entry["platform"], entry["reference"], entry["current_key"]) == (
        "x",
        "DSAR-2026-017",
        True,
    )
    no_reference = client.delete(f"{api}/suppressions/{entry['id']}", headers=headers)
    assert no_reference.status_code == 422 and isinstance(no_reference.json()["detail"], str)
    lifted = client.delete(
        f"{api}/suppressions/{entry['id']}", params={"reference": "DSAR-2026-031"}, headers=headers
    )
    assert (
        lifted.status_code == 204
        and client.get(f"{api}/suppressions", headers=headers).json() == []
    )

    put = client.put(f"{api}/approvals/x", json={"reference": "X-GOV-2026-0042"}, headers=headers)
    assert put.status_code == 200 and put.json()["recorded"]["reference"] == "X-GOV-2026-0042"
    assert client.get(f"{api}/approvals/x", headers=headers).json()["approved"] is True
    assert client.delete(f"{api}/approvals/x", headers=headers).status_code == 204
    assert client.delete(f"{api}/approvals/x", headers=headers).status_code == 404
    assert client.get(f"{api}/approvals/rss", headers=headers).status_code == 404
    assert approvals.recorded_approval(web_engine, "x") is None


def test_retention_preview_lists_what_would_go_per_department_and_platform(
    client: TestClient, web_engine: sa.Engine
) -> None:
    old = make_post("20", "Old news #NHS", created_at=utcnow() - timedelta(days=800))
    store(web_engine, old, BOB)
    sign_in(client, People.admin)

    page = client.get("/admin/retention")

    assert page.status_code == 200
    row = re.search(r"<td[^>]*>dhsc</td>\s*<td[^>]*>x</td>\s*<td[^>]*>13 months</td>", page.text)
    assert row, page.text
    preview = client.get("/api/v1/admin/retention").json()
    assert [(r["department"], r["platform"], r["posts"]) for r in preview["rows"]] == [
        ("dhsc", "x", 1)
    ]
    assert preview["posts_deleted"] == 1
    assert set(ids(web_engine)) == {"20", "12"}  # a preview deletes nothing

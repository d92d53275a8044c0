"""The digest archive: listing, the email as sent, its images, and sending yourself a copy."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from pydantic import SecretStr

from listener.digest.render import render
from listener.settings import Settings
from listener.store import audit, deliveries
from listener.web.app import create_app
from tests.conftest import EXAMPLE_CONFIG
from tests.digest.conftest import RecordingHandler, SmtpServer, free_port
from tests.web.conftest import People, form_token, sign_in
from tests.web.test_overview import PNG, Sample, open_sample

HOSTILE = "<script>alert('xss')</script>"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    yield from open_sample(request, tmp_path_factory.mktemp("web-sample"))


@pytest.fixture
def web(sample: Sample) -> Iterator[TestClient]:
    settings = Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("test-secret-key"))
    with TestClient(create_app(settings, engine=sample.engine)) as client:
        yield client


@pytest.fixture
def mail_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 that accepts and records everything."""
    handler = RecordingHandler()
    server = SmtpServer(handler, free_port())
    server.controller = Controller(handler, hostname="127.0.0.1", port=server.port)
    server.controller.start()
    yield server
    server.controller.stop()


def _id(sample: Sample, slug: str, week: str) -> int:
    return sample.digests[(slug, week)][0]


def test_the_archive_lists_only_the_users_departments(web: TestClient, sample: Sample) -> None:
    sign_in(web, People.editor)  # dhsc only
    mine = {_id(sample, "dhsc", "2026-W46"), _id(sample, "dhsc", "2026-W47")}
    listed = web.get("/api/v1/digests").json()
    assert {d["id"] for d in listed} == mine
    assert [d["week"] for d in listed] == ["2026-W47", "2026-W46"]  # newest week first
    assert {d["department_name"] for d in listed} == {"Department of Health and Social Care"}
    html = web.get("/digests").text
    assert all(f'href="/digests/{n}"' in html for n in mine)
    assert f'href="/digests/{_id(sample, "dft", "2026-W47")}"' not in html
    assert web.get("/digests?department=dft").status_code == 404
    assert web.get("/api/v1/digests?department=dft").status_code == 404


def test_the_archive_filters_by_department_and_week(web: TestClient, sample: Sample) -> None:
    sign_in(web, People.admin)
    assert [d["id"] for d in web.get("/api/v1/digests?department=dft").json()] == [
        _id(sample, "dft", "2026-W47")
    ]
    week = web.get("/api/v1/digests?week=2026-W46").json()
    assert [d["id"] for d in week] == [_id(sample, "dhsc", "2026-W46")]
    html = web.get("/digests?department=dhsc&week=2026-W47").text
    assert f'href="/digests/{_id(sample, "dhsc", "2026-W47")}"' in html
    assert f'href="/digests/{_id(sample, "dft", "2026-W47")}"' not in html
    bad = web.get("/digests?week=week 47")
    assert bad.status_code == 400 and "Enter a week in the form 2026-W47" in bad.text
    assert 'href="#week"' in bad.text  # the error summary links to the field
    assert web.get("/api/v1/digests?week=47").status_code == 400


def test_a_digest_page_offers_the_email_as_sent_and_a_copy(web: TestClient, sample: Sample) -> None:
    sign_in(web, People.editor)
    digest_id, context = sample.digests[("dhsc", "2026-W46")]
    html = web.get(f"/digests/{digest_id}").text
    assert f'href="/digests/{digest_id}/email"' in html and "View as sent" in html
    assert f'action="/digests/{digest_id}/send-copy"' in html and form_token(html)
    assert web.get(f"/api/v1/digests/{digest_id}").json() == context.model_dump(mode="json")


def test_the_email_view_is_the_digest_as_sent_with_no_scripts(
    web: TestClient, sample: Sample
) -> None:
    sign_in(web, People.editor)
    digest_id, context = sample.digests[("dhsc", "2026-W46")]
    response = web.get(f"/digests/{digest_id}/email")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp == (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert "script-src" not in csp
    # The hostile post is among the week's most engaged: it shows, as text.
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in response.text
    assert HOSTILE not in response.text and "<img src=x" not in response.text
    assert "cid:" not in response.text
    sources = re.findall(r'<img src="([^"]+)"', response.text)
    rendered = render(context)
    assert len(sources) == len(rendered.images) == 2
    for source in sources:
        assert source.startswith(f"/digests/{digest_id}/images/")
        image = web.get(source)
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(PNG) and image.content in rendered.images.values()
    assert web.get(f"/digests/{digest_id}/images/other.png").status_code == 404


def test_send_me_a_copy_emails_the_user_alone_and_leaves_the_ledger_alone(
    web: TestClient, sample: Sample, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SMTP_URL", mail_server.url())
    sign_in(web, People.editor)
    digest_id, context = sample.digests[("dhsc", "2026-W46")]
    token = form_token(web.get(f"/digests/{digest_id}").text)
    response = web.post(
        f"/digests/{digest_id}/send-copy", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "on its way to editor@dhsc.example.gov.uk" in web.get(response.headers["location"]).text
    assert len(mail_server.handler.received) == 1
    received = mail_server.handler.received[0]
    assert received.rcpt_tos == [People.editor]
    message = received.message
    assert message["To"] == People.editor and message["Subject"] == render(context).subject
    assert message["Message-ID"] and message["Date"]
    body = message.get_body(preferencelist=("html",))
    assert body is not None and "&lt;script&gt;alert(" in body.get_content()
    with sample.engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
        department_id = entry.department_id
        assert deliveries.rows_for(conn, department_id=department_id, week=context.week) == {}
    assert (entry.actor, entry.action, entry.target) == (
        People.editor,
        "digest.copy",
        str(digest_id),
    )


def test_send_a_copy_through_the_api(
    web: TestClient, sample: Sample, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SMTP_URL", mail_server.url())
    csrf = sign_in(web, People.editor)
    digest_id = _id(sample, "dhsc", "2026-W47")
    response = web.post(f"/api/v1/digests/{digest_id}/send-copy", headers={"X-CSRF-Token": csrf})
    assert response.json() == {"digest_id": digest_id, "sent_to": People.editor}
    assert [r.rcpt_tos for r in mail_server.handler.received] == [[People.editor]]


def test_without_a_mail_server_a_copy_says_so(web: TestClient, sample: Sample) -> None:
    csrf = sign_in(web, People.editor)
    digest_id = _id(sample, "dhsc", "2026-W46")
    response = web.post(f"/digests/{digest_id}/send-copy", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "No mail server is set up" in response.text and 'href="#send-copy"' in response.text
    api = web.post(f"/api/v1/digests/{digest_id}/send-copy", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 409 and "LISTENER_SMTP_URL" in api.json()["detail"]


def test_a_copy_the_server_refuses_shows_its_reply(
    web: TestClient, sample: Sample, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SMTP_URL", mail_server.url())
    mail_server.handler.reply(People.editor, "550 5.1.1 No such user")
    csrf = sign_in(web, People.editor)
    digest_id = _id(sample, "dhsc", "2026-W46")
    response = web.post(f"/digests/{digest_id}/send-copy", data={"csrf_token": csrf})
    assert response.status_code == 502
    assert "The mail server did not take the copy: 550 5.1.1 No such user" in response.text
    assert mail_server.handler.received == []


def test_a_copy_needs_the_forms_csrf_token(
    web: TestClient, sample: Sample, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SMTP_URL", mail_server.url())
    sign_in(web, People.editor)
    digest_id = _id(sample, "dhsc", "2026-W46")
    response = web.post(f"/digests/{digest_id}/send-copy", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert web.post(f"/api/v1/digests/{digest_id}/send-copy").status_code == 403
    assert mail_server.handler.received == []


def test_another_departments_digest_is_not_found(
    web: TestClient, sample: Sample, mail_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_SMTP_URL", mail_server.url())
    csrf = sign_in(web, People.viewer)  # dft only
    theirs = _id(sample, "dhsc", "2026-W46")
    for path in (
        f"/digests/{theirs}",
        f"/digests/{theirs}/email",
        f"/digests/{theirs}/images/volume-by-day.png",
        f"/api/v1/digests/{theirs}",
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "dhsc" not in response.text and "Health" not in response.text
    assert web.post(f"/digests/{theirs}/send-copy", data={"csrf_token": csrf}).status_code == 404
    assert mail_server.handler.received == []
    missing = web.get("/api/v1/digests/999999")
    assert missing.status_code == 404
    assert web.get(f"/api/v1/digests/{theirs}").json() == {
        "detail": missing.json()["detail"].replace("999999", str(theirs))
    }
    assert web.get("/api/v1/digests/0").status_code == 422
    assert web.get(f"/api/v1/digests/{2**40}").status_code == 422

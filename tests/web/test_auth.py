"""Signing in and out, sessions, CSRF, throttling, tokens and security headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from listener.store import users
from listener.web.auth import Auth
from tests.web.conftest import PASSWORD, People, form_token, sign_in


def test_pages_need_a_signed_in_user_and_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/account?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account?x=1"
    assert client.get("/api/v1/me").status_code == 401


def test_signing_in_sets_a_session_cookie_with_the_right_flags(client: TestClient) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": People.admin, "password": PASSWORD, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("listener_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; over https the cookie is Secure
    assert client.get("/api/v1/me").json()["email"] == People.admin


def test_over_https_the_session_cookie_is_secure(web_engine: sa.Engine) -> None:
    from pydantic import SecretStr

    from listener.settings import Settings
    from listener.web.app import create_app
    from tests.conftest import EXAMPLE_CONFIG

    app = create_app(Settings(config=EXAMPLE_CONFIG, secret_key=SecretStr("k")), engine=web_engine)
    with TestClient(app, base_url="https://testserver") as secure:
        page = secure.get("/sign-in")
        response = secure.post(
            "/sign-in",
            data={"email": People.admin, "password": PASSWORD, "csrf_token": form_token(page.text)},
            follow_redirects=False,
        )
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"]


def test_each_sign_in_makes_a_new_session_and_signing_out_ends_it(client: TestClient) -> None:
    sign_in(client, People.viewer)
    first = client.cookies.get("listener_session")
    csrf = sign_in(client, People.viewer)
    second = client.cookies.get("listener_session")
    assert first and second and first != second
    response = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("listener_session", second)  # a copied cookie is no use after sign-out
    assert client.get("/api/v1/me").status_code == 401


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client: TestClient) -> None:
    page = client.get("/sign-in")
    for email in (People.admin, "nobody@example.gov.uk"):
        response = client.post(
            "/sign-in",
            data={
                "email": email,
                "password": "wrong password!",
                "csrf_token": form_token(page.text),
            },
        )
        assert response.status_code == 400
        assert "Enter a correct email address and password." in response.text
        assert "govuk-error-summary" in response.text


def test_repeated_failures_are_throttled_even_with_the_right_password(client: TestClient) -> None:
    page = client.get("/sign-in")
    token = form_token(page.text)
    for _ in range(5):
        client.post(
            "/sign-in", data={"email": People.editor, "password": "nope", "csrf_token": token}
        )
    response = client.post(
        "/sign-in", data={"email": People.editor, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429 and "Too many failed attempts" in response.text


def test_a_form_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client, People.admin)
    response = client.post("/account/tokens", data={"name": "script"})
    assert response.status_code == 403
    response = client.post("/account/tokens", data={"name": "script", "csrf_token": "forged"})
    assert response.status_code == 403
    page = client.get("/sign-in")
    client.cookies.delete("listener_sign_in")
    refused = client.post(
        "/sign-in",
        data={"email": People.admin, "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert refused.status_code == 403


def test_api_tokens_work_until_revoked(client: TestClient) -> None:
    csrf = sign_in(client, People.viewer)
    created = client.post("/account/tokens", data={"name": "weekly script", "csrf_token": csrf})
    token = created.text.split('class="app-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("lst_")
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers).json()
    assert me == {
        "email": People.viewer,
        "role": "viewer",
        "departments": [{"slug": "dft", "name": "Department for Transport"}],
    }
    csrf = sign_in(client, People.viewer)
    token_id = client.get("/account").text.split("/account/tokens/", 1)[1].split("/", 1)[0]
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_security_headers_and_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/sign-in")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(client: TestClient, target: str) -> None:
    page = client.get(f"/sign-in?next={target}")
    response = client.post(
        "/sign-in",
        data={
            "email": People.admin,
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_a_token_records_its_last_use_to_the_minute_without_a_write_per_request(
    web_engine: sa.Engine,
) -> None:
    moments = iter(
        datetime(2026, 11, 27, 9, 0, second, tzinfo=UTC) for second in (0, 0, 20, 50, 59)
    )
    auth = Auth(web_engine, secret=b"s" * 32, clock=lambda: next(moments))
    with web_engine.connect() as conn:
        viewer = users.by_email(conn, People.viewer)
    assert viewer is not None
    token = auth.new_token(viewer.id, "script")  # at 9:00:00

    def last_used() -> datetime | None:
        with web_engine.connect() as conn:
            return conn.execute(sa.text("SELECT last_used_at FROM api_tokens")).scalar_one()

    uses = [auth.from_bearer(token) for _ in range(3)]  # at 9:00:00, 9:00:20, 9:00:50
    assert all(use is not None and use.email == People.viewer for use in uses)
    first = last_used()
    assert first is not None and str(first).startswith("2026-11-27 09:00:00")
    auth.clock = lambda: datetime(2026, 11, 27, 9, 1, 5, tzinfo=UTC)
    auth.from_bearer(token)
    assert str(last_used()).startswith("2026-11-27 09:01:05")

"""Single sign-on (OpenID Connect) against a fake provider on 127.0.0.1, on each engine.

The fake provider serves discovery, a key set and a token endpoint that checks the code,
the PKCE verifier, the redirect URI and the client's credentials before answering with an
ID token signed (with `cryptography` directly, not the library under test) by an RSA key
made here. The test plays the person at the provider's sign-in page: it reads state and
nonce from the authorization URL and calls the callback with a code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr

from listener.settings import Settings
from listener.store import audit
from listener.store import users as store_users
from listener.store.db import write_transaction
from listener.web import oidc_tokens
from listener.web.app import create_app
from tests.collectors.fakeserver import FakeServer, Recorded, Reply
from tests.conftest import EXAMPLE_CONFIG
from tests.web.conftest import People

CLIENT_ID = "listener"
CLIENT_SECRET = "s3cret:value/with+odd chars"
BUTTON = "Sign in with your DHSC account"
OIDC_SECTION = """
web:
  oidc:
    issuer: {issuer}
    client_id: listener
    client_secret: LISTENER_OIDC_CLIENT_SECRET
    button_text: {button}
"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The provider's signing key, and a stranger's."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@dataclass
class FakeProvider:
    """An OpenID provider: discovery, JWKS, token endpoint; the test plays its sign-in page."""

    server: FakeServer
    key: rsa.RSAPrivateKey
    kid: str = "k1"
    claims: dict[str, Any] = field(default_factory=dict)  # changes to the next ID token
    sign_with: rsa.RSAPrivateKey | None = None  # another key, for a bad signature
    alg: str = "RS256"
    asked: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> authorization query
    issued: list[str] = field(default_factory=list)  # every ID token handed out

    @property
    def issuer(self) -> str:
        return self.server.url

    def discovery(self, request: Recorded) -> Reply:
        return Reply.json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    def jwks(self, request: Recorded) -> Reply:
        numbers = self.key.public_key().public_numbers()
        n, e = (x.to_bytes((x.bit_length() + 7) // 8, "big") for x in (numbers.n, numbers.e))
        jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64(n),
            "e": b64(e),
        }
        return Reply.json({"keys": [jwk]})

    def authorize(self, location: str) -> str:
        """The provider's sign-in page: check the request, answer with the callback and a code."""
        assert location.startswith(f"{self.issuer}/authorize?"), location
        query = dict(parse_qsl(urlsplit(location).query))
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert set(query["scope"].split()) == {"openid", "email", "profile"}
        assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
        code = secrets.token_urlsafe(16)
        self.asked[code] = query
        callback = urlsplit(query["redirect_uri"])
        return f"{callback.path}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, request: Recorded) -> Reply:
        form = dict(parse_qsl(request.body.decode()))
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        user, _, password = base64.b64decode(credentials).decode().partition(":")
        if scheme != "Basic" or (unquote(user), unquote(password)) != (CLIENT_ID, CLIENT_SECRET):
            return Reply.json({"error": "invalid_client"}, status=401)
        asked = self.asked.pop(form.get("code", ""), None)  # a code works once
        verifier = form.get("code_verifier", "")
        if (
            asked is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != asked["redirect_uri"]
            or b64(hashlib.sha256(verifier.encode()).digest()) != asked["code_challenge"]
        ):
            return Reply.json({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "248289761001",
            "email": People.editor,
            "email_verified": True,
            "nonce": asked["nonce"],
            "iat": now,
            "exp": now + 300,
        }
        claims.update(self.claims)
        id_token = self.sign({k: v for k, v in claims.items() if v is not None})
        self.issued.append(id_token)
        return Reply.json(
            {
                "access_token": "at-1",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": self.alg, "typ": "JWT", "kid": self.kid}
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        if self.alg == "none":
            signature = b""
        elif self.alg == "HS256":  # the old trick: the public key as an HMAC secret
            public = self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        else:
            key = self.sign_with or self.key
            signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64(signature)}"


@pytest.fixture
def provider(keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> Iterator[FakeProvider]:
    server = FakeServer()
    fake = FakeProvider(server, keys[0])
    server.handle("/.well-known/openid-configuration", fake.discovery)
    server.handle("/jwks", fake.jwks)
    server.handle("/token", fake.token)
    server.start()
    oidc_tokens.documents.clear()  # a port reused from an earlier test is a new provider
    try:
        yield fake
    finally:
        server.stop()
    assert not server.errors, server.errors


@pytest.fixture
def sso(
    web_engine: sa.Engine,
    provider: FakeProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    """The web app with web.oidc pointing at the fake provider."""
    monkeypatch.setenv("LISTENER_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    config = tmp_path / "listener.yaml"
    section = OIDC_SECTION.format(issuer=provider.issuer, button=BUTTON)
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + section, encoding="utf-8")
    app = create_app(Settings(config=config, secret_key=SecretStr("k")), engine=web_engine)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def begin(client: TestClient, next_path: str = "/") -> str:
    """Press the button; returns where the browser is sent (the provider's sign-in page)."""
    response = client.get("/sign-in/oidc", params={"next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def come_back(client: TestClient, provider: FakeProvider, **claims: Any) -> Response:
    """A whole sign-in; `claims` change the ID token the provider issues."""
    provider.claims = claims
    return client.get(provider.authorize(begin(client)), follow_redirects=False)


def set_cookies(response: Response) -> dict[str, str]:
    return {
        value.split("=", 1)[0]: value
        for name, value in response.headers.multi_items()
        if name == "set-cookie"
    }


def audit_entries(engine: sa.Engine) -> list[audit.Entry]:
    with engine.connect() as conn:
        return audit.entries(conn)


def signed_in_as(client: TestClient) -> str | None:
    me = client.get("/api/v1/me")
    return str(me.json()["email"]) if me.status_code == 200 else None


# --- the button --------------------------------------------------------------------------


def test_the_button_shows_only_when_single_sign_on_is_configured(
    client: TestClient, sso: TestClient
) -> None:
    plain = client.get("/sign-in")
    assert plain.status_code == 200 and "/sign-in/oidc" not in plain.text
    assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404

    page = sso.get("/sign-in?next=/conversations?q=nhs%26x")
    assert BUTTON in page.text
    assert 'href="/sign-in/oidc?next=/conversations%3Fq%3Dnhs%26x"' in page.text
    assert 'name="password"' in page.text  # password sign-in stays


# --- signing in ---------------------------------------------------------------------------


def test_the_provider_vouching_for_an_existing_user_signs_them_in(
    sso: TestClient, provider: FakeProvider, web_engine: sa.Engine
) -> None:
    location = begin(sso, "/conversations?q=nhs")
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == ["http://testserver/sign-in/oidc/callback"]
    attempt = sso.cookies.get("listener_oidc")
    assert attempt and query["state"][0] not in attempt  # signed and encoded, not plain

    provider.claims = {"email": "Editor@DHSC.example.gov.uk"}  # addresses match in any case
    response = sso.get(provider.authorize(location), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/conversations?q=nhs"
    session = set_cookies(response)["listener_session"]
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Secure" not in session  # plain http here, as for password sign-in
    assert "Max-Age=0" in set_cookies(response)["listener_oidc"]  # used once, then gone
    assert signed_in_as(sso) == People.editor
    assert provider.issued[0] not in response.text + str(response.headers)
    entry = audit_entries(web_engine)[0]
    assert (entry.actor, entry.action, entry.detail) == (
        People.editor,
        "sign_in",
        {"method": "oidc"},
    )


def test_the_attempt_cookie_is_short_lived_http_only_and_lax(sso: TestClient) -> None:
    response = sso.get("/sign-in/oidc", follow_redirects=False)
    cookie = set_cookies(response)["listener_oidc"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/sign-in/oidc" in cookie and "Max-Age=600" in cookie
    assert "Secure" not in cookie
    with TestClient(sso.app, base_url="https://testserver") as secure:
        response = secure.get("/sign-in/oidc", follow_redirects=False)
    assert "Secure" in set_cookies(response)["listener_oidc"]


def test_next_cannot_send_people_to_another_site(sso: TestClient, provider: FakeProvider) -> None:
    provider.claims = {}
    location = begin(sso, "//evil.example/steal")
    response = sso.get(provider.authorize(location), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_a_code_and_its_callback_work_once(sso: TestClient, provider: FakeProvider) -> None:
    callback = provider.authorize(begin(sso))
    assert sso.get(callback, follow_redirects=False).status_code == 303
    sso.cookies.clear()
    again = sso.get(callback, follow_redirects=False)
    assert again.status_code == 400 and "did not start in this browser" in again.text
    assert signed_in_as(sso) is None


# --- refusals -----------------------------------------------------------------------------


def test_an_email_without_a_listener_account_is_refused_and_audited(
    sso: TestClient, provider: FakeProvider, web_engine: sa.Engine
) -> None:
    response = come_back(sso, provider, email="stranger@example.gov.uk")

    assert response.status_code == 403
    assert "There is no listener account for stranger@example.gov.uk" in response.text
    assert "govuk-error-summary" in response.text and 'href="#oidc"' in response.text
    assert "listener_session" not in set_cookies(response)
    assert signed_in_as(sso) is None
    entry = audit_entries(web_engine)[0]
    assert (entry.actor, entry.action) == ("stranger@example.gov.uk", "sign_in.refused")
    assert entry.detail == {"method": "oidc", "reason": "no active account"}
    with web_engine.connect() as conn:  # no account is made for them
        assert store_users.by_email(conn, "stranger@example.gov.uk") is None


def test_a_deactivated_account_is_refused(
    sso: TestClient, provider: FakeProvider, web_engine: sa.Engine
) -> None:
    with write_transaction(web_engine) as conn:
        account = store_users.by_email(conn, People.editor)
        assert account is not None
        store_users.set_active(conn, account.id, active=False)
    response = come_back(sso, provider)
    assert response.status_code == 403 and "There is no listener account" in response.text
    assert signed_in_as(sso) is None


def test_an_email_the_provider_has_not_verified_is_refused(
    sso: TestClient, provider: FakeProvider, web_engine: sa.Engine
) -> None:
    for verified in (False, "false", None):  # None: no email_verified claim at all
        response = come_back(sso, provider, email_verified=verified)

        assert response.status_code == 403, verified
        assert "has not verified your email address" in response.text
        assert signed_in_as(sso) is None
        entry = audit_entries(web_engine)[0]
        assert (entry.action, entry.detail["reason"]) == ("sign_in.refused", "email not verified")


def test_tokens_failing_any_check_are_refused_without_showing_or_logging_them(
    sso: TestClient,
    provider: FakeProvider,
    keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
    web_engine: sa.Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = int(time.time())
    cases: dict[str, dict[str, Any]] = {
        "wrong nonce": {"nonce": "someone-elses-nonce"},
        "wrong audience": {"aud": "another-client"},
        "several audiences, no azp": {"aud": [CLIENT_ID, "another-client"]},
        "wrong issuer": {"iss": "https://login.evil.example"},
        "expired": {"iat": now - 7200, "exp": now - 3600},
        "issued in the future": {"iat": now + 3600, "exp": now + 7200},
        "no expiry": {"exp": None},
        "no nonce": {"nonce": None},
        "no subject": {"sub": None},
        "no email": {"email": None},
    }
    caplog.set_level(logging.WARNING, logger="listener.web.oidc")
    pages = []
    for case, claims in cases.items():
        response = come_back(sso, provider, **claims)
        pages.append(response.text + str(response.headers))
        assert response.status_code == 400, case
        assert "not been signed in" in response.text or "did not give" in response.text, case
        assert signed_in_as(sso) is None, case
    for case, change in {
        "signed by a stranger": {"sign_with": keys[1]},
        "alg none": {"alg": "none"},
        "HS256 with the public key": {"alg": "HS256"},
    }.items():
        for name, value in change.items():
            setattr(provider, name, value)
        response = come_back(sso, provider)
        pages.append(response.text + str(response.headers))
        assert response.status_code == 400 and "could not be verified" in response.text, case
        assert signed_in_as(sso) is None, case
        provider.sign_with, provider.alg = None, "RS256"

    assert len(provider.issued) == len(pages)
    assert all(token not in caplog.text + "".join(pages) for token in provider.issued)
    assert CLIENT_SECRET not in caplog.text
    assert "the ID token failed a check" in caplog.text
    assert not [e for e in audit_entries(web_engine) if e.action == "sign_in"]


def test_a_state_that_does_not_match_the_browser_is_refused_before_any_exchange(
    sso: TestClient, provider: FakeProvider
) -> None:
    callback = provider.authorize(begin(sso))
    forged = callback.replace("state=", "state=x")
    response = sso.get(forged, follow_redirects=False)
    assert response.status_code == 400 and "did not start in this browser" in response.text

    begin(sso)  # a sign-in under way, and a state no ASCII comparison can take
    unicode_state = sso.get("/sign-in/oidc/callback?code=c&state=%C3%A9t%C3%A9")
    assert (
        unicode_state.status_code == 400 and "did not start in this browser" in unicode_state.text
    )

    callback = provider.authorize(begin(sso))
    sso.cookies.clear()  # another browser: no attempt cookie at all
    assert sso.get(callback, follow_redirects=False).status_code == 400
    assert provider.server.requests_to("/token") == []
    assert signed_in_as(sso) is None


def test_an_error_from_the_provider_is_shown_in_one_line(
    sso: TestClient, provider: FakeProvider
) -> None:
    location = begin(sso)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = sso.get(
        "/sign-in/oidc/callback",
        params={
            "error": "access_denied",
            "error_description": "Call 0800 000 000 to unlock your account",
            "state": state,
        },
    )
    assert response.status_code == 400
    assert "The sign-in service did not sign you in (it said: access_denied)" in response.text
    assert "0800" not in response.text  # anyone can craft this link: its prose is not repeated

    odd = sso.get("/sign-in/oidc/callback", params={"error": "<script>alert(1)</script>"})
    assert odd.status_code == 400 and "it said: an unrecognised error" in odd.text
    assert "<script>alert(1)" not in odd.text


def test_a_provider_that_is_down_or_broken_gets_a_clear_message_not_a_500(
    sso: TestClient, provider: FakeProvider
) -> None:
    provider.server.script("/.well-known/openid-configuration", Reply(status=503))
    down = sso.get("/sign-in/oidc", follow_redirects=False)
    assert down.status_code == 502 and "not answering properly" in down.text

    callback = provider.authorize(begin(sso))
    provider.server.script("/token", Reply.text("<html>gateway timeout</html>", status=504))
    broken = sso.get(callback, follow_redirects=False)
    assert broken.status_code == 502 and "not answering properly" in broken.text

    callback = provider.authorize(begin(sso))
    provider.server.script("/token", Reply.json({"error": "invalid_grant"}, status=400))
    refused = sso.get(callback, follow_redirects=False)
    assert refused.status_code == 400 and "could not be verified" in refused.text

    callback = provider.authorize(begin(sso))
    provider.server.stop()
    gone = sso.get(callback, follow_redirects=False)
    assert gone.status_code == 502 and "not answering properly" in gone.text
    assert signed_in_as(sso) is None


def test_signing_keys_the_provider_rotates_are_fetched_again(
    sso: TestClient, provider: FakeProvider, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    assert come_back(sso, provider).status_code == 303  # discovery and keys now cached
    sso.cookies.clear()
    provider.key, provider.kid = keys[1], "k2"
    assert come_back(sso, provider).status_code == 303
    assert len(provider.server.requests_to("/jwks")) == 2
    assert len(provider.server.requests_to("/.well-known/openid-configuration")) == 1

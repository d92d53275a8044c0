"""The identity provider's side of single sign-on: discovery, the code exchange, ID-token checks.

Everything here talks to the department's own OpenID Connect provider (the issuer in
web.oidc), with a timeout; its discovery document and signing keys are cached per process
for CACHE_FOR seconds, and the keys are fetched again once when a token names one not yet
seen (the provider rotated them). Exception messages are for the log and never hold a
token or the client secret; `SsoFailed.shown` is what the sign-in page says.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from listener.configfile import OidcConfig
from listener.errors import ConfigError
from listener.settings import secret_from_env

with warnings.catch_warnings():
    # authlib 1.9 deprecates authlib.jose in favour of joserfc; the pin (<2) keeps it, and
    # authlib would otherwise print the warning each time the web app starts.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken, KeySet
    from authlib.jose.errors import ExpiredTokenError, JoseError

TIMEOUT = 10  # seconds for each request to the provider
CACHE_FOR = 300  # seconds to keep a discovery document or key set
LEEWAY = 60  # seconds of clock difference allowed on exp and iat
# Only public-key signatures: a provider's tokens are never signed with a shared secret
# here, and "none" or HS256 over a public key must not pass.
_JWT = JsonWebToken(
    ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
)


class SsoFailed(Exception):
    """Single sign-on identified nobody; str() is for the log, `shown` is for the person."""

    status = 400
    shown = "You have not been signed in. Try again, or sign in with your email and password."

    def __init__(self, reason: str, *, shown: str = "") -> None:
        super().__init__(reason)
        if shown:
            self.shown = shown


class ProviderUnavailable(SsoFailed):
    """The provider could not be reached, or answered with something unusable."""

    status = 502
    shown = (
        "The sign-in service is not answering properly at the moment. Try again later,"
        " or sign in with your email address and password."
    )


class TokenRejected(SsoFailed):
    """The provider's answer failed a check (signature, issuer, audience, expiry, nonce)."""

    shown = (
        "The answer from the sign-in service could not be verified, so you have not been"
        " signed in. Try again."
    )


@dataclass(frozen=True)
class Provider:
    """What the discovery document says about the provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_method: str  # client_secret_basic (the default) or client_secret_post


class _Documents:
    """JSON documents fetched from providers, kept CACHE_FOR seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, url: str) -> dict[str, Any]:
        with self._lock:
            kept = self._kept.get(url)
        if kept is not None and time.monotonic() - kept[0] < CACHE_FOR:
            return kept[1]
        document = _fetch_json(url)
        with self._lock:
            self._kept[url] = (time.monotonic(), document)
        return document

    def forget(self, url: str) -> None:
        with self._lock:
            self._kept.pop(url, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


documents = _Documents()


def _fetch_json(url: str) -> dict[str, Any]:
    host = urlsplit(url).netloc
    try:
        response = requests.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{host} did not answer ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise ProviderUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} did not answer with a JSON object")
    return document


def discover(issuer: str) -> Provider:
    """The provider's endpoints, from {issuer}/.well-known/openid-configuration."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = documents.get(url)
    if document.get("issuer") != issuer:
        # OpenID Connect Discovery 4.3: a document naming another issuer must not be used.
        raise ProviderUnavailable(
            f"{url} names the issuer {str(document.get('issuer'))[:200]!r}, not {issuer!r}:"
            " web.oidc.issuer must be exactly the provider's issuer"
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or urlsplit(value).scheme not in {
            "https",
            urlsplit(issuer).scheme,
        }:
            raise ProviderUnavailable(f"{url}: {name} is missing or not an https URL")
        endpoints[name] = value
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    basic = "client_secret_basic" in methods or "client_secret_post" not in methods
    return Provider(
        issuer=issuer,
        token_auth_method="client_secret_basic" if basic else "client_secret_post",
        **endpoints,
    )


@dataclass(frozen=True)
class Attempt:
    """One sign-in's single-use values, kept in the browser between leaving and coming back."""

    state: str
    nonce: str
    verifier: str  # the PKCE code verifier
    redirect_uri: str


def authorization_url(provider: Provider, oidc: OidcConfig, attempt: Attempt) -> str:
    """Where to send the browser: the provider's sign-in page, for a code (with PKCE S256)."""
    client = OAuth2Session(
        oidc.client_id,
        scope=" ".join(oidc.scopes),
        redirect_uri=attempt.redirect_uri,
        code_challenge_method="S256",
    )
    url, _ = client.create_authorization_url(
        provider.authorization_endpoint,
        state=attempt.state,
        code_verifier=attempt.verifier,
        nonce=attempt.nonce,
    )
    return str(url)


def exchange_code(provider: Provider, oidc: OidcConfig, attempt: Attempt, code: str) -> str:
    """Trade the authorization code for tokens at the token endpoint; returns the ID token."""
    try:
        secret = secret_from_env(oidc.client_secret)
    except ConfigError as exc:
        raise ProviderUnavailable(f"web.oidc.client_secret: {exc}") from None
    if secret is None:
        raise ProviderUnavailable(f"web.oidc.client_secret: {oidc.client_secret} is not set")
    client = OAuth2Session(
        oidc.client_id,
        secret.get_secret_value(),
        token_endpoint_auth_method=provider.token_auth_method,
    )
    host = urlsplit(provider.token_endpoint).netloc
    try:
        with client:
            token = client.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=attempt.redirect_uri,
                code_verifier=attempt.verifier,
                timeout=TIMEOUT,
            )
    except OAuthError as exc:
        raise TokenRejected(f"{host} refused the code: {str(exc.error)[:100]}") from None
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{host} token endpoint failed ({type(exc).__name__})") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRejected(f"{host} sent no ID token (is openid among web.oidc.scopes?)")
    return id_token


def verified_claims(
    id_token: str, *, provider: Provider, client_id: str, nonce: str
) -> Mapping[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce check out."""
    options = {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    }
    if id_token.count(".") != 2:
        raise TokenRejected("the ID token is not a signed JWT")
    try:
        claims = _decode(id_token, _keys(provider.jwks_uri), options)
    except _UnknownKey:
        documents.forget(provider.jwks_uri)  # the provider may have rotated its keys
        try:
            claims = _decode(id_token, _keys(provider.jwks_uri), options)
        except _UnknownKey:
            raise TokenRejected(
                "the ID token is signed with a key the provider does not publish"
            ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        # OpenID Connect Core 3.1.3.7: a token for several audiences must be meant for us.
        raise TokenRejected("the ID token has several audiences and azp is not our client_id")
    return claims


class _UnknownKey(Exception):
    """The token names a key the key set does not hold."""


def _keys(jwks_uri: str) -> KeySet:
    try:
        return JsonWebKey.import_key_set(documents.get(jwks_uri))
    except (ValueError, KeyError, TypeError, JoseError) as exc:
        raise ProviderUnavailable(
            f"{jwks_uri}: not a usable key set ({type(exc).__name__})"
        ) from None


def _decode(id_token: str, keys: KeySet, options: dict[str, Any]) -> Mapping[str, Any]:
    try:
        claims = _JWT.decode(id_token, keys, claims_options=options)
        claims.validate(now=int(time.time()), leeway=LEEWAY)
    except ExpiredTokenError:
        raise TokenRejected("the ID token has expired (is this server's clock right?)") from None
    except JoseError as exc:
        detail = f"{exc.error}: {exc.description}" if exc.description else exc.error
        raise TokenRejected(f"the ID token failed a check ({str(detail)[:200]})") from None
    except ValueError:
        # authlib's KeySet.find_by_kid: no key with the token's kid (or no kid, several keys).
        raise _UnknownKey from None
    return dict(claims)

"""Who is asking: passwords (argon2), sessions, API tokens, CSRF and sign-in throttling.

The session cookie holds a random token and its HMAC under LISTENER_SECRET_KEY; the
database keeps only the token's SHA-256, so a copy of the database cannot sign anyone
in. Signing in always starts a new session (a new token); signing out deletes it.
Every form post carries the session's CSRF token; the sign-in form, which comes
before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from listener.models import utcnow
from listener.store import users
from listener.store.db import write_transaction

SESSION_COOKIE = "listener_session"
SIGN_IN_COOKIE = "listener_sign_in"  # the CSRF token of the sign-in form
SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILURES = 5  # per email address, and per client address, within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "lst_"

_hasher = PasswordHasher()
# Verified when an email address is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """A signed-in user, as every request sees them."""

    user_id: int
    email: str
    role: str  # admin | editor | viewer
    department_ids: frozenset[int]
    csrf_token: str = ""  # "" for API tokens, which need none

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, department_id: int) -> bool:
        return self.is_admin or department_id in self.department_ids

    def edits(self, department_id: int) -> bool:
        return self.is_admin or (self.role == "editor" and department_id in self.department_ids)

    def visible(self, all_ids: frozenset[int]) -> frozenset[int]:
        """The departments this user may see, out of `all_ids`."""
        return all_ids if self.is_admin else all_ids & self.department_ids


class SignInRefused(Exception):
    """Sign-in failed: wrong email or password, or too many attempts."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


@dataclass(frozen=True)
class NewSession:
    cookie: str
    principal: Principal


class Auth:
    """Sign-in, sessions and tokens against the store."""

    def __init__(
        self, engine: sa.Engine, *, secret: bytes, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.secret = secret
        self.clock = clock

    # -- cookies --------------------------------------------------------------------------

    def sign(self, token: str) -> str:
        mac = hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{token}.{mac}"

    def unsign(self, value: str) -> str | None:
        token, _, mac = value.rpartition(".")
        return token if token and hmac.compare_digest(self.sign(token), value) and mac else None

    # -- sign in and out --------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, client: str) -> NewSession:
        now = self.clock()
        keys = [f"email:{email.strip().lower()}", f"ip:{client}"]
        with self.engine.connect() as conn:
            failures = users.failures_since(conn, keys, now - FAILURE_WINDOW)
            account = users.by_email(conn, email)
        if failures >= MAX_FAILURES:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise SignInRefused(
                f"Too many failed attempts. Try again in {minutes} minutes.", throttled=True
            )
        if not _password_ok(account, password):
            with write_transaction(self.engine) as conn:
                users.record_failure(conn, keys, now=now)
            raise SignInRefused("Enter a correct email address and password.")
        assert account is not None
        session = self.start_session(account)
        with write_transaction(self.engine) as conn:
            users.clear_failures(conn, keys[0])
        return session

    def start_session(self, account: users.Account) -> NewSession:
        """A new session for an account already identified (by password, or single sign-on)."""
        if not account.active:
            raise SignInRefused("This account has been deactivated.")
        now = self.clock()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            users.create_session(
                conn,
                token_hash=_sha256(token),
                user_id=account.id,
                csrf_token=csrf,
                now=now,
                expires_at=now + SESSION_LIFETIME,
            )
            users.signed_in(conn, account.id, now=now)
        principal = Principal(account.id, account.email, account.role, account.department_ids, csrf)
        return NewSession(self.sign(token), principal)

    def from_cookie(self, value: str | None) -> Principal | None:
        token = self.unsign(value) if value else None
        if token is None:
            return None
        with self.engine.connect() as conn:
            session = users.session_for(conn, _sha256(token), now=self.clock())
            account = users.by_id(conn, session.user_id) if session else None
        if session is None or account is None:
            return None
        return Principal(
            account.id, account.email, account.role, account.department_ids, session.csrf_token
        )

    def sign_out(self, value: str | None) -> None:
        token = self.unsign(value) if value else None
        if token is not None:
            with write_transaction(self.engine) as conn:
                users.end_session(conn, _sha256(token))

    # -- API tokens -----------------------------------------------------------------------

    def new_token(self, user_id: int, name: str) -> str:
        """Create a bearer token; the plain value is returned once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            users.add_token(
                conn, user_id=user_id, name=name, token_hash=_sha256(token), now=self.clock()
            )
        return token

    def from_bearer(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        now = self.clock()
        with self.engine.connect() as conn:
            found = users.token_use(conn, _sha256(token), now=now)
            account = users.by_id(conn, found[1]) if found is not None else None
        if found is None or account is None or not account.active:
            return None
        if found[2]:  # last used more than a minute ago: record it (one write a minute)
            with write_transaction(self.engine) as conn:
                users.record_token_use(conn, found[0], now=now)
        return Principal(account.id, account.email, account.role, account.department_ids)


def _password_ok(account: users.Account | None, password: str) -> bool:
    stored = account.password_hash if account and account.active else ""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given or "")

"""Data subject requests: access and erasure, and the suppression list that makes erasure stick.

Shared by the CLI (`listener subject ...`) and the admin pages. A subject is an
account on one platform, named by its handle. The suppression list and the
audit log know a subject only by salted hashes (HMAC-SHA256 under a key derived
from LISTENER_SECRET_KEY): the database alone does not say who asked to be erased.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from pydantic import SecretStr

from listener import textnorm
from listener.errors import NotFoundError, StoreError, UserError
from listener.models import utcnow
from listener.store import audit
from listener.store import rights as store
from listener.store.db import write_transaction
from listener.store.retention import delete_authors_without_posts, delete_posts

BATCH = 500
_SALT_LABEL = b"listener suppression list v1"
NO_SECRET_KEY = (
    "LISTENER_SECRET_KEY is not set: subject requests record the handle only as a salted hash,"
    " and listener will not hash it unsalted (set LISTENER_SECRET_KEY to a long random value"
    " and keep it: the suppression list is only readable with the same key)"
)


@dataclass(frozen=True)
class Hasher:
    """Salted hashes of handles and account ids, under a key derived from the secret key."""

    salt: bytes

    @classmethod
    def from_secret(cls, secret_key: SecretStr | None) -> Hasher:
        """The hasher for this secret key; a UserError when there is none."""
        if secret_key is None or not secret_key.get_secret_value():
            raise UserError(NO_SECRET_KEY)
        key = secret_key.get_secret_value().encode()
        return cls(hmac.new(key, _SALT_LABEL, hashlib.sha256).digest())

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, to notice when the secret key changed."""
        return self._hash("key id")[:16]

    def handle(self, platform: str, handle: str) -> str:
        return self._hash(f"{platform}\nhandle\n{textnorm.normalise_handle(handle)}")

    def native_id(self, platform: str, native_id: str) -> str:
        return self._hash(f"{platform}\nid\n{native_id}")

    def _hash(self, text: str) -> str:
        return hmac.new(self.salt, text.encode(), hashlib.sha256).hexdigest()


_OPTIONS = {
    "platform": "--platform",
    "handle": "--author",
    "reference": "--reference",
    "requester": "--requester",
    "actor": "actor",
}


@dataclass(frozen=True)
class SubjectRequest:
    """A request about one account: who it is, the case reference, and who asked and acts."""

    platform: str
    handle: str
    reference: str  # the case reference in the department's own records
    requester: str  # who asked for it (a case officer, the DPO): not the subject's name
    actor: str  # who carries it out: an admin's email, or "cli:<os user>"

    def __post_init__(self) -> None:
        for name, option in _OPTIONS.items():
            value = getattr(self, name).strip()
            limit = 16 if name == "platform" else 200
            if not value or len(value) > limit:
                raise UserError(f"{option}: expected 1 to {limit} characters")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "platform", self.platform.lower())
        object.__setattr__(self, "handle", textnorm.normalise_handle(self.handle))


@dataclass
class ErasureReport:
    """What an erasure removed."""

    posts: int = 0  # the subject's own posts
    reposts: int = 0  # others' reposts of them, which carry only the subject's words
    accounts: int = 0  # account records deleted
    digests: int = 0  # archived digests whose quotes of the subject were blanked
    suppressed: int = 0  # entries added to the suppression list
    post_ids: list[int] = field(default_factory=list)


# --- access ----------------------------------------------------------------------------------


def export_subject(
    engine: sa.Engine,
    request: SubjectRequest,
    *,
    secret_key: SecretStr | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything held about an account (posts, scores, matches, topics), as JSON-ready data."""
    hasher = Hasher.from_secret(secret_key)
    now = now or utcnow()
    platform, handle = request.platform, request.handle
    with engine.connect() as conn:
        authors = store.subject_authors(conn, platform, handle)
        author_ids = [a.id for a in authors]
        posts = store.post_rows(conn, platform, handle, author_ids)
        quoted = _quoted(platform, handle, authors, [p["id"] for p in posts])
        digests = store.digests_quoting(conn, quoted)
        accounts = store.author_rows(conn, author_ids)
    with write_transaction(engine) as conn:
        audit.append(
            conn,
            actor=request.actor,
            action="subject.export",
            now=now,
            target=request.reference,
            detail=_audit_detail(request, hasher, posts=len(posts), accounts=len(accounts)),
        )
    return _jsonable(
        {
            "subject": {"platform": platform, "handle": handle},
            "reference": request.reference,
            "exported_at": now,
            "accounts": accounts,
            "posts": posts,
            "digests_quoting": digests,
        }
    )


def _quoted(
    platform: str, handle: str, authors: Sequence[store.SubjectAuthor], post_ids: Sequence[int]
) -> store.Quoted:
    handles = {handle, *(textnorm.normalise_handle(a.handle) for a in authors)}
    return store.Quoted(frozenset(post_ids), platform, frozenset(handles))


def _audit_detail(request: SubjectRequest, hasher: Hasher, **counts: int) -> dict[str, Any]:
    return {
        "requester": request.requester,
        "platform": request.platform,
        "subject": hasher.handle(request.platform, request.handle),
        **counts,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "search_vector"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, datetime) else value


# --- erasure -----------------------------------------------------------------------------------


def erase_subject(
    engine: sa.Engine,
    request: SubjectRequest,
    *,
    secret_key: SecretStr | None,
    now: datetime | None = None,
) -> ErasureReport:
    """Delete an account's data everywhere and suppress it, so it is never stored again.

    The suppression entry commits first: from then on no page stores the subject's
    posts, while their stored ones are deleted in batches. Running it again
    finishes an erasure that was interrupted.
    """
    hasher = Hasher.from_secret(secret_key)
    now = now or utcnow()
    platform, handle = request.platform, request.handle
    report = ErasureReport()
    with write_transaction(engine) as conn:
        store.hold_for_erasure(conn)
        authors = store.subject_authors(conn, platform, handle)
        report.suppressed = store.add_suppressions(
            conn, _suppression_rows(request, authors, hasher, now)
        )
    author_ids = [a.id for a in authors]
    while _erase_batch(engine, request, author_ids, report):
        pass
    with write_transaction(engine) as conn:
        report.accounts += delete_authors_without_posts(conn, author_ids)
        quoted = _quoted(platform, handle, authors, report.post_ids)
        report.digests = store.redact_digests(conn, quoted)
        detail = _audit_detail(
            request, hasher, posts=report.posts, reposts=report.reposts,
            accounts=report.accounts, digests=report.digests,
        )  # fmt: skip
        audit.append(
            conn, actor=request.actor, action="subject.erase", now=now,
            target=request.reference, detail=detail,
        )  # fmt: skip
    return report


def _suppression_rows(
    request: SubjectRequest,
    authors: Sequence[store.SubjectAuthor],
    hasher: Hasher,
    now: datetime,
) -> list[dict[str, Any]]:
    base = {
        "platform": request.platform,
        "handle_hash": hasher.handle(request.platform, request.handle),
        "key_id": hasher.key_id,
        "reference": request.reference,
        "created_at": now,
    }
    if not authors:  # nothing held: suppress the handle alone
        return [{**base, "native_id_hash": ""}]
    return [
        {**base, "native_id_hash": hasher.native_id(request.platform, a.native_id)} for a in authors
    ]


def _erase_batch(
    engine: sa.Engine, request: SubjectRequest, author_ids: list[int], report: ErasureReport
) -> bool:
    """Delete one batch of the subject's posts and others' reposts of them; False when none left."""
    with write_transaction(engine) as conn:
        own = store.subject_post_ids(
            conn, request.platform, request.handle, author_ids, limit=BATCH
        )
        if not own:
            return False
        own_ids = [post_id for post_id, _ in own]
        reposts = store.reposts_of(conn, request.platform, [native for _, native in own])
        ids = own_ids + sorted(set(reposts) - set(own_ids))
        report.accounts += delete_posts(conn, ids)
    report.posts += len(own)
    report.reposts += len(ids) - len(own)
    report.post_ids += ids
    return True


# --- the suppression list ----------------------------------------------------------------------


class _Author(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def native_id(self) -> str: ...
    @property
    def handle(self) -> str: ...


class _Post(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def repost_of_id(self) -> str | None: ...
    @property
    def key(self) -> tuple[str, str]: ...
    @property
    def author(self) -> _Author | None: ...


P = TypeVar("P", bound=_Post)


def screen(conn: sa.Connection, posts: Sequence[P]) -> tuple[list[P], int]:
    """The posts of a page that may be stored, and how many were dropped as suppressed.

    Dropped: posts by a suppressed account (found by handle or by account id),
    and reposts of those posts in the same page (all sources send the original
    along). Others' replies, quotes and mentions are their own words and are kept.
    Call inside the transaction that stores the page.
    """
    store.hold_for_page(conn)
    platforms = {p.author.platform for p in posts if p.author is not None}
    rows = store.suppressions(conn, platforms=platforms) if platforms else []
    if not rows:
        return list(posts), 0
    hasher = _collection_hasher(rows)
    handles = {(r.platform, r.handle_hash) for r in rows}
    ids = {(r.platform, r.native_id_hash) for r in rows if r.native_id_hash}
    dropped: set[tuple[str, str]] = set()
    for post in posts:
        author = post.author
        if author is None:
            continue
        if (author.platform, hasher.handle(author.platform, author.handle)) in handles or (
            author.platform,
            hasher.native_id(author.platform, author.native_id),
        ) in ids:
            dropped.add(post.key)
    kept = [
        p
        for p in posts
        if p.key not in dropped and (p.platform, p.repost_of_id or "") not in dropped
    ]
    return kept, len(posts) - len(kept)


def _collection_hasher(rows: Sequence[store.SuppressionRow]) -> Hasher:
    """The hasher for screening pages; refuses to store anything it cannot screen."""
    from listener.settings import load_settings

    # Read here rather than passed down: every collector and import stores through
    # listener.pages, and none of its callers can then forget the key.
    secret = load_settings().secret_key
    if secret is None:
        raise StoreError(
            f"{len(rows)} erased accounts are on the suppression list, and without"
            " LISTENER_SECRET_KEY listener cannot tell their posts apart: nothing is stored"
            " until it is set again"
        )
    hasher = Hasher.from_secret(secret)
    if any(row.key_id != hasher.key_id for row in rows):
        raise StoreError(
            "the suppression list was made with a different LISTENER_SECRET_KEY: nothing is"
            " stored until the key it was made with is set again (see docs/data-protection.md)"
        )
    return hasher


@dataclass(frozen=True)
class SuppressionEntry:
    """One suppression list entry as an admin page shows it (hashes are meaningless there)."""

    id: int
    platform: str
    reference: str
    created_at: datetime
    current_key: bool | None  # made with today's LISTENER_SECRET_KEY (None: no key set)


def suppression_list(engine: sa.Engine, *, secret_key: SecretStr | None) -> list[SuppressionEntry]:
    """Every entry on the suppression list, oldest first.

    An entry made under another secret key cannot be matched, and stops collection:
    erase the subject again under the new key, then lift the old entry.
    """
    key_id = Hasher.from_secret(secret_key).key_id if secret_key is not None else None
    with engine.connect() as conn:
        rows = store.suppressions(conn)
    return [
        SuppressionEntry(
            r.id,
            r.platform,
            r.reference,
            r.created_at,
            None if key_id is None else r.key_id == key_id,
        )
        for r in rows
    ]


def lift_suppression(engine: sa.Engine, suppression_id: int, *, reference: str, actor: str) -> None:
    """Remove an entry (the person asked to be collected again, or it was a mistake)."""
    if not reference.strip():
        raise UserError("--reference: is empty")
    with write_transaction(engine) as conn:
        removed = store.remove_suppression(conn, suppression_id)
        if removed is None:
            raise NotFoundError(f"no suppression list entry {suppression_id}")
        audit.append(
            conn, actor=actor, action="subject.unsuppress", now=utcnow(),
            target=reference.strip(),
            detail={"platform": removed.platform, "erased_as": removed.reference},
        )  # fmt: skip

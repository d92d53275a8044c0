"""SQLModel tables: departments, watches, authors, posts, matches, runs, cursors, scores.

Every timestamp is a timezone-aware UTC datetime (see `UTCDateTime`). Posts are
unique on (platform, native_id); the raw platform payload and the unmodified
text are kept, and `search_text` (see listener.textnorm) feeds full-text search.
The full-text index itself (FTS5 table on SQLite, generated tsvector column on
PostgreSQL) is created by the migrations, not declared here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that only accepts aware datetimes and always returns aware UTC ones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; listener stores UTC only")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store the UTC wall time, re-attach UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(JSONType, nullable=nullable))


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Recipient(SQLModel, table=True):
    __tablename__ = "recipients"
    __table_args__ = (sa.UniqueConstraint("department_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=320)
    created_at: datetime = _ts()


class Watch(SQLModel, table=True):
    """One thing a department watches: a hashtag, keyword, boolean query, account or feed."""

    __tablename__ = "watches"
    __table_args__ = (sa.UniqueConstraint("department_id", "kind", "platform", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # hashtag | keyword | query | account | feed
    platform: str = Field(default="", max_length=16)  # accounts only: x | mastodon | bluesky
    value: str = Field(max_length=1000)
    status: str = Field(default="active", max_length=16)  # active | paused | removed
    # Who owns it: "config" (config import adds, restores and removes it) or "web" (added or
    # changed in the web app or API; config import leaves it alone).
    origin: str = Field(default="config", max_length=16)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Author(SQLModel, table=True):
    __tablename__ = "authors"
    __table_args__ = (sa.UniqueConstraint("platform", "native_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    native_id: str = Field(max_length=200)
    handle: str = Field(default="", max_length=200, index=True)
    name: str = Field(default="", max_length=400)
    description: str = ""
    verified_type: str = Field(default="", max_length=32)
    kind: str = Field(default="public", max_length=16)  # voice kind, see analysis/stakeholders.py
    followers_count: int | None = None
    profile: dict[str, Any] | None = _json()
    first_seen_at: datetime = _ts()
    updated_at: datetime = _ts()


class Post(SQLModel, table=True):
    """One public post, stored once however many watches or departments it matches."""

    __tablename__ = "posts"
    __table_args__ = (
        sa.UniqueConstraint("platform", "native_id"),
        sa.Index("ix_posts_platform_conversation", "platform", "conversation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    native_id: str = Field(max_length=200)
    url: str = ""
    author_id: int | None = Field(default=None, foreign_key="authors.id", index=True)
    author_handle: str = Field(default="", max_length=200)  # normalised, for from: queries
    created_at: datetime = _ts(index=True)
    collected_at: datetime = _ts()
    text: str  # verbatim, as the platform gave it (full text of long posts)
    search_text: str = ""  # listener.textnorm.search_text(text), what the index sees
    text_hash: str = Field(default="", max_length=64, index=True)  # of the text sentiment reads
    lang: str | None = Field(default=None, max_length=16)
    kind: str = Field(default="post", max_length=16)  # post | reply | quote | repost | response
    conversation_id: str | None = Field(default=None, max_length=200)
    reply_to_id: str | None = Field(default=None, max_length=200, index=True)
    quote_of_id: str | None = Field(default=None, max_length=200)
    repost_of_id: str | None = Field(default=None, max_length=200)
    metrics: dict[str, Any] | None = _json()
    raw: dict[str, Any] | None = _json()
    source: str = Field(default="", max_length=500)  # provenance: how and where it was fetched


class PostDepartment(SQLModel, table=True):
    __tablename__ = "post_departments"

    post_id: int = Field(foreign_key="posts.id", ondelete="CASCADE", primary_key=True)
    department_id: int = Field(
        foreign_key="departments.id", ondelete="CASCADE", primary_key=True, index=True
    )


class PostMatch(SQLModel, table=True):
    __tablename__ = "post_matches"

    post_id: int = Field(foreign_key="posts.id", ondelete="CASCADE", primary_key=True)
    watch_id: int = Field(
        foreign_key="watches.id", ondelete="CASCADE", primary_key=True, index=True
    )


class CollectionRun(SQLModel, table=True):
    """One run of one source (or one file import) for one department or all of them."""

    __tablename__ = "collection_runs"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    department_id: int | None = Field(default=None, foreign_key="departments.id")
    started_at: datetime = _ts(index=True)
    finished_at: datetime | None = _ts(nullable=True)
    status: str = Field(default="running", max_length=16)  # running | ok | partial | failed
    posts_new: int = 0
    posts_seen: int = 0
    items_rejected: int = 0
    pages: int = 0
    rate_limit_wait_seconds: float = 0.0
    error: str = ""
    detail: dict[str, Any] | None = _json()


class Cursor(SQLModel, table=True):
    """Where a source resumes from, saved in the same transaction as the posts before it."""

    __tablename__ = "cursors"
    __table_args__ = (sa.UniqueConstraint("source", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    key: str = Field(max_length=500)
    value: str = ""
    updated_at: datetime = _ts()


class SentimentScore(SQLModel, table=True):
    __tablename__ = "sentiment_scores"

    # PostgreSQL has no such foreign key, but a trigger with the same effect (migration 0010).
    post_id: int = Field(foreign_key="posts.id", ondelete="CASCADE", primary_key=True)
    compound: float
    pos: float
    neu: float
    neg: float
    label: str = Field(max_length=16)
    text_hash: str = Field(max_length=64)  # of the text scored: stale if it differs (unindexed)
    scorer_version: str = Field(max_length=32)
    scored_at: datetime = _ts()


class QuarantinedItem(SQLModel, table=True):
    """An item a source sent that could not be normalised, kept with its raw payload and why."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="collection_runs.id", index=True)
    source: str = Field(max_length=64)
    location: str = Field(max_length=500)  # file:line, or endpoint and position
    reason: str = Field(max_length=1000)
    raw: Any = _json()
    created_at: datetime = _ts(index=True)


class Topic(SQLModel, table=True):
    """One topic found in a department's posts for one ISO week."""

    __tablename__ = "topics"
    __table_args__ = (sa.UniqueConstraint("department_id", "week", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE")
    week: str = Field(max_length=8)  # YYYY-Www
    position: int  # 0 = largest
    label: str = Field(max_length=500)
    terms: list[str] | None = _json()
    hashtags: list[str] | None = _json()
    size: int  # posts, reposts included
    share: float
    mean_compound: float | None = None
    is_new: bool = False
    representative_ids: list[int] | None = _json()
    method: str = Field(max_length=64)
    computed_at: datetime = _ts()


class PostTopic(SQLModel, table=True):
    __tablename__ = "post_topics"

    post_id: int = Field(foreign_key="posts.id", ondelete="CASCADE", primary_key=True)
    topic_id: int = Field(foreign_key="topics.id", ondelete="CASCADE", primary_key=True, index=True)


class TopicRun(SQLModel, table=True):
    """When a department-week's topics were last found, and from which posts."""

    __tablename__ = "topic_runs"
    __table_args__ = (sa.UniqueConstraint("department_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE")
    week: str = Field(max_length=8)
    fingerprint: str = Field(max_length=64)  # of the post ids and text hashes modelled
    posts: int
    method: str = Field(max_length=64)
    computed_at: datetime = _ts()


class Digest(SQLModel, table=True):
    """A built digest, archived as plain data so it re-renders identically."""

    __tablename__ = "digests"
    __table_args__ = (sa.Index("ix_digests_department_week", "department_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE")
    week: str = Field(max_length=8)
    version: str = Field(max_length=16)
    context: dict[str, Any] | None = _json(nullable=False)
    built_at: datetime = _ts()


class Delivery(SQLModel, table=True):
    """The ledger: one row per department, recipient and week; a digest goes once."""

    __tablename__ = "deliveries"
    __table_args__ = (sa.UniqueConstraint("department_id", "week", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE")
    week: str = Field(max_length=8)
    recipient: str = Field(max_length=320)
    digest_id: int | None = Field(default=None, foreign_key="digests.id", ondelete="SET NULL")
    status: str = Field(default="pending", max_length=16)  # pending|sending|sent|deferred|failed
    attempts: int = 0
    message_id: str = Field(default="", max_length=400)
    last_error: str = Field(default="", max_length=1000)
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class User(SQLModel, table=True):
    """Someone who signs in to the web app or calls the API."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)  # stored lower-case
    password_hash: str = Field(default="", max_length=200)  # argon2; "" for single sign-on only
    role: str = Field(max_length=16)  # admin | editor | viewer
    active: bool = True
    created_at: datetime = _ts()
    last_sign_in_at: datetime | None = _ts(nullable=True)


class UserDepartment(SQLModel, table=True):
    """The departments an editor or viewer may see (admins see every one)."""

    __tablename__ = "user_departments"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    department_id: int = Field(
        foreign_key="departments.id", ondelete="CASCADE", primary_key=True, index=True
    )


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, the database only its hash."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins, for throttling guessed passwords."""

    __tablename__ = "sign_in_attempts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, index=True)  # "email:..." or "ip:..."
    at: datetime = _ts(index=True)


class AuditEntry(SQLModel, table=True):
    """The audit log: append-only, each entry carrying the hash of the one before it."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=320)  # an email, or "cli:<os user>", or "system"
    action: str = Field(max_length=64, index=True)  # e.g. watch.add, sign_in, export
    department_id: int | None = Field(default=None, index=True)
    target: str = Field(default="", max_length=1000)
    detail: dict[str, Any] | None = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Suppression(SQLModel, table=True):
    """An erased author whose posts are never stored again, known only by salted hashes."""

    __tablename__ = "suppressions"
    __table_args__ = (sa.UniqueConstraint("platform", "handle_hash", "native_id_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    handle_hash: str = Field(max_length=64)  # HMAC-SHA256 of the normalised handle
    native_id_hash: str = Field(default="", max_length=64)  # "" when no account was held
    key_id: str = Field(max_length=16)  # which LISTENER_SECRET_KEY made the hashes
    reference: str = Field(max_length=200)  # the request's case reference
    created_at: datetime = _ts()


class SourceApproval(SQLModel, table=True):
    """A platform's approval for government use, recorded by an admin (X stays off without it)."""

    __tablename__ = "source_approvals"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16, unique=True)
    reference: str = Field(max_length=200)
    recorded_by: str = Field(max_length=320)
    recorded_at: datetime = _ts()

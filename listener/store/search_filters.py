"""A search's filters (SearchFilters) as SQL conditions on posts, on either engine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from listener.models import Author, Department, PostDepartment, PostTopic, SentimentScore
from listener.query import Node
from listener.store.search import POSTS, conditions
from listener.store.weekly import _LIKES, _QUOTES, _REPLIES, _REPOSTS

AUTHORS = Author.__table__  # type: ignore[attr-defined]
SCORES = SentimentScore.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
POST_DEPARTMENTS = PostDepartment.__table__  # type: ignore[attr-defined]
POST_TOPICS = PostTopic.__table__  # type: ignore[attr-defined]
# PostgreSQL only: a post's department ids, kept in step with post_departments (0008).
DEPARTMENT_IDS = sa.literal_column("posts.department_ids", postgresql.ARRAY(sa.Integer))
SENTIMENTS = ("positive", "neutral", "negative")
# "relevance" needs words to rank by; without them (only from:/lang:, or no query) it is newest.
SORTS = ("relevance", "newest", "oldest", "engaged")


@dataclass(frozen=True)
class SearchFilters:
    """Everything that narrows or orders a search besides the query itself."""

    department: str | None = None  # a slug
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    sentiment: str | None = None
    language: str | None = None  # the post's language code, as stored
    author_kind: str | None = None  # see listener.analysis.stakeholders.KINDS
    topic_id: int | None = None
    # Scope: only posts linked to one of these departments (None: no scope, as in the CLI).
    department_ids: frozenset[int] | None = None
    sort: str = "relevance"  # one of SORTS
    limit: int = 20  # 0 means all
    offset: int = 0


def filtered(select: sa.Select[Any], filters: SearchFilters, dialect: str) -> sa.Select[Any]:
    arrays = dialect == "postgresql"
    return select.where(*scope(filters, arrays=arrays), *post_conditions(filters))


def scope(
    filters: SearchFilters, post_id: Any = POSTS.c.id, *, arrays: bool = False
) -> list[sa.ColumnElement[bool]]:
    """Conditions on the links of the post whose id is `post_id`: departments and topics.

    Correlated EXISTS, one primary-key probe per candidate post, rather than IN
    (subquery), which SQLite answers by first listing every post of the department.
    With `arrays` (PostgreSQL) departments are a condition on the post's own
    `department_ids`, which its text index holds beside the words (migration 0008).
    """
    links: list[sa.ColumnElement[bool]] = []
    if arrays:
        links += _in_departments(filters)
        filters = replace(filters, department=None, department_ids=None)
    if filters.department:
        in_department = (
            sa.select(POST_DEPARTMENTS.c.post_id)
            .join(DEPARTMENTS)
            .where(POST_DEPARTMENTS.c.post_id == post_id, DEPARTMENTS.c.slug == filters.department)
        )
        links.append(in_department.exists())
    if filters.department_ids is not None:
        in_scope = sa.select(POST_DEPARTMENTS.c.post_id).where(
            POST_DEPARTMENTS.c.post_id == post_id,
            POST_DEPARTMENTS.c.department_id.in_(sorted(filters.department_ids)),
        )
        links.append(in_scope.exists())
    if filters.topic_id is not None:
        in_topic = sa.select(POST_TOPICS.c.post_id).where(
            POST_TOPICS.c.post_id == post_id, POST_TOPICS.c.topic_id == filters.topic_id
        )
        links.append(in_topic.exists())
    return links


def _in_departments(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """PostgreSQL: the department filters as conditions on `posts.department_ids`."""
    conditions = []
    if filters.department:
        slug = sa.select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.slug == filters.department)
        conditions.append(DEPARTMENT_IDS.overlap(postgresql.array([slug.scalar_subquery()])))
    if filters.department_ids is not None:
        ids = sa.literal(sorted(filters.department_ids), postgresql.ARRAY(sa.Integer))
        conditions.append(DEPARTMENT_IDS.overlap(ids))
    return conditions


def linked(filters: SearchFilters, dialect: str) -> bool:
    """True when a filter is a subquery on another table (links, scores, authors)."""
    linked: tuple[object, ...] = (filters.topic_id,)
    if dialect != "postgresql":  # there the post holds its departments
        linked += (filters.department, filters.department_ids)
    return any(v is not None for v in linked) or bool(filters.sentiment or filters.author_kind)


def post_conditions(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """Conditions on the post itself, its score and its author."""
    conditions = []
    if filters.platform:
        conditions.append(POSTS.c.platform == filters.platform)
    if filters.since:
        conditions.append(POSTS.c.created_at >= filters.since)
    if filters.until:
        conditions.append(POSTS.c.created_at < filters.until)
    if filters.sentiment:
        labelled = sa.select(SCORES.c.post_id).where(SCORES.c.label == filters.sentiment)
        conditions.append(POSTS.c.id.in_(labelled))
    if filters.language:
        conditions.append(POSTS.c.lang == filters.language)
    if filters.author_kind:
        of_kind = sa.select(AUTHORS.c.id).where(AUTHORS.c.kind == filters.author_kind)
        conditions.append(POSTS.c.author_id.in_(of_kind))
    return conditions


def _metric(name: str, dialect: str) -> sa.ColumnElement[Any]:
    """One counter from the metrics JSON; NULL when missing or not a number (never an error)."""
    if dialect == "postgresql":
        value = POSTS.c.metrics[name]
        return sa.case((sa.func.jsonb_typeof(value) == "number", value.as_float()))
    path = f'$."{name}"'
    is_number = sa.func.json_type(POSTS.c.metrics, path).in_(("integer", "real"))
    return sa.case((is_number, sa.func.json_extract(POSTS.c.metrics, path)))


def engagement(dialect: str) -> sa.ColumnElement[Any]:
    """Likes + reposts + replies + quotes, read as weekly.WeekPost.engagement reads them."""
    likes, reposts, replies, quotes = (
        sa.func.coalesce(*(_metric(name, dialect) for name in names), 0)
        for names in (_LIKES, _REPOSTS, _REPLIES, _QUOTES)
    )
    return likes + reposts + replies + quotes


def matching_posts(
    conn: sa.Connection, node: Node | None, filters: SearchFilters, *columns: Any
) -> sa.Select[Any]:
    """SELECT `columns` of the posts that match `node` (None: every post) and the filters."""
    select = sa.select(*columns).select_from(POSTS)
    if node is not None:
        select = select.where(*conditions(node, conn.dialect.name))
    return filtered(select, filters, conn.dialect.name)


def newest_first() -> list[sa.ColumnElement[Any]]:
    return [POSTS.c.created_at.desc(), POSTS.c.id.desc()]


def clip_dates(conn: sa.Connection, filters: SearchFilters) -> SearchFilters:
    """The filters without a date bound that no stored post is beyond (it filters nothing).

    Two index lookups; a bound left in costs a date check on every text match.
    """
    if filters.since is None and filters.until is None:
        return filters
    oldest = sa.select(sa.func.min(POSTS.c.created_at)).scalar_subquery()
    newest = sa.select(sa.func.max(POSTS.c.created_at)).scalar_subquery()
    first, last = conn.execute(sa.select(oldest, newest)).one()
    if first is None:
        return filters
    since = None if filters.since is not None and filters.since <= first else filters.since
    until = None if filters.until is not None and filters.until > last else filters.until
    return replace(filters, since=since, until=until)

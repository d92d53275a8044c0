"""One search of the conversations: read from the form or the API, checked, scoped, run."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from pydantic import BaseModel, BeforeValidator, Field

from listener.analysis.stakeholders import KINDS
from listener.errors import QuerySyntaxError
from listener.query import MAX_QUERY_LENGTH, Node, parse
from listener.store import queries, totals
from listener.store.search_filters import SENTIMENTS, SORTS, SearchFilters
from listener.web.auth import Principal
from listener.web.conversations.shapes import ConversationsOut, post_out
from listener.web.core import record
from listener.web.deps import department, departments, web_state

PER_PAGE = 25
MAX_PAGE = 10_000  # keeps OFFSET far from any integer limit
MAX_ID = 2**31 - 1
_PLATFORM = r"[a-z0-9_.-]{1,16}"
_LANGUAGE = r"[a-z]{2,3}"
Errors = list[tuple[str, str]]  # (field, message), as the GOV.UK error summary lists them


@dataclass(frozen=True)
class Criteria:
    """One search as the form, the API and the exports give it; "" and None mean not set."""

    q: str = ""
    department: str = ""  # a slug
    platform: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    sentiment: str = ""
    language: str = ""
    author_kind: str = ""
    topic: int | None = None
    sort: str = ""  # "": relevance with a query, newest without
    exact_total: bool = False  # count every match, not just up to totals.TOTAL_CAP
    page: int = 1

    def fields(self) -> dict[str, str]:
        """The set fields as query-string values, the page left out."""
        unset = ("", None, False)
        values = {k: v for k, v in asdict(self).items() if k != "page" and v not in unset}
        return {k: _query_value(v) for k, v in values.items()}

    def link(self, path: str, page: int = 1) -> str:
        """`path` with this search in its query string, at `page`."""
        fields = self.fields() | ({"page": str(page)} if page > 1 else {})
        return path + ("?" + urlencode(fields) if fields else "")


def _query_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "true" if value is True else str(value)


def _one_of(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(values) + ")$"


def _iso_only(value: Any) -> Any:
    # pydantic would also take "0" as 1 January 1970: a date here is YYYY-MM-DD only.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]


class SearchParams(BaseModel):
    """The API's search parameters: the Conversations page's form, typed."""

    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="listener's query syntax")
    department: str = Field("", max_length=32, description="one of your departments (a slug)")
    platform: str | None = Field(None, pattern=f"^{_PLATFORM}$")
    since: IsoDate | None = Field(None, description="from this day (UTC)")
    until: IsoDate | None = Field(None, description="up to and including this day (UTC)")
    sentiment: str | None = Field(None, pattern=_one_of(SENTIMENTS))
    language: str | None = Field(None, pattern=f"^{_LANGUAGE}$")
    author_kind: str | None = Field(None, pattern=_one_of(KINDS))
    topic: int | None = Field(None, ge=1, le=MAX_ID, description="a department-week topic's id")
    sort: str | None = Field(None, pattern=_one_of(SORTS), description="relevance needs words")
    exact_total: bool = Field(
        False,
        description=f"count every match; by default `total` stops at {totals.TOTAL_CAP:,}"
        " (then `total_exact` is false)",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(PER_PAGE, ge=1, le=100)

    def criteria(self) -> Criteria:
        """The same search as the form gives."""
        return Criteria(
            q=self.q.strip(),
            department=self.department.strip(),
            platform=self.platform or "",
            since=self.since,
            until=self.until,
            sentiment=self.sentiment or "",
            language=self.language or "",
            author_kind=self.author_kind or "",
            topic=self.topic,
            sort=self.sort or "",
            exact_total=self.exact_total,
            page=self.page,
        )


def _read_date(value: str, name: str, errors: Errors) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((name, "Enter a real date in the form YYYY-MM-DD, for example 2026-11-16"))
        return None


def _read_int(value: str, *, top: int) -> int | None:
    return min(int(value), top) if value.isascii() and value.isdigit() else None


def read_form(params: Mapping[str, str]) -> tuple[Criteria, Errors]:
    """The search in a page's query string, and what is wrong with it, field by field."""
    errors: Errors = []
    text = {name: params.get(name, "").strip() for name in asdict(Criteria())}
    criteria = Criteria(
        q=text["q"],
        department=text["department"],
        platform=text["platform"].lower(),
        since=_read_date(text["since"], "since", errors),
        until=_read_date(text["until"], "until", errors),
        sentiment=text["sentiment"],
        language=text["language"].lower(),
        author_kind=text["author_kind"],
        topic=_read_int(text["topic"], top=MAX_ID),
        sort=text["sort"],
        exact_total=text["exact_total"].lower() in ("true", "1", "yes"),
        page=max(1, _read_int(text["page"], top=MAX_PAGE) or 1),
    )
    if text["topic"] and criteria.topic is None:
        errors.append(("topic", "Choose a topic from the list"))
    # The API just finds nothing between such dates; a person has probably swapped them.
    if criteria.since and criteria.until and criteria.until < criteria.since:
        errors.append(("until", "The end date must be the same as or after the start date"))
    return criteria, errors + check(criteria)


def node_of(criteria: Criteria) -> Node | None:
    """The parsed query; None when there is none (every post the filters allow)."""
    return parse(criteria.q) if criteria.q else None


def check(criteria: Criteria) -> Errors:
    """What is wrong with a search (a malformed query says at which column)."""
    errors: Errors = []
    try:
        node_of(criteria)
    except QuerySyntaxError as exc:
        errors.append(("q", f"Check the search: {exc}"))
    wrong = {
        "platform": not re.fullmatch(_PLATFORM, criteria.platform or "x"),
        "sentiment": criteria.sentiment not in ("", *SENTIMENTS),
        "language": not re.fullmatch(_LANGUAGE, criteria.language or "en"),
        "author_kind": criteria.author_kind not in ("", *KINDS),
        "sort": criteria.sort not in ("", *SORTS),
    }
    messages = {
        "platform": "Choose a platform from the list",
        "sentiment": "Choose positive, neutral or negative",
        "language": "Enter a 2- or 3-letter language code, for example en or cy",
        "author_kind": "Choose a kind of author from the list",
        "sort": "Choose an order from the list",
    }
    return errors + [(name, messages[name]) for name, bad in wrong.items() if bad]


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day else None


def _day_end(day: date | None) -> datetime | None:
    # Inclusive in the form, exclusive in the store; the last day there is has no end.
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def _visible(request: Request, user: Principal) -> frozenset[int] | None:
    """The ids of the departments whose posts this user may see (None: every post)."""
    return None if user.is_admin else frozenset(d.id for d in departments(request, user))


def topics(request: Request, user: Principal) -> list[queries.TopicChoice]:
    """The topics of the departments this user may see, newest week first."""
    with web_state(request).engine.connect() as conn:
        return queries.topic_choices(conn, _visible(request, user))


def scoped(request: Request, user: Principal, criteria: Criteria, *, limit: int) -> SearchFilters:
    """The store's filters for a checked search, never outside the user's departments.

    A department or topic the user may not see answers 404, like any guessed id.
    """
    scope = _visible(request, user)
    if criteria.department:
        scope = frozenset({department(request, user, criteria.department).id})
    if criteria.topic is not None and criteria.topic not in {t.id for t in topics(request, user)}:
        raise HTTPException(404, f"no topic {criteria.topic}")
    return SearchFilters(
        platform=criteria.platform or None,
        since=_day_start(criteria.since),
        until=_day_end(criteria.until),
        sentiment=criteria.sentiment or None,
        language=criteria.language or None,
        author_kind=criteria.author_kind or None,
        topic_id=criteria.topic,
        department_ids=scope,
        sort=criteria.sort or ("relevance" if criteria.q else "newest"),
        limit=limit,
        offset=(criteria.page - 1) * limit,
    )


def audit(
    request: Request, user: Principal, action: str, criteria: Criteria, **detail: Any
) -> None:
    """Record who searched or exported what, and when."""
    # PostgreSQL refuses NUL in text, and a query may hold one (it searches as a space).
    fields = {name: value.replace("\x00", "\ufffd") for name, value in criteria.fields().items()}
    record(request, user.email, action, target=fields.get("q", ""), detail=fields | detail)


def find(
    request: Request, user: Principal, criteria: Criteria, *, per_page: int
) -> ConversationsOut:
    """One page of results for a checked search (recorded in the audit log)."""
    node = node_of(criteria)
    filters = scoped(request, user, criteria, limit=per_page)
    with web_state(request).engine.connect() as conn:
        total, ids = totals.results(conn, node, filters, exact=criteria.exact_total)
        posts = queries.records(conn, ids)
    audit(request, user, "search", criteria, page=criteria.page)
    return ConversationsOut(
        items=[post_out(p, node) for p in posts],
        total=total.value,
        total_exact=total.exact,
        page=criteria.page,
        pages=max(1, math.ceil(total.value / per_page)),
        per_page=per_page,
    )

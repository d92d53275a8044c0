"""A department's overview and its weeks: volume, sentiment, topics, themes, spikes, digests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel

from listener import insight
from listener.configfile import DigestConfig, ListenerConfig
from listener.digest import charts, render
from listener.digest.build import build_context
from listener.digest.context import DayRow, DigestContext, Spike, Theme, TopicSummary
from listener.models import utcnow
from listener.store import digests as store_digests
from listener.store import overview as store_overview
from listener.store import topics as store_topics
from listener.store.weekly import Department
from listener.web.deps import User, department, web_state
from listener.web.templating import page
from listener.weeks import LONDON, Week, local_date, parse_week, week_containing

router = APIRouter()
WEEKS_BEFORE = 8  # full weeks shown before the current one
Slug = Annotated[str, PathParam(max_length=32, description="A department's slug, e.g. dhsc.")]
WeekLabel = Annotated[
    str, PathParam(description="An ISO week, Monday to Sunday in UK time.", examples=["2026-W47"])
]


class Problem(BaseModel):
    detail: str  # what was wrong, in a sentence


_PROBLEMS = {
    400: "Bad input, such as a week that is not an ISO week like 2026-W47.",
    401: "Not signed in, and no valid API token sent.",
    403: "A cookie-authenticated write without the X-CSRF-Token header.",
    404: "No such thing among your departments' data (or a week not begun).",
    409: "No mail server is set up to send from, or its setting is invalid.",
    422: "A parameter of the wrong type or out of range.",
    502: "The mail server would not take the message.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes: each a JSON body with a `detail` sentence."""
    return {code: {"model": Problem, "description": _PROBLEMS[code]} for code in codes}


class DepartmentRef(BaseModel):
    slug: str
    name: str


class WeekRow(BaseModel):
    """Posts and sentiment in one week (Monday to Sunday, Europe/London)."""

    week: str  # YYYY-Www
    start: date  # the Monday
    end: date  # the Sunday
    complete: bool  # False for the week so far
    posts: int
    scored: int  # posts with a sentiment score
    mean_compound: float | None  # of scored posts, -1 to +1
    negative_share: float | None  # of scored posts


class TopicRow(BaseModel):
    label: str
    terms: list[str]
    hashtags: list[str]
    size: int  # posts, reposts included
    share: float  # of the week's posts
    mean_compound: float | None
    is_new: bool  # nothing like it the week before


class DigestRef(BaseModel):
    id: int
    week: str
    built_at: datetime


class Overview(BaseModel):
    """The department page: the last eight full weeks and this one, topics, themes, digest."""

    department: DepartmentRef
    current_week: str
    weeks: list[WeekRow]  # oldest first; the last is the week so far
    topics_week: str | None  # the newest of those weeks with topics
    topics: list[TopicRow]
    themes_week: str  # the last full week
    themes: list[Theme]
    latest_digest: DigestRef | None


class WeekView(BaseModel):
    """One department's week, as the digest would describe it, built from the data now."""

    department: DepartmentRef
    week: str
    start: date
    end: date
    complete: bool
    summary: list[str]  # three plain-English lines
    posts: int
    previous_posts: int
    mean_compound: float | None
    previous_mean_compound: float | None
    negative_share: float | None
    days: list[DayRow]
    topics: list[TopicSummary]  # with representative posts
    themes: list[Theme]
    spikes: list[Spike]
    digests: list[DigestRef]  # archived digests of this week, newest first
    previous_week: str
    next_week: str | None  # None when it has not begun


# --- data: what the pages and their JSON twins show -------------------------------------------


def _ref(found: Department) -> DepartmentRef:
    return DepartmentRef(slug=found.slug, name=found.name)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def weekly_rows(engine: sa.Engine, found: Department, *, now: datetime) -> list[WeekRow]:
    """The last eight full weeks and the week so far, oldest first, counted in the database."""
    current = week_containing(local_date(now))
    weeks = [current.shifted(n) for n in range(-WEEKS_BEFORE, 1)]
    with engine.connect() as conn:
        counts = store_overview.period_counts(
            conn, found.id, edges=[w.start for w in weeks] + [current.end]
        )
    return [
        WeekRow(
            week=week.label,
            start=week.monday,
            end=week.days[-1],
            complete=week.monday < current.monday,
            posts=count.posts,
            scored=count.scored,
            mean_compound=count.mean_compound,
            negative_share=count.negative_share,
        )
        for week, count in zip(weeks, counts, strict=True)
    ]


def day_rows(engine: sa.Engine, found: Department, week: Week) -> list[DayRow]:
    """Posts and sentiment on each day of the week (what the digest's charts show)."""
    with engine.connect() as conn:
        counts = store_overview.period_counts(
            conn, found.id, edges=[_midnight(d) for d in week.days] + [week.end]
        )
    return [
        DayRow(
            date=day.isoformat(),
            posts=c.posts,
            scored=c.scored,
            negative_share=c.negative_share,
            mean_compound=c.mean_compound,
        )
        for day, c in zip(week.days, counts, strict=True)
    ]


def _week_context(engine: sa.Engine, found: Department, week: Week, web_url: str) -> DigestContext:
    # Only the digest section of the config matters here: it says where post links point.
    config = ListenerConfig(departments=[], digest=DigestConfig(web_url=web_url))
    return build_context(insight.week_facts(engine, found, week, config=config))


def _digests(engine: sa.Engine, found: Department, week: str | None = None) -> list[DigestRef]:
    with engine.connect() as conn:
        archived = store_digests.listing(conn, department=found.slug, week=week)
    return [DigestRef(id=d.id, week=d.week, built_at=d.built_at) for d in archived]


def overview(engine: sa.Engine, found: Department, *, now: datetime, web_url: str) -> Overview:
    """Everything on the department page."""
    weeks = weekly_rows(engine, found, now=now)
    with engine.connect() as conn:
        topics_week = store_overview.newest_topic_week(conn, found.id, [w.week for w in weeks])
        topics = store_topics.load_topics(conn, found.id, topics_week) if topics_week else []
    last_full = parse_week(weeks[-2].week)
    latest = _digests(engine, found)
    return Overview(
        department=_ref(found),
        current_week=weeks[-1].week,
        weeks=weeks,
        topics_week=topics_week,
        topics=[
            TopicRow(
                label=t.label,
                terms=t.terms,
                hashtags=t.hashtags,
                size=t.size,
                share=round(t.share, 4),
                mean_compound=None if t.mean_compound is None else round(t.mean_compound, 4),
                is_new=t.is_new,
            )
            for t in topics
        ],
        themes_week=last_full.label,
        themes=_week_context(engine, found, last_full, web_url).themes,
        latest_digest=latest[0] if latest else None,  # newest week first, then newest build
    )


def week_view(
    engine: sa.Engine, found: Department, week: Week, *, now: datetime, web_url: str
) -> WeekView:
    """Everything on one week's page; a week that has not begun is not found."""
    current = week_containing(local_date(now))
    if week.monday > current.monday:
        raise HTTPException(404, f"{week.label} has not begun yet")
    context = _week_context(engine, found, week, web_url)
    return WeekView(
        department=_ref(found),
        week=week.label,
        start=week.monday,
        end=week.days[-1],
        complete=week.monday < current.monday,
        summary=context.summary,
        posts=context.posts,
        previous_posts=context.previous_posts,
        mean_compound=context.mean_compound,
        previous_mean_compound=context.previous_mean_compound,
        negative_share=context.negative_share,
        days=context.days,
        topics=context.topics,
        themes=context.themes,
        spikes=context.spikes,
        digests=_digests(engine, found, week.label),
        previous_week=week.shifted(-1).label,
        next_week=None if week.monday >= current.monday else week.shifted(1).label,
    )


# --- charts: PNGs with their words beside them ---------------------------------------------


def _bars(rows: Sequence[WeekRow]) -> list[charts.WeekBar]:
    return [
        charts.WeekBar(r.week, r.start, r.posts, r.mean_compound, partial=not r.complete)
        for r in rows
    ]


WEEKLY_CHARTS: dict[str, Callable[[Sequence[charts.WeekBar]], bytes]] = {
    "weekly-volume.png": charts.weekly_volume_chart,
    "weekly-sentiment.png": charts.weekly_sentiment_chart,
}
DAILY_CHARTS: dict[str, Callable[[Sequence[DayRow]], bytes]] = {
    "volume-by-day.png": charts.volume_chart,
    "sentiment-by-day.png": charts.sentiment_chart,
}


def _mood(score: float | None) -> str:
    return "no scored posts" if score is None else charts.signed(score)


def weekly_chart_text(rows: Sequence[WeekRow]) -> list[dict[str, str]]:
    """Title, file name and alt text of the two weekly charts."""
    bars = _bars(rows)
    volumes = "; ".join(f"{charts.week_label(b)} {b.posts:,}" for b in bars)
    moods = "; ".join(f"{charts.week_label(b)} {_mood(b.mean_compound)}" for b in bars)
    return [
        {
            "name": "weekly-volume.png",
            "title": "Posts per week",
            "alt": f"Bar chart of posts per week: {volumes}.",
        },
        {
            "name": "weekly-sentiment.png",
            "title": "Mean sentiment per week",
            "alt": "Bar chart of mean sentiment per week, from -1 (negative) to +1 (positive): "
            f"{moods}.",
        },
    ]


def daily_chart_text(days: Sequence[DayRow]) -> list[dict[str, str]]:
    """Title, file name and alt text of the two charts of a week's days."""
    volumes = "; ".join(f"{charts.day_label(d.date)} {d.posts:,}" for d in days)
    moods = "; ".join(f"{charts.day_label(d.date)} {_mood(d.mean_compound)}" for d in days)
    return [
        {
            "name": "volume-by-day.png",
            "title": "Posts by day",
            "alt": f"Bar chart of posts per day: {volumes}.",
        },
        {
            "name": "sentiment-by-day.png",
            "title": "Mean sentiment by day",
            "alt": "Bar chart of mean sentiment per day, from -1 (negative) to +1 (positive): "
            f"{moods}.",
        },
    ]


def dates(week: str) -> str:
    """'2026-W47' -> '16 to 22 November 2026'."""
    found = parse_week(week)
    return render.week_range(found.start.isoformat(), found.end.isoformat())


# What templates call to put numbers and times into words (the digest's own wording).
FORMATS: dict[str, Callable[..., str]] = {
    "sentiment": render.sentiment,
    "percent": render.percent,
    "signed": charts.signed,
    "day": charts.day_label,
    "long_date": charts.long_date,
    "when": lambda moment: render.when(moment.isoformat()),
    "when_iso": render.when,
    "dates": dates,
    "rise": render.rise,
    "reason": render.reason,
    "kind": render.kind,
    "platform": render.platform,
}


# --- routes: each page beside its JSON twin ------------------------------------------------


@router.get("/departments/{slug}", include_in_schema=False)
def overview_page(request: Request, slug: str, user: User) -> Response:
    state = web_state(request)
    found = department(request, user, slug)
    data = overview(state.engine, found, now=utcnow(), web_url=state.web_url)
    return page(
        request,
        "overview/department.html",
        o=data,
        charts=weekly_chart_text(data.weeks),
        fmt=FORMATS,
    )


@router.get(
    "/api/v1/departments/{slug}/overview",
    response_model=Overview,
    responses=problems(400, 401, 404, 422),
    tags=["departments"],
)
def overview_json(request: Request, slug: Slug, user: User) -> Overview:
    """The last eight full weeks and this week so far, the newest topics, emerging themes
    of the last full week and the latest digest."""
    state = web_state(request)
    found = department(request, user, slug)
    return overview(state.engine, found, now=utcnow(), web_url=state.web_url)


@router.get("/departments/{slug}/charts/{name}", include_in_schema=False)
def weekly_chart(request: Request, slug: str, name: str, user: User) -> Response:
    draw = WEEKLY_CHARTS.get(name)
    found = department(request, user, slug)
    if draw is None:
        raise HTTPException(404, f"no chart {name!r}")
    rows = weekly_rows(web_state(request).engine, found, now=utcnow())
    return Response(draw(_bars(rows)), media_type="image/png")


@router.get("/departments/{slug}/weeks/{week}", include_in_schema=False)
def week_page(request: Request, slug: str, week: str, user: User) -> Response:
    state = web_state(request)
    found = department(request, user, slug)
    data = week_view(
        state.engine, found, parse_week(week, name="week"), now=utcnow(), web_url=state.web_url
    )
    return page(
        request, "overview/week.html", w=data, charts=daily_chart_text(data.days), fmt=FORMATS
    )


@router.get(
    "/api/v1/departments/{slug}/weeks/{week}",
    response_model=WeekView,
    responses=problems(400, 401, 404, 422),
    tags=["departments"],
)
def week_json(request: Request, slug: Slug, week: WeekLabel, user: User) -> WeekView:
    """One week: its days, topics with representative posts, emerging themes and spikes,
    built from the data as it is now, and the digests archived for it."""
    state = web_state(request)
    found = department(request, user, slug)
    wanted = parse_week(week, name="week")
    return week_view(state.engine, found, wanted, now=utcnow(), web_url=state.web_url)


@router.get("/departments/{slug}/weeks/{week}/charts/{name}", include_in_schema=False)
def daily_chart(request: Request, slug: str, week: str, name: str, user: User) -> Response:
    draw = DAILY_CHARTS.get(name)
    found = department(request, user, slug)
    wanted = parse_week(week, name="week")
    if draw is None:
        raise HTTPException(404, f"no chart {name!r}")
    return Response(
        draw(day_rows(web_state(request).engine, found, wanted)), media_type="image/png"
    )

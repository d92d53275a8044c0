"""The digest as plain data: what build.py produces, render.py draws, and the archive keeps.

Every field is JSON-safe, so an archived digest re-renders to the same bytes. Post text
is kept verbatim (already turned from HTML into readable text); escaping is the
renderer's job, never the builder's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Bump when the context's shape or the templates change how a stored digest looks.
DIGEST_VERSION = "1"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PostRef(_Data):
    """One post quoted in the digest, with a link to the original."""

    id: int  # listener's post id (for the web app's thread view)
    platform: str
    url: str  # the original on the platform: http(s) only, else ""
    author: str  # display name for public figures and organisations, else a pseudonym
    author_kind: str  # mp | journalist | charity | government | business | public
    created_at: str  # ISO 8601, UTC
    text: str  # verbatim readable text, cut to a few hundred characters
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    sentiment: str | None = None  # positive | neutral | negative, None when not scored
    compound: float | None = None


class DayRow(_Data):
    """Volume and sentiment on one day of the week (Europe/London dates)."""

    date: str  # YYYY-MM-DD
    posts: int
    scored: int  # posts with a sentiment score
    negative_share: float | None  # of scored posts
    mean_compound: float | None


class TopicSummary(_Data):
    label: str  # e.g. "price cap · standing charges · #EnergyBills"
    terms: list[str]
    hashtags: list[str]
    size: int  # posts, reposts included
    share: float  # of the week's posts
    mean_compound: float | None
    is_new: bool  # no similar topic the week before
    posts: list[PostRef]  # representative: central and engaged


class Theme(_Data):
    """A term or hashtag whose use rose most against the previous weeks."""

    term: str
    kind: str  # term | hashtag
    count: int  # this week
    baseline: float  # mean per week over the previous weeks
    score: float  # z-score of the weighted log-odds ratio


class Spike(_Data):
    date: str  # YYYY-MM-DD
    reasons: list[str]  # volume | negativity
    posts: int
    baseline_posts: float
    negative_share: float | None
    baseline_negative_share: float | None
    drivers: list[PostRef]


class VoiceAccount(_Data):
    name: str  # public figures and organisations by name; private individuals pseudonymised
    handle: str | None  # None when pseudonymised
    platform: str
    url: str  # profile link, "" when pseudonymised
    posts: int  # posts this week
    engagement: int  # likes + reposts + replies + quotes received
    amplified: int  # times reposted or quoted


class VoiceGroup(_Data):
    kind: str  # mp | journalist | charity | government | business | public
    accounts: list[VoiceAccount]


class SourceCoverage(_Data):
    source: str
    runs: int
    ok: int
    partial: int
    failed: int
    posts_new: int
    rate_limit_wait_seconds: float
    last_success: str | None  # ISO 8601
    errors: list[str]  # distinct failure reasons, most recent first


class Coverage(_Data):
    window_start: str  # ISO 8601 (Monday 00:00 Europe/London)
    window_end: str  # ISO 8601 (next Monday 00:00 Europe/London)
    sources: list[SourceCoverage]
    watches: list[str]  # what was watched, as written in the config
    gaps: list[str]  # sentences: days with no collection, sources never run
    other_languages: list[tuple[str, int]]  # (language code, posts), not scored
    unscored: int
    platforms: list[tuple[str, int]] = []  # (platform, posts this week), most first


class Consultation(_Data):
    """Consultation responses received in the week, shown beside social posts."""

    responses: int
    negative_share: float | None
    mean_compound: float | None
    examples: list[PostRef]


class DigestContext(_Data):
    version: str = DIGEST_VERSION
    department: str  # slug
    department_name: str
    week: str  # YYYY-Www
    generated_at: str  # ISO 8601
    summary: list[str]  # three plain-English lines
    posts: int
    previous_posts: int
    mean_compound: float | None
    previous_mean_compound: float | None
    negative_share: float | None
    days: list[DayRow]
    topics: list[TopicSummary]
    themes: list[Theme]
    spikes: list[Spike]
    voices: list[VoiceGroup]
    most_engaged: list[PostRef]
    consultation: Consultation | None
    coverage: Coverage
    web_url: str  # the web app's view of this department and week, "" if not configured

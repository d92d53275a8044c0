"""Digest contexts for renderer tests: one realistic DESNZ week, hostile posts included.

`make_context()` is a full week (seven days, five topics, themes, a spike, voices of
every kind, consultation responses, a coverage statement with a failed source and a
rate-limit wait, posts in other languages). Override any top-level field by keyword;
`make_empty_context()` is a week where nothing was collected.
"""

from __future__ import annotations

import zlib
from typing import Any

from listener.digest.context import (
    Consultation,
    Coverage,
    DayRow,
    DigestContext,
    PostRef,
    SourceCoverage,
    Spike,
    Theme,
    TopicSummary,
    VoiceAccount,
    VoiceGroup,
)

WEEK = "2026-W47"
DAYS = [f"2026-11-{day}" for day in range(16, 23)]  # Monday 16 to Sunday 22 November

# Hostile texts a post may carry: each must show as text and never act.
SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = "<img src=x onerror=alert(1)>"
BIDI = "Refund due \u202egnp.exe\u202c now"
CONTROLS = "bell\x07 and escape\x1b[31m red and NUL\x00 end"
JAVASCRIPT_URL = "javascript:alert(document.cookie)"


def make_post(**overrides: Any) -> PostRef:
    """A public post quoted in the digest; any field can be overridden."""
    # A stable id from the text, so two calls to make_context() build equal contexts.
    post_id = overrides.pop("id", zlib.crc32(overrides.get("text", "").encode()) % 900000 + 1000)
    fields: dict[str, Any] = {
        "id": post_id,
        "platform": "x",
        "url": f"https://x.com/i/web/status/{1860000000000000000 + post_id}",
        "author": "Member of the public 7F3A",
        "author_kind": "public",
        "created_at": f"2026-11-{16 + post_id % 7}T{6 + post_id % 17:02d}:{post_id % 60:02d}:00Z",
        "text": "Our direct debit went up again this month and the standing charge alone is "
        "more than we use in summer. Who decided this was fair? #EnergyBills",
        "likes": 214,
        "reposts": 57,
        "replies": 31,
        "sentiment": "negative",
        "compound": -0.62,
    }
    fields.update(overrides)
    return PostRef(**fields)


# fmt: off
def _topics() -> list[TopicSummary]:
    return [
        TopicSummary(
            label="price cap · standing charges · #EnergyBills",
            terms=["price cap", "standing charge", "direct debit", "ofgem"],
            hashtags=["#EnergyBills", "#PriceCap"],
            size=1842, share=0.31, mean_compound=-0.34, is_new=False,
            posts=[
                make_post(),
                make_post(
                    author="Martin Lewis", author_kind="journalist", platform="bluesky",
                    url="https://bsky.app/profile/martinslewis.bsky.social/post/3lb2x",
                    text="Ofgem confirms the price cap rises 1.2% from January. The standing "
                    "charge is the part to watch: it rises for everyone, whatever you use.",
                    likes=5120, reposts=1830, replies=402, sentiment="neutral", compound=0.02,
                ),
                make_post(text=f"Try this {SCRIPT} on your meter reading", compound=-0.1),
            ],
        ),
        TopicSummary(
            label="heat pumps · boiler upgrade scheme · #HeatPumps",
            terms=["heat pump", "boiler upgrade scheme", "installer"], hashtags=["#HeatPumps"],
            size=1103, share=0.19, mean_compound=0.18, is_new=False,
            posts=[
                make_post(
                    author="Energy Saving Trust", author_kind="charity",
                    text="Our heat pump case studies: 41 homes, average running cost down "
                    "£310 a year.\nRead the full findings on our site.",
                    likes=310, reposts=98, replies=12, sentiment="positive", compound=0.64,
                ),
                make_post(author="Member of the public 2B9C", text=IMG_ONERROR, compound=0.0,
                          sentiment="neutral"),
            ],
        ),
        TopicSummary(
            label="warm home discount · pensioners · winter fuel",
            terms=["warm home discount", "pensioners", "winter fuel payment"], hashtags=[],
            size=702, share=0.12, mean_compound=-0.41, is_new=True,
            posts=[
                make_post(
                    author="Age UK", author_kind="charity", platform="mastodon",
                    url="https://mastodon.social/@ageuk/113512",
                    text="Too many older people still don't know whether they qualify for "
                    "the Warm Home Discount. Check before 31 March.",
                    likes=88, reposts=61, replies=9, compound=-0.05, sentiment="neutral",
                ),
                make_post(author="Member of the public 0D41", text=BIDI, compound=-0.3),
            ],
        ),
        TopicSummary(
            label="#NetZero · onshore wind · planning",
            terms=["onshore wind", "planning", "grid connection"], hashtags=["#NetZero"],
            size=655, share=0.11, mean_compound=0.07, is_new=False,
            posts=[
                make_post(
                    author="Claire Coutinho MP", author_kind="mp",
                    text="Constituents keep asking me when the grid connection queue will "
                    "move. Written question tabled today.",
                    likes=402, reposts=77, replies=140, sentiment="neutral", compound=0.0,
                ),
                make_post(author="Member of the public 5E10", text=CONTROLS, url=JAVASCRIPT_URL,
                          compound=0.1, sentiment="positive"),
            ],
        ),
        TopicSummary(
            label="smart meters · prepayment · forced installation",
            terms=["smart meter", "prepayment", "warrant"], hashtags=["#SmartMeters"],
            size=388, share=0.07, mean_compound=-0.52, is_new=False,
            posts=[
                make_post(
                    author="Citizens Advice", author_kind="charity", platform="rss",
                    url="https://www.citizensadvice.org.uk/about-us/blog/prepayment",
                    text="Prepayment customers are still self-disconnecting in cold weather.",
                    likes=0, reposts=0, replies=0, compound=-0.44,
                ),
            ],
        ),
    ]
# fmt: on


def _days() -> list[DayRow]:
    counts = [612, 705, 1990, 884, 760, 401, 448]
    means = [-0.12, -0.15, -0.38, -0.21, -0.09, 0.04, None]
    return [
        DayRow(
            date=day,
            posts=count,
            scored=0 if mean is None else round(count * 0.92),
            negative_share=None if mean is None else round(0.36 - mean * 0.5, 3),
            mean_compound=mean,
        )
        for day, count, mean in zip(DAYS, counts, means, strict=True)
    ]


def _voices() -> list[VoiceGroup]:
    def account(name: str, handle: str | None, **fields: Any) -> VoiceAccount:
        url = f"https://x.com/{handle}" if handle else ""
        return VoiceAccount(
            name=name,
            handle=handle,
            platform=fields.pop("platform", "x"),
            url=fields.pop("url", url),
            **fields,
        )

    return [
        VoiceGroup(
            kind="mp",
            accounts=[
                account(
                    "Claire Coutinho MP", "ClaireCoutinho", posts=6, engagement=3410, amplified=290
                ),
                account("Ed Miliband MP", "Ed_Miliband", posts=4, engagement=12800, amplified=2100),
            ],
        ),
        VoiceGroup(
            kind="journalist",
            accounts=[
                account(
                    "Martin Lewis",
                    "martinslewis.bsky.social",
                    platform="bluesky",
                    url="https://bsky.app/profile/martinslewis.bsky.social",
                    posts=3,
                    engagement=7352,
                    amplified=1830,
                ),
            ],
        ),
        VoiceGroup(
            kind="charity",
            accounts=[
                account(
                    "Age UK",
                    "ageuk@mastodon.social",
                    platform="mastodon",
                    url="https://mastodon.social/@ageuk",
                    posts=5,
                    engagement=158,
                    amplified=61,
                ),
                account(
                    "Energy Saving Trust", "EnergySvgTrust", posts=2, engagement=420, amplified=98
                ),
            ],
        ),
        VoiceGroup(
            kind="government",
            accounts=[
                account("DESNZ", "energygovuk", posts=9, engagement=2210, amplified=640),
            ],
        ),
        VoiceGroup(
            kind="business",
            accounts=[
                account(
                    "Octopus Energy",
                    "octopus_energy",
                    posts=4,
                    engagement=1980,
                    amplified=210,
                    url=JAVASCRIPT_URL,
                ),
            ],
        ),
        VoiceGroup(
            kind="public",
            accounts=[
                account("Member of the public 7F3A", None, posts=14, engagement=960, amplified=57),
                account(f"Member {SCRIPT}", None, posts=3, engagement=12, amplified=0),
            ],
        ),
    ]


# fmt: off
def _coverage() -> Coverage:
    return Coverage(
        window_start="2026-11-16T00:00:00+00:00", window_end="2026-11-23T00:00:00+00:00",
        sources=[
            SourceCoverage(source="x", runs=168, ok=160, partial=5, failed=3, posts_new=4650,
                           rate_limit_wait_seconds=2790.0, last_success="2026-11-22T23:45:00Z",
                           errors=["HTTP 503 from api.x.com (service unavailable)"]),
            SourceCoverage(source="bluesky", runs=168, ok=168, partial=0, failed=0, posts_new=1012,
                           rate_limit_wait_seconds=0.0, last_success="2026-11-22T23:50:00Z",
                           errors=[]),
            SourceCoverage(source="mastodon", runs=56, ok=0, partial=0, failed=56, posts_new=0,
                           rate_limit_wait_seconds=0.0, last_success=None,
                           errors=["HTTP 401: the access token was revoked"]),
        ],
        watches=["#EnergyBills", "#PriceCap", "#NetZero", "#HeatPumps", "price cap",
                 "standing charge", "heat pump", "warm home discount",
                 '("energy bills" OR "energy prices") (rise OR increase OR cap OR help)',
                 "from:energygovuk"],
        gaps=["Mastodon collected nothing all week: every run failed (HTTP 401).",
              "No X collection between 03:00 and 07:00 on Thursday 19 November."],
        other_languages=[("cy", 42), ("pl", 13), ("ur", 4)],
        unscored=59,
    )
# fmt: on


def _base() -> dict[str, Any]:
    topics = _topics()
    return {
        "department": "desnz",
        "department_name": "Department for Energy Security and Net Zero",
        "week": WEEK,
        "generated_at": "2026-11-23T06:00:00Z",
        "summary": [
            "5,800 posts this week, up 14% on last week's 5,088.",
            "Sentiment was mostly negative (-0.21), down 0.05 on last week.",
            "The biggest topic was the price cap and standing charges (31% of posts); "
            "the biggest mover was the warm home discount, new this week.",
        ],
        "posts": 5800,
        "previous_posts": 5088,
        "mean_compound": -0.21,
        "previous_mean_compound": -0.16,
        "negative_share": 0.44,
        "days": _days(),
        "topics": topics,
        "themes": [
            Theme(term="#WarmHomeDiscount", kind="hashtag", count=311, baseline=12.5, score=9.8),
            Theme(term="standing charge", kind="term", count=540, baseline=190.0, score=6.1),
            Theme(term="grid connection", kind="term", count=96, baseline=0.0, score=4.4),
            Theme(term=IMG_ONERROR, kind="term", count=12, baseline=1.0, score=2.1),
        ],
        "spikes": [
            Spike(
                date="2026-11-18",
                reasons=["volume", "negativity"],
                posts=1990,
                baseline_posts=690.0,
                negative_share=0.55,
                baseline_negative_share=0.37,
                drivers=[topics[0].posts[1], topics[0].posts[0]],
            ),
        ],
        "voices": _voices(),
        "most_engaged": [topics[0].posts[1], topics[1].posts[0]],
        "consultation": Consultation(
            responses=214,
            negative_share=0.61,
            mean_compound=-0.29,
            examples=[
                make_post(
                    platform="consultation",
                    url="",
                    author="Respondent 118",
                    text="As a landlord of three older properties I cannot meet EPC C by 2030 "
                    "without raising rents. The grant cap is far too low.",
                    likes=0,
                    reposts=0,
                    replies=0,
                    compound=-0.47,
                )
            ],
        ),
        "coverage": _coverage(),
        "web_url": "https://listener.example.gov.uk/departments/desnz/weeks/2026-W47",
    }


def make_context(**overrides: Any) -> DigestContext:
    """A realistic DESNZ week with hostile posts; keyword arguments replace top-level fields."""
    return DigestContext(**{**_base(), **overrides})


def make_empty_context(**overrides: Any) -> DigestContext:
    """A week with no posts at all: every section should still say something."""
    empty_days = [
        DayRow(date=day, posts=0, scored=0, negative_share=None, mean_compound=None) for day in DAYS
    ]
    coverage = Coverage(
        window_start="2026-11-16T00:00:00+00:00",
        window_end="2026-11-23T00:00:00+00:00",
        sources=[],
        watches=[],
        gaps=["No source ran this week."],
        other_languages=[],
        unscored=0,
    )
    fields: dict[str, Any] = {
        "summary": [
            "No posts this week (none last week either).",
            "Nothing was scored.",
            "No topics this week.",
        ],
        "posts": 0,
        "previous_posts": 0,
        "mean_compound": None,
        "previous_mean_compound": None,
        "negative_share": None,
        "days": empty_days,
        "topics": [],
        "themes": [],
        "spikes": [],
        "voices": [],
        "most_engaged": [],
        "consultation": None,
        "coverage": coverage,
        "web_url": "",
    }
    return make_context(**{**fields, **overrides})

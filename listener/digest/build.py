"""Turn a department's week, already read and analysed, into the digest's plain data.

Pure: no database, no clock; the same inputs give the same context. Private individuals
are pseudonymised here ("Member of the public 3"), and links to their posts point at the
web app, where people with access can see the original; public figures and organisations
are shown by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from listener.analysis.stakeholders import KINDS, PUBLIC
from listener.analysis.trends import DayCount, DaySpike, EmergingTerm
from listener.digest import context as ctx
from listener.digest.coverage import coverage
from listener.digest.summary import summary_lines
from listener.store.topics import StoredTopic
from listener.store.weekly import Department, RunRow, WeekPost

# Post text in an email is cut here; the web app shows the whole of it.
MAX_TEXT = 600
VOICES_PER_KIND = 5
MOST_ENGAGED = 5
DRIVERS_PER_SPIKE = 3


@dataclass(frozen=True)
class WeekFacts:
    """Everything read and computed for one department's week."""

    department: Department
    week: str
    days: Sequence[date]  # the seven days, Europe/London
    window: tuple[datetime, datetime]  # [start, end) in UTC
    generated_at: datetime
    posts: Sequence[WeekPost]
    local_day: Mapping[int, date]  # post id -> its Europe/London date
    day_counts: Mapping[date, DayCount]
    previous: tuple[int, float | None]  # last week's posts and mean compound
    topics: Sequence[StoredTopic]
    themes: Sequence[EmergingTerm]
    earlier_posts: int  # original posts in the weeks themes are compared with
    hashtag_case: Mapping[str, str]  # "#energybills" -> "#EnergyBills"
    spikes: Sequence[DaySpike]
    amplified: Mapping[int, int]  # author id -> reposts and quotes of their posts this week
    runs: Sequence[RunRow]
    watches: Sequence[str]
    web_url: str
    languages: Mapping[str, int]  # posts in languages other than English, by code
    unscored: int


class _Refs:
    """Makes PostRefs, numbering pseudonyms in order of first appearance."""

    def __init__(self, facts: WeekFacts) -> None:
        self.facts = facts
        self.pseudonyms: dict[object, str] = {}

    def author(self, post: WeekPost) -> str:
        if post.author_kind != PUBLIC:
            return post.author_name or f"@{post.author_handle}"
        key = post.author_id or (post.platform, post.author_handle)
        if key not in self.pseudonyms:
            self.pseudonyms[key] = f"Member of the public {len(self.pseudonyms) + 1}"
        return self.pseudonyms[key]

    def url(self, post: WeekPost) -> str:
        if post.author_kind == PUBLIC:
            web = self.facts.web_url
            return f"{web.rstrip('/')}/posts/{post.id}" if web else ""
        return post.url if post.url.startswith(("https://", "http://")) else ""

    def ref(self, post: WeekPost) -> ctx.PostRef:
        text = post.text if len(post.text) <= MAX_TEXT else post.text[: MAX_TEXT - 1] + "…"
        return ctx.PostRef(
            id=post.id,
            platform=post.platform,
            url=self.url(post),
            author=self.author(post),
            author_kind=post.author_kind,
            created_at=post.created_at.isoformat(),
            text=text,
            likes=post.likes,
            reposts=post.reposts,
            replies=post.replies,
            sentiment=post.label,
            compound=None if post.compound is None else round(post.compound, 4),
        )


def build_context(facts: WeekFacts) -> ctx.DigestContext:
    """The digest for one department and week."""
    refs = _Refs(facts)
    social = [p for p in facts.posts if p.kind != "response"]
    responses = [p for p in facts.posts if p.kind == "response"]
    by_id = {p.id: p for p in facts.posts}
    mean, negative = _sentiment(facts.posts)
    topics = [_topic(t, by_id, refs) for t in facts.topics]
    themes = [_theme(t, facts.hashtag_case) for t in facts.themes]
    context = ctx.DigestContext(
        department=facts.department.slug,
        department_name=facts.department.name,
        week=facts.week,
        generated_at=facts.generated_at.isoformat(),
        summary=[],
        posts=len(facts.posts),
        previous_posts=facts.previous[0],
        mean_compound=mean,
        previous_mean_compound=facts.previous[1],
        negative_share=negative,
        days=[_day(facts.day_counts.get(d), d) for d in facts.days],
        topics=topics,
        themes=themes,
        spikes=[_spike(s, facts, refs) for s in facts.spikes],
        voices=_voices(social, facts, refs),
        most_engaged=[refs.ref(p) for p in _top_engaged(social, MOST_ENGAGED)],
        consultation=_consultation(responses, refs) if responses and social else None,
        coverage=coverage(facts),
        web_url=_week_url(facts),
    )
    return context.model_copy(update={"summary": summary_lines(context)})


def _sentiment(posts: Iterable[WeekPost]) -> tuple[float | None, float | None]:
    scores = [(p.compound, p.label) for p in posts if p.compound is not None]
    if not scores:
        return None, None
    mean = sum(c for c, _ in scores) / len(scores)
    return round(mean, 4), round(sum(1 for _, lab in scores if lab == "negative") / len(scores), 4)


def _day(counts: DayCount | None, day: date) -> ctx.DayRow:
    if counts is None:
        return ctx.DayRow(
            date=day.isoformat(), posts=0, scored=0, negative_share=None, mean_compound=None
        )
    share = round(counts.negative / counts.scored, 4) if counts.scored else None
    return ctx.DayRow(
        date=day.isoformat(),
        posts=counts.posts,
        scored=counts.scored,
        negative_share=share,
        mean_compound=round(counts.compound_sum / counts.scored, 4) if counts.scored else None,
    )


def _topic(topic: StoredTopic, by_id: Mapping[int, WeekPost], refs: _Refs) -> ctx.TopicSummary:
    return ctx.TopicSummary(
        label=topic.label,
        terms=topic.terms,
        hashtags=topic.hashtags,
        size=topic.size,
        share=round(topic.share, 4),
        mean_compound=None if topic.mean_compound is None else round(topic.mean_compound, 4),
        is_new=topic.is_new,
        posts=[refs.ref(by_id[i]) for i in topic.representative_ids if i in by_id],
    )


def _theme(term: EmergingTerm, hashtag_case: Mapping[str, str]) -> ctx.Theme:
    is_tag = term.term.startswith("#")
    return ctx.Theme(
        term=hashtag_case.get(term.term, term.term) if is_tag else term.term,
        kind="hashtag" if is_tag else "term",
        count=term.count,
        baseline=round(term.baseline, 2),
        score=round(term.z, 2),
    )


def _spike(spike: DaySpike, facts: WeekFacts, refs: _Refs) -> ctx.Spike:
    that_day = [p for p in facts.posts if facts.local_day.get(p.id) == spike.day]
    if spike.reasons == ("negativity",):
        that_day = [p for p in that_day if p.label == "negative"]
    return ctx.Spike(
        date=spike.day.isoformat(),
        reasons=list(spike.reasons),
        posts=spike.posts,
        baseline_posts=round(spike.baseline_posts, 2),
        negative_share=_round(spike.negative_share),
        baseline_negative_share=_round(spike.baseline_negative_share),
        drivers=[refs.ref(p) for p in _top_engaged(that_day, DRIVERS_PER_SPIKE)],
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _top_engaged(posts: Iterable[WeekPost], limit: int) -> list[WeekPost]:
    """The most engaged original posts, one per text (a campaign counts once)."""
    chosen: list[WeekPost] = []
    seen: set[str] = set()
    ranked = sorted(
        (p for p in posts if p.kind != "repost"), key=lambda p: (-p.engagement, p.created_at, p.id)
    )
    for post in ranked:
        if post.text_hash in seen:
            continue
        seen.add(post.text_hash)
        chosen.append(post)
        if len(chosen) == limit:
            break
    return chosen


def _voices(posts: Sequence[WeekPost], facts: WeekFacts, refs: _Refs) -> list[ctx.VoiceGroup]:
    """Most active and most amplified accounts this week, grouped by kind of voice."""
    activity: Counter[int] = Counter()
    engagement: Counter[int] = Counter()
    sample: dict[int, WeekPost] = {}
    for post in posts:
        if post.author_id is None:
            continue
        activity[post.author_id] += 1
        if post.kind != "repost":
            engagement[post.author_id] += post.engagement
        sample.setdefault(post.author_id, post)
    groups = []
    for kind in KINDS:
        ids = [a for a in activity if sample[a].author_kind == kind]
        ids.sort(key=lambda a: (-(facts.amplified.get(a, 0) + engagement[a]), -activity[a], a))
        accounts = [
            _account(sample[a], activity[a], engagement[a], facts.amplified.get(a, 0), refs)
            for a in ids[:VOICES_PER_KIND]
        ]
        if accounts:
            groups.append(ctx.VoiceGroup(kind=kind, accounts=accounts))
    return groups


def _account(
    post: WeekPost, posts: int, engagement: int, amplified: int, refs: _Refs
) -> ctx.VoiceAccount:
    public = post.author_kind == PUBLIC
    return ctx.VoiceAccount(
        name=refs.author(post),
        handle=None if public else post.author_handle,
        platform=post.platform,
        url="" if public else _profile_url(post),
        posts=posts,
        engagement=engagement,
        amplified=amplified,
    )


def _profile_url(post: WeekPost) -> str:
    handle = post.author_handle
    if post.platform == "x":
        return f"https://x.com/{handle}"
    if post.platform == "bluesky":
        return f"https://bsky.app/profile/{handle}"
    if post.platform == "mastodon" and "@" in handle:
        user, instance = handle.split("@", 1)
        return f"https://{instance}/@{user}"
    return ""


def _consultation(responses: Sequence[WeekPost], refs: _Refs) -> ctx.Consultation:
    mean, negative = _sentiment(responses)
    examples = sorted(responses, key=lambda p: (p.created_at, p.id))[:3]
    return ctx.Consultation(
        responses=len(responses),
        negative_share=negative,
        mean_compound=mean,
        examples=[refs.ref(p) for p in examples],
    )


def _week_url(facts: WeekFacts) -> str:
    web = facts.web_url.rstrip("/")
    return f"{web}/departments/{facts.department.slug}/weeks/{facts.week}" if web else ""

"""Weekly insight use-cases: voice kinds, topics per department-week, digests built and archived.

Shared by the CLI, the scheduler and the web app; analysis and digest code stay pure and
this module feeds them from the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from listener.analysis.stakeholders import AccountFacts, classify, curated_kinds
from listener.analysis.trends import DayCount, TermUse, emerging_terms, find_spikes
from listener.configfile import ListenerConfig
from listener.digest.build import WeekFacts, build_context
from listener.digest.context import DigestContext
from listener.errors import NotFoundError
from listener.models import utcnow
from listener.plaintext import html_to_text
from listener.store import topics as store_topics
from listener.store import weekly
from listener.store.db import write_transaction
from listener.store.scores import SCORED_LANGS
from listener.weeks import Week, local_date, week_containing

if TYPE_CHECKING:
    from listener.digest.deliver import DeliveryReport, DigestBatch
    from listener.digest.smtpurl import SmtpConfig

EARLIER_WEEKS = 4  # emerging themes compare with this many weeks before
TRAILING_DAYS = 28
THEMES = 10


@dataclass
class InsightReport:
    """What an insight pass did."""

    authors_classified: int = 0
    weeks_modelled: list[tuple[str, str, int]] = field(default_factory=list)  # (dept, week, topics)
    weeks_current: int = 0


def classify_voices(engine: sa.Engine, config: ListenerConfig) -> int:
    """Give every author a kind of voice; returns how many changed."""
    curated = curated_kinds(config.voices)
    changed: dict[int, str] = {}
    with engine.connect() as conn:
        for author_id, platform, handle, name, description, verified, kind in weekly.authors(conn):
            text = html_to_text(description) if platform == "mastodon" else description
            new = classify(AccountFacts(platform, handle, name, text, verified), curated)
            if new != kind:
                changed[author_id] = new
    with write_transaction(engine) as conn:
        weekly.set_author_kinds(conn, changed)
    return len(changed)


def analyze_insight(engine: sa.Engine, config: ListenerConfig) -> InsightReport:
    """Classify voices, then find topics for every department-week whose posts changed."""
    report = InsightReport(authors_classified=classify_voices(engine, config))
    with engine.connect() as conn:
        departments = weekly.departments(conn)
    for department in departments:
        for week in _weeks_with_posts(engine, department.id):
            found = refresh_topics(engine, department, week)
            if found is None:
                report.weeks_current += 1
            else:
                report.weeks_modelled.append((department.slug, week.label, found))
    return report


def _weeks_with_posts(engine: sa.Engine, department_id: int) -> list[Week]:
    with engine.connect() as conn:
        first, last = weekly.post_span(conn, department_id)
    if first is None or last is None:
        return []
    weeks, week = [], week_containing(local_date(first))
    while week.start <= last:
        weeks.append(week)
        week = week.shifted(1)
    return weeks


def refresh_topics(engine: sa.Engine, department: weekly.Department, week: Week) -> int | None:
    """Find the week's topics unless its posts are unchanged; returns how many, or None."""
    from listener.analysis.topics import TopicDoc, find_topics  # deferred: numpy, sklearn

    with engine.connect() as conn:
        count, stamp = weekly.week_fingerprint(conn, department.id, start=week.start, end=week.end)
        if count == 0 or store_topics.fingerprint(conn, department.id, week.label) == stamp:
            return None
        posts = weekly.week_posts(conn, department.id, start=week.start, end=week.end)
        before = store_topics.load_topics(conn, department.id, week.shifted(-1).label)
    docs = [
        TopicDoc(
            key=p.id,
            text=_original_text(p.text) if p.kind == "repost" else p.text,
            group=f"{p.platform}:{p.repost_of_id or p.native_id}",
            engagement=p.engagement,
            compound=p.compound,
        )
        for p in posts
        # The vectors read English; posts in other languages are counted in the coverage.
        if p.lang is None or p.lang in SCORED_LANGS
    ]
    model = find_topics(docs)
    rows = [
        store_topics.StoredTopic(
            id=None,
            position=n,
            label=t.label,
            terms=t.terms,
            hashtags=t.hashtags,
            size=len(t.keys),
            share=len(t.keys) / len(posts),
            mean_compound=t.mean_compound,
            is_new=_is_new(t.terms + [h.lower() for h in t.hashtags], before),
            representative_ids=t.representatives,
            method=model.method,
            post_ids=tuple(sorted(set(t.keys))),
        )
        for n, t in enumerate(model.topics)
    ]
    with write_transaction(engine) as conn:
        store_topics.replace_topics(
            conn, department.id, week.label, rows, stamp=(stamp, count, utcnow())
        )
    return len(rows)


def _original_text(text: str) -> str:
    return text.split(": ", 1)[1] if text.startswith("RT @") and ": " in text else text


def _is_new(words: Sequence[str], before: Sequence[store_topics.StoredTopic]) -> bool:
    """New when last week had topics and none shares two of this one's top words."""
    if not before:
        return False
    mine = set(words[:6])
    return all(len(mine & set(t.terms[:6] + [h.lower() for h in t.hashtags])) < 2 for t in before)


def week_facts(
    engine: sa.Engine, department: weekly.Department, week: Week, *, config: ListenerConfig
) -> WeekFacts:
    """Read and analyse everything the digest says about one department's week."""
    from listener.analysis.terms import hashtags, terms  # deferred with the rest of analysis

    refresh_topics(engine, department, week)
    with engine.connect() as conn:
        posts = weekly.week_posts(conn, department.id, start=week.start, end=week.end)
        earlier = list(
            weekly.earlier_texts(
                conn, department.id, start=week.shifted(-EARLIER_WEEKS).start, end=week.start
            )
        )
        times = list(
            weekly.post_times(
                conn, department.id, start=week.start - timedelta(days=TRAILING_DAYS), end=week.end
            )
        )
        previous = week.shifted(-1)
        prev_times = [t for t in times if previous.start <= t[0] < previous.end]
        topics = store_topics.load_topics(conn, department.id, week.label)
        amplified = _amplified(conn, posts)
        runs = weekly.runs_between(conn, department.id, start=week.start, end=week.end)
        watches = weekly.watch_labels(conn, department.id)
    originals = [p for p in posts if p.kind != "repost"]
    case: dict[str, str] = {}
    for post in originals:
        for tag in hashtags(post.text):
            case.setdefault(tag.lower(), tag)
    current = [TermUse(f"{p.platform}:{p.author_id}", frozenset(terms(p.text))) for p in originals]
    before = [TermUse(author, frozenset(terms(text))) for author, _, text in earlier]
    day_counts = _day_counts(times)
    return WeekFacts(
        department=department,
        week=week.label,
        days=week.days,
        window=(week.start, week.end),
        generated_at=utcnow(),
        posts=posts,
        local_day={p.id: local_date(p.created_at) for p in posts},
        day_counts=day_counts,
        previous=_totals(prev_times),
        topics=topics,
        themes=emerging_terms(current, before, weeks=EARLIER_WEEKS, limit=THEMES),
        earlier_posts=len(before),
        hashtag_case=case,
        spikes=find_spikes(day_counts, week=week.days),
        amplified=amplified,
        runs=runs,
        watches=watches,
        web_url=config.digest.web_url,
        languages=Counter(p.lang for p in posts if p.lang and p.lang not in SCORED_LANGS),
        unscored=sum(1 for p in posts if p.compound is None),
    )


def _day_counts(times: Sequence[tuple[datetime, str | None, float | None]]) -> dict[date, DayCount]:
    posts: Counter[date] = Counter()
    scored: Counter[date] = Counter()
    negative: Counter[date] = Counter()
    compound: dict[date, float] = {}
    for created_at, label, value in times:
        day = local_date(created_at)
        posts[day] += 1
        if label is not None and value is not None:
            scored[day] += 1
            negative[day] += label == "negative"
            compound[day] = compound.get(day, 0.0) + value
    return {d: DayCount(d, posts[d], scored[d], negative[d], compound.get(d, 0.0)) for d in posts}


def _totals(times: Sequence[tuple[datetime, str | None, float | None]]) -> tuple[int, float | None]:
    values = [v for _, _, v in times if v is not None]
    return len(times), (round(sum(values) / len(values), 4) if values else None)


def _amplified(conn: sa.Connection, posts: Sequence[weekly.WeekPost]) -> dict[int, int]:
    """Author id -> reposts and quotes of their posts: the larger of the platforms' own
    counters on this week's posts and the reposts and quotes listener stored this week."""
    counted: Counter[int] = Counter()
    for post in posts:
        if post.author_id is not None and post.kind != "repost":
            counted[post.author_id] += post.reposts + post.quotes
    targets = Counter(
        (p.platform, p.repost_of_id or p.quote_of_id)
        for p in posts
        if (p.repost_of_id or p.quote_of_id)
    )
    originals = weekly.originals_by_native_id(conn, {(pl, n) for pl, n in targets if n})
    seen: Counter[int] = Counter()
    for key, times in targets.items():
        author = originals.get(key)  # type: ignore[arg-type]
        if author and author[0] is not None:
            seen[author[0]] += times
    return {a: max(counted[a], seen[a]) for a in counted.keys() | seen.keys()}


def build_digest(
    engine: sa.Engine, department: weekly.Department, week: Week, *, config: ListenerConfig
) -> tuple[int, DigestContext]:
    """Build one department's digest for the week and archive it; returns (digest id, context)."""
    from listener.store import digests as store_digests

    context = build_context(week_facts(engine, department, week, config=config))
    with write_transaction(engine) as conn:
        digest_id = store_digests.archive(conn, department.id, context, now=utcnow())
    return digest_id, context


def departments_for(engine: sa.Engine, slug: str | None) -> list[weekly.Department]:
    """The department named, or every active one; an unknown slug is a one-line error."""
    with engine.connect() as conn:
        found = weekly.departments(conn, slug)
    if slug and not found:
        raise NotFoundError(f"--department: no department {slug!r} (run `listener config import`?)")
    return found


def recipients_of(engine: sa.Engine, department: weekly.Department) -> list[str]:
    with engine.connect() as conn:
        return weekly.recipients(conn, department.id)


def write_digest(
    context: DigestContext, *, out_dir: Path, sender: str, recipients: Sequence[str]
) -> list[Path]:
    """Render a digest and write its .html (with charts beside it), .txt and .eml."""
    from listener.digest.render import render, write_files  # deferred: Jinja, matplotlib

    return write_files(
        render(context), context, out_dir=out_dir, sender=sender, recipients=recipients
    )


def archived_digest(engine: sa.Engine, digest_id: int) -> DigestContext:
    from listener.store import digests as store_digests

    with engine.connect() as conn:
        return store_digests.load(conn, digest_id)


def digest_batches(
    engine: sa.Engine,
    week: Week,
    departments: Sequence[weekly.Department],
    *,
    config: ListenerConfig,
) -> list[DigestBatch]:
    """Each department's newest archived digest for the week (built now if there is none)."""
    from listener.digest.deliver import DigestBatch
    from listener.digest.render import render, to_email
    from listener.store import digests as store_digests

    batches = []
    for department in departments:
        with engine.connect() as conn:
            digest_id = store_digests.latest(conn, department.id, week.label)
        if digest_id is None:
            digest_id, context = build_digest(engine, department, week, config=config)
        else:
            context = archived_digest(engine, digest_id)
        rendered = render(context)
        batches.append(
            DigestBatch(
                department_id=department.id,
                department=department.slug,
                week=week.label,
                digest_id=digest_id,
                recipients=recipients_of(engine, department),
                compose=lambda to, r=rendered: to_email(  # type: ignore[misc]
                    r, sender=config.digest.sender, recipients=[to]
                ),
            )
        )
    return batches


# The digest goes out on Monday at 07:00 London time for the week just ended.
DIGEST_HOUR = 7


def due_week(now: datetime) -> Week:
    """The newest week whose digest is due at `now` (last week from Monday 07:00 London)."""
    current = week_containing(local_date(now))
    due_at = current.start + timedelta(hours=DIGEST_HOUR)
    return current.shifted(-1) if now >= due_at else current.shifted(-2)


def run_weekly_digests(
    engine: sa.Engine, *, config: ListenerConfig, smtp: SmtpConfig | None, now: datetime
) -> DeliveryReport | None:
    """The scheduler's digest job: build and send the due week's digests, once per recipient.

    Departments whose recipients all have the digest (or a refusal) are skipped without
    rebuilding; without an SMTP server the digests are built and archived only.
    """
    from listener.digest.deliver import DeliveryReport, send_digests
    from listener.store import deliveries
    from listener.store import digests as store_digests

    week = due_week(now)
    waiting = []
    for department in departments_for(engine, None):
        with engine.connect() as conn:
            settled = {
                r
                for r, row in deliveries.rows_for(
                    conn, department_id=department.id, week=week.label
                ).items()
                if row.status in ("sent", "failed")
            }
            built = store_digests.latest(conn, department.id, week.label) is not None
        people = recipients_of(engine, department)
        if built and (smtp is None or set(people) <= settled):
            continue
        waiting.append(department)
    batches = digest_batches(engine, week, waiting, config=config)
    if smtp is None:
        return None
    return send_digests(engine, batches, smtp=smtp) if batches else DeliveryReport()

"""Draw a digest context as email-safe HTML, plain text, PNG charts and a MIME message.

Pure: the same context always gives the same bytes, so an archived digest
re-renders identically. All user text reaches the HTML through Jinja's
autoescaping; nothing a post says is ever marked safe.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from listener.digest import charts
from listener.digest.context import DayRow, DigestContext
from listener.digest.summary import describe  # the same words as the summary lines

LONDON = ZoneInfo("Europe/London")
TEXT_WIDTH = 78
VOLUME, SENTIMENT = "volume-by-day@listener", "sentiment-by-day@listener"

# C0 and C1 controls (newline and tab apart) and the bidi embeddings, overrides and isolates
# that can make text read differently from what it says: shown as code points, never obeyed.
# (Direction marks such as U+200F stay: they only nudge punctuation in right-to-left text.)
# Zero-width characters that can split or hide a word ("pay<ZWSP>pal") are shown too:
# zero-width space, word joiner, invisible operators, BOM. ZWJ and ZWNJ (U+200D, U+200C)
# stay, as emoji sequences and several scripts' spelling need them.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'<>`\\]")

# fmt: off
_PLATFORMS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky", "rss": "RSS feed",
              "consultation": "Consultation"}
_KINDS = {"mp": ("MP", "MPs"), "journalist": ("Journalist", "Journalists"),
          "charity": ("Charity", "Charities"), "government": ("Government", "Government"),
          "business": ("Business", "Business"),
          "public": ("Member of the public", "Members of the public")}
_REASONS = {"volume": "more posts than usual", "negativity": "more negative than usual"}
_LANGUAGES = {"ar": "Arabic", "bn": "Bengali", "cy": "Welsh", "de": "German", "es": "Spanish",
              "fa": "Persian", "fr": "French", "ga": "Irish", "gd": "Scottish Gaelic",
              "gu": "Gujarati", "hi": "Hindi", "it": "Italian", "lt": "Lithuanian", "nl": "Dutch",
              "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
              "ru": "Russian", "so": "Somali", "ta": "Tamil", "tr": "Turkish", "uk": "Ukrainian",
              "ur": "Urdu", "zh": "Chinese"}
# fmt: on


@dataclass(frozen=True)
class RenderedDigest:
    """One digest drawn: HTML (images as cid: references), text, the PNGs and the subject."""

    html: str
    text: str
    images: dict[str, bytes]  # Content-ID name -> PNG
    subject: str


@dataclass(frozen=True)
class Chart:
    """A chart as the templates see it: where it is, what it shows in words."""

    name: str
    title: str
    alt: str


def render(context: DigestContext) -> RenderedDigest:
    """Draw `context`: the same context always gives byte-identical output."""
    images = {}
    if context.days:
        images = {
            VOLUME: charts.volume_chart(context.days),
            SENTIMENT: charts.sentiment_chart(context.days),
        }
    title = subject(context)
    variables = {
        "c": context,
        "subject": title,
        "week_range": week_range(context.coverage.window_start, context.coverage.window_end),
        "charts": _charts(context.days) if images else [],
        "web_url": http_url(context.web_url),
    }
    html = _ENV.get_template("digest.html.j2").render(variables)
    text = _ENV.get_template("digest.txt.j2").render(variables)
    return RenderedDigest(html=html, text=text, images=images, subject=title)


def subject(context: DigestContext) -> str:
    """'Weekly insight: Department for Education, 2026-W47' (one line, whatever the name holds)."""
    name = " ".join(shown(context.department_name).split())
    return f"Weekly insight: {name}, {context.week}"


def image_filename(name: str) -> str:
    """The file name for a Content-ID name: 'volume-by-day@listener' -> 'volume-by-day.png'."""
    return name.partition("@")[0] + ".png"


def html_for_file(rendered: RenderedDigest, *, image_prefix: str) -> str:
    """The HTML with its cid: images pointing at files named `image_prefix` + image_filename."""
    html = rendered.html
    for name in rendered.images:
        # The quotes make this an attribute value: escaped user text cannot contain them.
        source = escape(quote(image_prefix + image_filename(name)))
        html = html.replace(f'src="cid:{name}"', f'src="{source}"')
    return html


def to_email(rendered: RenderedDigest, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html and the PNGs)."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Auto-Submitted"] = "auto-generated"  # asks servers not to send out-of-office replies
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None  # added just above
    for name, png in sorted(rendered.images.items()):
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=f"<{name}>",
            filename=image_filename(name),
            disposition="inline",
        )
    if rendered.images:
        html_part.set_param("type", "text/html")  # RFC 2387: names the root part's type
    # Boundaries from the content instead of random ones: the same digest, the same bytes.
    seed = hashlib.sha256(rendered.html.encode() + rendered.text.encode()).hexdigest()[:32]
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_listener_{seed}_{number}")
    return message


def write_files(
    rendered: RenderedDigest,
    context: DigestContext,
    *,
    out_dir: Path,
    sender: str,
    recipients: Sequence[str],
) -> list[Path]:
    """Write {slug}-{week}.html (PNGs beside it), .txt and .eml into `out_dir`; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{context.department}-{context.week}"
    files = {
        f"{stem}.html": html_for_file(rendered, image_prefix=f"{stem}-").encode(),
        f"{stem}.txt": rendered.text.encode(),
        f"{stem}.eml": to_email(rendered, sender=sender, recipients=recipients).as_bytes(),
    }
    for name, png in sorted(rendered.images.items()):
        files[f"{stem}-{image_filename(name)}"] = png
    paths = []
    for filename, data in files.items():
        path = out_dir / filename
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- what the templates call ---------------------------------------------------------------


def shown(text: str) -> str:
    """User text to display: control and bidi-override characters shown as symbols, never obeyed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # Code points rather than the U+2400 control pictures: those are missing from common fonts.
    return _CONTROL.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)


def http_url(url: str) -> str:
    """`url` when it is an absolute http(s) link with nothing odd in it, else ''."""
    if not url or _UNSAFE_IN_URL.search(url):
        return ""
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def lines(text: str) -> list[str]:
    """A user text's lines, for templates to join with <br> without marking anything safe."""
    return shown(text).split("\n")


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Each line of `text` wrapped at TEXT_WIDTH, URLs unbroken; `first` starts it (a bullet)."""
    wrapper = textwrap.TextWrapper(
        width=TEXT_WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    out = []
    for number, line in enumerate(text.split("\n")):
        wrapper.initial_indent = (indent if first is None else first) if number == 0 else indent
        out.append(wrapper.fill(line) if line.strip() else wrapper.initial_indent.rstrip())
    return "\n".join(out)


def number(value: float) -> str:
    """12345 -> '12,345'."""
    return f"{value:,.0f}"


def percent(share: float | None) -> str:
    """0.384 -> '38%'; None -> 'n/a'."""
    return "n/a" if share is None else f"{share:.0%}"


def counted(count: int, noun: str) -> str:
    """'1 reply', '12 replies', '1,204 likes'."""
    if count == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{number(count)} {plural}"


def versus_last_week(now: float, before: float) -> str:
    """'+14% on last week (1,046)', or 'none last week'."""
    if before == 0:
        return "none last week" if now else "none this week or last"
    return f"{change(now, before)} on last week ({number(before)})"


def change(now: float, before: float) -> str:
    """A change against last week: '+14%', '-3%', 'no change' or 'none last week'."""
    if before == 0:
        return "no change" if now == 0 else "none last week"
    ratio = round((now - before) / before * 100)
    return "no change" if ratio == 0 else f"{ratio:+d}%"


def sentiment(score: float | None) -> str:
    """-0.21 -> '-0.21 (mostly negative)'; None -> 'not scored'."""
    if score is None:
        return "not scored"
    return f"{charts.signed(score)} ({describe(score)})"


def shift(now: float | None, before: float | None) -> str:
    """A sentiment change: '+0.05 on last week', or '' when either week was not scored."""
    if now is None or before is None:
        return ""
    return f"{charts.signed(now - before)} on last week"


def when(stamp: str) -> str:
    """An ISO time as UK readers expect it: 'Tue 18 Nov 2026, 14:05'."""
    local = _london(stamp)
    return f"{charts.day_label(local.date())} {local.year}, {local:%H:%M}"


def week_range(start: str, end: str) -> str:
    """The Monday-to-Sunday span of a window ending at the next Monday: '17 to 23 November 2026'."""
    first = _london(start).date()
    last = _london(end).date() - timedelta(days=1)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} to {charts.long_date(last)}"
    if first.year == last.year:
        return f"{charts.long_date(first).rsplit(' ', 1)[0]} to {charts.long_date(last)}"
    return f"{charts.long_date(first)} to {charts.long_date(last)}"


def _london(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON)


def duration(seconds: float) -> str:
    """Seconds as '45 s', '12 min' or '2 h 05 min'; 'none' for zero."""
    whole = round(seconds)
    if whole <= 0:
        return "none"
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(round(whole / 60), 60)
    return f"{minutes} min" if hours == 0 else f"{hours} h {minutes:02d} min"


def language(code: str) -> str:
    """'cy' -> 'Welsh (cy)'; unknown codes stay as they are."""
    name = _LANGUAGES.get(code.lower())
    return f"{name} ({code})" if name else code


def languages(counts: Sequence[tuple[str, int]]) -> str:
    """[('cy', 42), ('pl', 13)] -> 'Welsh (cy) 42, Polish (pl) 13'."""
    return ", ".join(f"{language(code)} {number(posts)}" for code, posts in counts)


def platform(name: str) -> str:
    """'x' -> 'X', 'rss' -> 'RSS feed'."""
    return _PLATFORMS.get(name, name.capitalize())


def kind(name: str, count: int = 1) -> str:
    """'mp' -> 'MP' (or 'MPs' when count is not 1)."""
    one, many = _KINDS.get(name, (name.capitalize(), name.capitalize()))
    return one if count == 1 else many


def reason(name: str) -> str:
    """Why a day is a spike, in words: 'volume' -> 'more posts than usual'."""
    return _REASONS.get(name, name)


def rise(count: int, baseline: float) -> str:
    """How many times over a theme rose ('2.8' and a multiplication sign), or 'new'."""
    return "new" if baseline < 1 else f"{count / baseline:.1f}\u00d7"


def tone(score: float | None) -> str:
    """The colour that marks a score: green, red, or grey for neutral and unscored."""
    colour = charts.MUTED if score is None else charts.tone(score)
    return "#b1b4b6" if colour == charts.MUTED else colour  # a lighter grey for a bar


def _charts(days: Sequence[DayRow]) -> list[Chart]:
    volumes = "; ".join(f"{charts.day_label(d.date)} {number(d.posts)}" for d in days)
    busiest = max(days, key=lambda d: d.posts)
    moods = "; ".join(
        f"{charts.day_label(d.date)} "
        + ("no scored posts" if d.mean_compound is None else charts.signed(d.mean_compound))
        for d in days
    )
    return [
        Chart(
            VOLUME,
            "Posts by day",
            f"Bar chart of posts per day: {volumes}. Busiest day: "
            f"{charts.day_label(busiest.date)}.",
        ),
        Chart(
            SENTIMENT,
            "Mean sentiment by day",
            f"Bar chart of mean sentiment per day, from -1 (negative) to +1 (positive): {moods}.",
        ),
    ]


_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(
    shown=shown,
    lines=lines,
    http=http_url,
    wrap=wrap,
    number=number,
    counted=counted,
    percent=percent,
    sentiment=sentiment,
    describe=describe,
    when=when,
    duration=duration,
    languages=languages,
    platform=platform,
    kind=kind,
    reason=reason,
    day=charts.day_label,
    signed=charts.signed,
)
_ENV.globals.update(change=change, shift=shift, rise=rise, tone=tone, versus=versus_last_week)

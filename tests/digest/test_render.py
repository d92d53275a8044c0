"""The rendered digest: safe with hostile posts, complete, in order, a valid email, reproducible."""

from __future__ import annotations

import email
import re
import struct
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from listener.digest.context import DigestContext, PostRef, TopicSummary
from listener.digest.render import (
    RenderedDigest,
    change,
    duration,
    http_url,
    render,
    shown,
    to_email,
    week_range,
    write_files,
)
from tests.digest.factories import (
    BIDI,
    CONTROLS,
    IMG_ONERROR,
    JAVASCRIPT_URL,
    SCRIPT,
    make_context,
    make_empty_context,
    make_post,
)

SENDER = "Listener digests <digests@listener.example.gov.uk>"
RECIPIENTS = ["energy-insight@desnz.example.gov.uk", "comms@desnz.example.gov.uk"]
SECTIONS = [
    "summary",
    "by-day",
    "topics",
    "themes",
    "spikes",
    "voices",
    "consultation",
    "coverage",
    "web-app",
]
TEXT_HEADINGS = [
    "SUMMARY",
    "VOLUME AND SENTIMENT BY DAY",
    "TOPICS",
    "EMERGING THEMES",
    "SPIKES",
    "VOICES",
    "CONSULTATION RESPONSES",
    "COVERAGE",
    "IN THE WEB APP",
]


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def full() -> RenderedDigest:
    """The full factory week, drawn once for the tests that only read it."""
    return render(make_context())


def message_of(rendered: RenderedDigest) -> EmailMessage:
    raw = to_email(rendered, sender=SENDER, recipients=RECIPIENTS).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_hostile_markup_shows_as_text_in_html_and_verbatim_in_text(full: RenderedDigest) -> None:
    rendered = full

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert "<script" not in rendered.html.lower()
    assert not [attrs for _, attrs in tags(rendered.html) if any(k.startswith("on") for k in attrs)]
    images = [attrs["src"] for tag, attrs in tags(rendered.html) if tag == "img"]
    assert images == ["cid:volume-by-day@listener", "cid:sentiment-by-day@listener"]
    assert SCRIPT in rendered.text
    assert IMG_ONERROR in rendered.text
    assert f"Member {SCRIPT}" in rendered.text  # a hostile pseudonym in the voices list


def test_links_are_http_only_and_javascript_urls_are_not_linked(full: RenderedDigest) -> None:
    rendered = full
    hrefs = [attrs["href"] or "" for tag, attrs in tags(rendered.html) if tag == "a"]

    assert hrefs
    assert all(href.startswith(("https://", "http://")) for href in hrefs)
    assert "javascript:" not in rendered.html.lower()
    assert "javascript:" not in rendered.text.lower()
    assert "https://x.com/energygovuk" in hrefs  # a named account links to its profile
    assert "https://bsky.app/profile/martinslewis.bsky.social/post/3lb2x" in hrefs


def test_javascript_url_on_a_post_is_dropped_even_if_the_builder_let_it_through() -> None:
    post = make_post(text="click me", url=JAVASCRIPT_URL)
    topic = TopicSummary(
        label="links",
        terms=[],
        hashtags=[],
        size=1,
        share=1.0,
        mean_compound=None,
        is_new=False,
        posts=[post],
    )
    rendered = render(make_empty_context(topics=[topic]))

    assert "click me" in rendered.html
    assert "javascript" not in rendered.html.lower()
    assert "Open the original" not in rendered.html


def test_bidi_overrides_and_control_characters_are_shown_not_obeyed(full: RenderedDigest) -> None:
    rendered = full

    for output in (rendered.html, rendered.text):
        assert "Refund due [U+202E]gnp.exe[U+202C] now" in output
        assert "bell[U+0007] and escape[U+001B][31m red and NUL[U+0000] end" in output
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", output)
    assert BIDI not in rendered.text and CONTROLS not in rendered.text
    # User text sits in its own bidi context, so right-to-left posts lay out on their own.
    assert '<p dir="auto"' in rendered.html and "<bdi>" in rendered.html


def test_pseudonymised_authors_show_the_pseudonym_only(full: RenderedDigest) -> None:
    rendered = full
    public_rows = rendered.text.split("Members of the public (2):")[1].split("\n\n")[0]

    assert "* Member of the public 7F3A, X: 14 posts" in public_rows
    assert "@" not in public_rows and "https://" not in public_rows


def test_numbers_and_sentiment_are_written_for_people(full: RenderedDigest) -> None:
    rendered = full

    for output in (rendered.html, rendered.text):
        assert "5,800" in output
        assert "+14% on last week" in output
        assert "-0.21 (mostly negative)" in output
        assert "-0.62 (mostly negative)" in output
        assert "46 min" in output  # X's rate-limit waits
        assert "Welsh (cy) 42" in output
    assert rendered.subject == (
        "Weekly insight: Department for Energy Security and Net Zero, 2026-W47"
    )


def test_sections_follow_the_issue_order_in_html_and_text(full: RenderedDigest) -> None:
    rendered = full
    ids = [attrs["id"] for tag, attrs in tags(rendered.html) if tag == "h2"]
    positions = [rendered.text.index(f"\n{heading}\n") for heading in TEXT_HEADINGS]

    assert ids == SECTIONS
    assert positions == sorted(positions)


def test_html_and_text_carry_the_same_content() -> None:
    context = make_context()
    rendered = render(context)

    for post in _posts(context):
        if post.text.isprintable() and "<" not in post.text:  # hostile ones: tests above
            assert post.text[:40] in rendered.text
            assert escape(post.text[:40]) in rendered.html
        if post.url.startswith("https://"):
            assert post.url in rendered.text
            assert f'href="{post.url}"' in rendered.html
    for words in (
        "HTTP 401: the access token was revoked",
        "No X collection between",
        "#WarmHomeDiscount",
        "from:energygovuk",
        "Respondent 118",
        "Wed 18 Nov: more posts than usual and more negative than usual",
        context.web_url,
    ):
        assert words in rendered.html
        assert words in rendered.text


def test_text_part_wraps_at_78_columns_and_never_breaks_a_url(full: RenderedDigest) -> None:
    text = full.text

    long_lines = [line for line in text.splitlines() if len(line) > 78]
    assert all(len(line.split()) == 1 for line in long_lines), long_lines


def test_email_is_alternative_text_then_related_html_with_its_charts(full: RenderedDigest) -> None:
    rendered = full
    message = message_of(full)

    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == rendered.subject
    assert message["To"] == ", ".join(RECIPIENTS)
    assert message["Message-ID"] is None and message["Date"] is None  # delivery adds them
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content() == rendered.text
    assert related.get_content_type() == "multipart/related"
    assert related.get_param("type") == "text/html"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert html_part.get_content() == rendered.html
    cids = {part["Content-ID"].strip("<>") for part in images}
    assert cids == set(re.findall(r'src="cid:([^"]+)"', rendered.html))
    for part in images:
        assert part.get_content_type() == "image/png"
        assert part.get_filename() and part.get_filename().endswith(".png")
        assert part.get_content() == rendered.images[part["Content-ID"].strip("<>")]


def test_message_stays_under_one_megabyte_even_in_a_busy_week() -> None:
    long = "A long post about standing charges and the price cap. " * 9  # ~500 characters
    posts = [make_post(text=f"{n} {long}") for n in range(8)]
    topics = [
        TopicSummary(
            label=f"topic {n}",
            terms=["a", "b"],
            hashtags=["#c"],
            size=500,
            share=0.1,
            mean_compound=-0.2,
            is_new=False,
            posts=posts,
        )
        for n in range(6)
    ]
    for context in (make_context(), make_context(topics=topics, most_engaged=posts)):
        raw = to_email(render(context), sender=SENDER, recipients=RECIPIENTS).as_bytes()
        assert len(raw) < 1_000_000


def test_same_context_gives_the_same_bytes_even_after_the_archive_round_trip() -> None:
    context = make_context()
    archived = DigestContext.model_validate_json(context.model_dump_json())
    first, again = render(context), render(archived)

    assert (first.html, first.text, first.images, first.subject) == (
        again.html,
        again.text,
        again.images,
        again.subject,
    )
    assert render(make_context()) == first
    eml = to_email(first, sender=SENDER, recipients=RECIPIENTS).as_bytes()
    assert to_email(again, sender=SENDER, recipients=RECIPIENTS).as_bytes() == eml


def test_charts_are_small_clean_pngs(full: RenderedDigest) -> None:
    rendered = full

    assert set(rendered.images) == {"volume-by-day@listener", "sentiment-by-day@listener"}
    for png in rendered.images.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", png[16:24]) == (1200, 480)  # 600 x 240 at twice the density
        assert len(png) < 60_000
        assert b"Software" not in png and b"matplotlib" not in png


def test_chart_alt_text_and_table_give_the_numbers_without_images(full: RenderedDigest) -> None:
    html = full.html
    alts = [attrs["alt"] or "" for tag, attrs in tags(html) if tag == "img"]

    assert "Wed 18 Nov 1,990" in alts[0] and "Busiest day: Wed 18 Nov" in alts[0]
    assert "Wed 18 Nov -0.38" in alts[1] and "Sun 22 Nov no scored posts" in alts[1]
    assert "<caption" in html and '<th scope="row"' in html and '<th scope="col"' in html


@pytest.mark.parametrize(
    "phrase",
    [
        "No topics this week.",
        "No emerging themes this week.",
        "No spikes this week.",
        "No voices stood out this week.",
        "No consultation responses this week.",
        "No source ran this week.",
        "No posts in other languages.",
        "The web app's address is not configured",
    ],
)
def test_an_empty_week_says_so_in_every_section(phrase: str) -> None:
    rendered = render(make_empty_context())

    assert phrase in rendered.html
    assert phrase in rendered.text
    assert [attrs["id"] for tag, attrs in tags(rendered.html) if tag == "h2"] == SECTIONS


def test_a_week_without_days_renders_without_charts() -> None:
    rendered = render(make_empty_context(days=[]))
    message = message_of(render(make_empty_context(days=[])))

    assert rendered.images == {}
    assert "cid:" not in rendered.html
    assert "No days to show this week." in rendered.text
    assert message.get_payload()[1].get_content_type() == "text/html"


def test_write_files_writes_html_with_its_charts_beside_it_text_and_eml(tmp_path: Path) -> None:
    context = make_context()
    paths = write_files(
        render(context), context, out_dir=tmp_path / "out", sender=SENDER, recipients=RECIPIENTS
    )
    names = sorted(path.name for path in paths)

    assert names == [
        "desnz-2026-W47-sentiment-by-day.png",
        "desnz-2026-W47-volume-by-day.png",
        "desnz-2026-W47.eml",
        "desnz-2026-W47.html",
        "desnz-2026-W47.txt",
    ]
    html = (tmp_path / "out" / "desnz-2026-W47.html").read_text(encoding="utf-8")
    sources = [attrs["src"] or "" for tag, attrs in tags(html) if tag == "img"]
    assert "cid:" not in html
    assert all((tmp_path / "out" / source).is_file() for source in sources)
    eml = email.message_from_bytes((tmp_path / "out" / "desnz-2026-W47.eml").read_bytes())
    assert eml.get_content_type() == "multipart/alternative"


def _posts(context: DigestContext) -> list[PostRef]:
    posts = [p for topic in context.topics for p in topic.posts]
    posts += [p for spike in context.spikes for p in spike.drivers] + context.most_engaged
    return posts + (context.consultation.examples if context.consultation else [])


def test_html_is_email_safe_inline_css_with_one_dark_mode_rule(full: RenderedDigest) -> None:
    html = full.html
    style = html.split("<style>")[1].split("</style>")[0].strip()

    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<style>") == 1 and "<link" not in html
    assert style.startswith("@media (prefers-color-scheme: dark) {") and style.endswith("}")
    assert '<meta name="color-scheme" content="light dark">' in html
    assert 'width="640"' in html and "max-width:640px" in html
    assert all(attrs.get("style") for tag, attrs in tags(html) if tag in ("p", "td", "th", "h2"))


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://x.com/i/web/status/1", True),
        ("http://example.org/a?b=c&d=e", True),
        (JAVASCRIPT_URL, False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        (" https://x.com/leading-space", False),
        ('https://x.com/"onmouseover=alert(1)', False),
        ("https:///no-host", False),
        ("", False),
    ],
)
def test_only_plain_http_links_survive(url: str, linked: bool) -> None:
    assert http_url(url) == (url if linked else "")


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [(5800, 5088, "+14%"), (90, 100, "-10%"), (0, 0, "no change"), (5, 0, "none last week")],
)
def test_change_against_last_week(now: int, before: int, expected: str) -> None:
    assert change(now, before) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "none"), (45, "45 s"), (2790, "46 min"), (7500, "2 h 05 min")],
)
def test_rate_limit_waits_read_as_durations(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00", "16 to 22 November 2026"),
        (
            "2026-09-28T00:00:00+01:00",
            "2026-10-05T00:00:00+01:00",
            "28 September to 4 October 2026",
        ),
        (
            "2026-12-28T00:00:00+00:00",
            "2027-01-04T00:00:00+00:00",
            "28 December 2026 to 3 January 2027",
        ),
        ("2026-03-29T23:00:00+00:00", "2026-04-05T23:00:00+00:00", "30 March to 5 April 2026"),
    ],
)
def test_week_range_reads_in_uk_dates(start: str, end: str, expected: str) -> None:
    assert week_range(start, end) == expected


def test_line_endings_and_tabs_read_as_text_would() -> None:
    assert shown("one\r\ntwo\rthree\tfour") == "one\ntwo\nthree four"


def test_counts_read_as_english() -> None:
    from listener.digest.render import counted, versus_last_week

    assert [counted(n, "reply") for n in (0, 1, 2)] == ["0 replies", "1 reply", "2 replies"]
    assert counted(1204, "like") == "1,204 likes"
    assert versus_last_week(86, 40) == "+115% on last week (40)"
    assert versus_last_week(5, 0) == "none last week"


def test_invisible_characters_cannot_disguise_text_but_emoji_joiners_survive() -> None:
    from listener.digest.render import shown

    assert shown("pay\u200bpal.com") == "pay[U+200B]pal.com"
    assert shown("abc\u2060def\ufeff") == "abc[U+2060]def[U+FEFF]"
    assert shown("\u0627\u200f!") == "\u0627\u200f!"  # a right-to-left mark only places the "!"
    assert shown("\u2067evil\u2069") == "[U+2067]evil[U+2069]"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert shown(family) == family

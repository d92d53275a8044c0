"""Readable text of a post: Mastodon statuses and feed entries arrive as HTML.

The stored `text` stays exactly as the platform gave it. Search, watch
matching and sentiment read this plain version instead, so that `#<span>NHS</span>`
is the hashtag #NHS and markup never becomes words like `p` or `href`.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

HTML_PLATFORMS = frozenset({"mastodon", "rss"})
_BLOCKS = frozenset(
    {
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "pre",
        "hr",
    }
)
_SKIPPED = frozenset({"script", "style"})
_SPACES = re.compile(r"[ \t\r\f\v]+")


class _Text(HTMLParser):
    """Collects text content; block elements become line breaks; scripts are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text a reader sees in an HTML fragment."""
    if "<" not in markup and "&" not in markup:
        return markup
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))  # entities left in malformed markup
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def readable_text(platform: str, text: str) -> str:
    """What search, matching and sentiment read of a post from `platform`."""
    return html_to_text(text) if platform in HTML_PLATFORMS else text

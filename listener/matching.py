"""Decide which watches a post matches: one implementation for file imports and collectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from listener.collectors.base import PostItem
from listener.plaintext import readable_text
from listener.query import Node, account_watch, hashtag_watch, keyword_watch, parse
from listener.querymatch import MatchDoc, Matcher
from listener.textnorm import tokenize


@dataclass(frozen=True)
class WatchSpec:
    """A watch as the matcher needs it."""

    id: int
    department_id: int
    kind: str
    value: str
    platform: str = ""


def watch_node(kind: str, value: str) -> Node:
    """The query a watch stands for (feeds have none: they match by source)."""
    if kind == "hashtag":
        return hashtag_watch(value)
    if kind == "keyword":
        return keyword_watch(value)
    if kind == "query":
        return parse(value)
    if kind == "account":
        return account_watch(value)
    raise ValueError(f"watch kind {kind!r} has no query")


class WatchMatcher:
    """Matches posts against a fixed set of watches."""

    def __init__(self, watches: Iterable[WatchSpec]) -> None:
        self.watches = list(watches)
        self._feeds = [w for w in self.watches if w.kind == "feed"]
        self._matcher = Matcher(
            (w, watch_node(w.kind, w.value)) for w in self.watches if w.kind != "feed"
        )

    def match(self, item: PostItem) -> list[WatchSpec]:
        """The watches `item` satisfies."""
        tokens = tokenize(readable_text(item.platform, item.text))
        if item.kind == "repost" and item.analysis_text and item.analysis_text != item.text:
            # The retweet's own text is truncated: read the original's too. (No token spans
            # a line break, so these are the tokens of the two texts on two lines.)
            tokens += tokenize(readable_text(item.platform, item.analysis_text))
        author = item.author.handle if item.author else ""
        doc = MatchDoc.from_tokens(tokens, author=author, lang=item.lang)
        found = [
            w
            for w in self._matcher.match(doc)
            if w.kind != "account" or w.platform in ("", item.platform)
        ]
        found += [w for w in self._feeds if item.platform == "rss" and item.source == w.value]
        return found

"""File sources: twarc2 archives, CSV exports and listener's own JSON Lines, streamed in pages."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from listener.collectors import xv2
from listener.collectors.base import (
    AuthorItem,
    Page,
    PostItem,
    RejectedItem,
    ShapeError,
    parse_time,
)
from listener.collectors.csvfile import CsvOptions, read_csv
from listener.collectors.filestream import CountedFile

FORMATS = ("twarc2", "csv", "jsonl")
__all__ = ["FORMATS", "CsvOptions", "read_csv", "read_jsonl", "read_twarc2"]


def read_twarc2(path: Path) -> Iterator[Page]:
    """Pages from a twarc2 JSON Lines file: API response pages, or flattened tweets."""
    source = f"import:twarc2:{path.name}"
    with CountedFile(path) as counted:
        page = Page()
        for number, line in counted.numbered_lines():
            location = f"{path}:{number}"
            for item in _twarc2_line(line, source=f"{source}:{number}", location=location):
                page.add(item)
            if counted.full(page):
                yield counted.finish_page(page, number)
                page = Page()
        yield counted.finish_page(page, 0)


def _twarc2_line(line: str, *, source: str, location: str) -> Iterator[PostItem | RejectedItem]:
    if not line.strip():
        return
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        yield RejectedItem(location, f"not valid JSON ({exc.msg} at column {exc.colno})", line)
        return
    if not isinstance(obj, dict):
        yield RejectedItem(location, "not a JSON object", obj)
    elif "data" in obj or "includes" in obj:
        # twarc stamps each page with when it was fetched: keep that with the provenance.
        fetched = (obj.get("__twarc") or {}).get("retrieved_at")
        source = f"{source} (retrieved {fetched})" if isinstance(fetched, str) else source
        yield from xv2.page_items(obj, source=source, location=location)
    elif "id" in obj or "text" in obj:
        yield from _flattened_tweet(obj, source=source, location=location)
    elif "errors" in obj:
        yield RejectedItem(location, "an API error response, not posts", obj)
    else:
        yield RejectedItem(location, "neither an API response page nor a tweet", obj)


def _flattened_tweet(
    tweet: dict[str, Any], *, source: str, location: str
) -> Iterator[PostItem | RejectedItem]:
    # `twarc2 flatten` embeds the author and referenced tweets in each tweet.
    refs = [r for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict) and "text" in r]
    users = [tweet["author"]] if isinstance(tweet.get("author"), dict) else []
    includes = xv2.Includes({"users": users, "tweets": refs})
    try:
        yield xv2.post_item(tweet, includes, source=source)
    except ShapeError as exc:
        yield RejectedItem(location, str(exc), tweet)


def read_jsonl(path: Path) -> Iterator[Page]:
    """Pages from listener's own JSON Lines export (see listener.store.records)."""
    source = f"import:jsonl:{path.name}"
    with CountedFile(path) as counted:
        page = Page()
        for number, line in counted.numbered_lines():
            if not line.strip():
                continue
            item = _jsonl_record(line, source=source, location=f"{path}:{number}")
            page.add(item)
            if counted.full(page):
                yield counted.finish_page(page, number)
                page = Page()
        yield counted.finish_page(page, 0)


def _jsonl_record(line: str, *, source: str, location: str) -> PostItem | RejectedItem:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return RejectedItem(location, f"not valid JSON ({exc.msg} at column {exc.colno})", line)
    if not isinstance(record, dict):
        return RejectedItem(location, "not a JSON object", record)
    try:
        return post_from_record(record, source=source)
    except ShapeError as exc:
        return RejectedItem(location, str(exc), record)


def _text_field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"missing field '{name}'")
    return value


def post_from_record(record: Mapping[str, Any], *, source: str) -> PostItem:
    """A PostItem from one listener export record; raises ShapeError naming a bad field."""
    platform = _text_field(record, "platform")
    author = record.get("author")
    author_item = None
    if isinstance(author, Mapping) and author.get("native_id"):
        author_item = AuthorItem(
            platform=platform,
            native_id=str(author["native_id"]),
            handle=str(author.get("handle") or ""),
            name=str(author.get("name") or ""),
            description=str(author.get("description") or ""),
            verified_type=str(author.get("verified_type") or ""),
            followers_count=author.get("followers_count"),
        )
    raw = record.get("raw")
    item = PostItem(
        platform=platform,
        native_id=_text_field(record, "native_id"),
        text=_text_field(record, "text"),
        created_at=parse_time(record.get("created_at"), "created_at"),
        author=author_item,
        url=str(record.get("url") or ""),
        lang=record.get("lang") if isinstance(record.get("lang"), str) else None,
        kind=str(record.get("kind") or "post"),
        conversation_id=_opt(record.get("conversation_id")),
        reply_to_id=_opt(record.get("reply_to_id")),
        quote_of_id=_opt(record.get("quote_of_id")),
        repost_of_id=_opt(record.get("repost_of_id")),
        metrics=dict(record.get("metrics") or {}),
        raw=dict(raw) if isinstance(raw, Mapping) else {},
        source=str(record.get("source") or source),
        analysis_text=record.get("analysis_text") or None,
        departments=[str(d) for d in record.get("departments") or []],
    )
    return item


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)

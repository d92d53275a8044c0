"""CSV source: consultation responses or exported posts, with a column mapping."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from listener.collectors.base import AuthorItem, Page, PostItem, RejectedItem
from listener.collectors.filestream import CountedFile
from listener.errors import ImportFormatError, UserError

FIELDS = ("id", "text", "author", "created_at", "url", "lang")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)
csv.field_size_limit(16 * 1024 * 1024)  # long consultation answers are normal


@dataclass(frozen=True)
class CsvOptions:
    """How to read a CSV: which column holds each field, and what the rows are."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    platform: str = "consultation"
    timezone: str = "Europe/London"


def parse_mapping(spec: str) -> dict[str, str]:
    """Parse `text=response_text,id=ref` into {field: column}; errors name the bad part."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not column:
            raise UserError(f"--map: {part!r} should be FIELD=COLUMN")
        if name not in FIELDS:
            raise UserError(f"--map: unknown field {name!r} (fields: {', '.join(FIELDS)})")
        mapping[name] = column
    return mapping


def read_csv(path: Path, options: CsvOptions) -> Iterator[Page]:
    """Pages of posts from a CSV file with a header row."""
    zone = _zone(options.timezone)
    source = f"import:csv:{path.name}"
    with CountedFile(path) as counted:
        text = io.TextIOWrapper(
            counted.stream,  # type: ignore[type-var]  # BufferedIOBase is a buffer at run time
            encoding="utf-8-sig",
            errors="replace",
            newline="",
        )
        reader = csv.DictReader(text)
        columns = _columns(path, reader.fieldnames, options.mapping)
        reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
        page, start = Page(), 2
        for row in reader:
            row_at = _RowAt(options, zone, source=f"{source}:{start}", location=f"{path}:{start}")
            start = reader.line_num + 1
            page.add(_row_item(row, columns, row_at))
            if counted.full(page):
                yield counted.finish_page(page, reader.line_num)
                page = Page()
        yield counted.finish_page(page, 0)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--timezone: unknown time zone {name!r}") from None


def _columns(
    path: Path, header: Sequence[str] | None, mapping: Mapping[str, str]
) -> dict[str, str]:
    if not header:
        raise ImportFormatError(f"{path}: empty file (a header row is needed)")
    present = {h.strip() for h in header}
    columns = {f: f for f in FIELDS if f in present}
    for name, column in mapping.items():
        if column not in present:
            raise ImportFormatError(
                f"{path}:1: --map {name}={column}: no column {column!r}"
                f" (columns: {', '.join(header)})"
            )
        columns[name] = column
    for required in ("text", "created_at"):
        if required not in columns:
            raise ImportFormatError(
                f"{path}:1: no {required!r} column; name one with --map {required}=COLUMN"
            )
    return columns


@dataclass(frozen=True)
class _RowAt:
    """Where a row is, and how to read it."""

    options: CsvOptions
    zone: ZoneInfo
    source: str
    location: str


def _row_item(
    row: dict[str, str | None], columns: Mapping[str, str], at: _RowAt
) -> PostItem | RejectedItem:
    location, options = at.location, at.options
    extra = row.pop(None, None)  # type: ignore[call-overload]  # DictReader's restkey
    if extra:
        return RejectedItem(location, f"{len(extra)} more cells than the header has", row)
    values = {name: (row.get(column) or "").strip() for name, column in columns.items()}
    text = row.get(columns["text"]) or ""
    if not text.strip():
        return RejectedItem(location, f"empty text (column {columns['text']!r})", row)
    try:
        created = _parse_date(values["created_at"], at.zone)
    except ValueError as exc:
        return RejectedItem(location, f"column {columns['created_at']!r}: {exc}", row)
    author = values.get("author", "")
    native_id = values.get("id") or _stable_id(text, author, values["created_at"])
    return PostItem(
        platform=options.platform,
        native_id=native_id,
        text=text,
        created_at=created,
        author=AuthorItem(options.platform, author, handle=author, name=author) if author else None,
        url=values.get("url", ""),
        lang=values.get("lang") or None,
        kind="response" if options.platform == "consultation" else "post",
        raw=dict(row),
        source=at.source,
    )


def _stable_id(text: str, author: str, created: str) -> str:
    # Rows without an id get one derived from their content, so re-importing adds nothing.
    digest = hashlib.sha256("\x1f".join((text, author, created)).encode()).hexdigest()
    return f"sha256:{digest[:24]}"


def _parse_date(value: str, zone: ZoneInfo) -> datetime:
    if not value:
        raise ValueError("empty date")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse_listed_formats(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)  # local wall time where the form was filled in
    return parsed.astimezone(ZoneInfo("UTC"))


def _parse_listed_formats(value: str) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a date: {value[:40]!r} (use ISO 8601, or DD/MM/YYYY HH:MM)")

"""Turn post records into the CLI's output formats: table, json, jsonl, csv, and thread trees."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from listener.store.queries import PostRecord
from listener.store.threads import ThreadNode

FORMATS = ("table", "json", "jsonl", "csv")
CSV_COLUMNS = (
    "platform",
    "native_id",
    "url",
    "author_handle",
    "author_name",
    "created_at",
    "text",
    "lang",
    "sentiment",
    "compound",
    "departments",
    "likes",
    "reposts",
    "replies",
    "quotes",
)
# C0 and C1 controls (but tab and newline), DEL, and bidi overrides: shown, never obeyed.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """Text safe to print on a terminal: control characters shown as escapes, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str, width: int = 200) -> str:
    """A post's text on one line, shortened with an ellipsis."""
    flat = " ".join(visible(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def csv_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (leading = + - @)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_jsonl(records: Iterable[PostRecord], out: TextIO) -> int:
    """One export record per line; returns how many were written."""
    count = 0
    for record in records:
        out.write(json.dumps(record.export(), ensure_ascii=False, default=_json_default) + "\n")
        count += 1
    return count


def write_json(records: Iterable[PostRecord], out: TextIO) -> int:
    """A JSON array of export records, streamed."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record.export(), ensure_ascii=False, default=_json_default))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def csv_row(record: PostRecord) -> list[str]:
    """One CSV row in CSV_COLUMNS order, formula-like cells neutralised (shared with the web)."""
    author = record.author or {}
    metrics = record.metrics or {}
    sentiment = record.sentiment or {}
    values: list[Any] = [
        record.platform,
        record.native_id,
        record.url,
        author.get("handle", ""),
        author.get("name", ""),
        record.created_at.isoformat(),
        record.text,
        record.lang or "",
        sentiment.get("label", ""),
        sentiment.get("compound", ""),
        ";".join(record.departments),
        metrics.get("like_count", ""),
        metrics.get("retweet_count", ""),
        metrics.get("reply_count", ""),
        metrics.get("quote_count", ""),
    ]
    return [str(v) if isinstance(v, int | float) else csv_safe(str(v)) for v in values]


def write_csv(records: Iterable[PostRecord], out: TextIO) -> int:
    """CSV with a header row; formula-like cells neutralised."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        writer.writerow(csv_row(record))
        count += 1
    return count


_LABEL_STYLE = {"positive": "green", "negative": "red", "neutral": "yellow"}


def write_table(records: Iterable[PostRecord], console: Console) -> int:
    """Results for the terminal, two lines each so any width reads well.

    Every value is passed as plain Text, never as markup, and control
    characters are made visible first.
    """
    count = 0
    for record in records:
        sentiment = record.sentiment or {}
        handle = (record.author or {}).get("handle")
        header = Text()
        header.append(record.ref, style="bold")
        header.append(f"  {record.created_at:%Y-%m-%d %H:%M}  ")
        header.append("@" + one_line(str(handle), 40) if handle else "-", style="cyan")
        if sentiment:
            label = f"  {sentiment['label']} {sentiment['compound']:+.2f}"
            header.append(label, style=_LABEL_STYLE.get(sentiment["label"], ""))
        body = Text("    " + one_line(record.text, 400))
        console.print(header)
        console.print(body)
        count += 1
    return count


def write_records(records: Iterable[PostRecord], fmt: str, out: TextIO) -> int:
    """Write records in one of FORMATS; returns how many were written."""
    if fmt == "table":
        return write_table(records, Console(file=out, highlight=False, soft_wrap=False))
    writers = {"json": write_json, "jsonl": write_jsonl, "csv": write_csv}
    return writers[fmt](records, out)


def thread_lines(node: ThreadNode, depth: int = 0) -> Iterable[str]:
    """The thread as indented lines, two spaces a level."""
    pad = "  " * depth + ("└ " if depth else "")
    record = node.record
    if record is None:
        yield f"{pad}[{node.native_id}: not stored]"
    else:
        handle = (record.author or {}).get("handle") or "?"
        label = (record.sentiment or {}).get("label", "")
        when = record.created_at.strftime("%Y-%m-%d %H:%M")
        yield f"{pad}{record.ref} @{visible(str(handle))} {when}{' ' + label if label else ''}"
        yield "  " * depth + ("  " if depth else "") + one_line(record.text, 160)
    for child in node.children:
        yield from thread_lines(child, depth + 1)

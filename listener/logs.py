"""Structured logs: one event per line, JSON when stderr is not a terminal, key=value when it is.

`LISTENER_LOG_FORMAT=json|text` overrides the choice. Every line carries a UTC
timestamp, the level and the event's fields (job, source, run id, counts); values
are never post text or credentials.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, TextIO

_MARK = "_listener_handler"


class TextFormatter(logging.Formatter):
    """``2026-11-27T07:00:00Z INFO event=job.end job=digest sent=6``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {})
        if fields:
            record.msg, record.args = _key_values(fields), ()
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """``{"time": "...", "level": "INFO", "logger": "listener.scheduler", "event": ...}``"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, Any] = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        line.update(fields) if fields else line.update(message=record.getMessage())
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _key_values(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        text = str(value).splitlines()[0] if str(value) else ""
        if any(c in text for c in ' "='):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


def configure(logger: logging.Logger, *, stream: TextIO | None = None) -> logging.Handler:
    """Attach listener's handler to `logger` once; returns it (to share with other loggers)."""
    for handler in logger.handlers:
        if getattr(handler, _MARK, False):
            return handler
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    choice = os.environ.get("LISTENER_LOG_FORMAT", "").lower()
    as_json = choice == "json" or (choice != "text" and not stream.isatty())
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def event(logger: logging.Logger, name: str, **fields: object) -> None:
    """Log one event with its fields; empty values are left out."""
    kept = {k: v for k, v in fields.items() if v is not None and str(v) != ""}
    logger.info(name, extra={"fields": {"event": name, **kept}})

"""Read a YAML file into plain dicts and lists, with the line of every key and item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from listener.errors import ConfigError

Loc = tuple[int | str, ...]
_DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>.*?)" with value')


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """(plain data, {location: line}); any problem is one ConfigError naming file:line."""
    text = _read_text(path)
    lines: dict[Loc, int] = {}
    return _plain(_parse_yaml(text, path), (), lines), lines


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except DuplicateKeyError as exc:
        raise ConfigError(_duplicate_key_line(exc, text, path)) from None
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{path}:{line}: invalid YAML: {reason}") from None
    except ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None


def _duplicate_key_line(exc: DuplicateKeyError, text: str, path: Path) -> str:
    """Name the duplicate key and where it first appeared, never its value (maybe a secret)."""
    match = _DUPLICATE_KEY.search(exc.problem or "")
    key = match["key"] if match else "?"
    mark, start = exc.problem_mark, exc.context_mark
    line = mark.line + 1 if mark else 1
    first = ""
    if mark and start:
        lines = text.splitlines()
        for number in range(start.line, mark.line):
            # ruamel does not say where the first one was: look for the key at the same column.
            rest = lines[number][mark.column :]
            if rest.startswith(key) and rest[len(key) :].lstrip().startswith(":"):
                first = f" (first at line {number + 1})"
                break
    return f"{path}:{line}: duplicate key {key!r}{first}"


def _plain(node: Any, loc: Loc, lines: dict[Loc, int]) -> Any:
    """Copy ruamel's tree into plain dicts and lists, recording the line of every key and item."""
    if isinstance(node, CommentedMap):
        mapping: dict[Any, Any] = {}
        for key, value in node.items():
            lines[(*loc, key)] = node.lc.key(key)[0] + 1
            mapping[key] = _plain(value, (*loc, key), lines)
        return mapping
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            lines[(*loc, index)] = node.lc.item(index)[0] + 1
            items.append(_plain(value, (*loc, index), lines))
        return items
    return node

"""Bulk upserts at the driver level: one statement of fixed text per table, whatever the page.

An import writes a million posts. Built through SQLAlchemy as one multi-row
`INSERT ... VALUES` per page, the statement's parameters cost more Python time
than the database's own work, and every page's statement had a different size,
so neither pysqlite nor psycopg could reuse one (docs/performance.md). Here:

- SQLite: `executemany` of one `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed`,
  compiled once and kept in the driver's statement cache; ids are then read
  back by key (SQLite plans the IN list on the unique index).
- PostgreSQL: one `INSERT ... SELECT FROM unnest(arrays)` per page, one array per
  column, with the ids and whether each row was new in RETURNING; the server
  prepares the statement once.

`insert_ignore` writes link rows the same way (on SQLite, one statement over
a JSON array), returning those it inserted, and `ids` looks up the ids of
stored rows by key.

Upserts skip rows whose stored values would not change, so re-importing a file,
or the same referenced post arriving again with a later page, writes nothing
(no new row versions on PostgreSQL, no index or full-text rewrites on either).

JSON values arrive serialised by db.dumps_json, as SQLAlchemy would serialise
them; other values are converted by the columns' own SQLAlchemy bind processors
on SQLite and by psycopg's adapters on PostgreSQL, so a row stored here reads
back exactly as one stored through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

Key = tuple[str, str]  # (platform, native_id)
KEY_COLUMNS = ("platform", "native_id")
_LOOKUP_CHUNK = 500


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    update: Sequence[str],
    *,
    stamp: Sequence[str] = (),
    rules: dict[str, str] | None = None,
    casts: dict[str, str] | None = None,
) -> tuple[dict[Key, int], int]:
    """Upsert rows keyed on (platform, native_id); return ids by key and how many were new.

    `rows` hold values of `columns`, in order, starting with platform and
    native_id; JSON columns hold their serialisation (db.dumps_json). A stored
    row whose `update` columns would change takes them, and its `stamp` columns
    (an updated_at), from the new row; otherwise it is left alone. `rules` give
    some `update` columns an SQL expression instead of the new value, over
    `excluded` and `{table}` (the stored row). `casts` (PostgreSQL) name columns
    the migrations add beside the model's, with their SQL type; their values
    arrive as that type's text.
    """
    if not rows:
        return {}, 0
    assert tuple(columns[:2]) == KEY_COLUMNS
    plan = _Plan(
        table,
        tuple(columns),
        tuple(update),
        tuple(stamp),
        tuple((rules or {}).items()),
        tuple((casts or {}).items()),
    )
    if conn.dialect.name == "postgresql":
        return _upsert_postgres(conn, plan, rows)
    assert not casts, "columns beside the model's are PostgreSQL's"
    return _upsert_sqlite(conn, plan, rows)


def ids(conn: sa.Connection, table: sa.Table, keys: Sequence[Key]) -> dict[Key, int]:
    """The ids of the stored rows of `table` with these keys (a key not stored has none)."""
    by_platform: dict[str, list[str]] = {}
    for platform, native_id in keys:
        by_platform.setdefault(platform, []).append(native_id)
    lookup = _ids_postgres if conn.dialect.name == "postgresql" else _ids_sqlite
    found: dict[Key, int] = {}
    for platform, native_ids in by_platform.items():
        pairs = lookup(conn, table.name, platform, list(dict.fromkeys(native_ids)))
        found.update({(platform, native_id): pk for native_id, pk in pairs})
    return found


def _ids_sqlite(
    conn: sa.Connection, table: str, platform: str, native_ids: list[str]
) -> Sequence[Any]:
    found: list[Any] = []
    for start in range(0, len(native_ids), _LOOKUP_CHUNK):
        chunk = native_ids[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        found += conn.exec_driver_sql(
            f"SELECT native_id, id FROM {table} WHERE platform = ? AND native_id IN ({marks})",
            (platform, *chunk),
        ).all()
    return found  # (native_id, id) rows


def _ids_postgres(
    conn: sa.Connection, table: str, platform: str, native_ids: list[str]
) -> Sequence[Any]:
    # One probe of the unique index per key, whatever the table's size when psycopg
    # prepared the statement (`native_id = ANY(array)` was planned as a sequential
    # scan while the table was small, and the plan kept: 30 ms for 1,000 authors).
    return conn.exec_driver_sql(
        "SELECT i.native_id, s.id FROM unnest(%b::text[]) AS i(native_id)"
        f" CROSS JOIN LATERAL (SELECT id FROM {table}"
        f" WHERE {table}.platform = %s AND {table}.native_id = i.native_id LIMIT 1) s",
        (native_ids, platform),
    ).all()  # (native_id, id) rows


def insert_ignore(
    conn: sa.Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Insert rows of `table`'s columns in order, skipping any that conflict with a stored one;
    the rows inserted. Values must be numbers or strings (SQLite receives them as JSON)."""
    if not rows:
        return []
    columns = tuple(c.name for c in table.columns)
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"%b::{_pg_array(table.c[c])}" for c in columns)
        sql = (
            f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
            f" ON CONFLICT DO NOTHING RETURNING {names}"
        )
        params: Any = tuple(list(values) for values in zip(*rows, strict=True))
    else:
        # One statement, not executemany, so that RETURNING says which rows went in
        # (`WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT).
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        sql = (
            f"INSERT INTO {table.name} ({names}) SELECT {values} FROM json_each(?) WHERE true"
            f" ON CONFLICT DO NOTHING RETURNING {names}"
        )
        params = (orjson.dumps(rows).decode(),)
    return [tuple(row) for row in conn.exec_driver_sql(sql, params)]


@dataclass(frozen=True)
class _Plan:
    """One upsert's shape: what is inserted, what a stored row takes, and when."""

    table: sa.Table
    columns: tuple[str, ...]
    update: tuple[str, ...]
    stamp: tuple[str, ...]
    rules: tuple[tuple[str, str], ...]
    casts: tuple[tuple[str, str], ...] = ()

    def select(self, column: str) -> str:
        """PostgreSQL: how the statement reads `column` from the unnested arrays."""
        cast = dict(self.casts).get(column)
        if cast is None and isinstance(self.table.c[column].type, sa.JSON):
            cast = "jsonb"
        return f"i.{column}::{cast}" if cast else f"i.{column}"

    def array(self, column: str) -> str:
        """PostgreSQL: the type of the array `column`'s values are sent in."""
        return "text[]" if column in dict(self.casts) else _pg_array(self.table.c[column])

    def assignments(self) -> str:
        rules = dict(self.rules)
        values = {c: rules.get(c, f"excluded.{c}") for c in (*self.update, *self.stamp)}
        return ", ".join(f"{c} = {v.format(table=self.table.name)}" for c, v in values.items())

    def changed(self, differs: str) -> str:
        """SQL true when a stored row would change; `differs`: the engine's null-safe <>."""
        name, rules = self.table.name, dict(self.rules)
        plain = [c for c in self.update if c not in rules]
        tests = [
            f"({', '.join(f'{name}.{c}' for c in plain)})"
            f" {differs} ({', '.join(f'excluded.{c}' for c in plain)})"
        ]
        tests += [
            f"{name}.{c} {differs} {rules[c].format(table=name)}" for c in self.update if c in rules
        ]
        return " OR ".join(tests)

    def conflict(self, differs: str) -> str:
        return (
            f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {self.assignments()}"
            f" WHERE {self.changed(differs)}"
        )


# ---- SQLite ---------------------------------------------------------------------------


def _upsert_sqlite(
    conn: sa.Connection, plan: _Plan, rows: Sequence[tuple[Any, ...]]
) -> tuple[dict[Key, int], int]:
    keys = [(row[0], row[1]) for row in rows]
    # Rows are only ever added at the end: the new ones are those past today's last id.
    last_id = int(
        conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {plan.table.name}").scalar_one()
    )
    processors = [_sqlite_processor(conn.dialect, plan.table.c[c]) for c in plan.columns]
    if any(processors):
        rows = [
            tuple(
                value if process is None else process(value)
                for value, process in zip(row, processors, strict=True)
            )
            for row in rows
        ]
    conn.exec_driver_sql(_sqlite_statement(plan), list(rows))
    found = ids(conn, plan.table, keys)
    new = sum(1 for pk in found.values() if pk > last_id)
    return found, new


def _sqlite_processor(dialect: sa.Dialect, column: sa.Column[Any]) -> Any:
    """The column's own SQLAlchemy conversion (datetimes), except for JSON: already text."""
    return None if isinstance(column.type, sa.JSON) else column.type._cached_bind_processor(dialect)


@cache
def _sqlite_statement(plan: _Plan) -> str:
    return (
        f"INSERT INTO {plan.table.name} ({', '.join(plan.columns)})"
        f" VALUES ({', '.join('?' for _ in plan.columns)}) {plan.conflict('IS NOT')}"
    )


# ---- PostgreSQL -----------------------------------------------------------------------


def _upsert_postgres(
    conn: sa.Connection, plan: _Plan, rows: Sequence[tuple[Any, ...]]
) -> tuple[dict[Key, int], int]:
    unique = {(row[0], row[1]): row for row in rows}  # one statement touches a row once
    # In key order, so that concurrent writers take shared rows in the same order
    # rather than each holding one that the other waits for (a deadlock).
    ordered = [unique[key] for key in sorted(unique)]
    arrays = tuple(list(values) for values in zip(*ordered, strict=True))
    found: dict[Key, int] = {}
    new = 0
    for pk, platform, native_id, inserted in conn.exec_driver_sql(
        _postgres_statement(plan), arrays
    ):
        found[(platform, native_id)] = pk
        new += bool(inserted)
    if len(found) < len(unique):
        # Stored unchanged by a writer that committed after this statement began: the
        # upsert waited for it and left the row alone, and the statement's lookup could
        # not see it yet. A new statement does.
        found.update(ids(conn, plan.table, [key for key in unique if key not in found]))
    return found, new


@cache
def _postgres_statement(plan: _Plan) -> str:
    name, columns = plan.table.name, plan.columns
    arrays = ", ".join(f"%b::{plan.array(c)}" for c in columns)
    selected = ", ".join(plan.select(c) for c in columns)
    # Rows left unchanged are not RETURNed by the upsert: the second half finds them, in
    # the snapshot from before the statement, one probe of the unique index per key.
    # (LIMIT 1 keeps the lookup a parameterised index scan: as a plain join the plan
    # could be a hash join over the whole table, kept as psycopg's prepared plan
    # from when the table was small.)
    return (
        f"WITH i AS (SELECT * FROM unnest({arrays}) AS i({', '.join(columns)})),"
        f" up AS (INSERT INTO {name} ({', '.join(columns)}) SELECT {selected} FROM i"
        f" {plan.conflict('IS DISTINCT FROM')}"
        " RETURNING id, platform, native_id, xmax = 0 AS inserted)"
        " SELECT id, platform, native_id, inserted FROM up"
        " UNION ALL SELECT s.id, i.platform, i.native_id, false FROM i"
        f" CROSS JOIN LATERAL (SELECT id FROM {name}"
        f" WHERE {name}.platform = i.platform AND {name}.native_id = i.native_id LIMIT 1) s"
        " WHERE NOT EXISTS (SELECT 1 FROM up"
        " WHERE up.platform = i.platform AND up.native_id = i.native_id)"
    )


def _pg_array(column: sa.Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.Integer):
        return "bigint[]"
    if isinstance(kind, sa.Boolean):
        return "boolean[]"
    if isinstance(kind, sa.Float):
        return "float8[]"
    if isinstance(kind, sa.DateTime):
        return "timestamptz[]"
    return "text[]"  # strings, and JSON (cast to jsonb in the select list)

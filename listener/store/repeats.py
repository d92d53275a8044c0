"""Remember the rows a run has written, so that an identical copy later on is not written again.

A twarc2 file repeats itself: a retweeted post comes again in a later page's
`includes`, and most of a page's authors were in the pages before it (in the
import benchmark's file, 30% of the post rows and 95% of the author rows).
Upserting such a copy changes nothing (bulk.upsert skips unchanged rows), yet
the database still parses its JSON, finds the stored row and compares them.
A run remembers a hash of each row it wrote; a later row with the same key and
content only needs its id looked up.

Hashes are Python's 64-bit `hash` of the key and of the content. Taking a changed
row for a repeat would need its content hash to equal the remembered one for the
same key: about one chance in 10^13 over a million rows. Memory is bounded: two
generations of at most GENERATION rows each, the older one dropped when the newer
fills up (repeats in the benchmark's file come within 65,536 rows of each other).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from listener.store import bulk

GENERATION = 200_000  # rows per generation (about 10 MB of hashes)

Fingerprint = tuple[int, int]  # hash of the key, hash of the content
Pending = list[tuple["Remembered", list[Fingerprint]]]  # rows written, not yet committed


class Remembered:
    """Fingerprints of one table's rows that a run has written, the newest 200,000 at least."""

    def __init__(self, generation: int = GENERATION) -> None:
        self.generation = generation
        self._newer: dict[int, int] = {}
        self._older: dict[int, int] = {}

    def __contains__(self, fingerprint: Fingerprint) -> bool:
        key, content = fingerprint
        stored = self._newer.get(key)
        if stored is None:
            stored = self._older.get(key)
        return stored == content

    def add(self, fingerprints: Iterable[Fingerprint]) -> None:
        """Remember rows now stored (call once their transaction has committed)."""
        for key, content in fingerprints:
            if len(self._newer) >= self.generation:
                self._older, self._newer = self._newer, {}
            self._newer[key] = content


def fingerprints(rows: Sequence[tuple[Any, ...]], content: Sequence[int]) -> list[Fingerprint]:
    """Each row's fingerprint: its key (the first two values) and the values at `content`."""
    # itemgetter, in C, takes half the time of a list comprehension per row (it gives a
    # bare value for one index, still a fingerprint of it; none at all it cannot take).
    pick = itemgetter(*content) if content else lambda row: ()
    return [(hash(row[:2]), hash(pick(row))) for row in rows]


@dataclass
class Written:
    """What one run has written so far: its authors and posts, by fingerprint."""

    authors: Remembered = field(default_factory=Remembered)
    posts: Remembered = field(default_factory=Remembered)


@dataclass(frozen=True)
class Upsert:
    """One table's upsert (see bulk.upsert), skipping rows the run has already written."""

    table: sa.Table
    columns: tuple[str, ...]
    update: tuple[str, ...]
    stamp: tuple[str, ...] = ()
    rules: dict[str, str] = field(default_factory=dict)
    casts: dict[str, str] = field(default_factory=dict)  # PostgreSQL: see bulk.upsert

    def write(
        self, conn: sa.Connection, rows: Sequence[tuple[Any, ...]], remembered: Remembered
    ) -> tuple[dict[tuple[str, str], int], int, list[Fingerprint]]:
        """Upsert the rows not already written unchanged; ids of all, new rows, their prints."""
        content = [self.columns.index(c) for c in self.update]
        prints = fingerprints(rows, content)
        known = [row[:2] for row, mark in zip(rows, prints, strict=True) if mark in remembered]
        ids = bulk.ids(conn, self.table, known) if known else {}
        # A repeat whose row has gone since (erased, purged) is written again, as before.
        changed = [i for i, row in enumerate(rows) if row[:2] not in ids]
        found, new = bulk.upsert(
            conn,
            self.table,
            self.columns,
            [rows[i] for i in changed],
            self.update,
            stamp=self.stamp,
            rules=self.rules,
            casts=self.casts or None,
        )
        ids.update(found)
        return ids, new, [prints[i] for i in changed]


def remember(pending: Pending) -> None:
    """The rows of `pending` are stored: their transaction has committed."""
    for remembered, fingerprints in pending:
        remembered.add(fingerprints)

"""Raw-driver baselines for the import benchmark: the same rows, listener's own schema.

Issue 7 pairs the import with "the same rows inserted by the raw driver
(sqlite3 executemany in one transaction then an FTS5 rebuild; psycopg COPY into
a table with the same tsvector index)". These functions do exactly that with as
little code as possible: read the twarc2 file with `json.loads`, build each
distinct tweet's `posts` row straight from the tweet (every column listener
stores, including the search text, the text hash and the JSON payloads), and
hand the rows to the driver, into a database that `listener init` created, so
the table, its indexes and the full-text index are the ones listener writes.
They skip what listener does on top: authors, the watches and departments a
post matches, erased authors, quarantine, run records, one transaction per page.

Each runs as a child of the benchmark and prints its phase timings as JSON.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg

from listener.store.writes import POST_COLUMNS
from listener.textnorm import normalise, search_text

COLUMNS = POST_COLUMNS[:-1]  # every column listener stores but author_id (no authors here)
_KINDS = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}


def post_rows(path: str, *, sqlite_times: bool) -> Iterator[tuple[Any, ...]]:
    """One row per distinct tweet in the file (a referenced tweet recurs in later pages)."""
    seen: set[str] = set()
    collected = datetime.now(UTC)
    collected_at: Any = collected.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite_times else collected
    source = f"import:twarc2:{path.rsplit('/', 1)[-1]}"
    with open(path, "rb") as lines:
        for line in lines:
            page = json.loads(line)
            includes = page.get("includes", {})
            users = {u["id"]: u["username"] for u in includes.get("users", [])}
            for tweet in page["data"] + includes.get("tweets", []):
                native_id = tweet["id"]
                if native_id in seen:
                    continue
                seen.add(native_id)
                note = tweet.get("note_tweet")
                text = note["text"] if note else tweet["text"]
                refs = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
                kind = next((_KINDS[t] for t in _KINDS if t in refs), "post")
                handle = users.get(tweet.get("author_id"), "")
                created = tweet["created_at"]  # 2026-03-09T12:34:56.000Z
                yield (
                    "x",
                    native_id,
                    f"https://x.com/{handle or 'i/web'}/status/{native_id}",
                    handle.lower(),
                    f"{created[:10]} {created[11:19]}.000000" if sqlite_times else created,
                    collected_at,
                    text,
                    search_text(text),
                    hashlib.sha256(normalise(text).encode()).hexdigest(),
                    tweet.get("lang"),
                    kind,
                    tweet.get("conversation_id"),
                    refs.get("replied_to"),
                    refs.get("quoted"),
                    refs.get("retweeted"),
                    json.dumps(tweet.get("public_metrics", {}), ensure_ascii=False),
                    json.dumps(tweet, ensure_ascii=False),
                    source,
                )


def sqlite_same_rows(path: str, database: str) -> None:
    """executemany into listener's `posts` in one transaction, then rebuild FTS5."""
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # as listener's engine
    db.execute("DROP TRIGGER IF EXISTS posts_fts_insert")  # built once at the end (before 0007)
    start = time.perf_counter()
    db.execute("BEGIN")
    marks = ", ".join("?" for _ in COLUMNS)
    db.executemany(
        f"INSERT INTO posts ({', '.join(COLUMNS)}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        post_rows(path, sqlite_times=True),
    )
    db.execute("COMMIT")
    loaded = time.perf_counter()
    db.execute("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")
    indexed = time.perf_counter()
    stored = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    db.close()
    timings = {"parse_and_insert_s": loaded - start, "fts_rebuild_s": indexed - loaded}
    print(json.dumps({"posts": stored, **timings}))


def postgres_same_rows(path: str, url: str) -> None:
    """COPY into listener's `posts` (its generated tsvector and GIN index) in one transaction."""
    start = time.perf_counter()
    with psycopg.connect(url) as db:
        with db.cursor() as cursor:
            copy_sql = f"COPY posts ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in post_rows(path, sqlite_times=False):
                    copy.write_row(row)
        db.commit()
        loaded = time.perf_counter()
        stored = db.execute("SELECT count(*) FROM posts").fetchone()
    print(json.dumps({"posts": stored[0] if stored else 0, "copy_s": loaded - start}))

"""File sources: twarc2 pages and flattened tweets, CSV with a column map, listener JSON Lines."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.collectors import filestream
from listener.collectors.csvfile import CsvOptions, parse_mapping, read_csv
from listener.collectors.files import read_jsonl, read_twarc2
from listener.errors import ImportFormatError, UserError

USERS = [
    {"id": "1", "username": "alice", "name": "Alice", "verified_type": "none",
     "public_metrics": {"followers_count": 10}},
    {"id": "2", "username": "DHSCgovuk", "name": "DHSC", "verified_type": "government"},
]  # fmt: skip
ORIGINAL = {"id": "100", "text": "Waiting lists fell in October #NHS", "author_id": "2",
            "created_at": "2026-11-12T09:00:00.000Z", "conversation_id": "100", "lang": "en"}  # fmt: skip


def page(*tweets: dict[str, object], includes_tweets: list[dict[str, object]] | None = None) -> str:
    body = {"data": list(tweets), "includes": {"users": USERS, "tweets": includes_tweets or []},
            "meta": {"result_count": len(tweets)}, "__twarc": {"version": "2.14.0"}}  # fmt: skip
    return json.dumps(body)


def tweet(native_id: str, text: str, **fields: object) -> dict[str, object]:
    return {"id": native_id, "text": text, "author_id": "1", "lang": "en",
            "created_at": "2026-11-12T10:00:00.000Z", "conversation_id": native_id,
            "public_metrics": {"like_count": 3}, **fields}  # fmt: skip


def all_items(pages: object) -> tuple[list, list]:  # type: ignore[type-arg]
    posts, rejected = [], []
    for p in pages:  # type: ignore[attr-defined]
        posts += p.posts
        rejected += p.rejected
    return posts, rejected


def test_twarc2_page_yields_posts_with_links_authors_and_context(tmp_path: Path) -> None:
    retweet = tweet("101", "RT @DHSCgovuk: Waiting lists fell in…",
                    referenced_tweets=[{"type": "retweeted", "id": "100"}])  # fmt: skip
    reply = tweet("102", "@DHSCgovuk not where I live", conversation_id="100",
                  referenced_tweets=[{"type": "replied_to", "id": "100"}])  # fmt: skip
    long = tweet("103", "Short version…", note_tweet={"text": "Short version plus the rest"})
    path = tmp_path / "search.jsonl"
    path.write_text(page(retweet, reply, long, includes_tweets=[ORIGINAL]) + "\n")
    posts, rejected = all_items(read_twarc2(path))
    assert rejected == []
    by_id = {p.native_id: p for p in posts}
    assert set(by_id) == {"100", "101", "102", "103"}
    assert by_id["101"].kind == "repost" and by_id["101"].repost_of_id == "100"
    assert by_id["101"].analysis_text == ORIGINAL["text"]
    assert by_id["102"].kind == "reply" and by_id["102"].reply_to_id == "100"
    assert by_id["102"].conversation_id == "100"
    assert by_id["103"].text == "Short version plus the rest"
    assert by_id["100"].context and not by_id["101"].context
    assert by_id["100"].author.handle == "DHSCgovuk"  # type: ignore[union-attr]
    assert by_id["100"].author.verified_type == "government"  # type: ignore[union-attr]
    assert by_id["101"].url == "https://x.com/alice/status/101"
    assert by_id["101"].created_at == datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
    assert by_id["101"].raw["id"] == "101"


def test_twarc2_bad_lines_and_items_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        page(tweet("1", "fine")),
        "{not json",
        page(tweet("2", "fine too"), {"text": "no id", "created_at": "2026-11-12T10:00:00Z"},
             tweet("3", "bad time", created_at="yesterday")),
        json.dumps({"errors": [{"title": "Not Found Error"}]}),
        "",
        json.dumps([1, 2]),
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    posts, rejected = all_items(read_twarc2(path))
    assert [p.native_id for p in posts] == ["1", "2"]
    reasons = [str(r) for r in rejected]
    assert reasons == [
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:3: data[1]: missing field 'id'",
        f"{path}:3: data[2]: field 'created_at' is not a timestamp: 'yesterday'",
        f"{path}:4: an API error response, not posts",
        f"{path}:6: not a JSON object",
    ]


def test_twarc2_flattened_tweets_and_gzip_are_read(tmp_path: Path) -> None:
    flat = tweet("5", "flattened #NHS", author={"id": "1", "username": "alice"})
    path = tmp_path / "flat.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(flat) + "\n")
    posts, rejected = all_items(read_twarc2(path))
    assert rejected == [] and posts[0].author.handle == "alice"  # type: ignore[union-attr]


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"nope.jsonl: no such file"):
        list(read_twarc2(tmp_path / "nope.jsonl"))


CONSULTATION = (
    "response_id,submitted_at,respondent_type,organisation,response_text\n"
    'R1,2026-11-14 16:02,tenant,,"We need an end to section 21, now."\n'
    'R2,14/11/2026 09:30,landlord,Small Landlords Assoc,"Line one\nline two, with ""quotes"""\n'
    "R3,not a date,tenant,,Bad date row\n"
    "R4,2026-11-15 10:00,tenant,,\n"
    "R5,2026-11-15 11:00,tenant,,Too many,cells,here\n"
    "R6,2026-07-01T12:00:00+00:00,organisation,Shelter North,Summer response\n"
)
MAPPING = "id=response_id,text=response_text,created_at=submitted_at,author=organisation"


def test_csv_with_a_column_map_imports_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    path.write_text(CONSULTATION)
    posts, rejected = all_items(read_csv(path, CsvOptions(mapping=parse_mapping(MAPPING))))
    assert [p.native_id for p in posts] == ["R1", "R2", "R6"]
    assert posts[1].text == 'Line one\nline two, with "quotes"'
    assert posts[1].author.handle == "Small Landlords Assoc"  # type: ignore[union-attr]
    assert posts[0].author is None
    # Local UK time without a zone: GMT in November, BST in July.
    assert posts[0].created_at == datetime(2026, 11, 14, 16, 2, tzinfo=UTC)
    assert posts[2].created_at == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert posts[0].platform == "consultation" and posts[0].kind == "response"
    assert posts[0].raw["respondent_type"] == "tenant"
    assert [str(r) for r in rejected] == [
        f"{path}:5: column 'submitted_at': not a date: 'not a date' (use ISO 8601, or DD/MM/YYYY HH:MM)",
        f"{path}:6: empty text (column 'response_text')",
        f"{path}:7: 2 more cells than the header has",
    ]


def test_csv_default_columns_and_ids_derived_from_content(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("text,author,created_at\nhello #NHS,alice,2026-11-12T10:00:00Z\n")
    first, _ = all_items(read_csv(path, CsvOptions(platform="x")))
    again, _ = all_items(read_csv(path, CsvOptions(platform="x")))
    assert first[0].native_id == again[0].native_id
    assert first[0].native_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("header", "mapping", "message"),
    [
        (
            "id,body,created_at",
            "",
            r"posts.csv:1: no 'text' column; name one with --map text=COLUMN",
        ),
        ("id,text", "", r"posts.csv:1: no 'created_at' column"),
        ("id,text,created_at", "author=who", r"posts.csv:1: --map author=who: no column 'who'"),
        ("", "", r"posts.csv: empty file"),
    ],
)
def test_csv_header_problems_are_one_line_errors(
    tmp_path: Path, header: str, mapping: str, message: str
) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(header + "\n" if header else "")
    with pytest.raises(ImportFormatError, match=message):
        list(read_csv(path, CsvOptions(mapping=parse_mapping(mapping))))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("text", "--map: 'text' should be FIELD=COLUMN"),
        ("body=text", "--map: unknown field 'body'"),
    ],
)
def test_bad_mapping_is_refused(spec: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_mapping(spec)


def test_jsonl_records_are_read_and_bad_ones_named(tmp_path: Path) -> None:
    record = {"platform": "x", "native_id": "9", "text": "hi", "created_at": "2026-11-12T10:00:00+00:00",
              "author": {"native_id": "1", "handle": "alice"}, "departments": ["dhsc"],
              "metrics": {"like_count": 2}, "raw": {"id": "9"}}  # fmt: skip
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps({**record, "text": ""}) + "\n")
    posts, rejected = all_items(read_jsonl(path))
    assert posts[0].departments == ["dhsc"] and posts[0].author.handle == "alice"  # type: ignore[union-attr]
    assert [str(r) for r in rejected] == [f"{path}:2: missing field 'text'"]


def _sizes(pages: object) -> list[tuple[int, int]]:
    return [(len(p.posts), len(p.rejected)) for p in pages if p.posts or p.rejected]  # type: ignore[attr-defined]


def test_bad_rows_fill_pages_as_posts_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run of bad rows is stored (quarantined) a page at a time, not held to the end."""
    monkeypatch.setattr(filestream, "PAGE_SIZE", 10)
    path = tmp_path / "junk.jsonl"
    path.write_text("{broken\n" * 25 + json.dumps(tweet("1", "fine")) + "\n")
    assert _sizes(read_twarc2(path)) == [(0, 10), (0, 10), (1, 5)]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_page_of_huge_posts_ends_at_page_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """Posts with huge texts are paged by size, counted after decompression, so memory
    stays bounded whatever the file holds (a gzip of repeated text is tiny on disk)."""
    monkeypatch.setattr(filestream, "PAGE_BYTES", 250_000)
    lines = "".join(json.dumps(tweet(str(n), "Waiting lists " * 10_000)) + "\n" for n in range(6))
    path = tmp_path / f"huge{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(lines.encode()))
        assert path.stat().st_size < 250_000  # the whole file: one page, were it counted so
    else:
        path.write_text(lines)
    sizes = _sizes(read_twarc2(path))
    assert sum(posts for posts, _ in sizes) == 6 and len(sizes) >= 3
    assert all(posts <= 2 for posts, _ in sizes)  # 140,000 characters each


def test_a_csv_of_long_responses_is_paged_by_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filestream, "PAGE_BYTES", 250_000)
    path = tmp_path / "responses.csv"
    rows = "".join(f'"{"I object. " * 14_000}",resident,2026-11-12T10:00:00Z\n' for _ in range(6))
    path.write_text("text,author,created_at\n" + rows)
    sizes = _sizes(read_csv(path, CsvOptions(platform="consultation")))
    assert sum(posts for posts, _ in sizes) == 6 and all(posts <= 2 for posts, _ in sizes)

"""Subject rights on both engines: export, erasure everywhere, suppression, the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from listener import approvals, jobs, rights
from listener.collectors.registry import Unavailable, build_collectors
from listener.errors import StoreError, UserError
from listener.models import Author
from listener.store import audit
from tests.store.dataprotection import (
    archive_digest,
    column,
    configure,
    counts,
    digest_contexts,
    found,
    ids,
    model_week,
    score_all,
)

KEY = SecretStr("a-long-random-secret-for-tests-only")
USERS = [
    {"id": "1", "username": "alice", "name": "Alice Example", "description": "nurse"},
    {"id": "3", "username": "bob", "name": "Bob"},
    {"id": "2", "username": "DHSCgovuk", "name": "DHSC", "verified_type": "government"},
]
ALICE_SAYS = {"id": "10", "text": "Junior doctors walkout is right #NHS", "author_id": "1",
              "created_at": "2026-11-12T10:00:00.000Z", "conversation_id": "10", "lang": "en"}  # fmt: skip


def tweet(native_id: str, text: str, author: str, **fields: object) -> dict[str, object]:
    return {"id": native_id, "text": text, "author_id": author, "lang": "en",
            "created_at": "2026-11-12T11:00:00.000Z", "conversation_id": native_id, **fields}  # fmt: skip


def archive(tmp_path: Path) -> Path:
    """A twarc2 file: alice's posts, bob's reply to and repost of her, and DHSC's post."""
    data = [
        ALICE_SAYS,
        tweet("11", "Waiting lists are a scandal #NHS", "1"),
        tweet("12", "@alice totally agree #NHS", "3", conversation_id="10",
              referenced_tweets=[{"type": "replied_to", "id": "10"}]),
        tweet("13", "RT @alice: Junior doctors walkout is right #NHS", "3",
              referenced_tweets=[{"type": "retweeted", "id": "10"}]),
        tweet("14", "#NHS waiting list figures are out today", "2"),
    ]  # fmt: skip
    body = {"data": data, "includes": {"users": USERS, "tweets": [ALICE_SAYS]}, "meta": {}}
    path = tmp_path / "archive.jsonl"
    path.write_text(json.dumps(body) + "\n")
    return path


def load(engine: sa.Engine, tmp_path: Path) -> dict[str, int]:
    """Import the archive, score it, find a topic, and archive a digest quoting alice."""
    configure(engine, tmp_path)
    jobs.import_file(engine, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))
    score_all(engine)
    stored = ids(engine)
    week = model_week(engine, "dhsc", datetime(2026, 11, 12, 12, tzinfo=UTC), list(stored.values()))
    quote = {
        "id": stored["10"],
        "platform": "x",
        "url": "https://x.com/alice/status/10",
        "author": "Member of the public 1",
        "author_kind": "public",
        "created_at": "2026-11-12T10:00:00+00:00",
        "text": ALICE_SAYS["text"],
        "likes": 4,
    }
    voice = {"name": "Alice Example", "handle": "alice", "platform": "x",
             "url": "https://x.com/alice", "posts": 2, "engagement": 9, "amplified": 1}  # fmt: skip
    archive_digest(
        engine,
        "dhsc",
        week,
        {"posts": 5, "most_engaged": [quote], "voices": [{"accounts": [voice]}]},
    )
    return stored


def request(handle: str = "@Alice") -> rights.SubjectRequest:
    return rights.SubjectRequest("x", handle, "DSAR-2026-017", "Data Protection Officer", "cli:dpo")


def test_export_holds_the_authors_posts_scores_matches_and_topics(
    engine: sa.Engine, tmp_path: Path
) -> None:
    stored = load(engine, tmp_path)

    data = rights.export_subject(engine, request(), secret_key=KEY)

    assert [p["native_id"] for p in data["posts"]] == ["10", "11"]
    first = data["posts"][0]
    assert first["text"] == ALICE_SAYS["text"] and first["raw"]["id"] == "10"
    assert first["departments"] == ["dhsc"]
    assert first["matches"] == [{"department": "dhsc", "kind": "hashtag", "value": "#NHS"}]
    assert first["sentiment"]["label"] == "neutral"
    assert first["topics"][0]["week"] == "2026-W46"
    assert [a["handle"] for a in data["accounts"]] == ["alice"]
    assert data["accounts"][0]["description"] == "nurse"
    assert data["digests_quoting"][0]["department"] == "dhsc"
    assert stored["12"] not in [p["id"] for p in data["posts"]]  # bob's reply is bob's
    json.dumps(data)  # JSON-ready as it is


def test_erase_removes_the_author_everywhere_and_blanks_digest_quotes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    stored = load(engine, tmp_path)
    assert found(engine, "walkout") == {"10", "13"}

    report = rights.erase_subject(engine, request(), secret_key=KEY)

    alice = {stored["10"], stored["11"]}
    gone = alice | {stored["13"]}  # bob's repost carries only alice's words
    assert (report.posts, report.reposts, report.digests) == (2, 1, 1)
    assert column(engine, "SELECT id FROM posts") == set(stored.values()) - gone
    for table in ("post_departments", "post_matches", "sentiment_scores", "post_topics"):
        assert not column(engine, f"SELECT post_id FROM {table}") & gone, table
    assert "alice" not in column(engine, "SELECT handle FROM authors")
    assert found(engine, "walkout") == set()
    assert found(engine, "agree") == {"12"}  # bob's reply to her is bob's own words
    [context] = digest_contexts(engine)
    assert context["posts"] == 5  # the figures stay
    assert context["most_engaged"][0]["text"] == "Removed at the author's request."
    assert context["most_engaged"][0]["likes"] == 4
    assert "walkout" not in json.dumps(context) and "alice" not in json.dumps(context).lower()
    assert rights.export_subject(engine, request(), secret_key=KEY)["posts"] == []


def test_erase_then_import_again_stores_nothing_from_that_author(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, tmp_path)
    rights.erase_subject(engine, request(), secret_key=KEY)
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY.get_secret_value())

    again = jobs.import_file(engine, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))

    assert again.suppressed == 3  # alice's 10 and 11, and bob's repost of 10
    assert set(ids(engine)) == {"12", "14"}
    assert "alice" not in column(engine, "SELECT handle FROM authors")


def test_a_renamed_account_is_still_suppressed_by_its_id(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, tmp_path)
    rights.erase_subject(engine, request(), secret_key=KEY)
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY.get_secret_value())
    renamed = archive(tmp_path)
    renamed.write_text(renamed.read_text().replace('"username": "alice"', '"username": "al1ce"'))

    jobs.import_file(engine, jobs.ImportRequest(path=renamed, format="twarc2"))

    assert set(ids(engine)) == {"12", "14"}


def test_the_audit_log_has_the_reference_and_never_the_handle(
    engine: sa.Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path)
    rights.export_subject(engine, request(), secret_key=KEY)
    rights.erase_subject(engine, request(), secret_key=KEY)

    with engine.connect() as conn:
        entries = audit.entries(conn, limit=10)
        suppressed = conn.execute(sa.text("SELECT * FROM suppressions")).mappings().all()
    erase, export = entries[0], entries[1]
    assert (export.action, erase.action) == ("subject.export", "subject.erase")
    for entry in (export, erase):
        assert entry.target == "DSAR-2026-017" and entry.actor == "cli:dpo"
        assert entry.detail["requester"] == "Data Protection Officer"
        assert len(entry.detail["subject"]) == 64
        assert "alice" not in json.dumps([entry.target, entry.detail]).lower()
    assert erase.detail["subject"] == export.detail["subject"]
    assert len(suppressed) == 1 and suppressed[0]["reference"] == "DSAR-2026-017"
    assert "alice" not in json.dumps([dict(s) for s in suppressed], default=str).lower()


def test_without_a_secret_key_erasure_is_refused_and_nothing_changes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path)
    before = counts(engine)

    with pytest.raises(UserError, match="LISTENER_SECRET_KEY is not set"):
        rights.erase_subject(engine, request(), secret_key=None)

    assert counts(engine) == before


def test_collection_stops_rather_than_ignore_the_suppression_list(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, tmp_path)
    rights.erase_subject(engine, request(), secret_key=KEY)
    file = jobs.ImportRequest(path=archive(tmp_path), format="twarc2")

    with pytest.raises(StoreError, match="without LISTENER_SECRET_KEY"):
        jobs.import_file(engine, file)
    monkeypatch.setenv("LISTENER_SECRET_KEY", "another-key-altogether")
    with pytest.raises(StoreError, match="different LISTENER_SECRET_KEY"):
        jobs.import_file(engine, file)
    assert "10" not in ids(engine)


def test_lifting_a_suppression_lets_the_author_be_collected_again(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, tmp_path)
    rights.erase_subject(engine, request(), secret_key=KEY)
    monkeypatch.setenv("LISTENER_SECRET_KEY", KEY.get_secret_value())
    [entry] = rights.suppression_list(engine, secret_key=KEY)
    assert (entry.reference, entry.current_key) == ("DSAR-2026-017", True)
    [other] = rights.suppression_list(engine, secret_key=SecretStr("a-new-key"))
    assert other.current_key is False

    rights.lift_suppression(engine, entry.id, reference="DSAR-2026-031", actor="admin@x.gov.uk")
    jobs.import_file(engine, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))

    assert {"10", "11", "13"} <= set(ids(engine))
    assert rights.suppression_list(engine, secret_key=KEY) == []


def test_no_opinion_is_stored_per_author() -> None:
    # Opinions are scored per post and reported in aggregate, never as a profile of a person.
    columns = {c.name for c in Author.__table__.columns}  # type: ignore[attr-defined]
    assert not {c for c in columns if any(w in c for w in ("sentiment", "stance", "compound"))}


def test_x_stays_off_until_its_government_use_approval_is_recorded(
    engine: sa.Engine, tmp_path: Path
) -> None:
    extra = "sources:\n  x:\n    enabled: true\n    credentials:\n      bearer_token: TOKEN\n"
    config = configure(engine, tmp_path, extra)
    environ = {"TOKEN": "t"}

    off = build_collectors(config, names=["x"], environ=environ)["x"]
    assert isinstance(off, Unavailable) and "government_use_approval" in off.reason

    approvals.record_approval(engine, source="x", reference="X-GOV-2026-4", actor="admin@x.gov.uk")
    approved = approvals.with_recorded_approvals(engine, config)
    assert approved.sources["x"].government_use_approval == "X-GOV-2026-4"
    on = build_collectors(approved, names=["x"], environ=environ)["x"]
    assert not isinstance(on, Unavailable)

    assert approvals.withdraw_approval(engine, source="x", actor="admin@x.gov.uk")
    assert approvals.with_recorded_approvals(engine, config) is config
    with engine.connect() as conn:
        assert [e.action for e in audit.entries(conn)] == ["source.withdraw", "source.approve"]

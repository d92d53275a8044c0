"""Jobs on both engines: config sync, file import with matching, analyze, threads, round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from listener import jobs, output
from listener.analysis.sentiment import SCORER_VERSION
from listener.collectors import filestream
from listener.configfile import load_config
from listener.errors import NotFoundError
from listener.models import utcnow
from listener.query import parse
from listener.store import writes
from listener.store.queries import (
    SearchFilters,
    find_post,
    posts_per_department,
    search,
    store_counts,
)
from listener.store.threads import thread
from tests.collectors.test_files import ORIGINAL, page, tweet
from tests.conftest import EXAMPLE_CONFIG, make_post


@pytest.fixture
def configured(engine: sa.Engine) -> sa.Engine:
    jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    return engine


def archive(tmp_path: Path) -> Path:
    lines = [
        page(
            tweet("1", "Junior doctors walkout confirmed for Tuesday #NHS"),
            tweet("2", "My standing charge has doubled. #EnergyBills"),
            tweet(
                "3",
                "RT @DHSCgovuk: Waiting lists fell in…",
                referenced_tweets=[{"type": "retweeted", "id": "100"}],
            ),
            tweet(
                "4",
                "@alice this walkout is a disgrace",
                conversation_id="1",
                referenced_tweets=[{"type": "replied_to", "id": "1"}],
            ),
            tweet("5", "Lovely weather for the cricket"),
            includes_tweets=[ORIGINAL],
        ),
        "{broken",
        page(
            tweet("6", "Section 21 eviction notice today. Terrified. #Renters"),
            {"id": "7", "text": "no date"},
        ),
    ]
    path = tmp_path / "archive.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_config_import_is_idempotent_and_reports_changes(engine: sa.Engine, tmp_path: Path) -> None:
    first = jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    assert any(line.startswith("department dhsc") for line in first.added)
    assert jobs.sync_config(engine, load_config(EXAMPLE_CONFIG)).empty
    smaller = tmp_path / "listener.yaml"
    text = (
        EXAMPLE_CONFIG.read_text()
        .replace('"#NHS", ', "")
        .replace("Department for Transport", "DfT")
    )
    smaller.write_text(text)
    second = jobs.sync_config(engine, load_config(smaller))
    assert "watch dhsc: hashtag #NHS" in second.removed
    assert "department dft: name → DfT" in second.changed
    restored = jobs.sync_config(engine, load_config(EXAMPLE_CONFIG))
    assert "watch dhsc: hashtag #NHS (restored)" in restored.added


def test_import_matches_departments_skips_bad_rows_and_is_idempotent(
    configured: sa.Engine, tmp_path: Path
) -> None:
    path = archive(tmp_path)
    request = jobs.ImportRequest(path=path, format="twarc2")
    first = jobs.import_file(configured, request)
    assert (first.new, first.rejected) == (7, 2)  # 6 good data tweets + 1 included original
    second = jobs.import_file(configured, request)
    assert (second.new, second.seen) == (0, 7)
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == 7
        per_department = posts_per_department(conn)
        in_dhsc = SearchFilters(department="dhsc", limit=0)
        dhsc = {r.native_id for r in search(conn, parse("nhs OR walkout OR lists"), in_dhsc)}
    assert per_department["dhsc"] == 3
    assert per_department["desnz"] == 1 and per_department["mhclg"] == 1
    # 1 has #NHS, 100 too, and 3 reposts 100; 4 says walkout but not who is walking out.
    assert dhsc == {"1", "3", "100"}


@pytest.mark.parametrize("page_size", [1, 1000], ids=["a page a line", "one page"])
def test_import_counts_each_post_assigned_to_a_department_once(
    configured: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    """A post that comes several times (a retweeted original in each line's includes) is
    new once and already stored after that, in one page or in several, and assigned to a
    department once; a re-import reports no new assignments."""
    monkeypatch.setattr(filestream, "PAGE_SIZE", page_size)
    retweets = [
        tweet(n, "RT @DHSCgovuk: Waiting lists fell in…",
              referenced_tweets=[{"type": "retweeted", "id": "100"}])
        for n in ("3", "8", "9")
    ]  # fmt: skip
    path = tmp_path / "retweets.jsonl"
    path.write_text("".join(page(r, includes_tweets=[ORIGINAL]) + "\n" for r in retweets))
    request = jobs.ImportRequest(path=path, format="twarc2")
    first = jobs.import_file(configured, request)
    with configured.connect() as conn:
        stored = {slug: n for slug, n in posts_per_department(conn).items() if n}
        links = store_counts(conn)["department_links"]
    assert (first.new, first.seen) == (4, 2)  # 3 retweets and 3 copies of their original
    assert stored == {"dhsc": 4} and first.per_department == stored
    assert first.department_links == links == 4
    again = jobs.import_file(configured, request)
    assert (again.new, again.seen, again.per_department, again.department_links) == (0, 6, {}, 0)
    assert again.department_links_kept > 0  # matched, and already assigned


def test_import_with_department_assigns_every_post(configured: sa.Engine, tmp_path: Path) -> None:
    request = jobs.ImportRequest(path=archive(tmp_path), format="twarc2", department="dft")
    jobs.import_file(configured, request)
    with configured.connect() as conn:
        assert posts_per_department(conn)["dft"] == 6  # the data tweets, not the context original


def test_import_to_an_unknown_department_is_refused_before_reading(
    configured: sa.Engine, tmp_path: Path
) -> None:
    request = jobs.ImportRequest(path=archive(tmp_path), format="twarc2", department="nope")
    with pytest.raises(NotFoundError, match=r"--department: no department 'nope' \(known: .*dhsc"):
        jobs.import_file(configured, request)
    with configured.connect() as conn:
        assert store_counts(conn)["posts"] == 0


def test_analyze_scores_once_and_reuses_identical_texts(
    configured: sa.Engine, tmp_path: Path
) -> None:
    jobs.import_file(configured, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))
    report = jobs.analyze(configured, workers=1)
    assert report.scored == 7 and report.reused == 1  # the repost shares its original's score
    assert jobs.analyze(configured, workers=1).scored == 0
    with configured.connect() as conn:
        repost, original = find_post(conn, "x:3"), find_post(conn, "x:100")
        assert repost.sentiment == original.sentiment
        assert find_post(conn, "x:6").sentiment["label"] == "negative"  # type: ignore[index]


def test_analyze_leaves_other_languages_unscored(configured: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "cy.jsonl"
    path.write_text(
        page(tweet("1", "Mae'r GIG yn wych", lang="cy"), tweet("2", "Great news", lang="en")) + "\n"
    )
    jobs.import_file(configured, jobs.ImportRequest(path=path, format="twarc2"))
    report = jobs.analyze(configured, workers=1)
    assert (report.scored, report.not_english) == (1, 1)


def test_thread_is_rebuilt_from_reply_links(configured: sa.Engine, tmp_path: Path) -> None:
    jobs.import_file(configured, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))
    with configured.connect() as conn:
        tree = thread(conn, find_post(conn, "x:4"))
    assert tree.native_id == "1"
    assert [c.native_id for c in tree.children] == ["4"]
    lines = list(output.thread_lines(tree))
    assert lines[0].startswith("x:1 @alice") and lines[2].startswith("  └ x:4 @alice")


def test_jsonl_export_round_trips(configured: sa.Engine, tmp_path: Path, database_url: str) -> None:
    jobs.import_file(configured, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))
    jobs.analyze(configured, workers=1)
    with configured.connect() as conn:
        before = list(
            search(
                conn,
                parse("nhs OR walkout OR charge OR cricket OR eviction OR lists"),
                SearchFilters(limit=0),
            )
        )
    exported = io.StringIO()
    output.write_jsonl(before, exported)
    path = tmp_path / "export.jsonl"
    path.write_text(exported.getvalue())
    with configured.begin() as conn:  # a fresh store: empty the posts, keep departments
        conn.execute(sa.text("DELETE FROM posts"))
        conn.execute(sa.text("DELETE FROM authors"))
    report = jobs.import_file(configured, jobs.ImportRequest(path=path, format="jsonl"))
    jobs.analyze(configured, workers=1)
    assert report.new == len(before) and report.rejected == 0
    with configured.connect() as conn:
        after = list(
            search(
                conn,
                parse("nhs OR walkout OR charge OR cricket OR eviction OR lists"),
                SearchFilters(limit=0),
            )
        )
    assert _exported(after) == _exported(before)
    assert json.loads(path.read_text().splitlines()[0])["platform"] == "x"


def _exported(records: list) -> list[dict]:  # type: ignore[type-arg]
    """Export records minus provenance, which names the file they were last read from."""
    rows = [{k: v for k, v in r.export().items() if k != "source"} for r in records]
    return sorted(rows, key=lambda row: row["native_id"])  # ties in rank fall back to row ids


def test_an_edited_post_is_scored_again(configured: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(page(tweet("1", "What a wonderful, brilliant announcement #NHS")) + "\n")
    jobs.import_file(configured, jobs.ImportRequest(path=path, format="twarc2"))
    assert jobs.analyze(configured, workers=1).scored == 1
    path.write_text(page(tweet("1", "What an awful, terrible announcement #NHS")) + "\n")
    jobs.import_file(configured, jobs.ImportRequest(path=path, format="twarc2"))
    assert jobs.analyze(configured, workers=1).scored == 1
    with configured.connect() as conn:
        assert find_post(conn, "x:1").sentiment["label"] == "negative"  # type: ignore[index]


def test_bad_rows_are_quarantined_with_their_reason(configured: sa.Engine, tmp_path: Path) -> None:
    jobs.import_file(configured, jobs.ImportRequest(path=archive(tmp_path), format="twarc2"))
    with configured.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT source, location, reason, run_id FROM quarantine ORDER BY id")
        ).all()
    assert [(r.source, r.location.rsplit("/", 1)[-1], r.reason) for r in rows] == [
        (
            "import:twarc2",
            "archive.jsonl:2",
            "not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        ),
        ("import:twarc2", "archive.jsonl:3: data[1]", "missing field 'created_at'"),
    ]
    assert all(r.run_id is not None for r in rows)


RESPONSES = {
    "R1": "Ending section 21 is long overdue; tenants deserve security.",
    "R2": "Mae angen mwy o dai cymdeithasol yng Nghymru ar frys.",
    "R3": "Les locataires ont besoin de plus de protection contre les expulsions.",
    "R4": "👍",
}


def responses_csv(tmp_path: Path, texts: dict[str, str] = RESPONSES, *, lang: str = "") -> Path:
    """A consultation CSV with no language column unless `lang` gives every row one."""
    path = tmp_path / "responses.csv"
    header = "id,created_at,text" + (",lang" if lang else "")
    rows = [
        f'{rid},2026-11-12 09:00,"{text}"' + (f",{lang}" if lang else "")
        for rid, text in texts.items()
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def import_csv(engine: sa.Engine, path: Path) -> None:
    jobs.import_file(engine, jobs.ImportRequest(path=path, format="csv", department="mhclg"))


def languages(engine: sa.Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT native_id, lang FROM posts")).all()
    return {native_id: lang for native_id, lang in rows}


def test_analyze_detects_languages_the_source_did_not_give(
    configured: sa.Engine, tmp_path: Path
) -> None:
    import_csv(configured, responses_csv(tmp_path))
    assert set(languages(configured).values()) == {None}
    report = jobs.analyze(configured, workers=1)
    assert report.languages_detected == 4
    assert languages(configured) == {"R1": "en", "R2": "cy", "R3": "fr", "R4": "und"}
    # English and the undetermined emoji are scored; Welsh and French are counted, not scored.
    assert (report.scored, report.not_english) == (2, 2)
    assert report.other_languages == {"cy": 1, "fr": 1}
    with configured.connect() as conn:
        assert find_post(conn, "consultation:R2").sentiment is None
        assert find_post(conn, "consultation:R1").sentiment is not None
    again = jobs.analyze(configured, workers=1)
    assert (again.languages_detected, again.scored, again.not_english) == (0, 0, 2)


def test_analyze_keeps_the_languages_platforms_give(configured: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        page(
            tweet("1", "Mae angen mwy o dai cymdeithasol yng Nghymru ar frys.", lang="en"),
            tweet("2", "Ending section 21 is long overdue for tenants.", lang="fr"),
            tweet("3", "Mae'r GIG dan bwysau mawr y gaeaf hwn, medd y nyrsys.", lang="und"),
            tweet("4", "@alice 👍 #NHS", lang="und"),
            tweet("5", "🎉", lang="zxx"),
        )
        + "\n"
    )
    jobs.import_file(configured, jobs.ImportRequest(path=path, format="twarc2"))
    report = jobs.analyze(configured, workers=1)
    # X's "und" is no language: a post with enough text to tell is detected; the rest stay "und".
    assert report.languages_detected == 2
    assert languages(configured) == {"1": "en", "2": "fr", "3": "cy", "4": "und", "5": "zxx"}
    assert (report.scored, report.not_english) == (3, 2)
    assert report.other_languages == {"cy": 1, "fr": 1}


def test_a_reimport_keeps_the_detected_language_unless_the_text_changed(
    configured: sa.Engine, tmp_path: Path
) -> None:
    path = responses_csv(tmp_path)
    import_csv(configured, path)
    jobs.analyze(configured, workers=1)
    import_csv(configured, path)
    assert languages(configured)["R2"] == "cy"
    again = jobs.analyze(configured, workers=1)
    assert (again.languages_detected, again.scored) == (0, 0)
    edited = {**RESPONSES, "R2": "On reflection, I support ending section 21 evictions."}
    import_csv(configured, responses_csv(tmp_path, edited))
    assert languages(configured)["R2"] is None  # the new text is detected afresh
    report = jobs.analyze(configured, workers=1)
    assert (report.languages_detected, report.scored) == (1, 1)
    assert languages(configured)["R2"] == "en"
    import_csv(configured, responses_csv(tmp_path, edited, lang="cy"))
    assert languages(configured)["R2"] == "cy"  # a language the source gives always wins


def test_a_post_scored_before_its_language_was_known_loses_its_score(
    configured: sa.Engine, tmp_path: Path
) -> None:
    import_csv(configured, responses_csv(tmp_path, lang="en"))
    assert jobs.analyze(configured, workers=1).scored == 4
    with configured.begin() as conn:  # a store from before detection: no language, but scored
        conn.execute(sa.text("UPDATE posts SET lang = NULL"))
    report = jobs.analyze(configured, workers=1)
    assert (report.languages_detected, report.scored, report.not_english) == (4, 0, 2)
    with configured.connect() as conn:
        assert find_post(conn, "consultation:R3").sentiment is None
        assert find_post(conn, "consultation:R1").sentiment is not None


def test_a_new_scorer_version_rescores_everything_once(engine: sa.Engine) -> None:
    from listener.store.db import write_transaction

    with write_transaction(engine) as conn:
        writes.upsert_posts(
            conn,
            [make_post("1", "The NHS is brilliant"), make_post("2", "The NHS is brilliant")],
            now=utcnow(),
        )
    jobs.analyze(engine, workers=1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sentiment_scores SET scorer_version = 'listener-0', label = 'x'")
        )
    again = jobs.analyze(engine, workers=1)
    assert again.scored == 2 and again.computed == 1  # identical texts still scored once
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT scorer_version, label FROM sentiment_scores")).all()
    assert {tuple(r) for r in rows} == {(SCORER_VERSION, "positive")}
    assert jobs.analyze(engine, workers=1).scored == 0


def test_a_text_scored_in_an_earlier_pass_is_reused(engine: sa.Engine) -> None:
    from listener.store.db import write_transaction

    def add(native_id: str) -> None:
        with write_transaction(engine) as conn:
            writes.upsert_posts(conn, [make_post(native_id, "The NHS is brilliant")], now=utcnow())

    add("1")
    jobs.analyze(engine, workers=1)
    add("2")
    again = jobs.analyze(engine, workers=1)
    assert (again.scored, again.computed, again.reused) == (1, 0, 1)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT compound, label FROM sentiment_scores")).all()
    assert len(rows) == 2 and len(set(rows)) == 1

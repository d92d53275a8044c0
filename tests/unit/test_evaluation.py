"""Sentiment evaluation: reading labelled files, the metrics, and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listener.analysis.evaluation import (
    evaluate_sentiment,
    evaluate_topics,
    format_sentiment_report,
    format_topic_report,
    main,
    metrics,
    read_labelled,
)
from listener.errors import UserError


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    """Write `rows` as JSON Lines and return the path."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def row(post_id: object, text: str, sentiment: str, **extra: object) -> dict[str, object]:
    """A labelled row; English unless `lang` is given."""
    return {"id": post_id, "text": text, "sentiment": sentiment, "lang": "en", **extra}


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    """A small labelled file: six English rows (one written with an emoji heart), one French."""
    return write_jsonl(
        tmp_path / "labelled.jsonl",
        [
            row(1, "The new hospital wing is wonderful", "positive"),
            row(2, "I \u2764\ufe0f the NHS", "positive", hard=["emoji"]),
            row(3, "Another U-turn on rail, what a shambles", "negative", hard=["policy-term"]),
            row(4, "The committee meets on Tuesday", "neutral"),
            row(5, "Universal Credit changes from April", "neutral", hard=["policy-term"]),
            row(6, "Awful, awful delays at the passport office", "negative"),
            row(7, "C'est une honte", "negative", lang="fr"),
        ],
    )


# --- Reading ---------------------------------------------------------------


def test_reads_rows_with_optional_fields(labelled: Path) -> None:
    posts = read_labelled(labelled)
    assert [p.id for p in posts] == ["1", "2", "3", "4", "5", "6", "7"]
    assert posts[1].hard == ("emoji",)
    assert posts[0].topic is None


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n" + json.dumps(row("a1", "fine", "neutral")) + "\n\n", encoding="utf-8")
    assert len(read_labelled(path)) == 1


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"id": 9, "sentiment": "neutral", "lang": "en"}), "'text'"),
        (json.dumps(row(9, "x", "mixed")), "'sentiment' must be one of"),
        (json.dumps(row(9, "x", "neutral", hard="sarcasm")), "'hard'"),
        (json.dumps({"id": 9, "text": "x", "sentiment": "neutral"}), "'lang'"),
        (json.dumps(row(None, "x", "neutral")), "'id'"),
        (json.dumps(row(1, "x", "neutral")), "duplicate id '1'"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row(1, "ok", "neutral")) + "\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"bad\.jsonl:2: .*{message}"):
        read_labelled(path)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        read_labelled(tmp_path / "absent.jsonl")


# --- Metrics -----------------------------------------------------------------


def test_metrics_match_a_hand_worked_example() -> None:
    gold = ["positive", "positive", "neutral", "negative", "negative", "negative"]
    predicted = ["positive", "neutral", "neutral", "negative", "positive", "negative"]
    m = metrics(gold, predicted)
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.per_class["positive"].f1 == pytest.approx(0.5)
    assert m.per_class["neutral"].precision == pytest.approx(0.5)
    assert m.per_class["neutral"].f1 == pytest.approx(2 / 3)
    assert m.per_class["negative"].recall == pytest.approx(2 / 3)
    assert m.per_class["negative"].f1 == pytest.approx(0.8)
    assert m.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert m.confusion["negative"] == {"positive": 1, "neutral": 0, "negative": 2}


def test_macro_f1_ignores_a_class_absent_from_gold_and_predictions() -> None:
    m = metrics(["positive", "negative"], ["positive", "negative"])
    assert m.macro_f1 == 1.0
    assert m.per_class["neutral"].support == 0


def test_metrics_of_nothing_are_zero() -> None:
    assert metrics([], []).accuracy == 0.0


# --- Evaluation and report -----------------------------------------------------


def test_evaluation_scores_english_rows_and_splits_by_id_parity(labelled: Path) -> None:
    ev = evaluate_sentiment(labelled)
    assert (ev.rows, ev.english_rows) == (7, 6)
    sizes = {c.name: c.vader.n for c in ev.splits}
    assert sizes == {"all": 6, "dev": 3, "test": 3}
    assert {c.name: c.listener.n for c in ev.hard_tags} == {"emoji": 1, "policy-term": 2}


def test_listener_beats_plain_vader_where_its_fixes_apply(labelled: Path) -> None:
    ev = evaluate_sentiment(labelled)
    overall = ev.splits[0]
    assert overall.listener.accuracy == 1.0
    assert overall.vader.accuracy < overall.listener.accuracy


def test_ids_without_a_number_count_only_in_all(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "named.jsonl", [row("alpha", "Great", "positive")])
    ev = evaluate_sentiment(path)
    assert [c.vader.n for c in ev.splits] == [1, 0, 0]


def test_report_shows_both_scorers_per_class_confusion_and_tags(labelled: Path) -> None:
    report = format_sentiment_report(evaluate_sentiment(labelled))
    for expected in (
        "VADER macro-F1",
        "listener macro-F1",
        "precision",
        "gold \\ predicted",
        "policy-term",
        "6 English rows scored of 7",
    ):
        assert expected in report


def test_main_prints_report(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "Sentiment evaluation" in out
    assert "Topic evaluation" in out


def test_main_reports_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n", encoding="utf-8")
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "bad.jsonl:1" in err


# --- Topics ------------------------------------------------------------------------

LABELLED_SET = Path(__file__).resolve().parents[2] / "eval" / "policy_posts_labelled.jsonl"


def test_topics_agree_with_the_labelled_set_above_a_floor() -> None:
    # Measured: embeddings NMI 0.558, ARI 0.449; TF-IDF fallback NMI 0.400, ARI 0.257
    # (docs/topics.md). The floors leave room for BLAS rounding on other machines.
    ev = evaluate_topics(LABELLED_SET)
    assert (ev.posts, ev.labels) == (435, 9)
    ours, fallback = ev.results
    assert ours.method.startswith("minilm-static")
    assert fallback.method.startswith("tfidf-fallback")
    assert ours.nmi >= 0.50 and ours.ari >= 0.38
    assert fallback.nmi >= 0.33 and fallback.ari >= 0.18
    assert ours.nmi > fallback.nmi + 0.08
    assert 6 <= ours.topics <= 12


def test_topic_report_names_methods_and_figures(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "topics.jsonl",
        [row(i, f"Rail fares rise again on route {i}", "negative", topic="rail") for i in range(6)],
    )
    report = format_topic_report(evaluate_topics(path))
    assert "6 rows with a topic label, 1 labelled topics" in report
    for expected in ("NMI", "ARI", "minilm-static", "tfidf-fallback"):
        assert expected in report


def test_topic_report_without_topic_labels(labelled: Path) -> None:
    ev = evaluate_topics(labelled)
    assert ev.posts == 0
    assert all(r.topics == 0 for r in ev.results)
    assert "0 rows with a topic label" in format_topic_report(ev)

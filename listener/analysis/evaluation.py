"""Evaluate analysis against a labelled JSON Lines file: sentiment (plain VADER versus
listener) and topics (agreement of the topics found with the labelled ones).

`listener eval FILE` prints both reports; so does `python -m listener.analysis.evaluation FILE`.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listener.analysis.sentiment import (
    LABELS,
    SCORER_VERSION,
    SentimentScorer,
    plain_vader_score,
)
from listener.errors import UserError

if TYPE_CHECKING:
    from listener.analysis.topics import TopicModel

_TRAILING_NUMBER = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class LabelledPost:
    """One row of a labelled file."""

    id: str
    text: str
    sentiment: str
    lang: str
    topic: str | None = None
    hard: tuple[str, ...] = ()

    @property
    def split(self) -> str | None:
        """ "dev" for even-numbered ids, "test" for odd ones, None when the id has no number."""
        match = _TRAILING_NUMBER.search(self.id)
        if match is None:
            return None
        return "dev" if int(match.group(1)) % 2 == 0 else "test"


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall and F1 for one label, with its gold count."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Metrics:
    """How one scorer did on one set of posts."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: dict[str, dict[str, int]]  # gold label -> predicted label -> count


@dataclass(frozen=True)
class Comparison:
    """Plain VADER and listener on the same posts."""

    name: str
    vader: Metrics
    listener: Metrics


@dataclass(frozen=True)
class SentimentEvaluation:
    """Everything `listener eval` reports about sentiment for one labelled file."""

    path: Path
    rows: int
    english_rows: int
    scorer_version: str
    splits: list[Comparison]  # "all", then "dev" (even ids) and "test" (odd ids)
    hard_tags: list[Comparison] = field(default_factory=list)


def read_labelled(path: Path) -> list[LabelledPost]:
    """Read a labelled JSON Lines file; a bad line raises UserError naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read labelled file: {exc}") from exc
    posts: list[LabelledPost] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        post = _parse_line(line, where=f"{path}:{number}")
        if post.id in seen:
            raise UserError(f"{path}:{number}: duplicate id {post.id!r}")
        seen.add(post.id)
        posts.append(post)
    return posts


def _parse_line(line: str, *, where: str) -> LabelledPost:
    """One JSON object -> LabelledPost, or UserError saying what is wrong at `where`."""
    try:
        row: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise UserError(f"{where}: expected a JSON object")
    post_id, text, sentiment = row.get("id"), row.get("text"), row.get("sentiment")
    lang, topic, hard = row.get("lang"), row.get("topic"), row.get("hard", [])
    if isinstance(post_id, bool) or not isinstance(post_id, str | int):
        raise UserError(f"{where}: 'id' must be a string or an integer")
    if not isinstance(text, str):
        raise UserError(f"{where}: 'text' must be a string")
    if sentiment not in LABELS:
        allowed = ", ".join(LABELS)
        raise UserError(f"{where}: 'sentiment' must be one of {allowed}, not {sentiment!r}")
    if not isinstance(lang, str):
        raise UserError(f"{where}: 'lang' must be a string")
    if topic is not None and not isinstance(topic, str):
        raise UserError(f"{where}: 'topic' must be a string when present")
    if not isinstance(hard, list) or not all(isinstance(tag, str) for tag in hard):
        raise UserError(f"{where}: 'hard' must be a list of strings")
    return LabelledPost(str(post_id), text, sentiment, lang, topic, tuple(hard))


def is_english(post: LabelledPost) -> bool:
    """True for "en" and regional forms such as "en-GB"."""
    return post.lang.lower().replace("_", "-").split("-")[0] == "en"


def metrics(gold: Sequence[str], predicted: Sequence[str]) -> Metrics:
    """Accuracy, macro-F1 (over labels in gold or predictions), per-class figures, confusion."""
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class = {label: _class_metrics(confusion, label) for label in LABELS}
    present = [label for label in LABELS if label in gold or label in predicted]
    macro = sum(per_class[label].f1 for label in present) / len(present) if present else 0.0
    correct = sum(confusion[label][label] for label in LABELS)
    return Metrics(
        n=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=macro,
        per_class=per_class,
        confusion=confusion,
    )


def _class_metrics(confusion: dict[str, dict[str, int]], label: str) -> ClassMetrics:
    """Precision, recall and F1 of `label`, taking 0 where a ratio has nothing to divide by."""
    true_pos = confusion[label][label]
    predicted = sum(confusion[gold][label] for gold in LABELS)
    support = sum(confusion[label].values())
    precision = true_pos / predicted if predicted else 0.0
    recall = true_pos / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassMetrics(precision, recall, f1, support)


def evaluate_sentiment(path: Path) -> SentimentEvaluation:
    """Score the English rows of `path` with plain VADER and with listener, and compare."""
    posts = read_labelled(path)
    english = [post for post in posts if is_english(post)]
    scorer = SentimentScorer()
    vader = {post.id: plain_vader_score(post.text).label for post in english}
    ours = {post.id: scorer.score(post.text).label for post in english}

    def compare(name: str, subset: Iterable[LabelledPost]) -> Comparison:
        chosen = list(subset)
        gold = [post.sentiment for post in chosen]
        return Comparison(
            name,
            metrics(gold, [vader[post.id] for post in chosen]),
            metrics(gold, [ours[post.id] for post in chosen]),
        )

    splits = [compare("all", english)]
    splits += [compare(name, (p for p in english if p.split == name)) for name in ("dev", "test")]
    tags = sorted({tag for post in english for tag in post.hard})
    hard = [compare(tag, (p for p in english if tag in p.hard)) for tag in tags]
    return SentimentEvaluation(path, len(posts), len(english), SCORER_VERSION, splits, hard)


def format_sentiment_report(ev: SentimentEvaluation) -> str:
    """A plain-text report: headline table, per-class figures, confusion matrices, hard tags."""
    lines = [
        f"Sentiment evaluation of {ev.path}",
        f"{ev.english_rows} English rows scored of {ev.rows}; scorer {ev.scorer_version}",
        "",
        _table(
            ["set", "n", "VADER acc", "VADER macro-F1", "listener acc", "listener macro-F1"],
            [_headline(c) for c in ev.splits],
        ),
    ]
    lines += [
        "",
        "F1 per class",
        _table(
            ["set", "scorer", *LABELS],
            [
                [c.name, name, *(_f(m.per_class[label].f1) for label in LABELS)]
                for c in ev.splits
                for name, m in (("VADER", c.vader), ("listener", c.listener))
            ],
        ),
    ]
    overall = ev.splits[0]
    for name, scored in (("plain VADER", overall.vader), ("listener", overall.listener)):
        lines += ["", f"{name}, all rows: per class", _per_class_table(scored)]
        lines += ["", f"{name}, all rows: confusion (rows gold, columns predicted)"]
        lines.append(_confusion_table(scored))
    if ev.hard_tags:
        lines += [
            "",
            "Macro-F1 by hard-case tag",
            _table(
                ["tag", "n", "VADER macro-F1", "listener macro-F1"],
                [
                    [c.name, str(c.vader.n), _f(c.vader.macro_f1), _f(c.listener.macro_f1)]
                    for c in ev.hard_tags
                ],
            ),
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TopicResult:
    """How one topic method's clusters agree with the labelled topics."""

    method: str
    topics: int  # how many topics it found (chosen from the data)
    nmi: float  # normalised mutual information, arithmetic mean normalisation
    ari: float  # adjusted Rand index
    seconds: float


@dataclass(frozen=True)
class TopicEvaluation:
    """Everything `listener eval` reports about topics for one labelled file."""

    path: Path
    posts: int  # rows that carry a topic label, all languages
    labels: int  # distinct labelled topics
    results: list[TopicResult]  # find_topics (embeddings), then the TF-IDF fallback


def evaluate_topics(path: Path) -> TopicEvaluation:
    """Cluster the rows with a topic label with each method; compare with the labels."""
    # Deferred: numpy, scikit-learn and the MiniLM vectors are only needed for topics.
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from listener.analysis import embeddings
    from listener.analysis.topics import TopicDoc, TopicModel, find_topics, find_topics_sparse

    posts = [post for post in read_labelled(path) if post.topic is not None]
    docs = [TopicDoc(i, post.text, str(i), 0, None) for i, post in enumerate(posts)]
    gold = [post.topic or "" for post in posts]
    # Loaded (or distilled, once per machine) before timing, so the seconds are clustering.
    with contextlib.suppress(embeddings.EmbeddingsUnavailable):
        embeddings.default_embedder()
    results = []
    for find in (find_topics, find_topics_sparse):
        start = time.perf_counter()
        model = find(docs) if docs else TopicModel([], "none")
        seconds = time.perf_counter() - start
        found = _topic_of(model, len(docs))
        results.append(
            TopicResult(
                method=model.method,
                topics=len(model.topics),
                nmi=float(normalized_mutual_info_score(gold, found)) if docs else 0.0,
                ari=float(adjusted_rand_score(gold, found)) if docs else 0.0,
                seconds=seconds,
            )
        )
    return TopicEvaluation(path, len(posts), len(set(gold)), results)


def _topic_of(model: TopicModel, count: int) -> list[int]:
    """The topic number of each doc key 0..count-1."""
    found = [-1] * count
    for number, topic in enumerate(model.topics):
        for key in topic.keys:
            found[key] = number
    return found


def format_topic_report(ev: TopicEvaluation) -> str:
    """A plain-text report: agreement of each method's topics with the labelled ones."""
    lines = [
        f"Topic evaluation of {ev.path}",
        f"{ev.posts} rows with a topic label, {ev.labels} labelled topics;"
        " each method chooses its number of topics",
        "",
        _table(
            ["method", "topics", "NMI", "ARI", "seconds"],
            [
                [r.method, str(r.topics), _f(r.nmi), _f(r.ari), f"{r.seconds:.2f}"]
                for r in ev.results
            ],
        ),
    ]
    return "\n".join(lines) + "\n"


def _headline(c: Comparison) -> list[str]:
    """One row of the headline table."""
    return [
        c.name,
        str(c.vader.n),
        _f(c.vader.accuracy),
        _f(c.vader.macro_f1),
        _f(c.listener.accuracy),
        _f(c.listener.macro_f1),
    ]


def _per_class_table(m: Metrics) -> str:
    """Precision, recall, F1 and support for each label."""
    rows = [
        [label, _f(c.precision), _f(c.recall), _f(c.f1), str(c.support)]
        for label, c in m.per_class.items()
    ]
    return _table(["class", "precision", "recall", "F1", "support"], rows)


def _confusion_table(m: Metrics) -> str:
    """The confusion matrix as a table."""
    rows = [[gold, *(str(m.confusion[gold][p]) for p in LABELS)] for gold in LABELS]
    return _table(["gold \\ predicted", *LABELS], rows)


def _f(value: float) -> str:
    """Three decimals, as in the docs."""
    return f"{value:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned others, columns padded to fit."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [c.rjust(widths[i]) if i else c.ljust(widths[i]) for i, c in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def main(argv: Sequence[str]) -> int:
    """Print the report for the file named in `argv`; exit 1 with one line on bad input."""
    if len(argv) != 1:
        print("usage: python -m listener.analysis.evaluation FILE", file=sys.stderr)
        return 2
    try:
        print(format_sentiment_report(evaluate_sentiment(Path(argv[0]))))
        print(format_topic_report(evaluate_topics(Path(argv[0]))), end="")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

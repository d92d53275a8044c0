"""Topic discovery speed on a synthetic department-week, and quality on the labelled set.

    .venv/bin/python -m tests.benchmarks.bench_topics --posts 50000 [--contextual]

Speed: the cached synthetic twarc2 file (see bench_import) becomes TopicDocs
the way listener reads posts (a retweet carries its original's text and
group; engagement is likes + retweets + replies + quotes), then
`find_topics` and `find_topics_sparse` run on all of them, each timed in a
fresh child process so the one-off loading of the distilled vectors counts.
The one-off distillation is timed separately, into an empty cache folder.

Quality: `listener eval`'s topic figures (NMI and ARI against the labels,
the number of topics chosen from the data). With --contextual, also the
full MiniLM encoder's speed in numpy and, with the number of topics given
(the labelled count), k-means on contextual, static and hybrid vectors, so
the representations are compared without the choice of k (takes minutes).

Prints a table; writes tests/benchmarks/results/topics-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from listener.analysis import embeddings
from listener.analysis.evaluation import evaluate_topics, read_labelled
from listener.analysis.topics import TopicDoc
from tests.benchmarks.bench_import import RESULTS, ROOT, _commit, cached_file, machine

LABELLED = ROOT / "eval" / "policy_posts_labelled.jsonl"
METRICS = ("like_count", "retweet_count", "reply_count", "quote_count")


def topic_docs(path: Path) -> list[TopicDoc]:
    """Every tweet of a twarc2 file as a TopicDoc; a retweet reads and groups as its original."""
    texts: dict[str, str] = {}
    tweets: list[dict[str, Any]] = []
    for tweet in _tweets(path):
        texts[tweet["id"]] = tweet.get("note_tweet", {}).get("text", tweet["text"])
        tweets.append(tweet)
    docs = []
    for tweet in tweets:
        original = next(
            (r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "retweeted"),
            tweet["id"],
        )
        metrics = tweet.get("public_metrics", {})
        docs.append(
            TopicDoc(
                key=int(tweet["id"]),
                text=texts.get(original, texts[tweet["id"]]),
                group=original,
                engagement=sum(int(metrics.get(name, 0)) for name in METRICS),
                compound=None,
            )
        )
    return docs


def _tweets(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield from json.loads(line).get("data", [])


def child(args: argparse.Namespace) -> int:
    """In a child process: load the posts, run one method, print its timings as JSON."""
    from listener.analysis.topics import find_topics, find_topics_sparse

    docs = topic_docs(cached_file(args.posts, args.seed))
    find = find_topics if args.child == "embeddings" else find_topics_sparse
    start = time.perf_counter()
    model = find(docs)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "method": model.method,
                "posts": len(docs),
                "groups": len({doc.group for doc in docs}),
                "seconds": round(seconds, 2),
                "posts_per_second": round(len(docs) / seconds),
                "topics": [[len(t.keys), t.label] for t in model.topics],
            }
        )
    )
    return 0


def run_child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Time one method on the synthetic week in a fresh interpreter."""
    command = [sys.executable, "-m", "tests.benchmarks.bench_topics", "--child", kind]
    command += ["--posts", str(args.posts), "--seed", str(args.seed)]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def distillation_seconds() -> float:
    """Distil the static vectors into an empty cache folder, as on a new machine."""
    with tempfile.TemporaryDirectory(prefix="listener-distil-") as folder:
        start = time.perf_counter()
        embeddings.load_static_embedder(cache=Path(folder))
        return round(time.perf_counter() - start, 1)


def representations(path: Path) -> dict[str, Any]:
    """Contextual MiniLM speed, and NMI/ARI of k-means with k given, per representation."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from listener.analysis.terms import terms
    from listener.analysis.topics import _lsa  # the fallback's vectors, exactly

    posts = read_labelled(path)
    texts, gold = [p.text for p in posts], [p.topic or "" for p in posts]
    model = embeddings.MiniLM(embeddings.model_dir())
    start = time.perf_counter()
    contextual = model.encode(texts)
    rate = len(texts) / (time.perf_counter() - start)
    counts = CountVectorizer(analyzer=terms, binary=True, dtype=np.float32).fit_transform(texts)
    static = embeddings.default_embedder().embed(texts)
    lsa = _lsa(counts.tocsr())
    k = len(set(gold))
    out: dict[str, Any] = {"contextual_posts_per_second": round(rate, 1), "k": k}
    for name, vectors in (
        ("contextual", contextual),
        ("static", static),
        ("tfidf_lsa", lsa),
        ("static+tfidf_lsa", embeddings.unit(np.hstack([static, lsa]))),
    ):
        runs = [KMeans(k, n_init=10, random_state=s).fit_predict(vectors) for s in range(5)]
        out[name] = {
            "nmi": round(float(np.mean([normalized_mutual_info_score(gold, r) for r in runs])), 3),
            "ari": round(float(np.mean([adjusted_rand_score(gold, r) for r in runs])), 3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Benchmark, print the figures, record them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contextual", action="store_true", help="also the slow comparisons")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    parser.add_argument("--child", choices=["embeddings", "sparse"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    cached_file(args.posts, args.seed)
    payload: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "listener_commit": _commit(),
        "machine": machine(None),
        "distillation_seconds": distillation_seconds(),
        "week": [run_child(kind, args) for kind in ("embeddings", "sparse")],
    }
    quality = evaluate_topics(LABELLED)
    payload["labelled"] = [
        {"method": r.method, "topics": r.topics, "nmi": r.nmi, "ari": r.ari, "seconds": r.seconds}
        for r in quality.results
    ]
    if args.contextual:
        payload["k_given"] = representations(LABELLED)
    print(json.dumps(payload, indent=2))
    args.results.mkdir(parents=True, exist_ok=True)
    target = args.results / f"topics-{payload['date'][:10]}.json"
    target.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"results: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

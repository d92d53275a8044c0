"""Worker processes that score many texts with listener's scorer, in input order."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from listener.analysis.sentiment import Figures, SentimentScore, SentimentScorer, default_scorer

# Below this many distinct texts, starting worker processes costs more than it saves.
PARALLEL_MIN_TEXTS = 2_000
# Parts of a batch per worker: a worker that finishes early takes another.
PARTS_PER_WORKER = 2

# What crosses between processes is Figures: plain tuples pickle far smaller
# and faster than SentimentScore objects.


def score_texts(texts: Sequence[str], *, workers: int | None = None) -> list[SentimentScore]:
    """Score texts in input order, each distinct text once; large batches use worker processes."""
    with ScoringPool(workers) as pool:
        return pool.submit(texts).result()


class ScoringPool:
    """Worker processes that score texts, started once and kept for many batches.

    `submit` hands a batch to the workers and returns at once, so the caller
    can read and write the database while they score. Workers start with the
    first batch of PARALLEL_MIN_TEXTS distinct texts or more; until then, and
    with one worker, texts are scored in this process.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._processes = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def submit(self, texts: Sequence[str]) -> ScoredBatch:
        """Start scoring `texts`; the returned batch's result() gives their scores in order."""
        distinct = list(dict.fromkeys(texts))
        parallel = self._processes > 1 and len(distinct) >= PARALLEL_MIN_TEXTS
        if self._pool is None and not parallel:
            return ScoredBatch(texts, distinct, [_score_all(default_scorer(), distinct)])
        if self._pool is None:
            # Built here once, a forked worker inherits it rather than building its own.
            default_scorer()
            self._pool = ProcessPoolExecutor(max_workers=self._processes, initializer=_init_worker)
        size = max(1, -(-len(distinct) // (self._processes * PARTS_PER_WORKER)))
        parts = [distinct[i : i + size] for i in range(0, len(distinct), size)]
        return ScoredBatch(texts, distinct, [self._pool.submit(_score_part, p) for p in parts])


class ScoredBatch:
    """A batch handed to a ScoringPool: its scores, once the workers are done."""

    def __init__(
        self,
        texts: Sequence[str],
        distinct: list[str],
        parts: list[list[Figures]] | list[Future[list[Figures]]],
    ) -> None:
        self._texts, self._distinct, self._parts = texts, distinct, parts

    def figures(self) -> list[Figures]:
        """(compound, pos, neu, neg, label) of each text submitted, in order (waits for workers)."""
        figures: list[Figures] = []
        for part in self._parts:
            figures += part.result() if isinstance(part, Future) else part
        if len(self._distinct) == len(self._texts):
            return figures  # no text repeated: the distinct texts are the texts, in order
        by_text = dict(zip(self._distinct, figures, strict=True))
        return [by_text[text] for text in self._texts]

    def result(self) -> list[SentimentScore]:
        """The scores in the order of the texts submitted (waits for the workers)."""
        return [SentimentScore(*figures) for figures in self.figures()]


# Each worker process takes its scorer once, in the pool initializer, rather
# than unpickling one with every task.
_worker_scorer: SentimentScorer | None = None


def _init_worker() -> None:
    """Pool initializer: this worker's scorer (forked with the parent's, else built)."""
    global _worker_scorer
    _worker_scorer = default_scorer()


def _score_part(texts: list[str]) -> list[Figures]:
    """Score texts with this worker's scorer (built by _init_worker)."""
    if _worker_scorer is None:
        raise RuntimeError("worker scorer missing: _init_worker did not run")
    return _score_all(_worker_scorer, texts)


def _score_all(scorer: SentimentScorer, texts: list[str]) -> list[Figures]:
    """Each text's figures, in order."""
    return list(map(scorer.figures, texts))

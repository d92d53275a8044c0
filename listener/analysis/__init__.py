"""Analysis of collected posts: sentiment scoring (and, later, topics)."""

from listener.analysis.scoring_pool import score_texts
from listener.analysis.sentiment import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    SCORER_VERSION,
    SentimentScore,
    SentimentScorer,
    label_for,
    plain_vader_score,
)

__all__ = [
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "SCORER_VERSION",
    "SentimentScore",
    "SentimentScorer",
    "label_for",
    "plain_vader_score",
    "score_texts",
]

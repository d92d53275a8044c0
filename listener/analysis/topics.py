"""Find the topics of one department-week of posts: clusters, readable labels, representatives.

1. Posts become groups: a repost joins its original, and texts that are equal
   after normalising case, URLs, mentions, punctuation and spacing merge. Groups
   are clustered, so a campaign reposted 500 times is one point, never a topic alone.
2. A group is a vector: static MiniLM (:mod:`listener.analysis.embeddings`)
   beside TF-IDF/LSA, or TF-IDF/LSA alone without the MiniLM package.
3. A kNN cosine graph over the groups (a seeded sample of GRAPH_SAMPLE when
   there are more) is cut by degree-regularised spectral clustering and k-means
   weighted by 1 + log(group size); other groups vote with their nearest neighbours.
4. k comes from the data: the most modular clustering of the graph for k =
   2..max_topics, at most one topic per GROUPS_PER_TOPIC groups. Fewer than
   MIN_GROUPS_TO_SPLIT groups are one topic.
5. A cluster under 1% of the groups (or MIN_TOPIC_GROUPS) joins the topic with
   the nearest centroid; groups without words join the largest topic.

Seeded, and sorted by key first: the same posts always give the same topics.
docs/topics.md gives the reasons and the measured figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.linalg import eigsh
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from listener.analysis import embeddings
from listener.analysis.embeddings import unit as _unit
from listener.analysis.terms import display_case, fold, readable, spelled_hashtags, terms
from listener.textnorm import normalise

__all__ = [
    "FALLBACK_METHOD",
    "METHOD",
    "FoundTopic",
    "TopicDoc",
    "TopicModel",
    "find_topics",
    "find_topics_sparse",
]

Matrix = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]

METHOD = f"{embeddings.RECIPE_VERSION}+tfidf+spectral-v1"
FALLBACK_METHOD = "tfidf-fallback-v1+spectral-v1"
MIN_GROUPS_TO_SPLIT = 20
GROUPS_PER_TOPIC = 8
MIN_TOPIC_GROUPS = 3
GRAPH_SAMPLE = 4000
NEIGHBOURS = 15
LSA_DIMENSIONS = 100
MODULARITY_TOLERANCE = 0.01
SEED = 0
REPRESENTATIVES = 3
LABEL_TEXTS = 200  # posts read to find how a label's words are written ("NHS", "GP")
TERM_CANDIDATES = 50  # best-scored terms considered for a topic's term list

_URL = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"(?<![\w@])@\w+(?:[.@]\w+)*")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class TopicDoc:
    """One post as topic discovery sees it."""

    key: int  # the post id
    text: str  # readable text; for a repost, the original's text
    group: str  # posts sharing a group are one voice (a repost and its original share one)
    engagement: int  # likes + reposts + replies + quotes
    compound: float | None  # sentiment, None when unscored


@dataclass(frozen=True)
class FoundTopic:
    """One topic of the week."""

    label: str  # top terms and the top hashtag joined with " · "
    terms: list[str]  # distinctive terms (c-TF-IDF), best first
    hashtags: list[str]  # distinctive hashtags in display case, best first
    keys: list[int]  # every member post, reposts and near-duplicates included
    representatives: list[int]  # up to 3 keys: central and engaged, from distinct groups
    mean_compound: float | None


@dataclass(frozen=True)
class TopicModel:
    """The topics of a set of posts and the method that found them."""

    topics: list[FoundTopic]  # largest first
    method: str  # recorded with results, e.g. "minilm-static-v1+tfidf+spectral-v1"


@dataclass(frozen=True)
class _Group:
    """Posts that are one voice: an original, its reposts and near-duplicates."""

    docs: tuple[TopicDoc, ...]  # sorted by key

    @property
    def text(self) -> str:
        return self.docs[0].text

    @property
    def engagement(self) -> int:
        return sum(doc.engagement for doc in self.docs)

    @property
    def lead(self) -> int:
        """The key of the group's most engaged post (the original, usually)."""
        return max(self.docs, key=lambda doc: (doc.engagement, -doc.key)).key


def find_topics(docs: Sequence[TopicDoc], *, max_topics: int = 12) -> TopicModel:
    """Topics from static MiniLM and TF-IDF vectors; TF-IDF alone without the MiniLM package."""
    try:
        embedder = embeddings.default_embedder()
    except embeddings.EmbeddingsUnavailable:
        return find_topics_sparse(docs, max_topics=max_topics)

    def hybrid(texts: list[str], counts: sparse.csr_matrix) -> Matrix:
        return _unit(np.hstack([embedder.embed(texts), _lsa(counts)]))

    return _find(docs, features=hybrid, method=METHOD, max_topics=max_topics)


def find_topics_sparse(docs: Sequence[TopicDoc], *, max_topics: int = 12) -> TopicModel:
    """Topics from TF-IDF/LSA vectors alone: the fallback, and the baseline in `listener eval`."""
    return _find(
        docs, features=lambda _, counts: _lsa(counts), method=FALLBACK_METHOD, max_topics=max_topics
    )


Features = Callable[[list[str], sparse.csr_matrix], Matrix]


def _find(
    docs: Sequence[TopicDoc], *, features: Features, method: str, max_topics: int
) -> TopicModel:
    groups = _groups(docs)
    if not groups:
        return TopicModel([], method)
    texts = [group.text for group in groups]
    vectoriser = CountVectorizer(analyzer=terms, binary=True, dtype=np.float32)
    counts = vectoriser.fit_transform(texts).tocsr()
    vectors = features(texts, counts)
    weights = np.array([1.0 + math.log(len(group.docs)) for group in groups])
    labels = _cluster(vectors, weights=weights, max_topics=max_topics)
    vocabulary = _Vocabulary.of(counts, [str(t) for t in vectoriser.get_feature_names_out()])
    found = [
        _describe(groups, members, vocabulary=vocabulary, vectors=vectors)
        for members in _members(labels)
    ]
    found.sort(key=lambda topic: (-len(topic.keys), topic.keys[0]))
    return TopicModel(found, method)


def _groups(docs: Sequence[TopicDoc]) -> list[_Group]:
    """Merge posts that share a group or a normalised text; groups ordered by first key."""
    ordered = sorted(docs, key=lambda doc: doc.key)
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, str], int] = {}
    for i, doc in enumerate(ordered):
        for kind, value in (("group", doc.group), ("text", _near_duplicate_key(doc.text))):
            if not value:
                continue
            j = first_seen.setdefault((kind, value), i)
            parent[root(i)] = root(j)
    members: dict[int, list[TopicDoc]] = {}
    for i, doc in enumerate(ordered):
        members.setdefault(root(i), []).append(doc)
    return [_Group(tuple(found)) for _, found in sorted(members.items())]


def _near_duplicate_key(text: str) -> str:
    """Text without case, URLs, mentions, punctuation, a leading "RT" and spacing."""
    words = _NOT_ALNUM.sub(" ", normalise(_MENTION.sub(" ", _URL.sub(" ", text)))).split()
    if words and words[0] == "rt":
        words = words[1:]
    return " ".join(words)


def _lsa(counts: sparse.csr_matrix) -> Matrix:
    """Unit-length LSA vectors of sublinear TF-IDF; a handful of rows get the TF-IDF itself."""
    frequent = np.asarray(counts.sum(axis=0)).ravel() >= 2
    if frequent.sum() >= 2:
        counts = counts[:, frequent]  # a term only one group uses relates that group to none
    tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    dimensions = min(LSA_DIMENSIONS, tfidf.shape[0] - 1, tfidf.shape[1] - 1)
    if tfidf.shape[0] < MIN_GROUPS_TO_SPLIT or dimensions < 2:
        return _unit(tfidf.toarray().astype(np.float32))  # too few posts to learn dimensions
    svd = TruncatedSVD(n_components=dimensions, random_state=SEED)
    return _unit(svd.fit_transform(tfidf).astype(np.float32))


def _cluster(vectors: Matrix, *, weights: npt.NDArray[np.float64], max_topics: int) -> Labels:
    """A topic number per group (see the module docstring, steps 3 to 5)."""
    n = len(vectors)
    empty = ~vectors.any(axis=1)
    worded = int((~empty).sum())
    most = min(max_topics, worded // GROUPS_PER_TOPIC)
    if worded < MIN_GROUPS_TO_SPLIT or most < 2:
        return np.zeros(n, np.int64)
    sample = _sample(np.flatnonzero(~empty))
    chosen = _choose(vectors[sample], weights=weights[sample], most=most)
    labels = _extend(vectors, sample=sample, sample_labels=chosen)
    labels = _absorb_small(vectors, labels, minimum=_smallest_topic(n))
    labels[empty] = np.bincount(labels[~empty]).argmax()
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _choose(vectors: Matrix, *, weights: npt.NDArray[np.float64], most: int) -> Labels:
    """Of the candidate clusterings, the one with the most topics among the most modular."""
    graph = _knn_graph(vectors, neighbours=min(NEIGHBOURS, len(vectors) - 1))
    candidates = _candidates(vectors, graph=graph, weights=weights, most=most)
    scores = np.array([_modularity(graph, labels) for labels in candidates])
    # Modularity is flat across a few k when topics shade into each other; the finer
    # split is then as well supported and says more.
    near_best = np.flatnonzero(scores >= scores.max() - MODULARITY_TOLERANCE * abs(scores.max()))
    return max((candidates[i] for i in near_best), key=lambda labels: int(labels.max()))


def _modularity(graph: sparse.csr_matrix, labels: Labels) -> float:
    """Newman's modularity: edge weight inside topics minus what random wiring would put there."""
    edges = graph.tocoo()
    total = float(graph.sum())
    if total == 0:
        return 0.0
    same = labels[edges.row] == labels[edges.col]
    topics = int(labels.max()) + 1
    inside = np.bincount(labels[edges.row[same]], weights=edges.data[same], minlength=topics)
    degree = np.bincount(labels, weights=np.asarray(graph.sum(axis=1)).ravel(), minlength=topics)
    return float((inside / total - (degree / total) ** 2).sum())


def _candidates(
    vectors: Matrix, *, graph: sparse.csr_matrix, weights: npt.NDArray[np.float64], most: int
) -> list[Labels]:
    """Spectral clusterings into 2, 3, ... ``most`` clusters, small ones absorbed, renumbered."""
    spectral = _spectral_embedding(graph, dimensions=most)
    minimum = _smallest_topic(len(vectors))
    found = []
    for k in range(2, most + 1):
        kmeans = KMeans(k, n_init=4, random_state=SEED)
        labels = kmeans.fit_predict(_unit(spectral[:, :k]), sample_weight=weights)
        labels = _absorb_small(vectors, labels, minimum=minimum)
        found.append(np.unique(labels, return_inverse=True)[1].astype(np.int64))
    return found


def _smallest_topic(groups: int) -> int:
    """Fewer groups than this are not a topic: 1% of the groups, and at least three."""
    return max(MIN_TOPIC_GROUPS, math.ceil(0.01 * groups))


def _sample(indices: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """At most GRAPH_SAMPLE of ``indices``, chosen by a seeded generator, in order."""
    if len(indices) <= GRAPH_SAMPLE:
        return indices
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(indices, size=GRAPH_SAMPLE, replace=False))


def _spectral_embedding(graph: sparse.csr_matrix, *, dimensions: int) -> Matrix:
    """Top eigenvectors of the degree-regularised graph (Qin and Rohe, 2013)."""
    degree = np.asarray(graph.sum(axis=1)).ravel()
    # The mean degree added to every node keeps outliers from taking eigenvectors of their own.
    scale = sparse.diags(1.0 / np.sqrt(degree + degree.mean()))
    values, vectors_ = eigsh(
        scale @ graph @ scale, k=dimensions, which="LA", v0=np.ones(graph.shape[0])
    )
    order = np.argsort(-values, kind="stable")
    columns = vectors_[:, order]
    columns *= np.where(columns[np.abs(columns).argmax(axis=0), range(dimensions)] < 0, -1, 1)
    return columns.astype(np.float32)


def _knn_graph(vectors: Matrix, *, neighbours: int) -> sparse.csr_matrix:
    """Symmetric graph joining each row to its most cosine-similar rows (negatives dropped)."""
    n = len(vectors)
    rows, columns, weights = [], [], []
    for chunk, nearest, similarity in _nearest(
        np.arange(n), vectors, among=np.arange(n), k=neighbours
    ):
        rows.append(np.repeat(chunk, neighbours))
        columns.append(nearest.ravel())
        weights.append(np.maximum(similarity.ravel(), 0.0))
    graph = sparse.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns))), shape=(n, n)
    )
    return graph.maximum(graph.T).tocsr()


def _nearest(
    rows: npt.NDArray[np.intp], vectors: Matrix, *, among: npt.NDArray[np.intp], k: int
) -> Iterator[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Matrix]]:
    """For blocks of ``rows``: their ``k`` most similar rows of ``among`` (never themselves)."""
    for start in range(0, len(rows), 1024):
        chunk = rows[start : start + 1024]
        similarity = vectors[chunk] @ vectors[among].T
        similarity[chunk[:, None] == among[None, :]] = -np.inf
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        yield chunk, among[nearest], np.take_along_axis(similarity, nearest, axis=1)


def _extend(vectors: Matrix, *, sample: npt.NDArray[np.intp], sample_labels: Labels) -> Labels:
    """Labels for every row: sampled rows keep theirs, the rest vote among nearest sampled rows."""
    labels = np.full(len(vectors), -1, np.int64)
    labels[sample] = sample_labels
    rest = np.setdiff1d(np.arange(len(vectors)), sample)
    for chunk, nearest, similarity in _nearest(rest, vectors, among=sample, k=NEIGHBOURS):
        votes = np.zeros((len(chunk), int(sample_labels.max()) + 1))
        rows = np.arange(len(chunk))[:, None]
        np.add.at(votes, (rows, labels[nearest]), np.maximum(similarity, 1e-6))
        labels[chunk] = votes.argmax(axis=1)
    return labels


def _absorb_small(vectors: Matrix, labels: Labels, *, minimum: int) -> Labels:
    """Move the groups of clusters smaller than ``minimum`` into the nearest larger cluster."""
    labels = labels.copy()
    while True:
        sizes = np.bincount(labels[labels >= 0])
        alive = np.flatnonzero(sizes)
        small = [c for c in alive if sizes[c] < minimum]
        if not small or len(alive) < 2:
            return labels
        smallest = min(small, key=lambda c: (sizes[c], c))
        centroids = {c: _unit(vectors[labels == c].mean(axis=0, keepdims=True))[0] for c in alive}
        centre = centroids.pop(smallest)
        nearest = max(centroids, key=lambda c: (float(centroids[c] @ centre), -c))
        labels[labels == smallest] = nearest


def _members(labels: Labels) -> list[npt.NDArray[np.intp]]:
    """Group indices per topic number."""
    return [np.flatnonzero(labels == topic) for topic in range(int(labels.max()) + 1)]


@dataclass(frozen=True)
class _Vocabulary:
    """The week's terms with plural forms merged: which groups use each, and its usual form."""

    counts: sparse.csr_matrix  # groups x terms, 1 where a group uses the term
    names: list[str]  # each term in the form the week uses most

    @classmethod
    def of(cls, counts: sparse.csr_matrix, terms_: Sequence[str]) -> _Vocabulary:
        index: dict[str, int] = {}
        column = np.array([index.setdefault(fold(term), len(index)) for term in terms_])
        merge = sparse.csr_matrix(
            (np.ones(len(column), np.float32), (np.arange(len(column)), column)),
            shape=(len(column), len(index)),
        )
        merged = (counts @ merge).tocsr()
        merged.data = np.minimum(merged.data, 1.0)
        usage = np.asarray(counts.sum(axis=0)).ravel()
        best: dict[int, tuple[float, str]] = {}
        for term, key, used in zip(terms_, column, usage, strict=True):
            best[key] = min(best.get(key, (np.inf, term)), (-used, term))
        return cls(merged, [best[key][1] for key in range(len(index))])


def _describe(
    groups: list[_Group], members: npt.NDArray[np.intp], *, vocabulary: _Vocabulary, vectors: Matrix
) -> FoundTopic:
    """Label, terms, hashtags, member keys, representatives and mean sentiment of one topic."""
    chosen = [groups[i] for i in members]
    words, tags = _distinctive(members, vocabulary)
    spelled = spelled_hashtags(group.text for group in chosen)
    tags = [spelled[tag] for tag in tags if tag in spelled]
    scores = [doc.compound for group in chosen for doc in group.docs if doc.compound is not None]
    return FoundTopic(
        label=_label(words, tags, [group.text for group in chosen[:LABEL_TEXTS]]),
        terms=words,
        hashtags=tags,
        keys=sorted(doc.key for group in chosen for doc in group.docs),
        representatives=_representatives(chosen, vectors[members]),
        mean_compound=sum(scores) / len(scores) if scores else None,
    )


def _distinctive(
    members: npt.NDArray[np.intp], vocabulary: _Vocabulary
) -> tuple[list[str], list[str]]:
    """Terms and hashtags ranked by c-TF-IDF: common in this topic, rare in the week overall."""
    counts, names = vocabulary.counts, vocabulary.names
    inside = np.asarray(counts[members].sum(axis=0)).ravel()
    overall = np.asarray(counts.sum(axis=0)).ravel()
    support = 2 if len(members) > 1 else 1  # a term one post uses is that post's, not the topic's
    # Class-based TF-IDF with groups as documents: share of the topic's groups using the
    # term, times its smoothed inverse frequency over the week's groups.
    score = (inside / len(members)) * np.log1p(counts.shape[0] / np.maximum(overall, 1.0))
    ranked = sorted(np.flatnonzero(inside >= support), key=lambda i: (-score[i], names[i]))
    words = [names[i] for i in ranked[:TERM_CANDIDATES] if not names[i].startswith("#")]
    tags = [names[i] for i in ranked if names[i].startswith("#")]
    return readable(words, {names[i]: float(inside[i]) for i in ranked})[:10], tags[:5]


def _label(words: list[str], tags: list[str], texts: list[str]) -> str:
    """Two top terms and the top hashtag (three terms without one), as the posts write them."""
    tag = tags[:1]
    spelled = {t.lstrip("#").lower() for t in tag}
    words = [w for w in words if w.replace(" ", "") not in spelled]
    parts = [display_case(w, texts) for w in words[: 2 if tag else 3]] + tag
    return " · ".join(parts) if parts else "(no words)"


def _representatives(chosen: list[_Group], vectors: Matrix) -> list[int]:
    """Among the most central quarter of groups (at least ten), the most engaged three."""
    centre = _unit(vectors.mean(axis=0, keepdims=True))[0]
    centrality = vectors @ centre
    by_centrality = sorted(range(len(chosen)), key=lambda i: (-centrality[i], chosen[i].lead))
    pool = by_centrality[: max(10, math.ceil(len(chosen) / 4))]
    pool.sort(key=lambda i: (-chosen[i].engagement, -centrality[i], chosen[i].lead))
    return [chosen[i].lead for i in pool[:REPRESENTATIVES]]

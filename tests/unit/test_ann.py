"""Approximate vector search (usearch HNSW) past embedding.ann_min_vectors; exact search below, unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curbside.retrieval import dense
from curbside.retrieval.dense import ANN_FILE, ANN_META, VectorIndex
from curbside.settings import EmbeddingSettings


def clustered_unit_vectors(n: int, dim: int = 384, clusters: int = 200, seed: int = 3) -> np.ndarray:
    """Vectors around topic centres (the same centres for every seed), as passage and question embeddings
    are; uniform random vectors are HNSW's worst case and unlike any corpus."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(1).standard_normal((clusters, dim)).astype(np.float32)
    vectors = centres[rng.integers(clusters, size=n)] + 0.9 * rng.standard_normal((n, dim)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, keys: np.ndarray, query: np.ndarray, k: int,
              allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The plain definition: every row's cosine, best per key, sorted by (-cosine, key)."""
    best: dict[int, float] = {}
    for row, score in enumerate((vectors @ query).tolist()):
        if allowed is not None and not allowed[row]:
            continue
        key = int(keys[row])
        best[key] = max(best.get(key, -2.0), round(score, 6))
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors = clustered_unit_vectors(8_000)
    keys = np.arange(8_000, dtype=np.int64) // 2  # two vectors a passage, as a header and a full text would be
    queries = clustered_unit_vectors(40, seed=9)
    return vectors, keys, queries


def test_below_the_threshold_no_ann_is_built_and_search_is_exact(tmp_path: Path, corpus) -> None:
    vectors, keys, queries = corpus
    VectorIndex(vectors, keys).save(tmp_path, EmbeddingSettings())  # 8,000 < 500,000
    assert not (tmp_path / ANN_FILE).exists()
    loaded = VectorIndex.load(tmp_path)
    assert loaded.ann is None
    for query in queries[:10]:
        assert loaded.search(query, 10) == exact_top(vectors, keys, query, 10)


@pytest.mark.parametrize("dtype", ["i8", "f32"])
def test_past_the_threshold_the_hnsw_index_is_built_and_recalls_the_exact_top_10(tmp_path: Path, corpus, dtype) -> None:
    vectors, keys, queries = corpus
    settings = EmbeddingSettings(ann_min_vectors=5_000, ann_dtype=dtype)
    VectorIndex(vectors, keys).save(tmp_path, settings)
    assert (tmp_path / ANN_FILE).is_file() and (tmp_path / ANN_META).is_file()
    approximate = VectorIndex.load(tmp_path)
    assert approximate.ann is not None and len(approximate.ann) == len(vectors)
    exact = VectorIndex(vectors, keys)
    found = wanted = 0
    for query in queries:
        hits = approximate.search(query, 10)
        truth = exact.search(query, 10)
        assert truth == exact_top(vectors, keys, query, 10)
        found += len({k for k, _s in hits} & {k for k, _s in truth})
        wanted += len(truth)
        cosines = dict(truth)
        # the cosines of what HNSW finds are exact, not the quantised distances
        assert all(score == cosines[key] for key, score in hits if key in cosines)
        assert [s for _k, s in hits] == sorted((s for _k, s in hits), reverse=True)
    assert found / wanted >= 0.95, found / wanted


def test_filters_apply_to_the_approximate_search(tmp_path: Path, corpus, monkeypatch) -> None:
    vectors, keys, queries = corpus
    VectorIndex(vectors, keys).save(tmp_path, EmbeddingSettings(ann_min_vectors=5_000))
    index = VectorIndex.load(tmp_path)
    wide = np.arange(len(vectors)) % 4 != 0  # 75% of rows
    narrow = np.arange(len(vectors)) % 50 == 0  # 160 rows: searched exactly
    for query in queries[:10]:
        assert index.search(query, 10, narrow) == exact_top(vectors, keys, query, 10, narrow)
        hits = index.search(query, 10, wide)
        assert len(hits) == 10 and all(wide[2 * key] or wide[2 * key + 1] for key, _s in hits)
    # a filter wider than the exact subset goes through HNSW with a longer candidate list
    monkeypatch.setattr(dense, "ANN_EXACT_SUBSET", 100)
    found = 0
    for query in queries[:10]:
        hits = index.search(query, 10, narrow)
        assert all(narrow[2 * key] for key, _s in hits)
        found += len({k for k, _ in hits} & {k for k, _ in exact_top(vectors, keys, query, 10, narrow)})
    assert found >= 80
    assert index.search(queries[0], 10, np.zeros(len(vectors), dtype=bool)) == []


def test_an_ann_file_of_another_size_is_refused(tmp_path: Path, corpus) -> None:
    vectors, keys, _queries = corpus
    VectorIndex(vectors[:6_000], keys[:6_000]).save(tmp_path, EmbeddingSettings(ann_min_vectors=5_000))
    np.save(tmp_path / "vector_keys.npy", keys[:5_500])
    np.save(tmp_path / "vectors.npy", vectors[:5_500])
    with pytest.raises(ValueError, match="holds 6000 vectors"):
        VectorIndex.load(tmp_path)

"""The full index build at scale (retrieval/index.py): cached vectors attached a chunk of passages at a time give
what one lookup of every passage gives, and the spelling vocabulary counted by a worker process reading the
library equals the one counted in the build; a library changed under the worker is an error, not a wrong count."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from curbside.corpus.library import Library
from curbside.engine import Curbside
from curbside.errors import IngestError
from curbside.retrieval import index as index_module
from curbside.retrieval.dense import EMBEDDING_DIM, Embedder, EmbeddingCache
from curbside.retrieval.index import _VectorCollector, _VocabularyWorker, cached_vectors, embedding_text
from curbside.settings import load_settings
from support.medline_xml import synthetic_citations, write_set


def test_cached_vectors_attached_in_chunks_equal_one_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path)
    model_id = Embedder(settings.embedding).model_id
    texts = [f"passage {i % 40}" for i in range(100)]  # repeated texts, some cached, some not
    rng = np.random.default_rng(3)
    cache = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")
    cache.put_many([(EmbeddingCache.key(model_id, f"passage {i}"), rng.normal(size=EMBEDDING_DIM).astype(np.float32))
                    for i in range(0, 40, 3)])
    rows, expected = cached_vectors(model_id, texts, cache)
    cache.close()

    monkeypatch.setattr(_VectorCollector, "CHUNK", 7)
    collector = _VectorCollector(tmp_path, Embedder(settings.embedding), embed=False, say=lambda _m: None)
    for i, text in enumerate(texts):
        collector.add(1000 + i, text, i % 3, 2000 + i)
        assert len(collector.texts) < 7  # never more than a chunk of texts held
    got = collector.rows()
    collector.close()
    assert got.keys.tolist() == [1000 + i for i in rows]
    assert got.types.tolist() == [i % 3 for i in rows]
    assert got.years.tolist() == [2000 + i for i in rows]
    np.testing.assert_array_equal(got.vectors, expected)
    assert got.cache_mark > 0


class _CountingEmbedder:
    """Deterministic vectors by text, and every text it was asked to embed (to count them)."""

    def __init__(self, settings: object) -> None:
        self.model_id = "counting-stub"
        self.settings = settings
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=EMBEDDING_DIM) for t in texts]
        return np.asarray(rows, dtype=np.float32)


def test_embedding_in_chunks_embeds_each_text_once_and_equals_one_pass(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path)
    texts = [f"passage {i % 40}" for i in range(100)]  # a text recurs in later chunks
    cache = EmbeddingCache(tmp_path / "one" / "cache" / "embeddings.sqlite")
    cache.close()

    def collect(folder: Path) -> tuple[object, _CountingEmbedder]:
        embedder = _CountingEmbedder(settings.embedding)
        collector = _VectorCollector(folder, embedder, embed=True, say=lambda _m: None)  # type: ignore[arg-type]
        for i, text in enumerate(texts):
            collector.add(1000 + i, text, i % 3, 2000 + i)
            assert len(collector.texts) < collector.EMBED_CHUNK
        rows = collector.rows()
        collector.close()
        return rows, embedder

    one, one_embedder = collect(tmp_path / "one")  # every text in one chunk
    monkeypatch.setattr(_VectorCollector, "EMBED_CHUNK", 7)
    chunked, chunked_embedder = collect(tmp_path / "chunked")
    assert sorted(chunked_embedder.encoded) == sorted(set(texts)) == sorted(one_embedder.encoded)  # each once
    assert chunked.keys.tolist() == one.keys.tolist() == [1000 + i for i in range(100)]  # type: ignore[attr-defined]
    assert chunked.types.tolist() == one.types.tolist() and chunked.years.tolist() == one.years.tolist()  # type: ignore[attr-defined]
    np.testing.assert_array_equal(chunked.vectors, one.vectors)  # type: ignore[attr-defined]


def _ingest(data: Path, files: list[Path]) -> list[tuple[str, int]]:
    engine = Curbside.open(data, embedding={"enabled": False})
    engine.ingest_medline(files)
    engine.close()
    # into an empty library the index is built as the library is written: rebuild it from the library
    index_module.refresh_index(data, load_settings(environ={}, data_dir=data, embedding={"enabled": False}), full=True)
    db = sqlite3.connect(data / "index" / "metadata.sqlite")
    try:
        return db.execute("SELECT term, df FROM vocabulary ORDER BY rowid").fetchall()
    finally:
        db.close()


def test_vocabulary_worker_counts_what_the_build_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = Path(__file__).resolve().parents[1] / "fixtures" / "medline" / "pubmed_sample.xml"
    files = [write_set(tmp_path / "a.xml.gz", synthetic_citations(120)), sample]
    in_build = _ingest(tmp_path / "in-build", files)

    started: list[object] = []
    original = _VocabularyWorker.__init__

    def spy(self: _VocabularyWorker, *args: object) -> None:
        started.append(args)
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "VOCABULARY_WORKER_MIN_DOCUMENTS", 0)
    monkeypatch.setattr(_VocabularyWorker, "__init__", spy)
    by_worker = _ingest(tmp_path / "worker", files)
    assert started, "the worker was not used"
    assert by_worker == in_build and len(in_build) > 100
    # the words of the passages, each passage once (not only the worker's own reading)
    words: dict[str, int] = {}
    with Library(tmp_path / "worker") as library:
        for doc in library.iter_documents():
            for p in doc.passages:
                for w in index_module.passage_words(doc.title, p.section, p.text):
                    words[w] = words.get(w, 0) + 1
    assert dict(by_worker) == words
    assert not list((tmp_path / "worker").rglob(".vocabulary.pickle*"))


def test_vocabulary_worker_refuses_a_library_of_another_generation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = Curbside.open(data, embedding={"enabled": False})
    engine.ingest_medline([write_set(tmp_path / "a.xml.gz", synthetic_citations(5))])
    engine.close()
    expected: dict[str, int] = {}
    with Library(data) as library:
        generation = library.generation
        path = library.path
        for doc in library.iter_documents():
            for p in doc.passages:
                for w in index_module.passage_words(doc.title, p.section, p.text):
                    expected[w] = expected.get(w, 0) + 1
    building = tmp_path / "building"
    building.mkdir()
    worker = _VocabularyWorker(path, building, generation - 1)
    with pytest.raises(IngestError, match="library changed"):
        worker.result()
    assert dict(_VocabularyWorker(path, building, generation).result()) == expected and expected["trial"] >= 5

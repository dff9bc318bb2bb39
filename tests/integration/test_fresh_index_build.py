"""``ingest medline`` into an empty library builds the index while the library is written (retrieval/index.py:
FullBuild fed by Library.ingest's on_batch, the parse workers' values and spelling words): the index equals a
full rebuild from the library (documents, passages and their keys, vocabulary, vectors, BM25 hits, manifest),
and an ingest that replaces or deletes what it added falls back to the rebuild, with the same result."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from curbside.corpus.documents import Document, IngestReport
from curbside.corpus.loaders.medline import iter_medline
from curbside.engine import Curbside
from curbside.retrieval.dense import EMBEDDING_DIM, Embedder, EmbeddingCache
from curbside.retrieval.index import Index, embedding_text, refresh_index
from curbside.settings import Settings, load_settings
from support.medline_xml import Citation, synthetic_citations, write_set

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "medline" / "pubmed_sample.xml"
QUERIES = (["zebrafish"], ["colchicine", "stroke"], ["trial"], ["aspirin"], ["record", "17"], ["metformin"])
STREAMED = "made while the library was written"


@pytest.fixture
def no_onnx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("curbside.retrieval.index.build_onnx_encoder", lambda *a, **k: None)


def _settings(data: Path, **overrides: object) -> Settings:
    return load_settings(environ={}, data_dir=data, **overrides)


def _plant_some_vectors(settings: Settings, paths: list[Path]) -> int:
    """A unit vector for every third passage text of these files, keyed as the index looks them up."""
    full_types = set(settings.embedding.embed_doc_types)
    texts = sorted({embedding_text(doc, p.section, p.text, str(doc.doc_type) in full_types)
                    for path in paths for doc in iter_medline(path, IngestReport()) if isinstance(doc, Document)
                    for p in doc.passages})[::3]
    rng = np.random.default_rng(5)
    model_id = Embedder(settings.embedding).model_id
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite")
    cache.put_many([(EmbeddingCache.key(model_id, t), rng.normal(size=EMBEDDING_DIM).astype(np.float32)) for t in texts])
    cache.close()
    return len(texts)


def _state(data: Path, settings: Settings) -> dict[str, object]:
    """Everything two full builds of one library must share, passage keys included."""
    index = Index(data, settings)
    try:
        db = sqlite3.connect(f"file:{data / 'index' / 'metadata.sqlite'}?mode=ro", uri=True)
        tables = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                  for table in ("documents", "passages", "vocabulary", "drug_names", "mesh_names")}
        db.close()
        vectors = {}
        if index.vectors is not None:
            vectors = {int(k): tuple(np.round(v, 6)) for k, v in zip(index.vectors.keys, index.vectors.vectors)}
        searches = {" ".join(terms): [(h.passage_key, round(h.score, 4)) for h in index.lexical.search(terms, 20)]
                    for terms in QUERIES}
        manifest = index.manifest
        return {**tables, "vectors": vectors, "searches": searches, "counts": manifest.counts,
                "snapshot": manifest.corpus_snapshot, "next_key": manifest.next_passage_key,
                "generation": manifest.library_generation, "refresh": manifest.refresh,
                "lexical_docs": index.lexical.num_docs, "kind": manifest.kind}
    finally:
        index.close()


def _rebuilt(data: Path, into: Path) -> dict[str, object]:
    shutil.copytree(data, into)
    messages: list[str] = []
    manifest = refresh_index(into, _settings(into), embed=False, full=True, progress=messages.append)
    assert manifest.refresh == "full" and not any(STREAMED in m for m in messages)
    return _state(into, _settings(into))


def _ingest(data: Path, files: list[Path], **overrides: object) -> tuple[dict[str, object], list[str]]:
    settings = _settings(data, **overrides)
    messages: list[str] = []
    engine = Curbside(settings)
    try:
        engine.ingest_medline(files, progress=messages.append)
    finally:
        engine.close()
    assert not (data / "index.building").exists()
    return _state(data, settings), messages


@pytest.mark.parametrize("workers", [2, 0])
def test_a_fresh_ingest_indexes_as_it_writes_and_equals_a_rebuild(tmp_path: Path, no_onnx: None, workers: int) -> None:
    citations = synthetic_citations(900)
    files = [write_set(tmp_path / "a.xml.gz", citations[:400]), SAMPLE,
             write_set(tmp_path / "b.xml", citations[400:900])]
    data = tmp_path / "data"
    planted = _plant_some_vectors(_settings(data), files)
    state, messages = _ingest(data, files, ingest={"parse_workers": workers})
    assert any(STREAMED in m for m in messages), messages
    assert state["counts"]["documents"] > 900 and 0 < state["counts"]["vectors"] <= planted  # type: ignore[index]
    assert len(state["vocabulary"]) > 40 and state["searches"]["trial"]  # type: ignore[arg-type,index]
    assert state == _rebuilt(data, tmp_path / "rebuilt")


def test_replacements_within_the_ingest_fall_back_to_the_rebuild(tmp_path: Path, no_onnx: None) -> None:
    citations = synthetic_citations(300)
    revised = [Citation(c.pmid, f"{c.title} revised", sections=(("RESULTS", "Revised: zebrafish model."),))
               for c in citations[:5]]
    files = [write_set(tmp_path / "a.xml.gz", citations),
             write_set(tmp_path / "update.xml", revised, deletions=[citations[7].pmid])]
    data = tmp_path / "data"
    state, messages = _ingest(data, files)
    assert not any(STREAMED in m for m in messages) and any("Full rebuild" in m for m in messages), messages
    assert state["counts"]["documents"] == 299 and state["searches"]["zebrafish"]  # type: ignore[index]
    assert state == _rebuilt(data, tmp_path / "rebuilt")

    # a library that already holds documents: rebuilt (or refreshed) from the library as before
    more = write_set(tmp_path / "more.xml", synthetic_citations(400, start=50_000_000))
    _state_after, messages = _ingest(data, [more])
    assert not any(STREAMED in m for m in messages), messages

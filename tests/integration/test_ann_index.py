"""An index past embedding.ann_min_vectors carries its HNSW index, listed in the manifest and checked on open."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from curbside.corpus.library import Library
from curbside.engine import Curbside
from curbside.errors import IndexIncompleteError
from curbside.retrieval.dense import ANN_FILE, ANN_META, Embedder, EmbeddingCache
from curbside.retrieval.index import Index, embedding_text, refresh_index

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (ROOT.parent / "shared" / "corpus" / "mesh").is_dir(), reason="needs ../shared")


@pytest.mark.slow
def test_the_build_writes_the_hnsw_index_into_the_manifest_and_search_uses_it(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_medline", ROOT / "bench" / "gen_medline.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_medline"] = gen
    spec.loader.exec_module(gen)
    gen.generate(tmp_path / "medline", 40, seed=3)
    # A model that is never loaded: the vectors are put in the cache by hand, as `curbside embed` would.
    engine = Curbside.open(tmp_path / "data", embedding={"model": str(tmp_path / "no-model"), "ann_min_vectors": 20})
    engine.ingest_medline([tmp_path / "medline" / "pubmed26n0001.xml.gz"])
    engine.close()
    settings = engine.settings
    assert not (tmp_path / "data" / "index" / ANN_FILE).exists()  # no vectors yet

    model_id = Embedder(settings.embedding).model_id
    full_types = set(settings.embedding.embed_doc_types)
    with Library(engine.data_dir) as library:
        texts = {embedding_text(d, p.section, p.text, str(d.doc_type) in full_types)
                 for d in library.iter_documents() for p in d.passages}
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cache = EmbeddingCache(engine.data_dir / "cache" / "embeddings.sqlite")
    cache.put_many([(EmbeddingCache.key(model_id, t), v) for t, v in zip(sorted(texts), vectors)])
    cache.close()

    manifest = refresh_index(engine.data_dir, settings, embed=False)
    assert manifest.counts["vectors"] == manifest.counts["passages"] >= 20
    assert ANN_FILE in manifest.files and ANN_META in manifest.files
    index = Index(engine.data_dir, settings)
    assert index.vectors is not None and index.vectors.ann is not None
    query = index.vectors.vectors[5]
    hits = index.vectors.search(query, 5)
    assert hits[0] == (int(index.vectors.keys[5]), pytest.approx(1.0, abs=1e-5))
    index.close()

    # the HNSW file is checked like every other file of the index
    with (engine.data_dir / "index" / ANN_FILE).open("ab") as f:
        f.write(b"\0")
    with pytest.raises(IndexIncompleteError, match=f"{ANN_FILE} is missing or has changed"):
        Index(engine.data_dir, settings)

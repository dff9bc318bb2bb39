"""The embedding stage (`curbside embed`): what the cache lacks is embedded once, resumably, in worker
processes or on a local Ray runtime, into the same cache, and the vectors are attached to the index."""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from curbside.engine import Curbside
from curbside.retrieval.dense import Embedder, EmbeddingCache
from curbside.retrieval.embed_stage import iter_missing, run_embed_stage
from curbside.retrieval.index import Index, embedding_text
from curbside.corpus.library import Library

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
pytestmark = pytest.mark.skipif(not (SHARED / "corpus" / "mesh").is_dir(), reason="needs ../shared (generator vocabulary)")


def _generated_library(data_dir: Path, n: int, seed: int = 5) -> Curbside:
    spec = importlib.util.spec_from_file_location("gen_medline", ROOT / "bench" / "gen_medline.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_medline"] = gen
    spec.loader.exec_module(gen)
    gen.generate(data_dir.parent / "medline", n, seed=seed)
    engine = Curbside.open(data_dir)
    engine.ingest_medline([data_dir.parent / "medline" / "pubmed26n0001.xml.gz"])  # lexical stage only
    engine.close()
    return engine


def _library_texts(engine: Curbside) -> list[str]:
    full_types = set(engine.settings.embedding.embed_doc_types)
    with Library(engine.data_dir) as library:
        return sorted({embedding_text(d, p.section, p.text, str(d.doc_type) in full_types)
                       for d in library.iter_documents() for p in d.passages})


def _cached(data_dir: Path) -> int:
    path = data_dir / "cache" / "embeddings.sqlite"
    if not path.is_file():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        except sqlite3.OperationalError:  # created, table not yet there
            return 0


def test_only_texts_the_cache_lacks_are_handed_out_each_once(tmp_path: Path) -> None:
    engine = _generated_library(tmp_path / "data", 30)
    texts = _library_texts(engine)
    model_id = Embedder(engine.settings.embedding).model_id
    cache = EmbeddingCache(tmp_path / "data" / "cache" / "embeddings.sqlite")
    some = texts[::3]
    cache.put_many([(EmbeddingCache.key(model_id, t), np.ones(384, dtype=np.float32)) for t in some])
    counts = {"texts": 0, "cached": 0}
    missing = [text for chunk in iter_missing(engine.data_dir, engine.settings, cache, model_id, counts, chunk=7)
               for _key, text in chunk]
    cache.close()
    assert counts == {"texts": len(texts), "cached": len(some)}
    assert sorted(missing) == sorted(set(texts) - set(some)) and len(missing) == len(set(missing))
    # no index vectors yet: the ingest attached only cached vectors, and there were none
    assert Index(engine.data_dir, engine.settings).manifest.counts["vectors"] == 0


@pytest.mark.slow
def test_a_killed_run_resumes_and_the_vectors_are_attached(tmp_path: Path) -> None:
    engine = _generated_library(tmp_path / "data", 12)
    texts = _library_texts(engine)
    command = [sys.executable, "-c", "from curbside.cli.main import main; main()", "--data-dir",
               str(engine.data_dir), "embed", "--batch-size", "2"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _cached(engine.data_dir) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    done_before = _cached(engine.data_dir)
    assert 2 <= done_before < len(texts)

    result = run_embed_stage(engine.data_dir, engine.settings, batch_size=4)
    assert result.cached_before == done_before and result.embedded == len(texts) - done_before
    assert _cached(engine.data_dir) == len(texts)  # every text once, none lost
    index = Index(engine.data_dir, engine.settings)
    assert index.vectors is not None and len(index.vectors) == index.manifest.counts["passages"]
    index.close()
    again = run_embed_stage(engine.data_dir, engine.settings, attach=False)
    assert again.embedded == 0 and again.cached_before == len(texts)

    # what was stored is the model's vector of each text
    embedder = Embedder(engine.settings.embedding)
    cache = EmbeddingCache(engine.data_dir / "cache" / "embeddings.sqlite")
    sample = texts[:3]
    stored = cache.get_many([EmbeddingCache.key(embedder.model_id, t) for t in sample])
    cache.close()
    direct = embedder.encode(sample)
    for text, vector in zip(sample, direct):
        assert float(stored[EmbeddingCache.key(embedder.model_id, text)] @ vector) > 0.9999


@pytest.mark.slow
def test_worker_processes_and_a_local_ray_runtime_fill_the_same_cache(tmp_path: Path) -> None:
    engine = _generated_library(tmp_path / "data", 6)
    texts = _library_texts(engine)
    half = run_embed_stage(engine.data_dir, engine.settings, workers=2, batch_size=2, attach=False,
                           max_batches=2)
    assert half.backend == "workers" and half.embedded == 4 and _cached(engine.data_dir) == 4

    rest = run_embed_stage(engine.data_dir, engine.settings, ray_address="local", workers=1, batch_size=4)
    assert rest.backend == "ray" and rest.cached_before == 4 and rest.embedded == len(texts) - 4
    assert _cached(engine.data_dir) == len(texts)
    assert rest.vectors == Index(engine.data_dir, engine.settings).manifest.counts["passages"]

    embedder = Embedder(engine.settings.embedding)
    cache = EmbeddingCache(engine.data_dir / "cache" / "embeddings.sqlite")
    stored = cache.get_many([EmbeddingCache.key(embedder.model_id, t) for t in texts])
    cache.close()
    direct = embedder.encode(texts)
    cosines = [float(stored[EmbeddingCache.key(embedder.model_id, t)] @ v) for t, v in zip(texts, direct)]
    assert min(cosines) > 0.9999  # made by workers and by Ray actors, the same vectors as here

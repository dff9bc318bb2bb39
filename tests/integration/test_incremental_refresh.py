"""The incremental index refresh (retrieval/index.py: refresh_index -> update_index): an index brought up to date
from the library's change log equals a full rebuild from the same library (documents, passages, vocabulary,
counts, snapshot, vectors by passage, search results), deletions leave no trace, the hard-linked copy never
writes into the live index's files, a failed refresh leaves the live index as it was, and a kill -9 during the
refresh followed by a rerun equals an uninterrupted run. Vectors are planted in the embedding cache (no model
is loaded)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
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

QUERIES = (["zebrafish"], ["colchicine", "stroke"], ["revised", "trial"], ["aspirin"], ["record", "17"],
           ["metformin", "outcomes"])


def _settings(data: Path, **overrides: object) -> Settings:
    return load_settings(environ={}, data_dir=data, **overrides)


def _plant_vectors(settings: Settings, paths: list[Path]) -> None:
    """A random unit vector for every passage text of these files, keyed as the index looks them up."""
    full_types = set(settings.embedding.embed_doc_types)
    texts = set()
    for path in paths:
        for doc in iter_medline(path, IngestReport()):
            if isinstance(doc, Document):
                for p in doc.passages:
                    texts.add(embedding_text(doc, p.section, p.text, str(doc.doc_type) in full_types))
    rng = np.random.default_rng(7)
    model_id = Embedder(settings.embedding).model_id
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite")
    items = []
    for text in sorted(texts):
        v = rng.normal(size=EMBEDDING_DIM)
        items.append((EmbeddingCache.key(model_id, text), (v / np.linalg.norm(v)).astype(np.float32)))
    cache.put_many(items)
    cache.close()


def _revised(citations: list[Citation]) -> list[Citation]:
    return [Citation(c.pmid, f"{c.title} revised", sections=(("RESULTS", f"Revised finding {i}: zebrafish model."),),
                     publication_types=("Journal Article", "Randomized Controlled Trial")) for i, c in enumerate(citations)]


def _state(data: Path, settings: Settings) -> dict[str, object]:
    """What must be equal between two indexes of one library: passage keys aside, everything."""
    index = Index(data, settings)
    try:
        db = sqlite3.connect(f"file:{data / 'index' / 'metadata.sqlite'}?mode=ro", uri=True)
        docs = sorted(db.execute("SELECT doc_id, source, title, doc_type, year, version, flags FROM documents"))
        passages = sorted(db.execute("SELECT passage_id, ordinal, section, text, grade FROM passages"))
        vocabulary = sorted(db.execute("SELECT term, df FROM vocabulary"))
        drugs = sorted(db.execute("SELECT * FROM drug_names"))
        key_to_id = dict(db.execute("SELECT passage_key, passage_id FROM passages"))
        db.close()
        vectors = {}
        if index.vectors is not None:
            vectors = {key_to_id[int(k)]: tuple(np.round(v, 6)) for k, v in zip(index.vectors.keys, index.vectors.vectors)}
        searches = {}
        for terms in QUERIES:
            # ties are broken by passage key, which an incremental refresh gives anew: compare by (score, id)
            hits = [(round(h.score, 3), key_to_id[h.passage_key]) for h in index.lexical.search(terms, 20)]
            searches[" ".join(terms)] = sorted(hits, key=lambda h: (-h[0], h[1]))
        counts = {k: v for k, v in index.manifest.counts.items()}
        return {"documents": docs, "passages": passages, "vocabulary": vocabulary, "drugs": drugs,
                "vectors": vectors, "searches": searches, "counts": counts,
                "snapshot": index.manifest.corpus_snapshot, "lexical_docs": index.lexical.num_docs}
    finally:
        index.close()


def _full_rebuild_of(data: Path, into: Path) -> Path:
    shutil.copytree(data, into)
    manifest = refresh_index(into, _settings(into), embed=False, full=True)
    assert manifest.refresh == "full"
    return into


@pytest.fixture
def no_onnx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("curbside.retrieval.index.build_onnx_encoder", lambda *a, **k: None)


def test_incremental_refresh_equals_a_full_rebuild(tmp_path: Path, no_onnx: None) -> None:
    citations = synthetic_citations(700)
    base = write_set(tmp_path / "base.xml", citations[:600])
    added = write_set(tmp_path / "added.xml", citations[600:650])  # additions only
    update = write_set(tmp_path / "update.xml", citations[650:700] + _revised(citations[:20]),
                       deletions=[c.pmid for c in citations[100:110]])
    data = tmp_path / "data"
    settings = _settings(data)
    _plant_vectors(settings, [base, added, update])
    engine = Curbside(settings)
    try:
        first = engine.ingest_medline([base]).to_dict()
        assert first["index_refresh"] == "full"  # the first build: no index to start from
        for path, label in ((added, "added"), (update, "update")):
            summary = engine.ingest_medline([path]).to_dict()
            assert summary["index_refresh"] == "incremental", label
            incremental = _state(data, settings)
            full = _state(_full_rebuild_of(data, tmp_path / f"full-{label}"), settings)
            if label == "added":
                assert incremental == full  # additions leave even the BM25 statistics exactly as a rebuild's
            else:
                # Deleted passages count in tantivy's statistics until merged (10 of 650 documents deleted, 20
                # replaced: 4.5% of the passages): scores move, most for rare terms ("17": its old passage still
                # counts in its document frequency, -8%); the ranking stays.
                for query, hits in incremental.pop("searches").items():  # type: ignore[union-attr]
                    expected = full["searches"][query]  # type: ignore[index]
                    assert [h[1] for h in hits] == [h[1] for h in expected], query
                    assert [h[0] for h in hits] == pytest.approx([h[0] for h in expected], rel=0.1), query
                full.pop("searches")
                assert incremental == full
            assert incremental["counts"]["vectors"] == incremental["counts"]["passages"] > 0  # type: ignore[index]
        manifest = engine.index.manifest
        assert manifest.refresh == "incremental" and manifest.lexical_deleted_passages == 10 + 20  # one passage a citation
        assert manifest.next_passage_key is not None and manifest.next_passage_key > max(engine.index.vectors.keys)  # type: ignore[union-attr]
    finally:
        engine.close()


def test_a_deleted_document_is_gone_from_lexical_vectors_and_metadata(tmp_path: Path, no_onnx: None) -> None:
    citations = synthetic_citations(60)
    special = Citation("41000001", "Quokka trial of colchicine", sections=(("RESULTS", "Quokka wombat outcome."),))
    base = write_set(tmp_path / "base.xml", [*citations, special])
    deletion = write_set(tmp_path / "delete.xml", [], deletions=["41000001"])
    data = tmp_path / "data"
    settings = _settings(data)
    _plant_vectors(settings, [base])
    engine = Curbside(settings)
    try:
        engine.ingest_medline([base])
        keys = [k for k, p, _d in engine.index.store.iter_passages() if p.doc_id == "41000001"]
        assert keys and set(keys) <= set(engine.index.vectors.keys.tolist())  # type: ignore[union-attr]
        assert engine.index.lexical.search(["quokka"], 5)
        summary = engine.ingest_medline([deletion]).to_dict()
        assert summary["index_refresh"] == "incremental" and summary["library"]["deleted"] == 1
        index = engine.index
        assert index.store.document("41000001") is None and index.store.passages_of("41000001") == []
        assert index.lexical.search(["quokka"], 5) == [] and index.lexical.search(["wombat"], 5) == []
        assert not set(keys) & set(index.vectors.keys.tolist())  # type: ignore[union-attr]
        assert index.manifest.counts["documents"] == 60 and index.lexical.num_docs == index.manifest.counts["passages"]
        assert "quokka" not in index.store.vocabulary() and "quokka" not in dict(
            sqlite3.connect(data / "index" / "metadata.sqlite").execute("SELECT term, df FROM vocabulary"))
    finally:
        engine.close()


def _files(folder: Path) -> dict[str, tuple[int, str]]:
    return {p.name: (p.stat().st_ino, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".lock")}


def test_the_building_index_never_writes_into_the_live_ones_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    citations = synthetic_citations(200)
    data = tmp_path / "data"
    settings = _settings(data, preset="fast")
    engine = Curbside(settings)
    engine.ingest_medline([write_set(tmp_path / "base.xml", citations[:180])])
    engine.close()
    update = write_set(tmp_path / "update.xml", citations[180:] + _revised(citations[:10]), deletions=[citations[50].pmid])
    live_tantivy = data / "index" / "tantivy"
    before = _files(live_tantivy)
    live_index = {p.name: p.read_bytes() for p in (data / "index").iterdir() if p.is_file()}

    # A refresh that fails at its very end (the switch): the live index is as it was, no building folder stays.
    def fail(*_args: object) -> None:
        raise OSError("switch refused (test)")

    monkeypatch.setattr("curbside.retrieval.index.switch_into_place", fail)
    with pytest.raises(OSError, match="switch refused"):
        Curbside(settings).ingest_medline([update])
    assert _files(live_tantivy) == before
    assert {p.name: p.read_bytes() for p in (data / "index").iterdir() if p.is_file()} == live_index
    assert not (data / "index.building").exists()
    monkeypatch.undo()

    engine = Curbside(settings)
    summary = engine.ingest_medline([update]).to_dict()  # the file was not marked done: it is read again
    assert summary["index_refresh"] == "incremental"
    after = _files(data / "index" / "tantivy")
    linked = {name for name, (inode, _h) in after.items() if name in before and before[name][0] == inode}
    assert linked, "no segment file was hard-linked"
    assert all(after[name][1] == before[name][1] for name in linked)  # linked files never changed
    assert "meta.json" not in linked and ".managed.json" not in linked  # tantivy's rewritten files are copies
    assert after["meta.json"][1] != before["meta.json"][1]  # a new commit: new segments and deletes
    assert any(name.endswith(".del") for name in set(after) - set(before))  # the deletions went to new files
    assert engine.index.lexical.num_docs == engine.index.manifest.counts["passages"]
    engine.close()


def test_a_large_change_or_an_old_index_rebuilds_in_full(tmp_path: Path) -> None:
    citations = synthetic_citations(100)
    data = tmp_path / "data"
    engine = Curbside(_settings(data, preset="fast"))
    engine.ingest_medline([write_set(tmp_path / "a.xml", citations[:60])])
    summary = engine.ingest_medline([write_set(tmp_path / "b.xml", citations[60:])]).to_dict()  # 40 of 100
    assert summary["index_refresh"] == "full"
    summary = engine.ingest_medline([write_set(tmp_path / "c.xml", [], deletions=[citations[0].pmid])]).to_dict()
    assert summary["index_refresh"] == "incremental"
    # An index from before incremental refresh (no next_passage_key in its manifest) is rebuilt in full.
    manifest_path = data / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.pop("next_passage_key")
    manifest_path.write_text(json.dumps(manifest))
    messages: list[str] = []
    engine.close()
    result = Curbside(_settings(data, preset="fast")).ingest_documents(
        iter_medline(write_set(tmp_path / "d.xml", [], deletions=[citations[1].pmid]), IngestReport()),
        kind="medline", report=IngestReport(), progress=messages.append)
    assert result.to_dict()["index_refresh"] == "full"
    assert any("built before incremental refresh" in m for m in messages)


def _cli(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from curbside.cli.main import main; main()", "--data-dir", str(data), "--preset", "fast", *args]


@pytest.mark.slow  # a 3,000-citation index, then an update in subprocesses, one killed mid-refresh
def test_kill_9_during_an_incremental_refresh_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    citations = synthetic_citations(3400)
    base = write_set(tmp_path / "base.xml", citations[:3000])
    update = write_set(tmp_path / "update.xml", citations[3000:] + _revised(citations[:200]),
                       deletions=[c.pmid for c in citations[500:540]])
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    engine = Curbside(_settings(clean, preset="fast"))
    engine.ingest_medline([base])
    engine.close()
    shutil.copytree(clean, crashed)
    live_manifest = (crashed / "index" / "manifest.json").read_text()

    done = subprocess.run(_cli(clean, "ingest", "medline", str(update)), check=True, env=env, capture_output=True,
                          text=True, timeout=300)
    assert json.loads(done.stdout)["index_refresh"] == "incremental"

    process = subprocess.Popen(_cli(crashed, "ingest", "medline", str(update)), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not (crashed / "index.building" / "tantivy").exists():
        time.sleep(0.002)
    assert process.poll() is None, "the ingest finished before it could be killed"
    time.sleep(0.05)  # into the refresh: links, copies, tantivy's writer
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert (crashed / "index" / "manifest.json").read_text() == live_manifest  # the live index was not touched
    Index(crashed, _settings(crashed, preset="fast")).close()  # and it is complete

    rerun = subprocess.run(_cli(crashed, "ingest", "medline", str(update)), env=env, capture_output=True, text=True,
                           timeout=300, check=True)
    assert json.loads(rerun.stdout)["index_refresh"] == "incremental"
    assert not (crashed / "index.building").exists()
    settings = _settings(clean, preset="fast")
    clean_state, crashed_state = _state(clean, settings), _state(crashed, settings)
    assert clean_state == crashed_state
    with sqlite3.connect(clean / "library.sqlite") as a, sqlite3.connect(crashed / "library.sqlite") as b:
        query = "SELECT doc_id, content_hash FROM documents ORDER BY doc_id"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
    manifests = [json.loads((d / "index" / "manifest.json").read_text()) for d in (clean, crashed)]
    for key in ("counts", "corpus_snapshot", "next_passage_key", "lexical_deleted_passages", "refresh"):
        assert manifests[0][key] == manifests[1][key], key


def test_the_stored_json_is_the_same_bytes_as_dataclasses_asdict_gave() -> None:
    """document_to_json builds its dict field by field for speed; content hashes must not change (else every stored
    document would count as updated at its next ingest)."""
    from dataclasses import asdict

    from curbside.corpus.library import document_to_json
    from curbside.corpus.starter import iter_starter_documents

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    docs = list(iter_starter_documents(fixtures / "corpus", IngestReport()))
    docs += [d for d in iter_medline(fixtures / "medline" / "pubmed_sample.xml", IngestReport()) if isinstance(d, Document)]
    assert len(docs) > 15
    for doc in docs:
        data = asdict(doc)
        data["doc_type"] = str(doc.doc_type)
        expected = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert document_to_json(doc) == expected, doc.doc_id

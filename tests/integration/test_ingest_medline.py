"""`curbside ingest medline` and `curbside show` over a data directory: sources add up in the library, re-ingest
changes nothing, a newer version replaces the old one everywhere (metadata, lexical index, vectors), deletions
apply, retracted citations are never cited, expressions of concern are flagged, and a kill -9 mid-ingest followed
by a rerun equals an uninterrupted run. All with the fast preset (no embedding model) except where vectors are
the point, and those use vectors planted in the embedding cache."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.corpus.documents import IngestReport
from curbside.corpus.library import Library
from curbside.corpus.loaders.common import read_jsonl
from curbside.engine import Curbside
from curbside.retrieval.dense import EMBEDDING_DIM, Embedder, EmbeddingCache
from curbside.retrieval.index import Index, embedding_text
from curbside.settings import load_settings
from support.medline_xml import Citation, synthetic_citations, write_set

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIXTURES / "medline" / "pubmed_sample.xml"
FIXTURE_CORPUS = FIXTURES / "corpus"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj={})
    return result.exit_code, result.stdout, result.stderr


def search_ids(data_dir: Path, query: str, k: int = 10) -> list[str]:
    code, out, err = run("--data-dir", str(data_dir), "--preset", "fast", "search", query, "--k", str(k), "--format", "json")
    assert code == 0, err
    return [hit["doc_id"] for hit in json.loads(out)["results"]]


@pytest.fixture
def starter_plus_medline(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    code, _, err = run("--data-dir", str(data), "--preset", "fast", "ingest", "starter", "--corpus-dir", str(FIXTURE_CORPUS))
    assert code == 0, err
    code, out, err = run("--data-dir", str(data), "--preset", "fast", "ingest", "medline", str(SAMPLE))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["library"] == {"added": 5, "updated": 0, "unchanged": 2, "deleted": 0, "retracted": 1, "skipped": 0}
    assert "5 added" in err and "1 retracted" in err and "Done in" in err  # the summary line
    assert "pubmed_sample.xml:85: missing PMID" in err  # bad records: file and line
    return data


def test_medline_adds_to_the_starter_corpus_and_show_prints_documents(starter_plus_medline: Path) -> None:
    data = str(starter_plus_medline)
    info = json.loads(run("--data-dir", data, "info")[1])
    assert info["kind"] == "starter+medline" and info["corpus_snapshot"].startswith("library-")
    starter_only = Curbside(load_settings(environ={}, data_dir=Path(data), preset="fast"))
    assert info["counts"]["documents"] == 15 + 5  # the starter fixture's 15 documents are all still there
    assert starter_only.show("uspstf-900")["source"] == "uspstf"
    assert "31000001" in search_ids(starter_plus_medline, "rituximab anti-MDA5 dermatomyositis survival")

    code, out, _ = run("--data-dir", data, "show", "31000001", "--format", "json")
    record = json.loads(out)
    assert code == 0 and record["doc_type"] == "rct" and record["version"] == "1"
    assert record["retracted"] is False and record["concern"] is False
    assert record["pmcid"] == "PMC6500001" and record["mesh_terms"][0] == "Dermatomyositis"
    assert record["sections"][0]["passage_id"] == "31000001#0" and "hazard ratio" in record["sections"][0]["text"]
    assert json.loads(run("--data-dir", data, "show", "PMC6500001", "--format", "json")[1])["doc_id"] == "31000001"
    retracted = json.loads(run("--data-dir", data, "show", "PMID:31000002", "--format", "json")[1])
    assert retracted["retracted"] is True and retracted["concern"] is False
    assert json.loads(run("--data-dir", data, "show", "31000003", "--format", "json")[1])["concern"] is True
    code, out, _ = run("--data-dir", data, "show", "31000002")
    assert code == 0 and "RETRACTED" in out and "Tacrolimus versus cyclosporine" in out
    code, out, err = run("--data-dir", data, "show", "99999999")
    assert code == 2 and "No document '99999999'" in err and "Traceback" not in err + out


def test_retracted_citations_are_never_cited_and_concern_is_flagged(starter_plus_medline: Path) -> None:
    engine = Curbside(load_settings(environ={}, data_dir=starter_plus_medline, preset="fast"))
    try:
        question = "Does tacrolimus or cyclosporine improve survival in MDA5 dermatomyositis?"
        assert "31000002" in [h.document.doc_id for h in engine.search(question)]  # found, searchable
        article = engine.ask(question)
        assert "31000002" not in {r.doc_id for r in article.references}
        assert "31000002" not in article.to_json()

        flagged = engine.ask("Does plasma exchange improve oxygenation in refractory anti-MDA5 dermatomyositis?")
        refs = {r.doc_id: r for r in flagged.references}
        assert refs["31000003"].flags == ["expression_of_concern"]
        assert all(r.flags == [] for doc_id, r in refs.items() if doc_id != "31000003")
        from curbside.writing.render import to_html, to_markdown
        assert "[Expression of concern published about this article]" in to_markdown(flagged)
        assert "Expression of concern published about this article" in to_html(flagged)
    finally:
        engine.close()


def test_reingest_changes_nothing_and_updates_replace_everywhere(starter_plus_medline: Path, tmp_path: Path) -> None:
    data = str(starter_plus_medline)
    manifest_before = json.loads((starter_plus_medline / "index" / "manifest.json").read_text())
    hits_before = search_ids(starter_plus_medline, "anti-MDA5 dermatomyositis interstitial lung disease")

    # The same file again: skipped as a whole, or with --force read record by record; either way nothing changes.
    code, out, _ = run("--data-dir", data, "--preset", "fast", "ingest", "medline", str(SAMPLE))
    assert code == 0 and json.loads(out)["files_skipped"] == 1
    code, out, _ = run("--data-dir", data, "--preset", "fast", "ingest", "medline", "--force", str(SAMPLE))
    summary = json.loads(out)
    assert summary["library"] == {"added": 0, "updated": 0, "unchanged": 7, "deleted": 0, "retracted": 0, "skipped": 0}
    assert summary["index_rebuilt"] is False
    assert json.loads((starter_plus_medline / "index" / "manifest.json").read_text()) == manifest_before
    assert search_ids(starter_plus_medline, "anti-MDA5 dermatomyositis interstitial lung disease") == hits_before

    # An update file: a revised abstract, an older version (skipped), a deletion.
    update = write_set(tmp_path / "pubmed25n1001.xml.gz", [
        Citation("31000001", "Rituximab for anti-MDA5 dermatomyositis: revised report.",
                 sections=(("RESULTS", "Survival with zanubrutinib-free rituximab regimens was unchanged."),),
                 publication_types=("Randomized Controlled Trial",)),
        Citation("31000006", "An older version of the guideline", sections=(("", "Obsolete wording quokka."),)),
    ], deletions=["31000007"])
    code, out, _ = run("--data-dir", data, "--preset", "fast", "ingest", "medline", str(update))
    assert json.loads(out)["library"] == {"added": 0, "updated": 1, "unchanged": 0, "deleted": 1, "retracted": 0,
                                          "skipped": 1}
    code, out, _ = run("--data-dir", data, "--preset", "fast", "search", "hazard ratio 0.41 six-month survival placebo",
                       "--format", "json")
    old_text = [h for h in json.loads(out)["results"] if "0.41" in h["text"] or "Sixty adults" in h["text"]]
    assert code == 0 and old_text == []  # the old abstract is gone from the lexical index
    assert "31000001" in search_ids(starter_plus_medline, "zanubrutinib")
    assert "31000006" not in search_ids(starter_plus_medline, "quokka")
    assert "31000007" not in search_ids(starter_plus_medline, "fatal respiratory failure pulse steroids")
    assert run("--data-dir", data, "show", "31000007")[0] == 2
    shown = json.loads(run("--data-dir", data, "show", "31000001", "--format", "json")[1])
    assert [s["text"] for s in shown["sections"]] == ["Survival with zanubrutinib-free rituximab regimens was unchanged."]
    index = Index(starter_plus_medline, load_settings(environ={}, preset="fast"))
    try:
        assert index.store.document("31000007") is None
        assert [p.text for p in index.store.passages_of("31000001")] == shown["sections"][0]["text"].split("\n")
    finally:
        index.close()


def test_an_update_replaces_the_vectors_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Vectors come from the embedding cache (planted here: no model is loaded); after an update the index holds
    the revised passage's vector and not the old one's."""
    monkeypatch.setattr("curbside.retrieval.index.build_onnx_encoder", lambda *a, **k: None)
    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    assert settings.embedding.enabled
    old = Citation("555", "Aspirin after stroke", sections=(("RESULTS", "Old finding about aspirin."),))
    new = Citation("555", "Aspirin after stroke", sections=(("RESULTS", "New finding about aspirin."),))
    texts = {}
    for name, citation in (("old", old), ("new", new)):
        from curbside.corpus.loaders.medline import iter_medline
        doc = next(iter(iter_medline(write_set(tmp_path / f"{name}.xml", [citation]), IngestReport())))
        texts[name] = embedding_text(doc, doc.passages[0].section, doc.passages[0].text, True)
    rng = np.random.default_rng(0)
    planted = {name: (v / np.linalg.norm(v)).astype(np.float32) for name, v in
               (("old", rng.normal(size=EMBEDDING_DIM)), ("new", rng.normal(size=EMBEDDING_DIM)))}
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite")
    model_id = Embedder(settings.embedding).model_id
    cache.put_many([(EmbeddingCache.key(model_id, texts[n]), planted[n]) for n in ("old", "new")])
    cache.close()

    engine = Curbside(settings)
    engine.ingest_medline([tmp_path / "old.xml"])
    assert engine.index.manifest.counts["vectors"] == 1
    assert np.allclose(engine.index.vectors.vectors[0], planted["old"])  # type: ignore[union-attr]
    result = engine.ingest_medline([tmp_path / "new.xml"])
    assert result.library is not None and result.library.updated == 1
    vectors = engine.index.vectors.vectors  # type: ignore[union-attr]
    assert len(vectors) == 1 and np.allclose(vectors[0], planted["new"])
    engine.close()


def test_the_starter_pmc_trials_through_the_pubmed_path(tmp_path: Path) -> None:
    """The fixture corpus's PMC trials, written as PubMed records (PubmedArticleSet), replace their starter
    records under the same PMID: no duplicates, the type stays rct, and MEDLINE's MeSH terms are kept."""
    data = tmp_path / "data"
    engine = Curbside(load_settings(environ={}, data_dir=data, preset="fast"))
    engine.ingest_starter(FIXTURE_CORPUS)
    before = engine.index.manifest.counts["documents"]
    trials = [r for _, r in read_jsonl(FIXTURE_CORPUS / "pmc_rct" / "pmc_rct_abstracts.jsonl", IngestReport())
              if r.get("pmid") and r.get("abstract_sections") and isinstance(r["abstract_sections"][0], dict)]
    assert trials
    path = write_set(tmp_path / "pmc_trials.xml", [
        Citation(r["pmid"], r["title"], sections=[(s["label"], s["text"]) for s in r["abstract_sections"]],
                 year=int(r["year"]), doi=r.get("doi"), pmcid=r["pmcid"], mesh=("Randomized Controlled Trials as Topic",),
                 publication_types=("Journal Article", "Randomized Controlled Trial"))
        for r in trials
    ])
    result = engine.ingest_medline([path])
    assert result.library is not None and result.library.added == 0 and result.library.updated == len(trials)
    assert engine.index.manifest.counts["documents"] == before
    for r in trials:
        shown = engine.show(r["pmid"])
        assert shown["doc_type"] == "rct" and shown["source"] == "medline" and shown["pmcid"] == r["pmcid"]
        assert shown["mesh_terms"] == ["Randomized Controlled Trials as Topic"]
    engine.close()


def _library_rows(data: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data / "library.sqlite") as db:
        return sorted(db.execute("SELECT doc_id, content_hash FROM documents"))


def _cli(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from curbside.cli.main import main; main()", "--data-dir", str(data), "--preset", "fast", *args]


@pytest.mark.slow  # three ingests of 3,000 citations in subprocesses
def test_kill_9_mid_ingest_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    big = write_set(tmp_path / "BIG.xml", synthetic_citations(3000))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    subprocess.run(_cli(clean, "ingest", "medline", str(big)), check=True, env=env, capture_output=True, timeout=300)

    process = subprocess.Popen(_cli(crashed, "ingest", "medline", str(big)), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    rows = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(f"file:{crashed / 'library.sqlite'}?mode=ro", uri=True, timeout=1) as db:
                rows = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        except sqlite3.Error:
            rows = 0
        if rows:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the ingest finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert 0 < rows < 3000
    assert 0 < len(_library_rows(crashed)) < 3000  # some batches committed, not all

    rerun = subprocess.run(_cli(crashed, "ingest", "medline", str(big)), env=env, capture_output=True, text=True,
                           timeout=300, check=True)
    counts = json.loads(rerun.stdout)["library"]
    assert counts["added"] + counts["unchanged"] == 3000 and counts["unchanged"] > 0

    assert _library_rows(crashed) == _library_rows(clean)  # no duplicates, nothing lost
    manifests = [json.loads((d / "index" / "manifest.json").read_text()) for d in (clean, crashed)]
    assert manifests[0]["counts"] == manifests[1]["counts"] and manifests[0]["counts"]["documents"] == 3000
    assert manifests[0]["corpus_snapshot"] == manifests[1]["corpus_snapshot"]
    assert not (crashed / "index.building").exists()
    query = "colchicine stroke record 2321"
    assert search_ids(crashed, query) == search_ids(clean, query) and search_ids(clean, query)[0] == "40002321"

"""Equal scores are ranked by passage id, not by the passage keys an index happened to number them with: two
indexes of the same documents built in a different order (as an incremental refresh and a full rebuild are)
give the same hits in the same order."""

from __future__ import annotations

from pathlib import Path

from curbside.corpus.documents import DocType, Document
from curbside.retrieval.index import Index, build_index
from curbside.retrieval.search import Searcher
from curbside.settings import load_settings

TEXT = "Colchicine after myocardial infarction lowered the rate of ischemic cardiovascular events."


def _twin(doc_id: str) -> Document:
    doc = Document(doc_id=doc_id, source="pubmed", title="Colchicine trial", doc_type=DocType.RCT, year=2019)
    doc.add_passage("RESULTS", TEXT)  # the same words: BM25 gives every twin the same score
    return doc


def _hits(data: Path, doc_ids: list[str], k: int) -> list[str]:
    settings = load_settings(preset="fast", data_dir=data, environ={})
    build_index(data, [_twin(d) for d in doc_ids], settings, kind="test", corpus_snapshot="t", rebuild_command="-")
    index = Index(data, settings)
    try:
        return [h.passage.passage_id for h in Searcher(index, settings.retrieval).search("colchicine myocardial infarction", k)]
    finally:
        index.close()


def test_ties_are_ordered_by_passage_id_whatever_the_ingest_order(tmp_path: Path) -> None:
    ids = ["31733140", "20000001", "4000002", "99"]
    forward = _hits(tmp_path / "forward", ids, k=2)
    backward = _hits(tmp_path / "backward", list(reversed(ids)), k=2)
    # the cut falls inside the tie: the same two win, by id, in both indexes
    assert forward == backward == ["20000001#0", "31733140#0"]
    assert _hits(tmp_path / "all", list(reversed(ids)), k=10) == ["20000001#0", "31733140#0", "4000002#0", "99#0"]

"""The loaders on the real starter corpus in ../shared/corpus (skipped where it is absent)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.drugs import load_drug_names
from curbside.corpus.mesh import load_mesh_names, natural_order
from curbside.corpus.starter import (
    corpus_snapshot_id,
    drug_names_path,
    iter_starter_documents,
    mesh_names_path,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"starter corpus not found at {CORPUS}"),
]


@pytest.fixture(scope="module")
def loaded() -> tuple[list[Document], IngestReport]:
    report = IngestReport()
    return list(iter_starter_documents(CORPUS, report)), report


def by_source(docs: list[Document], source: str) -> list[Document]:
    return [d for d in docs if d.source == source]


def test_every_document_is_well_formed(loaded: tuple[list[Document], IngestReport]) -> None:
    docs, report = loaded
    assert len({d.doc_id for d in docs}) == len(docs)
    for doc in docs:
        assert doc.passages and doc.title
        assert all(p.text and p.passage_id == f"{doc.doc_id}#{p.ordinal}" for p in doc.passages)
    assert report.documents_by_source == dict(Counter(d.source for d in docs))


def test_uspstf_topics_and_graded_recommendations(loaded: tuple[list[Document], IngestReport]) -> None:
    docs = by_source(loaded[0], "uspstf")
    assert len(docs) == 90
    graded = [p for d in docs for p in d.passages if p.grade]
    assert len(graded) == 143
    assert {p.grade for p in graded} == {"A", "B", "C", "D", "I"}
    assert all(d.doc_type is DocType.GUIDELINE and d.grade_scheme and d.year for d in docs)
    assert not any("\u00e2\u20ac" in p.text for d in docs for p in d.passages)  # mojibake repaired


def test_ngc_guidelines(loaded: tuple[list[Document], IngestReport]) -> None:
    docs = by_source(loaded[0], "ngc")
    assert len(docs) == 116
    assert Counter(d.organization for d in docs)["U.S. Preventive Services Task Force"] == 63
    text = "\n".join(p.text for d in docs for p in d.passages)
    assert "[EO]" in text and "[B]" in text
    assert all(d.year and d.year >= 2013 for d in docs)


def test_pubmedqa_documents_end_with_the_long_answer(loaded: tuple[list[Document], IngestReport]) -> None:
    docs = by_source(loaded[0], "pubmedqa")
    assert len(docs) == 1000
    raw = json.loads((CORPUS / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    for doc in docs:
        assert doc.passages[-1].section == "CONCLUSIONS"
        assert doc.passages[-1].text == raw[doc.doc_id]["LONG_ANSWER"].strip()
    types = Counter(d.doc_type for d in docs)
    assert types[DocType.OBSERVATIONAL] > 500 and types[DocType.RCT] > 20


def test_pmc_trials(loaded: tuple[list[Document], IngestReport]) -> None:
    docs, report = loaded
    trials = by_source(docs, "pmc_rct")
    # 3,285 articles; about a hundred have no abstract text and are reported.
    assert 3100 <= len(trials) <= 3285
    assert Counter(d.doc_type for d in trials)[DocType.RCT] > 3000
    assert any(d.doc_id.startswith("PMC") and d.pmid is None for d in trials)
    skipped = [p for p in report.problems if "no abstract text" in p.message]
    assert len(trials) + len(skipped) <= 3285


def test_medquad_pages_grouped_by_source_and_doc_id(loaded: tuple[list[Document], IngestReport]) -> None:
    docs = by_source(loaded[0], "medquad")
    pages: set[tuple[str, str]] = set()
    with (CORPUS / "medquad" / "medquad_answered.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            pages.add((record["source"], record["doc_id"] or record["qid"].rsplit("-", 1)[0]))
    assert len(docs) == len(pages)
    assert "medquad-GARD_0004450" in {d.doc_id for d in docs}  # the id LiveQA judgments use
    assert all(d.doc_type is DocType.PATIENT_INFORMATION for d in docs)


def test_spl_labels_and_the_fragment(loaded: tuple[list[Document], IngestReport]) -> None:
    docs, report = loaded
    labels = by_source(docs, "spl")
    assert len(labels) == 2
    viagra = next(d for d in labels if "Viagra" in d.title)
    sections = {p.section.split(" > ")[0] for p in viagra.passages}
    assert {"Indications and Usage", "Contraindications", "Warnings and Precautions", "Adverse Reactions"} <= sections
    assert any(Path(p.file).name == "spl_methoxsalen_fragment.xml" for p in report.problems)


def test_brand_to_generic_examples() -> None:
    path = drug_names_path(CORPUS)
    assert path is not None
    names = {(n.brand, n.generic) for n in load_drug_names(path, IngestReport())}
    for pair in [
        ("truxima", "rituximab"),
        ("actemra", "tocilizumab"),
        ("cellcept", "mycophenolate mofetil"),
        ("plaquenil", "hydroxychloroquine"),
        ("prograf", "tacrolimus"),
    ]:
        assert pair in names


def test_mesh_names() -> None:
    path = mesh_names_path(CORPUS)
    assert path is not None
    report = IngestReport()
    names = load_mesh_names(path, report)
    assert len(names) > 30000 and not report.problems
    assert natural_order("Lung Diseases, Interstitial") == "Interstitial Lung Diseases"


def test_snapshot_id_is_stable() -> None:
    first = corpus_snapshot_id(CORPUS)
    assert first.startswith("starter-") and first == corpus_snapshot_id(CORPUS)
    assert corpus_snapshot_id(CORPUS, include_fulltext=True) != first

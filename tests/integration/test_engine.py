"""End-to-end: build a real index (tantivy, SQLite, MiniLM vectors) from hand-written documents, then search and ask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document
from curbside.engine import Curbside
from curbside.errors import CurbsideError, IndexIncompleteError, IndexMissingError, InvalidQuestionError
from curbside.retrieval.index import build_index


def _documents() -> list[Document]:
    crc = Document(
        "uspstf-999", "uspstf", "Colorectal Cancer: Screening", DocType.GUIDELINE, year=2021,
        organization="U.S. Preventive Services Task Force", url="https://example.org/uspstf/crc",
    )
    crc.add_passage(
        "Colorectal Cancer: Screening -- Adults aged 50 to 75 years",
        "The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years.",
        grade="A",
    )
    crc.add_passage(
        "Colorectal Cancer: Screening -- Adults aged 45 to 49 years",
        "The USPSTF recommends screening for colorectal cancer in adults aged 45 to 49 years.",
        grade="B",
    )
    crc.add_passage(
        "Clinical Considerations > Harms",
        "Colonoscopy for colorectal cancer screening carries a small risk of bleeding and perforation. "
        "Clinicians should monitor patients after polypectomy for delayed bleeding.",
    )
    statin = Document(
        "31000001", "pmc_rct", "Atorvastatin and atrial fibrillation after coronary artery bypass grafting",
        DocType.RCT, year=2019, organization="Journal of Trials", pmid="31000001",
        url="https://pubmed.ncbi.nlm.nih.gov/31000001/",
    )
    statin.add_passage("METHODS", "Patients undergoing CABG were randomized to atorvastatin 40 mg or placebo before surgery.")
    statin.add_passage(
        "RESULTS",
        "Postoperative atrial fibrillation after CABG occurred in 18% of the atorvastatin group and 33% of the "
        "placebo group (odds ratio 0.45, 95% CI 0.26 to 0.78).",
    )
    statin.add_passage("CONCLUSIONS", "Statin loading before CABG reduced postoperative atrial fibrillation.")
    review = Document(
        "31000002", "pubmedqa", "Rituximab in refractory dermatomyositis: a systematic review",
        DocType.SYSTEMATIC_REVIEW, year=2020, pmid="31000002",
    )
    review.add_passage(
        "RESULTS",
        "Rituximab achieved a clinical response in 78% of patients with refractory dermatomyositis across 12 studies.",
    )
    patient = Document(
        "medquad-1", "medquad", "Colorectal cancer", DocType.PATIENT_INFORMATION, organization="National Cancer Institute"
    )
    patient.add_passage(
        "What is colorectal cancer?",
        "Colorectal cancer is a disease in which cells in the colon or rectum grow out of control. "
        "Screening tests can find colorectal cancer early, when treatment works best.",
    )
    asthma = Document("medquad-2", "medquad", "Asthma", DocType.PATIENT_INFORMATION)
    asthma.add_passage("What is asthma?", "Asthma is a chronic disease of the airways that makes breathing difficult.")
    label = Document("spl-1", "spl", "Lipitor (atorvastatin calcium) label", DocType.DRUG_LABEL, year=2020)
    label.add_passage(
        "Adverse Reactions",
        "Myalgia with atorvastatin was more frequent at a dose of 80 mg than at a dose of 10 mg in clinical trials.",
    )
    label.add_passage(
        "Dosage and Administration",
        "The recommended starting dose of atorvastatin is 10 or 20 mg once daily; the dosage range is 10 to 80 mg once daily.",
    )
    return [crc, statin, review, patient, asthma, label]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Curbside:
    data_dir = tmp_path_factory.mktemp("data")
    cb = Curbside.open(data_dir)
    build_index(data_dir, _documents(), cb.settings, kind="test", corpus_snapshot="test-snapshot",
                rebuild_command="rebuild-me", drug_names=[("lipitor", "atorvastatin")], mesh_names=[("D1", "Colorectal Neoplasms")])
    return cb


def test_search_finds_the_trial_with_source_metadata(engine: Curbside) -> None:
    hits = engine.search("statin atrial fibrillation after CABG", k=3)
    assert hits[0].document.doc_id == "31000001"
    row = hits[0].to_dict()
    assert {"doc_id", "score", "title", "text", "passage_id", "doc_type", "year"} <= set(row)
    assert hits[0].lexical_rank is not None and hits[0].dense_rank is not None


def test_brand_name_reaches_the_generic(engine: Curbside) -> None:
    hits = engine.search("Lipitor before bypass surgery", k=3, mode="bm25")
    assert hits and hits[0].document.doc_id == "31000001"


def test_misspelled_words_are_corrected_towards_the_index_vocabulary(engine: Curbside) -> None:
    article = engine.ask("Should adults be screened for colorectl cancer?")
    assert ("colorectl", "colorectal", "spelling") in {(e.term, e.expansion, e.kind) for e in article.query.expansions}
    assert article.evidence_status == "sufficient"


def test_dosing_question_quotes_the_labels_dosage_section(engine: Curbside) -> None:
    article = engine.ask("What dose of atorvastatin should be used?")
    label = next(s for s in article.sections if s.id == "label")
    first = label.bullets[0].quotes[0]
    assert first.passage_id == "spl-1#1" and "recommended starting dose" in first.text
    assert article.bottom_line_quotes[0].passage_id == "spl-1#1"


def test_filters_by_type_and_year(engine: Curbside) -> None:
    hits = engine.search("colorectal cancer screening", k=10, doc_types=["guideline"])
    assert hits and {h.document.doc_type for h in hits} == {DocType.GUIDELINE}
    assert all(h.document.year and h.document.year >= 2020 for h in engine.search("cancer", k=10, year_min=2020))
    dense = engine.search("colorectal cancer screening", k=10, doc_types=["rct"], mode="dense")
    assert {h.document.doc_type for h in dense} <= {DocType.RCT}


def test_article_is_guideline_first_and_every_quote_is_at_its_offsets(engine: Curbside) -> None:
    article = engine.ask("Should a 55-year-old woman be screened for colorectal cancer?")
    assert article.title == "Should a 55-year-old woman be screened for colorectal cancer?"
    assert article.evidence_status == "sufficient"
    assert article.sections[0].heading == "From the Guidelines"
    first = article.sections[0].bullets[0]
    assert first.grade in {"A", "B"} and first.strength
    assert article.bottom_line_citations and article.references[article.bottom_line_citations[0] - 1].doc_type == "guideline"
    numbers = [r.number for r in article.references]
    assert numbers == list(range(1, len(numbers) + 1))
    store = engine.index.store
    for section in article.sections:
        for bullet in section.bullets:
            assert bullet.citations and bullet.quotes
            for n in bullet.citations:
                assert 1 <= n <= len(article.references)
            assert article.references[bullet.citations[0] - 1].doc_id == bullet.quotes[0].doc_id
    for quote in article.all_quotes():
        passage = store.passage(quote.passage_id)
        assert passage is not None and passage.doc_id == quote.doc_id
        assert passage.text[quote.start : quote.end] == quote.text
    assert article.corpus_snapshot == "test-snapshot"
    assert article.patient_story.age == 55 and article.patient_story.sex == "female"
    # Off-topic material is never used to pad the article.
    assert "medquad-2" not in {r.doc_id for r in article.references}


def test_same_question_same_article_byte_for_byte(engine: Curbside, tmp_path: Path) -> None:
    question = "statin loading before CABG to prevent atrial fibrillation"
    first = engine.ask(question).to_json()
    assert engine.ask(question).to_json() == first
    # A second index built from the same documents gives the same article too.
    again = Curbside.open(tmp_path / "again")
    build_index(again.data_dir, _documents(), again.settings, kind="test", corpus_snapshot="test-snapshot",
                rebuild_command="rebuild-me", drug_names=[("lipitor", "atorvastatin")], mesh_names=[("D1", "Colorectal Neoplasms")])
    assert again.ask(question).to_json() == first
    assert json.loads(first)["sections"]


def test_thin_evidence_says_so_and_suggests_a_broader_question(engine: Curbside) -> None:
    article = engine.ask("What is the best antifungal for chromoblastomycosis of the foot?")
    assert article.evidence_status == "insufficient"
    assert article.sections == [] and article.bottom_line_quotes == []
    assert "not found in the knowledge base" in article.bottom_line.lower()  # the brief's words for an absence
    assert article.suggested_questions
    assert article.evidence_note and "chromoblastomycosis" in article.evidence_note


@pytest.mark.parametrize("bad", ["", "   ", "x" * 5000, "\x00\x01\x02binary\x00", "%%%% 1234 ####"])
def test_bad_questions_are_refused_clearly(engine: Curbside, bad: str) -> None:
    with pytest.raises(InvalidQuestionError):
        engine.ask(bad)


def test_missing_and_half_built_indexes_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="ingest starter"):
        Curbside.open(tmp_path / "empty").ask("colorectal cancer screening")
    half = tmp_path / "half"
    (half / "index.building").mkdir(parents=True)
    with pytest.raises(IndexIncompleteError, match="ingest starter"):
        Curbside.open(half).ask("colorectal cancer screening")


def test_damaged_index_is_detected_and_rebuild_keeps_old_index_until_done(tmp_path: Path) -> None:
    cb = Curbside.open(tmp_path, preset="fast")
    build_index(tmp_path, _documents(), cb.settings, kind="test", corpus_snapshot="s1", rebuild_command="rebuild-me")
    assert cb.search("asthma airways", k=1)[0].document.doc_id == "medquad-2"
    cb.close()

    def interrupted():  # a build that dies half-way must leave the live index alone
        yield _documents()[0]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, interrupted(), cb.settings, kind="test", corpus_snapshot="s2", rebuild_command="rebuild-me")
    assert Curbside.open(tmp_path, preset="fast").info()["corpus_snapshot"] == "s1"

    sqlite = tmp_path / "index" / "metadata.sqlite"
    sqlite.write_bytes(sqlite.read_bytes()[:100])
    with pytest.raises(IndexIncompleteError, match="rebuild-me"):
        Curbside.open(tmp_path, preset="fast").info()
    shutil.rmtree(tmp_path / "index")


# --- the library calls behind the CLI commands ------------------------------------------------------------------
def test_search_results_carry_the_search_json_envelope(engine: Curbside) -> None:
    results = engine.search_results("statin atrial fibrillation after CABG", k=3)
    assert results.query == "statin atrial fibrillation after CABG" and results.corpus_snapshot == "test-snapshot"
    assert [h.passage.passage_id for h in results] == [h.passage.passage_id for h in engine.search(results.query, k=3)]
    envelope = results.to_dict()
    assert list(envelope) == ["query", "corpus_snapshot", "results"] and len(envelope["results"]) == len(results)
    assert envelope["results"][0]["doc_id"] == "31000001"


def test_ask_many_answers_each_question_and_reports_each_failure(engine: Curbside) -> None:
    answers = list(engine.ask_many([("crc", "Should a 55-year-old woman be screened for colorectal cancer?"),
                                    ("empty", "   "), "statin loading before CABG"]))
    assert [(a.id, a.ok) for a in answers] == [("crc", True), ("empty", False), ("3", True)]
    assert answers[0].article is not None and answers[0].article.id == "crc"
    assert answers[1].article is None and answers[1].error and "empty" in answers[1].error
    assert answers[2].article is not None and answers[2].question == "statin loading before CABG"


def test_schema_is_the_article_json_schema() -> None:
    from curbside.writing.article import Article

    schema = Curbside.schema()
    assert schema == Article.model_json_schema() and "bottom_line" in schema["properties"]


def test_ingest_starter_if_missing_keeps_a_complete_index(engine: Curbside, tmp_path: Path) -> None:
    result = engine.ingest_starter(tmp_path / "no-corpus-here", if_missing=True)
    assert result.skipped and result.manifest.corpus_snapshot == "test-snapshot" and result.problems == []
    assert engine.search("colorectal cancer screening", k=1)  # the index is untouched
    # Without a complete index there is nothing to keep: it builds, here failing on the missing corpus.
    with pytest.raises(CurbsideError, match="--corpus-dir"):
        Curbside.open(tmp_path / "empty").ingest_starter(tmp_path / "no-corpus-here", if_missing=True)

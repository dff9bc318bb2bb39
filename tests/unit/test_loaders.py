"""Corpus loaders on small hand-written fixtures in tests/fixtures/corpus (same formats as the real corpus)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.drugs import DrugName, generic_name, load_drug_names
from curbside.corpus.loaders.bioasq import load_bioasq
from curbside.corpus.loaders.common import (
    chunk_text,
    classify_study,
    pack_parts,
    parse_year,
    read_jsonl,
    repair_mojibake,
    split_markdown_sections,
)
from curbside.corpus.loaders.medquad import load_medquad
from curbside.corpus.loaders.ngc import developer_name, load_ngc
from curbside.corpus.loaders.pmc_rct import fulltext_sections, load_pmc_fulltext, load_pmc_rct
from curbside.corpus.loaders.pubmedqa import load_pubmedqa
from curbside.corpus.loaders.spl import load_spl
from curbside.corpus.loaders.uspstf import load_uspstf
from curbside.corpus.mesh import MeshName, load_mesh_names, natural_order
from curbside.corpus.starter import STARTER_SOURCES, corpus_snapshot_id, iter_starter_documents
from curbside.errors import CorpusNotFoundError, IngestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def load(loader, relative: str, **kwargs) -> tuple[list[Document], IngestReport]:
    report = IngestReport()
    return list(loader(FIXTURES / relative, report, **kwargs)), report


def by_id(docs: list[Document]) -> dict[str, Document]:
    return {d.doc_id: d for d in docs}


def problem_lines(report: IngestReport, file_name: str) -> dict[int, str]:
    return {p.line: p.message for p in report.problems if Path(p.file).name == file_name}


def assert_well_formed(docs: list[Document]) -> None:
    """The invariants every loader promises: unique ids, non-empty passages, ids made by add_passage."""
    ids = [d.doc_id for d in docs]
    assert len(ids) == len(set(ids))
    for doc in docs:
        assert doc.passages, doc.doc_id
        for ordinal, passage in enumerate(doc.passages):
            assert passage.text and passage.text == passage.text.strip()
            assert passage.passage_id == f"{doc.doc_id}#{ordinal}"
            assert passage.doc_id == doc.doc_id


# --- common helpers ------------------------------------------------------------------------------


def test_chunk_text_chunks_are_exact_substrings_within_the_limit() -> None:
    text = "  " + " ".join(f"Sentence {i} is about screening adults for colorectal cancer." for i in range(40)) + "\n"
    chunks = chunk_text(text, 200)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk in text
        assert chunk == chunk.strip()
        assert len(chunk) <= 200
    # Nothing is lost: the chunks cover every sentence in order.
    assert " ".join(chunks) == text.strip()


def test_chunk_text_keeps_an_overlong_sentence_whole_and_bullets_intact() -> None:
    long_sentence = "A" + " very" * 100 + " long sentence."
    text = f"Short one.\n- {long_sentence}\n- Another bullet here."
    chunks = chunk_text(text, 120)
    assert f"- {long_sentence}" in chunks
    assert all(c in text for c in chunks)
    assert chunk_text("   ", 100) == []
    assert chunk_text(" short ", 100) == ["short"]


def test_split_markdown_sections_builds_heading_paths() -> None:
    text = (
        "Intro text.\n## Clinical Considerations\n\n### Screening Tests\n\nUse FIT.\n\n"
        "#### Stool\n\nStool body.\n## Other\nOther body."
    )
    sections = split_markdown_sections(text)
    assert sections == [
        ("", "Intro text."),
        ("Clinical Considerations > Screening Tests", "Use FIT."),
        ("Clinical Considerations > Screening Tests > Stool", "Stool body."),
        ("Other", "Other body."),
    ]
    assert all(body in text for _, body in sections)


def test_pack_parts_merges_short_parts_and_chunks_long_ones() -> None:
    parts = [("BACKGROUND", "Short a."), ("METHODS", "Short b."), ("RESULTS", "x. " * 100), ("CONCLUSIONS", "End.")]
    packed = pack_parts(parts, 120)
    assert packed[0] == ("BACKGROUND / METHODS", "Short a.\n\nShort b.")
    assert all(label == "RESULTS" for label, _ in packed[1:-1])
    assert packed[-1] == ("CONCLUSIONS", "End.")


def test_parse_year_takes_the_latest_year() -> None:
    assert parse_year("2006 Dec (revised 2014)") == 2014
    assert parse_year("2016-02-16") == 2016
    assert parse_year(2012) == 2012
    assert parse_year(None) is None
    assert parse_year("no date") is None


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Statins for primary prevention: a systematic review and meta-analysis", "", DocType.SYSTEMATIC_REVIEW),
        ("Do statins lower mortality?", "MEDLINE and EMBASE were searched up to 2015.", DocType.SYSTEMATIC_REVIEW),
        ("Drug A for migraine", "We randomly assigned 200 adults to drug A or placebo.", DocType.RCT),
        ("A randomised controlled trial of exercise", "A previous systematic review found benefit.", DocType.RCT),
        ("Outcomes after surgery", "In this non-randomized cohort, 300 patients were followed.", DocType.OBSERVATIONAL),
        ("Spinal hematoma after lumbar puncture", "We report a 54-year-old patient.", DocType.CASE_REPORT),
        ("Vitamin D and bone health: a review", "Vitamin D is made in the skin.", DocType.NARRATIVE_REVIEW),
        ("A retrospective review of charts", "We analyzed 120 patients retrospectively.", DocType.OBSERVATIONAL),
        ("Are night shifts linked to obesity?", "We studied a cohort of nurses.", DocType.OBSERVATIONAL),
    ],
)
def test_classify_study(title: str, text: str, expected: DocType) -> None:
    assert classify_study(title, text) is expected


def test_read_jsonl_reports_bad_lines_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\nnot json\n[1]\n{"b": 2}\n', encoding="utf-8")
    report = IngestReport()
    rows = list(read_jsonl(path, report))
    assert rows == [(1, {"a": 1}), (5, {"b": 2})]
    assert [(p.line, p.message.split(":")[0]) for p in report.problems] == [
        (3, "malformed JSON"),
        (4, "expected a JSON object, got list"),
    ]


def test_missing_files_raise_ingest_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    for loader in (load_uspstf, load_ngc, load_medquad, load_pubmedqa, load_pmc_rct, load_bioasq, load_spl):
        with pytest.raises(IngestError, match="nope.jsonl"):
            list(loader(missing, IngestReport()))


def test_repair_mojibake() -> None:
    broken = "n\u00e2\u20ac\u2026=\u00e2\u20ac\u202612 and caf\u00c3\u00a9"
    assert repair_mojibake(broken) == "n\u2005=\u200512 and caf\u00e9"
    assert repair_mojibake("na\u00efve \u2014 ok") == "na\u00efve \u2014 ok"


# --- USPSTF --------------------------------------------------------------------------------------


def test_uspstf_documents_graded_recommendations_first() -> None:
    docs, report = load(load_uspstf, "uspstf/uspstf_recommendations.jsonl")
    assert_well_formed(docs)
    docs_by_id = by_id(docs)
    assert list(docs_by_id) == ["uspstf-900", "uspstf-901"]
    doc = docs_by_id["uspstf-900"]
    assert doc.doc_type is DocType.GUIDELINE
    assert doc.organization == "U.S. Preventive Services Task Force"
    assert doc.year == 2021 and docs_by_id["uspstf-901"].year == 2017  # pubDate, else topicYear
    assert doc.license == "public domain (US government work)"
    assert doc.key_text == doc.title == "Colorectal Cancer: Screening"
    graded = [(p.section, p.grade) for p in doc.passages if p.grade]
    assert graded == [
        ("Colorectal Cancer: Screening -- Adults aged 50 to 75 years", "A"),
        ("Colorectal Cancer: Screening -- Older adults (aged 76 to 85 years)", "C"),
        ("Colorectal Cancer: Screening -- Pregnant persons", "I"),  # "I statement"; placeholder ages left out
    ]
    assert [p.grade for p in doc.passages[:3]] == ["A", "C", "I"]
    assert doc.passages[0].text == (
        "The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years."
    )
    assert "\u2005=\u200512" in doc.passages[2].text  # mojibake repaired
    sections = [p.section for p in doc.passages[3:]]
    assert "Clinical Considerations > Screening Tests" in sections
    assert "Clinical Considerations > Screening Tests > Stool Tests" in sections
    assert sections[-1] == "Recommendations of Others"  # a body without heading gets the field's name
    assert "A: Definition of grade A." in (doc.grade_scheme or "")
    assert problem_lines(report, "uspstf_recommendations.jsonl").keys() == {2, 3}
    assert report.documents_by_source == {"uspstf": 2}


def test_uspstf_long_sections_are_chunked() -> None:
    docs, _ = load(load_uspstf, "uspstf/uspstf_recommendations.jsonl", passage_chars=300)
    benefits = [p for p in docs[0].passages if p.section == "Rationale > Benefits of Early Detection"]
    assert len(benefits) > 1 and all(len(p.text) <= 300 for p in benefits)


# --- NGC -----------------------------------------------------------------------------------------


def test_ngc_keeps_strength_codes_in_text_and_sections_from_headings() -> None:
    docs, report = load(load_ngc, "ngc/ngc_public_domain.jsonl")
    assert_well_formed(docs)
    docs_by_id = by_id(docs)
    assert list(docs_by_id) == ["ngc-90001", "ngc-90002"]
    doc = docs_by_id["ngc-90001"]
    assert doc.doc_type is DocType.GUIDELINE
    assert doc.year == 2014 and doc.url is None
    assert doc.title == "Management of overweight and obesity: a VA/DoD guideline"
    assert doc.organization == "Department of Defense; Department of Veterans Affairs"
    text = "\n".join(p.text for p in doc.passages)
    for code in ("[B]", "[EO]", "[A]", "( B recommendation )", "Strength of Recommendation: Strong"):
        assert code in text
    screening = next(p for p in doc.passages if p.section == "Screening and Assessment > Recommendations")
    assert screening.text.startswith("- Screen adult patients") and screening.text.endswith("[EO]")
    assert doc.passages[-1].section == "Target Population"
    assert doc.passages[-1].text == "Adults with overweight or obesity\nseen in primary care"
    assert doc.grade_scheme is not None and "A strong recommendation." in doc.grade_scheme
    assert "evidence" not in doc.grade_scheme.lower()  # "Not applicable" evidence scheme left out
    assert "Level A: RCTs." in (docs_by_id["ngc-90002"].grade_scheme or "")
    assert "(Level of evidence: A)" in docs_by_id["ngc-90002"].passages[0].text
    lines = problem_lines(report, "ngc_public_domain.jsonl")
    assert lines.keys() == {2, 3, 5}
    assert "major_recommendations" in lines[2] and "duplicate" in lines[5]


def test_developer_name_drops_the_kind() -> None:
    assert developer_name("U.S. Preventive Services Task Force - Independent Expert Panel") == (
        "U.S. Preventive Services Task Force"
    )


# --- MedQuAD -------------------------------------------------------------------------------------


def test_medquad_groups_pairs_by_source_and_doc_id() -> None:
    docs, report = load(load_medquad, "medquad/medquad_answered.jsonl", passage_chars=300)
    assert_well_formed(docs)
    # "0000001" exists in GARD and GHR: two pages, not one; a missing doc_id comes from the qid.
    assert [d.doc_id for d in docs] == ["medquad-GARD_0000001", "medquad-GHR_0000001", "medquad-CDC_0000397"]
    gard = docs[0]
    assert gard.doc_type is DocType.PATIENT_INFORMATION
    assert gard.title == "Noonan syndrome" and gard.year is None and gard.license == "CC BY 4.0"
    assert gard.organization == "Genetic and Rare Diseases Information Center (NIH)"
    assert gard.key_text == "Noonan syndrome: What is (are) Noonan syndrome ?"
    symptoms = [p for p in gard.passages if p.section == "What are the symptoms of Noonan syndrome ?"]
    assert len(symptoms) > 1  # the long answer is chunked, every chunk under its question
    assert gard.passages[-1].section == "How to diagnose Noonan syndrome ?"  # later line, same page
    assert docs[1].organization == "Genetics Home Reference (NLM)"
    lines = problem_lines(report, "medquad_answered.jsonl")
    assert lines.keys() == {4, 5, 7}
    assert "repeated" in lines[4] and "answer" in lines[5] and "malformed JSON" in lines[7]


# --- PubMedQA ------------------------------------------------------------------------------------


def test_pubmedqa_long_answer_is_its_own_conclusions_passage() -> None:
    docs, report = load(load_pubmedqa, "pubmedqa/ori_pqal.json")
    assert_well_formed(docs)
    docs_by_id = by_id(docs)
    assert set(docs_by_id) == {"10000001", "10000002", "10000003", "23456789"}
    doc = docs_by_id["10000001"]
    assert doc.pmid == "10000001" and doc.year == 2017
    assert doc.title == doc.key_text == "Does aspirin prevent preeclampsia in high-risk women?"
    assert doc.url == "https://pubmed.ncbi.nlm.nih.gov/10000001/"
    assert doc.license == "MIT (PubMedQA)"
    assert doc.passages[-1].section == "CONCLUSIONS"
    assert doc.passages[-1].text == "Low-dose aspirin reduced preeclampsia in high-risk women."
    assert doc.passages[0].section == "BACKGROUND / METHODS / RESULTS"  # short contexts merged
    assert doc.doc_type is DocType.RCT
    assert docs_by_id["10000002"].doc_type is DocType.SYSTEMATIC_REVIEW
    assert docs_by_id["10000002"].year is None
    assert docs_by_id["10000003"].doc_type is DocType.OBSERVATIONAL
    messages = [p.message for p in report.problems]
    assert len(messages) == 2 and any("10000004" in m for m in messages) and any("10000005" in m for m in messages)
    assert all(p.line == 0 for p in report.problems)


def test_pubmedqa_malformed_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "ori_pqal.json"
    path.write_text('{"1": {"QUESTION": ', encoding="utf-8")
    report = IngestReport()
    assert list(load_pubmedqa(path, report)) == []
    assert len(report.problems) == 1 and report.problems[0].line == 0
    assert report.problems[0].message.startswith("malformed JSON")


# --- PMC RCT -------------------------------------------------------------------------------------


def test_pmc_rct_ids_metadata_and_passages() -> None:
    docs, report = load(load_pmc_rct, "pmc_rct/pmc_rct_abstracts.jsonl", passage_chars=300)
    assert_well_formed(docs)
    docs_by_id = by_id(docs)
    assert list(docs_by_id) == ["20000001", "PMC1000002", "23456789", "20000007"]
    trial = docs_by_id["20000001"]
    assert trial.doc_type is DocType.RCT
    assert (trial.pmid, trial.pmcid, trial.doi) == ("20000001", "PMC1000001", "10.1000/xPMC1000001")
    assert trial.organization == "Trials & Tribulations"  # HTML entities decoded
    assert trial.url == "https://pubmed.ncbi.nlm.nih.gov/20000001/"
    assert trial.license == "cc-by (open-access)" and trial.year == 2015
    assert trial.passages[0].section == "BACKGROUND / METHODS / RESULTS / CONCLUSIONS"
    assert "supplementary" not in " ".join(p.text for p in trial.passages)
    no_pmid = docs_by_id["PMC1000002"]
    assert no_pmid.pmid is None and no_pmid.url == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1000002/"
    assert no_pmid.title == "Blood\u2013pressure lowering in stroke"
    assert no_pmid.doc_type is DocType.RCT  # no design words: falls back to RCT
    assert len(no_pmid.passages) > 1 and all(p.section == "ABSTRACT" for p in no_pmid.passages)
    assert docs_by_id["20000007"].doc_type is DocType.SYSTEMATIC_REVIEW
    lines = problem_lines(report, "pmc_rct_abstracts.jsonl")
    assert lines.keys() == {3, 4, 5}


def test_pmc_fulltext_reads_the_gz_jsonl(tmp_path: Path) -> None:
    text = (
        "TITLE: \nA trial\n\nABSTRACT.METHODS:\nWe randomised 50 adults.\n\n"
        "BODY.RESULTS:\nPain fell.\n\nBODY.COMPETING INTERESTS:\nNone.\n"
    )
    path = tmp_path / "pmc_rct_fulltext.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"pmcid": "PMC9", "pmid": "99", "text": text, "article_title": "A trial"}) + "\n")
        handle.write("oops\n")
    report = IngestReport()
    docs = list(load_pmc_fulltext(path, report))
    assert [d.doc_id for d in docs] == ["99"]
    assert [(p.section, p.text) for p in docs[0].passages] == [
        ("METHODS / Full text > RESULTS", "We randomised 50 adults.\n\nPain fell.")  # competing interests left out
    ]
    assert [p.line for p in report.problems] == [2]
    assert fulltext_sections(text)[0] == ("METHODS", "We randomised 50 adults.")


# --- SPL -----------------------------------------------------------------------------------------


def test_spl_sections_named_by_loinc_and_bad_files_reported() -> None:
    docs, report = load(load_spl, "drug_labels")
    assert_well_formed(docs)
    assert len(docs) == 1
    doc = docs[0]
    assert doc.doc_id == "spl-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert doc.doc_type is DocType.DRUG_LABEL
    assert doc.title == "Testra (testazole sodium) label"
    assert doc.organization == "Example Pharma Inc" and doc.year == 2019
    assert doc.url == "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    sections = [p.section for p in doc.passages]
    assert sections == ["Indications and Usage", "Warnings and Precautions > Liver Injury", "Adverse Reactions"]
    assert doc.passages[0].text == "TESTRA is indicated for the treatment of testitis in adults."
    liver = doc.passages[1].text
    assert "Monitor liver tests, especially in the first month." in liver  # footnote moved out of the sentence
    assert "- Do not restart after hepatitis." in liver and liver.endswith("ALT above 3 times the upper limit.")
    assert "Headache | 12% | 5%" in doc.passages[2].text
    assert "NDC" not in " ".join(p.text for p in doc.passages)  # package label panel skipped
    problems = {Path(p.file).name: p for p in report.problems}
    assert problems["spl_broken.xml"].line == 0 and problems["spl_broken.xml"].message.startswith("malformed XML")
    assert "no label text" in problems["spl_indexing_only.xml"].message


# --- BioASQ --------------------------------------------------------------------------------------


def test_bioasq_snippets_become_passages() -> None:
    docs, report = load(load_bioasq, "bioasq/corpus.jsonl")
    assert_well_formed(docs)
    docs_by_id = by_id(docs)
    assert list(docs_by_id) == ["30000001", "30000002", "30000003"]
    first = docs_by_id["30000001"]
    assert first.doc_type is DocType.OBSERVATIONAL and first.pmid == "30000001"
    assert first.key_text == first.title == "Hand2 in heart failure."
    assert [(p.section, p.text) for p in first.passages] == [
        ("abstract", "Hand2 is re-expressed in failing hearts.\n\nmiR-25 represses Hand2.")
    ]
    untitled = docs_by_id["30000002"]
    assert untitled.key_text is None and len(untitled.title) <= 120 and untitled.title.startswith("GDF15 is")
    assert docs_by_id["30000003"].passages[0].text == "Title only record"
    assert problem_lines(report, "corpus.jsonl").keys() == {4, 5, 6, 7}


# --- drugs and MeSH ------------------------------------------------------------------------------


def test_generic_name_normalisation() -> None:
    assert generic_name("HYDROXYCHLOROQUINE SULFATE") == "hydroxychloroquine"
    assert generic_name("MYCOPHENOLATE MOFETIL HYDROCHLORIDE") == "mycophenolate mofetil"
    assert generic_name("RITUXIMAB-ABBS") == "rituximab"
    assert generic_name("LISINOPRIL; HYDROCHLOROTHIAZIDE") == "hydrochlorothiazide and lisinopril"
    assert generic_name("POTASSIUM CHLORIDE") == "potassium chloride"  # nothing but salt words: kept
    assert generic_name("CORTICOTROPIN-ZINC HYDROXIDE") == "corticotropin-zinc hydroxide"


def test_load_drug_names_from_zip(tmp_path: Path) -> None:
    archive = tmp_path / "drugsatfda.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("Products.txt", (FIXTURES / "drug_labels" / "Products.txt").read_bytes())
    report = IngestReport()
    names = load_drug_names(archive, report)
    assert names == sorted(set(names))
    pairs = {(n.brand, n.generic) for n in names}
    assert {
        ("plaquenil", "hydroxychloroquine"),
        ("cellcept", "mycophenolate mofetil"),
        ("truxima", "rituximab"),
        ("zestoretic", "hydrochlorothiazide and lisinopril"),
        ("k-dur", "potassium chloride"),
        ("epogen", "epoetin alfa"),
        ("procrit", "epoetin alfa"),
    } == pairs  # SULFAPYRIDINE and HEPARIN SODIUM name no brand
    assert DrugName("cellcept", "mycophenolate mofetil") in names
    assert [p.line for p in report.problems] == [11]
    with pytest.raises(IngestError):
        load_drug_names(tmp_path / "missing.zip", report)


def test_mesh_names_and_natural_order() -> None:
    report = IngestReport()
    names = load_mesh_names(FIXTURES / "mesh" / "mesh_descriptors_2026-01.tsv", report)
    assert names == [
        MeshName("D008171", "Lung Diseases, Interstitial"),
        MeshName("D000001", "Calcimycin"),
        MeshName("D003920", "Diabetes Mellitus"),
    ]
    assert [p.line for p in report.problems] == [4, 7]
    assert natural_order("Lung Diseases, Interstitial") == "Interstitial Lung Diseases"
    assert natural_order("Calcimycin") == "Calcimycin"
    assert natural_order("1,2-Dipalmitoylphosphatidylcholine") == "1,2-Dipalmitoylphosphatidylcholine"
    assert natural_order("Hypersensitivity, Immediate, Type I") == "Hypersensitivity, Immediate, Type I"


# --- starter -------------------------------------------------------------------------------------


def test_starter_order_duplicates_and_counts() -> None:
    report = IngestReport()
    docs = list(iter_starter_documents(FIXTURES, report))
    assert_well_formed(docs)
    order = [s.name for s in STARTER_SOURCES]
    assert order == ["uspstf", "ngc", "spl", "pubmedqa", "pmc_rct", "medquad"]
    seen_sources = list(dict.fromkeys(d.source for d in docs))
    assert seen_sources == order
    # PMID 23456789 is in PubMedQA and PMC: kept from PubMedQA, reported once.
    assert next(d for d in docs if d.doc_id == "23456789").source == "pubmedqa"
    duplicates = [p for p in report.problems if "duplicate document id 23456789" in p.message]
    assert len(duplicates) == 1 and "kept the one from pubmedqa" in duplicates[0].message
    counts: dict[str, int] = {}
    for doc in docs:
        counts[doc.source] = counts.get(doc.source, 0) + 1
    assert report.documents_by_source == counts


def test_starter_output_is_deterministic() -> None:
    def snapshot() -> list[tuple[str, str, list[tuple[str, str, str | None]]]]:
        docs = iter_starter_documents(FIXTURES, IngestReport(), passage_chars=300)
        return [(d.doc_id, d.title, [(p.passage_id, p.text, p.grade) for p in d.passages]) for d in docs]

    assert snapshot() == snapshot()


def test_starter_missing_sources(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFoundError, match="--corpus-dir"):
        list(iter_starter_documents(tmp_path, IngestReport()))
    (tmp_path / "ngc").mkdir()
    source = FIXTURES / "ngc" / "ngc_public_domain.jsonl"
    (tmp_path / "ngc" / "ngc_public_domain.jsonl").write_bytes(source.read_bytes())
    report = IngestReport()
    docs = list(iter_starter_documents(tmp_path, report))
    assert {d.source for d in docs} == {"ngc"}
    missing = [p for p in report.problems if p.message.startswith("missing; source")]
    assert len(missing) == len(STARTER_SOURCES) - 1


def test_corpus_snapshot_id_changes_with_content(tmp_path: Path) -> None:
    (tmp_path / "ngc").mkdir()
    path = tmp_path / "ngc" / "ngc_public_domain.jsonl"
    path.write_text('{"a": 1}\n', encoding="utf-8")
    first = corpus_snapshot_id(tmp_path)
    assert first.startswith("starter-") and len(first) == len("starter-") + 12
    assert corpus_snapshot_id(tmp_path) == first
    path.write_text('{"a": 2}\n', encoding="utf-8")
    second = corpus_snapshot_id(tmp_path)
    assert second != first
    (tmp_path / "unrelated.txt").write_text("not read by the loaders", encoding="utf-8")
    assert corpus_snapshot_id(tmp_path) == second
    assert corpus_snapshot_id(tmp_path, include_fulltext=True) == second  # no full-text file here


def test_pmc_abstract_glued_to_title_is_split_using_the_fulltext_title(tmp_path: Path) -> None:
    import gzip
    import json as _json

    from curbside.corpus.loaders.pmc_rct import load_pmc_rct

    title = "Intravenous immunoglobulin in refractory dermatomyositis: a randomized trial"
    abstract = "We randomly assigned 26 subjects to immunoglobulin or placebo. Muscle scores improved in both groups."
    record = {"pmcid": "PMC1", "pmid": "123", "title": f"{title} {abstract}", "article_title": f"{title} {abstract}",
              "abstract_sections": [], "year": "2011", "journal": "J", "doi": None, "license_class": "cc0"}
    (tmp_path / "pmc_rct_abstracts.jsonl").write_text(_json.dumps(record) + "\n")
    with gzip.open(tmp_path / "pmc_rct_fulltext.jsonl.gz", "wt") as f:
        f.write(_json.dumps({"pmcid": "PMC1", "article_title": title, "text": "TITLE:\n" + title}) + "\n")
    report = IngestReport()
    docs = list(load_pmc_rct(tmp_path / "pmc_rct_abstracts.jsonl", report))
    assert [d.title for d in docs] == [title]
    assert docs[0].passages[0].text == abstract
    assert not report.problems

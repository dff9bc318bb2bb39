"""The MEDLINE loader (corpus/loaders/medline.py): fields, document types, flags, deletions, and bad records
reported with file and line and skipped without losing their neighbours."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, IngestReport
from curbside.corpus.library import Deletion
from curbside.corpus.loaders import medline
from curbside.corpus.loaders.medline import doc_type_of, iter_medline
from support.medline_xml import Citation, article_set, synthetic_citations, write_set

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "medline" / "pubmed_sample.xml"


def _load(source, **kwargs):  # type: ignore[no-untyped-def]
    report = IngestReport()
    items = list(iter_medline(source, report, **kwargs))
    return items, report


def test_sample_file_fields_types_flags_and_deletions() -> None:
    items, report = _load(SAMPLE)
    docs = {d.doc_id: d for d in items if not isinstance(d, Deletion)}
    assert list(docs) == ["31000001", "31000002", "31000003", "31000006", "31000007"]
    assert [d for d in items if isinstance(d, Deletion)] == [Deletion("29999998"), Deletion("29999999")]

    trial = docs["31000001"]
    assert trial.pmid == "31000001" and trial.doi == "10.1002/art.40001" and trial.pmcid == "PMC6500001"
    assert trial.title.startswith("Rituximab for anti-MDA5 antibody-positive dermatomyositis")
    assert trial.organization == "Arthritis & rheumatology (Hoboken, N.J.)"
    assert trial.year == 2019 and trial.version == "1" and trial.doc_type == DocType.RCT
    assert trial.authors == ("Tanaka Y", "Müller A", "MDA5 Trial Group")
    assert trial.mesh_terms == ("Dermatomyositis", "Lung Diseases, Interstitial", "Rituximab")
    assert trial.keywords == ("MDA5", "interstitial lung disease")
    assert trial.publication_types == ("Randomized Controlled Trial", "Research Support, Non-U.S. Gov't")
    assert trial.url == "https://pubmed.ncbi.nlm.nih.gov/31000001/" and trial.flags == ()
    text = "\n".join(p.text for p in trial.passages)
    assert "hazard ratio 0.41" in text and "Sixty adults were randomly assigned" in text
    assert trial.passages[0].section.split(" / ") == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSION"]
    assert "American College of Rheumatology" not in text  # the copyright line is no abstract section

    retracted = docs["31000002"]
    assert retracted.flags == ("retracted",)
    assert retracted.title == "Tacrolimus versus cyclosporine in MDA5 dermatomyositis."  # inline <i> kept as words
    assert retracted.year == 2018  # MedlineDate "2018 Dec-2019 Jan": the first year
    assert docs["31000003"].flags == ("expression_of_concern",)
    assert docs["31000003"].doc_type == DocType.OBSERVATIONAL
    assert docs["31000006"].doc_type == DocType.GUIDELINE and docs["31000006"].version == "2"
    assert docs["31000007"].doc_type == DocType.CASE_REPORT

    # The record without a PMID and the malformed one are reported at their lines; the rest is read.
    where = {(p.line, p.kind) for p in report.problems}
    assert where == {(85, "missing PMID"), (91, "malformed XML")}
    assert all(p.file == str(SAMPLE) for p in report.problems)
    assert report.documents_by_source == {"medline": 5}


@pytest.mark.parametrize(("types", "title", "expected"), [
    (("Journal Article", "Practice Guideline"), "x", DocType.GUIDELINE),
    (("Guideline", "Review"), "x", DocType.GUIDELINE),
    (("Meta-Analysis", "Randomized Controlled Trial"), "x", DocType.SYSTEMATIC_REVIEW),
    (("Systematic Review",), "x", DocType.SYSTEMATIC_REVIEW),
    (("Randomized Controlled Trial",), "A cohort", DocType.RCT),
    (("Case Reports", "Review"), "x", DocType.CASE_REPORT),
    (("Observational Study",), "x", DocType.OBSERVATIONAL),
    (("Review",), "Advances", DocType.NARRATIVE_REVIEW),
    # No decisive type: classify_study reads the title and text.
    (("Journal Article",), "A randomized controlled trial of X", DocType.RCT),
    (("Journal Article", "Comparative Study"), "Metformin: a systematic review", DocType.SYSTEMATIC_REVIEW),
])
def test_publication_types_set_the_document_type(types: tuple[str, ...], title: str, expected: DocType) -> None:
    assert doc_type_of(types, title, "") == expected


def test_gzip_and_streams_read_the_same_as_plain_xml(tmp_path: Path) -> None:
    plain, _ = _load(SAMPLE)
    gz = tmp_path / "pubmed25n0001.xml.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    zipped, report = _load(gz)
    assert zipped == plain and {p.file for p in report.problems} == {str(gz)}
    streamed, report = _load(io.BytesIO(SAMPLE.read_bytes()), name="efetch")
    assert streamed == plain and {p.file for p in report.problems} == {"efetch"}


def test_records_cut_across_read_blocks_are_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    plain, _ = _load(SAMPLE)
    monkeypatch.setattr(medline, "_BLOCK", 97)  # markers and records fall across block edges
    small, report = _load(SAMPLE)
    assert small == plain
    assert {(p.line, p.kind) for p in report.problems} == {(85, "missing PMID"), (91, "malformed XML")}


def test_broken_encoding_unclosed_record_and_truncated_file_lose_only_themselves(tmp_path: Path) -> None:
    good = synthetic_citations(4)
    broken_utf8 = good[1].xml().replace("Trial 1 of", "Trial 1 \udcff of")
    text = article_set([good[0], broken_utf8, good[2], "<PubmedArticle><MedlineCitation><PMID>5</PMID>\n", good[3]])
    data = text.encode("utf-8", errors="surrogateescape")  # the lone byte 0xff: invalid UTF-8
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    items, report = _load(path)
    assert [d.doc_id for d in items] == [good[0].pmid, good[2].pmid, good[3].pmid]
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["broken encoding", "malformed XML"]
    lines = {p.kind: p.line for p in report.problems}
    assert data.splitlines()[lines["broken encoding"] - 1].startswith(b"<PubmedArticle>")
    assert data.splitlines()[lines["malformed XML"] - 1].startswith(b"<PubmedArticle><MedlineCitation><PMID>5")

    # A gzip file cut short: the records before the cut are read, the cut is reported, nothing raises.
    many = write_set(tmp_path / "many.xml.gz", synthetic_citations(300))
    whole = many.read_bytes()
    many.write_bytes(whole[: len(whole) // 2])
    items, report = _load(many)
    assert 0 < len(items) < 300
    assert [d.doc_id for d in items] == [c.pmid for c in synthetic_citations(len(items))]
    assert [p.kind for p in report.problems] == ["unreadable file"]


def test_retraction_notice_types_and_versions(tmp_path: Path) -> None:
    path = write_set(tmp_path / "u.xml", [
        Citation("1", "Retracted by notice", sections=(("", "Text."),), comments=(("RetractionIn", "9"),)),
        Citation("2", "The notice itself", sections=(("", "Text."),), publication_types=("Retraction of Publication",),
                 comments=(("RetractionOf", "1"),)),
        Citation("3", "Erratum only", sections=(("", "Text."),), comments=(("ErratumIn", "8"),), version=3),
    ])
    items, _ = _load(path)
    assert [(d.doc_id, d.flags, d.version) for d in items] == [
        ("1", ("retracted",), "1"), ("2", (), "1"), ("3", (), "3")]

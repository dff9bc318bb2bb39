"""Per-agent assessment rules, label status, monitoring, and Newer-evidence conflicts in the writer
(hand-made documents; no index, no model)."""

from __future__ import annotations

import pytest

from curbside.corpus.documents import DocType, Document, Passage
from curbside.evidence.assessment import (
    AgentEvidence,
    agent_terms,
    classify,
    condition_terms,
    determine,
    find_agent_sentences,
    label_status,
    monitoring_for,
)
from curbside.retrieval.search import SearchHit
from curbside.writing import clinical
from curbside.writing.article import Bullet, Section


def hit(text: str, doc_type: DocType, title: str = "Dermatomyositis", year: int = 2015,
        organization: str | None = None, grade: str | None = None) -> SearchHit:
    doc = Document(f"d-{abs(hash((text, doc_type))) % 10**8}", "test", title, doc_type, year=year,
                   organization=organization)
    passage = Passage(Passage.make_id(doc.doc_id, 0), doc.doc_id, 0, "RESULTS", text, grade)
    return SearchHit(passage, doc, 1.0, 1, None, 1.0, None)


def evidence_with(*hits: SearchHit, label: str = "unknown") -> AgentEvidence:
    sentences = find_agent_sentences(list(hits), agent_terms("immune globulin", None, "IVIG"), ("dermatomyositis",))
    e = AgentEvidence("immune globulin", None, "IVIG", label_status=label)  # type: ignore[arg-type]
    e.guideline = next((s for s in sentences if s.hit.document.doc_type == DocType.GUIDELINE), None)
    e.research = next((s for s in sentences if s.hit.document.doc_type != DocType.GUIDELINE), None)
    return classify(e)


def test_agent_and_condition_terms() -> None:
    assert {"ivig", "immunoglobulin", "immune globulin"} <= set(agent_terms("immune globulin", None, "IVIG"))
    assert "truxima" in agent_terms("rituximab", "Truxima", "Truxima (rituximab)")
    assert condition_terms(["MDA5+ dermatomyositis", "rapidly progressive interstitial lung disease"]) == (
        "mda5", "dermatomyositis", "interstitial")


def test_a_drug_the_patients_had_failed_is_not_evidence_for_it() -> None:
    resistant = hit("IVIG improved strength in corticosteroid-resistant dermatomyositis.", DocType.RCT)
    terms = agent_terms("prednisone", None, "prednisone")
    assert find_agent_sentences([resistant], terms, ("dermatomyositis",)) == []
    assert find_agent_sentences([resistant], agent_terms("immune globulin", None, "IVIG"), ("dermatomyositis",))


def test_evidence_must_be_about_the_condition() -> None:
    other = hit("IVIG improved platelet counts in immune thrombocytopenia.", DocType.RCT, title="ITP trial")
    assert evidence_with(other).classification == "investigational"


@pytest.mark.parametrize(("hits", "label", "expected"), [
    ([], "on_label", "standard_of_care"),
    ([hit("IVIG is recommended for refractory dermatomyositis [A].", DocType.GUIDELINE)], "unknown",
     "standard_of_care"),
    ([hit("IVIG may be considered in refractory dermatomyositis (conditional recommendation).", DocType.GUIDELINE)],
     "unknown", "emerging_standard"),
    ([hit("IVIG significantly improved muscle strength in dermatomyositis compared with placebo.", DocType.RCT)],
     "unknown", "emerging_standard"),
    ([hit("IVIG was associated with improvement in one patient with dermatomyositis.", DocType.CASE_REPORT)],
     "unknown", "investigational"),
    ([hit("IVIG is not recommended as first-line therapy for dermatomyositis [B].", DocType.GUIDELINE)],
     "unknown", "investigational"),
])
def test_classification_rules(hits: list[SearchHit], label: str, expected: str) -> None:
    evidence = evidence_with(*hits, label=label)
    assert evidence.classification == expected
    assert evidence.reasons


def test_determination() -> None:
    supported = AgentEvidence("a", None, "a", classification="standard_of_care")
    emerging = AgentEvidence("b", None, "b", classification="emerging_standard")
    unsupported = AgentEvidence("c", None, "c")
    assert determine([supported, emerging])[0] == "supported"
    assert determine([supported, unsupported])[0] == "partially_supported"
    assert determine([unsupported])[0] == "insufficient_evidence"
    assert determine([])[0] == "insufficient_evidence"


def test_label_status_from_the_curated_table() -> None:
    verdict = label_status("immune globulin", ["dermatomyositis"])
    assert verdict.status == "on_label" and verdict.source and "OCTAGAM" in verdict.source
    assert verdict.sentence and "dermatomyositis" in verdict.sentence
    assert label_status("rituximab", ["MDA5+ dermatomyositis"]).status == "off_label"
    unknown = label_status("notadrug", ["dermatomyositis"])
    assert (unknown.status, unknown.source, unknown.sentence) == ("unknown", None, None)


def test_monitoring_names_its_source_and_no_identifier() -> None:
    monitoring = monitoring_for("rituximab")
    assert monitoring is not None and "hepatitis B" in monitoring.text and "FDA label" in monitoring.source
    assert "PMID" not in monitoring.source and "doi" not in monitoring.source.lower()
    assert monitoring_for("notadrug") is None


def bullet(text: str, number: int, doc_type: str, level: int, year: int) -> Bullet:
    return Bullet(text=text, citations=[number], quotes=[], doc_type=doc_type, evidence_level=level, year=year,
                  relevance=1.0)


def test_newer_research_against_an_older_guideline_gives_a_dated_note() -> None:
    sections = [
        Section(id="guidelines", heading="From the Guidelines", bullets=[bullet(
            "Statin therapy before CABG reduced the incidence of postoperative atrial fibrillation.", 1,
            "guideline", 1, 2011)]),
        Section(id="research", heading="From the Research", bullets=[bullet(
            "Preoperative atorvastatin did not significantly reduce postoperative atrial fibrillation compared "
            "with placebo (p = 0.40).", 2, "rct", 2, 2016)]),
    ]
    conflicts = clinical.conflicts(sections)
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c.guideline_citation, c.research_citation, c.guideline_year, c.research_year) == (1, 2, 2011, 2016)
    assert c.note.startswith("Newer evidence (2016")
    older = [Section(id=s.id, heading=s.heading, bullets=[b.model_copy(update={"year": 2009}) if s.id == "research"
                                                        else b for b in s.bullets]) for s in sections]
    assert clinical.conflicts(older) == []  # older research is not "newer evidence"

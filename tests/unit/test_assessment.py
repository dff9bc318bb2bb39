"""Per-agent assessment rules, label status, monitoring, and Newer-evidence conflicts in the writer
(hand-made documents; no index, no model)."""

from __future__ import annotations

import pytest

from curbside.corpus.documents import DocType, Document, Passage
from curbside.evidence.assessment import (
    AgentEvidence,
    ClinicalEvidence,
    NextStepOption,
    PlannedAgent,
    agent_terms,
    choose_evidence,
    classify,
    condition_terms,
    determine,
    find_agent_sentences,
    label_status,
    monitoring_for,
    names_as_treatment,
    statement_role,
)
from curbside.evidence.dosing import check_dose
from curbside.evidence.selection import ScoredSentence
from curbside.retrieval.search import SearchHit
from curbside.understanding.patient_context import Medication, PatientContext
from curbside.vocabulary.statement_cues import StatementKind, cues, has_cue
from curbside.writing import clinical
from curbside.writing.extractive import clinical_bottom_line
from curbside.writing.article import Bullet, Section


def hit(text: str, doc_type: DocType, title: str = "Dermatomyositis", year: int = 2015,
        organization: str | None = None, grade: str | None = None) -> SearchHit:
    doc = Document(f"d-{abs(hash((text, doc_type))) % 10**8}", "test", title, doc_type, year=year,
                   organization=organization)
    passage = Passage(Passage.make_id(doc.doc_id, 0), doc.doc_id, 0, "RESULTS", text, grade)
    return SearchHit(passage, doc, 1.0, 1, None, 1.0, None)


def evidence_with(*hits: SearchHit, label: str = "unknown",
                  conditions: tuple[str, ...] = ("dermatomyositis",)) -> AgentEvidence:
    terms = agent_terms("immune globulin", None, "IVIG")
    sentences = find_agent_sentences(list(hits), terms, condition_terms(conditions))
    e = AgentEvidence("immune globulin", None, "IVIG", label_status=label)  # type: ignore[arg-type]
    return classify(choose_evidence(e, sentences, condition_terms(conditions[:1])))


def test_agent_and_condition_terms() -> None:
    assert {"ivig", "immunoglobulin", "immune globulin"} <= set(agent_terms("immune globulin", None, "IVIG"))
    assert "truxima" in agent_terms("rituximab", "Truxima", "Truxima (rituximab)")
    assert condition_terms(["MDA5+ dermatomyositis", "rapidly progressive interstitial lung disease"]) == (
        "mda5", "dermatomyositis", "interstitial lung")  # "interstitial" alone would find interstitial cystitis
    assert condition_terms(["chronic inflammatory demyelinating polyneuropathy"]) == ("demyelinating", "polyneuropathy")


def test_a_drug_the_patients_had_failed_is_not_evidence_for_it() -> None:
    resistant = hit("IVIG improved strength in corticosteroid-resistant dermatomyositis.", DocType.RCT)
    terms = agent_terms("prednisone", None, "prednisone")
    assert find_agent_sentences([resistant], terms, ("dermatomyositis",)) == []
    assert find_agent_sentences([resistant], agent_terms("immune globulin", None, "IVIG"), ("dermatomyositis",))


def test_evidence_must_be_about_the_condition() -> None:
    other = hit("IVIG improved platelet counts in immune thrombocytopenia.", DocType.RCT, title="ITP trial")
    assert evidence_with(other).classification == "insufficient_evidence"


G, RCT = DocType.GUIDELINE, DocType.RCT


@pytest.mark.parametrize(("text", "doc_type", "label", "expected"), [
    # on the label, or a guideline recommendation for it: established, with its strength
    (None, None, "on_label", "standard_of_care"),
    ("IVIG is recommended for refractory dermatomyositis [A].", G, "unknown", "standard_of_care"),
    ("We recommend IVIG for refractory dermatomyositis (strong recommendation).", G, "unknown", "standard_of_care"),
    ("IVIG may be considered in refractory dermatomyositis (conditional recommendation).", G, "unknown",
     "emerging_standard"),
    ("IVIG is recommended for refractory dermatomyositis.", G, "unknown", "emerging_standard"),  # strength unstated
    ("IVIG is recommended for refractory dermatomyositis [C].", G, "unknown", "emerging_standard"),  # low certainty
    # studies only: investigational, whatever the design, with a result (an effect, an outcome, a number)
    ("IVIG significantly improved muscle strength in dermatomyositis compared with placebo.", RCT, "unknown",
     "investigational"),
    ("IVIG was associated with improvement in one patient with dermatomyositis.", DocType.CASE_REPORT, "unknown",
     "investigational"),
    ("Of 20 patients with dermatomyositis given IVIG, 15 (75%) regained the ability to swallow.", DocType.OBSERVATIONAL,
     "unknown", "investigational"),
    ("IVIG did not improve muscle strength in dermatomyositis compared with placebo.", RCT, "unknown",
     "investigational"),
    # a guideline that reserves it for trials, or finds the evidence insufficient
    ("There is insufficient evidence to recommend IVIG in dermatomyositis.", G, "unknown", "investigational"),
    ("IVIG should be used in dermatomyositis only in clinical trials.", G, "unknown", "investigational"),
    # a recommendation against it
    ("IVIG is not recommended as first-line therapy for dermatomyositis [B].", G, "unknown", "not_recommended"),
    # never support: safety, screening, monitoring, warnings, contraindications, mentions, methods, aims
    ("Screen for hepatitis B before giving IVIG in dermatomyositis.", G, "unknown", "insufficient_evidence"),
    ("Screening for IgA deficiency is recommended before IVIG in dermatomyositis [A].", G, "unknown",
     "insufficient_evidence"),
    ("Monitor renal function during IVIG therapy for dermatomyositis.", G, "unknown", "insufficient_evidence"),
    ("Cases of progressive multifocal leukoencephalopathy (PML) were reported after IVIG in dermatomyositis.", G,
     "unknown", "insufficient_evidence"),
    ("IVIG is contraindicated in dermatomyositis patients with IgA deficiency and antibodies to IgA.", G, "unknown",
     "insufficient_evidence"),
    ("IVIG is a pooled plasma product that some patients with dermatomyositis receive.", G, "unknown",
     "insufficient_evidence"),
    ("Here, we assessed the efficacy and safety of IVIG therapy for patients with dermatomyositis by means of a "
     "randomized, double-blind, placebo-controlled study.", RCT, "unknown", "insufficient_evidence"),
    ("The aim of this study was to evaluate whether IVIG improves muscle strength in dermatomyositis.", RCT,
     "unknown", "insufficient_evidence"),
    # nothing at all, or only off-label: not found is not "investigational"
    (None, None, "unknown", "insufficient_evidence"),
    (None, None, "off_label", "insufficient_evidence"),
])
def test_classification_rules(text: str | None, doc_type: DocType | None, label: str, expected: str) -> None:
    evidence = evidence_with(*([hit(text, doc_type)] if text and doc_type else []), label=label)
    assert evidence.classification == expected
    assert evidence.reasons
    if expected == "insufficient_evidence":
        assert evidence.guideline is None and evidence.research is None
        assert "not found is not evidence against it" in evidence.reasons[0]
        assert not any("nvestigational" in reason for reason in evidence.reasons)


def test_a_recommendation_counts_and_the_safety_advice_beside_it_does_not() -> None:
    screening = hit("Screen for hepatitis B before giving IVIG in dermatomyositis.", G)
    recommendation = hit("IVIG is recommended for refractory dermatomyositis [A].", G)
    evidence = evidence_with(screening, recommendation)
    assert evidence.classification == "standard_of_care"
    assert evidence.guideline is not None and "recommended" in evidence.guideline.text
    alone = evidence_with(screening)
    assert alone.not_counted == {"safety": 1}
    assert any("monitoring" in reason for reason in alone.reasons)  # says why what was found does not count


def test_a_methods_sentence_is_never_the_research_support() -> None:
    methods = hit("Here, we assessed the efficacy and safety of IVIG therapy for dermatomyositis in a randomized, "
                  "double-blind, placebo-controlled study.", RCT)
    result = hit("IVIG significantly improved manual muscle testing scores in dermatomyositis (p = 0.01).", RCT,
                 year=2011)
    evidence = evidence_with(methods, result)
    assert evidence.research is not None and evidence.research.text.startswith("IVIG significantly")
    assert evidence.research_role == "result"


def test_an_organ_manifestation_of_another_disease_is_not_the_condition() -> None:
    ssc_ild = hit("IVIG is recommended for systemic sclerosis-associated interstitial lung disease [A].", G,
                  title="Systemic sclerosis-associated interstitial lung disease")
    evidence = evidence_with(ssc_ild, conditions=("dermatomyositis", "interstitial lung disease"))
    assert evidence.classification == "insufficient_evidence"


@pytest.mark.parametrize(("text", "doc_type", "role"), [
    ("Screen for hepatitis B before giving rituximab.", G, "safety"),
    ("Hepatitis B virus screening is recommended prior to initiating rituximab [A].", G, "safety"),
    ("Progressive multifocal leukoencephalopathy (PML) has been reported in patients treated with rituximab.", G,
     "safety"),
    ("Rituximab is recommended for refractory myositis [B].", G, "recommendation"),
    ("Consider rituximab in refractory myositis.", G, "recommendation"),
    ("Rituximab is not recommended in myositis.", G, "against"),
    ("The USPSTF concludes that the current evidence is insufficient to assess aspirin.", G, "trials_only"),
    ("Here, we assessed the efficacy and safety of IVIG for polymyositis and dermatomyositis.", RCT, "methods"),
    ("This study aimed to assess rituximab in refractory myositis.", RCT, "methods"),
    ("Rituximab improved muscle strength in 83% of patients.", RCT, "result"),
    ("The hazard ratio for relapse was 0.52 (95% CI 0.31 to 0.87).", RCT, "result"),
    ("Rituximab did not significantly improve the time to improvement.", RCT, "no_effect"),
    ("Rituximab is an anti-CD20 monoclonal antibody.", RCT, "mention"),
])
def test_statement_roles(text: str, doc_type: DocType, role: str) -> None:
    assert statement_role(text, doc_type) == role


def test_a_uspstf_grade_i_is_insufficient_evidence_and_d_is_against() -> None:
    org = "U.S. Preventive Services Task Force"
    assert statement_role("Aspirin use in adults 70 or older.", G, "I", org) == "trials_only"
    assert statement_role("Aspirin use in adults 70 or older.", G, "D", org) == "against"
    assert statement_role("Aspirin use in adults 70 or older.", G, "D", "Other society") == "mention"


def test_an_option_is_a_treatment_statement_never_safety_advice() -> None:
    assert names_as_treatment("Immunosuppressants such as azathioprine may reduce inflammation.",
                              DocType.PATIENT_INFORMATION)
    assert names_as_treatment("Some may also require treatment with an immunosuppressive drug, such as cyclophosphamide.",
                              DocType.PATIENT_INFORMATION)
    assert not names_as_treatment("Screen for tuberculosis before starting methotrexate.", G)
    assert not names_as_treatment("Methotrexate did not improve strength.", RCT)
    # A patient page's numbers are symptom frequencies, and "includes" alone is no treatment.
    assert not names_as_treatment("Decreased testosterone is seen in 30%-79% of people.", DocType.PATIENT_INFORMATION)
    assert not names_as_treatment("It can precede a syndrome that includes uveitis.", DocType.PATIENT_INFORMATION)


def test_every_kind_of_statement_cue_has_cues() -> None:
    for kind in StatementKind:
        assert cues(kind), kind
    assert has_cue("result", "improvement") and not has_cue("result", "unimproved")
    assert has_cue("methods", "we  assessed") and has_cue("safety", "side-effects")


def test_determination() -> None:
    supported = AgentEvidence("a", None, "a", classification="standard_of_care")
    emerging = AgentEvidence("b", None, "b", classification="emerging_standard")
    unsupported = AgentEvidence("c", None, "c", classification="investigational")
    unknown = AgentEvidence("d", None, "d")
    assert unknown.classification == "insufficient_evidence"  # nothing found until shown otherwise
    assert determine([supported, emerging])[0] == "supported"
    assert determine([supported, unsupported])[0] == "partially_supported"
    assert determine([unsupported])[0] == "insufficient_evidence"
    assert determine([])[0] == "insufficient_evidence"
    determination, reasons = determine([supported, unknown])
    assert determination == "partially_supported"  # an agent not assessed keeps the plan from "supported"
    assert any(r.startswith("Could not be assessed: d.") and "not found in the knowledge base" in r for r in reasons)
    assert not any("Investigational" in r for r in reasons)


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


# --- what counts as a study's result ------------------------------------------------------------------


def test_a_claim_in_the_background_or_about_other_diseases_is_not_a_result() -> None:
    background = SearchHit(*_abstract("BACKGROUND", "IVIG significantly improved strength in dermatomyositis."))
    opening = SearchHit(*_abstract("ABSTRACT", "High-dose IVIG therapy has been effective in treating various "
                                               "autoimmune and systemic inflammatory diseases."))
    assert evidence_with(background).classification == "insufficient_evidence"
    assert evidence_with(opening).classification == "insufficient_evidence"
    results = SearchHit(*_abstract("RESULTS", "IVIG improved manual muscle testing scores (p = 0.01)."))
    assert evidence_with(results).classification == "investigational"  # a result section's finding counts


def _abstract(section: str, text: str) -> tuple[Passage, Document, float, int, None, float, None]:
    doc = Document(f"a-{abs(hash((section, text))) % 10**8}", "test", "IVIG in polymyositis and dermatomyositis",
                   DocType.RCT, year=2011)
    return Passage(Passage.make_id(doc.doc_id, 0), doc.doc_id, 0, section, text, None), doc, 1.0, 1, None, 1.0, None


# --- the writer: derived sentences, the authorization summary and the bottom lines ---------------------


def _planned(generic: str, evidence: AgentEvidence, dose: tuple[float, str, str] | None = None,
             indication: list[str] | None = None) -> PlannedAgent:
    med = Medication(as_written=generic, generic=generic)
    comparison = None
    if dose is not None:
        med = Medication(as_written=generic, generic=generic, dose_value=dose[0], dose_unit=dose[1], schedule=dose[2])
        comparison = check_dose(generic, dose[0], dose[1], schedule=dose[2], indication=indication)
    return PlannedAgent(evidence, med, comparison)


def _numbering() -> tuple[list[Document], clinical.CiteFunction]:
    docs: list[Document] = []

    def cite(doc: Document) -> int:
        ids = [d.doc_id for d in docs]
        if doc.doc_id not in ids:
            docs.append(doc)
            ids.append(doc.doc_id)
        return ids.index(doc.doc_id) + 1

    return docs, cite


def _plan() -> ClinicalEvidence:
    conditions = ["dermatomyositis", "interstitial lung disease"]
    recommended = evidence_with(hit("IVIG is recommended for refractory dermatomyositis [A].", G),
                                label="unknown", conditions=tuple(conditions))
    missing = classify(AgentEvidence("rituximab", "Truxima", "Truxima", label_status="off_label",  # type: ignore[arg-type]
                                     label_source="RITUXAN (rituximab) FDA label — Indications and Usage"))
    return ClinicalEvidence("medical_necessity", PatientContext(conditions=conditions), conditions, agents=[
        _planned("immune globulin", recommended),
        _planned("rituximab", missing, (1000, "mg", "day 0 and 14"), conditions),
    ])


def test_the_authorization_summary_is_derived_cited_and_says_what_could_not_be_assessed() -> None:
    plan = _plan()
    docs, cite = _numbering()
    assessments = clinical.agent_assessments(plan, cite)
    summary = clinical.authorization_summary(plan, assessments, cite)
    assert summary is not None
    for sentence in summary.sentences:
        assert sentence.support == "derived" and sentence.citations and not sentence.quotes
        assert {f.citation for f in sentence.derived_from if f.citation is not None} <= set(sentence.citations)
    support, dose, verdict = summary.sentences
    assert "a guideline (2015), grade A, recommends it" in support.text
    assert support.derived_from[0].quote is not None and support.derived_from[0].quote.text in support.text
    # No rituximab dose for dermatomyositis: the RA regimen is context only, and the sentence says so.
    assert dose.text.startswith("No reference dose of rituximab for dermatomyositis or interstitial lung disease")
    assert "for context only, it would be within the rheumatoid arthritis reference" in dose.text
    assert docs[dose.citations[0] - 1].doc_id.startswith("curated:rituxan")
    assert "rituximab could not be assessed (not found in the knowledge base)" in verdict.text
    assert verdict.text.startswith("Partially supported for dermatomyositis with interstitial lung disease")
    assert assessments[1].dose_check.context_status == "within"
    assert assessments[1].dose_check.conversion.startswith("context only, against the rheumatoid arthritis reference")


def test_the_bottom_line_of_a_medical_necessity_question_is_its_determination() -> None:
    plan = _plan()
    _, cite = _numbering()
    assessments = clinical.agent_assessments(plan, cite)
    statement = clinical_bottom_line(plan, {"agent_assessments": assessments})
    assert statement.support == "derived" and not statement.quotes
    assert statement.text.startswith("Partially supported") and "immune globulin" in statement.text
    assert statement.citations == [1]  # the guideline that decided immune globulin; rituximab has no source
    facts = {f.fact: f for f in statement.derived_from}
    assert facts["classification of rituximab"].value == "not assessed (not found in the knowledge base)"
    assert facts["classification of rituximab"].citation is None


def test_the_bottom_line_of_a_next_step_question_is_the_best_supported_option() -> None:
    page = hit("Other immunosuppressive agents used to treat dermatomyositis include cyclosporine A and tacrolimus.",
               DocType.PATIENT_INFORMATION)
    text = page.passage.text
    sentence = ScoredSentence(page, 0, len(text), 1.0, 1.0, (), None, frozenset())
    conditions = ["dermatomyositis"]
    plan = ClinicalEvidence("next_step", PatientContext(conditions=conditions), conditions, options=[
        NextStepOption("cyclosporine", sentence, None), NextStepOption("tacrolimus", sentence, None)])
    _, cite = _numbering()
    options = clinical.ranked_options(plan, cite)
    statement = clinical_bottom_line(plan, {"next_step_options": options})
    assert statement.support == "derived" and statement.citations == [1] and not statement.quotes
    # One sentence naming two drugs ranks neither above the other.
    assert "cyclosporine and tacrolimus, named together by a patient-information page (evidence level 5, the weakest)" \
        in statement.text
    assert statement.derived_from[0].quote is not None and statement.derived_from[0].quote.text == text
    none_named = clinical_bottom_line(ClinicalEvidence("next_step", PatientContext(), conditions, agents=plan.agents), {})
    assert none_named.text.startswith("The knowledge base names no treatment option") and not none_named.citations

"""The whole starter corpus from ../shared, indexed lexically (the `fast` preset: no embedding, ~20 s).

Checks the answers to seed-style questions for structure and integrity, never against frozen text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.engine import Curbside
from curbside.evidence.assessment import names_as_treatment, statement_role

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="the starter corpus is not at ../shared/corpus"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Curbside:
    cb = Curbside.open(tmp_path_factory.mktemp("real"), preset="fast")
    result = cb.ingest_starter(CORPUS)
    counts = result.manifest.counts
    assert counts["documents"] > 9000 and counts["passages"] > 40000
    assert counts["documents_by_type"]["guideline"] == 206  # 90 USPSTF topics + 116 NGC summaries
    assert set(result.documents_by_source) == {"uspstf", "ngc", "spl", "pubmedqa", "pmc_rct", "medquad"}
    return cb


def _check_integrity(cb: Curbside, article) -> None:  # type: ignore[no-untyped-def]
    numbers = [r.number for r in article.references]
    assert numbers == list(range(1, len(numbers) + 1))
    for quote in article.all_quotes():
        passage = cb.index.store.passage(quote.passage_id)
        assert passage is not None and passage.text[quote.start : quote.end] == quote.text
    for section in article.sections:
        for bullet in section.bullets:
            assert bullet.citations and bullet.quotes
            assert article.references[bullet.citations[0] - 1].doc_id == bullet.quotes[0].doc_id


def test_screening_question_is_answered_from_the_uspstf_with_the_age_matched_grade(engine: Curbside) -> None:
    article = engine.ask("Should a 55-year-old woman be screened for colorectal cancer?")
    _check_integrity(engine, article)
    assert article.evidence_status == "sufficient"
    guidelines = article.sections[0]
    assert guidelines.id == "guidelines"
    first = guidelines.bullets[0]
    assert first.grade == "A" and "50 to 75" in first.text
    assert article.references[first.citations[0] - 1].doc_id.startswith("uspstf-")
    assert article.corpus_snapshot == engine.index.corpus_snapshot


def test_brands_and_abbreviations_in_a_prior_authorization_question(engine: Curbside) -> None:
    q = (
        "Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG "
        "medically necessary and standard of care for MDA5+ dermatomyositis with dysphagia, dysphonia and "
        "evolving rapidly progressive ILD?"
    )
    article = engine.ask(q)
    _check_integrity(engine, article)
    expansions = {(e.term.lower(), e.expansion.lower()) for e in article.query.expansions}
    assert ("truxima", "rituximab") in expansions
    assert any(term == "ivig" and "immunoglobulin" in exp for term, exp in expansions)
    assert any(term == "ild" and "interstitial lung disease" in exp for term, exp in expansions)
    # The corpus has no MDA5 literature: the article must say what it lacks rather than pad.
    assert article.evidence_status in {"limited", "insufficient"}
    assert "mda5" in (article.evidence_note or "").lower()


def test_research_question_finds_the_trial_and_its_numbers(engine: Curbside) -> None:
    hits = engine.search("statin atrial fibrillation after CABG", k=10)
    assert "21881325" in [h.document.doc_id for h in hits[:3]]
    article = engine.ask("Do statins reduce atrial fibrillation after coronary artery bypass grafting?")
    _check_integrity(engine, article)
    assert "21881325" in {r.doc_id for r in article.references}


def test_off_topic_question_gets_an_honest_insufficient_article(engine: Curbside) -> None:
    article = engine.ask("What is the torque specification for a bicycle crank bolt?")
    assert article.evidence_status == "insufficient"
    assert article.sections == [] and article.references == []
    assert article.suggested_questions or article.nearby_documents


# --- clinical reasoning: the two seed questions, checked for structure, never frozen text ----------------
MEDICAL_NECESSITY = (
    "Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG medically "
    "necessary and standard of care for MDA5+ dermatomyositis with dysphagia, dysphonia and evolving rapidly "
    "progressive ILD?"
)
NEXT_STEP = (
    "What is the next step for severe dermatomyositis on IVIG, rituximab, Actemra, prednisone, Plaquenil and "
    "CellCept, improved but still active after 6 months?"
)
CLASSIFICATIONS = {"standard_of_care", "emerging_standard", "investigational", "not_recommended", "insufficient_evidence"}
DOSE_STATUSES = {"within", "above", "below", "unknown", "no_reference_for_indication"}
COUNTED_ROLES = {"recommendation", "against", "trials_only", "result", "no_effect"}


def _check_clinical_citations(article) -> None:  # type: ignore[no-untyped-def]
    numbers = {r.number for r in article.references}
    for statement in article.cited_statements():
        assert statement.citations and set(statement.citations) <= numbers, statement.text
    for a in article.agent_assessments:
        assert set(a.dose_check.citations) <= numbers and set(a.label_citations) <= numbers
        for ref_number in a.dose_check.citations + a.label_citations:
            reference = article.references[ref_number - 1]
            # A curated source names its label or guideline; a label of the index is a drug-label document.
            assert (reference.doc_id.startswith("curated:") and (" — " in reference.title or "FDA label" in reference.title)
                    ) or reference.doc_type == "drug_label"
        # Support is a recommendation or a result: never a mention, safety advice or a methods sentence.
        for statement in (a.guideline_support, a.research_support):
            if statement is not None:
                assert statement_role(statement.text, statement.doc_type, statement.grade) in COUNTED_ROLES, statement.text
        if a.classification == "insufficient_evidence":  # not found is said as such, never "investigational"
            assert a.guideline_support is None and a.research_support is None and a.label_status != "on_label"
            assert any("not found is not evidence against it" in reason for reason in a.reasons)
    for statement in article.cited_statements():
        if statement.is_derived:  # a templated sentence quotes nothing; its facts carry their sources
            assert not statement.quotes and statement.derived_from
            assert {f.citation for f in statement.derived_from if f.citation is not None} <= set(statement.citations)


def _check_derived_bottom_line(article) -> None:  # type: ignore[no-untyped-def]
    assert article.bottom_line_support == "derived" and article.bottom_line_quotes == []
    assert article.bottom_line_derived_from and article.bottom_line_citations
    facts = {f.citation for f in article.bottom_line_derived_from if f.citation is not None}
    assert facts and facts <= set(article.bottom_line_citations) <= {r.number for r in article.references}
    for reference in article.references:  # a curated source names no identifier it cannot check
        if reference.doc_id.startswith("curated:"):
            assert reference.pmid is None and reference.doi is None


def test_medical_necessity_plan_gets_a_per_agent_table_dose_checks_and_a_cited_authorization_statement(
    engine: Curbside,
) -> None:
    article = engine.ask(MEDICAL_NECESSITY)
    _check_integrity(engine, article)
    _check_clinical_citations(article)
    assert article.question_type == "medical_necessity"
    context = article.patient_context
    assert context is not None and any("dermatomyositis" in c for c in context.conditions)
    meds = {m.generic: m for m in context.medications}
    assert {"rituximab", "prednisone", "tacrolimus", "immune globulin"} <= set(meds)
    assert (meds["rituximab"].brand, meds["rituximab"].dose_value, meds["rituximab"].dose_unit) == ("Truxima", 1000, "mg")
    assert meds["rituximab"].schedule == "day 0 and 14"

    assessed = {a.agent: a for a in article.agent_assessments}
    assert set(assessed) == set(meds)  # one row per agent of the plan
    for a in assessed.values():
        assert a.classification in CLASSIFICATIONS and a.dose_check.status in DOSE_STATUSES
        assert a.reasons
        if a.classification in {"standard_of_care", "emerging_standard"}:
            assert (a.guideline_support and statement_role(a.guideline_support.text, "guideline",
                                                           a.guideline_support.grade) == "recommendation"
                    ) or a.label_status == "on_label"
    # The knowledge base lacks the ACR/CHEST guideline on ILD in rheumatic disease: rituximab and tacrolimus
    # are not found, which is not "investigational"; IVIG (Octagam) is labelled for adult dermatomyositis.
    for agent in ("rituximab", "tacrolimus"):
        assert assessed[agent].classification != "investigational"
    assert assessed["immune globulin"].label_status == "on_label"
    assert assessed["immune globulin"].classification == "standard_of_care"
    # No labelled or curated rituximab dose for dermatomyositis: the RA regimen is context, never the verdict.
    rituximab = assessed["rituximab"].dose_check
    assert rituximab.status == "no_reference_for_indication" and rituximab.context_status == "within"
    assert rituximab.reference_indication == "rheumatoid arthritis" and "dermatomyositis" in (rituximab.indication or "")
    assert rituximab.reference_source and "label" in rituximab.reference_source and rituximab.citations
    assert article.determination in {"partially_supported", "insufficient_evidence"}  # an agent not assessed
    assert article.determination_reasons
    not_assessed = [a.agent for a in assessed.values() if a.classification == "insufficient_evidence"]
    for agent in not_assessed:
        assert agent in article.determination_reasons[0]
        assert any(r.startswith("Could not be assessed") and agent in r for r in article.determination_reasons)

    summary = article.authorization_summary
    assert summary is not None and summary.sentences and summary.citations
    assert all(s.citations for s in summary.sentences)  # every sentence cited
    assert all(s.support == "derived" for s in summary.sentences)  # templated, with the facts they stand on
    assert summary.text == " ".join(s.text for s in summary.sentences)
    verdict = summary.sentences[-1].text
    assert all(agent in verdict for agent in not_assessed) and "could not be assessed" in verdict
    # The curated label table's wording is written by hand, not read from the index: it is named, never
    # shown in quotation marks as the label's words (the corpus holds none of these labels).
    for sentence in summary.sentences:
        if "FDA-labelled" in sentence.text:
            assert "\u201c" not in sentence.text and "curated table" in sentence.text
    dose_sentence = next(s.text for s in summary.sentences if "rituximab dose" in s.text or "dose of rituximab" in s.text)
    assert "No reference dose" in dose_sentence and "for context only" in dose_sentence

    # The bottom line is the determination, with its reasons, derived and cited.
    _check_derived_bottom_line(article)
    assert article.bottom_line.lower().startswith(article.determination.replace("_", " "))
    assert all(agent in article.bottom_line for agent in assessed)


def test_the_sample_medical_necessity_question_answers_with_its_determination(engine: Curbside) -> None:
    article = engine.ask(
        "Is rituximab medically necessary and standard of care for MDA5-positive dermatomyositis with rapidly "
        "progressive interstitial lung disease?",
        context="Adult with MDA5+ dermatomyositis, dysphagia, dysphonia and evolving rapidly progressive ILD. "
                "Planned treatment: Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG.",
    )
    _check_integrity(engine, article)
    _check_clinical_citations(article)
    assert article.question_type == "medical_necessity" and article.determination
    _check_derived_bottom_line(article)
    assert "rituximab" in article.bottom_line and "dermatomyositis" in article.bottom_line


def test_next_step_checks_the_regimen_dose_by_dose_and_ranks_options_by_evidence(engine: Curbside) -> None:
    article = engine.ask(NEXT_STEP)
    _check_integrity(engine, article)
    _check_clinical_citations(article)
    assert article.question_type == "next_step"
    context = article.patient_context
    assert context is not None
    current = {m.generic for m in context.medications}
    assert {"immune globulin", "rituximab", "tocilizumab", "prednisone", "hydroxychloroquine",
            "mycophenolate mofetil"} <= current
    assert {m.brand for m in context.medications} >= {"Actemra", "Plaquenil", "CellCept"}
    assert "6 months" in (context.therapy_duration or "")
    assert {"severe", "active", "improved"} <= set(context.severity)
    assert [a.agent for a in article.agent_assessments] == [m.generic for m in context.medications]
    assert all(a.dose_check.status in DOSE_STATUSES for a in article.agent_assessments)
    assert article.authorization_summary is None  # a next-step question is not an authorization request

    options = article.next_step_options
    assert options, "the corpus names other immunosuppressants for dermatomyositis"
    # The bottom line is the best-supported option, with the source that names it.
    _check_derived_bottom_line(article)
    assert options[0].agent in article.bottom_line
    assert article.bottom_line_derived_from[0].quote == options[0].statement.quotes[0]
    levels = [o.evidence_level for o in options]
    assert levels == sorted(levels)
    for option in options:
        assert option.agent not in current and option.statement.citations and option.statement.quotes
        assert names_as_treatment(option.statement.text, option.statement.doc_type)  # never safety advice
        if option.monitoring:
            assert option.monitoring_source and "PMID" not in option.monitoring_source


def test_dose_outside_the_reference_range_is_flagged_with_the_conversion(engine: Curbside) -> None:
    article = engine.ask(
        "A 60 kg woman with lupus takes hydroxychloroquine 400 mg daily and mycophenolate mofetil 1.5 g twice daily. "
        "What is the next step?"
    )
    checks = {a.agent: a.dose_check for a in article.agent_assessments}
    assert checks["hydroxychloroquine"].status == "above"
    assert "60 kg" in (checks["hydroxychloroquine"].conversion or "")
    # No curated mycophenolate regimen for lupus without nephritis: the transplant and lupus-nephritis regimens
    # are context, not the verdict (this asserted "within", judged against the heart-transplant dose).
    mmf = checks["mycophenolate mofetil"]
    assert mmf.status == "no_reference_for_indication" and mmf.context_status == "within"

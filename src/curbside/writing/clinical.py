"""The clinical-reasoning fields of an article (schema 1.1), composed from
:class:`curbside.evidence.assessment.ClinicalEvidence` with the same citations as the rest of the article:
the per-agent assessment, the determination, the authorization statement, ranked next-step options, and
"Newer evidence" conflicts between the article's own guideline and research bullets.

Every statement here is either quoted from a passage (and cited to it) or names a source of the curated
dosing and monitoring tables, which is cited as a reference of its own ("curated:" ids): the product's
FDA label and section, or a guideline by organization, title and year.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from curbside.corpus.documents import DocType, Document
from curbside.corpus.text import normalize
from curbside.evidence.assessment import (
    ClinicalEvidence,
    PlannedAgent,
    ScoredSentence,
    design_word,
)
from curbside.evidence.conflicts import GuidelineConflict, find_conflicts
from curbside.evidence.grading import certainty_of, grade_meaning
from curbside.understanding.patient_context import Medication
from curbside.writing.article import (
    AgentAssessment,
    AuthorizationSummary,
    CitedStatement,
    Conflict,
    DoseCheck,
    DoseStatus,
    Quote,
    RankedOption,
    Section,
)

CiteFunction = Callable[[Document], int]


def curated_source(source: str, kind: str) -> Document:
    """A curated table's source as a citable document (no passage: the source is named, not quoted)."""
    slug = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-")[:80]
    doc_type = DocType.DRUG_LABEL if kind == "label" else DocType.GUIDELINE
    return Document(f"curated:{slug}", "curbside-curated", source, doc_type)


def _statement(s: ScoredSentence, cite: CiteFunction) -> CitedStatement:
    doc = s.hit.document
    is_guideline = doc.doc_type == DocType.GUIDELINE
    return CitedStatement(
        text=normalize(s.text),
        citations=[cite(doc)],
        quotes=[Quote(doc_id=doc.doc_id, passage_id=s.hit.passage.passage_id, start=s.start, end=s.end, text=s.text)],
        grade=s.grade if is_guideline else None,
        strength=grade_meaning(s.grade, organization=doc.organization, scheme=doc.grade_scheme) if is_guideline else None,
        certainty=certainty_of(str(doc.doc_type), s.grade if is_guideline else None, organization=doc.organization),
        evidence_level=doc.evidence_level,
        doc_type=str(doc.doc_type),
        year=doc.year,
    )


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def _dose_written(med: Medication) -> str | None:
    if med.dose_value is None:
        return None
    parts = [f"{_number(med.dose_value)} {med.dose_unit or ''}".strip()]
    parts += [p for p in (med.route, med.frequency, med.schedule, med.duration) if p]
    return " ".join(parts)


def _dose_check(agent: PlannedAgent, cite: CiteFunction) -> DoseCheck:
    """The article's dose check, from the evidence layer's :class:`~curbside.evidence.dosing.DoseComparison`
    (the one place they are converted): the dose as written, the deciding reference and its source, cited."""
    med, comparison = agent.medication, agent.dose_check
    if comparison is None:
        return DoseCheck(status=DoseStatus.UNKNOWN, dose=None, explanation="No dose was given in the question.")
    reference = comparison.reference
    citations: list[int] = []
    if reference is not None:
        label = next((lp for lp in comparison.label_passages if lp.passage_id == reference.passage_id), None)
        if reference.passage_id and label is not None:
            # Read from a label in the index: cite that label like any other source.
            citations = [cite(Document(label.doc_id, "spl", label.title, DocType.DRUG_LABEL, year=label.year))]
        else:
            citations = [cite(curated_source(reference.source, reference.source_kind))]
    return DoseCheck(
        status=comparison.status, dose=_dose_written(med),
        reference=reference.range_text() if reference is not None else None,
        reference_source=reference.source if reference is not None else None,
        conversion=comparison.conversion or None, explanation=comparison.explanation, citations=citations,
    )


def agent_assessments(clinical: ClinicalEvidence, cite: CiteFunction) -> list[AgentAssessment]:
    out = []
    for agent in clinical.agents:
        e = agent.evidence
        guideline = _statement(e.guideline, cite) if e.guideline is not None else None
        research = _statement(e.research, cite) if e.research is not None else None
        levels = [s.evidence_level for s in (guideline, research) if s is not None and s.evidence_level]
        out.append(AgentAssessment(
            agent=e.generic, brand=e.brand, as_written=e.as_written, classification=e.classification,
            guideline_support=guideline, research_support=research, evidence_level=min(levels) if levels else None,
            label_status=e.label_status, label_source=e.label_source,
            label_citations=[cite(curated_source(e.label_source, "label"))] if e.label_source else [],
            dose_check=_dose_check(agent, cite),
            reasons=list(e.reasons),
        ))
    return out


def authorization_summary(clinical: ClinicalEvidence, assessments: list[AgentAssessment],
                          cite: CiteFunction) -> AuthorizationSummary | None:
    """A paragraph a utilization reviewer can paste: each agent's best cited support, its dose against the
    cited reference, and the determination. Sentences without a citation are not written."""
    sentences: list[CitedStatement] = []
    condition = ", ".join(clinical.conditions[:2]) or "this condition"
    for a in assessments:
        support = a.guideline_support or a.research_support
        name = f"{a.agent} ({a.brand})" if a.brand else a.agent
        if support is not None:
            doc_kind = "guideline" if a.guideline_support is not None else design_word(support.doc_type)
            year = f" ({support.year})" if support.year else ""
            grade = f", grade {support.grade}" if support.grade and len(support.grade) <= 3 else ""
            sentences.append(CitedStatement(
                text=f"For {name} in {condition}, a {doc_kind}{year}{grade} states: \u201c{support.text}\u201d",
                citations=list(support.citations), quotes=list(support.quotes), grade=support.grade,
                certainty=support.certainty, evidence_level=support.evidence_level, doc_type=support.doc_type,
                year=support.year,
            ))
        if a.label_status == "on_label" and a.label_citations:
            sentences.append(CitedStatement(
                text=f"{name[0].upper()}{name[1:]} is FDA-labelled for this indication ({a.label_source}).",
                citations=list(a.label_citations),
            ))
        check = a.dose_check
        if check.status in ("within", "above", "below") and check.citations and check.dose:
            relation = {"within": "within", "above": "above", "below": "below"}[check.status]
            sentences.append(CitedStatement(
                text=f"The requested {a.agent} dose ({check.dose}) is {relation} the reference dosing"
                     f"{f' ({check.reference})' if check.reference else ''} of {check.reference_source}.",
                citations=list(check.citations),
            ))
    determination = clinical.determination
    cited = sorted({n for s in sentences for n in s.citations})
    if not sentences or determination is None:
        return None
    supported = [a.agent for a in assessments if a.classification != "investigational"]
    unsupported = [a.agent for a in assessments if a.classification == "investigational"]
    verdict = {
        "supported": f"On the cited evidence, each agent of the plan ({', '.join(supported)}) is supported for {condition}.",
        "partially_supported": (
            f"On the cited evidence, {', '.join(supported)} {'is' if len(supported) == 1 else 'are'} supported for "
            f"{condition}; the knowledge base holds no guideline or trial support for {', '.join(unsupported)}."
        ),
        "insufficient_evidence": f"The cited evidence does not establish support for the plan in {condition}.",
    }[determination[0]]
    sentences.append(CitedStatement(text=verdict, citations=cited))
    return AuthorizationSummary(text=" ".join(s.text for s in sentences), citations=cited, sentences=sentences)


def ranked_options(clinical: ClinicalEvidence, cite: CiteFunction) -> list[RankedOption]:
    out = []
    for option in clinical.options:
        statement = _statement(option.sentence, cite)
        out.append(RankedOption(
            agent=option.generic, evidence_level=statement.evidence_level or 5, certainty=statement.certainty,
            statement=statement, monitoring=option.monitoring.text if option.monitoring else None,
            monitoring_source=option.monitoring.source if option.monitoring else None,
        ))
    return out


def conflicts(sections: list[Section]) -> list[Conflict]:
    """Newer research bullets that contradict older guideline bullets of the same article."""
    by_id = {s.id: s for s in sections}
    guidelines = by_id["guidelines"].bullets if "guidelines" in by_id else []
    research = by_id["research"].bullets if "research" in by_id else []
    if not guidelines or not research:
        return []
    written = (_conflict(c) for c in find_conflicts(guidelines, research))
    return [c for c in written if c is not None]


def _conflict(found: GuidelineConflict) -> Conflict | None:
    """The article's conflict, from the evidence layer's :class:`~curbside.evidence.conflicts.GuidelineConflict`
    (the one place they are converted): the note, the two bullets' citation numbers, years and directions.
    None when a side has no citation number (only the article's own cited bullets are compared)."""
    if found.guideline_citation is None or found.research_citation is None:
        return None
    return Conflict(
        note=found.note, guideline_citation=int(found.guideline_citation),
        research_citation=int(found.research_citation), guideline_year=found.guideline_year,
        research_year=found.research_year, guideline_direction=found.guideline_direction,
        research_direction=found.research_direction,
    )

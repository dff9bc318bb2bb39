"""The default writer: composes an Article from selected sentences, with no language model.

Every bullet is a sentence of a passage, quoted verbatim (whitespace collapsed for display) and cited.
The writer adds only framing it can stand behind: headings, grades as the guideline wrote them, and
plain statements about what the knowledge base does or does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from curbside.corpus.documents import (
    DOC_TYPE_LABELS,
    EVIDENCE_SCALE_NAME,
    DocType,
    Document,
)
from curbside.corpus.text import normalize
from curbside.evidence.assessment import ClinicalEvidence
from curbside.evidence.grading import certainty_of, grade_meaning
from curbside.evidence.selection import RESEARCH_TYPES, EvidenceSet, ScoredSentence
from curbside.settings import EvidenceSettings
from curbside.writing import clinical as clinical_fields
from curbside.writing.article import (
    DISCLAIMER,
    Article,
    Bullet,
    CitedStatement,
    DerivedFact,
    EvidenceStatus,
    NearbyDocument,
    QueryInfo,
    Quote,
    Reference,
    QuestionType,
    Section,
    Support,
    WriterInfo,
)

WRITER_NAME = "extractive"
WRITER_VERSION = "1"

SECTION_HEADINGS: dict[str, str] = {
    "guidelines": "From the Guidelines",
    "research": "From the Research",
    "label": "From the Drug Label",
    "considerations": "Key Considerations",
    "patient": "Patient Information",
}


class _References:
    """Numbers references in order of first citation."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._docs: list[Document] = []

    def cite(self, doc: Document) -> int:
        number = self._numbers.get(doc.doc_id)
        if number is None:
            self._docs.append(doc)
            number = self._numbers[doc.doc_id] = len(self._docs)
        return number

    def build(self) -> list[Reference]:
        return [
            Reference(
                number=i + 1, doc_id=d.doc_id, title=d.title, source=d.source, organization=d.organization,
                year=d.year, doc_type=str(d.doc_type), doc_type_label=DOC_TYPE_LABELS[d.doc_type],
                evidence_level=d.evidence_level, url=d.url, pmid=d.pmid, pmcid=d.pmcid, doi=d.doi,
                license=d.license, grade_scheme=_scheme_summary(d.grade_scheme),
            )
            for i, d in enumerate(self._docs)
        ]


def _scheme_summary(scheme: str | None, limit: int = 600) -> str | None:
    if not scheme:
        return None
    text = normalize(scheme)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def _quote(s: ScoredSentence) -> Quote:
    return Quote(doc_id=s.hit.document.doc_id, passage_id=s.hit.passage.passage_id, start=s.start, end=s.end, text=s.text)


def _bullet(s: ScoredSentence, refs: _References) -> Bullet:
    doc = s.hit.document
    return Bullet(
        text=normalize(s.text),
        citations=[refs.cite(doc)],
        quotes=[_quote(s)],
        support=Support.VERBATIM,
        grade=s.grade if doc.doc_type == DocType.GUIDELINE else None,
        strength=grade_meaning(s.grade, organization=doc.organization, scheme=doc.grade_scheme)
        if doc.doc_type == DocType.GUIDELINE
        else None,
        doc_type=str(doc.doc_type),
        evidence_level=doc.evidence_level,
        certainty=certainty_of(str(doc.doc_type), s.grade if doc.doc_type == DocType.GUIDELINE else None,
                               organization=doc.organization),
        year=doc.year,
        relevance=s.relevance,
    )


def _pick(
    candidates: Iterable[ScoredSentence],
    limit: int,
    used: set[tuple[str, int]],
    *,
    per_document: int = 2,
) -> list[ScoredSentence]:
    """Best candidates first, at most ``per_document`` from one document, never a sentence twice."""
    chosen: list[ScoredSentence] = []
    per_doc: dict[str, int] = {}
    seen_text: set[str] = set()
    for s in candidates:
        if len(chosen) >= limit:
            break
        key = (s.hit.passage.passage_id, s.start)
        doc_id = s.hit.document.doc_id
        text_key = normalize(s.text).lower()
        if key in used or per_doc.get(doc_id, 0) >= per_document or text_key in seen_text:
            continue
        chosen.append(s)
        used.add(key)
        seen_text.add(text_key)
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
    return chosen


def _suggestions(evidence: EvidenceSet) -> list[str]:
    """Broader questions, built only from the question's own concepts that the index does hold.

    The first keeps the three weightiest such concepts (in the question's order); the second keeps the
    weightiest alone. Concepts that nothing relevant addressed are dropped: they made the question narrow.
    """
    corrected = {e.term: e.expansion for e in evidence.understood.expansions if e.kind == "spelling"}
    weights = {corrected.get(c, c): w for c, w in evidence.concept_weights.items()}
    missing = {corrected.get(c, c) for c in (*evidence.uncovered_concepts, *evidence.absent_concepts)}
    order = list(weights)
    held = [c for c in order if c not in missing]
    if not held:
        # Nothing the question names is in the index: widen it by dropping its most specific concept.
        rest = [c for c in order if c != max(order, key=lambda c: (weights[c], -order.index(c)))] if order else []
        return [f"What is the evidence on {_join(rest[:3])}?"] if rest else []
    top = sorted(held, key=lambda c: (-weights[c], order.index(c)))
    suggestions: list[str] = []
    if len(held) > 1:
        three = sorted(top[:3], key=order.index)
        suggestions.append(f"What is the evidence on {_join(three)}?")
    suggestions.append(f"What is known about {top[0]}?")
    return suggestions


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def clinical_bottom_line(clinical: ClinicalEvidence, fields: dict[str, object]) -> CitedStatement:
    """The answer of a medical-necessity question (its determination, with which agents are supported and
    why the others are not) or of a next-step question (the best-supported option, with its source), as a
    derived sentence cited to the sources of its facts."""
    assessments = fields.get("agent_assessments") or []
    options = fields.get("next_step_options") or []
    if clinical.question_type == QuestionType.NEXT_STEP:
        best = clinical_fields.next_step_bottom_line(options, clinical)  # type: ignore[arg-type]
        if best is not None:
            return best
        return clinical_fields.derived(
            f"The knowledge base names no treatment option for {clinical_fields.conditions_text(clinical)} beyond "
            "the current regimen.", [])
    statement = clinical_fields.determination_statement(clinical, assessments)  # type: ignore[arg-type]
    assert statement is not None  # a medical-necessity question with agents has a determination
    return statement


class ExtractiveWriter:
    name = WRITER_NAME

    def __init__(self, settings: EvidenceSettings, preset: str = "default") -> None:
        self.settings = settings
        self.preset = preset

    def write(self, question: str, evidence: EvidenceSet, *, corpus_snapshot: str, article_id: str | None = None,
              clinical: ClinicalEvidence | None = None) -> Article:
        cfg = self.settings
        refs = _References()
        used: set[tuple[str, int]] = set()
        ranked = evidence.sentences
        guideline_pool = [s for s in ranked if s.doc_type == DocType.GUIDELINE]
        # Graded statements first: a bullet with its grade is what a consultant quotes.
        guideline_pool.sort(key=lambda s: (s.grade is None, -s.score, s.hit.passage.passage_id, s.start))
        research_pool = [s for s in ranked if s.doc_type in RESEARCH_TYPES]
        label_pool = [s for s in ranked if s.doc_type == DocType.DRUG_LABEL]
        patient_pool = [s for s in ranked if s.doc_type == DocType.PATIENT_INFORMATION]

        # A medical-necessity question is answered by its determination, a next-step question by its
        # best-supported option: the bottom line is then a derived sentence (clinical_bottom_line below).
        answers_clinically = clinical is not None and (
            (clinical.question_type == QuestionType.MEDICAL_NECESSITY and bool(clinical.agents))
            or (clinical.question_type == QuestionType.NEXT_STEP and bool(clinical.agents or clinical.options)))
        bottom: ScoredSentence | None = None
        if evidence.status != EvidenceStatus.INSUFFICIENT and not answers_clinically:
            firsts = [p[0] for p in (guideline_pool, research_pool, label_pool, patient_pool) if p]
            strong = [s for s in firsts if s.relevance >= 0.5]
            # A relevant guideline statement leads; otherwise the best-scoring source does (for a
            # dosing question, the label's dosage section outscores a trial's description of it).
            if strong and strong[0].doc_type != DocType.GUIDELINE:
                strong = sorted(strong, key=lambda s: (-s.score, s.hit.document.evidence_level))
            bottom = (strong or firsts)[0] if firsts else None

        picked: dict[str, list[ScoredSentence]] = {}
        picked["guidelines"] = _pick(guideline_pool, cfg.max_guideline_bullets, used)
        research = _pick(research_pool, cfg.max_research_bullets, used, per_document=1)
        # Shown strongest design first, then newest: the order a reviewer reads evidence in.
        research.sort(key=lambda s: (s.hit.document.evidence_level, -(s.hit.document.year or 0), -s.score))
        picked["research"] = research
        picked["label"] = _pick(label_pool, 3, used)
        considerations = [
            s for s in ranked
            if s.doc_type != DocType.PATIENT_INFORMATION and s.cues & {"safety", "monitoring", "caveat"}
        ]
        picked["considerations"] = _pick(considerations, cfg.max_consideration_bullets, used, per_document=1)
        picked["patient"] = _pick(patient_pool, cfg.max_patient_bullets, used)

        bottom_quotes: list[Quote] = []
        bottom_citations: list[int] = []
        if bottom is not None:
            bottom_citations = [refs.cite(bottom.hit.document)]
            bottom_quotes = [_quote(bottom)]
            bottom_line = normalize(bottom.text)
            if bottom.grade and bottom.doc_type == DocType.GUIDELINE:
                bottom_line += f" (Grade {bottom.grade})" if len(bottom.grade) <= 3 else f" ({bottom.grade})"
        else:
            bottom_line = "The knowledge base holds no evidence that answers this question directly."
        bottom_support: Support | None = None
        bottom_facts: list[DerivedFact] = []

        sections = [
            Section(id=key, heading=SECTION_HEADINGS[key], bullets=[_bullet(s, refs) for s in chosen])
            for key, chosen in picked.items()
            if chosen
        ]

        note: str | None = None
        suggestions: list[str] = []
        nearby: list[NearbyDocument] = []
        if evidence.status == EvidenceStatus.INSUFFICIENT:
            note = f"No passage among the {len(evidence.hits)} retrieved was relevant enough to quote."
            if evidence.absent_concepts:
                note += f" No passage in the knowledge base mentions: {', '.join(evidence.absent_concepts)}."
            if evidence.uncovered_concepts:
                note += f" The passages retrieved do not address: {', '.join(evidence.uncovered_concepts)}."
            suggestions = _suggestions(evidence)
            seen: set[str] = set()
            for hit in evidence.hits:
                d = hit.document
                if d.doc_id not in seen:
                    seen.add(d.doc_id)
                    nearby.append(NearbyDocument(doc_id=d.doc_id, title=d.title, doc_type=str(d.doc_type), year=d.year, url=d.url))
                if len(nearby) == 5:
                    break
        elif evidence.status == EvidenceStatus.LIMITED:
            note = "The evidence found is limited: no guideline or study in the knowledge base addresses all of the question."
            missing = evidence.absent_concepts + evidence.uncovered_concepts
            if missing:
                note += f" Not covered: {', '.join(missing)}."
            suggestions = _suggestions(evidence)

        extra: dict[str, object] = {"conflicts": clinical_fields.conflicts(sections)}
        if clinical is not None:
            extra["question_type"] = clinical.question_type
            extra["patient_context"] = clinical.patient
            if clinical.agents:
                assessments = clinical_fields.agent_assessments(clinical, refs.cite)
                extra["agent_assessments"] = assessments
                determination = clinical.determination
                if determination is not None:
                    extra["determination"], extra["determination_reasons"] = determination
                if clinical.question_type == QuestionType.MEDICAL_NECESSITY:
                    extra["authorization_summary"] = clinical_fields.authorization_summary(clinical, assessments, refs.cite)
            if clinical.options:
                extra["next_step_options"] = clinical_fields.ranked_options(clinical, refs.cite)
            if answers_clinically:
                statement = clinical_bottom_line(clinical, extra)
                bottom_line, bottom_citations, bottom_quotes = statement.text, list(statement.citations), []
                bottom_support, bottom_facts = Support.DERIVED, list(statement.derived_from)
            # A serious interaction is the first consideration (a derived bullet; the labels' words are its facts).
            extra["interactions"], extra["interaction_check"], sections = clinical_fields.interaction_fields(
                clinical, sections, refs.cite, SECTION_HEADINGS["considerations"])

        understood = evidence.understood
        return Article(
            id=article_id,
            title=normalize(question),
            question=question,
            bottom_line=bottom_line,
            bottom_line_citations=bottom_citations,
            bottom_line_quotes=bottom_quotes,
            bottom_line_support=bottom_support,
            bottom_line_derived_from=bottom_facts,
            evidence_status=evidence.status,
            evidence_note=note,
            suggested_questions=suggestions,
            nearby_documents=nearby,
            sections=sections,
            references=refs.build(),
            patient_story=understood.patient,
            query=QueryInfo(
                clinical_question=understood.clinical_question,
                keywords=list(understood.keywords),
                expansions=list(understood.expansions),
                mesh_terms=list(understood.mesh_terms),
            ),
            corpus_snapshot=corpus_snapshot,
            evidence_scale=EVIDENCE_SCALE_NAME,
            writer=WriterInfo(name=WRITER_NAME, version=WRITER_VERSION, preset=self.preset, settings=cfg.model_dump()),
            disclaimer=DISCLAIMER,
            **extra,
        )

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
    EXPRESSION_OF_CONCERN,
    DocType,
    Document,
)
from curbside.corpus.text import normalize
from curbside.evidence.assessment import ClinicalEvidence
from curbside.evidence.grading import certainty_of, grade_meaning
from curbside.evidence.noise import display_text
from curbside.evidence.selection import RESEARCH_TYPES, EvidenceSet, ScoredSentence
from curbside.evidence.structured_answers import structured_answer
from curbside.understanding import AnswerIntent
from curbside.understanding.answer_intent import needs_interval
from curbside.settings import EvidenceSettings
from curbside.writing import clinical as clinical_fields
from curbside.writing.article import (
    DISCLAIMER,
    Article,
    Bullet,
    CitedStatement,
    HistoryNote,
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
                flags=[flag for flag in d.flags if flag == EXPRESSION_OF_CONCERN],
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
        text=display_text(normalize(s.text)),  # footnote markers dropped; the quote keeps the source's words
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
        indirect=s.population_note is not None,
        population_note=s.population_note,
    )


def _pick(
    candidates: Iterable[ScoredSentence],
    limit: int,
    used: set[tuple[str, int]],
    *,
    per_document: int = 2,
    graded_per_document: int = 0,
) -> list[ScoredSentence]:
    """Best candidates first, at most ``per_document`` from one document, never a sentence twice.

    With ``graded_per_document``, a guideline's graded statements count apart: up to that many of them, one a
    passage (each graded passage is one recommendation: USPSTF's "adults aged 50 to 75", "45 to 49" and "76 to
    85"), so the cap on a document's bullets never hides one of its recommendations behind another."""
    chosen: list[ScoredSentence] = []
    per_doc: dict[str, int] = {}
    graded_doc: dict[str, int] = {}
    graded_passages: set[str] = set()
    seen_text: set[str] = set()
    for s in candidates:
        if len(chosen) >= limit:
            break
        key = (s.hit.passage.passage_id, s.start)
        doc_id = s.hit.document.doc_id
        text_key = normalize(s.text).lower()
        if key in used or text_key in seen_text:
            continue
        as_graded = (graded_per_document > 0 and s.grade is not None
                     and s.hit.passage.passage_id not in graded_passages
                     and graded_doc.get(doc_id, 0) < graded_per_document)
        if not as_graded and per_doc.get(doc_id, 0) >= per_document:
            continue
        chosen.append(s)
        used.add(key)
        seen_text.add(text_key)
        if as_graded:
            graded_doc[doc_id] = graded_doc.get(doc_id, 0) + 1
            graded_passages.add(s.hit.passage.passage_id)
        else:
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


# What kind of statement each intent needed, for the sentence that says the knowledge base lacks it.
_WANTED: dict[AnswerIntent, str] = {
    AnswerIntent.DOSE: "a dose",
    AnswerIntent.MONITORING: "monitoring advice",
    AnswerIntent.SAFETY: "a safety statement",
    AnswerIntent.TESTS: "a testing or screening recommendation",
    AnswerIntent.FIRST_DRUG: "a first-line treatment recommendation",
    AnswerIntent.NEXT: "a treatment recommendation",
    AnswerIntent.SHOULD: "a recommendation or study result",
    AnswerIntent.OTHER: "a statement",
}


def answer_gap(evidence: EvidenceSet) -> str:
    """The bottom line when no sentence answers: what the knowledge base lacks, and what the sections below
    hold instead (indirect or partial evidence). A derived sentence, never a guess."""
    intent = evidence.intent
    wanted = _WANTED[intent]
    if intent == AnswerIntent.TESTS and needs_interval(evidence.understood.clinical_question):
        wanted += " with an interval"
    about = _join(list(evidence.subject)) if evidence.subject else "this question"
    text = f"Not found in the knowledge base: no source gives {wanted} about {about}"
    if evidence.understood.patient.pregnant:
        text += " in pregnancy"
    text += "."
    indirect = sorted({s.population_note for s in evidence.sentences if s.answers and s.population_note})
    if indirect:
        text += (" The closest statements are from sources for another population or setting "
                 f"({'; '.join(indirect[:3])}) and are marked as indirect below.")
    elif evidence.sentences:
        text += " The related evidence below does not answer it directly."
    return text


def history_notes(evidence: EvidenceSet, cited: set[str]) -> list[HistoryNote]:
    """A dated note for each earlier version, found by the retrieval, of a guideline the article cites (a
    summary of the very same statement is a duplicate, not history)."""
    titles = {hit.document.doc_id: hit.document for hit in evidence.hits}
    notes = []
    for old_id, sup in sorted(evidence.superseded.items()):
        if sup.same_statement or sup.new_doc_id not in cited:
            continue
        old = titles.get(old_id)
        title = old.title if old is not None else sup.topic
        org = f"{old.organization}, " if old is not None and old.organization else ""
        notes.append(HistoryNote(
            doc_id=old_id, title=title, year=sup.old_year, replaced_by=sup.new_doc_id, replaced_by_year=sup.new_year,
            note=(f"An earlier version ({org}{sup.old_year or 'undated'}: {title}) was replaced by the "
                  f"{sup.new_year or 'current'} statement ({sup.new_doc_id}); only the current one is cited."),
        ))
    return notes


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

        # A medical-necessity question is answered by its determination, a "what next" question by its
        # best-supported option: the bottom line is then a derived sentence (clinical_bottom_line below).
        answers_clinically = clinical is not None and (
            (clinical.question_type == QuestionType.MEDICAL_NECESSITY and bool(clinical.agents))
            or (clinical.question_type == QuestionType.NEXT_STEP and evidence.intent == AnswerIntent.NEXT
                and bool(clinical.agents or clinical.options)))
        # Otherwise the sentence evidence selection chose as the answer (it gives the kind of answer wanted,
        # about the question's subject, from a source for this patient), or a structured answer from a
        # curated table for dose and monitoring questions; never the best-overlapping sentence.
        label_answer = evidence.answer is not None and evidence.answer.doc_type == DocType.DRUG_LABEL
        structured = None if answers_clinically or label_answer else structured_answer(evidence.understood)
        bottom = None if answers_clinically or structured is not None else evidence.answer
        status = EvidenceStatus.SUFFICIENT if structured is not None else evidence.status

        picked: dict[str, list[ScoredSentence]] = {}
        picked["guidelines"] = _pick(guideline_pool, cfg.max_guideline_bullets, used,
                                     graded_per_document=cfg.max_graded_per_guideline)
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
        bottom_support: Support | None = None
        bottom_facts: list[DerivedFact] = []
        if bottom is not None:
            bottom_citations = [refs.cite(bottom.hit.document)]
            bottom_quotes = [_quote(bottom)]
            bottom_line = display_text(normalize(bottom.text))
            if bottom.grade and bottom.doc_type == DocType.GUIDELINE:
                bottom_line += f" (Grade {bottom.grade})" if len(bottom.grade) <= 3 else f" ({bottom.grade})"
        elif structured is not None:
            bottom_line, bottom_support = structured.text, Support.DERIVED
            bottom_facts = [DerivedFact(fact=fact, value=value) for fact, value in structured.facts]
        else:
            bottom_line = answer_gap(evidence)

        sections = [
            Section(id=key, heading=SECTION_HEADINGS[key], bullets=[_bullet(s, refs) for s in chosen])
            for key, chosen in picked.items()
            if chosen
        ]

        note: str | None = None
        suggestions: list[str] = []
        nearby: list[NearbyDocument] = []
        if status == EvidenceStatus.INSUFFICIENT:
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
        elif status == EvidenceStatus.LIMITED:
            note = ("The evidence found is limited: no guideline or study in the knowledge base answers the question "
                    "directly for this patient.")
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

            # "Is X safe with Y": a serious interaction answers first; the check's scope answers when no
            # sentence does (a derived statement either way, cited to the labels and the curated table).
            if evidence.intent == AnswerIntent.SAFETY and not answers_clinically:
                statement = clinical_fields.interaction_answer(clinical, extra["interactions"])  # type: ignore[arg-type]
                found = statement is not None and any(f.fact.startswith("interaction (") for f in statement.derived_from)
                # The check's scope answers only a question that itself names two drugs, never one whose
                # other "drugs" are the options the analysis proposed.
                asked_pair = len(evidence.understood.patient.medications) >= 2
                if statement is not None and (found or (bottom is None and asked_pair)):
                    bottom_line, bottom_citations, bottom_quotes = statement.text, list(statement.citations), []
                    bottom_support, bottom_facts = Support.DERIVED, list(statement.derived_from)
                    if found:
                        status, note, suggestions, nearby = EvidenceStatus.SUFFICIENT, None, [], []

        understood = evidence.understood
        references = refs.build()
        extra["history_notes"] = history_notes(evidence, {r.doc_id for r in references})
        return Article(
            id=article_id,
            title=normalize(question),
            question=question,
            bottom_line=bottom_line,
            bottom_line_citations=bottom_citations,
            bottom_line_quotes=bottom_quotes,
            bottom_line_support=bottom_support,
            bottom_line_derived_from=bottom_facts,
            evidence_status=status,
            evidence_note=note,
            suggested_questions=suggestions,
            nearby_documents=nearby,
            sections=sections,
            references=references,
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

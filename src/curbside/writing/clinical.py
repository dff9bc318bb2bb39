"""The clinical-reasoning fields of an article (schema 1.1), composed from
:class:`curbside.evidence.assessment.ClinicalEvidence` with the same citations as the rest of the article:
the per-agent assessment, the determination, the authorization statement, ranked next-step options, the
bottom line of a medical-necessity or next-step question, and "Newer evidence" conflicts between the
article's own guideline and research bullets.

A statement here is either quoted from a passage (``quotes`` hold its words) or derived: Curbside wrote it
from a template (the verdict, label, dose and authorization sentences, and the determination as a bottom
line), marked ``support: derived`` and listing the facts it was built from, each with the reference it
came from (a source's words it repeats are the quote of that fact, never of the sentence). The curated
dosing and monitoring tables are cited as references of their own ("curated:" ids): the product's FDA label
and section, or a guideline by organization, title and year.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from curbside.corpus.documents import DocType, Document, evidence_level
from curbside.corpus.text import normalize
from curbside.evidence.assessment import (
    AgentEvidence,
    ClinicalEvidence,
    PlannedAgent,
    ScoredSentence,
    StatementRole,
    design_word,
)
from curbside.evidence.conflicts import GuidelineConflict, find_conflicts
from curbside.evidence.dosing import DoseComparison, reference_name
from curbside.evidence.grading import certainty_of, grade_meaning
from curbside.evidence.interactions import SERIOUS_SEVERITIES, InteractionCheck, InteractionSourceKind, table_generics
from curbside.evidence.interactions import InteractionSource as FoundSource
from curbside.understanding.patient_context import Medication
from curbside.writing.article import (
    AgentAssessment,
    AuthorizationSummary,
    Bullet,
    CitedStatement,
    Conflict,
    DerivedFact,
    DoseCheck,
    DoseStatus,
    InteractionFinding,
    InteractionScope,
    InteractionSource,
    Quote,
    RankedOption,
    Section,
    Support,
)
from curbside.writing.render import CLASSIFICATION_LABELS, DETERMINATION_LABELS

CiteFunction = Callable[[Document], int]


def curated_source(source: str, kind: str) -> Document:
    """A curated table's source as a citable document (no passage: the source is named, not quoted)."""
    slug = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-")[:80]
    doc_type = DocType.DRUG_LABEL if kind == "label" else DocType.GUIDELINE
    return Document(f"curated:{slug}", "curbside-curated", source, doc_type)


def _quote(s: ScoredSentence) -> Quote:
    return Quote(doc_id=s.hit.document.doc_id, passage_id=s.hit.passage.passage_id, start=s.start, end=s.end, text=s.text)


def _statement(s: ScoredSentence, cite: CiteFunction) -> CitedStatement:
    doc = s.hit.document
    is_guideline = doc.doc_type == DocType.GUIDELINE
    return CitedStatement(
        text=normalize(s.text),
        citations=[cite(doc)],
        quotes=[_quote(s)],
        support=Support.VERBATIM,
        grade=s.grade if is_guideline else None,
        strength=grade_meaning(s.grade, organization=doc.organization, scheme=doc.grade_scheme) if is_guideline else None,
        certainty=certainty_of(str(doc.doc_type), s.grade if is_guideline else None, organization=doc.organization),
        evidence_level=doc.evidence_level,
        doc_type=str(doc.doc_type),
        year=doc.year,
    )


def derived(text: str, facts: Sequence[DerivedFact], **fields: object) -> CitedStatement:
    """A templated sentence: marked derived, cited to the references its facts came from, never quoted."""
    citations = sorted({f.citation for f in facts if f.citation is not None})
    return CitedStatement(text=text, citations=citations, support=Support.DERIVED, derived_from=list(facts),
                          **fields)  # type: ignore[arg-type]


def quoted_fact(fact: str, statement: CitedStatement) -> DerivedFact:
    """A quoted statement as the fact of a derived sentence (its words, its reference, its quote)."""
    return DerivedFact(fact=fact, value=statement.text, citation=statement.citations[0] if statement.citations else None,
                       quote=statement.quotes[0] if statement.quotes else None)


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
    (the one place they are converted): the dose as written, the deciding reference and its source, cited,
    and the indication it was looked for (with no reference for it, the nearest one is context only)."""
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
    conversion = comparison.conversion or None
    if conversion and comparison.status == DoseStatus.NO_REFERENCE_FOR_INDICATION and reference is not None:
        conversion = f"context only, against {reference_name(reference)}: {conversion}"
    return DoseCheck(
        status=comparison.status, dose=_dose_written(med),
        reference=reference.range_text() if reference is not None else None,
        reference_source=reference.source if reference is not None else None,
        indication=comparison.indication, reference_indication=comparison.reference_indication,
        context_status=comparison.context_status,
        conversion=conversion, explanation=comparison.explanation, citations=citations,
    )


def _label_citations(e: AgentEvidence, cite: CiteFunction) -> list[int]:
    """The label that decided the label status: an indexed label's document, else the curated source."""
    entry = e.label_verdict.entry if e.label_verdict is not None else None
    if entry is not None and entry.doc_id:
        return [cite(Document(entry.doc_id, "spl", entry.label_source, DocType.DRUG_LABEL))]
    return [cite(curated_source(e.label_source, "label"))] if e.label_source else []


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
            label_citations=_label_citations(e, cite),
            dose_check=_dose_check(agent, cite),
            reasons=list(e.reasons),
        ))
    return out


def conditions_text(clinical: ClinicalEvidence) -> str:
    """The patient's conditions as the sentences name them ("MDA5+ dermatomyositis with interstitial lung disease")."""
    names = clinical.conditions[:2]
    return " with ".join(names) if names else "this condition"


# How a deciding statement is introduced in the authorization summary, by what it is.
_SUPPORT_WORDS: dict[StatementRole, str] = {
    StatementRole.RECOMMENDATION: "recommends it",
    StatementRole.AGAINST: "recommends against it",
    StatementRole.TRIALS_ONLY: "finds the evidence insufficient to recommend it, or reserves it for trials",
    StatementRole.RESULT: "reports",
    StatementRole.NO_EFFECT: "found no benefit",
}


def _support_sentence(name: str, condition: str, e: AgentEvidence, a: AgentAssessment) -> CitedStatement | None:
    """The deciding guideline statement, else (with no guideline statement) the strongest study result,
    quoted inside a derived sentence that says what it is."""
    if a.guideline_support is not None and e.guideline_role is not None:
        statement, role, kind = a.guideline_support, e.guideline_role, "guideline"
    elif a.research_support is not None and e.research_role is not None:
        statement, role, kind = a.research_support, e.research_role, design_word(a.research_support.doc_type)
    else:
        return None
    year = f" ({statement.year})" if statement.year else ""
    grade = f", grade {statement.grade}," if statement.grade and len(statement.grade) <= 3 else ""
    return derived(
        f"For {name} in {condition}, a {kind}{year}{grade} {_SUPPORT_WORDS[role]}: \u201c{statement.text}\u201d",
        [quoted_fact(f"{kind} statement ({role})", statement)],
        grade=statement.grade, certainty=statement.certainty, evidence_level=statement.evidence_level,
        doc_type=statement.doc_type, year=statement.year,
    )


def _label_sentence(name: str, e: AgentEvidence, a: AgentAssessment) -> CitedStatement | None:
    """On-label: the indication sentence of the label that covers the condition, as a fact of a derived
    sentence."""
    if a.label_status != "on_label" or not a.label_citations:
        return None
    sentence = e.label_indication
    entry = e.label_verdict.entry if e.label_verdict is not None else None
    text = f"{name[0].upper()}{name[1:]} is FDA-labelled for this condition ({a.label_source})"
    if entry is not None and entry.passage_id is None:
        # The curated table's wording was written from the label by hand, not read from a passage of the
        # index: it is named as the curated indication, never put in quotation marks as the label's words.
        facts = [DerivedFact(fact="labelled indication (curated table)", value=entry.condition,
                             citation=a.label_citations[0])]
        return derived(f"{text}: the curated table of label indications lists {normalize(entry.condition)}.", facts)
    facts = [DerivedFact(fact="label indication", value=sentence or "on-label for this condition",
                         citation=a.label_citations[0])]
    return derived(text + (f": \u201c{normalize(sentence)}\u201d" if sentence else "."), facts)


_RELATION_WORDS = {"within": "within", "above": "above", "below": "below"}


def _dose_sentence(a: AgentAssessment, comparison: DoseComparison | None) -> CitedStatement | None:
    """The requested dose against the reference for the patient's indication; with none for it, the
    nearest reference only as context. Cited to the reference's source; the dose comes from the question."""
    check = a.dose_check
    if comparison is None or comparison.reference is None or not check.citations or not check.dose:
        return None
    facts = [
        DerivedFact(fact="requested dose", value=check.dose),
        DerivedFact(fact="reference dose", value=f"{check.reference} ({check.reference_indication})",
                    citation=check.citations[0]),
    ]
    where = f"{reference_name(comparison.reference)} ({check.reference}) of {check.reference_source}"
    if check.status in _RELATION_WORDS:
        return derived(f"The requested {a.agent} dose ({check.dose}) is {_RELATION_WORDS[check.status]} {where}.", facts)
    if check.status == DoseStatus.NO_REFERENCE_FOR_INDICATION:
        facts.insert(1, DerivedFact(fact="indication", value=check.indication or ""))
        context = check.context_status
        relation = (f"would be {_RELATION_WORDS[context]}" if context in _RELATION_WORDS
                    else "could not be checked against")
        return derived(
            f"No reference dose of {a.agent} for {check.indication} was found (no indexed label or curated regimen "
            f"gives one), so the requested dose ({check.dose}) is not judged; for context only, it {relation} "
            f"{where}.", facts)
    return None


def _classification_facts(assessments: Sequence[AgentAssessment]) -> list[DerivedFact]:
    """Each agent's classification, with the reference of the statement or label that decided it (none for
    an agent that could not be assessed)."""
    facts = []
    for a in assessments:
        decided = a.guideline_support or a.research_support
        citation = (decided.citations[0] if decided is not None and decided.citations
                    else a.label_citations[0] if a.label_status == "on_label" and a.label_citations else None)
        facts.append(DerivedFact(fact=f"classification of {a.agent}", value=CLASSIFICATION_LABELS[a.classification].lower(),
                                 citation=citation))
    return facts


def determination_statement(clinical: ClinicalEvidence, assessments: Sequence[AgentAssessment]) -> CitedStatement | None:
    """The determination in one derived sentence, with its first reason (which agents are supported, which
    are not and why), cited to the sources of the agents' classifications."""
    determination = clinical.determination
    if determination is None:
        return None
    verdict, reasons = determination
    reason = reasons[0] if reasons else ""
    text = f"{DETERMINATION_LABELS[verdict]} for {conditions_text(clinical)}" + (
        f": {reason[0].lower()}{reason[1:]}" if reason else ".")
    return derived(text, _classification_facts(assessments))


def authorization_summary(clinical: ClinicalEvidence, assessments: list[AgentAssessment],
                          cite: CiteFunction) -> AuthorizationSummary | None:
    """A paragraph a utilization reviewer can paste: each agent's deciding statement (a guideline's
    recommendation, against, or trials-only statement, else the strongest study result), its label
    indication, its dose against the reference for this indication (with none, the nearest only as
    context), and the determination, which names the agents that could not be assessed and why. Every
    sentence is derived and cited to the sources of its facts; a sentence with no source is not written."""
    sentences: list[CitedStatement] = []
    condition = conditions_text(clinical)
    for agent, a in zip(clinical.agents, assessments):
        name = f"{a.agent} ({a.brand})" if a.brand else a.agent
        for sentence in (_support_sentence(name, condition, agent.evidence, a), _label_sentence(name, agent.evidence, a),
                         _dose_sentence(a, agent.dose_check)):
            if sentence is not None and sentence.citations:
                sentences.append(sentence)
    verdict = determination_statement(clinical, assessments)
    if not sentences or verdict is None:
        return None
    cited = sorted({n for s in sentences for n in s.citations})
    # The determination stands on every source the summary cites.
    sentences.append(verdict.model_copy(update={"citations": sorted(set(verdict.citations) | set(cited))}))
    return AuthorizationSummary(text=" ".join(s.text for s in sentences), citations=cited, sentences=sentences)


def next_step_bottom_line(options: Sequence[RankedOption], clinical: ClinicalEvidence) -> CitedStatement | None:
    """The best-supported options not in the current regimen, with their reason: the kind and level of the
    source that names them, quoted as the fact the sentence stands on. Options named by the same sentence
    are given together: one sentence ranks none above another. None when the evidence names no option."""
    if not options:
        return None
    clear = [o for o in options if o.interaction_warning is None]
    if not clear:
        # Every option interacts seriously with the patient's drugs: none is offered as the next step.
        return derived(
            f"The options the knowledge base names for {conditions_text(clinical)} beyond the current regimen "
            f"({_and([o.agent for o in options])}) each interact seriously with the patient's drugs (see Key "
            "Considerations): none is given as the next step.",
            [DerivedFact(fact=f"serious interaction of {o.agent}", value=o.interaction_warning or "") for o in options])
    options = clear
    statement = options[0].statement
    named = [o.agent for o in options if o.statement.text == statement.text and o.statement.citations == statement.citations]
    kind = design_word(statement.doc_type)
    grade = f", grade {statement.grade}" if statement.grade and len(statement.grade) <= 3 else ""
    weakest = ", the weakest" if options[0].evidence_level >= 5 else ""
    together = "named together by" if len(named) > 1 else "named by"
    return derived(
        f"Best-supported next {'options' if len(named) > 1 else 'option'} in the knowledge base for "
        f"{conditions_text(clinical)}, beyond the current regimen: {_and(named)}, {together} a {kind} (evidence "
        f"level {options[0].evidence_level}{weakest}{grade}): \u201c{statement.text}\u201d",
        [quoted_fact(f"option: {', '.join(named)}", statement)],
    )


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def ranked_options(clinical: ClinicalEvidence, cite: CiteFunction) -> list[RankedOption]:
    out = []
    for option in clinical.options:
        statement = _statement(option.sentence, cite)
        out.append(RankedOption(
            agent=option.generic, evidence_level=statement.evidence_level or 5, certainty=statement.certainty,
            statement=statement, monitoring=option.monitoring.text if option.monitoring else None,
            monitoring_source=option.monitoring.source if option.monitoring else None,
            interaction_warning="; ".join(
                f"{f.severity} interaction with {f.other(option.generic)}" for f in option.serious_interactions) or None,
        ))
    return out


# --- drug interactions ---------------------------------------------------------------------------------------
_ROLE_WORDS = {"regimen": "current regimen", "proposed": "proposed", "option": "an option"}


def _interaction_source(found: FoundSource, cite: CiteFunction) -> InteractionSource:
    """A source of an interaction, cited: an indexed label like any other source, the table by its source labels."""
    if found.kind == InteractionSourceKind.LABEL_IN_INDEX and found.doc_id and found.passage_id:
        citation = cite(Document(found.doc_id, "spl", found.doc_title or found.source, DocType.DRUG_LABEL, year=found.year))
        quote = Quote(doc_id=found.doc_id, passage_id=found.passage_id, start=found.start or 0, end=found.end or 0,
                      text=found.sentence or "")
        return InteractionSource(kind=found.kind, severity=found.severity, source=found.source, citation=citation,
                                 quote=quote, named_as=found.named_as)
    return InteractionSource(kind=found.kind, severity=found.severity, source=found.source,
                             citation=cite(curated_source(found.source, "label")))


def interaction_findings(check: InteractionCheck, cite: CiteFunction) -> list[InteractionFinding]:
    """The article's findings, from the evidence layer's (the one place they are converted), most severe first."""
    out = []
    for f in check.findings:
        sources = [_interaction_source(s, cite) for s in f.sources]
        out.append(InteractionFinding(
            drugs=list(f.drugs), roles=list(f.roles), severity=f.severity, effect=f.effect, management=f.management,
            sources=sources, citations=sorted({s.citation for s in sources if s.citation is not None})))
    return out


def interaction_scope(check: InteractionCheck) -> InteractionScope | None:
    """How far the check reached; None when fewer than two drugs were named (nothing to pair)."""
    if not check.pairs:
        return None
    return InteractionScope(
        statement=check.scope_statement(), drugs=list(check.drugs), pairs_checked=len(check.pairs),
        table_drugs=list(check.table_drugs), label_drugs=list(check.label_drugs), not_checked=list(check.not_checked),
        not_included=list(check.not_included), table_coverage=table_generics(),
    )


def interaction_bullet(finding: InteractionFinding) -> Bullet:
    """A serious interaction as a derived consideration: Curbside's sentence, built from the table's effect and
    management and the label sentences that state it (their words are the facts' quotes, never the bullet's)."""
    (a, b), (role_a, role_b) = finding.drugs, finding.roles
    text = (f"Serious drug interaction ({finding.severity}): {a} ({_ROLE_WORDS[role_a]}) with {b} "
            f"({_ROLE_WORDS[role_b]}).")
    facts = [DerivedFact(fact="interacting drugs", value=f"{a} ({role_a}) and {b} ({role_b})")]
    if finding.effect:
        text += f" {finding.effect}"
    if finding.management:
        text += f" Management: {finding.management}"
    for source in finding.sources:
        if source.kind == InteractionSourceKind.LABEL_IN_INDEX and source.quote is not None:
            text += f" Stated by {source.source}, which names {source.named_as} ({source.severity})."
            facts.append(DerivedFact(fact=f"label statement ({source.severity})", value=normalize(source.quote.text),
                                     citation=source.citation, quote=source.quote))
        else:
            text += f" Curated interaction table, from {source.source}."
            facts.append(DerivedFact(fact="curated interaction table: severity, effect and management",
                                     value="; ".join(v for v in (str(source.severity), finding.effect, finding.management) if v),
                                     citation=source.citation))
    return Bullet(text=text, citations=list(finding.citations), quotes=[], support=Support.DERIVED,
                  doc_type=DocType.DRUG_LABEL, evidence_level=evidence_level(DocType.DRUG_LABEL),
                  relevance=1.0, derived_from=facts)


def interaction_fields(clinical: ClinicalEvidence, sections: list[Section], cite: CiteFunction,
                       considerations_heading: str) -> tuple[list[InteractionFinding], InteractionScope | None, list[Section]]:
    """The article's interactions and scope, and its sections with each serious interaction as the first
    considerations (a considerations section is added where the article had none)."""
    check = clinical.interactions
    if check is None:
        return [], None, sections
    findings = interaction_findings(check, cite)
    bullets = [interaction_bullet(f) for f in findings if f.severity in SERIOUS_SEVERITIES]
    if not bullets:
        return findings, interaction_scope(check), sections
    out = list(sections)
    at = next((i for i, s in enumerate(out) if s.id == "considerations"), None)
    if at is not None:
        out[at] = out[at].model_copy(update={"bullets": [*bullets, *out[at].bullets]})
    else:
        before = next((i for i, s in enumerate(out) if s.id == "patient"), len(out))
        out.insert(before, Section(id="considerations", heading=considerations_heading, bullets=bullets))
    return findings, interaction_scope(check), out


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


def interaction_answer(clinical: ClinicalEvidence, findings: Sequence[InteractionFinding]) -> CitedStatement | None:
    """The answer to "is X safe with Y" from the interaction check, as a derived sentence cited to its sources:
    the most severe finding that involves a proposed drug; else, when every drug was known to the check, that
    none was found (which is not evidence that none exists); else which drugs could not be checked. None when
    the check did not run or the question proposes no drug (the writer owns the bottom line: this is for it)."""
    check = clinical.interactions
    if check is None or not check.pairs:
        return None
    proposed = [g for g, role in check.drugs.items() if role != "regimen"]
    if not proposed:
        return None
    involving = [f for f in findings if any(d in proposed for d in f.drugs)]
    if involving:
        top = involving[0]  # most severe first
        facts = [DerivedFact(fact=f"interaction ({s.kind})", value=str(s.severity), citation=s.citation, quote=s.quote)
                 for s in top.sources]
        verdict = "Not to be combined" if top.severity == "contraindicated" else (
            "A serious interaction" if top.severity in SERIOUS_SEVERITIES else "An interaction to manage")
        advice = f" {top.management}" if top.management else ""
        return derived(f"{verdict}: {top.drugs[0]} with {top.drugs[1]} is a {top.severity} interaction."
                       + (f" {top.effect}" if top.effect else "") + advice, facts)
    if check.not_checked:
        return derived(f"Interactions of {_and(check.not_checked)} could not be checked: not found in Curbside's "
                       "interaction table or in a label in the knowledge base, which is not evidence that none exists.",
                       [DerivedFact(fact="interaction check scope", value=check.scope_statement())])
    return derived(f"No interaction between {_and(list(check.drugs))} was found in Curbside's curated interaction "
                   "table or the labels in the knowledge base; not found is not evidence that none exists.",
                   [DerivedFact(fact="interaction check scope", value=check.scope_statement())])

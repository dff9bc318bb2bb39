"""Per-agent evidence for medical-necessity and next-step questions: what the knowledge base says about
each drug of the plan or regimen, for the patient's condition, and how established its use is.

Deterministic, like the rest of evidence selection: for each agent, one search for "agent + condition";
from the hits, the sentences that name the agent (by generic name, brand or abbreviation) in a passage
about the condition. Each sentence is read for what it is (:func:`statement_role`, with the cues of
``vocabulary/data/statement_cues.tsv``): only a guideline's recommendation statement for the agent, and a
study's reported result, count; a mention, screening or monitoring advice, a warning, a contraindication,
a methods sentence or a study's aim never does. The deciding guideline statement and the strongest
research result are kept as :class:`~curbside.evidence.selection.ScoredSentence`, so the writer quotes and
cites them like any bullet.

The rules of the classification are :class:`Classification`'s (also written on the editorial policy page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from curbside.corpus.documents import DocType
from curbside.corpus.text import content_tokens, sentence_spans
from curbside.evidence.dosing import DoseComparison, LabelSource, check_dose
from curbside.evidence.grading import certainty_of, sentence_grade
from curbside.evidence.indications import LabelStatus, LabelVerdict, label_verdict
from curbside.evidence.interactions import InteractionCheck, InteractionFinding, alternative_pairs, check_interactions
from curbside.evidence.selection import RESEARCH_TYPES, ScoredSentence
from curbside.evidence.statistics import find_intervals, find_p_values
from curbside.understanding import (
    DrugNames,
    Medication,
    PatientContext,
    UnderstoodQuestion,
    extract_patient_context,
)
from curbside.retrieval.search import SearchHit
from curbside.vocabulary.drugs import literature_terms
from curbside.vocabulary.statement_cues import StatementKind, has_cue


class Classification(StrEnum):
    """How established an agent's use is in the patient's condition. Only two things make a use
    established: a guideline's recommendation statement for the agent in the condition, or an on-label
    indication for the condition. Mentions, screening or monitoring advice, warnings, contraindications and
    methods sentences are never support; a study counts by its reported result (an effect, an outcome, a
    number), never by its aim.

    * ``standard_of_care``: on-label for the condition (the label's indication cited), or a guideline
      recommends it in the condition with a strong recommendation or high or moderate certainty.
    * ``emerging_standard``: a guideline recommends it in the condition conditionally or weakly, with low
      certainty, or without a stated strength.
    * ``investigational``: positive evidence that the use is experimental: trials or observational studies
      report results in the condition, but no guideline recommends it and no label covers it; or a
      guideline reserves it for trials or finds the evidence insufficient to recommend it.
    * ``not_recommended``: a guideline recommends against it in the condition (and no label covers it).
    * ``insufficient_evidence``: the knowledge base holds no guideline, label or trial on this agent in
      this condition, so it could not be assessed. Not found in the knowledge base is not evidence against
      it, and never "investigational".
    """

    STANDARD_OF_CARE = "standard_of_care"
    EMERGING_STANDARD = "emerging_standard"
    INVESTIGATIONAL = "investigational"
    NOT_RECOMMENDED = "not_recommended"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


SUPPORTED_CLASSIFICATIONS = frozenset({Classification.STANDARD_OF_CARE, Classification.EMERGING_STANDARD})


class Determination(StrEnum):
    """The overall determination for a plan or regimen, from its agents' classifications: ``supported``
    when every agent is standard of care or an emerging standard; ``partially_supported`` when some are and
    others are investigational, recommended against or could not be assessed (insufficient evidence in the
    knowledge base); ``insufficient_evidence`` when none is, or no agent could be identified. A contraindicated
    or major interaction of an agent with the patient's other drugs blocks its support: the plan is then
    ``blocked_by_interaction`` when no other agent is supported, else ``partially_supported``. The reasons
    name the agents of each kind, which could not be assessed and why, and the interactions."""

    SUPPORTED = "supported"
    PARTIALLY_SUPPORTED = "partially_supported"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    BLOCKED_BY_INTERACTION = "blocked_by_interaction"


class StatementRole(StrEnum):
    """What a sentence naming an agent is, read by :func:`statement_role`. Only ``recommendation``,
    ``against`` and ``trials_only`` (guidelines) and ``result`` and ``no_effect`` (studies) decide a
    classification; the rest are never support."""

    RECOMMENDATION = "recommendation"  # a guideline's recommendation for the agent
    AGAINST = "against"  # a guideline's recommendation against it
    TRIALS_ONLY = "trials_only"  # a guideline: only in trials, or evidence insufficient to recommend
    RESULT = "result"  # a study's result: an effect, an outcome, a number
    NO_EFFECT = "no_effect"  # a study's result of no effect
    SAFETY = "safety"  # screening, monitoring or dosing advice, a warning, a contraindication
    METHODS = "methods"  # what a study did or aimed to do
    MENTION = "mention"  # anything else that names the agent


GUIDELINE_ROLES = (StatementRole.RECOMMENDATION, StatementRole.AGAINST, StatementRole.TRIALS_ONLY)
RESEARCH_ROLES = (StatementRole.RESULT, StatementRole.NO_EFFECT)
_PERCENT = re.compile(r"\d(?:[.\u00b7]\d+)?\s*%")


def _reports_a_number(text: str) -> bool:
    """A statistic: a p-value, a confidence interval or a percentage."""
    return bool(_PERCENT.search(text) or find_p_values(text) or find_intervals(text))


def _uspstf(organization: str | None) -> bool:
    return "preventive services task force" in (organization or "").lower()


def statement_role(text: str, doc_type: DocType | str | None, grade: str | None = None,
                   organization: str | None = None) -> StatementRole:
    """What this sentence is for the agent it names: safety advice first (even "screening is recommended
    before rituximab" is about giving it safely, not whether to), then what a guideline recommends or what
    a study found. A USPSTF grade I is insufficient evidence and D a recommendation against."""
    if has_cue(StatementKind.SAFETY, text):
        return StatementRole.SAFETY
    if doc_type == DocType.GUIDELINE:
        code = (grade or "").strip().upper()
        if _uspstf(organization) and code in ("I", "D"):
            return StatementRole.TRIALS_ONLY if code == "I" else StatementRole.AGAINST
        if has_cue(StatementKind.TRIALS_ONLY, text):
            return StatementRole.TRIALS_ONLY
        if has_cue(StatementKind.AGAINST, text):
            return StatementRole.AGAINST
        if has_cue(StatementKind.METHODS, text):
            return StatementRole.METHODS
        if has_cue(StatementKind.RECOMMENDATION, text):
            return StatementRole.RECOMMENDATION
        return StatementRole.MENTION
    if has_cue(StatementKind.METHODS, text):
        return StatementRole.METHODS
    if has_cue(StatementKind.NO_EFFECT, text):
        return StatementRole.NO_EFFECT
    if has_cue(StatementKind.RESULT, text) or _reports_a_number(text):
        return StatementRole.RESULT
    return StatementRole.MENTION


def names_as_treatment(text: str, doc_type: DocType | str | None, role: StatementRole | None = None) -> bool:
    """Whether a sentence offers a drug as treatment (a next-step option): a guideline's recommendation for
    it, a study's result, or (any source) a plain statement that it treats the condition; never safety
    advice, a recommendation against, a result of no effect or a methods sentence. A patient-information
    page offers a drug only in words of treatment: its numbers are symptom frequencies, not results."""
    role = role or statement_role(text, doc_type)
    if role == StatementRole.RECOMMENDATION or (role == StatementRole.RESULT and doc_type in RESEARCH_TYPES):
        return True
    return role in (StatementRole.MENTION, StatementRole.RESULT) and (
        has_cue(StatementKind.TREATMENT, text) or has_cue(StatementKind.RECOMMENDATION, text))


def agent_terms(generic: str, brand: str | None = None, as_written: str | None = None) -> tuple[str, ...]:
    """Lower-case words and phrases that name this agent in a sentence."""
    terms = {generic.lower()}
    for extra in (brand, as_written):
        if extra and len(extra) >= 3:
            terms.add(extra.lower())
    terms.update(literature_terms(generic))  # abbreviations, synonyms and class words (vocabulary)
    return tuple(sorted(terms, key=len, reverse=True))


def _mentions(text: str, terms: Iterable[str], *, as_treatment: bool = False) -> bool:
    """Whether ``text`` names one of ``terms``. ``as_treatment``: not as what the patients had failed
    ("corticosteroid-resistant", "refractory to rituximab")."""
    lowered = text.lower()
    for term in terms:
        for match in re.finditer(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", lowered):
            if as_treatment and (_FAILED_AFTER.match(lowered, match.end()) or _FAILED_BEFORE.search(
                    lowered, max(0, match.start() - 25), match.start())):
                continue
            return True
    return False


_FAILED_AFTER = re.compile(r"[\s-]*(?:resistant|refractory|dependent|naive|failure|intolerant)")
_FAILED_BEFORE = re.compile(r"(?:resistant|refractory|intolerant|inadequate response) to\s*$|despite\s*$")


# Words of a condition's name too general to tell one disease's literature from another's.
_GENERIC_CONDITION_WORDS = frozenset(
    ["disease", "diseases", "disorder", "disorders", "syndrome", "chronic", "acute", "severe", "lung", "lungs",
     "progressive", "rapidly", "rapid", "positive", "negative", "type", "stage", "primary", "secondary",
     "refractory", "active", "evolving", "associated", "related", "adult", "adults", "juvenile", "childhood",
     "inflammatory", "autoimmune", "systemic", "idiopathic", "immune", "mediated", "recurrent", "relapsing",
     "cell", "cells"]
)
# Organ words that stay with the word before them: "interstitial lung" is not "interstitial cystitis".
_ORGAN_WORDS = frozenset(["lung", "lungs"])


def condition_terms(conditions: Sequence[str]) -> tuple[str, ...]:
    """The disease words of the conditions ("MDA5+ dermatomyositis" -> "mda5", "dermatomyositis";
    "interstitial lung disease" -> "interstitial lung")."""
    terms: list[str] = []
    for condition in conditions:
        tokens = [token.strip("+-") for token in content_tokens(condition)]
        for i, token in enumerate(tokens):
            if len(token) < 4 or token in _GENERIC_CONDITION_WORDS:
                continue
            if i + 1 < len(tokens) and tokens[i + 1] in _ORGAN_WORDS:
                token = f"{token} {tokens[i + 1]}"
            if token not in terms:
                terms.append(token)
    return tuple(terms)


@dataclass
class AgentEvidence:
    """What the knowledge base holds about one agent for the patient's condition: the deciding guideline
    statement and research result (with what each is), the label status, and what was found that does not
    count (``not_counted``: role -> how many sentences)."""

    generic: str
    brand: str | None
    as_written: str
    guideline: ScoredSentence | None = None
    guideline_role: StatementRole | None = None
    research: ScoredSentence | None = None
    research_role: StatementRole | None = None
    label_status: LabelStatus = LabelStatus.UNKNOWN
    label_source: str | None = None
    label_indication: str | None = None  # the label's indication sentence that decided the status
    label_verdict: LabelVerdict | None = None  # the whole verdict, with the indication entry it cites
    classification: Classification = Classification.INSUFFICIENT_EVIDENCE
    reasons: list[str] = field(default_factory=list)
    not_counted: dict[StatementRole, int] = field(default_factory=dict)
    # Contraindicated or major interactions with the patient's other drugs: they block a supported determination.
    serious_interactions: list[InteractionFinding] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return self.classification in SUPPORTED_CLASSIFICATIONS

    @property
    def guideline_against(self) -> bool:
        return self.guideline_role == StatementRole.AGAINST


def _sentence(hit: SearchHit, start: int, end: int, relevance: float) -> ScoredSentence:
    text = hit.passage.text[start:end]
    # The grade of the sentence's own statement, never a neighbour's (evidence.grading.sentence_grade).
    grade = (sentence_grade(text, hit.passage.text, hit.passage.grade, start=start)
             if hit.document.doc_type == DocType.GUIDELINE else None)
    return ScoredSentence(hit, start, end, relevance, relevance, (), grade, frozenset())


# Abstract sections that report findings, and sections that only set out what a study was and did.
_RESULT_SECTION = re.compile(r"result|conclu|finding|interpretation|summary", re.IGNORECASE)
_SETUP_SECTION = re.compile(r"background|introduction|objective|aim|purpose|method|design|setting|context",
                            re.IGNORECASE)


def role_of(s: ScoredSentence) -> StatementRole:
    """:func:`statement_role` of a found sentence, with its grade and its guideline's organization; a
    study's sentence in its background, objective or methods section is what it set out to do."""
    doc = s.hit.document
    role = statement_role(s.text, doc.doc_type, s.grade, doc.organization)
    section = s.hit.passage.section
    if (role in RESEARCH_ROLES and doc.doc_type in RESEARCH_TYPES and _SETUP_SECTION.search(section)
            and not _RESULT_SECTION.search(section)):
        return StatementRole.METHODS
    return role


def _result_in_condition(s: ScoredSentence, condition: Sequence[str]) -> bool:
    """A study's result is about the condition when the sentence names it, or when it stands in the
    abstract's results or conclusions (an unstructured abstract's opening claim about "various diseases"
    is background)."""
    return not condition or _mentions(s.text, condition) or bool(_RESULT_SECTION.search(s.hit.passage.section))


def find_agent_sentences(hits: Sequence[SearchHit], agent: Sequence[str], condition: Sequence[str]) -> list[ScoredSentence]:
    """Sentences naming the agent, in passages (or documents) about the condition, best first.

    A sentence that also names the condition ranks above one whose passage only does; a sentence that
    counts (a recommendation, a result) above one that does not; ties go to the stronger source, then the
    search rank.
    """
    found: list[tuple[tuple[float, int, int], ScoredSentence]] = []
    for rank, hit in enumerate(hits):
        context = f"{hit.document.title} {hit.passage.section} {hit.passage.text}"
        if condition and not _mentions(context, condition):
            continue
        for start, end in sentence_spans(hit.passage.text):
            text = hit.passage.text[start:end]
            if not _mentions(text, agent, as_treatment=True) or len(text) < 25:
                continue
            relevance = 1.0 if (not condition or _mentions(text, condition)) else 0.6
            sentence = _sentence(hit, start, end, relevance)
            if role_of(sentence) not in (*GUIDELINE_ROLES, *RESEARCH_ROLES):
                # A mention, safety advice or a methods sentence says nothing of whether it works.
                sentence = _sentence(hit, start, end, relevance - 0.3)
            key = (-sentence.relevance, hit.document.evidence_level, rank)
            found.append((key, sentence))
    found.sort(key=lambda item: (item[0], item[1].hit.passage.passage_id, item[1].start))
    return [s for _, s in found]


def _in_condition(s: ScoredSentence, primary: Sequence[str]) -> bool:
    """The sentence, its section or its document's title names the patient's main condition: a statement
    about an organ manifestation of another disease (SSc-ILD for a dermatomyositis ILD) is not about it."""
    if not primary:
        return True
    return _mentions(f"{s.hit.document.title} {s.hit.passage.section} {s.text}", primary)


def recommendation_strength(s: ScoredSentence) -> str:
    """``strong``, ``conditional`` or ``unstated``: from the sentence's words ("conditional", "may be
    considered", "low-quality evidence"), else its grade (a USPSTF C, a weak code or a low certainty is
    conditional; a high or moderate certainty is strong)."""
    doc = s.hit.document
    grade = (s.grade or "").strip()
    if has_cue(StatementKind.CONDITIONAL, s.text) or grade.lower().startswith(("weak", "conditional")):
        return "conditional"
    if re.search(r"\bstrong(?:ly)?\b", f"{grade} {s.text}", re.IGNORECASE):
        return "strong"
    if not grade:
        return "unstated"
    if _uspstf(doc.organization) and grade.upper() == "C":
        return "conditional"
    certainty = certainty_of("guideline", grade, organization=doc.organization)
    return "strong" if certainty in ("high", "moderate") else "conditional"


def _design(s: ScoredSentence) -> str:
    return design_word(s.hit.document.doc_type)


def _grade_words(s: ScoredSentence) -> str:
    return f" (grade {s.grade})" if s.grade else ""


_NOT_COUNTED_WORDS: dict[StatementRole, str] = {
    StatementRole.SAFETY: "screening, monitoring or dosing advice, warnings or contraindications",
    StatementRole.METHODS: "a study's aims or methods, not its results",
    StatementRole.MENTION: "mentions, not recommendations or results",
}


def classify(evidence: AgentEvidence) -> AgentEvidence:
    """Set ``classification`` and ``reasons`` from the evidence found (the rules are :class:`Classification`'s)."""
    reasons: list[str] = []
    decided: Classification | None = None
    if evidence.label_status == LabelStatus.ON_LABEL:
        decided = Classification.STANDARD_OF_CARE
        reasons.append("On-label: its FDA label is indicated for this condition"
                       + (f" ({evidence.label_source})." if evidence.label_source else "."))
    g, role = evidence.guideline, evidence.guideline_role
    if g is not None and role == StatementRole.RECOMMENDATION:
        strength = recommendation_strength(g)
        if strength == "strong":
            decided = Classification.STANDARD_OF_CARE
            reasons.append(f"A guideline recommends it in this condition{_grade_words(g)}.")
        else:
            decided = decided or Classification.EMERGING_STANDARD
            reasons.append(f"A guideline recommends it in this condition{_grade_words(g)}, "
                           + ("conditionally or with low certainty." if strength == "conditional"
                              else "without a stated strength of recommendation."))
    elif g is not None and role == StatementRole.AGAINST:
        decided = decided or Classification.NOT_RECOMMENDED
        reasons.append(f"A guideline recommends against it or finds no benefit in this condition{_grade_words(g)}.")
    elif g is not None and role == StatementRole.TRIALS_ONLY:
        decided = decided or Classification.INVESTIGATIONAL
        reasons.append("A guideline finds the evidence insufficient to recommend it, or reserves it for trials"
                       f"{_grade_words(g)}.")
    r = evidence.research
    if r is not None:
        found = "found no benefit" if evidence.research_role == StatementRole.NO_EFFECT else "reports a result"
        if decided is None:
            decided = Classification.INVESTIGATIONAL
            reasons.append(f"No guideline recommendation or label indication: only a {_design(r)} in this "
                           f"condition, which {found}.")
        else:
            reasons.append(f"A {_design(r)} in this condition {found}.")
    if decided is None:
        decided = Classification.INSUFFICIENT_EVIDENCE
        reasons.append("Not assessed: the knowledge base holds no guideline recommendation, label indication or "
                       "trial result on it in this condition (not found is not evidence against it).")
        skipped = [words for kind, words in _NOT_COUNTED_WORDS.items() if evidence.not_counted.get(kind)]
        if skipped:
            reasons.append(f"Sentences naming it in this condition were {'; '.join(skipped)}, which do not count.")
    if evidence.label_status == LabelStatus.OFF_LABEL:
        reasons.append("Off-label for this condition" + (f" ({evidence.label_source})." if evidence.label_source else "."))
    evidence.classification = decided
    evidence.reasons = reasons
    return evidence


def design_word(doc_type: DocType | str | None) -> str:
    """The kind of source in words for a sentence ("randomized trial", "systematic review")."""
    return {
        DocType.SYSTEMATIC_REVIEW: "systematic review",
        DocType.RCT: "randomized trial",
        DocType.OBSERVATIONAL: "observational study",
        DocType.CASE_REPORT: "case report or series",
        DocType.NARRATIVE_REVIEW: "narrative review",
        DocType.DRUG_LABEL: "drug label",
        DocType.GUIDELINE: "guideline",
        DocType.PATIENT_INFORMATION: "patient-information page",
    }.get(doc_type or "", "source")  # DocType is a StrEnum: "rct" finds DocType.RCT


SEARCHED_TYPES: tuple[str, ...] = tuple(str(t) for t in (DocType.GUIDELINE, *RESEARCH_TYPES))


def choose_evidence(evidence: AgentEvidence, sentences: Sequence[ScoredSentence],
                    primary: Sequence[str], condition: Sequence[str] = ()) -> AgentEvidence:
    """The deciding guideline statement (a recommendation for it, graded first; else one against it; else
    one that reserves it for trials) and the strongest research result, among sentences about the main
    condition (``primary``: its disease words; ``condition``: those of every condition of the patient, which
    a study's result must name unless it stands in a results section); what does not count is tallied in
    ``not_counted``."""
    condition = condition or primary
    guidelines: dict[StatementRole, list[ScoredSentence]] = {}
    research: dict[StatementRole, list[ScoredSentence]] = {}
    for s in sentences:
        if not _in_condition(s, primary):
            continue
        role = role_of(s)
        if s.hit.document.doc_type == DocType.GUIDELINE and role in GUIDELINE_ROLES:
            guidelines.setdefault(role, []).append(s)
        elif s.hit.document.doc_type in RESEARCH_TYPES and role in RESEARCH_ROLES and _result_in_condition(s, condition):
            research.setdefault(role, []).append(s)
        elif s.hit.document.doc_type in (DocType.GUIDELINE, *RESEARCH_TYPES):
            # A result that is not about the condition reads as a mention of the agent here.
            kind = StatementRole.MENTION if role in RESEARCH_ROLES else role
            evidence.not_counted[kind] = evidence.not_counted.get(kind, 0) + 1
    for role in GUIDELINE_ROLES:
        if guidelines.get(role):
            # A graded statement first: it is what a reviewer quotes.
            evidence.guideline = min(guidelines[role], key=lambda s: (s.grade is None, -s.relevance))
            evidence.guideline_role = role
            break
    for role in RESEARCH_ROLES:
        if research.get(role):
            evidence.research = min(research[role], key=lambda s: (
                s.hit.document.evidence_level, -s.relevance, -(s.hit.document.year or 0)))
            evidence.research_role = role
            break
    return evidence


def assess_agent(generic: str, brand: str | None, as_written: str, conditions: Sequence[str],
                 search: Callable[[str, Sequence[str]], list[SearchHit]],
                 label: LabelVerdict | None = None) -> AgentEvidence:
    """Search the knowledge base for one agent in the patient's condition and classify it."""
    terms = agent_terms(generic, brand, as_written)
    cond = condition_terms(conditions)
    names = [as_written] if as_written.lower() != generic.lower() else []
    query = " ".join([*names, generic, *cond])
    sentences = find_agent_sentences(search(query, SEARCHED_TYPES), terms, cond)
    evidence = AgentEvidence(generic, brand, as_written, label_verdict=label)
    if label is not None:
        evidence.label_status, evidence.label_source, evidence.label_indication = label.status, label.source, label.sentence
    return classify(choose_evidence(evidence, sentences, condition_terms(conditions[:1]), cond))


def _names(agents: Sequence[AgentEvidence]) -> str:
    names = [a.generic for a in agents]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_DETERMINATION_LINES: dict[Classification, str] = {
    Classification.STANDARD_OF_CARE: "Standard of care: {names}.",
    Classification.EMERGING_STANDARD: "Emerging standard (a conditional or weaker guideline recommendation): {names}.",
    Classification.INVESTIGATIONAL: ("Investigational: {names} (studies only, or a guideline that reserves "
                                     "{them} for trials or finds the evidence insufficient)."),
    Classification.NOT_RECOMMENDED: "Recommended against by a guideline: {names}.",
    Classification.INSUFFICIENT_EVIDENCE: (
        "Could not be assessed: {names}. The knowledge base holds no guideline recommendation, label indication "
        "or trial result on {them} in this condition; not found in the knowledge base is not evidence against "
        "{them}."),
}
# Why an agent is not supported, in the determination's first line.
_NOT_SUPPORTED_WORDS: dict[Classification, str] = {
    Classification.INVESTIGATIONAL: "{names} {verb} investigational (studies only)",
    Classification.NOT_RECOMMENDED: "a guideline recommends against {names}",
    Classification.INSUFFICIENT_EVIDENCE: "{names} could not be assessed (not found in the knowledge base)",
}


def _grouped(agents: Sequence[AgentEvidence], words: dict[Classification, str]) -> list[str]:
    lines = []
    for kind, line in words.items():
        of_kind = [a for a in agents if a.classification == kind]
        if of_kind:
            one = len(of_kind) == 1
            lines.append(line.format(names=_names(of_kind), them="it" if one else "them", verb="is" if one else "are"))
    return lines


def _interaction_words(agents: Sequence[AgentEvidence]) -> str:
    """The serious interactions of the agents, once each: "ciprofloxacin with warfarin (major)"."""
    findings = list({f.drugs: f for a in agents for f in a.serious_interactions}.values())
    return "; ".join(f"{f.pair_text()} ({f.severity})" for f in findings)


def determine(agents: Sequence[AgentEvidence]) -> tuple[Determination, list[str]]:
    """The overall determination for a plan, with its reasons: a first line that says which agents are
    supported and why the others are not, then one line per kind of agent (which could not be assessed,
    and why). A serious interaction blocks an agent's support (:class:`Determination`)."""
    if not agents:
        return Determination.INSUFFICIENT_EVIDENCE, ["No agent of the plan could be identified in the question."]
    lines = _grouped(agents, _DETERMINATION_LINES)
    interactions = _interaction_words(agents)
    if interactions:
        lines.insert(0, f"Serious drug interaction: {interactions}.")
    blocked = [a for a in agents if a.supported and a.serious_interactions]
    supported = [a for a in agents if a.supported and not a.serious_interactions]
    why_not = "; ".join(_grouped([a for a in agents if not a.supported], _NOT_SUPPORTED_WORDS))
    if blocked:
        one = len(blocked) == 1
        held = (f"{_names(blocked)} {'is' if one else 'are'} supported in this condition but "
                f"{'interacts' if one else 'interact'} seriously with the patient's other drugs ({interactions})")
        why_not = f"{held}; {why_not}" if why_not else held
        if not supported:
            return Determination.BLOCKED_BY_INTERACTION, [f"Not supported as planned for this patient: {why_not}.", *lines]
    if not supported:
        return Determination.INSUFFICIENT_EVIDENCE, [
            f"None of the agents of the plan is supported in this condition: {why_not}.", *lines]
    if why_not:
        names = _names(supported)
        return Determination.PARTIALLY_SUPPORTED, [
            f"{names[0].upper()}{names[1:]} {'is' if len(supported) == 1 else 'are'} supported in this condition; "
            f"{why_not}.", *lines]
    return Determination.SUPPORTED, [
        "Every agent of the plan is standard of care or an emerging standard in this condition.", *lines]


# --- label status, monitoring and the whole analysis -------------------------------------------------------
def label_status(generic: str, conditions: Sequence[str], *, age: float | None = None, route: str | None = None,
                 store: LabelSource | None = None) -> LabelVerdict:
    """On-label, off-label or unknown for the patient's conditions, from the indications of the drug's labels
    (those in the index first, then the curated table), matched by concept: :func:`label_verdict`."""
    return label_verdict(generic, conditions, age=age, route=route, store=store)


@dataclass(frozen=True)
class Monitoring:
    generic: str
    text: str
    source: str


def monitoring_for(generic: str) -> Monitoring | None:
    """What to monitor on this agent, from the curated table ``evidence/data/monitoring.tsv``."""
    return _monitoring_table().get(generic.lower())


@lru_cache(maxsize=1)
def _monitoring_table() -> dict[str, Monitoring]:
    text = resources.files("curbside.evidence").joinpath("data/monitoring.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {r[0].strip().lower(): Monitoring(r[0].strip(), r[1].strip(), r[2].strip()) for r in rows[1:] if len(r) >= 3}


@dataclass
class PlannedAgent:
    """An agent of the plan or regimen with its evidence and its dose check."""

    evidence: AgentEvidence
    medication: Medication
    dose_check: DoseComparison | None  # None: no dose given


@dataclass
class NextStepOption:
    generic: str
    sentence: ScoredSentence
    monitoring: Monitoring | None
    # Contraindicated or major interactions with the patient's drugs: the option is ranked after the others.
    serious_interactions: list[InteractionFinding] = field(default_factory=list)


@dataclass
class ClinicalEvidence:
    """The clinical-reasoning half of an article: question type, patient, per-agent evidence, options."""

    question_type: str
    patient: PatientContext
    conditions: list[str]
    agents: list[PlannedAgent] = field(default_factory=list)
    options: list[NextStepOption] = field(default_factory=list)
    interactions: InteractionCheck | None = None  # whenever the patient has drugs or the question proposes one

    @property
    def determination(self) -> tuple[Determination, list[str]] | None:
        if not self.agents or self.question_type not in ("medical_necessity", "next_step"):
            return None
        return determine([a.evidence for a in self.agents])


ASSESSED_TYPES = ("medical_necessity", "next_step")


def analyze(understood: UnderstoodQuestion, *, drug_names: DrugNames,
            search: Callable[[str, Sequence[str]], list[SearchHit]], max_options: int = 5,
            label_store: LabelSource | None = None) -> ClinicalEvidence:
    """For medical-necessity and next-step questions, each agent's evidence and dose check, and (next step)
    the options the evidence names that the patient is not on. The question type and the patient come from
    the understood question; the patient's conditions, else the question's MeSH terms, are the condition."""
    question_type = str(understood.type)
    patient = understood.patient
    conditions = list(patient.conditions) or list(understood.mesh_terms)
    result = ClinicalEvidence(question_type, patient, conditions)
    if question_type not in ASSESSED_TYPES:
        return check_clinical_interactions(result, label_store, understood.original)
    for med in patient.medications:
        evidence = assess_agent(med.generic, med.brand, med.as_written, conditions, search,
                                label_status(med.generic, conditions, age=patient.age, route=med.route,
                                             store=label_store))
        dose = None
        if med.dose_value is not None and med.dose_unit:
            dose = check_dose(med.generic, med.dose_value, med.dose_unit, frequency=med.frequency,
                              schedule=med.schedule, route=med.route,
                              indication=conditions or None, weight_kg=patient.weight_kg,
                              store=label_store)  # a label in the index is preferred to the curated table
        result.agents.append(PlannedAgent(evidence, med, dose))
    if question_type == "next_step":
        result.options = next_step_options(conditions, {m.generic for m in patient.medications}, drug_names,
                                           search, max_options)
    return check_clinical_interactions(result, label_store, understood.original)


def check_clinical_interactions(result: ClinicalEvidence, label_store: LabelSource | None,
                                question: str = "") -> ClinicalEvidence:
    """Check the patient's drugs for interactions: the current regimen, the drugs the question proposes (named
    without a current or prior cue; two the ``question`` offers as alternatives, "X or Y", are not paired) and
    the next-step options. A serious interaction blocks an agent's support (with the reason) and ranks an
    option after those without one."""
    patient = result.patient
    if not patient.medications and not result.options:
        return result
    current, prior = set(patient.current_therapies), set(patient.prior_therapies)
    named = patient.generics
    check = check_interactions(
        [g for g in named if g in current], [g for g in named if g not in current and g not in prior], label_store,
        options=[o.generic for o in result.options], prior=[g for g in named if g in prior and g not in current],
        alternatives=alternative_pairs(question, {m.generic: m.as_written for m in patient.medications}))
    result.interactions = check
    for agent in result.agents:
        found = check.serious_for(agent.evidence.generic)
        agent.evidence.serious_interactions = found
        if found and agent.evidence.supported:
            agent.evidence.reasons.append(
                "Not supported for this patient as planned: a serious interaction with "
                + "; ".join(f"{f.other(agent.evidence.generic)} ({f.severity})" for f in found) + ".")
    for option in result.options:
        option.serious_interactions = check.serious_for(option.generic)
    result.options.sort(key=lambda o: bool(o.serious_interactions))  # stable: the evidence order otherwise
    return result


def next_step_options(conditions: Sequence[str], current: set[str], drug_names: DrugNames,
                      search: Callable[[str, Sequence[str]], list[SearchHit]], limit: int) -> list[NextStepOption]:
    """Agents that guidelines and studies of the condition name as treatment, other than the current
    regimen, ranked by the evidence level of their best sentence, then its relevance."""

    cond = condition_terms(conditions)
    if not cond:
        return []
    # Patient-information pages count too (as level 5): in a thin corpus they may be all that names an option.
    hits = search(" ".join([*cond, "treatment"]), (*SEARCHED_TYPES, str(DocType.PATIENT_INFORMATION)))
    best: dict[str, ScoredSentence] = {}
    for rank, hit in enumerate(hits[:30]):
        if not _mentions(f"{hit.document.title} {hit.passage.text}", cond):
            continue
        for start, end in sentence_spans(hit.passage.text):
            text = hit.passage.text[start:end]
            found = _sentence(hit, start, end, 1.0)
            if len(text) < 25 or not names_as_treatment(text, hit.document.doc_type, role_of(found)) or (
                    hit.document.doc_type in RESEARCH_TYPES and not _result_in_condition(found, cond)):
                continue
            for med in extract_patient_context(text, drug_names).medications:
                generic = med.generic.lower()
                if generic in current or not _mentions(text, agent_terms(generic, med.brand, med.as_written), as_treatment=True):
                    continue
                relevance = 1.0 if _mentions(text, cond) else 0.6
                candidate = _sentence(hit, start, end, relevance - rank * 0.001)
                held = best.get(generic)
                if held is None or (hit.document.evidence_level, -candidate.relevance) < (
                        held.hit.document.evidence_level, -held.relevance):
                    best[generic] = candidate
    ranked = sorted(best.items(), key=lambda item: (item[1].hit.document.evidence_level, -item[1].relevance, item[0]))
    return [NextStepOption(generic, sentence, monitoring_for(generic)) for generic, sentence in ranked[:limit]]

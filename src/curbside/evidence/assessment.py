"""Per-agent evidence for medical-necessity and next-step questions: what the knowledge base says about
each drug of the plan or regimen, for the patient's condition, and how established its use is.

Deterministic, like the rest of evidence selection: for each agent, one search for "agent + condition";
from the hits, the sentences that name the agent (by generic name, brand or abbreviation) in a passage
about the condition. The best guideline statement and the strongest research sentence are kept as
:class:`~curbside.evidence.selection.ScoredSentence`, so the writer quotes and cites them like any bullet.

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
from curbside.evidence.grading import certainty_of, extract_grade
from curbside.evidence.indications import LabelStatus, LabelVerdict, label_verdict
from curbside.evidence.selection import RESEARCH_TYPES, ScoredSentence
from curbside.understanding import (
    DrugNames,
    Medication,
    PatientContext,
    UnderstoodQuestion,
    extract_patient_context,
)
from curbside.retrieval.search import SearchHit
from curbside.vocabulary.drugs import literature_terms



class Classification(StrEnum):
    """How established an agent's use is in the patient's condition:

    * ``standard_of_care``: on-label for the condition, or a guideline statement supports it with high or
      moderate certainty.
    * ``emerging_standard``: a guideline supports it with a conditional or weak recommendation or low
      certainty; or, without a guideline, a systematic review or randomized trial in the condition does.
    * ``investigational``: nothing stronger than observational studies or case reports, or no evidence
      in the knowledge base.
    """

    STANDARD_OF_CARE = "standard_of_care"
    EMERGING_STANDARD = "emerging_standard"
    INVESTIGATIONAL = "investigational"


class Determination(StrEnum):
    """The overall determination for a plan or regimen, from its agents' classifications: ``supported``
    when every agent is standard of care or an emerging standard, ``partially_supported`` when some are,
    ``insufficient_evidence`` when none is or no agent could be identified."""

    SUPPORTED = "supported"
    PARTIALLY_SUPPORTED = "partially_supported"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


# Words that turn a statement about an agent into a recommendation against it.
_AGAINST = re.compile(
    r"\b(?:recommends? against|not recommended|should not be|is not recommended|no (?:benefit|evidence of benefit)|"
    r"contraindicated|do not use|avoid)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(?:conditional|weak|may be considered|can be considered|suggests?|low[- ](?:quality|certainty))\b",
                   re.IGNORECASE)


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
_METHODS = re.compile(r"\b(?:we (?:assessed|evaluated|investigated|examined|aimed)|this study (?:aimed|assessed)|"
                      r"to (?:assess|evaluate|investigate|determine))\b", re.IGNORECASE)
# Sentences that report what was found, not what was done: a finding is what supports a treatment.
_FINDING = re.compile(
    r"\b(?:improv\w*|effective\w*|benefit\w*|significant\w*|reduc\w*|respon\w*|remission|"
    r"recommend\w*|suggest\w*|conclu\w*|associated|superior|well tolerated|safe)\b", re.IGNORECASE)


# Words of a condition's name too general to tell one disease's literature from another's.
_GENERIC_CONDITION_WORDS = frozenset(
    ["disease", "diseases", "disorder", "disorders", "syndrome", "chronic", "acute", "severe", "lung", "lungs", "progressive", "rapidly", "rapid", "positive", "negative", "type", "stage", "primary", "secondary", "refractory", "active", "evolving", "associated", "related", "adult", "adults", "juvenile", "childhood"]
)


def condition_terms(conditions: Sequence[str]) -> tuple[str, ...]:
    """The disease words of the conditions ("MDA5+ dermatomyositis" -> "mda5", "dermatomyositis";
    "interstitial lung disease" -> "interstitial")."""
    terms: list[str] = []
    for condition in conditions:
        for token in content_tokens(condition):
            token = token.strip("+-")
            if len(token) >= 4 and token not in _GENERIC_CONDITION_WORDS and token not in terms:
                terms.append(token)
    return tuple(terms)


@dataclass
class AgentEvidence:
    """What the knowledge base holds about one agent for the patient's condition."""

    generic: str
    brand: str | None
    as_written: str
    guideline: ScoredSentence | None = None
    guideline_against: bool = False
    research: ScoredSentence | None = None
    label_status: LabelStatus = LabelStatus.UNKNOWN
    label_source: str | None = None
    classification: Classification = Classification.INVESTIGATIONAL
    reasons: list[str] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return self.classification != Classification.INVESTIGATIONAL


def _sentence(hit: SearchHit, start: int, end: int, relevance: float) -> ScoredSentence:
    text = hit.passage.text[start:end]
    grade = extract_grade(text) or hit.passage.grade if hit.document.doc_type == DocType.GUIDELINE else None
    return ScoredSentence(hit, start, end, relevance, relevance, (), grade, frozenset())


def find_agent_sentences(hits: Sequence[SearchHit], agent: Sequence[str], condition: Sequence[str]) -> list[ScoredSentence]:
    """Sentences naming the agent, in passages (or documents) about the condition, best first.

    A sentence that also names the condition ranks above one whose passage only does; ties go to the
    stronger source, then the search rank.
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
            if not _FINDING.search(text) or _METHODS.search(text):
                relevance -= 0.3  # a methods sentence says what was tried, not whether it worked
            key = (-relevance, hit.document.evidence_level, rank)
            found.append((key, _sentence(hit, start, end, relevance)))
    found.sort(key=lambda item: (item[0], item[1].hit.passage.passage_id, item[1].start))
    return [s for _, s in found]


def classify(evidence: AgentEvidence) -> AgentEvidence:
    """Set ``classification`` and ``reasons`` from the evidence found (rules in the module docstring)."""
    reasons: list[str] = []
    g = evidence.guideline
    certainty = certainty_of("guideline", g.grade, organization=g.hit.document.organization) if g else None
    if g is not None and _AGAINST.search(g.text):
        evidence.guideline_against = True
    if evidence.label_status == LabelStatus.ON_LABEL:
        evidence.classification = Classification.STANDARD_OF_CARE
        reasons.append("FDA-labelled for this indication.")
    if g is not None and not evidence.guideline_against:
        weak = bool(_WEAK.search(g.text)) or certainty in ("low", "very_low") or (
            g.grade is not None and g.grade.lower().startswith(("weak", "conditional")))
        if weak:
            if evidence.classification != Classification.STANDARD_OF_CARE:
                evidence.classification = Classification.EMERGING_STANDARD
            reasons.append("A guideline supports it with a conditional recommendation or low certainty.")
        else:
            evidence.classification = Classification.STANDARD_OF_CARE
            reasons.append("A guideline supports it" + (f" (grade {g.grade})." if g.grade else "."))
    elif g is not None:
        reasons.append("A guideline statement recommends against it or finds no benefit.")
    r = evidence.research
    if r is not None and evidence.classification == Classification.INVESTIGATIONAL and r.hit.document.doc_type in (
        DocType.SYSTEMATIC_REVIEW, DocType.RCT
    ):
        evidence.classification = Classification.EMERGING_STANDARD
        reasons.append(f"No guideline statement, but a {_design(r)} in this condition supports it.")
    elif r is not None and evidence.classification == Classification.INVESTIGATIONAL:
        reasons.append(f"Only a {_design(r)} in this condition.")
    if g is None and r is None and evidence.label_status != LabelStatus.ON_LABEL:
        reasons.append("The knowledge base holds no guideline or study of it in this condition.")
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


def _design(s: ScoredSentence) -> str:
    return design_word(s.hit.document.doc_type)


SEARCHED_TYPES: tuple[str, ...] = tuple(str(t) for t in (DocType.GUIDELINE, *RESEARCH_TYPES))


def assess_agent(generic: str, brand: str | None, as_written: str, conditions: Sequence[str],
                 search: Callable[[str, Sequence[str]], list[SearchHit]],
                 label_status: tuple[LabelStatus, str | None] = (LabelStatus.UNKNOWN, None)) -> AgentEvidence:
    """Search the knowledge base for one agent in the patient's condition and classify it."""
    terms = agent_terms(generic, brand, as_written)
    cond = condition_terms(conditions)
    names = [as_written] if as_written.lower() != generic.lower() else []
    query = " ".join([*names, generic, *cond])
    sentences = find_agent_sentences(search(query, SEARCHED_TYPES), terms, cond)
    evidence = AgentEvidence(generic, brand, as_written, label_status=label_status[0], label_source=label_status[1])
    guidelines = [s for s in sentences if s.hit.document.doc_type == DocType.GUIDELINE]
    if guidelines:
        # A graded statement first: it is what a reviewer quotes.
        guidelines.sort(key=lambda s: (s.grade is None, -s.relevance))
        evidence.guideline = guidelines[0]
        evidence.guideline_against = bool(_AGAINST.search(guidelines[0].text))
    research = [s for s in sentences if s.hit.document.doc_type in RESEARCH_TYPES]
    if research:
        research.sort(key=lambda s: (s.hit.document.evidence_level, -s.relevance, -(s.hit.document.year or 0)))
        evidence.research = research[0]
    return classify(evidence)


def determine(agents: Sequence[AgentEvidence]) -> tuple[Determination, list[str]]:
    """The overall determination for a plan, with its reasons."""
    if not agents:
        return Determination.INSUFFICIENT_EVIDENCE, ["No agent of the plan could be identified in the question."]
    supported = [a for a in agents if a.supported]
    unsupported = [a for a in agents if not a.supported]
    reasons = [f"{a.generic}: {a.classification.replace('_', ' ')}." for a in agents]
    if not supported:
        return Determination.INSUFFICIENT_EVIDENCE, ["The knowledge base supports none of the agents in this condition.", *reasons]
    if unsupported:
        names = ", ".join(a.generic for a in unsupported)
        return Determination.PARTIALLY_SUPPORTED, [f"Supported in part: the knowledge base holds no guideline or trial support for {names}.", *reasons]
    return Determination.SUPPORTED, ["Every agent of the plan is standard of care or an emerging standard in this condition.", *reasons]


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


@dataclass
class ClinicalEvidence:
    """The clinical-reasoning half of an article: question type, patient, per-agent evidence, options."""

    question_type: str
    patient: PatientContext
    conditions: list[str]
    agents: list[PlannedAgent] = field(default_factory=list)
    options: list[NextStepOption] = field(default_factory=list)

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
        return result
    for med in patient.medications:
        verdict = label_status(med.generic, conditions, age=patient.age, route=med.route, store=label_store)
        evidence = assess_agent(med.generic, med.brand, med.as_written, conditions, search,
                                (verdict.status, verdict.source))
        dose = None
        if med.dose_value is not None and med.dose_unit:
            dose = check_dose(med.generic, med.dose_value, med.dose_unit, frequency=med.frequency,
                              schedule=med.schedule, route=med.route,
                              indication=conditions[0] if conditions else None, weight_kg=patient.weight_kg,
                              store=label_store)  # a label in the index is preferred to the curated table
        result.agents.append(PlannedAgent(evidence, med, dose))
    if question_type == "next_step":
        result.options = next_step_options(conditions, {m.generic for m in patient.medications}, drug_names,
                                           search, max_options)
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
            if len(text) < 25 or not _FINDING.search(text):
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

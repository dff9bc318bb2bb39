"""Evidence selection: from retrieved passages to scored sentences, each traceable to its offsets.

A sentence is relevant in proportion to the question's concepts it mentions, each concept weighted
by its rarity in the index (IDF), so "colorectal" counts for more than "screening". Concepts named
only in the document's title or section count half: a guideline sentence "Screening should begin at
age 45" is about colorectal cancer when it sits under that heading. Sentences below a relevance
floor are never used, so a thin index gives a short, honest article rather than a padded one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import median
from typing import Literal

from curbside.corpus.documents import RESEARCH_TYPES, RETRACTED, Document, DocType
from curbside.corpus.text import sentence_spans
from curbside.corpus.versions import Supersession
from curbside.evidence.answers import covers_subject, gives_answer, mentions_pregnancy, subject_concepts
from curbside.corpus.population import population_of
from curbside.evidence.grading import sentence_grade
from curbside.evidence.indications import LabelSource, LabelStatus, label_verdict
from curbside.evidence.noise import is_noise_sentence, is_reportable_concept
from curbside.evidence.population import FitVerdict, question_population, source_fit
from curbside.retrieval.lexical import LexicalIndex
from curbside.understanding import AnswerIntent, UnderstoodQuestion
from curbside.understanding.answer_intent import needs_age, needs_interval
from curbside.retrieval.search import SearchHit
from curbside.settings import EvidenceSettings
from curbside.vocabulary.ages import AGE_MAX, AGE_MIN, AGE_RANGE
from curbside.vocabulary.statement_cues import StatementKind, has_cue

Cue = Literal["safety", "monitoring", "caveat", "numbers", "conclusion", "recommendation"]


class EvidenceStatus(StrEnum):
    """How well the evidence found answers the question (:func:`calibrated_status`): ``sufficient`` when a
    sentence answers it from a direct source other than patient information, ``limited`` when the answer is
    patient information or only indirect or partial evidence was found, ``insufficient`` when no sentence is
    relevant enough to quote (``evidence_note`` says why)."""

    SUFFICIENT = "sufficient"
    LIMITED = "limited"
    INSUFFICIENT = "insufficient"



_CUES: dict[Cue, re.Pattern[str]] = {
    "safety": re.compile(
        r"\b(adverse|harm|harms|risk of|toxicit\w*|side effects?|contraindicat\w*|caution|warning|black box|"
        r"bleeding|infections?|death|mortality|overdiagnosis|complications?|serious|fatal|hypersensitivity|"
        r"anaphyla\w*|teratogen\w*|pregnan\w*)\b",
        re.IGNORECASE,
    ),
    "monitoring": re.compile(
        r"\b(monitor\w*|follow-up|surveillance|screen for|check(?:ed)?|levels? of|baseline|periodic\w*|"
        r"every \d+|annual\w*|interval)\b",
        re.IGNORECASE,
    ),
    "caveat": re.compile(
        r"\b(insufficient|limited evidence|uncertain\w*|not recommended|should not|avoid|however|unless|"
        r"except|consider|individuali[sz]ed|shared decision|limitations?)\b",
        re.IGNORECASE,
    ),
    "numbers": re.compile(r"(\d+(?:\.\d+)?\s*%|\bCI\b|\bp\s*[<=>]|odds ratio|hazard ratio|relative risk|\bRR\b|\bOR\b|\bHR\b|\bNNT\b)"),
    "recommendation": re.compile(r"\b(recommends?|recommended|should|suggests?)\b", re.IGNORECASE),
}
# Which drug-label section answers which kind of question: (question cue, section name cue).
_LABEL_INTENTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\b(dose|doses|dosing|dosage|how much|how often|\d+\s*mg|titrat\w*|maximum)\b", re.I), re.compile(r"dosage", re.I)),
    (re.compile(r"\b(side effects?|adverse|reactions?)\b", re.I), re.compile(r"adverse", re.I)),
    (re.compile(r"\b(interact\w*|together with|combined with)\b", re.I), re.compile(r"interaction", re.I)),
    (re.compile(r"\b(contraindicat\w*|should not take|safe to take)\b", re.I), re.compile(r"contraindication|warning", re.I)),
    (re.compile(r"\b(pregnan\w*|breastfeed\w*|lactat\w*|nursing)\b", re.I), re.compile(r"pregnan|lactation|specific populations", re.I)),
    (re.compile(r"\b(used for|indicat\w*|what is .* for|approved)\b", re.I), re.compile(r"indications", re.I)),
)
_CONCLUSION_SECTION = re.compile(r"conclu|interpretation|summary|recommendation", re.IGNORECASE)
_BACKGROUND_SECTION = re.compile(r"background|introduction|objective|aims?\b|purpose|context", re.IGNORECASE)
_LIST_LEAD = re.compile(r"^(?:[-*\u2022]|\d{1,2}[.)])\s+")


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    hit: SearchHit
    start: int
    end: int
    relevance: float  # 0..1, weighted share of the question's concepts covered
    score: float  # ranking score: relevance plus small priors
    matched: tuple[str, ...]  # the concepts (first member of each group) found in the sentence
    grade: str | None
    cues: frozenset[Cue]
    answers: bool = False  # gives the kind of answer the question wants, about its subject (evidence.answers)
    population_note: str | None = None  # why the source is indirect for this patient; None when direct

    @property
    def text(self) -> str:
        return self.hit.passage.text[self.start : self.end]

    @property
    def doc_type(self) -> DocType:
        return self.hit.document.doc_type


@dataclass
class EvidenceSet:
    understood: UnderstoodQuestion
    hits: list[SearchHit]
    sentences: list[ScoredSentence]  # relevant ones, best first
    status: EvidenceStatus
    concept_weights: dict[str, float] = field(default_factory=dict)
    uncovered_concepts: tuple[str, ...] = ()  # in the index, but in no relevant retrieved sentence
    absent_concepts: tuple[str, ...] = ()  # in no passage of the index at all
    answer: ScoredSentence | None = None  # the sentence the bottom line quotes; None when none answers
    subject: tuple[str, ...] = ()  # the question's subject concepts (evidence.answers.subject_concepts)
    superseded: dict[str, Supersession] = field(default_factory=dict)  # old doc id -> its newer version

    @property
    def intent(self) -> AnswerIntent:
        return self.understood.intent


class ConceptMatcher:
    """Weighted concept groups of one question, matched against stemmed tokens."""

    def __init__(self, understood: UnderstoodQuestion, lexical: LexicalIndex) -> None:
        self._lexical = lexical
        n_docs = max(lexical.num_docs, 1)
        groups: list[tuple[str, tuple[frozenset[str], ...], float]] = []
        known: list[float] = []
        pending: list[int] = []
        absent: list[str] = []
        for group in _merged_groups(understood, lexical):
            head = group[0]
            # A group matches on its head word(s), or on all the words of its expansion together.
            alternatives: list[frozenset[str]] = [frozenset(lexical.analyze(head))]
            if len(group) > 1:
                alternatives.append(frozenset(t for member in group[1:] for t in lexical.analyze(member)))
            alternatives = [a for a in alternatives if a]
            if not alternatives:
                continue
            dfs = [min(lexical.doc_freq(t) for t in a) for a in alternatives]
            present = [df for df in dfs if df > 0]
            if present:
                weight = math.log(1 + n_docs / (min(present) + 1))
                known.append(weight)
            else:
                weight = -1.0  # unknown to the index: weighted like a typical concept, below
                pending.append(len(groups))
                absent.append(head)
            groups.append((head, tuple(alternatives), weight))
        typical = median(known) if known else 1.0
        for i in pending:
            head, alts, _ = groups[i]
            groups[i] = (head, alts, typical)
        self.groups = groups
        self.absent = tuple(absent)
        # Long questions name many concepts, and no single sentence covers them all. Relevance is
        # measured against the weightiest few (at least 4, a third of them on long questions).
        weights = sorted((w for _, _, w in groups), reverse=True)
        core = min(len(weights), max(4, math.ceil(len(weights) / 3)))
        self.total = sum(weights[:core]) or 1.0
        self.substantive = median(weights) if weights else 0.0
        # Key concepts weigh at least half the weightiest one. A sentence must touch two concepts when
        # the question has two key ones; with one key concept ("what would a colonoscopy show"), one will do.
        self.key_concepts = frozenset(h for h, _, w in groups if weights and w >= 0.5 * weights[0])
        self.weights = {head: round(w, 4) for head, _, w in groups}

    def matched(self, tokens: frozenset[str]) -> list[tuple[str, float]]:
        found = []
        for head, alternatives, weight in self.groups:
            if any(alt <= tokens for alt in alternatives):
                found.append((head, weight))
        return found

    def tokens(self, text: str) -> frozenset[str]:
        return frozenset(self._lexical.analyze(text))


def _merged_groups(understood: UnderstoodQuestion, lexical: LexicalIndex) -> list[tuple[str, ...]]:
    """The query's concept groups, with two merges that make one concept count once.

    - A bare keyword that another group already expands to ("rituximab" after "truxima") is dropped.
    - Consecutive keywords that form a recognised MeSH term ("atrial fibrillation") become one group,
      matched only when all its words are present.
    """
    raw = [g for g in understood.concept_groups() if g]
    expansion_words = {w for g in raw if len(g) > 1 for w in g[1:]}
    raw = [g for g in raw if not (len(g) == 1 and g[0] in expansion_words)]
    for term in sorted(understood.mesh_terms, key=lambda t: -len(t.split())):
        term_stems = lexical.analyze(term)
        n = len(term_stems)
        if n < 2:
            continue
        for i in range(len(raw) - n + 1):
            window = raw[i : i + n]
            if all(len(g) == 1 for g in window) and [t for g in window for t in lexical.analyze(g[0])] == term_stems:
                raw[i : i + n] = [(" ".join(g[0] for g in window),)]
                break
    return raw


_BOILERPLATE = re.compile(
    r"^(?:these resources|see the following|for more information|this summary|you can find|related|"
    r"genetic testing registry|the following|click|visit|call)\b|\bPDQ summar|\bresources from MedlinePlus",
    re.IGNORECASE,
)
_CHILDREN = re.compile(r"\b(children|child|adolescents?|infants?|newborns?|pediatric|paediatric|youth|teens?|toddlers?)\b", re.IGNORECASE)
_ADULTS = re.compile(r"\b(adults?|older persons|older people|elderly)\b", re.IGNORECASE)
_FEMALE = re.compile(r"\b(women|woman|female|pregnan\w*|girls?)\b", re.IGNORECASE)
_MALE = re.compile(r"\b(men|man|male|boys?)\b", re.IGNORECASE)


def question_age_group(question: str, age: int | None) -> str | None:
    """"adult" or "child" for the person asked about: from the age, else from the question's words."""
    if age is not None:
        return "adult" if age >= 18 else "child"
    child, adult = bool(_CHILDREN.search(question)), bool(_ADULTS.search(question))
    if child != adult:
        return "child" if child else "adult"
    return None


def population_fit(text: str, age: int | None, sex: str | None, group: str | None = None) -> float:
    """+1 when a statement's stated population includes the patient, -1 when it excludes them, else 0."""
    fit = 0.0
    ranges = [(int(a), int(b)) for a, b in AGE_RANGE.findall(text)]
    ranges += [(int(a or b), 200) for a, b in AGE_MIN.findall(text)]
    ranges += [(0, int(a or b) - 1) for a, b in AGE_MAX.findall(text)]
    if age is not None and ranges:
        fit += 1.0 if any(lo <= age <= hi for lo, hi in ranges) else -1.0
    elif group is not None and ranges:
        fits = any(hi >= 18 for _, hi in ranges) if group == "adult" else any(lo < 18 for lo, _ in ranges)
        fit += 0.5 if fits else -1.0
    elif group is not None:
        child, adult = bool(_CHILDREN.search(text)), bool(_ADULTS.search(text))
        if child != adult:
            fit += 0.5 if (child and group == "child") or (adult and group == "adult") else -1.0
    if sex is not None:
        female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
        if female != male:
            fit += 0.5 if (female and sex == "female") or (male and sex == "male") else -1.0
    return fit


def _is_usable_sentence(text: str) -> bool:
    words = text.split()
    if len(text) < 30 or len(text) > 700 or len(words) < 5:
        return False
    if text.rstrip().endswith("?") or text.rstrip().endswith(":"):
        return False
    # Headings and table rows have no sentence punctuation and few words.
    if not re.search(r"[.!;)\]]\s*$", text) and len(words) < 12:
        return False
    if _BOILERPLATE.search(text):
        return False
    letters = sum(c.isalpha() for c in text)
    return letters >= 0.5 * len(text)


def cues_of(text: str, section: str) -> frozenset[Cue]:
    found: set[Cue] = {cue for cue, pattern in _CUES.items() if pattern.search(text)}
    if _CONCLUSION_SECTION.search(section):
        found.add("conclusion")
    return frozenset(found)


# The label sections that give each kind of answer: a label's dose is in its dosage section, not in its
# pharmacokinetics; its safety advice in its contraindications, warnings and interactions.
_LABEL_ANSWER_SECTIONS: dict[AnswerIntent, re.Pattern[str]] = {
    AnswerIntent.DOSE: re.compile(r"dosage|directions|administration|how supplied", re.I),
    AnswerIntent.SAFETY: re.compile(r"contraindicat|warning|precaution|interaction|boxed|adverse|specific populations|"
                                    r"pregnan|lactation|do not use|ask a doctor|stop use|when using", re.I),
    AnswerIntent.MONITORING: re.compile(r"warning|precaution|monitor|laborator", re.I),
}
_RENAL = re.compile(r"\b(?:renal|kidney|e?GFR|creatinine|CrCl|nephr\w*|dialysis)\b", re.I)
RENAL_IMPAIRMENT_BELOW = 60.0  # eGFR or CrCl (mL/min) under which dose and safety answers must speak of it


def _renally_impaired(understood: UnderstoodQuestion) -> bool:
    p = understood.patient
    return any(v is not None and v < RENAL_IMPAIRMENT_BELOW for v in (p.egfr, p.creatinine_clearance))


def _drug_heads(matcher: ConceptMatcher, understood: UnderstoodQuestion) -> tuple[str, ...]:
    """The concept heads that name a drug of the question (as the patient context read it)."""
    names = {n.lower() for m in understood.patient.medications for n in (m.generic, m.brand, m.as_written) if n}
    return tuple(head for head, _, _ in matcher.groups if head.lower() in names)


def _label_indications(hits: list[SearchHit], understood: UnderstoodQuestion, subject: tuple[str, ...],
                       store: LabelSource | None) -> tuple[bool, frozenset[str]]:
    """For a dose question: whether the labels may answer (a label's dose is for its own indications: Viagra's
    is no dose for pulmonary arterial hypertension), and the subject concepts that are a labelled indication
    of the question's drug (a label's dosage section need not repeat them)."""
    drugs = understood.patient.generics
    if not drugs:
        return True, frozenset()
    def on_label(conditions: list[str]) -> bool:
        return any(label_verdict(g, conditions, store=store).status == LabelStatus.ON_LABEL for g in drugs)
    conditions = understood.patient.conditions
    indicated = frozenset(h for h in subject if on_label([h]))
    return (on_label(conditions) if conditions else True), indicated


# Which source answers first, by intent: the label for dose, monitoring and safety; else guidelines, then
# syntheses and trials. Lower is earlier; patient information comes last everywhere.
_LABEL_FIRST = (AnswerIntent.DOSE, AnswerIntent.MONITORING, AnswerIntent.SAFETY)
_SOURCE_ORDER: dict[DocType, int] = {
    DocType.GUIDELINE: 0, DocType.SYSTEMATIC_REVIEW: 2, DocType.RCT: 3, DocType.DRUG_LABEL: 1,
    DocType.OBSERVATIONAL: 4, DocType.CASE_REPORT: 5, DocType.NARRATIVE_REVIEW: 6, DocType.PATIENT_INFORMATION: 7,
}


def _answer_rank(s: ScoredSentence, intent: AnswerIntent) -> tuple[float, ...]:
    order = _SOURCE_ORDER[s.doc_type]
    if intent in _LABEL_FIRST and s.doc_type == DocType.DRUG_LABEL:
        order = -1
    graded = s.doc_type == DocType.GUIDELINE and s.grade is not None
    # A definite recommendation answers better than a finding that the evidence is insufficient (USPSTF I).
    undecided = (s.grade or "").strip().upper() == "I" or has_cue(StatementKind.TRIALS_ONLY, s.text)
    # ... and one for everyone it names answers better than one to offer selectively or weakly (USPSTF C,
    # "we suggest"): "screen adults aged 50 to 75" before "selectively offer screening at 76 to 85".
    conditional = graded and has_cue(StatementKind.CONDITIONAL, s.text)
    return (order, not graded, undecided, conditional, -s.score)


def choose_answer(sentences: list[ScoredSentence], intent: AnswerIntent) -> ScoredSentence | None:
    """The sentence the bottom line quotes: one that answers (intent and subject) from a source that fits
    the patient, by the source order of the intent, graded guideline statements first, then by score."""
    candidates = [s for s in sentences if s.answers and s.population_note is None]
    return min(candidates, key=lambda s: _answer_rank(s, intent)) if candidates else None


def calibrated_status(answer: ScoredSentence | None, sentences: list[ScoredSentence]) -> EvidenceStatus:
    """``sufficient`` only when a sentence answers the question from a direct source (not patient information
    alone); ``limited`` when the answer is patient information or only indirect or partial evidence was
    found; ``insufficient`` when nothing relevant was."""
    if answer is not None and answer.doc_type != DocType.PATIENT_INFORMATION:
        return EvidenceStatus.SUFFICIENT
    return EvidenceStatus.LIMITED if sentences else EvidenceStatus.INSUFFICIENT


Versions = Callable[[str], Supersession | None]  # the newer version of a document, if any


def is_citable(doc: Document) -> bool:
    """False for a retracted publication: it is never quoted (one under an expression of concern is, flagged)."""
    return RETRACTED not in doc.flags


def select_evidence(
    understood: UnderstoodQuestion, hits: list[SearchHit], lexical: LexicalIndex, settings: EvidenceSettings,
    *, superseded_by: Versions | None = None, label_store: LabelSource | None = None,
) -> EvidenceSet:
    """Score every sentence of the retrieved passages; keep the relevant ones, best first; choose the one
    that answers (:func:`choose_answer`).

    Each source's population is judged against the question's (:func:`curbside.evidence.population.source_fit`):
    excluded sources are dropped, indirect ones marked (``population_note``). ``superseded_by`` gives a document's newer version: superseded documents are
    never quoted (``EvidenceSet.superseded`` lists them for a history note). With ``label_store``, a label's
    dose answers only for an indication the label states (:func:`curbside.evidence.indications.label_verdict`).
    """
    matcher = ConceptMatcher(understood, lexical)
    intent = understood.intent
    subject = subject_concepts((head for head, _, _ in matcher.groups), intent)
    interval_asked, age_asked = needs_interval(understood.clinical_question), needs_age(understood.clinical_question)
    pregnant = bool(understood.patient.pregnant)
    # An answer must name the question's drugs and every subject concept the index does not hold at all
    # (a question about a drug the knowledge base never mentions has no answer in it).
    required = _drug_heads(matcher, understood) + tuple(h for h in subject if h in matcher.absent)
    renal = _renally_impaired(understood)
    labels_may_answer, labelled_for = (_label_indications(hits, understood, subject, label_store)
                                       if intent == AnswerIntent.DOSE else (True, frozenset()))
    asked = question_population(understood)
    fits: dict[str, str | None] = {}
    excluded: set[str] = set()
    superseded: dict[str, Supersession] = {}
    patient = understood.patient
    age_group = question_age_group(understood.original, patient.age)
    label_sections = [section for cue, section in _LABEL_INTENTS if cue.search(understood.clinical_question)]
    scored: list[ScoredSentence] = []
    covered_anywhere: set[str] = set()
    for rank, hit in enumerate(hits):
        passage, doc = hit.passage, hit.document
        if not is_citable(doc):
            continue  # retracted: never cited
        newer = superseded_by(doc.doc_id) if superseded_by is not None else None
        if newer is not None:
            superseded[doc.doc_id] = newer
            continue  # only the current statement is cited; the older one goes in a history note
        if doc.doc_id not in fits:
            fit = source_fit(hit.population or population_of(doc), asked)
            # A source that cannot include the patient (children-only for an adult) is dropped; one for a
            # narrower population, setting or condition is kept as indirect evidence, never the answer.
            fits[doc.doc_id] = None if fit.direct else fit.reason
            if fit.verdict == FitVerdict.EXCLUDED:
                excluded.add(doc.doc_id)
        if doc.doc_id in excluded:
            continue
        context = matcher.tokens(f"{doc.title} {passage.section}")
        context_matches = dict(matcher.matched(context))
        # Per passage: a label answers only from the section for the intent (and, for a dose, for an
        # indication it states, which then need not be repeated in its dosage section).
        label_may_answer, answer_context = True, context_matches
        if doc.doc_type == DocType.DRUG_LABEL:
            label_section = _LABEL_ANSWER_SECTIONS.get(intent)
            label_may_answer = labels_may_answer and (label_section is None or bool(label_section.search(passage.section)))
            answer_context = {**context_matches, **dict.fromkeys(labelled_for, 0.0)}
        prior = 1.0 / (1.0 + rank / 10.0)
        for start, end in sentence_spans(passage.text):
            text = passage.text[start:end]
            lead = _LIST_LEAD.match(text)
            if lead:
                start += lead.end()
                text = passage.text[start:end]
            if not _is_usable_sentence(text) or is_noise_sentence(text):
                continue  # headings, abbreviation lists, table pointers, reference debris
            in_sentence = dict(matcher.matched(matcher.tokens(text)))
            if not in_sentence or max(in_sentence.values()) < matcher.substantive:
                continue  # mentions nothing specific to the question
            covered_anywhere.update(in_sentence)
            context_only = {h: w for h, w in context_matches.items() if h not in in_sentence}
            if len(in_sentence) + len(context_only) < min(2, len(matcher.key_concepts)):
                continue  # about one concept of a many-concept question: on the topic, not on the question
            relevance = (sum(in_sentence.values()) + 0.5 * sum(context_only.values())) / matcher.total
            relevance = round(min(relevance, 1.0), 4)
            if relevance < settings.min_sentence_relevance:
                continue
            cues = cues_of(text, passage.section)
            # The grade the sentence's own statement carries, never a neighbour's (evidence.grading).
            grade = sentence_grade(text, passage.text, passage.grade, start=start) if doc.doc_type == DocType.GUIDELINE else None
            bonus = 0.15 * prior
            if doc.doc_type in RESEARCH_TYPES:
                # A trial's conclusion answers; its background only motivates.
                bonus += 0.12 * ("conclusion" in cues) + 0.03 * ("numbers" in cues)
                bonus -= 0.08 * bool(_BACKGROUND_SECTION.search(passage.section))
            if doc.doc_type == DocType.GUIDELINE:
                bonus += 0.05 * (grade is not None) + 0.03 * ("recommendation" in cues)
                fit = population_fit(f"{passage.section} {text}", patient.age, patient.sex, age_group)
                if fit <= -1:
                    continue  # a statement for another population (children, another age band) is not about this patient
                bonus += 0.08 * fit if fit > 0 else 0.2 * fit
            if doc.doc_type == DocType.DRUG_LABEL and any(p.search(passage.section) for p in label_sections):
                bonus += 0.15  # the label section that answers this kind of question
            if len(text) > 350:
                bonus -= 0.05 if len(text) <= 500 else 0.1
            population_note = fits[doc.doc_id]
            if population_note is None and pregnant and not mentions_pregnancy(f"{doc.title} {passage.section} {text}"):
                population_note = "not written for pregnancy"
            if (population_note is None and renal and intent in (AnswerIntent.DOSE, AnswerIntent.SAFETY)
                    and not _RENAL.search(f"{passage.section} {text}")):
                population_note = "not about renal impairment"
            answers = label_may_answer and covers_subject(
                subject, in_sentence, answer_context, matcher.weights, required) and gives_answer(
                text, doc.doc_type, intent, graded=grade is not None and doc.doc_type == DocType.GUIDELINE,
                conclusion="conclusion" in cues, interval_asked=interval_asked, age_asked=age_asked)
            scored.append(
                ScoredSentence(
                    hit=hit, start=start, end=end, relevance=relevance, score=round(relevance + bonus, 6),
                    matched=tuple(sorted(in_sentence)), grade=grade, cues=cues, answers=answers,
                    population_note=population_note,
                )
            )
    scored.sort(key=lambda s: (-s.score, s.hit.passage.passage_id, s.start))
    answer = choose_answer(scored, intent)
    status = calibrated_status(answer, scored)
    # Only the subject's clinical concepts are reported as uncovered or absent, never "persistent" or "dose".
    uncovered = tuple(
        head for head, _, _ in matcher.groups
        if head not in covered_anywhere and head not in matcher.absent and head in subject and is_reportable_concept(head)
    )
    absent = tuple(head for head in matcher.absent if is_reportable_concept(head))
    return EvidenceSet(understood, hits, scored, status, matcher.weights, uncovered, absent,
                       answer=answer, subject=subject, superseded=superseded)

"""Question type: what kind of answer a clinical question asks for (deterministic cue rules, no LLM).

Types (:class:`QuestionType`, a ``str`` enum):

========================  ===========================================================================
``medical_necessity``     medical necessity, prior authorization, insurance coverage, payer approval,
                          appeals, letters of medical necessity
``next_step``             management: the next step, what to add, start, stop, hold or switch to, the
                          standard of care, whether a treatment is effective or appropriate
``dosing``                dose, dose adjustment, titration and tapering, how much, "too much?", and a
                          question sentence that carries an explicit dose ("Can he take 10 mg/kg?")
``drug_information``      side effects, interactions, mechanism, contraindications, pregnancy and
                          lactation safety, boxed warnings, drug monitoring
``diagnosis_screening``   screening, diagnosis, work-up, differential diagnosis, ruling out, tests
``prognosis``             prognosis, survival, mortality, life expectancy, relapse or recurrence risk
``comparison``            "A vs B", "compared with", "better than", "which is safer", "A or B ...?"
``patient_education``     explaining to a patient, counselling, handouts, plain language
``general``               the fallback: nothing above fits (definitions, pathophysiology, statements)
========================  ===========================================================================

Each type has cue patterns with weights; a type's score is the sum of the weights of its distinct
cues found in the text. The highest score wins; ties go to the type listed first in ``_PRIORITY``
(the more specific request: a prior-authorization question that also asks for a dose is a
prior-authorization question). :func:`explain_question_type` returns the scores and cues.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

from curbside.corpus.text import normalize, sentences

__all__ = ["QuestionType", "QuestionTypeResult", "classify_question", "explain_question_type"]


class QuestionType(StrEnum):
    """What kind of answer a clinical question asks for; the cues of each type are listed in
    ``curbside.understanding.question_type``."""

    MEDICAL_NECESSITY = "medical_necessity"
    NEXT_STEP = "next_step"
    DOSING = "dosing"
    DRUG_INFORMATION = "drug_information"
    DIAGNOSIS_SCREENING = "diagnosis_screening"
    PROGNOSIS = "prognosis"
    COMPARISON = "comparison"
    PATIENT_EDUCATION = "patient_education"
    GENERAL = "general"


class QuestionTypeResult(BaseModel):
    question_type: QuestionType
    scores: dict[str, float] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)  # type -> matched cue texts


_T = QuestionType
# (type, pattern, weight). Patterns are matched case-insensitively on the normalised text.
_CUES: list[tuple[QuestionType, str, float]] = [
    # Explicit medical-necessity language outweighs a dose cue and a dose in the question (4 + 2).
    (_T.MEDICAL_NECESSITY, r"medically\s+necessary|medical\s+necessity", 6),
    (_T.MEDICAL_NECESSITY, r"prior[\s-]+auth(?:orization|orisation)?|pre-?authori[sz]ation|\bPA\s+request", 6),
    (_T.MEDICAL_NECESSITY, r"insurance|insurer|\bpayer\b|\bpayor\b|formulary|step\s+therapy|utilization\s+review", 5),
    (
        _T.MEDICAL_NECESSITY,
        r"\bcover(?:ed|age)?\s+(?:by|for|under)\b|\bappeal\b|\bdenied\b|\bdenial\b|\bjustif(?:y|ication)\b",
        5,
    ),
    (_T.MEDICAL_NECESSITY, r"\bapprov(?:e|al)\s+(?:for|of)\b|\bwill\s+\w+\s+approve\b", 3),
    (
        _T.PATIENT_EDUCATION,
        r"\bexplain\b|\bcounsel(?:l?ing)?\b|\bhandout\b|\bleaflet\b|plain\s+language|lay\s+terms",
        5,
    ),
    (
        _T.PATIENT_EDUCATION,
        r"patient\s+(?:education|information\s+sheet)|what\s+to\s+expect|how\s+(?:do|should)\s+i\s+tell",
        4,
    ),
    (_T.COMPARISON, r"\bvs\.?\b|\bversus\b|\bcompared?\s+(?:with|to)\b|\bcomparison\b|head[\s-]to[\s-]head", 3),
    (_T.COMPARISON, r"\b(?:better|worse|safer|superior|inferior)\s+(?:than|to)\b|\bdifference\s+between\b", 4),
    (_T.COMPARISON, r"\bwhich\s+(?:is|one\s+is|would\s+be)\s+(?:better|safer|preferred|more\s+effective)", 3),
    (_T.DOSING, r"(?<!\d\s)(?<!\d)(?<!x\s)\b(?:dose|doses|dosing|dosage|dosed)\b", 4),
    (_T.DOSING, r"how\s+much\b|\btitrat\w*|\btaper\w*|\bbolus\b|loading\s+dose|max(?:imum)?\s+dose", 3),
    (_T.DOSING, r"\btoo\s+(?:much|high|low)\b|\benough\b|\bsufficient\b|renal\s+adjustment|\badjust(?:ment|ed)?\b", 3),
    (_T.DOSING, r"how\s+often\s+should\s+(?:i|we|he|she|they)\s+(?:give|take|infuse|dose|inject)", 3),
    (_T.PROGNOSIS, r"\bprognos\w*|\bsurvival\b|life\s+expectancy|\bmortality\b|natural\s+history|expected\s+course", 4),
    (
        _T.PROGNOSIS,
        (
            r"\b(?:relapse|recurrence)\s+(?:rate|risk)|risk\s+of\s+(?:relapse|recurrence|death|dying)"
            r"|chances?\s+of\b|\boutcomes?\b"
        ),
        4,
    ),
    (_T.PROGNOSIS, r"how\s+long\s+will|likely\s+to\s+(?:recover|survive|relapse)", 4),
    (_T.DIAGNOSIS_SCREENING, r"\bscreen(?:ed|ing)?\b|\bdiagnos(?:e|is|tic|ing)\b|work[\s-]?up\b|differential\b", 4),
    (_T.DIAGNOSIS_SCREENING, r"\brule\s+out\b|\br/o\b", 3),
    (_T.DIAGNOSIS_SCREENING, r"\btest(?:s|ing)?\s+for\b|(?:which|what)\s+tests?\b", 3),
    (_T.DIAGNOSIS_SCREENING, r"\bmammogra\w*|\bpap\s+smear|\bbiopsy\b|\bimaging\b", 2),
    (
        _T.DRUG_INFORMATION,
        r"side[\s-]effects?|adverse\s+(?:effects?|events?|reactions?)|\binteract(?:s|ion|ions)?\b",
        4,
    ),
    (_T.DRUG_INFORMATION, r"mechanism|how\s+does\s+\S+\s+work|contraindicat\w*|black\s+box|boxed\s+warning", 4),
    (
        _T.DRUG_INFORMATION,
        r"\bsafe\s+(?:in|during|with|for)\b|breast-?feeding|lactation|half-life|pharmacokinetic\w*",
        3,
    ),
    (_T.DRUG_INFORMATION, r"\bmonitoring\b|\btoxicity\b|what\s+is\s+\S+\s+used\s+for", 3),
    (
        _T.NEXT_STEP,
        r"next\s+(?:best\s+)?steps?|what\s+next\b|\bdo\s+next\b|what\s+(?:should|can|do)\s+(?:we|i)\s+do\b",
        4,
    ),
    (_T.NEXT_STEP, r"what\s+should\s+be\s+(?:added|done|started)|how\s+(?:should|do)\s+(?:we|i)\s+(?:treat|manage)", 4),
    (
        _T.NEXT_STEP,
        (
            r"\b(?:should|can|could)\s+(?:we|i|he|she|they|it|anticoagulation|treatment|therapy)\s+"
            r"(?:add|start|stop|hold|switch|continue|taper|escalate|change|resume|restart|use|give)\b"
        ),
        4,
    ),
    (_T.NEXT_STEP, r"\bstandard\b|first[\s-]line|second[\s-]line|treatment\s+options?|\bmanagement\b", 3),
    (_T.NEXT_STEP, r"\bappropriate\b|\breasonable\b|\bindicated\b|\brecommended\b|\beffective\b|\befficacy\b", 3),
    (_T.NEXT_STEP, r"\bswitch(?:ing)?\s+to\b|\bescalat\w*|\bconsider\b", 3),
]
_COMPILED = [(qtype, re.compile(pattern, re.IGNORECASE), weight) for qtype, pattern, weight in _CUES]

# A question sentence that opens with a management verb: "Add cyclosporine?", "Start prednisone ...?"
_IMPERATIVE = re.compile(r"^\s*(?:add|start|stop|hold|switch|continue|begin|initiate|escalate)\b", re.IGNORECASE)
# "Insulin or metformin for ...?": two short options at the start of a question sentence.
_EITHER_OR = re.compile(r"^\s*[\w-]+(?:\s+[\w-]+)?\s+or\s+[\w-]+", re.IGNORECASE)
# An explicit dose in a question sentence.
_DOSE_IN_QUESTION = re.compile(
    r"\d+(?:\.\d+)?\s*(?:mg|g|gm|mcg|µg|μg|ug|iu|units?|ml|meq|mmol)(?:\s*/\s*(?:kg|m2|m²|day|d|h))*\b",
    re.IGNORECASE,
)

_PRIORITY = [
    _T.MEDICAL_NECESSITY,
    _T.PATIENT_EDUCATION,
    _T.COMPARISON,
    _T.DOSING,
    _T.PROGNOSIS,
    _T.DIAGNOSIS_SCREENING,
    _T.DRUG_INFORMATION,
    _T.NEXT_STEP,
]


def _question_sentences(text: str) -> list[str]:
    found = [s for s in sentences(text) if s.rstrip(" \"')]").endswith("?")]
    if not found:
        return [text]
    # "Next step: add X or switch to Y?" -- the part after a colon is the question proper.
    return [s.rsplit(":", 1)[-1] if ":" in s else s for s in found]


def explain_question_type(text: str) -> QuestionTypeResult:
    """The question type with the score and matched cues of every type that has any."""
    t = normalize(text or "")
    scores: dict[str, float] = {}
    cues: dict[str, list[str]] = {}

    def add(qtype: QuestionType, cue: str, weight: float) -> None:
        scores[qtype.value] = scores.get(qtype.value, 0.0) + weight
        cues.setdefault(qtype.value, []).append(cue)

    for qtype, pattern, weight in _COMPILED:
        match = pattern.search(t)
        if match:
            add(qtype, match.group(), weight)
    for question in _question_sentences(t):
        imperative = _IMPERATIVE.match(question)
        if imperative:
            add(_T.NEXT_STEP, imperative.group().strip(), 4)
        either = _EITHER_OR.match(question)
        if either:
            add(_T.COMPARISON, either.group().strip(), 3)
        dose = _DOSE_IN_QUESTION.search(question)
        if dose:
            add(_T.DOSING, dose.group(), 2)
    if not scores:
        return QuestionTypeResult(question_type=_T.GENERAL)
    best = max(scores.values())
    winner = next(q for q in _PRIORITY if scores.get(q.value) == best)
    return QuestionTypeResult(question_type=winner, scores=scores, cues=cues)


def classify_question(text: str) -> QuestionType:
    """The question type of a clinical question (see the module docstring for the types and rules)."""
    return explain_question_type(text).question_type

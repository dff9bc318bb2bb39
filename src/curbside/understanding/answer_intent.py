"""Answer intent: what kind of answer the clinical question wants (should/whether, which drug first, what
dose, what monitoring, which tests at what interval, is it safe with X, what next), from the cues of
``vocabulary/data/answer_intents.tsv``; the question type decides when no cue does.

The intent is finer than the question type and serves another purpose: evidence selection takes the
bottom line only from a sentence that gives this kind of answer (:mod:`curbside.evidence.answers`).
"""

from __future__ import annotations

import re

from curbside.understanding.question_type import QuestionType
from curbside.vocabulary.answer_intents import INTENT_ORDER, AnswerIntent, question_pattern

__all__ = ["AnswerIntent", "classify_intent", "needs_age", "needs_interval"]

_BY_TYPE: dict[QuestionType, AnswerIntent] = {
    QuestionType.DOSING: AnswerIntent.DOSE,
    QuestionType.NEXT_STEP: AnswerIntent.NEXT,
    QuestionType.DIAGNOSIS_SCREENING: AnswerIntent.TESTS,
    QuestionType.MEDICAL_NECESSITY: AnswerIntent.SHOULD,
}
_INTERVAL_ASKED = re.compile(r"\bhow\s+(?:often|frequently)\b|\binterval\b|\bhow\s+many\s+times\b", re.I)
_AGE_ASKED = re.compile(r"\b(?:when|at\s+what\s+age|what\s+age|how\s+old|until|stop)\b", re.I)


def classify_intent(clinical_question: str, question_type: QuestionType) -> AnswerIntent:
    """The first intent (in :data:`INTENT_ORDER`) with a cue in the clinical question; else the one its
    type implies; else ``other``."""
    for intent in INTENT_ORDER:
        if question_pattern(intent).search(clinical_question):
            return intent
    return _BY_TYPE.get(question_type, AnswerIntent.OTHER)


def needs_interval(clinical_question: str) -> bool:
    """The question asks how often ("how often should she be screened?"): the answer must give an interval."""
    return _INTERVAL_ASKED.search(clinical_question) is not None


def needs_age(clinical_question: str) -> bool:
    """The question asks when or at what age: the answer must give an age or a time."""
    return _AGE_ASKED.search(clinical_question) is not None

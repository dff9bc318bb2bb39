"""Whether a sentence answers the question: it gives the kind of answer the question wants (its intent), it
is about the question's subject, and (for a pregnant patient) it speaks of pregnancy.

The bottom line is chosen only among sentences that pass (:func:`curbside.evidence.selection.select_evidence`
picks it, with the source's population fit and version); when none does, the article says what the
knowledge base lacks rather than quoting the best-overlapping sentence.

- **Intent** (``understanding.answer_intent``): a sentence answers a dose question when it gives a dose, a
  monitoring question when it says what to monitor, a tests question when it is a statement about a test
  (with an interval when the question asks how often, an age when it asks when), a safety question when it
  warns, contraindicates or clears, a "which drug first" or "what next" question when it recommends a
  treatment, and a "should" question when it recommends, recommends against, finds the evidence
  insufficient, or (a study) reports a result. Methods sentences and a study's aims never answer. The cues
  are data: ``vocabulary/data/answer_intents.tsv``.
- **Subject**: the concepts of the question that are not framing ("dose", "first-line", "adults",
  "pregnant") or a qualifier ("severe", "uncomplicated"). The sentence, or the title or section it sits
  under, must name each drug the question names and most of the subject's weight (:data:`SUBJECT_SHARE`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from curbside.corpus.documents import RESEARCH_TYPES, DocType
from curbside.evidence.noise import is_reportable_concept
from curbside.understanding import AnswerIntent
from curbside.vocabulary.answer_intents import answer_pattern, frame_pattern
from curbside.vocabulary.ages import AGE_MAX, AGE_MIN, AGE_RANGE
from curbside.vocabulary.conditions import is_qualifier
from curbside.vocabulary.statement_cues import StatementKind, has_cue

__all__ = ["gives_answer", "is_frame_word", "mentions_pregnancy", "subject_concepts", "covers_subject"]

_DOSE_AMOUNT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:-|to|–)?\s*(?:\d+(?:[.,]\d+)?\s*)?"
    r"(?:mg|mcg|µg|g|units?|IU|mL|mmol|mEq)(?:\s*/\s*(?:kg|m2|m²|day|d|week|wk|dose))*\b",
    re.IGNORECASE,
)
_REGIMEN = re.compile(
    r"\b(?:\d+|one|two|three|four|once|twice)\s+(?:times?\s+)?(?:a|per|each)\s+day\b|\b(?:once|twice)\s+daily\b|"
    r"\bevery\s+\d+\s+(?:to\s+\d+\s+)?hours\b",
    re.IGNORECASE,
)
_INTERVAL = re.compile(
    r"\bevery\s+(?:\d+|one|two|three|four|five|six|ten|other|year|month)\b|\b(?:annual\w*|biennial\w*|yearly|"
    r"triennial\w*|interval\w*|once\s+(?:a|per|every)\s+\w+)\b",
    re.IGNORECASE,
)
_TIME_OR_AGE = re.compile(r"\b(?:aged?|age\s+\d|years?\s+(?:of\s+age|or\s+older|and\s+older)|begin\w*|start\w*|stop\w*|"
                          r"until|before|after|during|weeks?\s+of\s+gestation|trimester)\b", re.IGNORECASE)
_PREGNANCY = re.compile(r"\b(?:pregnan\w*|prenatal|antenatal|gestation\w*|trimester|obstetric\w*|peripartum|"
                        r"expectant\s+mothers?)\b", re.IGNORECASE)
_TREATMENT_NAMED = re.compile(
    r"\b(?:\w+(?:ide|pril|sartan|olol|dipine|statin|mab|nib|azole|cillin|mycin|floxacin|formin|gliptin|"
    r"gliflozin|glutide|parin|xaban|gatran|prazole|tidine|setron|triptan|profen|oxacin|cycline|vir)s?|"
    r"diuretics?|inhibitors?|blockers?|antagonists?|agonists?|insulin|aspirin|metformin|vaccin\w*|"
    r"immunization|therapy|medications?|drugs?|agents?|antibiotics?|antihypertensives?|anticoagula\w*)\b",
    re.IGNORECASE,
)


# The share of the subject's weight an answer must name: a question's story adds concepts ("a man with
# hypertension" asking about aspirin) that the statement answering it need not repeat.
SUBJECT_SHARE = 0.6


def is_frame_word(head: str, intent: AnswerIntent) -> bool:
    """A question word that frames the request ("dose", "first-line", "adults") or qualifies a condition
    ("severe"), rather than naming what the question is about."""
    return frame_pattern(intent).fullmatch(head) is not None or is_qualifier(head)


def subject_concepts(heads: Iterable[str], intent: AnswerIntent) -> tuple[str, ...]:
    """The heads of the question's concept groups that name its subject (see the module docstring)."""
    return tuple(h for h in heads if not is_frame_word(h, intent) and is_reportable_concept(h))


def covers_subject(subject: Sequence[str], in_sentence: Iterable[str], in_context: Iterable[str],
                   weights: Mapping[str, float], required: Iterable[str] = ()) -> bool:
    """The sentence, or the title or section it sits under (``in_context``), names every ``required``
    subject concept (the drugs the question names) and at least :data:`SUBJECT_SHARE` of the subject's
    weight (each concept weighted by its rarity in the index)."""
    named = set(in_sentence) | set(in_context)
    if any(h not in named for h in required if h in subject):
        return False
    total = sum(weights.get(h, 0.0) for h in subject)
    if total <= 0:
        return True
    return sum(weights.get(h, 0.0) for h in subject if h in named) >= SUBJECT_SHARE * total


def mentions_pregnancy(text: str) -> bool:
    return _PREGNANCY.search(text) is not None


def _states_a_recommendation(text: str) -> bool:
    return any(has_cue(kind, text) for kind in (StatementKind.RECOMMENDATION, StatementKind.CONDITIONAL,
                                                StatementKind.AGAINST, StatementKind.TRIALS_ONLY))


def _reports_a_result(text: str) -> bool:
    return has_cue(StatementKind.RESULT, text) or has_cue(StatementKind.NO_EFFECT, text)


def _gives_age(text: str) -> bool:
    return bool(AGE_RANGE.search(text) or AGE_MIN.search(text) or AGE_MAX.search(text) or _TIME_OR_AGE.search(text))


def gives_answer(text: str, doc_type: DocType | str, intent: AnswerIntent, *, graded: bool = False,
                 conclusion: bool = False, interval_asked: bool = False, age_asked: bool = False) -> bool:
    """Whether ``text`` gives the kind of answer ``intent`` wants (see the module docstring). ``graded``: the
    sentence carries a guideline grade; ``conclusion``: it sits in a study's conclusions."""
    doc_type = DocType(doc_type)
    if has_cue(StatementKind.METHODS, text) and not (graded or _states_a_recommendation(text)):
        return False  # what a study did or aimed to do is never an answer
    research = doc_type in RESEARCH_TYPES
    cue = answer_pattern(intent).search(text) is not None
    if intent == AnswerIntent.DOSE:
        return cue and (_DOSE_AMOUNT.search(text) is not None or _REGIMEN.search(text) is not None)
    if intent == AnswerIntent.MONITORING:
        return cue and (not research or conclusion)
    if intent == AnswerIntent.SAFETY:
        return cue and (not research or conclusion or _reports_a_result(text))
    if intent == AnswerIntent.TESTS:
        if not cue or not (graded or _states_a_recommendation(text) or (research and conclusion)):
            return False
        if interval_asked and not _INTERVAL.search(text):
            return False
        return not age_asked or _gives_age(text) or _INTERVAL.search(text) is not None
    if intent in (AnswerIntent.FIRST_DRUG, AnswerIntent.NEXT):
        if research:
            return conclusion and _reports_a_result(text) and _TREATMENT_NAMED.search(text) is not None
        return (cue or graded) and _states_a_recommendation(text) and _TREATMENT_NAMED.search(text) is not None
    if intent == AnswerIntent.SHOULD:
        if research:  # a study answers "should" in its conclusions; a synthesis also by its pooled result
            return conclusion or (doc_type == DocType.SYSTEMATIC_REVIEW and _reports_a_result(text))
        return graded or _states_a_recommendation(text) or cue
    # OTHER: any statement that is not a study's methods or aims (checked above).
    return True

"""Finding detection: what a sentence says an intervention did to an outcome.

`detect_finding` reads a sentence or short passage that compares an intervention with a comparator on
an outcome and returns a `Finding`: a ``direction`` of the outcome measure itself (``increased``,
``decreased`` or ``no_difference``; whether the outcome is good or bad does not matter: "reduced
mortality" is ``decreased``) and whether the difference is ``significant``, with the words that name
the intervention and the outcome when they were not given. It is deterministic and rule-based:

- each clause is read by `curbside.evidence.clauses` (direction, no-difference and significance cues,
  arms), with the p-values and intervals of `curbside.evidence.statistics`;
- when a passage has several clauses ("whereas", "but", ";"), the clause that names the outcome is read,
  and a between-group verdict ("but the difference between groups was not significant") wins;
- the intervention and outcome words are read around the clause's first cue (`_extract_terms`).

Its accuracy on the Evidence Inference v2 evidence spans is measured by
``bench/eval_evidence_inference.py`` (`classify_ei`): 0.862 on train, 0.860 on validation and 0.807 on
test (majority class 0.425 on test). The lexicons and thresholds were written by reading errors on the
train and validation splits only; the test split was scored once, at the end. Nothing is learned, at
run time or before: every rule is in this module, `clauses`, `statistics` and `terms`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curbside.evidence.clauses import Clause, ClauseSignals, read_arms, read_clause, split_clauses
from curbside.evidence.statistics import Direction, normalise_text
from curbside.evidence.terms import content_terms

EI_LABELS: dict[Direction, str] = {
    "increased": "significantly increased",
    "decreased": "significantly decreased",
    "no_difference": "no significant difference",
}

# Outcomes where less is better, so that "improved" means lower. Kept to the unambiguous ones: a longer
# list (scores, weights, costs) did no better on the train and validation spans.
_BAD_OUTCOME = re.compile(r"pain|mortality|death|nausea|vomit|anxiety|depress|symptom|complication|adverse")
# A time-to-event outcome: a hazard ratio below 1 means the measure goes up.
_TIME_TO_EVENT = re.compile(r"surviv|time to|\bfree\b|-free|duration|latency")
# A clause about "the difference between groups" (not about one arm's change) settles the comparison.
_GROUP_VERDICT = re.compile(
    r"\b(?:between (?:the )?(?:two |three |treatment |study )?(?:groups?|arms?)|between-group|intergroup|inter-group|"
    r"group-wise|groupwise|(?:the|this|these|that|such) (?:differences?|effects?|reductions?|increases?|changes?|"
    r"improvements?|decreases?)|(?:this|it) (?:was|is) not|comparisons? (?:with|to|between)|no longer|not maintained)\b"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a text reports about an intervention and an outcome.

    ``direction`` is None when the text states no comparative result. ``significant`` is None when
    nothing in the text says (a guideline sentence rarely gives a p-value). ``intervention`` and
    ``outcome`` are the words found for them in the text (or given), for topic matching and notes.
    """

    direction: Direction | None
    significant: bool | None
    p_value: float | None = None
    intervention: str | None = None
    outcome: str | None = None
    cues: tuple[str, ...] = ()

    @property
    def ei_label(self) -> str | None:
        return EI_LABELS[self.direction] if self.direction else None


def _has_any(signals: ClauseSignals) -> bool:
    return bool(signals.increase or signals.decrease or signals.no_difference or signals.significant is not None
                or signals.ratio_direction or signals.value_direction)


def _decide(focus: ClauseSignals, significant: bool | None) -> tuple[Direction | None, bool | None]:
    if focus.no_difference and focus.no_difference >= max(focus.increase, focus.decrease):
        return "no_difference", False
    if significant is False:
        return "no_difference", False
    if focus.increase != focus.decrease:
        return ("increased" if focus.increase > focus.decrease else "decreased"), significant
    if focus.increase and focus.ratio_direction:
        return focus.ratio_direction, significant
    if significant:
        direction = focus.ratio_direction or focus.value_direction
        if direction:
            return direction, significant
    return None, significant


def detect_finding(
    text: str,
    *,
    intervention: str | None = None,
    comparator: str | None = None,
    outcome: str | None = None,
) -> Finding:
    """Read the direction and significance of a comparative result from a sentence or short passage.

    With ``intervention`` and ``comparator`` the direction is the intervention's relative to the
    comparator (word order is followed: "lower in the placebo group" means the intervention was higher);
    with ``outcome`` the clause that names it is read when a passage has several.
    """
    normalised = normalise_text(text)
    outcome_terms = content_terms(outcome) if outcome else []
    arms = read_arms(intervention, comparator, outcome_terms)
    bad_outcome = bool(outcome and _BAD_OUTCOME.search(outcome.lower()))
    clauses = split_clauses(normalised)
    if not clauses:
        return Finding(None, None)
    time_to_event = bool(outcome and _TIME_TO_EVENT.search(outcome.lower()))
    signals = [read_clause(clause, arms, outcome_terms, bad_outcome, time_to_event) for clause in clauses]
    candidates = [i for i, s in enumerate(signals) if _has_any(s)]
    if not candidates:
        return Finding(None, None, intervention=intervention, outcome=outcome)
    # The clause that names the outcome best; among equals the one with a direction cue, then the first.
    focus_index = max(candidates, key=lambda i: (signals[i].relevance, bool(signals[i].increase or signals[i].decrease
                                                                             or signals[i].no_difference), -i))
    focus = signals[focus_index]
    significant = focus.significant
    if significant is None:
        # "X was lower with A than B (5.9 vs 6.9). This difference was significant (p < 0.01)."
        for other in (focus_index + 1, focus_index - 1):
            if 0 <= other < len(signals) and signals[other].relevance <= focus.relevance and \
                    not (signals[other].increase or signals[other].decrease):
                if signals[other].significant is not None:
                    significant = signals[other].significant
                    break
                if signals[other].no_difference:
                    significant = False
                    break
    direction, significant = _decide(focus, significant)
    if direction in ("increased", "decreased"):
        # "..., but the difference between groups was not significant": the between-group verdict wins.
        for index, other in enumerate(signals):
            # A clause naming one arm only ("these changes were not evident with metformin") is no verdict.
            if index != focus_index and not (other.increase or other.decrease) and len(other.arm_sides) != 1 and \
                    (other.no_difference or other.significant is False) and _GROUP_VERDICT.search(clauses[index].text.lower()):
                direction, significant = "no_difference", False
                break
    found_intervention, found_outcome = intervention, outcome
    if found_intervention is None or found_outcome is None:
        extracted_i, extracted_o = _extract_terms(clauses[focus_index], focus)
        found_intervention = found_intervention or extracted_i
        found_outcome = found_outcome or extracted_o
    return Finding(
        direction=direction,
        significant=significant,
        p_value=focus.p_value,
        intervention=found_intervention,
        outcome=found_outcome,
        cues=tuple(focus.cues),
    )


# Evidence Inference always has a label. With no cue at all, "no significant difference" (the most
# frequent train label); significant with no readable direction, "increased" (the more frequent of the
# two directions in train: 978 against 857 spans, and 55 against 46 among such spans).
_EI_FALLBACK: Direction = "no_difference"
_EI_SIGNIFICANT_FALLBACK: Direction = "increased"


def classify_ei(text: str, *, intervention: str, comparator: str, outcome: str) -> str:
    """The Evidence Inference label ("significantly increased", ...) for an evidence span and its prompt."""
    finding = detect_finding(text, intervention=intervention, comparator=comparator, outcome=outcome)
    if finding.direction is None:
        return EI_LABELS[_EI_SIGNIFICANT_FALLBACK if finding.significant else _EI_FALLBACK]
    return EI_LABELS[finding.direction]


# --- intervention and outcome terms from free text -----------------------------------------------

# Where an intervention or outcome phrase ends: brackets, statistics, comparisons, populations, verbs.
_PHRASE_END = re.compile(
    r"\s*(?:\(|\[|,|;|:|\.(?:\s|$)|\bp\s*[<=>]|\b(?:compared|versus|vs|than|relative to|between|among|amongst|"
    r"in (?:[\w-]+ ){0,2}(?:patients|adults|children|women|men|people|persons|individuals|infants|those|participants)|"
    r"at \d|from \d|by \d|when|after|during|over|within|"
    r"was|were|is|are|did|does|do|had|has|have|showed|shows|resulted|led|leads|can|may|might|should|but|whereas|while|"
    r"that|which|who|include|includes|including|indicated|indicates|suggest|suggests|suggesting|analysis|analyses)\b)",
    re.IGNORECASE,
)
# An outcome also ends where the arm begins: "mortality with dexamethasone", "relapse in the placebo group".
_OUTCOME_END = re.compile(r"\s+(?:with|in the|in those|among|for|following|on|under|by)\b", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^\s*(?:(?:in|among|for|at|after|during)\s+[^,]{1,60},\s*|(?:compared\s+(?:with|to)|versus|relative\s+to)\s+[^,]{1,60},\s*|"
    r"(?:there\s+(?:was|were|is|are)|we\s+(?:found|observed|saw)|results\s+showed|this\s+study\s+(?:found|showed))"
    r"\s+(?:that\s+)?)",
    re.IGNORECASE,
)
_AUXILIARIES = re.compile(
    r"(?:\s+(?:was|were|is|are|be|been|had|has|have|did|does|do|not|no|significantly|statistically|substantially|"
    r"markedly|also|further|slightly|a|an|the|significant|showed|show|shows|resulted\s+in|led\s+to|leads\s+to|"
    r"associated\s+with|caused|produced|found|observed|demonstrated|there|could|can|may|might|would|will|to|"
    r"experienced|reported|achieved|required|developed))+\s*$",
    re.IGNORECASE,
)
_ARM_AFTER = re.compile(
    r"\b(?:in|with|among|for|by|from|after|receiving|on)\s+(?:the\s+|a\s+|an\s+|those\s+(?:who\s+)?(?:received|receiving|given|on)\s+)?"
    r"(?P<arm>[^,;()]{2,60}?)\s*(?:groups?\b|arms?\b|patients\b|recipients\b|users\b|\(|,|;|\bthan\b|\bcompared\b|"
    r"\bversus\b|\bvs\b|$)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?(?P<arm>[^,;()]{2,60}?)\s+(?:and|versus|vs)\b", re.IGNORECASE)
_PREDICATIVE = re.compile(r"^\s*(?:in|with|among|for|at|after|than|on|during|between|from|,|\(|\.|;|$)", re.IGNORECASE)
_PEOPLE = re.compile(
    r"^(?:patients|participants|subjects|those|people|women|men|children|infants|adults|individuals)\s+"
    r"(?:(?:who\s+)?(?:received|receiving|taking|treated\s+with|given|on|in|assigned\s+to|randomi[sz]ed\s+to)\s+)?",
    re.IGNORECASE,
)


def _trim(text: str, *, outcome: bool = False) -> str | None:
    """The leading noun phrase of a text, at most eight words, without articles and statistics."""
    phrase = _PHRASE_END.split(text, maxsplit=1)[0]
    if outcome:
        phrase = _OUTCOME_END.split(phrase, maxsplit=1)[0]
    phrase = re.sub(
        r"^\s*(?:(?:the|a|an|significantly|statistically|significant|that|any|in|of)\s+)+", "", phrase.strip(), flags=re.IGNORECASE
    )
    if outcome:
        phrase = re.sub(r"^(?:(?:differences?|changes?|effects?)\s+(?:in|of|on)|likely\s+to(?:\s+be)?|to)\s+", "", phrase,
                        flags=re.IGNORECASE)
    words = phrase.split()
    result = " ".join(words[:8]).strip(" .,;:")
    return result if content_terms(result) else None


def _subject(before: str) -> str:
    return _AUXILIARIES.sub("", " " + _LEAD_IN.sub("", before)).strip()


def _extract_terms(clause: Clause, signals: ClauseSignals) -> tuple[str | None, str | None]:
    """Intervention and outcome words around the clause's first cue (a heuristic, for topic matching).

    - verbs ("statins reduced atrial fibrillation"): the subject is the intervention, the object the outcome;
    - comparatives used as predicates ("atrial fibrillation was lower with statins", "mortality did not
      differ between A and B"): the subject is the outcome, the arm after "with / in / between" the intervention;
    - comparatives before a noun ("rituximab was associated with higher remission rates"): the subject is
      the intervention, the noun phrase the outcome;
    - nouns ("a reduction in atrial fibrillation with statins", "no difference in X between A and B"): the
      words after "in / of" are the outcome, an arm after "with / between" or else the subject the intervention.
    """
    if signals.cue_index is None:
        return None, None
    start, end = clause.spans[signals.cue_index]
    subject = _subject(clause.text[:start])
    after = clause.text[end:]
    intervention: str | None
    outcome: str | None
    if signals.cue_kind == "comparative" and _PREDICATIVE.match(after):
        outcome = _trim(subject, outcome=True) if subject else None
        arm = _BETWEEN.search(after) or _ARM_AFTER.search(after)
        intervention = _trim(arm.group("arm")) if arm else None
        people = _PEOPLE.match(subject)
        if people:  # "patients receiving X had lower Y": the subject is the arm, the object the outcome
            intervention, outcome = _trim(subject[people.end():]), _trim(after, outcome=True)
        return intervention, outcome
    if signals.cue_kind == "noun":
        obj = re.match(r"^\s*(?:in|of|on)\s+", after, re.IGNORECASE)
        outcome = _trim(after[obj.end():], outcome=True) if obj else None
        rest = after[obj.end():] if obj else after
        arm = _BETWEEN.search(rest) or re.search(r"\b(?:with|after|by|from|following)\s+(?P<arm>[^,;()]{2,60})", rest, re.IGNORECASE)
        intervention = _trim(arm.group("arm")) if arm else (_trim(subject) if subject else None)
        return intervention, outcome
    people = _PEOPLE.match(subject)
    intervention = _trim(subject[people.end():] if people else subject) if subject else None
    outcome = _trim(re.sub(r"^\s*(?:(?:in|of|on)\s+)?", "", after), outcome=True)
    return intervention, outcome

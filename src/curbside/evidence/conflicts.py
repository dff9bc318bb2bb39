"""Conflicts: when newer research contradicts an older guideline statement about the same intervention
and outcome.

A guideline statement and a newer research finding about the same intervention and outcome
(`same_topic`) conflict (`find_conflicts`, `check_conflict`) when their directions are opposite, or when
one reports an effect and the other no significant difference (`directions_conflict`); each is read by
`curbside.evidence.findings.detect_finding`. The `GuidelineConflict` carries a dated note built only
from the two texts' own words, their years, study type and citation numbers, and connective words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from curbside.corpus.documents import doc_type_words
from curbside.evidence.findings import Finding, detect_finding
from curbside.evidence.statistics import Direction
from curbside.evidence.terms import content_terms, count_matching_terms

@dataclass(frozen=True, slots=True)
class Statement:
    """A guideline statement or research finding as an article holds it (a `Bullet` works the same way).

    ``intervention`` and ``outcome`` may be given; otherwise they are read from ``text``.
    """

    text: str
    year: int | None = None
    citations: tuple[int | str, ...] = ()
    evidence_level: int | None = None
    grade: str | None = None
    doc_type: str | None = None
    study_type: str | None = None
    intervention: str | None = None
    outcome: str | None = None


def as_statement(item: Statement | Mapping[str, Any] | Any) -> Statement:
    """A `Statement` from a dict, a dataclass or any object with ``text``, ``year``, ``citations`` ... attributes."""
    if isinstance(item, Statement):
        return item

    def get(name: str) -> Any:
        if isinstance(item, Mapping):
            return item.get(name)
        return getattr(item, name, None)

    citations = get("citations") or ()
    if isinstance(citations, (int, str)):
        citations = (citations,)
    return Statement(
        text=str(get("text") or ""),
        year=_as_int(get("year")),
        citations=tuple(citations),
        evidence_level=_as_int(get("evidence_level")),
        grade=get("grade"),
        doc_type=str(get("doc_type")) if get("doc_type") else None,
        study_type=get("study_type"),
        intervention=get("intervention"),
        outcome=get("outcome"),
    )


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None  # an unreadable year or level counts as unknown


def _finding_of(statement: Statement) -> Finding:
    return detect_finding(statement.text, intervention=statement.intervention, outcome=statement.outcome)


# Qualifiers that do not make two outcomes or interventions the same ("postoperative delirium" and
# "postoperative atrial fibrillation" are different outcomes).
_QUALIFIERS = frozenset({
    "postoperative", "preoperative", "perioperative", "intraoperative", "post", "pre", "acute", "chronic",
    "severe", "mild", "moderate", "early", "late", "overall", "primary", "secondary", "serious", "major",
    "minor", "new", "recurrent", "long", "short", "term", "high", "low", "cause", "all", "adult", "older",
    "clinical", "initial", "standard", "routine",
    # words that name no particular intervention or outcome
    "health", "intervention", "program", "programme", "approach", "strategy", "strategie", "service", "care",
    "management", "evidence", "potential", "harm", "benefit", "although", "however", "additional", "reported",
    "based", "symptom", "diagnosi", "age", "function", "effective", "effectivenes", "result", "finding",
})


@lru_cache(maxsize=4096)
def _topic_terms(text: str | None) -> tuple[str, ...]:
    # Cached: find_conflicts compares every guideline statement with every research finding.
    return tuple(t for t in content_terms(text or "") if t not in _QUALIFIERS)


def _shared(a: Sequence[str], b: Sequence[str], *, of_larger: bool = False) -> float:
    """Share of the smaller (or larger) set's terms found in the other."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(set(a)) <= len(set(b)) else (b, a)
    return count_matching_terms(small, large) / len(set(large if of_larger else small))


def same_topic(a: Finding | Statement | str, b: Finding | Statement | str) -> bool:
    """Whether two findings are about the same intervention and the same outcome.

    Each side's intervention words and outcome words (as given, or as read from its text around the
    direction cue) are reduced to content terms: lower-cased, lightly stemmed, without study and filler
    words ("patients", "group", "risk", "rate", "therapy" ...) or qualifiers ("postoperative", "severe",
    "all-cause" ...). Terms match when equal, when they share a 6-letter prefix ("mortality" /
    "mortalities") or when one names a drug class and the other a member ("statin" / "atorvastatin"). The two
    are the same topic when more than half of the smaller side's intervention terms are shared ("statin
    therapy before CABG" / "atorvastatin": yes), and more than half of the larger side's outcome terms
    ("atrial fibrillation" / "incidence of postoperative atrial fibrillation": yes; "cardiovascular
    events" / "cardiovascular mortality", "pain" / "self-management of pain": no). Where one side's
    intervention or outcome could not be read, all its content terms stand in for the missing part.
    """
    fa, fb = (_as_finding(x) for x in (a, b))
    all_a, all_b = _topic_terms(_text_of(a)), _topic_terms(_text_of(b))
    ia = _topic_terms(fa.intervention) if fa.intervention else all_a
    ib = _topic_terms(fb.intervention) if fb.intervention else all_b
    oa = _topic_terms(fa.outcome) if fa.outcome else all_a
    ob = _topic_terms(fb.outcome) if fb.outcome else all_b
    return _shared(ia, ib) > 0.5 and _shared(oa, ob, of_larger=True) > 0.5


def _as_finding(item: Finding | Statement | str) -> Finding:
    if isinstance(item, Finding):
        return item
    if isinstance(item, str):
        return detect_finding(item)
    return _finding_of(item)


def _text_of(item: Finding | Statement | str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Statement):
        return item.text
    return " ".join(x for x in (item.intervention, item.outcome) if x)


@dataclass(frozen=True, slots=True)
class GuidelineConflict:
    """A newer research finding that contradicts an older guideline statement, with a dated note."""

    guideline_citation: int | str | None
    research_citation: int | str | None
    guideline_year: int
    research_year: int
    intervention: str | None
    outcome: str | None
    guideline_direction: Direction
    research_direction: Direction
    note: str
    research_study_type: str | None = None
    guideline_grade: str | None = None


def directions_conflict(guideline: Finding, research: Finding) -> bool:
    """Opposite directions, or an effect on one side and no significant difference on the other.

    A guideline's direction counts without a p-value (its statements rarely give one); a research
    finding's effect counts only when it is not reported as non-significant.
    """
    g, r = guideline.direction, research.direction
    if g is None or r is None or g == r:
        return False
    if g == "no_difference":
        return research.significant is not False  # newer research reports an effect the guideline did not see
    if r == "no_difference":
        return True
    return research.significant is not False  # increased against decreased


def _study_type(statement: Statement) -> str | None:
    if statement.study_type:
        return statement.study_type
    if statement.doc_type:
        return doc_type_words(statement.doc_type)
    if statement.evidence_level is not None:
        return f"evidence level {statement.evidence_level}"
    return None


_DIRECTION_PHRASES: dict[Direction, str] = {
    "increased": "an increase",
    "decreased": "a decrease",
    "no_difference": "no significant difference",
}


def _inline(words: str) -> str:
    # "Preoperative atorvastatin" mid-sentence reads "preoperative atorvastatin"; "HbA1c" stays as written.
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        return words[0].lower() + words[1:]
    return words


def _finding_phrase(finding: Finding) -> str:
    """"no significant difference in postoperative atrial fibrillation with preoperative atorvastatin"."""
    phrase = _DIRECTION_PHRASES[finding.direction or "no_difference"]
    if finding.outcome:
        phrase += f" in {_inline(finding.outcome)}"
    if finding.intervention:
        phrase += f" with {_inline(finding.intervention)}"
    return phrase


def _cite(citation: int | str | None) -> str:
    return f" [{citation}]" if citation not in (None, "") else ""


def conflict_note(guideline: Statement, g_finding: Finding, research: Statement, r_finding: Finding) -> str:
    """'Newer evidence (2021, randomized trial) found no significant difference in X [4], whereas the
    2016 guideline statement (grade B) reported a decrease in X [1].' Words come from the two texts,
    their metadata and connectives only."""
    study = _study_type(research)
    dated = f"{research.year}, {study}" if study else f"{research.year}"
    grade = f" (grade {guideline.grade})" if guideline.grade else ""
    return (
        f"Newer evidence ({dated}) found {_finding_phrase(r_finding)}{_cite(_first(research.citations))}, whereas the "
        f"{guideline.year} guideline statement{grade} reported {_finding_phrase(g_finding)}{_cite(_first(guideline.citations))}."
    )


# Recommendations, hedges and conditionals state no result, whatever direction words they hold
# ("recommends a statin to reduce CVD risk", "may be associated with increased risk").
_NOT_A_FINDING = re.compile(
    r"\b(?:recommends?|recommended|recommendation|suggests? (?:that )?(?:not |offering|considering|initiation|the use)|"
    r"consider(?:ing)?|should|may|might|could|insufficient|unclear|unknown|hypothes[ie]s|if|whether|research "
    r"(?:is|are) needed|future)\b",
    re.IGNORECASE,
)


def _first(citations: Sequence[int | str]) -> int | str | None:
    return citations[0] if citations else None


def check_conflict(
    guideline: Statement | Mapping[str, Any] | Any,
    research: Statement | Mapping[str, Any] | Any,
    *,
    max_research_level: int = 3,
) -> GuidelineConflict | None:
    """The conflict between one guideline statement and one research finding, or None.

    Counts only research newer than the guideline (both years known), of evidence level
    ``max_research_level`` or better where a level is given (case reports and narrative reviews do
    not overturn a guideline), about the same topic, with conflicting directions.
    """
    g, r = as_statement(guideline), as_statement(research)
    return _conflict(g, _finding_of(g), r, _finding_of(r), max_research_level)


def _conflict(g: Statement, g_finding: Finding, r: Statement, r_finding: Finding, max_research_level: int) -> GuidelineConflict | None:
    if g.year is None or r.year is None or r.year <= g.year:
        return None
    if r.evidence_level is not None and r.evidence_level > max_research_level:
        return None
    if g_finding.direction is None or r_finding.direction is None:
        return None
    if _NOT_A_FINDING.search(g.text) or _NOT_A_FINDING.search(r.text):
        return None
    # Only findings whose intervention and outcome could both be read are compared: a note that guesses
    # its topic would do more harm than a missed one.
    if not all(_topic_terms(x) for x in (g_finding.intervention, g_finding.outcome, r_finding.intervention, r_finding.outcome)):
        return None
    if not directions_conflict(g_finding, r_finding) or not same_topic(g_finding, r_finding):
        return None
    return GuidelineConflict(
        guideline_citation=_first(g.citations),
        research_citation=_first(r.citations),
        guideline_year=g.year,
        research_year=r.year,
        intervention=r_finding.intervention or g_finding.intervention,
        outcome=r_finding.outcome or g_finding.outcome,
        guideline_direction=g_finding.direction,
        research_direction=r_finding.direction,
        note=conflict_note(g, g_finding, r, r_finding),
        research_study_type=_study_type(r),
        guideline_grade=g.grade,
    )


def find_conflicts(
    guideline_bullets: Iterable[Statement | Mapping[str, Any] | Any],
    research_bullets: Iterable[Statement | Mapping[str, Any] | Any],
    *,
    max_research_level: int = 3,
) -> list[GuidelineConflict]:
    """Every (guideline statement, newer research finding) pair that conflicts, in guideline order.

    Inputs are `Statement`s, dicts or objects (an article's `Bullet`) with ``text``, ``year``,
    ``citations``, ``evidence_level`` and optionally ``grade``, ``doc_type``, ``study_type``,
    ``intervention`` and ``outcome``. Each text is read once.
    """
    guidelines = [(s, _finding_of(s)) for s in map(as_statement, guideline_bullets)]
    research = [(s, _finding_of(s)) for s in map(as_statement, research_bullets)]
    conflicts: list[GuidelineConflict] = []
    for g, g_finding in guidelines:
        for r, r_finding in research:
            conflict = _conflict(g, g_finding, r, r_finding, max_research_level)
            if conflict is not None:
                conflicts.append(conflict)
    return conflicts

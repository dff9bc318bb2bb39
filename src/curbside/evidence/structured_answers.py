"""Answers from the curated tables, for the questions they are made for: a dose question about a drug
and indication the reference-dose table holds (``data/reference_doses.tsv``), a monitoring question about
a drug the monitoring table holds (``data/monitoring.tsv``). Each row names its source (the FDA label and
section, or a guideline); the writer shows the answer as a derived sentence, never as a quote.

A label passage in the index that answers the question comes first (the writer asks this module only when
there is none); a row is used only for a drug and indication the question names, never as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from curbside.evidence.assessment import monitoring_for
from curbside.evidence.dosing.references import covers_indication, reference_for
from curbside.understanding import AnswerIntent, UnderstoodQuestion

__all__ = ["StructuredAnswer", "structured_answer"]

REFERENCE_DOSE_FACT = "reference dose"
MONITORING_FACT = "monitoring"


@dataclass(frozen=True)
class StructuredAnswer:
    """A derived answer: its sentence, and the facts it was built from as ``(fact, value)`` pairs (the
    first fact names the table: "reference dose" or "monitoring"; one fact is its ``source``)."""

    text: str
    facts: tuple[tuple[str, str], ...]


def _dose_answer(understood: UnderstoodQuestion) -> StructuredAnswer | None:
    conditions = understood.patient.conditions
    if not conditions:
        return None  # a dose without an indication would be a guess among regimens
    for generic in understood.patient.generics:
        rows = [r for r in reference_for(generic, conditions) if covers_indication(r, conditions)]
        if not rows:
            continue
        parts, facts = [], []
        for row in rows[:3]:
            route = f" ({', '.join(row.routes)})" if row.routes else ""
            schedule = f"; {row.schedule}" if row.schedule else ""
            parts.append(f"{row.range_text()}{route}{schedule}")
            facts.append((REFERENCE_DOSE_FACT, f"{row.indication}: {row.range_text()}{route}"))
            facts.append(("source", row.source))
        first = rows[0]
        note = f" {first.note}" if first.note else ""
        text = (f"Reference dose of {generic} for {first.indication}: {' | '.join(parts)}.{note} "
                f"(From the curated reference-dose table; source: {first.source}.)")
        return StructuredAnswer(text, tuple(facts))
    return None


def _monitoring_answer(understood: UnderstoodQuestion) -> StructuredAnswer | None:
    for generic in understood.patient.generics:
        row = monitoring_for(generic)
        if row is None:
            continue
        text = (f"Monitoring on {generic}: {row.text} "
                f"(From the curated monitoring table; source: {row.source}.)")
        return StructuredAnswer(text, ((MONITORING_FACT, row.text), ("source", row.source)))
    return None


def structured_answer(understood: UnderstoodQuestion) -> StructuredAnswer | None:
    """The curated table's answer to a dose or monitoring question, or None."""
    if understood.intent == AnswerIntent.DOSE:
        return _dose_answer(understood)
    if understood.intent == AnswerIntent.MONITORING:
        return _monitoring_answer(understood)
    return None

"""The words of the patient factors guidelines condition on: pregnancy, renal function, anticoagulation
(``data/patient_factors.tsv``, rows by kind) and race or ethnicity (``data/race_ethnicity.tsv``, each term with its
category). One loader per file; the rules that read the words are in
:mod:`curbside.understanding.patient_factors`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from curbside.vocabulary.tables import read_table, split_list

__all__ = ["RaceTerm", "factor_mapping", "factor_terms", "race_ethnicity_terms"]


@lru_cache(maxsize=1)
def _factor_rows() -> dict[str, tuple[tuple[str, str], ...]]:
    rows: dict[str, list[tuple[str, str]]] = {}
    for row in read_table("patient_factors.tsv"):
        rows.setdefault(row["kind"], []).append((row["term"], row["value"]))
    return {kind: tuple(pairs) for kind, pairs in rows.items()}


def factor_terms(kind: str) -> tuple[str, ...]:
    """The terms of one kind ("renal_measure", "not_now_cue" ...), as written in the table."""
    return tuple(term for term, _ in _factor_rows().get(kind, ()))


def factor_mapping(kind: str) -> dict[str, str]:
    """term (lower case) -> value, for the kinds that have one ("renal_measure" -> egfr/crcl, "trimester" -> 1-3)."""
    return {term.lower(): value for term, value in _factor_rows().get(kind, ())}


@dataclass(frozen=True)
class RaceTerm:
    term: str
    canonical: str
    broader: str | None
    case_sensitive: bool
    person_only: bool  # counts only right before a person noun or right after an age ("AA")
    person_noun: bool  # the term names people ("Hispanics"): no person noun needed after it


@lru_cache(maxsize=1)
def race_ethnicity_terms() -> tuple[RaceTerm, ...]:
    terms = []
    for row in read_table("race_ethnicity.tsv"):
        notes = set(split_list(row["note"]))
        case_sensitive, person_only, person_noun = ("case-sensitive" in notes, "person-only" in notes,
                                                    "person-noun" in notes)
        terms.append(
            RaceTerm(row["term"], row["canonical"], row["broader"] or None, case_sensitive, person_only, person_noun)
        )
    return tuple(terms)

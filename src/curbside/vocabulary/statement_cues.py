"""What kind of statement a sentence is, from ``data/statement_cues.tsv``: a recommendation (and whether it is
conditional, or against), use only in trials, safety or monitoring advice, a methods sentence or a study's
aim, a result (and a result of no effect), or a plain statement that a drug treats something.

Public API: ``StatementKind`` (the kinds of the table), ``has_cue(kind, text)``, ``cue_pattern(kind)`` (the
compiled alternation) and ``cues(kind)`` (the table's phrases).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from curbside.vocabulary.tables import cue_regex, read_table


class StatementKind(StrEnum):
    RECOMMENDATION = "recommendation"
    CONDITIONAL = "conditional"
    AGAINST = "against"
    TRIALS_ONLY = "trials_only"
    SAFETY = "safety"
    METHODS = "methods"
    RESULT = "result"
    NO_EFFECT = "no_effect"
    TREATMENT = "treatment"


@lru_cache(maxsize=1)
def _table() -> dict[StatementKind, tuple[str, ...]]:
    table: dict[StatementKind, list[str]] = {kind: [] for kind in StatementKind}
    for row in read_table("statement_cues.tsv"):
        table[StatementKind(row["kind"])].append(row["cue"])
    return {kind: tuple(phrases) for kind, phrases in table.items()}


def cues(kind: StatementKind | str) -> tuple[str, ...]:
    """The table's phrases of one kind, as written."""
    return _table()[StatementKind(kind)]


@lru_cache(maxsize=None)
def cue_pattern(kind: StatementKind | str) -> re.Pattern[str]:
    """One case-insensitive pattern for every cue of ``kind``, whole words (longest phrase first)."""
    return cue_regex(cues(kind))


def has_cue(kind: StatementKind | str, text: str) -> bool:
    """Whether ``text`` holds a cue of ``kind``."""
    return cue_pattern(kind).search(text) is not None

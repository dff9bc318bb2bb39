"""The kinds of answer a question can want, and their cues: ``data/answer_intents.tsv``.

For each intent, three cue lists: ``question`` cues (the question wants this kind of answer), ``answer``
cues (a sentence that gives it says one of these) and ``frame`` words (question words that frame the
request, "dose", "first-line", "adults", never its subject). Understanding reads the question cues
(:mod:`curbside.understanding.answer_intent`); evidence reads the answer cues and frame words
(:mod:`curbside.evidence.answers`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from curbside.vocabulary.tables import cue_regex, read_table

__all__ = ["AnswerIntent", "INTENT_ORDER", "answer_pattern", "frame_pattern", "question_pattern"]


class AnswerIntent(StrEnum):
    """What kind of answer a question wants (``curbside understand`` shows it)."""

    DOSE = "dose"  # what dose, how much, how to adjust
    MONITORING = "monitoring"  # what to watch on a drug or condition
    SAFETY = "safety"  # is it safe (with X, in Y)
    TESTS = "tests"  # which tests, screening, at what age or interval
    FIRST_DRUG = "first_drug"  # which drug first
    NEXT = "next"  # what next on a regimen that is not enough
    SHOULD = "should"  # should, whether, is it recommended
    OTHER = "other"  # anything else (what is, why, how does)


# The order a question is tested in: the more specific request first ("should I monitor ..." is monitoring).
INTENT_ORDER: tuple[AnswerIntent, ...] = tuple(i for i in AnswerIntent if i != AnswerIntent.OTHER)


@lru_cache(maxsize=1)
def _cues() -> dict[tuple[str, str], tuple[str, ...]]:
    table: dict[tuple[str, str], list[str]] = {}
    for row in read_table("answer_intents.tsv"):
        table.setdefault((row["intent"], row["role"]), []).append(row["cue"])
    return {key: tuple(v) for key, v in table.items()}


@lru_cache(maxsize=None)
def question_pattern(intent: AnswerIntent) -> re.Pattern[str]:
    """The cues that mark a question as wanting ``intent``."""
    return cue_regex(_cues().get((intent.value, "question"), ()))


@lru_cache(maxsize=None)
def answer_pattern(intent: AnswerIntent) -> re.Pattern[str]:
    """The cues of a sentence that gives an answer of ``intent``."""
    return cue_regex(_cues().get((intent.value, "answer"), ()))


@lru_cache(maxsize=None)
def frame_pattern(intent: AnswerIntent) -> re.Pattern[str]:
    """The words that frame a question of ``intent`` (its own and those of every question)."""
    return cue_regex(_cues().get((intent.value, "frame"), ()) + _cues().get(("any", "frame"), ()))

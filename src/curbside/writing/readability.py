"""How hard a text is to read: Flesch-Kincaid grade and Flesch reading ease (textstat 0.7.8), counted
on the project's own sentence splitter so decimal points and abbreviation periods do not end sentences.
"""

from __future__ import annotations

import re
import threading

import textstat
from pydantic import BaseModel, ConfigDict

from curbside.corpus.text import sentences


class Readability(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flesch_kincaid_grade: float
    flesch_reading_ease: float
    words: int
    sentences: int
    scope: str


# textstat loads the CMU pronouncing dictionary on its first syllable count (about 1.5 s and 15 MB) and caches
# it without a lock: fifty article pages asked at once on a fresh server each loaded their own copy, one after
# another on the GIL (a minute for every page; bench/bench_load.py). The first count now runs once, under a lock.
_dictionary_lock = threading.Lock()
_dictionary_loaded = False


def _load_dictionary_once() -> None:
    global _dictionary_loaded
    if _dictionary_loaded:
        return
    with _dictionary_lock:
        if not _dictionary_loaded:
            textstat.syllable_count("dictionary")
            _dictionary_loaded = True


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_INNER_STOP = re.compile(r"[.!?]+")


def _measurable(text: str) -> str:
    """Text whose sentence ends textstat can count.

    textstat 0.7.8 ends a sentence at every period, so "0.75", "vs." and "e.g." would each add a
    sentence and make technical text look easier than it is. The project's own splitter decides the
    sentences; periods inside a sentence are then dropped, and each sentence ends with one period.
    """
    parts: list[str] = []
    for sentence in sentences(text):
        body = _DECIMAL_POINT.sub("", sentence.strip()).rstrip(".!?;:, ")
        body = _INNER_STOP.sub("", body).strip()
        if body:
            parts.append(body + ".")
    return " ".join(parts)


def readability(text: str, scope: str = "the text given") -> Readability:
    """Flesch-Kincaid grade and Flesch reading ease of ``text`` (textstat 0.7.8), with words and sentences."""
    measured = _measurable(text)
    if not measured:
        return Readability(flesch_kincaid_grade=0.0, flesch_reading_ease=0.0, words=0, sentences=0, scope=scope)
    _load_dictionary_once()
    return Readability(
        flesch_kincaid_grade=round(float(textstat.flesch_kincaid_grade(measured)), 1),
        flesch_reading_ease=round(float(textstat.flesch_reading_ease(measured)), 1),
        words=int(textstat.lexicon_count(measured)),
        sentences=int(textstat.sentence_count(measured)),
        scope=scope,
    )

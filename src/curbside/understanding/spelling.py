"""Spelling correction against the index's own vocabulary ("hemmroids" -> "hemorrhoids").

Only words the index has never seen are corrected, and only towards words it holds in at least a few
passages, so a correction can only move a question towards evidence that exists. Corrections are
added as ``spelling`` expansions, visible in the article's ``query.expansions``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from rapidfuzz import fuzz, process

MIN_WORD_LENGTH = 5
MIN_SIMILARITY = 80.0  # rapidfuzz ratio (normalised indel similarity, 0-100)
MIN_CANDIDATE_DF = 3


class SpellingCorrector:
    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._vocabulary = vocabulary
        by_first: dict[str, list[str]] = defaultdict(list)
        for word, df in vocabulary.items():
            if df >= MIN_CANDIDATE_DF and len(word) >= MIN_WORD_LENGTH - 1:
                by_first[word[0]].append(word)
        self._by_first = {k: sorted(v) for k, v in by_first.items()}

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """Word -> number of passages holding it, as given (search's idf reads it too: one copy per index)."""
        return self._vocabulary

    def correct(self, word: str) -> str | None:
        """The likeliest intended word, or None when ``word`` is known, too short, or nothing is close."""
        word = word.lower()
        if len(word) < MIN_WORD_LENGTH or not word.isalpha() or word in self._vocabulary:
            return None
        candidates = [c for c in self._by_first.get(word[0], ()) if abs(len(c) - len(word)) <= 2]
        matches = process.extract(word, candidates, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY, limit=10)
        if not matches:
            return None
        # Most similar first; among equals, the word more passages use; then alphabetical, for determinism.
        best = min(matches, key=lambda m: (-round(m[1], 3), -self._vocabulary[m[0]], m[0]))
        return str(best[0])

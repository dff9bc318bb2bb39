"""Lay wording: the one table of plain words for clinical terms, read by the patient view (which writes them) and by
the claim verifier (which must accept them as the same meaning).

Facts: ``data/plain_language.tsv`` (term, tab, plain wording), curated by hand for Curbside; its header says how a
row is read. A row whose plain wording restates the term with an explanation ("sepsis (a body-wide reaction to
infection)") explains; every other row replaces the term with words that mean the same ("annual" -> "yearly",
"insufficient" -> "not enough").

Public API
----------
``glossary_rows() -> tuple[tuple[str, str], ...]``
    Every (term, plain wording) row as written, in file order.
``LayEquivalents`` / ``lay_equivalents()``
    The rows that replace a term, grouped into classes of phrases that mean the same thing. ``canonical(text)``
    writes every phrase of a class the same way, so that "yearly screening" and "annual screening" read alike.
    A class whose phrases include a negation ("not enough" for "insufficient") is written with it, so a
    negation hidden in a word is made visible rather than dropped. Phrases holding a digit or a number word
    are left out: numbers are compared exactly, never as synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from curbside.vocabulary.schedules import number_words
from curbside.vocabulary.tables import alternation

_NEGATING = re.compile(r"\b(?:not|no|never|without|none|cannot)\b|n't\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def glossary_rows() -> tuple[tuple[str, str], ...]:
    """The rows of ``data/plain_language.tsv``: (term, plain wording), header and comments skipped."""
    text = resources.files("curbside.vocabulary").joinpath("data/plain_language.tsv").read_text(encoding="utf-8")
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, plain = (part.strip() for part in line.partition("\t"))
        if not term or not plain or term.lower() == "term":
            continue
        rows.append((term, plain))
    return tuple(rows)


def _explains(term: str, plain: str) -> bool:
    """The plain wording keeps the term and explains it, or adds an aside: not a plain synonym."""
    return "(" in plain or re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", plain, re.IGNORECASE) is not None


def _has_number(phrase: str) -> bool:
    words = number_words()
    return any(ch.isdigit() for ch in phrase) or any(w in words for w in phrase.lower().split())


_WORD = re.compile(r"(?<![\w-])\w[\w'-]*")


@dataclass(frozen=True)
class LayEquivalents:
    """Classes of phrases that mean the same thing, and the one way each class is written."""

    representative: dict[str, str]  # lower-case phrase -> how its class is written
    by_first_word: dict[str, re.Pattern[str]]  # a phrase's first word (lower case) -> the phrases it starts

    def canonical(self, text: str) -> str:
        """``text`` with every phrase of a class written as that class is ("yearly" -> "annual")."""
        out: list[str] = []
        last = 0
        for word in _WORD.finditer(text):
            if word.start() < last:
                continue  # inside a phrase already replaced
            pattern = self.by_first_word.get(word.group(0).lower())
            match = pattern.match(text, word.start()) if pattern is not None else None
            if match is None:
                continue
            out += [text[last:match.start()], self.representative[" ".join(match.group(0).lower().split())]]
            last = match.end()
        return "".join(out) + text[last:] if out else text

    def same(self, a: str, b: str) -> bool:
        """Whether two phrases are in one class (or are the same phrase)."""
        a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
        return a == b or (a in self.representative and self.representative.get(a) == self.representative.get(b))


@lru_cache(maxsize=1)
def lay_equivalents() -> LayEquivalents:
    """The replacing rows of the glossary as classes of equivalent phrases (see the module's docstring)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for term, plain in glossary_rows():
        a, b = " ".join(term.lower().split()), " ".join(plain.lower().split())
        if a == b or _explains(term, plain) or _has_number(a) or _has_number(b):
            continue
        if any(ch.isupper() for ch in term):
            continue  # abbreviations match only as written; their expansions are the abbreviation table's
        parent[find(a)] = find(b)
    classes: dict[str, list[str]] = {}
    for phrase in parent:
        classes.setdefault(find(phrase), []).append(phrase)
    representative: dict[str, str] = {}
    for members in classes.values():
        # A negation written out wins ("not enough" for "insufficient"); then the shortest, then alphabetical.
        written = min(members, key=lambda p: (_NEGATING.search(p) is None, len(p), p))
        representative.update({m: written for m in members})
    starting: dict[str, list[str]] = {}
    for phrase in representative:
        first = _WORD.match(phrase)
        if first is not None:
            starting.setdefault(first.group(0), []).append(phrase)
    # Longest phrase first at one position ("adverse drug reactions" before "adverse").
    by_first_word = {word: re.compile(rf"(?:{alternation(phrases)})(?![\w-])", re.IGNORECASE)
                     for word, phrases in starting.items()}
    return LayEquivalents(representative, by_first_word)

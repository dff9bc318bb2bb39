"""Expansions of the clinical question: abbreviations, brands and MeSH names, found through the
:class:`~curbside.understanding.lexicon.Lexicon`; and abbreviations a text defines itself (Schwartz & Hearst).

Expansions are looked for in the clinical question only (so that ``search_text()`` stays about it).

* Abbreviations (:file:`data/abbreviations.tsv`, or any mapping) match whole tokens as written, also
  inside hyphenated or suffixed forms: "RP-ILD", "MDA5+", "MDA5-positive", "anti-MDA5", "IL-6",
  "TMP/SMX", plurals such as "NSAIDs". Two-letter abbreviations, and those marked ``case-sensitive``
  in the table (English words such as CAP, ALL, PET), match only as written or in capitals, so "pe" and
  "ms" never expand. Longer ones also match in lower case ("ivig", "Afib"). In text written mostly in
  capitals only the lower-case-safe abbreviations match. "8 PM", "5 MG" and Roman numerals ("type IV")
  are not abbreviations. An abbreviation with several rows keeps the rows whose ``cues`` (or expansion
  words) appear in the whole text; with no cue found it keeps all. An abbreviation defined in the text
  itself ("computer-aided diagnosis (CAD)", found as Schwartz & Hearst do) takes that definition.
* Brands match case-insensitively as whole words, multi-word brands too, longest first; the
  expansion is the generic. Brands shorter than 4 characters, brands that are common words (a
  stoplist), and "brands" that only restate a generic (Drugs@FDA lists many) are skipped. Brands and
  generics of 6 or more letters are also matched with at most one typo (two from 11 letters on; same
  first letter; a single best answer). Words the lexicon knows (MeSH words, the abbreviation table,
  common English words from the bundled embedding model's vocabulary) are never "corrected". The
  expansion of a misspelt generic is the generic spelt right. ``Expansion.term`` is always the text as
  written in the question.
* MeSH names are recognised in the clinical question and in the expansion texts as whole-word phrases
  (case-insensitive, plurals stripped on both sides, longest first), in natural order ("Lung Diseases,
  Interstitial" -> "interstitial lung diseases") or as written. A match of the written (inverted) form
  also yields an Expansion of kind ``mesh`` to the natural-order name.

"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curbside.corpus.text import STOPWORDS
from curbside.understanding.lexicon import CANDIDATE_TOKEN, WORD_TOKEN, DrugTable, Lexicon, strip_plural

__all__ = [
    "Expansion",
    "abbreviation_definitions",
    "abbreviation_matches",
    "best_long_form",
    "brand_matches",
    "choose_expansions",
    "find_expansions",
    "long_form_before",
]


@dataclass(frozen=True)
class Expansion:
    """A term of the question and what it was read as (also the article's ``query.expansions[]``): an
    abbreviation's long form, a brand's generic name, a MeSH heading, or a spelling correction."""

    term: str  # as written in the question
    expansion: str
    kind: str  # "abbreviation" | "brand" | "mesh" | "spelling"




_TIME_LIKE = frozenset({"PM", "AM", "MG"})
_ROMAN_LIKE = frozenset({"IV"})
# Words after which "IV" is a Roman numeral ("type IV", "stage IV"), not "intravenous".
_ROMAN_CONTEXT = frozenset(
    """
    type types stage stages grade grades class classes phase phases factor group level part collagen cranial
    nerve nerves ventricle metatarsal metacarpal lumbar cervical thoracic maze nyha tier zone complex section
    chapter category fig figure table tanner degree gold killip bethesda mallampati
    """.split()
)


# --------------------------------------------------------------------------------------------------
# Matching in the clinical question

_PART = re.compile(r"[A-Za-z0-9]+")


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


def _mostly_caps(text: str) -> bool:
    upper = len(_UPPER.findall(text))
    lower = len(_LOWER.findall(text))
    return upper + lower >= 12 and upper >= 0.7 * (upper + lower)


def abbreviation_matches(text: str, lexicon: Lexicon) -> list[tuple[int, str, str]]:
    """(start, surface, key) for each abbreviation in the text."""
    if not lexicon.has_abbreviations:
        return []
    safe_only = _mostly_caps(text)
    found: list[tuple[int, str, str]] = []
    for match in CANDIDATE_TOKEN.finditer(text):
        core = match.group().rstrip("+")
        start = match.start()
        key = lexicon.find_abbreviation(core.replace("/", "-"), safe_only)
        if key is not None:
            if not _false_friend(text, start, key):
                found.append((start, core, key))
            continue
        if "-" not in core and "/" not in core:
            continue
        pieces = [(m.group(), start + m.start(), start + m.end()) for m in _PART.finditer(core)]
        i = 0
        while i < len(pieces):
            hit = None
            for j in range(len(pieces), i, -1):
                surface = text[pieces[i][1] : pieces[j - 1][2]]
                if surface.lower() == "anti" or surface.isdigit():
                    continue
                key = lexicon.find_abbreviation(surface.replace("/", "-"), safe_only)
                if key is not None:
                    hit = (j, surface, key)
                    break
            if hit is None:
                i += 1
                continue
            j, surface, key = hit
            found.append((pieces[i][1], surface, key))
            i = j
    return found


_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z-]*)[\s,]*$")


def _false_friend(text: str, start: int, key: str) -> bool:
    """An abbreviation-looking token that is a time ("8 PM"), a dose ("5 MG") or a Roman numeral."""
    if key in _TIME_LIKE and re.search(r"\d\s*$", text[:start]):
        return True
    if key in _ROMAN_LIKE:
        before = _WORD_BEFORE.search(text, max(0, start - 40), start)
        if before:
            word = before.group(1)
            if word.lower() in _ROMAN_CONTEXT or (word[:1].isupper() and not word.isupper()):
                return True
    return False


_DEFINITION = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*\)")


def best_long_form(short: str, long: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest end of ``long`` whose letters spell ``short`` in order."""
    s = len(short) - 1
    l = len(long) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while (l >= 0 and long[l].lower() != c) or (s == 0 and l > 0 and long[l - 1].isalnum()):
            l -= 1
        if l < 0:
            return None
        l -= 1
        s -= 1
    start = long.rfind(" ", 0, l + 1) + 1
    return long[start:].strip()


def long_form_before(short: str, before: str) -> str | None:
    """The long form of ``short`` that ``before`` ends with ("... left atrial appendage" for "LAA"), else None.

    Looks at the last ``min(len(short) + 5, 2 * len(short))`` words, within the last clause; a long form
    must be longer than the abbreviation, hold a space, and not start with the abbreviation itself.
    """
    words = before.rstrip().split()
    window = " ".join(words[-min(len(short) + 5, len(short) * 2) :])
    window = re.split(r"[()\[\];:.,]\s", window)[-1]
    long = best_long_form(short, window)
    if not long or len(long) <= len(short) or " " not in long or long.lower().startswith(short.lower()):
        return None
    return long


def abbreviation_definitions(text: str) -> dict[str, str]:
    """Abbreviations defined in the text itself (Schwartz & Hearst), first definition of each:
    "left atrial appendage (LAA)" -> {"LAA": "left atrial appendage"}."""
    found: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        short = match.group(1)
        if not any(ch.isalpha() for ch in short) or not short[0].isalnum() or short.isdigit():
            continue
        if not any(ch.isupper() for ch in short):
            continue
        long = long_form_before(short, text[: match.start()])
        if long:
            found.setdefault(short, long)
    return found


def choose_expansions(key: str, lexicon: Lexicon, context: set[str]) -> tuple[str, ...]:
    expansions = lexicon.abbreviation_expansions(key)
    if len(expansions) < 2:
        return expansions
    own = key.lower()
    scores = []
    for expansion in expansions:
        cues = lexicon.abbreviation_cues(key, expansion)
        words = set(WORD_TOKEN.findall(expansion.lower())) - STOPWORDS
        score = len((cues | words) & context - {own})
        scores.append(score)
    best = max(scores)
    if best == 0:
        return expansions
    return tuple(e for e, s in zip(expansions, scores) if s == best)


def brand_matches(text: str, drugs: DrugTable) -> list[tuple[int, str, str]]:
    """(start, surface, generic) for each brand (or misspelt brand/generic) of a drug table in the text."""
    lowered = text.lower()
    spans = [(m.group(), m.start(), m.end()) for m in WORD_TOKEN.finditer(lowered)]
    tokens = [t for t, _, _ in spans]
    found: list[tuple[int, str, str]] = []
    covered: set[int] = set()
    if drugs.has_brands:
        for i, j, generic in drugs.brand_phrases(tokens):
            start, end = spans[i][1], spans[j - 1][2]
            found.append((start, text[start:end], generic))
            covered.update(range(i, j))
    if drugs.corrects_drug_names:
        for index, (token, start, end) in enumerate(spans):
            if index in covered or len(token) < 6 or not token.isalpha():
                continue
            if drugs.is_drug_name(token) or drugs.knows_word_form(token):
                continue
            hit = drugs.correct_drug_name(token)
            if hit is not None:
                found.append((start, text[start:end], hit[1]))
    found.sort()
    return found


def _mesh_matches(text: str, lexicon: Lexicon) -> list[tuple[str, str, bool]]:
    """(surface, natural-order name, matched in natural order) for the MeSH names in the text."""
    lowered = text.lower()
    spans = [(m.group(), m.start(), m.end()) for m in WORD_TOKEN.finditer(lowered)]
    tokens = [strip_plural(t) for t, _, _ in spans]
    out = []
    for i, j, (display, is_natural) in lexicon.mesh_phrases(tokens):
        out.append((text[spans[i][1] : spans[j - 1][2]], display, is_natural))
    return out




def find_expansions(clinical: str, text: str, lexicon: Lexicon, context: set[str]) -> tuple[list[Expansion], list[str]]:
    """(expansions, MeSH terms) of a clinical question, in order of appearance.

    ``text`` is the whole text (story and patient context too): abbreviations it defines count, and
    ``context`` (its words) chooses among the senses of an ambiguous abbreviation.
    """
    ordered: list[tuple[int, Expansion]] = []
    defined = abbreviation_definitions(text)
    matched_surfaces: set[str] = set()
    for start, surface, key in abbreviation_matches(clinical, lexicon):
        matched_surfaces.add(surface)
        if surface in defined:
            ordered.append((start, Expansion(surface, defined[surface], "abbreviation")))
            continue
        for expansion in choose_expansions(key, lexicon, context):
            ordered.append((start, Expansion(surface, expansion, "abbreviation")))
    for short, long in defined.items():
        if short in matched_surfaces:
            continue
        for match in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(short)}(?![A-Za-z0-9])", clinical):
            ordered.append((match.start(), Expansion(short, long, "abbreviation")))
            break
    for start, surface, generic in brand_matches(clinical, lexicon.drugs):
        ordered.append((start, Expansion(surface, generic, "brand")))
    ordered.sort(key=lambda pair: pair[0])
    expansions: list[Expansion] = []
    seen: set[tuple[str, str, str]] = set()
    for _, expansion in ordered:
        key = (expansion.kind, expansion.term.lower(), expansion.expansion.lower())
        if key not in seen:
            seen.add(key)
            expansions.append(expansion)

    # MeSH names in the question, then in the expansion texts.
    mesh_terms: list[str] = []
    mesh_expansions: list[Expansion] = []
    if lexicon.mesh_count:
        for source in [clinical] + [e.expansion for e in expansions]:
            for surface, display, is_natural in _mesh_matches(source, lexicon):
                if display not in mesh_terms:
                    mesh_terms.append(display)
                if not is_natural and source is clinical:
                    mesh_expansions.append(Expansion(surface, display, "mesh"))
    expansions.extend(_dedupe_expansions(mesh_expansions))
    return expansions, mesh_terms


def _dedupe_expansions(expansions: list[Expansion]) -> list[Expansion]:
    seen: set[tuple[str, str]] = set()
    out = []
    for expansion in expansions:
        key = (expansion.term.lower(), expansion.expansion.lower())
        if key not in seen:
            seen.add(key)
            out.append(expansion)
    return out

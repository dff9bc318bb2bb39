"""Content terms: the words of a text that can name an intervention or an outcome, and when two match.

`content_terms` lower-cases a text, drops numbers, study words and fillers ("patients", "group", "risk",
"therapy" ...) and stems lightly ("infections" / "infection"). Two terms match (`terms_match`) when
equal, when they share a 6-letter prefix ("mortality" / "mortalities") or when one names a drug class
and the other a member ("statin" / "atorvastatin"). Finding detection finds arms and outcomes with
them; conflicts decide whether two findings are about the same topic with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from curbside.evidence.statistics import normalise_text

_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
# Words as written, for offsets into the original text.
TOKEN_ANY_CASE = re.compile(_TOKEN.pattern, re.IGNORECASE)

# Words that name neither an intervention nor an outcome: arms, doses, study words, fillers.
STOP_WORDS = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "and", "or", "vs",
    "versus", "than", "as", "into", "per", "each", "both", "either", "this", "that", "these", "those", "it",
    "its", "their", "there", "was", "were", "is", "are", "be", "been", "being", "had", "has", "have", "did",
    "do", "does", "group", "groups", "arm", "arms", "patient", "patients", "subject", "subjects",
    "participant", "participants", "people", "person", "case", "cases", "treated", "treatment", "treatments",
    "therapy", "therapies", "receiving", "received", "receive", "given", "administered", "using", "use",
    "used", "dose", "doses", "dosage", "daily", "day", "days", "week", "weeks", "month", "months", "year",
    "years", "hour", "hours", "h", "min", "mg", "kg", "g", "ml", "mcg", "ug", "iu", "plus", "alone", "only",
    "after", "before", "during", "within", "over", "under", "who", "which", "whom", "when", "while", "also",
    "all", "any", "other", "more", "less", "mean", "median", "total", "number", "rate", "rates", "level",
    "levels", "score", "scores", "value", "values", "change", "changes", "risk", "risks", "incidence",
    "proportion", "percentage", "frequency", "outcome", "outcomes", "effect", "effects", "compared",
    "comparison", "study", "significant", "significantly", "difference", "differences", "p", "ci", "rr",
    "hr", "self", "well",
})


def stem(token: str) -> str:
    # A light stemmer is enough to match "infections"/"infection" and "reduced"/"reduction" prefixes.
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def content_terms(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words of a text (numbers and study words dropped)."""
    terms: list[str] = []
    for raw in _TOKEN.findall(normalise_text(text).lower()):
        for part in raw.split("-"):
            if len(part) < 2 or part.isdigit() or part in STOP_WORDS or re.fullmatch(r"[\d.]+", part):
                continue
            terms.append(stem(part))
    return terms


# Drug classes named by the stem their members end with ("statin" / "atorvastatin"), minus the
# unrelated words that happen to end the same way.
_CLASS_STEMS = frozenset({
    "statin", "sartan", "pril", "olol", "azole", "mab", "tinib", "gliptin", "gliflozin", "floxacin", "cycline",
    "cillin", "prazole", "dipine", "parin", "xaban", "gatran", "triptan", "setron", "lukast", "tidine", "semide",
    "thiazide", "glutide", "vudine", "navir", "coxib", "dronate", "profen", "oxetine", "azepam", "barbital",
})
_NOT_IN_CLASS = frozenset({"somatostatin", "nystatin", "cystatin", "pentostatin", "heparin"})


def terms_match(a: str, b: str) -> bool:
    """Equal, a shared 6-letter prefix (mortality/mortalities), or a drug class and a member (statin/atorvastatin)."""
    if a == b:
        return True
    if len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6]:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return short in _CLASS_STEMS and long_.endswith(short) and long_ not in _NOT_IN_CLASS


def match_strength(a: str, b: str) -> int:
    """3 equal, 2 shared 6-letter prefix, 1 drug class and member, 0 no match (see `terms_match`)."""
    if a == b:
        return 3
    if len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6]:
        return 2
    return 1 if terms_match(a, b) else 0


def count_matching_terms(a: Iterable[str], b: Iterable[str]) -> int:
    """How many distinct terms of ``a`` match a term of ``b``."""
    b_list = list(b)
    return sum(1 for term in set(a) if any(terms_match(term, other) for other in b_list))

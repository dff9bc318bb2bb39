"""The curated clinical-terms table (``vocabulary/data/clinical_terms.tsv``) and the patterns compiled from it,
shared by the medication and the finding readers of the patient context."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from curbside.corpus.text import normalize
from curbside.vocabulary.routes import route_codes
from curbside.vocabulary.tables import alternation
from curbside.vocabulary.units import unit_pattern

__all__ = [
    "ABBREVIATION_TOKEN",
    "HARD_BOUNDARY",
    "ClinicalPatterns",
    "ClinicalTerms",
    "alternation",
    "clinical_patterns",
    "clinical_terms",
    "note_field",
    "overlaps",
    "phrase_pattern",
]

# --------------------------------------------------------------------------------------------------
# Curated vocabulary


@dataclass(frozen=True)
class ClinicalTerms:
    rows: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # kind -> (term, value, note)

    def terms(self, kind: str) -> list[str]:
        return [term for term, _, _ in self.rows.get(kind, [])]

    def mapping(self, kind: str, *, lower: bool = True) -> dict[str, str]:
        return {(t.lower() if lower else t): v for t, v, _ in self.rows.get(kind, [])}


@lru_cache(maxsize=1)
def clinical_terms() -> ClinicalTerms:
    """The table's rows by kind (read once)."""
    text = resources.files("curbside.vocabulary").joinpath("data/clinical_terms.tsv").read_text(encoding="utf-8")
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for number, line in enumerate(text.splitlines()):
        if number == 0 or not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")] + ["", "", ""]
        kind, term, value, note = parts[0], parts[1], parts[2], parts[3]
        if kind and term:
            rows.setdefault(kind, []).append((normalize(term), value, note))
    return ClinicalTerms(rows)


def note_field(note: str, key: str) -> str | None:
    match = re.search(rf"\b{key}=(\S+)", note)
    return match.group(1) if match else None


def phrase_pattern(terms: Iterable[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w/-])(?:{alternation(terms)})(?![\w/-])", flags)


# --------------------------------------------------------------------------------------------------
# Compiled patterns


@dataclass(frozen=True)
class ClinicalPatterns:
    dose: re.Pattern[str]
    route: re.Pattern[str]
    routes: dict[str, str]
    severity: re.Pattern[str]
    severities: dict[str, str]
    not_severity: re.Pattern[str]
    severity_tail: re.Pattern[str]
    negation_pre: re.Pattern[str]
    negation_post: re.Pattern[str]
    uncertain_pre: re.Pattern[str]
    uncertain_post: re.Pattern[str]
    current_cue: re.Pattern[str]
    prior_cue: re.Pattern[str]
    labs: re.Pattern[str]
    lab_prefix: re.Pattern[str]
    findings: frozenset[str]
    conditions: re.Pattern[str]
    condition_heads: frozenset[str]
    not_condition: frozenset[str]
    not_condition_cue: re.Pattern[str]
    modifiers: re.Pattern[str]
    scope_stop: frozenset[str]
    inn_stems: tuple[str, ...]


_NUMBER = r"(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_LAB_VALUE = r"[<>≥≤]?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*%|\s*(?:mg/dl|mg/l|u/l|ng/ml|g/dl|mmol/l|k)\b)?"
_LAB_WORDS = (
    r"elevated|high|low|rising|increasing|falling|decreasing|normal|abnormal|positive|negative|undetectable|raised"
)


@lru_cache(maxsize=1)
def clinical_patterns() -> ClinicalPatterns:
    vocab = clinical_terms()
    routes = route_codes()
    severities = vocab.mapping("severity")
    labs = vocab.terms("lab")
    return ClinicalPatterns(
        dose=re.compile(rf"{_NUMBER}(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*(?P<unit>{unit_pattern()})", re.IGNORECASE),
        route=phrase_pattern(routes),
        routes=routes,
        severity=phrase_pattern(severities),
        severities=severities,
        not_severity=phrase_pattern(vocab.terms("not_severity")),
        severity_tail=re.compile(rf"\s+(?:{alternation(severities)})$", re.IGNORECASE),
        negation_pre=phrase_pattern(vocab.terms("negation_pre")),
        negation_post=re.compile(
            rf"\s(?:{alternation(vocab.terms('negation_post'))})(?![\w-])(?!\s+for\b)", re.IGNORECASE
        ),
        uncertain_pre=phrase_pattern(vocab.terms("uncertain_pre")),
        uncertain_post=re.compile(
            rf"\s(?:{alternation(vocab.terms('uncertain_post'))})(?=\s*(?:[.,;:?!)]|$))", re.IGNORECASE
        ),
        current_cue=re.compile(rf"(?:^|(?<=[\s,(]))(?:{alternation(vocab.terms('current_cue'))})\s+$", re.IGNORECASE),
        prior_cue=re.compile(rf"(?:^|(?<=[\s,(]))(?:{alternation(vocab.terms('prior_cue'))})\s+$", re.IGNORECASE),
        labs=re.compile(
            rf"(?<![\w-])(?P<lab>{alternation(labs)})(?![\w-])\s*(?:(?:is|was|of|at|level|levels|count)\s+|:\s*)?"
            rf"(?:(?P<num>{_LAB_VALUE})|(?P<qual>{_LAB_WORDS})\b)",
            re.IGNORECASE,
        ),
        lab_prefix=re.compile(
            rf"(?<![\w-])(?P<qual>{_LAB_WORDS})\s+(?P<lab>{alternation(labs)})(?![\w-])", re.IGNORECASE
        ),
        findings=frozenset(t.lower() for t in vocab.terms("finding")),
        conditions=phrase_pattern(vocab.terms("condition")),
        condition_heads=frozenset(t.lower() for t in vocab.terms("condition_head")),
        not_condition=frozenset(t.lower() for t in vocab.terms("not_condition")),
        not_condition_cue=re.compile(
            rf"(?:{alternation(vocab.terms('not_condition_cue'))})\s+(?:\w+\s+){{0,2}}$", re.IGNORECASE
        ),
        modifiers=re.compile(rf"^(?:(?:{alternation(vocab.terms('modifier'))})\s+)+", re.IGNORECASE),
        scope_stop=frozenset(t.lower() for t in vocab.terms("scope_stop"))
        | {"be", "been", "do", "does", "did", "need", "needs", "needed", "require", "requires", "and then"},
        inn_stems=tuple(sorted(vocab.terms("inn_stem"), key=len, reverse=True)),
    )


# A drug or disease abbreviation as written: "IVIG", "RP-ILD", "TMP/SMX".
ABBREVIATION_TOKEN = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)?(?![\w-])")
# A period ends a sentence only before a capital or the end, and never inside "1.5 g" or "b.i.d.".
HARD_BOUNDARY = re.compile(r"[;:?!()\[\]]|(?<!\.[A-Za-z])\.(?=\s+[A-Z]|\s*$)|\s-\s")


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)

"""Deterministic patient-context extraction: demographics, conditions, severity, findings, medications.

No language model: rules over a curated vocabulary (:file:`data/clinical_terms.tsv`), the project's
:class:`~curbside.understanding.query.Lexicon` (brands, misspellings, abbreviations) and ``pint`` for units.

Public API
----------
* :class:`DrugNames` -- brand -> generic names. ``DrugNames({"Truxima": "rituximab"})`` for a small
  mapping, ``DrugNames.from_index(DATA_DIR / "index")`` or ``DrugNames.from_store(store)`` for the
  Drugs@FDA table of a built index. The curated rows of the TSV (biosimilars, immune globulins, common
  generics; ``include_builtin=False`` leaves them out) are always added.
* :func:`extract_patient_context` ``(text, drug_names) -> PatientContext``.
* :func:`dose_in` ``(value, unit, target_unit, weight_kg=None, bsa_m2=None) -> DoseConversion``, and
  :func:`normalize_dose_unit`, :func:`body_surface_area`.

:class:`PatientContext` (``model_dump()``): ``age`` (int|None), ``sex`` ("female"|"male"|None),
``weight_kg`` (float|None), ``conditions``, ``severity``, ``findings`` (``{text, negated, uncertain}``),
``medications`` (``{as_written, generic, brand, dose_value, dose_unit, route, frequency, schedule,
duration}``), ``current_therapies``, ``prior_therapies`` (generic names) and ``therapy_duration``.

Conventions
-----------
* **Age, sex** come from :func:`~curbside.understanding.query.parse_question` (same rules as retrieval).
  ``weight_kg`` from "weighing 55 kg", "a 70 kg adult", "150 lbs" (converted with pint).
* **Medications**: one entry per drug (generic), in order of first mention; a later mention only fills
  fields still empty. A drug is found as a brand (exact, or a misspelling at OSA distance 1, 2 from 11
  letters, through the Lexicon), a generic name (salt words and the biosimilar suffix "-abbs" are part
  of the mention and dropped from the generic), a drug abbreviation (IVIG, MMF, MTX ...), a synonym
  ("vitamin D3"), or, for an unknown word of 7+ letters, a WHO INN stem (-mab, -tinib, -imod ...).
  "Brand (generic)" and "generic (Brand)" are one mention; a capitalised unknown word next to a
  parenthesised generic is taken as its brand. ``generic`` is lower case; ``brand`` as the label
  spells it. ``as_written`` is the first mention as written.
* **Dose attributes** are read right after the drug ("Truxima 1000 mg IV day 0 and 14") and right
  before it ("2 g/kg IVIG", "oral prednisone", "monthly IVIG"); a dose that no drug claims goes to the
  only drug of the question. ``dose_value`` is the first number (a range "1-2 g" gives 1), ``dose_unit``
  canonical: mg, g, mcg, ng, IU, units, mL, L, mEq, mmol, each optionally "/kg", "/m2", "/day", "/h",
  "/min", "/week" ("400 mg/kg/day"; "/dose" is dropped). ``route``: IV, PO, SC, IM, SL, PR, topical,
  inhaled, intranasal, transdermal, intrathecal, intravitreal, intra-articular ("infusion" is IV; a
  name can imply one: IVIG is IV). ``frequency`` is the normalised repeat rate ("daily", "twice daily",
  "weekly", "every 2 weeks", "every 6 months", "every 8 hours", "once", "as needed"); ``schedule`` the
  course calendar ("day 0 and 14", "days 1 and 15", "days 1-5", "over 5 days", "2 doses 2 weeks apart");
  ``duration`` the planned length ("for 4 weeks", "x 5 days", "x 4 doses" -> "4 weeks", "5 days",
  "4 doses"). For a drug the patient is already on, "for 9 months" is the time on therapy: it goes to
  ``therapy_duration``, as do "after 6 months" and "6 months of X".
* **Current / prior therapies**: a cue right before the drug, or before a list it belongs to ("on",
  "taking", "despite" -> current; "failed", "prior", "inadequate response to" -> prior). A drug the
  question proposes ("add rituximab?") is in neither list.
* **Findings**: symptoms, signs and test results (vocabulary and word forms such as -algia, -penia,
  -uria, dys-; "ferritin 12,000", "PSA rising"), and anything negated or uncertain. Negation
  ("no", "without", "denies", "negative for"; "X negative") and uncertainty ("concern for", "possible",
  "suspected", "rule out"; "X is suspected") take the items that follow, across "or"/"and" and short
  comma lists, up to a scope word ("in", "with", "but", ...), NegEx style. A negated or uncertain
  diagnosis is a finding, never a condition. ``text`` is as written, without the trigger.
* **Conditions**: diagnoses the question is about (the patient's, or the population's when no patient
  is described): phrases whose head is a disease word (-itis, -osis, -oma, -pathy, -emia, "disease",
  "syndrome", "cancer" ...) or a disease abbreviation, which is expanded ("RP-ILD" -> "interstitial lung
  disease"). Severity words are moved to ``severity``; qualifiers ("MDA5+", "seropositive", "class IV")
  stay. A disease after "screened for", "risk of", "family history of" ... is not the patient's.
* **Severity**: curated markers in order of appearance, canonical ("improving" -> "improved",
  "still active" -> "active"), outside negated/uncertain phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

from curbside.vocabulary.drugs import BIOSIMILAR_SUFFIX, SALT_WORDS, drug_aliases, generic_name
from curbside.vocabulary.routes import route_codes
from curbside.vocabulary.units import (
    DoseConversion,
    DoseConversionError,
    body_surface_area,
    dose_in,
    normalize_dose_unit,
    parse_unit,
    unit_pattern,
    ureg,
)
from curbside.corpus.text import STOPWORDS, normalize
from curbside.understanding.expansions import abbreviation_matches, brand_matches, choose_expansions
from curbside.understanding.lexicon import Lexicon, english_words, load_builtin_abbreviations
from curbside.understanding.story import extract_age, extract_sex

__all__ = [
    "DoseConversion",
    "DoseConversionError",
    "DrugNames",
    "Finding",
    "Medication",
    "PatientContext",
    "body_surface_area",
    "dose_in",
    "extract_patient_context",
    "normalize_dose_unit",
]


# --------------------------------------------------------------------------------------------------
# Result types


class Finding(BaseModel):
    text: str
    negated: bool = False
    uncertain: bool = False


class Medication(BaseModel):
    as_written: str
    generic: str
    brand: str | None = None
    dose_value: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    frequency: str | None = None
    schedule: str | None = None
    duration: str | None = None

    def dose_in(self, target_unit: str, weight_kg: float | None = None, bsa_m2: float | None = None) -> DoseConversion:
        """This medication's dose in another unit (see :func:`dose_in`)."""
        if self.dose_value is None or self.dose_unit is None:
            raise DoseConversionError(f"{self.as_written} has no dose to convert.")
        return dose_in(self.dose_value, self.dose_unit, target_unit, weight_kg=weight_kg, bsa_m2=bsa_m2)


class PatientContext(BaseModel):
    age: int | None = None
    sex: Literal["female", "male"] | None = None
    weight_kg: float | None = None
    conditions: list[str] = Field(default_factory=list)
    severity: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    medications: list[Medication] = Field(default_factory=list)
    current_therapies: list[str] = Field(default_factory=list)
    prior_therapies: list[str] = Field(default_factory=list)
    therapy_duration: str | None = None
    # The story's history items ("history of X", "h/o X", "with X and Y" after the demographics), as written.
    history: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Curated vocabulary


@dataclass(frozen=True)
class _Vocab:
    rows: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # kind -> (term, value, note)

    def terms(self, kind: str) -> list[str]:
        return [term for term, _, _ in self.rows.get(kind, [])]

    def mapping(self, kind: str, *, lower: bool = True) -> dict[str, str]:
        return {(t.lower() if lower else t): v for t, v, _ in self.rows.get(kind, [])}


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    text = resources.files("curbside.vocabulary").joinpath("data/clinical_terms.tsv").read_text(encoding="utf-8")
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for number, line in enumerate(text.splitlines()):
        if number == 0 or not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")] + ["", "", ""]
        kind, term, value, note = parts[0], parts[1], parts[2], parts[3]
        if kind and term:
            rows.setdefault(kind, []).append((normalize(term), value, note))
    return _Vocab(rows)


def _note_field(note: str, key: str) -> str | None:
    match = re.search(rf"\b{key}=(\S+)", note)
    return match.group(1) if match else None


def _alternation(terms: Iterable[str]) -> str:
    """A regex alternation of literal terms, longest first (so "rapidly progressive" beats "progressive")."""
    unique = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
    return "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in unique)


def _phrase_re(terms: Iterable[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w/-])(?:{_alternation(terms)})(?![\w/-])", flags)


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "single": 1,
}
_NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"


def _number(text: str) -> float:
    text = text.lower().replace(",", "")
    return float(_NUMBER_WORDS[text]) if text in _NUMBER_WORDS else float(text)


def _fmt(value: float) -> str:
    """140.0 -> "140", 0.0050 -> "0.005", 1.8 -> "1.8"."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --------------------------------------------------------------------------------------------------
# Drug names


_FINE = re.compile(r"[a-z0-9]+")


def _clean_generic(generic: str) -> str:
    """Lower-case active moiety: salts and biosimilar suffixes dropped ("rituximab-abbs" -> "rituximab")."""
    text = " ".join(normalize(generic).lower().split())
    if not text:
        return text
    if ";" in text:
        return generic_name(text)
    parts = [generic_name(part) or part for part in re.split(r"\s+and\s+", text)]
    return " and ".join(parts)


class DrugNames:
    """Brand -> generic names, generic names, drug abbreviations and synonyms, indexed once.

    ``brands`` is a mapping or ``(brand, generic)`` pairs (the Drugs@FDA table: ``store.drug_names()``).
    The curated rows of ``data/clinical_terms.tsv`` are added unless ``include_builtin=False``.
    """

    def __init__(
        self,
        brands: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        generics: Iterable[str] = (),
        include_builtin: bool = True,
    ) -> None:
        vocab = _vocab()
        items = brands.items() if isinstance(brands, Mapping) else brands
        pairs: list[tuple[str, str]] = []
        self._display: dict[str, str] = {}
        self._brand_route: dict[str, str] = {}
        for brand, generic in items:
            cleaned = _clean_generic(str(generic))
            if brand and cleaned:
                pairs.append((str(brand), cleaned))
                if not str(brand).islower():
                    self._display.setdefault(str(brand).lower(), str(brand))
        generic_names = {_clean_generic(g) for g in generics}
        self._abbreviations: dict[str, tuple[str, str | None]] = {}
        self._synonyms: dict[str, tuple[str, str | None]] = {}
        if include_builtin:
            for term, generic, note in vocab.rows.get("brand", []):
                pairs.append((term, generic))
                self._display.setdefault(term.lower(), term)
                route = _note_field(note, "route")
                if route:
                    self._brand_route[term.lower()] = route
            generic_names.update(vocab.terms("generic"))
            for alias in drug_aliases("abbreviation"):
                self._abbreviations[normalize(alias.alias)] = (alias.generic, alias.route)
            for alias in drug_aliases("synonym"):
                self._synonyms[normalize(alias.alias).lower()] = (alias.generic, alias.route)
        for _, generic in pairs:
            generic_names.add(generic)
        components: set[str] = set()
        for name in generic_names:
            components.add(name)
            components.update(part.strip() for part in re.split(r"\s+and\s+", name) if part.strip())
        self.generic_names = frozenset(c for c in components if c)
        # The builtin abbreviation table names drugs too (RTX, TCZ ...): keep those whose expansion is a drug.
        for abbreviation, expansions in load_builtin_abbreviations().items():
            for expansion in expansions[:1]:
                generic = _clean_generic(expansion)
                if len(abbreviation) >= 3 and generic in self.generic_names:
                    self._abbreviations.setdefault(abbreviation, (generic, None))
        # Generic names take part in brand matching as (generic, generic): the Lexicon then corrects
        # misspelt generics too, and never mistakes a generic for a brand.
        self.lexicon = Lexicon.with_builtin_abbreviations(brands=pairs + [(g, g) for g in sorted(self.generic_names)])
        self._phrases: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self._heads: dict[str, set[str]] = {}
        for name in self.generic_names:
            tokens = tuple(_FINE.findall(name))
            if tokens:
                self._phrases.setdefault(tokens, (name, None))
                if len(tokens) > 1:
                    self._heads.setdefault(tokens[0], set()).add(name)
        for term, payload in self._synonyms.items():
            tokens = tuple(_FINE.findall(term))
            if tokens:
                self._phrases[tokens] = payload
        self._lengths: dict[str, list[int]] = {}
        for tokens in self._phrases:
            lengths = self._lengths.setdefault(tokens[0], [])
            if len(tokens) not in lengths:
                lengths.append(len(tokens))
        for lengths in self._lengths.values():
            lengths.sort(reverse=True)

    def generic_for(self, name: str) -> str | None:
        """The generic of a brand, synonym, abbreviation or generic name, else None (no fuzzy matching)."""
        text = normalize(name)
        key = " ".join(_FINE.findall(text.lower()))
        if key in self.generic_names:
            return key
        if text in self._abbreviations:
            return self._abbreviations[text][0]
        if key in self._synonyms:
            return self._synonyms[key][0]
        generic = self.lexicon.generic_for(text)
        return _clean_generic(generic) if generic else None

    def display_brand(self, name: str) -> str:
        return self._display.get(name.lower(), name if not name.islower() else name.title())

    def brand_route(self, name: str) -> str | None:
        return self._brand_route.get(name.lower())

    def is_known_word(self, word: str) -> bool:
        return self.lexicon.is_known_word(word)


# --------------------------------------------------------------------------------------------------
# Compiled patterns


@dataclass(frozen=True)
class _Patterns:
    dose: re.Pattern[str]
    route: re.Pattern[str]
    routes: dict[str, str]
    frequency_fixed: re.Pattern[str]
    frequencies: dict[str, str]
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
def _patterns() -> _Patterns:
    vocab = _vocab()
    routes = route_codes()
    frequencies = vocab.mapping("frequency")
    severities = vocab.mapping("severity")
    labs = vocab.terms("lab")
    return _Patterns(
        dose=re.compile(rf"{_NUMBER}(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*(?P<unit>{unit_pattern()})", re.IGNORECASE),
        route=_phrase_re(routes),
        routes=routes,
        frequency_fixed=_phrase_re(frequencies),
        frequencies=frequencies,
        severity=_phrase_re(severities),
        severities=severities,
        not_severity=_phrase_re(vocab.terms("not_severity")),
        severity_tail=re.compile(rf"\s+(?:{_alternation(severities)})$", re.IGNORECASE),
        negation_pre=_phrase_re(vocab.terms("negation_pre")),
        negation_post=re.compile(
            rf"\s(?:{_alternation(vocab.terms('negation_post'))})(?![\w-])(?!\s+for\b)", re.IGNORECASE
        ),
        uncertain_pre=_phrase_re(vocab.terms("uncertain_pre")),
        uncertain_post=re.compile(
            rf"\s(?:{_alternation(vocab.terms('uncertain_post'))})(?=\s*(?:[.,;:?!)]|$))", re.IGNORECASE
        ),
        current_cue=re.compile(rf"(?:^|(?<=[\s,(]))(?:{_alternation(vocab.terms('current_cue'))})\s+$", re.IGNORECASE),
        prior_cue=re.compile(rf"(?:^|(?<=[\s,(]))(?:{_alternation(vocab.terms('prior_cue'))})\s+$", re.IGNORECASE),
        labs=re.compile(
            rf"(?<![\w-])(?P<lab>{_alternation(labs)})(?![\w-])\s*(?:(?:is|was|of|at|level|levels|count)\s+|:\s*)?"
            rf"(?:(?P<num>{_LAB_VALUE})|(?P<qual>{_LAB_WORDS})\b)",
            re.IGNORECASE,
        ),
        lab_prefix=re.compile(
            rf"(?<![\w-])(?P<qual>{_LAB_WORDS})\s+(?P<lab>{_alternation(labs)})(?![\w-])", re.IGNORECASE
        ),
        findings=frozenset(t.lower() for t in vocab.terms("finding")),
        conditions=_phrase_re(vocab.terms("condition")),
        condition_heads=frozenset(t.lower() for t in vocab.terms("condition_head")),
        not_condition=frozenset(t.lower() for t in vocab.terms("not_condition")),
        not_condition_cue=re.compile(
            rf"(?:{_alternation(vocab.terms('not_condition_cue'))})\s+(?:\w+\s+){{0,2}}$", re.IGNORECASE
        ),
        modifiers=re.compile(rf"^(?:(?:{_alternation(vocab.terms('modifier'))})\s+)+", re.IGNORECASE),
        scope_stop=frozenset(t.lower() for t in vocab.terms("scope_stop"))
        | {"be", "been", "do", "does", "did", "need", "needs", "needed", "require", "requires", "and then"},
        inn_stems=tuple(sorted(vocab.terms("inn_stem"), key=len, reverse=True)),
    )


# Numeric frequencies: "q6h", "q 4 weeks", "every 24 weeks", "every 8 hours", "3 times a week".
_FREQ_NUMERIC = re.compile(
    rf"(?:q\s*(?P<qn>\d+)\s*-?\s*|every\s+(?P<en>{_NUM})\s*-?\s*)"
    r"(?P<unit>h|hr|hrs|hours?|d|days?|w|wk|wks|weeks?|mo|mos|months?|y|yr|yrs|years?)(?![\w])",
    re.IGNORECASE,
)
_FREQ_TIMES = re.compile(rf"(?P<n>{_NUM})\s*(?:x|times)\s*(?:/|a|per)\s*(?P<unit>day|week|month)\b", re.IGNORECASE)
_SCHEDULE_DAYS = re.compile(
    r"(?P<word>days?)\s+(?P<list>\d+(?:\s*(?:,\s*(?:and\s+)?|and|&|-|to)\s*\d+)*)(?![\w.])", re.IGNORECASE
)
_SCHEDULE_OVER = re.compile(
    r"over\s+(?P<n>\d+(?:\s*(?:-|to)\s*\d+)?)\s*(?P<unit>days?|hours?|hrs?|h|minutes?|min)\b", re.IGNORECASE
)
_SCHEDULE_APART = re.compile(
    rf"(?:(?:x|×)\s*(?P<n>{_NUM})\s+|(?P<n2>{_NUM})\s+(?:doses|infusions)\s+)?"
    rf"(?P<gap>{_NUM})\s+(?P<unit>weeks?|days?|months?)\s+apart\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    rf"(?:for|x|×|over\s+the\s+next|total\s+of)\s*(?P<n>{_NUM})\s*-?\s*"
    r"(?P<unit>days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|doses?|cycles?|infusions?|treatments?)(?![\w])",
    re.IGNORECASE,
)
_DURATION_BARE = re.compile(r"(?:x|×)\s*(?P<n>\d+)(?![\w.])", re.IGNORECASE)
# Words between a drug and its attributes: skipped. "Noun" fillers ("pulses") also extend the drug's span.
_FILLER = re.compile(
    r"(?:of|at|given|then|total|divided|a|an|as|per|starting|loading|maintenance|bolus|followed\s+by|on|each|"
    r"dosing|dosed|dose|,|:|\(|\))(?![\w])|[(),:]",
    re.IGNORECASE,
)
_NOUN_FILLER = re.compile(r"(?:pulses?|injections?|tablets?|tabs?|capsules?|doses|infusions?)(?![\w])", re.IGNORECASE)
_BEFORE_ADJ = re.compile(r"(?:high|low|pulse|standard)-dose|pulse", re.IGNORECASE)
_FREQ_ADJ = {"daily": "daily", "weekly": "weekly", "monthly": "monthly", "nightly": "nightly"}

_UNIT_WORDS = {
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "mo": "months",
    "mos": "months",
    "month": "months",
    "months": "months",
    "y": "years",
    "yr": "years",
    "yrs": "years",
    "year": "years",
    "years": "years",
    "dose": "doses",
    "doses": "doses",
    "cycle": "cycles",
    "cycles": "cycles",
    "infusion": "infusions",
    "infusions": "infusions",
    "treatment": "treatments",
    "treatments": "treatments",
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
}


def _amount(number: float, unit: str) -> str:
    """ "6 months", "1 month", "4 doses"."""
    plural = _UNIT_WORDS.get(unit.lower(), unit.lower())
    word = plural[:-1] if number == 1 and plural.endswith("s") else plural
    return f"{_fmt(number)} {word}"


def _frequency_from_numeric(n: float, unit: str) -> str:
    plural = _UNIT_WORDS.get(unit.lower(), unit.lower())
    if n == 1:
        return {"hours": "every hour", "days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly"}[
            plural
        ]
    if n == 2 and plural == "days":
        return "every other day"
    return f"every {_fmt(n)} {plural}"


# --------------------------------------------------------------------------------------------------
# Medication mentions


@dataclass
class _Mention:
    start: int
    end: int
    generic: str
    brand: str | None = None
    route: str | None = None  # implied by the name
    priority: int = 0  # lower wins on equal spans
    pre_start: int = -1  # start of the attributes written before the drug
    status: str | None = None  # "current" | "prior" | None
    attributes: dict[str, object] = field(default_factory=dict)
    attr_end: int = -1  # end of the attributes written after the drug

    def __post_init__(self) -> None:
        if self.pre_start < 0:
            self.pre_start = self.start
        if self.attr_end < 0:
            self.attr_end = self.end


_CLINICAL_WORD = re.compile(
    r"(?:itis|osis|iasis|oma|pathy|emia|algia|penia|uria|megaly|ectomy|plasty|scopy|graphy)s?$", re.IGNORECASE
)
_ABBREVIATION_TOKEN = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)?(?![\w-])")


def _extend_mention(text: str, end: int) -> int:
    """Past a biosimilar suffix ("-abbs") and salt words ("sulfate")."""
    suffix = BIOSIMILAR_SUFFIX.match(text[end:])
    if suffix:
        end += suffix.end()
    while True:
        salt = re.match(r"\s+([A-Za-z]+)(?![\w-])", text[end:])
        if salt and salt.group(1).lower() in SALT_WORDS:
            end += salt.end()
            continue
        return end


def _find_mentions(text: str, names: DrugNames) -> list[_Mention]:
    lowered = text.lower()
    candidates: list[_Mention] = []
    patterns = _patterns()

    # 1. Brands (and misspelt brands / generics) through the project's Lexicon.
    for start, surface, generic in brand_matches(text, names.lexicon):
        end = start + len(surface)
        exact = names.lexicon.generic_for(surface)
        brand: str | None = None
        if exact is not None:
            brand = names.display_brand(surface)
        else:
            if _CLINICAL_WORD.search(surface) or surface.lower() in patterns.findings:
                continue  # a disease or symptom word, not a misspelt drug
            hit = names.lexicon.correct_drug_name(surface.lower())
            corrected = hit[0] if hit else None
            if corrected is not None and corrected not in names.generic_names and corrected != generic:
                brand = names.display_brand(corrected)
        cleaned = _clean_generic(generic)
        route = names.brand_route(brand) if brand else None
        candidates.append(_Mention(start, _extend_mention(text, end), cleaned, brand, route, priority=0))

    # 2. Generic names and synonyms, longest first; a head word standing for one multi-word generic.
    spans = [(m.group(), m.start(), m.end()) for m in _FINE.finditer(lowered)]
    tokens = [t for t, _, _ in spans]
    i = 0
    while i < len(tokens):
        step = 1
        for length in names._lengths.get(tokens[i], []):
            key = tuple(tokens[i : i + length])
            payload = names._phrases.get(key)
            if payload is not None and len(key) == length:
                start, end = spans[i][1], spans[i + length - 1][2]
                candidates.append(_Mention(start, _extend_mention(text, end), payload[0], None, payload[1], priority=1))
                step = length
                break
        else:
            heads = names._heads.get(tokens[i])
            token = tokens[i]
            if heads and len(token) >= 6 and token not in SALT_WORDS and token not in english_words():
                generic = next(iter(heads)) if len(heads) == 1 else token
                start, end = spans[i][1], spans[i][2]
                candidates.append(_Mention(start, _extend_mention(text, end), generic, None, None, priority=2))
        i += step

    # 3. Drug abbreviations (IVIG, MMF ...): as written or in capitals; 4+ letters also in lower case.
    for match in _ABBREVIATION_TOKEN.finditer(text):
        surface = match.group()
        payload = names._abbreviations.get(surface)
        if payload is None and surface.isupper():
            payload = next((v for k, v in names._abbreviations.items() if k.upper() == surface), None)
        if payload is None and len(surface) >= 4:
            payload = next((v for k, v in names._abbreviations.items() if k.lower() == surface.lower()), None)
        if payload is not None:
            candidates.append(_Mention(match.start(), match.end(), payload[0], None, payload[1], priority=1))

    # 4. Unknown words with a WHO INN stem (efgartigimod, enzalutamide).
    for token, start, end in spans:
        if len(token) < 7 or not token.isalpha() or names.is_known_word(token):
            continue
        if any(token.endswith(stem) for stem in patterns.inn_stems) and not _CLINICAL_WORD.search(token):
            candidates.append(_Mention(start, _extend_mention(text, end), token, None, None, priority=3))

    # Longest span wins, then priority, then the earliest.
    candidates.sort(key=lambda m: (-(m.end - m.start), m.priority, m.start))
    taken: list[_Mention] = []
    for candidate in candidates:
        if all(candidate.end <= other.start or candidate.start >= other.end for other in taken):
            taken.append(candidate)
    taken.sort(key=lambda m: m.start)
    return _pair_parentheses(text, taken, names)


_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")
_CAPITALISED = re.compile(r"([A-Z][A-Za-z0-9-]{2,})\s*$")
_PAREN_WORD = re.compile(r"\s*\(\s*([A-Z][A-Za-z0-9-]{2,})\s*\)")


def _pair_parentheses(text: str, mentions: list[_Mention], names: DrugNames) -> list[_Mention]:
    """Merge "Brand (generic)" / "generic (Brand)" into one mention; name an unknown brand next to a generic."""
    out: list[_Mention] = []
    i = 0
    routes = _patterns().routes
    while i < len(mentions):
        mention = mentions[i]
        if i + 1 < len(mentions):
            nxt = mentions[i + 1]
            opening = _OPEN.match(text, mention.end)
            closing = _CLOSE.match(text, nxt.end)
            if opening and opening.end() == nxt.start and closing:
                mention.brand = mention.brand or nxt.brand
                if mention.brand is None or mention.generic != nxt.generic:
                    mention.generic = nxt.generic if mention.priority >= nxt.priority else mention.generic
                mention.route = mention.route or nxt.route
                mention.end = closing.end()
                out.append(mention)
                i += 2
                continue
        if mention.brand is None:
            # "Vyvgart (efgartigimod)": an unknown capitalised word right before the parenthesised generic.
            before = text[: mention.start]
            if before.rstrip().endswith("("):
                word = _CAPITALISED.search(before.rstrip()[:-1])
                closing = _CLOSE.match(text, mention.end)
                if word and closing and _unknown_brand_word(word.group(1), names, routes):
                    mention.brand = word.group(1)
                    mention.start = word.start(1)
                    mention.end = closing.end()
            else:
                # "efgartigimod (Vyvgart)"
                paren = _PAREN_WORD.match(text, mention.end)
                if paren and _unknown_brand_word(paren.group(1), names, routes):
                    mention.brand = paren.group(1)
                    mention.end = paren.end()
        out.append(mention)
        i += 1
    return out


def _unknown_brand_word(word: str, names: DrugNames, routes: Mapping[str, str]) -> bool:
    lowered = word.lower()
    if lowered in routes or lowered in STOPWORDS or word.isupper() and len(word) <= 4:
        return False
    return not names.lexicon.is_known_word(lowered) or names.lexicon.generic_for(word) is not None


# --------------------------------------------------------------------------------------------------
# Dose attributes


def _read_attribute(text: str, pos: int) -> tuple[str, object, int] | None:
    """(kind, value, end) of the dose attribute starting at ``pos`` (after spaces), else None."""
    p = _patterns()
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        return None
    dose = p.dose.match(text, pos)
    if dose:
        unit = parse_unit(dose.group("unit"))
        if unit is not None:
            return "dose", (_number(dose.group("value")), unit.canonical), dose.end()
    for pattern, kind in ((_SCHEDULE_APART, "schedule"), (_SCHEDULE_DAYS, "schedule"), (_SCHEDULE_OVER, "schedule")):
        match = pattern.match(text, pos)
        if match:
            return kind, _schedule_text(match), match.end()
    match = _FREQ_TIMES.match(text, pos)
    if match:
        n = _number(match.group("n"))
        words = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
        rate = "daily" if match.group("unit").lower() == "day" else match.group("unit").lower() + "ly"
        return "frequency", f"{words.get(int(n), _fmt(n) + ' times')} {rate}", match.end()
    fixed = p.frequency_fixed.match(text, pos)
    numeric = _FREQ_NUMERIC.match(text, pos)
    if numeric and (not fixed or numeric.end() >= fixed.end()):
        n = _number(numeric.group("qn") or numeric.group("en"))
        return "frequency", _frequency_from_numeric(n, numeric.group("unit")), numeric.end()
    if fixed:
        return "frequency", p.frequencies[" ".join(fixed.group().lower().split())], fixed.end()
    match = _DURATION.match(text, pos)
    if match:
        return "duration", _amount(_number(match.group("n")), match.group("unit")), match.end()
    match = _DURATION_BARE.match(text, pos)
    if match:
        return "duration", _amount(_number(match.group("n")), "doses"), match.end()
    route = p.route.match(text, pos)
    if route:
        return "route", p.routes[" ".join(route.group().lower().split())], route.end()
    noun = _NOUN_FILLER.match(text, pos)
    if noun:
        route_word = noun.group().lower()
        return ("route", "IV", noun.end()) if route_word.startswith("infusion") else ("noun", None, noun.end())
    return None


def _schedule_text(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if "list" in groups and groups.get("list"):
        numbers = re.sub(r"\s*,\s*(?:and\s+)?", ", ", match.group("list"), flags=re.IGNORECASE)
        numbers = re.sub(r"\s*(?:and|&)\s*", " and ", numbers, flags=re.IGNORECASE)
        numbers = re.sub(r"\s*(?:-|to)\s*", "-", numbers, flags=re.IGNORECASE)
        if ", " in numbers and " and " not in numbers:
            head, _, last = numbers.rpartition(", ")
            numbers = f"{head} and {last}"
        return f"{match.group('word').lower()} {numbers}"
    if "gap" in groups and groups.get("gap"):
        gap = _amount(_number(match.group("gap")), match.group("unit"))
        count = groups.get("n") or groups.get("n2")
        return f"{_fmt(_number(count))} doses {gap} apart" if count else f"{gap} apart"
    n = re.sub(r"\s*(?:-|to)\s*", "-", match.group("n"))
    unit = _UNIT_WORDS.get(match.group("unit").lower(), match.group("unit").lower())
    return f"over {n} {unit[:-1] if n == '1' else unit}"


def _scan_after(text: str, pos: int, limit: int) -> tuple[dict[str, object], int]:
    """Attributes written right after a drug, up to ``limit``; (attributes, end of the last one)."""
    found: dict[str, object] = {}
    bounded = text[:limit]
    end = pos
    fillers = 0
    while True:
        while pos < limit and bounded[pos].isspace():
            pos += 1
        if pos >= limit:
            break
        attribute = _read_attribute(bounded, pos)
        if attribute is not None:
            kind, value, stop = attribute
            if kind != "noun":
                found.setdefault(kind, value)
            pos = end = stop
            fillers = 0
            continue
        filler = _FILLER.match(bounded, pos)
        if filler and fillers < 2:
            pos = filler.end()
            fillers += 1
            continue
        break
    return found, end


def _scan_before(text: str, start: int, floor: int) -> tuple[dict[str, object], int]:
    """Route, dose and frequency words written right before a drug ("2 g/kg IVIG", "oral prednisone")."""
    p = _patterns()
    found: dict[str, object] = {}
    for _ in range(3):
        window = text[floor:start]
        stripped = window.rstrip()
        if len(stripped) == len(window) and window:
            break  # the drug must be preceded by a space
        best: tuple[int, str, object] | None = None
        for match in p.route.finditer(stripped):
            if match.end() == len(stripped):
                best = (match.start(), "route", p.routes[" ".join(match.group().lower().split())])
        for match in p.dose.finditer(stripped):
            unit = parse_unit(match.group("unit"))
            if match.end() == len(stripped) and unit and (best is None or match.start() < best[0]):
                best = (match.start(), "dose", (_number(match.group("value")), unit.canonical))
        word = re.search(r"([A-Za-z-]+)$", stripped)
        if best is None and word:
            lowered = word.group(1).lower()
            if lowered in _FREQ_ADJ:
                best = (word.start(1), "frequency", _FREQ_ADJ[lowered])
            elif _BEFORE_ADJ.fullmatch(word.group(1)):
                best = (word.start(1), "noun", None)
        if best is None:
            break
        offset, kind, value = best
        if offset > 0 and not stripped[offset - 1].isspace() and stripped[offset - 1] not in "(,":
            break
        if kind != "noun":
            found.setdefault(kind, value)
        start = floor + offset
    return found, start


_LIST_GAP = re.compile(r"^\s*(?:,|and|or|&|\+|plus|/|,\s*and|,\s*or|,\s*plus)?\s*$", re.IGNORECASE)
_NO_CUE = re.compile(
    r"(?:add|adding|start|starting|initiate|initiating|switch(?:ing)?\s+to|consider|requesting|try)\s+$", re.IGNORECASE
)
_ELAPSED_OF = re.compile(rf"(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?|days?)\s+(?:of|on)\s+$", re.IGNORECASE)


def _status(text: str, mention: _Mention, previous: _Mention | None) -> tuple[str | None, str | None]:
    """(status, elapsed time) of a mention: a cue right before it, else the status of the list it continues."""
    p = _patterns()
    before = text[max(0, mention.pre_start - 40) : mention.pre_start]
    if p.prior_cue.search(before):
        return "prior", None
    if p.current_cue.search(before):
        return "current", None
    match = _ELAPSED_OF.search(before)
    if match:  # "after 6 months of mycophenolate"
        return "current", _amount(_number(match.group("n")), match.group("unit"))
    if _NO_CUE.search(before):
        return None, None
    if previous is not None and _LIST_GAP.match(text[previous.attr_end : mention.pre_start]):
        return previous.status, None
    return None, None


def _read_mentions(text: str, mentions: list[_Mention]) -> str | None:
    """Fill each mention's attributes and status, in order; returns the time on therapy if stated."""
    floor = 0
    for mention in mentions:
        before, mention.pre_start = _scan_before(text, mention.start, max(floor, mention.start - 40))
        mention.attributes.update(before)
        floor = mention.end
    therapy_duration: str | None = None
    previous: _Mention | None = None
    for index, mention in enumerate(mentions):
        mention.status, elapsed = _status(text, mention, previous)
        therapy_duration = therapy_duration or elapsed
        limit = mentions[index + 1].pre_start if index + 1 < len(mentions) else len(text)
        hard = _HARD_BOUNDARY.search(text, mention.end)
        if hard and hard.start() < limit and text[hard.start()] not in "()":
            limit = hard.start()
        after, mention.attr_end = _scan_after(text, mention.end, limit)
        if "duration" in after and mention.status in ("current", "prior"):
            # "on prednisone 10 mg daily for 9 months": time on therapy, not a planned course.
            therapy_duration = therapy_duration or str(after.pop("duration"))
        for key, value in after.items():
            mention.attributes.setdefault(key, value)
        previous = mention
    return therapy_duration


# --------------------------------------------------------------------------------------------------
# Findings, conditions, severity


# A period ends a sentence only before a capital or the end, and never inside "1.5 g" or "b.i.d.".
_HARD_BOUNDARY = re.compile(r"[;:?!()\[\]]|(?<!\.[A-Za-z])\.(?=\s+[A-Z]|\s*$)|\s-\s")
_WORD = re.compile(r"[\w'+-]+")
# Phrase boundaries and words that are never part of a condition or finding (curated in the TSV).
_TRAILING_NOUNS = frozenset(_vocab().terms("trailing_noun"))
_PERSON_WORDS = frozenset(_vocab().terms("person_word"))
_CONNECTORS = frozenset(_vocab().terms("connector"))
_DEMOGRAPHIC = re.compile(
    r"\b\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|y)?\s*-?\s*(?:old|yo|y/o|y\.o\.?)\b"
    r"|(?<![\w.])\d{1,3}\s?[MF](?![\w'])|\b\d{1,3}\s*(?:kg|lbs?|pounds)\b",
    re.IGNORECASE,
)
_NUMBERED = frozenset({"type", "stage", "class", "grade", "factor", "covid", "trisomy", "cd", "cdkl"})
_FINDING_FORM = re.compile(
    r"(?:algias?|penias?|uria|megaly|rrhea|rrhoea|rrhage|pnea|pnoea|cardia)$|^dys[a-z]{4,}$|^hyp(?:o|er)[a-z]+emia$",
    re.IGNORECASE,
)
_CONDITION_FORM = re.compile(r"[a-z]{2,}(?:itis|osis|iasis|oma|pathy|emia|philia|thyroidism)$", re.IGNORECASE)
_QUALIFIER_TAIL = re.compile(r"\s+(?:(?i:stage|class|grade|type)\s+[0-9IVX]+[a-c]?|[A-E])$")


@dataclass
class _Scope:
    start: int
    end: int
    text: str
    negated: bool
    uncertain: bool


def _clean_item(text: str) -> str:
    p = _patterns()
    text = text.strip(" \t,;:-\"'")
    text = re.sub(r"^(?:a|an|the|any|his|her|their)\s+", "", text, flags=re.IGNORECASE)
    text = p.modifiers.sub("", text)
    return text.strip(" \t,;:-\"'")


_ITEM_SPLIT = r"(\s+(?:or|and|nor|vs\.?|versus)\s+|/)"


def _segment_items(segment: str, offset: int) -> tuple[list[tuple[int, int, str]], bool]:
    """Items of one comma segment of a scope (split on or/and/nor); True when a scope word ends the scope."""
    p = _patterns()
    cut = len(segment)
    stopped = False
    for match in _WORD.finditer(segment):
        if match.group().lower() in p.scope_stop:
            cut, stopped = match.start(), True
            break
    items: list[tuple[int, int, str]] = []
    part = segment[:cut]
    position = 0
    for piece in re.split(_ITEM_SPLIT, part):
        if re.fullmatch(_ITEM_SPLIT, piece or ""):
            position += len(piece)
            continue
        cleaned = _clean_item(piece)
        words = cleaned.split()
        if (
            cleaned
            and 0 < len(words) <= 6
            and any(ch.isalpha() for ch in cleaned)
            and words[0].lower() not in STOPWORDS
        ):
            local = piece.find(cleaned)
            items.append((offset + position + local, offset + position + local + len(cleaned), cleaned))
        position += len(piece)
    return items, stopped


def _scopes(text: str, claimed: list[tuple[int, int]]) -> list[_Scope]:
    """Negated and uncertain items, NegEx style."""
    p = _patterns()
    severity_spans = [(m.start(), m.end()) for m in p.severity.finditer(text)]
    triggers = [(m, True, False) for m in p.negation_pre.finditer(text)] + [
        (m, False, True) for m in p.uncertain_pre.finditer(text)
    ]
    trigger_starts = {m.start() for m, _, _ in triggers}
    scopes: list[_Scope] = []
    for match, negated, uncertain in sorted(triggers, key=lambda t: t[0].start()):
        if any(s <= match.start() < e for s, e in severity_spans + claimed):
            continue
        boundary = _HARD_BOUNDARY.search(text, match.end())
        stop = boundary.start() if boundary else len(text)
        rest = text[match.end() : stop]
        offset = match.end()
        first = True
        if re.match(r"\s*(?:and|or|nor)\b", rest, re.IGNORECASE):
            continue  # "TB was ruled out and ...": a trigger that ends its clause negates nothing after it
        for segment in rest.split(","):
            if not first:
                lead = offset + len(segment) - len(segment.lstrip())
                # Past a comma the list goes on only with short items: "denies headache, jaw claudication
                # or visual loss", not "no fever, ferritin 1,800" or "no X, if she ...".
                pieces = [x.split() for x in re.split(_ITEM_SPLIT, segment)[::2]]
                if lead in trigger_starts or not segment.strip() or re.search(r"\d", segment):
                    break
                if any(not x or len(x) > 3 or x[0].lower() in STOPWORDS for x in pieces):
                    break
            items, stopped = _segment_items(segment, offset)
            for start, end, item in items:
                if any(s < end and start < e for s, e in claimed):
                    continue
                scopes.append(_Scope(start, end, item, negated, uncertain))
            offset += len(segment) + 1
            first = False
            if stopped:
                break
    for pattern, negated, uncertain in ((p.negation_post, True, False), (p.uncertain_post, False, True)):
        for match in pattern.finditer(text):
            head = text[: match.start()]
            cut = max(head.rfind(c) for c in ",;:.?!(")
            words = list(_WORD.finditer(head, cut + 1))
            kept = []
            for word in reversed(words):
                if word.group().lower() in p.scope_stop or word.group().lower() in _CONNECTORS:
                    break
                kept.append(word)
                if len(kept) == 4:
                    break
            if not kept:
                continue
            start, end = kept[-1].start(), kept[0].end()
            if any(s < end and start < e for s, e in claimed) or any(s.start <= start < s.end for s in scopes):
                continue
            scopes.append(_Scope(start, end, _clean_item(text[start:end]), negated, uncertain))
    return scopes


def _lab_findings(text: str) -> list[tuple[int, int, Finding]]:
    p = _patterns()
    out: list[tuple[int, int, Finding]] = []
    for pattern in (p.labs, p.lab_prefix):
        for match in pattern.finditer(text):
            lab = match.group("lab")
            if len(lab) <= 3 and not lab.isupper():
                continue  # "alt", "ana": only in capitals
            qualifier = (match.groupdict().get("qual") or "").lower()
            if any(s < match.end() and match.start() < e for s, e, _ in out):
                continue
            if qualifier == "negative":
                out.append((match.start(), match.end(), Finding(text=lab, negated=True)))
            else:
                out.append((match.start(), match.end(), Finding(text=text[match.start() : match.end()].strip())))
    return out


def _is_finding_phrase(words: list[str]) -> bool:
    p = _patterns()
    phrase = " ".join(words).lower()
    head = words[-1].lower()
    return phrase in p.findings or head in p.findings or bool(_FINDING_FORM.search(head))


def _is_condition_phrase(phrase: str) -> bool:
    p = _patterns()
    core = _QUALIFIER_TAIL.sub("", phrase.strip())
    words = core.split()
    if not words:
        return False
    head = words[-1].lower().strip("'")
    head = head.removesuffix("'s")
    if head in p.not_condition or head in p.findings:
        return False
    return head in p.condition_heads or bool(_CONDITION_FORM.search(head)) or bool(p.conditions.fullmatch(core))


@dataclass
class _ChunkResult:
    conditions: list[tuple[int, str]] = field(default_factory=list)
    findings: list[tuple[int, Finding]] = field(default_factory=list)
    severity: list[tuple[int, str]] = field(default_factory=list)


def _context_words(text: str) -> set[str]:
    lowered = text.lower()
    return set(re.findall(r"[a-z0-9]+", lowered)) | set(re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", lowered))


def _expand_conditions(phrase: str, names: DrugNames, context: set[str]) -> tuple[str, bool]:
    """Expand disease abbreviations in a phrase ("CKD stage 4" -> "chronic kidney disease stage 4")."""
    out = phrase
    expanded = False
    extra = _vocab().mapping("condition_abbreviation", lower=False)
    for match in reversed(list(_ABBREVIATION_TOKEN.finditer(out))):
        expansion = extra.get(match.group()) or extra.get(match.group().upper())
        if expansion:
            out = out[: match.start()] + expansion + out[match.end() :]
            expanded = True
    for start, surface, key in reversed(abbreviation_matches(out, names.lexicon)):
        choices = choose_expansions(key, names.lexicon, context)
        if not choices:
            continue
        expansion = choices[0]
        if _is_condition_phrase(expansion):
            end = start + len(surface)
            # keep "+"/"-positive" qualifiers attached to a marker; replace the whole token otherwise
            out = out[:start] + expansion + out[end:]
            expanded = True
    return out, expanded


def _chunks(text: str, masked: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of words between punctuation, connectors, masked spans and demographic words."""
    blocked = bytearray(len(text))
    for start, end in masked:
        for i in range(max(0, start), min(len(text), end)):
            blocked[i] = 1
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    last_end = 0
    previous_word = ""
    for match in _WORD.finditer(text):
        word = match.group().strip("'-")
        lowered = word.lower()
        gap = text[last_end : match.start()]
        breaks = bool(re.search(r"[,;:.?!()\[\]\"/]|\s-\s", gap)) or any(blocked[last_end : match.start()])
        letter_qualifier = run_start is not None and re.fullmatch(r"[A-E]", word) is not None  # "hemophilia A"
        is_blocked = not letter_qualifier and (
            any(blocked[match.start() : match.end()])
            or lowered in _CONNECTORS
            or lowered in _PERSON_WORDS
            or lowered in STOPWORDS
            or not word
            # a number continues a phrase only as a qualifier ("type 2 diabetes", "CKD stage 3")
            or re.fullmatch(r"[\d.,]+", word) is not None
            and previous_word not in _NUMBERED
        )
        if run_start is not None and (breaks or is_blocked):
            runs.append((run_start, run_end))
            run_start = None
        if not is_blocked:
            if run_start is None:
                run_start = match.start()
            run_end = match.start() + len(match.group().rstrip("'-"))
        last_end = match.end()
        previous_word = lowered
    if run_start is not None:
        runs.append((run_start, run_end))
    return runs


def _classify_chunks(text: str, masked: list[tuple[int, int]], names: DrugNames) -> _ChunkResult:
    p = _patterns()
    result = _ChunkResult()
    context = _context_words(text)
    for start, end in _chunks(text, masked):
        phrase = text[start:end]
        # Severity words at either end move to `severity`.
        while True:
            lead = None if p.not_severity.match(phrase) else p.severity.match(phrase)
            if lead and lead.end() < len(phrase):
                result.severity.append((start, p.severities[" ".join(lead.group().lower().split())]))
                start += lead.end() + (len(phrase[lead.end() :]) - len(phrase[lead.end() :].lstrip()))
                phrase = text[start:end]
                continue
            break
        while True:
            tail = p.severity_tail.search(phrase)
            if not tail:
                break
            result.severity.append((start + tail.start(), p.severities[" ".join(tail.group().lower().split())]))
            phrase = phrase[: tail.start()]
            end = start + len(phrase)
        stripped = p.modifiers.sub("", phrase)
        start += len(phrase) - len(stripped)
        phrase = stripped.strip()
        words = phrase.split()
        while words and words[-1].lower() in _TRAILING_NOUNS:
            words.pop()
        if not words:
            continue
        phrase = " ".join(words)
        if p.not_condition_cue.search(text[max(0, start - 40) : start]):
            continue
        if _is_finding_phrase(words) and not p.conditions.fullmatch(phrase):
            result.findings.append((start, Finding(text=phrase)))
            continue
        expanded, did_expand = _expand_conditions(phrase, names, context)
        if not (did_expand or _is_condition_phrase(expanded)):
            continue
        # An expansion can bring severity words ("rapidly progressive interstitial lung disease").
        while True:
            lead = None if p.not_severity.match(expanded) else p.severity.match(expanded)
            if lead and lead.end() < len(expanded):
                result.severity.append((start, p.severities[" ".join(lead.group().lower().split())]))
                expanded = expanded[lead.end() :].strip()
                continue
            break
        if _is_condition_phrase(expanded):
            result.conditions.append((start, expanded))
    return result


# --------------------------------------------------------------------------------------------------
# Entry point


_WEIGHT = re.compile(
    r"(?:weigh(?:s|ing|t)?\s*(?:of\s+|is\s+|:\s*)?|\b)"
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>kg|kilograms?|lbs?|pounds)\b(?!\s*/)",
    re.IGNORECASE,
)
_AFTER_TIME = re.compile(rf"\bafter\s+(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?)\b", re.IGNORECASE)
_TIME_OF = re.compile(rf"\b(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?)\s+(?:of|into|on)\b", re.IGNORECASE)


def _weight(text: str) -> float | None:
    for match in _WEIGHT.finditer(text):
        before = text[max(0, match.start() - 1) : match.start()]
        if before == "/":
            continue
        value = float(match.group("n"))
        if match.group("unit").lower().startswith(("lb", "pound")):
            value = float((value * ureg().pound).to("kilogram").magnitude)
        return round(value, 1)
    return None


def _as_drug_names(drug_names: DrugNames | Mapping[str, str] | Iterable[tuple[str, str]] | None) -> DrugNames:
    if isinstance(drug_names, DrugNames):
        return drug_names
    return DrugNames(drug_names or ())


def extract_patient_context(
    text: str,
    drug_names: DrugNames | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    history: Iterable[str] = (),
) -> PatientContext:
    """The structured patient context of a clinical question (deterministic; see the module docstring).

    ``drug_names`` is a :class:`DrugNames` (build it once: it indexes thousands of names) or a plain
    brand -> generic mapping. ``history`` is the story's history items
    (:func:`curbside.understanding.understand` reads them with the story).
    """
    names = _as_drug_names(drug_names)
    t = normalize(text or "")

    # Medications and their attributes.
    mentions = _find_mentions(t, names)
    therapy_duration = _read_mentions(t, mentions)
    claimed = [(m.pre_start, m.attr_end) for m in mentions]
    if len({m.generic for m in mentions}) == 1 and not any("dose" in m.attributes for m in mentions):
        _attach_orphan_dose(t, mentions[0], claimed)
        claimed = [(m.pre_start, m.attr_end) for m in mentions]

    medications: list[Medication] = []
    by_generic: dict[str, Medication] = {}
    current: list[str] = []
    prior: list[str] = []
    for mention in mentions:
        attrs = mention.attributes
        dose = attrs.get("dose")
        med = by_generic.get(mention.generic)
        if med is None:
            med = Medication(as_written=t[mention.start : mention.end], generic=mention.generic)
            by_generic[mention.generic] = med
            medications.append(med)
        if med.brand is None and mention.brand:
            med.brand = mention.brand
        if med.dose_value is None and isinstance(dose, tuple):
            med.dose_value, med.dose_unit = float(dose[0]), str(dose[1])
        med.route = med.route or _str(attrs.get("route")) or mention.route
        med.frequency = med.frequency or _str(attrs.get("frequency"))
        med.schedule = med.schedule or _str(attrs.get("schedule"))
        med.duration = med.duration or _str(attrs.get("duration"))
        if mention.status == "current" and mention.generic not in current:
            current.append(mention.generic)
        elif mention.status == "prior" and mention.generic not in prior:
            prior.append(mention.generic)
    prior = [g for g in prior if g not in current]
    if therapy_duration is None and (current or prior):
        for pattern in (_AFTER_TIME, _TIME_OF):
            match = pattern.search(t)
            if match:
                therapy_duration = _amount(_number(match.group("n")), match.group("unit"))
                break

    # Findings, conditions and severity.
    scopes = _scopes(t, claimed)
    labs = _lab_findings(t)
    masked = claimed + [(s.start, s.end) for s in scopes] + [(s, e) for s, e, _ in labs]
    masked += [(m.start(), m.end()) for m in _DEMOGRAPHIC.finditer(t)]
    p = _patterns()
    protected = [(m.start(), m.group()) for m in p.conditions.finditer(t) if not _overlaps(m.start(), m.end(), masked)]
    masked += [(s, s + len(g)) for s, g in protected]
    chunked = _classify_chunks(t, masked, names)

    subtypes = [(m.start(), m.end()) for m in p.not_severity.finditer(t)]  # "primary progressive MS"
    findings: list[tuple[int, Finding]] = [
        (s.start, Finding(text=s.text, negated=s.negated, uncertain=s.uncertain)) for s in scopes
    ]
    findings += [(s, f) for s, _, f in labs] + chunked.findings
    conditions = [(s, g) for s, g in protected if not p.not_condition_cue.search(t[max(0, s - 40) : s])]
    conditions += chunked.conditions
    severity = [
        (m.start(), p.severities[" ".join(m.group().lower().split())])
        for m in p.severity.finditer(t)
        if not _overlaps(m.start(), m.end(), [(s.start, s.end) for s in scopes] + claimed + subtypes)
    ] + chunked.severity

    return PatientContext(
        age=extract_age(t),
        sex=_sex(extract_sex(t)),
        weight_kg=_weight(t),
        conditions=_dedupe_text([c for _, c in sorted(conditions, key=lambda x: x[0])]),
        severity=_dedupe_text([s for _, s in sorted(severity, key=lambda x: x[0])]),
        findings=_dedupe_findings([f for _, f in sorted(findings, key=lambda x: x[0])]),
        medications=medications,
        current_therapies=current,
        prior_therapies=prior,
        therapy_duration=therapy_duration,
        history=list(history),
    )


def _attach_orphan_dose(text: str, mention: _Mention, claimed: list[tuple[int, int]]) -> None:
    """A dose no drug claims goes to the only drug ("dose of IVIG for Kawasaki disease: 2 g/kg ...")."""
    for match in _patterns().dose.finditer(text):
        if _overlaps(match.start(), match.end(), claimed) or parse_unit(match.group("unit")) is None:
            continue
        attributes, _ = _scan_after(text, match.start(), len(text))
        for key, value in attributes.items():
            mention.attributes.setdefault(key, value)
        return


def _sex(value: str | None) -> Literal["female", "male"] | None:
    if value == "female":
        return "female"
    if value == "male":
        return "male"
    return None


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _str(value: object) -> str | None:
    return str(value) if value is not None else None


def _dedupe_text(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _dedupe_findings(items: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.text.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out

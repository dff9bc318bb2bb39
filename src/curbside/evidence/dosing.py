"""Dose checks: each dose of a regimen against reference dosing, with the source of each reference.

Reference dosing comes from drug labels where the index holds one (passages of a ``drug_label``
document's "Dosage and Administration" section), else from a curated table,
``evidence/data/reference_doses.tsv``, curated by hand with the source of every row: the product's FDA
label and section, or a guideline by organization, title and year. The table names no PMIDs or DOIs.

Public API
----------
``ReferenceDose``
    One reference regimen: generic, indication (``"any"`` applies to every indication), routes, dose
    range (``dose_min`` None = a ceiling only), pint unit, basis ("per dose", "per day", "per week",
    "per N weeks", "per course"), optional per-dose cap, schedule text, source kind and source.
``load_reference_doses() -> list[ReferenceDose]``
    The curated table (read once through importlib.resources).
``reference_for(generic, indication=None, route=None) -> list[ReferenceDose]``
    Rows for a generic, most specific first: rows for the indication, then rows for any indication,
    then (only when nothing is specific to the indication) the rows of other indications, which is
    how an off-label use is compared with the labelled regimens.
``table_text()``, ``covered_generics()``, ``describe_table()``, ``normalise_generic(name)``, ``parse_unit(text)``
    The raw table (with its curation header), the generics it covers, one summary line per row,
    generic synonyms ("IVIG", "MMF", salts, biosimilar suffixes), clinical unit spellings for pint.
``LabelPassage``, ``label_dose_passages(store, generic) -> list[LabelPassage]``
    "Dosage and Administration" passages of indexed labels of the generic (by title or by a brand
    that maps to it), from a ``MetadataStore``, the path of ``metadata.sqlite``, or a callable.
``doses_from_label(passages, indication=None) -> list[ReferenceDose]``
    The doses a label passage states plainly ("the recommended dose is 50 mg", "a maximum
    recommended dose of 100 mg"), as references citing the passage id.
``Schedule``, ``parse_frequency(text) -> Schedule | None``
    Reads "daily", "twice daily", "BID", "weekly", "every 4 weeks", "monthly", "q6 months",
    "day 0 and 14", "daily for 5 days every 4 weeks", "x4" ...
``check_dose(generic, dose_value, dose_unit, *, frequency=None, schedule=None, route=None,
indication=None, weight_kg=None, bsa_m2=None, store=None) -> DoseCheck``
    ``DoseCheck.status`` is "within", "above", "below" or "unknown"; ``reference`` is the row that
    decided it (with its ``source``); ``conversion`` shows the arithmetic ("400 mg/day ÷ 60 kg =
    6.7 mg/kg/day > 5 mg/kg/day"); ``explanation`` says what was compared and why; ``checks`` has
    one ``RowCheck`` per reference considered; ``label_passages`` the label passages to cite.

How a dose is judged: every applicable regimen row is checked; a dose is "within" when it fits at
least one of them (regimens are alternatives), "above"/"below" when it is above/below all of them.
Ceiling rows (a maximum only, like the ophthalmology limit for hydroxychloroquine) bind whatever
the regimen: a dose above a ceiling is "above", and a ceiling that cannot be checked (no weight)
makes the result "unknown". Weight- and BSA-based references need ``weight_kg`` / ``bsa_m2``;
without them the result is "unknown" and the explanation shows the range for 50-100 kg (or
1.5-2.0 m²). "Monthly" is read as every 4 weeks. Without a frequency, a per-dose reference is
compared per dose and a per-day or per-period reference gives "unknown".
"""

from __future__ import annotations

import csv
import itertools
import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pint

Status = Literal["within", "above", "below", "unknown"]

TABLE_RESOURCE = "data/reference_doses.tsv"
COLUMNS = (
    "generic", "indication", "indication_terms", "route", "dose_min", "dose_max", "unit", "basis",
    "cap", "schedule", "source_kind", "source", "on_label_indications", "note",
)
# Doses are compared with this relative slack so that float noise and unit rounding
# (1.5 g = 1500 mg, 400 mg / 80 kg = 5.0 mg/kg) never flip a result.
RELATIVE_TOLERANCE = 0.005
# Shown when a weight- or BSA-based reference cannot be checked: a typical adult span.
WEIGHT_SPAN_KG = (50.0, 100.0)
BSA_SPAN_M2 = (1.5, 2.0)
DAYS_PER_MONTH_AS_WEEKS = 28.0  # "monthly" infusions are given every 4 weeks
DAYS_PER_CALENDAR_MONTH = 30.4375  # "every 6 months"

# Generic synonyms and abbreviations seen in questions. Brand names are mapped to generics elsewhere
# (retrieval/query.py); "mycophenolate" alone is deliberately absent: mofetil and mycophenolic acid
# are dosed differently (1 g of the mofetil is about 720 mg of the acid).
_GENERIC_ALIASES: dict[str, str] = {
    "ivig": "immune globulin intravenous",
    "igiv": "immune globulin intravenous",
    "intravenous immunoglobulin": "immune globulin intravenous",
    "intravenous immune globulin": "immune globulin intravenous",
    "intravenous immunoglobulins": "immune globulin intravenous",
    "immune globulin intravenous (human)": "immune globulin intravenous",
    "immune globulin": "immune globulin intravenous",
    "immunoglobulin": "immune globulin intravenous",
    "human immunoglobulin g": "immune globulin intravenous",
    "mmf": "mycophenolate mofetil",
    "hcq": "hydroxychloroquine",
    "mtx": "methotrexate",
    "aza": "azathioprine",
    "cyc": "cyclophosphamide",
    "rtx": "rituximab",
    "fk506": "tacrolimus",
}
_SALT_WORDS = ("sulfate", "sulphate", "sodium", "hydrochloride", "hcl", "monohydrate")
_BIOSIMILAR_SUFFIX = re.compile(r"-[a-z]{4}$")  # rituximab-abbs, tocilizumab-bavi

_ROUTES: dict[str, str] = {
    "iv": "intravenous", "intravenous": "intravenous", "intravenously": "intravenous", "infusion": "intravenous",
    "po": "oral", "oral": "oral", "orally": "oral", "by mouth": "oral",
    "sc": "subcutaneous", "sq": "subcutaneous", "subq": "subcutaneous", "subcut": "subcutaneous",
    "subcutaneous": "subcutaneous", "subcutaneously": "subcutaneous",
    "im": "intramuscular", "intramuscular": "intramuscular",
}

_INDICATION_ALIASES: dict[str, str] = {
    "ra": "rheumatoid arthritis",
    "sle": "systemic lupus erythematosus",
    "dm": "dermatomyositis",
    "itp": "immune thrombocytopenic purpura",
}


# --- the curated table ------------------------------------------------------------------------

@dataclass(frozen=True)
class ReferenceDose:
    """One reference regimen with its source. Amounts are in ``unit`` per ``basis``."""

    generic: str
    indication: str
    indication_terms: tuple[str, ...]
    routes: tuple[str, ...]
    dose_min: float | None
    dose_max: float | None
    unit: str
    basis: str
    cap: str | None
    schedule: str
    source_kind: str  # "label" or "guideline"
    source: str
    on_label_indications: str = ""
    note: str = ""
    passage_id: str | None = None  # set when the reference was read from an indexed label passage

    @property
    def is_ceiling(self) -> bool:
        """A maximum only (e.g. the retinopathy limit for hydroxychloroquine)."""
        return self.dose_min is None and self.dose_max is not None

    @property
    def applies_to_any_indication(self) -> bool:
        return self.indication.strip().lower() == "any"

    @property
    def period_days(self) -> float | None:
        """Days in the basis period; None for "per dose" and "per course"."""
        return _basis_days(self.basis)

    def range_text(self) -> str:
        unit = _unit_display(self.unit)
        basis = _basis_display(self.basis)
        if self.dose_min is None:
            return f"at most {_fmt(self.dose_max or 0)} {unit}{basis}"
        if self.dose_max is None or math.isclose(self.dose_min, self.dose_max):
            return f"{_fmt(self.dose_min)} {unit}{basis}"
        return f"{_fmt(self.dose_min)}-{_fmt(self.dose_max)} {unit}{basis}"

    def matches_indication(self, indication: str) -> bool:
        """True when one of the row's phrases occurs in ``indication`` as whole words."""
        text = _normalise_indication(indication)
        return any(re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text) for term in self.indication_terms)


def _basis_days(basis: str) -> float | None:
    text = basis.strip().lower()
    if text in ("per dose", "per course"):
        return None
    match = re.fullmatch(r"per (?:(\d+(?:\.\d+)?) )?(day|week|month)s?", text)
    if not match:
        raise ValueError(f"unknown dose basis {basis!r}")
    count = float(match.group(1) or 1)
    return count * {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH_AS_WEEKS}[match.group(2)]


def _float_or_none(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _row_to_reference(row: dict[str, str]) -> ReferenceDose:
    return ReferenceDose(
        generic=row["generic"].strip().lower(),
        indication=row["indication"].strip(),
        indication_terms=tuple(t.strip().lower() for t in row["indication_terms"].split(";") if t.strip()),
        routes=tuple(_ROUTES.get(r.strip().lower(), r.strip().lower()) for r in row["route"].split(";") if r.strip()),
        dose_min=_float_or_none(row["dose_min"]),
        dose_max=_float_or_none(row["dose_max"]),
        unit=row["unit"].strip(),
        basis=row["basis"].strip().lower(),
        cap=row["cap"].strip() or None,
        schedule=row["schedule"].strip(),
        source_kind=row["source_kind"].strip(),
        source=row["source"].strip(),
        on_label_indications=row["on_label_indications"].strip(),
        note=row["note"].strip(),
    )


def table_text() -> str:
    """The curated table as shipped (header comments included)."""
    return resources.files("curbside.evidence").joinpath(TABLE_RESOURCE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _load_table() -> tuple[ReferenceDose, ...]:
    lines = [line for line in table_text().splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{TABLE_RESOURCE}: expected columns {COLUMNS}, found {reader.fieldnames}")
    return tuple(_row_to_reference(row) for row in reader)


def load_reference_doses() -> list[ReferenceDose]:
    """Every row of the curated table, in file order."""
    return list(_load_table())


def normalise_generic(name: str) -> str:
    """Lower-case generic name with synonyms, salts and biosimilar suffixes resolved."""
    text = " ".join(name.strip().lower().split())
    if text in _GENERIC_ALIASES:
        return _GENERIC_ALIASES[text]
    known = {row.generic for row in _load_table()}
    if text in known:
        return text
    stripped = _BIOSIMILAR_SUFFIX.sub("", text)
    words = [w for w in stripped.split() if w not in _SALT_WORDS]
    candidate = " ".join(words)
    return _GENERIC_ALIASES.get(candidate, candidate)


def normalise_route(route: str | None) -> str | None:
    if route is None or not route.strip():
        return None
    text = route.strip().lower()
    return _ROUTES.get(text, text)


def _normalise_indication(indication: str) -> str:
    text = " ".join(indication.strip().lower().split())
    return _INDICATION_ALIASES.get(text, text)


def reference_for(generic: str, indication: str | None = None, route: str | None = None) -> list[ReferenceDose]:
    """Reference rows for a generic, most specific first (see the module docstring)."""
    key = normalise_generic(generic)
    rows = [row for row in _load_table() if row.generic == key]
    wanted_route = normalise_route(route)
    if wanted_route:
        rows = [row for row in rows if wanted_route in row.routes]
    if not indication or not indication.strip():
        return rows
    specific = [row for row in rows if not row.applies_to_any_indication and row.matches_indication(indication)]
    general = [row for row in rows if row.applies_to_any_indication]
    if specific or any(not row.is_ceiling for row in general):
        return specific + general
    # Nothing for this indication: the labelled regimens of other indications are the nearest reference.
    others = [row for row in rows if not row.applies_to_any_indication and row not in specific]
    return general + others


# --- labels in the index ------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelPassage:
    """A "Dosage and Administration" passage of an indexed drug label, citable by ``passage_id``."""

    passage_id: str
    doc_id: str
    title: str
    section: str
    text: str
    year: int | None = None


# A MetadataStore, the path of metadata.sqlite, Callable[[str], Iterable[LabelPassage]], or a list of passages.
LabelSource = Any


def label_dose_passages(store: LabelSource, generic: str) -> list[LabelPassage]:
    """"Dosage and Administration" passages of indexed labels whose title names the generic or a
    brand that maps to it. ``store`` is a ``MetadataStore`` (its file is read through a separate
    read-only connection), the path of ``metadata.sqlite``, or a callable ``generic -> passages``."""
    key = normalise_generic(generic)
    if callable(store):
        return [p for p in store(key) if _is_dosage_section(p.section)]
    if isinstance(store, (list, tuple)):  # passages already fetched by the caller
        return [p for p in store if _is_dosage_section(p.section)]
    path = Path(getattr(store, "path", store))
    if not path.is_file():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        brands = [r[0].lower() for r in db.execute("SELECT brand FROM drug_names WHERE lower(generic)=?", (key,))]
        names = [key, *brands]
        docs = [
            (doc_key, doc_id, title, year)
            for doc_key, doc_id, title, year in db.execute(
                "SELECT doc_key, doc_id, title, year FROM documents WHERE doc_type='drug_label' ORDER BY doc_id"
            )
            if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", title.lower()) for name in names)
        ]
        out: list[LabelPassage] = []
        for doc_key, doc_id, title, year in docs:
            rows = db.execute(
                "SELECT passage_id, section, text FROM passages WHERE doc_key=? ORDER BY ordinal", (doc_key,)
            )
            out.extend(
                LabelPassage(pid, doc_id, title, section, text, year)
                for pid, section, text in rows
                if _is_dosage_section(section)
            )
        return out
    finally:
        db.close()


def _is_dosage_section(section: str) -> bool:
    return section == "Dosage and Administration" or section.startswith("Dosage and Administration >")


# Subsections about adjustments give doses for particular patients, not the reference regimen.
_ADJUSTMENT_SECTION = re.compile(r"adjust|interaction|special population|renal|hepatic|pediatric|elderly|geriatric", re.IGNORECASE)
_NUM = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_UNIT = r"(mg|g|mcg|micrograms?|milligrams?|grams?)(?:\s*(?:/|per)\s*(kg|m2|m²|m\^2))?"
_LABEL_MAX = re.compile(rf"maximum (?:recommended )?(?:daily |single )?(?:dose|dosage) (?:is|of) {_NUM}\s*{_UNIT}", re.IGNORECASE)
_LABEL_RANGE = re.compile(
    rf"recommended (?:starting |initial |adult )?(?:daily )?(?:dose|dosage) (?:is|of) {_NUM}\s*(?:mg|g|mcg)?\s*(?:to|-|–)\s*{_NUM}\s*{_UNIT}",
    re.IGNORECASE,
)
_LABEL_SINGLE = re.compile(rf"recommended (?:starting |initial |adult )?(?:daily )?(?:dose|dosage) (?:is|of) {_NUM}\s*{_UNIT}", re.IGNORECASE)
_LABEL_LOWER = re.compile(rf"(?:decreased|reduced) to {_NUM}\s*{_UNIT}", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _label_unit(mass: str, per: str | None) -> str:
    mass = mass.lower()
    base = {"mcg": "microgram", "microgram": "microgram", "micrograms": "microgram", "milligram": "mg",
            "milligrams": "mg", "gram": "g", "grams": "g"}.get(mass, mass)
    if not per:
        return base
    return f"{base}/kg" if per.lower() == "kg" else f"{base}/m**2"


def doses_from_label(
    passages: Sequence[LabelPassage], indication: str | None = None, *, generic: str = ""
) -> list[ReferenceDose]:
    """References read from plainly worded label sentences, one per passage that states a dose.

    Only "recommended dose is/of X [to Y]", "maximum recommended dose of Y" and "decreased to Z" are
    read; anything else is left to the curated table, because a misread label dose is worse than none.
    With an ``indication``, only passages whose section or text names it are read.
    """
    out: list[ReferenceDose] = []
    for passage in passages:
        if _ADJUSTMENT_SECTION.search(passage.section):
            continue
        if indication and not _mentions(passage, indication):
            continue
        lows: list[float] = []
        highs: list[float] = []
        ceiling: float | None = None
        unit: str | None = None
        per_day = False
        quoted: list[str] = []
        for sentence in _SENTENCE.split(passage.text):
            found: list[tuple[str, float, float, str]] = []
            for match in _LABEL_RANGE.finditer(sentence):
                found.append(("range", _num(match.group(1)), _num(match.group(2)), _label_unit(match.group(3), match.group(4))))
            sentence_rest = _LABEL_RANGE.sub(" ", sentence)
            for match in _LABEL_MAX.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("max", value, value, _label_unit(match.group(2), match.group(3))))
            sentence_rest = _LABEL_MAX.sub(" ", sentence_rest)
            for match in _LABEL_SINGLE.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("single", value, value, _label_unit(match.group(2), match.group(3))))
            for match in _LABEL_LOWER.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("lower", value, value, _label_unit(match.group(2), match.group(3))))
            if found:
                quoted.append(" ".join(sentence.split()))
            for kind, low, high, found_unit in found:
                unit = unit or found_unit
                if found_unit != unit:
                    continue  # a second unit in one passage: keep only the first, do not mix
                if re.search(r"\b(?:daily|per day|a day|once a day)\b", sentence, re.IGNORECASE) and kind != "lower":
                    per_day = True
                if kind == "max":
                    ceiling = high if ceiling is None else max(ceiling, high)
                else:
                    lows.append(low)
                    highs.append(high)
        if unit is None or (not lows and ceiling is None):
            continue
        dose_min = min(lows) if lows else None
        dose_max = ceiling if ceiling is not None else max(highs)
        out.append(
            ReferenceDose(
                generic=normalise_generic(generic) if generic else "", indication=indication or "as labelled",
                indication_terms=(), routes=(),
                dose_min=dose_min, dose_max=dose_max, unit=unit, basis="per day" if per_day else "per dose",
                cap=None, schedule=" ".join(quoted), source_kind="label",
                source=f"{passage.title} — {passage.section} (passage {passage.passage_id})",
                note="Read from the label text in the index.", passage_id=passage.passage_id,
            )
        )
    return out


def _mentions(passage: LabelPassage, indication: str) -> bool:
    text = f"{passage.section} {passage.text}".lower()
    words = [w for w in re.findall(r"[a-z0-9-]+", _normalise_indication(indication)) if len(w) > 3]
    return bool(words) and all(w in text for w in words)


def _num(text: str) -> float:
    return float(text.replace(",", ""))


# --- frequencies ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """How often a dose is given.

    ``interval_days``: spacing between doses (0.5 for twice daily). ``course_doses``: doses in one
    course ("day 0 and 14" = 2; None = continuing). ``cycle_days``: a course repeats every so many
    days. ``total_over_days``: the dose is the total given over that many days ("2 g/kg over 5 days").
    """

    interval_days: float | None
    course_doses: int | None = None
    cycle_days: float | None = None
    total_over_days: float | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        parts: list[str] = []
        if self.total_over_days:
            parts.append(f"one course given over {_fmt(self.total_over_days)} days")
        elif self.course_doses and self.interval_days and math.isclose(self.interval_days, 1):
            parts.append(f"daily for {self.course_doses} days")
        elif self.course_doses and self.interval_days and math.isclose(self.interval_days, 7):
            parts.append(f"weekly for {self.course_doses} doses")
        elif self.course_doses and self.interval_days:
            parts.append(f"{self.course_doses} doses {_days_text(self.interval_days)} apart")
        elif self.course_doses:
            parts.append(f"{self.course_doses} dose{'s' if self.course_doses != 1 else ''}")
        elif self.interval_days:
            parts.append(_interval_text(self.interval_days))
        if self.cycle_days:
            parts.append(f"repeated every {_days_text(self.cycle_days)}")
        return ", ".join(parts) or ", ".join(self.notes) or "schedule not understood"

    def doses_in(self, period_days: float) -> tuple[float, list[str]]:
        """Doses falling in one reference period, with the assumptions made."""
        notes: list[str] = []
        per_course = 1 if self.total_over_days else self.course_doses
        if per_course is None:
            if not self.interval_days:
                raise _Missing("how often the dose is given (for example 'daily' or 'every 4 weeks')")
            return period_days / self.interval_days, notes
        if self.cycle_days and period_days >= self.cycle_days:
            return per_course * period_days / self.cycle_days, notes
        if not self.cycle_days:
            notes.append(f"repeat interval not given: one course counted per {_days_text(period_days)}")
        if self.total_over_days or not self.interval_days:
            return float(per_course), notes
        window = math.floor((period_days - 1e-9) / self.interval_days) + 1
        return float(min(per_course, window)), notes


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10, "twelve": 12}
_UNIT_DAYS = {"h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24, "d": 1.0, "day": 1.0,
              "days": 1.0, "w": 7.0, "wk": 7.0, "wks": 7.0, "week": 7.0, "weeks": 7.0,
              "mo": DAYS_PER_CALENDAR_MONTH, "mos": DAYS_PER_CALENDAR_MONTH, "month": DAYS_PER_CALENDAR_MONTH,
              "months": DAYS_PER_CALENDAR_MONTH}
# Fixed phrases, most specific first; each match is blanked so that "twice weekly" is not also "weekly".
_FIXED_INTERVALS: tuple[tuple[str, float, str | None], ...] = (
    (r"\b(?:(?:four|4) times (?:a |per )?day|four times daily|qid|q\.i\.d\.?|q6h)(?!\w)", 0.25, None),
    (r"\b(?:(?:three|3) times (?:a |per )?day|three times daily|tid|t\.i\.d\.?|q8h)(?!\w)", 1 / 3, None),
    (r"\b(?:twice (?:a |per )?day|twice daily|(?:two|2) times (?:a |per )?day|bid|b\.i\.d\.?|q12h)(?!\w)", 0.5, None),
    (r"\b(?:twice (?:a |per )?week|twice weekly|(?:two|2) times (?:a |per )?week)\b", 3.5, None),
    (r"\b(?:every other day|alternate days|qod|eod)\b", 2.0, None),
    (r"\b(?:every other week|fortnightly|biweekly|q2w|q2wk)\b", 14.0, "'biweekly' read as every 2 weeks"),
    (r"\b(?:once )?(?:monthly|a month|per month|every month|q ?month|q1mo?)\b", DAYS_PER_MONTH_AS_WEEKS,
     "monthly read as every 4 weeks"),
    (r"\b(?:once )?(?:weekly|a week|per week|every week|qw|qwk|q1w)\b", 7.0, None),
    (r"(?:\b(?:once )?(?:daily|a day|per day|each day|every day|nightly|qd|od|q24h|qam|qhs)\b|/day\b)", 1.0, None),
)
_EVERY_N = re.compile(
    r"\b(?:every|q)\s*(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*"
    r"(hours?|hrs?|h|days?|d|weeks?|wks?|wk|w|months?|mos?)\b"
)
_APART = re.compile(r"\b(\d+(?:\.\d+)?)\s*(days?|weeks?|months?)\s+apart\b")
_DAY_LIST = re.compile(r"\bdays?\s+(\d+(?:\s*(?:,|and|&|\+)\s*(?:day\s+)?\d+)+)")
_FOR_N = re.compile(r"\b(for|x|×)\s*(\d+|one|two|three|four|five|six|eight|ten|twelve)\s*(doses?|infusions?|days?|weeks?)\b")
_TIMES_N = re.compile(r"(?:\bx|×)\s*(\d+)\b")
_N_DOSES = re.compile(r"\b(\d+|two|three|four|five|six|eight|ten|twelve)\s+(?:doses|infusions)\b")
_AS_NEEDED = re.compile(r"\b(?:as needed|prn|p\.r\.n\.?|on demand)(?!\w)")
_SINGLE = re.compile(r"\b(?:once|single dose|one dose|one-time|one time|stat)\b")
_DIVIDED_OVER = re.compile(r"\b(?:divided\s+)?over\s+(\d+)(?:\s*(?:-|to)\s*(\d+))?\s*(?:consecutive\s+)?days?\b")


def parse_frequency(text: str | None) -> Schedule | None:
    """Read a frequency/schedule phrase; None when nothing in it is recognised."""
    if not text or not text.strip():
        return None
    work = " " + " ".join(text.lower().replace("–", "-").split()) + " "
    notes: list[str] = []
    intervals: list[float] = []

    def take(pattern: re.Pattern[str] | str, handler: Callable[[re.Match[str]], None]) -> None:
        nonlocal work
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        for match in list(regex.finditer(work)):
            handler(match)
        work = regex.sub(lambda m: " " * len(m.group(0)), work)

    course: int | None = None
    total_over: float | None = None
    course_days: float | None = None

    def day_list(match: re.Match[str]) -> None:
        nonlocal course
        days = [float(n) for n in re.findall(r"\d+", match.group(1))]
        course = len(days)
        if len(days) >= 2:
            intervals.append(min(b - a for a, b in itertools.pairwise(days)) or 1.0)

    def apart(match: re.Match[str]) -> None:
        intervals.append(float(match.group(1)) * _UNIT_DAYS[match.group(2)])

    def every_n(match: re.Match[str]) -> None:
        intervals.append(float(match.group(1)) * _UNIT_DAYS[match.group(3)])
        if match.group(2):
            notes.append(f"'{match.group(0).strip()}' read as every {match.group(1)} {match.group(3)}")

    def divided_over(match: re.Match[str]) -> None:
        nonlocal total_over
        total_over = float(match.group(2) or match.group(1))

    def for_n(match: re.Match[str]) -> None:
        nonlocal course, course_days
        count = int(_WORD_NUMBERS.get(match.group(2), match.group(2) if match.group(2).isdigit() else 0))
        unit = match.group(3)
        if unit.startswith(("dose", "infusion")):
            course = count
        else:
            course_days = count * (7.0 if unit.startswith("week") else 1.0)

    def times_n(match: re.Match[str]) -> None:
        nonlocal course
        course = int(match.group(1))

    def n_doses(match: re.Match[str]) -> None:
        nonlocal course
        word = match.group(1)
        course = int(_WORD_NUMBERS.get(word, word if word.isdigit() else 0)) or None

    take(_DAY_LIST, day_list)
    take(_APART, apart)
    take(_DIVIDED_OVER, divided_over)
    for pattern, days, note in _FIXED_INTERVALS:
        def fixed(match: re.Match[str], days: float = days, note: str | None = note) -> None:
            intervals.append(days)
            if note:
                notes.append(note)
        take(pattern, fixed)
    take(_EVERY_N, every_n)
    take(_FOR_N, for_n)
    take(_TIMES_N, times_n)
    take(_N_DOSES, n_doses)
    as_needed = bool(_AS_NEEDED.search(work))
    if as_needed:
        notes.append("as needed")
    elif course is None and not intervals and _SINGLE.search(work):
        course = 1

    if not intervals and course is None and total_over is None and course_days is None:
        return Schedule(interval_days=None, notes=tuple(notes)) if as_needed else None
    intra = min(intervals) if intervals else None
    cycle = max(intervals) if len(intervals) > 1 and max(intervals) > min(intervals) else None
    if course_days is not None and course is None:
        step = intra or 1.0
        course = max(1, round(course_days / step))
        intra = step
    if total_over is not None and intra is not None:
        if intra < total_over and course is None:
            # "0.4 g/kg daily over 5 days": the dose is per day, five of them.
            course, total_over = max(1, round(total_over / intra)), None
        elif cycle is None:
            # "2 g/kg over 5 days every 4 weeks": the interval repeats the course.
            cycle, intra = intra, None
    if course is None and total_over is None:
        cycle = None  # no course: the smallest interval is the dosing interval
    return Schedule(interval_days=intra, course_doses=course, cycle_days=cycle, total_over_days=total_over,
                    notes=tuple(dict.fromkeys(notes)))


# --- checking a dose ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowCheck:
    """The dose compared with one reference row."""

    reference: ReferenceDose
    status: Status
    value: float | None  # the dose in the row's unit and basis; None when it could not be computed
    conversion: str
    note: str = ""


@dataclass(frozen=True)
class DoseCheck:
    """The verdict on one dose; ``reference`` is the row that decided it."""

    generic: str
    dose: str
    status: Status
    reference: ReferenceDose | None
    conversion: str
    explanation: str
    checks: tuple[RowCheck, ...] = ()
    label_passages: tuple[LabelPassage, ...] = field(default=())

    @property
    def source(self) -> str | None:
        return self.reference.source if self.reference else None


class _Missing(Exception):
    """A fact the comparison needs (weight, BSA, frequency) is missing."""

    def __init__(self, need: str, hint: str = "") -> None:
        super().__init__(need)
        self.need = need
        self.hint = hint


@lru_cache(maxsize=1)
def _ureg() -> pint.UnitRegistry:
    return pint.UnitRegistry()


def parse_unit(unit: str) -> pint.Unit:
    """A pint unit from clinical spelling: "mg", "g/kg", "mcg", "mg/m2", "mg/kg/day", "g per day"."""
    text = " ".join(unit.strip().split())
    text = re.sub(r"\s*\bper\b\s*", "/", text, flags=re.IGNORECASE)
    text = re.sub(r"\bmcg\b|μg|µg", "microgram", text)
    text = re.sub(r"m(?:2|²|\^2)\b", "m**2", text)
    text = re.sub(r"/(?:d)\b", "/day", text)
    text = re.sub(r"/(?:wk)\b", "/week", text)
    return _ureg().Unit(text)


def _quantity_kind(unit_text: str, quantity: pint.Quantity) -> tuple[str, bool]:
    """("mass" | "per_kg" | "per_m2", is_rate) for a dose quantity; raises ValueError otherwise."""
    dims = dict(quantity.dimensionality)
    time = dims.pop("[time]", 0)
    if time not in (0, -1):
        raise ValueError("not a dose unit")
    if dims == {"[mass]": 1}:
        kind = "mass"
    elif not dims and re.search(r"kg|kilogram", unit_text, re.IGNORECASE):
        kind = "per_kg"  # mass per body mass: dimensionless in pint, so check the spelling
    elif dims == {"[mass]": 1, "[length]": -2}:
        kind = "per_m2"
    else:
        raise ValueError("not a dose unit")
    return kind, time == -1


def _row_kind(row: ReferenceDose) -> str:
    unit = parse_unit(row.unit)
    kind, _ = _quantity_kind(row.unit, _ureg().Quantity(1, unit))
    return kind


def check_dose(
    generic: str,
    dose_value: float,
    dose_unit: str,
    *,
    frequency: str | None = None,
    schedule: str | None = None,
    route: str | None = None,
    indication: str | None = None,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
    store: LabelSource | None = None,
) -> DoseCheck:
    """Check one dose of a regimen against reference dosing (see the module docstring)."""
    key = normalise_generic(generic)
    dose_text = f"{_fmt(dose_value)} {dose_unit}" + (f" {frequency}" if frequency else "") + (
        f" ({schedule})" if schedule else ""
    )
    passages = tuple(label_dose_passages(store, key)) if store is not None else ()

    def unknown(explanation: str, checks: Sequence[RowCheck] = (), ref: ReferenceDose | None = None) -> DoseCheck:
        return DoseCheck(key, dose_text, "unknown", ref, checks[0].conversion if checks else "", explanation,
                         tuple(checks), passages)

    if key == "mycophenolate":
        return unknown("Say which mycophenolate: mycophenolate mofetil and mycophenolic acid are dosed differently.")
    try:
        unit = parse_unit(dose_unit)
        dose_q = _ureg().Quantity(float(dose_value), unit)
        dose_kind, is_rate = _quantity_kind(dose_unit, dose_q)
    except (pint.errors.PintError, ValueError, AttributeError, TypeError):
        return unknown(f"Could not read the dose unit {dose_unit!r}; give a mass (mg, g, mcg) or mg/kg or mg/m².")
    if dose_value <= 0 or not math.isfinite(dose_value):
        return unknown("The dose must be a positive number.")

    freq_text = "; ".join(t for t in (frequency, schedule) if t)
    sched = parse_frequency(freq_text)
    if freq_text and sched is None:
        freq_note = f"Frequency {freq_text!r} not understood."
    else:
        freq_note = ""

    rows = reference_for(key, indication, route)
    route_note = ""
    if not rows and route and reference_for(key, indication):
        rows = reference_for(key, indication)
        route_note = f"No reference for the {normalise_route(route)} route; compared with other routes."
    label_refs = doses_from_label(passages, indication, generic=key) if passages else []
    label_note = ""
    if label_refs:
        # A label in the index is preferred over the table's regimens; the table's ceilings still apply.
        rows = label_refs + [row for row in rows if row.is_ceiling]
        label_note = "Reference read from the label in the index."
    if not rows:
        where = " or in the indexed labels" if store is not None else ""
        return unknown(f"No reference dosing for {key} in the curated table{where}; the dose was not checked.")

    specific = bool(indication) and any(
        not r.applies_to_any_indication and r.matches_indication(indication or "") for r in rows
    )
    checks = [_check_row(row, dose_q, dose_kind, is_rate, sched, weight_kg, bsa_m2) for row in rows]
    status, primary = _combine(checks)
    explanation = _explain(key, indication, specific, status, primary, checks,
                           [freq_note, route_note, label_note], bool(label_refs))
    conversion = primary.conversion if primary else ""
    # A ceiling binds whatever regimen decided, so its arithmetic is shown too.
    extra = [c.conversion for c in checks if c is not primary and c.reference.is_ceiling and c.conversion]
    conversion = "; ".join([conversion, *extra]) if conversion else "; ".join(extra)
    return DoseCheck(key, dose_text, status, primary.reference if primary else None, conversion, explanation,
                     tuple(checks), passages)


def _check_row(
    row: ReferenceDose,
    dose_q: pint.Quantity,
    dose_kind: str,
    is_rate: bool,
    sched: Schedule | None,
    weight_kg: float | None,
    bsa_m2: float | None,
) -> RowCheck:
    ureg = _ureg()
    basis = _basis_display(row.basis)
    steps: list[str] = []
    notes: list[str] = list(sched.notes) if sched else []
    per_dose: pint.Quantity | None = None
    try:
        target_kind = _row_kind(row)
        period = row.period_days
        if row.basis == "per dose":
            if is_rate:
                if sched is None or sched.interval_days is None or sched.course_doses or sched.total_over_days:
                    raise _Missing("the amount given per dose")
                per_dose = _tidy(dose_q * ureg.Quantity(sched.interval_days, "day"))
                steps.append(f"{_q(dose_q)} × {_days_text(sched.interval_days)} = {_q(per_dose)} per dose")
            else:
                per_dose = dose_q
            amount = per_dose
        elif row.basis == "per course":
            if is_rate:
                raise _Missing("the amount per dose and the number of doses in the course")
            per_dose = dose_q
            if sched is not None and sched.course_doses and not sched.total_over_days:
                amount = dose_q * sched.course_doses
                steps.append(f"{_q(dose_q)} × {sched.course_doses} doses = {_q(amount)} per course")
            else:
                amount = dose_q
                notes.append("dose read as the total for the course")
        else:
            assert period is not None
            if is_rate:
                amount = _tidy(dose_q * ureg.Quantity(period, "day"))
                if not math.isclose(period, 1.0):
                    steps.append(f"{_q(dose_q)} = {_q(amount)}{basis}")
            else:
                per_dose = dose_q
                if sched is None:
                    raise _Missing("how often the dose is given (for example 'daily' or 'every 4 weeks')")
                count, assumed = sched.doses_in(period)
                notes.extend(assumed)
                amount = dose_q * count
                if not math.isclose(count, 1.0):
                    steps.append(f"{_q(dose_q)} × {_fmt(count)} doses{basis} = {_q(amount)}{basis}")
        value_q, convert_steps = _convert_kind(amount, dose_kind, target_kind, weight_kg, bsa_m2, row)
        steps.extend(convert_steps)
        value = float(value_q.to(parse_unit(row.unit)).magnitude)
    except _Missing as missing:
        conversion = "; ".join(steps + ([missing.hint] if missing.hint else []))
        return RowCheck(row, "unknown", None, conversion, "; ".join([f"needs {missing.need}", *notes]))
    except (pint.errors.DimensionalityError, ValueError) as exc:
        return RowCheck(row, "unknown", None, "; ".join(steps), f"units not comparable ({exc})")

    status = _compare(value, row.dose_min, row.dose_max)
    shown = f"{_fmt(value)} {_unit_display(row.unit)}{basis}"
    last = f"{_q(value_q)}{basis}" if not convert_steps else ""
    if not steps or not steps[-1].endswith(shown):
        # The dose in the reference's own unit, with the conversion when the units differ (1 g = 1000 mg).
        steps.append(f"{last} = {shown}" if last and last != shown else shown)
    unit = _unit_display(row.unit)
    if status == "above":
        relation = f"> {_fmt(row.dose_max or 0)} {unit}{basis}"
    elif status == "below":
        relation = f"< {_fmt(row.dose_min or 0)} {unit}{basis}"
    elif row.is_ceiling:
        relation = f"≤ {_fmt(row.dose_max or 0)} {unit}{basis}"
    else:
        relation = f"within {row.range_text()}"
    conversion = "; ".join(steps) + f" {relation}"
    if row.cap and per_dose is not None and status != "above":
        cap_status, cap_text = _check_cap(row, per_dose, dose_kind, weight_kg, bsa_m2)
        if cap_status == "above":
            status = "above"
        if cap_text:
            conversion += f"; {cap_text}"
    if sched is not None and row.basis == "per dose":
        conversion += f"; schedule given: {sched.describe()}; reference: {row.schedule}"
    return RowCheck(row, status, value, conversion, "; ".join(notes))


def _convert_kind(
    amount: pint.Quantity,
    kind: str,
    target: str,
    weight_kg: float | None,
    bsa_m2: float | None,
    row: ReferenceDose,
) -> tuple[pint.Quantity, list[str]]:
    """The amount (per dose or per basis period) as mass, per kg or per m², using weight or BSA."""
    ureg = _ureg()
    if kind == target:
        return amount, []
    basis = _basis_display(row.basis)
    weight = ureg.Quantity(weight_kg, "kg") if weight_kg else None
    bsa = ureg.Quantity(bsa_m2, "m**2") if bsa_m2 else None
    steps: list[str] = []
    # To a mass first, then to the reference's kind.
    if kind == "per_kg":
        if weight is None:
            raise _Missing("the patient's weight", _span_hint(amount, "per_kg", basis))
        mass = _tidy(amount * weight)
        steps.append(f"{_q(amount)}{basis} × {_fmt(weight_kg or 0)} kg = {_q(mass)}{basis}")
    elif kind == "per_m2":
        if bsa is None:
            raise _Missing("body surface area", _span_hint(amount, "per_m2", basis))
        mass = _tidy(amount * bsa)
        steps.append(f"{_q(amount)}{basis} × {_fmt(bsa_m2 or 0)} m² = {_q(mass)}{basis}")
    else:
        mass = _tidy(amount)
    if target == "mass":
        return mass, steps
    unit = parse_unit(row.unit)
    if target == "per_kg":
        if weight is None:
            raise _Missing("the patient's weight", _range_hint(row, mass, "kg"))
        value = (mass / weight).to(unit)
        steps.append(f"{_q(mass)}{basis} ÷ {_fmt(weight_kg or 0)} kg = {_fmt(value.magnitude)} "
                     f"{_unit_display(row.unit)}{basis}")
        return value, steps
    if bsa is None:
        raise _Missing("body surface area", _range_hint(row, mass, "m2"))
    value = (mass / bsa).to(unit)
    steps.append(f"{_q(mass)}{basis} ÷ {_fmt(bsa_m2 or 0)} m² = {_fmt(value.magnitude)} "
                 f"{_unit_display(row.unit)}{basis}")
    return value, steps


def _tidy(q: pint.Quantity) -> pint.Quantity:
    """Masses in mg below 10 g, else in g; other amounts with units simplified (mg/kg stays mg/kg)."""
    try:
        grams = q.to("g").magnitude
    except pint.errors.DimensionalityError:
        pass
    else:
        return q.to("g") if abs(grams) >= 10 else q.to("mg")
    for unit in ("mg/kg", "mg/m**2"):
        try:
            return q.to(unit)
        except pint.errors.DimensionalityError:
            continue
    return q.to_reduced_units()


def _check_cap(
    row: ReferenceDose, per_dose: pint.Quantity, kind: str, weight_kg: float | None, bsa_m2: float | None
) -> tuple[Status, str]:
    """A per-dose ceiling such as "doses above 800 mg per infusion are not recommended"."""
    cap = _ureg().Quantity(row.cap)
    try:
        mass, _ = _convert_kind(per_dose, kind, "mass", weight_kg, bsa_m2, row)
    except _Missing:
        return "unknown", f"cap {row.cap} per dose not checked (needs weight)"
    mass_in_cap = float(mass.to(cap.units).magnitude)
    if mass_in_cap > cap.magnitude * (1 + RELATIVE_TOLERANCE):
        return "above", f"{_fmt(mass_in_cap)} {cap.units:~} per dose > cap {row.cap} per dose"
    return "within", f"{_fmt(mass_in_cap)} {cap.units:~} per dose ≤ cap {row.cap}"


def _span_hint(amount: pint.Quantity, kind: str, basis: str) -> str:
    """What a per-kg or per-m² dose amounts to across a typical adult span."""
    if kind == "per_kg":
        low, high, size, unit = *WEIGHT_SPAN_KG, "kg", "kg"
    else:
        low, high, size, unit = *BSA_SPAN_M2, "m**2", "m²"
    q_low = _tidy(amount * _ureg().Quantity(low, size))
    q_high = (amount * _ureg().Quantity(high, size)).to(q_low.units)
    return f"{_q(amount)}{basis} is {_fmt(q_low.magnitude)}-{_q(q_high)}{basis} for {_fmt(low)}-{_fmt(high)} {unit}"


def _range_hint(row: ReferenceDose, mass: pint.Quantity, per: str) -> str:
    """The reference range in absolute terms across a typical span, and where this dose would fit."""
    low_size, high_size, size_unit = (*WEIGHT_SPAN_KG, "kg") if per == "kg" else (*BSA_SPAN_M2, "m²")
    size = _ureg().kg if per == "kg" else _ureg().m ** 2
    # Mass for 1 kg (or 1 m²) of the reference unit, in the dose's mass unit.
    per_size = _ureg().Quantity(1, parse_unit(row.unit) * size).to(mass.units).magnitude
    basis = _basis_display(row.basis)
    given = float(mass.magnitude)
    mass_unit = f"{mass.units:~}"
    span = f"for {_fmt(low_size)}-{_fmt(high_size)} {size_unit}"
    if row.dose_min is None and row.dose_max is not None:
        top = row.dose_max * per_size
        return (f"{_fmt(row.dose_max)} {_unit_display(row.unit)}{basis} is at most {_fmt(top * low_size)}-"
                f"{_fmt(top * high_size)} {mass_unit}{basis} {span}; {_fmt(given)} {mass_unit}{basis} stays "
                f"within at ≥ {_fmt(given / top)} {size_unit}")
    if row.dose_min is None or row.dose_max is None:
        return ""
    lo, hi = row.dose_min * per_size, row.dose_max * per_size
    fits_low, fits_high = given / hi, given / lo
    fit = (f"{_fmt(fits_low)} {size_unit}" if math.isclose(fits_low, fits_high)
           else f"{_fmt(fits_low)}-{_fmt(fits_high)} {size_unit}")
    return (f"{row.range_text()} is {_fmt(lo * low_size)}-{_fmt(hi * high_size)} {mass_unit}{basis} {span}; "
            f"{_fmt(given)} {mass_unit}{basis} fits at {fit}")


def _compare(value: float, low: float | None, high: float | None) -> Status:
    if low is not None and value < low * (1 - RELATIVE_TOLERANCE):
        return "below"
    if high is not None and value > high * (1 + RELATIVE_TOLERANCE):
        return "above"
    return "within"


def _combine(checks: Sequence[RowCheck]) -> tuple[Status, RowCheck | None]:
    """Ceilings bind; otherwise within any regimen is within (see the module docstring)."""
    ceilings = [c for c in checks if c.reference.is_ceiling]
    regimens = [c for c in checks if not c.reference.is_ceiling]
    for check in ceilings:
        if check.status == "above":
            return "above", check
    unknown_ceiling = next((c for c in ceilings if c.status == "unknown"), None)
    within = next((c for c in regimens if c.status == "within"), None)
    if unknown_ceiling is not None:
        return "unknown", unknown_ceiling
    if not regimens:
        return (ceilings[0].status, ceilings[0]) if ceilings else ("unknown", None)
    if within is not None:
        return "within", within
    unknown = next((c for c in regimens if c.status == "unknown"), None)
    if unknown is not None:
        return "unknown", unknown
    statuses = {c.status for c in regimens}
    if statuses == {"above"}:
        return "above", min(regimens, key=lambda c: (c.value or 0) / (c.reference.dose_max or 1))
    if statuses == {"below"}:
        return "below", max(regimens, key=lambda c: (c.value or 0) / (c.reference.dose_min or 1))
    return "unknown", regimens[0]  # between regimens: above one, below another


def _explain(
    generic: str,
    indication: str | None,
    specific: bool,
    status: Status,
    primary: RowCheck | None,
    checks: Sequence[RowCheck],
    notes: Sequence[str],
    from_label: bool,
) -> str:
    parts: list[str] = []
    off_label = indication and not specific and not from_label
    if off_label and any(not c.reference.applies_to_any_indication for c in checks):
        parts.append(f"No reference for {indication} (off-label, or not curated); compared with the "
                     "regimens curated for other indications.")
    if primary is not None:
        ref = primary.reference
        verdict = {"within": "Within", "above": "Above", "below": "Below", "unknown": "Not checked"}[status]
        line = f"{verdict}: {primary.conversion}" if primary.conversion else f"{verdict}."
        if status == "unknown" and primary.note:
            line = f"Not checked: {primary.note}" + (f" ({primary.conversion})" if primary.conversion else "")
        parts.append(line.rstrip(".") + ".")
        parts.append(f"Reference: {ref.range_text()} ({_row_label(ref)}; {ref.schedule}); source: {ref.source}.")
        if ref.note:
            parts.append(ref.note)
    others = [c for c in checks if c is not primary]
    if others:
        parts.append("Also compared: " + "; ".join(
            f"{_row_label(c.reference)}: {c.status}" + (f" ({c.note})" if c.note else "") for c in others) + ".")
    if primary is not None and primary.note and status != "unknown":
        parts.append(f"Assumed: {primary.note}.")
    parts.extend(n for n in notes if n)
    return " ".join(parts)


# --- formatting -------------------------------------------------------------------------------------

def _row_label(ref: ReferenceDose) -> str:
    name = "any indication" if ref.applies_to_any_indication else ref.indication
    return f"{name}, limit" if ref.is_ceiling else name


def _fmt(value: float) -> str:
    """6.666 -> "6.7", 1000.0 -> "1000", 0.075 -> "0.075"."""
    if not math.isfinite(value):
        return str(value)
    if math.isclose(value, round(value), abs_tol=1e-9):
        return str(round(value))
    if abs(value) >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _unit_display(unit: str) -> str:
    return unit.replace("**2", "²").replace("microgram", "mcg")


def _basis_display(basis: str) -> str:
    text = basis.strip().lower()
    if text in ("per day", "per week", "per month"):
        return "/" + text.split()[1]
    return f" {text}"


def _q(q: pint.Quantity) -> str:
    """A quantity the way a clinician writes it: "1500 mg", "2 g/kg", "400 mg/day", "375 mg/m²"."""
    unit = f"{q.units:~}".replace(" ", "").replace("**2", "²").replace("µg", "mcg")
    unit = re.sub(r"/d\b", "/day", unit)
    return f"{_fmt(float(q.magnitude))} {unit}"


def _days_text(days: float) -> str:
    if days >= 7 and math.isclose(days % 7, 0, abs_tol=1e-9):
        weeks = round(days / 7)
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    if math.isclose(days % DAYS_PER_CALENDAR_MONTH, 0, abs_tol=1e-6) and days >= DAYS_PER_CALENDAR_MONTH:
        months = round(days / DAYS_PER_CALENDAR_MONTH)
        return f"{months} month{'s' if months != 1 else ''}"
    if days < 1:
        return f"{_fmt(days * 24)} hours"
    return f"{_fmt(days)} day{'s' if days != 1 else ''}"


def _interval_text(days: float) -> str:
    if days < 1:
        return f"{_fmt(1 / days)} doses a day"
    if math.isclose(days, 1):
        return "once daily"
    if math.isclose(days, 7):
        return "once weekly"
    return f"every {_days_text(days)}"


def covered_generics() -> list[str]:
    """Generics the curated table covers."""
    return sorted({row.generic for row in _load_table()})


def describe_table(rows: Iterable[ReferenceDose] | None = None) -> list[str]:
    """One line per row: generic, indication, range and source (for docs and review)."""
    return [f"{r.generic} | {r.indication} | {r.range_text()} | {r.source}" for r in (rows or _load_table())]

"""The curated reference-dose table, ``evidence/data/reference_doses.tsv``, and the rows that apply to a dose.

The table is curated by hand with the source of every row: the product's FDA label and section, or a
guideline by organization, title and year. Routes are read through the vocabulary ("IV" = "intravenous"),
generic names through its aliases, salts and biosimilar suffixes.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from curbside.vocabulary.drugs import normalise_generic
from curbside.vocabulary.routes import route_name
from curbside.vocabulary.schedules import DAYS_PER_MONTH_AS_WEEKS, format_number

__all__ = [
    "COLUMNS", "TABLE_RESOURCE", "ReferenceDose", "covered_generics", "covers_indication", "describe_table",
    "indications_of", "load_reference_doses", "normalise_generic", "normalise_indication", "normalise_route", "reference_for", "table_text",
]

TABLE_RESOURCE = "data/reference_doses.tsv"
COLUMNS = (
    "generic", "indication", "indication_terms", "route", "dose_min", "dose_max", "unit", "basis",
    "cap", "schedule", "source_kind", "source", "note",
)

_INDICATION_ALIASES: dict[str, str] = {
    "ra": "rheumatoid arthritis",
    "sle": "systemic lupus erythematosus",
    "dm": "dermatomyositis",
    "itp": "immune thrombocytopenic purpura",
}


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
        unit = unit_display(self.unit)
        basis = basis_display(self.basis)
        if self.dose_min is None:
            return f"at most {format_number(self.dose_max or 0)} {unit}{basis}"
        if self.dose_max is None or math.isclose(self.dose_min, self.dose_max):
            return f"{format_number(self.dose_min)} {unit}{basis}"
        return f"{format_number(self.dose_min)}-{format_number(self.dose_max)} {unit}{basis}"

    def matches_indication(self, indication: str) -> bool:
        """True when one of the row's phrases occurs in ``indication`` as whole words."""
        text = normalise_indication(indication)
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
        routes=tuple(normalise_route(r) or "" for r in row["route"].split(";") if r.strip()),
        dose_min=_float_or_none(row["dose_min"]),
        dose_max=_float_or_none(row["dose_max"]),
        unit=row["unit"].strip(),
        basis=row["basis"].strip().lower(),
        cap=row["cap"].strip() or None,
        schedule=row["schedule"].strip(),
        source_kind=row["source_kind"].strip(),
        source=row["source"].strip(),
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


def normalise_route(route: str | None) -> str | None:
    if route is None or not route.strip():
        return None
    return route_name(route) or route.strip().lower()


def normalise_indication(indication: str) -> str:
    text = " ".join(indication.strip().lower().split())
    return _INDICATION_ALIASES.get(text, text)


def indications_of(indication: str | Sequence[str] | None) -> list[str]:
    """The patient's indications as a list: one condition, or several (any of them may be covered)."""
    given = [indication] if isinstance(indication, str) else list(indication or ())
    return [i.strip() for i in given if i and i.strip()]


def covers_indication(row: ReferenceDose, indication: str | Sequence[str] | None) -> bool:
    """Whether the row gives a dose for one of the patient's indications: a regimen of that indication.
    An "any" row covers none in particular: a ceiling binds whatever the indication, and a general range
    ("5 to 60 mg per day depending on the disease") is no dose for one disease."""
    return not row.applies_to_any_indication and any(row.matches_indication(i) for i in indications_of(indication))


def reference_for(generic: str, indication: str | Sequence[str] | None = None,
                  route: str | None = None) -> list[ReferenceDose]:
    """Reference rows for a generic, most specific first (see the module docstring); ``indication`` may be
    several conditions of the patient, a row of any of them being specific."""
    key = normalise_generic(generic)
    rows = [row for row in _load_table() if row.generic == key]
    wanted_route = normalise_route(route)
    if wanted_route:
        rows = [row for row in rows if wanted_route in row.routes]
    if not indications_of(indication):
        return rows
    specific = [row for row in rows if covers_indication(row, indication)]
    general = [row for row in rows if row.applies_to_any_indication]
    if specific or any(not row.is_ceiling for row in general):
        return specific + general
    # Nothing for this indication: the labelled regimens of other indications are the nearest reference.
    others = [row for row in rows if not row.applies_to_any_indication and row not in specific]
    return general + others


def row_label(ref: ReferenceDose) -> str:
    name = "any indication" if ref.applies_to_any_indication else ref.indication
    return f"{name}, limit" if ref.is_ceiling else name


def unit_display(unit: str) -> str:
    return unit.replace("**2", "²").replace("microgram", "mcg")


def basis_display(basis: str) -> str:
    text = basis.strip().lower()
    if text in ("per day", "per week", "per month"):
        return "/" + text.split()[1]
    return f" {text}"


def covered_generics() -> list[str]:
    """Generics the curated table covers."""
    return sorted({row.generic for row in _load_table()})


def describe_table(rows: Iterable[ReferenceDose] | None = None) -> list[str]:
    """One line per row: generic, indication, range and source (for docs and review)."""
    return [f"{r.generic} | {r.indication} | {r.range_text()} | {r.source}" for r in (rows or _load_table())]


"""Dose units: the one pint registry, the one parser of clinical unit spellings, and dose conversion.

Facts: ``data/units.tsv`` (each spelling of a numerator or denominator, its canonical form and its pint
name). Biological activity units (IU, "units") are their own dimensions, never convertible to mass.

Public API
----------
``ureg()``
    The pint ``UnitRegistry`` every module uses (with IU, drug units and equivalents defined).
``DoseUnit``, ``parse_unit(text) -> DoseUnit | None``
    "mg/kg/d" -> ``DoseUnit("mg", ("kg", "day"))`` (canonical "mg/kg/day", ``pint_units()``); "/dose" is dropped.
``pint_unit(text) -> pint.Unit``
    The pint unit of a clinical spelling ("mcg", "mg/m2", "g per day", "mg/m**2"); ``ValueError`` if unknown.
``unit_pattern()``
    A regex (no groups) matching a dose unit in text, built from the table.
``normalize_dose_unit(text)``
    The canonical spelling ("MG/KG/D" -> "mg/kg/day", "µg" -> "mcg"), else None.
``dose_in(value, unit, target_unit, weight_kg=None, bsa_m2=None) -> DoseConversion``
    A dose in another unit, scaled by weight or body surface area: "2 g/kg × 70 kg = 140 g".
``body_surface_area(height_cm, weight_kg)``
    Mosteller's formula, in m².
``format_value(value)``
    A number as a patient's dose is written back: "140", "0.005", "1.8".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pint
from pydantic import BaseModel

from curbside.corpus.text import normalize
from curbside.vocabulary.tables import alternation, read_table


class DoseConversion(BaseModel):
    value: float
    unit: str
    text: str  # the arithmetic, e.g. "2 g/kg × 70 kg = 140 g"


class DoseConversionError(ValueError):
    """A dose that cannot be converted as asked (unknown unit, missing weight or BSA, other dimension)."""


@lru_cache(maxsize=1)
def ureg() -> pint.UnitRegistry:
    """The one unit registry (a second registry's quantities would not mix with this one's)."""
    registry = pint.UnitRegistry()
    # Biological activity units are their own dimensions: never convertible to mass.
    registry.define("international_unit = [international_unit] = IU")
    registry.define("drug_unit = [drug_unit]")
    registry.define("equivalent = [equivalent] = Eq")  # so that "milliequivalent" (mEq) parses
    return registry


@dataclass(frozen=True)
class _UnitTable:
    numerators: dict[str, str]  # spelling (lower) -> canonical
    denominators: dict[str, str]
    pint_names: dict[str, str]  # canonical -> pint name


@lru_cache(maxsize=1)
def _table() -> _UnitTable:
    numerators: dict[str, str] = {}
    denominators: dict[str, str] = {}
    pint_names: dict[str, str] = {}
    for row in read_table("units.tsv"):
        spelling = normalize(row["spelling"]).lower()
        (numerators if row["kind"] == "numerator" else denominators)[spelling] = row["unit"]
        if row["pint"]:
            pint_names[row["unit"]] = row["pint"]
    return _UnitTable(numerators, denominators, pint_names)


@dataclass(frozen=True)
class DoseUnit:
    numerator: str  # canonical ("mg")
    denominators: tuple[str, ...]  # canonical ("kg", "day")

    @property
    def canonical(self) -> str:
        return "/".join((self.numerator, *self.denominators))

    @property
    def display(self) -> str:
        return self.canonical.replace("m2", "m²")

    def pint_units(self) -> pint.Unit:
        names = _table().pint_names
        expression = names[self.numerator]
        for denominator in self.denominators:
            expression += f" / ({names[denominator]})"
        return ureg().parse_units(expression)


@lru_cache(maxsize=1)
def unit_pattern() -> str:
    """A dose unit in text: a numerator, then any "/x" or " per x" denominators."""
    table = _table()
    num_alt, den_alt = alternation(table.numerators), alternation(table.denominators)
    return rf"(?:{num_alt})(?:\s*/\s*(?:{den_alt})|\s+per\s+(?:{den_alt}))*(?![\w/])"


@lru_cache(maxsize=1)
def _unit_re() -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:{unit_pattern()})\s*$", re.IGNORECASE)


def parse_unit(text: str) -> DoseUnit | None:
    """ "mg/kg/d" -> DoseUnit("mg", ("kg", "day")); None for text that is not a dose unit."""
    text = normalize(text).replace("²", "2")
    if not _unit_re().match(text):
        return None
    table = _table()
    parts = re.split(r"\s*/\s*|\s+per\s+", text.strip(), flags=re.IGNORECASE)
    numerator = table.numerators.get(parts[0].lower())
    if numerator is None:
        return None
    denominators = []
    for part in parts[1:]:
        canonical = table.denominators.get(part.lower())
        if canonical is None:
            return None
        if canonical != "dose":  # "mg/kg/dose" is a per-dose amount, like "mg/kg"
            denominators.append(canonical)
    return DoseUnit(numerator, tuple(denominators))


def pint_unit(text: str) -> pint.Unit:
    """The pint unit of a clinical spelling; ``ValueError`` for text that is not a dose unit."""
    unit = parse_unit(text)
    if unit is None:
        raise ValueError(f"not a dose unit: {text!r}")
    return unit.pint_units()


def normalize_dose_unit(text: str) -> str | None:
    """The canonical spelling of a dose unit ("MG/KG/D" -> "mg/kg/day", "µg" -> "mcg"), else None."""
    unit = parse_unit(text)
    return unit.canonical if unit else None


def format_value(value: float) -> str:
    """140.0 -> "140", 0.0050 -> "0.005", 1.8 -> "1.8" (at most four decimals)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# Body size a per-kg or per-m² amount is scaled by: denominator -> (argument name, shown unit, pint unit).
BODY_SIZES = {"kg": ("weight_kg", "kg", "kilogram"), "m2": ("bsa_m2", "m²", "meter**2")}


def dose_in(
    value: float, unit: str, target_unit: str, weight_kg: float | None = None, bsa_m2: float | None = None
) -> DoseConversion:
    """Convert a dose, scaling by body weight (kg) or body surface area (m²) when the per-kg / per-m²
    parts of the units differ: ``dose_in(2, "g/kg", "g", weight_kg=70)`` -> 140 g, text
    "2 g/kg × 70 kg = 140 g"; ``dose_in(140, "g", "g/kg", weight_kg=70)`` -> "140 g ÷ 70 kg = 2 g/kg".

    Raises :class:`DoseConversionError` for an unknown unit, a missing weight or BSA, or units of
    different kinds (mg to IU).
    """
    source, target = parse_unit(unit), parse_unit(target_unit)
    for given, parsed in ((unit, source), (target_unit, target)):
        if parsed is None:
            raise DoseConversionError(
                f"Unknown dose unit {given!r}; use e.g. mg, g, mcg, IU, mg/kg, mg/m2, mg/kg/day."
            )
    assert source is not None and target is not None
    quantity = value * source.pint_units()
    steps = [f"{format_value(value)} {source.display}"]
    # Per-kg and per-m² are scaled explicitly: pint sees mg/kg as dimensionless, so dimensions alone
    # cannot tell "needs a weight" from "already per kg".
    sizes = {"kg": weight_kg, "m2": bsa_m2}
    for denominator, (name, label, pint_name) in BODY_SIZES.items():
        difference = source.denominators.count(denominator) - target.denominators.count(denominator)
        if difference == 0:
            continue
        amount = sizes[denominator]
        if amount is None or amount <= 0:
            raise DoseConversionError(
                f"Converting {source.display} to {target.display} needs {name} (a positive number)."
            )
        for _ in range(abs(difference)):
            if difference > 0:
                quantity = quantity * (amount * ureg().parse_units(pint_name))
                steps.append(f"× {format_value(amount)} {label}")
            else:
                quantity = quantity / (amount * ureg().parse_units(pint_name))
                steps.append(f"÷ {format_value(amount)} {label}")
    try:
        converted = quantity.to(target.pint_units())
    except pint.DimensionalityError as exc:
        raise DoseConversionError(
            f"Cannot convert {source.display} to {target.display}: different kinds of unit."
        ) from exc
    result = float(converted.magnitude)
    return DoseConversion(
        value=result, unit=target.canonical, text=" ".join(steps) + f" = {format_value(result)} {target.display}"
    )


def body_surface_area(height_cm: float, weight_kg: float) -> float:
    """Body surface area in m² (Mosteller: sqrt(height_cm × weight_kg / 3600)), for mg/m² doses."""
    if height_cm <= 0 or weight_kg <= 0:
        raise DoseConversionError("Height and weight must be positive.")
    return float((height_cm * weight_kg / 3600) ** 0.5)

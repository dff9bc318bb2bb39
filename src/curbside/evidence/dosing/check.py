"""Checking one dose against reference dosing: every applicable regimen row, with the arithmetic shown.

Units are the vocabulary's (one pint registry, one unit parser); the schedule is read by
:func:`curbside.vocabulary.schedules.parse_frequency`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pint

from curbside.evidence.dosing.labels import LabelPassage, LabelSource, doses_from_label, label_dose_passages
from curbside.evidence.dosing.references import (
    ReferenceDose,
    basis_display,
    covers_indication,
    indications_of,
    normalise_generic,
    normalise_route,
    reference_for,
    row_label,
    unit_display,
)
from curbside.vocabulary.schedules import MissingFact, Schedule, days_text, format_number, parse_frequency
from curbside.vocabulary.units import pint_unit, ureg

__all__ = ["BSA_SPAN_M2", "RELATIVE_TOLERANCE", "WEIGHT_SPAN_KG", "DoseComparison", "DoseStatus", "RowCheck", "check_dose",
           "reference_name"]



class DoseStatus(StrEnum):
    """The dose against the reference dosing for the patient's indication: ``within`` when it fits at least
    one applicable regimen (regimens are alternatives), ``above`` or ``below`` when it is above or below all
    of them; a ceiling (a maximum only) binds whatever the indication. ``no_reference_for_indication`` when
    no label or curated regimen gives a dose for the patient's indication: the dose is not judged, and the
    nearest reference (another indication's regimen, or a general range) is shown as context only, with how
    the dose compares to it. ``unknown`` when it cannot be checked: no reference for the drug at all, no
    weight or body surface area for a weight- or BSA-based reference, no frequency for a per-day or
    per-period reference, or units that do not compare (:mod:`curbside.evidence.dosing`)."""

    WITHIN = "within"
    ABOVE = "above"
    BELOW = "below"
    UNKNOWN = "unknown"
    NO_REFERENCE_FOR_INDICATION = "no_reference_for_indication"


# Doses are compared with this relative slack so that float noise and unit rounding
# (1.5 g = 1500 mg, 400 mg / 80 kg = 5.0 mg/kg) never flip a result.
RELATIVE_TOLERANCE = 0.005
# Shown when a weight- or BSA-based reference cannot be checked: a typical adult span.
WEIGHT_SPAN_KG = (50.0, 100.0)
BSA_SPAN_M2 = (1.5, 2.0)


@dataclass(frozen=True)
class RowCheck:
    """The dose compared with one reference row."""

    reference: ReferenceDose
    status: DoseStatus
    value: float | None  # the dose in the row's unit and basis; None when it could not be computed
    conversion: str
    note: str = ""


@dataclass(frozen=True)
class DoseComparison:
    """The verdict on one dose against the reference dosing; ``reference`` is the row that decided it (with
    ``no_reference_for_indication``, the nearest reference, shown as context only: ``context_status`` says
    how the dose compares to it). ``indication`` is the patient's indication the check looked for."""

    generic: str
    dose: str
    status: DoseStatus
    reference: ReferenceDose | None
    conversion: str
    explanation: str
    checks: tuple[RowCheck, ...] = ()
    label_passages: tuple[LabelPassage, ...] = field(default=())
    indication: str | None = None
    context_status: DoseStatus | None = None

    @property
    def reference_indication(self) -> str | None:
        """What the deciding reference gives a dose for ("rheumatoid arthritis", "any indication")."""
        return row_label(self.reference) if self.reference else None

    @property
    def source(self) -> str | None:
        return self.reference.source if self.reference else None


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
    unit = pint_unit(row.unit)
    kind, _ = _quantity_kind(row.unit, ureg().Quantity(1, unit))
    return kind


def check_dose(
    generic: str,
    dose_value: float,
    dose_unit: str,
    *,
    frequency: str | None = None,
    schedule: str | None = None,
    route: str | None = None,
    indication: str | Sequence[str] | None = None,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
    store: LabelSource | None = None,
) -> DoseComparison:
    """Check one dose of a regimen against reference dosing for the patient's indication (one condition,
    or several: a reference for any of them covers the dose); see the module docstring."""
    key = normalise_generic(generic)
    indications = indications_of(indication)
    indication_text = " or ".join(indications) or None
    dose_text = f"{format_number(dose_value)} {dose_unit}" + (f" {frequency}" if frequency else "") + (
        f" ({schedule})" if schedule else ""
    )
    passages = tuple(label_dose_passages(store, key)) if store is not None else ()

    def unknown(explanation: str, checks: Sequence[RowCheck] = (), ref: ReferenceDose | None = None) -> DoseComparison:
        return DoseComparison(key, dose_text, DoseStatus.UNKNOWN, ref, checks[0].conversion if checks else "", explanation,
                              tuple(checks), passages, indication_text)

    if key == "mycophenolate":
        return unknown("Say which mycophenolate: mycophenolate mofetil and mycophenolic acid are dosed differently.")
    try:
        unit = pint_unit(dose_unit)
        dose_q = ureg().Quantity(float(dose_value), unit)
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

    rows = reference_for(key, indications, route)
    route_note = ""
    if not rows and route and reference_for(key, indications):
        rows = reference_for(key, indications)
        route_note = f"No reference for the {normalise_route(route)} route; compared with other routes."
    label_refs = _label_references(passages, indications, key)
    label_note = ""
    if label_refs:
        # A label in the index is preferred over the table's regimens; the table's ceilings still apply.
        rows = label_refs + [row for row in rows if row.is_ceiling]
        label_note = "Reference read from the label in the index."
    if not rows:
        where = " or in the indexed labels" if store is not None else ""
        return unknown(f"No reference dosing for {key} in the curated table{where}; the dose was not checked.")

    # Covered: a label read for the indication, or a curated regimen of it (none asked: every row applies).
    covered = not indications or bool(label_refs) or any(covers_indication(r, indications) for r in rows)
    checks = [_check_row(row, dose_q, dose_kind, is_rate, sched, weight_kg, bsa_m2) for row in rows]
    status, primary = _combine(checks)
    context_status: DoseStatus | None = None
    ceiling_exceeded = status == DoseStatus.ABOVE and primary is not None and primary.reference.is_ceiling
    if not covered and not ceiling_exceeded:
        # Another indication's regimen is no reference for this one: shown, never judged by.
        status, context_status = DoseStatus.NO_REFERENCE_FOR_INDICATION, status
    explanation = _explain(indication_text, status, context_status, primary, checks,
                           [freq_note, route_note, label_note])
    conversion = primary.conversion if primary else ""
    # A ceiling binds whatever regimen decided, so its arithmetic is shown too.
    extra = [c.conversion for c in checks if c is not primary and c.reference.is_ceiling and c.conversion]
    conversion = "; ".join([conversion, *extra]) if conversion else "; ".join(extra)
    return DoseComparison(key, dose_text, status, primary.reference if primary else None, conversion, explanation,
                          tuple(checks), passages, indication_text, context_status)


def _label_references(passages: Sequence[LabelPassage], indications: Sequence[str], generic: str) -> list[ReferenceDose]:
    """Doses read from indexed label passages: for one of the indications where some are given, each
    passage once."""
    if not passages:
        return []
    found: dict[str | None, ReferenceDose] = {}
    for indication in indications or [None]:
        for ref in doses_from_label(passages, indication, generic=generic):
            found.setdefault(ref.passage_id, ref)
    return list(found.values())


def _check_row(
    row: ReferenceDose,
    dose_q: pint.Quantity,
    dose_kind: str,
    is_rate: bool,
    sched: Schedule | None,
    weight_kg: float | None,
    bsa_m2: float | None,
) -> RowCheck:
    registry = ureg()
    basis = basis_display(row.basis)
    steps: list[str] = []
    notes: list[str] = list(sched.notes) if sched else []
    per_dose: pint.Quantity | None = None
    try:
        target_kind = _row_kind(row)
        period = row.period_days
        if row.basis == "per dose":
            if is_rate:
                if sched is None or sched.interval_days is None or sched.course_doses or sched.total_over_days:
                    raise MissingFact("the amount given per dose")
                per_dose = _tidy(dose_q * registry.Quantity(sched.interval_days, "day"))
                steps.append(f"{_q(dose_q)} × {days_text(sched.interval_days)} = {_q(per_dose)} per dose")
            else:
                per_dose = dose_q
            amount = per_dose
        elif row.basis == "per course":
            if is_rate:
                raise MissingFact("the amount per dose and the number of doses in the course")
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
                amount = _tidy(dose_q * registry.Quantity(period, "day"))
                if not math.isclose(period, 1.0):
                    steps.append(f"{_q(dose_q)} = {_q(amount)}{basis}")
            else:
                per_dose = dose_q
                if sched is None:
                    raise MissingFact("how often the dose is given (for example 'daily' or 'every 4 weeks')")
                count, assumed = sched.doses_in(period)
                notes.extend(assumed)
                amount = dose_q * count
                if not math.isclose(count, 1.0):
                    steps.append(f"{_q(dose_q)} × {format_number(count)} doses{basis} = {_q(amount)}{basis}")
        value_q, convert_steps = _convert_kind(amount, dose_kind, target_kind, weight_kg, bsa_m2, row)
        steps.extend(convert_steps)
        value = float(value_q.to(pint_unit(row.unit)).magnitude)
    except MissingFact as missing:
        conversion = "; ".join(steps + ([missing.hint] if missing.hint else []))
        return RowCheck(row, DoseStatus.UNKNOWN, None, conversion, "; ".join([f"needs {missing.need}", *notes]))
    except (pint.errors.DimensionalityError, ValueError) as exc:
        return RowCheck(row, DoseStatus.UNKNOWN, None, "; ".join(steps), f"units not comparable ({exc})")

    status = _compare(value, row.dose_min, row.dose_max)
    shown = f"{format_number(value)} {unit_display(row.unit)}{basis}"
    last = f"{_q(value_q)}{basis}" if not convert_steps else ""
    if not steps or not steps[-1].endswith(shown):
        # The dose in the reference's own unit, with the conversion when the units differ (1 g = 1000 mg).
        steps.append(f"{last} = {shown}" if last and last != shown else shown)
    unit = unit_display(row.unit)
    if status == "above":
        relation = f"> {format_number(row.dose_max or 0)} {unit}{basis}"
    elif status == "below":
        relation = f"< {format_number(row.dose_min or 0)} {unit}{basis}"
    elif row.is_ceiling:
        relation = f"≤ {format_number(row.dose_max or 0)} {unit}{basis}"
    else:
        relation = f"within {row.range_text()}"
    conversion = "; ".join(steps) + f" {relation}"
    if row.cap and per_dose is not None and status != "above":
        cap_status, cap_text = _check_cap(row, per_dose, dose_kind, weight_kg, bsa_m2)
        if cap_status == "above":
            status = DoseStatus.ABOVE
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
    registry = ureg()
    if kind == target:
        return amount, []
    basis = basis_display(row.basis)
    weight = registry.Quantity(weight_kg, "kg") if weight_kg else None
    bsa = registry.Quantity(bsa_m2, "m**2") if bsa_m2 else None
    # Body size per kind: (quantity, number as given, unit shown, what is missing without it).
    sizes = {
        "per_kg": (weight, weight_kg, "kg", "the patient's weight"),
        "per_m2": (bsa, bsa_m2, "m²", "body surface area"),
    }
    steps: list[str] = []
    # To a mass first, then to the reference's kind.
    if kind in sizes:
        size, number, label, need = sizes[kind]
        if size is None:
            raise MissingFact(need, _span_hint(amount, kind, basis))
        mass = _tidy(amount * size)
        steps.append(f"{_q(amount)}{basis} × {format_number(number or 0)} {label} = {_q(mass)}{basis}")
    else:
        mass = _tidy(amount)
    if target == "mass":
        return mass, steps
    size, number, label, need = sizes[target]
    if size is None:
        raise MissingFact(need, _range_hint(row, mass, "kg" if target == "per_kg" else "m2"))
    value = (mass / size).to(pint_unit(row.unit))
    steps.append(f"{_q(mass)}{basis} ÷ {format_number(number or 0)} {label} = {format_number(value.magnitude)} "
                 f"{unit_display(row.unit)}{basis}")
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
) -> tuple[DoseStatus, str]:
    """A per-dose ceiling such as "doses above 800 mg per infusion are not recommended"."""
    cap = ureg().Quantity(row.cap)
    try:
        mass, _ = _convert_kind(per_dose, kind, "mass", weight_kg, bsa_m2, row)
    except MissingFact:
        return DoseStatus.UNKNOWN, f"cap {row.cap} per dose not checked (needs weight)"
    mass_in_cap = float(mass.to(cap.units).magnitude)
    if mass_in_cap > cap.magnitude * (1 + RELATIVE_TOLERANCE):
        return DoseStatus.ABOVE, f"{format_number(mass_in_cap)} {cap.units:~} per dose > cap {row.cap} per dose"
    return DoseStatus.WITHIN, f"{format_number(mass_in_cap)} {cap.units:~} per dose ≤ cap {row.cap}"


def _span_hint(amount: pint.Quantity, kind: str, basis: str) -> str:
    """What a per-kg or per-m² dose amounts to across a typical adult span."""
    if kind == "per_kg":
        low, high, size, unit = *WEIGHT_SPAN_KG, "kg", "kg"
    else:
        low, high, size, unit = *BSA_SPAN_M2, "m**2", "m²"
    q_low = _tidy(amount * ureg().Quantity(low, size))
    q_high = (amount * ureg().Quantity(high, size)).to(q_low.units)
    return f"{_q(amount)}{basis} is {format_number(q_low.magnitude)}-{_q(q_high)}{basis} for {format_number(low)}-{format_number(high)} {unit}"


def _range_hint(row: ReferenceDose, mass: pint.Quantity, per: str) -> str:
    """The reference range in absolute terms across a typical span, and where this dose would fit."""
    low_size, high_size, size_unit = (*WEIGHT_SPAN_KG, "kg") if per == "kg" else (*BSA_SPAN_M2, "m²")
    size = ureg().kg if per == "kg" else ureg().m ** 2
    # Mass for 1 kg (or 1 m²) of the reference unit, in the dose's mass unit.
    per_size = ureg().Quantity(1, pint_unit(row.unit) * size).to(mass.units).magnitude
    basis = basis_display(row.basis)
    given = float(mass.magnitude)
    mass_unit = f"{mass.units:~}"
    span = f"for {format_number(low_size)}-{format_number(high_size)} {size_unit}"
    if row.dose_min is None and row.dose_max is not None:
        top = row.dose_max * per_size
        return (f"{format_number(row.dose_max)} {unit_display(row.unit)}{basis} is at most {format_number(top * low_size)}-"
                f"{format_number(top * high_size)} {mass_unit}{basis} {span}; {format_number(given)} {mass_unit}{basis} stays "
                f"within at ≥ {format_number(given / top)} {size_unit}")
    if row.dose_min is None or row.dose_max is None:
        return ""
    lo, hi = row.dose_min * per_size, row.dose_max * per_size
    fits_low, fits_high = given / hi, given / lo
    fit = (f"{format_number(fits_low)} {size_unit}" if math.isclose(fits_low, fits_high)
           else f"{format_number(fits_low)}-{format_number(fits_high)} {size_unit}")
    return (f"{row.range_text()} is {format_number(lo * low_size)}-{format_number(hi * high_size)} {mass_unit}{basis} {span}; "
            f"{format_number(given)} {mass_unit}{basis} fits at {fit}")


def _compare(value: float, low: float | None, high: float | None) -> DoseStatus:
    if low is not None and value < low * (1 - RELATIVE_TOLERANCE):
        return DoseStatus.BELOW
    if high is not None and value > high * (1 + RELATIVE_TOLERANCE):
        return DoseStatus.ABOVE
    return DoseStatus.WITHIN


def _combine(checks: Sequence[RowCheck]) -> tuple[DoseStatus, RowCheck | None]:
    """Ceilings bind; otherwise within any regimen is within (see the module docstring)."""
    ceilings = [c for c in checks if c.reference.is_ceiling]
    regimens = [c for c in checks if not c.reference.is_ceiling]
    for check in ceilings:
        if check.status == "above":
            return DoseStatus.ABOVE, check
    unknown_ceiling = next((c for c in ceilings if c.status == "unknown"), None)
    within = next((c for c in regimens if c.status == "within"), None)
    if unknown_ceiling is not None:
        return DoseStatus.UNKNOWN, unknown_ceiling
    if not regimens:
        return (ceilings[0].status, ceilings[0]) if ceilings else (DoseStatus.UNKNOWN, None)
    if within is not None:
        return DoseStatus.WITHIN, within
    unknown = next((c for c in regimens if c.status == "unknown"), None)
    if unknown is not None:
        return DoseStatus.UNKNOWN, unknown
    statuses = {c.status for c in regimens}
    if statuses == {"above"}:
        return DoseStatus.ABOVE, min(regimens, key=lambda c: (c.value or 0) / (c.reference.dose_max or 1))
    if statuses == {"below"}:
        return DoseStatus.BELOW, max(regimens, key=lambda c: (c.value or 0) / (c.reference.dose_min or 1))
    return DoseStatus.UNKNOWN, regimens[0]  # between regimens: above one, below another


def reference_name(ref: ReferenceDose) -> str:
    """The reference in words: "the rheumatoid arthritis reference", "the general dosing of the label"."""
    if ref.applies_to_any_indication:
        return "the limit for any indication" if ref.is_ceiling else f"the general dosing of the {ref.source_kind}"
    return f"the {ref.indication} reference"


_VERDICT_WORDS = {"within": "Within", "above": "Above", "below": "Below", "unknown": "Not checked"}


def _explain(
    indication: str | None,
    status: DoseStatus,
    context_status: DoseStatus | None,
    primary: RowCheck | None,
    checks: Sequence[RowCheck],
    notes: Sequence[str],
) -> str:
    parts: list[str] = []
    judged = context_status or status
    if status == DoseStatus.NO_REFERENCE_FOR_INDICATION:
        parts.append(f"No reference dose for {indication}: no indexed label and no curated regimen gives a dose "
                     "for it, so the dose is not judged against another indication's.")
    if primary is not None:
        ref = primary.reference
        verdict = _VERDICT_WORDS[judged]
        line = f"{verdict}: {primary.conversion}" if primary.conversion else f"{verdict}."
        if judged == "unknown" and primary.note:
            line = f"Not checked: {primary.note}" + (f" ({primary.conversion})" if primary.conversion else "")
        if context_status is not None:
            relation = {"within": "would be within", "above": "would be above", "below": "would be below"}.get(
                judged, "could not be checked against")
            shown = f" ({primary.conversion})" if primary.conversion else ""
            if judged == "unknown" and primary.note:
                shown = f" ({primary.note})"
            line = f"For context only, the dose {relation} {reference_name(ref)}{shown}"
        parts.append(line.rstrip(".") + ".")
        parts.append(f"Reference: {ref.range_text()} ({row_label(ref)}; {ref.schedule}); source: {ref.source}.")
        if ref.note:
            parts.append(ref.note)
    others = [c for c in checks if c is not primary]
    if others:
        parts.append("Also compared: " + "; ".join(
            f"{row_label(c.reference)}: {c.status}" + (f" ({c.note})" if c.note else "") for c in others) + ".")
    if primary is not None and primary.note and judged != "unknown":
        parts.append(f"Assumed: {primary.note}.")
    parts.extend(n for n in notes if n)
    return " ".join(parts)


def _q(q: pint.Quantity) -> str:
    """A quantity the way a clinician writes it: "1500 mg", "2 g/kg", "400 mg/day", "375 mg/m²"."""
    unit = f"{q.units:~}".replace(" ", "").replace("**2", "²").replace("µg", "mcg")
    unit = re.sub(r"/d\b", "/day", unit)
    return f"{format_number(float(q.magnitude))} {unit}"



"""Dose checks: each dose of a regimen against reference dosing, with the source of each reference.

Reference dosing comes from drug labels where the index holds one (passages of a ``drug_label``
document's "Dosage and Administration" section, read through ``MetadataStore.label_passages``), else
from a curated table, ``evidence/data/reference_doses.tsv``, curated by hand with the source of every
row: the product's FDA label and section, or a guideline by organization, title and year. The table
names no PMIDs or DOIs. Drug names, routes, units and schedules are read with :mod:`curbside.vocabulary`.

Modules: ``references`` (the curated table), ``labels`` (labels in the index), ``check`` (the check).

Public API
----------
``ReferenceDose``
    One reference regimen: generic, indication (``"any"`` applies to every indication), routes, dose
    range (``dose_min`` None = a ceiling only), pint unit, basis ("per dose", "per day", "per week",
    "per N weeks", "per course"), optional per-dose cap, schedule text, source kind and source.
``load_reference_doses() -> list[ReferenceDose]``
    The curated table (read once through importlib.resources).
``reference_for(generic, indication=None, route=None) -> list[ReferenceDose]``
    Rows for a generic, most specific first: rows for the indication (one condition or several), then
    rows for any indication, then (only when nothing is specific to the indication) the rows of other
    indications, the nearest references, shown as context when no reference covers the indication.
``covers_indication(row, indication)``
    Whether a row gives a dose for the indication: a regimen of it ("any" rows cover none in particular).
``table_text()``, ``covered_generics()``, ``describe_table()``, ``normalise_generic(name)``, ``parse_unit(text)``
    The raw table (with its curation header), the generics it covers, one summary line per row,
    generic synonyms ("IVIG", "MMF", salts, biosimilar suffixes: the vocabulary's), clinical unit
    spellings as a pint unit (:func:`curbside.vocabulary.units.pint_unit`).
``LabelPassage``, ``label_dose_passages(store, generic) -> list[LabelPassage]``
    "Dosage and Administration" passages of indexed labels of the generic (by title or by a brand
    that maps to it), from a ``MetadataStore`` (any ``LabelStore``), the path of ``metadata.sqlite``, or a callable.
``doses_from_label(passages, indication=None) -> list[ReferenceDose]``
    The doses a label passage states plainly ("the recommended dose is 50 mg", "a maximum
    recommended dose of 100 mg"), as references citing the passage id.
``Schedule``, ``parse_frequency(text) -> Schedule | None`` (from :mod:`curbside.vocabulary.schedules`)
    Reads "daily", "twice daily", "BID", "weekly", "every 4 weeks", "monthly", "q6 months",
    "day 0 and 14", "daily for 5 days every 4 weeks", "x4" ...
``check_dose(generic, dose_value, dose_unit, *, frequency=None, schedule=None, route=None,
indication=None, weight_kg=None, bsa_m2=None, store=None) -> DoseComparison``
    ``DoseComparison.status`` is a ``DoseStatus``: "within", "above", "below", "unknown" or
    "no_reference_for_indication" (no label or curated regimen for the patient's ``indication``: the
    nearest reference is context only, and ``context_status`` says how the dose compares to it);
    ``reference`` is the row that decided it (with its ``source`` and ``reference_indication``); ``conversion`` shows the
    arithmetic ("400 mg/day ÷ 60 kg = 6.7 mg/kg/day > 5 mg/kg/day"); ``explanation`` says what was
    compared and why; ``checks`` has one ``RowCheck`` per reference considered; ``label_passages``
    the label passages to cite.

How a dose is judged: only against a reference for the patient's indication (a ceiling binds whatever
the indication); every applicable regimen row is checked; a dose is "within" when it fits at
least one of them (regimens are alternatives), "above"/"below" when it is above/below all of them.
Ceiling rows (a maximum only, like the ophthalmology limit for hydroxychloroquine) bind whatever
the regimen: a dose above a ceiling is "above", and a ceiling that cannot be checked (no weight)
makes the result "unknown". Weight- and BSA-based references need ``weight_kg`` / ``bsa_m2``;
without them the result is "unknown" and the explanation shows the range for 50-100 kg (or
1.5-2.0 m²). "Monthly" is read as every 4 weeks. Without a frequency, a per-dose reference is
compared per dose and a per-day or per-period reference gives "unknown".
"""

from __future__ import annotations

from curbside.evidence.dosing.check import (
    BSA_SPAN_M2,
    RELATIVE_TOLERANCE,
    WEIGHT_SPAN_KG,
    DoseComparison,
    DoseStatus,
    RowCheck,
    check_dose,
    reference_name,
)
from curbside.evidence.dosing.labels import (
    DOSAGE_SECTION,
    LabelPassage,
    LabelSource,
    LabelStore,
    doses_from_label,
    label_dose_passages,
)
from curbside.evidence.dosing.references import (
    COLUMNS,
    TABLE_RESOURCE,
    ReferenceDose,
    covered_generics,
    covers_indication,
    describe_table,
    load_reference_doses,
    normalise_generic,
    normalise_route,
    reference_for,
    table_text,
)
from curbside.vocabulary.schedules import DAYS_PER_CALENDAR_MONTH, DAYS_PER_MONTH_AS_WEEKS, Schedule, parse_frequency
from curbside.vocabulary.units import pint_unit as parse_unit

__all__ = [
    "BSA_SPAN_M2", "COLUMNS", "DAYS_PER_CALENDAR_MONTH", "DAYS_PER_MONTH_AS_WEEKS", "DOSAGE_SECTION",
    "RELATIVE_TOLERANCE", "TABLE_RESOURCE", "WEIGHT_SPAN_KG", "DoseComparison", "DoseStatus", "LabelPassage", "LabelSource",
    "LabelStore", "ReferenceDose", "RowCheck", "Schedule", "check_dose", "covered_generics", "covers_indication",
    "describe_table", "doses_from_label", "label_dose_passages", "load_reference_doses", "normalise_generic",
    "normalise_route", "parse_frequency", "parse_unit", "reference_for", "reference_name", "table_text",
]

"""Deterministic patient-context extraction: demographics, conditions, severity, findings, medications.

No language model: rules over a curated vocabulary (:file:`data/clinical_terms.tsv`), the project's
:class:`~curbside.understanding.lexicon.Lexicon` (brands, misspellings, abbreviations) and ``pint`` for units.

Public API
----------
* :class:`DrugNames` -- brand -> generic names. ``DrugNames({"Truxima": "rituximab"})`` for a small
  mapping; :func:`curbside.retrieval.lexicons.drug_names_from_store` for the Drugs@FDA table of a built
  index. The curated rows of the TSV (biosimilars, immune globulins, common
  generics; ``include_builtin=False`` leaves them out) are always added.
* :func:`extract_patient_context` ``(text, drug_names) -> PatientContext``.
* :func:`dose_in` ``(value, unit, target_unit, weight_kg=None, bsa_m2=None) -> DoseConversion``, and
  :func:`normalize_dose_unit`, :func:`body_surface_area`.

:class:`PatientContext` (``model_dump()``): ``age`` (int|None), ``sex`` ("female"|"male"|None),
``weight_kg`` (float|None), ``conditions``, ``severity``, ``findings`` (``{text, negated, uncertain}``),
``medications`` (``{as_written, generic, brand, dose_value, dose_unit, route, frequency, schedule,
duration}``), ``current_therapies``, ``prior_therapies`` (generic names), ``therapy_duration``,
``history`` (the story's history items; the article's ``patient_story`` is ``{age, sex, history}`` of this model),
and the factors guidelines condition on: ``pregnant`` (bool|None), ``gestational_weeks``, ``trimester`` (int|None),
``race_ethnicity`` (categories: "Black", "Hispanic/Latino" ...), ``egfr`` (mL/min/1.73 m2), ``creatinine_clearance``
(mL/min) and ``anticoagulated`` (bool|None); None means not said. Their rules are in
:mod:`~curbside.understanding.patient_factors`.

Conventions
-----------
* **Age, sex** come from :mod:`~curbside.understanding.story` (the same rules as the story split); ``history``
  is the story's history items, read by :func:`~curbside.understanding.understand`.
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
from typing import Literal

from pydantic import BaseModel, Field

from curbside.corpus.text import normalize
from curbside.understanding.drug_names import DrugNames
from curbside.understanding.findings import Finding, read_findings
from curbside.understanding.medications import Medication, read_medications
from curbside.understanding.patient_factors import read_patient_factors
from curbside.understanding.story import extract_age, extract_sex
from curbside.vocabulary.units import (
    DoseConversion,
    DoseConversionError,
    body_surface_area,
    dose_in,
    normalize_dose_unit,
    ureg,
)

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
    # The factors guidelines condition on (rules: curbside.understanding.patient_factors); None: not said.
    pregnant: bool | None = Field(
        None, description="true: pregnant now; false: the text says not pregnant; null: not said (postpartum too)"
    )
    gestational_weeks: int | None = Field(None, description="completed weeks of gestation")
    trimester: int | None = Field(None, description="1, 2 or 3: from the weeks (<14, 14-27, >=28) or the words")
    race_ethnicity: list[str] = Field(
        default_factory=list, description="race or ethnicity categories ('Black', 'Hispanic/Latino', 'South Asian' ...)"
    )
    egfr: float | None = Field(None, description="the latest eGFR, mL/min/1.73 m2")
    creatinine_clearance: float | None = Field(None, description="the latest creatinine clearance, mL/min")
    anticoagulated: bool | None = Field(
        None, description="true: on an anticoagulant now; false: the text says not; null: not said"
    )

    @property
    def generics(self) -> list[str]:
        """The generic names of the medications named, in order of first mention (one entry per drug)."""
        return [m.generic for m in self.medications if m.generic]


_WEIGHT = re.compile(
    r"(?:weigh(?:s|ing|t)?\s*(?:of\s+|is\s+|:\s*)?|\b)"
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>kg|kilograms?|lbs?|pounds)\b(?!\s*/)",
    re.IGNORECASE,
)


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

    reading = read_medications(t, names)
    conditions, severity, findings = read_findings(t, reading.claimed, names)
    age, sex = extract_age(t), _sex(extract_sex(t))
    factors = read_patient_factors(t, reading.current, age=age, sex=sex)
    return PatientContext(
        age=age,
        sex=sex,
        weight_kg=_weight(t),
        conditions=conditions,
        severity=severity,
        findings=findings,
        medications=reading.medications,
        current_therapies=reading.current,
        prior_therapies=reading.prior,
        therapy_duration=reading.therapy_duration,
        history=list(history),
        pregnant=factors.pregnant,
        gestational_weeks=factors.gestational_weeks,
        trimester=factors.trimester,
        race_ethnicity=list(factors.race_ethnicity),
        egfr=factors.egfr,
        creatinine_clearance=factors.creatinine_clearance,
        anticoagulated=factors.anticoagulated,
    )


def _sex(value: str | None) -> Literal["female", "male"] | None:
    if value == "female":
        return "female"
    if value == "male":
        return "male"
    return None

"""Clinical reasoning inputs: the question type and the structured patient context of a question.

Deterministic (no language model). One import for callers; the rules live in
:mod:`curbside.understanding.question_type` and :mod:`curbside.understanding.patient_context`, whose
docstrings document every convention.

Public API
----------
* ``classify_question(text) -> QuestionType``: one of ``medical_necessity``, ``next_step``,
  ``dosing``, ``drug_information``, ``diagnosis_screening``, ``prognosis``, ``comparison``,
  ``patient_education``, or the fallback ``general``. ``explain_question_type(text)`` adds the scores
  and the cues that fired.
* ``extract_patient_context(text, drug_names) -> PatientContext``: age, sex, weight_kg, conditions,
  severity, findings (``Finding``: text, negated, uncertain), medications (``Medication``: as_written,
  generic, brand, dose_value, dose_unit, route, frequency, schedule, duration), current_therapies,
  prior_therapies, therapy_duration.
* ``DrugNames``: brand -> generic names. ``DrugNames({"Truxima": "rituximab"})`` for a small mapping;
  ``DrugNames.from_index(DATA_DIR / "index")`` or ``DrugNames.from_store(store)`` for the Drugs@FDA table
  of a built index. Build it once and reuse it.
* ``dose_in(value, unit, target_unit, weight_kg=None, bsa_m2=None) -> DoseConversion`` (pint):
  ``dose_in(2, "g/kg", "g", weight_kg=70).text == "2 g/kg × 70 kg = 140 g"``; ``normalize_dose_unit``,
  ``body_surface_area`` (Mosteller).
* ``analyze_clinical_question(text, drug_names) -> ClinicalQuestion``: both at once.

Measured by ``python bench/eval_extraction.py`` (precision and recall per field, tuning and holdout
sets reported separately).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from curbside.understanding.patient_context import (
    DoseConversion,
    DoseConversionError,
    DrugNames,
    Finding,
    Medication,
    PatientContext,
    body_surface_area,
    dose_in,
    extract_patient_context,
    normalize_dose_unit,
)
from curbside.understanding.question_type import (
    QuestionType,
    QuestionTypeResult,
    classify_question,
    explain_question_type,
)

__all__ = [
    "ClinicalQuestion",
    "DoseConversion",
    "DoseConversionError",
    "DrugNames",
    "Finding",
    "Medication",
    "PatientContext",
    "QuestionType",
    "QuestionTypeResult",
    "analyze_clinical_question",
    "body_surface_area",
    "classify_question",
    "dose_in",
    "explain_question_type",
    "extract_patient_context",
    "normalize_dose_unit",
]


class ClinicalQuestion(BaseModel):
    question: str
    question_type: QuestionType
    patient: PatientContext


def analyze_clinical_question(
    text: str, drug_names: DrugNames | Mapping[str, str] | Iterable[tuple[str, str]] | None = None
) -> ClinicalQuestion:
    """The question type and the patient context of one question."""
    return ClinicalQuestion(
        question=text, question_type=classify_question(text), patient=extract_patient_context(text, drug_names)
    )

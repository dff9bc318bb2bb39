"""Deterministic clinical extraction: question type, patient context, medications, dose conversions.

The fixture questions (tests/fixtures/clinical_questions.jsonl) are also the tuning set of
bench/eval_extraction.py; a row's ``known_gaps`` names fields the extractor is known to get wrong there.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from curbside.corpus.documents import IngestReport
from curbside.corpus.drugs import load_drug_names
from curbside.retrieval.lexicons import drug_names_from_index, drug_names_from_store
from curbside.retrieval.store import MetadataStore
from curbside.understanding import (
    DrugNames,
    Finding,
    Lexicon,
    Medication,
    PatientContext,
    QuestionType,
    UnderstoodQuestion,
    classify_question,
    explain_question_type,
    extract_patient_context,
    understand,
)
from curbside.understanding.patient_context import (
    DoseConversionError,
    body_surface_area,
    dose_in,
    normalize_dose_unit,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "clinical_questions.jsonl"
HOLDOUT = ROOT / "tests" / "fixtures" / "clinical_questions_holdout.jsonl"
DRUGS_ZIP = ROOT.parent / "shared" / "corpus" / "drug_labels" / "drugsatfda.zip"

# A small brand -> generic mapping: what the fixture needs beyond the curated names of clinical_terms.tsv.
TEST_DRUGS = {
    "Bactrim DS": "sulfamethoxazole; trimethoprim",
    "Otezla": "apremilast",
    "Wellcovorin": "leucovorin calcium",
}

ROWS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def names() -> DrugNames:
    return DrugNames(TEST_DRUGS)


def context(text: str, names: DrugNames) -> PatientContext:
    return extract_patient_context(text, names)


def med(ctx: PatientContext, generic: str) -> Medication:
    return next(m for m in ctx.medications if m.generic == generic)


# --------------------------------------------------------------------------------------------------
# The fixture, question by question


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("'s", "").split())


def _text_in(expected: str, got: list[str]) -> bool:
    # The same leniency as bench/eval_extraction.py: equal, or one qualifier word more or less.
    e = set(_norm(expected).split())
    return any(
        e == set(_norm(g).split())
        or (len(e ^ set(_norm(g).split())) <= 1 and (e <= set(_norm(g).split()) or set(_norm(g).split()) <= e))
        for g in got
    )


def test_fixture_has_enough_varied_questions() -> None:
    assert len(ROWS) >= 45
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    types = {r["expected"]["question_type"] for r in ROWS}
    assert types == {t.value for t in QuestionType}
    assert any(r["expected"]["age"] is None and r["expected"]["sex"] is None for r in ROWS)
    assert len(HOLDOUT.read_text(encoding="utf-8").splitlines()) == 15


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_fixture_question(row: dict[str, Any], names: DrugNames) -> None:
    expected = row["expected"]
    gaps = row.get("known_gaps", {})
    assert classify_question(row["question"]).value == expected["question_type"]
    ctx = context(row["question"], names)
    assert ctx.age == expected["age"]
    assert ctx.sex == expected["sex"]
    if "medications" not in gaps:
        assert [m.generic for m in ctx.medications] == [m["generic"] for m in expected["medications"]]
        for want in expected["medications"]:
            got = med(ctx, want["generic"])
            for key in ("brand", "dose_value", "dose_unit", "route", "frequency", "schedule", "duration"):
                assert getattr(got, key) == want[key], (want["generic"], key)
    assert ctx.current_therapies == expected["current_therapies"]
    assert ctx.prior_therapies == expected["prior_therapies"]
    assert ctx.therapy_duration == expected["therapy_duration"]
    assert ctx.severity == expected["severity"]
    want_findings = {(f["text"].lower(), f["negated"], f["uncertain"]) for f in expected["findings"]}
    got_findings = {(f.text.lower(), f.negated, f.uncertain) for f in ctx.findings}
    assert got_findings == want_findings
    if "conditions" not in gaps:
        assert len(ctx.conditions) == len(expected["conditions"]), ctx.conditions
        for condition in expected["conditions"]:
            assert _text_in(condition, ctx.conditions), (condition, ctx.conditions)


# --------------------------------------------------------------------------------------------------
# The two seed questions, in full


def test_seed_medical_necessity_question(names: DrugNames) -> None:
    text = (
        "Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG "
        "medically necessary and standard of care for MDA5+ dermatomyositis with dysphagia, dysphonia and "
        "evolving rapidly progressive ILD?"
    )
    result = understand(text, lexicon=names.lexicon, drug_names=names)
    assert isinstance(result, UnderstoodQuestion)
    assert result.type is QuestionType.MEDICAL_NECESSITY
    ctx = result.patient
    assert ctx.medications[0].model_dump() == {
        "as_written": "Truxima (rituximab)",
        "generic": "rituximab",
        "brand": "Truxima",
        "dose_value": 1000.0,
        "dose_unit": "mg",
        "route": None,
        "frequency": None,
        "schedule": "day 0 and 14",
        "duration": None,
    }
    assert [m.generic for m in ctx.medications] == ["rituximab", "prednisone", "tacrolimus", "immune globulin"]
    assert med(ctx, "immune globulin").route == "IV"  # the name says it
    assert ctx.conditions == ["MDA5+ dermatomyositis", "interstitial lung disease"]
    assert ctx.severity == ["evolving", "rapidly progressive"]
    assert [f.text for f in ctx.findings] == ["dysphagia", "dysphonia"]
    assert ctx.current_therapies == [] and ctx.prior_therapies == []  # the plan is proposed, not current


def test_seed_next_step_question(names: DrugNames) -> None:
    text = (
        "What is the next step for severe dermatomyositis on IVIG, rituximab, Actemra, prednisone, Plaquenil and "
        "CellCept, improved but still active after 6 months?"
    )
    assert classify_question(text) is QuestionType.NEXT_STEP
    ctx = context(text, names)
    assert ctx.current_therapies == [
        "immune globulin",
        "rituximab",
        "tocilizumab",
        "prednisone",
        "hydroxychloroquine",
        "mycophenolate mofetil",
    ]
    assert {m.brand for m in ctx.medications} == {None, "Actemra", "Plaquenil", "CellCept"}
    assert ctx.severity == ["severe", "improved", "active"]
    assert ctx.therapy_duration == "6 months"


# --------------------------------------------------------------------------------------------------
# Output shape


def test_model_dump_field_names() -> None:
    ctx = PatientContext()
    assert list(ctx.model_dump()) == [
        "age",
        "sex",
        "weight_kg",
        "conditions",
        "severity",
        "findings",
        "medications",
        "current_therapies",
        "prior_therapies",
        "therapy_duration",
        "history",
        "pregnant",
        "gestational_weeks",
        "trimester",
        "race_ethnicity",
        "egfr",
        "creatinine_clearance",
        "anticoagulated",
    ]
    assert list(Medication(as_written="x", generic="x").model_dump()) == [
        "as_written",
        "generic",
        "brand",
        "dose_value",
        "dose_unit",
        "route",
        "frequency",
        "schedule",
        "duration",
    ]
    assert list(Finding(text="x").model_dump()) == ["text", "negated", "uncertain"]


def test_question_types_are_the_documented_nine() -> None:
    assert [t.value for t in QuestionType] == [
        "medical_necessity",
        "next_step",
        "dosing",
        "drug_information",
        "diagnosis_screening",
        "prognosis",
        "comparison",
        "patient_education",
        "general",
    ]
    assert QuestionType("dosing") == "dosing"  # a str enum: JSON-friendly


@pytest.mark.parametrize("text", ["", "   ", "?", "hello", "(((", "on , and , or", "negative for,,,", "concern for"])
def test_empty_or_odd_text_gives_an_empty_context(text: str, names: DrugNames) -> None:
    ctx = context(text, names)
    assert ctx == PatientContext()
    assert classify_question(text) is QuestionType.GENERAL


def test_a_plain_mapping_is_accepted_in_place_of_drug_names() -> None:
    ctx = extract_patient_context("Otezla 30 mg BID?", {"Otezla": "apremilast"})
    assert (ctx.medications[0].generic, ctx.medications[0].brand) == ("apremilast", "Otezla")


# --------------------------------------------------------------------------------------------------
# Question types


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Will the payer approve a prior authorization for Rituxan?", "medical_necessity"),
        ("Please write an appeal for the denied IVIG claim.", "medical_necessity"),
        ("What is the next best step after two failed DMARDs?", "next_step"),
        ("Should we stop methotrexate before surgery?", "next_step"),
        ("What is the maximum dose of colchicine?", "dosing"),
        ("Can my daughter take 400 mg of ibuprofen?", "dosing"),
        ("Does fluconazole interact with tacrolimus?", "drug_information"),
        ("Is leflunomide contraindicated in pregnancy?", "drug_information"),
        ("What tests should be ordered for suspected myositis?", "diagnosis_screening"),
        ("When should screening for lung cancer start?", "diagnosis_screening"),
        ("What is the life expectancy with IPF?", "prognosis"),
        ("Rituximab versus cyclophosphamide in lupus nephritis?", "comparison"),
        ("How do I explain lupus to a newly diagnosed teenager?", "patient_education"),
        ("What causes dermatomyositis?", "general"),
        ("Anti-MDA5 antibodies.", "general"),
    ],
)
def test_question_type_examples(text: str, expected: str) -> None:
    assert classify_question(text).value == expected


def test_explanation_names_the_cues_and_breaks_ties_by_priority() -> None:
    result = explain_question_type("Is IVIG medically necessary at 2 g/kg every 4 weeks, and what dose is best?")
    assert result.question_type is QuestionType.MEDICAL_NECESSITY
    assert "medically necessary" in result.cues["medical_necessity"]
    assert result.scores["dosing"] > 0


# --------------------------------------------------------------------------------------------------
# Medications: names


def test_small_mapping_without_builtin_names() -> None:
    small = DrugNames({"Truxima": "rituximab"}, include_builtin=False)
    ctx = extract_patient_context("Truxima and Actemra for RA?", small)
    assert [(m.generic, m.brand) for m in ctx.medications] == [("rituximab", "Truxima")]
    assert small.generic_for("TRUXIMA") == "rituximab"
    assert small.generic_for("Actemra") is None


def test_pairs_and_mapping_are_equivalent() -> None:
    a = DrugNames({"Otezla": "apremilast"}, include_builtin=False)
    b = DrugNames([("Otezla", "apremilast")], include_builtin=False)
    assert a.generic_for("otezla") == b.generic_for("Otezla") == "apremilast"


def test_drug_names_on_the_engine_lexicon_read_as_on_their_own(names: DrugNames) -> None:
    lexicon = Lexicon.with_builtin_abbreviations(brands=[("Truxima", "rituximab-abbs")], mesh_names=["Lung"])
    shared = DrugNames(TEST_DRUGS, lexicon=lexicon)
    assert shared.lexicon is lexicon and shared.drugs is not lexicon.drugs
    assert names.lexicon.drugs is names.drugs  # alone: a lexicon of these names, whose table they read
    text = "On Otezla, Bactrim DS, Wellcovorin 15 mg, Ruxience, IVIG and MMF for CKD stage 4 and lung disease"
    assert extract_patient_context(text, shared) == extract_patient_context(text, names)
    assert shared.generic_for("Truxima") == names.generic_for("Truxima") == "rituximab"


def test_drug_names_from_an_index_store(tmp_path: Path) -> None:
    store = MetadataStore.create(tmp_path / "metadata.sqlite")
    store.add_drug_names([("ruxience", "rituximab"), ("kineret", "anakinra")])
    store.commit()
    from_store = drug_names_from_store(store, include_builtin=False)
    store.close()
    from_dir = drug_names_from_index(tmp_path, include_builtin=False)
    lexicon = Lexicon()
    store = MetadataStore(tmp_path / "metadata.sqlite", readonly=True)
    assert drug_names_from_store(store, include_builtin=False, lexicon=lexicon).lexicon is lexicon
    store.close()
    for drug_names in (from_store, from_dir):
        ctx = extract_patient_context("Kineret 100 mg SC daily", drug_names)
        assert (ctx.medications[0].generic, ctx.medications[0].brand) == ("anakinra", "Kineret")


@pytest.mark.parametrize(
    ("text", "generic", "brand"),
    [
        ("Truxima 1 g", "rituximab", "Truxima"),
        ("Ruxience 375 mg/m2", "rituximab", "Ruxience"),
        ("rituximab-abbs 1 g", "rituximab", None),
        ("infliximab-dyyb 5 mg/kg", "infliximab", None),
        ("hydroxychloroquine sulfate 200 mg", "hydroxychloroquine", None),
        ("Wellcovorin 5 mg", "leucovorin", "Wellcovorin"),
        ("IVIG 2 g/kg", "immune globulin", None),
        ("MMF 1 g BID", "mycophenolate mofetil", None),
        ("mycophenolate 1 g BID", "mycophenolate mofetil", None),
        ("vitamin D3 2000 IU daily", "cholecalciferol", None),
        ("Bactrim DS twice daily", "sulfamethoxazole and trimethoprim", "Bactrim DS"),
    ],
)
def test_brands_biosimilars_salts_abbreviations(text: str, generic: str, brand: str | None, names: DrugNames) -> None:
    ctx = context(text, names)
    assert [(m.generic, m.brand) for m in ctx.medications] == [(generic, brand)]


def test_biosimilar_suffix_stays_in_as_written(names: DrugNames) -> None:
    assert context("rituximab-abbs 1 g", names).medications[0].as_written == "rituximab-abbs"


@pytest.mark.parametrize(
    ("written", "generic", "brand"),
    [
        ("plaquinil", "hydroxychloroquine", "Plaquenil"),
        ("Xeljans", "tofacitinib", "Xeljanz"),
        ("rituxmab", "rituximab", None),
        ("tocilizumub", "tocilizumab", None),
        ("azathioprin", "azathioprine", None),
    ],
)
def test_misspellings_are_corrected(written: str, generic: str, brand: str | None, names: DrugNames) -> None:
    ctx = context(f"Patient on {written} for RA.", names)
    assert [(m.generic, m.brand, m.as_written) for m in ctx.medications] == [(generic, brand, written)]


@pytest.mark.parametrize(
    "text",
    [
        "Severe myositis with dysphagia and dysphonia, improved after therapy.",
        "Progressive weakness and calcinosis in juvenile dermatomyositis.",
        "Active arthritis with rash, no infections.",
    ],
)
def test_clinical_words_are_never_corrected_into_drugs(text: str, names: DrugNames) -> None:
    assert context(text, names).medications == []


def test_unknown_drug_by_inn_stem_and_brand_next_to_it(names: DrugNames) -> None:
    ctx = context("Requesting Vyvgart (efgartigimod) 10 mg/kg IV weekly for 4 weeks.", names)
    assert ctx.medications[0].model_dump() == {
        "as_written": "Vyvgart (efgartigimod)",
        "generic": "efgartigimod",
        "brand": "Vyvgart",
        "dose_value": 10.0,
        "dose_unit": "mg/kg",
        "route": "IV",
        "frequency": "weekly",
        "schedule": None,
        "duration": "4 weeks",
    }
    ctx = context("Is efgartigimod (Vyvgart) 10 mg/kg covered?", names)
    assert (ctx.medications[0].generic, ctx.medications[0].brand, ctx.medications[0].dose_value) == (
        "efgartigimod",
        "Vyvgart",
        10.0,
    )


def test_repeated_drug_is_one_medication_and_the_first_values_win(names: DrugNames) -> None:
    ctx = context("On oral methotrexate 20 mg weekly, switching to subcutaneous methotrexate 25 mg weekly.", names)
    assert len(ctx.medications) == 1
    m = ctx.medications[0]
    assert (m.dose_value, m.route, m.frequency) == (20.0, "PO", "weekly")


# --------------------------------------------------------------------------------------------------
# Medications: dose, unit, route, frequency, schedule, duration


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("rituximab 1 g", 1.0, "g"),
        ("rituximab 1000 mg", 1000.0, "mg"),
        ("rituximab 1000mg", 1000.0, "mg"),
        ("IVIG 2 g/kg", 2.0, "g/kg"),
        ("IVIG 400 mg/kg/day", 400.0, "mg/kg/day"),
        ("cyclosporine 5 mg/kg/d", 5.0, "mg/kg/day"),
        ("rituximab 375 mg/m2", 375.0, "mg/m2"),
        ("rituximab 375 mg/m²", 375.0, "mg/m2"),
        ("cyanocobalamin 1000 mcg", 1000.0, "mcg"),
        ("levothyroxine 1.6 µg/kg/day", 1.6, "mcg/kg/day"),
        ("levothyroxine 50 ug", 50.0, "mcg"),
        ("cholecalciferol 50,000 IU", 50000.0, "IU"),
        ("heparin 80 units/kg", 80.0, "units/kg"),
        ("methylprednisolone 500 milligrams", 500.0, "mg"),
        ("prednisone 40 mg/day", 40.0, "mg/day"),
        ("ibuprofen 10 mg/kg/dose", 10.0, "mg/kg"),
        ("prednisone 1-2 mg/kg", 1.0, "mg/kg"),
        ("2 g/kg IVIG", 2.0, "g/kg"),
    ],
)
def test_dose_values_and_units(text: str, value: float, unit: str, names: DrugNames) -> None:
    m = context(text, names).medications[0]
    assert (m.dose_value, m.dose_unit) == (value, unit)


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("rituximab 1 g IV", "IV"),
        ("methylprednisolone 1 g intravenously", "IV"),
        ("rituximab 1 g infusion", "IV"),
        ("prednisone 20 mg PO", "PO"),
        ("oral prednisone 20 mg", "PO"),
        ("prednisone 20 mg by mouth", "PO"),
        ("methotrexate 25 mg SC", "SC"),
        ("methotrexate 25 mg SQ", "SC"),
        ("subcutaneous methotrexate 25 mg", "SC"),
        ("methotrexate 25 mg subcut weekly", "SC"),
        ("cyanocobalamin 1000 mcg IM", "IM"),
    ],
)
def test_routes(text: str, route: str, names: DrugNames) -> None:
    assert context(text, names).medications[0].route == route


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("prednisone 5 mg BID", "twice daily"),
        ("prednisone 5 mg twice daily", "twice daily"),
        ("prednisone 5 mg b.i.d.", "twice daily"),
        ("colchicine 0.6 mg TID", "three times daily"),
        ("methotrexate 15 mg weekly", "weekly"),
        ("methotrexate 15 mg once a week", "weekly"),
        ("IVIG 1 g/kg monthly", "monthly"),
        ("monthly IVIG 1 g/kg", "monthly"),
        ("IVIG 2 g/kg every 4 weeks", "every 4 weeks"),
        ("IVIG 2 g/kg q4w", "every 4 weeks"),
        ("rituximab 1 g q6 months", "every 6 months"),
        ("rituximab 500 mg every 6 months", "every 6 months"),
        ("ocrelizumab 600 mg every 24 weeks", "every 24 weeks"),
        ("enoxaparin 1 mg/kg q12h", "every 12 hours"),
        ("adalimumab 40 mg every other week", "every 2 weeks"),
        ("acetaminophen 650 mg prn", "as needed"),
        ("methotrexate 7.5 mg 3 times a week", "three times weekly"),
    ],
)
def test_frequencies(text: str, frequency: str, names: DrugNames) -> None:
    assert context(text, names).medications[0].frequency == frequency


@pytest.mark.parametrize(
    ("text", "schedule", "duration"),
    [
        ("Truxima 1000 mg day 0 and 14", "day 0 and 14", None),
        ("Ruxience 1 g IV on days 1 and 15", "days 1 and 15", None),
        ("belimumab 10 mg/kg on days 0, 14 and 28", "days 0, 14 and 28", None),
        ("cyclophosphamide 500 mg days 1-5", "days 1-5", None),
        ("IVIG 2 g/kg over 5 days", "over 5 days", None),
        ("rituximab 1000 mg IV x2 two weeks apart", "2 doses 2 weeks apart", None),
        ("rituximab 375 mg/m2 weekly for 4 weeks", None, "4 weeks"),
        ("methylprednisolone 1 g daily x 3 days", None, "3 days"),
        ("rituximab 375 mg/m2 weekly x 4 doses", None, "4 doses"),
        ("cyclophosphamide 750 mg/m2 every 4 weeks for 6 cycles", None, "6 cycles"),
    ],
)
def test_schedules_and_durations(text: str, schedule: str | None, duration: str | None, names: DrugNames) -> None:
    m = context(text, names).medications[0]
    assert (m.schedule, m.duration) == (schedule, duration)


def test_a_dose_no_drug_claims_goes_to_the_only_drug(names: DrugNames) -> None:
    m = context("What is the dose of IVIG for Kawasaki disease: 2 g/kg as a single infusion?", names).medications[0]
    assert (m.dose_value, m.dose_unit, m.frequency) == (2.0, "g/kg", "once")


def test_decimal_doses_do_not_end_the_sentence(names: DrugNames) -> None:
    ctx = context("After 6 months of mycophenolate 1.5 g BID, no hypertension.", names)
    m = ctx.medications[0]
    assert (m.dose_value, m.dose_unit, m.frequency) == (1.5, "g", "twice daily")
    assert ctx.therapy_duration == "6 months"


def test_attributes_before_the_next_drug_are_its_own(names: DrugNames) -> None:
    ctx = context("Solu-Medrol 1 g infusion daily for 3 days then oral prednisone 1 mg/kg.", names)
    assert (med(ctx, "methylprednisolone").route, med(ctx, "prednisone").route) == ("IV", "PO")
    assert med(ctx, "methylprednisolone").duration == "3 days"


# --------------------------------------------------------------------------------------------------
# Current and prior therapies


def test_current_prior_and_proposed_therapies(names: DrugNames) -> None:
    ctx = context(
        "History of cyclophosphamide and MMF; now on tacrolimus 2 mg BID and prednisone. Add rituximab?", names
    )
    assert ctx.prior_therapies == ["cyclophosphamide", "mycophenolate mofetil"]
    assert ctx.current_therapies == ["tacrolimus", "prednisone"]
    assert "rituximab" in [m.generic for m in ctx.medications]


def test_time_on_therapy(names: DrugNames) -> None:
    ctx = context("On mycophenolate mofetil 1500 mg BID for 9 months, still active. Next step?", names)
    assert ctx.therapy_duration == "9 months"
    assert ctx.medications[0].duration is None  # elapsed time, not a planned course


# --------------------------------------------------------------------------------------------------
# Findings: negation and uncertainty


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("RA on methotrexate, no infections, no cytopenias.", "infections"),
        ("RA on methotrexate, no infections, no cytopenias.", "cytopenias"),
        ("Atrial fibrillation without history of stroke.", "stroke"),
        ("She denies bleeding.", "bleeding"),
        ("Negative for tuberculosis.", "tuberculosis"),
        ("No evidence of malignancy on CT.", "malignancy"),
        ("ANA negative, CK normal.", "ANA"),
        ("TB was ruled out and she has myositis.", "TB"),
        ("Denies headache, jaw claudication or visual loss.", "visual loss"),
    ],
)
def test_negation(text: str, item: str, names: DrugNames) -> None:
    findings = {f.text: f for f in context(text, names).findings}
    assert findings[item].negated and not findings[item].uncertain


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("Concern for RP-ILD in a 47-year-old woman.", "RP-ILD"),
        ("Fever with possible pneumonia.", "pneumonia"),
        ("Suspected macrophage activation syndrome in a boy.", "macrophage activation syndrome"),
        ("How do I rule out pulmonary embolism in pregnancy?", "pulmonary embolism"),
        ("r/o vasculitis vs infection in a 40M.", "infection"),
        ("Questionable pulmonary nodules on CT.", "pulmonary nodules"),
        ("Giant cell arteritis is suspected.", "Giant cell arteritis"),
    ],
)
def test_uncertainty(text: str, item: str, names: DrugNames) -> None:
    findings = {f.text: f for f in context(text, names).findings}
    assert findings[item].uncertain and not findings[item].negated


def test_negated_or_uncertain_diagnoses_are_not_conditions(names: DrugNames) -> None:
    ctx = context("Patient with suspected giant cell arteritis, no diabetes, and known psoriasis.", names)
    assert ctx.conditions == ["psoriasis"]
    assert {(f.text, f.negated, f.uncertain) for f in ctx.findings} == {
        ("giant cell arteritis", False, True),
        ("diabetes", True, False),
    }


def test_negation_scope_stops(names: DrugNames) -> None:
    ctx = context("No fever but worsening dyspnea; no rash, ferritin 1,800 and cough.", names)
    got = {f.text: f.negated for f in ctx.findings}
    assert got == {"fever": True, "dyspnea": False, "rash": True, "ferritin 1,800": False, "cough": False}


def test_lab_findings(names: DrugNames) -> None:
    ctx = context("72M with prostate cancer, PSA rising, platelets 8,000 and elevated CK.", names)
    assert [f.text for f in ctx.findings] == ["PSA rising", "platelets 8,000", "elevated CK"]


# --------------------------------------------------------------------------------------------------
# Conditions and severity


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("MDA5+ DM with RP-ILD", ["MDA5+ dermatomyositis", "interstitial lung disease"]),
        ("CKD stage 4 and AF", ["chronic kidney disease stage 4", "atrial fibrillation"]),
        ("severe hemophilia A with joint bleeding", ["hemophilia A"]),
        ("systemic JIA on anakinra", ["systemic juvenile idiopathic arthritis"]),
        ("granulomatosis with polyangiitis in remission", ["granulomatosis with polyangiitis"]),
        ("Should she be screened for colorectal cancer?", []),
        ("family history of breast cancer", []),
        ("Crohn's disease and type 2 diabetes", ["Crohn's disease", "type 2 diabetes"]),
    ],
)
def test_conditions(text: str, conditions: list[str], names: DrugNames) -> None:
    assert context(text, names).conditions == conditions


def test_severity_is_canonical_and_left_out_of_the_condition(names: DrugNames) -> None:
    ctx = context("Refractory, rapidly-progressive ILD, improving, acute gout flare and primary progressive MS.", names)
    assert ctx.severity == ["refractory", "rapidly progressive", "improved", "flare"]
    assert "primary progressive multiple sclerosis" in ctx.conditions
    assert "interstitial lung disease" in ctx.conditions


def test_no_improvement_is_not_a_negated_finding(names: DrugNames) -> None:
    ctx = context("Dermatomyositis with no improvement on IVIG.", names)
    assert ctx.severity == ["not improved"]
    assert ctx.findings == []


def test_weight_in_kg_and_pounds(names: DrugNames) -> None:
    assert context("a 70 kg adult on IVIG 2 g/kg", names).weight_kg == 70.0
    assert context("Toddler weighing 26 lbs", names).weight_kg == pytest.approx(11.8)


# --------------------------------------------------------------------------------------------------
# Units and conversions (pint)


@pytest.mark.parametrize(
    ("value", "unit", "target", "kwargs", "result", "text"),
    [
        (2, "g/kg", "g", {"weight_kg": 70}, 140.0, "2 g/kg × 70 kg = 140 g"),
        (2, "g/kg", "mg", {"weight_kg": 70}, 140000.0, "2 g/kg × 70 kg = 140000 mg"),
        (375, "mg/m2", "mg", {"bsa_m2": 1.8}, 675.0, "375 mg/m² × 1.8 m² = 675 mg"),
        (400, "mg/kg/day", "g/day", {"weight_kg": 70}, 28.0, "400 mg/kg/day × 70 kg = 28 g/day"),
        (5, "mg/kg/day", "mg/day", {"weight_kg": 40}, 200.0, "5 mg/kg/day × 40 kg = 200 mg/day"),
        (140, "g", "g/kg", {"weight_kg": 70}, 2.0, "140 g ÷ 70 kg = 2 g/kg"),
        (1, "g", "mg", {}, 1000.0, "1 g = 1000 mg"),
        (1000, "mcg", "mg", {}, 1.0, "1000 mcg = 1 mg"),
        (2, "g/kg", "mg/kg", {}, 2000.0, "2 g/kg = 2000 mg/kg"),
        (50, "IU/kg", "IU", {"weight_kg": 20}, 1000.0, "50 IU/kg × 20 kg = 1000 IU"),
        (1.6, "µg/kg/day", "mg/day", {"weight_kg": 60}, 0.096, "1.6 mcg/kg/day × 60 kg = 0.096 mg/day"),
        (1, "mg/kg/day", "mg/kg/week", {}, 7.0, "1 mg/kg/day = 7 mg/kg/week"),
    ],
)
def test_dose_in(value: float, unit: str, target: str, kwargs: dict[str, float], result: float, text: str) -> None:
    conversion = dose_in(value, unit, target, **kwargs)
    assert math.isclose(conversion.value, result, rel_tol=1e-9)
    assert conversion.text == text
    assert conversion.unit == normalize_dose_unit(target)


@pytest.mark.parametrize(
    ("unit", "target", "kwargs", "message"),
    [
        ("g/kg", "g", {}, "needs weight_kg"),
        ("mg/m2", "mg", {}, "needs bsa_m2"),
        ("mg/kg", "mg", {"weight_kg": 0}, "needs weight_kg"),
        ("mg", "IU", {}, "different kinds"),
        ("mg/day", "mg", {}, "different kinds"),
        ("furlongs", "mg", {}, "Unknown dose unit"),
    ],
)
def test_dose_in_refuses_what_it_cannot_convert(unit: str, target: str, kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(DoseConversionError, match=message):
        dose_in(1, unit, target, **kwargs)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("MG/KG/D", "mg/kg/day"),
        ("µg", "mcg"),
        ("μg", "mcg"),
        ("ug", "mcg"),
        ("gm", "g"),
        ("grams", "g"),
        ("mg per kg", "mg/kg"),
        ("mg/m^2", "mg/m2"),
        ("units/kg/h", "units/kg/h"),
        ("iu", "IU"),
        ("mEq", "mEq"),
        ("mg/kg/dose", "mg/kg"),
        ("kg", None),
        ("furlong", None),
    ],
)
def test_normalize_dose_unit(written: str, canonical: str | None) -> None:
    assert normalize_dose_unit(written) == canonical


def test_medication_dose_in_and_body_surface_area(names: DrugNames) -> None:
    m = context("IVIG 2 g/kg every 4 weeks", names).medications[0]
    assert m.dose_in("g", weight_kg=70).text == "2 g/kg × 70 kg = 140 g"
    assert body_surface_area(170, 70) == pytest.approx(1.818, abs=1e-3)
    with pytest.raises(DoseConversionError):
        Medication(as_written="x", generic="x").dose_in("mg")


# --------------------------------------------------------------------------------------------------
# The real Drugs@FDA names, and the evaluation script


@pytest.mark.corpus
def test_fixture_with_the_real_drugs_at_fda_names() -> None:
    if not DRUGS_ZIP.exists():
        pytest.skip("Drugs@FDA not available")
    pairs = [(d.brand, d.generic) for d in load_drug_names(DRUGS_ZIP, IngestReport())]
    real = DrugNames(pairs)
    for row in ROWS:
        if "medications" in row.get("known_gaps", {}):
            continue
        ctx = extract_patient_context(row["question"], real)
        assert [m.generic for m in ctx.medications] == [m["generic"] for m in row["expected"]["medications"]], row["id"]


def test_evaluation_script_reports_both_sets() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "eval_extraction.py"), "--builtin-only", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(out.stdout)
    assert set(report) == {"drug_names", "tuning", "holdout"}
    assert report["holdout"]["questions"] == 15
    assert report["tuning"]["accuracy"]["question_type"] >= 0.9
    assert report["tuning"]["fields"]["medications (generic)"]["recall"] >= 0.9

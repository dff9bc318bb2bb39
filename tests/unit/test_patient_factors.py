"""The patient factors guidelines condition on (curbside.understanding.patient_factors): pregnancy and trimester,
race or ethnicity, renal function and anticoagulation, read into PatientContext. Traps first-class: "black stools"
is no race, a past pregnancy is no pregnancy, a proposed anticoagulant is no anticoagulation."""

from __future__ import annotations

from importlib import resources

import pytest

from curbside.understanding import DrugNames, Lexicon, PatientContext, extract_patient_context, understand
from curbside.understanding.patient_factors import trimester_of
from curbside.vocabulary.patient_factors import factor_mapping, race_ethnicity_terms
from curbside.vocabulary.tables import read_table


def context(text: str) -> PatientContext:
    return extract_patient_context(text)


# --------------------------------------------------------------------------------------------------
# Pregnancy


@pytest.mark.parametrize(
    ("text", "pregnant", "weeks", "trimester"),
    [
        ("Tdap for a G2P1 at 28 weeks?", True, 28, 3),
        ("A 30-year-old woman at 28 weeks' gestation with asthma: is albuterol safe?", True, 28, 3),
        ("She is 28 weeks pregnant with antiphospholipid syndrome.", True, 28, 3),
        ("Pregnant woman at 32 weeks with pyelonephritis: which antibiotic?", True, 32, 3),
        ("A 28-year-old woman, G1P0 at 12 weeks, with hypothyroidism.", True, 12, 1),
        ("GA 24+3, preterm contractions, nifedipine?", True, 24, 2),
        ("28w3d with preeclampsia: magnesium dose?", True, 28, 3),
        ("Is she at 13 weeks of pregnancy too early for the scan?", True, 13, 1),
        ("Gestational age of 14 weeks and a UTI.", True, 14, 2),
        ("Is lisinopril safe in pregnancy?", True, None, None),
        ("Graves' disease in pregnancy: propylthiouracil or methimazole in the first trimester?", True, None, 1),
        ("Third trimester, which antihypertensive?", True, None, 3),
        ("Is it safe after the first trimester?", True, None, None),  # pregnant, but not which trimester
        ("How do I rule out pulmonary embolism in a pregnant woman with dyspnea?", True, None, None),
        ("She is not pregnant.", False, None, None),
        ("A non-pregnant woman of 30 with cystitis.", False, None, None),
        ("Pregnancy test negative. Start isotretinoin?", False, None, None),
        ("Negative pregnancy test; methotrexate for ectopic?", False, None, None),
        ("Pregnancy was ruled out; CT with contrast?", False, None, None),
    ],
)
def test_pregnancy(text: str, pregnant: bool, weeks: int | None, trimester: int | None) -> None:
    ctx = context(text)
    assert (ctx.pregnant, ctx.gestational_weeks, ctx.trimester) == (pregnant, weeks, trimester)


@pytest.mark.parametrize(
    "text",
    [
        "A 34-year-old with a history of pregnancy loss and antiphospholipid syndrome.",  # not pregnant now
        "History of preeclampsia in her prior pregnancy; aspirin now?",
        "Recurrent pregnancy loss: which tests?",
        "Could she be pregnant?",
        "Planning pregnancy, should she stop methotrexate?",
        "Women who wish to become pregnant: folic acid dose?",
        "Is warfarin pregnancy category X?",
        "A 25-year-old postpartum woman with hypertension.",  # postpartum: no reading either way
        "She is 3 weeks postpartum and breastfeeding, after an uncomplicated pregnancy.",
        "A 2-year-old born at 28 weeks' gestation with asthma.",  # the patient's own birth
        "A 30-year-old man whose wife is pregnant asks about Tdap.",  # a man is never read as pregnant
        "Is the dose different in pregnant and non-pregnant women?",  # both said: no reading
        "Infant at 6 weeks old, vaccines?",
        "Tdap at 28 weeks",  # a bare "28 weeks" with no obstetric word could be any follow-up
        "Rituximab every 24 weeks for a 40-year-old woman with MS.",
        "G2P2, IUD or implant?",  # obstetric history says nothing of now
    ],
)
def test_no_pregnancy_reading(text: str) -> None:
    ctx = context(text)
    assert (ctx.pregnant, ctx.gestational_weeks, ctx.trimester) == (None, None, None)


def test_trimester_boundaries() -> None:
    assert [trimester_of(w) for w in (4, 13, 14, 27, 28, 41)] == [1, 1, 2, 2, 3, 3]
    assert context("She is 27 weeks pregnant.").trimester == 2
    assert context("at 14 weeks' gestation").trimester == 2


def test_weeks_take_precedence_over_trimester_words() -> None:
    ctx = context("In the second trimester, now 29 weeks pregnant.")
    assert (ctx.pregnant, ctx.gestational_weeks, ctx.trimester) == (True, 29, 3)


# --------------------------------------------------------------------------------------------------
# Race and ethnicity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("First-line treatment for uncomplicated hypertension in a 50-year-old Black patient?", ["Black"]),
        ("A 50-year-old Black man with hypertension.", ["Black"]),
        ("African American woman, 45, with diabetes.", ["Black"]),
        ("55 yo AA male with HTN", ["Black"]),
        ("A 62F African American with HTN", ["Black"]),
        ("A 40-year-old man of Hispanic ethnicity with hypercholesterolemia.", ["Hispanic/Latino"]),
        ("A 35-year-old non-Hispanic white woman", ["White"]),
        ("Statin for South Asian adults?", ["South Asian", "Asian"]),
        ("patient of South Asian descent", ["South Asian", "Asian"]),
        ("A 45-year-old Asian-American woman", ["Asian"]),
        ("Black and Hispanic women: breast cancer screening age?", ["Black", "Hispanic/Latino"]),
        ("Native American man with diabetes", ["American Indian/Alaska Native"]),
        ("BRCA testing in a woman of Ashkenazi Jewish ancestry", ["Ashkenazi Jewish"]),
        ("She is Black.", ["Black"]),
        ("Latina woman, 30, with gestational diabetes", ["Hispanic/Latino"]),
        ("a Black 45-year-old woman with lupus", ["Black"]),
        ("a Black 45-year-old with lupus", ["Black"]),
        ("Thiazide or ACE inhibitor in blacks with hypertension?", ["Black"]),
        ("Is the BMI threshold for diabetes screening lower in Asians?", ["Asian"]),
    ],
)
def test_race_ethnicity(text: str, expected: list[str]) -> None:
    assert context(text).race_ethnicity == expected


@pytest.mark.parametrize(
    "text",
    [
        "A 60-year-old man with black stools on apixaban.",
        "Does Xeljanz have a black box warning for thrombosis in patients over 50?",
        "Black box warning of fluoroquinolones?",
        "The stool is black.",
        "white matter lesions in a 70 yo man",
        "white coat hypertension in older adults",
        "white blood cell count 2.1 in a 40-year-old woman",
        "Black cohosh for hot flashes in women?",
        "Asian ginseng for fatigue?",
        "AA amyloidosis: colchicine?",
        "A 45-year-old with black hairy tongue.",
        "black 3-day-old stools in an infant",
    ],
)
def test_not_race(text: str) -> None:
    assert context(text).race_ethnicity == []


# --------------------------------------------------------------------------------------------------
# Renal function


@pytest.mark.parametrize(
    ("text", "egfr", "crcl"),
    [
        ("Metformin at eGFR 35?", 35.0, None),
        ("eGFR of 35 mL/min/1.73m2, continue metformin?", 35.0, None),
        ("GFR 28.", 28.0, None),
        ("estimated glomerular filtration rate (eGFR) of 40", 40.0, None),
        ("eGFR declined from 60 to 35 over a year; continue metformin?", 35.0, None),  # the latest
        ("eGFR 60 -> 35", 35.0, None),
        ("eGFR was 60, now 35", 35.0, None),
        ("eGFR 45 last year, now 30.", 30.0, None),
        ("eGFR 35 (was 60 a year ago)", 35.0, None),
        ("eGFR 52 in January. Repeat eGFR 44.", 44.0, None),  # the last mention
        ("CrCl 40, apixaban dose?", None, 40.0),
        ("creatinine clearance of 25 mL/min", None, 25.0),
        ("eGFR of 35 mL/min/1.73m2 and CrCl 40 mL/min", 35.0, 40.0),  # kept apart
        ("eGFR 35, 70 yo", 35.0, None),
        ("91 yo female with hip fracture, eGFR 25.", 25.0, None),
        ("CKD stage 3b with eGFR 35 and potassium 5.4.", 35.0, None),
        ("eGFR 38.5 mL/min/1.73 m²", 38.5, None),
    ],
)
def test_renal_function(text: str, egfr: float | None, crcl: float | None) -> None:
    ctx = context(text)
    assert (ctx.egfr, ctx.creatinine_clearance) == (egfr, crcl)


@pytest.mark.parametrize(
    "text",
    [
        "Metformin is contraindicated when eGFR < 30.",  # a threshold, not the patient's value
        "CrCl below 30 mL/min: apixaban dose?",
        "eGFR 30-45, dose?",  # a band
        "eGFR 30 to 45: metformin dose?",
        "Creatinine 1.8 in a 70-year-old man.",  # a creatinine is no clearance
        "GFR category G3b",
        "eGFR 2024 was normal",
    ],
)
def test_no_renal_value(text: str) -> None:
    ctx = context(text)
    assert (ctx.egfr, ctx.creatinine_clearance) == (None, None)


# --------------------------------------------------------------------------------------------------
# Anticoagulation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A 70-year-old on warfarin needs ciprofloxacin for UTI.", True),
        ("INR 2.5 on warfarin; can she take ibuprofen?", True),
        ("68-year-old man with atrial fibrillation on apixaban, denies bleeding.", True),
        ("Patient on a DOAC needs a colonoscopy.", True),
        ("She takes a blood thinner.", True),
        ("On chronic anticoagulation for a mechanical valve.", True),
        ("Recurrent DVT despite anticoagulation.", True),
        ("An anticoagulated 70-year-old with a fall and head strike.", True),
        ("Taking Xarelto 20 mg daily.", True),
        ("on heparin drip, platelets falling", True),
        ("She is not on anticoagulation.", False),
        ("not anticoagulated", False),
        ("Off anticoagulation for surgery, bridging?", False),
        ("Should I start warfarin for AF in a 70-year-old?", None),  # proposed, not taken
        ("Should I start him on apixaban?", None),
        ("Should she be on anticoagulation?", None),
        ("She was started on apixaban last month.", True),
        ("not on a DOAC", False),
        ("Warfarin or apixaban for AF in CKD?", None),
        ("Should she be anticoagulated?", None),
        ("Is anticoagulation indicated after a provoked DVT?", None),
        ("no contraindication to anticoagulation, which DOAC?", None),
        ("not on warfarin, on aspirin", None),  # the one anticoagulant named is negated; aspirin is no anticoagulant
        ("A 65-year-old with AF.", None),
    ],
)
def test_anticoagulation(text: str, expected: bool | None) -> None:
    assert context(text).anticoagulated is expected


def test_not_on_a_drug_is_no_current_therapy() -> None:
    assert context("not on warfarin, on aspirin").current_therapies == ["aspirin"]
    assert context("No longer on apixaban.").prior_therapies == ["apixaban"]
    assert context("She is not currently taking warfarin.").current_therapies == []
    assert context("Should I start him on apixaban?").current_therapies == []  # proposed
    assert context("Should I put her on warfarin and aspirin?").current_therapies == []


# --------------------------------------------------------------------------------------------------
# Together, the data files, and the command line


def test_one_story_gives_every_factor() -> None:
    ctx = context(
        "A 72-year-old Black woman with atrial fibrillation on apixaban 5 mg BID, eGFR 28 mL/min/1.73 m2 and "
        "CrCl 24 mL/min. Reduce the dose?"
    )
    assert ctx.race_ethnicity == ["Black"]
    assert (ctx.egfr, ctx.creatinine_clearance, ctx.anticoagulated) == (28.0, 24.0, True)
    assert ctx.pregnant is None


def test_data_files_have_a_header_and_say_who_curated_them() -> None:
    for name in ("patient_factors.tsv", "race_ethnicity.tsv"):
        lines = resources.files("curbside.vocabulary").joinpath(f"data/{name}").read_text(encoding="utf-8").splitlines()
        assert not lines[0].startswith("#") and "\t" in lines[0]
        assert any("Curated by hand for Curbside" in line for line in lines)
        assert read_table(name)
    canonical = {t.canonical for t in race_ethnicity_terms()}
    assert {"Black", "White", "Asian", "South Asian", "Hispanic/Latino", "American Indian/Alaska Native",
            "Native Hawaiian/Pacific Islander"} <= canonical
    assert all(t.broader in canonical for t in race_ethnicity_terms() if t.broader)
    assert set(factor_mapping("renal_measure").values()) == {"egfr", "crcl"}


def test_understand_reads_the_factors_from_the_story_and_the_context_given_apart() -> None:
    understood = understand(
        "Which antihypertensive?", "A 50-year-old Black woman, 28 weeks pregnant, on enoxaparin, eGFR 35.",
        lexicon=Lexicon(), drug_names=DrugNames(),
    )
    patient = understood.patient
    assert patient.race_ethnicity == ["Black"]
    assert (patient.pregnant, patient.gestational_weeks, patient.trimester) == (True, 28, 3)
    assert (patient.egfr, patient.creatinine_clearance, patient.anticoagulated) == (35.0, None, True)

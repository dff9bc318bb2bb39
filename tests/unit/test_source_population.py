"""Source population (corpus/population.py) and its fit to a question (evidence/population.py), issue 10.

Titles and target populations are real ones from the starter corpus (NGC summaries, USPSTF recommendation
populations, PMC trials, MedQuAD pages). The traps are the issue's: guidelines for homeless patients with HIV, for
children, for pulmonary arterial hypertension and for antiphospholipid syndrome cited for general adult questions.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from curbside.corpus.documents import DocType, Document, Passage
from curbside.corpus.population import SourcePopulation, cues, population_of, read_population_text, settings_in
from curbside.evidence.population import FitVerdict, QuestionPopulation, question_population, source_fit
from curbside.retrieval.search import SearchHit
from curbside.understanding import Lexicon, understand
from curbside.understanding.patient_context import DrugNames
from curbside.vocabulary.conditions import concepts_mentioned

DIRECT, INDIRECT, EXCLUDED = FitVerdict.DIRECT, FitVerdict.INDIRECT, FitVerdict.EXCLUDED


def _doc(doc_id: str, title: str, target_population: str | None = None, *, sections: tuple[str, ...] = ()) -> Document:
    source = doc_id.split("-")[0] if "-" in doc_id else "pmc_rct"
    doc_type = {"ngc": DocType.GUIDELINE, "uspstf": DocType.GUIDELINE, "medquad": DocType.PATIENT_INFORMATION,
                "spl": DocType.DRUG_LABEL}.get(source, DocType.RCT)
    doc = Document(doc_id=doc_id, source=source, title=title, doc_type=doc_type)
    for section in sections:
        doc.add_passage(section, "The USPSTF recommends the service.")
    if target_population:
        doc.add_passage("Target Population", target_population)
    return doc


HIV_HOMELESS = _doc(
    "ngc-10207", "Adapting your practice: treatment and recommendations for unstably housed patients with HIV/AIDS",
    "Unstably housed adults and adolescents with human immunodeficiency virus (HIV) or acquired immune deficiency "
    "syndrome (AIDS), including the following special populations:\n- Unstably housed women\n- Unstably housed youth")
DIABETES_HOMELESS = _doc(
    "ngc-10208", "Adapting your practice: treatment and recommendations for patients who are homeless with diabetes mellitus",
    "Homeless adults with diabetes mellitus")
CHILD_HYPERTENSION = _doc(
    "ngc-10057", "Screening for primary hypertension in children and adolescents: U.S. Preventive Services Task Force "
    "recommendation statement", "Children and adolescents who do not have symptoms of hypertension")
VA_HYPERTENSION = _doc(
    "ngc-10598", "VA/DoD clinical practice guideline for the diagnosis and management of hypertension in the primary care setting",
    "Adults (men and women) who are eligible for care in the Department of Veterans Affairs (VA) and Department of "
    "Defense (DoD) healthcare delivery system, including veterans as well as deployed and non-deployed active duty "
    "service members\n Note : This guideline does not provide recommendations for the management of hypertension in pregnancy.")
VA_DIABETES = _doc(
    "ngc-11213", "VA/DoD clinical practice guideline for the management of type 2 diabetes mellitus in primary care",
    "Adult patients (18 years or older) with type 2 diabetes mellitus (T2DM) who are eligible for care in the "
    "Department of Veterans Affairs and Department of Defense (VA and DoD) healthcare delivery systems")
PAH_PAGE = _doc("medquad-GHR_0000849", "pulmonary arterial hypertension")
APS_PAGE = _doc("medquad-NHLBI_0000005", "Antiphospholipid Antibody Syndrome")
AF_PAGE = _doc("medquad-NHLBI_0000013", "Atrial Fibrillation")
HOMELESS_PAGE = _doc("medquad-MPlusHealthTopics_0000485", "Homeless Health Concerns")
RARE_PAGE = _doc("medquad-GARD_0002622", "Glycogen storage disease type 6")
HYPERTENSION_SCREENING = _doc("uspstf-434", "Hypertension in Adults: Screening",
                              sections=("Hypertension in Adults: Screening -- Adults 18 years or older without known hypertension",))
COLORECTAL_SCREENING = _doc("uspstf-443", "Colorectal Cancer: Screening", sections=(
    "Colorectal Cancer: Screening -- Adults aged 50 to 75 years", "Colorectal Cancer: Screening -- Adults aged 45 to 49 years",
    "Colorectal Cancer: Screening -- Adults aged 76 to 85 years"))
BREAST_SCREENING = _doc("uspstf-734", "Breast Cancer: Screening", sections=(
    "Breast Cancer: Screening -- Women aged 40 to 74 years", "Breast Cancer: Screening -- Women 75 years or older"))
COGNITIVE_SCREENING = _doc("uspstf-419", "Cognitive Impairment in Older Adults: Screening",
                           sections=("Cognitive Impairment in Older Adults: Screening -- Older adults (aged 65 years or older)",))
PREECLAMPSIA_SCREENING = _doc("uspstf-778", "Hypertensive Disorders of Pregnancy: Screening",
                              sections=("Hypertensive Disorders of Pregnancy: Screening -- Asymptomatic pregnant persons",))
GESTATIONAL_DIABETES = _doc("uspstf-445", "Gestational Diabetes: Screening", sections=(
    "Gestational Diabetes: Screening -- Asymptomatic pregnant persons at 24 weeks of gestation or after",))
ASPIRIN_PREECLAMPSIA = _doc(
    "ngc-10602", "Low-dose aspirin use for the prevention of morbidity and mortality from preeclampsia: U.S. Preventive "
    "Services Task Force recommendation statement", "Asymptomatic pregnant women who are at increased risk for preeclampsia "
    "and who have no prior adverse effects with or contraindications to low-dose aspirin")
HBV_NONPREGNANT = _doc(
    "ngc-10472", "Screening for hepatitis B virus infection in nonpregnant adolescents and adults: U.S. Preventive "
    "Services Task Force recommendation statement", "Asymptomatic, nonpregnant adolescents and adults at high risk for "
    "hepatitis B virus (HBV) infection (including those at high risk who were vaccinated before being screened for HBV infection)")
TOBACCO_INCLUDING_PREGNANT = _doc(
    "ngc-10808", "Behavioral and pharmacotherapy interventions for tobacco smoking cessation in adults, including pregnant "
    "women: U.S. Preventive Services Task Force recommendation statement", "Adults aged 18 years or older, including pregnant women")
WORKERS_BACK_PAIN = _doc("ngc-10647", "Low back pain medical treatment guidelines",
                         "Individuals who qualify as injured workers with low back pain under Colorado's Workers' Compensation Act")
WORKERS_OPIOIDS = _doc("ngc-9597", "Guideline for prescribing opioids to treat pain in injured workers",
                       "Injured and ill workers with acute, subacute, and chronic noncancer pain")
CDC_OPIOIDS = _doc("ngc-10953", "CDC guideline for prescribing opioids for chronic pain \u2014 United States, 2016",
                   "Patients aged \u226518 years with chronic pain outside of palliative and end-of-life care\n Note : Patients "
                   "within the scope of this guideline include cancer survivors with chronic pain.")
VITAMIN_D_FRACTURES = _doc(
    "ngc-9627", "Vitamin D and calcium supplementation to prevent fractures in adults: U.S. Preventive Services Task Force "
    "recommendation statement", "Non-institutionalized or community-dwelling asymptomatic adults without a history of fractures")
NURSING_HOME_TRIAL = _doc("22888364", "Reflexology versus Swedish Massage to Reduce Physiologic Stress and Pain and Improve "
                          "Mood in Nursing Home Residents with Cancer: A Pilot Trial")
PEDIATRIC_TRIAL = _doc("24665285", "The Role of Chest Physiotherapy in Prevention of Postextubation Atelectasis in Pediatric "
                       "Patients with Neuromuscular Diseases")
NEONATE_TRIAL = _doc("29318119", "Mild Hypothermia Therapy for Moderate or Severe Hypoxicischemic Encephalopathy in Neonates")
MALARIA_TRIAL = _doc("22818552", "Therapeutic efficacy and safety of dihydroartemisinin-piperaquine versus artesunate-"
                     "mefloquine in uncomplicated Plasmodium falciparum malaria in India")
AF_TRIAL = _doc("28520924", "Dabigatran vs. warfarin in relation to the presence of left ventricular hypertrophy in patients "
                "with atrial fibrillation\u2014 the Randomized Evaluation of Long-term anticoagulation therapY (RE-LY) study")
T2DM_TRIAL = _doc("20200301", "A 24-Week, Randomized, Treat-to-Target Trial Comparing Initiation of Insulin Glargine Once-Daily "
                  "With Insulin Detemir Twice-Daily in Patients With Type 2 Diabetes Inadequately Controlled on Oral Glucose-Lowering Drugs")
PLAIN_STUDY = _doc("21049213", "How to avoid discontinuation of antihypertensive treatment. The experience in S\u00e3o Paulo, Brazil")
LABEL = _doc("spl-0b0be196", "Viagra (sildenafil citrate) label")


def _question(text: str, context: str | None = None) -> SimpleNamespace:
    """A question read by the real understanding step (builtin abbreviations, no index)."""
    return understand(text, context, lexicon=Lexicon.with_builtin_abbreviations(), drug_names=DrugNames({}))


HYPERTENSION_50 = "First-line treatment for uncomplicated hypertension in a 50-year-old Black patient"
TDAP_PREGNANT = "Should a pregnant woman at 28 weeks get Tdap?"
WARFARIN_70 = "70-year-old man on warfarin for atrial fibrillation was started on ciprofloxacin. Should he also take aspirin?"


# --- what a document is written for ----------------------------------------------------------------------------
def test_the_homeless_hiv_guideline_records_its_setting_condition_and_ages() -> None:
    pop = population_of(HIV_HOMELESS)
    assert pop.settings == ("homeless",)
    assert pop.condition_ids[0] == "D015658"  # HIV Infections
    assert pop.age_min == 10 and pop.age_max is None  # adults and adolescents
    assert pop.describe().endswith("experiencing homelessness with HIV infection")


def test_the_homeless_diabetes_guideline() -> None:
    pop = population_of(DIABETES_HOMELESS)
    assert (pop.settings, pop.condition_ids, pop.age_min) == (("homeless",), ("D003920",), 18)
    assert pop.describe() == "adults experiencing homelessness with diabetes mellitus"


def test_a_screening_title_names_what_is_screened_for_not_what_the_people_have() -> None:
    assert population_of(CHILD_HYPERTENSION).conditions == ()
    assert population_of(HYPERTENSION_SCREENING).conditions == ()
    assert population_of(COLORECTAL_SCREENING).conditions == ()
    assert population_of(ASPIRIN_PREECLAMPSIA).conditions == ()  # "prevention of ... preeclampsia"


def test_children_and_age_bands_from_titles_and_populations() -> None:
    assert population_of(CHILD_HYPERTENSION).age_max == 19 and population_of(CHILD_HYPERTENSION).describe() == "children and adolescents"
    assert (population_of(COLORECTAL_SCREENING).age_min, population_of(COLORECTAL_SCREENING).age_max) == (45, 85)
    assert population_of(COGNITIVE_SCREENING).age_min == 65
    assert population_of(PEDIATRIC_TRIAL).describe().startswith("children")
    assert population_of(NEONATE_TRIAL).age_max == 1
    assert population_of(CDC_OPIOIDS).age_min == 18  # "aged >=18 years"
    assert read_population_text("Adults 64 years or younger, including pregnant and postpartum persons").age_band == (18, 64)
    assert read_population_text("Children and adolescents aged 10 to 18 years").age_band == (10, 18)
    assert read_population_text("Adults (men and women) who are eligible for care").age_band == (18, None)
    assert read_population_text("Pregnant women and adolescents living in the United States").age_band == (None, None)


def test_the_condition_scope_is_a_concept_and_pah_is_not_hypertension() -> None:
    assert population_of(PAH_PAGE).condition_ids == ("D000081029",)
    assert population_of(PAH_PAGE).describe() == "patients with pulmonary arterial hypertension"
    assert population_of(APS_PAGE).condition_ids == ("D016736",)
    assert population_of(VA_HYPERTENSION).condition_ids == ("D006973",)
    assert population_of(VA_DIABETES).condition_ids == ("D003924",)
    assert population_of(T2DM_TRIAL).condition_ids == ("D003924",)
    assert population_of(MALARIA_TRIAL).condition_ids == ("D016778",)
    # A rare-disease page with no concept is about its title, as written.
    assert population_of(RARE_PAGE).conditions == ("Glycogen storage disease type 6",)


def test_pregnancy_written_for_excluded_or_included() -> None:
    assert population_of(ASPIRIN_PREECLAMPSIA).pregnancy is True
    assert population_of(PREECLAMPSIA_SCREENING).pregnancy is True
    assert population_of(GESTATIONAL_DIABETES).describe() == "pregnant women"
    assert population_of(HBV_NONPREGNANT).pregnancy is False
    assert population_of(TOBACCO_INCLUDING_PREGNANT).pregnancy is None  # adults, including pregnant women
    assert read_population_text("Women who are planning or capable of pregnancy").pregnancy is None
    assert read_population_text("Investigation of pregnancy outcome in agonist and antagonist protocol").pregnancy is None


def test_settings_and_their_negation() -> None:
    assert population_of(WORKERS_BACK_PAIN).settings == ("workers_compensation",)
    assert "workers_compensation" in population_of(WORKERS_OPIOIDS).settings
    assert population_of(CDC_OPIOIDS).settings == ()  # "outside of palliative and end-of-life care"
    assert population_of(VITAMIN_D_FRACTURES).settings == ()  # "Non-institutionalized"
    assert population_of(NURSING_HOME_TRIAL).settings == ("nursing_home",)
    assert population_of(VA_HYPERTENSION).settings == ("military",)
    assert population_of(HOMELESS_PAGE).describe() == "people experiencing homelessness"
    assert settings_in("a homeless man with HIV") == ("homeless",)
    assert settings_in("a 40-year-old woman who has never served in the military") == ()
    assert settings_in("Randomised Controlled Trial of Unsolicited Occupational Therapy in Community-Dwelling Elderly People") == ()
    assert settings_in("Single Versus Multiple Fractions of Palliative Radiotherapy for Bone Metastases") == ()
    assert settings_in("Is an advance care planning model feasible in community palliative care?") == ("palliative",)


def test_general_sources_and_labels_have_no_population() -> None:
    assert population_of(PLAIN_STUDY).is_general and population_of(PLAIN_STUDY).describe() == ""
    assert population_of(LABEL).is_general


def test_passages_from_the_store_stand_in_for_the_documents_own() -> None:
    bare = Document(doc_id=DIABETES_HOMELESS.doc_id, source="ngc", title=DIABETES_HOMELESS.title, doc_type=DocType.GUIDELINE)
    assert population_of(bare).age_min is None
    assert population_of(bare, DIABETES_HOMELESS.passages).age_min == 18


def test_every_setting_cue_has_a_setting_row() -> None:
    table = cues()
    assert set(table.settings.values()) - {"-"} <= set(table.setting_info)
    assert {"homeless", "workers_compensation", "military", "nursing_home", "critical_care"} <= set(table.setting_info)


def test_condition_mentions_take_capitalised_abbreviations_only() -> None:
    assert [c.id for c in concepts_mentioned("methotrexate dose in RA")] == ["D001172"]
    assert concepts_mentioned("all patients with ra") == []
    assert [c.id for c in concepts_mentioned("uncomplicated hypertension")] == ["D006973"]
    assert [c.id for c in concepts_mentioned("pulmonary arterial hypertension")] == ["D000081029"]


# --- the fit to a question: the traps --------------------------------------------------------------------
@pytest.mark.parametrize(("doc", "verdict"), [
    (VA_HYPERTENSION, DIRECT),  # an adult hypertension guideline stays direct (VA/DoD is recorded, no bar)
    (HYPERTENSION_SCREENING, DIRECT),
    (COLORECTAL_SCREENING, DIRECT),
    (CHILD_HYPERTENSION, EXCLUDED),  # children's guideline for a 50-year-old
    (COGNITIVE_SCREENING, EXCLUDED),  # older adults (65+) only
    (DIABETES_HOMELESS, INDIRECT),
    (HIV_HOMELESS, INDIRECT),
    (PAH_PAGE, INDIRECT),  # "pulmonary arterial hypertension" is not "hypertension"
    (APS_PAGE, INDIRECT),
    (PREECLAMPSIA_SCREENING, INDIRECT),  # pregnancy not said
    (MALARIA_TRIAL, INDIRECT),
    (PLAIN_STUDY, DIRECT),
])
def test_hypertension_in_a_50_year_old(doc: Document, verdict: FitVerdict) -> None:
    assert source_fit(population_of(doc), _question(HYPERTENSION_50)).verdict == verdict


def test_tdap_in_pregnancy_does_not_take_the_homeless_hiv_rule() -> None:
    fit = source_fit(population_of(HIV_HOMELESS), _question(TDAP_PREGNANT))
    assert fit.verdict == INDIRECT
    assert set(fit.kinds) == {"setting", "condition_unstated"}
    assert "written for people experiencing homelessness" in fit.reasons
    assert source_fit(population_of(PREECLAMPSIA_SCREENING), _question(TDAP_PREGNANT)).verdict == DIRECT
    assert source_fit(population_of(HBV_NONPREGNANT), _question(TDAP_PREGNANT)).verdict == EXCLUDED
    assert source_fit(population_of(TOBACCO_INCLUDING_PREGNANT), _question(TDAP_PREGNANT)).verdict == DIRECT


@pytest.mark.parametrize(("doc", "verdict"), [
    (APS_PAGE, INDIRECT),  # aspirin quoted from an antiphospholipid-syndrome page: not this patient's condition
    (AF_PAGE, DIRECT),
    (AF_TRIAL, DIRECT),
    (PREECLAMPSIA_SCREENING, EXCLUDED),  # a man
    (BREAST_SCREENING, EXCLUDED),
])
def test_a_70_year_old_man_on_warfarin_for_atrial_fibrillation(doc: Document, verdict: FitVerdict) -> None:
    assert source_fit(population_of(doc), _question(WARFARIN_70)).verdict == verdict


def test_a_type_2_diabetes_guideline_fits_a_diabetes_question_and_the_other_way_round() -> None:
    assert source_fit(population_of(VA_DIABETES), _question("Which drug first in diabetes?")).verdict == DIRECT
    assert source_fit(population_of(T2DM_TRIAL), _question("Insulin choice in diabetes mellitus")).verdict == DIRECT
    diabetes_page = _doc("medquad-NIDDK_0000001", "Diabetes")
    assert source_fit(population_of(diabetes_page), _question("Metformin in type 2 diabetes")).verdict == DIRECT
    # Gestational diabetes screening is for pregnant women: indirect for a diabetes question that says no pregnancy.
    assert source_fit(population_of(GESTATIONAL_DIABETES), _question("Which drug first in diabetes?")).verdict == INDIRECT


def test_a_condition_the_question_does_not_name_is_indirect_with_its_own_kind() -> None:
    fit = source_fit(population_of(VA_DIABETES), _question("Metformin dose at eGFR 35"))
    assert fit.verdict == INDIRECT and fit.kinds == ("condition_unstated",)
    fit = source_fit(population_of(PAH_PAGE), _question(HYPERTENSION_50))
    assert fit.kinds == ("condition",) and "pulmonary arterial hypertension" in fit.reason


def test_a_question_about_the_special_population_takes_its_source_directly() -> None:
    homeless_hiv = _question("How should HIV be treated in a homeless patient?")
    assert source_fit(population_of(HIV_HOMELESS), homeless_hiv).verdict == DIRECT
    pah = _question("Which drug first for pulmonary arterial hypertension?")
    assert source_fit(population_of(PAH_PAGE), pah).verdict == DIRECT
    injured = _question("Injured worker with low back pain under workers' compensation: is MRI indicated?")
    assert source_fit(population_of(WORKERS_BACK_PAIN), injured).verdict == DIRECT
    assert source_fit(population_of(WORKERS_BACK_PAIN), _question("Is MRI indicated for acute low back pain?")).verdict == INDIRECT


def test_age_without_the_patients_age() -> None:
    no_age = QuestionPopulation()
    assert source_fit(population_of(CHILD_HYPERTENSION), no_age).kinds == ("age_unstated",)
    assert source_fit(population_of(CHILD_HYPERTENSION), _question("How often to screen blood pressure in children?")).verdict == DIRECT
    assert source_fit(population_of(COGNITIVE_SCREENING), _question("Screening for dementia in children?")).verdict == EXCLUDED
    assert source_fit(population_of(VA_HYPERTENSION), QuestionPopulation(age=6)).verdict == EXCLUDED
    # "An adult" against "children and adolescents aged 3 to 18": sharing the year 18 is no fit.
    adult = _question("An adult has a high blood pressure reading at the office. How should hypertension be confirmed?")
    child_bp = _doc("uspstf-436", "High Blood Pressure in Children and Adolescents: Screening", sections=(
        "High Blood Pressure in Children and Adolescents: Screening -- Children and adolescents (aged 3 to 18 years)",))
    assert source_fit(population_of(child_bp), adult).verdict == EXCLUDED
    assert source_fit(population_of(HYPERTENSION_SCREENING), adult).verdict == DIRECT


def test_pregnancy_rules_on_a_question_population() -> None:
    pregnant = QuestionPopulation(age=30, sex="female", pregnant=True)
    not_pregnant = QuestionPopulation(age=30, sex="female", pregnant=False)
    unknown = QuestionPopulation(age=30, sex="female")
    source = population_of(ASPIRIN_PREECLAMPSIA)
    assert [source_fit(source, q).verdict for q in (pregnant, not_pregnant, unknown)] == [DIRECT, EXCLUDED, INDIRECT]
    assert source_fit(source, QuestionPopulation(age=40, sex="male")).reasons == ("written for pregnant women; the patient is male",)


def test_a_fit_reads_the_patient_before_the_fields_land() -> None:
    # question_population reads PatientContext fields with getattr: a patient without ``pregnant`` still works.
    stub = SimpleNamespace(original="Tdap in pregnancy?", context=None, clinical_question="Tdap in pregnancy?",
                           expansions=(), patient=SimpleNamespace(age=None, sex=None, conditions=[], history=[]))
    assert question_population(stub).pregnant is True


def test_a_search_hit_shows_its_population() -> None:
    doc = HIV_HOMELESS
    hit = SearchHit(doc.passages[0], doc, 1.0, 1, None, 1.0, None, population=population_of(doc))
    shown = hit.to_dict()["population"]
    assert shown["settings"] == ["homeless"] and "homelessness" in shown["describe"]
    assert SearchHit(doc.passages[0], doc, 1.0, 1, None, 1.0, None).to_dict()["population"] is None


def test_a_population_is_frozen() -> None:
    with pytest.raises(AttributeError):
        SourcePopulation().settings = ("homeless",)  # type: ignore[misc]

"""Noise that is never quoted, the display form of a quote, the grade a sentence carries, and the concepts worth
reporting as not covered. Every sentence is the corpus's own (USPSTF records, NGC summaries, trial abstracts)."""

from __future__ import annotations

import pytest

from curbside.evidence.grading import is_grade_line, sentence_grade, stated_grades
from curbside.evidence.noise import display_text, is_noise_sentence, is_reportable_concept

NOISE = [
    # abbreviation lists
    "Abbreviations: CVD, cardiovascular disease; USPSTF, US Preventive Services Task Force.",
    "Abbreviation: USPSTF, US Preventive Services Task Force.",
    "Abbreviations: CI=confidence interval; BMI z score=body mass index z score.",
    "Abbreviation: CPG: clinical practice guideline",
    "Abbreviations for screening recommendations are expanded in the Box.",
    "CT, computed tomography; gFOBT, guaiac fecal occult blood test; USPSTF, US Preventive Services Task Force.",
    # table, figure and original-document pointers
    "The table in the original guideline document lists the various screening tests for colorectal cancer and notes "
    "potential frequency of use as well as additional considerations for each method.",
    "See the Table for more information on the USPSTF recommendation rationale and assessment.",
    "Go to the Table for more information on the USPSTF recommendation rationale and assessment.",
    "See Table 1 for characteristics of recommended screening strategies.",
    "Refer to the original guideline document for time to produce effect, frequency, and optimum and maximum duration "
    "of treatments.",
    "[EO] See Box 4 in the original guideline document for principles and core strategies of motivational interviewing.",
    "For post maximum medical improvement (MMI) care, refer to Section J.4, Maintenance Management, Injection Therapy, "
    "in the original guideline document.",
    "Information about initiation of injectables, examinations and tests needed before initiation of an injectable, "
    "and other issues regarding injectable contraception is available in the original guideline document.",
    "This table summarizes the key bodies of evidence needed for the USPSTF to make a recommendation for screening for "
    "speech and language delay and disorders.",
    "Figure 4: Mean Standing Systolic Blood Pressure Change from Baseline",
    "Table 1: Adverse Reactions Reported by \u22652% of Patients Treated with VIAGRA and More Frequent than Placebo in "
    "Fixed-Dose Phase II/III Studies",
    "The mean profiles of the change from baseline in standing systolic blood pressure in subjects treated with "
    "doxazosin in combination with 25 mg VIAGRA or matching placebo are shown in Figure 2.",
    # the body's other statements, table footnotes
    "The USPSTF has made several recommendations related to the prevention of CVD in adults, including aspirin use to "
    "prevent CVD,23 screening for high blood pressure,24 screening for prediabetes and type 2 diabetes,25 and "
    "behavioral interventions to prevent obesity-related morbidity and mortality in adults.",
    "b Referral if 2 or more checks in table.",
    # reference debris, registrations, URLs, copyright
    "2006 Sep 1;174(5):605-14.",
    "Geriatr Gerontol Int 2016; 16: 1138-1144.",
    "*Adapted from the NICE guideline manual (2012) and Garcia et al. (2014).",
    "Smith AB, Jones CD. Aspirin and colorectal adenomas. [PubMed]",
    "doi: 10.1001/jama.2016.5989",
    "ClinicalTrials.gov NCT00413725",
    "(This study has been registered at ClinicalTrials.gov under registration no. NCT01525511.)",
    "The trial was registered with the Australian New Zealand Clinical Trials Registry at http://www.anzctr.org.au.",
    "https://millionhearts.hhs.gov/",
    "Copyright \u00a9 2012 American Thoracic Society.",
    # grade lines standing alone
    "( B recommendation )",
    "( I statement )",
    "[EO]",
    "C",
]

CONTENT = [
    "The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years.",
    "The USPSTF recommends that clinicians prescribe a statin for the primary prevention of CVD for adults aged 40 to "
    "75 years who have 1 or more CVD risk factors and an estimated 10-year CVD risk of 10% or greater.",
    "The Work Group suggests a target HbA1c range of 6.0% to 7.0% for patients with a life expectancy greater than 10 "
    "to 15 years and absent or mild microvascular complications, if it can be safely achieved (see Table 2 in the "
    "original guideline document).",
    "This recommendation applies to asymptomatic adults 65 years or older who do not present to their primary care "
    "clinician with vision problems (see Figure 2 in the original guideline document).",
    "The results from this pilot study are shown in Table 3; the mean resting systolic and diastolic blood pressures "
    "decreased by 7% and 10% compared to baseline in these patients.",
    "Sixty-four healthy elderly males were randomly assigned to either a closed-skill (bike riding or brisk "
    "walking/jogging, n = 22), open-skill (table tennis, n = 21), or control (n = 21) group.",
    "Fifty-seven patients with early ARDS were randomly assigned to a group given decremental PEEP titration following "
    "ARM or a table-based PEEP (control) group.",
    "Pregnant persons with moderate-risk factors may also benefit from low-dose aspirin (Table 1).",
    "Most trials used low-dose aspirin of 100 mg/d or less, and the dose of 1,000 mg was not studied.",
    "The rates of referral to biopsy were twice as high in patients registered in the Danish registry.",
    "Further investigations evaluating the effects of ESAs to alleviate anemia in ruxolitinib-treated patients are "
    "warranted (ClinicalTrials.gov identifier, NCT00934544; July 6, 2009).",
    "After 9 months of follow-up, adolescents in the intervention group were less likely to report vaginal intercourse "
    "than adolescents offered usual care (OR, 0.24 [95% CI, 0.11-0.55]).36",
    "Simulation-based ultrasound training leads to substantial improvement in clinical performance that is sustained "
    "after 2 months of clinical training. \u00a9 2015 The Authors.",
    "The USPSTF recommends screening for latent tuberculosis infection (LTBI) in populations at increased risk "
    "( B recommendation ).",
    "These rating categories have their basis in the work of Guyatt et al. and were modified to reflect both the "
    "quality of the evidence and the effect size observed in the trials of aspirin and statins in 2015.",
]


@pytest.mark.parametrize("sentence", NOISE)
def test_apparatus_is_noise(sentence: str) -> None:
    assert is_noise_sentence(sentence)


@pytest.mark.parametrize("sentence", CONTENT)
def test_content_is_not_noise(sentence: str) -> None:
    assert not is_noise_sentence(sentence)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # footnotes after punctuation, glued to a word, after a year, after a bracket or a percentage
        ("including aspirin use to prevent CVD,23 screening for high blood pressure,24 and",
         "including aspirin use to prevent CVD, screening for high blood pressure, and"),
        ("thought to contribute to psychological disorders.4 Common therapeutic techniques include",
         "thought to contribute to psychological disorders. Common therapeutic techniques include"),
        ("This recommendation replaces the 2016 USPSTF recommendation on statin use.30 In 2016, the USPSTF",
         "This recommendation replaces the 2016 USPSTF recommendation on statin use. In 2016, the USPSTF"),
        ("on counseling about skin cancer prevention19 and the skin self-examination portion",
         "on counseling about skin cancer prevention and the skin self-examination portion"),
        ("The USPSTF commissioned a systematic evidence review7,19 to update its recommendation.",
         "The USPSTF commissioned a systematic evidence review to update its recommendation."),
        ("(with and without cardiovascular risk factors),27,28 and behavioral interventions",
         "(with and without cardiovascular risk factors), and behavioral interventions"),
        ("Perinatal HIV transmission has decreased substantially since its peak in 1992.6 There were 99 diagnoses",
         "Perinatal HIV transmission has decreased substantially since its peak in 1992. There were 99 diagnoses"),
        ("rates, although they remain less than 60%.5-8", "rates, although they remain less than 60%."),
        ("at increased risk for serious complications (Table 1).1-3", "at increased risk for serious complications."),
        # pointers in parentheses, a trailing copyright
        ("screening every 3 years provides about the same benefit (see Figure 3 in the original guideline document).",
         "screening every 3 years provides about the same benefit."),
        ("after 2 months of clinical training. \u00a9 2015 The Authors.", "after 2 months of clinical training."),
        ("ESAs in ruxolitinib-treated patients are warranted (ClinicalTrials.gov identifier, NCT00934544; July 6, 2009).",
         "ESAs in ruxolitinib-treated patients are warranted."),
        # real numbers and names stay
        ("Most trials used aspirin 100 mg/d; 1,000 mg was not studied (RR, 0.8-1.2).",
         "Most trials used aspirin 100 mg/d; 1,000 mg was not studied (RR, 0.8-1.2)."),
        ("Patients with COVID-19, HbA1c above 9%, low B12, T2DM or raised IL-6 were excluded.",
         "Patients with COVID-19, HbA1c above 9%, low B12, T2DM or raised IL-6 were excluded."),
        ("BMI was calculated as weight/height2 (kg/m\u00b2); r\u00b2 was 0.4 and the chi2 test was used.",
         "BMI was calculated as weight/height2 (kg/m\u00b2); r\u00b2 was 0.4 and the chi2 test was used."),
        ("Refer to Section J.4 and Section IV.2 of the purpose of MY.11 analysed by SPSS.18 using ANOVA.",
         "Refer to Section J.4 and Section IV.2 of the purpose of MY.11 analysed by SPSS.18 using ANOVA."),
        ("Dexmedetomidine is an alpha2 agonist; see www2.aap.org and chartv8.pdf for the week12 visit.",
         "Dexmedetomidine is an alpha2 agonist; see www2.aap.org and chartv8.pdf for the week12 visit."),
        ("Zocor\u00a9, in 43 healthy Thai volunteers, lowered LDL (p = 0.0002).108 (90 %) patients responded.",
         "Zocor\u00a9, in 43 healthy Thai volunteers, lowered LDL (p = 0.0002).108 (90 %) patients responded."),
        ("adults aged 40 to 75 years.", "adults aged 40 to 75 years."),
    ],
)
def test_display_text_drops_footnotes_and_pointers_only(text: str, shown: str) -> None:
    assert display_text(text) == shown


# --- the grade a sentence carries ------------------------------------------------------------------------------


def test_a_sentence_carries_the_grade_it_states_not_the_passage_s() -> None:
    passage = (
        "The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years. "
        "The USPSTF recommends screening for colorectal cancer in adults aged 45 to 49 years (B recommendation)."
    )
    b_sentence = "The USPSTF recommends screening for colorectal cancer in adults aged 45 to 49 years (B recommendation)."
    assert sentence_grade(b_sentence, passage, "A") == "B"
    # The passage states a B beside its own A: the sentence that states none cannot take the passage's A.
    assert sentence_grade("The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years.",
                          passage, "A") is None


def test_a_single_graded_statement_lends_its_grade_to_its_sentences() -> None:
    passage = ("The USPSTF recommends that clinicians prescribe a statin for the primary prevention of CVD for adults "
               "aged 40 to 75 years who have 1 or more CVD risk factors. Shared decision-making is advised.")
    assert sentence_grade("Shared decision-making is advised.", passage, "B") == "B"
    assert sentence_grade("Shared decision-making is advised.", passage, None) is None


def test_the_grade_line_under_a_statement_is_its_grade() -> None:
    passage = ("The USPSTF recommends screening for high blood pressure in adults aged 18 years or older.\n"
               "( A recommendation )\n"
               "The USPSTF recommends obtaining measurements outside of the clinical setting for diagnostic confirmation.\n"
               "( B recommendation )\n"
               "Blood pressure is measured with a validated device.")
    assert sentence_grade("The USPSTF recommends screening for high blood pressure in adults aged 18 years or older.",
                          passage, None) == "A"
    second = "The USPSTF recommends obtaining measurements outside of the clinical setting for diagnostic confirmation."
    assert sentence_grade(second, passage, None) == "B"
    assert sentence_grade(second, passage, None, start=passage.index(second)) == "B"
    assert sentence_grade("Blood pressure is measured with a validated device.", passage, None) is None


def test_a_statement_line_closed_by_its_grade_lends_it_to_each_of_its_sentences() -> None:
    passage = (  # ngc-10510, as the NGC summary writes it
        "The USPSTF recommends 1-time screening for abdominal aortic aneurysm (AAA) with ultrasonography in men aged "
        "65 to 75 years who have ever smoked. ( B recommendation )\n"
        "The USPSTF recommends that clinicians selectively offer screening for AAA in men aged 65 to 75 years who have "
        "never smoked rather than routinely screening all men in this group. Evidence indicates that the net benefit "
        "of screening all men aged 65 to 75 years who have never smoked is small. ( C recommendation )\n"
        "See the Clinical Considerations section below for additional information on risk assessment.\n"
        "- In patients with no contraindications to pharmacologic therapy, clinicians should consider acetaminophen "
        "or oral NSAIDs as first line treatment. [B]"
    )
    assert sentence_grade("The USPSTF recommends 1-time screening for abdominal aortic aneurysm (AAA) with "
                          "ultrasonography in men aged 65 to 75 years who have ever smoked.", passage, None) == "B"
    assert sentence_grade("The USPSTF recommends that clinicians selectively offer screening for AAA in men aged 65 to "
                          "75 years who have never smoked rather than routinely screening all men in this group.",
                          passage, None) == "C"
    assert sentence_grade("See the Clinical Considerations section below for additional information on risk "
                          "assessment.", passage, None) is None
    assert sentence_grade("In patients with no contraindications to pharmacologic therapy, clinicians should consider "
                          "acetaminophen or oral NSAIDs as first line treatment.", passage, None) == "B"


def test_an_earlier_statement_s_grade_is_never_the_badge() -> None:
    passage = ("In 2016, the USPSTF found insufficient evidence to assess the balance of benefits and harms of visual "
               "skin examination by a clinician to screen for skin cancer in adults (I statement).")
    assert sentence_grade(passage, passage, None) is None
    update = ("This recommendation is an update of the USPSTF 2011 recommendation, in which the USPSTF recommended "
              "vision screening for amblyopia in children aged 3 to 5 years (B recommendation).")
    assert sentence_grade(update, update, None) is None
    still = ("As it did in 2016, the USPSTF continues to conclude that screening in adults aged 76 to 85 years should "
             "be an individual decision (C recommendation).")
    assert sentence_grade(still, still, None) == "C"
    reaffirmed = ("This recommendation is a reaffirmation of the 2015 recommendation statement on screening for high "
                  "blood pressure in adults (A recommendation).")
    assert sentence_grade(reaffirmed, reaffirmed, None) == "A"
    history = "The decision should take into account the patient's prior screening history ( C recommendation )."
    assert sentence_grade(history, history, None) == "C"  # "prior screening" is not an earlier statement
    two = "Screen adults aged 50 to 59 years (B recommendation) and adults aged 60 to 69 years (C recommendation)."
    assert sentence_grade(two, two, None) is None  # one badge cannot say two grades


def test_stated_grades_and_grade_lines() -> None:
    assert stated_grades("Offer PrEP [A]; counsel on adherence [EO].") == ["A", "EO"]
    assert stated_grades("Strength of recommendation: A") == ["A"]
    assert stated_grades("We suggest metformin (Weak recommendation, low-quality evidence).") == [
        "Weak recommendation, low-quality evidence"]
    assert stated_grades("Offer supervised exercise therapy (Level C).") == ["C"]
    assert stated_grades("Patients were ASA physical status I or II.") == []
    assert is_grade_line("( B recommendation )") and is_grade_line("[EO]") and is_grade_line("Grade B")
    assert not is_grade_line("The USPSTF recommends screening ( B recommendation ).")


# --- concepts worth reporting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["persistent", "active", "evolving", "rapidly", "severe", "rapidly progressive",
                                  "refractory", "chronic", "recent", "daily", "elevated", "moderate to severe", "60"])
def test_ordinary_words_are_never_reported_as_uncovered(word: str) -> None:
    assert not is_reportable_concept(word)


@pytest.mark.parametrize("concept", ["dermatomyositis", "severe asthma", "methotrexate", "chronic kidney disease",
                                     "eGFR", "pregnancy", "warfarin"])
def test_clinical_concepts_are_reported(concept: str) -> None:
    assert is_reportable_concept(concept)

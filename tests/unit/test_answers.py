"""Answer intent (understanding) and whether a sentence gives that kind of answer (evidence.answers)."""

from __future__ import annotations

import pytest

from curbside.corpus.documents import DocType
from curbside.evidence.answers import SUBJECT_SHARE, covers_subject, gives_answer, is_frame_word, subject_concepts
from curbside.understanding import AnswerIntent, QuestionType, classify_intent
from curbside.understanding.answer_intent import needs_age, needs_interval

I = AnswerIntent


@pytest.mark.parametrize(
    ("question", "question_type", "intent"),
    [
        ("What is the first-line treatment for uncomplicated hypertension in a 50-year-old Black patient?",
         QuestionType.NEXT_STEP, I.FIRST_DRUG),
        ("Should a pregnant woman at 28 weeks get Tdap?", QuestionType.GENERAL, I.SHOULD),
        ("Can I continue metformin in a patient with eGFR 35?", QuestionType.NEXT_STEP, I.SAFETY),
        ("What is the starting dose of methotrexate in rheumatoid arthritis?", QuestionType.DOSING, I.DOSE),
        ("Is ciprofloxacin safe with warfarin?", QuestionType.DRUG_INFORMATION, I.SAFETY),
        ("When should colorectal cancer screening start in average-risk adults?", QuestionType.DIAGNOSIS_SCREENING,
         I.TESTS),
        ("How often should a woman aged 50 get a mammogram?", QuestionType.DIAGNOSIS_SCREENING, I.TESTS),
        ("What monitoring is needed for a patient on methotrexate?", QuestionType.DRUG_INFORMATION, I.MONITORING),
        ("What is the next step for RA despite methotrexate?", QuestionType.NEXT_STEP, I.NEXT),
        ("How should topical minoxidil be applied?", QuestionType.GENERAL, I.DOSE),
        ("What causes gout?", QuestionType.GENERAL, I.OTHER),
        # No cue: the question type decides.
        ("Work-up of a thyroid nodule", QuestionType.DIAGNOSIS_SCREENING, I.TESTS),
    ],
)
def test_intent_of_consult_questions(question: str, question_type: QuestionType, intent: AnswerIntent) -> None:
    assert classify_intent(question, question_type) == intent


def test_interval_and_age_asked() -> None:
    assert needs_interval("How often should she have a mammogram?")
    assert not needs_interval("Should she have a mammogram?")
    assert needs_age("When should screening start?")
    assert not needs_age("Which test is best for colorectal screening?")


def test_frame_words_are_not_the_subject() -> None:
    heads = ["first-line", "treatment", "uncomplicated", "hypertension", "black"]
    assert subject_concepts(heads, I.FIRST_DRUG) == ("hypertension",)
    assert is_frame_word("dose", I.DOSE) and not is_frame_word("methotrexate", I.DOSE)
    assert subject_concepts(["four", "painful", "crises", "past", "hydroxyurea"], I.SHOULD) == (
        "painful", "crises", "hydroxyurea")


def test_subject_needs_the_drugs_and_most_of_its_weight() -> None:
    weights = {"aspirin": 3.0, "cardiovascular disease": 2.0, "hypertension": 1.0}
    subject = tuple(weights)
    # The story's comorbidity need not be repeated by the statement that answers.
    assert covers_subject(subject, ["aspirin"], ["cardiovascular disease"], weights, ["aspirin"])
    # The drug the question asks about is required, however the rest is covered.
    assert not covers_subject(subject, ["cardiovascular disease", "hypertension"], [], weights, ["aspirin"])
    # Below the share of the subject's weight: not about the question.
    assert 2.0 / 6.0 < SUBJECT_SHARE
    assert not covers_subject(subject, ["cardiovascular disease"], [], weights)


@pytest.mark.parametrize(
    ("text", "doc_type", "intent", "kwargs", "answers"),
    [
        # The failures: a malaria sentence is no first-line hypertension drug (subject decides), but
        # a trial's objective is never an answer to a dose question, whatever it names.
        ("To investigate clinical efficacy and safety of 2 certolizumab pegol (CZP) maintenance dosing regimens "
         "plus methotrexate (MTX) in active rheumatoid arthritis.", DocType.RCT, I.DOSE, {}, False),
        ("The recommended starting dose is 7.5 mg once weekly.", DocType.DRUG_LABEL, I.DOSE, {}, True),
        ("apply half a capful 2 times a day to the scalp in the hair loss area", DocType.DRUG_LABEL, I.DOSE, {}, True),
        ("The Work Group recommends the use of thiazide-type diuretics for the treatment of hypertension.",
         DocType.GUIDELINE, I.FIRST_DRUG, {}, True),
        ("Hypertension is common in older adults.", DocType.GUIDELINE, I.FIRST_DRUG, {}, False),
        ("The USPSTF recommends biennial screening mammography for women aged 40 to 74 years.", DocType.GUIDELINE,
         I.TESTS, {"graded": True, "interval_asked": True}, True),
        ("The USPSTF recommends screening for breast cancer in women aged 40 to 74 years.", DocType.GUIDELINE,
         I.TESTS, {"graded": True, "interval_asked": True}, False),
        ("VIAGRA is contraindicated in patients taking organic nitrates.", DocType.DRUG_LABEL, I.SAFETY, {}, True),
        ("Complete blood counts and liver function should be monitored every 4 to 8 weeks.", DocType.GUIDELINE,
         I.MONITORING, {}, True),
        ("The USPSTF recommends against initiating low-dose aspirin use in adults 60 years or older.",
         DocType.GUIDELINE, I.SHOULD, {"graded": True}, True),
        ("Participants were randomized to aspirin or placebo.", DocType.RCT, I.SHOULD, {}, False),
        ("Aspirin reduced the risk of stroke by 20%.", DocType.RCT, I.SHOULD, {"conclusion": True}, True),
        ("Aspirin reduced the risk of stroke by 20%.", DocType.RCT, I.SHOULD, {}, False),
        ("In adults with SCA who have three or more pain crises in a 12-month period, treat with hydroxyurea.",
         DocType.GUIDELINE, I.SHOULD, {}, True),
    ],
)
def test_gives_answer(text: str, doc_type: DocType, intent: AnswerIntent, kwargs: dict[str, bool], answers: bool) -> None:
    assert gives_answer(text, doc_type, intent, **kwargs) is answers

import pytest

from curbside.evidence.selection import _is_usable_sentence, population_fit, question_age_group


@pytest.mark.parametrize(
    ("text", "age", "sex", "expected"),
    [
        ("Adults aged 50 to 75 years", 55, "female", 1.0),
        ("Adults aged 45 to 49 years", 55, "female", -1.0),
        ("Adults 76 years or older", 80, None, 1.0),
        ("Children younger than 5 years", 40, None, -1.0),
        ("Men aged 65 to 75 years who have ever smoked", 70, "female", 0.0),  # age fits (+1), sex excludes (-1)
        ("Women aged 21 to 65 years", 30, "female", 1.5),
        ("All adults", 30, "male", 0.0),
        ("Adults aged 50 to 75 years", None, None, 0.0),
    ],
)
def test_population_fit(text: str, age: int | None, sex: str | None, expected: float) -> None:
    assert population_fit(text, age, sex) == expected


def test_age_group_from_the_question_words() -> None:
    assert question_age_group("Should adults be screened for type 2 diabetes?", None) == "adult"
    assert question_age_group("Should my child get a vision test?", None) == "child"
    assert question_age_group("Is aspirin useful?", 70) == "adult"
    assert question_age_group("Is aspirin useful?", None) is None
    children = "Prediabetes and Type 2 Diabetes in Children and Adolescents: Screening"
    assert population_fit(children, None, None, "adult") == -1.0
    assert population_fit(children, None, None, "child") == 0.5


@pytest.mark.parametrize(
    ("sentence", "usable"),
    [
        ("The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years.", True),
        ("See the following PDQ summaries for more information about colorectal cancer.", False),
        ("These resources address the diagnosis or management of familial atrial fibrillation.", False),
        ("What are the symptoms of dermatomyositis?", False),
        ("Clinical Considerations", False),
        ("12 34 56 78 90 11 22 33 44 55 66 77 88 99.", False),
    ],
)
def test_usable_sentences(sentence: str, usable: bool) -> None:
    assert _is_usable_sentence(sentence) is usable

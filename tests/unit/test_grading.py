import pytest

from curbside.evidence.grading import extract_grade, grade_meaning


@pytest.mark.parametrize(
    ("sentence", "grade"),
    [
        ("Screen for overweight and obesity at least annually. [EO]", "EO"),
        ("Screen adult patients to establish a diagnosis of overweight by calculating BMI. [B]", "B"),
        ("The USPSTF recommends against screening for PAD. (D recommendation)", "D"),
        ("The evidence is insufficient to assess the balance of benefits and harms. ( I statement )", "I"),
        ("We recommend metformin (strong recommendation, moderate-quality evidence).", "strong recommendation, moderate-quality evidence"),
        ("Offer counselling. Strength of Recommendation: A", "A"),
        ("Screening reduces mortality in adults.", None),
    ],
)
def test_extract_grade(sentence: str, grade: str | None) -> None:
    assert extract_grade(sentence) == grade


def test_grade_meaning() -> None:
    assert grade_meaning("B", organization="U.S. Preventive Services Task Force").startswith("Grade B: recommended")
    assert grade_meaning("EO") == "Expert opinion"
    assert grade_meaning(None) is None

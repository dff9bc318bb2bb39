import pytest

from curbside.evidence.grading import CERTAINTY_LEVELS, certainty_of, extract_grade, grade_meaning


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


@pytest.mark.parametrize(("doc_type", "grade", "organization", "expected"), [
    ("guideline", "A", "U.S. Preventive Services Task Force", "high"),
    ("guideline", "B", "U.S. Preventive Services Task Force", "moderate"),
    ("guideline", "I", "U.S. Preventive Services Task Force", "low"),
    ("guideline", "strong recommendation, low-quality evidence", None, "low"),
    ("guideline", "Conditional recommendation", None, "low"),
    ("guideline", "EO", None, "very_low"),
    ("guideline", "C", "Some Society", "low"),
    ("guideline", "IIa", None, "moderate"),
    ("guideline", None, None, "moderate"),
    ("systematic_review", None, None, "high"),
    ("rct", None, None, "moderate"),
    ("observational", None, None, "low"),
    ("case_report", None, None, "very_low"),
    ("patient_information", None, None, "very_low"),
    ("rct", "A", None, "moderate"),  # only guidelines carry grades
])
def test_certainty_is_one_scale_from_grade_or_document_type(doc_type: str, grade: str | None,
                                                            organization: str | None, expected: str) -> None:
    assert certainty_of(doc_type, grade, organization=organization) == expected
    assert expected in CERTAINTY_LEVELS

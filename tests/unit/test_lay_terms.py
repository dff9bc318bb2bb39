"""The one lay vocabulary (vocabulary/data/plain_language.tsv): the patient view writes its plain words, and the
claim verifier accepts them as the same meaning while numbers, units and negations stay exact."""

from __future__ import annotations

import pytest

from curbside.vocabulary.lay_terms import glossary_rows, lay_equivalents
from curbside.writing.plain_language import glossary
from curbside.writing.verification import ClaimVerifier, Problem

PASSAGE = {
    1: "The USPSTF recommends annual screening for lung cancer in adults aged 50 to 80 years. Evidence is insufficient "
       "to assess screening in adults older than 80 years. In patients with a prior myocardial infarction, aspirin 75 "
       "to 100 mg daily reduced the risk of recurrent myocardial infarction. Hypertension is common in adults."
}


def test_the_patient_view_and_the_verifier_read_one_table() -> None:
    rows = dict(glossary_rows())
    assert len(rows) > 500
    written = {entry.term: entry.plain for entry in glossary()}
    assert written == {term: plain for term, plain in rows.items() if term in written}
    lay = lay_equivalents()
    for term, plain in [("hypertension", "high blood pressure"), ("myocardial infarction", "heart attack"),
                        ("annual", "yearly"), ("insufficient", "not enough")]:
        assert rows[term] == plain
        assert lay.same(term, plain), term


def test_a_negation_hidden_in_a_word_is_written_out() -> None:
    assert lay_equivalents().canonical("The data were insufficient.") == "The data were not enough."
    assert lay_equivalents().canonical("Statins are contraindicated.").lower() == "statins should not be used."


def test_phrases_with_numbers_are_never_synonyms() -> None:
    assert not any(ch.isdigit() for phrase in lay_equivalents().representative for ch in phrase)


@pytest.mark.parametrize("claim", [
    "Adults aged 50 to 80 years should get yearly lung cancer screening.",
    "There is not enough evidence about screening adults older than 80 years.",
    "In people who had a heart attack before, aspirin 75 to 100 mg daily lowered the risk of another heart attack.",
    "High blood pressure is common in adults.",
])
def test_correct_plain_rewordings_are_supported(claim: str) -> None:
    check = ClaimVerifier().check(claim, [1], PASSAGE)
    assert check.supported, check.reason


@pytest.mark.parametrize(("claim", "problem"), [
    ("Adults aged 50 to 85 years should get yearly lung cancer screening.", Problem.NUMBER_NOT_IN_SOURCE),
    ("There is enough evidence about screening adults older than 80 years.", Problem.NEGATION_MISMATCH),
    ("Adults aged 50 to 80 years should not get yearly lung cancer screening.", Problem.NEGATION_MISMATCH),
    ("Aspirin 325 mg daily lowered the risk of another heart attack.", Problem.NUMBER_NOT_IN_SOURCE),
    ("Adults aged 50 to 80 years should get lung cancer screening every 2 years.", Problem.FREQUENCY_NOT_IN_SOURCE),
])
def test_plain_rewordings_that_change_a_fact_fail(claim: str, problem: Problem) -> None:
    check = ClaimVerifier().check(claim, [1], PASSAGE)
    assert problem in check.problems, check.reason

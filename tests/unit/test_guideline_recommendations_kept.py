"""A guideline's graded recommendations for different populations are all kept (not capped at two bullets a
document), and the bottom line prefers the recommendation for everyone it names over a selective one."""

from __future__ import annotations

from curbside.corpus.documents import DocType, Document, Passage
from curbside.vocabulary.answer_intents import AnswerIntent
from curbside.evidence.selection import ScoredSentence, choose_answer
from curbside.retrieval.search import SearchHit
from curbside.writing.extractive import _pick

COLORECTAL = Document("uspstf-443", "uspstf", "Colorectal Cancer: Screening", DocType.GUIDELINE, year=2021,
                      organization="U.S. Preventive Services Task Force")
STATEMENTS = [  # (passage ordinal, text, grade, score): the selective C statement scores highest, as it did
    (2, "The USPSTF recommends that clinicians selectively offer screening for colorectal cancer in adults "
        "aged 76 to 85 years.", "C", 0.95),
    (1, "The USPSTF recommends screening for colorectal cancer in adults aged 45 to 49 years.", "B", 0.90),
    (0, "The USPSTF recommends screening for colorectal cancer in all adults aged 50 to 75 years.", "A", 0.85),
    (35, "The decision to screen in adults aged 76 to 85 years should be an individual one.", None, 0.80),
    (36, "Screening should be discontinued after age 85 years.", None, 0.75),
    (37, "Colorectal cancer is the third leading cause of cancer death.", None, 0.70),
]


def _sentences() -> list[ScoredSentence]:
    out = []
    for ordinal, text, grade, score in STATEMENTS:
        passage = Passage(Passage.make_id(COLORECTAL.doc_id, ordinal), COLORECTAL.doc_id, ordinal, "Recommendation",
                          text, grade)
        hit = SearchHit(passage, COLORECTAL, score, 1, None, score, None)
        out.append(ScoredSentence(hit, 0, len(text), relevance=score, score=score, matched=("colorectal",),
                                  grade=grade, cues=frozenset(), answers=True))
    return out


def test_every_graded_recommendation_of_one_guideline_is_kept() -> None:
    picked = _pick(_sentences(), 6, set(), graded_per_document=3)
    grades = [s.grade for s in picked]
    assert grades.count("A") == grades.count("B") == grades.count("C") == 1  # all three populations
    assert sum(g is None for g in grades) == 2  # the document's two other bullets, as before


def test_without_the_graded_allowance_the_cap_is_two_a_document() -> None:
    assert len(_pick(_sentences(), 6, set())) == 2


def test_the_graded_allowance_is_one_a_passage() -> None:
    sentences = _sentences()
    first = sentences[1]  # a second graded sentence of the 45-49 passage counts against the ordinary cap
    text = first.hit.passage.text
    twin = ScoredSentence(first.hit, 0, len(text) - 1, relevance=0.89, score=0.89, matched=("colorectal",),
                          grade="B", cues=frozenset(), answers=True)
    picked = _pick([sentences[1], twin, sentences[0]], 6, set(), graded_per_document=3, per_document=0)
    assert [s.grade for s in picked] == ["B", "C"]


def test_the_bottom_line_prefers_a_recommendation_for_all_over_a_selective_one() -> None:
    answer = choose_answer(_sentences(), AnswerIntent.SHOULD)
    assert answer is not None and answer.grade in {"A", "B"}
    selective_only = [s for s in _sentences() if s.grade == "C"]
    chosen = choose_answer(selective_only, AnswerIntent.SHOULD)
    assert chosen is not None and chosen.grade == "C"  # still the answer when it is the only one

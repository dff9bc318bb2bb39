"""Guideline-research conflicts: topics, directions and the dated note, on hand-written statements."""

from __future__ import annotations

from dataclasses import dataclass

from curbside.evidence.conflicts import Statement, as_statement, check_conflict, directions_conflict, find_conflicts, same_topic
from curbside.evidence.findings import Finding

# --- topics and conflicts -------------------------------------------------------------------------

STATIN_GUIDELINE = Statement(
    "Statin therapy before CABG reduces the incidence of postoperative atrial fibrillation.",
    year=2011, citations=(1,), evidence_level=1, grade="B", doc_type="guideline",
)
STATIN_TRIAL_NULL = Statement(
    "Preoperative atorvastatin did not significantly reduce postoperative atrial fibrillation compared with placebo "
    "(OR 0.95, 95% CI 0.70-1.29; p = 0.40).",
    year=2016, citations=(4,), evidence_level=2, doc_type="rct",
)


def test_same_topic_needs_both_intervention_and_outcome() -> None:
    assert same_topic(STATIN_GUIDELINE, STATIN_TRIAL_NULL)  # statin ~ atorvastatin, atrial fibrillation
    other_outcome = Statement("Atorvastatin did not significantly reduce postoperative delirium (p = 0.5).", year=2016)
    assert not same_topic(STATIN_GUIDELINE, other_outcome)
    other_drug = Statement("Amiodarone did not reduce postoperative atrial fibrillation (p = 0.3).", year=2016)
    assert not same_topic(STATIN_GUIDELINE, other_drug)
    # "somatostatin" ends like a statin but is none.
    lookalike = Statement("Somatostatin did not reduce postoperative atrial fibrillation (p = 0.3).", year=2016)
    assert not same_topic(STATIN_GUIDELINE, lookalike)


def test_newer_null_trial_conflicts_with_a_guideline_benefit() -> None:
    conflict = check_conflict(STATIN_GUIDELINE, STATIN_TRIAL_NULL)
    assert conflict is not None
    assert (conflict.guideline_citation, conflict.research_citation) == (1, 4)
    assert (conflict.guideline_year, conflict.research_year) == (2011, 2016)
    assert (conflict.guideline_direction, conflict.research_direction) == ("decreased", "no_difference")
    assert conflict.note.startswith("Newer evidence (2016, randomized controlled trial) found no significant difference in ")
    assert "whereas the 2011 guideline statement (grade B) reported a decrease" in conflict.note
    assert "[4]" in conflict.note and "[1]" in conflict.note


def test_the_note_uses_only_words_from_the_texts_metadata_and_connectives() -> None:
    conflict = check_conflict(STATIN_GUIDELINE, STATIN_TRIAL_NULL)
    assert conflict is not None
    allowed = set((STATIN_GUIDELINE.text + " " + STATIN_TRIAL_NULL.text).lower().replace(".", " ").split())
    allowed |= {"newer", "evidence", "found", "whereas", "the", "guideline", "statement", "reported", "a", "an",
                "decrease", "increase", "no", "significant", "difference", "in", "with", "grade", "b", "randomized",
                "controlled", "trial", "2011", "2016", "[1]", "[4]"}
    words = conflict.note.lower().replace("(", " ").replace(")", " ").replace(",", " ").replace(".", " ").split()
    assert set(words) <= allowed, set(words) - allowed


def test_opposite_directions_conflict_and_agreeing_ones_do_not() -> None:
    harm = {"text": "Vitamin D supplementation increased the rate of falls (RR 1.15, 95% CI 1.02-1.30).",
            "year": 2019, "citations": [7], "evidence_level": 2}
    guideline = {"text": "Vitamin D supplementation reduces falls in older adults.", "year": 2012, "citations": [2]}
    conflict = check_conflict(guideline, harm)
    assert conflict is not None and conflict.research_direction == "increased"
    agreeing = {"text": "Vitamin D supplementation reduced falls (p = 0.01).", "year": 2019, "citations": [8], "evidence_level": 2}
    assert check_conflict(guideline, agreeing) is None


def test_older_or_same_year_research_is_not_flagged() -> None:
    older = Statement(STATIN_TRIAL_NULL.text, year=2009, citations=(5,), evidence_level=2)
    same_year = Statement(STATIN_TRIAL_NULL.text, year=2011, citations=(6,), evidence_level=2)
    undated = Statement(STATIN_TRIAL_NULL.text, year=None, citations=(7,), evidence_level=2)
    assert find_conflicts([STATIN_GUIDELINE], [older, same_year, undated]) == []


def test_weak_study_types_and_recommendation_only_statements_are_not_flagged() -> None:
    case_report = Statement(STATIN_TRIAL_NULL.text, year=2018, citations=(9,), evidence_level=4)
    assert check_conflict(STATIN_GUIDELINE, case_report) is None
    recommendation = Statement("The USPSTF recommends statin use for adults aged 40 to 75 years.", year=2016, citations=(3,))
    assert find_conflicts([recommendation], [STATIN_TRIAL_NULL]) == []
    # A recommendation's purpose ("to reduce ...") is no finding, though it holds a direction word.
    purpose = Statement("The Work Group recommends a statin before CABG to reduce postoperative atrial fibrillation.",
                        year=2010, citations=(2,))
    assert find_conflicts([purpose], [STATIN_TRIAL_NULL]) == []


def test_a_guideline_null_statement_conflicts_with_a_newer_significant_effect() -> None:
    guideline = Statement("Aspirin did not reduce the risk of colorectal cancer.", year=2010, citations=(1,))
    effect = Statement("Aspirin reduced the risk of colorectal cancer (HR 0.76, 95% CI 0.63-0.94).", year=2020, citations=(2,),
                       evidence_level=1)
    trend = Statement("Aspirin reduced the risk of colorectal cancer (p = 0.20).", year=2020, citations=(3,), evidence_level=2)
    assert [c.research_citation for c in find_conflicts([guideline], [effect, trend])] == [2]


def test_directions_conflict_rules() -> None:
    dec, inc = Finding("decreased", None), Finding("increased", True)
    null, nonsig_inc = Finding("no_difference", False), Finding("increased", False)
    assert directions_conflict(dec, inc) and directions_conflict(dec, null) and directions_conflict(null, inc)
    assert not directions_conflict(dec, Finding("decreased", True))
    assert not directions_conflict(dec, nonsig_inc)
    assert not directions_conflict(Finding(None, None), inc)


def test_bullet_like_objects_and_dicts_are_accepted() -> None:
    @dataclass
    class BulletLike:
        text: str
        citations: list[int]
        evidence_level: int
        year: int | None
        doc_type: str
        grade: str | None = None

    bullet = BulletLike(STATIN_TRIAL_NULL.text, [4], 2, 2016, "rct")
    statement = as_statement(bullet)
    assert (statement.citations, statement.year, statement.doc_type) == ((4,), 2016, "rct")
    assert as_statement({"text": "x", "year": "2014", "citations": 3}).citations == (3,)
    assert as_statement({"text": "x", "year": "n.d."}).year is None
    assert len(find_conflicts([STATIN_GUIDELINE], [bullet])) == 1

"""Finding detection (direction and significance) and guideline-research conflicts, on hand-written
sentences; the last test reads Evidence Inference dev spans from ../shared (skipped without it)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from curbside.evidence.conflicts import Statement, as_statement, check_conflict, directions_conflict, find_conflicts, same_topic
from curbside.evidence.findings import Finding, classify_ei, detect_finding
from curbside.evidence.statistics import find_intervals, find_p_values

ROOT = Path(__file__).resolve().parents[2]
EI_DIR = ROOT.parent / "shared" / "eval" / "evidence_inference"

# --- direction and significance -------------------------------------------------------------------

# (sentence, expected direction, expected significance); no prompt terms given.
PLAIN_CASES: list[tuple[str, str | None, bool | None]] = [
    ("Dexamethasone reduced 28-day mortality (p = 0.03).", "decreased", True),
    ("Dexamethasone reduced 28-day mortality (p = 0.40).", "no_difference", False),
    ("Atorvastatin did not significantly reduce postoperative atrial fibrillation.", "no_difference", False),
    ("Mortality did not differ between the two groups (32% vs 35%).", "no_difference", False),
    ("There was no significant difference in length of stay between groups.", "no_difference", False),
    ("The risk of stroke was lower with apixaban (HR 0.79, 95% CI 0.66 to 0.95).", "decreased", True),
    ("Recurrence was lower with the new regimen (RR 0.85, 95% CI 0.65-1.12).", "no_difference", False),
    ("Odds of readmission were higher after early discharge (OR 1.8; 95% CI 1.2-2.7).", "increased", True),
    ("Mean change in HbA1c was -0.4% (95% CI -0.9 to 0.1) with the intervention.", "no_difference", False),
    ("Exercise significantly improved six-minute walk distance.", "increased", True),
    ("Pain scores were similar in both arms.", "no_difference", False),
    ("Insulin requirements were significantly higher with the new protocol (P < 0.001).", "increased", True),
    ("Fewer patients had wound infections with chlorhexidine (4% vs 9%; p = 0.01).", "decreased", True),
    ("The treatment group showed a non-significant reduction in relapse.", "no_difference", False),
    ("Survival tended to be longer with surgery, but the difference was not significant.", "no_difference", False),
    ("The USPSTF recommends screening for colorectal cancer in adults aged 45 to 75 years.", None, None),
]


@pytest.mark.parametrize(("text", "direction", "significant"), PLAIN_CASES)
def test_detect_finding_reads_direction_and_significance(text: str, direction: str | None, significant: bool | None) -> None:
    finding = detect_finding(text)
    assert finding.direction == direction, finding
    assert finding.significant == significant, finding


def test_comparator_as_subject_flips_the_direction() -> None:
    text = "Range of motion was 11 degrees more in the non-tourniquet group (p = 0.001)."
    label = classify_ei(text, intervention="knee replacement with tourniquet", comparator="without tourniquet",
                        outcome="range of motion")
    assert label == "significantly decreased"
    text = "Serum potassium was higher in the placebo group than in the spironolactone group (p = 0.02)."
    assert classify_ei(text, intervention="spironolactone", comparator="placebo", outcome="serum potassium") == (
        "significantly decreased"
    )
    # The comparator named as the reference ("than placebo") keeps the intervention's direction.
    text = "Compared with placebo, spironolactone increased serum potassium (p = 0.02)."
    assert classify_ei(text, intervention="spironolactone", comparator="placebo", outcome="serum potassium") == (
        "significantly increased"
    )


def test_the_clause_naming_the_outcome_decides() -> None:
    text = ("Low dose iloprost impaired exercise capacity (p = 0.004) whereas high dose iloprost did not alter "
            "CO2 production (p = 0.90).")
    finding = detect_finding(text, intervention="high dose iloprost", comparator="placebo", outcome="CO2 production")
    assert finding.direction == "no_difference"


def test_a_between_group_verdict_overrides_a_within_group_change() -> None:
    text = "HbA1c fell significantly in the metformin group (p < 0.01). However, the difference between groups was not significant."
    assert detect_finding(text, intervention="metformin", comparator="placebo", outcome="HbA1c").direction == "no_difference"


def test_a_change_noun_qualified_by_size_reads_as_the_change() -> None:
    assert detect_finding("Liraglutide produced a greater reduction in weight than metformin (p < 0.05).").direction == "decreased"
    assert detect_finding("The increase in pain was significantly smaller with coffee than without.").direction == "decreased"


def test_p_values_and_intervals_are_parsed() -> None:
    values = [(p.op, p.value, p.significant) for p in find_p_values("p = 0.03; P<.001; p > 0.05; p\u2009=\u20090.40; P = 2 x 10-5")]
    assert values == [("=", 0.03, True), ("<", 0.001, True), (">", 0.05, False), ("=", 0.40, False), ("=", 2e-5, True)]
    assert find_p_values("test for interaction p = 0.02") == []
    (ratio,) = find_intervals("hazard ratio 0.79 (95% CI 0.66 to 0.95)")
    assert (ratio.null, ratio.significant, ratio.direction) == (1.0, True, "decreased")
    (difference,) = find_intervals("mean difference -3.2 (95% CI -5.1 to -1.3)")
    assert (difference.null, difference.significant, difference.direction) == (0.0, True, "decreased")
    (crossing,) = find_intervals("OR 1.7, 95% CI: 0.9-3.0")
    assert crossing.significant is False


def test_classify_ei_always_answers_with_an_ei_label() -> None:
    assert classify_ei("Table 2 shows the results.", intervention="a", comparator="b", outcome="c") == "no significant difference"
    assert classify_ei("The difference was statistically significant (p = 0.01).", intervention="drug", comparator="placebo",
                       outcome="score") == "significantly increased"


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


# --- Evidence Inference (../shared) ---------------------------------------------------------------

# Measured 0.865 on the first 200 dev items (bench/eval_evidence_inference.py's loader, file order);
# the floor leaves a margin for lexicon changes.
EI_DEV_FLOOR = 0.80


@pytest.mark.corpus
def test_evidence_inference_dev_accuracy_floor() -> None:
    if not (EI_DIR / "v2_annotations.csv").exists():
        pytest.skip(f"Evidence Inference data not found at {EI_DIR}")
    spec = importlib.util.spec_from_file_location("eval_evidence_inference", ROOT / "bench" / "eval_evidence_inference.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up while being defined
    spec.loader.exec_module(bench)
    items = bench.load_items(EI_DIR, "dev")[:200]
    assert len(items) == 200
    accuracy = sum(bench.predict(item) == item.label for item in items) / len(items)
    assert accuracy >= EI_DEV_FLOOR, f"accuracy {accuracy:.3f} on 200 dev items, floor {EI_DEV_FLOOR}"

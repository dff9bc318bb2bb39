"""Finding detection (direction and significance) on hand-written sentences, the clauses and terms it
reads; the last test reads Evidence Inference dev spans from ../shared (skipped without it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from curbside.evidence.clauses import opposite, split_clauses
from curbside.evidence.findings import classify_ei, detect_finding
from curbside.evidence.terms import content_terms, count_matching_terms, terms_match

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


def test_classify_ei_always_answers_with_an_ei_label() -> None:
    assert classify_ei("Table 2 shows the results.", intervention="a", comparator="b", outcome="c") == "no significant difference"
    assert classify_ei("The difference was statistically significant (p = 0.01).", intervention="drug", comparator="placebo",
                       outcome="score") == "significantly increased"


# --- clauses and terms ----------------------------------------------------------------------------


def test_clauses_split_at_semicolons_sentences_and_contrasts_but_not_inside_brackets() -> None:
    text = "Mortality fell (p = 0.2; n = 3); pain rose, whereas nausea did not. Sleep improved"
    assert [c.text.strip() for c in split_clauses(text)] == [
        "Mortality fell (p = 0.2; n = 3)", "pain rose", "nausea did not", "Sleep improved",
    ]
    assert (opposite("increased"), opposite("decreased"), opposite("no_difference"), opposite(None)) == (
        "decreased", "increased", "no_difference", None,
    )


def test_content_terms_and_their_matching() -> None:
    assert content_terms("Wound infections in patients given atorvastatin 40 mg") == ["wound", "infection", "atorvastatin"]
    assert terms_match("statin", "atorvastatin") and terms_match("mortality", "mortalities")
    assert not terms_match("statin", "somatostatin")
    assert count_matching_terms(["statin", "infection"], ["atorvastatin", "pain"]) == 1


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

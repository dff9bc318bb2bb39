"""classify_study's word gates (corpus/loaders/common.py): a pattern is skipped only where it cannot match, so the
gated heuristic answers as running every pattern would, also for the characters re.IGNORECASE folds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType
from curbside.corpus.loaders import common
from curbside.corpus.loaders.common import classify_study

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PUBMEDQA = SHARED / "corpus" / "pubmedqa" / "ori_pqal.json"

# (pattern, its gate): the gate must hold wherever the pattern matches.
GATES = [
    (common._SR, common._may_name_review),
    (common._SR_METHOD, common._may_describe_review),
    (common._RCT, common._may_randomise),
    (common._CASE, common._may_report_case),
]
GATE_NAMES = ("_may_name_review", "_may_describe_review", "_may_randomise", "_may_report_case")


def _ungated(title: str, text: str) -> DocType:
    """classify_study with every gate open: every pattern runs, as before the gates."""
    saved = {name: getattr(common, name) for name in (*GATE_NAMES, "_randomised", "_reports_case")}
    try:
        for name in GATE_NAMES:
            setattr(common, name, lambda _words: True)
        common._randomised = lambda text, _words: common._RCT.search(common._NON_RANDOM.sub(" ", text)) is not None
        common._reports_case = lambda text, _words: common._CASE.search(text) is not None
        return classify_study(title, text)
    finally:
        for name, gate in saved.items():
            setattr(common, name, gate)


@pytest.mark.parametrize(("title", "text", "expected"), [
    # re.IGNORECASE reads the long s as "s", the dotless i and U+0130 as "i": so must the gates
    ("A \u017fystematic review of statins", "", DocType.SYSTEMATIC_REVIEW),
    ("Statins", "Adults were RANDOM\u0130ZED to statin or placebo.", DocType.RCT),
    ("Lupus nephritis", "We report a pat\u0131ent with lupus.", DocType.CASE_REPORT),
    ("Lupus", "A ca\u017fe of lupus nephritis.", DocType.CASE_REPORT),
    ("Statins", "MEDLINE and EMBASE were \u017fearched up to 2015.", DocType.SYSTEMATIC_REVIEW),
    # where a randomised-trial match can start: "were"/"was" and spaces before "randomi", "rct", not "non-random"
    ("Statins", "Adults WERE \n\t randomised; outcomes at one year.", DocType.RCT),
    ("Statins", "Each adult was\u2003randomized.", DocType.RCT),
    ("Statins", "An RCT of 200 adults.", DocType.RCT),
    ("Statins", "In this non-randomized cohort, patients were followed; a quasi randomised design.", DocType.OBSERVATIONAL),
    ("Statins", "Unrandomized adults; strandomized; randomizedtrial.", DocType.OBSERVATIONAL),
    ("Statins \u0130stanbul", "The cohort was randomized.", DocType.RCT),  # U+0130 lengthens lower(): full scan
    ("Lupus", "Seen was A\n case of nephritis.", DocType.CASE_REPORT),
    ("Lupus", "Here we\tdescribe three young \u017fisters and patients.", DocType.CASE_REPORT),
    ("Lupus", "We present 12 consecutive ca\u017fes.", DocType.CASE_REPORT),
    ("Lupus", "A showcase of nephritis; the casework; we reported two.", DocType.OBSERVATIONAL),
    # a match across the title and the text (the case pattern reads them joined by a newline)
    ("Lupus: we report a", "patient with nephritis.", DocType.CASE_REPORT),
])
def test_folded_characters_and_matches_across_title_and_text(title: str, text: str, expected: DocType) -> None:
    assert classify_study(title, text) is expected
    assert _ungated(title, text) is expected


@pytest.mark.skipif(not PUBMEDQA.is_file(), reason="needs ../shared")
def test_gates_hold_wherever_their_pattern_matches_and_answers_are_unchanged() -> None:
    records = json.loads(PUBMEDQA.read_text(encoding="utf-8")).values()
    matched = 0
    for record in records:
        title = record["QUESTION"]
        text = "\n".join(record["CONTEXTS"]) + "\n" + record["LONG_ANSWER"]
        for part in (title, text, f"{title}\n{text}"):
            for pattern, gate in GATES:
                if pattern.search(part):
                    matched += 1
                    assert gate(common._gate_text(part)), (pattern.pattern[:40], part[:200])
        assert classify_study(title, text) is _ungated(title, text)
    assert matched > 100  # the sample exercises the patterns

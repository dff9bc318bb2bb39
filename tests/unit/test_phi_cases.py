"""The hand-labelled PHI set (tests/fixtures/phi_cases.jsonl) is well formed.

Only its shape is tested here; the scrubber's recall and precision on it are measured by
``python bench/eval_phi.py`` and reported in docs/benchmarks.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "phi_cases.jsonl"


def _cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_at_least_100_cases_with_unique_ids() -> None:
    cases = _cases()
    assert len(cases) >= 100
    ids = Counter(c["id"] for c in cases)
    assert not [i for i, n in ids.items() if n > 1]


def test_every_case_has_the_fields_and_its_strings_occur_in_its_text() -> None:
    for case in _cases():
        assert set(case) == {"id", "text", "phi", "keep"}, case["id"]
        assert isinstance(case["text"], str) and case["text"], case["id"]
        assert case["phi"] or case["keep"], case["id"]
        for s in case["phi"] + case["keep"]:
            assert isinstance(s, str) and s and s in case["text"], (case["id"], s)
        # A fact to keep must not lie inside an identifier to remove, or the two labels contradict.
        for k in case["keep"]:
            assert not any(k in p for p in case["phi"]), (case["id"], k)


def test_the_set_has_identifiers_and_tricky_negatives() -> None:
    cases = _cases()
    kinds = Counter(c["id"].split("-")[0] for c in cases)
    for kind in ("name", "date", "id", "phone", "email", "url", "ip", "addr", "zip", "age", "neg"):
        assert kinds[kind] >= 3, kind
    kept = {k for c in cases for k in c["keep"]}
    for negative in ("Parkinson", "Graves' disease", "Addison disease", "2 g/kg", "day 14", "age 45"):
        assert negative in kept, negative
    assert all(not c["phi"] for c in cases if c["id"].startswith("neg-"))

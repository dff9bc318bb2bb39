"""Recall and precision of the PHI scrubber (`curbside.understanding.phi.scrub_phi`) on a hand-labelled set.

    python bench/eval_phi.py                               # tests/fixtures/phi_cases.jsonl
    python bench/eval_phi.py --cases FILE --show-text      # another set; print each miss's scrubbed text

Each case is one line of JSON: ``{"id", "text", "phi": [...], "keep": [...]}``. ``phi`` lists exact
substrings a careful privacy officer would want gone (HIPAA Safe Harbor identifiers); ``keep`` lists
clinical facts that must survive (eponyms such as "Parkinson" or "Graves' disease", doses such as
"2 g/kg", "day 14", "age 45", stages, lab values, brand names). The case id's first part is its kind
("name", "date", "id", "phone", ..., "neg" for cases with nothing to remove).

Scoring uses the scrubber's findings (spans in the original text), not a search of the output, so a
placeholder that happens to repeat a removed value ("aged 90 or older" after "90-year-old") still counts:

- identifier recall: share of ``phi`` strings every character of which lies inside a finding;
- clinical facts kept (the precision proxy): share of ``keep`` strings that no finding touches;
- finding precision: share of findings that overlap a labelled ``phi`` string.

Prints JSON: the three figures, counts, recall by kind, and every miss (identifier left, fact mangled,
finding on nothing labelled). The set was written before any tuning of the scrubber on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from curbside.understanding.phi import scrub_phi

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "phi_cases.jsonl"


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _occurrences(text: str, sub: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(sub)
    while start >= 0:
        spans.append((start, start + len(sub)))
        start = text.find(sub, start + 1)
    return spans


def evaluate(cases: list[dict], *, show_text: bool = False) -> dict:
    phi_total = phi_removed = keep_total = keep_intact = findings_total = findings_on_phi = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # kind -> [removed, total]
    missed, mangled, spurious = [], [], []
    for case in cases:
        text = case["text"]
        result = scrub_phi(text)
        covered = set()
        for f in result.findings:
            covered.update(range(f.start, f.end))
        kind = case["id"].split("-")[0]
        phi_spans = [s for p in case["phi"] for s in _occurrences(text, p)]
        for p in case["phi"]:
            phi_total += 1
            by_kind[kind][1] += 1
            if all(all(i in covered for i in range(a, b)) for a, b in _occurrences(text, p)):
                phi_removed += 1
                by_kind[kind][0] += 1
            else:
                missed.append({"id": case["id"], "phi": p} | ({"scrubbed": result.text} if show_text else {}))
        for k in case["keep"]:
            keep_total += 1
            if any(i in covered for a, b in _occurrences(text, k) for i in range(a, b)):
                mangled.append({"id": case["id"], "keep": k, "scrubbed": result.text})
            else:
                keep_intact += 1
        for f in result.findings:
            findings_total += 1
            if any(f.start < b and a < f.end for a, b in phi_spans):
                findings_on_phi += 1
            else:
                spurious.append({"id": case["id"], "kind": f.kind, "removed": text[f.start : f.end]})
    return {
        "cases": len(cases),
        "cases_without_phi": sum(1 for c in cases if not c["phi"]),
        "phi_strings": phi_total,
        "keep_strings": keep_total,
        "identifier_recall": round(phi_removed / phi_total, 4) if phi_total else None,
        "clinical_facts_kept": round(keep_intact / keep_total, 4) if keep_total else None,
        "finding_precision": round(findings_on_phi / findings_total, 4) if findings_total else None,
        "findings": findings_total,
        "recall_by_kind": {k: f"{r}/{t}" for k, (r, t) in sorted(by_kind.items())},
        "missed_identifiers": missed,
        "mangled_facts": mangled,
        "findings_on_nothing_labelled": spurious,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--show-text", action="store_true", help="add the scrubbed text to each missed identifier")
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(load_cases(args.cases), show_text=args.show_text), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

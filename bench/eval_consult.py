"""Consult questions end to end: right source in the bottom line, honest abstentions, no off-population or
superseded source (the rules: ``curbside.evaluation.consult``).

    HF_HUB_OFFLINE=1 python bench/eval_consult.py          # index in CURBSIDE_DATA_DIR or /tmp/starter-data
    HF_HUB_OFFLINE=1 python bench/eval_consult.py --data-dir DIR --json    # the whole report as JSON
    HF_HUB_OFFLINE=1 python bench/eval_consult.py --id ans-colorectal-46 --id trap-tdap-28-weeks --show-bottom-line

The questions (``tests/fixtures/consult_questions.jsonl``) were written by hand from the starter corpus, in
three kinds: answerable (the source expected in the bottom line), unanswerable (the answer must say the
knowledge base lacks it) and population traps (a guideline for another population must not answer).
Superseded guideline summaries (``tests/fixtures/consult_superseded.tsv``) must not be cited by any article.
Prints a table per kind (pass or fail per question, with the reasons) and the totals; exits 0 whatever
the score, so a baseline can be recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from curbside.engine import Curbside
from curbside.evaluation.consult import KINDS, ConsultEvaluation, evaluate_consult, load_superseded

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "fixtures" / "consult_questions.jsonl"
SUPERSEDED = ROOT / "tests" / "fixtures" / "consult_superseded.tsv"
DEFAULT_DATA_DIR = "/tmp/starter-data"


def format_table(evaluation: ConsultEvaluation, *, show_bottom_line: bool = False) -> str:
    lines: list[str] = []
    totals = evaluation.totals()
    for kind in KINDS:
        mine = [r.check for r in evaluation.results if r.check.kind == kind]
        if not mine:
            continue
        lines.append(f"\n## {kind}: {totals[kind]['passed']}/{totals[kind]['questions']} passed")
        width = max(len(c.id) for c in mine)
        for c in mine:
            verdict = "PASS" if c.passed else "FAIL"
            cited = ", ".join(c.bottom_line_sources) or "-"
            lines.append(f"{verdict}  {c.id:<{width}}  {c.intent:<10}  {c.evidence_status:<12}  cites: {cited}")
            for failure in c.failures:
                lines.append(f"      - {failure}")
            if show_bottom_line:
                lines.append(f"      bottom line: {c.bottom_line}")
    overall = totals["all"]
    lines.append(f"\nTotal: {overall['passed']}/{overall['questions']} passed "
                 f"({evaluation.seconds:.1f} s, corpus {evaluation.corpus_snapshot})")
    lines += [f"problem: {p}" for p in evaluation.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("CURBSIDE_DATA_DIR") or DEFAULT_DATA_DIR),
                        help="data directory with a built index (default: CURBSIDE_DATA_DIR, else /tmp/starter-data)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--superseded", type=Path, default=SUPERSEDED)
    parser.add_argument("--id", action="append", dest="ids", help="only this question (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument("--show-bottom-line", action="store_true", help="print each bottom line under its row")
    args = parser.parse_args(argv)
    cb = Curbside.open(args.data_dir)
    evaluation = evaluate_consult(cb, args.questions, load_superseded(args.superseded), ids=args.ids,
                                  progress=lambda line: print(line, file=sys.stderr))
    if args.json:
        print(json.dumps(evaluation.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_table(evaluation, show_bottom_line=args.show_bottom_line))
    return 0


if __name__ == "__main__":
    sys.exit(main())

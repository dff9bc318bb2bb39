#!/usr/bin/env python
"""Reading grade of the patient view against the physician view, over a built-in list of 30 questions.

    python bench/bench_readability.py --data-dir /tmp/starter-data [--questions FILE] [--per-question]

Opens the index, answers each question with ``Curbside.ask`` and measures two views of the same article
with ``view_for_audience``: "physician" (the article as written) and "patient" (plain language). The
measure is the view's own ``readability``: Flesch-Kincaid grade (textstat 0.7.8) of the bottom line and
every bullet of every section, research and drug-label bullets included; headings, references and notes
are not counted (the scope string printed says so). Prints JSON: median and max grade of each view,
the ratio of the medians (patient / physician), and how many patient views reach grade 8 or lower, the
product's aim. Questions come from --questions (a .jsonl with "Question" or "question", or plain text,
one a line) or from the built-in list below: 20 topics used while the patient rewrite was developed,
then 10 it was not tuned on. An article without any bullet (no evidence found) is listed as skipped, not
measured. Not a test: figures depend on the index.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

GOAL_GRADE = 8.0

QUESTIONS = [
    # Used while developing the patient rewrite (its transformations were checked on these).
    "depression screening in primary care",
    "gout flares",
    "metformin first-line for type 2 diabetes",
    "gestational diabetes screening",
    "prednisone adverse effects",
    "latent TB treatment",
    "hepatitis C screening",
    "acute otitis media in children",
    "folic acid before pregnancy",
    "amoxicillin dose for strep throat",
    "iron deficiency anemia in adults",
    "abdominal aortic aneurysm screening",
    "long-term proton pump inhibitor risks",
    "exercise to prevent falls",
    "migraine prevention",
    "hypothyroidism management",
    "childhood obesity screening",
    "psoriasis treatment",
    "tocilizumab for giant cell arteritis",
    "chronic low back pain",
    # Not used while developing it.
    "statins for primary prevention in older adults",
    "colorectal cancer screening age",
    "asthma inhaled corticosteroids in children",
    "warfarin interactions",
    "osteoporosis screening in women",
    "smoking cessation medications",
    "HPV vaccination",
    "urinary tract infection in pregnancy",
    "atrial fibrillation anticoagulation",
    "vitamin D supplementation",
]


# The parts: rules are changed looking at the tuning part only; the report part is measured after.
TUNING_QUESTIONS = QUESTIONS[:20]
REPORT_QUESTIONS = QUESTIONS[20:]


def _part(rows: list[dict[str, object]], questions: list[str]) -> dict[str, object]:
    grades = [float(r["patient"]) for r in rows if r["question"] in questions]  # type: ignore[arg-type]
    if not grades:
        return {"measured": 0}
    return {"measured": len(grades), "patient_median": round(statistics.median(grades), 1),
            "patient_at_or_below_goal": sum(g <= GOAL_GRADE for g in grades),
            "share_at_or_below_goal": round(sum(g <= GOAL_GRADE for g in grades) / len(grades), 2)}


def _summary(grades: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(grades), 1),
        "max": round(max(grades), 1),
        "min": round(min(grades), 1),
        "mean": round(statistics.fmean(grades), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=Path, help="data directory with a built index")
    parser.add_argument("--questions", type=Path, default=None, help="questions file (.jsonl or text); default: built-in list")
    parser.add_argument("--preset", default=None, help="settings preset (default: default)")
    parser.add_argument("--per-question", action="store_true", help="also list each question's two grades")
    args = parser.parse_args()

    from importlib.metadata import version

    from curbside.writing.audience import view_for_audience
    from curbside.engine import Curbside, read_question_file

    questions = [q for _, q in read_question_file(args.questions)] if args.questions else list(QUESTIONS)
    questions = list(dict.fromkeys(questions))
    if not questions:
        parser.error("no questions")

    cb = Curbside.open(args.data_dir, preset=args.preset)
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    scope = ""
    for question in questions:
        article = cb.ask(question)
        if not any(s.bullets for s in article.sections):
            skipped.append(question)  # no evidence found: one fixed sentence, nothing to rewrite
            continue
        patient = view_for_audience(article, "patient").readability
        physician = view_for_audience(article, "physician").readability
        # "patient view: bottom line and 12 bullets (...)": the same words for every article but the count.
        scope = re.sub(r"^patient view: bottom line and \d+ bullets?", "each view's bottom line and every bullet", patient.scope)
        rows.append(
            {
                "question": question,
                "patient": patient.flesch_kincaid_grade,
                "physician": physician.flesch_kincaid_grade,
                "patient_words": patient.words,
                "patient_sentences": patient.sentences,
            }
        )

    if not rows:
        parser.error("no question found any evidence")
    patient_grades = [float(r["patient"]) for r in rows]  # type: ignore[arg-type]
    physician_grades = [float(r["physician"]) for r in rows]  # type: ignore[arg-type]
    physician_median = statistics.median(physician_grades)
    result: dict[str, object] = {
        "data_dir": str(args.data_dir),
        "corpus_snapshot": cb.info()["corpus_snapshot"],
        "questions_source": str(args.questions) if args.questions else "built-in list",
        "questions": len(questions),
        "measured": len(rows),
        "skipped_without_evidence": skipped,
        "measure": f"Flesch-Kincaid grade, textstat {version('textstat')}",
        "scope": scope,
        "patient": _summary(patient_grades),
        "physician": _summary(physician_grades),
        "ratio_of_medians": round(statistics.median(patient_grades) / physician_median, 2) if physician_median else None,
        "patient_at_or_below_goal": sum(g <= GOAL_GRADE for g in patient_grades),
        "goal_grade": GOAL_GRADE,
        "share_at_or_below_goal": round(sum(g <= GOAL_GRADE for g in patient_grades) / len(patient_grades), 2),
    }
    if not args.questions:
        result["parts"] = {"tuning (first 20)": _part(rows, TUNING_QUESTIONS),
                           "report (last 10)": _part(rows, REPORT_QUESTIONS)}
    if args.per_question:
        result["per_question"] = rows
    print(json.dumps(result, indent=2))
    p, d = result["patient"], result["physician"]
    print(
        f"patient median {p['median']} (max {p['max']}) vs physician median {d['median']} (max {d['max']}); "  # type: ignore[index]
        f"ratio {result['ratio_of_medians']}; {result['patient_at_or_below_goal']}/{len(rows)} patient views at grade "
        f"{GOAL_GRADE:g} or lower",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

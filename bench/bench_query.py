"""Question-understanding speed: median time to understand a ~300-word patient story with all MeSH names and Drugs@FDA brands loaded.

Two timings: ``understand()`` as plain search calls it (no drug names: story, expansions, question type,
age, sex, history) and as ``ask`` calls it (with the drug names: the patient context and medications too).

    python bench/bench_query.py --corpus-dir ../shared/corpus
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from curbside.corpus.documents import IngestReport
from curbside.corpus.drugs import load_drug_names
from curbside.corpus.mesh import load_mesh_names
from curbside.understanding import DrugNames, Lexicon, understand

STORY = (
    "A 58-year-old woman with a history of hypertension, type 2 diabetes, chronic kidney disease stage 3 and "
    "rheumatoid arthritis treated with methotrexate and hydroxychloroquine presents with progressive dyspnea "
    "and dry cough over three months. High-resolution computed tomography shows ground-glass opacities and "
    "reticulation consistent with interstitial lung disease. Anti-MDA5 antibodies are positive and creatine "
    "kinase is mildly elevated. She has Gottron papules and a heliotrope rash, suggesting dermatomyositis. "
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-dir", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    report = IngestReport()
    started = time.perf_counter()
    brands = [(d.brand, d.generic) for d in load_drug_names(args.corpus_dir / "drug_labels" / "drugsatfda.zip", report)]
    mesh = [m.name for m in load_mesh_names(sorted((args.corpus_dir / "mesh").glob("*.tsv"))[-1], report)]
    lexicon = Lexicon.with_builtin_abbreviations(brands=brands, mesh_names=mesh)
    build_s = time.perf_counter() - started
    words = STORY.split()
    text = " ".join((words * (300 // len(words) + 1))[:290]) + ". What is the best treatment for RP-ILD with MMF and IVIG?"
    drug_names = DrugNames(brands, lexicon=lexicon)

    def median_and_max(**kwargs: object) -> tuple[float, float]:
        understand(text, lexicon=lexicon, **kwargs)  # warm caches
        timings = []
        for _ in range(args.runs):
            t = time.perf_counter()
            understand(text, lexicon=lexicon, **kwargs)
            timings.append((time.perf_counter() - t) * 1000)
        return round(statistics.median(timings), 2), round(max(timings), 2)

    search_median, search_max = median_and_max()
    ask_median, ask_max = median_and_max(drug_names=drug_names)
    print(json.dumps({
        "words": len(text.split()), "brands": len(brands), "mesh_names": len(mesh),
        "lexicon_build_s": round(build_s, 2), "parse_ms_median": search_median, "parse_ms_max": search_max,
        "with_patient_ms_median": ask_median, "with_patient_ms_max": ask_max, "runs": args.runs,
    }, indent=2))

if __name__ == "__main__":
    main()

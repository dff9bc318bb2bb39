"""The claim verifier (curbside.writing.verification) on labelled claims: precision and recall at catching
unsupported claims, and how long verification takes per claim and per article.

Two labelled sets, each split once and for all into a tuning part (the only one the verifier's rules and
thresholds were tuned on) and a report part:

- hand-written cases, tests/fixtures/claim_cases.jsonl (doses, units, numbers, negations, paraphrases,
  unrelated claims, citations to missing passages): tuning = cases without ``held_out``, report = ``held_out``;
- K-QA's physician-labelled claims (../shared/eval/kqa/nli_claims_dev.csv, read at run time): a physician's
  statement checked against an LLM's answer, supported when the physicians' majority label is "Entailment"
  ("Neutral" or "Contradiction": unsupported); split by a hash of the question, so a question's claims stay
  in one part.

"Positive" is an unsupported claim: precision = caught / flagged, recall = caught / unsupported. The baseline,
measured in the same run, is a plain word-overlap check (existing citations and ``min_overlap`` of the claim's
content words in the cited passages, nothing else).

Latency: every labelled claim checked once by a fresh verifier (per claim), and articles of 15 claims over
their passages, each by a fresh verifier (its sentence cache empty).

With ``--entailment local`` the verifier is also measured with the local entailment model (the packaged
``writing/data/entailment_model.json``, or ``--entailment-model FILE``) in the same run: before and after, on the same
claims. That model is trained (``curbside train entailment``) on the tuning parts only, never the report parts.

    python bench/eval_verifier.py [--kqa ../shared/eval/kqa/nli_claims_dev.csv] [--embed] [--entailment local]
                                  [--entailment-model FILE] [--latency-sample N] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curbside.evaluation.entailment_training import kqa_part
from curbside.writing.verification import ClaimCheck, ClaimVerifier

REPO = Path(__file__).resolve().parents[1]
HAND_CASES = REPO / "tests" / "fixtures" / "claim_cases.jsonl"
KQA_CLAIMS = REPO.parent / "shared" / "eval" / "kqa" / "nli_claims_dev.csv"
ARTICLE_CLAIMS = 15


@dataclass(frozen=True)
class Case:
    source: str  # "hand" or "kqa"
    part: str  # "tuning" or "report"
    kind: str
    supported: bool
    claim: str
    citations: tuple[int, ...]
    passages: dict[int, str]


def hand_cases(path: Path = HAND_CASES) -> list[Case]:
    cases = []
    for line in path.open(encoding="utf-8"):
        raw = json.loads(line)
        cases.append(Case("hand", "report" if raw.get("held_out") else "tuning", raw["kind"], raw["supported"],
                          raw["claim"], tuple(raw["citations"]),
                          {int(n): text for n, text in raw["passages"].items()}))
    return cases


def kqa_cases(path: Path = KQA_CLAIMS) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as f:
        return [Case("kqa", kqa_part(row["Question"]), row["majority_label"].lower(),
                     row["majority_label"] == "Entailment", row["claim"], (1,), {1: row["answer"]})
                for row in csv.DictReader(f)]


Checker = Callable[[ClaimVerifier, Case], bool]  # True: the claim is flagged as unsupported


def verifier_flags(verifier: ClaimVerifier, case: Case) -> bool:
    return not verifier.check(case.claim, case.citations, case.passages).supported


def overlap_baseline_flags(verifier: ClaimVerifier, case: Case) -> bool:
    """The plain check: a cited passage exists and enough of the claim's words are in it."""
    check: ClaimCheck = verifier.check(case.claim, case.citations, case.passages)
    return not check.citations or check.overlap < verifier.min_overlap


def scores(cases: Sequence[Case], flagged: Sequence[bool]) -> dict[str, Any]:
    caught = sum(f and not c.supported for c, f in zip(cases, flagged, strict=True))
    n_flagged = sum(flagged)
    unsupported = sum(not c.supported for c in cases)
    precision = caught / n_flagged if n_flagged else 1.0
    recall = caught / unsupported if unsupported else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"claims": len(cases), "unsupported": unsupported, "flagged": n_flagged, "caught": caught,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def evaluate(cases: Sequence[Case], make: Callable[[], ClaimVerifier], checker: Checker) -> dict[str, Any]:
    verifier = make()
    flagged = [checker(verifier, c) for c in cases]
    out: dict[str, Any] = {}
    for source in sorted({c.source for c in cases}):
        for part in ("tuning", "report"):
            chosen = [(c, f) for c, f in zip(cases, flagged, strict=True) if c.source == source and c.part == part]
            if chosen:
                out[f"{source}/{part}"] = scores([c for c, _ in chosen], [f for _, f in chosen])
    out["misjudged_hand"] = sorted(
        f"{c.part}:{c.kind}:{c.claim[:60]}" for c, f in zip(cases, flagged, strict=True)
        if c.source == "hand" and f == c.supported)
    return out


def articles(cases: Sequence[Case], size: int = ARTICLE_CLAIMS) -> list[tuple[list[tuple[str, tuple[int, ...]]], dict[int, str]]]:
    """Articles of ``size`` claims: each claim's passages renumbered into one article-wide numbering."""
    out = []
    for start in range(0, len(cases) - size + 1, size):
        passages: dict[str, int] = {}
        claims = []
        for case in cases[start:start + size]:
            numbers = {n: passages.setdefault(text, len(passages) + 1) for n, text in case.passages.items()}
            claims.append((case.claim, tuple(numbers.get(n, 100 + n) for n in case.citations)))
        out.append((claims, {n: text for text, n in passages.items()}))
    return out


def latency(cases: Sequence[Case], make: Callable[[], ClaimVerifier], repeats: int = 3,
            sample: int | None = None) -> dict[str, float]:
    """Per claim (every case, or the first ``sample``) and per article (every article, or the first ``sample``)."""
    per_claim = []
    for case in cases[:sample]:
        verifier = make()
        started = time.perf_counter()
        verifier.check(case.claim, case.citations, case.passages)
        per_claim.append((time.perf_counter() - started) * 1000)
    per_article = []
    for _ in range(repeats):
        for claims, passages in articles(cases)[:sample]:
            verifier = make()
            started = time.perf_counter()
            for claim, citations in claims:
                verifier.check(claim, citations, passages)
            per_article.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(per_claim, n=20)
    return {"claims_timed": len(per_claim), "per_claim_ms_p50": round(statistics.median(per_claim), 2),
            "per_claim_ms_p95": round(q[18], 2), "articles_timed": len(per_article),
            "per_article_ms_p50": round(statistics.median(per_article), 1),
            "per_article_ms_max": round(max(per_article), 1)}


def embedding_function() -> Callable[[Sequence[str]], Any]:
    from curbside.retrieval.dense import Embedder
    from curbside.settings import EmbeddingSettings

    embedder = Embedder(EmbeddingSettings())
    return embedder.encode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kqa", type=Path, default=KQA_CLAIMS, help="K-QA's nli_claims_dev.csv (skipped if missing)")
    parser.add_argument("--embed", action="store_true", help="also with the bundled MiniLM embedding similarity check")
    parser.add_argument("--entailment", choices=["local"], help="also with the local entailment model")
    parser.add_argument("--entailment-model", type=Path, default=None,
                        help="the local model's file (default: the packaged writing/data/entailment_model.json)")
    parser.add_argument("--latency-sample", type=int, default=None, metavar="N",
                        help="time only the first N claims and N articles (a model that embeds is slow to time)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)

    cases = hand_cases()
    if args.kqa.is_file():
        cases += kqa_cases(args.kqa)
    elif not args.json:
        print(f"note: {args.kqa} not found; hand-written cases only", file=sys.stderr)
    makers: dict[str, Callable[[], ClaimVerifier]] = {"verifier": ClaimVerifier}
    if args.embed:
        embed = embedding_function()
        makers["verifier+embedding"] = lambda: ClaimVerifier(embed=embed)
    if args.entailment == "local":
        from curbside.writing.entailment import LocalEntailment, load_entailment_model

        model = load_entailment_model(args.entailment_model)
        model_embed = embedding_function() if model.uses_embeddings else None
        # A fresh model object per verifier: its caches start empty, as in one article.
        makers["verifier+local entailment"] = lambda: ClaimVerifier(entails=LocalEntailment(model, embed=model_embed))
    # The baseline's verdicts only: it reads the overlap off the full check, so its time would be the verifier's.
    result: dict[str, Any] = {"baseline (word overlap)": evaluate(cases, ClaimVerifier, overlap_baseline_flags)}
    for name, make in makers.items():
        result[name] = {**evaluate(cases, make, verifier_flags), "latency": latency(cases, make, sample=args.latency_sample)}
    hand = [c for c in cases if c.source == "hand"]
    result["sets"] = {"hand": {"claims": len(hand), "unsupported": sum(not c.supported for c in hand)},
                      "kqa": {"claims": len(cases) - len(hand),
                              "unsupported": sum(not c.supported for c in cases if c.source == "kqa")}}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for name, res in result.items():
        if name == "sets":
            continue
        print(f"\n{name}")
        for key, value in res.items():
            if key == "misjudged_hand":
                print(f"  misjudged hand cases ({len(value)}): " + "; ".join(value))
            else:
                print(f"  {key}: {value}")
    print(f"\nsets: {result['sets']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

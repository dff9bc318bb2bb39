"""Evidence Inference (v2): how well `curbside.evidence.findings` reads direction and significance.

    python bench/eval_evidence_inference.py                 # dev (validation) split
    python bench/eval_evidence_inference.py --split test    # dev, then test once at the end
    python bench/eval_evidence_inference.py --split train --errors 30

Each item is one annotator's evidence span (the sentence they cited for their label) with the prompt's
intervention, comparator and outcome; the detector predicts "significantly increased", "significantly
decreased" or "no significant difference". Items are the v2 annotations whose label and reasoning the
verifier accepted (``Valid Label`` and ``Valid Reasoning`` both true), minus the prompts the dataset's
README lists as incorrect, questionable or malformed, de-duplicated on (prompt, span). Splits are the
dataset's own ``splits/ev2_{train,validation,test}_article_ids.txt`` (by article). The cue lexicons were
written and tuned looking at train and validation only; test is scored once, at the end.

Prints accuracy, per-class precision / recall / F1, macro F1, a confusion matrix and the majority-class
baseline (the most frequent label of the *train* split), then a Markdown table for docs/benchmarks.md.
Measured when written: train 0.862 (2,825 spans), dev 0.860 (344), test 0.807 (367; majority 0.425);
about 1 ms a span on one core, no model.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from curbside.evidence.findings import EI_LABELS, classify_ei

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "evidence_inference"
SPLIT_FILES = {"train": "ev2_train_article_ids.txt", "dev": "ev2_validation_article_ids.txt", "test": "ev2_test_article_ids.txt"}
LABELS: tuple[str, ...] = tuple(EI_LABELS.values())  # increased, decreased, no difference

# The dataset README's "Caveat" lists: incorrect, questionable and somewhat malformed prompts.
_README_FLAGGED = re.compile(r"^###\s*(Incorrect|Questionable|Somewhat malformed)\s*:?\s*\n+([\d,\s.]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class EIItem:
    prompt_id: str
    pmcid: str
    intervention: str
    comparator: str
    outcome: str
    evidence: str
    label: str  # one of LABELS


def _normalise_label(label: str) -> str | None:
    # v2 spells "significantly increased" two ways ("significantly increase" too).
    text = label.strip().lower()
    if text.startswith("significantly increase"):
        return "significantly increased"
    if text.startswith("significantly decrease"):
        return "significantly decreased"
    if text.startswith("no significant"):
        return "no significant difference"
    return None


def flagged_prompts(data_dir: Path) -> set[str]:
    readme = data_dir / "README.md"
    if not readme.exists():
        return set()
    text = readme.read_text(encoding="utf-8-sig")
    return {num for match in _README_FLAGGED.finditer(text) for num in re.findall(r"\d+", match.group(2))}


def load_items(data_dir: Path = DEFAULT_DIR, split: str = "dev") -> list[EIItem]:
    """The accepted, de-duplicated annotation spans of one split ("train", "dev" or "test")."""
    articles = set((data_dir / "splits" / SPLIT_FILES[split]).read_text(encoding="utf-8").split())
    with (data_dir / "prompts_merged.csv").open(encoding="utf-8-sig", newline="") as handle:
        prompts = {row["PromptID"]: row for row in csv.DictReader(handle)}
    skip = flagged_prompts(data_dir)
    items: list[EIItem] = []
    seen: set[tuple[str, str]] = set()
    with (data_dir / "v2_annotations.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["PMCID"] not in articles or row["PromptID"] in skip or row["PromptID"] not in prompts:
                continue
            if row["Valid Label"] != "True" or row["Valid Reasoning"] != "True":
                continue
            label = _normalise_label(row["Label"])
            evidence = row["Annotations"].strip()
            if label is None or not evidence:
                continue
            key = (row["PromptID"], " ".join(evidence.split()))
            if key in seen:
                continue
            seen.add(key)
            prompt = prompts[row["PromptID"]]
            items.append(EIItem(
                prompt_id=row["PromptID"], pmcid=row["PMCID"], intervention=prompt["Intervention"].strip(),
                comparator=prompt["Comparator"].strip(), outcome=prompt["Outcome"].strip(), evidence=evidence, label=label,
            ))
    return items


def predict(item: EIItem) -> str:
    return classify_ei(item.evidence, intervention=item.intervention, comparator=item.comparator, outcome=item.outcome)


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    accuracy: float
    per_class: dict[str, dict[str, float]]  # label -> precision, recall, f1, support
    macro_f1: float
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count


def score(gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = confusion[label][label]
        predicted_n = sum(confusion[g][label] for g in LABELS)
        support = sum(confusion[label].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    n = len(gold)
    accuracy = sum(confusion[g][g] for g in LABELS) / n if n else 0.0
    macro_f1 = sum(c["f1"] for c in per_class.values()) / len(LABELS)
    return Scores(n=n, accuracy=accuracy, per_class=per_class, macro_f1=macro_f1, confusion=confusion)


_SHORT = {"significantly increased": "increased", "significantly decreased": "decreased", "no significant difference": "no difference"}


def markdown(results: dict[str, tuple[Scores, Scores]]) -> str:
    """One table of accuracy / per-class F1 for each split, then a confusion matrix per split."""
    lines = [
        "| split | items | majority baseline acc. | accuracy | macro F1 | F1 increased (P / R) | F1 decreased (P / R) | F1 no difference (P / R) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for split, (ours, base) in results.items():
        cells = [
            f"{ours.per_class[lab]['f1']:.3f} ({ours.per_class[lab]['precision']:.3f} / {ours.per_class[lab]['recall']:.3f})"
            for lab in LABELS
        ]
        lines.append(f"| {split} | {ours.n} | {base.accuracy:.3f} | **{ours.accuracy:.3f}** | {ours.macro_f1:.3f} | " + " | ".join(cells) + " |")
    for split, (ours, _) in results.items():
        lines += ["", f"Confusion matrix, {split} (rows: gold, columns: predicted):", ""]
        lines.append("| gold \\ predicted | " + " | ".join(_SHORT[lab] for lab in LABELS) + " |")
        lines.append("|---|" + "---:|" * len(LABELS))
        for gold in LABELS:
            lines.append(f"| {_SHORT[gold]} | " + " | ".join(str(ours.confusion[gold][p]) for p in LABELS) + " |")
    return "\n".join(lines)


def _print_errors(items: Iterable[EIItem], predicted: Sequence[str], limit: int) -> None:
    shown = 0
    for item, pred in zip(items, predicted, strict=True):
        if pred == item.label or shown >= limit:
            continue
        shown += 1
        print(f"--- gold={item.label} predicted={pred} prompt={item.prompt_id}", file=sys.stderr)
        print(f"    I: {item.intervention} | C: {item.comparator} | O: {item.outcome}", file=sys.stderr)
        print(f"    {' '.join(item.evidence.split())[:600]}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", choices=["train", "dev", "test"], default="dev",
                        help="dev: the validation split only; test: dev, then test; train: train only (for tuning)")
    parser.add_argument("--errors", type=int, default=0, help="print this many misclassified items (stderr)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of Markdown")
    args = parser.parse_args(argv)
    if not (args.data_dir / "v2_annotations.csv").exists():
        print(f"no Evidence Inference data at {args.data_dir} (expected v2_annotations.csv there)", file=sys.stderr)
        return 2
    splits = {"train": ["train"], "dev": ["dev"], "test": ["dev", "test"]}[args.split]
    train_labels = [item.label for item in load_items(args.data_dir, "train")]
    majority = Counter(train_labels).most_common(1)[0][0]
    results: dict[str, tuple[Scores, Scores]] = {}
    timing: dict[str, float] = {}
    for split in splits:
        items = load_items(args.data_dir, split)
        started = time.perf_counter()
        predicted = [predict(item) for item in items]
        timing[split] = (time.perf_counter() - started) * 1000 / max(1, len(items))
        gold = [item.label for item in items]
        results[split] = (score(gold, predicted), score(gold, [majority] * len(gold)))
        if args.errors:
            _print_errors(items, predicted, args.errors)
    if args.json:
        print(json.dumps({
            split: {"ours": vars_of(ours), "majority_baseline": vars_of(base), "ms_per_item": round(timing[split], 3)}
            for split, (ours, base) in results.items()
        } | {"majority_label": majority}, indent=2))
    else:
        print(f"majority-class baseline: always {majority!r} (the most frequent train label)")
        print(", ".join(f"{split}: {ms:.2f} ms/item" for split, ms in timing.items()))
        print()
        print(markdown(results))
    return 0


def vars_of(scores: Scores) -> dict[str, object]:
    return {"n": scores.n, "accuracy": round(scores.accuracy, 4), "macro_f1": round(scores.macro_f1, 4),
            "per_class": {k: {m: round(v, 4) for m, v in d.items()} for k, d in scores.per_class.items()},
            "confusion": scores.confusion}


if __name__ == "__main__":
    raise SystemExit(main())

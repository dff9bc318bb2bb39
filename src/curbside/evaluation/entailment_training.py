"""Train the local entailment model (:class:`curbside.writing.entailment.LocalEntailment`) from the dev data: seconds.

Pairs of (premise, claim), labelled entailed or not, from three sources read at run time (nothing is copied):

- **Evidence Inference** (``../shared/eval/evidence_inference``): each accepted evidence span of the set's *train*
  articles, with its prompt's intervention, comparator and outcome, gives three claims: the finding it states
  ("A significantly reduced O compared with B": entailed), the same with another finding (contradicted), and
  another prompt's finding from another article (unrelated). The set's *validation* articles are held out to
  measure the model's own accuracy; its test articles are not read.
- **K-QA**'s physician-labelled claims (``nli_claims_dev.csv``): only the questions of the *tuning* part of
  ``bench/eval_verifier.py``'s split (:func:`kqa_part`); the report part is never read here.
- **hand-written cases** (``tests/fixtures/claim_cases.jsonl``), when given: only cases without ``held_out``.

The in-domain rows (K-QA and hand-written) are repeated ``in_domain_weight`` times, since Evidence Inference's
templated claims outnumber them fifty to one. A regularised logistic regression
(:func:`curbside.retrieval.fusion.fit_logistic`, deterministic Newton steps) gives the weights. The threshold is
chosen on the in-domain rows' out-of-fold probabilities (each fold's model fitted without that fold), as the one
that, added to the verifier's rules, gives the best F1 at catching unsupported claims on the tuning parts without
lowering the rules' precision there (``Recipe.keep_precision``; off: the best F1 alone).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curbside.errors import EvaluationError
from curbside.retrieval.fusion import fit_logistic
from curbside.writing.entailment import (
    EMBEDDING_FEATURES,
    LEXICAL_FEATURES,
    MODEL_FILE,
    EntailmentModel,
    Embed,
    PairFeatures,
)
from curbside.writing.verification import ClaimVerifier

Progress = Callable[[str], None]
EI_SPLITS = {"train": "ev2_train_article_ids.txt", "validation": "ev2_validation_article_ids.txt"}
# The dataset README's "Caveat" lists of incorrect, questionable and somewhat malformed prompts.
_README_FLAGGED = re.compile(r"^###\s*(Incorrect|Questionable|Somewhat malformed)\s*:?\s*\n+([\d,\s.]+)", re.MULTILINE)
_FINDINGS = ("significantly increased", "significantly decreased", "no significant difference")
_OTHER_FINDING = {0: 1, 1: 0}  # increased <-> decreased; "no difference" alternates between the two


@dataclass(frozen=True)
class Pair:
    """One labelled (premise, claim) pair. ``rules_flag``: the verifier's rules alone reject it (in-domain rows)."""

    source: str  # "ei", "kqa" or "hand"
    part: str  # "train" or "validation" (Evidence Inference), "tuning" (K-QA and hand-written)
    kind: str  # "entailed", "contradicted", "unrelated", or the set's own label
    premise: str
    claim: str
    entailed: bool
    group: str  # rows of one group (an article, a question) fall in one fold
    rules_flag: bool = False


def kqa_part(question: str) -> str:
    """K-QA's fixed split (``bench/eval_verifier.py``): a question's claims all fall in one part."""
    return "tuning" if int(hashlib.sha1(question.encode()).hexdigest(), 16) % 2 == 0 else "report"


def ei_claim(intervention: str, comparator: str, outcome: str, finding: int) -> str:
    if finding == 2:
        return f"There was no significant difference in {outcome} between {intervention} and {comparator}."
    verb = "increased" if finding == 0 else "reduced"
    return f"{intervention} significantly {verb} {outcome} compared with {comparator}."


def _finding(label: str) -> int | None:
    text = label.strip().lower()
    for index, name in enumerate(_FINDINGS):
        if text.startswith(name[:20]):  # v2 spells "significantly increase" without the d too
            return index
    return None


def ei_pairs(data_dir: Path, split: str, *, limit: int | None = None) -> list[Pair]:
    """Evidence Inference pairs of one split's articles: entailed, contradicted and unrelated per evidence span."""
    articles = set((data_dir / "splits" / EI_SPLITS[split]).read_text(encoding="utf-8").split())
    readme = data_dir / "README.md"
    flagged = {n for m in _README_FLAGGED.finditer(readme.read_text(encoding="utf-8-sig"))
               for n in re.findall(r"\d+", m.group(2))} if readme.is_file() else set()
    with (data_dir / "prompts_merged.csv").open(encoding="utf-8-sig", newline="") as handle:
        prompts = {row["PromptID"]: row for row in csv.DictReader(handle)}
    items: list[tuple[str, str, tuple[str, str, str], int]] = []  # article, evidence, (I, C, O), finding
    seen: set[tuple[str, str]] = set()
    with (data_dir / "v2_annotations.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            prompt = prompts.get(row["PromptID"])
            finding = _finding(row["Label"])
            evidence = " ".join(row["Annotations"].split())
            if (prompt is None or row["PMCID"] not in articles or row["PromptID"] in flagged or finding is None
                    or row["Valid Label"] != "True" or row["Valid Reasoning"] != "True" or len(evidence) < 20
                    or (row["PromptID"], evidence) in seen):
                continue
            seen.add((row["PromptID"], evidence))
            arms = (prompt["Intervention"].strip(), prompt["Comparator"].strip(), prompt["Outcome"].strip())
            items.append((row["PMCID"], evidence, arms, finding))
    items = items[:limit]
    pairs: list[Pair] = []
    for i, (article, evidence, arms, finding) in enumerate(items):
        other = _OTHER_FINDING.get(finding, i % 2)
        pairs.append(Pair("ei", split, "entailed", evidence, ei_claim(*arms, finding), True, article))
        pairs.append(Pair("ei", split, "contradicted", evidence, ei_claim(*arms, other), False, article))
        # Another article's finding (a fixed stride through the items, skipping this article's): another trial.
        for step in range(1, len(items)):
            j = (i + step * 7919) % len(items)
            if items[j][0] != article:
                pairs.append(Pair("ei", split, "unrelated", evidence, ei_claim(*items[j][2], items[j][3]), False,
                                  article))
                break
    return pairs


def _rules_flag(claim: str, citations: Sequence[int], passages: dict[int, str], verifier: ClaimVerifier) -> bool:
    return not verifier.check(claim, citations, passages).supported


def kqa_pairs(path: Path, part: str = "tuning") -> list[Pair]:
    """K-QA's physician-labelled claims of one part of the split, against the answer they were judged on."""
    verifier = ClaimVerifier()
    with path.open(encoding="utf-8", newline="") as handle:
        return [Pair("kqa", part, row["majority_label"].lower(), row["answer"], row["claim"],
                     row["majority_label"] == "Entailment", "kqa:" + row["Question"],
                     _rules_flag(row["claim"], (1,), {1: row["answer"]}, verifier))
                for row in csv.DictReader(handle) if kqa_part(row["Question"]) == part]


def hand_pairs(path: Path) -> list[Pair]:
    """The hand-written cases without ``held_out`` that cite a passage that exists (the cited passages joined)."""
    verifier = ClaimVerifier()
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        passages = {int(n): text for n, text in raw["passages"].items()}
        cited = [passages[n] for n in raw["citations"] if n in passages]
        if raw.get("held_out") or not cited:
            continue
        pairs.append(Pair("hand", "tuning", raw["kind"], " ".join(cited), raw["claim"], raw["supported"],
                          "hand:" + raw["id"], _rules_flag(raw["claim"], raw["citations"], passages, verifier)))
    return pairs


@dataclass(frozen=True)
class Recipe:
    """How the model is fitted (recorded with it)."""

    embeddings: bool = False  # add MiniLM cosine features (the verifier then loads the embedding model)
    l2: float = 1e-3
    in_domain_weight: int = 10  # times each K-QA and hand-written row is repeated
    folds: int = 5  # out-of-fold probabilities of the in-domain rows, for the threshold
    ei_limit: int | None = None  # Evidence Inference spans used (None: all of the train articles)
    keep_precision: bool = True  # the threshold may not lower the verifier's precision on the tuning parts

    @property
    def features(self) -> tuple[str, ...]:
        return LEXICAL_FEATURES + (EMBEDDING_FEATURES if self.embeddings else ())


def _fold(group: str, folds: int) -> int:
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % folds


def _fit(x: np.ndarray, y: np.ndarray, repeat: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    index = np.repeat(np.arange(len(x)), repeat)
    return fit_logistic(x[index], y[index], l2=l2)


def _probabilities(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def flag_scores(unsupported: Sequence[bool], flagged: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and F1 at catching unsupported claims (positive: unsupported)."""
    caught = sum(u and f for u, f in zip(unsupported, flagged, strict=True))
    precision = caught / sum(flagged) if sum(flagged) else 1.0
    recall = caught / sum(unsupported) if sum(unsupported) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def choose_threshold(probabilities: np.ndarray, pairs: Sequence[Pair], *, keep_precision: bool = True
                     ) -> tuple[float, dict[str, Any]]:
    """The threshold whose flags, added to the rules', give the best F1 on ``pairs`` (ties: the lower threshold,
    which flags fewer). With ``keep_precision`` only thresholds at which precision is at least the rules' own count:
    the model may only add flags that are right at least as often as the rules'. 0.0 (never flag) when none
    beats the rules alone."""
    unsupported = [not p.entailed for p in pairs]
    rules = flag_scores(unsupported, [p.rules_flag for p in pairs])
    best, best_scores = 0.0, rules
    for t in sorted({round(float(v) + 1e-9, 9) for v, p in zip(probabilities, pairs, strict=True) if not p.rules_flag}):
        scores = flag_scores(unsupported, [p.rules_flag or v < t for v, p in zip(probabilities, pairs, strict=True)])
        if keep_precision and scores["precision"] < rules["precision"]:
            continue
        if scores["f1"] > best_scores["f1"]:
            best, best_scores = t, scores
    return best, {"rules_alone": rules, "rules_and_model": best_scores, "keep_precision": keep_precision}


def _accuracy(probabilities: np.ndarray, pairs: Sequence[Pair], threshold: float) -> dict[str, Any]:
    right = [(v >= threshold) == p.entailed for v, p in zip(probabilities, pairs, strict=True)]
    kinds = sorted({p.kind for p in pairs})
    return {"pairs": len(pairs), "accuracy": round(float(np.mean(right)), 3),
            "by_kind": {k: round(float(np.mean([r for r, p in zip(right, pairs, strict=True) if p.kind == k])), 3)
                        for k in kinds}}


def feature_matrix(pairs: Sequence[Pair], features: Sequence[str], embed: Embed | None = None) -> np.ndarray:
    computer = PairFeatures(embed)
    if embed is not None:  # one batched pass over every text, then rows read the cache
        computer._vectors_of(list(dict.fromkeys(t for p in pairs for t in [p.claim, *computer._pieces(p.premise)])))
    return np.vstack([computer.row(p.premise, p.claim, features) for p in pairs])


def train_entailment(ei_dir: Path, kqa_file: Path | None, hand_file: Path | None = None, *,
                     recipe: Recipe = Recipe(), embed: Embed | None = None, embedding_model: str | None = None,
                     out: Path | None = None, write: bool = True, command: str = "",
                     progress: Progress | None = None) -> dict[str, Any]:
    """Fit the model, choose its threshold, measure it on Evidence Inference's validation articles, and write it
    to ``out`` (None: the packaged ``writing/data/entailment_model.json``) unless ``write`` is false. Returns what is
    written: the model and how it was made."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    if recipe.embeddings and embed is None:
        raise EvaluationError("recipe.embeddings needs an embedder")
    if not (ei_dir / "v2_annotations.csv").is_file():
        raise EvaluationError(f"Evidence Inference was not found in {ei_dir}: give its folder.")
    train = ei_pairs(ei_dir, "train", limit=recipe.ei_limit)
    held_out = ei_pairs(ei_dir, "validation")
    in_domain = (kqa_pairs(kqa_file) if kqa_file else []) + (hand_pairs(hand_file) if hand_file else [])
    say(f"{len(train)} Evidence Inference pairs to train on, {len(held_out)} held out, {len(in_domain)} in-domain")
    features = recipe.features
    x_ei = feature_matrix(train, features, embed)
    x_in = feature_matrix(in_domain, features, embed) if in_domain else np.zeros((0, len(features)))
    x_held = feature_matrix(held_out, features, embed)
    y_ei = np.array([p.entailed for p in train], float)
    y_in = np.array([p.entailed for p in in_domain], float)
    x_all, y_all = np.vstack([x_ei, x_in]), np.concatenate([y_ei, y_in])
    repeat = np.concatenate([np.ones(len(x_ei), int), np.full(len(x_in), recipe.in_domain_weight, int)])
    say("fitting")
    weights, bias = _fit(x_all, y_all, repeat, recipe.l2)
    threshold, selection = 0.5, {}
    if in_domain:
        out_of_fold = np.zeros(len(in_domain))
        folds = np.array([_fold(p.group, recipe.folds) for p in in_domain])
        for fold in range(recipe.folds):
            keep = np.concatenate([np.ones(len(x_ei), bool), folds != fold])
            w, b = _fit(x_all[keep], y_all[keep], repeat[keep], recipe.l2)
            out_of_fold[folds == fold] = _probabilities(x_in[folds == fold], w, b)
        threshold, selection = choose_threshold(out_of_fold, in_domain, keep_precision=recipe.keep_precision)
    model = EntailmentModel(features, tuple(float(w) for w in weights), bias, threshold,
                            embedding_model if recipe.embeddings else None)
    held = _probabilities(x_held, weights, bias)
    entry = {
        "about": "The local entailment model of the claim verifier (curbside/writing/entailment.py): a logistic "
                 "regression over (premise, claim) features; written by `curbside train entailment`.",
        "model": model.to_json(),
        "trained": {
            "command": command, "recipe": {"embeddings": recipe.embeddings, "l2": recipe.l2,
                                           "in_domain_weight": recipe.in_domain_weight, "folds": recipe.folds,
                                           "ei_limit": recipe.ei_limit, "keep_precision": recipe.keep_precision},
            "pairs": {"evidence_inference_train": len(train), "kqa_tuning": sum(p.source == "kqa" for p in in_domain),
                      "hand_tuning": sum(p.source == "hand" for p in in_domain)},
            "threshold_selection (out-of-fold, tuning parts)": selection,
            "held_out (Evidence Inference validation articles)": {
                "at_threshold": _accuracy(held, held_out, threshold), "at_0.5": _accuracy(held, held_out, 0.5)},
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    if write:
        out = out or MODEL_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    return entry

"""Fit the learned fusion (:mod:`curbside.retrieval.fusion`) on BioASQ questions: seconds, not minutes.

For every question of the chosen part of the split, the index's two candidate lists are computed as
search computes them; each candidate passage becomes one row of features, labelled 1 when its document is
one of the question's gold PMIDs. A regularised logistic regression over those rows gives the weights,
which are written, with what produced them, under the index's embedding model in the weights file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curbside.engine import Curbside
from curbside.errors import EvaluationError
from curbside.retrieval.finetune import SPLIT_FILE, read_jsonl, read_split
from curbside.retrieval.fusion import FEATURES, WEIGHTS_FILE, fit_logistic


def fusion_rows(cb: Curbside, questions: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, int]:
    """Features and labels over every question's candidates; and how many questions had a gold candidate."""
    searcher = cb.searcher
    if cb.index.vectors is None:
        raise EvaluationError("This index has no vectors: fusion needs a hybrid index (not the fast preset).")
    rrf_k = searcher.settings.rrf_k
    features: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    used = 0
    for q in questions:
        found = searcher.candidates(cb.understand(q["question"]), mode="hybrid")
        if found.vector is None:
            continue
        keys, rows = searcher.fusion_features(found, rrf_k)
        passages = cb.index.store.passages_by_keys(keys)
        gold = set(q["gold_pmids"])
        label = np.array([cb.index.store.document_by_key(passages[key][1]).doc_id in gold for key in keys], float)
        if label.any():
            used += 1
        features.append(rows)
        labels.append(label)
    if not features:
        raise EvaluationError("No question produced candidates to learn from.")
    return np.vstack(features), np.concatenate(labels), used


def train_fusion(
    cb: Curbside,
    questions_path: Path,
    *,
    split_path: Path | None = None,
    part: str = "tuning",
    l2: float = 1e-4,
    out: Path | None = None,
    command: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit on the ``part`` questions of ``questions_path`` and record the weights in ``out``; returns the entry."""
    started = time.monotonic()
    questions = read_jsonl(questions_path)
    split_path = split_path or SPLIT_FILE  # None: the packaged split and weights file
    out = out or WEIGHTS_FILE
    part_of = read_split(split_path, questions)
    chosen = [q for q in questions if part_of[q["id"]] == part]
    x, y, used = fusion_rows(cb, chosen)
    if progress:
        progress(f"features read in {time.monotonic() - started:.0f} s")
        progress(f"{len(y)} candidate passages ({int(y.sum())} gold) from {len(chosen)} {part} questions")
    weights, bias = fit_logistic(x, y, l2=l2)
    model_name = cb.index.embedder.model_id
    entry = {
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, weights)},
        "bias": round(bias, 6),
        "rrf_k": cb.searcher.settings.rrf_k,
        "l2": l2,
        "trained_on": f"{questions_path.name}, {part} part of {split_path.name}: {len(chosen)} questions "
        f"({used} with a gold candidate), {len(y)} candidate passages",
        "command": command,
    }
    data = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    data.setdefault(
        "about",
        "Weights of the learned fusion (curbside/retrieval/fusion.py), one entry per embedding model (its id: name, training fingerprint, max length); "
        "written by `curbside train fusion`.",
    )
    data.setdefault("models", {})[model_name] = entry
    out.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return entry

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curbside.engine import Curbside
from curbside.errors import EvaluationError
from curbside.retrieval.finetune import SPLIT_FILE, read_jsonl, read_split
from curbside.evaluation.metrics import ndcg_at_k
from curbside.retrieval.fusion import FEATURES, WEIGHTS_FILE, fit_logistic


@dataclass(frozen=True)
class QuestionRows:
    """One question's candidate passages: their features, whether their document is gold, and the documents."""

    batch: str
    keys: list[int]
    features: np.ndarray
    labels: np.ndarray
    doc_ids: list[str]
    gold: frozenset[str]  # the gold PMIDs that the index holds (the gold_in_corpus rule)


def question_rows(cb: Curbside, questions: Sequence[dict[str, Any]]) -> list[QuestionRows]:
    """Each question's candidates as search computes them, with their fusion features."""
    searcher = cb.searcher
    store = cb.index.store
    if cb.index.vectors is None:
        raise EvaluationError("This index has no vectors: fusion needs a hybrid index (not the fast preset).")
    rrf_k = searcher.settings.rrf_k
    out: list[QuestionRows] = []
    for q in questions:
        found = searcher.candidates(cb.understand(q["question"]), mode="hybrid")
        if found.vector is None:
            continue
        keys, rows = searcher.fusion_features(found, rrf_k)
        passages = store.passages_by_keys(keys)
        doc_ids = [store.document_by_key(passages[key][1]).doc_id for key in keys]
        gold = set(q["gold_pmids"])
        held = frozenset(pmid for pmid in gold if store.document(pmid) is not None)
        labels = np.array([doc_id in gold for doc_id in doc_ids], float)
        out.append(QuestionRows(str(q.get("batch", "")), keys, rows, labels, doc_ids, held))
    if not out:
        raise EvaluationError("No question produced candidates to learn from.")
    return out


def ranked_documents(rows: QuestionRows, weights: np.ndarray, bias: float) -> list[str]:
    """The question's documents in the order search gives them under these weights (passages collapsed). Ties
    go by document id, then key: a document's passage keys follow its ordinals, so this is search's order by
    passage id (``Searcher._top``)."""
    scores = rows.features @ weights + bias
    order = sorted(range(len(scores)), key=lambda i: (-round(float(scores[i]), 9), rows.doc_ids[i], rows.keys[i]))
    return list(dict.fromkeys(rows.doc_ids[i] for i in order))


def cross_validate(rows: Sequence[QuestionRows], l2: float, k: int = 10) -> float:
    """Mean nDCG@k when each batch is ranked by weights fitted on the other batches (leave one batch out):
    how the regularisation is chosen without looking at the report part."""
    scores: list[float] = []
    for batch in sorted({r.batch for r in rows}):
        fit = [r for r in rows if r.batch != batch]
        weights, bias = fit_logistic(np.vstack([r.features for r in fit]), np.concatenate([r.labels for r in fit]), l2=l2)
        scores += [ndcg_at_k(ranked_documents(r, weights, bias), r.gold, k) for r in rows if r.batch == batch and r.gold]
    return float(np.mean(scores)) if scores else 0.0


def train_fusion(
    cb: Curbside,
    questions_path: Path,
    *,
    split_path: Path | None = None,
    part: str = "tuning",
    l2: float | Sequence[float] = 1e-2,
    out: Path | None = None,
    command: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit on the ``part`` questions of ``questions_path`` and record the weights in ``out``; returns the entry.

    Several ``l2`` values: the one with the best leave-one-batch-out nDCG@10 inside the part is used, and
    every value's score is recorded in the entry."""
    started = time.monotonic()
    questions = read_jsonl(questions_path)
    split_path = split_path or SPLIT_FILE  # None: the packaged split and weights file
    out = out or WEIGHTS_FILE
    part_of = read_split(split_path, questions)
    chosen = [q for q in questions if part_of[q["id"]] == part]
    rows = question_rows(cb, chosen)
    x, y = np.vstack([r.features for r in rows]), np.concatenate([r.labels for r in rows])
    used = sum(1 for r in rows if r.labels.any())
    if progress:
        progress(f"features read in {time.monotonic() - started:.0f} s")
        progress(f"{len(y)} candidate passages ({int(y.sum())} gold) from {len(chosen)} {part} questions")
    choices = [l2] if isinstance(l2, (int, float)) else list(l2)
    cross_validated: dict[str, float] = {}
    if len(choices) > 1:
        for value in choices:
            cross_validated[f"{value:g}"] = round(cross_validate(rows, value), 4)
            if progress:
                progress(f"l2 {value:g}: leave-one-batch-out nDCG@10 {cross_validated[f'{value:g}']}")
        l2 = max(choices, key=lambda value: (cross_validated[f"{value:g}"], value))
    else:
        l2 = choices[0]
    weights, bias = fit_logistic(x, y, l2=l2)
    model_name = cb.index.embedder.model_id
    entry = {
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, weights)},
        "bias": round(bias, 6),
        "rrf_k": cb.searcher.settings.rrf_k,
        "l2": l2,
        **({"l2_cross_validated": cross_validated} if cross_validated else {}),
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

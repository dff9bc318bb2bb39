"""Retrieval on BioASQ: hybrid search against plain BM25 on the same index, over gold PubMed ids.

Each question is searched with both systems; the ``depth`` best passages are collapsed to their
documents in rank order (a document counts once, at its best passage) and the first ``k`` documents
are scored against all of the question's ``gold_pmids`` with binary relevance:

- ``recall@k``: share of the gold PMIDs among the top ``k`` documents, averaged over questions;
- ``ndcg@k``: DCG@k / ideal DCG@k, with gain 1 for a gold document and discount log2(rank + 1);
- ``mrr@k``: 1/rank of the first gold document when it is within the top ``k``, else 0.

The index is one built with ``curbside ingest bioasq corpus.jsonl``; any file in the
``questions_dev.jsonl`` format (``id``, ``question``, ``gold_pmids[]``) can be evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curbside.errors import EvaluationError
from curbside.evaluation.files import EvalProblem, iter_jsonl, require_file, text_field, text_list
from curbside.evaluation.metrics import (
    mean,
    mrr_at_k_label,
    ndcg_at_k,
    ratio,
    recall_at_k,
    reciprocal_rank,
    unique_in_order,
)
from curbside.evaluation.runner import EvaluationLoop, Progress, per_question, timed

if TYPE_CHECKING:
    from curbside.engine import Curbside

SYSTEMS: tuple[str, ...] = ("hybrid", "bm25")
DEFAULT_DEPTH = 100
MRR_RULE = "reciprocal rank of the first gold document within the top k documents (0 when none is there)"


@dataclass(frozen=True, slots=True)
class BioasqQuestion:
    id: str
    question: str
    gold_pmids: tuple[str, ...]
    line: int


def load_bioasq_questions(path: str | Path) -> tuple[list[BioasqQuestion], list[EvalProblem]]:
    """The usable questions of a BioASQ questions file, and a problem for each line that is not."""
    path = require_file(path, "Questions file")
    problems: list[EvalProblem] = []
    questions: list[BioasqQuestion] = []
    seen: set[str] = set()
    for line, record in iter_jsonl(path, problems):
        qid = text_field(record, "id")
        text = text_field(record, "question")
        gold = text_list(record, "gold_pmids")
        if qid is None:
            problems.append(EvalProblem(str(path), line, "missing or blank 'id'"))
        elif text is None:
            problems.append(EvalProblem(str(path), line, f"question {qid}: missing or blank 'question'"))
        elif gold is None:
            problems.append(EvalProblem(str(path), line, f"question {qid}: 'gold_pmids' should be a list of PMIDs"))
        elif not gold:
            problems.append(EvalProblem(str(path), line, f"question {qid}: no gold PMIDs"))
        elif qid in seen:
            problems.append(EvalProblem(str(path), line, f"duplicate question id {qid}; kept the first"))
        else:
            seen.add(qid)
            questions.append(BioasqQuestion(qid, text, tuple(unique_in_order(gold)), line))
    return questions, problems


def score_run(ranked: Sequence[str], gold: Sequence[str], k: int) -> dict[str, float]:
    """The three metrics of one question's ranking (distinct document ids, best first)."""
    return {
        f"recall@{k}": recall_at_k(ranked, gold, k),
        f"ndcg@{k}": ndcg_at_k(ranked, gold, k),
        mrr_at_k_label(k): reciprocal_rank(ranked, gold, k),
    }


@dataclass
class RetrievalEvaluation:
    questions_file: str
    questions: int
    k: int
    depth: int
    metrics: dict[str, dict[str, float]]
    ratios: dict[str, float | None]
    runs: dict[str, dict[str, list[str]]]
    seconds: float
    system_seconds: dict[str, float]
    dense_available: bool
    corpus_snapshot: str = ""
    problems: list[EvalProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "corpus_snapshot": self.corpus_snapshot,
            "questions": self.questions,
            "k": self.k,
            "depth_passages": self.depth,
            "metrics": self.metrics,
            "ratios": self.ratios,
            "definitions": {
                f"recall@{self.k}": "share of a question's gold PMIDs among its top k documents, averaged over questions",
                f"ndcg@{self.k}": "binary-relevance nDCG over the top k documents, averaged over questions",
                mrr_at_k_label(self.k): MRR_RULE + ", averaged over questions",
                "documents": f"the top {self.depth} passages collapsed to distinct documents in rank order",
                "ratios": "hybrid metric / bm25 metric (null when the bm25 metric is 0)",
                "runs": "system -> question id -> top k document ids, best first",
            },
            "dense_available": self.dense_available,
            "seconds": round(self.seconds, 3),
            "seconds_per_query": {s: per_question(t, self.questions) for s, t in self.system_seconds.items()},
            "problems": [str(p) for p in self.problems],
            "runs": self.runs,
        }


def evaluate_retrieval(
    cb: Curbside,
    questions_path: str | Path,
    *,
    k: int = 10,
    limit: int | None = None,
    depth: int = DEFAULT_DEPTH,
    systems: Sequence[str] = SYSTEMS,
    progress: Progress | None = None,
) -> RetrievalEvaluation:
    """Search every question with each system on ``cb``'s index and score the top ``k`` documents."""
    if k < 1:
        raise EvaluationError("k must be at least 1.")
    questions, problems = load_bioasq_questions(questions_path)
    loop = EvaluationLoop(
        "retrieval", questions_path, questions, problems, limit=limit,
        if_empty=(
            f"{questions_path} has no usable questions (each line needs 'id', 'question' and a non-empty "
            f"'gold_pmids' list; {len(problems)} line(s) were unusable)."
        ),
    )
    depth = max(depth, k)
    spent: dict[str, float] = {s: 0.0 for s in systems}
    dense_available = cb.index.vectors is not None

    def rank_documents(q: BioasqQuestion) -> tuple[BioasqQuestion, dict[str, list[str]]]:
        """Each system's distinct document ids for ``q``, best first."""
        ranked_by_system: dict[str, list[str]] = {}
        for system in systems:
            hits, seconds = timed(cb.search, q.question, depth, mode=system)  # type: ignore[arg-type]
            spent[system] += seconds
            ranked_by_system[system] = unique_in_order(h.document.doc_id for h in hits)
        return q, ranked_by_system

    run = loop.run(
        rank_documents,
        lambda q, exc: EvalProblem(str(questions_path), q.line, f"question {q.id} rejected: {exc}"),
        progress=progress,
        progress_every=50,
        verb="searched",
    )
    runs: dict[str, dict[str, list[str]]] = {s: {} for s in systems}
    scores: dict[str, list[dict[str, float]]] = {s: [] for s in systems}
    for q, ranked_by_system in run.results:
        for system, ranked in ranked_by_system.items():
            runs[system][q.id] = ranked[:k]
            scores[system].append(score_run(ranked, q.gold_pmids, k))
    names = [f"recall@{k}", f"ndcg@{k}", mrr_at_k_label(k)]
    metrics = {s: {name: round(mean([sc[name] for sc in scores[s]]), 4) for name in names} for s in systems}
    ratios: dict[str, float | None] = {}
    if "hybrid" in metrics and "bm25" in metrics:
        for name in names:
            r = ratio(metrics["hybrid"][name], metrics["bm25"][name])
            ratios[name] = round(r, 4) if r is not None else None
    return RetrievalEvaluation(
        questions_file=str(questions_path),
        questions=len(run.results),
        k=k,
        depth=depth,
        metrics=metrics,
        ratios=ratios,
        runs=runs,
        seconds=run.seconds,
        system_seconds=spent,
        dense_available=dense_available,
        corpus_snapshot=cb.index.corpus_snapshot,
        problems=run.problems,
    )

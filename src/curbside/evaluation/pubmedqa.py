"""PubMedQA: does the article for an abstract's own question quote that abstract's conclusion?

Every PubMedQA abstract is in the starter index, its conclusion (``LONG_ANSWER``) kept as a passage
of its own. For each test PMID, ``ask(QUESTION)`` writes an article, and three things are checked:

- ``conclusion_quoted``: some quote of the article (bottom line and every bullet) comes from that PMID
  and reproduces the conclusion (:data:`curbside.evaluation.metrics.QUOTE_OVERLAP_RULE`);
- ``pmid_cited``: some quote or reference of the article is that PMID;
- ``retrieved_rank``: the rank of that PMID among the documents of a search for the question (hybrid by default)
  (the top ``depth`` passages collapsed to documents); "retrieved@10" is the share with rank <= 10.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curbside.errors import EvaluationError
from curbside.evaluation.files import EvalProblem, read_json, require_file, text_field
from curbside.evaluation.metrics import QUOTE_OVERLAP_RULE, mean, quote_overlaps, unique_in_order
from curbside.evaluation.runner import EvaluationLoop, Progress, per_question, timed

if TYPE_CHECKING:
    from curbside.engine import Curbside
    from curbside.writing.article import Article

DEFAULT_DEPTH = 100
TOP_K = 10


@dataclass(frozen=True, slots=True)
class PubmedqaItem:
    pmid: str
    question: str
    conclusion: str


def load_pubmedqa(
    questions_path: str | Path, test_ids_path: str | Path | None = None
) -> tuple[list[PubmedqaItem], list[EvalProblem]]:
    """The items to evaluate: the test PMIDs (in file order) when ``test_ids_path`` is given, else every record.

    ``questions_path`` is ``ori_pqal.json`` (an object keyed by PMID, each with ``QUESTION`` and
    ``LONG_ANSWER``); ``test_ids_path`` is an object keyed by PMID (``test_ground_truth.json``) or a list of PMIDs.
    """
    qpath = require_file(questions_path, "PubMedQA file")
    data = read_json(qpath, "PubMedQA file")
    if not isinstance(data, dict):
        raise EvaluationError(f"PubMedQA file {qpath} should be a JSON object keyed by PMID, got {type(data).__name__}.")
    problems: list[EvalProblem] = []
    if test_ids_path is not None:
        tpath = require_file(test_ids_path, "Test-ids file")
        ids_value = read_json(tpath, "Test-ids file")
        if isinstance(ids_value, dict):
            ids = [str(k) for k in ids_value]
        elif isinstance(ids_value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in ids_value):
            ids = [str(v) for v in ids_value]
        else:
            raise EvaluationError(f"Test-ids file {tpath} should be a JSON object keyed by PMID or a list of PMIDs.")
    else:
        tpath = None
        ids = [str(k) for k in data]
    items: list[PubmedqaItem] = []
    seen: set[str] = set()
    for pmid in ids:
        pmid = pmid.strip()
        if pmid in seen:
            continue
        seen.add(pmid)
        record = data.get(pmid)
        if record is None:
            problems.append(EvalProblem(str(tpath or qpath), None, f"PMID not in {qpath.name}", record=pmid))
            continue
        if not isinstance(record, dict):
            problems.append(EvalProblem(str(qpath), None, "not a JSON object", record=pmid))
            continue
        question = text_field(record, "QUESTION")
        conclusion = text_field(record, "LONG_ANSWER")
        if question is None or conclusion is None:
            missing = "QUESTION" if question is None else "LONG_ANSWER"
            problems.append(EvalProblem(str(qpath), None, f"missing or blank '{missing}'", record=pmid))
            continue
        items.append(PubmedqaItem(pmid, question, conclusion))
    return items, problems


def _is_pmid(article: Article, doc_id: str, pmid: str) -> bool:
    if doc_id == pmid:
        return True
    return any(r.doc_id == doc_id and r.pmid == pmid for r in article.references)


def judge_article(article: Article, pmid: str, conclusion: str) -> dict[str, Any]:
    """``conclusion_quoted``, ``pmid_cited`` and the matching quote for one article (the rule in the module doc)."""
    quotes = article.all_quotes()
    from_pmid = [q for q in quotes if _is_pmid(article, q.doc_id, pmid)]
    matching = next((q for q in from_pmid if quote_overlaps(q.text, conclusion)), None)
    cited = bool(from_pmid) or any(r.doc_id == pmid or r.pmid == pmid for r in article.references)
    return {
        "conclusion_quoted": matching is not None,
        "pmid_cited": cited,
        "quote": matching.text if matching is not None else None,
    }


@dataclass
class PubmedqaResult:
    pmid: str
    conclusion_quoted: bool
    pmid_cited: bool
    retrieved_rank: int | None
    evidence_status: str
    quote: str | None
    ask_seconds: float


@dataclass
class PubmedqaEvaluation:
    questions_file: str
    test_ids_file: str | None
    results: list[PubmedqaResult]
    seconds: float
    depth: int
    corpus_snapshot: str = ""
    problems: list[EvalProblem] = field(default_factory=list)

    @property
    def questions(self) -> int:
        return len(self.results)

    def summary(self) -> dict[str, float]:
        r = self.results
        return {
            "conclusion_quoted": round(mean([float(x.conclusion_quoted) for x in r]), 4),
            "pmid_cited": round(mean([float(x.pmid_cited) for x in r]), 4),
            f"retrieved@{TOP_K}": round(
                mean([float(x.retrieved_rank is not None and x.retrieved_rank <= TOP_K) for x in r]), 4
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "test_ids_file": self.test_ids_file,
            "corpus_snapshot": self.corpus_snapshot,
            "questions": self.questions,
            "metrics": self.summary(),
            "definitions": {
                "conclusion_quoted": "share of questions whose article quotes the abstract's conclusion: " + QUOTE_OVERLAP_RULE,
                "pmid_cited": "share of questions whose article quotes or references the question's PMID",
                f"retrieved@{TOP_K}": (
                    f"share of questions whose PMID is among the top {TOP_K} documents of a search in the settings' "
                    f"mode (hybrid by default; top {self.depth} passages collapsed to documents)"
                ),
                "retrieved_rank": f"1-based document rank of the PMID within those {self.depth} passages; null when absent",
            },
            "evidence_status": {
                s: sum(1 for x in self.results if x.evidence_status == s) for s in ("sufficient", "limited", "insufficient")
            },
            "seconds": round(self.seconds, 3),
            "seconds_per_question": per_question(self.seconds, self.questions),
            "problems": [str(p) for p in self.problems],
            "results": [asdict(x) for x in self.results],
        }


def evaluate_pubmedqa(
    cb: Curbside,
    questions_path: str | Path,
    test_ids_path: str | Path | None = None,
    *,
    limit: int | None = None,
    depth: int = DEFAULT_DEPTH,
    progress: Progress | None = None,
) -> PubmedqaEvaluation:
    """Ask each (test) question on ``cb``'s starter index and judge the article against its own abstract."""
    items, problems = load_pubmedqa(questions_path, test_ids_path)
    loop = EvaluationLoop(
        "pubmedqa", questions_path, items, problems, limit=limit,
        if_empty=f"{questions_path} has no usable PubMedQA questions ({len(problems)} unusable record(s)).",
    )

    def score(item: PubmedqaItem) -> PubmedqaResult:
        article, seconds = timed(cb.ask, item.question)
        hits = cb.search(item.question, depth)
        judged = judge_article(article, item.pmid, item.conclusion)
        docs = unique_in_order(
            item.pmid if (h.document.doc_id == item.pmid or h.document.pmid == item.pmid) else h.document.doc_id
            for h in hits
        )
        return PubmedqaResult(
            pmid=item.pmid,
            conclusion_quoted=judged["conclusion_quoted"],
            pmid_cited=judged["pmid_cited"],
            retrieved_rank=docs.index(item.pmid) + 1 if item.pmid in docs else None,
            evidence_status=article.evidence_status,
            quote=judged["quote"],
            ask_seconds=round(seconds, 3),
        )

    run = loop.run(
        score,
        lambda item, exc: EvalProblem(str(questions_path), None, f"question rejected: {exc}", record=item.pmid),
        progress=progress,
    )
    return PubmedqaEvaluation(
        questions_file=str(questions_path),
        test_ids_file=str(test_ids_path) if test_ids_path is not None else None,
        results=run.results,
        seconds=run.seconds,
        depth=depth,
        corpus_snapshot=cb.index.corpus_snapshot,
        problems=run.problems,
    )

"""K-QA: how many of the physicians' must-have statements does an article cover?

For each K-QA question with at least one ``Must_have`` statement, ``ask(Question)`` writes an article,
which is cut into sentences (the bottom line and every bullet's text). A must-have statement is
*covered* when some single sentence

- has a cosine similarity of at least ``threshold`` (0.65 by default) with it, both embedded with the
  MiniLM model of the settings (:class:`curbside.retrieval.dense.Embedder`, normalised vectors), or
- contains at least 60% of the statement's distinct content tokens (lower-cased words, stopwords removed).

This is a transparent, approximate judge of entailment, not a physician's: it misses paraphrases
far from the statement's wording and can accept a sentence that shares the words but not the claim.
Every judgement reports its cosine, containment and best sentence, so it can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curbside.corpus.text import sentences as split_sentences
from curbside.errors import EvaluationError
from curbside.evaluation.files import EvalProblem, iter_jsonl, require_file, text_field, text_list
from curbside.evaluation.metrics import STATEMENT_CONTAINMENT_THRESHOLD, best_containment, mean
from curbside.evaluation.runner import EvaluationLoop, Progress, per_question, timed

if TYPE_CHECKING:
    from curbside.engine import Curbside
    from curbside.retrieval.dense import Embedder
    from curbside.writing.article import Article

DEFAULT_THRESHOLD = 0.65


def judge_description(threshold: float, containment: float = STATEMENT_CONTAINMENT_THRESHOLD, *, embeddings: bool = True) -> str:
    rule = (
        f"a must-have statement is covered when one sentence of the article (bottom line or bullet text) "
        f"contains at least {containment:.0%} of the statement's distinct content tokens"
    )
    if embeddings:
        rule += f", or has cosine similarity >= {threshold:g} with it (MiniLM embeddings, normalised)"
    return rule


@dataclass(frozen=True, slots=True)
class KqaItem:
    line: int
    question: str
    must_have: tuple[str, ...]


def load_kqa(path: str | Path) -> tuple[list[KqaItem], list[EvalProblem], int]:
    """The questions with must-have statements, the unusable lines, and how many had no must-have."""
    path = require_file(path, "K-QA file")
    problems: list[EvalProblem] = []
    items: list[KqaItem] = []
    without = 0
    for line, record in iter_jsonl(path, problems):
        question = text_field(record, "Question")
        must = text_list(record, "Must_have") if "Must_have" in record and record["Must_have"] is not None else []
        if question is None:
            problems.append(EvalProblem(str(path), line, "missing or blank 'Question'"))
        elif must is None:
            problems.append(EvalProblem(str(path), line, "'Must_have' should be a list of statements"))
        elif not must:
            without += 1
        else:
            items.append(KqaItem(line, question, tuple(must)))
    return items, problems, without


def article_sentences(article: Article) -> list[str]:
    """The sentences the judge reads: the bottom line's, then each bullet's text's, in order."""
    texts = [article.bottom_line] + [b.text for s in article.sections for b in s.bullets]
    return [sentence for text in texts if text and text.strip() for sentence in split_sentences(text)]


@dataclass
class StatementJudgement:
    statement: str
    covered: bool
    by: str | None  # "cosine", "containment", "both" or None
    cosine: float | None
    containment: float
    sentence: str | None  # the sentence that decided (or came closest)


class CoverageJudge:
    """Judges statements against sentences; ``embedder=None`` judges by token containment alone."""

    def __init__(
        self,
        embedder: Embedder | None,
        threshold: float = DEFAULT_THRESHOLD,
        containment: float = STATEMENT_CONTAINMENT_THRESHOLD,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.containment = containment

    @property
    def description(self) -> str:
        return judge_description(self.threshold, self.containment, embeddings=self.embedder is not None)

    def judge(self, statements: Sequence[str], sentences: Sequence[str]) -> list[StatementJudgement]:
        cosines: np.ndarray | None = None
        if self.embedder is not None and sentences and statements:
            a = self.embedder.encode(list(statements))
            b = self.embedder.encode(list(sentences))
            cosines = a @ b.T
        out: list[StatementJudgement] = []
        for i, statement in enumerate(statements):
            contained, c_at = best_containment(statement, sentences)
            cos, s_at = None, None
            if cosines is not None:
                s_at = int(np.argmax(cosines[i]))
                cos = round(float(cosines[i, s_at]), 4)
            by_cos = cos is not None and cos >= self.threshold
            by_tok = contained >= self.containment
            by = "both" if by_cos and by_tok else "cosine" if by_cos else "containment" if by_tok else None
            # The sentence shown: the one that decided; when none did, the closest by cosine (else by tokens).
            where = c_at if by_tok and not by_cos else (s_at if s_at is not None else c_at)
            out.append(
                StatementJudgement(
                    statement=statement,
                    covered=by is not None,
                    by=by,
                    cosine=cos,
                    containment=round(contained, 4),
                    sentence=sentences[where] if where is not None else None,
                )
            )
        return out


@dataclass
class KqaResult:
    question: str
    line: int
    evidence_status: str
    must_have: int
    covered: int
    statements: list[StatementJudgement]
    ask_seconds: float
    writer: str = "extractive"  # the writer whose words the article holds (extractive after an LLM fallback)
    verification: dict[str, Any] | None = None  # the LLM writer's counts: claims_total, kept, revised, removed, fallback

    @property
    def coverage(self) -> float:
        return self.covered / self.must_have if self.must_have else 0.0


@dataclass
class KqaEvaluation:
    questions_file: str
    judge: str
    threshold: float
    results: list[KqaResult]
    skipped_no_must_have: int
    seconds: float
    corpus_snapshot: str = ""
    problems: list[EvalProblem] = field(default_factory=list)
    writer: dict[str, Any] = field(default_factory=lambda: {"name": "extractive"})  # chosen: name, model, base_url

    def summary(self) -> dict[str, Any]:
        r = self.results
        statements = sum(x.must_have for x in r)
        covered = sum(x.covered for x in r)
        return {
            "macro_coverage": round(mean([x.coverage for x in r]), 4),
            "micro_coverage": round(covered / statements, 4) if statements else 0.0,
            "statements": statements,
            "covered_statements": covered,
            "insufficient_articles": sum(1 for x in r if x.evidence_status == "insufficient"),
        }

    def to_dict(self) -> dict[str, Any]:
        by: dict[str, int] = {"cosine": 0, "containment": 0, "both": 0}
        for x in self.results:
            for s in x.statements:
                if s.by:
                    by[s.by] += 1
        return {
            "questions_file": self.questions_file,
            "corpus_snapshot": self.corpus_snapshot,
            "writer": self.writer,
            "llm_fallbacks": sum(1 for x in self.results if x.verification and x.verification["fallback"]),
            "questions": len(self.results),
            "skipped_no_must_have": self.skipped_no_must_have,
            "judge": self.judge,
            "threshold": self.threshold,
            "metrics": self.summary(),
            "definitions": {
                "macro_coverage": "mean over questions of the share of its must-have statements covered",
                "micro_coverage": "covered must-have statements / all must-have statements",
                "insufficient_articles": "articles whose evidence_status is 'insufficient'",
            },
            "covered_by": by,
            "seconds": round(self.seconds, 3),
            "seconds_per_question": per_question(self.seconds, len(self.results)),
            "problems": [str(p) for p in self.problems],
            "results": [
                {
                    "line": x.line,
                    "question": x.question,
                    "evidence_status": x.evidence_status,
                    "must_have": x.must_have,
                    "covered": x.covered,
                    "ask_seconds": x.ask_seconds,
                    "writer": x.writer,
                    "verification": x.verification,
                    "statements": [asdict(s) for s in x.statements],
                }
                for x in self.results
            ],
        }


def judge_embedder(cb: Curbside) -> Embedder:
    """The MiniLM embedder of the settings; the index's own when it is the same model (loaded once)."""
    from curbside.retrieval.dense import Embedder

    wanted = Embedder(cb.settings.embedding)
    index = cb.index
    if index.vectors is not None and index.embedder.model_id == wanted.model_id:
        return index.embedder
    return wanted


def evaluate_kqa(
    cb: Curbside,
    questions_path: str | Path,
    *,
    limit: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    judge: CoverageJudge | None = None,
    progress: Progress | None = None,
) -> KqaEvaluation:
    """Ask each K-QA question with must-have statements on ``cb`` and judge each statement's coverage."""
    items, problems, without = load_kqa(questions_path)
    loop = EvaluationLoop(
        "kqa", questions_path, items, problems, limit=limit,
        if_empty=(
            f"{questions_path} has no usable K-QA questions (each needs 'Question' and a non-empty 'Must_have' list; "
            f"{len(problems)} unusable line(s), {without} without must-have statements)."
        ),
    )
    coverage_judge = judge or CoverageJudge(judge_embedder(cb), threshold)

    def score(item: KqaItem) -> KqaResult:
        article, seconds = timed(cb.ask, item.question)
        judged = coverage_judge.judge(item.must_have, article_sentences(article))
        check = article.verification
        return KqaResult(
            question=item.question,
            line=item.line,
            evidence_status=article.evidence_status,
            must_have=len(judged),
            covered=sum(1 for j in judged if j.covered),
            statements=judged,
            ask_seconds=round(seconds, 3),
            writer=article.writer.name,
            verification=None if check is None else check.model_dump(
                include={"claims_total", "kept", "revised", "removed", "fallback", "fallback_reason"}),
        )

    run = loop.run(
        score,
        lambda item, exc: EvalProblem(str(questions_path), item.line, f"question rejected: {exc}"),
        progress=progress,
    )
    return KqaEvaluation(
        questions_file=str(questions_path),
        judge=coverage_judge.description,
        threshold=coverage_judge.threshold,
        results=run.results,
        skipped_no_must_have=without,
        seconds=run.seconds,
        corpus_snapshot=cb.index.corpus_snapshot,
        problems=run.problems,
        writer=chosen_writer(cb),
    )


def chosen_writer(cb: Curbside) -> dict[str, Any]:
    """The writer the settings choose, as evaluations record it (the endpoint without credentials)."""
    from curbside.writing.llm import recorded_url

    if cb.settings.writer == "extractive":
        return {"name": "extractive"}
    llm = cb.settings.llm
    return {"name": "llm", "model": llm.model, "base_url": recorded_url(llm.base_url or "")}


def calibrate_judge(
    claims_path: str | Path, judge: CoverageJudge, thresholds: Sequence[float] = (0.55, 0.65, 0.75, 0.85)
) -> dict[str, Any]:
    """Agreement of the judge with physicians on K-QA's ``nli_claims_dev.csv``.

    Each row has an LLM ``answer``, a K-QA statement (``claim``) and the physicians' ``majority_label``
    (Entailment, Neutral, Contradiction). The judge "says covered" when some sentence of the answer
    covers the claim; precision and recall are against ``majority_label == Entailment``, at each cosine
    threshold in ``thresholds`` (default 0.55, 0.65, 0.75, 0.85 and the judge's own; containment unchanged).
    """
    import csv

    path = require_file(claims_path, "Claims file")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("claim") and r.get("answer") and r.get("majority_label")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EvaluationError(f"Cannot read claims file {path}: {exc}") from exc
    if not rows:
        raise EvaluationError(f"{path} has no rows with 'claim', 'answer' and 'majority_label'.")
    judged = [judge.judge([r["claim"]], split_sentences(r["answer"]))[0] for r in rows]
    gold = [r["majority_label"].strip().lower() == "entailment" for r in rows]
    sweep: dict[str, dict[str, float]] = {}
    for t in sorted({0.55, 0.65, 0.75, 0.85, judge.threshold} if thresholds is None else set(thresholds)):
        said = [(j.cosine is not None and j.cosine >= t) or j.containment >= judge.containment for j in judged]
        tp = sum(1 for s, g in zip(said, gold) if s and g)
        fp = sum(1 for s, g in zip(said, gold) if s and not g)
        fn = sum(1 for s, g in zip(said, gold) if not s and g)
        sweep[f"{t:g}"] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "said_covered": tp + fp,
        }
    return {"claims": len(rows), "entailed": sum(gold), "judge": judge.description, "by_cosine_threshold": sweep}

"""``curbside eval retrieval | pubmedqa | kqa``: thin shells over :mod:`curbside.evaluation`.

Each command runs one library evaluation and prints its result through :func:`_print_report`:
``--format json`` prints the result's ``to_dict()``; ``--format text`` prints the lines of the command's
text renderer (a small table). Unusable records of the input file are listed on stderr
(``path:line: why``) and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from curbside.cli.main import _engine, _progress, eval_group, writer_options
from curbside.errors import EvaluationError
from curbside.evaluation.files import EvalProblem, default_eval_file

_FORMAT = click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
_LIMIT = click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate only the first N questions.")


def _report_problems(problems: Sequence[EvalProblem]) -> None:
    if not problems:
        return
    click.echo(f"{len(problems)} record(s) could not be used:", err=True)
    for problem in problems[:50]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > 50:
        click.echo(f"  ... and {len(problems) - 50} more", err=True)


def _print_report(
    data: dict[str, Any],
    fmt: str,
    text_lines: Callable[[dict[str, Any]], Iterator[str]],
    problems: Sequence[EvalProblem] = (),
) -> None:
    """The one way an eval prints: unusable records on stderr, then the report as JSON or as text lines."""
    _report_problems(problems)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for line in text_lines(data):
        click.echo(line)


def _default(ctx: click.Context, given: Path | None, *parts: str, option: str) -> Path:
    if given is not None:
        return given
    found = default_eval_file(_engine(ctx).settings.corpus_dir, *parts)
    if found is None:
        raise EvaluationError(f"No default {'/'.join(parts)} found beside the corpus directory. Pass {option} PATH.")
    return found


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


@eval_group.command("retrieval")
@click.option("--questions", "questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="BioASQ-format questions (.jsonl: id, question, gold_pmids[]); "
                   "default ../shared/eval/bioasq/questions_dev.jsonl.")
@click.option("--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Documents scored per question.")
@click.option("--depth", type=click.IntRange(1, 2000), default=100, show_default=True,
              help="Passages retrieved per question before collapsing to documents.")
@_LIMIT
@_FORMAT
@click.pass_context
def eval_retrieval(ctx: click.Context, questions: Path | None, k: int, depth: int, limit: int | None, fmt: str) -> None:
    """Recall@k, nDCG@k and MRR@k of hybrid search and of BM25 on a BioASQ index, over gold PMIDs.

    The data directory must hold an index built with `curbside ingest bioasq corpus.jsonl`. JSON output
    has "metrics" and "ratios" (hybrid / bm25), and "runs": system -> question id -> top k doc ids.
    """
    from curbside.evaluation.retrieval import evaluate_retrieval

    path = _default(ctx, questions, "bioasq", "questions_dev.jsonl", option="--questions")
    result = evaluate_retrieval(_engine(ctx), path, k=k, limit=limit, depth=depth, progress=_progress)

    def text_lines(data: dict[str, Any]) -> Iterator[str]:
        names = list(next(iter(data["metrics"].values())))
        yield f"{data['questions']} questions from {path}; top {k} documents from {data['depth_passages']} passages"
        if not data["dense_available"]:
            yield "note: the index has no vectors, so 'hybrid' ran as BM25"
        yield f"{'system':<8}" + "".join(f"{n:>12}" for n in names) + f"{'s/query':>10}"
        for system, metrics in data["metrics"].items():
            yield (f"{system:<8}" + "".join(f"{metrics[n]:>12.4f}" for n in names)
                   + f"{data['seconds_per_query'][system]:>10.3f}")
        if data["ratios"]:
            yield f"{'ratio':<8}" + "".join(f"{_fmt(data['ratios'][n]):>12}" for n in names) + "   (hybrid / bm25)"
        yield (f"mrr@{k}: reciprocal rank of the first gold document within the top {k} (0 if none); "
               f"{data['seconds']:.1f} s in all")

    _print_report(result.to_dict(), fmt, text_lines, result.problems)


@eval_group.command("pubmedqa")
@click.option("--questions", "questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PubMedQA ori_pqal.json (default: the corpus directory's pubmedqa/ori_pqal.json).")
@click.option("--test-ids", "test_ids", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON object keyed by PMID (or a list of PMIDs) to evaluate "
                   "(default: test_ground_truth.json beside the questions when present, else every record).")
@_LIMIT
@_FORMAT
@click.pass_context
def eval_pubmedqa(ctx: click.Context, questions: Path | None, test_ids: Path | None, limit: int | None, fmt: str) -> None:
    """Does the article for each PubMedQA question quote that abstract's conclusion, with the right PMID?

    Needs the starter index (which holds the PubMedQA abstracts).
    """
    from curbside.evaluation.pubmedqa import TOP_K, evaluate_pubmedqa

    engine = _engine(ctx)
    if questions is None:
        questions = engine.settings.require_corpus_dir() / "pubmedqa" / "ori_pqal.json"
    if test_ids is None and (questions.parent / "test_ground_truth.json").is_file():
        test_ids = questions.parent / "test_ground_truth.json"
    result = evaluate_pubmedqa(engine, questions, test_ids, limit=limit, progress=_progress)
    source = test_ids or questions

    def text_lines(data: dict[str, Any]) -> Iterator[str]:
        m = data["metrics"]
        yield f"{data['questions']} PubMedQA questions ({source})"
        yield f"{'conclusion quoted, right PMID':<34}{m['conclusion_quoted']:>8.4f}"
        yield f"{'right PMID cited':<34}{m['pmid_cited']:>8.4f}"
        yield f"{f'right PMID in top {TOP_K} retrieved':<34}{m[f'retrieved@{TOP_K}']:>8.4f}"
        yield f"evidence status: {data['evidence_status']}; {data['seconds_per_question']:.2f} s a question"
        yield f"rule: {data['definitions']['conclusion_quoted']}"

    _print_report(result.to_dict(), fmt, text_lines, result.problems)


@eval_group.command("kqa")
@click.option("--questions", "questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="K-QA .jsonl (Question, Must_have[]); default ../shared/eval/kqa/kqa_dev.jsonl.")
@click.option("--threshold", type=click.FloatRange(-1.0, 1.0), default=0.65, show_default=True,
              help="Cosine similarity at which a sentence covers a statement.")
@click.option("--calibrate", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Instead: measure the judge against physicians' labels in an nli_claims_dev.csv "
                   "(precision and recall at several thresholds; needs no index).")
@_LIMIT
@_FORMAT
@writer_options
@click.pass_context
def eval_kqa(ctx: click.Context, questions: Path | None, threshold: float, calibrate: Path | None,
             limit: int | None, fmt: str) -> None:
    """Share of K-QA must-have statements that the articles cover (an approximate, transparent judge)."""
    from curbside.evaluation.kqa import CoverageJudge, calibrate_judge, evaluate_kqa

    if calibrate is not None:
        from curbside.retrieval.dense import Embedder

        report = calibrate_judge(calibrate, CoverageJudge(Embedder(_engine(ctx).settings.embedding), threshold))
        _print_report(report, fmt, _calibration_lines)
        return
    path = _default(ctx, questions, "kqa", "kqa_dev.jsonl", option="--questions")
    result = evaluate_kqa(_engine(ctx), path, limit=limit, threshold=threshold, progress=_progress)

    def text_lines(data: dict[str, Any]) -> Iterator[str]:
        m = data["metrics"]
        yield f"{data['questions']} K-QA questions from {path} ({data['skipped_no_must_have']} without must-have skipped)"
        yield f"{'must-have covered (macro)':<30}{m['macro_coverage']:>8.4f}"
        yield (f"{'must-have covered (micro)':<30}{m['micro_coverage']:>8.4f}   "
               f"({m['covered_statements']}/{m['statements']})")
        yield f"{'insufficient articles':<30}{m['insufficient_articles']:>8d}"
        yield f"covered by: {data['covered_by']}; {data['seconds_per_question']:.2f} s a question"
        writer = data["writer"]
        if writer["name"] == "llm":
            yield (f"writer: llm ({writer['model']} at {writer['base_url']}); fell back to extractive on "
                   f"{data['llm_fallbacks']} of {data['questions']} questions")
        yield f"judge: {data['judge']}"

    _print_report(result.to_dict(), fmt, text_lines, result.problems)


def _calibration_lines(report: dict[str, Any]) -> Iterator[str]:
    yield f"{report['claims']} claims, {report['entailed']} entailed by the answer (physicians' majority)"
    yield f"{'cosine >=':<10}{'precision':>10}{'recall':>8}{'said covered':>14}"
    for t, row in report["by_cosine_threshold"].items():
        yield f"{t:<10}{row['precision']:>10.4f}{row['recall']:>8.4f}{row['said_covered']:>14d}"
    yield f"judge: {report['judge']}"

"""The consult question set end to end on the whole starter corpus (../shared, the `fast` preset as in
test_real_corpus.py): each question is asked with its patient context and its article checked by
curbside.evaluation.consult.check_article, the rules bench/eval_consult.py reports.

Structure and sources only, never wording: most answerable questions cite an expected source (or a curated
table) in the bottom line (MIN_ANSWERED_SHARE); unanswerable ones say what the knowledge base lacks and cite nothing; no question cites a
guideline for another population except on a bullet marked indirect, and none cites a superseded guideline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.engine import Curbside
from curbside.evaluation.consult import ConsultCheck, ConsultQuestion, check_article, load_consult_questions, load_superseded

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
QUESTIONS, _ = load_consult_questions(FIXTURES / "consult_questions.jsonl")
SUPERSEDED = load_superseded(FIXTURES / "consult_superseded.tsv")

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="the starter corpus is not at ../shared/corpus"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Curbside:
    cb = Curbside.open(tmp_path_factory.mktemp("consult"), preset="fast")
    cb.ingest_starter(CORPUS)
    return cb


# The share of answerable questions whose bottom line must cite the expected source on the BM25-only `fast`
# preset (bench/eval_consult.py reports the hybrid index: 59 of 65 in all; docs/benchmarks.md). Finding the
# right source is retrieval's part (issue 11); what an answer may never do is checked per question below.
MIN_ANSWERED_SHARE = 0.65
ANSWERABLE = [q for q in QUESTIONS if q.kind == "answerable"]


def _check(engine: Curbside, question: ConsultQuestion) -> ConsultCheck:
    article = engine.ask(question.question, context=question.context)
    return check_article(question, article.model_dump(mode="json"), SUPERSEDED)


def _message(question: ConsultQuestion, check: ConsultCheck, failures: list[str]) -> str:
    return (f"{question.kind} ({question.intent}): {'; '.join(failures)}\n"
            f"  expected: {question.why}\n  bottom line [{check.evidence_status}]: {check.bottom_line}")


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.kind != "answerable"], ids=lambda q: q.id)
def test_abstentions_are_honest_and_traps_are_avoided(engine: Curbside, question: ConsultQuestion) -> None:
    check = _check(engine, question)
    assert check.passed, _message(question, check, check.failures)


@pytest.mark.parametrize("question", ANSWERABLE, ids=lambda q: q.id)
def test_answers_never_cite_off_population_or_superseded_sources(engine: Curbside, question: ConsultQuestion) -> None:
    check = _check(engine, question)
    wrong = [f for f in check.failures if "off-population" in f or "superseded" in f or "never sufficient" in f]
    assert not wrong, _message(question, check, wrong)


def test_most_answerable_questions_cite_the_expected_source(engine: Curbside) -> None:
    checks = {q.id: _check(engine, q) for q in ANSWERABLE}
    missed = {qid: c.failures for qid, c in checks.items() if not c.passed}
    answered = 1 - len(missed) / len(checks)
    assert answered >= MIN_ANSWERED_SHARE, f"{answered:.2f} answered; missed: {missed}"

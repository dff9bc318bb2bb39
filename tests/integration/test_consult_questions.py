"""The consult question set end to end on the whole starter corpus (../shared, the `fast` preset as in
test_real_corpus.py): each question is asked with its patient context and its article checked by
curbside.evaluation.consult.check_article, the rules bench/eval_consult.py reports.

Structure and sources only, never wording: answerable questions cite an expected source (or a curated table)
in the bottom line; unanswerable ones say what the knowledge base lacks and cite nothing; no question cites a
guideline for another population except on a bullet marked indirect, and none cites a superseded guideline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.engine import Curbside
from curbside.evaluation.consult import ConsultQuestion, check_article, load_consult_questions, load_superseded

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


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_consult_question(engine: Curbside, question: ConsultQuestion) -> None:
    article = engine.ask(question.question, context=question.context)
    check = check_article(question, article.model_dump(mode="json"), SUPERSEDED)
    assert check.passed, (
        f"{question.kind} ({question.intent}): {'; '.join(check.failures)}\n"
        f"  expected: {question.why}\n  bottom line [{check.evidence_status}]: {check.bottom_line}"
    )

"""The evaluation rules (metrics, overlap, coverage) on hand-computed examples, and the question-file readers.

The last tests run each evaluation end to end on a tiny lexical-only index (preset ``fast``: no model
is loaded) built from the hand-written files in ``tests/fixtures/eval``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.errors import EvaluationError
from curbside.evaluation.kqa import CoverageJudge, article_sentences, load_kqa
from curbside.evaluation.files import EvalProblem
from curbside.evaluation.metrics import (
    jaccard,
    ndcg_at_k,
    quote_overlaps,
    recall_at_k,
    reciprocal_rank,
    statement_contained,
    token_containment,
    unique_in_order,
)
from curbside.evaluation.pubmedqa import judge_article, load_pubmedqa
from curbside.evaluation.retrieval import load_bioasq_questions, score_run
from curbside.understanding import PatientContext
from curbside.writing.article import Article, Bullet, QueryInfo, Quote, Reference, Section, WriterInfo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"

# --- ranking metrics ------------------------------------------------------------------------------

RANKED = ["a", "x", "b", "y", "c"]
GOLD = {"a", "b", "c", "d"}


def test_recall_counts_gold_in_the_top_k_over_all_gold() -> None:
    assert recall_at_k(RANKED, GOLD, 5) == 0.75  # a, b, c of a, b, c, d
    assert recall_at_k(RANKED, GOLD, 3) == 0.5  # a, b
    assert recall_at_k(RANKED, GOLD, 1) == 0.25
    assert recall_at_k(["x", "y"], GOLD, 10) == 0.0
    assert recall_at_k(["a", "a", "b"], {"a", "b"}, 2) == 1.0  # a repeated id is one document


def test_ndcg_matches_hand_computed_values() -> None:
    # DCG@5 = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1.886853; ideal (4 gold) = 1 + .630930 + .5 + .430677 = 2.561606
    assert ndcg_at_k(RANKED, GOLD, 5) == pytest.approx(0.736590, abs=1e-6)
    # DCG@3 = 1.5; ideal@3 = 2.130930
    assert ndcg_at_k(RANKED, GOLD, 3) == pytest.approx(0.703918, abs=1e-6)
    assert ndcg_at_k(["a"], {"a"}, 10) == 1.0
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(0.630930, abs=1e-6)  # 1/log2(3)
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0


def test_reciprocal_rank_within_k_and_over_the_whole_list() -> None:
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "a"], {"a"}, k=2) == 0.0
    assert reciprocal_rank(["x", "x", "a"], {"a"}, k=2) == 0.5  # duplicates collapse before ranking
    assert reciprocal_rank(["b", "a"], {"a", "b"}) == 1.0


def test_metrics_refuse_an_empty_gold_set() -> None:
    with pytest.raises(ValueError):
        recall_at_k(["a"], set(), 10)
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], [], 10)


def test_unique_in_order_keeps_first_positions() -> None:
    assert unique_in_order(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_score_run_names_metrics_by_k() -> None:
    scores = score_run(["x", "a", "y"], ["a", "z"], 10)
    assert scores == {"recall@10": 0.5, "ndcg@10": pytest.approx(0.630930 / 1.630930, abs=1e-6), "mrr@10": 0.5}


# --- text overlap -------------------------------------------------------------------------------


def test_token_containment_and_jaccard() -> None:
    # content tokens of the part: aspirin, reduced, preeclampsia (stopwords dropped)
    assert token_containment("Aspirin reduced the preeclampsia", "preeclampsia was reduced by ASPIRIN") == 1.0
    assert token_containment("aspirin reduced preeclampsia", "aspirin lowered eclampsia") == pytest.approx(1 / 3)
    assert token_containment("the of and", "anything") == 0.0
    assert jaccard("aspirin reduced preeclampsia", "aspirin reduced bleeding") == pytest.approx(2 / 4)


CONCLUSION = "Low-dose aspirin reduced preeclampsia in high-risk pregnant women. It should be offered from 12 weeks of gestation."


def test_pubmedqa_overlap_rule() -> None:
    # (a) a substring after normalisation (case, whitespace, dashes)
    assert quote_overlaps("low\u2013dose ASPIRIN reduced  preeclampsia", CONCLUSION)
    # (b) 60% or more of the quote's content tokens in the conclusion:
    # 4 of 6 (aspirin, reduced, preeclampsia, women; not among, twins)
    assert quote_overlaps("Aspirin reduced preeclampsia among twins women", CONCLUSION)
    # 2 of 5 (aspirin, preeclampsia) is not enough
    assert not quote_overlaps("Aspirin and preeclampsia rates were measured by ultrasound", CONCLUSION)
    # fewer than 3 content tokens never counts, even as a substring
    assert not quote_overlaps("aspirin reduced", CONCLUSION)
    assert not quote_overlaps("", CONCLUSION)


# --- K-QA coverage --------------------------------------------------------------------------------


def test_kqa_containment_rule() -> None:
    statement = "Lactic acidosis is a rare adverse effect of metformin."  # lactic acidosis rare adverse effect metformin
    assert statement_contained(statement, "Metformin can rarely cause lactic acidosis as an adverse effect.")  # 5/6
    assert not statement_contained(statement, "Metformin lowers blood glucose and is a first-line drug.")  # 1/6
    assert statement_contained(statement, "Lactic acidosis, a rare effect of metformin")  # 5/6
    assert not statement_contained(statement, "Lactic acidosis is rare.")  # 3/6 = 0.5 < 0.6


class _FakeEmbedder:
    """Maps known texts to fixed unit vectors, to test the cosine half of the judge without the model."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = [np.asarray(self.table[t], dtype=np.float32) for t in texts]
        return np.vstack([r / np.linalg.norm(r) for r in rows])


def test_coverage_judge_uses_cosine_or_containment_per_sentence() -> None:
    statements = ["Metformin causes lactic acidosis rarely.", "Stop metformin before contrast imaging.", "Drink water."]
    sentences = ["Lactic acidosis from metformin is rare.", "Hold the drug before iodinated contrast."]
    table = {
        statements[0]: [1, 0, 0], statements[1]: [0, 1, 0], statements[2]: [0, 0, 1],
        sentences[0]: [1, 0, 0.2], sentences[1]: [0.5, 0.7, 0.4],  # cos(st1, se1) = 0.738: >= 0.65, < 0.8
    }
    judged = CoverageJudge(_FakeEmbedder(table), threshold=0.65).judge(statements, sentences)  # type: ignore[arg-type]
    assert [j.covered for j in judged] == [True, True, False]
    assert judged[0].by == "both" and judged[0].sentence == sentences[0]
    assert judged[1].by == "cosine" and judged[1].sentence == sentences[1]
    assert judged[1].containment < 0.6
    assert judged[2].by is None
    stricter = CoverageJudge(_FakeEmbedder(table), threshold=0.8).judge(statements, sentences)  # type: ignore[arg-type]
    assert [j.covered for j in stricter] == [True, False, False]
    alone = CoverageJudge(None).judge(statements, sentences)
    assert [j.covered for j in alone] == [True, False, False] and alone[0].cosine is None
    assert "cosine" not in CoverageJudge(None).description and "60%" in CoverageJudge(None).description


# --- question files -------------------------------------------------------------------------------


def test_bioasq_questions_file_reports_malformed_lines_and_keeps_the_rest() -> None:
    path = FIXTURES / "bioasq_questions.jsonl"
    questions, problems = load_bioasq_questions(path)
    assert [q.id for q in questions] == ["q1", "q2", "q3"]
    assert questions[1].gold_pmids == ("40000002", "49999999")
    reported = {p.line: str(p) for p in problems}
    assert sorted(reported) == [4, 5, 6, 7, 9, 10]
    assert reported[4].startswith(f"{path}:4: malformed JSON")
    assert "no gold PMIDs" in reported[5] and "'question'" in reported[6]
    assert "duplicate" in reported[9] and "gold_pmids" in reported[10]


def test_questions_file_without_usable_questions_is_an_evaluation_error(tmp_path: Path) -> None:
    from curbside.evaluation.retrieval import evaluate_retrieval

    empty = tmp_path / "bad.jsonl"
    empty.write_text('{"id": "1"}\nnot json\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match="no usable questions"):
        evaluate_retrieval(None, empty)  # type: ignore[arg-type]  # fails before touching the engine
    with pytest.raises(EvaluationError, match="does not exist"):
        load_bioasq_questions(tmp_path / "missing.jsonl")


def test_kqa_file_skips_questions_without_must_have() -> None:
    items, problems, without = load_kqa(FIXTURES / "kqa.jsonl")
    assert [i.question for i in items] == ["Does metformin cause lactic acidosis?"]
    assert items[0].must_have[1] == "Metformin should be avoided in severe renal failure."  # stripped
    assert without == 1
    assert sorted(p.line for p in problems if p.line is not None) == [3, 4, 5]


def test_pubmedqa_files_follow_the_test_ids() -> None:
    items, problems = load_pubmedqa(FIXTURES / "pubmedqa" / "ori_pqal.json", FIXTURES / "pubmedqa" / "test_ground_truth.json")
    assert [i.pmid for i in items] == ["20000001", "20000002"]
    assert items[0].conclusion.startswith("Low-dose aspirin")
    assert sorted(p.record or "" for p in problems) == ["20000003", "29999999"]
    assert str(EvalProblem("f.json", None, "m", record="1")) == "f.json: record 1: m"
    everything, _ = load_pubmedqa(FIXTURES / "pubmedqa" / "ori_pqal.json")
    assert len(everything) == 2


# --- the evaluation loop -------------------------------------------------------------------------


def test_evaluation_loop_limits_scores_in_order_and_records_rejected_questions() -> None:
    from curbside.errors import InvalidQuestionError
    from curbside.evaluation.runner import EvaluationLoop

    problems = [EvalProblem("q.jsonl", 2, "malformed JSON")]
    loop = EvaluationLoop("demo", "q.jsonl", ["a", "bad", "c", "d"], problems, limit=3, if_empty="none")
    assert loop.items == ["a", "bad", "c"]

    def score(item: str) -> str:
        if item == "bad":
            raise InvalidQuestionError("too short")
        return item.upper()

    said: list[str] = []
    run = loop.run(score, lambda item, exc: EvalProblem("q.jsonl", None, f"rejected: {exc}", record=item),
                   progress=said.append, progress_every=2)
    assert run.results == ["A", "C"] and run.seconds >= 0
    assert [str(p) for p in run.problems] == ["q.jsonl:2: malformed JSON", "q.jsonl: record bad: rejected: too short"]
    assert said == ["demo: 3/3 questions"]  # question 2 was rejected, so its progress line is not said


def test_evaluation_loop_refuses_no_questions_and_all_rejected() -> None:
    from curbside.errors import InvalidQuestionError
    from curbside.evaluation.runner import EvaluationLoop

    with pytest.raises(EvaluationError, match="nothing usable"):
        EvaluationLoop("demo", "q.jsonl", ["a"], [], limit=0, if_empty="nothing usable")

    def reject(item: str) -> str:
        raise InvalidQuestionError("no")

    loop = EvaluationLoop("demo", "q.jsonl", ["a"], [], limit=None, if_empty="-")
    with pytest.raises(EvaluationError, match="None of the questions in q.jsonl could be searched"):
        loop.run(reject, lambda item, exc: EvalProblem("q.jsonl", 1, str(exc)), verb="searched")


def test_timed_and_per_question() -> None:
    from curbside.evaluation.runner import per_question, timed

    value, seconds = timed(sorted, [3, 1, 2], reverse=True)
    assert value == [3, 2, 1] and seconds >= 0
    assert per_question(1.0, 3) == 0.3333 and per_question(5.0, 0) == 0.0


# --- judging one article --------------------------------------------------------------------------


def _article(
    quotes: list[Quote], references: list[Reference], bottom_line: str = "Bottom line.", bullet_text: str = "A bullet."
) -> Article:
    return Article(
        title="t", question="q", bottom_line=bottom_line, bottom_line_quotes=quotes[:1], evidence_status="limited",
        sections=[Section(id="research", heading="Research", bullets=[Bullet(
            text=bullet_text, citations=[1], quotes=quotes[1:], doc_type="rct", evidence_level=2, relevance=0.5)])],
        references=references, patient_story=PatientContext(),
        query=QueryInfo(clinical_question="q", keywords=[], expansions=[], mesh_terms=[]),
        corpus_snapshot="s", evidence_scale="e", writer=WriterInfo(name="w", version="1", preset="default", settings={}),
        disclaimer="d",
    )


def _ref(n: int, doc_id: str, pmid: str | None) -> Reference:
    return Reference(number=n, doc_id=doc_id, title="t", source="pubmedqa", doc_type="rct", doc_type_label="RCT",
                     evidence_level=2, pmid=pmid)


def test_judge_article_needs_the_right_pmid_and_the_conclusion() -> None:
    sentence = "Low-dose aspirin reduced preeclampsia in high-risk pregnant women."
    conclusion_quote = Quote(doc_id="20000001", passage_id="p9", start=0, end=len(sentence), text=sentence)
    other = Quote(doc_id="555", passage_id="p1", start=0, end=len(sentence), text=sentence)
    methods = Quote(doc_id="20000001", passage_id="p2", start=0, end=10,
                    text="In this randomized controlled trial, 400 women were assigned.")
    refs = [_ref(1, "555", "555"), _ref(2, "20000001", "20000001")]
    assert judge_article(_article([other, conclusion_quote], refs), "20000001", CONCLUSION) == {
        "conclusion_quoted": True, "pmid_cited": True, "quote": sentence,
    }
    # the same words from another PMID do not count; a quote of another section is cited but not the conclusion
    judged = judge_article(_article([other, methods], refs), "20000001", CONCLUSION)
    assert judged == {"conclusion_quoted": False, "pmid_cited": True, "quote": None}
    # a document indexed under another id but with this PMID (a PMC trial) counts through its reference
    pmc = Quote(doc_id="PMC42", passage_id="p3", start=0, end=10, text=conclusion_quote.text)
    assert judge_article(_article([pmc], [_ref(1, "PMC42", "20000001")]), "20000001", CONCLUSION)["conclusion_quoted"]
    assert judge_article(_article([other], [_ref(1, "555", "555")]), "20000001", CONCLUSION)["pmid_cited"] is False


def test_article_sentences_are_bottom_line_then_bullets() -> None:
    article = _article([], [], bottom_line="First point. Second point.", bullet_text="Bullet one. Bullet two.")
    assert article_sentences(article) == ["First point.", "Second point.", "Bullet one.", "Bullet two."]


# --- end to end on a tiny lexical index ------------------------------------------------------------


@pytest.fixture(scope="module")
def bioasq_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from curbside.engine import Curbside

    data_dir = tmp_path_factory.mktemp("bioasq")
    Curbside.open(data_dir, preset="fast").ingest_bioasq(FIXTURES / "bioasq_corpus.jsonl")
    return data_dir


def test_eval_retrieval_cli_json(bioasq_dir: Path) -> None:
    from click.testing import CliRunner

    from curbside.cli.main import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(bioasq_dir), "--preset", "fast", "eval", "retrieval",
                                      "--questions", str(FIXTURES / "bioasq_questions.jsonl"), "--format", "json"],
                                obj={})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["questions"] == 3 and data["k"] == 10
    assert set(data["metrics"]) == {"hybrid", "bm25"} and set(data["runs"]) == {"hybrid", "bm25"}
    bm25 = data["metrics"]["bm25"]
    # Each question's gold document is the only good lexical match; q2 has a second gold PMID not in the corpus.
    assert bm25["recall@10"] == pytest.approx((1 + 0.5 + 1) / 3, abs=1e-4)
    assert bm25["mrr@10"] == 1.0
    assert data["runs"]["bm25"]["q1"][0] == "40000001" and len(data["runs"]["bm25"]["q1"]) <= 10
    assert data["dense_available"] is False and data["ratios"]["recall@10"] == 1.0  # no vectors: hybrid is BM25
    assert "bioasq_questions.jsonl:4: malformed JSON" in result.stderr


def test_eval_retrieval_limit_and_text_format(bioasq_dir: Path) -> None:
    from click.testing import CliRunner

    from curbside.cli.main import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(bioasq_dir), "--preset", "fast", "eval", "retrieval",
                                      "--questions", str(FIXTURES / "bioasq_questions.jsonl"), "--limit", "1"], obj={})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 questions") and "recall@10" in result.stdout and "bm25" in result.stdout
    bad = CliRunner().invoke(cli, ["--data-dir", str(bioasq_dir), "eval", "retrieval",
                                   "--questions", str(FIXTURES / "kqa.jsonl")], obj={})
    assert bad.exit_code == 2 and "no usable questions" in bad.stderr


def test_eval_kqa_and_pubmedqa_end_to_end(tmp_path: Path) -> None:
    from curbside.corpus.documents import IngestReport
    from curbside.corpus.loaders.bioasq import load_bioasq
    from curbside.corpus.loaders.pubmedqa import load_pubmedqa as load_pubmedqa_docs
    from curbside.engine import Curbside
    from curbside.evaluation.kqa import evaluate_kqa
    from curbside.evaluation.pubmedqa import evaluate_pubmedqa
    from curbside.retrieval.index import build_index

    cb = Curbside.open(tmp_path, preset="fast")
    report = IngestReport()
    docs = list(load_pubmedqa_docs(FIXTURES / "pubmedqa" / "ori_pqal.json", report))
    docs += list(load_bioasq(FIXTURES / "bioasq_corpus.jsonl", report))
    build_index(tmp_path, docs, cb.settings, kind="test", corpus_snapshot="eval-test", rebuild_command="-")

    pq = evaluate_pubmedqa(cb, FIXTURES / "pubmedqa" / "ori_pqal.json", FIXTURES / "pubmedqa" / "test_ground_truth.json")
    data = pq.to_dict()
    assert data["questions"] == 2 and {r["pmid"] for r in data["results"]} == {"20000001", "20000002"}
    assert all(r["retrieved_rank"] == 1 for r in data["results"])
    assert data["metrics"]["retrieved@10"] == 1.0 and data["metrics"]["pmid_cited"] == 1.0
    for r in pq.results:  # whatever the writer chose, the flags follow the rule
        assert r.conclusion_quoted == (r.quote is not None)
        assert not r.conclusion_quoted or r.pmid_cited

    kqa = evaluate_kqa(cb, FIXTURES / "kqa.jsonl", judge=CoverageJudge(None))
    kd = kqa.to_dict()
    assert kd["questions"] == 1 and kd["skipped_no_must_have"] == 1 and kd["metrics"]["statements"] == 2
    assert "60%" in kd["judge"] and len(kd["problems"]) == 3
    result = kqa.results[0]
    assert kd["metrics"]["macro_coverage"] == pytest.approx(result.covered / 2)


def test_judge_calibration_against_physician_labels() -> None:
    from curbside.evaluation.kqa import calibrate_judge

    result = calibrate_judge(FIXTURES / "nli_claims.csv", CoverageJudge(None), thresholds=(0.65,))
    # containment alone: row 1 has 3 of 6 claim tokens in one sentence (not covered), row 2 1 of 5, row 3 3 of 5 (covered)
    assert result["claims"] == 3 and result["entailed"] == 2
    assert result["by_cosine_threshold"]["0.65"] == {"precision": 1.0, "recall": 0.5, "said_covered": 1}

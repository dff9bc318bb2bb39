"""The consult question set (tests/fixtures/consult_questions.jsonl) is well formed, its doc ids are real, and the
rules that judge an article against it (curbside.evaluation.consult.check_article) can fail.

The articles themselves are judged end to end in tests/integration/test_consult_questions.py and measured by
``python bench/eval_consult.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from curbside.corpus.documents import IngestReport
from curbside.corpus.loaders.medquad import load_medquad
from curbside.corpus.loaders.ngc import load_ngc
from curbside.corpus.loaders.spl import load_spl
from curbside.corpus.loaders.uspstf import load_uspstf
from curbside.evaluation.consult import (
    INTENTS,
    ConsultQuestion,
    check_article,
    load_consult_questions,
    load_superseded,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUESTIONS = FIXTURES / "consult_questions.jsonl"
SUPERSEDED = FIXTURES / "consult_superseded.tsv"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
# The questions of issue 10 (the physician's ten; the issue names nine of them).
ISSUE_QUESTIONS = {
    "ans-htn-first-line-black", "trap-tdap-28-weeks", "una-metformin-egfr35", "ans-methotrexate-ra-dose",
    "ans-warfarin-ciprofloxacin", "ans-aspirin-primary-65", "ans-statin-primary-12pct", "ans-colorectal-46",
    "ans-mammography-start",
}


def _questions() -> list[ConsultQuestion]:
    questions, problems = load_consult_questions(QUESTIONS)
    assert not problems, [str(p) for p in problems]
    return questions


def test_at_least_40_questions_of_the_three_kinds_with_unique_ids_and_mixed_intents() -> None:
    questions = _questions()
    lines = [line for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) == len(lines) >= 40  # every line usable, no id repeated
    kinds = Counter(q.kind for q in questions)
    assert kinds["answerable"] >= 15 and kinds["unanswerable"] >= 10 and kinds["population_trap"] >= 10
    intents = Counter(q.intent for q in questions)
    assert set(intents) <= set(INTENTS) and len(intents) >= 7
    assert ISSUE_QUESTIONS <= {q.id for q in questions}
    assert sum(q.context is not None for q in questions) >= 5  # some give the patient apart from the question
    assert all(q.forbidden_sources for q in questions if q.kind == "population_trap")
    assert {q.expected_table for q in questions} >= {"reference_doses", "monitoring", "interactions"}


def test_every_line_has_exactly_the_documented_fields() -> None:
    allowed = {"id", "question", "context", "kind", "intent", "expected_sources", "expected_table",
               "forbidden_sources", "why"}
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert set(record) <= allowed, record["id"]
        assert {"id", "question", "kind", "intent", "expected_sources", "forbidden_sources", "why"} <= set(record)


def _corpus_ids() -> dict[str, int | None]:
    """Doc id -> year for the sources the set names: guidelines, labels, MedQuAD pages, research PMIDs."""
    report = IngestReport()
    ids: dict[str, int | None] = {}
    for docs in (load_uspstf(CORPUS / "uspstf" / "uspstf_recommendations.jsonl", report),
                 load_ngc(CORPUS / "ngc" / "ngc_public_domain.jsonl", report),
                 load_spl(CORPUS / "drug_labels", report),
                 load_medquad(CORPUS / "medquad" / "medquad_answered.jsonl", report)):
        ids.update({d.doc_id: d.year for d in docs})
    ids.update(dict.fromkeys(json.loads((CORPUS / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))))
    with (CORPUS / "pmc_rct" / "pmc_rct_abstracts.jsonl").open(encoding="utf-8") as abstracts:
        ids.update(dict.fromkeys(str(json.loads(line).get("pmid")) for line in abstracts if line.strip()))
    return ids


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the starter corpus is not at ../shared/corpus")
def test_every_expected_forbidden_and_superseded_id_is_a_document_of_the_corpus() -> None:
    ids = _corpus_ids()
    for q in _questions():
        for doc_id in q.expected_sources + q.forbidden_sources:
            assert doc_id in ids, (q.id, doc_id)
    superseded = load_superseded(SUPERSEDED)
    assert len(superseded) >= 40
    for older, newer in superseded.items():
        assert older.startswith("ngc-") and newer.startswith("uspstf-"), older
        assert older in ids and newer in ids, older
        older_year, newer_year = ids[older], ids[newer]
        assert older_year is not None and newer_year is not None and older_year < newer_year, (older, newer)


def test_superseded_guidance_is_never_expected() -> None:
    superseded = load_superseded(SUPERSEDED)
    for q in _questions():
        assert not set(q.expected_sources) & set(superseded), q.id


# --- the rules, on hand-made article JSON -------------------------------------------------------------------


def _article(bottom_line: str, cites: list[str], *, status: str = "sufficient",
             bullets: list[dict[str, Any]] | None = None, refs: list[str] | None = None,
             derived: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc_ids = list(dict.fromkeys(cites + (refs or [])))
    return {
        "bottom_line": bottom_line,
        "bottom_line_citations": [doc_ids.index(c) + 1 for c in cites],
        "bottom_line_support": "derived" if derived else "verbatim",
        "bottom_line_derived_from": derived or [],
        "evidence_status": status,
        "references": [{"number": n, "doc_id": d} for n, d in enumerate(doc_ids, 1)],
        "sections": [{"id": "guidelines", "bullets": bullets or []}],
    }


ANSWERABLE = ConsultQuestion("a", "Should X?", "answerable", "should", "why", expected_sources=("uspstf-1",),
                             forbidden_sources=("ngc-kids",))
TABLE = ConsultQuestion("t", "Dose of X?", "answerable", "dose", "why", expected_table="reference_doses")
UNANSWERABLE = ConsultQuestion("u", "Dose of Y?", "unanswerable", "dose", "why")
TRAP = ConsultQuestion("p", "Z in adults?", "population_trap", "should", "why", forbidden_sources=("ngc-kids",))


def test_answerable_passes_only_from_an_expected_source_with_an_answering_status() -> None:
    assert check_article(ANSWERABLE, _article("Yes.", ["uspstf-1"])).passed
    assert check_article(ANSWERABLE, _article("Yes.", ["uspstf-1"], status="limited")).passed
    wrong = check_article(ANSWERABLE, _article("Malaria.", ["12345"]))
    assert not wrong.passed and "expected one of ['uspstf-1']" in wrong.failures[0]
    assert not check_article(ANSWERABLE, _article("Yes.", ["uspstf-1"], status="insufficient")).passed
    abstention = _article("The knowledge base holds nothing.", [], status="insufficient")
    assert not check_article(ANSWERABLE, abstention).passed


def test_a_table_question_needs_a_derived_bottom_line_from_that_table() -> None:
    fact = {"fact": "reference dose", "value": "7.5-25 mg weekly", "citation": 1}
    dose = _article("Methotrexate: 7.5-25 mg weekly.", [], refs=["curated:x"], derived=[fact])
    assert check_article(TABLE, dose).passed
    other = {"fact": "monitoring", "value": "CBC", "citation": 1}
    assert not check_article(TABLE, _article("CBC.", [], refs=["curated:x"], derived=[other])).passed
    assert not check_article(TABLE, _article("A trial objective.", ["25302624"])).passed


def test_unanswerable_passes_only_as_an_honest_abstention() -> None:
    honest = "The knowledge base holds no evidence that answers this question directly."
    assert check_article(UNANSWERABLE, _article(honest, [], status="insufficient")).passed
    assert check_article(UNANSWERABLE, _article(honest, [], status="limited")).passed
    assert not check_article(UNANSWERABLE, _article(honest, [], status="sufficient")).passed
    off_subject = _article("An unrelated trial sentence.", ["123"], status="limited")
    assert not check_article(UNANSWERABLE, off_subject).passed
    assert not check_article(UNANSWERABLE, _article("No answer.", [], status="insufficient")).passed


def test_an_off_population_source_may_appear_only_on_indirect_bullets() -> None:
    direct = {"text": "In children ...", "citations": [2]}
    indirect = {"text": "In children ...", "citations": [2], "indirect": True}
    assert check_article(TRAP, _article("Adults: ...", ["uspstf-1"], refs=["ngc-kids"], bullets=[indirect])).passed
    failed = check_article(TRAP, _article("Adults: ...", ["uspstf-1"], refs=["ngc-kids"], bullets=[direct]))
    assert not failed.passed and "without indirect: true" in failed.failures[0]
    in_bottom_line = check_article(TRAP, _article("In children ...", ["ngc-kids"]))
    assert any("bottom line cites off-population ngc-kids" in f for f in in_bottom_line.failures)
    # The same rule holds for every kind of question.
    assert not check_article(ANSWERABLE, _article("Yes.", ["uspstf-1"], refs=["ngc-kids"], bullets=[direct])).passed


def test_a_superseded_guideline_may_not_be_referenced_at_all() -> None:
    superseded = {"ngc-old": "uspstf-1"}
    indirect_old = {"text": "Old ...", "citations": [2], "indirect": True}
    article = _article("Yes.", ["uspstf-1"], refs=["ngc-old"], bullets=[indirect_old])
    result = check_article(ANSWERABLE, article, superseded)
    assert not result.passed and "superseded ngc-old (replaced by uspstf-1)" in result.failures[0]
    assert check_article(ANSWERABLE, _article("Yes.", ["uspstf-1"]), superseded).passed


def test_unusable_records_are_reported_not_loaded(tmp_path: Path) -> None:
    good = {"id": "g", "question": "Q?", "kind": "population_trap", "intent": "should", "why": "w",
            "expected_sources": [], "forbidden_sources": ["ngc-1"]}
    rows = [good, good | {"kind": "maybe"}, good | {"id": "h", "intent": "whatever"},
            good | {"id": "i", "kind": "answerable", "forbidden_sources": []},
            good | {"id": "j", "expected_sources": ["uspstf-1"]}, good]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    questions, problems = load_consult_questions(path)
    assert [q.id for q in questions] == ["g"]
    assert len(problems) == 5 and "repeated id 'g'" in str(problems[-1])

"""The whole starter corpus from ../shared, indexed lexically (the `fast` preset: no embedding, ~20 s).

Checks the answers to seed-style questions for structure and integrity, never against frozen text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.engine import Curbside

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="the starter corpus is not at ../shared/corpus"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Curbside:
    cb = Curbside.open(tmp_path_factory.mktemp("real"), preset="fast")
    result = cb.ingest_starter(CORPUS)
    counts = result.manifest.counts
    assert counts["documents"] > 9000 and counts["passages"] > 40000
    assert counts["documents_by_type"]["guideline"] == 206  # 90 USPSTF topics + 116 NGC summaries
    assert set(result.documents_by_source) == {"uspstf", "ngc", "spl", "pubmedqa", "pmc_rct", "medquad"}
    return cb


def _check_integrity(cb: Curbside, article) -> None:  # type: ignore[no-untyped-def]
    numbers = [r.number for r in article.references]
    assert numbers == list(range(1, len(numbers) + 1))
    for quote in article.all_quotes():
        passage = cb.index.store.passage(quote.passage_id)
        assert passage is not None and passage.text[quote.start : quote.end] == quote.text
    for section in article.sections:
        for bullet in section.bullets:
            assert bullet.citations and bullet.quotes
            assert article.references[bullet.citations[0] - 1].doc_id == bullet.quotes[0].doc_id


def test_screening_question_is_answered_from_the_uspstf_with_the_age_matched_grade(engine: Curbside) -> None:
    article = engine.ask("Should a 55-year-old woman be screened for colorectal cancer?")
    _check_integrity(engine, article)
    assert article.evidence_status == "sufficient"
    guidelines = article.sections[0]
    assert guidelines.id == "guidelines"
    first = guidelines.bullets[0]
    assert first.grade == "A" and "50 to 75" in first.text
    assert article.references[first.citations[0] - 1].doc_id.startswith("uspstf-")
    assert article.corpus_snapshot == engine.index.corpus_snapshot


def test_brands_and_abbreviations_in_a_prior_authorization_question(engine: Curbside) -> None:
    q = (
        "Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG "
        "medically necessary and standard of care for MDA5+ dermatomyositis with dysphagia, dysphonia and "
        "evolving rapidly progressive ILD?"
    )
    article = engine.ask(q)
    _check_integrity(engine, article)
    expansions = {(e.term.lower(), e.expansion.lower()) for e in article.query.expansions}
    assert ("truxima", "rituximab") in expansions
    assert any(term == "ivig" and "immunoglobulin" in exp for term, exp in expansions)
    assert any(term == "ild" and "interstitial lung disease" in exp for term, exp in expansions)
    # The corpus has no MDA5 literature: the article must say what it lacks rather than pad.
    assert article.evidence_status in {"limited", "insufficient"}
    assert "mda5" in (article.evidence_note or "").lower()


def test_research_question_finds_the_trial_and_its_numbers(engine: Curbside) -> None:
    hits = engine.search("statin atrial fibrillation after CABG", k=10)
    assert "21881325" in [h.document.doc_id for h in hits[:3]]
    article = engine.ask("Do statins reduce atrial fibrillation after coronary artery bypass grafting?")
    _check_integrity(engine, article)
    assert "21881325" in {r.doc_id for r in article.references}


def test_off_topic_question_gets_an_honest_insufficient_article(engine: Curbside) -> None:
    article = engine.ask("What is the torque specification for a bicycle crank bolt?")
    assert article.evidence_status == "insufficient"
    assert article.sections == [] and article.references == []
    assert article.suggested_questions or article.nearby_documents

"""The interaction check end to end over the real starter corpus: structure and sources, never frozen text.

The index is the starter corpus from ../shared, indexed lexically (the `fast` preset, as in test_real_corpus.py);
STARTER_DATA_DIR may name an already built starter data directory to use instead (opened read-only).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from curbside.engine import Curbside

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BUILT = os.environ.get("STARTER_DATA_DIR")  # not CURBSIDE_*: those are settings

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not BUILT and not CORPUS.is_dir(), reason="no starter corpus at ../shared/corpus"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Curbside:
    if BUILT:
        return Curbside.open(BUILT)
    cb = Curbside.open(tmp_path_factory.mktemp("interactions"), preset="fast")
    cb.ingest_starter(CORPUS)
    return cb


def _quotes_are_exact(cb: Curbside, article) -> None:  # type: ignore[no-untyped-def]
    for quote in article.all_quotes():
        passage = cb.index.store.passage(quote.passage_id)
        assert passage is not None and passage.text[quote.start : quote.end] == quote.text


def test_warfarin_and_ciprofloxacin_is_a_major_interaction_and_the_first_consideration(engine: Curbside) -> None:
    article = engine.ask("70-year-old on warfarin with INR 2.5 needs treatment for a urinary tract infection; "
                         "is ciprofloxacin safe?")
    _quotes_are_exact(engine, article)
    first = article.interactions[0]
    assert set(first.drugs) == {"warfarin", "ciprofloxacin"} and first.severity == "major"
    assert dict(zip(first.drugs, first.roles)) == {"warfarin": "regimen", "ciprofloxacin": "proposed"}
    assert first.sources[0].kind == "curated_table" and "COUMADIN" in first.sources[0].source
    considerations = next(s for s in article.sections if s.id == "considerations")
    lead = considerations.bullets[0]
    assert lead.support == "derived" and not lead.quotes and "warfarin" in lead.text and "ciprofloxacin" in lead.text
    assert article.references[lead.citations[0] - 1].doc_id.startswith("curated:")
    assert article.determination != "supported"
    scope = article.interaction_check
    assert scope is not None and {"warfarin", "ciprofloxacin"} <= set(scope.table_drugs) and not scope.not_checked
    # An option that interacts seriously with warfarin is never the first one offered.
    if article.next_step_options:
        assert article.next_step_options[0].interaction_warning is None or all(
            o.interaction_warning for o in article.next_step_options)


def test_sildenafil_with_nitroglycerin_is_read_from_the_viagra_label_in_the_index(engine: Curbside) -> None:
    article = engine.ask("A 62-year-old man takes nitroglycerin for angina. Can he use sildenafil?")
    _quotes_are_exact(engine, article)
    finding = next(f for f in article.interactions if set(f.drugs) == {"nitroglycerin", "sildenafil"})
    assert finding.severity == "contraindicated"
    label = next(s for s in finding.sources if s.kind == "label_in_index")
    assert label.quote is not None and label.quote.doc_id.startswith("spl-")
    assert "contraindicated" in label.quote.text and "nitrates" in (label.named_as or "")
    assert article.references[label.citation - 1].doc_id == label.quote.doc_id  # type: ignore[operator]
    assert article.interaction_check is not None and "sildenafil" in article.interaction_check.label_drugs
    lead = next(s for s in article.sections if s.id == "considerations").bullets[0]
    assert lead.support == "derived" and "contraindicated" in lead.text
    assert any(f.quote is not None and f.quote.passage_id == label.quote.passage_id for f in lead.derived_from)
    assert article.determination != "supported"

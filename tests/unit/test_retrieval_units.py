"""Retrieval pieces that need no index: the indexed title, the query's words, settings as data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.bioasq import load_bioasq
from curbside.retrieval.index import indexed_title
from curbside.settings import RetrievalSettings, load_settings


def _doc(title: str, *texts: str) -> Document:
    doc = Document(doc_id="1", source="test", title=title, doc_type=DocType.OBSERVATIONAL)
    for text in texts:
        doc.add_passage("abstract", text)
    return doc


def test_a_title_cut_from_the_text_is_not_indexed_as_a_title(tmp_path: Path) -> None:
    snippet = "Growth differentiation factor 15 (GDF-15) is expressed and secreted in response to inflammation, " * 2
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"pmid": "1", "title": null, "snippets": ["%s"]}\n'
        '{"pmid": "2", "title": null, "snippets": ["GDF15 rises in heart failure."]}\n'
        '{"pmid": "3", "title": "GDF15 in heart failure", "snippets": ["GDF15 rises in heart failure."]}\n' % snippet.strip(),
        encoding="utf-8",
    )
    docs = list(load_bioasq(corpus, IngestReport()))
    assert [indexed_title(d) for d in docs] == ["", "", "GDF15 in heart failure"]
    # A real title that the text happens to start with (MedQuAD) is kept.
    assert indexed_title(_doc("Achalasia", "Achalasia is a disorder of the esophagus.")) == "Achalasia"


def test_retrieval_settings_come_from_presets_and_overrides(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, environ={}, retrieval={"rrf_k": 60, "expansion_kinds": ["spelling"]})
    assert settings.retrieval.rrf_k == 60 and settings.retrieval.expansion_kinds == ("spelling",)
    assert load_settings(data_dir=tmp_path, environ={}).retrieval == RetrievalSettings()
    with pytest.raises(ValidationError):
        RetrievalSettings.model_validate({"expansion_kinds": ["guess"]})

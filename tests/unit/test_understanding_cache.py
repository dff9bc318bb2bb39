"""The engine's Lexicon and DrugNames are kept per data directory (retrieval/lexicons.py: understanding_tables):
a second open reads them instead of building them, reads the same answers from them, and builds them anew when
what they are built from changes or the kept file is unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.retrieval import lexicons
from curbside.retrieval.lexicons import understanding_tables
from curbside.retrieval.store import MetadataStore


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    store = MetadataStore.create(tmp_path / "metadata.sqlite")
    store.add_drug_names([("Truxima", "rituximab-abbs"), ("Lipitor", "atorvastatin calcium")])
    store.add_mesh_names([("D003882", "Dermatomyositis"), ("D017563", "Lung Diseases, Interstitial")])
    store.commit()
    return store


def _answers(tables: tuple[object, object]) -> tuple[object, ...]:
    lexicon, names = tables
    tokens = ["interstitial", "lung", "disease"]
    return (lexicon.mesh_phrases(tokens), lexicon.mesh_count, names.generic_for("Lipitor"), names.generic_for("truxima"))  # type: ignore[attr-defined]


def test_a_second_open_reads_the_kept_tables_and_answers_alike(store: MetadataStore, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache" / "understanding"
    built = understanding_tables(store, cache)
    assert len(list(cache.glob("*.pickle"))) == 1
    assert built[1].lexicon is built[0]  # the drug names stay on the engine's one lexicon

    def no_build(*_a: object, **_k: object) -> None:
        raise AssertionError("built again although the kept tables fit")

    monkeypatch.setattr(lexicons.Lexicon, "with_builtin_abbreviations", no_build)
    read = understanding_tables(store, cache)
    assert _answers(read) == _answers(built) and read[1].lexicon is read[0]
    assert _answers(built)[2] == "atorvastatin"


def test_new_index_tables_or_a_broken_file_build_them_anew(store: MetadataStore, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "understanding"
    understanding_tables(store, cache)
    (first,) = cache.glob("*.pickle")
    store.add_drug_names([("Zocor", "simvastatin")])
    store.commit()
    lexicon, names = understanding_tables(store, cache)
    (second,) = cache.glob("*.pickle")  # the earlier fingerprint's file is gone
    assert second != first and names.generic_for("Zocor") == "simvastatin"
    second.write_bytes(b"not a pickle")
    lexicon, names = understanding_tables(store, cache)
    assert names.generic_for("Zocor") == "simvastatin" and second.stat().st_size > 100


def test_without_a_cache_folder_nothing_is_written(store: MetadataStore, tmp_path: Path) -> None:
    lexicon, names = understanding_tables(store, None)
    assert names.generic_for("Truxima") is not None
    assert not list(tmp_path.rglob("*.pickle"))

"""What question understanding needs from an index, built once per engine: the :class:`Lexicon` (abbreviations,
the Drugs@FDA brand table, MeSH names), the :class:`DrugNames` of the patient's medications (on that same
lexicon), and the spelling vocabulary. Understanding itself does no I/O; these read the index's metadata store.
"""

from __future__ import annotations

from pathlib import Path

from curbside.retrieval.store import MetadataStore
from curbside.understanding import DrugNames, Lexicon, SpellingCorrector

__all__ = ["drug_names_from_index", "drug_names_from_store", "lexicon_from_store", "speller_from_store"]


def lexicon_from_store(store: MetadataStore) -> Lexicon:
    """The curated abbreviations, with the index's Drugs@FDA brands and MeSH names."""
    return Lexicon.with_builtin_abbreviations(brands=store.drug_names(), mesh_names=store.mesh_names())


def speller_from_store(store: MetadataStore) -> SpellingCorrector:
    """Spelling correction towards the words the index's passages hold."""
    return SpellingCorrector(store.vocabulary())


def drug_names_from_store(
    store: MetadataStore, *, include_builtin: bool = True, lexicon: Lexicon | None = None
) -> DrugNames:
    """Brand and generic names: the index's Drugs@FDA ``drug_names`` table, plus the curated biosimilars.

    ``lexicon``: the engine's one lexicon (:func:`lexicon_from_store`), which the medication reader shares;
    without it the names get a lexicon of their own.
    """
    return DrugNames(store.drug_names(), include_builtin=include_builtin, lexicon=lexicon)


def drug_names_from_index(index_dir: Path | str, *, include_builtin: bool = True) -> DrugNames:
    """From a built index directory (``DATA_DIR/index``) or its ``metadata.sqlite``, read-only."""
    path = Path(index_dir)
    if path.is_dir():
        path = path / "metadata.sqlite"
    store = MetadataStore(path, readonly=True)
    try:
        return drug_names_from_store(store, include_builtin=include_builtin)
    finally:
        store.close()

"""What question understanding needs from an index, built once per engine: the :class:`Lexicon` (abbreviations,
the Drugs@FDA brand table, MeSH names), the :class:`DrugNames` of the patient's medications (on that same
lexicon), and the spelling vocabulary. Understanding itself does no I/O; these read the index's metadata store.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import curbside.understanding
import curbside.vocabulary
from curbside.corpus import text as corpus_text
from curbside.retrieval.store import MetadataStore
from curbside.understanding import DrugNames, Lexicon, SpellingCorrector

__all__ = [
    "drug_names_from_index",
    "drug_names_from_store",
    "lexicon_from_store",
    "speller_from_store",
    "understanding_tables",
]


def lexicon_from_store(store: MetadataStore) -> Lexicon:
    """The curated abbreviations, with the index's Drugs@FDA brands and MeSH names."""
    return Lexicon.with_builtin_abbreviations(brands=store.drug_names(), mesh_names=store.mesh_names())


def understanding_tables(store: MetadataStore, cache_dir: Path | None = None) -> tuple[Lexicon, DrugNames]:
    """The engine's one :class:`Lexicon` and the :class:`DrugNames` on it, as :func:`lexicon_from_store` and
    :func:`drug_names_from_store` build them.

    Building them takes most of a second (30,000 MeSH names, 5,500 brands), which every fresh ``curbside ask``
    paid. With ``cache_dir`` (``DATA_DIR/cache/understanding``) both are kept as one pickle, named by a hash of
    what they are built from: the index's brand and MeSH tables, and the source and data files of the code that
    builds them (``understanding/``, ``vocabulary/``, ``corpus/text.py``) and the Python version; anything else
    builds them anew. The pickle is this data directory's own file, trusted as its index is. A cache that cannot
    be read or written is skipped.
    """
    brands = store.drug_names()
    mesh_names = store.mesh_names()
    path = cache_dir / f"{_tables_fingerprint(brands, mesh_names)}.pickle" if cache_dir is not None else None
    if path is not None:
        try:
            with path.open("rb") as handle:
                cached = pickle.load(handle)
            lexicon, names = cached
            if isinstance(lexicon, Lexicon) and isinstance(names, DrugNames):
                return lexicon, names
        except Exception:  # noqa: BLE001  (missing, truncated or from other code: build it again)
            pass
    lexicon = lexicon_from_store(store)
    names = drug_names_from_store(store, lexicon=lexicon)
    if path is not None:
        _keep(path, (lexicon, names))
    return lexicon, names


def _tables_fingerprint(brands: list[tuple[str, str]], mesh_names: list[str]) -> str:
    digest = hashlib.sha256(repr(sys.version_info[:3]).encode())
    digest.update(repr((brands, mesh_names)).encode("utf-8"))
    folders = [Path(curbside.understanding.__file__).parent, Path(curbside.vocabulary.__file__).parent]
    files = sorted(f for folder in folders for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    for file in [*files, Path(corpus_text.__file__)]:
        digest.update(str(file.name).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:24]


def _keep(path: Path, tables: tuple[Lexicon, DrugNames]) -> None:
    """Write atomically (a reader never sees half a file), then drop the tables of earlier fingerprints."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as handle:
            pickle.dump(tables, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
        for old in path.parent.glob("*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only data directory: build them each time


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

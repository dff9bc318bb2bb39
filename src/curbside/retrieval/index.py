"""The on-disk index of one data directory: build it, open it, and know when it is half-built.

Layout of ``DATA_DIR/index/``:
- ``metadata.sqlite``: documents, passages, drug and MeSH names (:mod:`curbside.retrieval.store`);
- ``tantivy/``: the BM25 index (:mod:`curbside.retrieval.lexical`);
- ``vectors.npy``, ``vector_keys.npy``, ``vector_doc_types.npy``, ``vector_years.npy``: dense vectors;
- ``manifest.json``: written last; lists every file with its size. No manifest, or a file that does
  not match it, means the index is incomplete.

A build writes into ``DATA_DIR/index.building/`` and only replaces ``index/`` once complete (an atomic
exchange, :mod:`curbside.retrieval.snapshots`), so an interrupted build never destroys a working index. The embedding cache lives in
``DATA_DIR/cache/embeddings.sqlite``, outside the index, and survives rebuilds.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from curbside.corpus.documents import DocType, Document
from curbside.corpus.text import tokenize
from curbside.corpus.versions import Supersession, supersessions
from curbside.errors import IndexIncompleteError, IndexMissingError, IndexVersionError, IngestError
from curbside.retrieval.dense import (
    EMBEDDING_DIM,
    Embedder,
    EmbeddingCache,
    VectorIndex,
    build_onnx_encoder,
    embed_with_cache,
    model_path,
    onnx_dir,
)
from curbside.retrieval.lexical import LEXICAL_SCHEMA_VERSION, LexicalIndex, LexicalIndexWriter
from curbside.retrieval.snapshots import is_disk_full, switch_into_place
from curbside.retrieval.store import MetadataStore
from curbside.settings import EmbeddingSettings, Settings

INDEX_FORMAT_VERSION = 2  # 2: vocabulary table for spelling correction
DOC_TYPE_CODES: tuple[DocType, ...] = tuple(DocType)
Progress = Callable[[str], None]


def index_dir(data_dir: Path) -> Path:
    return data_dir / "index"


def _building_dir(data_dir: Path) -> Path:
    return data_dir / "index.building"


@dataclass
class Manifest:
    kind: str  # "starter" or "bioasq": what was ingested
    corpus_snapshot: str
    rebuild_command: str
    created_at: str
    settings: dict[str, Any]
    counts: dict[str, Any]
    files: dict[str, int] = field(default_factory=dict)
    format_version: int = INDEX_FORMAT_VERSION
    lexical_schema_version: int = LEXICAL_SCHEMA_VERSION
    build_seconds: float = 0.0
    # The document library's generation this index was built from (corpus/library.py); None: built before it.
    library_generation: int | None = None

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True), encoding="utf-8")


def embedding_text(doc: Document, section: str, text: str, full: bool) -> str:
    """What is embedded for a passage: title, section and text, or only the header for cheap types."""
    header = f"{doc.title}. {section}" if section and section.lower() != doc.title.lower() else doc.title
    return f"{header}: {text}" if full else header


def indexed_title(doc: Document) -> str:
    """The title BM25 indexes (and boosts): empty when the title only stands in for a missing one.

    A record known only by its text (most BioASQ records) gets the start of its first passage as its title,
    cut with an ellipsis, or the whole passage when that is short. Indexed as a title, those words would
    count twice and be boosted: measured on the BioASQ tuning questions this cost 0.03 nDCG@10
    (docs/benchmarks.md, "Retrieval against its plain baselines").
    """
    title = doc.title.strip()
    first = doc.passages[0].text.strip() if doc.passages else ""
    if title.endswith("\u2026") and first.startswith(title[:-1]):
        return ""
    return "" if title == first else doc.title


def cached_vectors(model_id: str, texts: list[str], cache: EmbeddingCache) -> tuple[list[int], np.ndarray]:
    """The rows of ``texts`` whose vector is in the cache, and those vectors (row order kept)."""
    keys = [EmbeddingCache.key(model_id, t) for t in texts]
    found = cache.get_many(sorted(set(keys)))
    rows = [i for i, key in enumerate(keys) if key in found]
    if not rows:
        return [], np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return rows, np.vstack([found[keys[i]] for i in rows]).astype(np.float32)


def _file_sizes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and not p.name.endswith(".lock")
    }


def build_index(data_dir: Path, documents: Iterable[Document], settings: Settings, *, rebuild_command: str,
                **options: Any) -> Manifest:
    """Build a complete index from ``documents`` beside the live one and switch it into place atomically
    (:mod:`curbside.retrieval.snapshots`); returns its manifest. A build that fails (a full disk, an interrupt)
    leaves no half-written index behind and the live one untouched."""
    if settings.embedding.enabled:
        model_path(settings.embedding.for_queries())  # a query model not built yet: say so before any work
    try:
        return _build_and_switch(data_dir, documents, settings, rebuild_command=rebuild_command, **options)
    except BaseException as exc:
        _remove_build(_building_dir(data_dir))
        if is_disk_full(exc):
            raise IngestError(
                f"The disk holding {data_dir} is full, so the new index could not be written ({exc}). The partial "
                "build was removed and the live index (if any) is unchanged. Free some space and run "
                f"`{rebuild_command}` again."
            ) from exc
        raise


def _remove_build(building: Path, attempts: int = 5) -> None:
    """Remove a failed build's folder; again if a file appeared in it meanwhile (a writer thread stopping)."""
    for attempt in range(attempts):
        shutil.rmtree(building, ignore_errors=True)
        if not building.exists():
            return
        time.sleep(0.05 * (attempt + 1))


def _build_and_switch(
    data_dir: Path,
    documents: Iterable[Document],
    settings: Settings,
    *,
    kind: str,
    corpus_snapshot: str,
    rebuild_command: str,
    drug_names: Iterable[tuple[str, str]] = (),
    mesh_names: Iterable[tuple[str, str]] = (),
    progress: Progress | None = None,
    embed: bool = True,
    library_generation: int | None = None,
) -> Manifest:
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    building = _building_dir(data_dir)
    if building.exists():
        shutil.rmtree(building)  # the remains of an interrupted build; never the live index
    building.mkdir()

    store = MetadataStore.create(building / "metadata.sqlite")
    lexical = LexicalIndexWriter(building / "tantivy")
    try:
        return _fill_and_switch(data_dir, building, store, lexical, documents, settings, kind=kind,
                                corpus_snapshot=corpus_snapshot, rebuild_command=rebuild_command,
                                drug_names=drug_names, mesh_names=mesh_names, say=say, started=started,
                                embed=embed, library_generation=library_generation)
    except BaseException:
        lexical.abort()
        store.close()
        raise


def _fill_and_switch(
    data_dir: Path,
    building: Path,
    store: MetadataStore,
    lexical: LexicalIndexWriter,
    documents: Iterable[Document],
    settings: Settings,
    *,
    kind: str,
    corpus_snapshot: str,
    rebuild_command: str,
    drug_names: Iterable[tuple[str, str]],
    mesh_names: Iterable[tuple[str, str]],
    say: Callable[[str], None],
    started: float,
    embed: bool = True,
    library_generation: int | None = None,
) -> Manifest:
    full_types = set(settings.embedding.embed_doc_types)
    vector_keys: list[int] = []
    vector_texts: list[str] = []
    vector_types: list[int] = []
    vector_years: list[int] = []
    vector_full: list[bool] = []
    n_docs = n_passages = n_full = 0
    vocabulary: Counter[str] = Counter()
    by_type: dict[str, int] = {}
    for doc in documents:
        n_docs += 1
        by_type[str(doc.doc_type)] = by_type.get(str(doc.doc_type), 0) + 1
        full = str(doc.doc_type) in full_types
        type_code = DOC_TYPE_CODES.index(doc.doc_type)
        title = indexed_title(doc)
        for key, passage in store.add_document(doc):
            n_passages += 1
            lexical.add(
                key, title=title, section=passage.section, body=passage.text,
                doc_type=str(doc.doc_type), year=doc.year,
            )
            vector_keys.append(key)
            vector_texts.append(embedding_text(doc, passage.section, passage.text, full))
            vector_types.append(type_code)
            vector_years.append(doc.year or 0)
            vector_full.append(full)
            n_full += full
            vocabulary.update(set(tokenize(f"{doc.title} {passage.section} {passage.text}")))
        if n_docs % 5000 == 0:
            say(f"  {n_docs} documents, {n_passages} passages read")
    store.add_drug_names(drug_names)
    store.add_mesh_names(mesh_names)
    store.add_vocabulary((term, df) for term, df in sorted(vocabulary.items()) if df >= 2 and term.isalpha())
    store.commit()
    store.close()
    lexical.commit()
    say(f"Lexical index: {n_docs} documents, {n_passages} passages ({time.monotonic() - started:.0f} s)")

    n_vectors = 0
    if settings.embedding.enabled:
        embedder = Embedder(settings.embedding)
        cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
        if embed:
            unique = len(set(vector_texts))
            say(f"Embedding {unique} unique texts ({n_full} full passages, the rest headers); cached ones are reused")
            last = [0.0]

            def report(done: int, total: int) -> None:
                now = time.monotonic()
                if now - last[0] > 15 or done == total:
                    last[0] = now
                    say(f"  embedded {done}/{total}")

            vectors = embed_with_cache(embedder, vector_texts, cache, progress=report)
        else:
            # The embedding stage runs apart (`curbside embed`): attach only the vectors already in the cache.
            rows, vectors = cached_vectors(embedder.model_id, vector_texts, cache)
            vector_keys = [vector_keys[i] for i in rows]
            vector_types = [vector_types[i] for i in rows]
            vector_years = [vector_years[i] for i in rows]
            n_full = sum(vector_full[i] for i in rows)
            say(f"Vectors from the embedding cache: {len(rows)} of {len(vector_texts)} passages")
        cache.close()
        n_vectors = len(vector_keys)
        if n_vectors:
            VectorIndex(vectors, np.asarray(vector_keys, dtype=np.int64)).save(building, settings.embedding)  # + HNSW past ann_min_vectors
            np.save(building / "vector_doc_types.npy", np.asarray(vector_types, dtype=np.int8))
            np.save(building / "vector_years.npy", np.asarray(vector_years, dtype=np.int32))
        # The fast query encoder (cached under cache/onnx/); without it queries load torch, which works but is slow.
        try:
            queries = settings.embedding.for_queries()
            if n_vectors:  # without vectors no query is embedded
                build_onnx_encoder(data_dir, queries, embedder if queries == settings.embedding else None)
        except Exception as exc:  # noqa: BLE001 - optional: onnx missing, or an export that does not match
            say(f"No ONNX query encoder ({exc}); queries will load torch")

    manifest = Manifest(
        kind=kind,
        corpus_snapshot=corpus_snapshot,
        rebuild_command=rebuild_command,
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        settings={"ingest": settings.ingest.model_dump(), "embedding": settings.embedding.model_dump(mode="json")},
        counts={
            "documents": n_docs,
            "passages": n_passages,
            "vectors": n_vectors,
            "full_passage_vectors": n_full if n_vectors else 0,
            "documents_by_type": dict(sorted(by_type.items())),
        },
        files=_file_sizes(building),
        build_seconds=round(time.monotonic() - started, 1),
        library_generation=library_generation,
    )
    manifest.write(building / "manifest.json")  # last: its presence marks the build complete

    switch_into_place(building, index_dir(data_dir))
    return manifest


def _fix_hint(data_dir: Path) -> str:
    return (
        f"Build it with `curbside --data-dir {data_dir} ingest starter` "
        f"(or `ingest bioasq PATH` for a BioASQ corpus)."
    )


class Index:
    """An opened, complete index: metadata store, BM25, and (optionally) vectors."""

    def __init__(self, data_dir: Path, settings: Settings) -> None:
        self.data_dir = data_dir
        self.settings = settings
        folder = index_dir(data_dir)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            if folder.exists() or _building_dir(data_dir).exists():
                raise IndexIncompleteError(
                    f"The index in {data_dir} is incomplete (a build was interrupted or files are missing). "
                    + _fix_hint(data_dir)
                )
            raise IndexMissingError(f"No index in {data_dir}. " + _fix_hint(data_dir))
        try:
            manifest = Manifest.read(manifest_path)
        except (ValueError, TypeError) as exc:
            raise IndexIncompleteError(f"The index manifest in {folder} is unreadable ({exc}). " + _fix_hint(data_dir)) from exc
        if manifest.format_version != INDEX_FORMAT_VERSION or manifest.lexical_schema_version != LEXICAL_SCHEMA_VERSION:
            raise IndexVersionError(
                f"The index in {data_dir} was built by another version of Curbside and must be rebuilt: "
                f"`{manifest.rebuild_command}`."
            )
        for name, size in manifest.files.items():
            path = folder / name
            if not path.is_file() or path.stat().st_size != size:
                raise IndexIncompleteError(
                    f"The index in {data_dir} is damaged: {name} is missing or has changed. "
                    f"Rebuild it with `{manifest.rebuild_command}`."
                )
        self.manifest = manifest
        self.store = MetadataStore(folder / "metadata.sqlite")
        self.lexical = LexicalIndex(folder / "tantivy")
        self.vectors: VectorIndex | None = None
        self.vector_doc_types: np.ndarray | None = None
        self.vector_years: np.ndarray | None = None
        if manifest.counts.get("vectors"):
            self.vectors = VectorIndex.load(folder)
            self.vector_doc_types = np.load(folder / "vector_doc_types.npy")
            self.vector_years = np.load(folder / "vector_years.npy")
        # The query embedder must match the one that built the vectors, whatever the current settings say.
        embedding = EmbeddingSettings.model_validate(manifest.settings["embedding"]).for_queries()
        self.embedder = Embedder(embedding, onnx_folder=onnx_dir(data_dir, embedding))

    @property
    def corpus_snapshot(self) -> str:
        return self.manifest.corpus_snapshot

    @cached_property
    def supersessions(self) -> dict[str, Supersession]:
        """Every superseded guideline of this index, by its doc_id (:mod:`curbside.corpus.versions`): read from
        the guidelines' metadata once per opened index (about 60 ms on the starter index)."""
        return supersessions(self.store.documents_of_type(DocType.GUIDELINE))

    def superseded_by(self, doc_id: str) -> Supersession | None:
        """The newer statement that replaces ``doc_id``, or None when it is current (or no guideline)."""
        return self.supersessions.get(doc_id)

    def close(self) -> None:
        self.store.close()


def refresh_index(data_dir: Path, settings: Settings, *, embed: bool = True, progress: Progress | None = None) -> Manifest:
    """Rebuild the index of ``data_dir`` from its document library (:mod:`curbside.corpus.library`): beside the
    live one, switched in atomically (:func:`build_index`). With ``embed``, passages without a cached vector are
    embedded (and cached); without it, only vectors already in ``DATA_DIR/cache/embeddings.sqlite`` are attached
    (the embedding stage, ``curbside embed``, fills the cache and then calls this)."""
    from curbside.corpus.library import Library

    with Library(data_dir) as library:
        seed_library_from_index(library, data_dir)
        kind = library.kind()
        base_command = library.base_command
        command = (base_command if base_command and kind == library.base_kind
                   else f"curbside --data-dir {data_dir} ingest refresh")
        return build_index(
            data_dir, library.iter_documents(), settings, kind=kind, corpus_snapshot=library.snapshot(),
            rebuild_command=command, drug_names=library.drug_names(), mesh_names=library.mesh_names(),
            progress=progress, embed=embed, library_generation=library.generation,
        )


def seed_library_from_index(library: Any, data_dir: Path) -> bool:
    """Fill an empty library from an index built before the library existed (its documents, lexicon and
    snapshot), so that adding documents to it keeps what it held. False when there was nothing to do."""
    from curbside.corpus.library import BASE_SOURCES

    manifest_path = index_dir(data_dir) / "manifest.json"
    if library.count() or library.base_kind or not manifest_path.is_file():
        return False
    manifest = Manifest.read(manifest_path)
    store = MetadataStore(index_dir(data_dir) / "metadata.sqlite")
    try:
        library.ingest(store.iter_documents(), source=manifest.kind, replace=manifest.kind in BASE_SOURCES)
        library.set_lexicon(store.drug_names(), store.mesh_name_pairs())
    finally:
        store.close()
    library.set_base(manifest.kind, manifest.corpus_snapshot, manifest.rebuild_command)
    return True

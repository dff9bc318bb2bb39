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

:func:`refresh_index` brings the index up to date with the document library, either by a **full** rebuild or
**incrementally**: the live index is copied into ``index.building/`` cheaply (tantivy's segment files are
immutable, so they are hard-linked; ``meta.json`` and ``.managed.json``, which tantivy rewrites, are copied;
``metadata.sqlite`` through SQLite's backup API), the documents changed since the index's library generation are
deleted there (BM25 by a doc-id term, metadata, vectors) and their new versions added under passage keys never
used before, and the result is switched in exactly as a full build is.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from curbside.corpus.documents import DocType, Document, Passage
from curbside.corpus.text import passage_words
from curbside.corpus.versions import Supersession, supersessions
from curbside.errors import CurbsideError, IndexIncompleteError, IndexMissingError, IndexVersionError, IngestError
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
# A full rebuild of at least this many documents counts its spelling vocabulary in a worker process (starting
# one costs about a second; below this the build is short anyway).
VOCABULARY_WORKER_MIN_DOCUMENTS = 20_000
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
    refresh: str = "full"  # how this snapshot was made: "full" (built from the library) or "incremental"
    # The first passage key a later incremental refresh may give (keys are never reused); None: an index built
    # before incremental refresh existed, which the next refresh rebuilds in full.
    next_passage_key: int | None = None
    # Passages deleted from the BM25 index since its last full build: tantivy counts them in its statistics
    # until their segment is merged, so past ``ingest.incremental_max_deleted_share`` a refresh is full.
    lexical_deleted_passages: int = 0
    embedding_cache_mark: int = 0  # the embedding cache's last rowid when this index took its vectors

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
    return _guarded(data_dir, rebuild_command,
                    lambda: _build_and_switch(data_dir, documents, settings, rebuild_command=rebuild_command, **options))


def fresh_build(data_dir: Path, settings: Settings, *, progress: Progress | None = None) -> FullBuild:
    """A :class:`FullBuild` to feed while an empty library is written (only cached vectors are attached), for
    :func:`refresh_index`'s ``prepared``."""
    if settings.embedding.enabled:
        model_path(settings.embedding.for_queries())  # a query model not built yet: say so before any work
    return FullBuild(data_dir, settings, progress=progress, embed=False)


def update_index(data_dir: Path, documents: Iterable[Document], changed: Iterable[str], live: Manifest,
                 settings: Settings, *, rebuild_command: str, **options: Any) -> Manifest:
    """The incremental refresh: the live index (``live`` its manifest) with the documents ``changed`` removed and
    ``documents`` (their stored versions) added, prepared beside it in ``index.building/`` and switched in
    atomically, as :func:`build_index` does. The live index's files are never written: segment files are
    hard-linked (tantivy writes new ones, never into old ones), what tantivy rewrites is copied."""
    return _guarded(data_dir, rebuild_command,
                    lambda: _update_and_switch(data_dir, documents, list(changed), live, settings,
                                               rebuild_command=rebuild_command, **options))


def _guarded(data_dir: Path, rebuild_command: str, build: Callable[[], Manifest]) -> Manifest:
    """Run a build; if it fails, remove its folder (the live index is untouched) and explain a full disk."""
    try:
        return build()
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


def _fresh_building(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    building = _building_dir(data_dir)
    if building.exists():
        shutil.rmtree(building)  # the remains of an interrupted build; never the live index
    building.mkdir()
    return building


class _Additions:
    """What a build adds, document by document: metadata and BM25 rows now, the passages' vectors through
    ``vectors`` (a chunk at a time where only cached vectors are attached), and the spelling vocabulary (unless a
    worker counts it: ``count_vocabulary``). A build from scratch (``fresh``) keys documents and passages in order
    from 1, as the store's rowids would, and writes the metadata rows ``FLUSH`` documents at a time."""

    FLUSH = 512

    def __init__(self, store: MetadataStore, lexical: LexicalIndexWriter, settings: Settings,
                 vectors: _VectorCollector | None, *, count_vocabulary: bool = True, fresh: bool = False) -> None:
        self.store, self.lexical, self.vectors = store, lexical, vectors
        self.full_types = set(settings.embedding.embed_doc_types)
        self.count_vocabulary = count_vocabulary
        self.fresh = fresh
        self.n_docs = self.n_passages = 0
        self.max_key = 0
        self.vocabulary: Counter[str] = Counter()  # passages a word occurs in
        self.by_type: Counter[str] = Counter()
        self._rows: list[tuple[int, Document]] = []  # fresh: documents keyed, not written yet
        self._rows_first_key = 1

    def add(self, doc: Document, first_passage_key: int | None = None) -> None:
        self.n_docs += 1
        self.by_type[str(doc.doc_type)] += 1
        full = str(doc.doc_type) in self.full_types
        type_code = DOC_TYPE_CODES.index(doc.doc_type)
        title = indexed_title(doc)
        if self.fresh:
            if not self._rows:
                self._rows_first_key = self.n_passages + 1
            self._rows.append((self.n_docs, doc))
            keyed: Iterable[tuple[int, Passage]] = enumerate(doc.passages, self.n_passages + 1)
            if len(self._rows) >= self.FLUSH:
                self.flush()
        else:
            keyed = self.store.add_document(doc, first_passage_key=first_passage_key)
        for key, passage in keyed:
            self.n_passages += 1
            self.max_key = max(self.max_key, key)
            self.lexical.add(key, title=title, section=passage.section, body=passage.text,
                             doc_type=str(doc.doc_type), year=doc.year, doc_id=doc.doc_id)
            if self.vectors is not None:
                text = "" if self.vectors.idle else embedding_text(doc, passage.section, passage.text, full)
                self.vectors.add(key, text, type_code, doc.year or 0)
            if self.count_vocabulary:
                self.vocabulary.update(passage_words(doc.title, passage.section, passage.text))

    def flush(self) -> None:
        """Write the metadata rows of a fresh build's documents added since the last flush."""
        if self._rows:
            self.store.add_rows(self._rows, self._rows_first_key)
            self._rows = []


def _build_and_switch(
    data_dir: Path,
    documents: Iterable[Document],
    settings: Settings,
    *,
    progress: Progress | None = None,
    embed: bool = True,
    vocabulary_from: Path | None = None,
    **describe: Any,
) -> Manifest:
    build = FullBuild(data_dir, settings, progress=progress, embed=embed, vocabulary_from=vocabulary_from,
                      library_generation=describe.get("library_generation"))
    try:
        for doc in documents:
            build.add(doc)
        return build.finish(**describe)
    except BaseException:
        build.abort()
        raise


class FullBuild:
    """A full build in ``index.building/``, fed a document at a time in index order, then finished (vectors,
    manifest, switched in) or aborted. :func:`build_index` feeds it from the library; ``ingest medline`` into an
    empty library feeds it each batch the library commits (:meth:`add_batch`), so the documents are indexed as
    they are stored instead of read back (and decoded) from the library afterwards, and :func:`refresh_index`
    finishes it when the library holds exactly what it was fed.

    The spelling vocabulary is counted here, or by a worker reading the library (``vocabulary_from``), or by the
    parse workers (``add_vocabulary``: the words of documents given with ``words_counted``)."""

    def __init__(self, data_dir: Path, settings: Settings, *, progress: Progress | None = None, embed: bool = True,
                 vocabulary_from: Path | None = None, library_generation: int | None = None) -> None:
        self.data_dir, self.settings = data_dir, settings
        self.say = progress or (lambda _msg: None)
        self.started = time.monotonic()
        self.building = _fresh_building(data_dir)
        self.store = MetadataStore.create(self.building / "metadata.sqlite")
        self.lexical = LexicalIndexWriter(self.building / "tantivy")
        self.embedder = Embedder(settings.embedding) if settings.embedding.enabled else None
        self.collector = (_VectorCollector(data_dir, self.embedder, embed=embed, say=self.say)
                          if self.embedder is not None else None)
        # A large build counts the spelling vocabulary in a worker process reading the library beside this one.
        self.counter = (_VocabularyWorker(vocabulary_from, self.building, library_generation)
                        if vocabulary_from is not None else None)
        self.added = _Additions(self.store, self.lexical, settings, self.collector, count_vocabulary=False, fresh=True)
        self.vocabulary: Counter[str] = Counter()  # passages a word occurs in
        self.complete = True  # False once a batch changed more than it added: only a rebuild gives the index
        self._open = True
        self._switched = False

    @property
    def documents(self) -> int:
        return self.added.n_docs

    def add(self, doc: Document, *, words_counted: bool = False) -> None:
        self.added.add(doc)
        if self.counter is None and not words_counted:
            for passage in doc.passages:
                self.vocabulary.update(passage_words(doc.title, passage.section, passage.text))
        if self.added.n_docs % 5000 == 0:
            self.say(f"  {self.added.n_docs} documents, {self.added.n_passages} passages read")

    def add_vocabulary(self, counts: Mapping[str, int]) -> None:
        """Words counted elsewhere (a parse worker) for documents given with ``words_counted``."""
        self.vocabulary.update(counts)

    def add_batch(self, documents: list[Any], only_added: bool) -> None:
        """:meth:`Library.ingest`'s ``on_batch``: the documents a batch added to a library that was empty (parsed
        ones carry their values: no body is decoded); a batch that changed more makes this build incomplete
        (and idle: :func:`refresh_index` rebuilds from the library)."""
        if not self.complete:
            return
        if not only_added:
            self.complete = False
            self.abort()
            return
        for item in documents:
            if isinstance(item, Document):
                self.add(item)
            else:  # an Encoded document from a parse worker, which counted its words
                self.add(item.document(), words_counted=True)

    def finish(self, *, drug_names: Iterable[tuple[str, str]] = (), mesh_names: Iterable[tuple[str, str]] = (),
               **describe: Any) -> Manifest:
        """Write the lexicon, vocabulary, vectors and manifest, and switch the index in."""
        added, store = self.added, self.store
        added.flush()
        store.add_drug_names(drug_names)
        store.add_mesh_names(mesh_names)
        # Every word, those of one passage too (spelling reads those of two or more), so that an incremental
        # refresh can count on from here.
        vocabulary = self.counter.result() if self.counter is not None else self.vocabulary
        store.add_vocabulary(sorted(vocabulary.items()))
        store.commit()
        store.close()
        self.lexical.commit()
        self._open = False
        self.say(f"Lexical index: {added.n_docs} documents, {added.n_passages} passages "
                 f"({time.monotonic() - self.started:.0f} s)")
        try:
            vectors = self.collector.rows() if self.collector is not None else _VectorRows.none()
        finally:
            if self.collector is not None:
                self.collector.close()
        counts = {"documents": added.n_docs, "passages": added.n_passages,
                  "documents_by_type": dict(sorted(added.by_type.items()))}
        manifest = _finish(self.data_dir, self.building, vectors, self.settings, counts, self.embedder,
                           started=self.started, say=self.say, refresh="full", next_passage_key=added.max_key + 1,
                           lexical_deleted_passages=0, **describe)
        self._switched = True
        return manifest

    def abort(self) -> None:
        """Stop, and remove ``index.building/`` (the live index is untouched); nothing once switched in."""
        if self._switched:
            return
        if self._open:
            self._open = False
            self.lexical.abort()
            self.store.close()
            if self.counter is not None:
                self.counter.stop()
            if self.collector is not None:
                self.collector.close()
        _remove_build(self.building)


@dataclass
class _VectorRows:
    """Vectors with, row by row, their passage key, document type code and year."""

    vectors: np.ndarray
    keys: np.ndarray
    types: np.ndarray
    years: np.ndarray
    cache_mark: int = 0

    @classmethod
    def none(cls) -> _VectorRows:
        return cls(np.zeros((0, EMBEDDING_DIM), dtype=np.float32), np.zeros(0, dtype=np.int64),
                   np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int32))

    @classmethod
    def load(cls, folder: Path) -> _VectorRows:
        if not (folder / "vector_keys.npy").is_file():
            return cls.none()
        return cls(np.load(folder / "vectors.npy", mmap_mode="r"), np.load(folder / "vector_keys.npy"),
                   np.load(folder / "vector_doc_types.npy"), np.load(folder / "vector_years.npy"))

    def __len__(self) -> int:
        return len(self.keys)


class _VectorCollector:
    """The vectors of the passages a build adds. Attaching only cached vectors (no ``embed``) goes a chunk of
    passages at a time, so a build holds the vectors found, never every passage's text (bounded memory for the
    lexical stage of millions of citations). With ``embed`` the texts are embedded ``EMBED_CHUNK`` passages at a
    time, each distinct text once (:func:`embed_with_cache`; a text of an earlier chunk is found in the cache)."""

    CHUNK = 8192  # passages looked up in the embedding cache at a time
    EMBED_CHUNK = 65_536  # with ``embed``: passages whose texts are held, then embedded, at a time

    def __init__(self, data_dir: Path, embedder: Embedder, *, embed: bool, say: Callable[[str], None]) -> None:
        self.embedder, self.embed, self.say = embedder, embed, say
        self.cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
        # Attaching from an empty cache finds nothing: no texts are made or looked up, and the index records the
        # cache as it was at the start (vectors added meanwhile are attached by the next refresh).
        self.start_mark = self.cache.last_rowid()
        self.idle = not embed and self.start_mark == 0
        self.keys: list[int] = []
        self.texts: list[str] = []
        self.types: list[int] = []
        self.years: list[int] = []
        self.found: list[_VectorRows] = []
        self.looked_up = 0

    def add(self, key: int, text: str, type_code: int, year: int) -> None:
        if self.idle:
            self.looked_up += 1
            return
        self.keys.append(key)
        self.texts.append(text)
        self.types.append(type_code)
        self.years.append(year)
        if self.embed and len(self.keys) >= self.EMBED_CHUNK:
            self._embed_chunk()
        elif not self.embed and len(self.keys) >= self.CHUNK:
            self._attach_cached()

    def _pending(self, rows: list[int], vectors: np.ndarray) -> _VectorRows:
        return _VectorRows(vectors, np.asarray([self.keys[i] for i in rows], dtype=np.int64),
                           np.asarray([self.types[i] for i in rows], dtype=np.int8),
                           np.asarray([self.years[i] for i in rows], dtype=np.int32))

    def _attach_cached(self) -> None:
        rows, vectors = cached_vectors(self.embedder.model_id, self.texts, self.cache)
        if rows:
            self.found.append(self._pending(rows, vectors))
        self.looked_up += len(self.texts)
        self.keys, self.texts, self.types, self.years = [], [], [], []

    def _embed_chunk(self) -> None:
        """With ``embed``: the texts held embedded now, each distinct one once (cached ones reused). Every vector
        is in the cache as soon as it is made, so a text met again in a later chunk is found there, not embedded
        again: the texts held are bounded by ``EMBED_CHUNK``, not by the corpus."""
        if not self.texts:
            return
        full_types = set(self.embedder.settings.embed_doc_types)
        unique = len(set(self.texts))
        n_full = sum(str(DOC_TYPE_CODES[t]) in full_types for t in self.types)
        first = self.looked_up + 1
        self.say(f"Embedding passages {first}-{first + len(self.texts) - 1}: {unique} unique texts ({n_full} full "
                 "passages, the rest headers); cached ones are reused")
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 15 or done == total:
                last[0] = now
                self.say(f"  embedded {done}/{total}")

        vectors = embed_with_cache(self.embedder, self.texts, self.cache, progress=report)
        self.found.append(self._pending(list(range(len(self.texts))), vectors))
        self.looked_up += len(self.texts)
        self.keys, self.texts, self.types, self.years = [], [], [], []

    def rows(self) -> _VectorRows:
        """Every vector found (or embedded), row by row with its passage key, type and year."""
        if self.embed:
            self._embed_chunk()
        else:
            self._attach_cached()
            n_found = sum(len(part) for part in self.found)
            self.say(f"Vectors from the embedding cache: {n_found} of {self.looked_up} passages")
        parts = self.found or [_VectorRows.none()]
        found = _VectorRows(np.concatenate([p.vectors for p in parts]).astype(np.float32, copy=False),
                            np.concatenate([p.keys for p in parts]), np.concatenate([p.types for p in parts]),
                            np.concatenate([p.years for p in parts]))
        self.found = []
        found.cache_mark = self.start_mark if self.idle else self.cache.last_rowid()
        return found

    def close(self) -> None:
        self.cache.close()


def count_library_vocabulary(library_path: str, generation: int | None, out: str, parent: int) -> None:
    """Worker: the spelling vocabulary (passages a word occurs in) of every document of the library, read in one
    read transaction; pickled into ``out``. A library at another generation than the build's is an error."""
    import pickle
    import zlib

    db = sqlite3.connect(f"file:{library_path}?mode=ro", uri=True)
    vocabulary: Counter[str] = Counter()
    try:
        db.execute("BEGIN")
        row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        found = int(row[0]) if row else 0
        if generation is not None and found != generation:
            result: Any = f"the library changed while the index was built (generation {found}, not {generation})"
        else:
            for n, (body,) in enumerate(db.execute("SELECT body FROM documents")):
                data = json.loads(zlib.decompress(body))
                title = data["title"]
                for passage in data.get("passages", ()):
                    vocabulary.update(passage_words(title, passage["section"], passage["text"]))
                if n % 4096 == 0 and os.getppid() != parent:
                    os._exit(0)  # the build was killed: nobody will read the result
            result = dict(vocabulary)
    finally:
        db.close()
    if os.getppid() != parent:
        os._exit(0)
    part = Path(out + ".part")
    with part.open("wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    part.rename(out)


class _VocabularyWorker:
    """Counts the spelling vocabulary of a full build from the library in a process of its own, while the build
    writes the metadata and BM25 rows: it is a fifth of the build's CPU, and the second core is free then. The
    result equals counting the built documents (the build reads the same library, under the ingest's lock)."""

    def __init__(self, library_path: Path, building: Path, generation: int | None) -> None:
        import subprocess

        from curbside.corpus.loaders.medline import worker_command

        self.out = building / ".vocabulary.pickle"
        args = (str(library_path), generation, str(self.out), os.getpid())
        command, env = worker_command(f"from curbside.retrieval.index import count_library_vocabulary; "
                                      f"count_library_vocabulary(*{args!r})")
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)

    def result(self) -> Counter[str]:
        import pickle

        code = self.process.wait()
        if not self.out.is_file():
            raise IngestError(f"the vocabulary worker stopped without a result (exit code {code})")
        with self.out.open("rb") as f:
            result = pickle.load(f)
        self.out.unlink()
        if isinstance(result, str):
            raise IngestError(f"{result}; run the command again")
        return Counter(result)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _finish(data_dir: Path, building: Path, vectors: _VectorRows, settings: Settings, counts: dict[str, Any],
            embedder: Embedder | None, *,
            started: float, say: Callable[[str], None], kind: str, corpus_snapshot: str, rebuild_command: str,
            library_generation: int | None = None, **state: Any) -> Manifest:
    """Write the vectors and the manifest (last: its presence marks the build complete), and switch it in."""
    n_vectors = len(vectors)
    full_codes = [code for code, doc_type in enumerate(DOC_TYPE_CODES) if str(doc_type) in settings.embedding.embed_doc_types]
    if n_vectors:
        # + HNSW past ann_min_vectors
        VectorIndex(np.asarray(vectors.vectors), vectors.keys).save(building, settings.embedding)
        np.save(building / "vector_doc_types.npy", vectors.types.astype(np.int8))
        np.save(building / "vector_years.npy", vectors.years.astype(np.int32))
    if embedder is not None:
        # The fast query encoder (cached under cache/onnx/); without it queries load torch, which works but is slow.
        try:
            queries = settings.embedding.for_queries()
            if n_vectors:  # without vectors no query is embedded
                build_onnx_encoder(data_dir, queries, embedder if queries == settings.embedding else None)
        except Exception as exc:  # noqa: BLE001 - optional: onnx missing, or an export that does not match
            say(f"No ONNX query encoder ({exc}); queries will load torch")
    counts = {
        "documents": counts["documents"],
        "passages": counts["passages"],
        "vectors": n_vectors,
        "full_passage_vectors": int(np.isin(vectors.types, full_codes).sum()) if n_vectors else 0,
        "documents_by_type": counts["documents_by_type"],
    }
    manifest = Manifest(
        kind=kind,
        corpus_snapshot=corpus_snapshot,
        rebuild_command=rebuild_command,
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        settings={"ingest": settings.ingest.model_dump(), "embedding": settings.embedding.model_dump(mode="json")},
        counts=counts,
        files=_file_sizes(building),
        build_seconds=round(time.monotonic() - started, 1),
        library_generation=library_generation,
        embedding_cache_mark=vectors.cache_mark,
        **state,
    )
    manifest.write(building / "manifest.json")  # last: its presence marks the build complete

    switch_into_place(building, index_dir(data_dir))
    return manifest


# Files tantivy rewrites (atomically, but a copy costs nothing and keeps the live index out of reach); lock files
# are its writer's own.
_TANTIVY_COPIED = ("meta.json", ".managed.json")


def _link_tree(live: Path, building: Path) -> None:
    """Hard-link the files of tantivy's folder ``live`` into ``building`` (copy where links are impossible, and
    copy the files tantivy rewrites)."""
    building.mkdir()
    for path in sorted(live.iterdir()):
        if not path.is_file() or path.name.endswith(".lock"):
            continue
        target = building / path.name
        if path.name in _TANTIVY_COPIED:
            shutil.copy2(path, target)
            continue
        try:
            os.link(path, target)
        except OSError:  # a file system without hard links (or across devices)
            shutil.copy2(path, target)


def _copy_sqlite(live: Path, building: Path) -> None:
    """A consistent copy of a SQLite file (the backup API: pages, not a byte copy of a file in use)."""
    source = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    target = sqlite3.connect(building)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _update_and_switch(
    data_dir: Path,
    documents: Iterable[Document],
    changed: list[str],
    live: Manifest,
    settings: Settings,
    *,
    progress: Progress | None = None,
    embed: bool = True,
    drug_names: Iterable[tuple[str, str]] = (),
    mesh_names: Iterable[tuple[str, str]] = (),
    **describe: Any,
) -> Manifest:
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    live_dir = index_dir(data_dir)
    building = _fresh_building(data_dir)
    _link_tree(live_dir / "tantivy", building / "tantivy")
    _copy_sqlite(live_dir / "metadata.sqlite", building / "metadata.sqlite")
    store = MetadataStore(building / "metadata.sqlite", readonly=False)
    lexical = LexicalIndexWriter(building / "tantivy", existing=True)
    collector: _VectorCollector | None = None
    try:
        store.fast_writes()
        removed = store.remove_documents(changed)
        for doc_id in changed:
            lexical.delete_document(doc_id)
        removed_keys = np.asarray(sorted(key for r in removed for key, _s, _t in r.passages), dtype=np.int64)
        by_type: Counter[str] = Counter(live.counts.get("documents_by_type", {}))
        vocabulary: Counter[str] = Counter()
        for r in removed:
            by_type[r.doc_type] -= 1
            for _key, section, text in r.passages:
                vocabulary.update(passage_words(r.title, section, text))

        embedder = Embedder(settings.embedding) if settings.embedding.enabled else None
        collector = _VectorCollector(data_dir, embedder, embed=embed, say=say) if embedder is not None else None
        added = _Additions(store, lexical, settings, collector)
        next_key = int(live.next_passage_key or 1)
        for doc in documents:
            added.add(doc, first_passage_key=next_key)
            next_key += len(doc.passages)
        added.vocabulary.subtract(vocabulary)
        store.update_vocabulary(added.vocabulary)
        store.replace_lexicon(drug_names, mesh_names)
        store.commit()
        store.close()
        lexical.commit()
        by_type.update(added.by_type)
        say(f"Lexical index updated: {len(removed)} documents removed, {added.n_docs} added "
            f"({time.monotonic() - started:.1f} s)")

        vectors = _VectorRows.none()
        if collector is not None:
            old = _VectorRows.load(live_dir)
            keep = ~np.isin(old.keys, removed_keys)
            new = collector.rows()
            vectors = _VectorRows(np.concatenate([np.asarray(old.vectors[keep]), new.vectors]).astype(np.float32, copy=False),
                                  np.concatenate([old.keys[keep], new.keys]), np.concatenate([old.types[keep], new.types]),
                                  np.concatenate([old.years[keep], new.years]), new.cache_mark)
        n_removed_passages = len(removed_keys)
        counts = {"documents": int(live.counts["documents"]) - len(removed) + added.n_docs,
                  "passages": int(live.counts["passages"]) - n_removed_passages + added.n_passages,
                  "documents_by_type": {t: n for t, n in sorted(by_type.items()) if n > 0}}
        return _finish(data_dir, building, vectors, settings, counts, embedder, started=started, say=say,
                       refresh="incremental", next_passage_key=next_key,
                       lexical_deleted_passages=live.lexical_deleted_passages + n_removed_passages, **describe)
    except BaseException:
        lexical.abort()
        store.close()
        raise
    finally:
        if collector is not None:
            collector.close()


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


def refresh_index(data_dir: Path, settings: Settings, *, embed: bool = True, progress: Progress | None = None,
                  full: bool = False, prepared: FullBuild | None = None) -> Manifest:
    """Bring the index of ``data_dir`` up to date with its document library (:mod:`curbside.corpus.library`),
    beside the live one and switched in atomically: incrementally (:func:`update_index`: only the documents
    changed since the index's library generation) when it can, else by a full rebuild (:func:`build_index`);
    ``full`` forces the rebuild, and :func:`incremental_plan` says when one is needed. The manifest's
    ``refresh`` says which was done. With ``embed``, passages without a cached vector are embedded (and cached);
    without it, only vectors already in ``DATA_DIR/cache/embeddings.sqlite`` are attached (the embedding stage,
    ``curbside embed``, fills the cache and then calls this). ``prepared``: a :class:`FullBuild` fed while the
    library was written, finished instead of a rebuild when a full one is due and it holds exactly the library's
    documents (else it is removed)."""
    from curbside.corpus.library import Library

    say = progress or (lambda _msg: None)
    with Library(data_dir) as library:
        seed_library_from_index(library, data_dir)
        kind = library.kind()
        base_command = library.base_command
        command = (base_command if base_command and kind == library.base_kind
                   else f"curbside --data-dir {data_dir} ingest refresh")
        describe: dict[str, Any] = dict(
            kind=kind, corpus_snapshot=library.snapshot(), rebuild_command=command,
            drug_names=library.drug_names(), mesh_names=library.mesh_names(), progress=progress, embed=embed,
            library_generation=library.generation,
        )
        plan = _Refusal("a full rebuild was asked for") if full else incremental_plan(data_dir, library, settings, embed)
        if prepared is not None and not (isinstance(plan, _Refusal) and prepared.complete
                                         and prepared.documents == library.count()):
            prepared.abort()
            prepared = None
        if isinstance(plan, _Refusal) and prepared is not None:
            say(f"Full build of the index, made while the library was written: {plan.reason}")
            for name in ("embed", "progress"):  # the build's own, from its start
                describe.pop(name)
            manifest = _guarded(data_dir, command, lambda: prepared.finish(**describe))  # type: ignore[union-attr]
        elif isinstance(plan, _Refusal):
            say(f"Full rebuild of the index: {plan.reason}")
            if library.count() >= VOCABULARY_WORKER_MIN_DOCUMENTS:
                describe["vocabulary_from"] = library.path
            manifest = build_index(data_dir, library.iter_documents(), settings, **describe)
        else:
            live, changed = plan
            say(f"Incremental refresh: {len(changed)} documents changed since the index was built")
            manifest = update_index(data_dir, library.documents(changed), changed, live, settings, **describe)
        if manifest.library_generation is not None:
            library.forget_changes(manifest.library_generation)  # the live index is at least this recent now
        return manifest


@dataclass(frozen=True)
class _Refusal:
    reason: str


def incremental_plan(data_dir: Path, library: Any, settings: Settings,
                     embed: bool) -> tuple[Manifest, list[str]] | _Refusal:
    """The live manifest and the doc_ids changed since it was built, when an incremental refresh gives what a
    full rebuild from the library would; else why not (a :class:`_Refusal`)."""
    manifest_path = index_dir(data_dir) / "manifest.json"
    if not manifest_path.is_file():
        return _Refusal("there is no complete index")
    try:
        Index(data_dir, settings).close()  # complete, undamaged and of this format
        live = Manifest.read(manifest_path)
    except (CurbsideError, ValueError, TypeError, OSError) as exc:
        return _Refusal(f"the live index cannot be updated ({str(exc).split('. ')[0]})")
    if live.library_generation is None or live.next_passage_key is None:
        return _Refusal("the index was built before incremental refresh existed (it has no library generation or "
                        "no doc-id field)")
    if live.library_generation == library.generation:
        return _Refusal("nothing changed in the library since the index was built")
    changed = library.changed_since(live.library_generation)
    if changed is None:
        return _Refusal("the library's change log does not reach back to the index's generation")
    if live.settings.get("embedding") != settings.embedding.model_dump(mode="json"):
        return _Refusal("the embedding settings changed")
    counts = live.counts
    if settings.embedding.enabled and counts.get("vectors", 0) < counts.get("passages", 0):
        if embed:
            return _Refusal("embedding was asked for and passages of the index have no vector")
        cache_path = data_dir / "cache" / "embeddings.sqlite"
        if cache_path.is_file():
            cache = EmbeddingCache(cache_path)
            try:
                grown = cache.last_rowid() > live.embedding_cache_mark
            finally:
                cache.close()
            if grown:
                return _Refusal("the embedding cache gained vectors since the index was built")
    share = settings.ingest.incremental_max_changed_share
    documents = max(int(counts.get("documents", 0)), library.count(), 1)
    if len(changed) > share * documents:
        return _Refusal(f"{len(changed)} of {documents} documents changed (more than {share:.0%})")
    deleted_share = settings.ingest.incremental_max_deleted_share
    if live.lexical_deleted_passages > deleted_share * max(int(counts.get("passages", 0)), 1):
        return _Refusal(f"{live.lexical_deleted_passages} passages deleted since the last full build still count "
                        f"in the BM25 statistics (more than {deleted_share:.0%})")
    return live, changed


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

"""The document library: every document ever ingested into a data directory, by doc_id (``DATA_DIR/library.sqlite``).

The index (``DATA_DIR/index/``) is built from the library, never from the loaders directly, so sources add up:
``ingest starter`` fills the library with the starter corpus, a later ``ingest medline`` adds PubMed citations
to it, and the index is rebuilt from everything the library holds (:func:`curbside.retrieval.index.refresh_index`).

Properties (docs/ingestion.md):

- **idempotent**: a document is stored with a SHA-256 of its canonical JSON; the same content again is
  *unchanged* and changes nothing; a newer version replaces the older one (versions compared as numbers when
  both are numbers; an older version is *skipped*); the same version with other content replaces it (MEDLINE
  update files re-issue revised citations under the same version);
- **crash-safe**: items are written in transactions of ``batch`` items (SQLite WAL); a killed ingest keeps the
  batches it committed and a rerun finds them *unchanged*, so the result equals an uninterrupted run;
- **logged**: each committed change names its doc_ids in a change log (``changes``), so an index built at an
  earlier generation can be brought up to date from what changed since (an incremental refresh);
- **ordered**: the index is built in a stable order (the documents of the last base ingest in their order,
  then the others in order of first arrival), so passage keys, and ties broken by them, are reproducible.

*Base* ingests (``starter``, ``bioasq``) replace the base corpus: with ``replace=True``, documents that an
earlier base ingest wrote and this one did not give are removed at the end (documents from other sources stay).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from curbside.corpus.documents import RETRACTED, DocType, Document, Passage

LIBRARY_FILE = "library.sqlite"
BODY_COMPRESSION = 1  # zlib level of the stored bodies: 3% larger than level 6 and cheaper to write (docs/benchmarks.md)
BASE_SOURCES = ("starter", "bioasq")  # ingests that replace the base corpus rather than add to it

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,          -- order of first arrival
    base_position INTEGER,         -- position in the last base ingest; NULL for documents of other sources
    base_run INTEGER,              -- the base ingest run that last gave it
    origin TEXT NOT NULL,          -- the ingest that last wrote it: starter, bioasq, medline, pubmed, ...
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pmid TEXT,
    pmcid TEXT,
    flags TEXT NOT NULL,
    body BLOB NOT NULL             -- zlib(canonical JSON of the Document)
);
CREATE INDEX IF NOT EXISTS documents_order ON documents((base_position IS NULL), base_position, seq);
CREATE INDEX IF NOT EXISTS documents_seq ON documents(seq);
CREATE INDEX IF NOT EXISTS documents_pmid ON documents(pmid);
CREATE INDEX IF NOT EXISTS documents_pmcid ON documents(pmcid);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drug_names (brand TEXT NOT NULL, generic TEXT NOT NULL, PRIMARY KEY (brand, generic));
CREATE TABLE IF NOT EXISTS mesh_names (ui TEXT PRIMARY KEY, name TEXT NOT NULL);
-- The change log: every doc_id added, replaced or deleted, with the generation that committed it. An index
-- built at generation G is brought up to date from the doc_ids of the rows above G (an incremental refresh).
CREATE TABLE IF NOT EXISTS changes (generation INTEGER NOT NULL, doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_generation ON changes(generation);
CREATE TABLE IF NOT EXISTS files (
    digest TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL, items INTEGER NOT NULL, completed_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Deletion:
    """A document to remove (MEDLINE ``DeleteCitation``, a withdrawn record)."""

    doc_id: str


@dataclass(frozen=True, slots=True)
class Encoded:
    """A document in the form the library stores it (canonical JSON's SHA-256, zlib body, the indexed columns):
    made where the document was parsed (a parse worker, :mod:`curbside.corpus.loaders.medline`), so the process
    writing the library only writes. :meth:`Library.ingest` takes these as it takes Documents. ``values`` (when
    asked for) is the document as plain values (:func:`document_values`), so that an index built while the
    library is written takes it without decoding the body again."""

    doc_id: str
    version: str
    pmid: str | None
    pmcid: str | None
    flags: tuple[str, ...]
    content_hash: str
    body: bytes  # zlib(canonical JSON)
    values: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, doc: Document, *, values: bool = False) -> Encoded:
        raw = document_to_json(doc)
        return cls(doc.doc_id, doc.version, doc.pmid, doc.pmcid, tuple(doc.flags), hashlib.sha256(raw).hexdigest(),
                   zlib.compress(raw, BODY_COMPRESSION), document_values(doc) if values else None)

    def document(self) -> Document:
        """The document (from ``values`` when it has them, else from the body)."""
        if self.values is not None:
            return document_from_values(self.values)
        return document_from_json(zlib.decompress(self.body))

    def __reduce__(self) -> tuple[Any, ...]:
        # Plain positional values: the dataclass's own pickling looks its fields up for every object.
        return (Encoded, (self.doc_id, self.version, self.pmid, self.pmcid, self.flags, self.content_hash, self.body,
                          self.values))


@dataclass
class _Stored:
    """What a batch needs to know of a stored document (its body is never read back to decide)."""

    seq: int
    base_position: int | None
    base_run: int | None
    version: str
    content_hash: str


@dataclass
class _Added:
    """The documents one batch added (in arrival order), and whether that was all it changed."""

    documents: list[Document | Encoded] = field(default_factory=list)
    only_added: bool = True


@dataclass
class IngestCounts:
    """What one ingest did to the library, item by item."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    retracted: int = 0  # added or updated documents that carry the "retracted" flag
    skipped: int = 0  # an older version than the one stored

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    @property
    def items(self) -> int:
        return self.added + self.updated + self.unchanged + self.deleted + self.skipped

    def add(self, other: IngestCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))
_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


def document_to_json(doc: Document) -> bytes:
    """The canonical JSON of a document (sorted keys, no spaces, UTF-8): what is stored and hashed. Built field by
    field (the same bytes as ``dataclasses.asdict``, which deep-copies every value and took two thirds of the
    library stage's time), written by orjson: the same bytes as ``json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` (tested), at half the cost; what orjson refuses goes to ``json``,
    which gives the bytes or the error it always gave."""
    data: dict[str, Any] = {name: getattr(doc, name) for name in _DOCUMENT_FIELDS}
    data["passages"] = [{name: getattr(p, name) for name in _PASSAGE_FIELDS} for p in doc.passages]
    data["doc_type"] = str(doc.doc_type)
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def document_values(doc: Document) -> tuple[Any, ...]:
    """A document as a tuple of plain values (strings, numbers, tuples): cheap to pickle and to turn back into the
    same Document (:func:`document_from_values`)."""
    return (doc.doc_id, doc.source, doc.title, str(doc.doc_type), doc.year, doc.organization, doc.url, doc.pmid,
            doc.pmcid, doc.doi, doc.license, doc.version, tuple(doc.flags), doc.grade_scheme, doc.key_text,
            tuple(doc.authors), tuple(doc.mesh_terms), tuple(doc.keywords), tuple(doc.publication_types),
            tuple((p.passage_id, p.ordinal, p.section, p.text, p.grade) for p in doc.passages))


def document_from_values(values: tuple[Any, ...]) -> Document:
    (doc_id, source, title, doc_type, year, organization, url, pmid, pmcid, doi, license_, version, flags, grade_scheme,
     key_text, authors, mesh_terms, keywords, publication_types, passages) = values
    return Document(doc_id, source, title, DocType(doc_type), year, organization, url, pmid, pmcid, doi, license_,
                    version, flags, grade_scheme, key_text,
                    [Passage(passage_id, doc_id, ordinal, section, text, grade)
                     for passage_id, ordinal, section, text, grade in passages],
                    authors, mesh_terms, keywords, publication_types)


def document_from_json(raw: bytes) -> Document:
    data: dict[str, Any] = orjson.loads(raw)
    passages = [Passage(**p) for p in data.pop("passages", [])]
    known = {f.name for f in fields(Document)}
    values = {k: v for k, v in data.items() if k in known}
    for name in ("flags", "authors", "mesh_terms", "keywords", "publication_types"):
        if name in values:
            values[name] = tuple(values[name])
    values["doc_type"] = DocType(values["doc_type"])
    return Document(**values, passages=passages)


def _as_number(version: str) -> float | None:
    try:
        return float(version)
    except (TypeError, ValueError):
        return None


def is_older(version: str, than: str) -> bool:
    """True when ``version`` is an older version than ``than`` (compared as numbers when both are numbers)."""
    a, b = _as_number(version), _as_number(than)
    return a is not None and b is not None and a < b


class Library:
    """``DATA_DIR/library.sqlite``: every ingested document, by doc_id."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LIBRARY_FILE
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
        if self._meta("changes_from") is None:  # a library from before the change log: it starts now
            with self._transaction():
                if self._meta("changes_from") is None:
                    self._set_meta("changes_from", str(self.generation))

    @staticmethod
    def exists(data_dir: Path) -> bool:
        return (Path(data_dir) / LIBRARY_FILE).is_file()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- meta -------------------------------------------------------------------------------------
    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    @property
    def generation(self) -> int:
        """Goes up with every committed change: an index built at this generation is up to date."""
        return int(self._meta("generation", "0") or 0)

    # --- writing ----------------------------------------------------------------------------------
    def ingest(
        self,
        items: Iterable[Document | Encoded | Deletion],
        *,
        source: str,
        progress: Callable[[int], None] | None = None,
        replace: bool = False,
        batch: int = 500,
        on_batch: Callable[[list[Document | Encoded], bool], None] | None = None,
    ) -> IngestCounts:
        """Upsert documents and apply deletions, ``batch`` items a transaction; returns what changed.

        ``source`` names the ingest ("starter", "medline", ...). With ``replace`` (the base ingests), documents
        an earlier base ingest gave that this one does not are removed once every item is in.
        ``progress`` is called with the number of items handled so far after each batch.
        Each batch is looked up with one query and written with one statement per kind of change; items apply
        in their order (a citation and its deletion in one batch end deleted).
        ``on_batch`` is called after each commit with the documents the batch added, in arrival order, and whether
        that was all it changed (no document replaced, deleted, skipped or given again): what an index built beside
        a fresh library needs (:class:`curbside.retrieval.index.FullBuild`).
        """
        counts = IngestCounts()
        next_seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]) + 1
        run = int(self._meta("runs", "0") or 0) + 1
        position = 0
        handled = 0
        chunk: list[Document | Encoded | Deletion] = []
        added = _Added()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if replace:
                self._set_meta("runs", str(run))
            for item in items:
                chunk.append(item)
                if len(chunk) < batch:
                    continue
                next_seq, position = self._apply(chunk, counts, source, next_seq, position, run if replace else None,
                                                 added)
                handled += len(chunk)
                chunk = []
                self._db.execute("COMMIT")
                if on_batch:
                    on_batch(added.documents, added.only_added)
                added = _Added()
                if progress:
                    progress(handled)
                self._db.execute("BEGIN IMMEDIATE")
            next_seq, position = self._apply(chunk, counts, source, next_seq, position, run if replace else None,
                                             added)
            handled += len(chunk)
            if replace:
                placeholders = ",".join("?" * len(BASE_SOURCES))
                gone = [r[0] for r in self._db.execute(
                    f"SELECT doc_id FROM documents WHERE base_position IS NOT NULL AND base_run IS NOT ? "
                    f"AND origin IN ({placeholders})", (run, *BASE_SOURCES))]
                self._db.executemany("DELETE FROM documents WHERE doc_id=?", [(d,) for d in gone])
                self._db.execute("UPDATE documents SET base_position=NULL WHERE base_run IS NOT ?", (run,))
                counts.deleted += len(gone)
                self._log_changes(gone)
                added.only_added = added.only_added and not gone
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if on_batch:
            on_batch(added.documents, added.only_added)
        if progress:
            progress(handled)
        return counts

    def _apply(self, chunk: list[Document | Encoded | Deletion], counts: IngestCounts, source: str, next_seq: int,
               position: int, run: int | None, added: _Added) -> tuple[int, int]:
        """Apply one batch inside the open transaction: one SELECT of its doc_ids, then the writes (the documents
        added are listed in ``added``). Returns the next arrival number and base position."""
        if not chunk:
            return next_seq, position
        ids = list(dict.fromkeys(item.doc_id for item in chunk))
        stored: dict[str, _Stored | None] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for row in self._db.execute(
                "SELECT doc_id, seq, base_position, base_run, version, content_hash FROM documents "
                f"WHERE doc_id IN ({','.join('?' * len(part))})", part,
            ):
                stored[row[0]] = _Stored(int(row[1]), row[2], row[3], row[4], row[5])
        written: dict[str, tuple[Any, ...] | None] = {}  # doc_id -> its new row, or None: deleted
        placed: dict[str, tuple[int, int]] = {}  # base ingests: (position, run) of documents not rewritten
        for item in chunk:
            doc_id = item.doc_id
            current = stored.get(doc_id)
            if isinstance(item, Deletion):
                if current is None:
                    counts.unchanged += 1
                    continue
                added.only_added = False
                stored[doc_id] = None
                written[doc_id] = None
                placed.pop(doc_id, None)
                counts.deleted += 1
                continue
            encoded = item if isinstance(item, Encoded) else Encoded.of(item)
            content_hash = encoded.content_hash
            item_position = position if run is not None else None
            position += 1
            if current is None:
                outcome = "added"
                current = _Stored(next_seq, item_position, run, item.version, content_hash)
                next_seq += 1
            else:
                if run is not None:  # a base ingest gives this document: it takes its place in the base order
                    current.base_position, current.base_run = item_position, run
                    placed[doc_id] = (item_position, run)  # type: ignore[assignment]
                if is_older(item.version, current.version):
                    outcome = "skipped"
                elif current.content_hash == content_hash:
                    outcome = "unchanged"
                else:
                    outcome = "updated"
                    current.version, current.content_hash = item.version, content_hash
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            if outcome == "added":
                added.documents.append(item)
            else:
                added.only_added = False
            if outcome in ("added", "updated"):
                stored[doc_id] = current
                written[doc_id] = (doc_id, current.seq, source, item.version, content_hash, item.pmid, item.pmcid,
                                   json.dumps(list(item.flags)), encoded.body)
                if RETRACTED in item.flags:
                    counts.retracted += 1
        if written:
            self._db.executemany("DELETE FROM documents WHERE doc_id=?", [(d,) for d, row in written.items() if row is None])
            self._db.executemany(
                "INSERT OR REPLACE INTO documents (doc_id, seq, base_position, base_run, origin, version, content_hash, "
                "pmid, pmcid, flags, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(row[0], row[1], stored[d].base_position, stored[d].base_run, *row[2:])  # type: ignore[union-attr]
                 for d, row in written.items() if row is not None],
            )
            self._log_changes(written)
        self._db.executemany(
            "UPDATE documents SET base_position=?, base_run=? WHERE doc_id=?",
            [(pos, r, d) for d, (pos, r) in placed.items() if written.get(d) is None and stored.get(d) is not None],
        )
        return next_seq, position

    def _log_changes(self, doc_ids: Iterable[str]) -> None:
        """Record changed doc_ids under the generation this transaction commits, and move the generation on."""
        rows = [(d,) for d in doc_ids]
        if not rows:
            return
        generation = self.generation + 1
        self._db.executemany(f"INSERT INTO changes VALUES ({generation}, ?)", rows)
        self._set_meta("generation", str(generation))

    def set_lexicon(self, drug_names: Iterable[tuple[str, str]], mesh_names: Iterable[tuple[str, str]]) -> None:
        """The brand/generic and MeSH names the index's lexicon is built from (replaced by each base ingest)."""
        drugs, mesh = sorted(set(drug_names)), list(mesh_names)
        with self._transaction():
            current = self._db.execute("SELECT brand, generic FROM drug_names ORDER BY brand, generic").fetchall()
            current_mesh = self._db.execute("SELECT ui, name FROM mesh_names ORDER BY ui").fetchall()
            if [tuple(r) for r in current] == drugs and [tuple(r) for r in current_mesh] == sorted(set(mesh)):
                return
            self._db.execute("DELETE FROM drug_names")
            self._db.execute("DELETE FROM mesh_names")
            self._db.executemany("INSERT OR IGNORE INTO drug_names VALUES (?,?)", drugs)
            self._db.executemany("INSERT OR IGNORE INTO mesh_names VALUES (?,?)", mesh)
            self._set_meta("generation", str(self.generation + 1))

    def set_base(self, kind: str, snapshot: str, rebuild_command: str) -> None:
        """Record the last base ingest: its kind, its corpus snapshot id and the command that repeats it."""
        with self._transaction():
            if (self._meta("base_kind"), self._meta("base_snapshot")) != (kind, snapshot):
                self._set_meta("generation", str(self.generation + 1))
            self._set_meta("base_kind", kind)
            self._set_meta("base_snapshot", snapshot)
            self._set_meta("base_command", rebuild_command)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # --- files (a completed file is not read again) ------------------------------------------------
    def file_done(self, digest: str) -> int | None:
        """The number of items of a file (by content digest) whose ingest completed, or None."""
        row = self._db.execute("SELECT items FROM files WHERE digest=?", (digest,)).fetchone()
        return int(row[0]) if row else None

    def mark_file(self, digest: str, name: str, source: str, items: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)",
                (digest, name, source, items, datetime.now(UTC).replace(microsecond=0).isoformat()),
            )

    # --- reading ----------------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute("SELECT body FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return document_from_json(zlib.decompress(row[0])) if row else None

    def lookup(self, identifier: str) -> Document | None:
        """A document by doc_id, bare PMID ("PMID:" prefix allowed) or PMCID."""
        key = identifier.strip()
        doc = self.document(key)
        if doc is not None:
            return doc
        bare = key.split(":", 1)[1].strip() if key.lower().startswith("pmid:") else key
        for column, value in (("pmid", bare), ("pmcid", key.upper() if key.upper().startswith("PMC") else f"PMC{key}")):
            row = self._db.execute(f"SELECT body FROM documents WHERE {column}=? ORDER BY seq LIMIT 1", (value,)).fetchone()
            if row:
                return document_from_json(zlib.decompress(row[0]))
        return None

    def iter_documents(self) -> Iterator[Document]:
        """Every document, in index order: the last base ingest's in its order, then the others by arrival."""
        cursor = self._db.execute(
            "SELECT body FROM documents ORDER BY (base_position IS NULL), base_position, seq"
        )
        while rows := cursor.fetchmany(256):
            for (body,) in rows:
                yield document_from_json(zlib.decompress(body))

    def documents(self, doc_ids: Iterable[str]) -> Iterator[Document]:
        """The stored documents among ``doc_ids``, in index order (those not stored are left out)."""
        ids = sorted(set(doc_ids))
        rows: list[tuple[int, int, int, bytes]] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows += self._db.execute(
                "SELECT base_position IS NULL, COALESCE(base_position, 0), seq, body FROM documents "
                f"WHERE doc_id IN ({','.join('?' * len(part))})", part,
            ).fetchall()
        for *_order, body in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
            yield document_from_json(zlib.decompress(body))

    def changed_since(self, generation: int) -> list[str] | None:
        """The doc_ids added, replaced or deleted after ``generation`` (sorted), or None when the change log does
        not reach back that far (it starts where the last refreshed index was built, or where it was created)."""
        if generation < int(self._meta("changes_from", "0") or 0) or generation > self.generation:
            return None
        rows = self._db.execute("SELECT DISTINCT doc_id FROM changes WHERE generation > ? ORDER BY doc_id", (generation,))
        return [r[0] for r in rows]

    def forget_changes(self, generation: int) -> None:
        """Drop the change log up to ``generation`` (an index built at it is live: nothing older is needed)."""
        with self._transaction():
            if generation > int(self._meta("changes_from", "0") or 0):
                self._db.execute("DELETE FROM changes WHERE generation <= ?", (generation,))
                self._set_meta("changes_from", str(generation))

    def origin_of(self, doc_id: str) -> str | None:
        row = self._db.execute("SELECT origin FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def counts_by_origin(self) -> dict[str, int]:
        rows = self._db.execute("SELECT origin, COUNT(*) FROM documents GROUP BY origin ORDER BY origin")
        return {r[0]: int(r[1]) for r in rows}

    def drug_names(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._db.execute("SELECT brand, generic FROM drug_names ORDER BY brand, generic")]

    def mesh_names(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._db.execute("SELECT ui, name FROM mesh_names ORDER BY ui")]

    @property
    def base_kind(self) -> str | None:
        return self._meta("base_kind")

    @property
    def base_command(self) -> str | None:
        return self._meta("base_command")

    def kind(self) -> str:
        """What the library holds: the base kind, then the other sources ("starter+medline")."""
        origins = list(self.counts_by_origin())
        base = self.base_kind
        first = [base] if base and base in origins else []
        return "+".join(first + [o for o in origins if o not in first]) or (base or "empty")

    def snapshot(self) -> str:
        """The corpus snapshot id of an index built from the library: the base ingest's own id while the library
        holds nothing else; else ``library-<12 hex>``, a SHA-256 over every (doc_id, content hash) in doc_id order,
        the lexicon and the base snapshot (so the same documents give the same id however they arrived)."""
        base, base_snapshot = self.base_kind, self._meta("base_snapshot")
        origins = set(self.counts_by_origin())
        if base and base_snapshot and origins <= {base}:
            return base_snapshot
        digest = hashlib.sha256(f"{base_snapshot or ''}\n".encode())
        for doc_id, content_hash in self._db.execute("SELECT doc_id, content_hash FROM documents ORDER BY doc_id"):
            digest.update(f"{doc_id}\t{content_hash}\n".encode())
        for brand, generic in self.drug_names():
            digest.update(f"drug\t{brand}\t{generic}\n".encode())
        for ui, name in self.mesh_names():
            digest.update(f"mesh\t{ui}\t{name}\n".encode())
        return f"library-{digest.hexdigest()[:12]}"


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")

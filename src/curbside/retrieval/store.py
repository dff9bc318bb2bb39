"""Document and passage metadata in SQLite, plus the lexicon (drug names, MeSH names) built at ingest.

The lexical and vector indexes hold only integer passage keys; this store turns them back into
Documents and Passages. Reads use one connection per store; SQLite is opened read-only for search.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from curbside.corpus.documents import DocType, Document, Passage

_SCHEMA = """
CREATE TABLE documents (
    doc_key INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    year INTEGER,
    organization TEXT,
    url TEXT,
    pmid TEXT,
    pmcid TEXT,
    doi TEXT,
    license TEXT,
    version TEXT NOT NULL,
    flags TEXT NOT NULL,
    grade_scheme TEXT,
    key_text TEXT
);
CREATE TABLE passages (
    passage_key INTEGER PRIMARY KEY,
    passage_id TEXT NOT NULL UNIQUE,
    doc_key INTEGER NOT NULL REFERENCES documents(doc_key),
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    grade TEXT
);
CREATE INDEX passages_doc ON passages(doc_key, ordinal);
CREATE TABLE drug_names (brand TEXT NOT NULL, generic TEXT NOT NULL, PRIMARY KEY (brand, generic));
CREATE TABLE mesh_names (ui TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE vocabulary (term TEXT PRIMARY KEY, df INTEGER NOT NULL);
"""

_DOC_COLUMNS = (
    "doc_key, doc_id, source, title, doc_type, year, organization, url, pmid, pmcid, doi, license, "
    "version, flags, grade_scheme, key_text"
)


@dataclass(frozen=True)
class RemovedDocument:
    """A document removed from the store: its title, type and (passage key, section, text) rows."""

    doc_id: str
    title: str
    doc_type: str
    passages: list[tuple[int, str, str]]


class MetadataStore:
    """SQLite file with documents, passages and the lexicon."""

    def __init__(self, path: Path, *, readonly: bool = True) -> None:
        self.path = path
        if readonly:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._doc_cache: dict[int, Document] = {}

    @classmethod
    def create(cls, path: Path) -> MetadataStore:
        store = cls(path, readonly=False)
        store._db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        return store

    def close(self) -> None:
        self._db.close()

    # --- writing (ingest) -------------------------------------------------------------------
    @staticmethod
    def _document_row(doc_key: int | None, doc: Document) -> tuple[object, ...]:
        return (doc_key, doc.doc_id, doc.source, doc.title, str(doc.doc_type), doc.year, doc.organization, doc.url,
                doc.pmid, doc.pmcid, doc.doi, doc.license, doc.version, json.dumps(list(doc.flags)),
                doc.grade_scheme, doc.key_text)

    def add_rows(self, documents: Sequence[tuple[int, Document]], first_passage_key: int) -> None:
        """Insert documents under the keys given (``(doc_key, doc)`` pairs), their passages keyed from
        ``first_passage_key`` on in order: a build from scratch, where these are the keys :meth:`add_document` would
        give one by one (the next rowids), written with one statement per table."""
        self._db.executemany(f"INSERT INTO documents ({_DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             [self._document_row(key, doc) for key, doc in documents])
        passages: list[tuple[object, ...]] = []
        for doc_key, doc in documents:
            for p in doc.passages:
                passages.append((first_passage_key + len(passages), p.passage_id, doc_key, p.ordinal, p.section, p.text,
                                 p.grade))
        self._db.executemany("INSERT INTO passages (passage_key, passage_id, doc_key, ordinal, section, text, grade) "
                             "VALUES (?,?,?,?,?,?,?)", passages)

    def add_document(self, doc: Document, *, first_passage_key: int | None = None) -> list[tuple[int, Passage]]:
        """Insert a document and its passages; returns (passage_key, passage) pairs. Keys are the next rowids,
        or from ``first_passage_key`` on (an incremental refresh: keys never reused)."""
        cur = self._db.execute(f"INSERT INTO documents ({_DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               self._document_row(None, doc))
        doc_key = int(cur.lastrowid or 0)
        keyed: list[tuple[int, Passage]] = []
        for i, p in enumerate(doc.passages):
            key = None if first_passage_key is None else first_passage_key + i
            pcur = self._db.execute(
                "INSERT INTO passages (passage_key, passage_id, doc_key, ordinal, section, text, grade) "
                "VALUES (?,?,?,?,?,?,?)",
                (key, p.passage_id, doc_key, p.ordinal, p.section, p.text, p.grade),
            )
            keyed.append((int(pcur.lastrowid or 0), p))
        return keyed

    def remove_documents(self, doc_ids: Iterable[str]) -> list[RemovedDocument]:
        """Delete documents with their passages; returns what was removed (for the vocabulary and the counts)."""
        removed: list[RemovedDocument] = []
        for doc_id in doc_ids:
            row = self._db.execute("SELECT doc_key, title, doc_type FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
            if row is None:
                continue
            passages = [(int(r[0]), r[1], r[2]) for r in self._db.execute(
                "SELECT passage_key, section, text FROM passages WHERE doc_key=?", (row["doc_key"],))]
            removed.append(RemovedDocument(doc_id, row["title"], row["doc_type"], passages))
            self._db.execute("DELETE FROM passages WHERE doc_key=?", (row["doc_key"],))
            self._db.execute("DELETE FROM documents WHERE doc_key=?", (row["doc_key"],))
        return removed

    def fast_writes(self) -> None:
        """No journal and no syncs: for a store being built beside the live one (a crash discards it whole)."""
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")

    def replace_lexicon(self, drug_names: Iterable[tuple[str, str]], mesh_names: Iterable[tuple[str, str]]) -> None:
        self._db.execute("DELETE FROM drug_names")
        self._db.execute("DELETE FROM mesh_names")
        self.add_drug_names(drug_names)
        self.add_mesh_names(mesh_names)

    def update_vocabulary(self, delta: Mapping[str, int]) -> None:
        """Add ``delta`` to the document frequencies of its terms (negative: passages removed); none below 1."""
        self._db.executemany(
            "INSERT INTO vocabulary VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
            [(term, n) for term, n in delta.items() if n],
        )
        self._db.execute("DELETE FROM vocabulary WHERE df < 1")

    def max_keys(self) -> tuple[int, int]:
        """The highest document and passage keys (0 when empty)."""
        row = self._db.execute("SELECT (SELECT COALESCE(MAX(doc_key), 0) FROM documents), "
                               "(SELECT COALESCE(MAX(passage_key), 0) FROM passages)").fetchone()
        return int(row[0]), int(row[1])

    def add_drug_names(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO drug_names VALUES (?,?)", pairs)

    def add_mesh_names(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO mesh_names VALUES (?,?)", pairs)

    def add_vocabulary(self, counts: Iterable[tuple[str, int]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO vocabulary VALUES (?,?)", counts)

    def vocabulary(self) -> dict[str, int]:
        """Word -> number of passages containing it (words of 2+ passages), for spelling correction. The table
        also keeps the words of one passage, so that an incremental refresh can count on from it."""
        return {r[0]: int(r[1]) for r in self._db.execute("SELECT term, df FROM vocabulary WHERE df >= 2")}

    def commit(self) -> None:
        self._db.commit()

    # --- reading ----------------------------------------------------------------------------
    def _document_from_row(self, row: sqlite3.Row) -> Document:
        return Document(
            doc_id=row["doc_id"], source=row["source"], title=row["title"], doc_type=DocType(row["doc_type"]),
            year=row["year"], organization=row["organization"], url=row["url"], pmid=row["pmid"],
            pmcid=row["pmcid"], doi=row["doi"], license=row["license"], version=row["version"],
            flags=tuple(json.loads(row["flags"])), grade_scheme=row["grade_scheme"], key_text=row["key_text"],
        )

    def document_by_key(self, doc_key: int) -> Document:
        """A document's metadata (passages not loaded); cached, documents are immutable in an index."""
        doc = self._doc_cache.get(doc_key)
        if doc is None:
            row = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_key=?", (doc_key,)).fetchone()
            if row is None:
                raise KeyError(doc_key)
            doc = self._document_from_row(row)
            self._doc_cache[doc_key] = doc
        return doc

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return self._document_from_row(row) if row else None

    def documents_of_type(self, doc_type: DocType) -> list[Document]:
        """The metadata of every document of one type (passages not loaded), in doc_id order."""
        rows = self._db.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_type=? ORDER BY doc_id", (str(doc_type),)
        )
        return [self._document_from_row(row) for row in rows]

    def _passage_rows(self, columns: str, keys: Sequence[int]) -> Iterator[sqlite3.Row]:
        """Rows of ``columns`` (of passages ``p`` joined to their documents ``d``) for these passage keys, 500
        keys a query (SQLite's bound on parameters)."""
        for chunk_start in range(0, len(keys), 500):
            chunk = list(keys[chunk_start : chunk_start + 500])
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(
                f"SELECT {columns} FROM passages p JOIN documents d USING (doc_key) WHERE p.passage_key IN ({marks})",
                chunk,
            )

    def passages_by_keys(self, keys: Sequence[int]) -> dict[int, tuple[Passage, int]]:
        """passage_key -> (Passage, doc_key)."""
        rows = self._passage_rows(
            "p.passage_key, p.passage_id, p.doc_key, p.ordinal, p.section, p.text, p.grade, d.doc_id", keys
        )
        return {
            r["passage_key"]: (Passage(r["passage_id"], r["doc_id"], r["ordinal"], r["section"], r["text"], r["grade"]),
                               r["doc_key"])
            for r in rows
        }

    def passage_texts(self, keys: Sequence[int]) -> list[tuple[int, int, str, str, str]]:
        """(passage_key, doc_key, document title, section, text) of these passages: what search's fusion reads
        of its candidates, without building Passage and Document objects."""
        rows = self._passage_rows("p.passage_key, p.doc_key, d.title, p.section, p.text", keys)
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def passage(self, passage_id: str) -> Passage | None:
        r = self._db.execute(
            "SELECT p.passage_id, d.doc_id, p.ordinal, p.section, p.text, p.grade FROM passages p "
            "JOIN documents d USING (doc_key) WHERE p.passage_id=?",
            (passage_id,),
        ).fetchone()
        return Passage(r[0], r[1], r[2], r[3], r[4], r[5]) if r else None

    def passages_of(self, doc_id: str) -> list[Passage]:
        rows = self._db.execute(
            "SELECT p.passage_id, d.doc_id, p.ordinal, p.section, p.text, p.grade FROM passages p "
            "JOIN documents d USING (doc_key) WHERE d.doc_id=? ORDER BY p.ordinal",
            (doc_id,),
        )
        return [Passage(*r) for r in rows]

    def iter_passages(self) -> Iterator[tuple[int, Passage, Document]]:
        rows = self._db.execute(
            "SELECT passage_key, passage_id, doc_key, ordinal, section, text, grade FROM passages ORDER BY passage_key"
        )
        for r in rows:
            doc = self.document_by_key(r["doc_key"])
            yield r["passage_key"], Passage(r["passage_id"], doc.doc_id, r["ordinal"], r["section"], r["text"], r["grade"]), doc

    def iter_documents(self) -> Iterator[Document]:
        """Every document with its passages, in index order (doc_key)."""
        docs = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY doc_key")
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)  # a second cursor while the first streams
        try:
            while rows := docs.fetchmany(256):
                for row in rows:
                    doc = self._document_from_row(row)
                    for p in reader.execute(
                        "SELECT passage_id, ordinal, section, text, grade FROM passages WHERE doc_key=? ORDER BY ordinal",
                        (row["doc_key"],),
                    ):
                        doc.passages.append(Passage(p[0], doc.doc_id, p[1], p[2], p[3], p[4]))
                    yield doc
        finally:
            reader.close()

    def brands_of(self, generic: str) -> list[str]:
        """Lower-case brands the Drugs@FDA table maps to ``generic`` (matched case-insensitively)."""
        rows = self._db.execute("SELECT brand FROM drug_names WHERE lower(generic)=? ORDER BY brand", (generic.lower(),))
        return [r[0].lower() for r in rows]

    def label_passages(self, generic: str, section: str) -> list[tuple[Document, Passage]]:
        """Passages of ``section`` (or its subsections, "section > ...") of the drug labels whose title names
        ``generic`` or one of its brands as whole words; labels in doc_id order, passages in text order."""
        names = [generic.lower(), *self.brands_of(generic)]
        patterns = [re.compile(rf"(?<!\w){re.escape(name)}(?!\w)") for name in names]
        rows = self._db.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_type=? ORDER BY doc_id", (str(DocType.DRUG_LABEL),)
        )
        labels = [row for row in rows if any(p.search(row["title"].lower()) for p in patterns)]
        out: list[tuple[Document, Passage]] = []
        for row in labels:
            doc = self._document_from_row(row)
            passages = self._db.execute(
                "SELECT passage_id, ordinal, section, text, grade FROM passages "
                "WHERE doc_key=? AND (section=? OR substr(section, 1, ?)=?) ORDER BY ordinal",
                (row["doc_key"], section, len(section) + 2, f"{section} >"),
            )
            out.extend((doc, Passage(p[0], doc.doc_id, p[1], p[2], p[3], p[4])) for p in passages)
        return out

    def drug_names(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._db.execute("SELECT brand, generic FROM drug_names ORDER BY brand, generic")]

    def mesh_name_pairs(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._db.execute("SELECT ui, name FROM mesh_names ORDER BY ui")]

    def mesh_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM mesh_names ORDER BY ui")]

    def counts(self) -> dict[str, int]:
        docs = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        passages = self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return {"documents": int(docs), "passages": int(passages)}

    def counts_by_doc_type(self) -> dict[str, int]:
        rows = self._db.execute("SELECT doc_type, COUNT(*) FROM documents GROUP BY doc_type ORDER BY doc_type")
        return {r[0]: int(r[1]) for r in rows}

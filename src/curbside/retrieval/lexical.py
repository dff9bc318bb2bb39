"""BM25 search with tantivy. The schema is defined here, once, and versioned with the index.

Each tantivy document is one passage: its integer key (into the metadata store), the document's
title and type, its year, the passage's section heading and text. Title and section are indexed
apart so they can be boosted; type and year serve as filters. The document's id (``doc_id``, one raw term)
lets an incremental refresh delete a document's passages (:func:`curbside.retrieval.index.refresh_index`);
an index written before it had that field is searched as before and rebuilt in full at its next refresh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

LEXICAL_SCHEMA_VERSION = 1
TEXT_FIELDS = ("title", "section", "body")
FIELD_BOOSTS = {"title": 1.5, "section": 1.2, "body": 1.0}
DOC_ID_FIELD = "doc_id"  # one raw term a passage: what deletes a document's passages
UNKNOWN_YEAR = 0  # documents without a year; excluded by any year filter
_WORD = re.compile(r"[^\W_]+")  # the words tantivy's simple tokenizer cuts a term into


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("passage_key", stored=True, indexed=False, fast=True)
    builder.add_text_field("doc_type", stored=False, tokenizer_name="raw")
    builder.add_text_field(DOC_ID_FIELD, stored=False, tokenizer_name="raw")
    builder.add_integer_field("year", stored=False, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    """The same token stream as tantivy's ``en_stem`` tokenizer, to look up document frequencies."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@dataclass(frozen=True, slots=True)
class LexicalHit:
    passage_key: int
    score: float


class LexicalIndexWriter:
    """Adds passages to a new tantivy index (or, with ``existing``, to a copy of one, where it can also delete
    documents). One writer thread keeps segment layout deterministic."""

    def __init__(self, path: Path, heap_bytes: int = 256_000_000, *, existing: bool = False) -> None:
        if existing:
            self._index = tantivy.Index.open(str(path))
            if not has_field(self._index.schema, DOC_ID_FIELD):
                raise ValueError(f"the tantivy index in {path} has no {DOC_ID_FIELD} field")
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(build_schema(), path=str(path))
        self._writer = self._index.writer(heap_bytes, 1)

    def delete_document(self, doc_id: str) -> None:
        """Delete every passage of ``doc_id`` (at the next commit)."""
        self._writer.delete_documents_by_term(DOC_ID_FIELD, doc_id)

    def add(self, passage_key: int, *, title: str, section: str, body: str, doc_type: str, year: int | None,
            doc_id: str) -> None:
        doc = tantivy.Document(
            doc_id=doc_id,
            doc_type=doc_type,
            year=year if year is not None else UNKNOWN_YEAR,
            title=title,
            section=section,
            body=body,
        )
        # A plain int keyword argument is taken as i64, which the u64 field refuses.
        doc.add_unsigned("passage_key", passage_key)
        self._writer.add_document(doc)

    def commit(self) -> None:
        self._writer.commit()
        self._writer.wait_merging_threads()

    def abort(self) -> None:
        """Stop writing after a failed build: the indexing thread must not write segment files into the build
        folder while it is being removed."""
        try:
            self._writer.rollback()
            self._writer.wait_merging_threads()
        except Exception:  # noqa: BLE001 - the build has failed already; removing its folder is what matters
            pass


def has_field(schema: tantivy.Schema, name: str) -> bool:
    """Whether a tantivy schema defines ``name`` (the bindings list no fields: a term query refuses unknown ones)."""
    try:
        tantivy.Query.term_query(schema, name, "")
    except ValueError:
        return False
    return True


class LexicalIndex:
    """Read side of the tantivy index."""

    def __init__(self, path: Path) -> None:
        self._index = tantivy.Index.open(str(path))
        self._index.reload()
        self._schema = self._index.schema
        self._searcher = self._index.searcher()
        self._analyzer = _analyzer()
        self.num_docs: int = self._searcher.num_docs

    def analyze(self, text: str) -> list[str]:
        """Stemmed, lower-cased tokens as the index sees them."""
        return list(self._analyzer.analyze(text))

    def doc_freq(self, stemmed_term: str) -> int:
        return int(self._searcher.doc_freq("body", stemmed_term))

    def _filters(
        self, doc_types: Sequence[str] | None, year_min: int | None, year_max: int | None
    ) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if doc_types:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(self._schema, "doc_type", list(doc_types))))
        if year_min is not None or year_max is not None:
            lower = year_min if year_min is not None else UNKNOWN_YEAR + 1
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(self._schema, "year", tantivy.FieldType.Integer, lower, year_max),
                )
            )
        return clauses

    def search(
        self,
        terms: Iterable[str],
        k: int,
        *,
        doc_types: Sequence[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        phrases: Iterable[str] = (),
        phrase_boost: float = 2.0,
        field_boosts: Mapping[str, float] | None = None,
        split_compounds: bool = False,
        expansion_terms: Iterable[str] = (),
        expansion_boost: float = 1.0,
    ) -> list[LexicalHit]:
        """BM25 over title, section and body for the given (unstemmed) terms, OR-ed; phrases add boosts.

        Terms are passed as plain words (never as query syntax), so no user text can break the parser.
        A term with inner punctuation ("mir-25") is a phrase of its words unless ``split_compounds``,
        which searches the words apart, as tantivy's tokenizer indexed them. ``expansion_terms`` (the words
        of expansions) weigh ``expansion_boost`` each; ``phrase_boost`` 0 drops the phrases.
        """

        def words_of(items: Iterable[str]) -> list[str]:
            words = [t for t in items if t]
            return [w for t in words for w in _WORD.findall(t)] if split_compounds else words

        words = words_of(terms)
        extra = [w for w in words_of(expansion_terms) if w not in words] if expansion_boost > 0 else []
        if not words and not extra:
            return []
        # Quote each word so that query-language characters in it are taken literally.
        quoted = ['"' + w.replace('"', " ") + '"' for w in words]
        quoted += ['"' + w.replace('"', " ") + f'"^{expansion_boost:g}' for w in dict.fromkeys(extra)]
        text = " ".join(quoted)
        if phrase_boost > 0:
            for phrase in phrases:
                clean = phrase.replace('"', " ").strip()
                if " " in clean:
                    text += f' "{clean}"^{phrase_boost:g}'
        boosts = dict(field_boosts) if field_boosts is not None else FIELD_BOOSTS
        query = self._index.parse_query(text, list(TEXT_FIELDS), field_boosts=boosts)
        filters = self._filters(doc_types, year_min, year_max)
        if filters:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filters])
        result = self._searcher.search(query, limit=k, count=False)
        hits = [
            LexicalHit(int(self._searcher.doc(address)["passage_key"][0]), round(float(score), 6))
            for score, address in result.hits
        ]
        # Equal scores are ordered by key so that the same query always gives the same ranking.
        hits.sort(key=lambda h: (-h.score, h.passage_key))
        return hits

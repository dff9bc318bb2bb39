"""Hybrid retrieval: BM25 and dense vectors, fused by weighted reciprocal rank, with filters.

The searcher takes an :class:`~curbside.understanding.UnderstoodQuestion` (its search text, expansions and
MeSH terms); plain text is understood first, with the index's lexicon and spelling vocabulary.

Reciprocal-rank fusion needs no score calibration between the two retrievers, which matters here
because BM25 scores are unbounded and cosine scores are not comparable across queries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from curbside.corpus.documents import DocType, Document, Passage
from curbside.corpus.population import SourcePopulation, population_of
from curbside.corpus.text import content_tokens, tokenize
from curbside.retrieval.fusion import CandidateText, FusionModel, candidate_features, fusion_model
from curbside.retrieval.index import DOC_TYPE_CODES, Index
from curbside.retrieval.lexicons import speller_from_store, understanding_tables
from curbside.settings import RetrievalSettings
from curbside.settings import SearchMode as Mode
from curbside.understanding import DrugNames, Lexicon, SpellingCorrector, UnderstoodQuestion, understand



# How many candidate passages' words a searcher keeps (a few MB): popular passages are tokenised once.
CANDIDATE_TEXT_CACHE = 50_000


@dataclass(frozen=True, slots=True)
class SearchHit:
    passage: Passage
    document: Document
    score: float  # the fused score (or the single retriever's score in bm25/dense mode)
    lexical_rank: int | None  # 1-based rank in the BM25 list, None when not retrieved there
    dense_rank: int | None
    lexical_score: float | None
    dense_score: float | None
    population: SourcePopulation | None = None  # whom the document is written for (corpus/population.py)

    def to_dict(self) -> dict[str, object]:
        doc = self.document
        return {
            "doc_id": doc.doc_id,
            "passage_id": self.passage.passage_id,
            "score": self.score,
            "title": doc.title,
            "section": self.passage.section,
            "text": self.passage.text,
            "grade": self.passage.grade,
            "doc_type": str(doc.doc_type),
            "evidence_level": doc.evidence_level,
            "year": doc.year,
            "source": doc.source,
            "organization": doc.organization,
            "url": doc.url,
            "pmid": doc.pmid,
            "doi": doc.doi,
            "lexical_rank": self.lexical_rank,
            "dense_rank": self.dense_rank,
            "lexical_score": self.lexical_score,
            "dense_score": self.dense_score,
            "population": self.population.to_dict() if self.population is not None else None,
        }


@dataclass(frozen=True)
class Candidates:
    """The two candidate lists of one query: (passage key, score) pairs, best first, and the query vector."""

    mode: Mode  # the mode actually run (hybrid falls back to bm25 on an index without vectors)
    lexical: list[tuple[int, float]]
    dense: list[tuple[int, float]]
    vector: np.ndarray | None
    query_terms: tuple[str, ...] = ()  # the question's content words, in order (the fusion's coverage features)


class Searcher:
    """Searches one opened :class:`Index`. Build once, reuse for many queries."""

    def __init__(self, index: Index, settings: RetrievalSettings | None = None) -> None:
        self.index = index
        self.settings = settings or index.settings.retrieval
        # Built once: the engine's understanding step uses these too.
        self.lexicon: Lexicon
        self.drug_names: DrugNames  # the patient's medications are read on the same lexicon
        self.lexicon, self.drug_names = understanding_tables(index.store, index.data_dir / "cache" / "understanding")
        self.speller: SpellingCorrector = speller_from_store(index.store)
        self._populations: dict[str, SourcePopulation] = {}
        self._candidate_texts: dict[int, CandidateText] = {}  # passage key -> its words, read once
        self._encoder_pool: ThreadPoolExecutor | None = None

    def population(self, document: Document) -> SourcePopulation:
        """Whom a document is written for, read once per document (a guideline's population passages included)."""
        found = self._populations.get(document.doc_id)
        if found is None:
            passages = self.index.store.passages_of(document.doc_id) if document.source in ("ngc", "uspstf") else ()
            found = self._populations[document.doc_id] = population_of(document, passages)
        return found

    def _dense_allowed(
        self, doc_types: Sequence[str] | None, year_min: int | None, year_max: int | None
    ) -> np.ndarray | None:
        idx = self.index
        if idx.vector_doc_types is None or idx.vector_years is None:
            return None
        mask: np.ndarray | None = None
        if doc_types:
            codes = [DOC_TYPE_CODES.index(DocType(t)) for t in doc_types]
            mask = np.isin(idx.vector_doc_types, codes)
        if year_min is not None or year_max is not None:
            years = idx.vector_years
            in_range = years > 0
            if year_min is not None:
                in_range &= years >= year_min
            if year_max is not None:
                in_range &= years <= year_max
            mask = in_range if mask is None else mask & in_range
        return mask

    def _fuse(self, lexical: list[tuple[int, float]], dense: list[tuple[int, float]]) -> dict[int, float]:
        """Weighted reciprocal-rank fusion of the two lists: passage key -> fused score.

        With ``fuse_documents`` a passage is ranked in each list by its document's best rank there (the
        ranks of distinct documents), so that a document found by BM25 through one passage and by the
        vectors through another gets both shares; its passages then follow their own fused order, a
        fraction of a rank apart.
        """
        settings = self.settings
        rrf_k = settings.rrf_k
        weighted = ((settings.lexical_weight, lexical), (settings.dense_weight, dense))
        fused: dict[int, float] = {}
        for weight, hits in weighted:
            for rank, (key, _s) in enumerate(hits, start=1):
                fused[key] = fused.get(key, 0.0) + weight / (rrf_k + rank)
        if not settings.fuse_documents:
            return fused
        doc_of = {key: doc_key for key, (_p, doc_key) in self.index.store.passages_by_keys(list(fused)).items()}
        by_doc: dict[int, float] = {}
        for weight, hits in weighted:
            doc_rank: dict[int, int] = {}
            for key, _s in hits:
                doc_rank.setdefault(doc_of[key], len(doc_rank) + 1)
            for doc_key, rank in doc_rank.items():
                by_doc[doc_key] = by_doc.get(doc_key, 0.0) + weight / (rrf_k + rank)
        # A document's passages keep their own order: their passage scores, scaled far below one rank step.
        top = max(fused.values(), default=1.0) or 1.0
        return {key: by_doc[doc_of[key]] + 1e-6 * score / top for key, score in fused.items()}

    def _learned_fusion(self, found: Candidates) -> dict[int, float] | None:
        """The fitted fusion model's log-odds per candidate passage; None when it is off or not fitted for
        this index's embedding model (reciprocal-rank fusion is used then)."""
        if found.vector is None or self.index.vectors is None:
            return None
        model = self._fitted_fusion()
        if model is None:
            return None
        keys, features = self.fusion_features(found, model.rrf_k)
        return dict(zip(keys, model.score(features).tolist()))

    def _fitted_fusion(self) -> FusionModel | None:
        """The fusion model search will use: None when reciprocal rank is asked for or none was fitted."""
        if self.settings.fusion != "learned":
            return None
        return fusion_model(self.index.embedder.model_id)

    def _encoder_threads(self) -> ThreadPoolExecutor:
        if self._encoder_pool is None:
            self._encoder_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="curbside-query-vector")
        return self._encoder_pool

    def fusion_features(self, found: Candidates, rrf_k: int) -> tuple[list[int], np.ndarray]:
        """The candidate passages of both lists and their fusion features (what the fusion model scores and is
        fitted on), with exact cosines for every candidate."""
        union = list(dict.fromkeys([key for key, _s in found.lexical] + [key for key, _s in found.dense]))
        vectors = self.index.vectors
        cosines = vectors.cosines(found.vector, union) if vectors is not None and found.vector is not None else {}
        return candidate_features(
            found.lexical, found.dense, cosines, rrf_k, query_terms=found.query_terms,
            texts=self._texts_of(union), idf=self._idf,
        )

    def _texts_of(self, keys: Sequence[int]) -> dict[int, CandidateText]:
        """The words of these passages, from the searcher's bounded cache or read and tokenised once. The
        answer is a dict of its own, so a cache cleared by another thread meanwhile costs a re-read, not a
        missing key."""
        cache = self._candidate_texts
        out: dict[int, CandidateText] = {}
        missing: list[int] = []
        for key in keys:
            text = cache.get(key)
            if text is None:
                missing.append(key)
            else:
                out[key] = text
        if len(cache) + len(missing) > CANDIDATE_TEXT_CACHE:
            cache.clear()  # a bound on memory; passages asked for again are read again
        titles: dict[int, list[str]] = {}
        for key, doc_key, title_text, section, text in self.index.store.passage_texts(missing):
            title = titles.get(doc_key)
            if title is None:
                title = titles[doc_key] = tokenize(title_text or "")
            out[key] = cache[key] = CandidateText.read(doc_key, title, f"{section} {text}")
        return out

    def _top(
        self, scores: dict[int, float], k: int
    ) -> tuple[list[tuple[int, float]], dict[int, tuple[Passage, int]]]:
        """The ``k`` best (passage key, score) pairs and their passages. Equal scores are ordered by passage id
        (document id, then ordinal), never by key: keys are numbered by the order of ingestion, which an
        incremental refresh does not share with a full rebuild of the same documents."""
        ordered = sorted(scores.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))
        cut = min(k, len(ordered))
        if 0 < cut < len(ordered):
            boundary = round(ordered[cut - 1][1], 9)
            while cut < len(ordered) and round(ordered[cut][1], 9) == boundary:
                cut += 1  # every passage tied with the k-th competes for its place
        head = ordered[:cut]
        found = self.index.store.passages_by_keys([key for key, _ in head])

        def order(item: tuple[int, float]) -> tuple[float, str, int]:
            passage = found[item[0]][0]
            return (-round(item[1], 9), passage.doc_id, passage.ordinal)

        return sorted(head, key=order)[:k], found

    def _idf(self, term: str) -> float:
        """From the spelling vocabulary's passage counts (words of 2+ passages), read once per index."""
        passages = max(int(self.index.manifest.counts.get("passages", 0)), 1)
        return math.log(1.0 + passages / self.speller.vocabulary.get(term, 1))

    def candidates(
        self,
        query: str | UnderstoodQuestion,
        k: int = 10,
        *,
        doc_types: Sequence[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        mode: Mode | None = None,
    ) -> Candidates:
        """Both retrievers' lists before fusion (what :meth:`search` fuses, and what fusion is trained on)."""
        understood = query if isinstance(query, UnderstoodQuestion) else understand(
            query, lexicon=self.lexicon, speller=self.speller
        )
        mode = mode or self.settings.mode
        if doc_types:
            doc_types = [str(DocType(t)) for t in doc_types]
        if mode != "bm25" and self.index.vectors is None:
            mode = "bm25"  # an index built without vectors (the `fast` preset) answers lexically
        n_lex = max(k, self.settings.lexical_candidates)
        n_dense = max(k, self.settings.dense_candidates)

        settings = self.settings
        kinds = set(settings.expansion_kinds)
        searched = replace(
            understood,
            expansions=tuple(e for e in understood.expansions if e.kind in kinds),
            mesh_terms=understood.mesh_terms if "mesh" in kinds else (),
        )
        search_text = searched.search_text()
        # The query vector is computed in a thread while BM25 runs and the words of its candidates are read
        # (ONNX Runtime releases the GIL): on two cores the two halves of a hybrid search overlap.
        encoding: Future[np.ndarray] | None = None
        if mode in ("hybrid", "dense") and self.index.vectors is not None:
            query_text = search_text if settings.dense_query == "search_text" else understood.original
            encoding = self._encoder_threads().submit(self.index.embedder.encode, [query_text])
        lexical: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            words = content_tokens if settings.stopwords else tokenize
            question_text = searched.clinical_question
            phrases = list(searched.mesh_terms) + [e.expansion for e in searched.expansions]
            lexical = [
                (h.passage_key, h.score)
                for h in self.index.lexical.search(
                    words(question_text), n_lex, doc_types=doc_types, year_min=year_min, year_max=year_max,
                    phrases=phrases, phrase_boost=settings.phrase_boost, split_compounds=settings.split_compounds,
                    expansion_terms=words(search_text[len(question_text):]), expansion_boost=settings.expansion_boost,
                    field_boosts={"title": settings.title_boost, "section": settings.section_boost, "body": 1.0},
                )
            ]
            if encoding is not None and self._fitted_fusion() is not None:
                self._texts_of([key for key, _s in lexical])  # what the fusion will read, while the vector is made
        dense: list[tuple[int, float]] = []
        vector: np.ndarray | None = None
        if encoding is not None and self.index.vectors is not None:
            vector = encoding.result()[0]
            allowed = self._dense_allowed(doc_types, year_min, year_max)
            dense = self.index.vectors.search(vector, n_dense, allowed)

        return Candidates(mode, lexical, dense, vector, tuple(content_tokens(searched.clinical_question)))

    def search(
        self,
        query: str | UnderstoodQuestion,
        k: int = 10,
        *,
        doc_types: Sequence[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        mode: Mode | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best passages for an understood question, or for plain text (understood here first)."""
        found_lists = self.candidates(query, k, doc_types=doc_types, year_min=year_min, year_max=year_max, mode=mode)
        mode, lexical, dense, vector = found_lists.mode, found_lists.lexical, found_lists.dense, found_lists.vector
        lex_rank = {key: (i + 1, s) for i, (key, s) in enumerate(lexical)}
        dense_rank = {key: (i + 1, s) for i, (key, s) in enumerate(dense)}
        fused: dict[int, float] = {}
        if mode == "bm25":
            fused = {key: s for key, s in lexical}
        elif mode == "dense":
            fused = {key: s for key, s in dense}
        else:
            fused = self._learned_fusion(found_lists) or self._fuse(lexical, dense)
        ranked, found = self._top(fused, k)
        hits: list[SearchHit] = []
        for key, score in ranked:
            passage, doc_key = found[key]
            lr = lex_rank.get(key)
            dr = dense_rank.get(key)
            document = self.index.store.document_by_key(doc_key)
            hits.append(
                SearchHit(
                    passage=passage,
                    document=document,
                    score=round(score, 9),
                    lexical_rank=lr[0] if lr else None,
                    dense_rank=dr[0] if dr else None,
                    lexical_score=lr[1] if lr else None,
                    dense_score=dr[1] if dr else None,
                    population=self.population(document),
                )
            )
        return hits

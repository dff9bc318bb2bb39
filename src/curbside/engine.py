"""The public library API. Each CLI command is a thin shell over one method here, with the same name
(the web commands over :class:`curbside.articles.publisher.Publisher`; docs/cli-reference.md lists them all).

    from curbside import Curbside
    cb = Curbside.open("~/.local/share/curbside")
    cb.ingest_starter(if_missing=True)                        # curbside ingest starter --if-missing
    hits = cb.search("statin AF after CABG")                  # curbside search "..."
    envelope = cb.search_results("statin AF after CABG")      # curbside search "..." --format json
    article = cb.ask("Should a 55-year-old woman be screened for colorectal cancer?")
    for answer in cb.ask_many(read_question_file("q.txt")):  # curbside ask --questions q.txt
        print(answer.id, answer.error or answer.article.bottom_line)
    cb.info(); Curbside.schema()                              # curbside info; curbside schema
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import time
from contextlib import contextmanager
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from curbside.corpus.documents import Document, IngestProblem, IngestReport, summarize_problems
from curbside.corpus.library import Deletion, IngestCounts, Library
from curbside.errors import ConfigurationError, CurbsideError, InvalidQuestionError
from curbside.evidence.assessment import ClinicalEvidence
from curbside.evidence.assessment import analyze as analyze_clinical
from curbside.evidence.selection import EvidenceSet, is_citable, select_evidence
from curbside.retrieval.index import (
    FullBuild,
    Index,
    Manifest,
    fresh_build,
    index_dir,
    refresh_index,
    seed_library_from_index,
)
from curbside.retrieval.search import Mode, Searcher, SearchHit
from curbside.settings import LivePubmedSettings, Settings, find_default_corpus_dir, load_settings
from curbside.understanding import DrugNames, UnderstoodQuestion, understand
from curbside.writing.article import Article, LiveFetch, LiveSearch
from curbside.writing.extractive import ExtractiveWriter
from curbside.writing.llm import LLMWriter, OnDraft
from curbside.writing.writer import Writer

if TYPE_CHECKING:  # E-utilities (httpx, tenacity) load only when PubMed is fetched: not on `ask`'s path
    from curbside.corpus.eutils import FetchedBatch

Progress = Callable[[str], None]


PROBLEMS_LOG = "ingest-problems.log"  # in the data directory: every problem of the last ingest, one a line


@dataclass
class IngestResult:
    """What an ingest built: the index's manifest, the records that could not be read, documents per source.

    ``skipped`` is True when ``if_missing`` found a complete index and built nothing; ``manifest`` is then
    that index's. ``problems_log`` is the file in the data directory that lists every problem, one a line
    (``problem_summary`` groups them by file and kind).
    """

    manifest: Manifest
    problems: list[IngestProblem]
    documents_by_source: dict[str, int]
    skipped: bool = False
    problems_log: Path | None = None
    # What the ingest did to the document library (corpus/library.py), and how long it all took.
    library: IngestCounts | None = None
    seconds: float | None = None
    files_skipped: int = 0  # files already ingested whole (same bytes), not read again
    index_rebuilt: bool = True
    pubmed: dict[str, Any] | None = None  # `ingest pubmed`: the harvest (corpus/eutils.py HarvestSummary)
    library_seconds: float | None = None  # the library stage alone (parse + upserts), for its items a second

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "corpus_snapshot": self.manifest.corpus_snapshot,
            "counts": self.manifest.counts,
            "documents_by_source": self.documents_by_source,
            "build_seconds": self.manifest.build_seconds,
        }
        if self.library is not None:
            out["library"] = self.library.to_dict()
            out["files_skipped"] = self.files_skipped
            out["index_rebuilt"] = self.index_rebuilt
            # how the index was brought up to date (retrieval/index.py: refresh_index); "none": it already was
            out["index_refresh"] = self.manifest.refresh if self.index_rebuilt else "none"
            out["seconds"] = self.seconds
            if self.library_seconds is not None:
                out["library_seconds"] = self.library_seconds
                out["library_items_per_second"] = round(self.library.items / max(self.library_seconds, 1e-3), 1)
        if self.pubmed is not None:
            out["pubmed"] = self.pubmed
        return out | {
            "problems": [str(p) for p in self.problems],
            "problem_summary": summarize_problems(self.problems),
            "problems_log": str(self.problems_log) if self.problems_log else None,
        }


class SearchFilters(TypedDict, total=False):
    """The filters of :meth:`Curbside.search` (``curbside search --doc-type --year-min --year-max --mode``)."""

    doc_types: Sequence[str] | None
    year_min: int | None
    year_max: int | None
    mode: Mode | None


@dataclass
class SearchResults:
    """The hits of one search with what they were searched for and in: ``curbside search --format json``."""

    query: str
    corpus_snapshot: str
    hits: list[SearchHit] = field(default_factory=list)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "corpus_snapshot": self.corpus_snapshot,
                "results": [hit.to_dict() for hit in self.hits]}


@dataclass
class BatchAnswer:
    """One question of a batch (``curbside ask --questions FILE``): its article, or why it has none."""

    id: str
    question: str
    article: Article | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def validate_question(question: object, max_chars: int, *, min_letter_share: float = 0.3) -> str:
    """The question, stripped; or a clear error for empty, overlong or binary input.

    ``min_letter_share`` guards against binary pasted as a question; patient context, full of doses and
    lab values, passes a lower one.
    """
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidQuestionError("The question is not valid UTF-8 text. Ask in plain text.") from exc
    if not isinstance(question, str):
        raise InvalidQuestionError("The question must be text.")
    text = question.strip()
    if not text:
        raise InvalidQuestionError("The question is empty. Ask a clinical question, e.g. \"Should adults be screened for diabetes?\"")
    if len(text) > max_chars:
        raise InvalidQuestionError(
            f"The question is {len(text)} characters long; the limit is {max_chars}. "
            "Shorten it to the clinical question and the essential patient details."
        )
    controls = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\n\t\r")
    letters = sum(1 for c in text if c.isalpha())
    if "\x00" in text or controls > 0 or letters < 2 or letters < min_letter_share * len(text):
        raise InvalidQuestionError("The question looks like binary or non-text data. Ask in plain words.")
    return text


def read_question_file(path: str | Path) -> list[tuple[str, str]]:
    """``(id, question)`` pairs from a file of one question a line: plain text, or JSON with
    ``question`` (or K-QA's ``Question``) and an optional ``id``. Plain lines are numbered by line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQuestionError(f"Cannot read questions file {path}: {exc}") from exc
    items: list[tuple[str, str]] = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("{"):
            items.append((str(n), line))
            continue
        try:
            record = json.loads(line)
            question = record.get("question", record.get("Question"))
        except (ValueError, AttributeError):
            question = None
        if not isinstance(question, str):
            raise InvalidQuestionError(f'{path}:{n}: expected plain text or {{"id", "question"}} JSON')
        items.append((str(record.get("id", n)), question))
    return items


def _file_digest(path: Path, *, full: bool = False) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() if full else digest.hexdigest()[:12]


@contextmanager
def _library_writes(data_dir: Path, command: str) -> Iterator[None]:
    """A full disk while the library is written becomes a clear IngestError: the committed batches stay, the live
    index is untouched, and the same command resumes once there is space."""
    from curbside.errors import IngestError
    from curbside.retrieval.snapshots import is_disk_full

    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise IngestError(
            f"The disk holding {data_dir} is full, so the document library could not be written ({exc}). What was "
            f"committed is kept and the live index (if any) is unchanged. Free some space and run `{command}` again."
        ) from exc


def document_record(doc: Document, origin: str | None = None) -> dict[str, Any]:
    """A stored document as JSON (``curbside show --format json``): metadata, type and level, the retracted and
    expression-of-concern flags, version and its sections (passages)."""
    from curbside.corpus.documents import DOC_TYPE_LABELS, EXPRESSION_OF_CONCERN, RETRACTED

    return {
        "doc_id": doc.doc_id, "source": doc.source, "origin": origin, "title": doc.title,
        "doc_type": str(doc.doc_type), "doc_type_label": DOC_TYPE_LABELS[doc.doc_type],
        "evidence_level": doc.evidence_level, "year": doc.year, "organization": doc.organization, "url": doc.url,
        "pmid": doc.pmid, "pmcid": doc.pmcid, "doi": doc.doi, "license": doc.license, "version": doc.version,
        "retracted": RETRACTED in doc.flags, "concern": EXPRESSION_OF_CONCERN in doc.flags,
        "flags": list(doc.flags), "authors": list(doc.authors), "mesh_terms": list(doc.mesh_terms),
        "keywords": list(doc.keywords), "publication_types": list(doc.publication_types),
        "sections": [{"passage_id": p.passage_id, "section": p.section, "text": p.text, "grade": p.grade}
                     for p in doc.passages],
    }


class Curbside:
    """One data directory: its index, and the searcher and writer over it (opened on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._index: Index | None = None
        self._searcher: Searcher | None = None

    @classmethod
    def open(cls, data_dir: str | Path | None = None, *, preset: str | None = None, **overrides: Any) -> Curbside:
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir).expanduser()
        return cls(load_settings(preset=preset, **overrides))

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = Index(self.data_dir, self.settings)
        return self._index

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            self._searcher = Searcher(self.index)
        return self._searcher

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index = None
        self._searcher = None

    # --- ingest ----------------------------------------------------------------------------------
    def _build(self, documents: Any, report: IngestReport, *, kind: str, snapshot: str, command: str,
               lexicon_dir: Path | None, progress: Progress | None) -> IngestResult:
        from curbside.corpus.drugs import load_drug_names
        from curbside.corpus.mesh import load_mesh_names

        drugs: list[tuple[str, str]] = []
        mesh: list[tuple[str, str]] = []
        if lexicon_dir is not None:
            zip_path = lexicon_dir / "drug_labels" / "drugsatfda.zip"
            if zip_path.is_file():
                drugs = [(d.brand, d.generic) for d in load_drug_names(zip_path, report)]
            mesh_files = sorted((lexicon_dir / "mesh").glob("mesh_descriptors*.tsv"))
            if mesh_files:
                mesh = [(m.ui, m.name) for m in load_mesh_names(mesh_files[-1], report)]
        self.close()
        started = time.monotonic()
        # A base ingest: its documents replace those of the previous base ingest in the library; documents
        # added by `ingest medline` and the like stay (docs/ingestion.md).
        with _library_writes(self.data_dir, command), Library(self.data_dir) as library:
            counts = library.ingest(documents, source=kind, replace=True)
            library.set_lexicon(drugs, mesh)
            library.set_base(kind, snapshot, command)
        manifest = refresh_index(self.data_dir, self.settings, embed=True, progress=progress)
        return self._ingest_result(manifest, report, counts, started)

    def _ingest_result(self, manifest: Manifest, report: IngestReport, counts: IngestCounts, started: float, *,
                       files_skipped: int = 0, rebuilt: bool = True,
                       library_seconds: float | None = None) -> IngestResult:
        log = self.data_dir / PROBLEMS_LOG
        log.write_text("".join(f"{p}\n" for p in report.problems), encoding="utf-8")
        return IngestResult(manifest, report.problems, dict(report.documents_by_source), problems_log=log,
                            library=counts, seconds=round(time.monotonic() - started, 1),
                            files_skipped=files_skipped, index_rebuilt=rebuilt,
                            library_seconds=None if library_seconds is None else round(library_seconds, 2))

    def _refresh_after(self, library: Library, counts: IngestCounts, *, embed: bool, progress: Progress | None,
                       prepared: FullBuild | None = None) -> tuple[Manifest, bool]:
        """The index brought up to date with the library: rebuilt unless it was built from this very generation
        (a re-ingest that changed nothing leaves the index as it is). Returns the manifest and whether it was rebuilt."""
        manifest_path = index_dir(self.data_dir) / "manifest.json"
        if not counts.changed and not embed and manifest_path.is_file():
            try:
                current = Manifest.read(manifest_path)
            except (ValueError, TypeError):
                current = None
            if current is not None and current.library_generation == library.generation:
                try:
                    Index(self.data_dir, self.settings).close()  # complete and of this version
                except CurbsideError:
                    pass
                else:
                    if prepared is not None:
                        prepared.abort()
                    return current, False
        return refresh_index(self.data_dir, self.settings, embed=embed, progress=progress, prepared=prepared), True

    def ingest_documents(self, items: Iterable[Document | Deletion], *, kind: str, report: IngestReport,
                         progress: Progress | None = None, on_items: Callable[[int], None] | None = None,
                         embed: bool = False) -> IngestResult:
        """Add documents (and apply deletions) to the data directory's library, then bring the index up to date
        from the library (rebuilt beside the live one and switched in atomically). ``kind`` names the source
        ("medline", "pubmed", "jats", ...). Vectors come from the embedding cache; with ``embed``, passages not
        in it are embedded now (else later, by ``curbside embed``). ``on_items`` is told how many items are done."""
        self.close()
        started = time.monotonic()
        with _library_writes(self.data_dir, f"curbside --data-dir {self.data_dir} ingest {kind} ..."), \
                Library(self.data_dir) as library:
            seed_library_from_index(library, self.data_dir)
            counts = library.ingest(items, source=kind, progress=on_items)
            library_seconds = time.monotonic() - started
            manifest, rebuilt = self._refresh_after(library, counts, embed=embed, progress=progress)
        return self._ingest_result(manifest, report, counts, started, rebuilt=rebuilt, library_seconds=library_seconds)

    def ingest_medline(self, paths: Sequence[str | Path], *, force: bool = False, embed: bool = False,
                       progress: Progress | None = None, on_items: Callable[[int], None] | None = None) -> IngestResult:
        """Ingest PubMed/MEDLINE XML files (``.xml`` or ``.xml.gz``; baseline, update or efetch responses), in the
        order given: citations are added or replace older versions, DeleteCitation removes them. A file already
        ingested whole (same bytes) is not read again unless ``force``; a file cut short by a crash is read again
        and its committed records count as unchanged."""
        from curbside.corpus.loaders.medline import SOURCE, MedlineParser, iter_medline
        from curbside.errors import IngestError

        files = [Path(p) for p in paths]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise IngestError(f"{', '.join(missing)}: no such file. Pass PubMed XML files (.xml or .xml.gz).")
        self.close()
        started = time.monotonic()
        report = IngestReport()
        counts = IngestCounts()
        skipped_files = 0
        done_before = 0
        passage_chars, workers = self.settings.ingest.passage_chars, self.settings.ingest.parse_workers
        digests: dict[Path, str] = {}

        def digest_of(path: Path) -> str:
            if path not in digests:
                digests[path] = _file_digest(path, full=True)
            return digests[path]

        with _library_writes(self.data_dir, f"curbside --data-dir {self.data_dir} ingest medline ..."), \
                Library(self.data_dir) as library, contextlib.ExitStack() as stack:
            seed_library_from_index(library, self.data_dir)
            # Into an empty library (a first load of baseline files), the full build that follows is fed each
            # batch as it is committed: nothing is read back from the library (docs/ingestion.md).
            build = fresh_build(self.data_dir, self.settings, progress=progress) if (
                not embed and not library.count()) else None
            if build is not None:
                stack.callback(build.abort)  # an error before the build is finished: no index.building left
            parser = stack.enter_context(MedlineParser(passage_chars, workers, for_index=build is not None))
            for i, path in enumerate(files):
                digest = digest_of(path)
                items = library.file_done(digest)
                if items is not None and not force:
                    counts.unchanged += items
                    skipped_files += 1
                    done_before += items
                    if on_items:
                        on_items(done_before)
                    continue
                base = done_before
                # the next files to read (not those ingested whole before) are parsed meanwhile
                ahead = (p for p in files[i + 1:] if force or library.file_done(digest_of(p)) is None)
                parsed = (parser.items(path, report, ahead=ahead,
                                       vocabulary=build.add_vocabulary if build is not None else None) if workers
                          else iter_medline(path, report, passage_chars=passage_chars))
                part = library.ingest(parsed, source=SOURCE, progress=(lambda n: on_items(base + n)) if on_items else None,
                                      on_batch=build.add_batch if build is not None else None)
                library.mark_file(digest, path.name, SOURCE, part.items)
                counts.add(part)
                done_before += part.items
            parser.close()  # before the index build, which has work for both cores
            library_seconds = time.monotonic() - started
            manifest, rebuilt = self._refresh_after(library, counts, embed=embed, progress=progress, prepared=build)
        return self._ingest_result(manifest, report, counts, started, files_skipped=skipped_files, rebuilt=rebuilt,
                                   library_seconds=library_seconds)

    # --- PubMed through E-utilities (corpus/eutils.py; docs/ingestion.md) ---------------------------------
    def _live_settings(self, api_key: str | None = None, eutils_url: str | None = None) -> LivePubmedSettings:
        updates = {k: v for k, v in (("api_key", api_key), ("base_url", eutils_url)) if v}
        return self.settings.live_pubmed.model_copy(update=updates)

    def _fetched_items(self, batch: FetchedBatch, report: IngestReport) -> list[Document | Deletion]:
        from curbside.corpus.loaders.medline import iter_medline

        return list(iter_medline(io.BytesIO(batch.xml), report, name=batch.label,
                                 passage_chars=self.settings.ingest.passage_chars))

    def ingest_pubmed(self, query: str, max_results: int, *, api_key: str | None = None,
                      eutils_url: str | None = None, embed: bool = False, progress: Progress | None = None,
                      on_items: Callable[[int], None] | None = None) -> IngestResult:
        """Search PubMed through E-utilities and ingest the first ``max_results`` citations of ``query``
        (``curbside ingest pubmed``): esearch with history, efetch in batches, each batch upserted into the library
        before it is recorded as done, so an interrupted run resumes where it stopped (docs/ingestion.md).
        ``api_key`` and ``eutils_url`` override the ``live_pubmed`` settings."""
        from curbside.corpus.eutils import EutilsClient, FetchLedger, harvest_pubmed

        self.close()
        started = time.monotonic()
        report = IngestReport()
        counts = IngestCounts()
        with Library(self.data_dir) as library, EutilsClient(self._live_settings(api_key, eutils_url)) as client:
            seed_library_from_index(library, self.data_dir)

            def ingest(batch: FetchedBatch) -> list[str]:
                items = self._fetched_items(batch, report)
                counts.add(library.ingest(items, source="pubmed"))
                if on_items:
                    on_items(counts.items)
                return [item.doc_id for item in items if isinstance(item, Document)]

            harvest = harvest_pubmed(client, FetchLedger(self.data_dir), query, max_results, ingest,
                                     progress=progress)
            manifest, rebuilt = self._refresh_after(library, counts, embed=embed, progress=progress)
        result = self._ingest_result(manifest, report, counts, started, rebuilt=rebuilt)
        result.pubmed = dataclasses.asdict(harvest)
        return result

    def _live_search(self, evidence: EvidenceSet, *, eutils_url: str | None = None) -> tuple[LiveSearch, EvidenceSet]:
        """``ask --live-pubmed``: when the index holds too little for the question, search PubMed with its
        concept terms only (evidence/live_pubmed.py), ingest the best citations and gather the evidence again.
        A failed search leaves the evidence as it was and says why."""
        from curbside.corpus.eutils import EutilsClient, FetchLedger, FetchRecord, search_and_fetch, utc_now
        from curbside.errors import LiveSearchError
        from curbside.evidence.live_pubmed import LiveSearchStatus, live_query, needs_live_search

        settings = self._live_settings(eutils_url=eutils_url)
        if not needs_live_search(evidence, settings.ask_min_sentences):
            return LiveSearch(status=LiveSearchStatus.NOT_NEEDED), evidence
        understood = evidence.understood
        query = live_query(understood, self.drug_names)
        if not query.queries:
            return LiveSearch(status=LiveSearchStatus.NO_TERMS,
                              message="no drug, condition or clinical term of the question could be searched"), evidence
        searched_at = utc_now()
        text = query.queries[0]
        try:
            with EutilsClient(settings) as client:
                for text in query.queries:  # the fullest query first; broader ones when it finds nothing
                    pmids, batch = search_and_fetch(client, text, settings.ask_max_results)
                    if batch is not None:
                        break
        except LiveSearchError as exc:
            return LiveSearch(status=LiveSearchStatus.FAILED, query=text, searched_at=searched_at,
                              message=f"{exc} The article answers from the local index only."), evidence
        if batch is None:
            return LiveSearch(status=LiveSearchStatus.NOTHING_FOUND, query=text, searched_at=searched_at,
                              message="PubMed found no citation for these terms"), evidence
        report = IngestReport()
        documents = [item for item in self._fetched_items(batch, report) if isinstance(item, Document)]
        # Recorded before the ingest: a citation recorded but never ingested is never cited, so never shown.
        FetchLedger(self.data_dir).record(
            FetchRecord(d.doc_id, batch.fetched_at, text, batch.source_url, "ask") for d in documents)
        self.ingest_documents(documents, kind="pubmed", report=report, embed=self.settings.embedding.enabled)
        evidence = self.gather_evidence(self.understand(understood.original, context=understood.context))
        return LiveSearch(status=LiveSearchStatus.FETCHED, query=text, searched_at=searched_at,
                          fetched=[d.doc_id for d in documents]), evidence

    def _with_live_fetches(self, article: Article, live: LiveSearch | None) -> Article:
        """The article with the PubMed fetches of its references (from the ledger: the same on every re-ask of
        the same snapshot) and, when live search was on, what it did."""
        from curbside.corpus.eutils import FetchLedger

        pmids = {r.pmid or r.doc_id: r.number for r in article.references}
        fetched = FetchLedger(self.data_dir).fetches_for(pmids)
        records = [LiveFetch(citation=pmids[p], pmid=p, fetched_at=f.fetched_at, query=f.query,
                             source_url=f.source_url, via=f.via) for p, f in fetched.items()]
        records.sort(key=lambda r: r.citation)
        if not records and live is None:
            return article
        return article.model_copy(update={"live_fetches": records, "live_search": live})

    def refresh(self, *, embed: bool = True, progress: Progress | None = None) -> Manifest:
        """Rebuild the index from the document library (``curbside ingest refresh``): always in full, which also
        makes BM25's statistics exact again after incremental refreshes (docs/ingestion.md)."""
        self.close()
        return refresh_index(self.data_dir, self.settings, embed=embed, progress=progress, full=True)

    def show(self, doc_id: str) -> dict[str, Any]:
        """A stored document (``curbside show``): by doc_id, bare PMID or PMCID, from the library (or, for an
        index built before the library, from the index)."""
        from curbside.errors import DocumentNotFoundError

        doc: Document | None = None
        origin: str | None = None
        if Library.exists(self.data_dir):
            with Library(self.data_dir) as library:
                doc = library.lookup(doc_id)
                origin = library.origin_of(doc.doc_id) if doc else None
        if doc is None and (index_dir(self.data_dir) / "manifest.json").is_file():
            store = self.index.store
            doc = store.document(doc_id.strip())
            if doc is not None:
                doc.passages.extend(store.passages_of(doc.doc_id))
        if doc is None:
            raise DocumentNotFoundError(
                f"No document {doc_id!r} in {self.data_dir} (looked up as doc_id, PMID and PMCID). "
                f"`curbside --data-dir {self.data_dir} search WORDS` finds documents by their text."
            )
        return document_record(doc, origin)

    def ingest_starter(self, corpus_dir: str | Path | None = None, *, if_missing: bool = False,
                       progress: Progress | None = None) -> IngestResult:
        """Build the index of the starter knowledge base (replacing any index in the data directory).

        With ``if_missing``, a complete index is kept: nothing is built and the result says ``skipped``.
        """
        from curbside.corpus.starter import corpus_snapshot_id, iter_starter_documents

        if if_missing:
            try:
                self.info()  # opens and checks the index, as `curbside info` does
            except CurbsideError:
                pass
            else:
                return IngestResult(self.index.manifest, [], {}, skipped=True)

        settings = self.settings if corpus_dir is None else self.settings.model_copy(update={"corpus_dir": Path(corpus_dir)})
        root = settings.require_corpus_dir()
        report = IngestReport()
        include_fulltext = self.settings.ingest.include_fulltext
        docs = iter_starter_documents(
            root, report, passage_chars=self.settings.ingest.passage_chars, include_fulltext=include_fulltext
        )
        return self._build(
            docs, report, kind="starter", snapshot=corpus_snapshot_id(root, include_fulltext=include_fulltext),
            command=f"curbside --data-dir {self.data_dir} ingest starter --corpus-dir {root}",
            lexicon_dir=root, progress=progress,
        )

    def ingest_bioasq(self, path: str | Path, *, progress: Progress | None = None) -> IngestResult:
        """Index a BioASQ-style corpus (one PubMed record a line: pmid, title, snippets)."""
        from curbside.corpus.loaders.bioasq import load_bioasq
        from curbside.errors import IngestError

        path = Path(path)
        if not path.is_file():
            raise IngestError(f"{path} does not exist. Pass the path of a BioASQ corpus.jsonl file.")
        report = IngestReport()
        docs = load_bioasq(path, report, passage_chars=self.settings.ingest.passage_chars)
        return self._build(
            docs, report, kind="bioasq", snapshot=f"bioasq-{_file_digest(path)}",
            command=f"curbside --data-dir {self.data_dir} ingest bioasq {path}",
            lexicon_dir=self.settings.corpus_dir or find_default_corpus_dir(), progress=progress,
        )

    # --- search and ask ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        doc_types: Sequence[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        mode: Mode | None = None,
    ) -> list[SearchHit]:
        text = validate_question(query, self.settings.max_question_chars)
        return self.searcher.search(text, k, doc_types=doc_types, year_min=year_min, year_max=year_max, mode=mode)

    def search_results(self, query: str, k: int = 10, **filters: Unpack[SearchFilters]) -> SearchResults:
        """:meth:`search` (same filters), with the query and the corpus snapshot searched
        (``curbside search --format json``)."""
        return SearchResults(query, self.index.corpus_snapshot, self.search(query, k, **filters))

    def understand(self, question: str, *, context: str | None = None) -> UnderstoodQuestion:
        """The question read once: story and clinical question, keywords, expansions (abbreviations, brands,
        MeSH names, spelling), MeSH terms, question type and patient context with medications.

        ``context`` is patient context given apart from the question (age, history, drugs): it shapes the
        patient story and population fit, but is not part of what the evidence must answer.
        """
        text = validate_question(question, self.settings.max_question_chars)
        if context is not None and context.strip():
            context = validate_question(context, self.settings.max_question_chars, min_letter_share=0.1)
        return understand(text, context or None, lexicon=self.searcher.lexicon, drug_names=self.drug_names,
                          speller=self.searcher.speller)

    def gather_evidence(self, question: str | UnderstoodQuestion, *, context: str | None = None) -> EvidenceSet:
        """Retrieval and evidence selection for a question (text, or already understood): the deterministic
        half of ``ask``. ``context`` as for :meth:`understand`."""
        understood = question if isinstance(question, UnderstoodQuestion) else self.understand(question, context=context)
        hits = self.searcher.search(understood, self.settings.evidence.candidate_passages)
        return select_evidence(understood, hits, self.index.lexical, self.settings.evidence,
                               superseded_by=self.index.superseded_by, label_store=self.index.store)

    @property
    def drug_names(self) -> DrugNames:
        """Brand and generic names (Drugs@FDA table of the index, plus the curated biosimilars), on the
        searcher's lexicon: one lexicon per engine."""
        return self.searcher.drug_names

    def analyze_clinical(self, question: str | UnderstoodQuestion, *, context: str | None = None,
                         evidence: EvidenceSet | None = None) -> ClinicalEvidence:
        """Question type, patient context and, for medical-necessity and next-step questions, each agent's
        evidence, classification and dose check (the clinical-reasoning half of ``ask``)."""
        if evidence is not None:
            understood = evidence.understood
        elif isinstance(question, UnderstoodQuestion):
            understood = question
        else:
            understood = self.understand(question, context=context)
        return analyze_clinical(
            understood, drug_names=self.drug_names,
            # Agent + condition queries are keyword lists: BM25 finds the passages that name them, without a
            # query embedding per agent.
            # Retracted publications are never cited, here as in select_evidence.
            search=lambda query, doc_types: [hit for hit in self.searcher.search(query, 40, doc_types=doc_types, mode="bm25")
                                             if is_citable(hit.document)],
            label_store=self.index.store,
        )

    def writer(self) -> Writer:
        """The writer the settings choose (``writer``): the extractive writer, or the LLM writer over ``llm.*``
        (its API key read from the variable ``llm.api_key_env`` names, at each call)."""
        if self.settings.writer == "extractive":
            return ExtractiveWriter(self.settings.evidence, preset=self.settings.preset)
        llm = self.settings.llm
        if not llm.base_url or not llm.model:
            raise ConfigurationError(
                "The LLM writer needs an endpoint and a model: pass --llm-base-url URL --llm-model NAME, or set "
                "llm.base_url and llm.model in the config file (CURBSIDE_LLM__BASE_URL, CURBSIDE_LLM__MODEL)."
            )
        if not llm.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"llm.base_url must be an http:// or https:// URL, not {llm.base_url!r}.")
        return LLMWriter(llm, self.settings.evidence, preset=self.settings.preset, api_key=llm.api_key())

    def ask(self, question: str, *, context: str | None = None, article_id: str | None = None,
            on_draft: OnDraft | None = None, live_pubmed: bool | None = None,
            eutils_url: str | None = None) -> Article:
        """Answer a question with an article composed from cited passages, by the writer the settings choose
        (``writer``: extractive, the default, or llm; see docs/llm-writer.md). ``on_draft`` receives the LLM
        writer's unverified claims as a streamed answer arrives (the web app's building page).

        ``live_pubmed`` (default: the ``live_pubmed.on_ask`` setting, off) searches PubMed when the index holds
        too little, ingests what it finds and answers from it too (:meth:`_live_search`); ``eutils_url``
        overrides the E-utilities address."""
        writer = self.writer()
        evidence = self.gather_evidence(self.understand(question, context=context))
        live: LiveSearch | None = None
        if self.settings.live_pubmed.on_ask if live_pubmed is None else live_pubmed:
            live, evidence = self._live_search(evidence, eutils_url=eutils_url)
        clinical = self.analyze_clinical(evidence.understood, evidence=evidence)
        snapshot = self.index.corpus_snapshot
        if isinstance(writer, LLMWriter):
            article = writer.write(question.strip(), evidence, corpus_snapshot=snapshot, article_id=article_id,
                                   clinical=clinical, on_draft=on_draft)
        else:
            article = writer.write(question.strip(), evidence, corpus_snapshot=snapshot, article_id=article_id,
                                   clinical=clinical)
        return self._with_live_fetches(article, live)

    def ask_many(self, questions: Iterable[str | tuple[str, str]]) -> Iterator[BatchAnswer]:
        """Answer each question in turn (``curbside ask --questions FILE``), in one process.

        ``questions`` are texts (numbered from 1) or ``(id, question)`` pairs, e.g. from
        :func:`read_question_file`. A question that cannot be answered yields its error and the batch goes on.
        """
        for n, item in enumerate(questions, 1):
            qid, text = item if isinstance(item, tuple) else (str(n), item)
            try:
                article = self.ask(text, article_id=qid)
            except CurbsideError as exc:
                yield BatchAnswer(qid, text, error=str(exc))
                continue
            yield BatchAnswer(qid, text, article=article)

    @staticmethod
    def schema() -> dict[str, Any]:
        """The JSON Schema of the article (generated from the model; ``curbside schema``)."""
        return Article.model_json_schema()

    def info(self) -> dict[str, Any]:
        """What the index in the data directory holds, and its snapshot (``curbside info``)."""
        m = self.index.manifest
        return {
            "data_dir": str(self.data_dir),
            "kind": m.kind,
            "corpus_snapshot": m.corpus_snapshot,
            "created_at": m.created_at,
            "counts": m.counts,
            "build_seconds": m.build_seconds,
            "documents_by_type": self.index.store.counts_by_doc_type(),
        }

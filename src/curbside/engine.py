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

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

from curbside.corpus.documents import IngestProblem, IngestReport, summarize_problems
from curbside.errors import ConfigurationError, CurbsideError, InvalidQuestionError
from curbside.evidence.assessment import ClinicalEvidence
from curbside.evidence.assessment import analyze as analyze_clinical
from curbside.evidence.selection import EvidenceSet, select_evidence
from curbside.retrieval.index import Index, Manifest, build_index
from curbside.retrieval.lexicons import drug_names_from_store
from curbside.retrieval.search import Mode, Searcher, SearchHit
from curbside.settings import Settings, find_default_corpus_dir, load_settings
from curbside.understanding import DrugNames, UnderstoodQuestion, understand
from curbside.writing.article import Article
from curbside.writing.extractive import ExtractiveWriter
from curbside.writing.llm import LLMWriter, OnDraft
from curbside.writing.writer import Writer

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus_snapshot": self.manifest.corpus_snapshot,
            "counts": self.manifest.counts,
            "documents_by_source": self.documents_by_source,
            "build_seconds": self.manifest.build_seconds,
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


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


class Curbside:
    """One data directory: its index, and the searcher and writer over it (opened on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._index: Index | None = None
        self._searcher: Searcher | None = None
        self._drug_names: DrugNames | None = None

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
        self._drug_names = None

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
        manifest = build_index(
            self.data_dir, documents, self.settings, kind=kind, corpus_snapshot=snapshot,
            rebuild_command=command, drug_names=drugs, mesh_names=mesh, progress=progress,
        )
        log = self.data_dir / PROBLEMS_LOG
        log.write_text("".join(f"{p}\n" for p in report.problems), encoding="utf-8")
        return IngestResult(manifest, report.problems, dict(report.documents_by_source), problems_log=log)

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
        if self._drug_names is None:
            self._drug_names = drug_names_from_store(self.index.store, lexicon=self.searcher.lexicon)
        return self._drug_names

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
            search=lambda query, doc_types: self.searcher.search(query, 40, doc_types=doc_types, mode="bm25"),
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
            on_draft: OnDraft | None = None) -> Article:
        """Answer a question with an article composed from cited passages, by the writer the settings choose
        (``writer``: extractive, the default, or llm; see docs/llm-writer.md). ``on_draft`` receives the LLM
        writer's unverified claims as a streamed answer arrives (the web app's building page)."""
        writer = self.writer()
        evidence = self.gather_evidence(self.understand(question, context=context))
        clinical = self.analyze_clinical(evidence.understood, evidence=evidence)
        snapshot = self.index.corpus_snapshot
        if isinstance(writer, LLMWriter):
            return writer.write(question.strip(), evidence, corpus_snapshot=snapshot, article_id=article_id,
                                clinical=clinical, on_draft=on_draft)
        return writer.write(question.strip(), evidence, corpus_snapshot=snapshot, article_id=article_id,
                            clinical=clinical)

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

"""PubMed/MEDLINE XML: the ``PubmedArticleSet`` of the annual baseline and daily update files (``.xml`` or
``.xml.gz``) and of E-utilities ``efetch`` responses.

Streaming and robust: the file is read in blocks and cut at ``<PubmedArticle>`` / ``<DeleteCitation>``
boundaries; each record is parsed on its own (lxml), so memory holds one record at a time, and a malformed
record, one without a PMID or with broken UTF-8 is reported with its file and line and skipped, never taking
its neighbours or the file with it. A record that never closes is cut off at the next record's start.

Each citation becomes a :class:`Document` with the bare PMID as its id: title, the abstract's labelled
sections (Label, else NlmCategory) as passages, journal, year, authors, MeSH headings, keywords and
publication types, DOI and PMCID. The publication types set the document type (:func:`doc_type_of`);
"Retracted Publication" or a ``CommentsCorrections`` of type RetractionIn flag it ``retracted``,
ExpressionOfConcernIn ``expression_of_concern``. ``DeleteCitation`` yields :class:`Deletion` items.
"""

from __future__ import annotations

import gzip
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from curbside.corpus.documents import EXPRESSION_OF_CONCERN, RETRACTED, DocType, Document, IngestReport
from curbside.corpus.library import Deletion, Encoded
from curbside.corpus.loaders.common import classify_study, pack_parts
from curbside.corpus.text import passage_words

SOURCE = "medline"
UNLABELLED = "ABSTRACT"
_BLOCK = 1 << 20
_MARKER = re.compile(rb"<(/?)(PubmedArticle|PubmedBookArticle|DeleteCitation)(?=[\s>/])")
_TAIL = 40  # bytes kept unscanned at a block's end, so no marker is cut in two

# Publication types that decide the document type, strongest first (PubMed's own names).
_TYPE_BY_PUBLICATION: tuple[tuple[DocType, frozenset[str]], ...] = (
    (DocType.GUIDELINE, frozenset({"practice guideline", "guideline", "consensus development conference, nih",
                                   "consensus development conference"})),
    (DocType.SYSTEMATIC_REVIEW, frozenset({"meta-analysis", "systematic review", "network meta-analysis"})),
    (DocType.RCT, frozenset({"randomized controlled trial", "randomized controlled trial, veterinary"})),
    (DocType.CASE_REPORT, frozenset({"case reports"})),
    (DocType.OBSERVATIONAL, frozenset({"observational study", "observational study, veterinary", "twin study",
                                       "comparative study", "multicenter study", "validation study",
                                       "evaluation study"})),
    (DocType.NARRATIVE_REVIEW, frozenset({"review", "scoping review"})),
    (DocType.PATIENT_INFORMATION, frozenset({"patient education handout"})),
)
# Weaker than a study-design publication type: classify_study's reading of the text is asked first.
_WEAK_OBSERVATIONAL = frozenset({"comparative study", "multicenter study", "validation study", "evaluation study"})


def doc_type_of(publication_types: tuple[str, ...], title: str, abstract: str) -> DocType:
    """The document type from PubMed's publication types; :func:`classify_study` when none decides."""
    kinds = {p.strip().lower() for p in publication_types}
    for doc_type, names in _TYPE_BY_PUBLICATION:
        decisive = names - _WEAK_OBSERVATIONAL
        if kinds & decisive:
            return doc_type
    return classify_study(title, abstract)


def _text(element: etree._Element | None) -> str:
    """All text inside an element (inline markup such as <i> and <sup> kept as its words), spaces collapsed."""
    if element is None:
        return ""
    # A leaf's text is all of it; itertext (a Python-level walk) only where there is markup inside.
    raw = element.text if not len(element) else "".join(element.itertext())
    return " ".join(raw.split()) if raw else ""


def _texts(elements: list[etree._Element]) -> tuple[str, ...]:
    """The non-empty texts of ``elements``, in order."""
    return tuple(text for text in map(_text, elements) if text)


# Compiled once: an XPath runs in libxml2, where ElementPath's find/iterfind step through Python for each call.
_X = etree.XPath
_PMID = _X("PMID[1]")
_ARTICLE = _X("Article[1]")
_TITLES = _X("ArticleTitle | VernacularTitle")
_JOURNAL_TITLES = _X("Journal/Title | Journal/ISOAbbreviation")
_ARTICLE_IDS = _X("PubmedData[1]/ArticleIdList/ArticleId")
_DOI_LOCATIONS = _X("ELocationID[@EIdType='doi']")
_PUBLICATION_TYPES = _X("PublicationTypeList/PublicationType")
_ABSTRACT_TEXTS = _X("Abstract/AbstractText")
_AUTHORS = _X("AuthorList/Author")
_MESH_NAMES = _X("MeshHeadingList/MeshHeading/DescriptorName[1]")
_KEYWORDS = _X("KeywordList/Keyword")
_CORRECTION_TYPES = _X("CommentsCorrectionsList/CommentsCorrections/@RefType")
_NAME_PARTS = frozenset({"CollectiveName", "LastName", "Initials", "ForeName"})


def _year(citation: etree._Element, pubmed_data: etree._Element | None) -> int | None:
    for path in ("Article/Journal/JournalIssue/PubDate/Year", "Article/ArticleDate/Year", "DateCompleted/Year"):
        value = citation.findtext(path)
        if value and value.strip().isdigit():
            return int(value.strip())
    medline_date = citation.findtext("Article/Journal/JournalIssue/PubDate/MedlineDate") or ""
    match = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", medline_date)  # "1998 Dec-1999 Jan": the first year
    if match:
        return int(match.group(1))
    if pubmed_data is not None:
        value = pubmed_data.findtext("History/PubMedPubDate[@PubStatus='pubmed']/Year")
        if value and value.strip().isdigit():
            return int(value.strip())
    return None


def _authors(article: etree._Element) -> tuple[str, ...]:
    names: list[str] = []
    for author in _AUTHORS(article):
        if author.get("ValidYN", "Y") == "N":
            continue
        parts: dict[str, etree._Element] = {}
        for child in author:  # one pass over the children; the first of each name part counts
            if child.tag in _NAME_PARTS and child.tag not in parts:
                parts[child.tag] = child
        collective = _text(parts.get("CollectiveName"))
        if collective:
            names.append(collective)
            continue
        last = _text(parts.get("LastName"))
        initials = _text(parts.get("Initials")) or _text(parts.get("ForeName"))
        name = " ".join(part for part in (last, initials) if part)
        if name:
            names.append(name)
    return tuple(names)


def _abstract_parts(article: etree._Element) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for node in _ABSTRACT_TEXTS(article):
        label = (node.get("Label") or node.get("NlmCategory") or UNLABELLED).strip()
        if label.upper() == "UNASSIGNED":
            label = UNLABELLED
        text = _text(node)
        if text:
            parts.append((label, text))
    return parts


def _flags(publication_types: tuple[str, ...], citation: etree._Element) -> tuple[str, ...]:
    kinds = {p.lower() for p in publication_types}
    refs = set(_CORRECTION_TYPES(citation))
    flags: list[str] = []
    if "retracted publication" in kinds or "RetractionIn" in refs:
        flags.append(RETRACTED)
    if "ExpressionOfConcernIn" in refs:
        flags.append(EXPRESSION_OF_CONCERN)
    return tuple(flags)


class RecordProblem(ValueError):
    """A record that cannot become a document (no PMID, no title)."""


def _first_text(elements: list[etree._Element], tag: str) -> str:
    """The text of the first element named ``tag`` among ``elements`` (an XPath union, in document order)."""
    return next((_text(e) for e in elements if e.tag == tag), "")


def citation_document(record: etree._Element, *, passage_chars: int = 1200) -> Document:
    """The Document of one ``PubmedArticle`` element."""
    citation = record.find("MedlineCitation")
    if citation is None:
        raise RecordProblem("no MedlineCitation")
    pmid_nodes = _PMID(citation)
    pmid_node = pmid_nodes[0] if pmid_nodes else None
    pmid = (pmid_node.text or "").strip() if pmid_node is not None else ""
    if not pmid.isdigit():
        raise RecordProblem("missing PMID" if not pmid else f"PMID {pmid!r} is not a number")
    articles = _ARTICLE(citation)
    if not articles:
        raise RecordProblem(f"PMID {pmid}: no Article element")
    article = articles[0]
    titles = _TITLES(article)
    title = _first_text(titles, "ArticleTitle") or _first_text(titles, "VernacularTitle")
    if not title:
        raise RecordProblem(f"PMID {pmid}: no title")
    pubmed_data = record.find("PubmedData")
    ids = {node.get("IdType", ""): (node.text or "").strip() for node in _ARTICLE_IDS(record)}
    doi = ids.get("doi") or next(((e.text or "").strip() for e in _DOI_LOCATIONS(article) if (e.text or "").strip()),
                                 None)
    pmcid = ids.get("pmc") or None
    publication_types = _texts(_PUBLICATION_TYPES(article))
    parts = _abstract_parts(article)
    abstract = "\n".join(text for _, text in parts)
    journals = _JOURNAL_TITLES(article)
    journal = _first_text(journals, "Title") or _first_text(journals, "ISOAbbreviation") or None
    doc = Document(
        doc_id=pmid, source=SOURCE, title=title, doc_type=doc_type_of(publication_types, title, abstract),
        year=_year(citation, pubmed_data), organization=journal, url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        pmid=pmid, pmcid=pmcid, doi=doi or None, version=(pmid_node.get("Version") or "1").strip() or "1",
        flags=_flags(publication_types, citation), authors=_authors(article),
        mesh_terms=_texts(_MESH_NAMES(citation)), keywords=_texts(_KEYWORDS(citation)),
        publication_types=publication_types,
    )
    for section, text in pack_parts(parts, passage_chars):
        doc.add_passage(section, text)
    return doc


class _Lines:
    """Line numbers of positions in a sliding buffer, counted once (positions asked in increasing order)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.position = 0  # counted up to here in buffer
        self.line = 1  # the line number at buffer[position]

    def at(self, position: int) -> int:
        if position > self.position:
            self.line += self.buffer.count(b"\n", self.position, position)
            self.position = position
        return self.line

    def drop(self, keep: int) -> None:
        """Forget buffer[:keep] (the caller keeps buffer[keep:])."""
        self.at(keep)
        self.position -= keep


def _records(handle: BinaryIO, name: str, report: IngestReport) -> Iterator[tuple[int, str, bytes]]:
    """``(line, tag, bytes)`` of every PubmedArticle, PubmedBookArticle and DeleteCitation in the stream."""
    lines = _Lines()
    buffer = b""
    start: int | None = None  # where the open record starts in buffer
    start_line = 0
    open_tag = ""
    scan_from = 0
    eof = False
    # read1: a gzip stream cut short still gives what it decompressed before the cut (read would drop it).
    read = getattr(handle, "read1", handle.read)
    while not eof:
        try:
            block = read(_BLOCK)
        except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip stream
            at = start_line if start is not None else lines.at(len(buffer))
            report.problem(name, at, f"file cut short or corrupt ({exc}); the records before this point were read",
                           kind="unreadable file")
            return
        eof = not block
        buffer += block
        lines.buffer = buffer
        limit = len(buffer) if eof else max(scan_from, len(buffer) - _TAIL)
        for match in _MARKER.finditer(buffer, scan_from):
            if match.start() >= limit:  # seen whole next time (a marker may straddle the block's end)
                break
            closing, tag = match.group(1) == b"/", match.group(2).decode()
            if not closing:
                if start is not None:  # the previous record never closed: cut it off here
                    report.problem(name, start_line,
                                   f"malformed record: <{open_tag}> not closed before the next record; skipped",
                                   kind="malformed XML")
                start, open_tag, start_line = match.start(), tag, lines.at(match.start())
            elif start is not None and tag == open_tag:
                yield start_line, tag, buffer[start:match.end() + 1]
                start = None
        scan_from = limit
        keep = start if start is not None else scan_from
        lines.drop(keep)
        buffer = buffer[keep:]
        lines.buffer = buffer
        scan_from -= keep
        if start is not None:
            start = 0
    if start is not None:
        report.problem(name, start_line, f"<{open_tag}> not closed at the end of the file; skipped", kind="malformed XML")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)


def iter_medline(source: Path | BinaryIO, report: IngestReport, *, name: str | None = None,
                 passage_chars: int = 1200) -> Iterator[Document | Deletion]:
    """Documents and deletions of one PubmedArticleSet (a path to ``.xml`` or ``.xml.gz``, or a binary stream,
    gzipped or not); ``name`` is what problems call the file (default: the path)."""
    for _number, record in medline_records(source, report, name=name):
        if record is not None:
            yield from record_items(record, report, passage_chars)


_Record = tuple[str, int, str, bytes]  # file label, line, tag, the record's bytes


def medline_records(source: Path | BinaryIO, report: IngestReport, *, name: str | None = None,
                    parse: Callable[[int], bool] | None = None) -> Iterator[tuple[int, _Record | None]]:
    """``(number, record)`` for each record of one PubmedArticleSet (numbered from 0, in file order; read its items
    with :func:`record_items`), then ``(number of records, None)`` at the end. ``parse`` chooses the numbers to
    give: the others come as ``(number, None)``, and the problems met finding them (or at the end, numbered as the
    record after the last) are dropped, left to whoever parses them: workers that parse alternate runs of records
    report, between them, what one would."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        with path.open("rb") as raw:
            yield from medline_records(raw, report, name=name or str(path), parse=parse)
        return
    label = str(name or getattr(source, "name", "<stream>"))
    if hasattr(source, "peek"):
        head = source.peek(2)[:2]
    elif source.seekable():
        head = source.read(2)
        source.seek(-len(head), 1)
    else:
        head = b"\x1f\x8b" if label.endswith(".gz") else b""
    handle: BinaryIO = gzip.GzipFile(fileobj=source) if head == b"\x1f\x8b" else source  # type: ignore[assignment]
    records = _records(handle, label, report)
    number = 0
    while True:
        before = len(report.problems)
        found = next(records, None)
        mine = parse is None or parse(number)
        if not mine:
            del report.problems[before:]
        if found is None:
            yield number, None
            return
        yield number, (label, *found) if mine else None
        number += 1


def record_items(record: _Record, report: IngestReport, passage_chars: int = 1200) -> list[Document | Deletion]:
    """The items of one record: a document, the deletions of a DeleteCitation, or none (a problem, a book)."""
    return _record_items(*record, report, passage_chars)


def _record_items(label: str, line: int, tag: str, chunk: bytes, report: IngestReport,
                  passage_chars: int) -> list[Document | Deletion]:
    try:
        element = etree.fromstring(chunk[: chunk.rfind(b">") + 1], _PARSER)
    except etree.XMLSyntaxError as exc:
        kind = "broken encoding" if "encoding" in str(exc).lower() or "utf-8" in str(exc).lower() else "malformed XML"
        report.problem(label, line, f"{kind}: {exc}; record skipped", kind=kind)
        return []
    if tag == "DeleteCitation":
        return [Deletion((pmid.text or "").strip()) for pmid in element.iterfind("PMID") if (pmid.text or "").strip()]
    if tag == "PubmedBookArticle":
        return []  # books (NCBI Bookshelf chapters) are not citations of the literature
    try:
        doc = citation_document(element, passage_chars=passage_chars)
    except RecordProblem as exc:
        report.problem(label, line, f"{exc}; record skipped", kind=str(exc).split(":")[-1].strip())
        return []
    report.count(SOURCE)
    return [doc]


# --- parsing in processes of their own ----------------------------------------------------------------------
# The parse is most of the library stage's CPU; in worker processes it runs beside the library writes (and
# beside the index build's own threads), so an ingest uses every core of a small machine. A worker also encodes
# each document as the library stores it (canonical JSON, hash, zlib), leaving the writer only writes. Each file
# is parsed by a plain child process (``python -c``: no fork of a process that may hold threads, no re-import of
# the caller's main module, which multiprocessing's spawn would run again) into a spool file of its own
# (anonymous, on disk: a file parsed ahead is never held in memory); the ingest reads each spool in file order
# while the next files are parsed.
_WORKER_BATCH = 256  # items a message: a message costs little beside the records it carries
_FRAME = struct.Struct("<Q")  # each message: its length, then the pickle


def worker_command(code: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a Python child running ``code`` with this installation's curbside."""
    import curbside

    package_root = str(Path(curbside.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return [sys.executable, "-c", code], env


def parse_to_stdout(path: str, passage_chars: int, parent: int, for_index: bool = False, part: int = 0,
                    parts: int = 1, records_per_message: int = _WORKER_BATCH) -> None:
    """The worker: the items of one file (documents encoded) as messages of ``(kind, payload)`` on stdout:
    ``("items", (batch, problems))``, one a run of ``records_per_message`` records, then ``("end", vocabulary)``,
    or ``("error", text)``. With ``parts`` > 1 this worker parses the runs ``part``, ``part + parts``, ... of the
    file (and sends a message for each, up to the run of the file's end), another worker the others: read in
    turn, their messages give what one worker gives. With ``for_index`` each document also carries its values
    (:class:`Encoded`) and ``vocabulary`` counts the passages each spelling word occurs in (else it is None):
    what an index built beside the library takes. Stops when its parent is gone (a killed ingest)."""
    out = sys.stdout.buffer

    def send(message: tuple[str, Any]) -> None:
        if os.getppid() != parent:
            os._exit(0)
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(data)) + data)
        out.flush()

    report = IngestReport()
    batch: list[Encoded | Deletion] = []
    sent_problems = 0
    vocabulary: Counter[str] = Counter()

    def send_run() -> None:
        nonlocal batch, sent_problems
        send(("items", (batch, report.problems[sent_problems:])))
        sent_problems, batch = len(report.problems), []

    def mine(number: int) -> bool:
        return (number // records_per_message) % parts == part

    try:
        for number, record in medline_records(Path(path), report, parse=mine):
            for item in record_items(record, report, passage_chars) if record is not None else ():
                if isinstance(item, Deletion):
                    batch.append(item)
                    continue
                batch.append(Encoded.of(item, values=for_index))
                if for_index:
                    for passage in item.passages:
                        vocabulary.update(passage_words(item.title, passage.section, passage.text))
            # a run ends before the next record is looked for (the problems met finding it are the next run's);
            # the end (record None) closes the last run, which may hold no record, only the end's problems
            if mine(number) and (record is None or (number + 1) % records_per_message == 0):
                send_run()
        send(("end", dict(vocabulary) if for_index else None))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class _PartParse:
    """One worker process parsing (a part of) a file into an anonymous spool file, read back message by message."""

    def __init__(self, path: Path, passage_chars: int, for_index: bool, part: int, parts: int,
                 records_per_message: int) -> None:
        self.path = path
        self.spool = tempfile.TemporaryFile(prefix="curbside-medline-")
        self.offset = 0
        command, env = worker_command("from curbside.corpus.loaders.medline import parse_to_stdout; "
                                      f"parse_to_stdout({str(path)!r}, {int(passage_chars)}, {os.getpid()}, "
                                      f"{bool(for_index)}, {int(part)}, {int(parts)}, {int(records_per_message)})")
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=self.spool)

    def _frame(self) -> bytes | None:
        fd = self.spool.fileno()
        head = os.pread(fd, _FRAME.size, self.offset)
        if len(head) < _FRAME.size:
            return None
        (size,) = _FRAME.unpack(head)
        body = os.pread(fd, size, self.offset + _FRAME.size)
        if len(body) < size:
            return None
        self.offset += _FRAME.size + size
        return body

    def next_message(self) -> tuple[str, Any]:
        wait = 0.001
        while True:
            exited = self.process.poll() is not None  # before reading: what it wrote before exiting is there
            body = self._frame()
            if body is not None:
                return pickle.loads(body)
            if exited:
                raise RuntimeError(f"the MEDLINE parse worker stopped (exit code {self.process.returncode}) "
                                   f"while reading {self.path}")
            time.sleep(wait)
            wait = min(wait * 2, 0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.spool.close()


class _FileParse:
    """One file parsed by ``parts`` worker processes, each taking alternate runs of records; their messages are
    read in turn (the run order), and the file ends where the worker whose turn it is ends."""

    def __init__(self, path: Path, passage_chars: int, for_index: bool, parts: int = 1,
                 records_per_message: int = _WORKER_BATCH) -> None:
        self.parts = [_PartParse(path, passage_chars, for_index, k, parts, records_per_message) for k in range(parts)]
        self.turn = 0

    def running(self) -> int:
        return sum(part.process.poll() is None for part in self.parts)

    def pids(self) -> list[int]:
        return [part.process.pid for part in self.parts]

    def next_message(self) -> tuple[str, Any]:
        kind, payload = self.parts[self.turn % len(self.parts)].next_message()
        if kind != "end":
            self.turn += 1
            return kind, payload
        # the end of the file: every other worker has sent its runs before it, and ends too
        counts: Counter[str] | None = Counter(payload) if payload is not None else None
        for other in self.parts:
            if other is not self.parts[self.turn % len(self.parts)]:
                other_kind, other_payload = other.next_message()
                if other_kind != "end":
                    return other_kind, other_payload if other_kind == "error" else "a worker sent more runs"
                if counts is not None and other_payload is not None:
                    counts.update(other_payload)
        return "end", None if counts is None else dict(counts)

    def close(self) -> None:
        for part in self.parts:
            part.close()


class _Lookahead:
    """An iterator of paths that can tell whether it has another one (taking it ahead)."""

    def __init__(self, paths: Iterator[Path]) -> None:
        self._paths = paths
        self._next: list[Path] = []

    def done(self) -> bool:
        if not self._next:
            self._next = [p for p in (next(self._paths, None),) if p is not None]
        return not self._next

    def next(self) -> Path | None:
        return None if self.done() else self._next.pop()


class MedlineParser:
    """MEDLINE files parsed in worker processes, ``workers`` files at a time, their items read back in order.

    ``items(path, report, ahead)`` yields exactly what ``iter_medline(path, report)`` yields, documents in their
    :class:`~curbside.corpus.library.Encoded` form (what :meth:`Library.ingest` stores), and adds the same
    problems and counts to ``report``; the next files of ``ahead`` (the files to read next, taken lazily) are
    parsed meanwhile, as many at a time as keep ``workers`` parses running, at most ``workers`` files ahead. Each file's items wait in a spool file on disk, not in memory. Leaving the ``with`` block
    (an error, an interrupt) stops every worker, and a worker whose parent was killed stops by itself.

    ``for_index``: each document also carries its values, and ``vocabulary`` (given to :meth:`items`) gains the
    spelling words of each file read to its end (:func:`parse_to_stdout`)."""

    def __init__(self, passage_chars: int = 1200, workers: int = 2, *, for_index: bool = False,
                 records_per_message: int = _WORKER_BATCH) -> None:
        self.passage_chars = passage_chars
        self.workers = max(1, workers)
        self.for_index = for_index
        self.records_per_message = records_per_message
        self._running: dict[Path, _FileParse] = {}

    def __enter__(self) -> MedlineParser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def pids(self) -> list[int]:
        return [pid for parse in self._running.values() for pid in parse.pids()]

    def _start(self, path: Path, last: bool) -> _FileParse:
        # The last file to parse is split between the workers (alternate runs of records), so that it keeps every
        # core busy too (each worker also reads, but does not parse, the other's records).
        return _FileParse(path, self.passage_chars, self.for_index, self.workers if last else 1,
                          self.records_per_message)

    def items(self, path: Path, report: IngestReport, ahead: Iterable[Path] = (),
              vocabulary: Callable[[dict[str, int]], None] | None = None) -> Iterator[Encoded | Deletion]:
        upcoming = _Lookahead(iter(ahead))
        parse = self._running.pop(path, None) or self._start(path, last=upcoming.done())
        self._running[path] = parse  # while it is read (close() stops it too)
        try:
            while True:
                self._top_up(upcoming)
                kind, payload = parse.next_message()
                if kind == "end":
                    if vocabulary is not None and payload is not None:
                        vocabulary(payload)
                    return
                if kind == "error":
                    raise RuntimeError(f"the MEDLINE parse worker failed on {path}: {payload}")
                batch, problems = payload
                report.problems.extend(problems)
                documents = sum(not isinstance(item, Deletion) for item in batch)
                if documents:
                    report.count(SOURCE, documents)
                yield from batch
        finally:
            if self._running.get(path) is parse:
                del self._running[path]
            parse.close()

    def _top_up(self, upcoming: _Lookahead) -> None:
        """Start the next files of ``upcoming`` while fewer than ``workers`` parses run and fewer than ``workers``
        files wait ahead of the one being read (their spools on disk): a worker that finished its file starts the
        next one at once, so every core parses until the last file."""
        while True:
            running = sum(parse.running() for parse in self._running.values())
            if running >= self.workers or len(self._running) - 1 >= self.workers:
                return
            path = upcoming.next()
            if path is None:
                return
            if path not in self._running:
                self._running[path] = self._start(path, last=upcoming.done())

    def close(self) -> None:
        running, self._running = self._running, {}
        for parse in running.values():
            parse.close()

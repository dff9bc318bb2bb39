"""The types every layer shares: Document, Passage, and the evidence-level scale.

A Document is one source record (a guideline topic, an abstract, a patient-information page).
A Passage is one section of it, small enough to read and embed, with an id stable across re-ingests
of the same document version. Sentences are located inside passages by character offsets
(see :mod:`curbside.corpus.text`), so that every quote can be traced to its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DocType(StrEnum):
    """The kind of source a document is; its evidence level (1 strongest .. 5) follows from it."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"  # systematic review or meta-analysis
    RCT = "rct"
    OBSERVATIONAL = "observational"
    CASE_REPORT = "case_report"  # case report or case series
    NARRATIVE_REVIEW = "narrative_review"
    PATIENT_INFORMATION = "patient_information"
    DRUG_LABEL = "drug_label"


# Evidence levels, adapted from the Oxford CEBM 2011 levels (1 strongest .. 5 weakest).
# Guidelines sit at level 1 because the graded ones in the corpus (USPSTF, VA/DoD, CDC ...) rest on
# systematic reviews; their own grade (A/B/C/D/I, strength codes) is kept separately on each statement.
# A drug label's indications and dosing rest on the registration trials, hence level 2.
# Patient information and narrative reviews are expert summaries: level 5.
EVIDENCE_LEVELS: dict[DocType, int] = {
    DocType.GUIDELINE: 1,
    DocType.SYSTEMATIC_REVIEW: 1,
    DocType.RCT: 2,
    DocType.DRUG_LABEL: 2,
    DocType.OBSERVATIONAL: 3,
    DocType.CASE_REPORT: 4,
    DocType.NARRATIVE_REVIEW: 5,
    DocType.PATIENT_INFORMATION: 5,
}

EVIDENCE_SCALE_NAME = "Curbside levels 1-5 (adapted from Oxford CEBM 2011)"

# Document flags (``Document.flags``): a retracted publication is never cited; one under an expression of
# concern may be, with the concern shown on its reference.
RETRACTED = "retracted"
EXPRESSION_OF_CONCERN = "expression_of_concern"

# The document types that report research (studies and their syntheses), as opposed to guidance, labels and
# patient information.
RESEARCH_TYPES = frozenset(
    {DocType.SYSTEMATIC_REVIEW, DocType.RCT, DocType.OBSERVATIONAL, DocType.CASE_REPORT, DocType.NARRATIVE_REVIEW}
)

# What a document is, shown wherever one document's level is shown ("Level 2: Drug label (FDA)"): a level
# holds several types, so the level's own name never stands for the document's type.
DOC_TYPE_LABELS: dict[DocType, str] = {
    DocType.GUIDELINE: "Guideline",
    DocType.SYSTEMATIC_REVIEW: "Systematic review / meta-analysis",
    DocType.RCT: "Randomized controlled trial",
    DocType.OBSERVATIONAL: "Observational study",
    DocType.CASE_REPORT: "Case report / series",
    DocType.NARRATIVE_REVIEW: "Narrative review",
    DocType.PATIENT_INFORMATION: "Patient information",
    DocType.DRUG_LABEL: "Drug label (FDA)",
}


def doc_type_words(doc_type: DocType | str) -> str:
    """The type's label inside a sentence ("drug label (FDA)", "randomized controlled trial"); a value that is
    no document type is spelled out ("some_type" -> "some type")."""
    try:
        label = DOC_TYPE_LABELS[DocType(doc_type)]
    except ValueError:
        return str(doc_type).replace("_", " ")
    return label[:1].lower() + label[1:]


def evidence_level(doc_type: DocType | str) -> int:
    return EVIDENCE_LEVELS[DocType(doc_type)]


def evidence_level_labels() -> dict[int, str]:
    """Each level with the document types it holds, e.g. ``{2: "Randomized controlled trial; Drug label (FDA)"}``:
    the scale's legend. One document's badge names its own type (``DOC_TYPE_LABELS``)."""
    labels: dict[int, list[str]] = {}
    for doc_type, level in EVIDENCE_LEVELS.items():
        labels.setdefault(level, []).append(DOC_TYPE_LABELS[doc_type])
    return {level: "; ".join(names) for level, names in sorted(labels.items())}


@dataclass(frozen=True, slots=True)
class Passage:
    """A section of a document. ``passage_id`` is ``f"{doc_id}#{ordinal}"``."""

    passage_id: str
    doc_id: str
    ordinal: int
    section: str
    text: str
    # The recommendation strength or grade this passage carries as a whole (a USPSTF specific
    # recommendation's grade "B"); statements inside a passage may carry their own codes ("[B]").
    grade: str | None = None

    @staticmethod
    def make_id(doc_id: str, ordinal: int) -> str:
        return f"{doc_id}#{ordinal}"


@dataclass(slots=True)
class Document:
    doc_id: str  # PMID for PubMed records, else a source-prefixed id ("uspstf-182", "ngc-10008")
    source: str  # loader name: "uspstf", "ngc", "medquad", "pubmedqa", "pmc_rct", "spl", "bioasq"
    title: str
    doc_type: DocType
    year: int | None = None
    organization: str | None = None  # guideline developer, journal, or NIH site
    url: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    license: str | None = None
    version: str = "1"
    flags: tuple[str, ...] = ()  # "retracted", "expression_of_concern"
    # How this document's grade codes are defined (a guideline's rating scheme), for references.
    grade_scheme: str | None = None
    # A short text naming the whole document (its title or focus), kept in the metadata store.
    # Not embedded: passages carry their own title and section into dense search.
    key_text: str | None = None
    passages: list[Passage] = field(default_factory=list)
    # Bibliographic detail of PubMed records, kept in the document library (corpus/library.py) for `show`;
    # the index's metadata store does not hold them.
    authors: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()  # MeSH descriptor names
    keywords: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()  # PubMed's, as written ("Randomized Controlled Trial")

    @property
    def evidence_level(self) -> int:
        return evidence_level(self.doc_type)

    def add_passage(self, section: str, text: str, grade: str | None = None) -> Passage | None:
        """Append a passage (ignored when blank) and return it."""
        text = text.strip()
        if not text:
            return None
        ordinal = len(self.passages)
        passage = Passage(Passage.make_id(self.doc_id, ordinal), self.doc_id, ordinal, section.strip(), text, grade)
        self.passages.append(passage)
        return passage


@dataclass(frozen=True, slots=True)
class IngestProblem:
    """A record that could not be read: which file, which line (1-based; 0 for the whole file), why."""

    file: str
    line: int
    message: str
    kind: str = ""  # what groups like problems in a summary (e.g. "repeated question/answer pair"); else the message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    @property
    def group(self) -> str:
        return self.kind or self.message


@dataclass(slots=True)
class IngestReport:
    """Collects the problems met while loading, so a bad line is reported, not silently dropped or fatal."""

    problems: list[IngestProblem] = field(default_factory=list)
    documents_by_source: dict[str, int] = field(default_factory=dict)

    def problem(self, file: str, line: int, message: str, *, kind: str = "") -> None:
        self.problems.append(IngestProblem(str(file), line, message, kind))

    def count(self, source: str, n: int = 1) -> None:
        self.documents_by_source[source] = self.documents_by_source.get(source, 0) + n


def summarize_problems(problems: Sequence[IngestProblem]) -> list[dict[str, Any]]:
    """Problems grouped by file and kind, in first-seen order: file, kind, count and the lines (0: whole file)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in problems:
        group = groups.setdefault((p.file, p.group), {"file": p.file, "kind": p.group, "count": 0, "lines": [], "first": str(p)})
        group["count"] += 1
        group["lines"].append(p.line)
    return list(groups.values())

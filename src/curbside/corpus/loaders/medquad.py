"""MedQuAD question/answer pairs (``medquad_answered.jsonl``), grouped into one document per NIH page.

MedQuAD's ``doc_id`` is numbered per source ("0000004" exists in GARD, GHR, NINDS ...), so a page is
identified by source and doc_id together: ``medquad-GARD_0004450``. That is also how MedQuAD's
own answer ids ("GARD_0004450_Sec3.txt", used by the LiveQA judgments) name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import RecordError, chunk_text, get_str, read_jsonl

SOURCE = "medquad"
LICENSE = "CC BY 4.0"
ORGANIZATIONS = {
    "GHR": "Genetics Home Reference (NLM)",
    "GARD": "Genetic and Rare Diseases Information Center (NIH)",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)",
    "NINDS": "National Institute of Neurological Disorders and Stroke (NINDS)",
    "MPlusHealthTopics": "MedlinePlus",
    "NIHSeniorHealth": "NIHSeniorHealth",
    "CancerGov": "National Cancer Institute",
    "NHLBI": "National Heart, Lung, and Blood Institute (NHLBI)",
    "CDC": "Centers for Disease Control and Prevention (CDC)",
}


def medquad_doc_id(source: str, doc_id: str) -> str:
    """``medquad-GARD_0004450``: the document id of a MedQuAD page (source plus MedQuAD doc_id)."""
    return f"medquad-{source}_{doc_id}"


@dataclass(slots=True)
class _Page:
    first_line: int
    source: str
    doc_id: str
    focus: str
    url: str | None
    pairs: list[tuple[str, str]] = field(default_factory=list)


def _pair(record: dict[str, Any]) -> tuple[str, str, str, str, str | None, str, str]:
    source = get_str(record, "source")
    qid = get_str(record, "qid", required=False) or ""
    # A few CDC lines lack doc_id; their qid ("0000397-1") is the doc_id and the pair number.
    doc_id = get_str(record, "doc_id", required=not qid) or qid.rsplit("-", 1)[0]
    question = get_str(record, "question")
    answer = get_str(record, "answer")
    focus = get_str(record, "focus", required=False) or question
    url = get_str(record, "url", required=False)
    assert source is not None and question is not None and answer is not None
    return source, doc_id, focus, question, url, answer, qid


def load_medquad(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One PATIENT_INFORMATION Document per MedQuAD page, one passage (or more, if long) per QA pair.

    Pages are yielded in the order their first line appears; pairs keep their file order.
    """
    path = Path(path)
    pages: dict[tuple[str, str], _Page] = {}
    for line, record in read_jsonl(path, report):
        try:
            source, doc_id, focus, question, url, answer, qid = _pair(record)
        except RecordError as exc:
            report.problem(str(path), line, str(exc))
            continue
        page = pages.get((source, doc_id))
        if page is None:
            page = pages[(source, doc_id)] = _Page(line, source, doc_id, focus, url)
        # qids are not unique (a CancerGov page answers one question per focus), so repeats are
        # recognised by their text: an identical pair twice would only duplicate evidence.
        if (question, answer) in page.pairs:
            report.problem(str(path), line, f"repeated question/answer pair ({qid or question}); kept the first",
                           kind="repeated question/answer pair (kept the first)")
            continue
        page.pairs.append((question, answer))
    for page in pages.values():
        doc = Document(
            doc_id=medquad_doc_id(page.source, page.doc_id),
            source=SOURCE,
            title=page.focus,
            doc_type=DocType.PATIENT_INFORMATION,
            year=None,  # MedQuAD pages carry no date
            organization=ORGANIZATIONS.get(page.source, page.source),
            url=page.url,
            license=LICENSE,
            key_text=f"{page.focus}: {page.pairs[0][0]}",
        )
        for question, answer in page.pairs:
            for chunk in chunk_text(answer, passage_chars):
                doc.add_passage(question, chunk)
        if not doc.passages:
            report.problem(str(path), page.first_line, f"{doc.doc_id} has no answer text")
            continue
        report.count(SOURCE)
        yield doc

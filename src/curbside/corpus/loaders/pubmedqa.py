"""PubMedQA PQA-L abstracts (``ori_pqal.json``: one JSON object keyed by PMID).

The abstract is CONTEXTS (labelled sections, without the conclusion) plus LONG_ANSWER (the
conclusion). The conclusion is kept as its own final passage, section "CONCLUSIONS", with exactly
the LONG_ANSWER text, so an evaluation can find it. ``final_decision`` is never ingested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curbside.corpus.documents import Document, IngestReport
from curbside.corpus.loaders.common import (
    RecordError,
    classify_study,
    get_list,
    get_str,
    pack_parts,
    parse_year,
    require_file,
)
from curbside.errors import IngestError

SOURCE = "pubmedqa"
LICENSE = "MIT (PubMedQA)"
CONCLUSIONS = "CONCLUSIONS"


def _build(pmid: str, record: Any, passage_chars: int) -> Document:
    if not isinstance(record, dict):
        raise RecordError(f"record {pmid} should be an object, got {type(record).__name__}")
    question = get_str(record, "QUESTION")
    long_answer = get_str(record, "LONG_ANSWER")
    assert question is not None and long_answer is not None
    contexts = get_list(record, "CONTEXTS")
    labels = get_list(record, "LABELS", required=False)
    if not all(isinstance(c, str) for c in contexts):
        raise RecordError(f"record {pmid}: CONTEXTS should be a list of strings")
    # A missing or short LABELS list is tolerated: the unlabelled contexts are called "ABSTRACT".
    names = [str(label).strip() if isinstance(label, str) and label.strip() else "ABSTRACT" for label in labels]
    names += ["ABSTRACT"] * (len(contexts) - len(names))
    parts = list(zip(names, contexts, strict=False))
    abstract = "\n".join(f"{label}: {text}" for label, text in parts)
    doc = Document(
        doc_id=pmid,
        source=SOURCE,
        title=question,  # PubMedQA questions are the article titles
        doc_type=classify_study(question, f"{abstract}\n{long_answer}"),
        year=parse_year(record.get("YEAR")),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        pmid=pmid,
        license=LICENSE,
        key_text=question,
    )
    for section, text in pack_parts(parts, passage_chars):
        doc.add_passage(section, text)
    doc.add_passage(CONCLUSIONS, long_answer)
    return doc


def load_pubmedqa(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One research Document per PMID of ``ori_pqal.json`` (study type from :func:`classify_study`)."""
    path = require_file(Path(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as exc:
        report.problem(str(path), 0, f"malformed JSON: {exc}")
        return
    except OSError as exc:
        raise IngestError(f"Could not read {path}: {exc}") from exc
    if not isinstance(data, dict):
        report.problem(str(path), 0, f"expected a JSON object keyed by PMID, got {type(data).__name__}")
        return
    for key, record in data.items():
        pmid = str(key).strip()
        if not pmid.isdigit():
            report.problem(str(path), 0, f"key {key!r} is not a PMID; skipped")
            continue
        try:
            doc = _build(pmid, record, passage_chars)
        except RecordError as exc:
            report.problem(str(path), 0, f"PMID {pmid}: {exc}")
            continue
        report.count(SOURCE)
        yield doc

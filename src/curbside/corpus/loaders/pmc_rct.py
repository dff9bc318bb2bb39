"""Randomised trials from the PMC open-access subset (``pmc_rct_abstracts.jsonl``, one article a line).

The abstract's labelled sections are packed into passages. The optional full texts
(``pmc_rct_fulltext.jsonl.gz``) give the same document ids with the body sections as well.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import (
    build_documents,
    RecordError,
    classify_study,
    get_list,
    get_str,
    pack_parts,
    parse_year,
)

SOURCE = "pmc_rct"
UNLABELLED = "ABSTRACT"
# Sections that carry no findings ("The online version contains supplementary material").
SKIPPED_LABELS = frozenset({"ELECTRONIC SUPPLEMENTARY MATERIAL", "SUPPLEMENTARY INFORMATION"})
# Full-text body sections that carry no findings.
SKIPPED_BODY = re.compile(
    r"COMPETING INTERESTS|CONFLICTS? OF INTEREST|AUTHORS'? CONTRIBUTIONS|ACKNOWLEDG|PRE-PUBLICATION HISTORY"
    r"|FUNDING|ABBREVIATIONS|SUPPLEMENTARY|ELECTRONIC SUPPLEMENTARY",
)


def _text(record: dict[str, Any], key: str) -> str | None:
    """A metadata field with its HTML entities ("&#x02013;") decoded."""
    value = get_str(record, key, required=False)
    return html.unescape(value) if value else None


def _license(record: dict[str, Any]) -> str | None:
    license_class = get_str(record, "license_class", required=False)
    license_type = get_str(record, "license_type", required=False)
    if license_class and license_type and license_type.lower() not in license_class.lower():
        return f"{license_class} ({license_type})"
    return license_class or license_type


def pmc_doc_id(record: dict[str, Any]) -> str:
    """The PMID where known, else the PMCID ("PMC101395")."""
    pmid = get_str(record, "pmid", required=False)
    pmcid = get_str(record, "pmcid", required=False)
    if pmid:
        return pmid
    if pmcid:
        return pmcid if pmcid.upper().startswith("PMC") else f"PMC{pmcid}"
    raise RecordError("record has neither 'pmid' nor 'pmcid'")


def _document(record: dict[str, Any], abstract_text: str) -> Document:
    """The Document (without passages) for one article's metadata."""
    doc_id = pmc_doc_id(record)
    pmid = get_str(record, "pmid", required=False)
    pmcid = get_str(record, "pmcid", required=False)
    title = _text(record, "article_title") or _text(record, "title")
    if not title:
        raise RecordError("missing required field 'title'")
    if pmid:
        url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    else:
        url = f"https://www.ncbi.nlm.nih.gov/pmc/articles/{doc_id}/"
    # The set was selected as RCTs: a classifier verdict other than systematic review (a meta-analysis
    # of trials) is overruled, since secondary analyses and protocols of a trial are still trial reports.
    doc_type = classify_study(title, abstract_text)
    if doc_type is not DocType.SYSTEMATIC_REVIEW:
        doc_type = DocType.RCT
    return Document(
        doc_id=doc_id,
        source=SOURCE,
        title=title,
        doc_type=doc_type,
        year=parse_year(record.get("year")),
        organization=_text(record, "journal"),
        url=url,
        pmid=pmid,
        pmcid=pmcid,
        doi=get_str(record, "doi", required=False),
        license=_license(record),
        key_text=title,
    )


def _abstract_parts(record: dict[str, Any]) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for index, section in enumerate(get_list(record, "abstract_sections")):
        if not isinstance(section, dict):
            raise RecordError(f"abstract_sections[{index}] should be an object")
        label = (get_str(section, "label", required=False) or UNLABELLED).upper()
        text = get_str(section, "text", required=False)
        if text and label not in SKIPPED_LABELS:
            parts.append((label, html.unescape(text)))
    return parts


def _fulltext_titles(path: Path) -> dict[str, str]:
    """pmcid -> article title, from the full-text file beside the abstracts (empty if it is absent)."""
    titles: dict[str, str] = {}
    if not path.is_file():
        return titles
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for raw in f:
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # reported when the full texts themselves are ingested
            if isinstance(record, dict) and record.get("pmcid") and record.get("article_title"):
                titles[str(record["pmcid"])] = html.unescape(str(record["article_title"]))
    return titles


def _split_glued_title(record: dict[str, Any], titles: dict[str, str]) -> bool:
    """Some records carry the abstract glued to the end of the title and no sections; split them.

    The true title comes from the full-text file. Returns True when the record was repaired.
    """
    glued = _text(record, "title") or ""
    true_title = titles.get(str(record.get("pmcid")), "")
    if not true_title or len(glued) <= len(true_title) + 40 or not glued.startswith(true_title):
        return False
    record["title"] = record["article_title"] = true_title
    record["abstract_sections"] = [{"label": UNLABELLED, "text": glued[len(true_title) :].strip()}]
    return True


def load_pmc_rct(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One Document per article of ``pmc_rct_abstracts.jsonl`` (RCT unless it reads as a systematic review)."""
    path = Path(path)
    titles: dict[str, str] | None = None

    def build(record: dict[str, Any]) -> Document:
        nonlocal titles
        if not record.get("abstract_sections"):
            if titles is None:
                titles = _fulltext_titles(path.parent / "pmc_rct_fulltext.jsonl.gz")
            _split_glued_title(record, titles)
        parts = _abstract_parts(record)
        doc = _document(record, "\n".join(text for _, text in parts))
        if not parts:
            raise RecordError(f"{doc.doc_id} has no abstract text; skipped")
        for section, text in pack_parts(parts, passage_chars):
            doc.add_passage(section, text)
        return doc

    yield from build_documents(path, report, SOURCE, build)


# --- full texts (optional) -----------------------------------------------------------------------

_FULLTEXT_HEADING = re.compile(r"^(TITLE|ABSTRACT|BODY)(?:\.([^\n]*?))?:[ \t]*$", re.MULTILINE)


def fulltext_sections(text: str) -> list[tuple[str, str]]:
    """``(section, body)`` pairs of a full text written as "ABSTRACT.METHODS:" / "BODY.RESULTS:" blocks.

    The title block is dropped (it is the document title). Abstract sections keep their labels
    ("METHODS"), as in :func:`load_pmc_rct`; body sections are named "Full text > LABEL".
    """
    sections: list[tuple[str, str]] = []
    matches = list(_FULLTEXT_HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        kind, label = match.group(1), (match.group(2) or "").strip()
        if not body or kind == "TITLE":
            continue
        if kind == "ABSTRACT":
            sections.append((label or UNLABELLED, body))
        elif not SKIPPED_BODY.search(label.upper()):
            sections.append((f"Full text > {label}" if label else "Full text", body))
    return sections


def load_pmc_fulltext(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One Document per article of ``pmc_rct_fulltext.jsonl.gz``: the abstract, then the body sections.

    Ids match :func:`load_pmc_rct`, so a caller uses one loader or the other for an article.
    """

    def build(record: dict[str, Any]) -> Document:
        body = get_str(record, "text")
        assert body is not None
        sections = [(label, html.unescape(text)) for label, text in fulltext_sections(body)]
        abstract = "\n".join(text for label, text in sections if not label.startswith("Full text"))
        doc = _document(record, abstract)
        if not sections:
            raise RecordError(f"{doc.doc_id} has no text sections; skipped")
        for section, text in pack_parts(sections, passage_chars):
            doc.add_passage(section, text)
        return doc

    yield from build_documents(Path(path), report, SOURCE, build)

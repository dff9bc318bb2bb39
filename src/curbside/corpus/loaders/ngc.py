"""National Guideline Clearinghouse summaries (``ngc_public_domain.jsonl``, one guideline a line).

``major_recommendations`` is scraped HTML flattened to lines: headings are short lines without
end punctuation, recommendations are sentences or "- " bullets. Strength codes ("[B]", "(A statement)",
"Strength of Recommendation: ...") stay inside the passage text, where the evidence layer reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import (
    build_documents,
    RecordError,
    chunk_text,
    clean_lines,
    get_str,
    parse_year,
    truncate,
)

SOURCE = "ngc"
DEFAULT_SECTION = "Major Recommendations"
GRADE_SCHEME_CHARS = 4000
LICENSES = {"us_public_domain_or_no_restrictions": "public domain (US government work or no restrictions)"}

# A heading line: short, no end punctuation, not a bullet, starting with a capital or digit.
_MAX_HEADING_CHARS = 90
_HEADING_END = re.compile(r"[.:;,?!\]\u201d\"]$")
# A line carrying a strength code is a statement, never a heading: its code must stay in the text.
_STRENGTH_CODE = re.compile(
    r"\[(?:[A-D]\d?|I|EO)\]|\(\s*[A-DI]\s+(statement|recommendation)\s*\)|strength of recommendation"
    r"|level of evidence|quality of evidence|\bgrade\s+[A-D]\b",
    re.I,
)
_BULLET = re.compile(r"^[-*\u2022]\s")
# More heading-like lines in a row than this are a flattened table's cells, kept as text.
_MAX_HEADING_RUN = 3
# "... - Federal Government Agency [U.S.]": the developer's kind, after the last " - ".
_DEVELOPER_KIND = re.compile(r"\s+-\s+[A-Z][A-Za-z/ ,.]*(\[[^\]]*\])?\s*$")


def developer_name(developer: str) -> str:
    """"U.S. Preventive Services Task Force" from "U.S. Preventive Services Task Force - Independent Expert Panel".

    NGC lists each developer on its own line with its kind after " - "; several are joined with "; ".
    """
    names: list[str] = []
    for line in developer.splitlines():
        line = line.strip()
        if not line:
            continue
        name = _DEVELOPER_KIND.sub("", line).strip() or line
        if name not in names:
            names.append(name)
    return "; ".join(names)


def _is_heading(line: str) -> bool:
    return (
        3 < len(line) <= _MAX_HEADING_CHARS
        and not _STRENGTH_CODE.search(line)
        # "Condition(s)" ends a heading; "( I statement )" ends a statement (caught above).
        and not (line.endswith(")") and "." in line)
        and not _BULLET.match(line)
        and not _HEADING_END.search(line)
        and (line[0].isupper() or line[0].isdigit())
    )


def recommendation_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(section, lines)`` blocks of a flattened ``major_recommendations`` field.

    One or a few heading lines in a row become the section ("Obese Patients > Recommendations");
    longer runs of short lines are table cells and stay in the body.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    blocks: list[tuple[str, list[str]]] = []
    section = DEFAULT_SECTION
    body: list[str] = []
    i = 0
    while i < len(lines):
        if not _is_heading(lines[i]):
            body.append(lines[i])
            i += 1
            continue
        run_end = i
        while run_end < len(lines) and _is_heading(lines[run_end]):
            run_end += 1
        run = lines[i:run_end]
        if len(run) <= _MAX_HEADING_RUN and run_end < len(lines):
            if body:
                blocks.append((section, body))
                body = []
            section = " > ".join(run[-2:])  # the last two levels are enough to place a statement
        else:
            body.extend(run)
        i = run_end
    if body:
        blocks.append((section, body))
    return blocks


def _chunk_lines(lines: list[str], max_chars: int) -> list[str]:
    """Join lines into chunks of at most ``max_chars``, keeping each bullet whole where possible."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > max_chars:
            if current:
                chunks.append("\n".join(current))
                current, size = [], 0
            chunks.extend(chunk_text(line, max_chars))
            continue
        if current and size + 1 + len(line) > max_chars:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        chunks.append("\n".join(current))
    return chunks


def rating_scheme(record: dict[str, Any]) -> str | None:
    """The recommendation (and evidence) rating schemes, truncated to about 4000 characters."""
    parts: list[str] = []
    recommendation = get_str(record, "recommendation_rating_scheme", required=False)
    evidence = get_str(record, "evidence_rating_scheme", required=False)
    if recommendation and recommendation.lower() != "not applicable":
        parts.append("Rating scheme for the strength of the recommendations:\n" + clean_lines(recommendation))
    if evidence and evidence.lower() != "not applicable":
        parts.append("Rating scheme for the strength of the evidence:\n" + clean_lines(evidence))
    return truncate("\n\n".join(parts), GRADE_SCHEME_CHARS) if parts else None


def _build(record: dict[str, Any], passage_chars: int) -> Document:
    ngc_id = get_str(record, "ngc_id")
    title = get_str(record, "title")
    recommendations = get_str(record, "major_recommendations")
    assert ngc_id is not None and title is not None and recommendations is not None
    title = title.rstrip(".").strip()
    developer = get_str(record, "developer", required=False)
    license_class = get_str(record, "license_class", required=False)
    doc = Document(
        doc_id=ngc_id if ngc_id.startswith("ngc-") else f"ngc-{ngc_id}",
        source=SOURCE,
        title=title,
        doc_type=DocType.GUIDELINE,
        year=parse_year(record.get("date_released")),
        organization=developer_name(developer) if developer else None,
        url=None,  # the NGC site is gone and the data has no link
        license=LICENSES.get(license_class or "", license_class),
        grade_scheme=rating_scheme(record),
        key_text=title,
    )
    for section, lines in recommendation_blocks(recommendations):
        for chunk in _chunk_lines(lines, passage_chars):
            doc.add_passage(section, chunk)
    population = get_str(record, "target_population", required=False)
    if population:
        for chunk in chunk_text(clean_lines(population), passage_chars):
            doc.add_passage("Target Population", chunk)
    if not doc.passages:
        raise RecordError("major_recommendations has no text")
    return doc


def load_ngc(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One GUIDELINE Document per guideline summary of ``ngc_public_domain.jsonl``."""
    yield from build_documents(Path(path), report, SOURCE, lambda record: _build(record, passage_chars))

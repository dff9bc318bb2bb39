"""USPSTF recommendations (one topic a line of ``uspstf_recommendations.jsonl``).

Each specific recommendation becomes its own passage carrying its grade (A, B, C, D, I), so the
evidence layer can quote the graded statement; the rest of the statement (rationale, clinical
considerations, recommendations of others, discussion) is split along its markdown headings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import (
    build_documents,
    RecordError,
    chunk_text,
    get_list,
    get_str,
    parse_year,
    repair_mojibake,
    split_markdown_sections,
)

SOURCE = "uspstf"
ORGANIZATION = "U.S. Preventive Services Task Force"
LICENSE = "public domain (US government work)"
GRADES = ("A", "B", "C", "D", "I")
GRADE_DEFINITIONS_FILE = "uspstf_grade_definitions.json"

# The narrative fields, in reading order, with the section name used when a body has no heading.
NARRATIVE_FIELDS = (
    ("rationale", "Rationale"),
    ("clinical_considerations", "Clinical Considerations"),
    ("recommendations_of_others", "Recommendations of Others"),
    ("discussion", "Discussion"),
)

# Written out when the definitions file is missing, so a guideline never lacks its scheme.
_DEFAULT_DEFINITIONS = {
    "A": "The USPSTF recommends the service. There is high certainty that the net benefit is substantial.",
    "B": "The USPSTF recommends the service. There is high certainty that the net benefit is moderate or "
    "there is moderate certainty that the net benefit is moderate to substantial.",
    "C": "The USPSTF recommends selectively offering or providing this service to individual patients based "
    "on professional judgment and patient preferences. There is at least moderate certainty that the net "
    "benefit is small.",
    "D": "The USPSTF recommends against the service. There is moderate or high certainty that the service has "
    "no net benefit or that the harms outweigh the benefits.",
    "I": "The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and "
    "harms of the service. Evidence is lacking, of poor quality, or conflicting, and the balance of benefits "
    "and harms cannot be determined.",
}

_HAS_NUMBER = re.compile(r"\d")
# For pregnancy-defined populations the API's age range is a placeholder (11-49, 11-64), not a criterion.
_PREGNANCY = re.compile(r"pregnan|postpartum|mothers|reproductive age", re.I)


def grade_scheme(path: Path | None, report: IngestReport) -> str:
    """"USPSTF grades: A: ... B: ..." from ``uspstf_grade_definitions.json`` (else built-in definitions)."""
    definitions = dict(_DEFAULT_DEFINITIONS)
    if path is not None and path.is_file():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            for grade in GRADES:
                value = raw.get(grade)
                # The file lists each definition twice (current and older wording); the first is current.
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str) and text.strip():
                    definitions[grade] = text.strip()
        except (ValueError, AttributeError) as exc:
            report.problem(str(path), 0, f"unreadable grade definitions ({exc}); using built-in definitions")
    lines = ["USPSTF grades:"]
    lines += [f"{g}: {definitions[g].rstrip('.')}." for g in GRADES]
    return "\n".join(lines)


def _age_phrase(age_range: object) -> str | None:
    """"aged 50 to 75 years" from ``[50, 75]``; None for the catch-all ranges (0-100, 18-100 adults)."""
    if not (isinstance(age_range, list) and len(age_range) == 2 and all(isinstance(a, int) for a in age_range)):
        return None
    low, high = age_range
    if low <= 0 and high >= 99:
        return None
    if high >= 99:
        return f"aged {low} {_years(low)} or older"
    if low <= 0:
        return f"aged {high} {_years(high)} or younger"
    return f"aged {low} to {high} years"


def _years(n: int) -> str:
    return "year" if n == 1 else "years"


def _recommendation_section(spec: dict[str, Any], topic: str) -> str:
    """The section title of one specific recommendation, with its population and age range."""
    title = re.sub(r"\s+", " ", get_str(spec, "title", required=False) or topic).strip()
    if " -- " not in title:
        population = get_str(spec, "population", required=False) or get_str(spec, "gender", required=False)
        if population:
            title = f"{title} -- {population}"
    population = title.split(" -- ", 1)[-1]
    age = _age_phrase(spec.get("ageRange"))
    # The population often names its ages already ("Adults aged 50 to 75 years"); add them only if not.
    if age and " -- " in title and not _HAS_NUMBER.search(population) and not _PREGNANCY.search(population):
        title = f"{title} ({age})"
    return title


def _build(record: dict[str, Any], scheme: str, passage_chars: int) -> Document:
    general_id = get_str(record, "general_id")
    title = get_str(record, "title", required=False) or get_str(record, "topic")
    assert general_id is not None and title is not None
    specifics = get_list(record, "specific_recommendations")
    year = parse_year(record.get("pubDate")) or parse_year(record.get("topicYear"))
    doc = Document(
        doc_id=f"uspstf-{general_id}",
        source=SOURCE,
        title=title,
        doc_type=DocType.GUIDELINE,
        year=year,
        organization=ORGANIZATION,
        url=get_str(record, "url", required=False),
        license=LICENSE,
        grade_scheme=scheme,
        key_text=title,
    )
    for index, spec in enumerate(specifics):
        if not isinstance(spec, dict):
            raise RecordError(f"specific_recommendations[{index}] should be an object")
        text = get_str(spec, "text", required=False)
        if not text:
            continue
        raw_grade = (get_str(spec, "grade", required=False) or "").upper()
        # "I statement" and "B recommendation" occur in older dumps; an unknown grade is left out, not fatal.
        grade = raw_grade[0] if raw_grade[:1] in GRADES and (len(raw_grade) == 1 or raw_grade[1] == " ") else None
        doc.add_passage(_recommendation_section(spec, title), repair_mojibake(text), grade=grade)
    for field, default_section in NARRATIVE_FIELDS:
        body = get_str(record, field, required=False)
        if not body:
            continue
        body = repair_mojibake(body)
        for heading_path, section_body in split_markdown_sections(body):
            section = heading_path or default_section
            for chunk in chunk_text(section_body, passage_chars):
                doc.add_passage(section, chunk)
    if not doc.passages:
        raise RecordError("no recommendation or narrative text")
    return doc


def load_uspstf(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One GUIDELINE Document per topic of ``uspstf_recommendations.jsonl``."""
    path = Path(path)
    scheme = grade_scheme(path.parent / GRADE_DEFINITIONS_FILE, report)
    yield from build_documents(path, report, SOURCE, lambda record: _build(record, scheme, passage_chars))

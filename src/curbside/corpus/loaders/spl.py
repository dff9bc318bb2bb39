"""FDA Structured Product Labels (SPL: HL7 v3 XML, LOINC-coded sections) in ``drug_labels/*.xml``.

Each coded section ("Indications & Usage", "Contraindications" ...) becomes passages named after its
LOINC code; unclassified subsections ("5.3 Effects on the Eye") are named under their coded parent:
"Warnings and Precautions > Effects on the Eye". Tables are written one row a line, cells joined by " | ".
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import chunk_text, parse_year
from curbside.errors import IngestError

SOURCE = "spl"
LICENSE = "public domain"
NS = "{urn:hl7-org:v3}"
UNCLASSIFIED = "42229-5"
# Sections without clinical text: product data, indexing data, the package label's printed panel.
SKIPPED_CODES = frozenset({"48780-1", "48779-3", "51945-4"})
# spl_loinc.csv is read first: spl_loinc_sections.csv misnames 43685-7 ("Warnings and cautions").
LOINC_FILES = ("spl_loinc.csv", "spl_loinc_sections.csv")
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\s+")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_SOURCE_SPACE = re.compile(r"\s+")


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _pretty_section_name(name: str) -> str:
    """"Indications and Usage" from LOINC's "Indications & Usage"."""
    name = re.sub(r"^SPL\s+(?!Unclassified)", "", name.strip())  # "SPL Patient Package Insert"
    return re.sub(r"\s+", " ", name.replace("& or", "and/or").replace("&", "and")).strip()


def read_loinc_names(folder: Path, report: IngestReport) -> dict[str, str]:
    """LOINC section code -> readable name, from the CSV maps beside the labels (first file wins)."""
    names: dict[str, str] = {}
    for file_name in LOINC_FILES:
        path = folder / file_name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.reader(handle, skipinitialspace=True), start=1):
                if not row or row[0].strip().lower() == "loinc":
                    continue
                if len(row) < 2 or not re.fullmatch(r"\d+-\d", row[0].strip()):
                    report.problem(str(path), number, "expected 'code,name'")
                    continue
                code = row[0].strip()
                names.setdefault(code, _pretty_section_name(", ".join(row[1:])))
    return names


def _normalise(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    merged: list[str] = []
    for line in lines:
        if not line:
            continue
        if merged and merged[-1] == "-":  # a list item whose text sits in a nested paragraph
            merged[-1] = f"- {line}"
        else:
            merged.append(line)
    return "\n".join(merged)


def _inline(element: ET.Element, footnotes: list[str] | None = None) -> str:
    """The text of an element on one line; footnotes go to ``footnotes`` (if given) instead."""
    parts: list[str] = []

    def collect(node: ET.Element) -> None:
        if _tag(node) == "footnote" and footnotes is not None:
            footnotes.append(_inline(node))
        else:
            parts.append(node.text or "")
            for child in node:
                collect(child)
        parts.append(node.tail or "")

    parts.append(element.text or "")
    for child in element:
        collect(child)
    return " ".join("".join(parts).split())


def _render(element: ET.Element, out: list[str], footnotes: list[str]) -> None:
    """Append the text of an SPL narrative element, with line breaks at its block elements.

    Footnotes would cut a sentence or a table row in two; they are collected and written at the end.
    """
    tag = _tag(element)
    if tag == "renderMultiMedia":
        return
    if tag == "footnote":
        footnotes.append(_inline(element))
        return
    if tag == "table":
        for child in element.iter():
            child_tag = _tag(child)
            if child_tag == "caption":
                out.append(f"\n{_inline(child, footnotes)}\n")
            elif child_tag == "tr":
                cells = [_inline(cell, footnotes) for cell in child if _tag(cell) in ("td", "th")]
                out.append("\n" + " | ".join(cell for cell in cells if cell) + "\n")
        return
    if tag == "br":
        out.append("\n")
        return
    block = tag in ("paragraph", "caption", "title", "list")
    if tag == "item":
        out.append("\n- ")
    elif block:
        out.append("\n")
    # Line breaks in the XML source are layout, not text: only block elements break lines.
    if element.text:
        out.append(_SOURCE_SPACE.sub(" ", element.text))
    for child in element:
        _render(child, out, footnotes)
        if child.tail:
            out.append(_SOURCE_SPACE.sub(" ", child.tail))
    if block or tag == "item":
        out.append("\n")


def narrative_text(element: ET.Element | None) -> str:
    """The plain text of an SPL ``<text>`` element: one paragraph, list item or table row a line."""
    if element is None:
        return ""
    out: list[str] = []
    footnotes: list[str] = []
    _render(element, out, footnotes)
    out.extend(f"\n{note}\n" for note in footnotes if note)
    return _normalise("".join(out))


def _section_title(section: ET.Element) -> str:
    title = section.find(f"{NS}title")
    return _NUMBERING.sub("", _inline(title)) if title is not None else ""


def _walk(section: ET.Element, parent_label: str, loinc: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``(section label, text)`` for a section and its subsections, depth first, in document order."""
    code_element = section.find(f"{NS}code")
    code = code_element.get("code", "") if code_element is not None else ""
    if code in SKIPPED_CODES:
        return
    title = _section_title(section)
    if code != UNCLASSIFIED and code in loinc:
        label = loinc[code]
    elif parent_label and title:
        label = f"{parent_label} > {title}"
    else:
        label = parent_label or title or "Label"
    text = narrative_text(section.find(f"{NS}text"))
    if text:
        yield label, text
    for child in section.findall(f"{NS}component/{NS}section"):
        yield from _walk(child, label, loinc)


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.lower()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _label_title(root: ET.Element) -> str:
    """"Viagra (sildenafil citrate) label": the product names, the generic names if not in them."""
    products = _unique([_inline(n) for p in root.iter(f"{NS}manufacturedProduct") for n in p.findall(f"{NS}name")])
    generics = _unique([_inline(n) for g in root.iter(f"{NS}genericMedicine") for n in g.findall(f"{NS}name")])
    if not products:
        heading = root.find(f"{NS}title")
        products = [(_inline(heading) if heading is not None else "")[:120] or "Drug"]
    name = ", ".join(products)
    missing = [g for g in generics if g.lower() not in name.lower()]
    if missing:
        name = f"{name} ({', '.join(missing)})"
    return f"{name} label"


def _load_file(path: Path, loinc: dict[str, str], report: IngestReport, passage_chars: int) -> Document | None:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        report.problem(str(path), 0, f"malformed XML: {exc}")
        return None
    except OSError as exc:
        report.problem(str(path), 0, f"unreadable file: {exc}")
        return None
    if root.tag != f"{NS}document":
        report.problem(str(path), 0, f"not an SPL document (root element {root.tag!r})")
        return None
    set_id_element = root.find(f"{NS}setId")
    set_id = set_id_element.get("root") if set_id_element is not None else None
    effective = root.find(f"{NS}effectiveTime")
    organization = root.find(f"{NS}author/{NS}assignedEntity/{NS}representedOrganization/{NS}name")
    title = _label_title(root)
    doc = Document(
        doc_id=f"spl-{set_id or path.stem}",
        source=SOURCE,
        title=title,
        doc_type=DocType.DRUG_LABEL,
        year=parse_year((effective.get("value") or "")[:4]) if effective is not None else None,
        organization=(_inline(organization) or None) if organization is not None else None,
        url=f"https://dailymed.nlm.nih.gov/dailymed/search.cfm?query={set_id}" if set_id else None,
        license=LICENSE,
        key_text=title,
    )
    for top in root.findall(f"{NS}component/{NS}structuredBody/{NS}component/{NS}section"):
        for label, text in _walk(top, "", loinc):
            for chunk in chunk_text(text, passage_chars):
                doc.add_passage(label, chunk)
    if not doc.passages:
        report.problem(str(path), 0, "no label text (an indexing-only or partial SPL); skipped")
        return None
    return doc


def load_spl(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One DRUG_LABEL Document per SPL XML file in the folder ``path`` (or the single file ``path``)."""
    path = Path(path)
    if path.is_dir():
        folder, files = path, sorted(path.glob("*.xml"))
        if not files:
            report.problem(str(path), 0, "no SPL XML files in the folder")
    elif path.is_file():
        folder, files = path.parent, [path]
    else:
        raise IngestError(f"Drug label folder {path} does not exist. Check --corpus-dir.")
    loinc = read_loinc_names(folder, report)
    seen: set[str] = set()
    for file in files:
        doc = _load_file(file, loinc, report, passage_chars)
        if doc is None:
            continue
        if doc.doc_id in seen:
            report.problem(str(file), 0, f"duplicate document id {doc.doc_id}; kept the first")
            continue
        seen.add(doc.doc_id)
        report.count(SOURCE)
        yield doc

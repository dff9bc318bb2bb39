"""FDA Structured Product Labels (SPL: HL7 v3 XML, LOINC-coded sections): the starter's ``drug_labels/*.xml``,
any folder of SPL files, and DailyMed's release archives (zips of zipped SPL files).

Each coded section ("Indications & Usage", "Contraindications" ...) becomes passages named after its
LOINC code; unclassified subsections ("5.3 Effects on the Eye") are named under their coded parent:
"Warnings and Precautions > Effects on the Eye". Tables are written one row a line, cells joined by " | ".
Section names come from the LOINC CSV beside the labels when there is one, else from :data:`SECTION_NAMES`
(the codes DailyMed labels use), so a label read from an archive has the same section names: label status
and dose checks find "Indications and Usage" and "Dosage and Administration" by name.

The document id is ``spl-<set id>`` (one id for every version of a label); ``Document.version`` is the SPL
``versionNumber``, so the library replaces an older version of a label with a newer one.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import block_lines, chunk_text, expand_paths, parse_year
from curbside.errors import IngestError

SOURCE = "spl"
LICENSE = "public domain"
NS = "{urn:hl7-org:v3}"
UNCLASSIFIED = "42229-5"
# Sections without clinical text: product data, indexing data, the package label's printed panel.
SKIPPED_CODES = frozenset({"48780-1", "48779-3", "51945-4"})
# spl_loinc.csv is read first: spl_loinc_sections.csv misnames 43685-7 ("Warnings and cautions").
LOINC_FILES = ("spl_loinc.csv", "spl_loinc_sections.csv")
# LOINC section codes of SPL documents (the FDA's SPL section list) and the names Curbside gives them: the
# fallback when no LOINC CSV lies beside the labels. The clinical sections the issue names come first.
SECTION_NAMES: dict[str, str] = {
    "34066-1": "Boxed Warning",
    "34067-9": "Indications and Usage",
    "34068-7": "Dosage and Administration",
    "43678-2": "Dosage Forms and Strengths",
    "34070-3": "Contraindications",
    "43685-7": "Warnings and Precautions",
    "34071-1": "Warnings",
    "42232-9": "Precautions",
    "34072-9": "General Precautions",
    "34084-4": "Adverse Reactions",
    "34073-7": "Drug Interactions",
    "34074-5": "Drug and/or Laboratory Test Interactions",
    "43684-0": "Use in Specific Populations",
    "42228-7": "Pregnancy",
    "34077-8": "Teratogenic Effects",
    "34078-6": "Nonteratogenic Effects",
    "34079-4": "Labor and Delivery",
    "34080-2": "Nursing Mothers",
    "77290-5": "Lactation",
    "77291-3": "Females and Males of Reproductive Potential",
    "34081-0": "Pediatric Use",
    "34082-8": "Geriatric Use",
    "88827-1": "Renal Impairment",
    "88828-9": "Hepatic Impairment",
    "42227-9": "Drug Abuse and Dependence",
    "34085-1": "Controlled Substance",
    "34086-9": "Abuse",
    "34087-7": "Dependence",
    "34088-5": "Overdosage",
    "34089-3": "Description",
    "34090-1": "Clinical Pharmacology",
    "43679-0": "Mechanism of Action",
    "43681-6": "Pharmacodynamics",
    "43682-4": "Pharmacokinetics",
    "66106-6": "Pharmacogenomics",
    "49489-8": "Microbiology",
    "43680-8": "Nonclinical Toxicology",
    "34083-6": "Carcinogenesis and Mutagenesis and Impairment of Fertility",
    "34091-9": "Animal Pharmacology and/or Toxicology",
    "34092-7": "Clinical Studies",
    "34093-5": "References",
    "34069-5": "How Supplied",
    "44425-7": "Storage and Handling",
    "34076-0": "Information for Patients",
    "34075-2": "Laboratory Tests",
    "42231-1": "Medguide",
    "42230-3": "Patient Package Insert",
    "68498-5": "Patient Medication Information",
    "59845-8": "Instructions for Use",
    "43683-2": "Recent Major Changes",
    "38056-8": "Supplemental Patient Material",
    # OTC ("Drug Facts") sections
    "55106-9": "Active Ingredient",
    "55105-1": "Purpose",
    "50565-1": "Keep Out of Reach of Children",
    "50566-9": "Stop Use",
    "50567-7": "When Using",
    "50568-5": "Ask Doctor/Pharmacist",
    "50569-3": "Ask Doctor",
    "50570-1": "Do Not Use",
    "53413-1": "Questions",
    "53414-9": "Pregnancy or Breast Feeding",
    "51727-6": "Inactive Ingredient",
    "60561-8": "Other Safety Information",
}
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\s+")
_SOURCE_SPACE = re.compile(r"\s+")


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _pretty_section_name(name: str) -> str:
    """"Indications and Usage" from LOINC's "Indications & Usage"."""
    name = re.sub(r"^SPL\s+(?!Unclassified)", "", name.strip())  # "SPL Patient Package Insert"
    return re.sub(r"\s+", " ", name.replace("& or", "and/or").replace("&", "and")).strip()


def read_loinc_names(folder: Path | None, report: IngestReport) -> dict[str, str]:
    """LOINC section code -> readable name, from the CSV maps beside the labels (first file wins), then
    :data:`SECTION_NAMES` for the codes they do not name."""
    names: dict[str, str] = {}
    if folder is None:
        return dict(SECTION_NAMES)
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
    for code, name in SECTION_NAMES.items():
        names.setdefault(code, name)
    return names


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
    return block_lines("".join(out))


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


def label_title(products: list[str], generics: list[str], fallback: str = "Drug") -> str:
    """"Viagra (sildenafil citrate) label": the product names, then the generic names not in them."""
    products, generics = _unique(products), _unique(generics)
    name = ", ".join(products) or fallback[:120] or "Drug"
    missing = [g for g in generics if g.lower() not in name.lower()]
    if missing:
        name = f"{name} ({', '.join(missing)})"
    return f"{name} label"


def _label_title(root: ET.Element) -> str:
    products = [_inline(n) for p in root.iter(f"{NS}manufacturedProduct") for n in p.findall(f"{NS}name")]
    generics = [_inline(n) for g in root.iter(f"{NS}genericMedicine") for n in g.findall(f"{NS}name")]
    heading = root.find(f"{NS}title")
    return label_title(products, generics, _inline(heading) if heading is not None else "")


def spl_version(root: ET.Element) -> str:
    """The label's ``versionNumber`` ("20"); "1" when it has none."""
    element = root.find(f"{NS}versionNumber")
    value = (element.get("value") or "").strip() if element is not None else ""
    return value if value.isdigit() else "1"


def parse_spl(root: ET.Element, loinc: dict[str, str], *, fallback_id: str, passage_chars: int = 1200) -> Document:
    """The DRUG_LABEL Document of one SPL ``<document>``; ValueError (with the reason) when it is none."""
    if root.tag != f"{NS}document":
        raise ValueError(f"not an SPL document (root element {root.tag!r})")
    set_id_element = root.find(f"{NS}setId")
    set_id = set_id_element.get("root") if set_id_element is not None else None
    effective = root.find(f"{NS}effectiveTime")
    organization = root.find(f"{NS}author/{NS}assignedEntity/{NS}representedOrganization/{NS}name")
    title = _label_title(root)
    doc = Document(
        doc_id=f"spl-{set_id or fallback_id}",
        source=SOURCE,
        title=title,
        doc_type=DocType.DRUG_LABEL,
        year=parse_year((effective.get("value") or "")[:4]) if effective is not None else None,
        organization=(_inline(organization) or None) if organization is not None else None,
        url=f"https://dailymed.nlm.nih.gov/dailymed/search.cfm?query={set_id}" if set_id else None,
        license=LICENSE,
        version=spl_version(root),
        key_text=title,
    )
    for top in root.findall(f"{NS}component/{NS}structuredBody/{NS}component/{NS}section"):
        for label, text in _walk(top, "", loinc):
            for chunk in chunk_text(text, passage_chars):
                doc.add_passage(label, chunk)
    if not doc.passages:
        raise ValueError("no label text (an indexing-only or partial SPL); skipped")
    return doc


def _parse_source(source: Path | IO[bytes], where: str, loinc: dict[str, str], report: IngestReport,
                  passage_chars: int, fallback_id: str) -> Document | None:
    """The Document of one SPL file (a path or an open binary stream), or None with the problem reported."""
    try:
        root = ET.parse(source).getroot()
    except ET.ParseError as exc:
        report.problem(where, 0, f"malformed XML: {exc}")  # the message names the line and column
        return None
    except OSError as exc:
        report.problem(where, 0, f"unreadable file: {exc}")
        return None
    try:
        return parse_spl(root, loinc, fallback_id=fallback_id, passage_chars=passage_chars)
    except ValueError as exc:
        report.problem(where, 0, str(exc))
        return None


def _load_file(path: Path, loinc: dict[str, str], report: IngestReport, passage_chars: int) -> Document | None:
    return _parse_source(path, str(path), loinc, report, passage_chars, path.stem)


def _zip_members(archive: zipfile.ZipFile, where: str, loinc: dict[str, str], report: IngestReport,
                 passage_chars: int, depth: int = 0) -> Iterator[Document]:
    """The SPL documents of an open zip: its ``.xml`` members, and those of the zips inside it (DailyMed's
    release archives hold one zip per label: the SPL XML and its images). Members are streamed from the
    archive, never extracted to disk; a bad inner zip is reported and skipped."""
    for info in archive.infolist():
        name = info.filename
        member = f"{where}!{name}"
        lowered = name.lower()
        if info.is_dir():
            continue
        if lowered.endswith(".xml"):
            with archive.open(info) as handle:
                doc = _parse_source(handle, member, loinc, report, passage_chars, Path(name).stem)
            if doc is not None:
                yield doc
        elif lowered.endswith(".zip") and depth < 1:
            try:
                with archive.open(info) as handle, zipfile.ZipFile(handle) as inner:
                    yield from _zip_members(inner, member, loinc, report, passage_chars, depth + 1)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
                report.problem(member, 0, f"unreadable inner zip: {exc}; skipped")


def iter_dailymed_zip(path: Path, report: IngestReport, *, loinc: dict[str, str] | None = None,
                      passage_chars: int = 1200) -> Iterator[Document]:
    """The labels of a DailyMed release archive (``dm_spl_release_human_rx_part1.zip``: an outer zip of
    ``prescription/<name>.zip`` files, each holding one SPL XML and its images) or of one label's zip."""
    path = Path(path)
    names = loinc if loinc is not None else read_loinc_names(None, report)
    try:
        with zipfile.ZipFile(path) as archive:
            yield from _zip_members(archive, str(path), names, report, passage_chars)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problem(str(path), 0, f"unreadable zip archive: {exc}; skipped")


def iter_spl(paths: Path | Iterable[Path], report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """Every SPL label among ``paths``: XML files, folders (searched recursively for ``.xml`` and ``.zip``)
    and DailyMed zips, in order, streamed one label at a time. Every version met is yielded: the library
    keeps the newest (``Document.version``). Section names come from the LOINC CSV beside the files, if any."""
    loinc_by_folder: dict[Path, dict[str, str]] = {}
    for file in expand_paths(paths, report, suffixes=(".xml", ".zip"), what="SPL"):
        loinc = loinc_by_folder.get(file.parent)
        if loinc is None:
            loinc = loinc_by_folder[file.parent] = read_loinc_names(file.parent, report)
        if file.suffix.lower() == ".zip":
            for doc in iter_dailymed_zip(file, report, loinc=loinc, passage_chars=passage_chars):
                report.count(SOURCE)
                yield doc
            continue
        doc = _load_file(file, loinc, report, passage_chars)
        if doc is not None:
            report.count(SOURCE)
            yield doc


def newer_version(candidate: Document, kept: Document) -> bool:
    """Whether ``candidate`` is a later version of the same label than ``kept`` (numeric versions)."""
    def number(doc: Document) -> int:
        return int(doc.version) if doc.version.isdigit() else 0

    return number(candidate) > number(kept)


def load_spl(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One DRUG_LABEL Document per label in the folder ``path`` (or the single file ``path``): the starter's
    loader. Two files of one set id are one label: the higher ``versionNumber`` is kept and the other reported."""
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
    kept: dict[str, tuple[Document, Path]] = {}
    for file in files:
        doc = _load_file(file, loinc, report, passage_chars)
        if doc is None:
            continue
        earlier = kept.get(doc.doc_id)
        if earlier is None:
            kept[doc.doc_id] = (doc, file)
            continue
        if newer_version(doc, earlier[0]):
            kept[doc.doc_id] = (doc, file)
            report.problem(str(earlier[1]), 0, f"{doc.doc_id} version {earlier[0].version} replaced by version "
                           f"{doc.version} from {file.name}")
        else:
            report.problem(str(file), 0, f"duplicate document id {doc.doc_id} (version {doc.version}); kept version "
                           f"{earlier[0].version}")
    for doc, _ in kept.values():
        report.count(SOURCE)
        yield doc

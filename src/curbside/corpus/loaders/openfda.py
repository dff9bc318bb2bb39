"""openFDA drug label JSON: the ``results[]`` of https://api.fda.gov/drug/label.json and of its bulk downloads
(``drug-label-0001-of-0013.json.zip``: one JSON file in a zip).

Each result is one SPL label already cut into fields named after its sections (``indications_and_usage``,
``dosage_and_administration``, ``warnings_and_cautions`` ...), each a list of texts. The fields map to the
LOINC sections of the SPL loader, under the same names ("Indications and Usage"), so a label read here feeds
label status and dose checks exactly as one read from SPL XML. The document id is the SPL one,
``spl-<set id>``, and ``Document.version`` the label's ``version``: the same label from DailyMed and from
openFDA is one document, and a newer version replaces an older one.

Files are read as a stream (ijson), one result at a time: a 150 MB download is never held whole. A result
without a set id or without label text is reported (file, result number) and skipped; malformed JSON is
reported where it stops the reading, and the labels before it are kept.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import chunk_text, expand_paths, parse_year
from curbside.corpus.loaders.spl import LICENSE, SECTION_NAMES, label_title

SOURCE = "openfda"
# openFDA field -> LOINC section code, in the order a label prints them. Fields not listed (product data,
# the package label panel, "*_table" HTML copies of tables already in the text, SPL indexing) are not kept.
FIELD_SECTIONS: dict[str, str] = {
    "boxed_warning": "34066-1",
    "recent_major_changes": "43683-2",
    "indications_and_usage": "34067-9",
    "dosage_and_administration": "34068-7",
    "dosage_forms_and_strengths": "43678-2",
    "contraindications": "34070-3",
    "warnings_and_cautions": "43685-7",
    "warnings": "34071-1",
    "precautions": "42232-9",
    "general_precautions": "34072-9",
    "adverse_reactions": "34084-4",
    "drug_interactions": "34073-7",
    "drug_and_or_laboratory_test_interactions": "34074-5",
    "use_in_specific_populations": "43684-0",
    "pregnancy": "42228-7",
    "teratogenic_effects": "34077-8",
    "nonteratogenic_effects": "34078-6",
    "labor_and_delivery": "34079-4",
    "nursing_mothers": "34080-2",
    "lactation": "77290-5",
    "females_and_males_of_reproductive_potential": "77291-3",
    "pediatric_use": "34081-0",
    "geriatric_use": "34082-8",
    "drug_abuse_and_dependence": "42227-9",
    "controlled_substance": "34085-1",
    "abuse": "34086-9",
    "dependence": "34087-7",
    "overdosage": "34088-5",
    "description": "34089-3",
    "clinical_pharmacology": "34090-1",
    "mechanism_of_action": "43679-0",
    "pharmacodynamics": "43681-6",
    "pharmacokinetics": "43682-4",
    "pharmacogenomics": "66106-6",
    "nonclinical_toxicology": "43680-8",
    "carcinogenesis_and_mutagenesis_and_impairment_of_fertility": "34083-6",
    "clinical_studies": "34092-7",
    "how_supplied": "34069-5",
    "storage_and_handling": "44425-7",
    "information_for_patients": "34076-0",
    "laboratory_tests": "34075-2",
    # OTC "Drug Facts"
    "active_ingredient": "55106-9",
    "purpose": "55105-1",
    "do_not_use": "50570-1",
    "ask_doctor": "50569-3",
    "ask_doctor_or_pharmacist": "50568-5",
    "when_using": "50567-7",
    "stop_use": "50566-9",
    "pregnancy_or_breast_feeding": "53414-9",
    "keep_out_of_reach_of_children": "50565-1",
    "questions": "53413-1",
    "inactive_ingredient": "51727-6",
}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def _strings(value: Any) -> list[str]:
    """A field as a list of non-blank texts (openFDA writes every field as a list; a bare string is accepted)."""
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [str(v).strip() for v in values if isinstance(v, str | int | float) and str(v).strip()]


def _heading(name: str) -> re.Pattern[str]:
    """The section's printed heading at the start of its text: "1 INDICATIONS AND USAGE", "INDICATIONS & USAGE:"."""
    words = [r"(?:and|&)" if w.lower() == "and" else re.escape(w) for w in re.split(r"[\s/]+", name) if w]
    return re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s*)?" + r"[\s/]*".join(words) + r"s?\b\s*:?\s*", re.IGNORECASE)


_HEADINGS = {field: _heading(SECTION_NAMES[code]) for field, code in FIELD_SECTIONS.items()}


def _display_name(name: str, *, generic: bool) -> str:
    """openFDA writes names in capitals; a generic reads in lower case, a brand in title case."""
    if not name.isupper():
        return name
    return name.lower() if generic else name.title()


def _title(openfda: dict[str, Any], record: dict[str, Any]) -> str:
    """"Zestril (lisinopril) label", as the SPL loader titles labels (products, then generics not in them)."""
    brands = [_display_name(b, generic=False) for b in _strings(openfda.get("brand_name"))]
    generics = [_display_name(g, generic=True) for g in _strings(openfda.get("generic_name"))]
    product_data = _strings(record.get("spl_product_data_elements"))
    return label_title(brands or generics[:1], generics, product_data[0] if product_data else "")


def parse_label(record: dict[str, Any], *, passage_chars: int = 1200) -> Document:
    """The DRUG_LABEL Document of one openFDA label result; ValueError (with the reason) when it is none."""
    openfda = record.get("openfda") if isinstance(record.get("openfda"), dict) else {}
    set_id = (_strings(record.get("set_id")) or _strings(openfda.get("spl_set_id")) or [None])[0]
    if not set_id:
        raise ValueError("label has no set_id (nor openfda.spl_set_id)")
    version = (_strings(record.get("version")) or ["1"])[0]
    effective = (_strings(record.get("effective_time")) or [""])[0]
    title = _title(openfda, record)
    doc = Document(
        doc_id=f"spl-{set_id}",
        source=SOURCE,
        title=title,
        doc_type=DocType.DRUG_LABEL,
        year=parse_year(effective[:4]),
        organization=(_strings(openfda.get("manufacturer_name")) or [None])[0],
        url=f"https://dailymed.nlm.nih.gov/dailymed/search.cfm?query={set_id}",
        license=LICENSE,
        version=version if version.isdigit() else "1",
        key_text=title,
    )
    for field, code in FIELD_SECTIONS.items():
        for index, text in enumerate(_strings(record.get(field))):
            if index == 0:
                text = _HEADINGS[field].sub("", text, count=1)
            text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines() if line.strip())
            for chunk in chunk_text(text, passage_chars):
                doc.add_passage(SECTION_NAMES[code], chunk)
    if not doc.passages:
        raise ValueError(f"{doc.doc_id} has no label text in the fields Curbside keeps; skipped")
    return doc


def _results(handle: IO[bytes], where: str, report: IngestReport, passage_chars: int) -> Iterator[Document]:
    number = 0
    try:
        for number, record in enumerate(ijson.items(handle, "results.item", use_float=True), start=1):
            if not isinstance(record, dict):
                report.problem(where, number, f"results[{number - 1}] is not an object; skipped")
                continue
            try:
                yield parse_label(record, passage_chars=passage_chars)
            except ValueError as exc:
                report.problem(where, number, f"results[{number - 1}]: {exc}")
    except ijson.JSONError as exc:
        report.problem(where, number + 1, f"malformed JSON after result {number}: {exc}; the rest of the file is skipped")
    if number == 0:
        report.problem(where, 0, "no results[] labels in the file")


def iter_openfda(paths: Path | Iterable[Path], report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """Every label of the openFDA label files among ``paths`` (``.json``, or the downloads' ``.json.zip``;
    folders are searched for both), one result at a time. Problems name the file and the result's number
    (1-based) as the line."""
    for file in expand_paths(paths, report, suffixes=(".json", ".zip"), what="openFDA"):
        yield from _count(_file_labels(file, report, passage_chars), report)


def _count(docs: Iterator[Document], report: IngestReport) -> Iterator[Document]:
    for doc in docs:
        report.count(SOURCE)
        yield doc


def _file_labels(file: Path, report: IngestReport, passage_chars: int) -> Iterator[Document]:
    if file.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(file) as archive:
                members = [i for i in archive.infolist() if i.filename.lower().endswith(".json")]
                if not members:
                    report.problem(str(file), 0, "no .json file in the zip")
                for info in members:
                    with archive.open(info) as handle:
                        yield from _results(handle, f"{file}!{info.filename}", report, passage_chars)
        except (zipfile.BadZipFile, OSError) as exc:
            report.problem(str(file), 0, f"unreadable zip archive: {exc}; skipped")
        return
    try:
        with file.open("rb") as handle:
            yield from _results(handle, str(file), report, passage_chars)
    except OSError as exc:
        report.problem(str(file), 0, f"unreadable file: {exc}")

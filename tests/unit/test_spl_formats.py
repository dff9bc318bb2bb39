"""SPL labels beyond the starter: LOINC sections without a CSV, versions, DailyMed release zips, openFDA JSON,
and the label status an ingested label gives its drug."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from curbside.corpus.documents import IngestReport
from curbside.corpus.loaders.openfda import iter_openfda
from curbside.corpus.loaders.spl import iter_dailymed_zip, iter_spl, load_spl
from curbside.evidence.indications import LabelStatus, label_verdict
from curbside.retrieval.store import MetadataStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_LABELS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "drug_labels"

SPL = """<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="urn:hl7-org:v3">
  <id root="{doc_id}"/>
  <code code="34391-3" codeSystem="2.16.840.1.113883.6.1" displayName="HUMAN PRESCRIPTION DRUG LABEL"/>
  <title>ZORBEX (zorbatinib) tablets</title>
  <effectiveTime value="{effective}"/>
  <setId root="9a9a9a9a-1111-2222-3333-444444444444"/>
  <versionNumber value="{version}"/>
  <author><assignedEntity><representedOrganization><name>Zed Pharma</name></representedOrganization></assignedEntity></author>
  <component><structuredBody>
    <component><section>
      <subject><manufacturedProduct><manufacturedProduct>
        <name>Zorbex</name>
        <asEntityWithGeneric><genericMedicine><name>zorbatinib</name></genericMedicine></asEntityWithGeneric>
      </manufacturedProduct></manufacturedProduct></subject>
    </section></component>
    <component><section><code code="34066-1" codeSystem="2.16.840.1.113883.6.1"/><title>WARNING: HEPATOTOXICITY</title>
      <text><paragraph>Zorbex can cause fatal liver failure.</paragraph></text></section></component>
    <component><section><code code="34067-9" codeSystem="2.16.840.1.113883.6.1"/><title>1 INDICATIONS AND USAGE</title>
      <text><paragraph>{indications}</paragraph></text></section></component>
    <component><section><code code="34068-7" codeSystem="2.16.840.1.113883.6.1"/><title>2 DOSAGE AND ADMINISTRATION</title>
      <text><paragraph>The recommended dose is 200 mg orally once daily.</paragraph></text></section></component>
    <component><section><code code="34070-3" codeSystem="2.16.840.1.113883.6.1"/><title>4 CONTRAINDICATIONS</title>
      <text><paragraph>None.</paragraph></text></section></component>
    <component><section><code code="43685-7" codeSystem="2.16.840.1.113883.6.1"/><title>5 WARNINGS AND PRECAUTIONS</title>
      <component><section><code code="42229-5" codeSystem="2.16.840.1.113883.6.1"/><title>5.1 Hepatotoxicity</title>
        <text><paragraph>Monitor liver tests monthly.</paragraph></text></section></component></section></component>
    <component><section><code code="34084-4" codeSystem="2.16.840.1.113883.6.1"/><title>6 ADVERSE REACTIONS</title>
      <text><paragraph>Nausea occurred in 20%.</paragraph></text></section></component>
    <component><section><code code="43684-0" codeSystem="2.16.840.1.113883.6.1"/><title>8 USE IN SPECIFIC POPULATIONS</title>
      <component><section><code code="42228-7" codeSystem="2.16.840.1.113883.6.1"/><title>8.1 Pregnancy</title>
        <text><paragraph>May cause fetal harm.</paragraph></text></section></component></section></component>
  </structuredBody></component>
</document>
"""
OLD_INDICATION = "ZORBEX is indicated for the treatment of adult patients with rheumatoid arthritis."
NEW_INDICATION = "ZORBEX is indicated for the treatment of adult patients with giant cell arteritis."


def _label(version: int, indications: str = OLD_INDICATION, effective: str = "20200101") -> str:
    return SPL.format(doc_id=f"doc-v{version}", version=version, indications=indications, effective=effective)


def test_sections_by_loinc_code_without_a_csv_and_the_label_metadata(tmp_path: Path) -> None:
    (tmp_path / "zorbex.xml").write_text(_label(3), encoding="utf-8")
    report = IngestReport()
    [doc] = list(iter_spl(tmp_path, report))
    assert report.problems == [] and report.documents_by_source == {"spl": 1}
    assert doc.doc_id == "spl-9a9a9a9a-1111-2222-3333-444444444444" and doc.version == "3"
    assert doc.title == "Zorbex (zorbatinib) label" and doc.year == 2020 and doc.organization == "Zed Pharma"
    assert [p.section for p in doc.passages] == [
        "Boxed Warning", "Indications and Usage", "Dosage and Administration", "Contraindications",
        "Warnings and Precautions > Hepatotoxicity", "Adverse Reactions", "Pregnancy"]  # a coded subsection goes by its own code


def test_the_starter_labels_keep_their_ids_and_get_their_versions() -> None:
    if not SHARED_LABELS.is_dir():
        pytest.skip("needs ../shared/corpus/drug_labels")
    report = IngestReport()
    docs = {d.doc_id: d for d in load_spl(SHARED_LABELS, report)}
    assert set(docs) == {"spl-0b0be196-0c62-461c-94f4-9a35339b4501", "spl-1b5e2860-6855-4a65-8bbc-e064172a1adf"}
    assert docs["spl-0b0be196-0c62-461c-94f4-9a35339b4501"].version == "20"
    assert [p.message for p in report.problems] == ["no label text (an indexing-only or partial SPL); skipped"]
    # iter_spl (the ingest command's loader) reads the same folder to the same documents
    again = {d.doc_id: d for d in iter_spl(SHARED_LABELS, IngestReport())}
    assert {k: [p.text for p in d.passages] for k, d in again.items()} == {
        k: [p.text for p in d.passages] for k, d in docs.items()}


def test_a_folder_with_two_versions_of_a_label_keeps_the_newer(tmp_path: Path) -> None:
    (tmp_path / "a_new.xml").write_text(_label(4, NEW_INDICATION), encoding="utf-8")
    (tmp_path / "b_old.xml").write_text(_label(2), encoding="utf-8")
    report = IngestReport()
    [doc] = list(load_spl(tmp_path, report))
    assert doc.version == "4" and doc.passages[1].text == NEW_INDICATION
    assert "kept version 4" in report.problems[0].message
    # streamed: both versions are given, for the library to keep the newer
    assert [d.version for d in iter_spl(tmp_path, IngestReport())] == ["4", "2"]


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_dailymed_release_zip_is_streamed_and_a_bad_inner_zip_is_skipped(tmp_path: Path) -> None:
    other = _label(1).replace("9a9a9a9a-1111-2222-3333-444444444444", "8b8b8b8b-1111-2222-3333-444444444444")
    archive = tmp_path / "dm_spl_release_human_rx_part1.zip"
    archive.write_bytes(_zip_bytes({
        "prescription/20240101_9a9a.zip": _zip_bytes({"9a9a.xml": _label(5).encode(), "zorbex-01.jpg": b"\xff\xd8jpeg"}),
        "prescription/20240101_bad.zip": b"PK\x03\x04 not really a zip",
        "prescription/20240101_broken.zip": _zip_bytes({"broken.xml": b"<document xmlns='urn:hl7-org:v3'><oops>"}),
        "prescription/20240101_8b8b.zip": _zip_bytes({"8b8b.xml": other.encode()}),
    }))
    report = IngestReport()
    docs = list(iter_spl([archive], report))
    assert [(d.doc_id, d.version) for d in docs] == [
        ("spl-9a9a9a9a-1111-2222-3333-444444444444", "5"), ("spl-8b8b8b8b-1111-2222-3333-444444444444", "1")]
    problems = {p.file.rsplit("!", 1)[-1]: p.message for p in report.problems}
    assert problems["prescription/20240101_bad.zip"].startswith("unreadable inner zip")
    assert problems["broken.xml"].startswith("malformed XML")
    assert report.problems[1].file == f"{archive}!prescription/20240101_broken.zip!broken.xml"
    assert report.documents_by_source == {"spl": 2}
    # one label's own zip, and a file that is no zip at all
    single = tmp_path / "one.zip"
    single.write_bytes(_zip_bytes({"one.xml": _label(6).encode()}))
    assert [d.version for d in iter_dailymed_zip(single, IngestReport())] == ["6"]
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    junk_report = IngestReport()
    assert list(iter_dailymed_zip(junk, junk_report)) == []
    assert junk_report.problems[0].message.startswith("unreadable zip archive")


def test_openfda_label_json_maps_fields_to_the_spl_sections() -> None:
    report = IngestReport()
    docs = {d.doc_id: d for d in iter_openfda(FIXTURES / "openfda" / "drug-label-sample.json", report)}
    assert list(docs) == ["spl-3c9d4cd2-4c1f-4c3f-9c0e-2b4a3fb7e0a1", "spl-2d7dd1d4-8ba4-4b2a-9b3b-0b8e3c1a6f52"]
    zestril = docs["spl-3c9d4cd2-4c1f-4c3f-9c0e-2b4a3fb7e0a1"]
    assert zestril.title == "Zestril (lisinopril) label" and zestril.version == "7" and zestril.year == 2023
    assert zestril.organization == "Almatica Pharma LLC" and zestril.source == "openfda"
    sections = [p.section for p in zestril.passages]
    assert sections == ["Boxed Warning", "Indications and Usage", "Dosage and Administration", "Contraindications",
                        "Warnings and Precautions", "Adverse Reactions", "Inactive Ingredient"]
    assert zestril.passages[1].text.startswith("1.1 Hypertension ZESTRIL is indicated")  # printed heading removed
    assert zestril.passages[-1].text == "calcium phosphate, magnesium stearate, mannitol, starch."  # "Ingredients:" too
    assert "NDC" not in " ".join(p.text for p in zestril.passages)  # package panel and tables not kept
    assert docs["spl-2d7dd1d4-8ba4-4b2a-9b3b-0b8e3c1a6f52"].title == "Singulair (montelukast sodium) label"
    assert [(p.line, p.message.split(":")[0]) for p in report.problems] == [(3, "results[2]"), (4, "results[3]")]
    assert report.documents_by_source == {"openfda": 2}


def test_openfda_download_zip_and_malformed_json(tmp_path: Path) -> None:
    sample = (FIXTURES / "openfda" / "drug-label-sample.json").read_bytes()
    download = tmp_path / "drug-label-0001-of-0001.json.zip"
    download.write_bytes(_zip_bytes({"drug-label-0001-of-0001.json": sample}))
    assert len(list(iter_openfda(download, IngestReport()))) == 2
    data = json.loads(sample)
    truncated = json.dumps(data)[: json.dumps(data).index('"set_id": "2d7dd1d4') + 20]
    (tmp_path / "cut.json").write_text(truncated, encoding="utf-8")
    report = IngestReport()
    docs = list(iter_openfda(tmp_path / "cut.json", report))
    assert [d.doc_id for d in docs] == ["spl-3c9d4cd2-4c1f-4c3f-9c0e-2b4a3fb7e0a1"]  # the label before the cut is kept
    assert "malformed JSON after result 1" in report.problems[-1].message


def _store(tmp_path: Path, docs: list) -> MetadataStore:
    store = MetadataStore.create(tmp_path / "metadata.sqlite")
    for doc in docs:
        store.add_document(doc)
    store.commit()
    return store


def test_an_ingested_label_sets_label_status_for_its_drug(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "zorbex.xml").write_text(_label(1), encoding="utf-8")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "zorbex.xml").write_text(_label(2, NEW_INDICATION), encoding="utf-8")
    before = label_verdict("zorbatinib", ["giant cell arteritis"], age=70)
    assert before.status == LabelStatus.UNKNOWN  # no label of the drug known
    old_store = _store(tmp_path / "old", list(iter_spl(tmp_path / "old", IngestReport())))
    assert label_verdict("zorbatinib", ["rheumatoid arthritis"], age=70, store=old_store).status == LabelStatus.ON_LABEL
    assert label_verdict("zorbatinib", ["giant cell arteritis"], age=70, store=old_store).status != LabelStatus.ON_LABEL
    old_store.close()
    new_store = _store(tmp_path / "new", list(iter_spl(tmp_path / "new", IngestReport())))
    verdict = label_verdict("zorbatinib", ["giant cell arteritis"], age=70, store=new_store)
    assert verdict.status == LabelStatus.ON_LABEL and verdict.sentence == NEW_INDICATION
    assert verdict.passage_id == "spl-9a9a9a9a-1111-2222-3333-444444444444#1"
    new_store.close()
    # the same through openFDA JSON: Singulair's indication covers asthma
    singulair = [d for d in iter_openfda(FIXTURES / "openfda", IngestReport()) if "Singulair" in d.title]
    store = _store(tmp_path, singulair)
    on = label_verdict("montelukast", ["asthma"], age=30, store=store)
    assert on.status == LabelStatus.ON_LABEL and on.passage_id is not None and on.passage_id.startswith("spl-2d7dd1d4")
    store.close()

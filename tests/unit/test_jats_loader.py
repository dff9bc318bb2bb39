"""JATS XML (PMC open-access articles): sections, tables, figures, references, ids and licence; bad files skipped."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, IngestReport
from curbside.corpus.loaders.jats import iter_jats

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "jats_samples"

ARTICLE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.1 20151215//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
<front>
  <journal-meta><journal-title-group><journal-title>Journal of Testing</journal-title></journal-title-group></journal-meta>
  <article-meta>
    <article-id pub-id-type="pmid">{pmid}</article-id>
    <article-id pub-id-type="pmc">{pmc}</article-id>
    <article-id pub-id-type="doi">10.1000/jt.{pmc}</article-id>
    <title-group><article-title>Rituximab in anti-MDA5 dermatomyositis: a randomized trial</article-title></title-group>
    <pub-date pub-type="ppub"><year>2020</year></pub-date>
    <pub-date pub-type="epub"><day>3</day><month>4</month><year>2019</year></pub-date>
    <permissions>
      <copyright-statement>(c) The authors 2019</copyright-statement>
      <license xlink:href="https://creativecommons.org/licenses/by-nc/4.0/"><license-p>Open access.</license-p></license>
    </permissions>
    <abstract>
      <sec><title>Background</title><p>Interstitial lung disease kills.</p></sec>
      <sec><title>Conclusions</title><p>Rituximab improved survival.</p></sec>
    </abstract>
    <abstract abstract-type="teaser"><p>Teaser text never kept.</p></abstract>
  </article-meta>
</front>
<body>
  <p>An opening paragraph
  wrapped over two source lines.</p>
  <sec sec-type="methods"><title>Methods</title>
    <sec><title>Patients</title>
      <p>We randomly assigned 40 adults.</p>
      <list list-type="bullet"><list-item><p>Adults with MDA5 antibodies</p></list-item><list-item><p>Onset within 6 months</p></list-item></list>
    </sec>
  </sec>
  <sec><title>Results</title>
    <p>Survival rose <xref ref-type="bibr" rid="B1">[1]</xref>.</p>
    <fig id="F1"><label>Figure 1</label><caption><p>Kaplan-Meier survival curves.</p></caption><graphic xlink:href="f1.jpg"/></fig>
    <table-wrap id="T1"><label>Table 1</label><caption><p>Outcomes at 12 months</p></caption>
      <table><thead><tr><th>Outcome</th><th>Rituximab</th><th>Placebo</th></tr></thead>
      <tbody><tr><td>Death</td><td>2</td><td>9</td></tr></tbody></table>
      <table-wrap-foot><fn><p>Counts of patients.</p></fn></table-wrap-foot>
    </table-wrap>
  </sec>
  <sec sec-type="COI-statement"><title>Competing interests</title><p>None declared.</p></sec>
</body>
<back>
  <ack><p>We thank the nurses.</p></ack>
  <ref-list><ref id="B1"><label>1</label><element-citation publication-type="journal">
    <person-group person-group-type="author"><name><surname>Smith</surname><given-names>AB</given-names></name></person-group>
    <article-title>An earlier study</article-title><source>Lancet</source><year>2010</year><volume>5</volume>
    <fpage>1</fpage><lpage>9</lpage><pub-id pub-id-type="pmid">123</pub-id></element-citation></ref>
  <ref id="B2"><mixed-citation publication-type="journal"><person-group><name><surname>Jones</surname><given-names>C</given-names></name></person-group>. <article-title>Another</article-title>. <source>BMJ</source>. <year>2011</year>.</mixed-citation></ref>
  </ref-list>
</back>
</article>
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_jats_article_keeps_sections_tables_figures_references_ids_and_licence(tmp_path: Path) -> None:
    _write(tmp_path, "a.nxml", ARTICLE.format(pmid="31000001", pmc="7000001"))
    report = IngestReport()
    [doc] = list(iter_jats(tmp_path, report))
    assert report.problems == []
    assert doc.doc_id == "31000001" and doc.pmid == "31000001" and doc.pmcid == "PMC7000001"
    assert doc.doi == "10.1000/jt.7000001" and doc.organization == "Journal of Testing"
    assert doc.year == 2019  # the electronic publication date comes first
    assert doc.license == "CC BY-NC 4.0"
    assert doc.doc_type is DocType.RCT and doc.url == "https://pubmed.ncbi.nlm.nih.gov/31000001/"
    joined = "\n".join(f"{p.section}: {p.text}" for p in doc.passages)
    # Short parts are packed into one passage, their labels joined; abstract labels as the PMC trial loader's.
    assert doc.passages[0].section.startswith("BACKGROUND / CONCLUSIONS / Full text / Full text > Methods > Patients")
    assert "Interstitial lung disease kills.\n\nRituximab improved survival." in joined and "Teaser" not in joined
    assert "An opening paragraph wrapped over two source lines." in joined  # source line breaks are layout
    assert "We randomly assigned 40 adults.\n- Adults with MDA5 antibodies\n- Onset within 6 months" in joined
    table = "Table 1. Outcomes at 12 months\nOutcome | Rituximab | Placebo\nDeath | 2 | 9\nCounts of patients."
    assert table in joined and "Full text > Results > Table 1" in joined
    assert "Figure 1. Kaplan-Meier survival curves." in joined
    assert "None declared" not in joined and "We thank the nurses" not in joined
    references = [p for p in doc.passages if p.section == "References"]
    assert references and references[0].text.splitlines() == [
        "1. Smith AB. An earlier study. Lancet 2010;5:1-9. PMID 123", "Jones C. Another. BMJ. 2011."]
    assert [p.ordinal for p in doc.passages] == list(range(len(doc.passages)))


def test_without_a_pmid_the_pmcid_is_the_id(tmp_path: Path) -> None:
    _write(tmp_path, "b.xml", ARTICLE.format(pmid="", pmc="7000002").replace('<license xlink:href="https://creativecommons.org/licenses/by-nc/4.0/">',
                                                                            "<license>").replace(
        "Open access.", "This article is distributed under the Creative Commons Attribution 4.0 International License."))
    [doc] = list(iter_jats(tmp_path / "b.xml", IngestReport()))
    assert doc.doc_id == "PMC7000002" and doc.pmid is None
    assert doc.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC7000002/"
    assert doc.license == "CC BY 4.0"  # named in words


def test_a_malformed_file_is_reported_and_the_others_go_on(tmp_path: Path) -> None:
    _write(tmp_path, "1_good.nxml", ARTICLE.format(pmid="31000003", pmc="7000003"))
    _write(tmp_path, "2_broken.nxml", ARTICLE.format(pmid="31000004", pmc="7000004").replace("</body>", "</bdy>"))
    _write(tmp_path, "3_not_jats.xml", "<html><body>no</body></html>")
    _write(tmp_path, "4_good.nxml", ARTICLE.format(pmid="31000005", pmc="7000005"))
    _write(tmp_path, "5_duplicate.nxml", ARTICLE.format(pmid="31000005", pmc="7000006"))
    report = IngestReport()
    assert [d.doc_id for d in iter_jats(tmp_path, report)] == ["31000003", "31000005"]
    problems = {Path(p.file).name: p for p in report.problems}
    assert problems["2_broken.nxml"].message.startswith("malformed XML") and problems["2_broken.nxml"].line > 1
    assert "not a JATS article" in problems["3_not_jats.xml"].message
    assert "duplicate document id 31000005" in problems["5_duplicate.nxml"].message
    assert report.documents_by_source == {"jats": 2}


@pytest.mark.corpus
@pytest.mark.skipif(not SAMPLES.is_dir(), reason="needs ../shared/corpus/jats_samples")
def test_all_25_pmc_samples_parse() -> None:
    report = IngestReport()
    docs = list(iter_jats(SAMPLES, report))
    assert report.problems == []
    assert len(docs) == 25 == len({d.doc_id for d in docs})
    for doc in docs:
        assert doc.doc_id == doc.pmid and doc.doc_id.isdigit() and doc.pmcid and doc.pmcid.startswith("PMC")
        assert doc.title and doc.year and doc.organization and doc.doi and doc.license
        sections = [p.section for p in doc.passages]
        assert any(s.startswith("Full text > ") for s in sections) and "References" in sections
    by_id = {d.doc_id: d for d in docs}
    lornoxicam = by_id["15566594"]  # PMC1065065: JATS 2.3, licence in <article-meta>
    assert lornoxicam.license == "CC BY 2.0" and lornoxicam.pmcid == "PMC1065065"
    assert lornoxicam.title == "Effects of lornoxicam on the physiology of severe sepsis"
    assert by_id["19366957"].license == "CC BY-NC-ND 3.0"  # named only by the ext-link inside the licence text
    assert by_id["11257719"].license.startswith("Copyright")  # no licence element: the copyright statement
    tables = [p for d in docs for p in d.passages if " > Table " in p.section and " | " in p.text]
    assert len(tables) >= 10


def _add_member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_a_pmc_bulk_package_is_read_member_by_member(tmp_path: Path) -> None:
    # The shape of PMC's oa_comm_xml.*.tar.gz: a folder per id range, one article XML per member, beside a
    # per-article package's images (not articles) and one broken member that must not cost its neighbours.
    bulk = tmp_path / "oa_comm_xml.PMC007xxxxxx.baseline.2026-06-01.tar.gz"
    with tarfile.open(bulk, "w:gz") as archive:
        _add_member(archive, "PMC007xxxxxx/PMC7000010.xml", ARTICLE.format(pmid="31000010", pmc="7000010").encode())
        _add_member(archive, "PMC007xxxxxx/PMC7000011.xml",
                    ARTICLE.format(pmid="31000011", pmc="7000011").replace("</body>", "</bdy>").encode())
        _add_member(archive, "PMC007xxxxxx/f1.jpg", b"\xff\xd8\xff not an article")
        _add_member(archive, "PMC007xxxxxx/PMC7000012.nxml.gz",
                    gzip.compress(ARTICLE.format(pmid="", pmc="7000012").encode()))
    report = IngestReport()
    docs = list(iter_jats(bulk, report))
    assert [d.doc_id for d in docs] == ["31000010", "PMC7000012"]
    assert docs[0].license == "CC BY-NC 4.0" and any(p.section == "References" for p in docs[0].passages)
    [problem] = report.problems
    assert problem.file == f"{bulk}!PMC007xxxxxx/PMC7000011.xml" and problem.message.startswith("malformed XML")
    assert report.documents_by_source == {"jats": 2}


def test_a_truncated_package_keeps_the_articles_before_the_damage(tmp_path: Path) -> None:
    whole = tmp_path / "whole.tar"
    with tarfile.open(whole, "w") as archive:
        for n in range(3):
            body = ARTICLE.format(pmid=f"3100002{n}", pmc=f"700002{n}").encode()
            _add_member(archive, f"PMC700002{n}/PMC700002{n}.nxml", body + b" " * 20_000)
    data = whole.read_bytes()
    cut = tmp_path / "PMC_cut.tar"
    cut.write_bytes(data[: int(len(data) * 0.8)])  # the third article is cut off mid-member
    other = tmp_path / "z_next.nxml"
    _write(tmp_path, other.name, ARTICLE.format(pmid="31000029", pmc="7000029"))
    report = IngestReport()
    ids = [d.doc_id for d in iter_jats([cut, other], report)]
    assert ids[:2] == ["31000020", "31000021"] and ids[-1] == "31000029" and "31000022" not in ids
    assert any(p.file.startswith(str(cut)) for p in report.problems)


def test_the_ingest_jats_command_takes_a_package(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from curbside.cli.main import cli

    package = tmp_path / "PMC7000030.tar.gz"
    with tarfile.open(package, "w:gz") as archive:
        _add_member(archive, "PMC7000030/article.nxml", ARTICLE.format(pmid="31000030", pmc="7000030").encode())
        _add_member(archive, "PMC7000030/article.pdf", b"%PDF-1.4 not read")
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "ingest", "jats", str(package)])
    assert result.exit_code == 0, result.output
    shown = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "show", "31000030", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert '"pmcid": "PMC7000030"' in shown.output

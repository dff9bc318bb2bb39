"""bench/gen_medline.py writes MEDLINE files valid against NLM's element structure, seeded and realistic."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import statistics
import sys
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

pytestmark = pytest.mark.skipif(not (SHARED / "corpus" / "mesh").is_dir(), reason="needs ../shared")

# The content models of pubmed_250101.dtd (NLM, 1 January 2025) for every element the generator writes,
# transcribed with their order and cardinality; alternatives the generator never writes are left out of
# the choice groups, attributes keep NLM's enumerations.
PUBMED_DTD = """
<!ELEMENT PubmedArticleSet ((PubmedArticle)*, DeleteCitation?)>
<!ELEMENT PubmedArticle (MedlineCitation, PubmedData?)>
<!ELEMENT DeleteCitation (PMID+)>
<!ELEMENT MedlineCitation (PMID, DateCompleted?, DateRevised?, Article, MedlineJournalInfo, ChemicalList?,
  SupplMeshList?, CitationSubset*, CommentsCorrectionsList?, GeneSymbolList?, MeshHeadingList?,
  NumberOfReferences?, PersonalNameSubjectList?, OtherID*, OtherAbstract*, KeywordList*, CoiStatement?)>
<!ATTLIST MedlineCitation Owner (NLM | NASA | PIP | KIE | NOTNLM | HHS) "NLM"
  Status (Completed | In-Process | PubMed-not-MEDLINE | In-Data-Review | Publisher | MEDLINE | OLDMEDLINE) #REQUIRED
  VersionID CDATA #IMPLIED VersionDate CDATA #IMPLIED IndexingMethod CDATA #IMPLIED>
<!ELEMENT PMID (#PCDATA)>
<!ATTLIST PMID Version CDATA #REQUIRED>
<!ELEMENT DateCompleted (Year, Month, Day)>
<!ELEMENT DateRevised (Year, Month, Day)>
<!ELEMENT Year (#PCDATA)> <!ELEMENT Month (#PCDATA)> <!ELEMENT Day (#PCDATA)>
<!ELEMENT Article (Journal, ArticleTitle, ((Pagination, ELocationID*) | ELocationID+), Abstract?, AuthorList?,
  Language+, DataBankList?, GrantList?, PublicationTypeList, VernacularTitle?, ArticleDate*)>
<!ATTLIST Article PubModel (Print | Print-Electronic | Electronic | Electronic-Print | Electronic-eCollection) #REQUIRED>
<!ELEMENT Journal (ISSN?, JournalIssue, Title?, ISOAbbreviation?)>
<!ELEMENT ISSN (#PCDATA)> <!ATTLIST ISSN IssnType (Electronic | Print) #REQUIRED>
<!ELEMENT JournalIssue (Volume?, Issue?, PubDate)> <!ATTLIST JournalIssue CitedMedium (Internet | Print) #REQUIRED>
<!ELEMENT Volume (#PCDATA)> <!ELEMENT Issue (#PCDATA)>
<!ELEMENT PubDate ((Year, ((Month, Day?) | Season)?) | MedlineDate)>
<!ELEMENT Season (#PCDATA)> <!ELEMENT MedlineDate (#PCDATA)>
<!ELEMENT Title (#PCDATA)> <!ELEMENT ISOAbbreviation (#PCDATA)>
<!ELEMENT ArticleTitle (#PCDATA)>
<!ELEMENT Pagination ((StartPage, EndPage?, MedlinePgn?) | MedlinePgn)>
<!ELEMENT StartPage (#PCDATA)> <!ELEMENT EndPage (#PCDATA)> <!ELEMENT MedlinePgn (#PCDATA)>
<!ELEMENT ELocationID (#PCDATA)>
<!ATTLIST ELocationID EIdType (doi | pii) #REQUIRED ValidYN (Y | N) "Y">
<!ELEMENT Abstract (AbstractText+, CopyrightInformation?)>
<!ELEMENT AbstractText (#PCDATA)>
<!ATTLIST AbstractText Label CDATA #IMPLIED
  NlmCategory (BACKGROUND | OBJECTIVE | METHODS | RESULTS | CONCLUSIONS | UNASSIGNED) #IMPLIED>
<!ELEMENT CopyrightInformation (#PCDATA)>
<!ELEMENT AuthorList (Author+)> <!ATTLIST AuthorList CompleteYN (Y | N) "Y" Type (authors | editors) #IMPLIED>
<!ELEMENT Author (((LastName, ForeName?, Initials?, Suffix?) | CollectiveName), Identifier*, AffiliationInfo*)>
<!ATTLIST Author ValidYN (Y | N) "Y" EqualContrib (Y | N) #IMPLIED>
<!ELEMENT LastName (#PCDATA)> <!ELEMENT ForeName (#PCDATA)> <!ELEMENT Initials (#PCDATA)>
<!ELEMENT Language (#PCDATA)>
<!ELEMENT PublicationTypeList (PublicationType+)>
<!ELEMENT PublicationType (#PCDATA)> <!ATTLIST PublicationType UI CDATA #REQUIRED>
<!ELEMENT ArticleDate (Year, Month, Day)> <!ATTLIST ArticleDate DateType CDATA #FIXED "Electronic">
<!ELEMENT MedlineJournalInfo (Country?, MedlineTA, NlmUniqueID?, ISSNLinking?)>
<!ELEMENT Country (#PCDATA)> <!ELEMENT MedlineTA (#PCDATA)> <!ELEMENT NlmUniqueID (#PCDATA)>
<!ELEMENT ISSNLinking (#PCDATA)>
<!ELEMENT CitationSubset (#PCDATA)>
<!ELEMENT CommentsCorrectionsList (CommentsCorrections+)>
<!ELEMENT CommentsCorrections (RefSource, PMID?, Note?)>
<!ATTLIST CommentsCorrections RefType (AssociatedDataset | AssociatedPublication | CommentIn | CommentOn |
  CorrectedandRepublishedIn | CorrectedandRepublishedFrom | ErratumIn | ErratumFor | ExpressionOfConcernIn |
  ExpressionOfConcernFor | RepublishedIn | RepublishedFrom | RetractedandRepublishedIn |
  RetractedandRepublishedFrom | RetractionIn | RetractionOf | UpdateIn | UpdateOf | SummaryForPatientsIn |
  OriginalReportIn | ReprintIn | ReprintOf | Cites) #REQUIRED>
<!ELEMENT RefSource (#PCDATA)>
<!ELEMENT MeshHeadingList (MeshHeading+)>
<!ELEMENT MeshHeading (DescriptorName, QualifierName*)>
<!ELEMENT DescriptorName (#PCDATA)>
<!ATTLIST DescriptorName MajorTopicYN (Y | N) "N" Type (Geographic) #IMPLIED UI CDATA #REQUIRED>
<!ELEMENT QualifierName (#PCDATA)> <!ATTLIST QualifierName MajorTopicYN (Y | N) "N" UI CDATA #REQUIRED>
<!ELEMENT KeywordList (Keyword+)> <!ATTLIST KeywordList Owner (NLM | NLM-AUTO | NASA | PIP | KIE | NOTNLM | HHS) "NLM">
<!ELEMENT Keyword (#PCDATA)> <!ATTLIST Keyword MajorTopicYN (Y | N) "N">
<!ELEMENT PubmedData (History?, PublicationStatus, ArticleIdList, ObjectList?, ReferenceList*)>
<!ELEMENT History (PubMedPubDate+)>
<!ELEMENT PubMedPubDate (Year, Month, Day, (Hour, (Minute, Second?)?)?)>
<!ATTLIST PubMedPubDate PubStatus (received | accepted | epublish | ppublish | revised | aheadofprint | retracted |
  ecollection | pmc | pmcr | pubmed | pubmedr | premedline | medline | medliner | entrez | pmc-release) #REQUIRED>
<!ELEMENT PublicationStatus (#PCDATA)>
<!ELEMENT ArticleIdList (ArticleId+)>
<!ELEMENT ArticleId (#PCDATA)>
<!ATTLIST ArticleId IdType (doi | pii | pmcpid | pmpid | pmc | mid | sici | pubmed | medline | pmcid | pmcbook |
  bookaccession) "pubmed">
"""


def _generator():
    spec = importlib.util.spec_from_file_location("gen_medline", ROOT / "bench" / "gen_medline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_medline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    gen = _generator()
    out = tmp_path_factory.mktemp("medline")
    summary = gen.generate(out, 500, per_file=300, updates=1, per_update=60, seed=7)
    return gen, out, summary


def _articles(path: Path) -> etree._Element:
    with gzip.open(path, "rb") as raw:
        return etree.parse(raw).getroot()


def test_every_citation_is_valid_against_the_pubmed_dtd(generated):
    _gen, out, summary = generated
    dtd = etree.DTD(io.StringIO(PUBMED_DTD))
    assert summary["files"] == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n0003.xml.gz"]
    n = 0
    for name in summary["files"]:
        root = _articles(out / name)
        assert root.tag == "PubmedArticleSet"
        assert dtd.validate(root), (name, dtd.error_log.filter_from_errors()[:3])
        n += len(root.findall("PubmedArticle"))
    assert n == 500 + 60


def test_the_dtd_check_catches_a_wrong_structure(generated):
    """The validation above can fail: an Article without its PublicationTypeList, or an
    AbstractText with an unknown NlmCategory, is rejected."""
    _gen, out, summary = generated
    dtd = etree.DTD(io.StringIO(PUBMED_DTD))
    root = _articles(out / summary["files"][0])
    assert dtd.validate(root)
    types = root.find(".//PublicationTypeList")
    types.getparent().remove(types)
    assert not dtd.validate(root)
    root = _articles(out / summary["files"][0])
    root.find(".//AbstractText").set("NlmCategory", "SUMMARY")
    assert not dtd.validate(root)


def test_lengths_and_vocabulary_are_realistic(generated):
    _gen, out, summary = generated
    mesh_names = {line.split("\t")[1].strip() for line in
                  (SHARED / "corpus/mesh/mesh_descriptors_2026-01.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    root = _articles(out / summary["files"][0])
    words, headings, structured = [], [], 0
    for citation in root.iter("MedlineCitation"):
        texts = citation.findall(".//AbstractText")
        if texts:
            words.append(sum(len((t.text or "").split()) for t in texts))
            structured += bool(texts[0].get("Label"))
            assert all(t.get("NlmCategory") == t.get("Label") for t in texts if t.get("Label"))
        names = [d.text for d in citation.iter("DescriptorName")]
        headings.append(len(names))
        assert set(names) <= mesh_names
        assert citation.find("Article/Journal/JournalIssue/PubDate/Year") is not None
        assert citation.find("Article/AuthorList/Author/LastName") is not None
    assert 170 <= statistics.mean(words) <= 240
    assert min(headings) >= 8 and max(headings) <= 15
    assert 0.5 < structured / len(words) < 0.9
    vocabulary = {w.lower().strip(".,;()") for t in root.iter("AbstractText") for w in (t.text or "").split()}
    assert len(vocabulary) > 3000  # drawn from the shared abstracts' frequency list, not a small word list


def test_seeded_and_updates_carry_revisions_and_deletions(generated, tmp_path):
    gen, out, summary = generated
    again = gen.generate(tmp_path, 500, per_file=300, updates=1, per_update=60, seed=7)
    for name in summary["files"]:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes()
    update = _articles(out / summary["files"][-1])
    assert again["deleted"] == summary["deleted"] and summary["deleted"]
    deleted = [int(p.text) for p in update.findall("DeleteCitation/PMID")]
    assert deleted == summary["deleted"] and all(1 <= p <= 500 for p in deleted)
    pmids = [int(p.text) for p in update.findall("PubmedArticle/MedlineCitation/PMID")]
    revised = [p for p in pmids if p <= 500]
    assert len(revised) == 30 and len(pmids) == 60 and set(revised).isdisjoint(deleted)
    titles = {int(a.findtext("MedlineCitation/PMID")): a.findtext("MedlineCitation/Article/ArticleTitle")
              for a in update.findall("PubmedArticle")}
    assert {int(p): t for p, t in summary["revised"].items()} == {p: titles[p] for p in revised}
    assert json.dumps(summary)  # the truth file is JSON

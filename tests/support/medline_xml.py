"""PubMed/MEDLINE XML for tests: PubmedArticle records in the element structure of NLM's pubmed_250101.dtd
(MedlineCitation: PMID, Article with Journal, ArticleTitle, Abstract, AuthorList, PublicationTypeList; then
MedlineJournalInfo, CommentsCorrectionsList, MeshHeadingList, KeywordList; PubmedData with ArticleIdList), and
whole PubmedArticleSet files with DeleteCitation.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
          '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
FOOTER = "</PubmedArticleSet>\n"


@dataclass
class Citation:
    pmid: str
    title: str
    sections: Sequence[tuple[str, str]] = ()  # (Label, text); label "" for an unlabelled abstract
    journal: str = "Journal of Tests"
    year: int | None = 2020
    version: int = 1
    authors: Sequence[tuple[str, str]] = (("Smith", "J"),)
    publication_types: Sequence[str] = ("Journal Article",)
    mesh: Sequence[str] = ()
    keywords: Sequence[str] = ()
    doi: str | None = None
    pmcid: str | None = None
    comments: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (RefType, PMID)

    def xml(self) -> str:
        e = escape
        sections = "".join(
            f'<AbstractText Label="{e(label)}" NlmCategory="{e(label)}">{e(text)}</AbstractText>' if label
            else f"<AbstractText>{e(text)}</AbstractText>"
            for label, text in self.sections
        )
        abstract = f"<Abstract>{sections}</Abstract>" if sections else ""
        authors = "".join(f'<Author ValidYN="Y"><LastName>{e(last)}</LastName><Initials>{e(ini)}</Initials></Author>'
                          for last, ini in self.authors)
        types = "".join(f"<PublicationType>{e(t)}</PublicationType>" for t in self.publication_types)
        year = f"<PubDate><Year>{self.year}</Year></PubDate>" if self.year else "<PubDate/>"
        doi = f'<ELocationID EIdType="doi" ValidYN="Y">{e(self.doi)}</ELocationID>' if self.doi else ""
        comments = "".join(f'<CommentsCorrections RefType="{e(kind)}"><RefSource>Notice</RefSource>'
                           f'<PMID Version="1">{e(pmid)}</PMID></CommentsCorrections>' for kind, pmid in self.comments)
        mesh = "".join(f'<MeshHeading><DescriptorName MajorTopicYN="N">{e(m)}</DescriptorName></MeshHeading>'
                       for m in self.mesh)
        keywords = "".join(f'<Keyword MajorTopicYN="N">{e(k)}</Keyword>' for k in self.keywords)
        ids = f'<ArticleId IdType="pubmed">{self.pmid}</ArticleId>'
        ids += f'<ArticleId IdType="doi">{e(self.doi)}</ArticleId>' if self.doi else ""
        ids += f'<ArticleId IdType="pmc">{e(self.pmcid)}</ArticleId>' if self.pmcid else ""
        return (
            '<PubmedArticle>\n  <MedlineCitation Status="MEDLINE" Owner="NLM">\n'
            f'    <PMID Version="{self.version}">{self.pmid}</PMID>\n'
            '    <Article PubModel="Print">\n'
            f'      <Journal><JournalIssue CitedMedium="Print">{year}</JournalIssue><Title>{e(self.journal)}</Title></Journal>\n'
            f"      <ArticleTitle>{e(self.title)}</ArticleTitle>\n"
            f"      {doi}{abstract}\n"
            f'      <AuthorList CompleteYN="Y">{authors}</AuthorList>\n'
            f"      <Language>eng</Language><PublicationTypeList>{types}</PublicationTypeList>\n"
            "    </Article>\n"
            "    <MedlineJournalInfo><Country>United States</Country></MedlineJournalInfo>\n"
            + (f"    <CommentsCorrectionsList>{comments}</CommentsCorrectionsList>\n" if comments else "")
            + (f"    <MeshHeadingList>{mesh}</MeshHeadingList>\n" if mesh else "")
            + (f'    <KeywordList Owner="NOTNLM">{keywords}</KeywordList>\n' if keywords else "")
            + "  </MedlineCitation>\n"
            f"  <PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>{ids}</ArticleIdList></PubmedData>\n"
            "</PubmedArticle>\n"
        )


def article_set(citations: Iterable[Citation | str], deletions: Sequence[str] = ()) -> str:
    """A PubmedArticleSet of ``citations`` (Citation, or raw XML text for broken records), then DeleteCitation."""
    body = "".join(c.xml() if isinstance(c, Citation) else c for c in citations)
    deleted = ("<DeleteCitation>" + "".join(f'<PMID Version="1">{p}</PMID>' for p in deletions) + "</DeleteCitation>\n"
               if deletions else "")
    return HEADER + body + deleted + FOOTER


def write_set(path: Path, citations: Iterable[Citation | str], deletions: Sequence[str] = ()) -> Path:
    data = article_set(citations, deletions).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


_WORDS = ("aspirin statin colchicine dapagliflozin metformin warfarin apixaban rituximab tacrolimus placebo mortality "
          "stroke bleeding fracture infection remission survival adults children women elderly randomized cohort "
          "hazard ratio confidence interval months weeks dose").split()


def synthetic_citations(n: int, *, start: int = 40_000_000) -> list[Citation]:
    """``n`` distinct small citations (deterministic), for crash and scale tests."""
    out = []
    for i in range(n):
        words = [_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(12)]
        out.append(Citation(
            pmid=str(start + i), title=f"Trial {i} of {words[0]} for {words[1]}",
            sections=(("BACKGROUND", f"Record {i} studies {' '.join(words[:6])}."),
                      ("RESULTS", f"In record {i}, {' '.join(words[6:])} improved (n = {100 + i}).")),
            publication_types=("Journal Article", "Randomized Controlled Trial") if i % 3 == 0 else ("Journal Article",),
        ))
    return out

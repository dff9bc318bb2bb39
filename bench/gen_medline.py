"""Synthetic MEDLINE baseline and update files for scale tests: ``PubmedArticleSet`` XML, gzipped.

    python bench/gen_medline.py --n 100000 --out /tmp/medline-100k            # 4 files of 30,000 and one of 10,000
    python bench/gen_medline.py --n 30000 --updates 1 --out /tmp/medline-30k   # plus one update file

The files follow the element structure of NLM's ``pubmed_250101.dtd`` (tests/unit/test_gen_medline.py
validates them against that DTD's content models for every element written): ``MedlineCitation`` with
``PMID Version``, dates, ``Article`` (``Journal`` with ``JournalIssue``/``PubDate``, ``ArticleTitle``,
``Pagination``, ``ELocationID``, a structured or plain ``Abstract`` whose ``AbstractText`` carries ``Label``
and ``NlmCategory``, ``AuthorList``, ``Language``, ``PublicationTypeList``), ``MedlineJournalInfo``,
``CommentsCorrectionsList`` (RetractionIn, ExpressionOfConcernIn), ``MeshHeadingList`` and ``KeywordList``, then
``PubmedData`` with ``History``, ``PublicationStatus`` and ``ArticleIdList`` (pubmed, doi, and pmc for some).

Realistic lengths and vocabulary, drawn at run time from the shared data (nothing is copied into the
repository): abstract words follow the word frequencies of the PMC trial abstracts and PubMedQA contexts in
``../shared/corpus``, MeSH headings are real descriptor names (8-15 a citation, the common check tags
among them), author names come from the census lists of the ``names`` package. Abstracts have about 200
words (normal around 200, sd 60), 70% of them in labelled sections. Publication types come with the
frequencies seen in PubMed (Journal Article nearly always; reviews, trials, case reports, a few meta-analyses
and practice guidelines, a few retracted publications). Everything is drawn from one seeded generator, so
the same arguments write the same bytes.

Update files (``--updates K``) continue the file numbering after the baseline, as NLM's do: each holds
revised versions of earlier citations (same PMID, a later ``DateRevised``, a changed title and abstract),
new citations, and a ``DeleteCitation`` list of earlier PMIDs. ``--truth FILE`` writes what a correct
ingest ends with (which PMIDs are deleted, which title each revised PMID ends with).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SECTIONS = (("BACKGROUND", "BACKGROUND"), ("OBJECTIVE", "OBJECTIVE"), ("METHODS", "METHODS"),
            ("RESULTS", "RESULTS"), ("CONCLUSIONS", "CONCLUSIONS"))
# (name, UI, share of citations): rough PubMed frequencies; Journal Article is added to nearly all.
PUBLICATION_TYPES = (
    ("Review", "D016454", 0.10),
    ("Randomized Controlled Trial", "D016449", 0.04),
    ("Case Reports", "D002363", 0.06),
    ("Comparative Study", "D003160", 0.05),
    ("Observational Study", "D064888", 0.03),
    ("Systematic Review", "D000078182", 0.015),
    ("Meta-Analysis", "D017418", 0.01),
    ("Clinical Trial", "D016430", 0.01),
    ("Practice Guideline", "D017065", 0.003),
    ("Retracted Publication", "D016441", 0.0005),
)
CHECK_TAGS = (("Humans", "D006801", 0.75), ("Female", "D005260", 0.45), ("Male", "D008297", 0.45),
              ("Adult", "D000328", 0.35), ("Middle Aged", "D008875", 0.3), ("Aged", "D000368", 0.2),
              ("Animals", "D000818", 0.15), ("Child", "D002648", 0.08), ("Adolescent", "D000293", 0.08))
QUALIFIERS = (("therapy", "Q000628"), ("drug therapy", "Q000188"), ("diagnosis", "Q000175"),
              ("epidemiology", "Q000453"), ("mortality", "Q000401"), ("adverse effects", "Q000009"),
              ("therapeutic use", "Q000627"), ("blood", "Q000097"), ("genetics", "Q000235"),
              ("physiopathology", "Q000503"), ("pathology", "Q000473"), ("etiology", "Q000209"))
COUNTRIES = ("United States", "England", "Netherlands", "Germany", "Switzerland", "Japan", "China", "France")
STATUSES = ("ppublish", "epublish", "aheadofprint")
WORD = re.compile(r"[A-Za-z][a-z]{1,}(?:-[a-z]+)?")


@dataclass
class Vocabulary:
    words: list[str]
    weights: np.ndarray  # probabilities, summing to 1
    mesh: list[tuple[str, str]]  # (UI, name)
    surnames: list[str]
    forenames: list[str]


def _shared_texts(shared: Path) -> Iterator[str]:
    with (shared / "corpus" / "pmc_rct" / "pmc_rct_abstracts.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield record.get("title") or ""
            for section in record.get("abstract_sections") or ():
                yield section.get("text") or ""
    pubmedqa = json.loads((shared / "corpus" / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    for record in pubmedqa.values():
        yield from record.get("CONTEXTS") or ()
        yield record.get("LONG_ANSWER") or ""


def load_vocabulary(shared: Path = SHARED, top: int = 30000) -> Vocabulary:
    """The word frequencies of the shared abstracts, the MeSH descriptor names, and census names."""
    import names  # the census name lists the PHI scrubber also uses

    counts: Counter[str] = Counter()
    for text in _shared_texts(shared):
        counts.update(w.lower() if w[1:].islower() else w for w in WORD.findall(text))
    common = counts.most_common(top)
    weights = np.array([c for _w, c in common], dtype=np.float64)
    mesh: list[tuple[str, str]] = []
    with (shared / "corpus" / "mesh" / "mesh_descriptors_2026-01.tsv").open(encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            ui, _tab, name = row.rstrip("\n").partition("\t")
            if ui and name:
                mesh.append((ui, name))
    folder = Path(names.__file__).parent

    def census(file: str, n: int) -> list[str]:
        with (folder / file).open(encoding="ascii") as rows:
            return [row.split()[0].title() for _i, row in zip(range(n), rows)]

    return Vocabulary(
        words=[w for w, _c in common], weights=weights / weights.sum(), mesh=mesh,
        surnames=census("dist.all.last", 5000),
        forenames=census("dist.female.first", 1500) + census("dist.male.first", 800),
    )


class CitationWriter:
    """Draws citations from one seeded generator and writes them as ``PubmedArticle`` elements."""

    def __init__(self, vocabulary: Vocabulary, seed: int) -> None:
        self.v = vocabulary
        self.rng = np.random.default_rng(seed)
        self._pool = np.zeros(0, dtype=np.int32)
        self._at = 0
        known = set(vocabulary.mesh)  # only check tags the descriptor file holds (it has no Male/Female)
        self.check_tags = [(name, ui, share) for name, ui, share in CHECK_TAGS if (ui, name) in known]
        rng = np.random.default_rng(seed + 1)
        self.journals = []
        for i in range(400):
            ui, name = self.v.mesh[int(rng.integers(len(self.v.mesh)))]
            title = f"Journal of {name}" if i % 3 else f"{name} Research"
            abbreviation = " ".join(w[:4] for w in title.split())
            issn = f"{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)}"
            self.journals.append((title, abbreviation, issn, f"{rng.integers(1e6, 1e8)}", COUNTRIES[i % len(COUNTRIES)]))

    def _words(self, n: int) -> list[str]:
        if self._at + n > len(self._pool):
            self._pool = self.rng.choice(len(self.v.words), size=max(n, 2_000_000), p=self.v.weights).astype(np.int32)
            self._at = 0
        part = self._pool[self._at : self._at + n]
        self._at += n
        return [self.v.words[i] for i in part.tolist()]

    def _sentence(self, n_words: int, terms: list[str], numbers: bool) -> str:
        words = self._words(n_words)
        if terms and self.rng.random() < 0.6:
            words.insert(int(self.rng.integers(len(words) + 1)), terms[int(self.rng.integers(len(terms)))].lower())
        if numbers:
            low = round(float(self.rng.uniform(0.2, 2.0)), 2)
            words.append(f"(OR {low + 0.3:.2f}; 95% CI {low:.2f}-{low + 0.9:.2f}; P = {self.rng.uniform(0.001, 0.2):.3f})")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def _text(self, n_words: int, terms: list[str], numbers: bool = False) -> str:
        sentences = []
        while n_words > 0:
            length = min(n_words, int(self.rng.integers(12, 30)))
            sentences.append(self._sentence(length, terms, numbers and self.rng.random() < 0.5))
            n_words -= length
        return " ".join(sentences)

    def citation(self, pmid: int, *, revision: int = 0) -> tuple[str, str]:
        """One ``PubmedArticle`` element and its title. ``revision`` > 0 draws a revised record of ``pmid``."""
        rng = self.rng
        year = int(min(2025, 1975 + rng.gamma(6.0, 6.5)))
        month = int(rng.integers(1, 13))
        day = int(rng.integers(1, 29))
        n_mesh = int(rng.integers(8, 16))
        picked = [(ui, name) for name, ui, share in self.check_tags if rng.random() < share]
        while len(picked) < n_mesh:
            picked.append(self.v.mesh[int(rng.integers(len(self.v.mesh)))])
        topics = [name for _ui, name in picked[-(n_mesh - 2):]] or [picked[0][1]]
        types = [(name, ui) for name, ui, share in PUBLICATION_TYPES if rng.random() < share]
        title = self._sentence(int(rng.integers(8, 20)), topics, False)
        if revision:
            title = f"{title[:-1]} (revised {revision})."
        journal, abbreviation, issn, nlm_id, country = self.journals[int(rng.integers(len(self.journals)))]
        e = escape
        out = [
            "<PubmedArticle>",
            f'<MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="{"Automated" if rng.random() < 0.3 else "Manual"}">',
            f'<PMID Version="1">{pmid}</PMID>',
            f"<DateCompleted><Year>{year}</Year><Month>{month:02d}</Month><Day>{day:02d}</Day></DateCompleted>",
            f"<DateRevised><Year>{2025 + revision}</Year><Month>{month:02d}</Month><Day>{day:02d}</Day></DateRevised>",
            '<Article PubModel="Print-Electronic">',
            f'<Journal><ISSN IssnType="Electronic">{issn}</ISSN><JournalIssue CitedMedium="Internet">'
            f"<Volume>{rng.integers(1, 120)}</Volume><Issue>{rng.integers(1, 13)}</Issue>"
            f"<PubDate><Year>{year}</Year><Month>{MONTHS[month - 1]}</Month></PubDate></JournalIssue>"
            f"<Title>{e(journal)}</Title><ISOAbbreviation>{e(abbreviation)}</ISOAbbreviation></Journal>",
            f"<ArticleTitle>{e(title)}</ArticleTitle>",
        ]
        start = int(rng.integers(1, 2000))
        end = start + int(rng.integers(3, 15))
        doi = f"10.{rng.integers(1000, 9999)}/syn.{pmid}"
        out.append(f"<Pagination><StartPage>{start}</StartPage><EndPage>{end}</EndPage>"
                   f"<MedlinePgn>{start}-{end}</MedlinePgn></Pagination>")
        out.append(f'<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID>')
        n_words = int(max(60, rng.normal(200, 60)))
        if rng.random() < 0.95:  # some citations have no abstract, as in PubMed
            out.append("<Abstract>")
            if rng.random() < 0.7:
                sections = [s for s in SECTIONS if s[0] != "OBJECTIVE" or rng.random() < 0.4]
                shares = rng.dirichlet(np.full(len(sections), 4.0))
                for (label, category), share in zip(sections, shares):
                    text = self._text(max(8, int(n_words * share)), topics, numbers=label == "RESULTS")
                    out.append(f'<AbstractText Label="{label}" NlmCategory="{category}">{e(text)}</AbstractText>')
            else:
                out.append(f"<AbstractText>{e(self._text(n_words, topics, numbers=True))}</AbstractText>")
            out.append(f"<CopyrightInformation>Copyright \u00a9 {year} The Authors.</CopyrightInformation></Abstract>")
        n_authors = int(min(25, 1 + rng.poisson(5)))
        out.append('<AuthorList CompleteYN="Y">')
        for _ in range(n_authors):
            last = self.v.surnames[int(rng.integers(len(self.v.surnames)))]
            first = self.v.forenames[int(rng.integers(len(self.v.forenames)))]
            initials = first[0] + (chr(65 + int(rng.integers(26))) if rng.random() < 0.4 else "")
            out.append(f'<Author ValidYN="Y"><LastName>{last}</LastName><ForeName>{first}</ForeName>'
                       f"<Initials>{initials}</Initials></Author>")
        out.append("</AuthorList><Language>eng</Language><PublicationTypeList>")
        if rng.random() < 0.97 or not types:
            types.insert(0, ("Journal Article", "D016428"))
        for name, ui in types:
            out.append(f'<PublicationType UI="{ui}">{name}</PublicationType>')
        out.append("</PublicationTypeList>")
        out.append(f'<ArticleDate DateType="Electronic"><Year>{year}</Year><Month>{month:02d}</Month>'
                   f"<Day>{day:02d}</Day></ArticleDate></Article>")
        out.append(f"<MedlineJournalInfo><Country>{country}</Country><MedlineTA>{e(abbreviation)}</MedlineTA>"
                   f"<NlmUniqueID>{nlm_id}</NlmUniqueID><ISSNLinking>{issn}</ISSNLinking></MedlineJournalInfo>")
        out.append("<CitationSubset>IM</CitationSubset>")
        flags = []
        if any(name == "Retracted Publication" for name, _ui in types):
            flags.append("RetractionIn")
        elif rng.random() < 0.0005:
            flags.append("ExpressionOfConcernIn")
        if flags or rng.random() < 0.05:
            out.append("<CommentsCorrectionsList>")
            for ref_type in flags or ["CommentIn"]:
                other = int(rng.integers(1, 40_000_000))
                out.append(f'<CommentsCorrections RefType="{ref_type}"><RefSource>{e(abbreviation)}. {year + 1}.'
                           f"</RefSource><PMID Version=\"1\">{other}</PMID></CommentsCorrections>")
            out.append("</CommentsCorrectionsList>")
        out.append("<MeshHeadingList>")
        for i, (ui, name) in enumerate(picked):
            major = "Y" if i == len(picked) - 1 else "N"
            out.append(f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="{major}">{e(name)}</DescriptorName>')
            if i >= 2 and rng.random() < 0.4:
                q_name, q_ui = QUALIFIERS[int(rng.integers(len(QUALIFIERS)))]
                out.append(f'<QualifierName UI="{q_ui}" MajorTopicYN="N">{q_name}</QualifierName>')
            out.append("</MeshHeading>")
        out.append("</MeshHeadingList>")
        if rng.random() < 0.6:
            out.append('<KeywordList Owner="NOTNLM">')
            keywords = {name.lower() for _ui, name in picked[-int(rng.integers(2, 5)):]}
            keywords.update(w for w in self._words(12) if len(w) > 6)
            for word in sorted(keywords)[:8]:
                out.append(f'<Keyword MajorTopicYN="N">{e(word)}</Keyword>')
            out.append("</KeywordList>")
        out.append("</MedlineCitation><PubmedData><History>")
        for status in ("received", "accepted", "pubmed", "medline", "entrez"):
            out.append(f'<PubMedPubDate PubStatus="{status}"><Year>{year}</Year><Month>{month}</Month>'
                       f"<Day>{day}</Day></PubMedPubDate>")
        out.append(f"</History><PublicationStatus>{STATUSES[int(rng.integers(3))]}</PublicationStatus><ArticleIdList>")
        out.append(f'<ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId>')
        if rng.random() < 0.25:
            out.append(f'<ArticleId IdType="pmc">PMC{pmid + 1_000_000}</ArticleId>')
        out.append("</ArticleIdList></PubmedData></PubmedArticle>")
        return "\n".join(out), title


def write_set(path: Path, elements: Iterator[str], deleted: list[int] = (), level: int = 6) -> None:
    """One gzipped ``PubmedArticleSet``, streamed element by element (never held whole)."""
    tmp = path.with_suffix(path.suffix + ".part")
    # mtime=0: the same arguments write the same bytes
    with gzip.GzipFile(tmp, "wb", compresslevel=level, mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n' + DOCTYPE + "\n<PubmedArticleSet>\n")
        for element in elements:
            out.write(element)
            out.write("\n")
        if deleted:
            out.write("<DeleteCitation>\n")
            out.write("".join(f'<PMID Version="1">{pmid}</PMID>\n' for pmid in deleted))
            out.write("</DeleteCitation>\n")
        out.write("</PubmedArticleSet>\n")
    tmp.replace(path)


def generate(out: Path, n: int, *, per_file: int = 30000, updates: int = 0, per_update: int = 1000, seed: int = 13,
             first_pmid: int = 1, level: int = 6, shared: Path = SHARED, vocabulary: Vocabulary | None = None,
             progress: bool = False) -> dict:
    """Write ``n`` baseline citations (PMIDs ``first_pmid``...) and ``updates`` update files into ``out``;
    returns what a correct ingest ends with (see ``--truth``)."""
    out.mkdir(parents=True, exist_ok=True)
    writer = CitationWriter(vocabulary or load_vocabulary(shared), seed)
    titles: dict[int, str] = {}
    files: list[str] = []
    started = time.monotonic()
    pmid = first_pmid
    number = 1
    remaining = n
    while remaining > 0:
        count = min(per_file, remaining)
        path = out / f"pubmed26n{number:04d}.xml.gz"

        def baseline(first: int = pmid, count: int = count) -> Iterator[str]:
            for p in range(first, first + count):
                element, title = writer.citation(p)
                if updates:  # only update files need to know earlier records
                    titles[p] = title
                yield element

        write_set(path, baseline(), level=level)
        files.append(path.name)
        pmid += count
        remaining -= count
        number += 1
        if progress:
            done = n - remaining
            print(f"  {done} citations, {done / (time.monotonic() - started):.0f}/s", file=sys.stderr)
    deleted: set[int] = set()
    revised: dict[int, int] = {}
    for update in range(updates):
        rng = writer.rng
        live = np.array(sorted(set(titles) - deleted), dtype=np.int64)
        n_revise = min(len(live), per_update // 2)
        revise = sorted(int(p) for p in rng.choice(live, size=n_revise, replace=False)) if n_revise else []
        new = list(range(pmid, pmid + per_update - n_revise))
        pmid += len(new)
        candidates = np.array(sorted(set(live.tolist()) - set(revise)), dtype=np.int64)
        n_delete = min(len(candidates), max(1, per_update // 50))
        delete = sorted(int(p) for p in rng.choice(candidates, size=n_delete, replace=False)) if n_delete else []
        path = out / f"pubmed26n{number:04d}.xml.gz"

        def changes(revise: list[int] = revise, new: list[int] = new, update: int = update) -> Iterator[str]:
            for p in revise:
                revised[p] = revised.get(p, 0) + 1
                element, titles[p] = writer.citation(p, revision=revised[p])
                yield element
            for p in new:
                element, titles[p] = writer.citation(p)
                yield element

        write_set(path, changes(), deleted=delete, level=level)
        deleted.update(delete)
        files.append(path.name)
        number += 1
    return {
        "files": files,
        "citations": pmid - first_pmid - len(deleted),
        "deleted": sorted(deleted),
        "revised": {str(p): titles[p] for p in sorted(revised) if p not in deleted},
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="baseline citations")
    parser.add_argument("--per-file", type=int, default=30000, help="citations a baseline file (NLM's: about 30,000)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--updates", type=int, default=0, help="update files after the baseline")
    parser.add_argument("--per-update", type=int, default=1000, help="records an update file (revised + new)")
    parser.add_argument("--first-pmid", type=int, default=1)
    parser.add_argument("--compress-level", type=int, default=6)
    parser.add_argument("--truth", type=Path, help="write the expected end state (deleted and revised PMIDs) here")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder (word frequencies, MeSH)")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.n, per_file=args.per_file, updates=args.updates, per_update=args.per_update,
                       seed=args.seed, first_pmid=args.first_pmid, level=args.compress_level, shared=args.shared,
                       progress=True)
    if args.truth:
        args.truth.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps({k: summary[k] for k in ("files", "citations", "seconds")} | {"deleted": len(summary["deleted"])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

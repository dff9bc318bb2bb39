"""The BioASQ retrieval corpus (``eval/bioasq/corpus.jsonl``: ``{pmid, title|null, snippets[]}`` a line).

These are PubMed records known only by their gold snippets, so the study design cannot be told:
every record is typed OBSERVATIONAL (the neutral middle of the evidence scale) rather than guessed
from a sentence or two. A record without snippets but with a title gets the title as its passage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import RecordError, get_list, get_str, pack_parts, read_jsonl, truncate

SOURCE = "bioasq"
SECTION = "abstract"
TITLE_CHARS = 120
LICENSE = "BioASQ (evaluation use only)"


def load_bioasq(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One Document per PubMed record of the BioASQ corpus; snippets become passages in order."""
    path = Path(path)
    seen: set[str] = set()
    for line, record in read_jsonl(path, report):
        try:
            pmid = get_str(record, "pmid")
            assert pmid is not None
            title = get_str(record, "title", required=False)
            snippets = get_list(record, "snippets", required=False)
            if not all(isinstance(s, str) for s in snippets):
                raise RecordError("field 'snippets' should be a list of strings")
        except RecordError as exc:
            report.problem(str(path), line, str(exc))
            continue
        texts = [s.strip() for s in snippets if s.strip()]
        if not texts and not title:
            report.problem(str(path), line, f"PMID {pmid} has neither title nor snippets; skipped")
            continue
        if pmid in seen:
            report.problem(str(path), line, f"duplicate document id {pmid}; kept the first")
            continue
        seen.add(pmid)
        doc = Document(
            doc_id=pmid,
            source=SOURCE,
            title=title or truncate(texts[0], TITLE_CHARS),
            doc_type=DocType.OBSERVATIONAL,
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            pmid=pmid,
            license=LICENSE,
            key_text=title,
        )
        if texts:
            for section, text in pack_parts(((SECTION, t) for t in texts), passage_chars):
                doc.add_passage(section, text)
        else:
            doc.add_passage("title", title or "")
        report.count(SOURCE)
        yield doc

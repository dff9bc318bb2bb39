"""The starter corpus: which loader reads which file, in what order, and a content hash of it all.

Guidelines come first (USPSTF, NGC), then drug labels, research (PubMedQA, PMC trials) and patient
information (MedQuAD). A PMID found in two sources is kept from the first and reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from curbside.corpus.documents import Document, IngestReport
from curbside.corpus.loaders.medquad import load_medquad
from curbside.corpus.loaders.ngc import load_ngc
from curbside.corpus.loaders.pmc_rct import load_pmc_fulltext, load_pmc_rct
from curbside.corpus.loaders.pubmedqa import load_pubmedqa
from curbside.corpus.loaders.spl import LOINC_FILES, load_spl
from curbside.corpus.loaders.uspstf import GRADE_DEFINITIONS_FILE, load_uspstf
from curbside.errors import CorpusNotFoundError

Loader = Callable[..., Iterator[Document]]


class StarterSource(NamedTuple):
    name: str
    relative_path: str  # a file, or a folder for the drug labels
    loader: Loader


STARTER_SOURCES: list[StarterSource] = [
    StarterSource("uspstf", "uspstf/uspstf_recommendations.jsonl", load_uspstf),
    StarterSource("ngc", "ngc/ngc_public_domain.jsonl", load_ngc),
    StarterSource("spl", "drug_labels", load_spl),
    StarterSource("pubmedqa", "pubmedqa/ori_pqal.json", load_pubmedqa),
    StarterSource("pmc_rct", "pmc_rct/pmc_rct_abstracts.jsonl", load_pmc_rct),
    StarterSource("medquad", "medquad/medquad_answered.jsonl", load_medquad),
]
PMC_FULLTEXT = "pmc_rct/pmc_rct_fulltext.jsonl.gz"
DRUG_NAMES_FILE = "drug_labels/drugsatfda.zip"
MESH_GLOB = "mesh/mesh_descriptors_*.tsv"
_HASH_BLOCK = 1 << 20


def drug_names_path(corpus_dir: Path) -> Path | None:
    """The Drugs@FDA zip of the corpus (for :func:`curbside.corpus.drugs.load_drug_names`), if present."""
    path = Path(corpus_dir) / DRUG_NAMES_FILE
    return path if path.is_file() else None


def mesh_names_path(corpus_dir: Path) -> Path | None:
    """The newest MeSH descriptor TSV of the corpus (for :func:`curbside.corpus.mesh.load_mesh_names`)."""
    found = sorted(Path(corpus_dir).glob(MESH_GLOB))
    return found[-1] if found else None


def _pmc_with_fulltext(path: Path, report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """Full-text articles, then the abstracts of articles that have no full text."""
    fulltext = path.parent / Path(PMC_FULLTEXT).name
    seen: set[str] = set()
    if fulltext.is_file():
        for doc in load_pmc_fulltext(fulltext, report, passage_chars=passage_chars):
            seen.add(doc.doc_id)
            yield doc
    else:
        report.problem(str(fulltext), 0, "full texts requested but the file is missing; using abstracts only")
    for doc in load_pmc_rct(path, report, passage_chars=passage_chars):
        if doc.doc_id in seen:
            report.count("pmc_rct", -1)  # the same article, already given with its full text
            continue
        yield doc


def iter_starter_documents(
    corpus_dir: Path,
    report: IngestReport,
    *,
    passage_chars: int = 1200,
    include_fulltext: bool = False,
) -> Iterator[Document]:
    """Every document of the starter corpus, source by source in :data:`STARTER_SOURCES` order.

    A missing source is reported and skipped; if all are missing, CorpusNotFoundError.
    """
    corpus_dir = Path(corpus_dir)
    present = [s for s in STARTER_SOURCES if (corpus_dir / s.relative_path).exists()]
    if not present:
        raise CorpusNotFoundError(
            f"No starter corpus found in {corpus_dir} (looked for "
            f"{', '.join(s.relative_path for s in STARTER_SOURCES)}). "
            "Pass --corpus-dir PATH (or set CURBSIDE_CORPUS_DIR) to the folder holding the starter corpus."
        )
    for source in STARTER_SOURCES:
        if source not in present:
            report.problem(str(corpus_dir / source.relative_path), 0, f"missing; source {source.name} skipped")
    kept_from: dict[str, str] = {}
    for source in present:
        path = corpus_dir / source.relative_path
        loader = _pmc_with_fulltext if include_fulltext and source.name == "pmc_rct" else source.loader
        for doc in loader(path, report, passage_chars=passage_chars):
            first = kept_from.get(doc.doc_id)
            if first is not None:
                report.problem(str(path), 0, f"duplicate document id {doc.doc_id} (kept the one from {first})")
                report.count(doc.source, -1)
                continue
            kept_from[doc.doc_id] = source.name
            yield doc


def snapshot_files(corpus_dir: Path, *, include_fulltext: bool = False) -> list[Path]:
    """The files the starter ingest reads, sorted by relative path (missing ones left out).

    Besides the documents: the USPSTF grade definitions, the LOINC section maps, the Drugs@FDA zip
    and the MeSH names, since each changes what an index built from the corpus contains.
    """
    corpus_dir = Path(corpus_dir)
    candidates: list[Path] = []
    for source in STARTER_SOURCES:
        path = corpus_dir / source.relative_path
        if path.is_dir():
            candidates += sorted(path.glob("*.xml")) + [path / name for name in LOINC_FILES]
        else:
            candidates.append(path)
    candidates.append(corpus_dir / "uspstf" / GRADE_DEFINITIONS_FILE)
    candidates.append(corpus_dir / DRUG_NAMES_FILE)
    mesh = mesh_names_path(corpus_dir)
    if mesh is not None:
        candidates.append(mesh)
    if include_fulltext:
        candidates.append(corpus_dir / PMC_FULLTEXT)
    files = {p.relative_to(corpus_dir).as_posix(): p for p in candidates if p.is_file()}
    return [files[key] for key in sorted(files)]


def corpus_snapshot_id(corpus_dir: Path, include_fulltext: bool = False) -> str:
    """"starter-<12 hex>": a sha256 over the relative paths and bytes of :func:`snapshot_files`."""
    corpus_dir = Path(corpus_dir)
    digest = hashlib.sha256()
    for path in snapshot_files(corpus_dir, include_fulltext=include_fulltext):
        name = path.relative_to(corpus_dir).as_posix().encode("utf-8")
        # Length-prefixed, so no file's bytes can run into the next file's name.
        digest.update(len(name).to_bytes(8, "big") + name + path.stat().st_size.to_bytes(8, "big"))
        with path.open("rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    return f"starter-{digest.hexdigest()[:12]}"

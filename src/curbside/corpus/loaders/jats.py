"""PMC articles in JATS XML (``.nxml``/``.xml``, the PMC open-access format), one article a file.

What is kept, in passage order:

- the abstract's sections, labelled as the PMC trial loader labels them ("BACKGROUND", "METHODS", or
  "ABSTRACT" when unstructured), so one article reads alike from either source;
- the body's sections, named by their nested titles ("Full text > Methods > Statistical analysis"); sections
  without findings (competing interests, funding, supplementary material ...) are left out;
- each table as text: "Table 2. Caption", then one row a line with cells joined by " | ", then its footnotes,
  as a part of its own ("Full text > Results > Table 2");
- each figure's caption ("Figure 1. Flow of participants ...") where the figure sits;
- the references, one a line, in a final "References" section (citable bibliography, never a finding: the
  evidence layer drops reference debris from quotes).

Metadata: PMID, PMCID ("PMC" + digits), DOI, journal (``organization``), year (electronic, then print
publication date), and the licence read from ``<permissions>``: a Creative Commons licence named by its
URL or its words ("CC BY 4.0", "CC BY-NC-ND 3.0", "CC0"), else the licence text or copyright statement, cut.

The document id is the bare PMID when the article has one, so the full text and the PubMed record of the
same article are one document; else the PMCID. Which one the library keeps is the library's rule for one id
(the later ingest of the same version replaces the earlier): ingest the JATS full text after MEDLINE to keep
the full text (docs/ingestion.md).

A file that is not well-formed XML, is not a JATS ``<article>``, or has no title or id is reported
(file, line) and skipped; the other files go on.
"""

from __future__ import annotations

import gzip
import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from lxml import etree

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import block_lines, classify_study, expand_paths, pack_parts, parse_year, truncate
from curbside.corpus.loaders.pmc_rct import SKIPPED_BODY, UNLABELLED

SOURCE = "jats"
FULL_TEXT = "Full text"
REFERENCES = "References"
FLOATS = "Tables and figures"
ARTICLE_SUFFIXES = (".nxml", ".xml", ".nxml.gz", ".xml.gz")
# PMC's bulk packages (oa_comm_xml.*.tar.gz: thousands of articles) and per-article packages (PMC123.tar.gz:
# the .nxml beside its images and PDF) are tar archives read as a stream, member by member.
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
SUFFIXES = ARTICLE_SUFFIXES + ARCHIVE_SUFFIXES
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Abstracts that are not the article's summary of itself.
SKIPPED_ABSTRACTS = frozenset({"graphical", "teaser", "toc", "editor", "web-summary"})
SKIPPED_SEC_TYPES = re.compile(r"supplementary|coi|conflict|funding|contribution|disclosure|display-objects", re.I)
# Elements whose text is never prose: MathML inside formulas is kept only as its text alternative.
SILENT = frozenset({"object-id", "graphic", "inline-graphic", "media", "alternatives", "label"})
BLOCKS = frozenset({"p", "title", "caption", "disp-quote", "disp-formula", "speech", "statement", "verse-group",
                    "def-item", "term", "def", "boxed-text"})
LICENSE_TEXT_CHARS = 200
_PUB_DATE_ORDER = ("epub", "ppub", "pub", "epub-ppub", "collection")
_CC_URL = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d(?:\.\d)?)?", re.I)
_CC_WORDS = re.compile(
    r"Creative\s+Commons\s+(Attribution(?:[\s-]+(?:Non-?Commercial|NoDerivatives|No\s+Derivatives|NoDerivs|ShareAlike|Share\s+Alike))*)"
    r"(?:\s+(\d\.\d))?", re.I)
_SOURCE_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.;:)])")


def _name(element: etree._Element) -> str:
    """The local name of an element ("" for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _name(child) == name]


def _first(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first descendant along ``path`` of local names (each step: the first child of that name)."""
    for step in path:
        if element is None:
            return None
        found = _children(element, step)
        element = found[0] if found else None
    return element


def inline_text(element: etree._Element | None) -> str:
    """An element's text on one line (labels and graphics left out, footnote markers kept as written)."""
    if element is None:
        return ""
    parts: list[str] = []

    def collect(node: etree._Element) -> None:
        if _name(node) not in SILENT:
            parts.append(node.text or "")
            for child in node:
                collect(child)
        parts.append(node.tail or "")

    parts.append(element.text or "")
    for child in element:
        collect(child)
    return " ".join("".join(parts).split())


def _table_lines(table_wrap: etree._Element) -> list[str]:
    """A table as lines: "Table 2. Caption", one row a line ("cell | cell"), then its footnotes."""
    label = inline_text(_first(table_wrap, "label"))
    caption = inline_text(_first(table_wrap, "caption"))
    lines = [_labelled(label, caption)]
    for row in table_wrap.iter("{*}tr"):
        cells = [inline_text(cell) for cell in row if _name(cell) in ("td", "th")]
        cells = [cell for cell in cells if cell]
        if cells:
            lines.append(" | ".join(cells))
    foot = _first(table_wrap, "table-wrap-foot")
    if foot is not None:
        lines.extend(text for note in foot.iter() if _name(note) in ("fn", "p") and (text := inline_text(note))
                     and _name(note.getparent()) != "fn")
    return [line for line in lines if line]


def _figure_line(figure: etree._Element) -> str:
    label = inline_text(_first(figure, "label"))
    caption = inline_text(_first(figure, "caption"))
    return _labelled(label, caption) if caption else ""


def _labelled(label: str, caption: str) -> str:
    """"Table 2. Outcomes" from a label and a caption (either may be empty)."""
    label = label.rstrip(". ")
    return f"{label}. {caption}" if label and caption else label or caption


def _render(element: etree._Element, out: list[str]) -> None:
    """The prose of a block element, with line breaks at paragraphs and list items; tables and figures are
    written by :func:`_section_parts`, sections by the caller."""
    name = _name(element)
    if name in ("sec", "table-wrap", "table-wrap-group", "fig", "fig-group", "ref-list") or name in SILENT:
        return
    block = name in BLOCKS
    if name == "list-item":
        out.append("\n- ")
    elif block or name == "list":
        out.append("\n")
    # Line breaks in the XML source are layout, not text: only block elements break lines.
    if element.text:
        out.append(_SOURCE_SPACE.sub(" ", element.text))
    for child in element:
        _render(child, out)
        if child.tail:
            out.append(_SOURCE_SPACE.sub(" ", child.tail))
    if block or name in ("list", "list-item"):
        out.append("\n")


def _section_parts(section: etree._Element, label: str) -> Iterator[tuple[str, str]]:
    """``(label, text)`` parts of a section in document order: its prose, each table and figure caption,
    then its subsections (named "label > title")."""
    prose: list[str] = []

    def flush() -> Iterator[tuple[str, str]]:
        text = block_lines("".join(prose))
        prose.clear()
        if text:
            yield label, text

    for child in section:
        name = _name(child)
        if name in ("title", "label", "sec-meta"):
            continue
        if name == "sec":
            yield from flush()
            yield from _subsection(child, label)
        elif name in ("table-wrap", "table-wrap-group"):
            yield from flush()
            for table in [child] if name == "table-wrap" else _children(child, "table-wrap"):
                lines = _table_lines(table)
                if lines:
                    table_label = inline_text(_first(table, "label")) or "Table"
                    yield f"{label} > {table_label}" if label else table_label, "\n".join(lines)
        elif name in ("fig", "fig-group"):
            for figure in [child] if name == "fig" else _children(child, "fig"):
                line = _figure_line(figure)
                if line:
                    prose.append(f"\n{line}\n")
        else:
            for table in child.iter("{*}table-wrap"):  # a table inside a paragraph
                lines = _table_lines(table)
                if lines:
                    prose.append("\n" + "\n".join(lines) + "\n")
            for figure in child.iter("{*}fig"):
                line = _figure_line(figure)
                if line:
                    prose.append(f"\n{line}\n")
            _render(child, prose)
            if child.tail and child.tail.strip():
                prose.append(_SOURCE_SPACE.sub(" ", child.tail))
    yield from flush()


def _subsection(section: etree._Element, parent: str) -> Iterator[tuple[str, str]]:
    title = inline_text(_first(section, "title")) or inline_text(_first(section, "label"))
    if SKIPPED_SEC_TYPES.search(section.get("sec-type") or "") or SKIPPED_BODY.search(title.upper()):
        return
    label = f"{parent} > {title}" if title else parent
    yield from _section_parts(section, label)


def _abstract_parts(meta: etree._Element) -> list[tuple[str, str]]:
    """The article's own abstract as ``(LABEL, text)`` parts (the first abstract that is not a teaser)."""
    for abstract in _children(meta, "abstract"):
        if (abstract.get("abstract-type") or "").lower() in SKIPPED_ABSTRACTS:
            continue
        parts: list[tuple[str, str]] = []
        for label, text in _section_parts(abstract, ""):
            parts.append(((label.split(" > ")[-1] or UNLABELLED).upper(), text))
        return parts
    return []


def _spaced_text(element: etree._Element) -> str:
    """An element's text with a space at every element boundary ("Ince PG, Tomkins J", not "IncePG,TomkinsJ")."""
    text = " ".join(" ".join(part.split()) for part in element.itertext() if part.strip())
    return _SPACE_BEFORE_MARK.sub(r"\1", text)


def _citation_text(citation: etree._Element) -> str:
    """One reference on one line: a mixed citation as punctuated, an element citation as "Authors. Title.
    Source Year;Volume:pages. PMID n. doi:..."."""
    if (citation.text or "").strip() or any((child.tail or "").strip() for child in citation):
        return _spaced_text(citation)
    fields: dict[str, str] = {}
    authors: list[str] = []
    for child in citation:
        name = _name(child)
        if name == "person-group" or name in ("name", "collab"):
            people = [child] if name != "person-group" else list(child)
            authors.extend(_spaced_text(person) for person in people if _name(person) in ("name", "collab", "etal"))
        elif name == "pub-id":
            fields.setdefault(f"id:{child.get('pub-id-type') or ''}", inline_text(child))
        elif name:
            fields.setdefault(name, inline_text(child))
    pages = "-".join(p for p in (fields.get("fpage"), fields.get("lpage")) if p)
    where = fields.get("source", "")
    numbers = ";".join(p for p in (fields.get("year"), ":".join(q for q in (fields.get("volume"), pages) if q)) if p)
    pieces = [", ".join(a for a in authors if a), fields.get("article-title", ""), f"{where} {numbers}".strip(),
              f"PMID {fields['id:pmid']}" if fields.get("id:pmid") else "",
              f"doi:{fields['id:doi']}" if fields.get("id:doi") else ""]
    return ". ".join(piece.rstrip(".") for piece in pieces if piece)


def _references(back: etree._Element | None) -> list[str]:
    if back is None:
        return []
    lines: list[str] = []
    for ref in back.iter("{*}ref"):
        label = inline_text(_first(ref, "label")).rstrip(".")
        for citation in ref:
            if _name(citation) in ("mixed-citation", "element-citation", "citation", "nlm-citation"):
                text = _citation_text(citation)
                if text:
                    lines.append(f"{label}. {text}" if label and not text.startswith(label) else text)
    return lines


def _article_ids(meta: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for element in _children(meta, "article-id"):
        kind = (element.get("pub-id-type") or "").lower()
        value = inline_text(element)
        if value:
            ids.setdefault(kind, value)
    return ids


def _pmcid(ids: dict[str, str]) -> str | None:
    value = ids.get("pmc") or ids.get("pmcid")
    if not value:
        return None
    digits = re.sub(r"(?i)^pmc", "", value)
    return f"PMC{digits}" if digits.isdigit() else None


def _year(meta: etree._Element) -> int | None:
    dates: dict[str, int] = {}
    for date in _children(meta, "pub-date"):
        kind = date.get("pub-type") or date.get("date-type") or ""
        year = parse_year(inline_text(_first(date, "year")))
        if year is not None:
            dates.setdefault(kind, year)
    for kind in _PUB_DATE_ORDER:
        if kind in dates:
            return dates[kind]
    return min(dates.values()) if dates else None


def license_name(permissions: etree._Element | None) -> str | None:
    """The article's licence: "CC BY 4.0", "CC BY-NC-ND 3.0", "CC0 1.0" where a Creative Commons licence is
    named (by URL or in words), else its licence text or copyright statement (cut to 200 characters)."""
    if permissions is None:
        return None
    licenses = _children(permissions, "license")
    urls = [element.get(XLINK_HREF) or "" for lic in licenses for element in lic.iter()
            if isinstance(element.tag, str)]
    text = " ".join(inline_text(lic) for lic in licenses)
    for candidate in [*urls, text]:
        match = _CC_URL.search(candidate)
        if match:
            kind, version = match.group(2).lower(), match.group(3)
            name = "CC0" if kind == "zero" else "Public domain mark" if kind == "mark" else f"CC {kind.upper()}"
            return f"{name} {version}" if version else name
    words = _CC_WORDS.search(text)
    if words:
        terms = words.group(1).lower()
        code = "BY" + "-NC" * bool(re.search(r"non-?commercial", terms)) + "-ND" * bool(
            re.search(r"noderiv|no derivatives", terms)) + "-SA" * bool(re.search(r"share\s*alike", terms))
        return f"CC {code} {words.group(2)}" if words.group(2) else f"CC {code}"
    if text:
        return truncate(text, LICENSE_TEXT_CHARS)
    statement = inline_text(_first(permissions, "copyright-statement"))
    return truncate(statement, LICENSE_TEXT_CHARS) if statement else None


def _doc_type(article: etree._Element, title: str, abstract: str) -> DocType:
    kind = (article.get("article-type") or "").lower()
    if kind == "case-report":
        return DocType.CASE_REPORT
    found = classify_study(title, abstract)
    if kind == "review-article" and found is DocType.OBSERVATIONAL:
        return DocType.NARRATIVE_REVIEW
    return found


def parse_article(root: etree._Element, *, passage_chars: int = 1200) -> Document:
    """The Document of one JATS ``<article>``; ValueError (with the reason) when it cannot be one."""
    if _name(root) != "article":
        raise ValueError(f"not a JATS article (root element <{_name(root) or root.tag}>)")
    front = _first(root, "front")
    meta = _first(front, "article-meta")
    if meta is None:
        raise ValueError("no <front>/<article-meta>")
    title = inline_text(_first(meta, "title-group", "article-title"))
    if not title:
        raise ValueError("no article title")
    ids = _article_ids(meta)
    pmid = ids.get("pmid") if (ids.get("pmid") or "").isdigit() else None
    pmcid = _pmcid(ids)
    doc_id = pmid or pmcid
    if doc_id is None:
        raise ValueError("neither a PMID nor a PMCID among the article ids")
    abstract = _abstract_parts(meta)
    body = _first(root, "body")
    parts: list[tuple[str, str]] = list(abstract)
    if body is not None:
        parts.extend(_section_parts(body, FULL_TEXT))
    floats = _first(root, "floats-group")
    if floats is not None:
        parts.extend(_section_parts(floats, FLOATS))
    if not parts:
        raise ValueError(f"{doc_id} has neither abstract nor body text")
    journal = _first(front, "journal-meta")
    journal_title = inline_text(next(journal.iter("{*}journal-title"), None)) if journal is not None else ""
    doc = Document(
        doc_id=doc_id,
        source=SOURCE,
        title=title,
        doc_type=_doc_type(root, title, "\n".join(text for _, text in abstract)),
        year=_year(meta),
        organization=journal_title or None,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/",
        pmid=pmid,
        pmcid=pmcid,
        doi=ids.get("doi"),
        # JATS 2.x puts the copyright statement and licence in <article-meta> itself, without <permissions>.
        license=license_name(_first(meta, "permissions") if _first(meta, "permissions") is not None else meta),
        key_text=title,
    )
    for section, text in pack_parts(parts, passage_chars):
        doc.add_passage(section, text)
    references = _references(_first(root, "back"))
    for section, text in pack_parts([(REFERENCES, "\n".join(references))], passage_chars):
        doc.add_passage(section, text)
    return doc


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)


def _parse_source(source: IO[bytes], where: str, report: IngestReport, passage_chars: int) -> Document | None:
    """The Document of one JATS article read from ``source``, or None with the problem reported at ``where``."""
    try:
        root = etree.parse(source, _PARSER).getroot()
    except etree.XMLSyntaxError as exc:
        report.problem(where, exc.lineno or 0, f"malformed XML: {exc.msg}")
        return None
    except (OSError, EOFError) as exc:
        report.problem(where, 0, f"unreadable file: {exc}")
        return None
    try:
        return parse_article(root, passage_chars=passage_chars)
    except ValueError as exc:
        report.problem(where, 0, f"{exc}; skipped")
        return None


def _archive_articles(path: Path, report: IngestReport, passage_chars: int) -> Iterator[Document]:
    """The articles of a PMC tar package, streamed (``r|*``: never extracted, one member in memory at a time).
    A member that is not an article file is passed over; a bad member is reported as ``archive!member`` and
    the rest of the archive goes on; a truncated or corrupt archive keeps what was read before the damage."""
    try:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                name = member.name
                if not member.isfile() or not name.lower().endswith(ARTICLE_SUFFIXES):
                    continue
                where = f"{path}!{name}"
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                with handle:
                    source: IO[bytes] = gzip.GzipFile(fileobj=handle) if name.lower().endswith(".gz") else handle
                    doc = _parse_source(source, where, report, passage_chars)
                if doc is not None:
                    yield doc
    except (tarfile.TarError, OSError, EOFError) as exc:
        report.problem(str(path), 0, f"unreadable or truncated tar archive: {exc}; the articles before it were kept")


def _file_articles(file: Path, report: IngestReport, passage_chars: int) -> Iterator[Document]:
    """The article of one JATS file, or the articles of one PMC tar package."""
    name = file.name.lower()
    if name.endswith(ARCHIVE_SUFFIXES):
        yield from _archive_articles(file, report, passage_chars)
        return
    try:
        handle: IO[bytes] = gzip.open(file, "rb") if name.endswith(".gz") else open(file, "rb")
    except OSError as exc:
        report.problem(str(file), 0, f"unreadable file: {exc}")
        return
    with handle:
        doc = _parse_source(handle, str(file), report, passage_chars)
    if doc is not None:
        yield doc


def iter_jats(paths: Path | Iterable[Path], report: IngestReport, *, passage_chars: int = 1200) -> Iterator[Document]:
    """One Document per JATS article among ``paths``: article files, PMC tar packages (bulk or per article) and
    folders of either (searched recursively).

    A malformed or unusable article is reported with its file (``archive!member`` inside a package) and line and
    skipped; a second article with an id already given is reported and skipped (the first is kept)."""
    seen: set[str] = set()
    for file in expand_paths(paths, report, suffixes=SUFFIXES, what="JATS"):
        for doc in _file_articles(file, report, passage_chars):
            if doc.doc_id in seen:
                report.problem(str(file), 0, f"duplicate document id {doc.doc_id}; kept the first")
                continue
            seen.add(doc.doc_id)
            report.count(SOURCE)
            yield doc

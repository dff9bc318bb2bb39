"""Guideline documents that users bring: Markdown (``.md``, ``.markdown``, ``.txt``), HTML (``.html``, ``.htm``)
and PDF (``.pdf``, text extracted with pypdf).

Each file becomes one GUIDELINE Document. Its text is cut into sections (Markdown headings, HTML ``<h1>``-``<h6>``,
numbered or capitalised heading lines in a PDF) and paragraphs. A paragraph is a **recommendation statement**
where the text marks it as one:

- a label: "Recommendation 3", "Recommendation 2.1:";
- a recommending verb of the guideline's own voice: "we recommend", "we suggest", "the panel recommends",
  "is recommended", "is not recommended";
- a stated strength or certainty: "strong/conditional/weak recommendation", GRADE certainty "high/moderate/low/very
  low certainty (quality) of evidence" or its symbols (⊕⊕⊕◯), ACC/AHA "Class I/IIa/IIb/III" with "Level of
  Evidence A/B-R/B-NR/C-LD/C-EO".

A label alone on its line joins the statement after it, and a strength alone on its line ("Conditional
recommendation, low certainty of evidence", "(Class I, LOE A)") joins the statement before it, so a
statement is one passage with its label and strength in its text. Its section is the heading path and the
label ("Treatment > Recommendation 3"), and :attr:`Passage.grade` its strength as the document states it,
normalised ("Conditional recommendation; low certainty", "Class IIa; Level of Evidence B-R"); the evidence
layer shows it as the statement's grade (``evidence/grading.py``). Nothing is inferred: a strength the text
does not state is not recorded ("we suggest" alone is a statement without a grade). Other text is packed into
passages as usual.

``organization`` and ``year`` come from the caller (``--organization``, ``--year``). The document id is
``guideline-<organization>-<file name>`` in lower-case words ("guideline-acr-ra-2021"), stable across re-ingests;
``Document.version`` is the year when given, so a later year of the same file replaces an earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import lxml.html
from lxml import etree

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.common import chunk_text, expand_paths, pack_parts, split_markdown_sections

SOURCE = "guideline"
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = MARKDOWN_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
TITLE_CHARS = 200

# --- recognising statements and their strength ------------------------------------------------------------
_LABEL = re.compile(r"^\W{0,3}Recommendation\s*(\d+(?:\.\d+)*[a-z]?)\b\s*[:.)\-\u2013\u2014]?\s*",
                    re.IGNORECASE)
_LABEL_WORD = re.compile(r"^\W{0,3}Recommendation\s+\d", re.IGNORECASE)
_VERB = re.compile(
    r"\b(?:we|the\s+(?:panel|committee|task\s+force|working\s+group|guideline\s+(?:panel|group)|authors))\s+"
    r"(?:strongly\s+|conditionally\s+)?(?:recommends?|suggests?)\b"
    r"|\b(?:is|are)\s+(?:not\s+)?(?:recommended|suggested)\b",
    re.IGNORECASE,
)
_STRENGTH = re.compile(r"\b(strong|conditional|weak|discretionary)\s+recommendation(s)?\b(?:\s+(for|against))?",
                       re.IGNORECASE)
_STRENGTH_PAIR = re.compile(r"\((strong|conditional|weak)\s*[,;]\s*(high|moderate|low|very\s+low)\b[^)]*\)",
                            re.IGNORECASE)
_CERTAINTY = re.compile(
    r"\b(high|moderate|low|very\s+low)[\s-]+(?:certainty|quality)(?:\s+(?:of\s+)?(?:the\s+)?evidence)?\b"
    r"|\b(?:certainty|quality)\s+of\s+(?:the\s+)?evidence\s*[:=]?\s*(high|moderate|low|very\s+low)\b",
    re.IGNORECASE,
)
_SYMBOLS = re.compile(r"([\u2295]{1,4})([\u25ef\u25cb\u2296\u0030O]{0,3})")
_CLASS = re.compile(r"\b(?:COR|Class)\s*[:=]?\s*(III|IIb|IIa|II|I)\b(?:\s*[:(]?\s*(Harm|No\s+Benefit)\)?)?")
_LOE = re.compile(r"\b(?:Level\s+of\s+Evidence|LOE)\s*[:=]?\s*(A|B-R|B-NR|C-LD|C-EO|B|C)\b", re.IGNORECASE)
_SYMBOL_CERTAINTY = {4: "high", 3: "moderate", 2: "low", 1: "very low"}


def statement_strength(text: str) -> str | None:
    """The strength a statement's text states, normalised: "Strong recommendation; moderate certainty",
    "Conditional recommendation against", "Class IIa; Level of Evidence B-R", "low certainty"; None when the
    text states none (a recommending verb alone is no strength)."""
    parts: list[str] = []
    pair = _STRENGTH_PAIR.search(text)
    strength = _STRENGTH.search(text)
    if strength:
        direction = f" {strength.group(3).lower()}" if strength.group(3) else ""
        parts.append(f"{strength.group(1).capitalize()} recommendation{direction}")
    elif pair:
        parts.append(f"{pair.group(1).capitalize()} recommendation")
    certainty = _CERTAINTY.search(text)
    symbols = _SYMBOLS.search(text)
    if certainty:
        level = " ".join((certainty.group(1) or certainty.group(2)).lower().split())
        parts.append(f"{level} certainty")
    elif pair:
        parts.append(f"{' '.join(pair.group(2).lower().split())} certainty")
    elif symbols and len(symbols.group(1)) + len(symbols.group(2)) == 4:
        parts.append(f"{_SYMBOL_CERTAINTY[len(symbols.group(1))]} certainty")
    klass = _CLASS.search(text)
    if klass:
        harm = f" ({' '.join(klass.group(2).split())})" if klass.group(2) else ""
        parts.append(f"Class {klass.group(1)}{harm}")
    loe = _LOE.search(text)
    if loe:
        parts.append(f"Level of Evidence {loe.group(1).upper()}")
    return "; ".join(parts) if parts else None


def is_statement(text: str) -> bool:
    """Whether a paragraph is a recommendation statement (a label, a recommending verb, or a stated strength)."""
    return bool(_LABEL_WORD.match(text) or _VERB.search(text) or statement_strength(text))


def _label_only(text: str) -> bool:
    """"Recommendation 3", "Recommendation 3:" alone: the label of the statement that follows."""
    match = _LABEL_WORD.match(text)
    return bool(match) and len(text) <= 40 and not _VERB.search(text) and len(_LABEL.sub("", text).split()) <= 3


def _strength_only(text: str) -> bool:
    """A paragraph that only states a strength ("Conditional recommendation, low certainty of evidence")."""
    if not statement_strength(text) or _VERB.search(text) or _LABEL_WORD.match(text) or len(text) > 160:
        return False
    rest = _STRENGTH.sub(" ", _CERTAINTY.sub(" ", _CLASS.sub(" ", _LOE.sub(" ", _STRENGTH_PAIR.sub(" ", text)))))
    return len(re.findall(r"[A-Za-z]{3,}", rest)) <= 4


def statements(paragraphs: list[str]) -> list[tuple[str, bool]]:
    """``(text, is_statement)`` for each paragraph, with label-only paragraphs joined to the next one and
    strength-only paragraphs joined to the statement before them."""
    out: list[tuple[str, bool]] = []
    pending_label: str | None = None
    for paragraph in paragraphs:
        text = paragraph.strip()
        if not text:
            continue
        if pending_label is not None:
            text = f"{pending_label}\n{text}"
            pending_label = None
        elif _label_only(text):
            pending_label = text
            continue
        if _strength_only(text) and out and out[-1][1]:
            out[-1] = (f"{out[-1][0]}\n{text}", True)
            continue
        out.append((text, is_statement(text)))
    if pending_label is not None:
        out.append((pending_label, True))
    return out


def _statement_section(section: str, text: str) -> str:
    label = _LABEL.match(text) if _LABEL_WORD.match(text) else None
    name = f"Recommendation {label.group(1)}" if label else ""
    if not name:
        return section or "Recommendations"
    return f"{section} > {name}" if section else name


def add_sections(doc: Document, sections: Iterable[tuple[str, list[str]]], passage_chars: int) -> None:
    """Passages for ``(section, paragraphs)``: each statement its own passage with its strength as the grade,
    the other paragraphs packed between them."""
    plain: list[tuple[str, str]] = []

    def flush() -> None:
        for label, text in pack_parts(plain, passage_chars):
            doc.add_passage(label, text)
        plain.clear()

    for section, paragraphs in sections:
        for text, statement in statements(paragraphs):
            if not statement:
                plain.append((section or doc.title, text))
                continue
            flush()
            grade = statement_strength(text)
            for chunk in chunk_text(text, passage_chars):
                doc.add_passage(_statement_section(section, text), chunk, grade=grade)
    flush()


# --- reading the formats ------------------------------------------------------------------------------------
_BULLET_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


def _paragraphs(body: str) -> list[str]:
    """Blank-line paragraphs; a list's items are paragraphs of their own; a paragraph's lines are joined."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        rows = [line.strip() for line in block.splitlines() if line.strip()]
        if rows and all(row.startswith("|") for row in rows):  # a Markdown table: a row a line
            out.append("\n".join(rows))
            continue
        current: list[str] = []
        for line in block.splitlines():
            if _BULLET_LINE.match(line) and current:
                out.append(" ".join(current))
                current = []
            if line.strip():
                current.append(line.strip())
        if current:
            out.append(" ".join(current))
    return out


def markdown_sections(text: str) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """The title (the first level-1 heading) and ``(heading path, paragraphs)`` of a Markdown text."""
    title_match = re.search(r"^#[ \t]+(.+?)[ \t#]*$", text, re.MULTILINE)
    title = title_match.group(1).strip() if title_match else None
    out = []
    for path, body in split_markdown_sections(text):
        if title and (path == title or path.startswith(f"{title} > ")):
            path = path[len(title) + 3 :] if path != title else ""
        out.append((path, _paragraphs(body)))
    return title, out


_HTML_SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template", "form", "button"})
_HTML_BLOCKS = frozenset({"p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "address"})
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}


def html_sections(raw: bytes) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """The title (``<title>``, else the first ``<h1>``) and ``(heading path, paragraphs)`` of an HTML page."""
    root = lxml.html.document_fromstring(raw)
    for bad in root.xpath("//comment() | //processing-instruction()"):
        bad.getparent().remove(bad) if bad.getparent() is not None else None
    title_element = root.find(".//title")
    title = " ".join(title_element.text_content().split()) if title_element is not None else None
    body = root.find("body") if root.find("body") is not None else root
    sections: list[tuple[str, list[str]]] = []
    stack: list[tuple[int, str]] = []
    paragraphs: list[str] = []

    def flush() -> None:
        if paragraphs:
            sections.append((" > ".join(t for _, t in stack), list(paragraphs)))
            paragraphs.clear()

    def text_of(element: etree._Element) -> str:
        return " ".join(element.text_content().split())

    def walk(element: etree._Element) -> None:
        nonlocal title
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HTML_SKIP:
            return
        if tag in _HEADING_TAGS:
            flush()
            level, heading = _HEADING_TAGS[tag], text_of(element)
            if not heading:
                return
            if level == 1 and not title:
                title = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            if not (level == 1 and heading == title):
                stack.append((level, heading))
            return
        if tag == "table":  # one paragraph: a row a line, cells joined by " | "
            rows = [" | ".join(c for c in (text_of(cell) for cell in row if isinstance(cell.tag, str) and
                                           cell.tag in ("td", "th")) if c) for row in element.iter("tr")]
            caption = element.find("caption")
            lines = [text_of(caption)] if caption is not None and text_of(caption) else []
            if any(rows):
                paragraphs.append("\n".join(lines + [r for r in rows if r]))
            return
        has_block_child = any(isinstance(c.tag, str) and (c.tag in _HTML_BLOCKS or c.tag in _HEADING_TAGS or
                                                          c.tag in ("ul", "ol", "table", "div", "section"))
                              for c in element.iter() if c is not element)
        if tag in _HTML_BLOCKS and not has_block_child:
            text = text_of(element)
            if text:
                paragraphs.append(text)
            return
        if element.text and element.text.strip() and tag not in ("html", "body"):
            paragraphs.append(" ".join(element.text.split()))
        for child in element:
            walk(child)
            if child.tail and child.tail.strip():
                paragraphs.append(" ".join(child.tail.split()))

    walk(body)
    flush()
    return title, sections


_PDF_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+[A-Z][^.!?;:]{1,80}|[A-Z][A-Z0-9 ,&/()\-]{3,80})$")
_SENTENCE_END = re.compile(r"[.!?:;)\]]$")


def pdf_sections(path: Path) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """The title (the PDF's metadata title) and ``(heading, paragraphs)`` of a PDF's extracted text.

    pypdf gives one line per printed line: a paragraph ends at a blank line, at a line that ends a
    sentence, or before a heading, a list item or a recommendation label."""
    import pypdf  # imported here: only PDF ingests need it

    reader = pypdf.PdfReader(str(path))
    title = None
    try:
        title = (reader.metadata.title or "").strip() or None if reader.metadata else None
    except Exception:  # noqa: BLE001 - a broken info dictionary only loses the title
        title = None
    lines: list[str] = []
    for page in reader.pages:
        lines.extend(line.strip() for line in (page.extract_text() or "").splitlines())
        lines.append("")
    sections: list[tuple[str, list[str]]] = []
    heading = ""
    paragraphs: list[str] = []
    current: list[str] = []

    def end_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in lines:
        if not line:
            end_paragraph()
            continue
        if _PDF_HEADING.match(line) and not _LABEL_WORD.match(line) and not statement_strength(line):
            end_paragraph()
            if paragraphs:
                sections.append((heading, list(paragraphs)))
                paragraphs.clear()
            if title is None:
                title = line
                continue
            heading = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", line).strip()
            continue
        if _label_only(line) or _strength_only(line):  # a paragraph of its own, joined to its statement later
            end_paragraph()
            paragraphs.append(line)
            continue
        if _BULLET_LINE.match(line) or _LABEL_WORD.match(line):
            end_paragraph()
        current.append(line)
        if _SENTENCE_END.search(line):
            end_paragraph()
    end_paragraph()
    if paragraphs:
        sections.append((heading, list(paragraphs)))
    return title, sections


# --- documents ----------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def guideline_doc_id(path: Path, organization: str | None) -> str:
    """``guideline-<organization>-<file name>`` in lower-case words, the same on every ingest of the file."""
    stem = re.sub(r"\.(md|markdown|txt|html?|xhtml|pdf)$", "", path.name, flags=re.IGNORECASE)
    parts = [p for p in (_slug(organization or ""), _slug(stem)) if p]
    return "guideline-" + "-".join(parts or ["document"])


def read_guideline(path: Path, *, organization: str | None = None, year: int | None = None,
                   passage_chars: int = 1200) -> Document:
    """The GUIDELINE Document of one Markdown, HTML or PDF file; ValueError when it holds no text."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        title, sections = pdf_sections(path)
    elif suffix in HTML_SUFFIXES:
        title, sections = html_sections(path.read_bytes())
    elif suffix in MARKDOWN_SUFFIXES:
        title, sections = markdown_sections(path.read_text(encoding="utf-8", errors="replace"))
    else:
        raise ValueError(f"not a guideline document this loader reads ({', '.join(SUFFIXES)})")
    title = " ".join((title or path.stem.replace("_", " ")).split())[:TITLE_CHARS]
    doc = Document(
        doc_id=guideline_doc_id(path, organization),
        source=SOURCE,
        title=title,
        doc_type=DocType.GUIDELINE,
        year=year,
        organization=organization,
        version=str(year) if year else "1",
        key_text=title,
    )
    add_sections(doc, sections, passage_chars)
    if not doc.passages:
        raise ValueError("no text found (a scanned PDF needs OCR first)")
    return doc


def iter_guidelines(paths: Path | Iterable[Path], report: IngestReport, *, organization: str | None = None,
                    year: int | None = None, passage_chars: int = 1200) -> Iterator[Document]:
    """One GUIDELINE Document per Markdown, HTML or PDF file among ``paths`` (folders searched recursively).
    A file that cannot be read is reported and skipped; the others go on."""
    for file in expand_paths(paths, report, suffixes=SUFFIXES, what="guideline document"):
        try:
            doc = read_guideline(file, organization=organization, year=year, passage_chars=passage_chars)
        except (ValueError, OSError, etree.ParserError, UnicodeError) as exc:
            report.problem(str(file), 0, f"{exc}; skipped")
            continue
        except Exception as exc:  # noqa: BLE001 - pypdf raises its own errors for damaged PDFs
            if type(exc).__module__.startswith("pypdf"):
                report.problem(str(file), 0, f"unreadable PDF: {exc}; skipped")
                continue
            raise
        report.count(SOURCE)
        yield doc

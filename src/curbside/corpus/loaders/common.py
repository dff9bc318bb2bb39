"""Helpers shared by the corpus loaders: JSONL reading with per-line problems, chunking, years, study types.

A loader never raises for one bad record: it reports ``(file, line, message)`` to the
:class:`~curbside.corpus.documents.IngestReport` and goes on. Only a file that cannot be read
at all raises :class:`~curbside.errors.IngestError`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.text import sentence_spans
from curbside.errors import IngestError


class RecordError(ValueError):
    """One record is unusable (missing key, wrong type); the loader reports it and skips the record."""


# --- reading -------------------------------------------------------------------------------------


def require_file(path: Path, what: str = "Corpus file") -> Path:
    """``path`` if it is a file, else an IngestError naming it."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{what} {path} does not exist or is not a file. Check --corpus-dir.")
    return path


def read_jsonl(path: Path, report: IngestReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_number, object)`` for each JSON object line of a ``.jsonl`` (or ``.jsonl.gz``) file.

    Blank lines are skipped silently; bad JSON and non-object lines are reported and skipped.
    """
    path = require_file(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    report.problem(str(path), number, f"malformed JSON: {exc}")
                    continue
                if not isinstance(value, dict):
                    report.problem(str(path), number, f"expected a JSON object, got {type(value).__name__}")
                    continue
                yield number, value
    except (OSError, EOFError) as exc:  # unreadable or truncated gzip
        raise IngestError(f"Could not read {path}: {exc}") from exc


def build_documents(
    path: Path,
    report: IngestReport,
    source: str,
    build: Callable[[dict[str, Any]], Document],
) -> Iterator[Document]:
    """Documents built from each JSONL record of ``path``, one shared loop for every JSONL loader.

    ``build`` raises :class:`RecordError` for a record it cannot use; that record is reported with its
    line number and skipped, as is a second record with an id already seen (the first is kept).
    """
    seen: set[str] = set()
    for line, record in read_jsonl(path, report):
        try:
            doc = build(record)
        except RecordError as exc:
            report.problem(str(path), line, str(exc))
            continue
        if doc.doc_id in seen:
            report.problem(str(path), line, f"duplicate document id {doc.doc_id}; kept the first")
            continue
        seen.add(doc.doc_id)
        report.count(source)
        yield doc


def get_str(record: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """``record[key]`` stripped; None when absent/null/blank and not required; RecordError otherwise.

    Numbers are accepted and turned into strings (PMIDs and years come both ways).
    """
    value = record.get(key)
    if isinstance(value, bool):
        raise RecordError(f"field {key!r} should be text, got a boolean")
    if isinstance(value, int | float):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(f"missing required field {key!r}")
        return None
    if not isinstance(value, str):
        raise RecordError(f"field {key!r} should be text, got {type(value).__name__}")
    return value.strip()


def get_list(record: dict[str, Any], key: str, *, required: bool = True) -> list[Any]:
    """``record[key]`` as a list; [] when absent and not required; RecordError otherwise."""
    value = record.get(key)
    if value is None:
        if required:
            raise RecordError(f"missing required field {key!r}")
        return []
    if not isinstance(value, list):
        raise RecordError(f"field {key!r} should be a list, got {type(value).__name__}")
    return value


def expand_paths(paths: Path | Iterable[Path], report: IngestReport, *, suffixes: tuple[str, ...],
                 what: str) -> Iterator[Path]:
    """The files among ``paths`` in order: a file as given, a folder's files ending in one of ``suffixes``
    (searched recursively, sorted; an empty folder is reported). A path that does not exist is an IngestError."""
    for path in map(Path, [paths] if isinstance(paths, str | Path) else paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
            if not found:
                report.problem(str(path), 0, f"no {what} files ({', '.join(suffixes)}) in the folder")
            yield from found
        elif path.is_file():
            yield path
        else:
            raise IngestError(f"{what} path {path} does not exist.")


# --- years ---------------------------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


def parse_year(value: object) -> int | None:
    """The latest plausible year (1900-2099) in ``value``: 2014 for "2006 Dec (revised 2014)"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1900 <= value <= 2099 else None
    years = [int(y) for y in _YEAR.findall(str(value))]
    return max(years) if years else None


# --- chunking ------------------------------------------------------------------------------------

_BULLET_PREFIX = re.compile(r"[ \t]*(?:[-*\u2022]|\d{1,2}[.)]|#{1,6})\s+")


def _chunk_start(text: str, start: int) -> int:
    """Move a chunk's start back over a bullet marker on its line, so "- item" stays whole."""
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start]
    if prefix and _BULLET_PREFIX.fullmatch(prefix):
        return line_start + (len(prefix) - len(prefix.lstrip()))
    return start


_LINE = re.compile(r"[^\n]+")
_WORDY = re.compile(r"\w")


def _line_sentence_spans(text: str) -> list[tuple[int, int]]:
    """``sentence_spans(text)``, computed line by line.

    sentence_spans always cuts at a newline and looks no further back than the current word, so
    the result is the same; but its abbreviation check scans from the start of the text for each
    period, which is quadratic on a 20,000-character answer and costs seconds on MedQuAD.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        offset, value = line.start(), line.group()
        # A stray bullet marker alone on its line ("-") is no sentence.
        spans.extend((offset + s, offset + e) for s, e in sentence_spans(value) if _WORDY.search(value, s, e))
    return spans


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Split ``text`` at sentence boundaries into chunks of at most ``max_chars`` where possible.

    Every chunk is an exact substring of ``text`` (only surrounding whitespace is dropped), so
    sentence offsets found later can be traced back. A sentence longer than ``max_chars`` becomes
    a chunk of its own rather than being cut mid-sentence.
    """
    stripped = text.strip()
    if not stripped:
        return []
    if len(stripped) <= max_chars:
        return [stripped]
    spans = _line_sentence_spans(text)
    if not spans:
        return [stripped]
    chunks: list[str] = []
    begin = _chunk_start(text, spans[0][0])
    end = spans[0][1]
    for s, e in spans[1:]:
        if e - begin <= max_chars:
            end = e
            continue
        chunks.append(text[begin:end].strip())
        begin, end = _chunk_start(text, s), e
    chunks.append(text[begin:end].strip())
    return [c for c in chunks if c]


def pack_parts(
    parts: Iterable[tuple[str, str]], max_chars: int, *, label_joiner: str = " / "
) -> list[tuple[str, str]]:
    """Merge consecutive short ``(section, text)`` parts up to ``max_chars``; chunk long ones.

    Merged texts are joined with a blank line; their section labels are joined with
    ``label_joiner`` (a repeated label is written once). Order is kept.
    """
    out: list[tuple[str, str]] = []
    labels: list[str] = []
    texts: list[str] = []

    def flush() -> None:
        if texts:
            out.append((label_joiner.join(labels), "\n\n".join(texts)))
            labels.clear()
            texts.clear()

    for label, raw in parts:
        body = raw.strip()
        if not body:
            continue
        if len(body) > max_chars:
            flush()
            out.extend((label, chunk) for chunk in chunk_text(body, max_chars))
            continue
        size = sum(len(t) for t in texts) + 2 * len(texts)
        if texts and size + 2 + len(body) > max_chars:
            flush()
        texts.append(body)
        if not labels or labels[-1] != label:
            labels.append(label)
    flush()
    return out


# --- markdown ------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def split_markdown_sections(text: str) -> list[tuple[str, str]]:
    """``(heading path, body)`` for each non-empty body in a markdown text.

    The path joins the enclosing headings with " > " ("Clinical Considerations > Screening Tests");
    a body before the first heading has the path "". Bodies are exact substrings, stripped.
    """
    sections: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    position = 0

    def emit(end: int) -> None:
        body = text[position:end].strip()
        if body:
            sections.append((" > ".join(title for _, title in stack), body))

    for match in _HEADING.finditer(text):
        emit(match.start())
        level = len(match.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, match.group(2).strip()))
        position = match.end()
    emit(len(text))
    return sections


# --- study types ---------------------------------------------------------------------------------

# The heuristic, in order (the first that matches wins). The title is trusted before the text,
# because a trial's background often cites "a systematic review" and a review cites trials:
# 1. systematic review / meta-analysis named in the title;
# 2. randomised trial named in the title ("randomized controlled/clinical/double-blind ...");
# 3. systematic review described as this study's method ("we performed a meta-analysis",
#    "this systematic review", databases "were searched");
# 4. randomised trial described in the text: "randomly assigned", "were randomized",
#    "randomization", "randomized ... trial" (after removing "non-randomized", "quasi-randomized");
# 5. case report or case series: named, or "we report/describe/present a case/patient";
# 6. narrative review: "review"/"overview" in the title and no sign of the study's own methods;
# 7. otherwise an observational study (cohort, case-control, cross-sectional, diagnostic ...).
_SR = re.compile(r"\b(systematic(ally)?\s+review|meta-?\s?analys[ie]s|meta-?regression|umbrella\s+review)", re.I)
_SR_METHOD = re.compile(
    r"\b((we|authors)\s+(performed|conducted|undertook|carried\s+out|did)\s+(a|an)\s+(\w+\s+){0,3}?"
    r"(systematic\s+review|meta-?\s?analysis)"
    r"|(this|present|current|our)\s+(systematic\s+review|meta-?\s?analysis)"
    r"|(systematic\s+review|meta-?\s?analysis)\s+(was|were)\s+(performed|conducted|undertaken|carried)"
    r"|(medline|embase|pubmed|cochrane\s+library|cinahl|web\s+of\s+science|electronic\s+databases?)\b[^.]{0,80}?"
    r"\b(were|was)\s+(systematically\s+)?searched"
    r"|(we|authors)\s+(systematically\s+)?searched\s+(medline|embase|pubmed|the\s+cochrane|electronic))",
    re.I,
)
_NON_RANDOM = re.compile(r"\b(non|quasi)-?\s?randomi[sz]ed\b", re.I)
_RCT = re.compile(
    r"\b(randomi[sz]ed\s+(\w+[-\s]){0,3}?(controlled|clinical|trial|study|double|single|placebo|cross-?over|pilot)"
    r"|randomly\s+(assigned|allocated|divided|distributed)"
    r"|(were|was)\s+randomi[sz]ed|randomi[sz]ation|rct)\b",
    re.I,
)
_CASE = re.compile(
    r"\b(case\s+reports?|case\s+series|a\s+case\s+of"
    r"|we\s+(report|describe|present)\s+(a|an|two|three|four|five|six|\d+)\s+([\w-]+\s+){0,3}?"
    r"(case|cases|patient|patients))\b",
    re.I,
)
_REVIEW_TITLE = re.compile(r"\b(review|overview|update\s+on|state\s+of\s+the\s+art)\b", re.I)
_METHODS = re.compile(
    r"\b(methods?|patients|participants|subjects|enrolled|retrospective(ly)?|prospective(ly)?|cohort"
    r"|we\s+(studied|analy[sz]ed|examined|evaluated|included|recruited|measured|surveyed))\b",
    re.I,
)


# The patterns above scan every position of a ~1,500-character abstract (case-insensitive alternations with a
# leading \b get no fast prefix scan in Python's re): 50-300 us each, most of a MEDLINE record's parse. Each is
# first gated by words that any of its matches must contain, looked up with `in` in the lower-cased text (a few
# microseconds), so a pattern runs only where it can match and the result is the same as running them all.
# re.IGNORECASE also matches the dotless i and the long s to "i" and "s", and reads U+0130 and U+212A as "i"
# and "k" (str.lower gives "i" + U+0307 for the first): _gate_text folds those, so a gate is never stricter
# than its pattern.
_FOLDS = str.maketrans({"\u0131": "i", "\u017f": "s", "\u0307": None})


def _gate_text(text: str) -> str:
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_FOLDS)


def _may_name_review(lowered: str) -> bool:  # _SR
    return ("review" in lowered and ("systematic" in lowered or "umbrella" in lowered)) or (
        "meta" in lowered and ("analys" in lowered or "regression" in lowered))


def _may_describe_review(lowered: str) -> bool:  # _SR_METHOD
    return "searched" in lowered or ("systematic" in lowered and "review" in lowered) or (
        "meta" in lowered and "analysis" in lowered)


def _may_randomise(lowered: str) -> bool:  # _RCT ("randomi...", "randomly", "rct")
    return "random" in lowered or "rct" in lowered


def _may_report_case(lowered: str) -> bool:  # _CASE
    return "case" in lowered or ("patient" in lowered and any(w in lowered for w in ("report", "describe", "present")))


_ANCHOR_FOLDS = str.maketrans({"\u0131": "i", "\u017f": "s"})  # one character for one: positions stay


def _search_at(pattern: re.Pattern[str], text: str, anchors: dict[str, tuple[int, ...]]) -> bool:
    """``pattern.search(text) is not None``, the pattern tried only where one of its matches can start: at each
    occurrence of an ``anchor``, or ``n`` characters before the spaces before one, for each ``n`` it lists
    ("were"/"was" before "randomized"). The caller names anchors such that every match starts so."""
    lowered = text.lower()
    if len(lowered) != len(text):  # lower-casing moved positions (U+0130): scan it all
        return pattern.search(text) is not None
    if not lowered.isascii():
        lowered = lowered.translate(_ANCHOR_FOLDS)
    for anchor, backs in anchors.items():
        at = lowered.find(anchor)
        while at >= 0:
            if pattern.match(text, at):
                return True
            if backs:
                space = at
                while space > 0 and text[space - 1].isspace():
                    space -= 1
                if space < at and any(pattern.match(text, space - n) for n in backs if space >= n):
                    return True
            at = lowered.find(anchor, at + 1)
    return False


# Where matches of _RCT and _CASE start (see _search_at).
_RCT_ANCHORS = {"random": (3, 4), "rct": ()}
_CASE_ANCHORS = {"case": (1,), "report": (2,), "describe": (2,), "present": (2,)}


def _randomised(text: str, words: str) -> bool:
    """``_RCT.search(_NON_RANDOM.sub(" ", text))`` (``words``: ``_gate_text(text)``)."""
    if "randomi" in words and ("non" in words or "quasi" in words):  # else _NON_RANDOM cannot match
        text = _NON_RANDOM.sub(" ", text)
        words = _gate_text(text)
    return _may_randomise(words) and _search_at(_RCT, text, _RCT_ANCHORS)


def _reports_case(text: str, words: str) -> bool:
    """``_CASE.search(text)`` (``words``: ``_gate_text(text)``)."""
    return _may_report_case(words) and _search_at(_CASE, text, _CASE_ANCHORS)


def classify_study(title: str, text: str) -> DocType:
    """The study design of a research abstract, from its title and text (see the heuristic above)."""
    title = title or ""
    text = text or ""
    title_words, text_words = _gate_text(title), _gate_text(text)
    if _may_name_review(title_words) and _SR.search(title):
        return DocType.SYSTEMATIC_REVIEW
    if _randomised(title, title_words):
        return DocType.RCT
    if _may_describe_review(text_words) and _SR_METHOD.search(text):
        return DocType.SYSTEMATIC_REVIEW
    if _randomised(text, text_words):
        return DocType.RCT
    if _reports_case(f"{title}\n{text}", f"{title_words}\n{text_words}"):
        return DocType.CASE_REPORT
    if _REVIEW_TITLE.search(title) and not _METHODS.search(text):
        return DocType.NARRATIVE_REVIEW
    return DocType.OBSERVATIONAL


# --- small text helpers --------------------------------------------------------------------------


# UTF-8 read as cp1252 ("nâ€…=" for "n ="): a lead byte as Latin-1, then 1-2 continuation characters.
_MOJIBAKE = re.compile(r"[\u00c2-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                       r"\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,2}")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text decoded as cp1252, where a run decodes cleanly (the USPSTF dump has some)."""

    def fix(match: re.Match[str]) -> str:
        try:
            return match.group().encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group()

    return _MOJIBAKE.sub(fix, text)


_INLINE_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def block_lines(text: str) -> str:
    """Text rendered from XML blocks, tidied: spaces collapsed, blank lines dropped, and a list marker left alone
    on its line ("-", when the item's text sits in a nested paragraph) joined to the line after it."""
    merged: list[str] = []
    for line in (_INLINE_SPACES.sub(" ", raw).strip() for raw in text.split("\n")):
        if not line:
            continue
        if merged and merged[-1] == "-":
            merged[-1] = f"- {line}"
        else:
            merged.append(line)
    return "\n".join(merged)


def clean_lines(text: str) -> str:
    """Strip each line and drop blank ones (for scraped fields padded with spaces)."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut at a word boundary to at most ``max_chars`` characters, with an ellipsis if cut."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "\u2026"

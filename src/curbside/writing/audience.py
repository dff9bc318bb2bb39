"""Audience views of one Article: the same cited claims, worded and ordered for who is reading.

The web app asks "Which best describes you?" and shows the article in a view for that reader. A view
changes only wording (bullet ``text``, section ``heading``, the ``bottom_line``, and for patients the
words that explain a grade, ``strength``) and the order of sections. Every view bullet is its base
bullet reworded: ``citations``, ``quotes``, ``grade``, ``doc_type``, ``evidence_level``, ``year``,
``support`` and ``relevance`` are copied unchanged, no bullet is added or dropped and the references
stay as they are. All views come from the one set of cited claims, so they cannot contradict each other.

* physician: the article unchanged.
* nurse: guidelines, then considerations (safety, monitoring) and patient information before research;
  abbreviations expanded on first use.
* pharmacist: the drug label first, then guidelines; text untouched (units and doses stay as written).
* student: abbreviations expanded on first use; each bullet says its evidence level in words.
* patient: plain language. Jargon is replaced or explained from a hand-curated glossary
  (``data/plain_language.tsv``); statistical asides such as "(95% CI 0.26 to 0.78)" and "(P < .001)"
  are removed while the numbers that carry a finding stay; long sentences are split at safe joints;
  grades are explained in words; patient information leads where it covers the question.

Every rewrite is a deterministic regular-expression pass (no model), so one article always gives the
same views.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Literal, get_args

import textstat
from pydantic import BaseModel, ConfigDict

from curbside.corpus.documents import DOC_TYPE_LABELS, DocType
from curbside.corpus.text import sentences
from curbside.evidence.grading import USPSTF_GRADE_MEANINGS
from curbside.understanding.query import abbreviation_rows
from curbside.writing.article import Article, Bullet, Section

Audience = Literal["physician", "nurse", "pharmacist", "student", "patient"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
AUDIENCE_LABELS: dict[Audience, str] = {
    "physician": "Physician",
    "nurse": "Nurse / NP / PA",
    "pharmacist": "Pharmacist",
    "student": "Student",
    "patient": "Patient or caregiver",
}

_DEFAULT_AUDIENCE: Audience = "physician"


def parse_audience(value: str | None) -> Audience:
    """The audience named by ``value`` (a key such as "nurse", case and spaces ignored); none means physician."""
    if value is None or not value.strip():
        return _DEFAULT_AUDIENCE
    key = value.strip().lower()
    for audience in AUDIENCES:
        if key == audience:
            return audience
    choices = ", ".join(f"{a} ({AUDIENCE_LABELS[a]})" for a in AUDIENCES)
    raise ValueError(f"Unknown audience {value!r}. Choose one of: {choices}.")


# --- readability ---------------------------------------------------------------------------------


class Readability(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flesch_kincaid_grade: float
    flesch_reading_ease: float
    words: int
    sentences: int
    scope: str


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_INNER_STOP = re.compile(r"[.!?]+")


def _measurable(text: str) -> str:
    """Text whose sentence ends textstat can count.

    textstat 0.7.8 ends a sentence at every period, so "0.75", "vs." and "e.g." would each add a
    sentence and make technical text look easier than it is. The project's own splitter decides the
    sentences; periods inside a sentence are then dropped, and each sentence ends with one period.
    """
    parts: list[str] = []
    for sentence in sentences(text):
        body = _DECIMAL_POINT.sub("", sentence.strip()).rstrip(".!?;:, ")
        body = _INNER_STOP.sub("", body).strip()
        if body:
            parts.append(body + ".")
    return " ".join(parts)


def readability(text: str, scope: str = "the text given") -> Readability:
    """Flesch-Kincaid grade and Flesch reading ease of ``text`` (textstat 0.7.8), with words and sentences."""
    measured = _measurable(text)
    if not measured:
        return Readability(flesch_kincaid_grade=0.0, flesch_reading_ease=0.0, words=0, sentences=0, scope=scope)
    return Readability(
        flesch_kincaid_grade=round(float(textstat.flesch_kincaid_grade(measured)), 1),
        flesch_reading_ease=round(float(textstat.flesch_reading_ease(measured)), 1),
        words=int(textstat.lexicon_count(measured)),
        sentences=int(textstat.sentence_count(measured)),
        scope=scope,
    )


def _view_text(article: Article) -> tuple[str, int]:
    """Bottom line and every bullet, each closed as a sentence so bullets never run together."""
    texts = [article.bottom_line] + [b.text for s in article.sections for b in s.bullets]
    closed = [t.strip() if t.strip().endswith((".", "!", "?")) else t.strip() + "." for t in texts if t.strip()]
    return "\n".join(closed), len(texts) - 1


def _view_readability(article: Article, audience: Audience) -> Readability:
    text, bullets = _view_text(article)
    scope = (
        f"{audience} view: bottom line and {bullets} bullet{'s' if bullets != 1 else ''} "
        "(headings, references and notes not counted; decimal points and abbreviation periods do not end sentences)"
    )
    return readability(text, scope=scope)


# --- the views ---------------------------------------------------------------------------------


class AudienceView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Audience
    article: Article
    readability: Readability


def view_for_audience(article: Article, audience: Audience) -> AudienceView:
    """The article as ``audience`` reads it: same claims, citations and quotes; wording and order differ."""
    audience = parse_audience(audience)
    builders: dict[Audience, Callable[[Article], Article]] = {
        "physician": lambda a: a.model_copy(deep=True),
        "nurse": _nurse_view,
        "pharmacist": _pharmacist_view,
        "student": _student_view,
        "patient": _patient_view,
    }
    view = builders[audience](article)
    return AudienceView(audience=audience, article=view, readability=_view_readability(view, audience))


def _ordered(sections: list[Section], order: Iterable[str]) -> list[Section]:
    """Sections in ``order``; any section id not named keeps its place after them (stable)."""
    rank = {sid: i for i, sid in enumerate(order)}
    return sorted(sections, key=lambda s: rank.get(s.id, len(rank)))


def _rebuild(
    article: Article,
    order: Iterable[str],
    rewrite: Callable[[str], str] | None,
    *,
    headings: dict[str, str] | None = None,
    bullet_text: Callable[[Bullet, str], str] | None = None,
    strength: Callable[[Bullet], str | None] | None = None,
    bottom_line: Callable[[str], str] | None = None,
) -> Article:
    """A copy of ``article`` with sections in ``order`` and texts rewritten in reading order.

    Rewrites run bottom line first, then bullets as the view shows them, so "first use" of an
    abbreviation or a glossary term means first as read.
    """
    bottom = (bottom_line or rewrite or (lambda t: t))(article.bottom_line)
    sections: list[Section] = []
    for section in _ordered(article.sections, order):
        bullets: list[Bullet] = []
        for bullet in section.bullets:
            text = rewrite(bullet.text) if rewrite else bullet.text
            if bullet_text is not None:
                text = bullet_text(bullet, text)
            update: dict[str, object] = {"text": text}
            if strength is not None:
                update["strength"] = strength(bullet)
            bullets.append(bullet.model_copy(update=update, deep=True))
        heading = (headings or {}).get(section.id, section.heading)
        sections.append(section.model_copy(update={"heading": heading, "bullets": bullets}, deep=True))
    return article.model_copy(update={"bottom_line": bottom, "sections": sections}, deep=True)


_BASE_ORDER = ("guidelines", "research", "label", "considerations", "patient")


def _pharmacist_view(article: Article) -> Article:
    # The label carries doses, interactions and adjustments; nothing is reworded so units stay exact.
    return _rebuild(article, ("label", "guidelines", "considerations", "research", "patient"), None)


def _nurse_view(article: Article) -> Article:
    expander = _AbbreviationExpander(article, style="define")
    headings = {"considerations": "Key Considerations: Safety and Monitoring"}
    return _rebuild(
        article, ("guidelines", "considerations", "patient", "label", "research"), expander, headings=headings
    )


def _level_note(bullet: Bullet, text: str) -> str:
    try:
        kind = DOC_TYPE_LABELS[DocType(bullet.doc_type)].lower()
    except ValueError:
        kind = bullet.doc_type.replace("_", " ")
    return f"{text} (Evidence level {bullet.evidence_level} of 5, {kind}; 1 is strongest.)"


def _student_view(article: Article) -> Article:
    expander = _AbbreviationExpander(article, style="define")
    return _rebuild(article, _BASE_ORDER, expander, bullet_text=_level_note)


# --- patient view --------------------------------------------------------------------------------

PATIENT_HEADINGS: dict[str, str] = {
    "guidelines": "What expert groups recommend",
    "research": "What studies found",
    "label": "What the drug label says",
    "considerations": "Things to know",
    "patient": "In plain words",
}

# Patient information leads when it is about as relevant as the best other source; otherwise it
# follows the recommendations (a leaflet about a neighbouring condition should not open the view).
_PATIENT_LEADS_MIN = 0.5
_PATIENT_LEADS_MARGIN = 0.2


def _patient_order(article: Article) -> tuple[str, ...]:
    best: dict[str, float] = {s.id: max((b.relevance for b in s.bullets), default=0.0) for s in article.sections}
    patient = best.get("patient", 0.0)
    others = max((v for k, v in best.items() if k != "patient"), default=0.0)
    if patient >= _PATIENT_LEADS_MIN and patient >= others - _PATIENT_LEADS_MARGIN:
        return ("patient", "guidelines", "considerations", "label", "research")
    return ("guidelines", "patient", "considerations", "label", "research")


# Plain words for USPSTF grades and the other codes grading.py knows; other schemes keep their words.
_PLAIN_GRADE: dict[str, str] = {
    "A": "strongly recommended",
    "B": "recommended",
    "C": "offered to some people, depending on their situation",
    "D": "recommended against",
    "I": "not enough evidence to recommend for or against",
}
_PLAIN_STRENGTH: dict[str, str] = {
    "A": "Strongly recommended: experts are very sure the benefits are much greater than the harms.",
    "B": "Recommended: experts are sure the benefits are greater than the harms.",
    "C": "Offered to some people: the overall benefit is small, so it depends on the person.",
    "D": "Recommended against: it does not help, or the harms are greater than the benefits.",
    "I": "Not enough evidence to know if the benefits are greater than the harms.",
    "EO": "Based on expert opinion.",
    "GPP": "Advice on good practice.",
    "CBR": "Based on agreement among experts.",
}


def _uspstf_code(bullet: Bullet) -> str | None:
    """The USPSTF letter of a bullet whose strength uses the USPSTF definitions, else None."""
    code = (bullet.grade or "").strip().upper()
    if code in USPSTF_GRADE_MEANINGS and bullet.strength == USPSTF_GRADE_MEANINGS[code]:
        return code
    return None


def _plain_strength(bullet: Bullet) -> str | None:
    code = _uspstf_code(bullet)
    if code is not None:
        return _PLAIN_STRENGTH[code]
    upper = (bullet.grade or "").strip().upper()
    if upper in ("EO", "GPP", "CBR"):
        return _PLAIN_STRENGTH[upper]
    return bullet.strength


def _grade_sentence(bullet: Bullet) -> str:
    grade = (bullet.grade or "").strip()
    code = _uspstf_code(bullet)
    if code == "I":
        return "There is not enough evidence to recommend for or against this (I statement)."
    if code is not None:
        return f"This is {_PLAIN_GRADE[code]} (Grade {code})."
    if grade.upper() == "EO":
        return "This is based on expert opinion (EO)."
    if "recommendation" in grade.lower():
        article = "an" if grade[:1].lower() in "aeiou" else "a"
        return f"This is {article} {grade[0].lower() + grade[1:]}."
    return f"The guideline grades this {grade}."


_INLINE_GRADE = re.compile(r"\(\s*(?:Grade\s+)?([ABCD])\s+recommendation\s*\)|\(\s*Grade\s+([ABCD])\s*\)")
_INLINE_I = re.compile(r"\(\s*I\s+statement\s*\)")


_GRADE_NOTE: dict[str, str] = {
    code: f"Grade {code} means {_PLAIN_GRADE[code]}." for code in "ABCD"
} | {"I": f"An I statement means {_PLAIN_GRADE['I']}."}


def _inline_grades(text: str, explained: set[str], notes: list[str]) -> str:
    """ "( A recommendation )" written inside a USPSTF statement: "(Grade A)", explained once in a note.

    The words go in a sentence of their own after the bullet, never into the statement: the
    statement may be an old one ("In 2013 the USPSTF recommended ... (B recommendation)"), so a
    sentence such as "This is recommended" could state the wrong tense.
    """

    def note(code: str) -> None:
        if f"grade:{code}" not in explained:
            explained.add(f"grade:{code}")
            notes.append(_GRADE_NOTE[code])

    def grade(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        note(code)
        return f"(Grade {code})"

    def statement(match: re.Match[str]) -> str:
        note("I")
        return "(I statement)"

    return _INLINE_I.sub(statement, _INLINE_GRADE.sub(grade, text))


def _bottom_bullet(article: Article) -> Bullet | None:
    """The bullet that states the bottom line (same quote), if any."""
    keys = {(q.passage_id, q.start, q.end) for q in article.bottom_line_quotes}
    if not keys:
        return None
    for section in article.sections:
        for bullet in section.bullets:
            if any((q.passage_id, q.start, q.end) in keys for q in bullet.quotes):
                return bullet
    return None


def _patient_view(article: Article) -> Article:
    # Within the patient-information section the closest match to the question reads first (sorted
    # before rewriting, so a term is explained where it is first read).
    article = article.model_copy(
        update={
            "sections": [
                s.model_copy(update={"bullets": sorted(s.bullets, key=lambda b: -b.relevance)}) if s.id == "patient" else s
                for s in article.sections
            ]
        }
    )
    rewrite = _PlainLanguage(article)
    bottom_bullet = _bottom_bullet(article)

    def bottom_line(text: str) -> str:
        grade = bottom_bullet.grade if bottom_bullet is not None else None
        if bottom_bullet is not None and grade:
            # The writer appends "(Grade A)" after the sentence; say what it means instead.
            suffix = f" (Grade {grade})" if len(grade) <= 3 else f" ({grade})"
            if text.endswith(suffix):
                body = rewrite(text[: -len(suffix)])
                if f"Grade {grade})" in body:
                    return body  # the statement already says its grade, in words
                return body + " " + _grade_sentence(bottom_bullet)
        return rewrite(text)

    return _rebuild(
        article,
        _patient_order(article),
        rewrite,
        headings=PATIENT_HEADINGS,
        strength=_plain_strength,
        bottom_line=bottom_line,
    )


# --- abbreviations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sense:
    expansion: str
    cues: frozenset[str]


@lru_cache(maxsize=1)
def _abbreviation_table() -> dict[str, tuple[_Sense, ...]]:
    """The project's curated abbreviation table, with each sense's disambiguation cues."""
    table: dict[str, list[_Sense]] = {}
    for abbreviation, expansion, note in abbreviation_rows():
        cue_match = re.search(r"\bcues?:\s*(.+)$", note)
        cues = frozenset(w.strip().lower() for w in cue_match.group(1).split(",")) if cue_match else frozenset()
        table.setdefault(abbreviation, []).append(_Sense(expansion, cues))
    return {key: tuple(senses) for key, senses in table.items()}


_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ROMAN_CONTEXT = re.compile(r"(?:stage|grade|type|class|phase|level|part|section|table|figure)\s*$", re.IGNORECASE)
# "long form (ABBR)": the parenthesis that defines an abbreviation in running text.
_DEFINITION = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*\)")
_DEFINITION_ANY = re.compile(r"\s*[(\[]\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*[)\]]")


def _long_form(short: str, before: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest tail of ``before`` whose letters spell ``short`` in order."""
    words = before.rstrip().split()
    window = " ".join(words[-min(len(short) + 5, len(short) * 2) :])
    window = re.split(r"[()\[\];:.,]\s", window)[-1]
    s, i = len(short) - 1, len(window) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (window[i].lower() != c or (s == 0 and i > 0 and window[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    long = window[window.rfind(" ", 0, i + 1) + 1 :].strip()
    if len(long) <= len(short) or " " not in long or long.lower().startswith(short.lower()):
        return None
    return long


def _text_definitions(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviations the article defines itself, e.g. "office blood pressure measurement (OBPM)"."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _DEFINITION.finditer(text):
            short = match.group(1).rstrip("+")
            if not any(ch.isupper() for ch in short) or short.isdigit():
                continue
            long = _long_form(short, text[: match.start()])
            if long:
                words = long.split()
                if words[0][:1].isupper() and words[0][1:].islower() and all(w.islower() for w in words[1:]):
                    long = long[0].lower() + long[1:]  # "Pulmonary hypertension (PH)" at a sentence start
                found.setdefault(short, long)
    return found


def _all_texts(article: Article) -> list[str]:
    return [article.title, article.bottom_line] + [b.text for s in article.sections for b in s.bullets]


@dataclass
class _AbbreviationExpander:
    """Expands abbreviations in the order the view is read.

    ``style="define"`` writes "long form (ABBR)" on first use and leaves later uses alone (nurse,
    student). ``style="replace"`` drops defining parentheses and writes the long form every time, for
    patients, except abbreviations the glossary lists as known words (CT, MRI, HIV ...).
    A definition in the article itself wins over the table; an ambiguous table entry is used only when
    the article's words name one sense's cues more than the others'.
    """

    article: Article
    style: Literal["define", "replace"]
    keep: frozenset[str] = frozenset()
    _long: dict[str, str] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)
    _introduced: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        texts = _all_texts(self.article)
        context = set(_WORD.findall(" ".join(texts).lower()))
        long: dict[str, str] = {}
        for key, senses in _abbreviation_table().items():
            if len(senses) == 1:
                long[key] = senses[0].expansion
                continue
            scores = [len(s.cues & context) for s in senses]
            best = max(scores)
            if best > 0 and scores.count(best) == 1:
                long[key] = senses[scores.index(best)].expansion
        long.update(_text_definitions(texts))
        self._long = {k: v for k, v in long.items() if k not in self.keep}
        present = [k for k in self._long if k in " ".join(texts)]
        if present:
            alternatives = "|".join(re.escape(k) for k in sorted(present, key=len, reverse=True))
            # Whole tokens only: not inside "anti-MDA5", "MDA5+" or "IL-6R"; "ALT/AST" is two tokens.
            self._pattern = re.compile(rf"(?<![\w\-+])({alternatives})(s?)(?![\w\-+])")
        else:
            self._pattern = None

    def __call__(self, text: str) -> str:
        """Abbreviations expanded (define style: first use; replace style: every use)."""
        return self.expand(text)

    def expand(self, text: str, convert: Callable[[str], str] | None = None) -> str:
        """Expand abbreviations; ``convert`` rewrites each long form written (replace style)."""
        if self._pattern is None:
            return text
        out = ""
        last = 0
        for match in self._pattern.finditer(text):
            written = self._expand(match, text, convert)
            out = _agree_article(out + text[last : match.start()], written) + written
            last = match.end()
        return out + text[last:]

    def drop_definitions(self, text: str) -> str:
        """ "computed tomography (CT)" -> "computed tomography": the long form is already there."""

        def drop(match: re.Match[str]) -> str:
            short = match.group(1).rstrip("+")
            if sum(ch.isalnum() for ch in short) < 2 or not any(ch.isupper() for ch in short):
                return match.group(0)  # "(A)", "(58)": not an abbreviation
            before = text[: match.start()].rstrip()
            known = self._long.get(short) or _text_definitions([text]).get(short)
            if _long_form(short, before) or (known and before.lower().endswith(known.lower())):
                return ""
            if self._one_word_definition(short, before):
                return ""
            return match.group(0)

        return _DEFINITION_ANY.sub(drop, text)

    def _one_word_definition(self, short: str, before: str) -> bool:
        """ "glucocorticoids (GCs)", "alendronate (AD)": a one-word long form whose letters spell the
        abbreviation in order, from its first letter; dropped only where the article never uses the
        abbreviation again, so nothing is left unexplained."""
        letters = short.rstrip("s").lower() if short.endswith("s") and short[:-1].isupper() else short.lower()
        word = re.search(r"([A-Za-z][A-Za-z-]+)$", before)
        if word is None or not letters.isalpha() or len(letters) < 2:
            return False
        long = word.group(1).lower()
        if long[0] != letters[0] or not re.search(".*".join(map(re.escape, letters)), long):
            return False
        uses = re.findall(rf"(?<![\w\-+(\[]){re.escape(short)}(?![\w\-+])", " ".join(_all_texts(self.article)))
        return not uses

    def _expand(self, match: re.Match[str], text: str, convert: Callable[[str], str] | None) -> str:
        short, plural = match.group(1), match.group(2)
        if plural and not short[-1].isupper():
            return match.group(0)
        before = text[: match.start()]
        if len(short) <= 3 and short.isupper() and _ROMAN_CONTEXT.search(before) and set(short) <= set("IVX"):
            return match.group(0)  # "stage IV", "class II"
        if short == "PM" and re.search(r"\d\s*$", before):
            return match.group(0)  # a time of day
        long = self._long[short] + ("s" if plural else "")
        if self.style == "replace":
            return convert(long) if convert else long
        # Defined right here: "(IVIG)" after its long form, or "IVIG (intravenous immunoglobulin)".
        aside = re.match(r"\s*[(\[]([^()\[\]]{1,80})[)\]]", text[match.end() :])
        defined_here = before.rstrip().endswith(("(", "[")) or (
            aside is not None and aside.group(1).strip().lower().startswith(long.lower()[:8])
        )
        if short in self._introduced or defined_here:
            self._introduced.add(short)
            return match.group(0)
        self._introduced.add(short)
        return f"{long} ({match.group(0)})"


# --- plain language ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    term: str
    plain: str
    case_sensitive: bool
    explains: bool  # the plain wording keeps the term and explains it: do that on first use only


@lru_cache(maxsize=1)
def glossary() -> tuple[_Entry, ...]:
    """The curated glossary, ``writing/data/plain_language.tsv`` (term, tab, plain wording)."""
    text = resources.files("curbside.writing").joinpath("data/plain_language.tsv").read_text(encoding="utf-8")
    entries: dict[str, _Entry] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, plain = (part.strip() for part in line.partition("\t"))
        if not term or not plain or term.lower() == "term":
            continue
        case_sensitive = any(ch.isupper() for ch in term)
        explains = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", plain, 0 if case_sensitive else re.IGNORECASE)
        key = term if case_sensitive else term.lower()
        entries.setdefault(key, _Entry(term, plain, case_sensitive, bool(explains) and term.lower() != plain.lower()))
    return tuple(entries.values())


@lru_cache(maxsize=1)
def _glossary_index() -> tuple[re.Pattern[str], dict[str, _Entry], dict[str, _Entry]]:
    entries = sorted(glossary(), key=lambda e: (-len(e.term), e.term))

    def piece(entry: _Entry) -> str:
        body = r"\s+".join(re.escape(w) for w in entry.term.split())
        return body if entry.case_sensitive else f"(?i:{body})"

    # Longest first: at one position the first alternative that matches wins.
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(piece(e) for e in entries) + r")(?![\w-])")
    sensitive = {e.term: e for e in entries if e.case_sensitive}
    insensitive = {e.term.lower(): e for e in entries if not e.case_sensitive}
    return pattern, sensitive, insensitive


@lru_cache(maxsize=1)
def _glossary_abbreviations() -> frozenset[str]:
    """Abbreviations the glossary handles itself or writes (CT, USPSTF, IVIG ...): never expanded."""
    found: set[str] = set()
    for entry in glossary():
        if entry.case_sensitive:
            found.add(entry.term)
        found.update(m.rstrip("s") for m in re.findall(r"\b[A-Z][A-Z0-9]+s?\b", entry.plain))
    return frozenset(found)


_A_AN = re.compile(r"(?<![\w-])(a|an|A|An)\s+$")
_VOWEL_SOUND = re.compile(r"^(?:[aeioAEIO]|u(?!s|ni|se|ro)|[FHLMNRSX](?:[A-Z]|\b))")
# "term (explanation)": an explanation in lower-case words, not an abbreviation such as "(USPSTF)".
_EXPLAINED = re.compile(r"^(.*\S)\s+\(([a-z][^()]*)\)$")


def _explanation_sentence(head: str, explanation: str) -> str:
    """ "placebo", "a dummy treatment" -> "Placebo is a dummy treatment." """
    subject = head[0].upper() + head[1:]
    last = head.split()[-1]
    plural = last.endswith("s") and not last.endswith(("ss", "is", "us"))
    if plural:
        verb = "are"
    elif re.match(r"(?:a|an|the)\s", explanation):
        verb = "is"
    else:
        verb = "means"
    return f"{subject} {verb} {explanation}."


def _agree_article(before: str, word: str) -> str:
    """``before`` with a trailing "a"/"an" made to agree with ``word`` ("an adverse event" -> "a side effect")."""
    article = _A_AN.search(before, max(0, len(before) - 8))
    if article is None:
        return before
    wanted = "an" if _VOWEL_SOUND.match(word) else "a"
    found = article.group(1)
    if found.lower() == wanted:
        return before
    wanted = wanted.capitalize() if found[0].isupper() else wanted
    return before[: article.start(1)] + wanted + before[article.end(1) :]


_STARTS_SENTENCE = re.compile(r"(?:^|[.!?:;(\-\"'\u201c]\s*)$")


def _apply_glossary(text: str, explained: set[str], notes: list[str]) -> str:
    """Glossary terms replaced; a term that needs explaining gets a short sentence in ``notes`` (once)."""
    pattern, sensitive, insensitive = _glossary_index()
    out = ""
    last = 0
    for match in pattern.finditer(text):
        surface = match.group(0)
        entry = sensitive.get(surface) or insensitive.get(" ".join(surface.split()).lower())
        if entry is None or entry.plain == entry.term:
            continue
        before = text[max(0, match.start() - 3) : match.start()]
        if not entry.case_sensitive and surface[:1].isupper() and not _STARTS_SENTENCE.search(before):
            continue  # capitalised inside a sentence: part of a name ("American Academy of ... Adolescent ...")
        key = entry.term.lower()
        if entry.explains and key in explained:
            continue  # explained once already; the term alone reads fine now
        explained.add(key)
        plain = entry.plain
        if not entry.case_sensitive and surface[:1].isupper() and plain[:1].islower():
            plain = plain[0].upper() + plain[1:]
        # An explanation goes in its own short sentence after the bullet: long asides make long sentences.
        aside = _EXPLAINED.match(plain)
        if aside:
            plain = aside.group(1)
            notes.append(_explanation_sentence(plain, aside.group(2)))
        out = _agree_article(out + text[last : match.start()], plain) + plain
        last = match.end()
    return out + text[last:]


# Statistics written as asides. A number that carries the finding ("18% vs 33%") is never matched:
# only confidence intervals, P values, labelled effect estimates and +/- spreads are, and outside
# brackets only when they trail a clause after a comma or semicolon.
_NUM = r"[-\u2212\u2013]?\d+(?:[.\u00b7]\d+)?\s*%?"
_RANGE = rf"{_NUM}(?:\s*(?:to|-|\u2013|\u2014|,)\s*{_NUM})?"
_CI = (
    r"(?:\d{2}(?:\.\d)?\s*%\s*)?(?:CI|CrI|(?i:confidence interval|credible interval))\b\s*[:=,]?\s*(?:of\s+)?"
    + _RANGE
)
_P = r"\b[Pp]\s*(?:[- ]?value\s*)?(?:for\s+(?:trend|interaction)\s*)?[<=>\u2264\u2265]\s*0?\.\d+"
_EFFECT = (
    r"\b(?:a?ORs?|a?RRs?|a?HRs?|IRR|RD|ARR|RRR|SMD|WMD|MD|NNT|NNH|"
    r"(?i:odds ratio|risk ratio|relative risk|hazard ratio|incidence rate ratio|rate ratio|"
    r"standardi[sz]ed mean difference|weighted mean difference|mean difference|risk difference))"
    rf"\s*[,:=]?\s*{_NUM}"
)
# A sample size: how many people a study had, not what it found ("(n = 74)").
_SAMPLE = r"\b[nN]\s*=\s*\d[\d,]*(?!\s*%)(?!\.\d)"
_STAT_IN_GROUP = re.compile(rf"[,;]?\s*(?:{_CI}|{_EFFECT}|{_P}|{_SAMPLE})")
_STAT_ASIDE = re.compile(rf"[,;]\s*(?:{_CI}|{_EFFECT}|{_P}|{_SAMPLE})(?=[\s.,;]|$)")
# A trial's registration number, in brackets with nothing else a reader needs.
_REGISTRATION = re.compile(
    r"\s*[(\[][^()\[\]]*?\b(?:NCT\d{8}|ISRCTN\d{6,}|ChiCTR[-A-Z0-9]{6,}|ACTRN\d{10,}|DRKS\d{6,}|IRCT\d{6,}\w*|"
    r"UMIN\d{6,}|CTRI/\d{4}/\d+/\d+|EudraCT(?:\s+(?:number|no\.?))?\s*:?\s*\d{4}-\d{6}-\d{2})\b[^()\[\]]*[)\]]"
)
_SPREAD = re.compile(r"\s*\u00b1\s*\d+(?:\.\d+)?")
_CROSS_REFERENCE = re.compile(r"\s*[\[(]\s*see\s[^\[\]()]*(?:\([^()]*\)[^\[\]()]*)*[\])]", re.IGNORECASE)
_GROUP = re.compile(r"([(\[])([^()\[\]]*)([)\]])")
# What is left of an aside once its statistics are gone, when nothing of substance remains.
_LEFTOVER = re.compile(
    r"^(?:[\s,;:]|(?:and|or|for|between|within|groups?|respectively|both|all|the|vs\.?|comparisons?)\b)*$",
    re.IGNORECASE,
)
# Reference numbers printed after a sentence ("... obstruction.12", "... years.19,20 The").
_REFERENCE_MARK = re.compile(r"(?<=[A-Za-z)\]%])\.(\d{1,3}(?:[,\u2013-]\s?\d{1,3})*)(?=\s+[A-Z(]|\s*$)")
_GLUED_MARK = re.compile(r"(?<=[a-z]{4})\d{1,2}(?:[,\u2013-]\d{1,2})*(?=[\s,;.])")


def _clean_aside(body: str) -> str:
    """An aside's text without its statistics; "" when nothing else was in it."""
    kept: list[str] = []
    for segment in body.split(";"):
        stripped = _STAT_IN_GROUP.sub("", segment)
        if _LEFTOVER.match(stripped):
            continue
        kept.append(stripped)
    return re.sub(r"\s*,\s*(?=,|$)", "", ";".join(kept)).strip(" ,;:")


# "... axis (Design: Randomized clinical trial)." -> "... axis. Design: randomized clinical trial."
_DESIGN_ASIDE = re.compile(r"\s*\(\s*Design:\s*([^()]+?)\s*\)\s*(?=[.!?]?\s*$|[.!?]\s)")


def _design_sentence(text: str) -> str:
    """A trailing "(Design: ...)" aside about the whole sentence, as a sentence of its own."""
    return _DESIGN_ASIDE.sub(lambda m: f". Design: {m.group(1)[0].lower() + m.group(1)[1:]}", text)


def _strip_statistics(text: str) -> str:
    text = _CROSS_REFERENCE.sub("", text)
    text = _REGISTRATION.sub("", text)
    text = _SPREAD.sub("", text)
    # Innermost brackets first; a group kept is parked behind a placeholder so its parent becomes innermost.
    parked: list[str] = []

    def group(match: re.Match[str]) -> str:
        opening, body, closing = match.groups()
        body = body.replace("\x00", "")
        cleaned = _clean_aside(body) if _STAT_IN_GROUP.search(body) else body
        if not cleaned.strip() or _LEFTOVER.match(cleaned):
            return "\x00"  # the whole aside was statistics (or is now empty)
        parked.append(opening + cleaned + closing)
        return f"\x01{len(parked) - 1}\x02"

    previous = None
    while previous != text:
        previous = text
        text = _GROUP.sub(group, text)
    text = _STAT_ASIDE.sub("", text)
    text = re.sub(r"\s*\x00", "", text)
    while "\x01" in text:
        text = re.sub(r"\x01(\d+)\x02", lambda m: parked[int(m.group(1))], text)
    return text


_YEAR_MARK = re.compile(r"(?<=\b(?:19|20)\d\d)\.\d{1,2}(?:[,\u2013-]\d{1,2})*(?=\s+[A-Z])")
# "Prevention (CDC),12 latent": a closing bracket counts too; "1,000" never matches (no digit before).
_COMMA_MARK = re.compile(r"(?<=[a-z)]),\d{1,3}(?:[,\u2013-]\d{1,3})*(?=\s)")
# "[12]", "[3, 4]" after a word or a stop; "9 [8-13]" (a range after a number) is not a reference.
_BRACKET_MARK = re.compile(r"(?<=[A-Za-z.,;:)])\s?\[\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\]")


# "(Grade C);14 behavioral": a reference number glued to a semicolon after a word or bracket.
_SEMICOLON_MARK = re.compile(r"(?<=[a-z)]);\d{1,3}(?:(?:[,\u2013-]|,\s)\d{1,3})*(?=\s)")


def _strip_reference_marks(text: str) -> str:
    text = _BRACKET_MARK.sub("", text)
    text = _SEMICOLON_MARK.sub(";", text)
    text = _REFERENCE_MARK.sub(".", text)
    text = _YEAR_MARK.sub(".", text)
    text = _COMMA_MARK.sub(",", text)
    return _GLUED_MARK.sub("", text)


# A flattened leaflet list ("include - Colds - Flu - Sore throats If a virus ...") lost the stop
# after its last item; a capitalised sentence opener after a lower-case word there starts a sentence.
_LIST_ITEM = re.compile(r"\s[-\u2022]\s+(?=\S)")
_LIST_END = re.compile(
    r"(?<=[a-z)])\s+(?=(?:If|When|Treatment|Treatments|The|This|These|They|There|It|You|Your|Most|Many|Some|Talk|Ask|"
    r"Call|See|Also|But|Because|Children|People|Doctors?)\s)"
)


def _restore_list_end(text: str) -> str:
    """ "... - Sore throats, unless caused by strep If a virus ..." -> "... strep. If a virus ..." """
    items = list(_LIST_ITEM.finditer(text))
    if len(items) < 2:
        return text
    last = items[-1].end()
    end = _LIST_END.search(text, last)
    if end is None or re.search(r"[.!?]", text[last : end.start()]):
        return text
    return text[: end.start()] + "." + text[end.start() :]


_NO_CAPITAL = re.compile(r"^(?:mg|ml|mL|kg|g|mcg|p|vs|eGFR|pH|e\.g|i\.e)\b")


def _capitalise(sentence: str) -> str:
    match = re.match(r"^(\W*)([a-z])", sentence)
    if match is None or _NO_CAPITAL.match(sentence[match.start(2) :]):
        return sentence
    return sentence[: match.start(2)] + match.group(2).upper() + sentence[match.end(2) :]


# Joints where a long sentence can be cut without changing what it says.
_JOINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r";\s+however,\s+", re.IGNORECASE), ". \x04However, "),
    (re.compile(r",\s+however,\s+"), ". \x04However, "),
    (re.compile(r",\s+whereas\s+"), ". \x04By contrast, "),
    # "X, however the decrease was bigger" (no comma after "however"); not "however many", "however small".
    (
        re.compile(r",\s+however\s+(?!much|many|few|little|small|large|long|often|high|low|you|it\s+is\b)(?=[a-z])"),
        ". \x04However, ",
    ),
    # Not in enumerations: "(1) they are aged 40 to 75 years; (2) they have ...; and (3) ..."
    (re.compile(r";\s+(?!\(?\s*(?:\d{1,2}|[a-z]|[ivx]{1,4})\s*\)|and\s|or\s)(?=\S)"), ". \x04"),
)
_CLAUSE_JOINT = re.compile(r",\s+(and|but|so)\s+")
# A finite verb near the start of a clause tells an independent clause from a list item.
_FINITE = frozenset(
    {
        "is", "are", "was", "were", "has", "have", "had", "can", "could", "may", "might", "should", "will",
        "would", "must", "did", "does", "do", "apply", "applies", "remain", "remains", "need", "needs",
        "include", "includes", "show", "shows", "showed", "found", "find", "finds", "increase", "increases",
        "increased", "reduce", "reduces", "reduced", "lead", "leads", "led", "provide", "provides", "occur",
        "occurs", "appear", "appears", "appeared", "seem", "seems", "seemed", "became", "becomes", "concluded",
        "concludes", "suggest", "suggests", "recommend", "recommends", "got", "took", "tend", "tends", "helps", "works",
        "causes", "means", "began", "begins", "gave", "gives", "died",
        "vary", "varies", "differ", "differs", "differed", "believe", "believes", "think", "thinks", "serves",
    }
)
_NOT_SUBJECT = frozenset(
    {
        "of", "in", "for", "with", "to", "at", "by", "on", "from", "into", "during", "after", "before", "than",
        "as", "when", "while", "if", "because",
    }
)
_RELATIVE = frozenset({"that", "which", "who", "whose", "whom"})
_MIN_SIDE = 5


def _is_clause(words: list[str]) -> bool:
    """Does ``words`` read as a clause with its own subject and verb ("recommendations no longer apply")?"""
    if not words or words[0].lower() in _NOT_SUBJECT or words[0].lower().endswith("ing"):
        return False
    if words[0].lower() in _FINITE:
        return False  # "and may have reduced deaths": a verb with the subject of the clause before
    for i, word in enumerate(words[:7]):
        lowered = word.lower().strip("(),")
        if lowered in _RELATIVE:
            return False
        if i > 0 and lowered in _FINITE:
            return True
    return False


def _split_clauses(sentence: str) -> str:
    """ "X, and Y" -> "X. Y" where both X and Y are clauses of their own (never a list "A, B, and C")."""
    out: list[str] = []
    last = 0
    for match in _CLAUSE_JOINT.finditer(sentence):
        left = sentence[last : match.start()]
        segment = re.split(r"[,;:]\s+", left)[-1].split()
        right = re.split(r"[,;:.]\s+", sentence[match.end() :])[0].split()
        if len(left.split()) < _MIN_SIDE or len(right) < _MIN_SIDE - 2:
            continue
        if not (_is_clause(segment) and _is_clause(right)):
            continue
        if match.group(1) == "but" and "not only" in re.split(r"(?<=[.!?])\s+", left)[-1].lower():
            continue  # "Not only can X ..., but Y ...": one thought
        joint = {"and": ". \x04", "but": ". \x04But ", "so": ". \x04So "}[match.group(1)]
        out.append(left + joint)
        last = match.end()
    out.append(sentence[last:])
    return "".join(out)


# Joints that start a new sentence with words saying how it relates to the last one.
_LINKED_JOINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r",\s+including\s+"), ". \x04This includes "),
    (re.compile(r"(?<!\bnot)(?<!\bonly)(?<!\bpartly)(?<!\bpart)\s+because\s+(?!of\b)"), ". \x04This is because "),
    (re.compile(r",\s+although\s+"), ". \x04However, "),
    # A clause of contrast: "X, while older teens have Y" (never "while taking", "while in hospital").
    (re.compile(r",\s+while\s+"), ". \x04By contrast, "),
    # A participle saying what the whole clause means: "..., making it a possible alternative".
    (re.compile(r",\s+making\s+(?=(?:it|them|this)\s)"), ". \x04This makes "),
    (re.compile(r",\s+suggesting\s+"), ". \x04This suggests "),
    (re.compile(r",\s+indicating\s+"), ". \x04This shows "),
)
def _main_verb_follows(right: str) -> bool:
    """Does the sentence go on after an "including" list ("including A, B and C, also play a role")?

    Signs: a verb before any "who"/"which" clause of the list's own; a comma after the list's last
    item that does not open such a clause; ", and" with an -ing verb ("..., and providing ...").
    """
    tail = re.split(r",?\s+(?:and|or)\s+", right)[-1]
    for comma in re.finditer(r",\s+(\S+)", tail):
        if comma.group(1).lower() not in _RELATIVE | {"as", "such", "especially", "particularly"}:
            return True
    if re.search(r",\s+(?:and|or)\s+\w+ing\b", right):
        return True
    for word in right.split():
        lowered = word.lower().strip(",()")
        if lowered in _RELATIVE:
            return False
        if lowered in _FINITE:
            return True
    return False


def _in_listing(left: str, after: str) -> bool:
    """Is the joint inside a list whose items a semicolon separates ("A; B, including C; and D")?"""
    sentence = left + " " + re.split(r"(?<=[.!?])\s+(?=[A-Z(\x04])", after)[0]
    return re.search(r";\s+(?:and|or)\s", sentence) is not None


_NEEDS_CLAUSE = frozenset({". \x04By contrast, "})
_MIN_LEFT = 8


def _split_linked(text: str) -> str:
    """ "X, including Y" -> "X. This includes Y" (and "because", "although") when both sides are long."""
    for pattern, joint in _LINKED_JOINTS:
        out: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            left = re.split(r"(?<=\.)\s+", text[last : match.start()])[-1]
            right = re.split(r"[.;]\s+", text[match.end() :])[0]
            if len(left.split()) < _MIN_LEFT or len(right.split()) < _MIN_SIDE - 1:
                continue
            if joint in _NEEDS_CLAUSE and not _is_clause(re.split(r"[,;:]\s+", right)[0].split()):
                continue
            if _in_listing(left, text[match.end() :]):
                continue
            if "includes" in joint and _main_verb_follows(right):
                continue  # "the benefit of drugs, including X and Y, is large": the sentence goes on
            if "includes" in joint and re.search(r"[a-z]s$", left.rstrip()):
                joint = ". \x04These include "  # "several risk factors, including ..."
            out.append(text[last : match.start()] + joint)
            last = match.end()
        out.append(text[last:])
        text = "".join(out)
    return text


# Relative clauses that run to the end of their sentence: "X, which may include Y" -> "X. This may
# include Y"; "children, who are covered elsewhere" -> "children. They are covered elsewhere".
_RELATIVE_JOINT = re.compile(r",\s+(which|who)\s+")
_SINGULAR_VERBS = frozenset(
    {
        "is", "was", "has", "does", "means", "includes", "causes", "makes", "helps", "remains", "contains",
        "requires", "involves", "refers", "occurs", "leads", "allows", "depends", "corresponds", "affects",
        "explains", "shows", "gives", "works",
    }
)
_PLURAL_VERBS = frozenset(
    {
        "are", "were", "have", "do", "include", "cause", "make", "help", "remain", "contain", "require", "involve",
        "refer", "occur", "lead", "allow", "depend", "correspond", "affect", "explain", "show", "give", "work",
    }
)
_EITHER_VERBS = frozenset({"may", "might", "can", "could", "will", "would", "should", "must", "had", "did"})
# "the TODAY study, which assigned ..." -> "This study assigned ...": the noun says what "this" is.
_NAMED_ANTECEDENTS = frozenset({"study", "trial", "review", "recommendation", "guideline", "program", "programme"})


def _relative_verb(words: list[str]) -> str | None:
    """ "singular", "plural" or "either" for the verb that starts a relative clause; None if none does."""
    if words and words[0].endswith("ly") and len(words) > 1:
        words = words[1:]  # "which randomly assigned"
    if not words:
        return None
    word = words[0].lower()
    if word in _SINGULAR_VERBS:
        return "singular"
    if word in _PLURAL_VERBS:
        return "plural"
    if word in _EITHER_VERBS or (word.endswith("ed") and len(word) > 4 and word.isalpha()):
        return "either"
    return None


def _plural_noun(word: str) -> bool:
    word = word.lower()
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "ous"))


def _split_relative(text: str) -> str:
    """ ", which"/", who" clauses that end their sentence become sentences of their own.

    Only where the clause starts with its verb ("which may ...", "who are ..."), runs to the end of the
    sentence (its commas, if any, only those of a list "A, B, and C"), and the word it refers to is
    clear: a "which" after a coordination ("..., and latent infection, which is ...") stays.
    """
    out: list[str] = []
    last = 0
    for match in _RELATIVE_JOINT.finditer(text):
        left = re.split(r"(?<=[.!?])\s+", text[last : match.start()])[-1]
        right = re.split(r"(?<=[.!?])\s+(?=[A-Z(\x04])", text[match.end() :])[0]
        if len(left.split()) < _MIN_LEFT or len(right.split()) < 3 or _in_listing(left, right):
            continue
        commas = [m.end() for m in re.finditer(r",\s+", right)]
        if commas:
            after = [right[c:].split(None, 1)[0].lower() for c in commas]
            if len(commas) < 2 or after[-1] not in ("and", "or") or after[0] in ("and", "or", "but"):
                continue  # the main sentence goes on after the clause
        number = _relative_verb(right.split())
        if number is None:
            continue
        head = re.sub(r"\s*[(\[][^()\[\]]*[)\]]\s*$", "", left).split()
        antecedent = head[-1].strip("\x03)") if head else ""
        segment = re.split(r"[,;:]\s+", left)[-1].split()
        plural = number == "plural" or (number == "either" and _plural_noun(antecedent))
        if match.group(1) == "who":
            if not plural:
                continue  # "the patient, who ..." would need "he", "she" or "this person"
            subject = "They"
        elif plural:
            subject = "These"
        elif number == "singular" or not _plural_noun(antecedent):
            if any(w.lower() in ("and", "or") for w in segment):
                continue  # "A and B, which is ...": which one?
            subject = "This"
            if antecedent.lower() in _NAMED_ANTECEDENTS:
                subject = f"This {antecedent.lower()}"
        else:
            continue
        out.append(text[last : match.start()] + f". \x04{subject} ")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


# "when all of the following are met: (1) they are ...; (2) they have ...; and (3) ..." -> one
# sentence an item. The lead says whether all or any are needed, so the "and"/"or" can go.
_ENUMERATION = re.compile(r":\s+\(1\)\s+")
_ENUMERATION_ITEM = re.compile(r";\s+(?:and\s+|or\s+)?\((\d)\)\s+")


def _split_enumeration(text: str) -> str:
    start = _ENUMERATION.search(text)
    if start is None:
        return text
    lead = re.split(r"(?<=[.!?])\s+", text[: start.start()])[-1]
    if "the following" not in lead.lower():
        return text
    items = list(_ENUMERATION_ITEM.finditer(text, start.end()))
    if not items or [int(m.group(1)) for m in items] != list(range(2, len(items) + 2)):
        return text
    # Each item must read as a sentence ("they are aged 40 to 75 years"), not a noun phrase.
    bodies = [text[start.end() : items[0].start()]]
    bodies += [text[a.end() : b.start()] for a, b in pairwise(items)]
    bodies.append(re.split(r"(?<=[.!?])\s+", text[items[-1].end() :])[0])
    if not all(_is_clause(body.split()) for body in bodies):
        return text
    out = text[: start.start()] + ". (1) \x04"
    last = start.end()
    for item in items:
        out += text[last : item.start()] + f". ({item.group(1)}) \x04"
        last = item.end()
    return out + text[last:]


# "Although A, B." -> "A. But B." where A and B are clauses and A has no comma of its own.
_CONCESSION = re.compile(r"(?:(?<=^)|(?<=[.!?]\s)|(?<=\x04))(?:Although|Though|Even though)\s+([^,.;:]+),\s+")


def _split_concession(text: str) -> str:
    def split(match: re.Match[str]) -> str:
        concession = match.group(1)
        rest = re.split(r"[,;:.]\s+", text[match.end() :])[0].split()
        if len(concession.split()) < _MIN_SIDE or len(rest) < _MIN_SIDE - 1:
            return match.group(0)
        if not (_is_clause(concession.split()) and _is_clause(rest)):
            return match.group(0)
        return f"\x04{concession}. \x04But "

    return _CONCESSION.sub(split, text)


def _split_long(text: str) -> str:
    """Split at top-level semicolons, "however"/"whereas" and clause joints; brackets are never cut."""
    hidden: list[str] = []
    chars: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if depth and ch in ";,":
            hidden.append(ch)  # inside brackets: not a joint
            chars.append("\x03")
        else:
            chars.append(ch)
    result = _split_enumeration("".join(chars))
    # "A (n = 74); B (n = 76); or C": semicolons that separate list items are not joints.
    listing = re.search(r";\s+(?:and|or)\s", result) is not None
    for pattern, joint in _JOINTS:
        if not (listing and pattern.pattern.startswith(";")):
            result = pattern.sub(joint, result)
    result = _split_relative(_split_linked(_split_clauses(_split_concession(result))))
    # Only the starts this function made are capitalised ("e.g. cirrhosis" stays as written).
    result = re.sub(r"\x04(\S+)", lambda m: _capitalise(m.group(1)), result)
    restored = iter(hidden)
    return re.sub("\x03", lambda m: next(restored), result)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+([),.;:])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.,;:])", "", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\b([\w-]+(?: [\w-]+){0,3}) [(\[]\1[)\]]", r"\1", text)  # "PET scan (PET scan)"
    text = re.sub(r"\b(children|people|men|women)'(?!s)", r"\1's", text)  # "pediatric patients'" -> "children's"
    # Two words that became the same plain words: "latent TB infection or LTBI", "incidence, prevalence".
    text = re.sub(
        r"\b([A-Za-z][\w-]*(?: [\w-]+){1,4}) or \1(?=[,.;:)]|\s+(?:is|are|was|were|has|have|had|in|of|for|with|who|which|that|and|or|to|at|on|by|from|as)\b|$)",
        r"\1",
        text,
    )
    text = re.sub(r"\brate,? (?:and )?rates?\b", "rates", text)
    text = re.sub(r"\brate rate\b", "rate", text)
    text = re.sub(r"(^|[.!?]\s+)However,\s+", r"\1But ", text)  # a shorter word, the same link
    text = re.sub(r"\b(treatment|therapy) (treatments?)\b", r"\2", text)
    return _capitalise(text.strip())


class _PlainLanguage:
    """The patient rewrite of one article, applied to its texts in reading order."""

    def __init__(self, article: Article) -> None:
        self._abbreviations = _AbbreviationExpander(article, style="replace", keep=_glossary_abbreviations())
        self._explained: set[str] = set()

    def __call__(self, text: str) -> str:
        notes: list[str] = []
        text = _inline_grades(text, self._explained, notes)
        text = _strip_statistics(text)
        text = _design_sentence(_restore_list_end(_strip_reference_marks(text)))
        text = self._abbreviations.drop_definitions(text)
        text = _apply_glossary(text, self._explained, notes)
        text = self._abbreviations.expand(text, lambda long: _apply_glossary(long, self._explained, notes))
        text = _tidy(_split_long(text))
        if notes:
            text = (text if text.endswith((".", "!", "?")) else text + ".") + " " + " ".join(notes)
        return text

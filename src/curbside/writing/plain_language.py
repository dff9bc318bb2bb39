"""The patient view's plain language: grades in words, jargon replaced or explained from the curated
glossary (``vocabulary/data/plain_language.tsv``), statistical asides and reference marks removed (the
numbers that carry a finding stay), long sentences split, abbreviations written out.

Every rewrite is a deterministic regular-expression pass (no model).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from curbside.corpus.text import tokenize
from curbside.evidence.grading import USPSTF_GRADE_MEANINGS
from curbside.evidence.statistics import STATISTIC_AFTER_CLAUSE, STATISTIC_IN_BRACKETS
from curbside.vocabulary.lay_terms import glossary_rows
from curbside.writing.abbreviations import AbbreviationExpander, agree_article
from curbside.writing.article import Article, Bullet
from curbside.writing.sentence_splitting import capitalise, split_long
from curbside.writing.verification import POPULATION_WORDS, _names_population, quantities


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


def plain_strength(bullet: Bullet) -> str | None:
    code = _uspstf_code(bullet)
    if code is not None:
        return _PLAIN_STRENGTH[code]
    upper = (bullet.grade or "").strip().upper()
    if upper in ("EO", "GPP", "CBR"):
        return _PLAIN_STRENGTH[upper]
    return bullet.strength


def grade_sentence(bullet: Bullet) -> str:
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


@dataclass(frozen=True)
class GlossaryEntry:
    """One row of the glossary: a term and its plain wording."""

    term: str
    plain: str
    case_sensitive: bool
    explains: bool  # the plain wording keeps the term and explains it: do that on first use only


@lru_cache(maxsize=1)
def glossary() -> tuple[GlossaryEntry, ...]:
    """The curated glossary, ``vocabulary/data/plain_language.tsv`` (term, tab, plain wording): the one table of
    lay wording, which the claim verifier reads too (:mod:`curbside.vocabulary.lay_terms`)."""
    entries: dict[str, GlossaryEntry] = {}
    for term, plain in glossary_rows():
        case_sensitive = any(ch.isupper() for ch in term)
        explains = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", plain, 0 if case_sensitive else re.IGNORECASE)
        key = term if case_sensitive else term.lower()
        entries.setdefault(key, GlossaryEntry(term, plain, case_sensitive, bool(explains) and term.lower() != plain.lower()))
    return tuple(entries.values())


@lru_cache(maxsize=1)
def _glossary_index() -> tuple[re.Pattern[str], dict[str, GlossaryEntry], dict[str, GlossaryEntry]]:
    entries = sorted(glossary(), key=lambda e: (-len(e.term), e.term))

    def piece(entry: GlossaryEntry) -> str:
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
        out = agree_article(out + text[last : match.start()], plain) + plain
        last = match.end()
    return out + text[last:]


# Statistics written as asides (confidence intervals, P values, labelled effect estimates, sample
# sizes) are matched by curbside.evidence.statistics, +/- spreads by _SPREAD below; a number that
# carries the finding ("18% vs 33%") is never removed.
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
        stripped = STATISTIC_IN_BRACKETS.sub("", segment)
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
        cleaned = _clean_aside(body) if STATISTIC_IN_BRACKETS.search(body) else body
        if not cleaned.strip() or _LEFTOVER.match(cleaned):
            return "\x00"  # the whole aside was statistics (or is now empty)
        parked.append(opening + cleaned + closing)
        return f"\x01{len(parked) - 1}\x02"

    previous = None
    while previous != text:
        previous = text
        text = _GROUP.sub(group, text)
    text = STATISTIC_AFTER_CLAUSE.sub("", text)
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
    # "Also," and its kin link to a sentence of the source the reader may never see; the statement stands alone.
    text = re.sub(r"(^|[.!?]\s+)(?:Also|In addition|Additionally|Moreover|Furthermore),\s+(\S+)",
                  lambda m: m.group(1) + capitalise(m.group(2)), text)
    text = re.sub(r"\b(treatment|therapy) (treatments?)\b", r"\2", text)
    return capitalise(text.strip())


class PlainLanguage:
    """The patient rewrite of one article, applied to its texts in reading order."""

    def __init__(self, article: Article) -> None:
        self._abbreviations = AbbreviationExpander(article, style="replace", keep=_glossary_abbreviations())
        self._explained: set[str] = set()
        # Sentences this rewrite added from the glossary and the grade table (what a term or a grade means): they
        # come from the vocabulary, not from the source, so they are not checked against the source.
        self.notes: set[str] = set()

    def state(self) -> tuple[set[str], set[str], set[str]]:
        """What this rewrite remembers of the texts before (terms explained, notes, abbreviations written out)."""
        return set(self._explained), set(self.notes), set(self._abbreviations._introduced)

    def restore(self, state: tuple[set[str], set[str], set[str]]) -> None:
        """Forget a text rewritten since ``state`` (so it can be rewritten another way)."""
        self._explained, self.notes, self._abbreviations._introduced = (set(part) for part in state)

    def __call__(self, text: str, *, split: bool = True) -> str:
        """``text`` in plain words; ``split`` False keeps its sentences whole (a split that the check could not
        confirm: "A, and no B" cut in two leaves "A" checked against a sentence that says "no")."""
        notes: list[str] = []
        text = _inline_grades(text, self._explained, notes)
        text = _strip_statistics(text)
        text = _design_sentence(_restore_list_end(_strip_reference_marks(text)))
        text = self._abbreviations.drop_definitions(text)
        text = _apply_glossary(text, self._explained, notes)
        text = self._abbreviations.expand(text, lambda long: _apply_glossary(long, self._explained, notes))
        text = _tidy(split_long(text) if split else text)
        if notes:
            text = (text if text.endswith((".", "!", "?")) else text + ".") + " " + " ".join(notes)
            self.notes.update(notes)
        return text


# Words that deny: a plain wording may add one ("insufficient" -> "not enough"), never lose one.
NEGATION_WORDS = re.compile(r"\b(?:not|no|never|none|nor|neither|without|against|cannot)\b|n't\b", re.IGNORECASE)


def lost_facts(source: str, worded: str) -> list[str]:
    """What a plain wording of ``source`` dropped that the reader needs: a number that carries a finding
    (statistical asides and reference marks are dropped on purpose), a negation, or who the statement is about
    ("adults", "pregnant women"). The claim verifier checks that a wording says nothing its source does not; this
    checks the other way, that it leaves out nothing of what makes the statement true."""
    lost: list[str] = []
    wanted = Counter(q.value for q in quantities(_strip_reference_marks(_strip_statistics(source))))
    found = Counter(q.value for q in quantities(worded))
    lost += [f"the number {value:g}" for value in (wanted - found)]
    if len(NEGATION_WORDS.findall(worded)) < len(NEGATION_WORDS.findall(source)):
        lost.append("a negation")
    worded_words = set(tokenize(worded))
    lost += [f"who it is about ({word!r})" for word in dict.fromkeys(tokenize(source))
             if word in POPULATION_WORDS and not _names_population(word, worded_words)]
    return lost

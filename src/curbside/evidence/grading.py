"""Recommendation grades: find the grade a guideline statement carries and say what it means.

Grades are kept as the guideline wrote them (USPSTF letters, VA/DoD codes, "strong recommendation").
The words that explain them come from the USPSTF grade definitions or the guideline's own scheme.
"""

from __future__ import annotations

import re
from enum import StrEnum

from curbside.corpus.text import sentence_spans

USPSTF_GRADE_MEANINGS: dict[str, str] = {
    "A": "Grade A: recommended; high certainty that the net benefit is substantial",
    "B": "Grade B: recommended; high certainty of moderate net benefit, or moderate certainty of moderate to substantial benefit",
    "C": "Grade C: selectively offer based on individual circumstances; at least moderate certainty that the net benefit is small",
    "D": "Grade D: recommended against; moderate or high certainty of no net benefit or that harms outweigh benefits",
    "I": "I statement: evidence insufficient to assess the balance of benefits and harms",
}

OTHER_CODE_MEANINGS: dict[str, str] = {
    "EO": "Expert opinion",
    "GPP": "Good practice point",
    "CBR": "Consensus-based recommendation",
}

_BRACKET_CODE = re.compile(r"\[\s*(A|B|C|D|I|EO|GPP|CBR|[A-D][+-]?|[IV]{1,3}[ab]?)\s*\]")
_STATEMENT_CODE = re.compile(r"\(\s*([ABCDI])\s+(?:statement|recommendation)\s*\)", re.IGNORECASE)
_GRADE_WORD = re.compile(r"\b(?:Grade|grade)\s+([ABCDI])\b(?:\s+recommendation)?")
_LEVEL_CODE = re.compile(r"\(\s*Level\s+([A-D]|IV|I{1,3})\s*\)", re.IGNORECASE)  # "(Level C)"
_CODE_PATTERNS = (_BRACKET_CODE, _STATEMENT_CODE, _GRADE_WORD, _LEVEL_CODE)
_STRENGTH_PHRASE = re.compile(
    r"\b(strong|weak|conditional|moderate)\s+recommendation(?:[,;]\s*(high|moderate|low|very low)[- ]quality evidence)?",
    re.IGNORECASE,
)
_LABELLED = re.compile(
    r"(?:Strength of (?:Recommendation|Evidence)|Level of Evidence|Quality of Evidence|SOR|LOE)\s*[:=]\s*([A-Za-z0-9+\- ]{1,30})",
    re.IGNORECASE,
)


def extract_grade(sentence: str) -> str | None:
    """The grade or strength code written in a guideline sentence, if any."""
    for pattern in _CODE_PATTERNS:
        match = pattern.search(sentence)
        if match:
            return match.group(1).upper() if len(match.group(1)) <= 3 else match.group(1)
    match = _STRENGTH_PHRASE.search(sentence)
    if match:
        return match.group(0).strip()
    match = _LABELLED.search(sentence)
    if match:
        return match.group(1).strip().rstrip(".,;")
    return None


# A grade standing alone on its line: "( B recommendation )", "[EO]", "Grade B", "Strength of Recommendation: A".
_GRADE_LINE = re.compile(
    r"^\s*[(\[]?\s*(?:[ABCDI]\s+(?:statement|recommendation)|(?:grade|level)\s+[A-DI][+-]?|[A-D][+-]?|I|EO|GPP|CBR|"
    r"(?:strength\s+of\s+(?:recommendation|evidence)|level\s+of\s+evidence|quality\s+of\s+evidence)\s*[:=]?\s*"
    r"[\w+ -]{1,30})\s*[)\]]?\s*[.;]?\s*$",
    re.IGNORECASE,
)
# A sentence that reports an earlier statement's grade: "In 2016, the USPSTF ... (I statement)", "This recommendation
# is an update of the USPSTF 2011 recommendation, in which ... (B recommendation)". Its grade is not the current one,
# unless it says the grade still holds ("As it did in 2016, the USPSTF continues to conclude ... (C recommendation)").
_EARLIER_STATEMENT = re.compile(
    r"\b(?:previous|prior|earlier)\s+(?:\w+\s+){0,2}?(?:recommendations?|statements?|guidelines?|versions?)\b"
    r"|\bpreviously\b|\breplace[sd]?\s+the\b|\bupdate\s+of\b|\bupdates\s+(?:its|the)\b|\bconcurs\s+with\b"
    r"|\bat\s+that\s+time\b|\bin\s+(?:19|20)\d\d\b|\b(?:19|20)\d\d\s+(?:USPSTF\s+|final\s+)?recommendation",
    re.IGNORECASE,
)
_STILL_CURRENT = re.compile(r"\b(?:continues?\s+to|still|remains?|reaffirm\w*)\b", re.IGNORECASE)


def is_grade_line(text: str) -> bool:
    """Whether ``text`` is a grade code standing alone ("( B recommendation )", "[EO]", "Grade B")."""
    return bool(_GRADE_LINE.match(text))


def stated_grades(text: str) -> list[str]:
    """Every grade code ``text`` writes (bracket codes, "(B recommendation)", "Grade B", "(Level C)"), in order, as
    :func:`extract_grade` reads them; strength phrases and labelled levels count once each."""
    lowered = text.lower()
    # Each pattern needs a word or mark that a substring test finds faster than the pattern (hot on the answer path).
    needs = ("[" in text, "statement" in lowered or "recommendation" in lowered, "grade" in lowered,
             "level" in lowered)
    found: list[tuple[int, str]] = []
    for pattern, needed in zip(_CODE_PATTERNS, needs, strict=True):
        if needed:
            found += [(m.start(), m.group(1).upper() if len(m.group(1)) <= 3 else m.group(1))
                      for m in pattern.finditer(text)]
    if not found:
        if "recommendation" in lowered:
            found += [(m.start(), m.group(0).strip()) for m in _STRENGTH_PHRASE.finditer(text)]
        if ":" in text or "=" in text:
            found += [(m.start(), m.group(1).strip().rstrip(".,;")) for m in _LABELLED.finditer(text)]
    return [code for _, code in sorted(found)]


def _line_grade(text: str, start: int, end: int) -> str | None:
    """The grade of the statement the sentence at ``text[start:end]`` belongs to, where a grade line closes it:
    NGC summaries write a statement as one line (one or more sentences) ended by its grade ("... ( C recommendation
    )", "... [B]") or followed by a line holding only the grade. None when the line states no grade, or two."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    codes = set(stated_grades(line))
    if codes:
        spans = sentence_spans(line)
        if len(codes) == 1 and spans and is_grade_line(line[spans[-1][0] : spans[-1][1]]):
            return codes.pop()
        return None
    following = text[line_end:].lstrip("\n").split("\n", 1)[0]
    if following and is_grade_line(following):
        next_codes = set(stated_grades(following))
        if len(next_codes) == 1:
            return next_codes.pop()
    return None


def sentence_grade(
    sentence: str, passage_text: str, passage_grade: str | None, *, start: int | None = None
) -> str | None:
    """The grade badge a guideline sentence may carry: the grade the sentence itself states, never another one.

    - A sentence that states one grade carries it, unless it reports an earlier statement's grade ("In 2016, the
      USPSTF ... (I statement)"): then it carries none. A sentence that states two different grades carries none.
    - A sentence that states none carries the grade line that closes its statement: NGC summaries write a
      statement as one line ended by its grade ("The USPSTF recommends ... ( C recommendation )", "... [B]"), or
      followed by a line holding only the grade.
    - Else it carries the passage's grade (a USPSTF specific recommendation's) only when the passage is a single
      graded statement: its text states no grade other than that one.

    ``start`` is the sentence's offset in ``passage_text`` (found by search when not given).
    """
    own = set(stated_grades(sentence))
    if own:
        earlier = _EARLIER_STATEMENT.search(sentence) and not _STILL_CURRENT.search(sentence)
        return None if len(own) > 1 or earlier else own.pop()
    at = passage_text.find(sentence) if start is None else start
    if at >= 0:
        line_grade = _line_grade(passage_text, at, at + len(sentence))
        if line_grade is not None:
            return line_grade
    if passage_grade and all(_part_of(code, passage_grade) for code in stated_grades(passage_text)):
        return passage_grade
    return None


def _part_of(code: str, grade: str) -> bool:
    """Whether a stated code is the grade or a whole-word part of it: a user's guideline statement graded
    "Conditional recommendation; low certainty" states "Conditional recommendation" in its text."""
    return code.upper() == grade.upper() or re.search(rf"(?<!\w){re.escape(code)}(?!\w)", grade, re.IGNORECASE) is not None


def grade_meaning(grade: str | None, *, organization: str | None = None, scheme: str | None = None) -> str | None:
    """Words for a grade: USPSTF letters are defined; other codes are explained where we know them."""
    if not grade:
        return None
    code = grade.strip()
    upper = code.upper()
    uses_uspstf = (organization or "").lower().find("preventive services task force") >= 0 or (
        scheme is not None and "USPSTF" in scheme
    )
    if upper in USPSTF_GRADE_MEANINGS and (uses_uspstf or scheme is None):
        return USPSTF_GRADE_MEANINGS[upper]
    if upper in OTHER_CODE_MEANINGS:
        return OTHER_CODE_MEANINGS[upper]
    if upper in USPSTF_GRADE_MEANINGS:
        return f"Grade {upper} (as defined in the guideline's rating scheme)"
    if "recommendation" in code.lower() or "evidence" in code.lower():
        return code[0].upper() + code[1:]
    return f"Graded {code} (see the guideline's rating scheme)"


# --- certainty: one scale for every bullet ---------------------------------------------------------------


class Certainty(StrEnum):
    """The certainty of the evidence on one scale, GRADE-style words (:func:`certainty_of`).

    It comes from the guideline's own grade where the statement has one. USPSTF A is high; B, C and D are
    moderate; I is low. In other schemes, letter levels A-D and Roman levels I-IV map in order.
    "low-quality evidence" and similar phrases are taken as written; weak or conditional recommendations
    are low; expert opinion (EO, GPP) is very low. Without a grade it comes from the kind of source: a
    systematic review is high; a randomized trial, a drug label or an ungraded guideline is moderate; an
    observational study is low; a case report, narrative review or patient information is very low.
    """

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very_low"


CERTAINTY_LEVELS: tuple[str, ...] = tuple(Certainty)
CERTAINTY_LABELS: dict[str, str] = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}

# What a source is worth on its own, before any grade (a single trial or a label is not a body of evidence).
_DOC_TYPE_CERTAINTY: dict[str, Certainty] = {
    "systematic_review": Certainty.HIGH,
    "rct": Certainty.MODERATE,
    "drug_label": Certainty.MODERATE,
    "guideline": Certainty.MODERATE,
    "observational": Certainty.LOW,
    "case_report": Certainty.VERY_LOW,
    "narrative_review": Certainty.VERY_LOW,
    "patient_information": Certainty.VERY_LOW,
}
_QUALITY_WORDS = re.compile(r"\b(high|moderate|low|very low)[- ](?:quality|certainty)\b", re.IGNORECASE)
_LEVEL_OF_EVIDENCE = re.compile(r"\blevel of evidence\s*:?\s*([ABC])\b", re.IGNORECASE)
_ROMAN_LEVEL = re.compile(r"^(I{1,3}|IV)([ab]?)$", re.IGNORECASE)


def certainty_of(doc_type: str, grade: str | None = None, *, organization: str | None = None) -> Certainty:
    """The certainty of a bullet's evidence on one scale, from the guideline's grade when it has one, else
    from the document type (the rules are :class:`Certainty`'s)."""
    if grade and doc_type == "guideline":
        code = grade.strip()
        quality = _QUALITY_WORDS.search(code)
        if quality:
            return Certainty(quality.group(1).lower().replace(" ", "_"))
        level_of_evidence = _LEVEL_OF_EVIDENCE.search(code)
        if level_of_evidence:  # ACC/AHA "Class IIa; Level of Evidence B-R": the level is the certainty
            return {"A": Certainty.HIGH, "B": Certainty.MODERATE, "C": Certainty.LOW}[level_of_evidence.group(1).upper()]
        upper = code.upper()
        if upper in ("EO", "GPP", "CBR"):
            return Certainty.VERY_LOW  # expert opinion or consensus, not evidence
        if "preventive services task force" in (organization or "").lower() and upper in USPSTF_GRADE_MEANINGS:
            # USPSTF grades state their certainty: A high; B, C and D moderate or higher; I insufficient.
            return {"A": Certainty.HIGH, "B": Certainty.MODERATE, "C": Certainty.MODERATE, "D": Certainty.MODERATE,
                    "I": Certainty.LOW}[upper]
        letter = upper.rstrip("+-")
        if letter in ("A", "B", "C", "D"):  # letter levels of evidence in most other schemes
            return {"A": Certainty.HIGH, "B": Certainty.MODERATE, "C": Certainty.LOW, "D": Certainty.VERY_LOW}[letter]
        roman = _ROMAN_LEVEL.match(code)
        if roman:
            return {"I": Certainty.HIGH, "II": Certainty.MODERATE, "III": Certainty.LOW, "IV": Certainty.VERY_LOW}[
                roman.group(1).upper()]
        lowered = code.lower()
        if lowered.startswith(("weak", "conditional")):
            return Certainty.LOW
    return _DOC_TYPE_CERTAINTY.get(doc_type, Certainty.LOW)

"""Recommendation grades: find the grade a guideline statement carries and say what it means.

Grades are kept as the guideline wrote them (USPSTF letters, VA/DoD codes, "strong recommendation").
The words that explain them come from the USPSTF grade definitions or the guideline's own scheme.
"""

from __future__ import annotations

import re

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
    for pattern in (_BRACKET_CODE, _STATEMENT_CODE, _GRADE_WORD):
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

"""Ages as they are written: a patient's age in a question ("a 45-year-old", "62 yo F", "aged 7"), an age
of 90 or more that de-identification generalises, and a population's age range in a statement
("aged 18 to 65 years", "65 years or older"). Every age pattern of the project is here, one set; the
readers (understanding.story, understanding.phi, evidence.selection) keep only what they do with a match.

Public API
----------
``AGE_UNITS``
    A regex group of the units an age is given in ("years", "yrs", "y", "months", "mos", "weeks", "days").
``AGE_TOKEN``
    A keyword token that is an age ("45-year-old", "62yo", "3f"): never a search keyword.
``AGE_PATTERNS``, ``AGE_GUARDS``
    A patient's age, group 1 the number (pattern 0: group 2 the unit; pattern 4, "62F": group 2 the sex
    letter), with a cheap test each that must pass before the pattern is tried.
``person_age_patterns(person)``, ``PERSON_AGE_GUARDS``
    "patient, 45, with ..." and "my mother is 82": the age after a person word (``person`` a regex alternation).
``AGE_LETTER``
    The sex letter right after an age ("62 yo F", "45-year-old, M").
``FEVER_BEFORE``
    A temperature word before "101F": then the "F" is Fahrenheit, not a sex.
``OLD_AGE``, ``OLD_AGE_NOUN``
    An age of 90 to 119 ("93-year-old", "age 95", "92 yo"), and one before a person noun ("a 93-year-old man").
``AGE_RANGE``, ``AGE_MIN``, ``AGE_MAX``, ``AGE_AT_LEAST``
    A population's age range (groups: low, high), lower bound ("65 years or older", "older than 65") and
    upper bound ("younger than 18", "17 years or younger"): group 1 or 2 holds the number; a bound written
    with a sign ("aged ≥18 years", ">18 years old"): group 1.
"""

from __future__ import annotations

import re

# Shared pieces, each written once: an age's number, the words for years, every unit an age is given in,
# and the abbreviations of "years old".
_AGE = r"\d{1,3}"
_YEARS = r"years?|yrs?"
_UNIT_WORDS = rf"{_YEARS}|y|months?|mos?|weeks?|wks?|days?"
_YEARS_OLD = r"y/o|y\.o\.?|yo"

AGE_UNITS = rf"({_UNIT_WORDS})"

AGE_TOKEN = re.compile(rf"^{_AGE}(?:-(?:{_UNIT_WORDS}))?(?:-old)?$|^{_AGE}(?:yo|y|f|m|yrs?)$")

AGE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b({_AGE})\s*-?\s*{AGE_UNITS}\s*-?\s*old\b", re.I),
    re.compile(rf"\b({_AGE})\s*(?:{_YEARS_OLD}|yr\.?\s*old|yrs?\.?\s*old)(?![a-z])", re.I),
    re.compile(rf"\b({_AGE})\s*(?:{_YEARS})\s+of\s+age\b", re.I),
    re.compile(rf"\b(?:aged?|age:)\s*({_AGE})\b(?!\s*(?:%|mg|kg|months?|weeks?|days?|-))", re.I),
    re.compile(rf"(?<![\w.])({_AGE})\s?([MF])(?![\w'])"),
)
# Cheap tests that must pass before the slower age patterns are tried (same order as AGE_PATTERNS).
AGE_GUARDS: tuple[re.Pattern[str], ...] = (
    re.compile(r"old\b", re.I),
    re.compile(r"\d\s*y", re.I),
    re.compile(r"of\s+age\b", re.I),
    re.compile(r"\bage", re.I),
    re.compile(r"\d\s?[MF]"),
)


def person_age_patterns(person: str) -> tuple[re.Pattern[str], ...]:
    """ "patient, 45, with ..." and "my mother is 82" for the person words ``person`` (a regex alternation)."""
    return (
        re.compile(
            rf"\b(?:{person})\s*,\s*({_AGE})\s*(?=,|\.|;|\)|$|\s+(?:with|who|has|had|is|was|presents?|presenting|and)\b)",
            re.I,
        ),
        re.compile(
            rf"\b(?:{person})\s+(?:is|was|turned|turns)\s+(?:now\s+)?({_AGE})\b(?!\s*(?:%|mg|kg|lbs?|pounds|cm|kilos?|units?|weeks?|days?|months?|hours?|\.\d))",
            re.I,
        ),
    )


PERSON_AGE_GUARDS: tuple[re.Pattern[str], ...] = (
    re.compile(r",\s*\d"),
    re.compile(r"\b(?:is|was|turned|turns)\s+(?:now\s+)?\d", re.I),
)
FEVER_BEFORE = re.compile(r"(?:temp|temperature|fever|febrile|t\s*max|tmax)\W*\w*\W*$", re.I)
AGE_LETTER = re.compile(rf"(?:\d\s*(?:{_YEARS_OLD})|(?:{_YEARS})[- ]old)\s*,?\s*([MF])\b")

# --- ages of 90 or more (HIPAA Safe Harbor generalises them) ---------------------------------------
_OLD = r"(?:9\d|1[01]\d)"  # 90 to 119
_OLD_PERSON = (
    r"(?:man|woman|male|female|patient|person|lady|gentleman|veteran|widow|widower|resident|retiree|"
    r"boy|girl|adult|individual|nursing\s+home\s+resident)"
)
OLD_AGE_NOUN = re.compile(rf"\b([Aa]n?)\s{{1,3}}{_OLD}[-\s]?(?:{_YEARS}|y)[-\s]?old\s{{1,3}}({_OLD_PERSON})\b")
OLD_AGE = re.compile(
    rf"\b{_OLD}[-\s]?(?:{_YEARS})[-\s]old\b|\b{_OLD}\s?(?:yo|y/o|y\.o\.)(?![\w/])"
    rf"|\b(?:aged|age|age:)\s{{1,3}}{_OLD}\b(?!\s{{0,3}}(?:\+|or\s+(?:older|over|more)|and\s+(?:older|over)|to\b|-|years?\s+(?:or|and)\s))"
    rf"|\b{_OLD}\s{{1,3}}years?\s+(?:old|of\s+age)\b",
    re.IGNORECASE,
)

# --- a population's ages ---------------------------------------------------------------------------
AGE_RANGE = re.compile(rf"\b(?:aged?|ages)?\s*({_AGE})\s*(?:to|-|\u2013|through)\s*({_AGE})\s*years?", re.IGNORECASE)
AGE_MIN = re.compile(rf"\b(?:({_AGE})\s*years?(?:\s*of age)?\s*(?:or|and)\s*older|older than\s*({_AGE}))", re.IGNORECASE)
AGE_MAX = re.compile(rf"\b(?:younger than\s*({_AGE})|({_AGE})\s*years?\s*(?:or|and)\s*younger)", re.IGNORECASE)
AGE_AT_LEAST = re.compile(rf"(?:\u2265|>=|>)\s*({_AGE})\s*(?:years?|yrs?)\b", re.IGNORECASE)

"""Scrub protected health information (PHI) from a question before it is saved, published or sent out.

Curbside questions are clinical questions, sometimes with a patient story. Before an article is saved
or published, and before any text leaves the machine, identifiers are replaced by bracketed
placeholders, following the HIPAA Safe Harbor list: names, dates more specific than a year, medical
record and other ID numbers, phone numbers, email, web and IP addresses, street addresses and ZIP
codes. Ages over 89 become "90 or older" (Safe Harbor pools them).

Clinical content must survive intact: doses ("1000 mg", "2 g/kg"), schedules and durations
("day 0 and 14", "every 24 weeks", "since 2019", "q6 months"), lab values, grades, brand names and
eponymous diseases ("Crohn disease", "Sjögren syndrome"). So names are found only after a cue (a
title such as "Dr." or "Mrs.", "patient ..." or "pt ...", "named ...", "my mother ...", "..., a
45-year-old") or by position (two or three capitalised words opening a sentence before a clinical verb,
"Jane Doe has ...", unless a word is a disease, drug or heading word), never by guessing that a lone
capitalised word is a name; dates need a month name or a full day-month-year.

Every pattern is a regular expression without nested unbounded repetition, so scrubbing stays fast on
long or hostile input; the result is deterministic. A finding records where the identifier was in the
original text, never the identifier itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from curbside.vocabulary.person_names import census_given_names, census_surnames, english_words, known_words, name_exceptions
from curbside.vocabulary.ages import OLD_AGE, OLD_AGE_NOUN


@dataclass(frozen=True)
class PhiFinding:
    """One identifier found: its kind and its span in the ORIGINAL text (the value is never kept)."""

    kind: str
    start: int
    end: int


# kind -> (placeholder, singular, plural) for the summary; order is the order of the summary.
_KINDS: dict[str, tuple[str, str, str]] = {
    "name": ("[name]", "name", "names"),
    "date": ("[date]", "date", "dates"),
    "mrn": ("[MRN]", "medical record number", "medical record numbers"),
    "id": ("[ID]", "ID number", "ID numbers"),
    "phone": ("[phone]", "phone number", "phone numbers"),
    "email": ("[email]", "email address", "email addresses"),
    "address": ("[address]", "street address", "street addresses"),
    "zip": ("[ZIP]", "ZIP code", "ZIP codes"),
    "url": ("[URL]", "web address", "web addresses"),
    "ip": ("[IP]", "IP address", "IP addresses"),
    "age": ("", "age over 89", "ages over 89"),
}


@dataclass(frozen=True)
class ScrubResult:
    text: str
    findings: tuple[PhiFinding, ...]

    def summary(self) -> str:
        """What was removed, in words: "Removed 1 name and 2 dates." ("" when nothing was)."""
        counts = Counter(f.kind for f in self.findings)
        parts = [
            f"{counts[kind]} {single if counts[kind] == 1 else plural}"
            for kind, (_, single, plural) in _KINDS.items()
            if kind != "age" and counts[kind]
        ]
        sentences: list[str] = []
        if parts:
            sentences.append(f"Removed {_join(parts)}.")
        if counts["age"]:
            n = counts["age"]
            sentences.append(f"Wrote {n} {'age' if n == 1 else 'ages'} over 89 as 90 or older.")
        return " ".join(sentences)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class _Span:
    kind: str
    start: int
    end: int
    replacement: str


# --- patterns --------------------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
    r"Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]{1,2000}", re.IGNORECASE)
_IP = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.]\d)")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
# A label, then the value: "MRN: 12345678", "SSN 123456789", "member ID AB-1234".
_MRN = re.compile(
    r"\b(?:MRN|MR#|medical\s+record(?:\s+(?:number|no\.?|#))?|chart\s+(?:number|no\.?|#)|record\s+(?:number|#))"
    r"\s{0,3}(?:is\s+|[:#=]\s{0,3})?(?:no\.?\s{0,3})?([A-Z]{0,4}-?\d[\dA-Z-]{2,19})\b",
    re.IGNORECASE,
)
_ID = re.compile(
    r"\b(?:SSN|social\s+security(?:\s+(?:number|no\.?|#))?|(?:account|acct|insurance|member|policy|subscriber|"
    r"group|medicare|medicaid|beneficiary|health\s+plan|claim|case|license|licence|certificate|passport|"
    r"patient|pt|device|serial)\s{0,3}(?:id|number|no\.?|#)|ID\s{0,3}(?:number|no\.?|#)?)"
    r"\s{0,3}(?:is\s+|[:#=]\s{0,3})?([A-Z]{0,4}-?\d[\dA-Z-]{2,19})\b",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"(?<![\w.,/-])(?<!PMID )(?<!PMID: )\d{8,}(?![\w.,/-]\d)")
_PHONE = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w/-])"
    # UK mobiles ("07700 900123", "+44 7700 900123") and other numbers written with a country code
    r"|(?<![\w+])(?:\+44\s?7\d{3}|07\d{3})\s?\d{3}\s?\d{3}(?![\w/-])"
    # (at least 8 digits: "+33 1 42 68 53 00", "+49 30 1234567", "+44 (0)161 496 0123")
    r"|(?<![\w+])\+(?=(?:[\s.()-]{0,2}\d){8})\d{1,3}(?:\s?\(0\))?(?:[\s.-]?\d{1,5}){2,6}(?![\w/-])"
    # UK and other national numbers with a trunk 0, in their usual groupings: "0161 496 0123", "(0161) 496 0123",
    # "020 7946 0958", "01632 960123" (a leading 0 and groups: no dose, count or lab value is written so)
    r"|(?<![\w+/.-])(?:\(0\d{3}\)|0\d{3})[\s-]?\d{3}[\s-]?\d{4}(?![\w/-]|[.,]\d)"
    r"|(?<![\w+/.-])(?:\(0\d{2}\)|0\d{2})[\s-]?\d{4}[\s-]?\d{4}(?![\w/-]|[.,]\d)"
    r"|(?<![\w+/.-])(?:\(0\d{4}\)|0\d{4})[\s-]?\d{5,6}(?![\w/-]|[.,]\d)"
    r"|\b(?:phone|tel|telephone|cell|mobile|fax|pager)\s{0,3}(?:number|no\.?|#)?\s{0,3}[:#]?\s{0,3}(\d{7,11})\b",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl)"
)
_STATE = (
    r"(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
    r"NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}(?:\s[NSEW]\.?)?(?:\s[A-Z][a-z]{{1,20}}|\s\d{{1,3}}(?:st|nd|rd|th)){{1,3}}\s{_STREET_SUFFIX}\b\.?"
    rf"(?:,?\s(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s?[A-Za-z0-9-]{{1,6}})?"
    rf"(?:,\s[A-Z][a-z]{{1,20}}(?:\s[A-Z][a-z]{{1,20}})?(?:,?\s{_STATE})?(?:\s\d{{5}}(?:-\d{{4}})?)?)?"
    r"|\bP\.?\s?O\.?\s?Box\s\d{1,6}\b",
)
_ZIP = re.compile(
    rf"\b(?:zip|zip\s+code|zipcode|postal\s+code)\s{{0,3}}(?:is\s+|:\s{{0,3}})?(\d{{5}}(?:-\d{{4}})?)\b"
    rf"|(?<=\b{_STATE}\s)(\d{{5}}(?:-\d{{4}})?)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    # 03/14/2025, 3/14/25, 14/03/2025; with dashes or dots only with a four-digit year.
    rf"(?<![\w/.-])(?:\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})|\d{{1,2}}([.-])\d{{1,2}}\1{_YEAR})(?![\w/-]|\.\d)"
    # 2025-03-14, 2025/03/14
    rf"|(?<![\w/.-]){_YEAR}([-/.])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)"
    # March 14, 2025; March 14th; Mar. 14 2025; March 2025. "May" is also a verb ("May 2 doses be
    # given?"), so May with a day must end there or run on into a year.
    rf"|\b(?!May\b){_MONTH}(?!\w)\s{{1,3}}{_DAY}\b(?:,?\s{{1,3}}{_YEAR}\b)?"
    rf"|\bMay\s{{1,3}}{_DAY}(?:(?=\s{{0,3}}(?:[,.;:)?!]|$))|,?\s{{1,3}}{_YEAR}\b)"
    rf"|\b{_MONTH}(?!\w)\s{{1,3}}(?:of\s{{1,3}})?{_YEAR}\b"
    # 14 March 2025; 14th of March
    rf"|\b{_DAY}\s{{1,3}}(?:of\s{{1,3}})?{_MONTH}(?!\w)(?:,?\s{{1,3}}{_YEAR}\b)?"
)
# "on 3/14", "DOB 3/14": a month and day without a year, only after a cue (else "1/2 tablet" would go).
_SHORT_DATE = re.compile(
    r"\b(?:on|since|from|until|dob|born|admitted|discharged|seen|visit|dated)\s{1,3}(?:on\s)?"
    r"((?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\d/])",
    re.IGNORECASE,
)

# Names need a cue. A capitalised word after the cue, then at most two more, not a common word.
# Letters of Latin scripts beyond ASCII too ("Çelik", "Yıldız", "Zsófia"); Latin Extended-A mixes cases, so
# it counts as lower case after the first letter.
_UPPER = r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f]"
_LOWER = r"[a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f]"
_NAME_WORD = (
    rf"{_UPPER}(?:{_LOWER}{{1,20}}|['\u2019]{_UPPER}{_LOWER}{{1,20}})(?:{_UPPER}{_LOWER}{{1,20}})?"
    rf"(?:-{_UPPER}?{_LOWER}{{1,20}}|['\u2019]{_UPPER}{_LOWER}{{1,20}})?"
)
_INITIAL = r"[A-Z]\.\s?"
_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?\s{{1,3}}((?:{_INITIAL}){{0,2}}{_NAME_WORD}(?:\s{_NAME_WORD})?)|\bMiss\s({_NAME_WORD}(?:\s{_NAME_WORD})?)")
_NAMED = re.compile(
    rf"\b(?i:named|name\s+is|name's|name:|patient:|pt:)\s{{1,3}}"
    rf"({_NAME_WORD}(?:\s(?:{_INITIAL})?{_NAME_WORD}){{0,2}})"
)
_RELATIVE = (
    r"(?:mother|father|mom|mum|dad|son|daughter|wife|husband|partner|brother|sister|grandmother|grandfather|"
    r"grandma|grandpa|grandson|granddaughter|aunt|uncle|niece|nephew|cousin|friend|child|baby|boyfriend|"
    r"girlfriend|fianc[eé]e?|stepson|stepdaughter|patient|client|neighbo(?:u)?r)"
)
_RELATIVE_NAME = re.compile(
    rf"\b(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[Tt]heir)\s{{1,3}}{_RELATIVE}(?:-in-law)?,?\s{{1,3}}({_NAME_WORD}(?:\s{_NAME_WORD}){{0,2}})"
)
# "Jane Doe, a 45-year-old ..." or "Jane is a 45-year-old ...": a comma or "is" is required, so a
# question such as "Should a 55-year-old woman ..." or "For a 70-year-old ..." names no one.
_NAME_BEFORE_AGE = re.compile(
    rf"\b({_NAME_WORD}(?:\s(?:{_INITIAL})?{_NAME_WORD}){{0,2}})(?:,\s{{1,3}}|\s{{1,3}}is\s{{1,3}})(?:an?\s{{1,3}})?"
    r"\d{1,3}[-\s]?(?:years?|yrs?|months?|y)[-\s]?old\b"
)
# "Patient John Smith", "pt. Okafor": a name right after the word patient (any case), without "named".
_PATIENT_NAME = re.compile(
    rf"\b(?i:patient|pt)\.?\s{{1,3}}({_NAME_WORD}(?:\s(?:{_INITIAL})?{_NAME_WORD}){{0,2}})"
)
# By position: two or three capitalised words opening a sentence, then a clinical verb ("Jane Doe has
# lupus nephritis", "... . John Smith reports fever"). Eponyms are kept by the word lists below ("Parkinson
# Disease is", "Hashimoto Thyroiditis is"); a single capitalised word ("Parkinson was ...") never counts.
_CLINICAL_VERB = (
    r"(?:has|had|have|is|was|presents|presented|presenting|reports|reported|complains|complained|developed|"
    r"develops|underwent|received|receives|takes|took|suffers|suffered|denies|denied|notes|noted|started|"
    r"began|remains|remained|continues|continued|came|comes|returned|returns|describes|described|"
    r"experienced|experiences|declined|refused|needs|needed|tested|was\s+diagnosed|got|gets|with|who)"
)
_NAME_OPENING = re.compile(
    rf"(?:^|(?<=[.!?])\s{{1,3}}|(?<=\n))({_NAME_WORD}(?:\s(?:{_INITIAL})?{_NAME_WORD}){{1,2}})\s{{1,3}}{_CLINICAL_VERB}\b",
    re.MULTILINE,
)
# Words that make a capitalised opening a disease, a drug, a payer or a heading rather than a name.
_MEDICAL_SUFFIX = re.compile(
    r"(?:itis|osis|emia|aemia|oma|pathy|plasia|trophy|algia|ectomy|otomy|ostomy|mab|nib|pril|olol|sartan|statin|"
    r"mycin|cillin|azole|vir|sone|olone|ism|iasis|cele|rrhea|rrhoea|uria|ptysis|plegia|paresis)$"
)
_NOT_NAMES_AT_OPENING = frozenset(
    {
        "Disease", "Syndrome", "Disorder", "Phenomenon", "Palsy", "Cancer", "Arthritis", "Sclerosis", "Failure",
        "Infection", "Fever", "Virus", "Body", "Cell", "Giant", "Multiple", "Primary", "Secondary", "Chronic",
        "Acute", "Severe", "Mild", "Moderate", "Heart", "Kidney", "Renal", "Liver", "Lung", "Breast", "Colon",
        "Colorectal", "Prostate", "Skin", "Blood", "Bone", "Brain", "Pressure", "Care", "Treatment", "Therapy",
        "Screening", "Test", "Testing", "Trial", "Study", "Guideline", "Guidelines", "Medicare", "Medicaid",
        "Advantage", "Blue", "Cross", "Shield", "New", "North", "South", "East", "West", "United", "States",
        "American", "National", "General", "University", "Hospital", "Clinic", "Center", "Centre", "Medical",
        "Board", "Health", "Insurance", "Plan", "Both", "Each", "Every", "Many", "Most", "Some", "All", "No",
        "Neither", "Either", "Other", "Such", "Long", "Short", "High", "Low", "Early", "Late", "Total", "Reported",
        "Outcomes", "Outcome", "Education", "Safety", "Questionnaire", "Assessment", "Global", "Evaluation",
        "Rheumatoid", "Lupus", "Nephritis", "Type", "Diabetes", "Mellitus", "Insipidus", "Lymphoma", "Leukemia",
        "Anemia", "Vitamin", "Omega", "Drug", "Dose", "Agent", "Agents", "Class", "Medicine", "Medicines",
    }
)
# Capitalised words that are not names, though they follow a cue or precede an age.
_NOT_NAMES = frozenset(
    {
        "A", "An", "The", "This", "That", "These", "Those", "My", "Our", "His", "Her", "Their", "Its", "Your",
        "He", "She", "They", "We", "I", "It", "Is", "Was", "Are", "And", "Or", "But", "If", "Patient", "Pt",
        "Mr", "Mrs", "Ms", "Dr", "Doctor", "Nurse", "Male", "Female", "Man", "Woman", "Boy", "Girl", "Baby",
        "Child", "Adult", "Infant", "Veteran", "Previously", "Healthy", "Otherwise", "Known", "History", "Who",
        "With", "Has", "Had", "Have", "Presents", "Presented", "Because", "When", "What", "How", "Should",
        "Can", "Could", "Would", "Does", "Did", "Do", "Monday", "Tuesday", "Wednesday",
        "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December", "Disease", "Syndrome", "Grade",
        "Stage", "Type", "Class", "Day", "Week", "Month", "Year", "Years", "Today", "Yesterday", "Tomorrow",
        "Also", "Then", "Now", "Recently", "Currently", "Here", "There", "Since", "After", "Before", "During",
        "Meanwhile", "However", "Which", "Whether", "Where", "Why", "Whom", "Whose", "Consider",
        "Treating", "Managing", "For", "In", "On", "At", "Of", "From", "Diagnosis", "Question", "Case", "Note",
        # words the census lists hold as names that open a sentence in informal questions ("Ok, ...", "So is ...")
        "Ok", "Okay", "So", "An", "See", "Many", "Else", "Soon", "Thanks",
    }
)


# --- names without a cue, from the census lists (vocabulary/person_names.py) ----------------------------

# A capitalised word, not part of a hyphenated compound ("Kaplan-Meier", "Stevens-Johnson"), which are
# eponyms far more often than double-barrelled names; a name after a cue keeps its hyphen ("Anne-Marie").
_LONE_WORD = re.compile(r"(?<![\w'\u2019.-])[A-Z](?:[a-z]{1,20}|['\u2019][A-Z][a-z]{1,20})(?:[A-Z][a-z]{1,20})?(?![\w-]|['\u2019][a-rt-z])")
# A word after a capitalised word that makes it an eponym, a test, a place or an institution, not a person:
# "Wilson disease", "Wells score", "Foley catheter", "Bence Jones protein", "Framingham cohort".
_EPONYM_HEADS = frozenset(
    {
        "disease", "diseases", "syndrome", "syndromes", "sign", "signs", "score", "scores", "criteria",
        "classification", "scale", "test", "tests", "maneuver", "manoeuvre", "procedure", "operation",
        "fracture", "lesion", "lesions", "node", "nodes", "nodule", "nodules", "protein", "catheter", "cyst",
        "tear", "phenomenon", "palsy", "curve", "curves", "model", "equation", "formula", "method", "index",
        "ratio", "reflex", "triad", "law", "rule", "rules", "stain", "staining", "tube", "repair", "shunt",
        "cohort", "trial", "study", "ulcer", "hernia", "murmur", "spots", "disorder", "anomaly", "chorea",
        "esophagus", "body", "bodies", "cell", "cells", "virus", "regimen", "protocol", "position",
        "clinic", "hospital", "center", "centre", "institute", "university", "college", "foundation",
        "county", "patients", "type", "stage", "grade", "class",
    }
)
# Institutions and cohorts named after people or places, whose words are never a patient's name.
_INSTITUTION = re.compile(
    r"\b(?:Johns\s+Hopkins|Mayo|MD\s+Anderson|Dana[-\s]Farber|(?:Memorial\s+)?Sloan[-\s]Kettering|Kaiser"
    r"(?:\s+Permanente)?|Mount\s+Sinai|Cedars[-\s]Sinai|Beth\s+Israel|Brigham(?:\s+and\s+Women's)?|"
    r"Fred\s+Hutch(?:inson)?|Vanderbilt|Emory|Stanford|Harvard|Yale|Baylor|Tufts|Duke|Cleveland\s+Clinic|"
    r"Mass(?:achusetts)?\s+General|Lahey|Geisinger|Ochsner|Scripps|Henry\s+Ford|Framingham)\b"
)
_MONTHS = frozenset({"January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December"})
_PERSONAL_VERB_AFTER = re.compile(
    rf"(?:['\u2019]s?)?\s{{1,3}}(?:{_CLINICAL_VERB}|and\s{{1,3}}(?:his|her|their)\s{{1,3}}{_RELATIVE})\b"
)
_NEXT_WORD = re.compile(r"(?:['\u2019]s?)?\s{1,3}([A-Za-z][\w-]*)")


def _census_kind(word: str) -> str | None:
    """'name' for a census name that is no other word, its exception kind for one that is, else None."""
    if word not in census_given_names() and word not in census_surnames():
        return None
    return name_exceptions().get(word, "name")


_EPONYM_BEFORE = re.compile(r"([A-Z][a-z]{2,24})(?:['\u2019]s)?(?:,| and| or)\s{1,2}$")
_EPONYM_AFTER = re.compile(r"(?:,| and| or)\s{1,2}([A-Z][a-z]{2,24})\b")


def _beside_an_eponym(text: str, start: int, end: int) -> bool:
    """Whether a word is listed with an eponym ("Crohn and Barrett", "Barrett or Crohn")."""
    before = _EPONYM_BEFORE.search(text[max(0, start - 40) : start])
    after = _EPONYM_AFTER.match(text, end)
    return any(
        m is not None and (m.group(1) in known_words() or name_exceptions().get(m.group(1)) == "eponym")
        for m in (before, after)
    )


def _given_name_before_surnames(run: list[re.Match[str]]) -> bool:
    first = run[0].group()
    return (
        first in census_given_names() and first not in _NOT_NAMES and first not in _NOT_NAMES_AT_OPENING
        and first not in _MONTHS and _census_kind(first) != "eponym"
        and all(_census_kind(w.group()) == "name" for w in run[1:])
    )


def _lone_names(text: str) -> Iterator[_Span]:
    """Census names without a cue: runs of capitalised words that are all names ("Grace Liu"), or one
    name that is no other word ("Jane has lupus", "Seen by Smith today"), or a name that is also a word
    opening a sentence before a clinical verb ("Will has gout"). Eponyms, drugs and institutions stay."""
    protected = {i for m in _INSTITUTION.finditer(text) for i in range(m.start(), m.end())}
    words = [m for m in _LONE_WORD.finditer(text) if m.start() not in protected]
    i = 0
    while i < len(words):
        run = [words[i]]
        while i + len(run) < len(words) and re.fullmatch(r" {1,2}", text[run[-1].end() : words[i + len(run)].start()]):
            run.append(words[i + len(run)])
        i += len(run)
        before = text[: run[0].start()].rstrip(" \t\"'([*-")
        opening = not before or before[-1] in ".!?:;\n"
        # A sentence's first word is capitalised anyway: it joins the run only if it is a name itself, or a given
        # name that is also a word before surnames that are no word ("Maria Gonzalez", "Will Okafor").
        if opening and len(run) > 1 and _census_kind(run[0].group()) != "name" and not _given_name_before_surnames(run):
            run, opening = run[1:], False
        following = _NEXT_WORD.match(text, run[-1].end())
        if following and (following.group(1).lower() in _EPONYM_HEADS or _MEDICAL_SUFFIX.search(following.group(1).lower())):
            continue  # "Wilson disease", "Gleason score", "Burkitt lymphoma"
        kinds = [_census_kind(w.group()) for w in run]
        if _beside_an_eponym(text, run[0].start(), run[-1].end()):
            continue  # "Crohn and Barrett": a word listed beside an eponym is one too
        if len(run) > 1:
            if all(k in ("name", "english") for k in kinds) and "name" in kinds and not any(
                w.group() in _NOT_NAMES or w.group() in _NOT_NAMES_AT_OPENING for w in run
            ):
                yield _Span("name", run[0].start(), run[-1].end(), "[name]")
            continue  # a run with another word is a heading, a brand or an institution ("Rose Bengal")
        word, kind = run[0].group(), kinds[0]
        before_verb = bool(_PERSONAL_VERB_AFTER.match(text, run[0].end()))
        if kind is None or kind == "eponym":
            continue
        if word in _MONTHS:
            is_name = opening and before_verb  # "June reports night sweats", not "in June"
        elif word in _NOT_NAMES or word in _NOT_NAMES_AT_OPENING:
            is_name = False
        elif kind == "name":
            is_name = True
        elif opening:
            # "Will has gout", "Grace, 45, on warfarin", not "Will rituximab help?"
            is_name = before_verb or bool(_APPOSITION_AFTER.match(text, run[0].end()))
        else:
            is_name = kind == "english"  # "asked Grace", not "switched to Camila"
        if is_name:
            yield _Span("name", run[0].start(), run[0].end(), "[name]")


# --- names outside the census lists, by position ---------------------------------------------------------

# A capitalised word with any Latin letters ("Bjørn", "Oluwaseun"), or two joined by a hyphen ("Tanaka-Lindgren").
_ANY_NAME_WORD = (
    r"[A-Z\u00c0-\u00de\u0100-\u017f][a-z\u00df-\u00ff\u0100-\u017f]{1,24}"
    r"(?:-[A-Z\u00c0-\u00de\u0100-\u017f][a-z\u00df-\u00ff\u0100-\u017f]{1,24})?"
)
_UNLISTED_WORD = re.compile(rf"(?<![\w'\u2019.-]){_ANY_NAME_WORD}(?![\w-])")
# Words before a person rather than a drug or a place: "discussed with", "seen by", "spoke to", "letter from",
# "asked", "mother of", "for ... to" ("safe for Mahmoud to fast").
_PERSON_VERB = (
    r"(?:spoke|speak|spoken|talked|talk|discussed|discuss|handed\s+over|handover|referred|referral|seen|saw|"
    r"reviewed|letter|note|notes|message|call|called|phone\s+call|email|e-mail|update|chat|consulted|consult|"
    r"met|meeting|sent|wrote|written|signed|examined|reported|result|results|request|requested|advice|"
    r"handed|passed|introduced|explained|text|texts|texted|round|rounds|appointment|visit|session|catch-up|"
    rf"{_RELATIVE}(?:-in-law)?)"
)
_BEFORE_UNLISTED_NAME = re.compile(
    rf"(?:\b{_PERSON_VERB}\s{{1,3}}(?:\w+\s{{1,3}})?(?:with|to|by|from|of)"
    r"|\b(?:by|call|called|contact|contacted|named|asked|ask|told|tell|saw|see|examined|phone|phoned|rang|ring|"
    r"paged|page|emailed|"
    r"messaged|visited|met|thank|thanked|informed|reassured|counsell?ed|advised|reminded|treating|per|dear|hi|hello|"
    r"checked\s+on|check\s+on|texted|text))"
    r"\s{1,3}$",
    re.IGNORECASE,
)
# "Can Oleksandr restart ...", "Does Fatoumata need ...": a question about what a person does, not a drug's action.
_QUESTION_BEFORE = re.compile(r"(?:^|[.!?]\s{1,3})(?:Can|Could|Does|Did|Do|Should|Would|Will|Must|May|Might)\s{1,3}$")
# The same inside a question ("How long should X stay on ..."): only for a word that is no English word either.
_MODAL_BEFORE = re.compile(r"\b(?:can|could|does|did|do|should|would|will|must|may|might)\s{1,3}$")
_PERSON_ACTION = re.compile(
    r"\s{1,3}(?:need|take|have|get|start|restart|stop|continue|receive|go|travel|fly|fast|eat|drink|breastfeed|"
    r"exercise|return|use|keep|drive|work|swim|undergo|try|switch|resume|come|see|visit|still|stay|benefit|"
    r"tolerate|qualify|wait|remain|avoid|attend|play|sleep|walk|live)\b"
)
# "safe for Mahmoud to fast"
_FOR_BEFORE = re.compile(r"\bfor\s{1,3}$")
_TO_VERB_AFTER = re.compile(r"\s{1,3}to\s{1,3}[a-z]{2,}")
# Words before a place or a time, never a person: "travel to Lagos", "in Kerala", "during Ramadan".
_BEFORE_PLACE = re.compile(r"\b(?:in|at|near|to|from|into|across|around|during|visiting|via|of|on)\s{1,3}$", re.IGNORECASE)
_AFTER_UNLISTED_NAME = re.compile(rf"(?:['\u2019]s\b|\s{{1,3}}(?:{_CLINICAL_VERB}|and\s+(?:his|her|their))\b)")
# A word opening a sentence is capitalised anyway ("Symptoms began"): there only a person's verb makes it a name.
_PERSONAL_VERB_ONLY = re.compile(
    r"(?:['\u2019]s\s{1,3}[A-Za-z]|\s{1,3}(?:reports|reported|complains|complained|presents|presented|underwent|"
    r"takes|took|denies|denied|suffers|suffered|(?:was|is|has\s+been)\s+(?:started|diagnosed|seen|admitted|"
    r"referred|given|treated|taking|allergic|pregnant))\b)"
)
# "Lopez, Maria:" or "Nguyen, Thi Lan -": a surname, a comma, given names, then a colon or dash.
_SURNAME_FIRST = re.compile(
    rf"(?:^|(?<=[.!?\n])\s{{0,3}})({_ANY_NAME_WORD},\s{{1,2}}{_ANY_NAME_WORD}(?:\s{_ANY_NAME_WORD})?)(?=\s{{0,2}}(?:[:;]|\s-|\s\u2013))",
    re.MULTILINE,
)


# A name in apposition: "Faith Olawale, 29, has", "Cerys, 3 months old,", "Ayesha, who is 19,", "João, her partner,".
_APPOSITION_AFTER = re.compile(
    r",\s{1,2}(?:\d{1,3}(?:,|[-\s](?:years?|yrs?|months?|weeks?|days?)[-\s]old\b)|(?:who|whose)\b|"
    rf"(?:his|her|their|my|our)\s{{1,3}}{_RELATIVE}\b)"
)
# A relative right before the name: "granddaughter Ximena", "wife Malee", "twins Juhani and Aapo".
_RELATIVE_BEFORE = re.compile(rf"\b(?:{_RELATIVE}|twins?|sons|daughters|grandchildren)(?:-in-law)?\s{{1,3}}$", re.IGNORECASE)
# "started Yekaterina on levetiracetam", "took Oyelaran off warfarin": a person, not a drug, is put on a drug.
_PUT_ON_BEFORE = re.compile(r"\b(?:started|restarted|commenced|put|switched|changed|kept|took|weaned|titrated|loaded)\s{1,3}$")
_ON_OFF_AFTER = re.compile(r"\s{1,3}(?:on|off|onto)\b")
# After a sentence-opening word no list knows, what makes it a person: a possessive, a clinical verb (not "with",
# which follows a heading as well: "Kawasaki with coronary aneurysm"), "and his ...".
_AFTER_ALIEN_OPENING = re.compile(
    rf"(?:['\u2019]s\b|\s{{1,3}}(?!with\b)(?:{_CLINICAL_VERB}|and\s+(?:his|her|their))\b)"
)
# Two names joined: "Gunnhild and Eirik both tested", "Aziz & Leyla", then what people do ("Hoehn and Yahr
# disability score", "Merseyside and Cheshire during 1995" are no pair of people).
_PAIR_GAP = re.compile(r" (?:and|&) ")
_PAIR_FOLLOW = re.compile(rf"\s{{1,3}}(?:both|each|are|were|want|wanted|ask|asked|{_CLINICAL_VERB})\b")


def _english(word: str) -> bool:
    """Whether a word (each part, when hyphenated) is an English word in any case ("Symptoms", "Follow-up")."""
    return any(part.lower() in english_words() for part in word.split("-"))


def _alien_word(word: str) -> bool:
    """A capitalised word that no list knows and that is no English word either ("Jovana", "Gunnhild"): unlike a
    merely unknown word ("Symptoms"), it reads as a name even opening a sentence before a plain verb."""
    return "-" not in word and _unknown_word(word) and not _english(word)  # "Shapiro-Wilk's": a compound is an eponym


def _unknown_word(word: str) -> bool:
    """A capitalised word that is no census name, no listed word (eponym, brand, MeSH term) and no medical word:
    in a person's position ("discussed with Oluwaseun") it can only be a name."""
    return (
        word not in census_given_names()
        and word not in census_surnames()
        and word not in known_words()
        and not any(part in known_words() for part in word.split("-"))
        and word not in _NOT_NAMES
        and word not in _NOT_NAMES_AT_OPENING
        and word not in _MONTHS
        and not _MEDICAL_SUFFIX.search(word.lower())
    )


def _name_kind(word: str) -> str | None:
    """'unknown' for a word no list knows, else the census kind ('name', 'english', ...), else None."""
    return "unknown" if _unknown_word(word) else _census_kind(word)


def _unlisted_names(text: str) -> Iterator[_Span]:
    """Names outside the census lists, by position: a word no list knows after a person's cue ("spoke to
    Sunil", "Can Oleksandr restart"), before a clinical verb or a possessive ("Xiaoming reports", "Khalid's
    HbA1c"), in a run of names ("Ngozi Adeyemi"), surname first ("Kowalczyk, Zofia:"), or joined by "and" to a
    name found ("Gunnhild and Eirik"). A word before an eponym head ("Takayasu arteritis") or after a place
    word ("travel to Lagos") is kept."""
    for m in _SURNAME_FIRST.finditer(text):
        parts = re.split(r",?\s+", m.group(1))
        part_kinds = [_name_kind(w) for w in parts]
        if all(k in ("unknown", "name", "english") for k in part_kinds) and part_kinds[0] != "english":
            yield _Span("name", m.start(1), m.end(1), "[name]")
    protected = {i for m in _INSTITUTION.finditer(text) for i in range(m.start(), m.end())}
    words = [m for m in _UNLISTED_WORD.finditer(text) if m.start() not in protected]
    kinds = [_name_kind(m.group()) for m in words]
    alien = [kind == "unknown" and _alien_word(m.group()) for m, kind in zip(words, kinds, strict=True)]

    def opens_sentence(m: re.Match[str]) -> bool:
        before = text[: m.start()].rstrip(" \t\"'([*-")
        return not before or before[-1] in ".!?:;\n"

    def run_partners(index: int) -> list[int]:
        return [j for j in (index - 1, index + 1) if 0 <= j < len(words)
                and re.fullmatch(r" {1,2}", text[min(words[j].end(), words[index].end()) : max(words[j].start(), words[index].start())])]

    found: set[int] = set()
    for index, m in enumerate(words):
        if kinds[index] != "unknown" or m.group().lower() in _EPONYM_HEADS:
            continue
        following = _NEXT_WORD.match(text, m.end())
        if following and (following.group(1).lower() in _EPONYM_HEADS or _MEDICAL_SUFFIX.search(following.group(1).lower())):
            continue  # "Takayasu arteritis"
        partners = run_partners(index)
        if any(kinds[j] not in ("unknown", "name") for j in partners if not opens_sentence(words[j])):
            continue  # a run with a listed word is a term, a brand or a place ("Glasgow Coma Scale")
        before = text[max(0, m.start() - 60) : m.start()]
        run_has_name = any(kinds[j] in ("unknown", "name") and not opens_sentence(words[j]) or kinds[j] == "name" for j in partners)
        if (
            _BEFORE_UNLISTED_NAME.search(before)
            or (_QUESTION_BEFORE.search(before) and _PERSON_ACTION.match(text, m.end()))
            or (_FOR_BEFORE.search(before) and _TO_VERB_AFTER.match(text, m.end()))
            or (run_has_name and not opens_sentence(m) and not (
                _BEFORE_PLACE.search(text[max(0, words[min(partners + [index])].start() - 20) : words[min(partners + [index])].start()])
                and all(kinds[j] != "name" for j in partners)
            ))  # "travel to Kuala Lumpur" is a place
            or (run_has_name and _AFTER_UNLISTED_NAME.match(text, words[max(partners + [index])].end()))
        ):
            found.add(index)
        elif opens_sentence(m):
            if _PERSONAL_VERB_ONLY.match(text, m.end()):
                found.add(index)
        elif not _BEFORE_PLACE.search(before) and _AFTER_UNLISTED_NAME.match(text, m.end()):
            found.add(index)
        if index not in found and alien[index] and _alien_in_a_name_position(text, words, alien, index, partners):
            found.add(index)
        elif index not in found and _joined_to_a_name(text, words, index, lambda j: kinds[j] == "name"):
            found.add(index)  # "Ingrid and Lars both have": an unlisted word beside a census name that is no word
    # A name's partners in a run or a pair ("Ngozi Adeyemi", "Daniel Okonkwo", "Gunnhild and Eirik").
    partners_found: set[int] = set()
    for index in found:
        for j in (index - 1, index + 1):
            if not (0 <= j < len(words)) or j in found:
                continue
            gap = text[min(words[j].end(), words[index].end()) : max(words[j].start(), words[index].start())]
            if kinds[j] in ("unknown", "name") and re.fullmatch(r" {1,2}| and | or |, ", gap) and (
                kinds[j] == "name" or not opens_sentence(words[j]) or gap != " "
            ):
                partners_found.add(j)
            elif (
                alien[index] and j < index and gap == " " and kinds[j] in ("unknown", "english")
                and words[j].group() not in _NOT_NAMES and not _BEFORE_UNLISTED_NAME.search(words[j].group() + " ")
            ):
                partners_found.add(j)  # "Faith Olawale", "Precious Dlamini": a given name that is also a word
    for index in sorted(found | partners_found):
        yield _Span("name", words[index].start(), words[index].end(), "[name]")


def _alien_in_a_name_position(
    text: str, words: list[re.Match[str]], alien: list[bool], index: int, partners: list[int]
) -> bool:
    """Whether a word that is neither listed nor English stands where a person's name stands: opening a
    sentence before a clinical verb or a possessive ("Jovana has", "Tendai's"), beside another such word
    ("Ahmet Çelik"), joined to one by "and" ("Gunnhild and Eirik both"), in apposition ("Cerys, 3 months
    old"), after a relative ("granddaughter Ximena"), put on a drug ("started Yekaterina on") or in a
    question about what someone does ("how long should Sione stay"). A word after a place word ("travel to
    Addis Ababa") stays unless an apposition makes it a person."""
    m = words[index]
    before = text[max(0, m.start() - 60) : m.start()]
    run_end = words[max(partners + [index])].end()
    if _APPOSITION_AFTER.match(text, run_end) or _RELATIVE_BEFORE.search(before):
        return True
    if (_PUT_ON_BEFORE.search(before) and _ON_OFF_AFTER.match(text, m.end())) or (
        _MODAL_BEFORE.search(before) and _PERSON_ACTION.match(text, m.end())
    ):
        return True
    run_start = words[min(partners + [index])].start()
    if _BEFORE_PLACE.search(text[max(0, run_start - 20) : run_start]):
        return False
    sentence_before = text[:run_start].rstrip(" \t\"'([*-")
    if (not sentence_before or sentence_before[-1] in ".!?:;\n") and _AFTER_ALIEN_OPENING.match(text, run_end):
        return True  # "Jovana has Hashimoto thyroiditis", "Sushila Thapa started dialysis"
    if any(alien[j] and len(words[j].group()) > 3 for j in partners) and len(m.group()) > 3:
        return True  # "Ahmet Çelik", "Maricel Dela Cruz" (not "Eur Respir J")
    return _joined_to_a_name(text, words, index, lambda j: _name_kind(words[j].group()) in ("unknown", "name"))


def _joined_to_a_name(text: str, words: list[re.Match[str]], index: int, is_partner: Callable[[int], bool]) -> bool:
    """Whether the word is joined by "and" to a partner and the pair goes on with a lower-case word
    ("Gunnhild and Eirik both tested", "Ingrid and Lars both have"), as two people do."""
    for j, (left, right) in ((index + 1, (index, index + 1)), (index - 1, (index - 1, index))):
        if 0 <= j < len(words) and _PAIR_GAP.fullmatch(text[words[left].end() : words[right].start()]):
            before = text[max(0, words[left].start() - 20) : words[left].start()]
            if is_partner(j) and _PAIR_FOLLOW.match(text, words[right].end()) and not _BEFORE_PLACE.search(before):
                return True
    return False


def _words_are_a_name(words: str) -> bool:
    parts = [w for w in re.split(r"\s+", words) if not re.fullmatch(r"[A-Z]\.", w)]
    return bool(parts) and parts[0] not in _NOT_NAMES


def _has_clinical_word(words: str) -> bool:
    """Whether any word is a disease, drug, payer or heading word rather than part of a name."""
    return any(
        w in _NOT_NAMES or w in _NOT_NAMES_AT_OPENING or _MEDICAL_SUFFIX.search(w.lower())
        for w in re.split(r"\s+", words) if not re.fullmatch(r"[A-Z]\.", w)
    )


def _opening_is_a_name(words: str) -> bool:
    """Whether a capitalised sentence opening reads as a person's name, not a disease, drug or heading."""
    parts = [w for w in re.split(r"\s+", words) if not re.fullmatch(r"[A-Z]\.", w)]
    return len(parts) >= 2 and not _has_clinical_word(words)


def _trim_name(words: str) -> str:
    """Drop trailing words that are not names ("Smith Has" -> "Smith")."""
    parts = words.split()
    while len(parts) > 1 and parts[-1] in _NOT_NAMES:
        parts.pop()
    return " ".join(parts)


# --- detection -----------------------------------------------------------------------------------


def _spans(pattern: re.Pattern[str], text: str, kind: str, placeholder: str, *, value: bool = False) -> Iterator[_Span]:
    """Each match as a span; with ``value``, only the group that matched (the value after a label)."""
    for m in pattern.finditer(text):
        group = next((i for i in range(1, pattern.groups + 1) if m.group(i) is not None), None) if value else None
        start, end = (m.start(group), m.end(group)) if group is not None else (m.start(), m.end())
        yield _Span(kind, start, end, placeholder)


def _dates(text: str) -> Iterator[_Span]:
    for span in _spans(_DATE, text, "date", "[date]"):
        numbers = [int(n) for n in re.findall(r"\d+", text[span.start : span.end])]
        if len(numbers) == 3 and re.fullmatch(r"[\d/.-]+", text[span.start : span.end]):
            a, b, _ = numbers if numbers[0] < 100 else (numbers[1], numbers[2], numbers[0])
            if not ((1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)):
                continue  # "45/67/2020" is not a date
        yield span
    yield from _spans(_SHORT_DATE, text, "date", "[date]", value=True)


def _names(text: str) -> Iterator[_Span]:
    for pattern in (_TITLE, _NAMED, _PATIENT_NAME, _RELATIVE_NAME, _NAME_BEFORE_AGE):
        for m in pattern.finditer(text):
            index = next(i for i in range(1, pattern.groups + 1) if m.group(i) is not None)
            words = _trim_name(m.group(index))
            if not _words_are_a_name(words):
                continue
            if pattern is _PATIENT_NAME and _has_clinical_word(words):
                continue  # "Patient Reported Outcomes", "Patient Education"
            start = m.start(index)
            yield _Span("name", start, start + len(words), "[name]")
    for m in _NAME_OPENING.finditer(text):
        if _opening_is_a_name(m.group(1)):
            yield _Span("name", m.start(1), m.end(1), "[name]")
    yield from _lone_names(text)
    yield from _unlisted_names(text)
    yield from _lowercase_names(text)


# A name typed in lower case after a cue that only a person follows: "patient named tomasz", "my son ikenna",
# "pt kwame", "spoke to niamh". The word must be no English word, no listed word and no medical word.
_LOWERCASE_CUE_BEFORE = re.compile(
    rf"\b(?:named|name\s+is|(?:my|our|his|her|their)\s{{1,3}}{_RELATIVE}(?:-in-law)?,?|pt\.?|patient|"
    r"spoke\s+to|speak\s+to|talked\s+to|discussed\s+with|seen\s+by|mr\.?|mrs\.?|ms\.?|dr\.?)\s{1,3}$",
    re.IGNORECASE,
)
_LOWERCASE_WORD = re.compile(rf"(?<![\w'\u2019-]){_LOWER}{{3,24}}(?![\w-])")


def _lowercase_names(text: str) -> Iterator[_Span]:
    for m in _LOWERCASE_WORD.finditer(text):
        word = m.group()
        if (
            _LOWERCASE_CUE_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
            and _alien_word(word.title())
            and word.title() not in census_given_names()
            and word.title() not in census_surnames()
        ):
            yield _Span("name", m.start(), m.end(), "[name]")


def _urls(text: str) -> Iterator[_Span]:
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?":
            end -= 1  # sentence punctuation after a link is not part of it
        yield _Span("url", m.start(), end, "[URL]")


def _ages(text: str) -> Iterator[_Span]:
    for m in OLD_AGE_NOUN.finditer(text):
        # "a 93-year-old man" -> "a man aged 90 or older": reads better than "a 90+-year-old man".
        yield _Span("age", m.start(), m.end(), f"{m.group(1)[0]} {m.group(2)} aged 90 or older")
    for m in OLD_AGE.finditer(text):
        found = m.group(0)
        lowered = found.lower()
        if lowered.startswith(("aged", "age")):
            label = re.match(r"(?i)age[d:]?", found)
            assert label is not None
            replacement = f"{label.group(0)} 90 or older"
        elif re.search(r"(?i)yo$|y/o$|y\.o\.$", found):
            replacement = "90+ yo"
        elif "-" in found:
            replacement = "90+-year-old"
        else:
            replacement = "90 or older"
        yield _Span("age", m.start(), m.end(), replacement)


# In priority order: where two findings start at the same place and are as long, the earlier wins.
_DETECTORS: tuple[Callable[[str], Iterator[_Span]], ...] = (
    lambda t: _spans(_EMAIL, t, "email", "[email]"),
    _urls,
    lambda t: _spans(_IP, t, "ip", "[IP]"),
    lambda t: _spans(_SSN, t, "id", "[ID]"),
    lambda t: _spans(_MRN, t, "mrn", "[MRN]", value=True),
    lambda t: _spans(_ID, t, "id", "[ID]", value=True),
    lambda t: _spans(_PHONE, t, "phone", "[phone]", value=True),
    lambda t: _spans(_ADDRESS, t, "address", "[address]"),
    lambda t: _spans(_ZIP, t, "zip", "[ZIP]", value=True),
    _dates,
    _ages,
    _names,
    lambda t: _spans(_LONG_NUMBER, t, "id", "[ID]"),
)


def scrub_phi(text: str) -> ScrubResult:
    """``text`` with identifiers replaced by placeholders, and where each one was."""
    candidates: list[tuple[int, int, int, _Span]] = []
    for priority, detect in enumerate(_DETECTORS):
        for span in detect(text):
            if span.end > span.start:
                candidates.append((span.start, -(span.end - span.start), priority, span))
    # Leftmost first, then longest, then the earlier detector; a span overlapping one kept is dropped.
    candidates.sort(key=lambda c: c[:3])
    kept: list[_Span] = []
    for _, _, _, span in candidates:
        if kept and span.start < kept[-1].end:
            continue
        if kept and span.kind == kept[-1].kind == "name" and re.fullmatch(r" {1,2}", text[kept[-1].end : span.start]):
            kept[-1] = _Span("name", kept[-1].start, span.end, "[name]")  # one name of several words
            continue
        kept.append(span)
    out: list[str] = []
    last = 0
    for span in kept:
        out.append(text[last : span.start])
        out.append(span.replacement)
        last = span.end
    out.append(text[last:])
    findings = tuple(PhiFinding(s.kind, s.start, s.end) for s in kept)
    return ScrubResult(text="".join(out), findings=findings)

"""The patient story and the clinical question: how a curbside question is split, and what the story
says about the patient (age, sex, history). Rule-based, deterministic, no I/O.

The text is normalised (:func:`curbside.corpus.text.normalize`) and cut into sentences.

* A sentence that ends with ``?`` is a question sentence. When such a sentence opens with a story clause
  ("68 yo M h/o CABG on apixaban, can he get an MRI?") the clause before the separator (``,`` ``:``
  ``;`` ``-``) is moved to the story when it holds a demographic cue and the rest starts with a
  question word.
* Any other sentence is story when it holds a patient cue: an age ("55-year-old", "55 y/o", "55F",
  "aged 55", "my mother, 72,"), a person noun or pronoun, or a history/medication phrase ("h/o",
  "history of", "presents", "on ..."). Statements without such cues ("CT showed progression despite
  IVIG.") stay with the question: they say what is being asked about.
* ``clinical_question`` is the question sentences plus the non-story statements, in order, kept as
  written ("Should a 55-year-old woman be screened for colorectal cancer?" stays whole; its keywords
  still leave out the age, "year" and "old").
* When the question depends on the story (it refers back with a pronoun such as "it", "this", "she",
  "his", or it has fewer than three keywords, as in "What is the next step?" or "Insulin or
  metformin?"), the story sentences, with their demographic phrase removed ("A 55-year-old woman
  with RP-ILD ..." -> "with RP-ILD ..."), are put in front of the question, so the search is about the
  patient's conditions and drugs. Without that a question such as "Should I reduce the dose?" could
  not be searched at all.
* When there is no question sentence and no statement without patient cues, the whole text is the
  clinical question.

The story gives the age (years; "18-month-old" -> 1), the sex (nouns such as woman, mother,
"F" next to an age; pronouns only when no noun says it; a relative after a possessive, "his mother",
is family history and ignored), the history items ("history of X", "h/o X", "s/p X", "diagnosed with X",
"with X and Y" right after the demographic phrase, split on commas and "and"), the drugs the patient is
"on"/"taking" (``medications``, not history; when the lexicon has drugs, only phrases naming a known
drug, a drug abbreviation or a dose are kept), and the story sentences as written (normalised).
Demographic cues in a question without story sentences ("Should a 55-year-old woman ...") still give
the age and sex.

"""

from __future__ import annotations

import re
from collections.abc import Iterable

from curbside.corpus.text import STOPWORDS, sentences, tokenize
from curbside.understanding.lexicon import FRAMING_WORDS, PERSON_NOUNS, UNIT_WORDS, Lexicon
from curbside.vocabulary.ages import (
    AGE_GUARDS,
    AGE_LETTER,
    AGE_PATTERNS,
    AGE_TOKEN,
    FEVER_BEFORE,
    PERSON_AGE_GUARDS,
    person_age_patterns,
)

__all__ = [
    "DEMOGRAPHIC_CUE",
    "KEYWORD_TOKEN",
    "dedupe",
    "extract_age",
    "extract_sex",
    "history_items",
    "keywords",
    "medication_phrases",
    "split_story",
]

# A keyword token: words, numbers and hyphenated words ("rp-ild", "anti-mda5").
KEYWORD_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_DIGITS = re.compile(r"^[\d'-]+$")


# --------------------------------------------------------------------------------------------------
# Patient story

_FEMALE_NOUNS = "woman|lady|female|girl|mother|mom|mum|wife|daughter|sister|grandmother|grandma|aunt|niece|gal"
_MALE_NOUNS = "man|gentleman|male|boy|father|dad|husband|son|brother|grandfather|grandpa|uncle|nephew|guy"
_RELATIVES = (
    "mother|mom|mum|wife|daughter|sister|grandmother|grandma|aunt|niece|"
    "father|dad|husband|son|brother|grandfather|grandpa|uncle|nephew"
)
_PERSON = f"{_FEMALE_NOUNS}|{_MALE_NOUNS}|patient|pt|friend|neighbou?r"

_AGE_PATTERNS = [*AGE_PATTERNS, *person_age_patterns(_PERSON)]
_AGE_GUARDS = [*AGE_GUARDS, *PERSON_AGE_GUARDS]  # same order as _AGE_PATTERNS
_NOUN_SEX = re.compile(rf"\b(?:(?P<f>{_FEMALE_NOUNS})|(?P<m>{_MALE_NOUNS}))\b", re.I)
_FEMALE_STATE = re.compile(r"\b(?:pregnant|G\d{1,2}\s?P\d{1,2}(?:\d{3})?)\b", re.I)
_PRONOUN_SEX = re.compile(r"\b(?:(?P<f>she|her|hers|herself)|(?P<m>he|him|his|himself))\b", re.I)
_POSSESSIVE_BEFORE = re.compile(r"(?:\b(?:his|her|their|whose|your|patient's|pt's)|'s)\s+(?:\w+\s+)?$", re.I)

_STORY_CUE = re.compile(
    r"\b(?:\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)\s*-?\s*old"
    r"|\d{1,3}\s*(?:y/o|y\.o|yo)\b|aged?\s+\d{1,3}|\d{1,3}\s*(?:years?|yrs?)\s+of\s+age"
    r"|h/o|hx|pmhx?|s/p|status\s+post|history\s+of|presents|presenting|presented|admitted|diagnosed"
    r"|pt|patient|she|he|her|his|him|"
    + _FEMALE_NOUNS
    + "|"
    + _MALE_NOUNS
    + r"|infant|baby|toddler|newborn|neonate|child|teenager|teen"
    r"|currently\s+on|started\s+on|was\s+started|is\s+on|taking|takes|receiving)\b",
    re.I,
)
_STORY_CUE_CS = re.compile(r"(?<![\w.])\d{1,3}\s?[MF](?![\w'])")
DEMOGRAPHIC_CUE = re.compile(
    r"\b(?:\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)\s*-?\s*old|\d{1,3}\s*(?:y/o|y\.o|yo)\b"
    r"|aged?\s+\d{1,3}|h/o|hx|pmhx?|history\s+of|s/p|pt|patient|"
    + _FEMALE_NOUNS
    + "|"
    + _MALE_NOUNS
    + r")\b",
    re.I,
)
_QUESTION_SPLIT = re.compile(
    r"(?:[,:;]|\s-{1,2}|\s\u2014)\s+(?=(?:so\s+|and\s+|but\s+)?(?:what|which|how|when|where|why|who|is|are|"
    r"was|were|should|would|could|can|do|does|did|will|any|has|have|must|might|may)\b)",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(?:it|this|these|those|they|them|he|she|him|her|his|hers|the\s+patient|the\s+pt)\b", re.I
)

_END = (
    r"(?=\s*(?:[;:?!()\[\]]|\.(?=\s|$))|\s*$"
    r"|,\s*(?:who|which|and\s+(?:is|was|now|presents?|has|had)|now|currently|presents?|presenting|on|is|was|she|he)\b"
    r"|\s+(?:who|that|which|whose|presents?|presenting|presented|now|currently|on|is|was|has|had|have|admitted|"
    r"comes?|came|being|be|taking|takes|receiving|treated|started|asks?|asking|wants?|wonders?|should|can|"
    r"could|would|will|what|how|for|but|despite|since|after|returns?|returned|complains?|complaining|"
    r"reports?|reported|develops?|developed|here|at|in\s+the|with\s+(?:new|worsening|acute|recent|progressive))\b)"
)
_HISTORY = re.compile(
    r"\b(?:(?:a\s+)?(?:past\s+)?(?:medical\s+)?(?:history|hx)\s+(?:of|significant\s+for|notable\s+for|includes?|"
    r"including)|h/o|pmhx?\s*(?:of|significant\s+for|:)?|s/p|status\s+post|known|diagnosed\s+with|dx\s+(?:of|with))"
    r"\s+(?P<x>.+?)" + _END,
    re.I,
)
_AFTER_DEMOGRAPHIC = re.compile(
    rf"\s*(?:,\s*)?(?:(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b\s*|[MF]\b\s*)?(?:,\s*)?(?:\d{{1,3}}\s*,\s*)?"
    r"(?:who\s+(?:has|had)|(?:and\s+)?(?:has|had)|with|w/)\s*(?P<x>.+?)" + _END,
    re.I,
)
_MEDICATION = re.compile(
    r"\b(?:currently\s+)?(?:on|taking|takes|receiving|started\s+on|maintained\s+on|treated\s+with)\s+(?P<x>.+?)"
    + _END,
    re.I,
)
_NOT_MEDICATION = frozenset(
    """
    the a an day days admission exam examination physical ct mri imaging arrival presentation follow-up
    average top her his their my this that it which whom call time board going and to of both each
    """.split()
)
_HISTORY_PREFIX = re.compile(
    r"^(?:a\s+)?(?:past\s+)?(?:medical\s+)?(?:history|hx)\s+(?:of|significant\s+for)\s+|^(?:h/o|s/p)\s+", re.I
)
_ITEM_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s*;\s*|\s+and\s+|\s+[&+]\s+|(?<=\w)/(?=\w{2,})")
_TRAILING_CONJUNCTION = re.compile(r"\s+(?:and|or|but|with)$", re.I)
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the|known)\s+", re.I)
_DETERMINER_BEFORE = re.compile(
    r"(?:\b(?:pt\s+is\s+an?|patient\s+is\s+an?|is\s+an?|an?|the|my|our|this|pt|patient)\s+)$", re.I
)
_SEX_AFTER = re.compile(rf"\s*,?\s*(?:(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b|[MF]\b)?\s*,?", re.I)
_RELATIVE_BEFORE = re.compile(rf"(?:\b(?:my|our)\s+)?\b(?:{_RELATIVES})\s*,?\s*$", re.I)
_PERSON_AGE_PATTERNS = (_AGE_PATTERNS[5], _AGE_PATTERNS[6])
_POSSESSOR_BEFORE = re.compile(r"\b(?:my|our|the|a|an|this)\s+$", re.I)
_PERSON_PHRASE = re.compile(rf"\b(?:an?|the|my|our|this)\s+(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b", re.I)


_HAS_DIGIT = re.compile(r"\d")


def _extract_age(text: str) -> tuple[int | None, tuple[int, int] | None]:
    best: tuple[int, int, int] | None = None  # (start, end, age)
    if not _HAS_DIGIT.search(text):
        return None, None
    for pattern, guard in zip(_AGE_PATTERNS, _AGE_GUARDS):
        if not guard.search(text):
            continue
        for match in pattern.finditer(text):
            if pattern is _AGE_PATTERNS[4]:
                if FEVER_BEFORE.search(text, max(0, match.start() - 30), match.start()) or text[match.end() : match.end() + 1] == "%":
                    continue
            number = int(match.group(1))
            age = number
            if pattern is _AGE_PATTERNS[0]:
                unit = match.group(2).lower()
                if unit.startswith("mo"):
                    age = number // 12
                elif unit.startswith(("w", "d")):
                    age = 0
            if not 0 <= age <= 120:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), match.end(), age)
            break
    if best is None:
        return None, None
    return best[2], (best[0], best[1])


def extract_sex(text: str) -> str | None:
    candidates: list[tuple[int, str]] = []
    for match in _NOUN_SEX.finditer(text):
        if _POSSESSIVE_BEFORE.search(text, max(0, match.start() - 40), match.start()):
            continue
        candidates.append((match.start(), "female" if match.group("f") else "male"))
        break
    for match in AGE_LETTER.finditer(text):
        candidates.append((match.start(1), "female" if match.group(1) == "F" else "male"))
    for match in _AGE_PATTERNS[4].finditer(text):
        if not FEVER_BEFORE.search(text, max(0, match.start() - 30), match.start()):
            candidates.append((match.start(), "female" if match.group(2) == "F" else "male"))
            break
    for match in _FEMALE_STATE.finditer(text):
        candidates.append((match.start(), "female"))
        break
    if candidates:
        return min(candidates)[1]
    match = _PRONOUN_SEX.search(text)
    if match:
        return "female" if match.group("f") else "male"
    return None


def _split_items(phrase: str) -> list[str]:
    phrase = _HISTORY_PREFIX.sub("", phrase.strip())
    items = []
    for part in _ITEM_SPLIT.split(phrase):
        part = _LEADING_ARTICLE.sub("", part.strip(" \t,;:.-"))
        part = _TRAILING_CONJUNCTION.sub("", part)
        if part and any(t not in STOPWORDS for t in tokenize(part)):
            items.append(part)
    return items


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """The items in order, without repeats that differ only in case (the first is kept)."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def history_items(sentence: str) -> list[str]:
    items: list[str] = []
    for match in _HISTORY.finditer(sentence):
        items.extend(_split_items(match.group("x")))
    _, span = _extract_age(sentence)
    anchors = [span[1]] if span else []
    person = _PERSON_PHRASE.search(sentence)
    if person:
        anchors.append(person.end())
    for anchor in anchors:
        match = _AFTER_DEMOGRAPHIC.match(sentence, anchor)
        if match:
            items.extend(_split_items(match.group("x")))
            break
    return items


_DOSE = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|mcg|ug|g|units?|iu|ml|mg/kg)\b", re.I)


def medication_phrases(sentence: str, lexicon: Lexicon) -> list[str]:
    """Drugs after "on", "taking", "receiving" ...; with a drug list loaded, only items it recognises."""
    items: list[str] = []
    for match in _MEDICATION.finditer(sentence):
        phrase = match.group("x").strip()
        first = tokenize(phrase)[:1]
        if not first or first[0] in _NOT_MEDICATION:
            continue
        items.extend(_split_items(phrase))
    if not lexicon.knows_drugs:
        return items
    return [item for item in items if lexicon.is_drug_phrase(item) or _DOSE.search(item)]


def _strip_demographics(sentence: str) -> str:
    """The sentence without its age/sex phrase ("A 55-year-old woman with X" -> "with X")."""
    spans: list[tuple[int, int]] = []
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(sentence):
            start, end = match.start(), match.end()
            if pattern is _AGE_PATTERNS[4] and FEVER_BEFORE.search(sentence, max(0, start - 30), start):
                continue
            before = _RELATIVE_BEFORE.search(sentence, max(0, start - 40), start) if pattern not in _PERSON_AGE_PATTERNS else None
            if pattern in _PERSON_AGE_PATTERNS:
                before = _POSSESSOR_BEFORE.search(sentence, max(0, start - 20), start)
            if before:
                start = before.start()
            det = _DETERMINER_BEFORE.search(sentence, max(0, start - 30), start)
            if det:
                start = det.start()
            after = _SEX_AFTER.match(sentence, end)
            if after:
                end = after.end()
            spans.append((start, end))
    for match in _PERSON_PHRASE.finditer(sentence):
        spans.append((match.start(), match.end()))
    if not spans:
        return sentence
    spans.sort()
    out = []
    last = 0
    for start, end in spans:
        if start < last:
            last = max(last, end)
            continue
        out.append(sentence[last:start])
        last = end
    out.append(sentence[last:])
    text = re.sub(r"\s+", " ", " ".join(out)).strip()
    text = re.sub(r"\s+([,.;:?!])", r"\1", text)
    return text.lstrip(",;:- ").strip()


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" \"')]").endswith("?")


def _is_story(sentence: str) -> bool:
    return bool(_STORY_CUE.search(sentence) or _STORY_CUE_CS.search(sentence))


def _keyword_spans(text: str) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for match in KEYWORD_TOKEN.finditer(text.lower()):
        token = match.group()
        if (
            token in STOPWORDS
            or token in FRAMING_WORDS
            or token in PERSON_NOUNS
            or token in UNIT_WORDS
            or (len(token) < 2)
            or _DIGITS.match(token)
            or AGE_TOKEN.match(token)
        ):
            continue
        if token in seen:
            continue
        seen.add(token)
        out.append((token, match.start(), match.end()))
    return out


def _depends_on_story(question: str) -> bool:
    return bool(_ANAPHORA.search(question)) or len(_keyword_spans(question)) < 3


def split_story(text: str) -> tuple[str, list[str]]:
    """(clinical question, story parts) for normalised text."""
    parts: list[tuple[str, str]] = []  # (role, text): role "q" question, "s" story, "c" context statement
    for sentence in sentences(text):
        if _is_question(sentence):
            split = None
            for match in _QUESTION_SPLIT.finditer(sentence):
                if DEMOGRAPHIC_CUE.search(sentence, 0, match.start()) or _STORY_CUE_CS.search(
                    sentence, 0, match.start()
                ):
                    split = match
                    break
            if split is not None:
                parts.append(("s", sentence[: split.start()].strip() + "."))
                parts.append(("q", sentence[split.end() :].strip()))
            else:
                parts.append(("q", sentence))
        elif _is_story(sentence):
            parts.append(("s", sentence))
        else:
            parts.append(("c", sentence))
    story = [t for role, t in parts if role == "s"]
    asked = [t for role, t in parts if role != "s"]
    if not asked:
        return text, story
    question = " ".join(asked)
    if story and _depends_on_story(" ".join(t for role, t in parts if role == "q") or question):
        merged = []
        for role, part in parts:
            part = _strip_demographics(part) if role == "s" else part
            if part and KEYWORD_TOKEN.search(part.lower()):
                merged.append(part)
        return " ".join(merged), story
    return question, story




def extract_age(text: str) -> int | None:
    """The patient's age in years ("18-month-old" -> 1), else None."""
    return _extract_age(text)[0]


def keywords(clinical_question: str) -> tuple[str, ...]:
    """The content tokens of a clinical question, without framing, person nouns, ages, numbers and units."""
    return tuple(token for token, _, _ in _keyword_spans(clinical_question))

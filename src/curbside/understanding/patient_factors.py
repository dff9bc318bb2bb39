"""The patient factors guidelines condition on, read from a question: pregnancy (and how far along), race or
ethnicity, renal function (eGFR, creatinine clearance) and anticoagulation. Rule-based over
``vocabulary/data/patient_factors.tsv`` and ``race_ethnicity.tsv``; deterministic, no I/O.
:func:`read_patient_factors` fills these fields of :class:`~curbside.understanding.patient_context.PatientContext`.

A field is filled only when the text says it: ``None`` (or an empty list) means "not said", never "no".

Pregnancy
---------
* ``pregnant`` is True for "pregnant", "gravid", a current pregnancy ("in pregnancy", "during her pregnancy",
  "pregnancy-induced hypertension"), a gestational age ("28 weeks' gestation", "28 weeks pregnant", "GA 28+3",
  "28w3d", "G2P1 at 28 weeks") or a trimester ("in the third trimester"). A question about a population
  ("Is X safe in pregnancy?") reads the same way: the question's patient is pregnant.
* It is False only when the text says so: "not pregnant", "non-pregnant", "no longer pregnant", "denies
  pregnancy", "negative pregnancy test", "pregnancy was ruled out".
* No reading (None) for a pregnancy that is possible, wished for or over: "could be pregnant", "if she becomes
  pregnant", "planning pregnancy", "history of pregnancy loss", "preeclampsia in a prior pregnancy", "pregnancy
  test", "pregnancy category C", "was pregnant"; for a patient who is male ("his pregnant wife") or under 10; and
  when the text says both (a comparison: "pregnant and non-pregnant women").
* **Postpartum** is not pregnant, but neither is it ``pregnant: False``: obstetric guidance (Tdap, VTE,
  breastfeeding) still applies in the puerperium, and False would tell a reader that pregnancy guidance does not.
  So "postpartum", "puerperal", "after delivery" give no reading, and when the text says one of them, "pregnancy"
  is read as the pregnancy that ended (only "pregnant" itself still counts).
* ``gestational_weeks`` is the completed weeks ("28+3" -> 28; 4 to 44). A bare "at 28 weeks" counts only within
  50 characters of a pregnancy word or a G/P notation in the same sentence, and never "28 weeks old", "3 weeks
  postpartum", "weeks ago". A gestational age after "born", "birth", "delivered", "ex-" ... is the patient's own
  birth ("born at 28 weeks' gestation"), not a pregnancy. G/P notation alone ("G2P1") is obstetric history and
  says nothing about now.
* ``trimester`` from the weeks (< 14 first, 14-27 second, >= 28 third), else from "first/1st ... trimester";
  "after the first trimester" says pregnant, not which trimester.

Race and ethnicity
------------------
``race_ethnicity`` is the categories, in order of first mention: Black, White, Asian, South Asian (also Asian),
Hispanic/Latino, American Indian/Alaska Native, Native Hawaiian/Pacific Islander, Ashkenazi Jewish, Middle
Eastern/North African. A term counts only in a demographic position: before a person noun, with at most a few
modifiers between ("Black man", "African American woman", "Hispanic pregnant women", "Asian Americans"), as a
noun for people ("Hispanics", "in blacks"), right after an age ("55 yo AA male", "a 62-year-old Black") or right
before one ("a Black 45-year-old with lupus"), before an ancestry noun ("of Hispanic ethnicity", "South Asian
descent") or after an identity cue ("she is Black", "race: White"). So "black stools", "Black box warning",
"white matter lesions" and "Asian ginseng" are not race. "non-Hispanic white" is White only.

Renal function
--------------
``egfr`` (mL/min/1.73 m2: "eGFR 35", "eGFR of 35 mL/min/1.73m2", "GFR 28", "estimated glomerular filtration
rate (eGFR) of 40") and ``creatinine_clearance`` (mL/min: "CrCl 40", "creatinine clearance of 25 mL/min") are
kept apart. The value is the latest the text gives: "eGFR declined from 60 to 35" -> 35, "eGFR 60 -> 35" -> 35,
"eGFR 45 last year, now 30" -> 30, and the last mention in the text. A bound ("eGFR < 30", "CrCl below 50") or a
range ("eGFR 30-45") is a threshold, not the patient's value, and gives none; so does a value outside 1-250.

Anticoagulation
---------------
``anticoagulated`` is True when a current therapy (:attr:`PatientContext.current_therapies`: "on warfarin",
"taking apixaban", "INR 2.5 on warfarin") is a member of the class "anticoagulant" of
:mod:`curbside.vocabulary.drug_classes`, or the text says "anticoagulated", "on anticoagulation", "on a
DOAC/NOAC/VKA/blood thinner", "despite anticoagulation". A drug merely proposed ("start warfarin?", "warfarin or
apixaban?") or a question about it ("should she be anticoagulated?") says nothing. False only for "not
anticoagulated", "not on anticoagulation", "no anticoagulation", "off anticoagulation"; both said: None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from curbside.understanding.clinical_terms import clinical_terms, phrase_pattern
from curbside.understanding.medications import cue_status
from curbside.vocabulary.ages import AGE_PATTERNS
from curbside.vocabulary.drug_classes import members
from curbside.vocabulary.patient_factors import RaceTerm, factor_mapping, factor_terms, race_ethnicity_terms
from curbside.vocabulary.tables import alternation

__all__ = ["PatientFactors", "read_patient_factors", "trimester_of"]


@dataclass(frozen=True)
class PatientFactors:
    pregnant: bool | None = None
    gestational_weeks: int | None = None
    trimester: int | None = None
    race_ethnicity: tuple[str, ...] = ()
    egfr: float | None = None
    creatinine_clearance: float | None = None
    anticoagulated: bool | None = None


def read_patient_factors(
    text: str, current_therapies: Iterable[str] = (), *, age: int | None = None, sex: str | None = None
) -> PatientFactors:
    """The factors of normalised ``text`` (see the module docstring). ``current_therapies`` are the generics the
    patient is on; ``age`` and ``sex`` are the patient's, when known (a man or a child is never read as pregnant)."""
    pregnant, weeks, trimester = _pregnancy(text)
    if (sex == "male" or (age is not None and age < 10)) and pregnant is not None:
        pregnant, weeks, trimester = None, None, None
    egfr, crcl = _renal_function(text)
    return PatientFactors(
        pregnant=pregnant,
        gestational_weeks=weeks,
        trimester=trimester,
        race_ethnicity=_race_ethnicity(text),
        egfr=egfr,
        creatinine_clearance=crcl,
        anticoagulated=_anticoagulated(text, current_therapies),
    )


def trimester_of(weeks: int) -> int:
    """The trimester of a gestational age in completed weeks (< 14 first, 14-27 second, >= 28 third)."""
    return 1 if weeks < 14 else 2 if weeks < 28 else 3


def _words(kind: str) -> str:
    """A regex alternation of the terms of one kind, longest first."""
    return alternation(factor_terms(kind))


def _phrase(kind: str) -> re.Pattern[str]:
    """The terms of one kind as whole words."""
    return phrase_pattern(factor_terms(kind))


# --------------------------------------------------------------------------------------------------
# Pregnancy

_MIN_WEEKS, _MAX_WEEKS = 4, 44
_SENTENCE_END = re.compile(r"[;?!]|\.(?!\d)")
_CLAUSE_END = re.compile(r"[,;:?!()]|\.(?!\d)|\b(?:now|currently|presently|but)\b", re.I)
_WINDOW_WORD = re.compile(r"[\w/'-]+")


@dataclass(frozen=True)
class _PregnancyPatterns:
    explicit_weeks: re.Pattern[str]  # "28 weeks' gestation", "28 weeks pregnant", "28w3d"
    weeks_after_ga: re.Pattern[str]  # "GA 28 weeks", "gestational age of 28+3"
    bare_weeks: re.Pattern[str]  # "at 28 weeks", "G2P1 28 weeks" (only near an obstetric word)
    gravida: re.Pattern[str]  # "G2P1", "G3 P2"
    trimester: re.Pattern[str]
    mention: re.Pattern[str]  # "pregnant", "non-pregnant", "pregnancy", "gravid"
    not_pregnant_before: re.Pattern[str]
    not_pregnant_after: re.Pattern[str]
    not_now_before: re.Pattern[str]
    not_now_after: re.Pattern[str]
    history: re.Pattern[str]
    birth: re.Pattern[str]
    trimester_bound: re.Pattern[str]
    postpartum: re.Pattern[str]
    pregnant_words: frozenset[str]


@lru_cache(maxsize=1)
def _pregnancy_patterns() -> _PregnancyPatterns:
    weeks = (
        r"(?P<w>\d{1,2})(?:w[0-6]d\b|(?:\s*\+\s*[0-6])?\s*-?\s*(?:weeks?|wks?|wk)\b\.?(?:'s?)?"
        r"(?:\s*,?\s*(?:and\s+)?[0-6]\s*(?:days?|d)\b)?)"
    )
    obstetric = f"{_words('gestation_word')}|{_words('pregnant_word')}|{_words('pregnancy_noun')}"
    ga = alternation(factor_terms("gestational_age_abbreviation"))
    not_after_weeks = r"(?!\s*(?:-?\s*old\b|ago\b|later\b|after\b|of\s+(?:age|life|therapy|treatment)\b|post))"
    return _PregnancyPatterns(
        explicit_weeks=re.compile(
            rf"(?<![\w.]){weeks}(?:(?<=d)|\s*(?:of\s+)?(?:{obstetric}|{ga})(?![\w-]))", re.I
        ),
        weeks_after_ga=re.compile(
            rf"(?<![\w-])(?:{ga})\s*(?:of|:|=|is|was|at)?\s*(?P<w>\d{{1,2}})(?:\s*\+\s*[0-6])?(?![\d.])"
            r"(?:\s*(?:weeks?|wks?|wk|w)\b)?",
            re.I,
        ),
        bare_weeks=re.compile(
            rf"(?:\bat\s+|@\s*|,\s*|\bG\d{{1,2}}\s*P\d{{1,4}}(?:-\d+)*\s+){weeks}{not_after_weeks}", re.I
        ),
        gravida=re.compile(r"\bG\d{1,2}\s*P\d{1,4}(?:-\d+)*\b"),
        trimester=re.compile(rf"(?<![\w-])(?P<n>{alternation(factor_mapping('trimester'))})\s*-?\s*trimester\b", re.I),
        mention=re.compile(
            rf"(?<![\w-])(?P<non>non-?)?(?P<word>{_words('pregnant_word')}|{_words('pregnancy_noun')})(?!\w)", re.I
        ),
        not_pregnant_before=re.compile(rf"(?:^|\s)(?:{_words('not_pregnant_cue')})\s*$", re.I),
        not_pregnant_after=re.compile(
            rf"^\s*(?:(?:is|was|has\s+been|had\s+been)\s+)?(?:{_words('not_pregnant_post')})\b", re.I
        ),
        not_now_before=_phrase("not_now_cue"),
        not_now_after=re.compile(rf"^-?\s*(?:{_words('not_now_after')})\b", re.I),
        history=_phrase("history_cue"),
        birth=_phrase("birth_cue"),
        trimester_bound=_phrase("trimester_bound"),
        postpartum=_phrase("postpartum_word"),
        pregnant_words=frozenset(t.lower() for t in factor_terms("pregnant_word")),
    )


def _clause_before(text: str, pos: int) -> str:
    """The text from the start of the clause to ``pos``."""
    start = 0
    for match in _CLAUSE_END.finditer(text, max(0, pos - 120), pos):
        start = match.end()
    return text[start:pos]


def _sentence_before(text: str, pos: int) -> str:
    start = 0
    for match in _SENTENCE_END.finditer(text, max(0, pos - 160), pos):
        start = match.end()
    return text[start:pos]


def _last_words(text: str, n: int = 3) -> str:
    return " ".join(_WINDOW_WORD.findall(text)[-n:])


def _pregnancy(text: str) -> tuple[bool | None, int | None, int | None]:
    p = _pregnancy_patterns()
    readings: list[bool] = []
    weeks: int | None = None
    obstetric_spots: list[int] = []  # where a current pregnancy or a G/P notation is said

    def gestational_age(match: re.Match[str]) -> int | None:
        value = int(match.group("w"))
        if not _MIN_WEEKS <= value <= _MAX_WEEKS:
            return None
        start = match.start()
        if p.birth.search(_sentence_before(text, start)) or p.history.search(_clause_before(text, start)):
            return None
        return value

    for pattern in (p.explicit_weeks, p.weeks_after_ga):
        for match in pattern.finditer(text):
            value = gestational_age(match)
            if value is not None:
                readings.append(True)
                obstetric_spots.append(match.start())
                weeks = value if weeks is None else weeks

    postpartum = bool(p.postpartum.search(text))
    for match in p.mention.finditer(text):
        reading = _pregnancy_mention(text, match, postpartum)
        if reading is not None:
            readings.append(reading)
            if reading:
                obstetric_spots.append(match.start())
    obstetric_spots.extend(m.start() for m in p.gravida.finditer(text))

    trimester_word: int | None = None
    for match in p.trimester.finditer(text):
        before = _clause_before(text, match.start())
        if p.history.search(before) or p.postpartum.search(before):
            continue
        readings.append(True)
        if trimester_word is None and not p.trimester_bound.search(_last_words(before)):
            trimester_word = int(factor_mapping("trimester")[match.group("n").lower()])

    if weeks is None and obstetric_spots:
        for match in p.bare_weeks.finditer(text):
            near = any(abs(spot - match.start()) <= 50 for spot in obstetric_spots)
            between = text[min(obstetric_spots, key=lambda s: abs(s - match.start())) : match.start()]
            if near and not _SENTENCE_END.search(between):
                value = gestational_age(match)
                if value is not None:
                    weeks = value
                    readings.append(True)  # "G2P1 at 28 weeks" is a current pregnancy
                    break

    if not readings or (True in readings and False in readings):
        return None, None, None
    if not readings[0]:
        return False, None, None
    return True, weeks, trimester_of(weeks) if weeks is not None else trimester_word


def _pregnancy_mention(text: str, match: re.Match[str], postpartum: bool) -> bool | None:
    """What one "pregnant"/"pregnancy" says: True (pregnant now), False (not pregnant), None (nothing about now)."""
    p = _pregnancy_patterns()
    if match.group("non"):
        return False
    before = _clause_before(text, match.start())
    after = text[match.end() : match.end() + 40]
    window = _last_words(before)
    if p.not_pregnant_before.search(window) or p.not_pregnant_after.search(after):
        return False
    is_noun = match.group("word").lower() not in p.pregnant_words
    if is_noun and re.match(r"^\s*tests?\b", after, re.I):
        return False if re.search(r"\bneg(?:ative)?\b", f"{window} {after[:25]}", re.I) else None
    if is_noun and (postpartum or p.not_now_after.search(after)):
        return None
    if p.not_now_before.search(window) or p.history.search(before):
        return None
    return True


# --------------------------------------------------------------------------------------------------
# Race and ethnicity


@dataclass(frozen=True)
class _RacePatterns:
    term: re.Pattern[str]  # case-insensitive terms
    term_cased: re.Pattern[str] | None  # case-sensitive terms ("AA")
    by_term: dict[str, RaceTerm]  # term, lower case unless case-sensitive
    person_after: re.Pattern[str]
    ancestry_after: re.Pattern[str]
    identity_before: re.Pattern[str]
    modifiers_before: re.Pattern[str]  # the words an age may be followed by before the term
    negated_before: re.Pattern[str]
    chain_gap: re.Pattern[str]


@lru_cache(maxsize=1)
def _race_patterns() -> _RacePatterns:
    terms = race_ethnicity_terms()
    by_term = {(t.term if t.case_sensitive else t.term.lower()): t for t in terms}
    cased = [t.term for t in terms if t.case_sensitive]
    persons = [*clinical_terms().terms("person_word"), *factor_terms("race_person_word")]
    person_words = alternation(t for t in persons if len(t) > 1)  # "f", "m" only as an age's sex letter
    modifiers = _words("race_modifier")
    return _RacePatterns(
        term=re.compile(rf"(?<![\w-])(?:{alternation(t.term for t in terms if not t.case_sensitive)})(?![\w])", re.I),
        term_cased=re.compile(rf"(?<![\w-])(?:{alternation(cased)})(?![\w-])") if cased else None,
        by_term=by_term,
        person_after=re.compile(
            rf"^(?:[\s,-]*(?:{modifiers})\b)*[\s,-]*(?:(?:{person_words})(?![\w-])|[MF]\b)", re.I
        ),
        ancestry_after=re.compile(rf"^\s+(?:{_words('ancestry_word')})\b", re.I),
        identity_before=re.compile(rf"(?<![\w-])(?:{_words('identity_cue')})\s*(?:an?\s+)?$", re.I),
        modifiers_before=re.compile(rf"^(?:\s*,?\s*(?:(?:{modifiers}|female|male)\b|[MF]\b))*\s*,?\s*$", re.I),
        negated_before=re.compile(r"(?<![\w-])(?:non|not)(?:-|\s+)$", re.I),
        chain_gap=re.compile(r"^\s*(?:,|/|&|-)?\s*(?:(?:and|or)\s+)?(?:non-)?$", re.I),
    )


def _race_ethnicity(text: str) -> tuple[str, ...]:
    p = _race_patterns()
    found = [(m.start(), m.end(), m.group().lower()) for m in p.term.finditer(text)]
    if p.term_cased is not None:
        found += [(m.start(), m.end(), m.group()) for m in p.term_cased.finditer(text)]
    if not found:
        return ()
    found.sort()
    runs: list[list[tuple[int, int, str]]] = []  # "Black and Hispanic women": one run
    for item in found:
        if runs and p.chain_gap.match(text[runs[-1][-1][1] : item[0]]):
            runs[-1].append(item)
        else:
            runs.append([item])
    out: list[str] = []
    for run in runs:
        start, end = run[0][0], run[-1][1]
        after = text[end : end + 60]
        person = bool(p.person_after.match(after)) or p.by_term[run[-1][2]].person_noun
        position = (
            person
            or _after_age(text, start)
            or _before_age(after)
            or bool(p.ancestry_after.match(after))
            or bool(p.identity_before.search(text, max(0, start - 30), start))
        )
        if not position:
            continue
        for term_start, _, term in run:
            race = p.by_term[term]
            if p.negated_before.search(text, max(0, term_start - 5), term_start):
                continue
            if race.person_only and not (person or _after_age(text, start)):
                continue
            for category in (race.canonical, race.broader):
                if category and category not in out:
                    out.append(category)
    return tuple(out)


_AGE_ENDS_PHRASE = re.compile(r"\s*(?:[,.;:?]|$|(?:with|who|on|has|had|presents?|presenting|and|taking|in)\b)", re.I)


def _before_age(after: str) -> bool:
    """Whether an age that ends a person phrase follows right away ("a Black 45-year-old woman", "a Black 45-year-old
    with lupus"; not "black 3-day-old stools")."""
    lead = len(after) - len(after.lstrip(" ,"))
    for pattern in (AGE_PATTERNS[0], AGE_PATTERNS[1]):
        match = pattern.match(after, lead)
        if match:
            rest = after[match.end() :]
            return bool(_race_patterns().person_after.match(rest) or _AGE_ENDS_PHRASE.match(rest))
    return False


def _after_age(text: str, start: int) -> bool:
    """Whether an age ("55 yo", "a 62-year-old", "45F") ends right before ``start``, with only sex or modifier words
    between."""
    window_start = max(0, start - 50)
    for pattern in (AGE_PATTERNS[0], AGE_PATTERNS[1], AGE_PATTERNS[4]):
        for match in pattern.finditer(text, window_start, start):
            if _race_patterns().modifiers_before.match(text[match.end() : start]):
                return True
    return False


# --------------------------------------------------------------------------------------------------
# Renal function

_RENAL_MIN, _RENAL_MAX = 1.0, 250.0


@dataclass(frozen=True)
class _RenalPatterns:
    measure: re.Pattern[str]
    measures: dict[str, str]
    chain: re.Pattern[str]


@lru_cache(maxsize=1)
def _renal_patterns() -> _RenalPatterns:
    measures = factor_mapping("renal_measure")
    names = alternation(factor_terms("renal_measure"))
    unit = (
        r"\s*(?:mL|ml|cc)\s*/\s*min(?:ute)?"
        r"(?:\s*(?:/|per)\s*1\.73\s*(?:m2|m\^2|m\*\*2|square\s+met(?:er|re)s?|sq\.?\s*m))?"
    )
    not_a_clearance = r"\s*(?:%|mg|mmol|µmol|umol|years?|yrs?|kg|g\b|y\b|yo\b)"  # "eGFR 35, 70 yo": stop at the age
    ago = (
        r"(?:a|an|one|two|three|\d+)\s+(?:years?|months?|weeks?|days?)\s+ago"
        r"|last\s+(?:year|month|week|visit)|at\s+baseline"
    )
    fillers = r"of|is|at|around|about|approximately|approx\.?|~|:|=|,|\(|\)|has|had|been|and\s+is|level|value"
    chain = re.compile(
        rf"""\s*(?:
            (?P<bound>{_words('value_bound')})\s*(?=\d)
          | (?P<num>\d+(?:\.\d+)?)(?!\d|\.\d)(?P<bad>{not_a_clearance})?(?:{unit})?
          | (?P<arrow>->|=>|-+>|→)
          | (?P<earlier>{_words('value_earlier')})\b
          | (?P<change>{_words('value_change')})\b
          | (?P<ago>{ago})\b
          | (?P<to>to\b|-)
          | (?P<filler>{fillers})(?![\w])
        )""",
        re.I | re.X,
    )
    return _RenalPatterns(
        measure=re.compile(rf"(?<![\w-])(?P<m>{names})(?![\w-])(?:\s*\((?:{names})\))?", re.I),
        measures=measures,
        chain=chain,
    )


def _renal_function(text: str) -> tuple[float | None, float | None]:
    p = _renal_patterns()
    latest: dict[str, float] = {}
    for match in p.measure.finditer(text):
        kind = p.measures[re.sub(r"\s+", " ", match.group("m").lower())]
        value = _latest_value(text, match.end())
        if value is not None:
            latest[kind] = value
    return latest.get("egfr"), latest.get("crcl")


def _latest_value(text: str, pos: int) -> float | None:
    """The patient's current value in the words after a measure name: the last number not marked earlier, not a
    bound, not part of a range (see the module docstring)."""
    p = _renal_patterns()
    values: list[list[object]] = []  # [value, earlier, excluded]
    earlier_next = bound_next = change = range_next = False
    while pos < len(text):
        match = p.chain.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
        kind = match.lastgroup
        if kind == "num":
            if match.group("bad"):
                break
            value = float(match.group("num"))
            excluded = bound_next or not _RENAL_MIN <= value <= _RENAL_MAX
            if range_next and values:
                values[-1][2] = excluded = True  # "30-45", "30 to 45": a band, not a value
            values.append([value, earlier_next, excluded])
            earlier_next = bound_next = range_next = False
        elif kind == "bound":
            bound_next = True
        elif kind == "earlier":
            earlier_next = True
            change = change or match.group().lower().startswith(("from", "down", "up"))
        elif kind in ("change", "arrow"):
            change = True
            for item in values:
                item[1] = True  # what came before a change is earlier
        elif kind == "ago":
            if values:
                values[-1][1] = True
        elif kind == "to":
            if change:
                for item in values:
                    item[1] = True
            elif values:
                range_next = True
    kept = [v for v in values if not v[2]]
    current = [v for v in kept if not v[1]]
    chosen = (current or kept)[-1:]
    return float(chosen[0][0]) if chosen else None  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Anticoagulation


@dataclass(frozen=True)
class _AnticoagulationPatterns:
    therapy: re.Pattern[str]  # "anticoagulation", "a DOAC", "blood thinners"
    state: re.Pattern[str]  # "anticoagulated", "non-anticoagulated"
    fillers: re.Pattern[str]
    negated: re.Pattern[str]
    proposed: re.Pattern[str]


# "no anticoagulation", "off anticoagulation", "not on a DOAC", "not anticoagulated"
_NEGATION = r"(?:not|no|no\s+longer|never|off|denies|without)(?:\s+currently)?(?:\s+(?:on|taking|receiving))?"


@lru_cache(maxsize=1)
def _anticoagulation_patterns() -> _AnticoagulationPatterns:
    return _AnticoagulationPatterns(
        therapy=_phrase("anticoagulant_word"),
        state=re.compile(rf"(?<![\w-])(?P<non>non-?)?(?:{_words('anticoagulated_word')})(?![\w-])", re.I),
        fillers=re.compile(rf"(?:(?<![\w-])(?:{_words('therapy_filler')})\s+)+$", re.I),
        negated=re.compile(rf"(?<![\w-]){_NEGATION}\s*$", re.I),
        proposed=re.compile(r"(?<![\w-])(?:be|being|become|should|need|needs|whether|if|to|get)\b", re.I),
    )


def _anticoagulated(text: str, current_therapies: Iterable[str]) -> bool | None:
    p = _anticoagulation_patterns()
    said: list[bool] = []
    if any(drug.lower() in members("anticoagulant") for drug in current_therapies):
        said.append(True)
    for match in p.therapy.finditer(text):
        before = text[max(0, match.start() - 50) : match.start()]
        before = before[: p.fillers.search(before).start()] if p.fillers.search(before) else before
        if p.negated.search(before):
            said.append(False)
        elif cue_status(before)[1] == "current":
            said.append(True)
    for match in p.state.finditer(text):
        window = _last_words(text[max(0, match.start() - 40) : match.start()], 2)
        if match.group("non") or p.negated.search(window):
            said.append(False)
        elif not p.proposed.search(window):
            said.append(True)
    if not said or (True in said and False in said):
        return None
    return said[0]

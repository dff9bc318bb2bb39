"""Frequencies and schedules of doses: how often, how many, over how long.

Facts: ``data/frequencies.tsv`` (each fixed frequency phrase, its canonical wording, the days between doses),
``data/time_units.tsv`` (each spelling of a unit of time or of a course, its plural word and its length in
days) and ``data/number_words.tsv`` ("two" = 2). One frequency reader and one course reader serve both users:
patient parsing takes a medication's frequency, schedule and duration wording from them (:func:`read_frequency`,
:func:`read_schedule`, :func:`read_duration`), dose checking the numbers (:func:`parse_frequency` reads a whole
frequency/schedule phrase into a :class:`Schedule`).

Public API
----------
``Schedule``, ``parse_frequency(text) -> Schedule | None``
    Reads "daily", "twice daily", "BID", "weekly", "every 4 weeks", "monthly", "q6 months",
    "day 0 and 14", "daily for 5 days every 4 weeks", "x4" ... ("monthly" is every 4 weeks).
``read_frequency(text, pos=0) -> FrequencyReading | None``, ``frequency_of(phrase)``, ``frequency_phrases()``
    The frequency a question gives at ``pos``: its canonical wording ("3 times a week" -> "three times
    weekly", "q6h" -> "every 6 hours", "BID" -> "twice daily") and its interval in days; a fixed phrase's
    wording; the table of fixed phrases. ``AS_NEEDED``, ``ONCE``: the wordings that are not an interval.
``CourseReading``, ``read_schedule(text, pos=0)``, ``read_duration(text, pos=0)``, ``amount_text(number, unit)``
    The one reader of courses: a day list ("day 0 and 14", "days 1-5"), a gap ("2 doses 4 weeks apart"), the
    time a dose is given over ("over 5 days"), how long or how many ("for 4 weeks", "x 4 doses", "x4"). Each
    reading holds the patient model's wording (``text``) and the numbers a dose check uses (``days``,
    ``doses``, ``length_days``); :func:`parse_frequency` reads the same patterns. "6 months", "1 dose".
``frequency_words()``
    The prescription abbreviations a question's word reader knows ("bid", "q6h", "prn").
``NUMBER_PATTERN``
    A regex (no group) of a number in digits or words ("2", "1.5", "two").
``MissingFact``
    Raised where a computation needs a fact it was not given (how often a dose is given, a weight ...).
``time_units()``, ``unit_days()``, ``number_words()``, ``time_unit_pattern(*units)``, ``parse_number(text)``
    The tables: spelling -> plural word, spelling -> days, word -> number; a regex alternation of the
    spellings of some units ("hours", "days" ...); a number written in digits or words.
``format_number(value)``, ``days_text(days)``, ``interval_text(days)``
    "6.7", "4 weeks", "every 2 weeks" / "once daily" / "2 doses a day".
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from curbside.vocabulary.tables import alternation, read_table
from curbside.vocabulary.units import format_value

DAYS_PER_CALENDAR_MONTH = 30.4375  # "every 6 months"


class MissingFact(Exception):
    """A fact a computation needs (weight, BSA, frequency) is missing; ``hint`` may say what it would give."""

    def __init__(self, need: str, hint: str = "") -> None:
        super().__init__(need)
        self.need = need
        self.hint = hint


@lru_cache(maxsize=1)
def _time_table() -> tuple[dict[str, str], dict[str, float]]:
    words: dict[str, str] = {}
    days: dict[str, float] = {}
    for row in read_table("time_units.tsv"):
        words[row["spelling"]] = row["unit"]
        if row["days"]:
            days[row["spelling"]] = float(Fraction(row["days"]))
    return words, days


def time_units() -> dict[str, str]:
    """Spelling -> the unit's plural word ("wks" -> "weeks", "x" of "infusion" -> "infusions")."""
    return _time_table()[0]


def unit_days() -> dict[str, float]:
    """Spelling of a unit of time -> its length in days ("h" -> 1/24, "months" -> 30.4375)."""
    return _time_table()[1]


def time_unit_pattern(*units: str) -> str:
    """A regex alternation (no group) of every spelling of the given units ("hours", "days" ...)."""
    return alternation(s for s, unit in time_units().items() if unit in units)


@lru_cache(maxsize=1)
def number_words() -> dict[str, int]:
    """Numbers written as words: "two" -> 2, "single" -> 1."""
    return {row["word"]: int(row["value"]) for row in read_table("number_words.tsv")}


def parse_number(text: str) -> float:
    """ "1,000" -> 1000.0, "two" -> 2.0 (case-insensitive)."""
    text = text.lower().replace(",", "")
    words = number_words()
    return float(words[text]) if text in words else float(text)


_NUMBER_WORDS = alternation(number_words())


@dataclass(frozen=True)
class Schedule:
    """How often a dose is given.

    ``interval_days``: spacing between doses (0.5 for twice daily). ``course_doses``: doses in one
    course ("day 0 and 14" = 2; None = continuing). ``cycle_days``: a course repeats every so many
    days. ``total_over_days``: the dose is the total given over that many days ("2 g/kg over 5 days").
    """

    interval_days: float | None
    course_doses: int | None = None
    cycle_days: float | None = None
    total_over_days: float | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        parts: list[str] = []
        if self.total_over_days:
            parts.append(f"one course given over {format_number(self.total_over_days)} days")
        elif self.course_doses and self.interval_days and math.isclose(self.interval_days, 1):
            parts.append(f"daily for {self.course_doses} days")
        elif self.course_doses and self.interval_days and math.isclose(self.interval_days, 7):
            parts.append(f"weekly for {self.course_doses} doses")
        elif self.course_doses and self.interval_days:
            parts.append(f"{self.course_doses} doses {days_text(self.interval_days)} apart")
        elif self.course_doses:
            parts.append(f"{self.course_doses} dose{'s' if self.course_doses != 1 else ''}")
        elif self.interval_days:
            parts.append(interval_text(self.interval_days))
        if self.cycle_days:
            parts.append(f"repeated every {days_text(self.cycle_days)}")
        return ", ".join(parts) or ", ".join(self.notes) or "schedule not understood"

    def doses_in(self, period_days: float) -> tuple[float, list[str]]:
        """Doses falling in one reference period, with the assumptions made."""
        notes: list[str] = []
        per_course = 1 if self.total_over_days else self.course_doses
        if per_course is None:
            if not self.interval_days:
                raise MissingFact("how often the dose is given (for example 'daily' or 'every 4 weeks')")
            return period_days / self.interval_days, notes
        if self.cycle_days and period_days >= self.cycle_days:
            return per_course * period_days / self.cycle_days, notes
        if not self.cycle_days:
            notes.append(f"repeat interval not given: one course counted per {days_text(period_days)}")
        if self.total_over_days or not self.interval_days:
            return float(per_course), notes
        window = math.floor((period_days - 1e-9) / self.interval_days) + 1
        return float(min(per_course, window)), notes


# --- frequencies: how often a dose is given ------------------------------------------------------
AS_NEEDED = "as needed"  # the frequencies of data/frequencies.tsv that are not an interval
ONCE = "once"


@dataclass(frozen=True)
class FrequencyPhrase:
    """A row of ``data/frequencies.tsv``: the canonical frequency, days between doses, whether a question's
    free text is read for it, and the note a dose check reports."""

    frequency: str
    interval_days: float | None
    in_question: bool
    note: str | None
    word: bool = False  # a prescription abbreviation ("bid", "q6h"): a known word, never a search concept


@lru_cache(maxsize=1)
def frequency_phrases() -> dict[str, FrequencyPhrase]:
    """Fixed frequency phrase (lower case, single spaces) -> its reading ("bid" -> twice daily, 0.5 days)."""
    return {
        " ".join(row["phrase"].lower().split()): FrequencyPhrase(
            frequency=row["frequency"],
            interval_days=float(Fraction(row["days"])) if row["days"] else None,
            in_question=row["question"] == "yes",
            note=row["note"] or None,
            word=row["word"] == "yes",
        )
        for row in read_table("frequencies.tsv")
    }


def frequency_words() -> frozenset[str]:
    """The prescription abbreviations of the table that a question's word reader knows ("bid", "q6h", "prn")."""
    return frozenset(phrase for phrase, row in frequency_phrases().items() if row.word)


DAYS_PER_MONTH_AS_WEEKS = float(frequency_phrases()["monthly"].interval_days or 0)  # "monthly" infusions: every 4 weeks


@dataclass(frozen=True)
class FrequencyReading:
    """A frequency read in a text: ``frequency`` the canonical wording ("twice daily", "every 6 hours"),
    ``interval_days`` the days between doses (None: as needed, once), ``in_question`` whether a question's
    free text is read for it (not "a day", "biweekly", nor a range "every 4-6 weeks"), ``note`` what a dose
    check reports, ``start``/``end`` the span read."""

    frequency: str
    interval_days: float | None
    in_question: bool
    note: str | None
    start: int
    end: int


NUMBER_PATTERN = rf"(?:\d+(?:\.\d+)?|{_NUMBER_WORDS})"
# "3 times a week", "2x/day", "twice" aside (a fixed phrase).
_TIMES_PER = re.compile(rf"(?P<n>{NUMBER_PATTERN})\s*(?:x|times)\s*(?:/|a|per)\s*(?P<unit>day|week|month)\b", re.IGNORECASE)
_TIMES_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
_RATE_OF_UNIT = {"day": "daily", "week": "weekly", "month": "monthly"}
# "q6h", "q 4 weeks", "every 24 weeks", "every two weeks", "every 4-6 weeks".
_EVERY_N = (
    rf"(?:q\s*(?P<qn>\d+(?:\.\d+)?)|every(?:\s*(?=\d)|\s+)(?P<en>{NUMBER_PATTERN}))"
    r"(?:\s*(?:-|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*-?\s*"
    rf"(?P<unit>{time_unit_pattern('hours', 'days', 'weeks', 'months', 'years')})(?![\w])"
)
_ONE_EVERY = {"hours": "every hour", "days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly"}


@lru_cache(maxsize=1)
def _frequency_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(N times per unit, every N units, fixed phrases of a question, fixed phrases of a dose schedule).

    A question's phrases stand alone between non-word characters (not "/" or "-" either); a schedule's are
    found anywhere a word starts ("once-daily"), and "/day" after anything ("mg/kg/day")."""
    phrases = frequency_phrases()
    in_question = [phrase for phrase, row in phrases.items() if row.in_question]
    return (
        _TIMES_PER,
        re.compile(_EVERY_N, re.IGNORECASE),
        re.compile(rf"(?<![\w/-])(?:{alternation(in_question)})(?![\w/-])", re.IGNORECASE),
        re.compile(rf"(?:(?<!\w)|(?=\W))(?:{alternation(phrases)})(?!\w)", re.IGNORECASE),
    )


def _times_per(match: re.Match[str]) -> FrequencyReading:
    n = parse_number(match.group("n"))
    rate = _RATE_OF_UNIT[match.group("unit").lower()]
    per_rate = frequency_phrases()[rate]
    words = _TIMES_WORDS.get(int(n), format_value(n) + " times") if n == int(n) else format_value(n) + " times"
    interval = per_rate.interval_days / n if per_rate.interval_days and n else None
    return FrequencyReading(f"{words} {rate}", interval, True, per_rate.note, match.start(), match.end())


def _every_n(match: re.Match[str]) -> FrequencyReading:
    n = parse_number(match.group("qn") or match.group("en"))
    spelling = match.group("unit").lower()
    unit = time_units()[spelling]
    interval = n * unit_days()[spelling]
    if match.group("high"):
        text = f"every {format_value(n)}-{match.group('high')} {unit}"
        note = f"'{match.group(0).strip()}' read as every {match.group('qn') or match.group('en')} {spelling}"
        return FrequencyReading(text, interval, False, note, match.start(), match.end())
    if n == 1:
        text = _ONE_EVERY[unit]
    elif n == 2 and unit == "days":
        text = "every other day"
    else:
        text = f"every {format_value(n)} {unit}"
    return FrequencyReading(text, interval, True, None, match.start(), match.end())


def _fixed(match: re.Match[str]) -> FrequencyReading:
    row = frequency_phrases()[" ".join(match.group().lower().split())]
    return FrequencyReading(row.frequency, row.interval_days, row.in_question, row.note, match.start(), match.end())


def read_frequency(text: str, pos: int = 0) -> FrequencyReading | None:
    """The frequency a question's text gives at ``pos`` ("3 times a week", "q6h", "bid", "every 2 weeks"),
    the longest reading there; None when none starts there or the one there is not read in a question."""
    times_per, every_n, fixed_in_question, _ = _frequency_patterns()
    match = times_per.match(text, pos)
    if match:
        return _times_per(match)
    fixed = fixed_in_question.match(text, pos)
    numeric = every_n.match(text, pos)
    every = _every_n(numeric) if numeric else None
    if every and every.in_question and (not fixed or every.end >= fixed.end()):
        return every
    return _fixed(fixed) if fixed else None


def frequency_of(phrase: str) -> str | None:
    """The canonical frequency of a fixed phrase ("qhs" -> "nightly"), None if it is not one."""
    row = frequency_phrases().get(" ".join(phrase.lower().split()))
    return row.frequency if row else None


def _blank(text: str, start: int, end: int) -> str:
    """The text with a span read blanked out, so that no other reader reads it again."""
    return text[:start] + " " * (end - start) + text[end:]


def _find_frequencies(work: str) -> tuple[str, list[FrequencyReading]]:
    """Every frequency in a dose schedule: "N times per unit" first, then fixed phrases (so "q1mo" is
    "monthly"), then "every N units"; each read span is blanked so that it is not read twice."""
    times_per, every_n, _, fixed = _frequency_patterns()
    readings: list[FrequencyReading] = []
    for pattern, read in ((times_per, _times_per), (fixed, _fixed), (every_n, _every_n)):
        if pattern is not fixed:
            pattern = re.compile(r"\b" + pattern.pattern, pattern.flags)  # noqa: PLW2901 - start at a word
        found = [read(match) for match in pattern.finditer(work)]
        readings += found
        for reading in found:
            work = _blank(work, reading.start, reading.end)
    return work, readings


# --- courses: on which days, how far apart, over how long, for how many ----------------------------
# One pattern per way of writing a course; each starts where it is matched (the patient parser reads at a
# position) and :func:`parse_frequency` looks for it where a word starts (_AT_WORD: "×4" as well).
_AT_WORD = r"(?:(?<!\w)|(?=\W))(?<!\d\.)"  # not inside a decimal number either
_END = r"(?!\w|\.\d)"  # not inside a word or a decimal number
_RANGE = r"\s*(?:-|to)\s*"
# "day 0 and 14", "days 1, 8 and 15", "days 1-5", "day 1 + day 15".
_DAY_LIST = re.compile(
    rf"(?P<word>days?)\s+(?P<list>\d+(?:\s*(?:,\s*(?:and\s+)?|and|&|\+|-|to)\s*(?:days?\s+)?\d+)*){_END}",
    re.IGNORECASE,
)
# "4 weeks apart"; with the doses counted before it: "2 doses 2 weeks apart", "x 2 two weeks apart".
_DOSE_COUNT = rf"(?P<count>{NUMBER_PATTERN})\s+(?:doses|infusions)"
_GAP = rf"(?P<n>{NUMBER_PATTERN})\s*(?P<unit>{time_unit_pattern('days', 'weeks', 'months')})\s+apart\b"
_APART = re.compile(_GAP, re.IGNORECASE)
_COUNTED_APART = re.compile(rf"(?:(?:x|×)\s*(?P<times>{NUMBER_PATTERN})\s+|{_DOSE_COUNT}\s+)?{_GAP}", re.IGNORECASE)
# "over 5 days", "divided over 2-5 consecutive days", "over 2 hours" (an infusion's length).
_OVER = re.compile(
    rf"(?:divided\s+)?over\s+(?P<n>\d+)(?:{_RANGE}(?P<high>\d+))?\s*(?:consecutive\s+)?"
    rf"(?P<unit>{time_unit_pattern('days', 'hours', 'minutes')})\b",
    re.IGNORECASE,
)
# "for 4 weeks", "x 4 doses", "over the next 6 months", "total of 2 infusions".
_FOR = re.compile(
    rf"(?:for|x|×|over\s+the\s+next|total\s+of)\s*(?P<n>{NUMBER_PATTERN})\s*-?\s*"
    rf"(?P<unit>{time_unit_pattern('days', 'weeks', 'months', 'years', 'doses', 'cycles', 'infusions', 'treatments')})"
    r"(?![\w])",
    re.IGNORECASE,
)
_TIMES = re.compile(rf"(?:x|×)\s*(?P<n>\d+){_END}", re.IGNORECASE)  # "x4": four doses
_N_DOSES = re.compile(rf"{_DOSE_COUNT}\b", re.IGNORECASE)  # "4 doses" (read in a dose schedule only)
_DOSE_UNITS = frozenset({"doses", "infusions"})


@dataclass(frozen=True)
class CourseReading:
    """A course read in a text, in words and in numbers.

    ``kind``: "days" (a day list), "apart", "over", "for" (how long or how many), "times" ("x4").
    ``text``: the patient model's wording ("day 0 and 14", "2 doses 4 weeks apart", "over 5 days", "4 weeks",
    "4 doses"). ``number``/``unit``: the amount and the plural unit word ("4", "weeks"; of a range the upper
    bound); ``days``: a day list's treatment days, ranges spelled out; ``doses``: the doses it counts;
    ``start``/``end``: the span read.
    """

    kind: str
    text: str
    start: int
    end: int
    number: float | None = None
    unit: str | None = None
    days: tuple[float, ...] = ()
    doses: int | None = None

    @property
    def length_days(self) -> float | None:
        """The amount in days ("2 weeks" -> 14), None for a count of doses, cycles ..."""
        day_length = unit_days().get(self.unit or "")  # a plural word is one of its unit's spellings
        return self.number * day_length if self.number is not None and day_length is not None else None


def amount_text(number: float, unit: str) -> str:
    """ "6 months", "1 month", "4 doses" (the unit as written or its plural word)."""
    plural = time_units().get(unit.lower(), unit.lower())
    word = plural[:-1] if number == 1 and plural.endswith("s") else plural
    return f"{format_value(number)} {word}"


def _whole(number: float) -> int | None:
    return int(number) if number == int(number) and number > 0 else None


def _day_list(match: re.Match[str]) -> CourseReading:
    written = re.sub(r"days?\s+", "", match.group("list"), flags=re.IGNORECASE)
    days: list[int] = []
    for part in re.split(r"\s*(?:,\s*(?:and\s+)?|and|&|\+)\s*", written, flags=re.IGNORECASE):
        ends = [int(n) for n in re.split(_RANGE, part, flags=re.IGNORECASE)]
        days += range(ends[0], ends[-1] + 1) if len(ends) == 2 and ends[1] > ends[0] else ends
    numbers = re.sub(r"\s*,\s*(?:and\s+)?", ", ", written, flags=re.IGNORECASE)
    numbers = re.sub(r"\s*(?:and|&|\+)\s*", " and ", numbers, flags=re.IGNORECASE)
    numbers = re.sub(_RANGE, "-", numbers, flags=re.IGNORECASE)
    if ", " in numbers and " and " not in numbers:
        head, _, last = numbers.rpartition(", ")
        numbers = f"{head} and {last}"
    text = f"{match.group('word').lower()} {numbers}"
    days = sorted(set(days))
    return CourseReading("days", text, match.start(), match.end(), days=tuple(map(float, days)), doses=len(days))


def _apart(match: re.Match[str]) -> CourseReading:
    number, unit = parse_number(match.group("n")), time_units()[match.group("unit").lower()]
    gap = amount_text(number, unit)
    groups = match.groupdict()
    count = groups.get("times") or groups.get("count")
    doses = parse_number(count) if count else None
    text = f"{format_value(doses)} doses {gap} apart" if doses is not None else f"{gap} apart"
    return CourseReading("apart", text, match.start(), match.end(), number, unit,
                         doses=_whole(doses) if doses is not None else None)


def _over(match: re.Match[str]) -> CourseReading:
    low, high = match.group("n"), match.group("high")
    written = f"{low}-{high}" if high else low
    unit = time_units()[match.group("unit").lower()]
    text = f"over {written} {unit[:-1] if written == '1' else unit}"
    return CourseReading("over", text, match.start(), match.end(), float(high or low), unit)


def _for(match: re.Match[str]) -> CourseReading:
    number, unit = parse_number(match.group("n")), time_units()[match.group("unit").lower()]
    doses = _whole(number) if unit in _DOSE_UNITS else None
    return CourseReading("for", amount_text(number, unit), match.start(), match.end(), number, unit, doses=doses)


def _times(match: re.Match[str]) -> CourseReading:
    number = parse_number(match.group("n"))
    return CourseReading("times", amount_text(number, "doses"), match.start(), match.end(), number, "doses",
                         doses=_whole(number))


def _n_doses(match: re.Match[str]) -> CourseReading:
    number = parse_number(match.group("count"))
    return CourseReading("doses", amount_text(number, "doses"), match.start(), match.end(), number, "doses",
                         doses=_whole(number))


def read_schedule(text: str, pos: int = 0) -> CourseReading | None:
    """The schedule a text gives at ``pos``: a gap between doses ("2 doses 4 weeks apart"), a day list
    ("day 0 and 14", "days 1-5") or the time a dose is given over ("over 5 days"); None if none starts there."""
    for pattern, read in ((_COUNTED_APART, _apart), (_DAY_LIST, _day_list), (_OVER, _over)):
        match = pattern.match(text, pos)
        if match:
            return read(match)
    return None


def read_duration(text: str, pos: int = 0) -> CourseReading | None:
    """How long or how many, at ``pos``: "for 4 weeks", "x 4 doses", "over the next 6 months", "x4"."""
    for pattern, read in ((_FOR, _for), (_TIMES, _times)):
        match = pattern.match(text, pos)
        if match:
            return read(match)
    return None


def parse_frequency(text: str | None) -> Schedule | None:
    """Read a frequency/schedule phrase; None when nothing in it is recognised."""
    if not text or not text.strip():
        return None
    work = " " + " ".join(text.lower().replace("–", "-").split()) + " "
    notes: list[str] = []
    intervals: list[float] = []

    def take(pattern: re.Pattern[str], read: Callable[[re.Match[str]], CourseReading],
             handler: Callable[[CourseReading], bool]) -> None:
        """Each course the pattern reads where a word starts; what the handler takes is blanked so that it
        is not read twice (what it leaves, such as "over 2 hours", stays for the other readers)."""
        nonlocal work
        at_word = re.compile(_AT_WORD + pattern.pattern, pattern.flags)
        for reading in [read(match) for match in at_word.finditer(work)]:
            if handler(reading):
                work = _blank(work, reading.start, reading.end)

    course: int | None = None
    total_over: float | None = None
    course_days: float | None = None

    def day_list(reading: CourseReading) -> bool:
        nonlocal course
        if len(reading.days) < 2:
            return False  # one day ("day 1 every 21 days") is not a course of its own
        course = len(reading.days)
        intervals.append(min(b - a for a, b in itertools.pairwise(reading.days)) or 1.0)
        return True

    def apart(reading: CourseReading) -> bool:
        intervals.append(reading.length_days or 0.0)  # a unit of time: never None
        return True

    def over(reading: CourseReading) -> bool:
        nonlocal total_over
        if reading.unit != "days":
            return False  # an infusion's length ("over 2 hours"), not a course
        total_over = reading.number
        return True

    def for_n(reading: CourseReading) -> bool:
        nonlocal course, course_days
        if reading.unit in _DOSE_UNITS and reading.doses:
            course = reading.doses
        elif reading.unit in ("days", "weeks"):
            course_days = reading.length_days
        else:
            # Left to the other readers ("x 6 cycles" is six by the "x4" reader): cycles and treatments (a cycle
            # may hold several doses), a course in months or years ("monthly" is every 4 weeks, so a count of
            # doses would be off by one).
            return False
        return True

    def count(reading: CourseReading) -> bool:
        nonlocal course
        course = reading.doses
        return reading.doses is not None

    take(_DAY_LIST, _day_list, day_list)
    take(_APART, _apart, apart)
    take(_OVER, _over, over)
    work, readings = _find_frequencies(work)
    intervals += [reading.interval_days for reading in readings if reading.interval_days]
    notes += [reading.note for reading in readings if reading.note]
    take(_FOR, _for, for_n)
    take(_TIMES, _times, count)
    take(_N_DOSES, _n_doses, count)
    as_needed = any(reading.frequency == AS_NEEDED for reading in readings)
    if as_needed:
        notes.append(AS_NEEDED)
    elif course is None and not intervals and any(reading.frequency == ONCE for reading in readings):
        course = 1

    if not intervals and course is None and total_over is None and course_days is None:
        return Schedule(interval_days=None, notes=tuple(notes)) if as_needed else None
    intra = min(intervals) if intervals else None
    cycle = max(intervals) if len(intervals) > 1 and max(intervals) > min(intervals) else None
    if course_days is not None and course is None:
        step = intra or 1.0
        course = max(1, round(course_days / step))
        intra = step
    if total_over is not None and intra is not None:
        if intra < total_over and course is None:
            # "0.4 g/kg daily over 5 days": the dose is per day, five of them.
            course, total_over = max(1, round(total_over / intra)), None
        elif cycle is None:
            # "2 g/kg over 5 days every 4 weeks": the interval repeats the course.
            cycle, intra = intra, None
    if course is None and total_over is None:
        cycle = None  # no course: the smallest interval is the dosing interval
    return Schedule(interval_days=intra, course_doses=course, cycle_days=cycle, total_over_days=total_over,
                    notes=tuple(dict.fromkeys(notes)))


def format_number(value: float) -> str:
    """6.666 -> "6.7", 1000.0 -> "1000", 0.075 -> "0.075"."""
    if not math.isfinite(value):
        return str(value)
    if math.isclose(value, round(value), abs_tol=1e-9):
        return str(round(value))
    if abs(value) >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def days_text(days: float) -> str:
    if days >= 7 and math.isclose(days % 7, 0, abs_tol=1e-9):
        weeks = round(days / 7)
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    if math.isclose(days % DAYS_PER_CALENDAR_MONTH, 0, abs_tol=1e-6) and days >= DAYS_PER_CALENDAR_MONTH:
        months = round(days / DAYS_PER_CALENDAR_MONTH)
        return f"{months} month{'s' if months != 1 else ''}"
    if days < 1:
        return f"{format_number(days * 24)} hours"
    return f"{format_number(days)} day{'s' if days != 1 else ''}"


def interval_text(days: float) -> str:
    if days < 1:
        return f"{format_number(1 / days)} doses a day"
    if math.isclose(days, 1):
        return "once daily"
    if math.isclose(days, 7):
        return "once weekly"
    return f"every {days_text(days)}"



"""Frequencies and schedules of doses: how often, how many, over how long.

Facts: ``data/time_units.tsv`` (each spelling of a unit of time or of a course, its plural word and its
length in days) and ``data/number_words.tsv`` ("two" = 2). Patient parsing writes a medication's frequency
and schedule with these words; dose checking reads a frequency into a :class:`Schedule`.

Public API
----------
``Schedule``, ``parse_frequency(text) -> Schedule | None``
    Reads "daily", "twice daily", "BID", "weekly", "every 4 weeks", "monthly", "q6 months",
    "day 0 and 14", "daily for 5 days every 4 weeks", "x4" ... ("monthly" is every 4 weeks).
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

DAYS_PER_MONTH_AS_WEEKS = 28.0  # "monthly" infusions are given every 4 weeks
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


# Fixed phrases, most specific first; each match is blanked so that "twice weekly" is not also "weekly".
_FIXED_INTERVALS: tuple[tuple[str, float, str | None], ...] = (
    (r"\b(?:(?:four|4) times (?:a |per )?day|four times daily|qid|q\.i\.d\.?|q6h)(?!\w)", 0.25, None),
    (r"\b(?:(?:three|3) times (?:a |per )?day|three times daily|tid|t\.i\.d\.?|q8h)(?!\w)", 1 / 3, None),
    (r"\b(?:twice (?:a |per )?day|twice daily|(?:two|2) times (?:a |per )?day|bid|b\.i\.d\.?|q12h)(?!\w)", 0.5, None),
    (r"\b(?:twice (?:a |per )?week|twice weekly|(?:two|2) times (?:a |per )?week)\b", 3.5, None),
    (r"\b(?:every other day|alternate days|qod|eod)\b", 2.0, None),
    (r"\b(?:every other week|fortnightly|biweekly|q2w|q2wk)\b", 14.0, "'biweekly' read as every 2 weeks"),
    (r"\b(?:once )?(?:monthly|a month|per month|every month|q ?month|q1mo?)\b", DAYS_PER_MONTH_AS_WEEKS,
     "monthly read as every 4 weeks"),
    (r"\b(?:once )?(?:weekly|a week|per week|every week|qw|qwk|q1w)\b", 7.0, None),
    (r"(?:\b(?:once )?(?:daily|a day|per day|each day|every day|nightly|qd|od|q24h|qam|qhs)\b|/day\b)", 1.0, None),
)
_EVERY_N = re.compile(
    r"\b(?:every|q)\s*(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*"
    rf"({time_unit_pattern('hours', 'days', 'weeks', 'months')})\b"
)
_APART = re.compile(r"\b(\d+(?:\.\d+)?)\s*(days?|weeks?|months?)\s+apart\b")
_DAY_LIST = re.compile(r"\bdays?\s+(\d+(?:\s*(?:,|and|&|\+)\s*(?:day\s+)?\d+)+)")
_FOR_N = re.compile(rf"\b(for|x|×)\s*(\d+|{_NUMBER_WORDS})\s*(doses?|infusions?|days?|weeks?)\b")
_TIMES_N = re.compile(r"(?:\bx|×)\s*(\d+)\b")
_N_DOSES = re.compile(rf"\b(\d+|{_NUMBER_WORDS})\s+(?:doses|infusions)\b")
_AS_NEEDED = re.compile(r"\b(?:as needed|prn|p\.r\.n\.?|on demand)(?!\w)")
_SINGLE = re.compile(r"\b(?:once|single dose|one dose|one-time|one time|stat)\b")
_DIVIDED_OVER = re.compile(r"\b(?:divided\s+)?over\s+(\d+)(?:\s*(?:-|to)\s*(\d+))?\s*(?:consecutive\s+)?days?\b")


def parse_frequency(text: str | None) -> Schedule | None:
    """Read a frequency/schedule phrase; None when nothing in it is recognised."""
    if not text or not text.strip():
        return None
    work = " " + " ".join(text.lower().replace("–", "-").split()) + " "
    notes: list[str] = []
    intervals: list[float] = []

    def take(pattern: re.Pattern[str] | str, handler: Callable[[re.Match[str]], None]) -> None:
        nonlocal work
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        for match in list(regex.finditer(work)):
            handler(match)
        work = regex.sub(lambda m: " " * len(m.group(0)), work)

    course: int | None = None
    total_over: float | None = None
    course_days: float | None = None

    def day_list(match: re.Match[str]) -> None:
        nonlocal course
        days = [float(n) for n in re.findall(r"\d+", match.group(1))]
        course = len(days)
        if len(days) >= 2:
            intervals.append(min(b - a for a, b in itertools.pairwise(days)) or 1.0)

    def apart(match: re.Match[str]) -> None:
        intervals.append(float(match.group(1)) * unit_days()[match.group(2)])

    def every_n(match: re.Match[str]) -> None:
        intervals.append(float(match.group(1)) * unit_days()[match.group(3)])
        if match.group(2):
            notes.append(f"'{match.group(0).strip()}' read as every {match.group(1)} {match.group(3)}")

    def divided_over(match: re.Match[str]) -> None:
        nonlocal total_over
        total_over = float(match.group(2) or match.group(1))

    def for_n(match: re.Match[str]) -> None:
        nonlocal course, course_days
        count = int(number_words().get(match.group(2), match.group(2) if match.group(2).isdigit() else 0))
        unit = match.group(3)
        if unit.startswith(("dose", "infusion")):
            course = count
        else:
            course_days = count * (7.0 if unit.startswith("week") else 1.0)

    def times_n(match: re.Match[str]) -> None:
        nonlocal course
        course = int(match.group(1))

    def n_doses(match: re.Match[str]) -> None:
        nonlocal course
        word = match.group(1)
        course = int(number_words().get(word, word if word.isdigit() else 0)) or None

    take(_DAY_LIST, day_list)
    take(_APART, apart)
    take(_DIVIDED_OVER, divided_over)
    for pattern, days, note in _FIXED_INTERVALS:
        def fixed(match: re.Match[str], days: float = days, note: str | None = note) -> None:
            intervals.append(days)
            if note:
                notes.append(note)
        take(pattern, fixed)
    take(_EVERY_N, every_n)
    take(_FOR_N, for_n)
    take(_TIMES_N, times_n)
    take(_N_DOSES, n_doses)
    as_needed = bool(_AS_NEEDED.search(work))
    if as_needed:
        notes.append("as needed")
    elif course is None and not intervals and _SINGLE.search(work):
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



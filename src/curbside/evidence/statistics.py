"""Statistics in result sentences: p-values, confidence intervals, effect estimates and significance.

Two kinds of pattern live here, built from the same names of statistics (`RATIO_WORDS` ...):

- **readers**, which match lower-cased text (`find_p_values` and `find_intervals` fold it with
  `normalise_text` first): `find_p_values` and `table_row_p_values` (``p = 0.03``, ``P<.001``,
  ``p > 0.05``, ``P = 2 x 10-5``, a table row's bare last value), `find_intervals` (an interval with its null value: 1 for a ratio, 0 for a difference),
  `ratio_estimate_direction` ("HR 0.79": decreased), `value_pair_direction` ("80% vs 56%": increased)
  and `marked_not_significant` ("(NS)"). Finding detection (`curbside.evidence.findings`) reads
  significance and direction with them.
- **asides**, on text as written: `STATISTIC_IN_BRACKETS` and `STATISTIC_AFTER_CLAUSE` match the
  statistics a lay reader can do without (intervals, p-values, labelled effect estimates, sample sizes)
  so that the patient view (`curbside.writing.plain_language`) can remove them. They are stricter than
  the readers: abbreviations are matched case-sensitively ("OR", never the word "or"), and a number that
  carries the finding ("18% vs 33%") is never matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# The direction of the outcome measure itself (not whether it is good or bad): "reduced mortality" is
# "decreased".
Direction = Literal["increased", "decreased", "no_difference"]

# --- text normalisation --------------------------------------------------------------------------

# Thin and no-break spaces surround "=" in many PMC texts; the Lancet writes decimals with a middle dot.
_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_MINUS = re.compile(r"[\u2212\u2010\u2011\u2012\ufe63\uff0d]")
_MIDDLE_DOT = re.compile(r"(?<=\d)[\u00b7\u2219](?=\d)")


def normalise_text(text: str) -> str:
    """Unicode spaces, minus signs, middle-dot decimals, "≤"/"≥" and HTML entities in plain ASCII."""
    text = _SPACES.sub(" ", text)
    text = _MINUS.sub("-", text)
    text = _MIDDLE_DOT.sub(".", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = text.replace("\u2264", "<=").replace("\u2265", ">=").replace("\u2009", " ")
    return text


# --- names of statistics, shared by the readers and the asides ------------------------------------

# Ratio estimates written out (the readers match them on lower-cased text, the asides in any case).
RATIO_WORDS = r"odds ratio|hazard ratio|risk ratio|rate ratio|relative risk"
# Odds, hazard and risk ratios abbreviated, "a" for adjusted ("aOR"); case-sensitive.
ADJUSTABLE_RATIO_ABBREVIATIONS = r"a?OR|a?HR|a?RR"
# Intervals written out (the abbreviations differ: the readers see lower case, the asides "CI", "CrI").
INTERVAL_WORDS = r"confidence interval|credible interval"

# --- p-values and confidence intervals (readers) -------------------------------------------------

_P_VALUE = re.compile(
    r"(?<![a-z0-9])p\s*(?:-?\s*values?)?\s*(?:\(\s*[a-z\- ]{1,20}\)\s*)?(?:for\s+(?:the\s+)?(?:trend|difference)\s*)?"
    r"(?:[:,]\s*)?(?P<op><\s*=|>\s*=|=\s*<|<|>|=|less than|of|was|is)\s*(?:or\s*=\s*|equal\s+to\s+)?"
    r"(?P<value>10\s*\^?\s*-\s*\d+|\d*\.?\d+(?:\s*[x×*]\s*10\s*\^?\s*-\s*\d+|\s*e\s*-\s*\d+)?|n\.?s\.?(?![a-z]))"
)
# "P 0.166", "P value 0.00": no operator written.
_P_BARE = re.compile(r"(?<![a-z0-9])p(?:\s*-?\s*values?)?\s+(?P<value>0?\.\d+)(?![\d.])")
_P_IGNORE_BEFORE = re.compile(r"(?:interaction|heterogeneity|homogeneity|normality|baseline)\W{0,3}\w{0,12}\W{0,3}$")
_NS_PAREN = re.compile(r"\(\s*n\.?s\.?\s*\)|\bp\s*=?\s*n\.?s\b")
# Whole words only, so that of "confidence interval" and "confidence intervals" just one can match.
_CI = re.compile(
    rf"(?:\d{{2}}(?:\.\d+)?\s*%\s*)?(?:ci|c\.i\.|cri|confidence intervals|confidence limits?|{INTERVAL_WORDS})\b"
    r"[^0-9\-]{0,12}(?P<low>-?\d*\.?\d+)\s*(?:%\s*)?(?:-|–|—|to|,|;|…|\.\.\.?)\s*(?P<high>-?\d*\.?\d+)"
)
# A bare "0.85 (0.65-1.12)" with a ratio or difference named just before it.
_BARE_CI = re.compile(
    r"(?P<point>-?\d*\.\d+)\s*[\(\[]\s*(?P<low>-?\d*\.?\d+)\s*(?:-|–|—|to|,)\s*(?P<high>-?\d*\.?\d+)\s*[\)\]]"
)
_RATIO_ABBREVIATIONS_LOWER = r"\bi?rr\b|\ba?or\b|\ba?hr\b"
_RATIO_NAME = re.compile(rf"(?:{RATIO_WORDS}|ratio|{_RATIO_ABBREVIATIONS_LOWER}|\brrr\b)")
_RATIO_NAME_CASED = re.compile(rf"\b(?:{ADJUSTABLE_RATIO_ABBREVIATIONS}|IRR|RRR)\b")
_DIFFERENCE_NAME = re.compile(r"(?:difference|\bw?s?md\b|\bmd\b|change|beta|β|coefficient|slope|\bb\s*=)")
_RATIO_ESTIMATE = re.compile(
    rf"(?:{RATIO_WORDS}|{_RATIO_ABBREVIATIONS_LOWER})"
    r"\s*(?:\[[^\]]{0,20}\]|\([^)]{0,20}\))?\s*(?:[:=,]|of|was|is)?\s*(?P<value>\d*\.\d+|\d+)"
)
# Two reported values in a row ("80.0% ... compared with 56.0%", "5.9 ± 0.5 vs 6.9 ± 1.2").
_VALUE_PAIR = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)\s*(?P<unit>%|[a-zµ/°]{1,12}(?:/[a-z]{1,6})?)?(?:\s*(?:±|\+/-|\+-)\s*\d+(?:\.\d+)?\s*%?)?"
    r"(?:\s*\([^()]{0,40}\))?[^0-9;]{0,60}?\b(?:vs\.?|versus|compared (?:with|to)|and|than|to)\b[^0-9;]{0,40}?"
    r"(?P<b>\d+(?:\.\d+)?)\s*(?P=unit)?"
)



@dataclass(frozen=True, slots=True)
class PValue:
    value: float
    op: str  # "<", ">", "=" (with "<=" and ">=" folded into "<" and ">")
    start: int

    @property
    def significant(self) -> bool | None:
        """True below 0.05, False at or above it; None when the bound says nothing ("p < 0.1")."""
        if self.op == "<":
            return True if self.value <= 0.05 else None
        if self.op == ">":
            return False if self.value >= 0.05 else None
        return self.value <= 0.05


def _parse_number(raw: str) -> float | None:
    text = raw.replace(" ", "")
    match = re.fullmatch(r"10\^?-(\d+)", text)
    if match:
        return 10.0 ** -int(match.group(1))
    match = re.fullmatch(r"(\d*\.?\d+)(?:[x×*]10\^?-(\d+)|e-(\d+))?", text)
    if not match:
        return None
    value = float(match.group(1))
    exponent = match.group(2) or match.group(3)
    return value * 10.0 ** -int(exponent) if exponent else value


def find_p_values(text: str) -> list[PValue]:
    """The p-values in a text, leaving out tests of interaction, heterogeneity and baseline balance."""
    lowered = normalise_text(text).lower()
    found: list[PValue] = []
    for match in _P_VALUE.finditer(lowered):
        if _P_IGNORE_BEFORE.search(lowered[max(0, match.start() - 30):match.start()]):
            continue
        raw_op = match.group("op").replace(" ", "")
        raw_value = match.group("value")
        if raw_value.startswith("n"):
            found.append(PValue(1.0, "=", match.start()))
            continue
        value = _parse_number(raw_value)
        if value is None or value > 1:
            continue
        op = "<" if raw_op in ("<", "<=", "=<", "lessthan") else ">" if raw_op in (">", ">=", "=>") else "="
        found.append(PValue(value, op, match.start()))
    starts = {p.start for p in found}
    for match in _P_BARE.finditer(lowered):
        if match.start() not in starts and not _P_IGNORE_BEFORE.search(lowered[max(0, match.start() - 30):match.start()]):
            found.append(PValue(float(match.group("value")), "=", match.start()))
    return sorted(found, key=lambda p: p.start)


# A table row read as text: a label, two values and a bare p-value ("MCMQ 51.03±3.39 49.13±3.15 0.03").
_TABLE_ROW = re.compile(r"^[^\n.;]{0,80}?\d[^a-z;]*?\s(?P<p><\s*)?(?P<value>0?\.\d+|0\.0+|<\s*0?\.\d+)\s*$", re.IGNORECASE)


def table_row_p_values(text: str) -> list[PValue]:
    """The p-value closing a table row read as text ("MCMQ 51.03±3.39 49.13±3.15 0.03"), if the text is one."""
    stripped = text.strip()
    if re.search(r"\b(?:was|were|is|are|had|has|showed)\b", stripped.lower()):
        return []
    match = _TABLE_ROW.match(stripped)
    if not match:
        return []
    raw = match.group("value").replace("<", "").strip()
    value = float(raw)
    op = "<" if match.group("p") or match.group("value").startswith("<") else "="
    return [PValue(value, op, match.start("value"))]


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float
    null: float  # 1 for ratios, 0 for differences
    point: float | None
    start: int

    @property
    def significant(self) -> bool:
        return not (self.low <= self.null <= self.high)

    @property
    def direction(self) -> Direction | None:
        centre = self.point if self.point is not None else (self.low + self.high) / 2
        if centre == self.null:
            return None
        return "increased" if centre > self.null else "decreased"


def _null_for(before_lower: str, before_cased: str, low: float, high: float) -> float | None:
    ratio = _RATIO_NAME.search(before_lower) or _RATIO_NAME_CASED.search(before_cased)
    difference = _DIFFERENCE_NAME.search(before_lower)
    if ratio and (not difference or ratio.end() >= difference.end()):
        return 1.0
    if difference or low < 0:
        return 0.0
    # Unnamed and positive: most unlabelled intervals reported around 1 are ratios.
    return 1.0 if low < 1.0 < high < 20 else None


def find_intervals(text: str) -> list[Interval]:
    """Confidence intervals, each with its null value (1 for a ratio, 0 for a difference) where it can tell."""
    cased = normalise_text(text)
    lowered = cased.lower()
    found: list[Interval] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_CI, _BARE_CI):
        for match in pattern.finditer(lowered):
            if any(s <= match.start() < e for s, e in taken):
                continue
            low, high = _parse_number(match.group("low").lstrip("-")), _parse_number(match.group("high").lstrip("-"))
            if low is None or high is None:
                continue
            low = -low if match.group("low").startswith("-") else low
            high = -high if match.group("high").startswith("-") else high
            if low > high:
                continue
            point = None
            if "point" in match.groupdict() and match.group("point"):
                point = float(match.group("point"))
                if not low <= point <= high:
                    continue
            else:
                before_point = re.search(r"(-?\d*\.?\d+)\s*[,;(\[]?\s*[^0-9]{0,25}$", lowered[max(0, match.start() - 40):match.start()])
                if before_point:
                    candidate = float(before_point.group(1)) if re.fullmatch(r"-?\d*\.?\d+", before_point.group(1)) else None
                    if candidate is not None and low <= candidate <= high:
                        point = candidate
            start = max(0, match.start() - 60)
            null = _null_for(lowered[start:match.start()], cased[start:match.start()], low, high)
            if pattern is _BARE_CI and not (_RATIO_NAME_CASED.search(cased[start:match.start()]) or
                                            _RATIO_NAME.search(lowered[start:match.start()]) or
                                            _DIFFERENCE_NAME.search(lowered[start:match.start()])):
                continue
            if null is None:
                continue
            taken.append((match.start(), match.end()))
            found.append(Interval(low, high, null, point, match.start()))
    return sorted(found, key=lambda interval: interval.start)


def marked_not_significant(lowered: str) -> bool:
    """Whether a lower-cased text marks a result "(NS)" or "p = NS"."""
    return bool(_NS_PAREN.search(lowered))


def ratio_estimate_direction(lowered: str) -> Direction | None:
    """The direction of the first ratio estimate in a lower-cased text ("hr 0.79": decreased), if it gives one."""
    estimate = _RATIO_ESTIMATE.search(lowered)
    if estimate:
        value = float(estimate.group("value"))
        if 0 < value < 1:
            return "decreased"
        if 1 < value < 50:
            return "increased"
    return None


def value_pair_direction(lowered: str) -> Direction | None:
    """The first of two reported values against the second ("80% vs 56%": increased), in a lower-cased text."""
    pair = _VALUE_PAIR.search(lowered)
    if pair:
        a, b = float(pair.group("a")), float(pair.group("b"))
        if a != b:
            return "increased" if a > b else "decreased"
    return None


# --- statistics written as asides ----------------------------------------------------------------

# Statistics written as asides, on text as written. A number that carries the finding ("18% vs 33%") is
# never matched: only confidence intervals, P values, labelled effect estimates and sample sizes are,
# and outside brackets only when they trail a clause after a comma or semicolon.
_ASIDE_NUMBER = r"[-\u2212\u2013]?\d+(?:[.\u00b7]\d+)?\s*%?"
_ASIDE_RANGE = rf"{_ASIDE_NUMBER}(?:\s*(?:to|-|\u2013|\u2014|,)\s*{_ASIDE_NUMBER})?"
_ASIDE_INTERVAL = (
    rf"(?:\d{{2}}(?:\.\d)?\s*%\s*)?(?:CI|CrI|(?i:{INTERVAL_WORDS}))\b\s*[:=,]?\s*(?:of\s+)?"
    + _ASIDE_RANGE
)
_ASIDE_P_VALUE = r"\b[Pp]\s*(?:[- ]?value\s*)?(?:for\s+(?:trend|interaction)\s*)?[<=>\u2264\u2265]\s*0?\.\d+"
# Each name is a whole word before its number, so the order of the alternatives does not matter.
_ASIDE_EFFECT = (
    rf"\b(?:(?:{ADJUSTABLE_RATIO_ABBREVIATIONS})s?|IRR|RD|ARR|RRR|SMD|WMD|MD|NNT|NNH|"
    rf"(?i:{RATIO_WORDS}|incidence rate ratio|"
    r"standardi[sz]ed mean difference|weighted mean difference|mean difference|risk difference))"
    rf"\s*[,:=]?\s*{_ASIDE_NUMBER}"
)
# A sample size: how many people a study had, not what it found ("(n = 74)").
_ASIDE_SAMPLE = r"\b[nN]\s*=\s*\d[\d,]*(?!\s*%)(?!\.\d)"
_ASIDE_STATISTIC = rf"(?:{_ASIDE_INTERVAL}|{_ASIDE_EFFECT}|{_ASIDE_P_VALUE}|{_ASIDE_SAMPLE})"
# Inside brackets, with the comma or semicolon before it if any: "(HR 0.79; 95% CI 0.66 to 0.95)".
STATISTIC_IN_BRACKETS = re.compile(rf"[,;]?\s*{_ASIDE_STATISTIC}")
# Trailing a clause outside brackets: "..., p = 0.03."
STATISTIC_AFTER_CLAUSE = re.compile(rf"[,;]\s*{_ASIDE_STATISTIC}(?=[\s.,;]|$)")

"""Findings and conflicts: what a sentence says an intervention did to an outcome, and when newer
research contradicts an older guideline statement about the same intervention and outcome.

**Finding detection** (`detect_finding`) reads a sentence or short passage that compares an
intervention with a comparator on an outcome and returns a `Finding`: a ``direction`` of the outcome
measure itself (``increased``, ``decreased`` or ``no_difference``; whether the outcome is good or bad
does not matter: "reduced mortality" is ``decreased``) and whether the difference is ``significant``.
It is deterministic and rule-based:

- significance from p-values (``p = 0.03`` significant, ``p = 0.40`` not, ``p > 0.05`` not), from
  confidence intervals (a ratio's interval excluding 1, a difference's excluding 0) and from words
  ("significantly", "non-significant", "did not reach significance");
- "no difference" cues ("did not differ", "similar", "comparable", "no significant ...") and negated
  direction words ("did not significantly reduce", "no increase");
- direction words ("reduced", "lower", "fewer", "higher", "improved", "prolonged" ...), ratio
  estimates (RR / OR / HR below or above 1) and, last, the order of two reported values ("80% vs 56%");
- arms: when the comparator is the grammatical subject ("higher in the placebo group than ...") the
  direction is flipped, so that it is always the intervention's, relative to the comparator;
- when a passage has several clauses ("whereas", "but", ";"), the clause that names the outcome is read.

Its accuracy on the Evidence Inference v2 evidence spans is measured by
``bench/eval_evidence_inference.py``: 0.862 on train, 0.860 on validation and 0.807 on test (majority
class 0.425 on test). The lexicons and thresholds were written by reading errors on the train and
validation splits only; the test split was scored once, at the end. Nothing is learned, at run time or
before: every rule is in this file.

**Conflicts** (`find_conflicts`): a guideline statement and a newer research finding about the same
intervention and outcome (`same_topic`) conflict when their directions are opposite, or when one
reports an effect and the other no significant difference. The `Conflict` carries a dated note built
only from the two texts' own words, their years, study type and citation numbers, and connective words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from curbside.corpus.documents import DOC_TYPE_LABELS, DocType

Direction = Literal["increased", "decreased", "no_difference"]

EI_LABELS: dict[Direction, str] = {
    "increased": "significantly increased",
    "decreased": "significantly decreased",
    "no_difference": "no significant difference",
}

# --- text normalisation and tokens -----------------------------------------------------------------

# Thin and no-break spaces surround "=" in many PMC texts; the Lancet writes decimals with a middle dot.
_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_MINUS = re.compile(r"[\u2212\u2010\u2011\u2012\ufe63\uff0d]")
_MIDDLE_DOT = re.compile(r"(?<=\d)[\u00b7\u2219](?=\d)")


def _normalise(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _MINUS.sub("-", text)
    text = _MIDDLE_DOT.sub(".", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = text.replace("\u2264", "<=").replace("\u2265", ">=").replace("\u2009", " ")
    return text


_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_TOKEN_ANY_CASE = re.compile(_TOKEN.pattern, re.IGNORECASE)

# Words that name neither an intervention nor an outcome: arms, doses, study words, fillers.
_STOP = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "and", "or", "vs",
    "versus", "than", "as", "into", "per", "each", "both", "either", "this", "that", "these", "those", "it",
    "its", "their", "there", "was", "were", "is", "are", "be", "been", "being", "had", "has", "have", "did",
    "do", "does", "group", "groups", "arm", "arms", "patient", "patients", "subject", "subjects",
    "participant", "participants", "people", "person", "case", "cases", "treated", "treatment", "treatments",
    "therapy", "therapies", "receiving", "received", "receive", "given", "administered", "using", "use",
    "used", "dose", "doses", "dosage", "daily", "day", "days", "week", "weeks", "month", "months", "year",
    "years", "hour", "hours", "h", "min", "mg", "kg", "g", "ml", "mcg", "ug", "iu", "plus", "alone", "only",
    "after", "before", "during", "within", "over", "under", "who", "which", "whom", "when", "while", "also",
    "all", "any", "other", "more", "less", "mean", "median", "total", "number", "rate", "rates", "level",
    "levels", "score", "scores", "value", "values", "change", "changes", "risk", "risks", "incidence",
    "proportion", "percentage", "frequency", "outcome", "outcomes", "effect", "effects", "compared",
    "comparison", "study", "significant", "significantly", "difference", "differences", "p", "ci", "rr",
    "hr", "self", "well",
})


def _stem(token: str) -> str:
    # A light stemmer is enough to match "infections"/"infection" and "reduced"/"reduction" prefixes.
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def content_terms(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words of a text (numbers and study words dropped)."""
    terms: list[str] = []
    for raw in _TOKEN.findall(_normalise(text).lower()):
        for part in raw.split("-"):
            if len(part) < 2 or part.isdigit() or part in _STOP or re.fullmatch(r"[\d.]+", part):
                continue
            terms.append(_stem(part))
    return terms


# Drug classes named by the stem their members end with ("statin" / "atorvastatin"), minus the
# unrelated words that happen to end the same way.
_CLASS_STEMS = frozenset({
    "statin", "sartan", "pril", "olol", "azole", "mab", "tinib", "gliptin", "gliflozin", "floxacin", "cycline",
    "cillin", "prazole", "dipine", "parin", "xaban", "gatran", "triptan", "setron", "lukast", "tidine", "semide",
    "thiazide", "glutide", "vudine", "navir", "coxib", "dronate", "profen", "oxetine", "azepam", "barbital",
})
_NOT_IN_CLASS = frozenset({"somatostatin", "nystatin", "cystatin", "pentostatin", "heparin"})


def _terms_match(a: str, b: str) -> bool:
    """Equal, a shared 6-letter prefix (mortality/mortalities), or a drug class and a member (statin/atorvastatin)."""
    if a == b:
        return True
    if len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6]:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return short in _CLASS_STEMS and long_.endswith(short) and long_ not in _NOT_IN_CLASS


def _match_strength(a: str, b: str) -> int:
    """3 equal, 2 shared 6-letter prefix, 1 drug class and member, 0 no match (see `_terms_match`)."""
    if a == b:
        return 3
    if len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6]:
        return 2
    return 1 if _terms_match(a, b) else 0


def _overlap(a: Iterable[str], b: Iterable[str]) -> int:
    b_list = list(b)
    return sum(1 for term in set(a) if any(_terms_match(term, other) for other in b_list))


# --- cue lexicons --------------------------------------------------------------------------------

# Direction words (matched on whole lower-cased tokens). Ambiguous ones ("improved", "better", "worse")
# describe benefit rather than the measure; see _GOOD_WORDS / _BAD_OUTCOME for how they are read.
_INCREASE = re.compile(
    r"^(?:increas(?:e|ed|es|ing)|higher|highest|greater|greatest|more|elevat(?:e|ed|es|ion|ions)|rais(?:e|ed)|rose|"
    r"ris(?:e|es|ing)|gain(?:ed|s)?|larger|longer|prolong(?:ed|s|ation)?|enhanc(?:e|ed|es|ement)|augment(?:ed|s|ation)?|"
    r"boost(?:ed|s)?|doubled|tripled|exceed(?:ed|s)?|upregulat(?:ed|ion)|up-regulat(?:ed|ion)|accelerat(?:ed|es)|"
    r"stimulat(?:ed|es)|promot(?:ed|es)|faster|increment|excess|heavier|taller|wider|extended)$"
)
_DECREASE = re.compile(
    r"^(?:decreas(?:e|ed|es|ing)|reduc(?:e|ed|es|ing|tion|tions)|lower(?:ed|ing)?|lowest|less|lesser|least|fewer|"
    r"declin(?:e|ed|es|ing)|drop(?:ped|s)?|fell|diminish(?:ed|es)?|attenuat(?:e|ed|es|ion)|shorter|shortened|"
    r"smaller|suppress(?:ed|es|ion)?|inhibit(?:ed|s|ion)?|prevent(?:ed|s)?|alleviat(?:e|ed|es)|reliev(?:e|ed|es)|"
    r"lessen(?:ed|s)?|halved|downregulat(?:ed|ion)|down-regulat(?:ed|ion)|slower|lighter|narrower|"
    r"minimi[sz](?:e|ed|es)|abolish(?:ed|es)?|eliminat(?:e|ed|es)|decrement|cut)$"
)
# "Improved appetite" is an increase; "improved pain" a decrease: read with the outcome's polarity.
_GOOD_WORDS = re.compile(r"^(?:improv(?:e|ed|es|ement|ements|ing)|better|benefit(?:ed|s)?|superior)$")
_BAD_WORDS = re.compile(r"^(?:wors(?:e|ened|ening)|inferior|deteriorat(?:e|ed|ion)|impair(?:ed|s|ment)?)$")
# Outcomes where less is better, so that "improved" means lower. Kept to the unambiguous ones: a longer
# list (scores, weights, costs) did no better on the train and validation spans.
_BAD_OUTCOME = re.compile(r"pain|mortality|death|nausea|vomit|anxiety|depress|symptom|complication|adverse")
# Tokens that negate what follows within a few words.
_NEGATORS = frozenset({
    "no", "not", "non", "nor", "neither", "without", "never", "none", "failed", "fail", "fails", "lack",
    "lacked", "absence", "absent", "cannot", "unable", "nothing", "n't", "didn't", "don't", "doesn't",
    "wasn't", "weren't", "isn't", "aren't",
})
# Words that mark the next arm mention as the reference ("than placebo", "compared with control").
_REFERENCE_MARKERS = frozenset({
    "than", "compared", "comparing", "comparison", "versus", "vs", "v", "relative", "against", "unlike",
    "over", "whereas",
})
_SIMILAR = re.compile(
    r"^(?:similar|comparable|equivalent|equal|unchanged|unaffected|unaltered|identical|indistinguishable|"
    r"stable|same|noninferior|non-inferior|equally)$"
)
_DIFFER = re.compile(r"^(?:differ(?:ed|s|ence|ences|ent|ing)?|significan(?:t|tly|ce)|statistically|change(?:d|s)?|"
                     r"effect(?:s)?|impact|benefit|associat(?:ed|ion)|alter(?:ed)?|affect(?:ed)?|influence(?:d)?)$")
# Direction words that are names, not changes ("lower limb", "more than 5", "higher education").
_FIXED_AFTER = {
    "lower": re.compile(r"^\s+(?:limb|extremit|back|respiratory|urinary|abdom|leg|lip|eyelid|gi\b|gastro|"
                        r"esophag|oesophag|quadrant|body|tract|segment|pole|lobe|jaw|molar|incisor)"),
    "higher": re.compile(r"^\s+(?:education|income|socioeconomic)"),
    "more": re.compile(r"^\s+(?:than\s+\d|than\s+or\s+equal|than\s+(?:one|two|three|half)|likely\s+to\s+be\s+random)"),
    "less": re.compile(r"^\s+than\s+\d"),
    "least": re.compile(r"^[\s-]+squares?"),
    "greater": re.compile(r"^\s+than\s+(?:or\s+equal\s+to\s+)?\d"),
    "cut": re.compile(r"^[\s-]*(?:off|point)"),
    "extended": re.compile(r"^\s*-?\s*release"),
}

_NEGATION_WINDOW = 4  # a negator governs the next few words: "did not significantly reduce"
# A hazard ratio below 1 on a time-to-event outcome means the event comes later: the measure goes up.
_HAZARD = re.compile(r"hazard ratio|\ba?hr\b")
_TIME_TO_EVENT = re.compile(r"surviv|time to|\bfree\b|-free|duration|latency")
# Size words that qualify a change noun ("greater reduction", "smaller increases").
_MAGNITUDES_UP = frozenset({"greater", "larger", "more", "bigger", "higher", "stronger"})
_MAGNITUDES = _MAGNITUDES_UP | frozenset({"less", "smaller", "fewer", "lesser", "lower", "weaker"})
# "Similar at baseline" describes randomisation, not a result.
_AT_BASELINE = re.compile(r"\b(?:at|before|prior to) (?:the )?(?:baseline|randomi[sz]ation|enrol(?:l)?ment|entry)\b|baseline characteristics")
# A clause about "the difference between groups" (not about one arm's change) settles the comparison.
_GROUP_VERDICT = re.compile(
    r"\b(?:between (?:the )?(?:two |three |treatment |study )?(?:groups?|arms?)|between-group|intergroup|inter-group|"
    r"group-wise|groupwise|(?:the|this|these|that|such) (?:differences?|effects?|reductions?|increases?|changes?|"
    r"improvements?|decreases?)|(?:this|it) (?:was|is) not|comparisons? (?:with|to|between)|no longer|not maintained)\b"
)
# "Decreased significantly in both groups": a change within each arm, not between them.
_WITHIN_BOTH = re.compile(
    r"\b(?:(?:in|for|among|within) (?:both|all|each|either) (?:of the )?(?:the )?(?:two |three |treatment |study )?"
    r"(?:groups?|arms?|conditions|cohorts|treatments))\b"
)
# "Tended to be lower", "a trend towards": the authors do not call it significant.
_TREND = frozenset({
    "trend", "trends", "tended", "tendency", "marginal", "marginally", "borderline",
})

# --- p-values and confidence intervals -----------------------------------------------------------

_P_VALUE = re.compile(
    r"(?<![a-z0-9])p\s*(?:-?\s*values?)?\s*(?:\(\s*[a-z\- ]{1,20}\)\s*)?(?:for\s+(?:the\s+)?(?:trend|difference)\s*)?"
    r"(?:[:,]\s*)?(?P<op><\s*=|>\s*=|=\s*<|<|>|=|less than|of|was|is)\s*(?:or\s*=\s*|equal\s+to\s+)?"
    r"(?P<value>10\s*\^?\s*-\s*\d+|\d*\.?\d+(?:\s*[x×*]\s*10\s*\^?\s*-\s*\d+|\s*e\s*-\s*\d+)?|n\.?s\.?(?![a-z]))"
)
# "P 0.166", "P value 0.00": no operator written.
_P_BARE = re.compile(r"(?<![a-z0-9])p(?:\s*-?\s*values?)?\s+(?P<value>0?\.\d+)(?![\d.])")
_P_IGNORE_BEFORE = re.compile(r"(?:interaction|heterogeneity|homogeneity|normality|baseline)\W{0,3}\w{0,12}\W{0,3}$")
_NS_PAREN = re.compile(r"\(\s*n\.?s\.?\s*\)|\bp\s*=?\s*n\.?s\b")
_CI = re.compile(
    r"(?:\d{2}(?:\.\d+)?\s*%\s*)?(?:ci|c\.i\.|confidence intervals?|confidence limits?|cri|credible interval)\b"
    r"[^0-9\-]{0,12}(?P<low>-?\d*\.?\d+)\s*(?:%\s*)?(?:-|–|—|to|,|;|…|\.\.\.?)\s*(?P<high>-?\d*\.?\d+)"
)
# A bare "0.85 (0.65-1.12)" with a ratio or difference named just before it.
_BARE_CI = re.compile(
    r"(?P<point>-?\d*\.\d+)\s*[\(\[]\s*(?P<low>-?\d*\.?\d+)\s*(?:-|–|—|to|,)\s*(?P<high>-?\d*\.?\d+)\s*[\)\]]"
)
_RATIO_NAME = re.compile(
    r"(?:odds ratio|hazard ratio|risk ratio|rate ratio|relative risk|ratio|\bi?rr\b|\ba?or\b|\ba?hr\b|\brrr\b)"
)
_RATIO_NAME_CASED = re.compile(r"\b(?:a?OR|a?HR|a?RR|IRR|RRR)\b")
_DIFFERENCE_NAME = re.compile(r"(?:difference|\bw?s?md\b|\bmd\b|change|beta|β|coefficient|slope|\bb\s*=)")
_RATIO_ESTIMATE = re.compile(
    r"(?:odds ratio|hazard ratio|risk ratio|rate ratio|relative risk|\bi?rr\b|\ba?or\b|\ba?hr\b)"
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
    lowered = _normalise(text).lower()
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


def _table_row_p(text: str) -> list[PValue]:
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
    cased = _normalise(text)
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


# --- clauses and cues ----------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(
    r";|\n+|(?<=[a-z0-9)%\]])\.\s+(?=[A-Z(])|,?\s+\b(?:whereas|while|but|however|although|though|yet|"
    r"nevertheless|nonetheless|in contrast|on the other hand)\b,?|,?\s+(?=and (?:did|was|were|is|are) not\b)|"
    r",?\s+(?=with(?:out)? no (?:statistically )?(?:significant )?differences?\b)",
)


@dataclass(slots=True)
class _Clause:
    text: str
    tokens: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


def _paren_depths(text: str) -> list[int]:
    depths: list[int] = []
    depth = 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        depths.append(depth)
    return depths


def _clauses(text: str) -> list[_Clause]:
    """Clauses at ";", sentence ends and contrast words, never inside brackets ("(12.6%; 35/278)")."""
    pieces: list[_Clause] = []
    last = 0
    depths = _paren_depths(text)
    for match in _CLAUSE_BREAK.finditer(text):
        if depths[match.start()] and match.group(0) != "\n" and not match.group(0).startswith("\n"):
            continue
        pieces.append(_Clause(text[last:match.start()]))
        last = match.end()
    pieces.append(_Clause(text[last:]))
    result = []
    for clause in pieces:
        if not clause.text.strip():
            continue
        # Offsets into the text as written ("İ".lower() is two characters long).
        for match in _TOKEN_ANY_CASE.finditer(clause.text):
            clause.tokens.append(match.group(0).lower())
            clause.spans.append((match.start(), match.end()))
        result.append(clause)
    return result


@dataclass(frozen=True, slots=True)
class _Arms:
    intervention: frozenset[str]
    comparator: frozenset[str]
    comparator_negates_intervention: bool  # "without tourniquet", "no treatment", "non-..."
    intervention_labels: frozenset[str]  # "b" for "Papacárie method (group B)"
    comparator_labels: frozenset[str]
    negated: frozenset[str]  # "tourniquet" for a comparator "without tourniquet"


# "group A", "Group II", "RM group": matched case-sensitively, so that "in group" is no label.
_GROUP_LABEL = re.compile(r"\b[Gg]roups?\s*[-:]?\s*([A-Z]{1,3}\d?|\d{1,2})\b|\b([A-Z]{1,3}\d?)\s+[Gg]roups?\b")
# "the experimental group", "the placebo arm": generic names for each side.
_GENERIC_ARM = re.compile(
    r"\b(?P<i>experimental|intervention|treatment|treated|study|active|verum|test)\s+(?:groups?|arms?|patients|subjects|"
    r"participants|condition|side)\b|\bthe (?P<i2>experimental|intervention|active)\b|\b(?P<c>control|placebo|sham|usual[- ]care|reference|comparison|untreated)\s+"
    r"(?:groups?|arms?|patients|subjects|participants|condition|side|children|animals|rats|mice|eyes)\b",
    re.IGNORECASE,
)


_MARKER_WINDOW = 6  # "compared to the nights with placebo": the marker may sit several words back


def _group_labels(text: str) -> frozenset[str]:
    return frozenset((m.group(1) or m.group(2)).lower() for m in _GROUP_LABEL.finditer(text))


def _arms(intervention: str | None, comparator: str | None, outcome_terms: Sequence[str] = ()) -> _Arms | None:
    if not intervention and not comparator:
        return None
    # Words of the outcome's name do not identify an arm ("pressure support ventilation (PSV)" and "PSV ... higher").
    i_terms = {t for t in content_terms(intervention or "") if not any(_terms_match(t, o) for o in outcome_terms)}
    c_terms = {t for t in content_terms(comparator or "") if not any(_terms_match(t, o) for o in outcome_terms)}
    c_lower = (comparator or "").lower()
    negates = bool(re.search(r"\b(?:no|without|non|none|untreated|nothing)\b", c_lower))
    i_only = {t for t in i_terms if not any(_terms_match(t, c) for c in c_terms)}
    c_only = {t for t in c_terms if not any(_terms_match(t, i) for i in i_terms)}
    i_labels, c_labels = _group_labels(intervention or ""), _group_labels(comparator or "")
    negated = {_stem(m.group(1)) for m in re.finditer(r"\b(?:without|no|non)[\s-]+([a-z0-9]+)", c_lower)} - _STOP
    return _Arms(frozenset(i_only - {"control"}), frozenset(c_only - {"control"}), negates,
                 i_labels - c_labels, c_labels - i_labels, frozenset(negated))


def _arm_mentions(clause: _Clause, arms: _Arms) -> list[tuple[int, str, bool]]:
    """(token index, "i" or "c", marked as the reference) for each arm mention in a clause, in order."""
    found: dict[int, str] = {}
    tokens = clause.tokens
    starts = {span[0]: index for index, span in enumerate(clause.spans)}

    def token_at(offset: int) -> int | None:
        return starts.get(offset)

    for match in _GENERIC_ARM.finditer(clause.text):
        index = token_at(match.start())
        if index is not None:
            found[index] = "i" if match.group("i") or match.group("i2") else "c"
    for match in _GROUP_LABEL.finditer(clause.text):
        label = (match.group(1) or match.group(2)).lower()
        side = "i" if label in arms.intervention_labels else "c" if label in arms.comparator_labels else None
        index = token_at(match.start())
        if side and index is not None:
            found[index] = side
    skip_next = False
    for index, token in enumerate(tokens):
        if skip_next or index in found:
            skip_next = False
            continue
        arm: str | None = None
        # A comparator "without tourniquet": "non-tourniquet" / "without tourniquet" name it, "tourniquet"
        # alone names the intervention.
        negatable = arms.intervention | arms.negated
        if arms.comparator_negates_intervention:
            if token.startswith("non-") and any(_terms_match(_stem(p), t) for p in token[4:].split("-") for t in negatable):
                arm = "c"
            elif token in ("without", "no") and index + 1 < len(tokens) and \
                    any(_terms_match(_stem(tokens[index + 1]), t) for t in negatable):
                arm, skip_next = "c", True
            elif _stem(token) in arms.negated:
                arm = "i"
        if arm is None:
            # The closer match wins: "antagonist" is the antagonist arm, not the "agonist" one it ends with.
            parts = [_stem(p) for p in token.split("-") if p and p not in _STOP]
            i_strength = max((_match_strength(p, t) for p in parts for t in arms.intervention), default=0)
            c_strength = max((_match_strength(p, t) for p in parts for t in arms.comparator), default=0)
            if i_strength or c_strength:
                arm = "i" if i_strength >= c_strength else "c"
        if arm is not None:
            found[index] = arm
    mentions: list[tuple[int, str, bool]] = []
    for index in sorted(found):
        arm = found[index]
        if mentions and mentions[-1][0] >= index - 2 and mentions[-1][1] == arm:
            continue  # one mention spans several words
        window = tokens[max(0, index - _MARKER_WINDOW):index]
        mentions.append((index, arm, any(word in _REFERENCE_MARKERS for word in window)))
    return mentions


@dataclass(slots=True)
class _Signals:
    """What one clause says; scores are counts of cues."""

    increase: float = 0.0
    decrease: float = 0.0
    no_difference: float = 0.0
    significant: bool | None = None
    cues: list[str] = field(default_factory=list)
    cue_index: int | None = None  # token index of the first direction or no-difference cue
    cue_kind: str | None = None  # "verb", "comparative" or "noun", for term extraction
    ratio_direction: Direction | None = None
    value_direction: Direction | None = None
    p_value: float | None = None
    relevance: float = 0.0
    arm_sides: frozenset[str] = frozenset()  # which arms the clause names


def _negated(tokens: Sequence[str], index: int) -> bool:
    window = tokens[max(0, index - _NEGATION_WINDOW):index]
    for offset, word in enumerate(reversed(window)):
        if word in _NEGATORS or word.endswith("n't"):
            # "not only ... but", "no longer" do not negate; neither does "no" two words back behind "than".
            following = window[len(window) - offset:] if offset else []
            if word == "not" and following[:1] == ["only"]:
                return False
            # "lack of efficacy, and significantly more": "lack" governs only its own noun.
            return not (word in ("lack", "lacked", "absence", "absent") and offset > 2)
        if word in ("than", "compared", "versus", "vs", "but", "and") and offset > 0:
            return False
    return False


_COMPARATIVES = frozenset({
    "higher", "greater", "more", "larger", "longer", "lower", "less", "fewer", "smaller", "shorter", "better",
    "worse", "faster", "slower", "heavier", "lighter", "similar", "comparable",
})
_NOUN_CUES = re.compile(r"(?:tions?|ments?|creases?|crements?|ances?|ences?|clines?|drops?|rises?|gains?|loss(?:es)?)$")
_COPULA = frozenset({"was", "were", "is", "are", "be", "been", "being", "remained"})


def _change_noun_after(tokens: Sequence[str], index: int) -> int | None:
    """Index of a change noun ("reduction", "increases") within two words after a size word, if any."""
    for offset in (1, 2, 3):
        if index + offset >= len(tokens):
            return None
        word = tokens[index + offset]
        if (_INCREASE.match(word) or _DECREASE.match(word)) and _NOUN_CUES.search(word) and word not in _MAGNITUDES:
            return index + offset
        if word not in ("mean", "median", "average", "overall", "relative", "absolute", "percentage", "and", "significant"):
            return None
    return None


def _signals(
    clause: _Clause, arms: _Arms | None, outcome_terms: Sequence[str], bad_outcome: bool, time_to_event: bool = False
) -> _Signals:
    signals = _Signals()
    directional: list[tuple[int, str]] = []  # (token index, "increased" or "decreased")
    tokens = clause.tokens
    lowered = clause.text.lower()
    skip: set[int] = set()
    fallback_cue: int | None = None
    pending_change: tuple[int, Direction] | None = None  # a change noun opening the clause ("the reduction in X")
    for index, token in enumerate(tokens):
        if index in skip:
            continue
        end = clause.spans[index][1]
        after = clause.text[end:end + 40].lower()
        fixed = _FIXED_AFTER.get(token)
        if fixed is not None and fixed.match(after):
            continue
        if outcome_terms and any(_terms_match(_stem(token), t) for t in outcome_terms) and not _SIMILAR.match(token):
            continue  # the word is part of the outcome's name ("weight loss", "pain relief")
        kind: str | None = None
        change_at = _change_noun_after(tokens, index) if token in _MAGNITUDES else None
        if change_at is not None:
            # "greater reduction", "smaller mean increases": the change noun decides, the size word says which way.
            change: Direction = "increased" if _INCREASE.match(tokens[change_at]) else "decreased"
            kind = change if token in _MAGNITUDES_UP else _opposite(change)
            skip.add(change_at)
        elif token in _MAGNITUDES and pending_change is not None and not _negated(tokens, index) and \
                any(word in _COPULA for word in tokens[pending_change[0] + 1:index]):
            # "the pain increase ... was significantly lower": the change noun came first.
            noun_index, change = pending_change
            directional[:] = [cue for cue in directional if cue[0] != noun_index]
            kind = change if token in _MAGNITUDES_UP else _opposite(change)
            pending_change = None
        elif token in ("low", "high") and index and tokens[index - 1] in ("significantly", "statistically", "markedly"):
            kind = "decreased" if token == "low" else "increased"
        elif _INCREASE.match(token):
            kind = "increased"
        elif _DECREASE.match(token):
            kind = "decreased"
        elif _GOOD_WORDS.match(token):
            kind = "decreased" if bad_outcome else "increased"
        elif _BAD_WORDS.match(token):
            kind = "increased" if bad_outcome else "decreased"
        if kind is not None:
            if _negated(tokens, index):
                signals.no_difference += 1
                signals.cues.append(f"not {token}")
            else:
                directional.append((index, kind))
                signals.cues.append(token)
                if _NOUN_CUES.search(token) and token not in _MAGNITUDES and index not in skip and \
                        any(word in _COPULA for word in tokens[index + 1:]):
                    pending_change = (index, kind)
            if signals.cue_index is None:
                signals.cue_index = index
                signals.cue_kind = "comparative" if token in _COMPARATIVES else "noun" if _NOUN_CUES.search(token) else "verb"
            continue
        if _SIMILAR.match(token):
            if token in ("stable", "same", "equal") and not re.search(
                    r"\b(?:(?:was|were|is|are|remained|similar|essentially|roughly|about) (?:the )?same|remained stable|"
                    r"(?:was|were|is|are) (?:about |roughly )?equal)\b", lowered):
                continue
            if _AT_BASELINE.search(lowered):
                continue  # "similar at baseline" describes randomisation, not the result
            signals.no_difference += 1
            signals.cues.append(token)
            if signals.cue_index is None:
                signals.cue_index, signals.cue_kind = index, "comparative"
            continue
        if _DIFFER.match(token) and _negated(tokens, index):
            signals.no_difference += 1.5 if token.startswith(("signific", "statistic", "differ")) else 1
            signals.cues.append(f"not {token}")
            if token.startswith("signific"):
                signals.significant = False
            if token.startswith(("signific", "statistic")):
                fallback_cue = fallback_cue if fallback_cue is not None else index  # "no significant difference": the noun is the cue
            elif signals.cue_index is None:
                # "no difference in X" names the outcome after the cue; "X did not differ", "X was not
                # significant" before it, like a comparative.
                signals.cue_index = index
                signals.cue_kind = "noun" if re.search(r"(?:ence|ences|ects?|fit|ion|ges)$", token) else "comparative"
            continue
        if token in _TREND:
            # "tended to be lower", "a trend towards": the authors do not call it significant.
            signals.no_difference += 1.5
            signals.cues.append(token)
            continue
        if token in ("nonsignificant", "non-significant", "insignificant", "nonsignificantly", "non-significantly",
                     "not-significant", "non-statistically"):
            signals.no_difference += 1.5
            signals.significant = False
            signals.cues.append(token)
            continue
        if token.startswith("significan") or token == "statistically":
            if signals.significant is None:
                signals.significant = True
            signals.cues.append(token)
    if _WITHIN_BOTH.search(lowered):
        # "decreased significantly in both groups": a change within each arm, not between them.
        signals.no_difference += 1
        signals.cues.append("both groups")
    if _NS_PAREN.search(lowered):
        signals.significant = False
        signals.no_difference += 1
        signals.cues.append("NS")
    if signals.cue_index is None and fallback_cue is not None:
        signals.cue_index, signals.cue_kind = fallback_cue, "comparative"  # "X was not significant"
    kinds = {kind for _, kind in directional}
    if len(kinds) == 2 and outcome_terms:
        # "decreased X and increased Y": keep the direction word nearest to the outcome's name.
        mentions = [i for i, t in enumerate(tokens) if any(_terms_match(_stem(p), o) for p in t.split("-") for o in outcome_terms)]
        if mentions:
            directional = [min(directional, key=lambda cue: min(abs(cue[0] - m) for m in mentions))]
    signals.increase = float(sum(1 for _, kind in directional if kind == "increased"))
    signals.decrease = float(sum(1 for _, kind in directional if kind == "decreased"))
    # p-values and intervals override words: "significantly" sits in many sentences with p = 0.2.
    p_values = [p for p in find_p_values(clause.text) if p.significant is not None]
    if not p_values:
        p_values = _table_row_p(clause.text)
    if p_values:
        first = p_values[0]
        if len({p.significant for p in p_values}) > 1 and outcome_terms:
            # "time: p = 0.2 ... damage to vital structures: p = 0.03": the first p after the outcome's name.
            named = [clause.spans[i][0] for i, t in enumerate(tokens)
                     if any(_terms_match(_stem(part), o) for part in t.split("-") for o in outcome_terms)]
            if named:
                later = [p for p in p_values if p.start >= named[0]]
                first = later[0] if later else first
        signals.significant = first.significant
        signals.p_value = first.value
        signals.cues.append(f"p{first.op}{first.value:g}")
    intervals = find_intervals(clause.text)
    if intervals:
        interval = intervals[0]
        if not p_values:
            signals.significant = interval.significant
        signals.cues.append(f"CI {interval.low:g} to {interval.high:g}")
        if interval.null == 1.0 and interval.significant:
            signals.ratio_direction = interval.direction
    if signals.ratio_direction is None:
        estimate = _RATIO_ESTIMATE.search(lowered)
        if estimate:
            value = float(estimate.group("value"))
            if 0 < value < 1:
                signals.ratio_direction = "decreased"
            elif 1 < value < 50:
                signals.ratio_direction = "increased"
    if time_to_event and signals.ratio_direction and _HAZARD.search(lowered):
        # A hazard ratio below 1 means the event comes later: survival and time-to-event measures go up.
        signals.ratio_direction = _opposite(signals.ratio_direction)
    pair = _VALUE_PAIR.search(lowered)
    if pair:
        a, b = float(pair.group("a")), float(pair.group("b"))
        if a != b:
            signals.value_direction = "increased" if a > b else "decreased"
    if arms is not None:
        mentions = _arm_mentions(clause, arms)
        signals.arm_sides = frozenset(arm for _, arm, _ in mentions)
        # Values are listed in the order their arms are named ("13.6% in the control arm and 6.6% in ...").
        if mentions and mentions[0][1] == "c":
            signals.value_direction = _opposite(signals.value_direction)
        # Flip when the comparator is the subject: "higher in the placebo group than in the drug group".
        # (The first unmarked mention did as well as the one nearest the cue on train, and is simpler.)
        unmarked = [arm for _, arm, marked in mentions if not marked]
        subject = unmarked[0] if unmarked else ("c" if mentions and mentions[0][1] == "i" else None)
        if subject == "c":
            signals.increase, signals.decrease = signals.decrease, signals.increase
    if outcome_terms:
        clause_terms = content_terms(clause.text)
        signals.relevance = _overlap(outcome_terms, clause_terms) / max(1, len(set(outcome_terms)))
    return signals


def _opposite(direction: Direction | None) -> Direction | None:
    if direction == "increased":
        return "decreased"
    if direction == "decreased":
        return "increased"
    return direction


# --- findings ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """What a text reports about an intervention and an outcome.

    ``direction`` is None when the text states no comparative result. ``significant`` is None when
    nothing in the text says (a guideline sentence rarely gives a p-value). ``intervention`` and
    ``outcome`` are the words found for them in the text (or given), for topic matching and notes.
    """

    direction: Direction | None
    significant: bool | None
    p_value: float | None = None
    intervention: str | None = None
    outcome: str | None = None
    cues: tuple[str, ...] = ()

    @property
    def ei_label(self) -> str | None:
        return EI_LABELS[self.direction] if self.direction else None


def _has_any(signals: _Signals) -> bool:
    return bool(signals.increase or signals.decrease or signals.no_difference or signals.significant is not None
                or signals.ratio_direction or signals.value_direction)


def _decide(focus: _Signals, significant: bool | None) -> tuple[Direction | None, bool | None]:
    if focus.no_difference and focus.no_difference >= max(focus.increase, focus.decrease):
        return "no_difference", False
    if significant is False:
        return "no_difference", False
    if focus.increase != focus.decrease:
        return ("increased" if focus.increase > focus.decrease else "decreased"), significant
    if focus.increase and focus.ratio_direction:
        return focus.ratio_direction, significant
    if significant:
        direction = focus.ratio_direction or focus.value_direction
        if direction:
            return direction, significant
    return None, significant


def detect_finding(
    text: str,
    *,
    intervention: str | None = None,
    comparator: str | None = None,
    outcome: str | None = None,
) -> Finding:
    """Read the direction and significance of a comparative result from a sentence or short passage.

    With ``intervention`` and ``comparator`` the direction is the intervention's relative to the
    comparator (word order is followed: "lower in the placebo group" means the intervention was higher);
    with ``outcome`` the clause that names it is read when a passage has several.
    """
    normalised = _normalise(text)
    outcome_terms = content_terms(outcome) if outcome else []
    arms = _arms(intervention, comparator, outcome_terms)
    bad_outcome = bool(outcome and _BAD_OUTCOME.search(outcome.lower()))
    clauses = _clauses(normalised)
    if not clauses:
        return Finding(None, None)
    time_to_event = bool(outcome and _TIME_TO_EVENT.search(outcome.lower()))
    signals = [_signals(clause, arms, outcome_terms, bad_outcome, time_to_event) for clause in clauses]
    candidates = [i for i, s in enumerate(signals) if _has_any(s)]
    if not candidates:
        return Finding(None, None, intervention=intervention, outcome=outcome)
    # The clause that names the outcome best; among equals the one with a direction cue, then the first.
    focus_index = max(candidates, key=lambda i: (signals[i].relevance, bool(signals[i].increase or signals[i].decrease
                                                                             or signals[i].no_difference), -i))
    focus = signals[focus_index]
    significant = focus.significant
    if significant is None:
        # "X was lower with A than B (5.9 vs 6.9). This difference was significant (p < 0.01)."
        for other in (focus_index + 1, focus_index - 1):
            if 0 <= other < len(signals) and signals[other].relevance <= focus.relevance and \
                    not (signals[other].increase or signals[other].decrease):
                if signals[other].significant is not None:
                    significant = signals[other].significant
                    break
                if signals[other].no_difference:
                    significant = False
                    break
    direction, significant = _decide(focus, significant)
    if direction in ("increased", "decreased"):
        # "..., but the difference between groups was not significant": the between-group verdict wins.
        for index, other in enumerate(signals):
            # A clause naming one arm only ("these changes were not evident with metformin") is no verdict.
            if index != focus_index and not (other.increase or other.decrease) and len(other.arm_sides) != 1 and \
                    (other.no_difference or other.significant is False) and _GROUP_VERDICT.search(clauses[index].text.lower()):
                direction, significant = "no_difference", False
                break
    found_intervention, found_outcome = intervention, outcome
    if found_intervention is None or found_outcome is None:
        extracted_i, extracted_o = _extract_terms(clauses[focus_index], focus)
        found_intervention = found_intervention or extracted_i
        found_outcome = found_outcome or extracted_o
    return Finding(
        direction=direction,
        significant=significant,
        p_value=focus.p_value,
        intervention=found_intervention,
        outcome=found_outcome,
        cues=tuple(focus.cues),
    )


# Evidence Inference always has a label. With no cue at all, "no significant difference" (the most
# frequent train label); significant with no readable direction, "increased" (the more frequent of the
# two directions in train: 978 against 857 spans, and 55 against 46 among such spans).
_EI_FALLBACK: Direction = "no_difference"
_EI_SIGNIFICANT_FALLBACK: Direction = "increased"


def classify_ei(text: str, *, intervention: str, comparator: str, outcome: str) -> str:
    """The Evidence Inference label ("significantly increased", ...) for an evidence span and its prompt."""
    finding = detect_finding(text, intervention=intervention, comparator=comparator, outcome=outcome)
    if finding.direction is None:
        return EI_LABELS[_EI_SIGNIFICANT_FALLBACK if finding.significant else _EI_FALLBACK]
    return EI_LABELS[finding.direction]


# --- intervention and outcome terms from free text -----------------------------------------------

# Where an intervention or outcome phrase ends: brackets, statistics, comparisons, populations, verbs.
_PHRASE_END = re.compile(
    r"\s*(?:\(|\[|,|;|:|\.(?:\s|$)|\bp\s*[<=>]|\b(?:compared|versus|vs|than|relative to|between|among|amongst|"
    r"in (?:[\w-]+ ){0,2}(?:patients|adults|children|women|men|people|persons|individuals|infants|those|participants)|"
    r"at \d|from \d|by \d|when|after|during|over|within|"
    r"was|were|is|are|did|does|do|had|has|have|showed|shows|resulted|led|leads|can|may|might|should|but|whereas|while|"
    r"that|which|who|include|includes|including|indicated|indicates|suggest|suggests|suggesting|analysis|analyses)\b)",
    re.IGNORECASE,
)
# An outcome also ends where the arm begins: "mortality with dexamethasone", "relapse in the placebo group".
_OUTCOME_END = re.compile(r"\s+(?:with|in the|in those|among|for|following|on|under|by)\b", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^\s*(?:(?:in|among|for|at|after|during)\s+[^,]{1,60},\s*|(?:compared\s+(?:with|to)|versus|relative\s+to)\s+[^,]{1,60},\s*|"
    r"(?:there\s+(?:was|were|is|are)|we\s+(?:found|observed|saw)|results\s+showed|this\s+study\s+(?:found|showed))"
    r"\s+(?:that\s+)?)",
    re.IGNORECASE,
)
_AUXILIARIES = re.compile(
    r"(?:\s+(?:was|were|is|are|be|been|had|has|have|did|does|do|not|no|significantly|statistically|substantially|"
    r"markedly|also|further|slightly|a|an|the|significant|showed|show|shows|resulted\s+in|led\s+to|leads\s+to|"
    r"associated\s+with|caused|produced|found|observed|demonstrated|there|could|can|may|might|would|will|to|"
    r"experienced|reported|achieved|required|developed))+\s*$",
    re.IGNORECASE,
)
_ARM_AFTER = re.compile(
    r"\b(?:in|with|among|for|by|from|after|receiving|on)\s+(?:the\s+|a\s+|an\s+|those\s+(?:who\s+)?(?:received|receiving|given|on)\s+)?"
    r"(?P<arm>[^,;()]{2,60}?)\s*(?:groups?\b|arms?\b|patients\b|recipients\b|users\b|\(|,|;|\bthan\b|\bcompared\b|"
    r"\bversus\b|\bvs\b|$)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?(?P<arm>[^,;()]{2,60}?)\s+(?:and|versus|vs)\b", re.IGNORECASE)
_PREDICATIVE = re.compile(r"^\s*(?:in|with|among|for|at|after|than|on|during|between|from|,|\(|\.|;|$)", re.IGNORECASE)
_PEOPLE = re.compile(
    r"^(?:patients|participants|subjects|those|people|women|men|children|infants|adults|individuals)\s+"
    r"(?:(?:who\s+)?(?:received|receiving|taking|treated\s+with|given|on|in|assigned\s+to|randomi[sz]ed\s+to)\s+)?",
    re.IGNORECASE,
)


def _trim(text: str, *, outcome: bool = False) -> str | None:
    """The leading noun phrase of a text, at most eight words, without articles and statistics."""
    phrase = _PHRASE_END.split(text, maxsplit=1)[0]
    if outcome:
        phrase = _OUTCOME_END.split(phrase, maxsplit=1)[0]
    phrase = re.sub(
        r"^\s*(?:(?:the|a|an|significantly|statistically|significant|that|any|in|of)\s+)+", "", phrase.strip(), flags=re.IGNORECASE
    )
    if outcome:
        phrase = re.sub(r"^(?:(?:differences?|changes?|effects?)\s+(?:in|of|on)|likely\s+to(?:\s+be)?|to)\s+", "", phrase,
                        flags=re.IGNORECASE)
    words = phrase.split()
    result = " ".join(words[:8]).strip(" .,;:")
    return result if content_terms(result) else None


def _subject(before: str) -> str:
    return _AUXILIARIES.sub("", " " + _LEAD_IN.sub("", before)).strip()


def _extract_terms(clause: _Clause, signals: _Signals) -> tuple[str | None, str | None]:
    """Intervention and outcome words around the clause's first cue (a heuristic, for topic matching).

    - verbs ("statins reduced atrial fibrillation"): the subject is the intervention, the object the outcome;
    - comparatives used as predicates ("atrial fibrillation was lower with statins", "mortality did not
      differ between A and B"): the subject is the outcome, the arm after "with / in / between" the intervention;
    - comparatives before a noun ("rituximab was associated with higher remission rates"): the subject is
      the intervention, the noun phrase the outcome;
    - nouns ("a reduction in atrial fibrillation with statins", "no difference in X between A and B"): the
      words after "in / of" are the outcome, an arm after "with / between" or else the subject the intervention.
    """
    if signals.cue_index is None:
        return None, None
    start, end = clause.spans[signals.cue_index]
    subject = _subject(clause.text[:start])
    after = clause.text[end:]
    intervention: str | None
    outcome: str | None
    if signals.cue_kind == "comparative" and _PREDICATIVE.match(after):
        outcome = _trim(subject, outcome=True) if subject else None
        arm = _BETWEEN.search(after) or _ARM_AFTER.search(after)
        intervention = _trim(arm.group("arm")) if arm else None
        people = _PEOPLE.match(subject)
        if people:  # "patients receiving X had lower Y": the subject is the arm, the object the outcome
            intervention, outcome = _trim(subject[people.end():]), _trim(after, outcome=True)
        return intervention, outcome
    if signals.cue_kind == "noun":
        obj = re.match(r"^\s*(?:in|of|on)\s+", after, re.IGNORECASE)
        outcome = _trim(after[obj.end():], outcome=True) if obj else None
        rest = after[obj.end():] if obj else after
        arm = _BETWEEN.search(rest) or re.search(r"\b(?:with|after|by|from|following)\s+(?P<arm>[^,;()]{2,60})", rest, re.IGNORECASE)
        intervention = _trim(arm.group("arm")) if arm else (_trim(subject) if subject else None)
        return intervention, outcome
    people = _PEOPLE.match(subject)
    intervention = _trim(subject[people.end():] if people else subject) if subject else None
    outcome = _trim(re.sub(r"^\s*(?:(?:in|of|on)\s+)?", "", after), outcome=True)
    return intervention, outcome


# --- statements, topics and conflicts ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """A guideline statement or research finding as an article holds it (a `Bullet` works the same way).

    ``intervention`` and ``outcome`` may be given; otherwise they are read from ``text``.
    """

    text: str
    year: int | None = None
    citations: tuple[int | str, ...] = ()
    evidence_level: int | None = None
    grade: str | None = None
    doc_type: str | None = None
    study_type: str | None = None
    intervention: str | None = None
    outcome: str | None = None


def as_statement(item: Statement | Mapping[str, Any] | Any) -> Statement:
    """A `Statement` from a dict, a dataclass or any object with ``text``, ``year``, ``citations`` ... attributes."""
    if isinstance(item, Statement):
        return item

    def get(name: str) -> Any:
        if isinstance(item, Mapping):
            return item.get(name)
        return getattr(item, name, None)

    citations = get("citations") or ()
    if isinstance(citations, (int, str)):
        citations = (citations,)
    return Statement(
        text=str(get("text") or ""),
        year=_as_int(get("year")),
        citations=tuple(citations),
        evidence_level=_as_int(get("evidence_level")),
        grade=get("grade"),
        doc_type=str(get("doc_type")) if get("doc_type") else None,
        study_type=get("study_type"),
        intervention=get("intervention"),
        outcome=get("outcome"),
    )


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None  # an unreadable year or level counts as unknown


def _finding_of(statement: Statement) -> Finding:
    return detect_finding(statement.text, intervention=statement.intervention, outcome=statement.outcome)


# Qualifiers that do not make two outcomes or interventions the same ("postoperative delirium" and
# "postoperative atrial fibrillation" are different outcomes).
_QUALIFIERS = frozenset({
    "postoperative", "preoperative", "perioperative", "intraoperative", "post", "pre", "acute", "chronic",
    "severe", "mild", "moderate", "early", "late", "overall", "primary", "secondary", "serious", "major",
    "minor", "new", "recurrent", "long", "short", "term", "high", "low", "cause", "all", "adult", "older",
    "clinical", "initial", "standard", "routine",
    # words that name no particular intervention or outcome
    "health", "intervention", "program", "programme", "approach", "strategy", "strategie", "service", "care",
    "management", "evidence", "potential", "harm", "benefit", "although", "however", "additional", "reported",
    "based", "symptom", "diagnosi", "age", "function", "effective", "effectivenes", "result", "finding",
})


@lru_cache(maxsize=4096)
def _topic_terms(text: str | None) -> tuple[str, ...]:
    # Cached: find_conflicts compares every guideline statement with every research finding.
    return tuple(t for t in content_terms(text or "") if t not in _QUALIFIERS)


def _shared(a: Sequence[str], b: Sequence[str], *, of_larger: bool = False) -> float:
    """Share of the smaller (or larger) set's terms found in the other."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(set(a)) <= len(set(b)) else (b, a)
    return _overlap(small, large) / len(set(large if of_larger else small))


def same_topic(a: Finding | Statement | str, b: Finding | Statement | str) -> bool:
    """Whether two findings are about the same intervention and the same outcome.

    Each side's intervention words and outcome words (as given, or as read from its text around the
    direction cue) are reduced to content terms: lower-cased, lightly stemmed, without study and filler
    words ("patients", "group", "risk", "rate", "therapy" ...) or qualifiers ("postoperative", "severe",
    "all-cause" ...). Terms match when equal, when they share a 6-letter prefix ("mortality" /
    "mortalities") or when one names a drug class and the other a member ("statin" / "atorvastatin"). The two
    are the same topic when more than half of the smaller side's intervention terms are shared ("statin
    therapy before CABG" / "atorvastatin": yes), and more than half of the larger side's outcome terms
    ("atrial fibrillation" / "incidence of postoperative atrial fibrillation": yes; "cardiovascular
    events" / "cardiovascular mortality", "pain" / "self-management of pain": no). Where one side's
    intervention or outcome could not be read, all its content terms stand in for the missing part.
    """
    fa, fb = (_as_finding(x) for x in (a, b))
    all_a, all_b = _topic_terms(_text_of(a)), _topic_terms(_text_of(b))
    ia = _topic_terms(fa.intervention) if fa.intervention else all_a
    ib = _topic_terms(fb.intervention) if fb.intervention else all_b
    oa = _topic_terms(fa.outcome) if fa.outcome else all_a
    ob = _topic_terms(fb.outcome) if fb.outcome else all_b
    return _shared(ia, ib) > 0.5 and _shared(oa, ob, of_larger=True) > 0.5


def _as_finding(item: Finding | Statement | str) -> Finding:
    if isinstance(item, Finding):
        return item
    if isinstance(item, str):
        return detect_finding(item)
    return _finding_of(item)


def _text_of(item: Finding | Statement | str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Statement):
        return item.text
    return " ".join(x for x in (item.intervention, item.outcome) if x)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A newer research finding that contradicts an older guideline statement, with a dated note."""

    guideline_citation: int | str | None
    research_citation: int | str | None
    guideline_year: int
    research_year: int
    intervention: str | None
    outcome: str | None
    guideline_direction: Direction
    research_direction: Direction
    note: str
    research_study_type: str | None = None
    guideline_grade: str | None = None


def directions_conflict(guideline: Finding, research: Finding) -> bool:
    """Opposite directions, or an effect on one side and no significant difference on the other.

    A guideline's direction counts without a p-value (its statements rarely give one); a research
    finding's effect counts only when it is not reported as non-significant.
    """
    g, r = guideline.direction, research.direction
    if g is None or r is None or g == r:
        return False
    if g == "no_difference":
        return research.significant is not False  # newer research reports an effect the guideline did not see
    if r == "no_difference":
        return True
    return research.significant is not False  # increased against decreased


def _study_type(statement: Statement) -> str | None:
    if statement.study_type:
        return statement.study_type
    if statement.doc_type:
        try:
            return DOC_TYPE_LABELS[DocType(statement.doc_type)].lower()
        except ValueError:
            return statement.doc_type.replace("_", " ")
    if statement.evidence_level is not None:
        return f"evidence level {statement.evidence_level}"
    return None


_DIRECTION_PHRASES: dict[Direction, str] = {
    "increased": "an increase",
    "decreased": "a decrease",
    "no_difference": "no significant difference",
}


def _inline(words: str) -> str:
    # "Preoperative atorvastatin" mid-sentence reads "preoperative atorvastatin"; "HbA1c" stays as written.
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        return words[0].lower() + words[1:]
    return words


def _finding_phrase(finding: Finding) -> str:
    """"no significant difference in postoperative atrial fibrillation with preoperative atorvastatin"."""
    phrase = _DIRECTION_PHRASES[finding.direction or "no_difference"]
    if finding.outcome:
        phrase += f" in {_inline(finding.outcome)}"
    if finding.intervention:
        phrase += f" with {_inline(finding.intervention)}"
    return phrase


def _cite(citation: int | str | None) -> str:
    return f" [{citation}]" if citation not in (None, "") else ""


def conflict_note(guideline: Statement, g_finding: Finding, research: Statement, r_finding: Finding) -> str:
    """'Newer evidence (2021, randomized trial) found no significant difference in X [4], whereas the
    2016 guideline statement (grade B) reported a decrease in X [1].' Words come from the two texts,
    their metadata and connectives only."""
    study = _study_type(research)
    dated = f"{research.year}, {study}" if study else f"{research.year}"
    grade = f" (grade {guideline.grade})" if guideline.grade else ""
    return (
        f"Newer evidence ({dated}) found {_finding_phrase(r_finding)}{_cite(_first(research.citations))}, whereas the "
        f"{guideline.year} guideline statement{grade} reported {_finding_phrase(g_finding)}{_cite(_first(guideline.citations))}."
    )


# Recommendations, hedges and conditionals state no result, whatever direction words they hold
# ("recommends a statin to reduce CVD risk", "may be associated with increased risk").
_NOT_A_FINDING = re.compile(
    r"\b(?:recommends?|recommended|recommendation|suggests? (?:that )?(?:not |offering|considering|initiation|the use)|"
    r"consider(?:ing)?|should|may|might|could|insufficient|unclear|unknown|hypothes[ie]s|if|whether|research "
    r"(?:is|are) needed|future)\b",
    re.IGNORECASE,
)


def _first(citations: Sequence[int | str]) -> int | str | None:
    return citations[0] if citations else None


def check_conflict(
    guideline: Statement | Mapping[str, Any] | Any,
    research: Statement | Mapping[str, Any] | Any,
    *,
    max_research_level: int = 3,
) -> Conflict | None:
    """The conflict between one guideline statement and one research finding, or None.

    Counts only research newer than the guideline (both years known), of evidence level
    ``max_research_level`` or better where a level is given (case reports and narrative reviews do
    not overturn a guideline), about the same topic, with conflicting directions.
    """
    g, r = as_statement(guideline), as_statement(research)
    return _conflict(g, _finding_of(g), r, _finding_of(r), max_research_level)


def _conflict(g: Statement, g_finding: Finding, r: Statement, r_finding: Finding, max_research_level: int) -> Conflict | None:
    if g.year is None or r.year is None or r.year <= g.year:
        return None
    if r.evidence_level is not None and r.evidence_level > max_research_level:
        return None
    if g_finding.direction is None or r_finding.direction is None:
        return None
    if _NOT_A_FINDING.search(g.text) or _NOT_A_FINDING.search(r.text):
        return None
    # Only findings whose intervention and outcome could both be read are compared: a note that guesses
    # its topic would do more harm than a missed one.
    if not all(_topic_terms(x) for x in (g_finding.intervention, g_finding.outcome, r_finding.intervention, r_finding.outcome)):
        return None
    if not directions_conflict(g_finding, r_finding) or not same_topic(g_finding, r_finding):
        return None
    return Conflict(
        guideline_citation=_first(g.citations),
        research_citation=_first(r.citations),
        guideline_year=g.year,
        research_year=r.year,
        intervention=r_finding.intervention or g_finding.intervention,
        outcome=r_finding.outcome or g_finding.outcome,
        guideline_direction=g_finding.direction,
        research_direction=r_finding.direction,
        note=conflict_note(g, g_finding, r, r_finding),
        research_study_type=_study_type(r),
        guideline_grade=g.grade,
    )


def find_conflicts(
    guideline_bullets: Iterable[Statement | Mapping[str, Any] | Any],
    research_bullets: Iterable[Statement | Mapping[str, Any] | Any],
    *,
    max_research_level: int = 3,
) -> list[Conflict]:
    """Every (guideline statement, newer research finding) pair that conflicts, in guideline order.

    Inputs are `Statement`s, dicts or objects (an article's `Bullet`) with ``text``, ``year``,
    ``citations``, ``evidence_level`` and optionally ``grade``, ``doc_type``, ``study_type``,
    ``intervention`` and ``outcome``. Each text is read once.
    """
    guidelines = [(s, _finding_of(s)) for s in map(as_statement, guideline_bullets)]
    research = [(s, _finding_of(s)) for s in map(as_statement, research_bullets)]
    conflicts: list[Conflict] = []
    for g, g_finding in guidelines:
        for r, r_finding in research:
            conflict = _conflict(g, g_finding, r, r_finding, max_research_level)
            if conflict is not None:
                conflicts.append(conflict)
    return conflicts

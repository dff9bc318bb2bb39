"""Clauses of a result passage and what each says: the cue lexicons and the reading of one clause.

`split_clauses` cuts a passage at ";", sentence ends and contrast words ("whereas", "but"), never
inside brackets. `read_clause` reads one clause into `ClauseSignals`:

- direction words ("reduced", "lower", "fewer", "higher", "improved", "prolonged" ...), negated ones
  ("did not significantly reduce", "no increase") counting as no difference, and size words before a
  change noun ("greater reduction");
- "no difference" cues ("did not differ", "similar", "comparable", "no significant ...", "in both groups")
  and trend words ("tended to", "a trend towards");
- significance from p-values and confidence intervals (`curbside.evidence.statistics`), which override
  the words, and from words ("significantly", "non-significant");
- ratio estimates (RR / OR / HR below or above 1) and the order of two reported values ("80% vs 56%");
- arms (`read_arms`): when the comparator is the grammatical subject ("higher in the placebo group than
  ...") the direction is flipped, so that it is always the intervention's, relative to the comparator.

`curbside.evidence.findings` chooses the clause that names the outcome and decides the finding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from curbside.corpus.text import bracket_depths
from curbside.evidence.statistics import (
    Direction,
    find_intervals,
    find_p_values,
    marked_not_significant,
    ratio_estimate_direction,
    table_row_p_values,
    value_pair_direction,
)
from curbside.evidence.terms import (
    STOP_WORDS,
    TOKEN_ANY_CASE,
    content_terms,
    count_matching_terms,
    match_strength,
    stem,
    terms_match,
)

# --- cue lexicons --------------------------------------------------------------------------------

# Direction words (matched on whole lower-cased tokens). Ambiguous ones ("improved", "better", "worse")
# describe benefit rather than the measure; see _GOOD_WORDS, and _BAD_OUTCOME in findings.py, for how they are read.
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
# "Improved appetite" is an increase; "improved pain" a decrease: read with the outcome's polarity
# (``bad_outcome`` in `read_clause`).
_GOOD_WORDS = re.compile(r"^(?:improv(?:e|ed|es|ement|ements|ing)|better|benefit(?:ed|s)?|superior)$")
_BAD_WORDS = re.compile(r"^(?:wors(?:e|ened|ening)|inferior|deteriorat(?:e|ed|ion)|impair(?:ed|s|ment)?)$")
# Tokens that negate what follows within a few words.
_NEGATORS = frozenset({
    "no", "not", "non", "nor", "neither", "without", "never", "none", "failed", "fail", "fails", "lack",
    "lacked", "absence", "absent", "cannot", "unable", "nothing", "n't", "didn't", "don't", "doesn't",
    "wasn't", "weren't", "isn't", "aren't",
})
NEGATORS = _NEGATORS  # public: the claim verifier (writing/verification.py) reads negation with the same words
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
# Size words that qualify a change noun ("greater reduction", "smaller increases").
_MAGNITUDES_UP = frozenset({"greater", "larger", "more", "bigger", "higher", "stronger"})
_MAGNITUDES = _MAGNITUDES_UP | frozenset({"less", "smaller", "fewer", "lesser", "lower", "weaker"})
# "Similar at baseline" describes randomisation, not a result.
_AT_BASELINE = re.compile(r"\b(?:at|before|prior to) (?:the )?(?:baseline|randomi[sz]ation|enrol(?:l)?ment|entry)\b|baseline characteristics")
# "Decreased significantly in both groups": a change within each arm, not between them.
_WITHIN_BOTH = re.compile(
    r"\b(?:(?:in|for|among|within) (?:both|all|each|either) (?:of the )?(?:the )?(?:two |three |treatment |study )?"
    r"(?:groups?|arms?|conditions|cohorts|treatments))\b"
)
# "Tended to be lower", "a trend towards": the authors do not call it significant.
_TREND = frozenset({
    "trend", "trends", "tended", "tendency", "marginal", "marginally", "borderline",
})


# --- clauses and cues ----------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(
    r";|\n+|(?<=[a-z0-9)%\]])\.\s+(?=[A-Z(])|,?\s+\b(?:whereas|while|but|however|although|though|yet|"
    r"nevertheless|nonetheless|in contrast|on the other hand)\b,?|,?\s+(?=and (?:did|was|were|is|are) not\b)|"
    r",?\s+(?=with(?:out)? no (?:statistically )?(?:significant )?differences?\b)",
)


@dataclass(slots=True)
class Clause:
    """A clause as written, with its lower-cased word tokens and their offsets into ``text``."""

    text: str
    tokens: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


def split_clauses(text: str) -> list[Clause]:
    """Clauses at ";", sentence ends and contrast words, never inside brackets ("(12.6%; 35/278)")."""
    pieces: list[Clause] = []
    last = 0
    depths = bracket_depths(text)
    for match in _CLAUSE_BREAK.finditer(text):
        if depths[match.start()] and match.group(0) != "\n" and not match.group(0).startswith("\n"):
            continue
        pieces.append(Clause(text[last:match.start()]))
        last = match.end()
    pieces.append(Clause(text[last:]))
    result = []
    for clause in pieces:
        if not clause.text.strip():
            continue
        # Offsets into the text as written ("İ".lower() is two characters long).
        for match in TOKEN_ANY_CASE.finditer(clause.text):
            clause.tokens.append(match.group(0).lower())
            clause.spans.append((match.start(), match.end()))
        result.append(clause)
    return result


@dataclass(frozen=True, slots=True)
class Arms:
    """The words and group labels that name the intervention arm and the comparator arm."""

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


def read_arms(intervention: str | None, comparator: str | None, outcome_terms: Sequence[str] = ()) -> Arms | None:
    """The arms of a comparison, from its intervention and comparator names; None when neither is given."""
    if not intervention and not comparator:
        return None
    # Words of the outcome's name do not identify an arm ("pressure support ventilation (PSV)" and "PSV ... higher").
    i_terms = {t for t in content_terms(intervention or "") if not any(terms_match(t, o) for o in outcome_terms)}
    c_terms = {t for t in content_terms(comparator or "") if not any(terms_match(t, o) for o in outcome_terms)}
    c_lower = (comparator or "").lower()
    negates = bool(re.search(r"\b(?:no|without|non|none|untreated|nothing)\b", c_lower))
    i_only = {t for t in i_terms if not any(terms_match(t, c) for c in c_terms)}
    c_only = {t for t in c_terms if not any(terms_match(t, i) for i in i_terms)}
    i_labels, c_labels = _group_labels(intervention or ""), _group_labels(comparator or "")
    negated = {stem(m.group(1)) for m in re.finditer(r"\b(?:without|no|non)[\s-]+([a-z0-9]+)", c_lower)} - STOP_WORDS
    return Arms(frozenset(i_only - {"control"}), frozenset(c_only - {"control"}), negates,
                 i_labels - c_labels, c_labels - i_labels, frozenset(negated))


def _arm_mentions(clause: Clause, arms: Arms) -> list[tuple[int, str, bool]]:
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
            if token.startswith("non-") and any(terms_match(stem(p), t) for p in token[4:].split("-") for t in negatable):
                arm = "c"
            elif token in ("without", "no") and index + 1 < len(tokens) and \
                    any(terms_match(stem(tokens[index + 1]), t) for t in negatable):
                arm, skip_next = "c", True
            elif stem(token) in arms.negated:
                arm = "i"
        if arm is None:
            # The closer match wins: "antagonist" is the antagonist arm, not the "agonist" one it ends with.
            parts = [stem(p) for p in token.split("-") if p and p not in STOP_WORDS]
            i_strength = max((match_strength(p, t) for p in parts for t in arms.intervention), default=0)
            c_strength = max((match_strength(p, t) for p in parts for t in arms.comparator), default=0)
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
class ClauseSignals:
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


def read_clause(
    clause: Clause, arms: Arms | None, outcome_terms: Sequence[str], bad_outcome: bool, time_to_event: bool = False
) -> ClauseSignals:
    """What one clause says: its direction and no-difference cues, significance, estimates and arms.

    ``bad_outcome`` (less is better) reads "improved" as lower; ``time_to_event`` reads a hazard ratio
    below 1 as the measure going up.
    """
    signals = ClauseSignals()
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
        if outcome_terms and any(terms_match(stem(token), t) for t in outcome_terms) and not _SIMILAR.match(token):
            continue  # the word is part of the outcome's name ("weight loss", "pain relief")
        kind: str | None = None
        change_at = _change_noun_after(tokens, index) if token in _MAGNITUDES else None
        if change_at is not None:
            # "greater reduction", "smaller mean increases": the change noun decides, the size word says which way.
            change: Direction = "increased" if _INCREASE.match(tokens[change_at]) else "decreased"
            kind = change if token in _MAGNITUDES_UP else opposite(change)
            skip.add(change_at)
        elif token in _MAGNITUDES and pending_change is not None and not _negated(tokens, index) and \
                any(word in _COPULA for word in tokens[pending_change[0] + 1:index]):
            # "the pain increase ... was significantly lower": the change noun came first.
            noun_index, change = pending_change
            directional[:] = [cue for cue in directional if cue[0] != noun_index]
            kind = change if token in _MAGNITUDES_UP else opposite(change)
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
    if marked_not_significant(lowered):
        signals.significant = False
        signals.no_difference += 1
        signals.cues.append("NS")
    if signals.cue_index is None and fallback_cue is not None:
        signals.cue_index, signals.cue_kind = fallback_cue, "comparative"  # "X was not significant"
    kinds = {kind for _, kind in directional}
    if len(kinds) == 2 and outcome_terms:
        # "decreased X and increased Y": keep the direction word nearest to the outcome's name.
        mentions = [i for i, t in enumerate(tokens) if any(terms_match(stem(p), o) for p in t.split("-") for o in outcome_terms)]
        if mentions:
            directional = [min(directional, key=lambda cue: min(abs(cue[0] - m) for m in mentions))]
    signals.increase = float(sum(1 for _, kind in directional if kind == "increased"))
    signals.decrease = float(sum(1 for _, kind in directional if kind == "decreased"))
    # p-values and intervals override words: "significantly" sits in many sentences with p = 0.2.
    p_values = [p for p in find_p_values(clause.text) if p.significant is not None]
    if not p_values:
        p_values = table_row_p_values(clause.text)
    if p_values:
        first = p_values[0]
        if len({p.significant for p in p_values}) > 1 and outcome_terms:
            # "time: p = 0.2 ... damage to vital structures: p = 0.03": the first p after the outcome's name.
            named = [clause.spans[i][0] for i, t in enumerate(tokens)
                     if any(terms_match(stem(part), o) for part in t.split("-") for o in outcome_terms)]
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
        signals.ratio_direction = ratio_estimate_direction(lowered)
    if time_to_event and signals.ratio_direction and _HAZARD.search(lowered):
        # A hazard ratio below 1 means the event comes later: survival and time-to-event measures go up.
        signals.ratio_direction = opposite(signals.ratio_direction)
    signals.value_direction = value_pair_direction(lowered)
    if arms is not None:
        mentions = _arm_mentions(clause, arms)
        signals.arm_sides = frozenset(arm for _, arm, _ in mentions)
        # Values are listed in the order their arms are named ("13.6% in the control arm and 6.6% in ...").
        if mentions and mentions[0][1] == "c":
            signals.value_direction = opposite(signals.value_direction)
        # Flip when the comparator is the subject: "higher in the placebo group than in the drug group".
        # (The first unmarked mention did as well as the one nearest the cue on train, and is simpler.)
        unmarked = [arm for _, arm, marked in mentions if not marked]
        subject = unmarked[0] if unmarked else ("c" if mentions and mentions[0][1] == "i" else None)
        if subject == "c":
            signals.increase, signals.decrease = signals.decrease, signals.increase
    if outcome_terms:
        clause_terms = content_terms(clause.text)
        signals.relevance = count_matching_terms(outcome_terms, clause_terms) / max(1, len(set(outcome_terms)))
    return signals


def opposite(direction: Direction | None) -> Direction | None:
    """Increased for decreased and back; no difference and None stay."""
    if direction == "increased":
        return "decreased"
    if direction == "decreased":
        return "increased"
    return direction

"""The patient's medications: drug mentions (brands, generics, abbreviations, synonyms, INN stems), their
dose attributes (dose, unit, route, frequency, schedule, duration) and status (current, prior), read from a
question (conventions in :mod:`curbside.understanding.patient_context`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from curbside.corpus.text import STOPWORDS
from curbside.understanding.clinical_terms import ABBREVIATION_TOKEN, HARD_BOUNDARY, clinical_patterns, overlaps
from curbside.understanding.drug_names import DrugNames, clean_generic
from curbside.understanding.expansions import brand_matches
from curbside.understanding.lexicon import WORD_TOKEN, english_words
from curbside.vocabulary.drugs import BIOSIMILAR_SUFFIX, SALT_WORDS
from curbside.vocabulary.schedules import (
    NUMBER_PATTERN,
    amount_text,
    frequency_of,
    parse_number,
    read_duration,
    read_frequency,
    read_schedule,
)
from curbside.vocabulary.units import DoseConversion, DoseConversionError, dose_in, parse_unit

__all__ = ["Medication", "MedicationReading", "cue_status", "read_medications"]


class Medication(BaseModel):
    as_written: str
    generic: str
    brand: str | None = None
    dose_value: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    frequency: str | None = None
    schedule: str | None = None
    duration: str | None = None

    def dose_in(self, target_unit: str, weight_kg: float | None = None, bsa_m2: float | None = None) -> DoseConversion:
        """This medication's dose in another unit (see :func:`dose_in`)."""
        if self.dose_value is None or self.dose_unit is None:
            raise DoseConversionError(f"{self.as_written} has no dose to convert.")
        return dose_in(self.dose_value, self.dose_unit, target_unit, weight_kg=weight_kg, bsa_m2=bsa_m2)


_NUM = NUMBER_PATTERN


# Words between a drug and its attributes: skipped. "Noun" fillers ("pulses") also extend the drug's span.
_FILLER = re.compile(
    r"(?:of|at|given|then|total|divided|a|an|as|per|starting|loading|maintenance|bolus|followed\s+by|on|each|"
    r"dosing|dosed|dose|,|:|\(|\))(?![\w])|[(),:]",
    re.IGNORECASE,
)
_NOUN_FILLER = re.compile(r"(?:pulses?|injections?|tablets?|tabs?|capsules?|doses|infusions?)(?![\w])", re.IGNORECASE)
_BEFORE_ADJ = re.compile(r"(?:high|low|pulse|standard)-dose|pulse", re.IGNORECASE)
# Frequency words that may stand before the drug, as an adjective ("weekly methotrexate").
_FREQUENCY_ADJECTIVES = frozenset({"daily", "weekly", "monthly", "nightly"})


# --------------------------------------------------------------------------------------------------
# Medication mentions


@dataclass
class _Mention:
    start: int
    end: int
    generic: str
    brand: str | None = None
    route: str | None = None  # implied by the name
    priority: int = 0  # lower wins on equal spans
    pre_start: int = -1  # start of the attributes written before the drug
    status: str | None = None  # "current" | "prior" | None
    attributes: dict[str, object] = field(default_factory=dict)
    attr_end: int = -1  # end of the attributes written after the drug

    def __post_init__(self) -> None:
        if self.pre_start < 0:
            self.pre_start = self.start
        if self.attr_end < 0:
            self.attr_end = self.end


_CLINICAL_WORD = re.compile(
    r"(?:itis|osis|iasis|oma|pathy|emia|algia|penia|uria|megaly|ectomy|plasty|scopy|graphy)s?$", re.IGNORECASE
)


def _extend_mention(text: str, end: int) -> int:
    """Past a biosimilar suffix ("-abbs") and salt words ("sulfate")."""
    suffix = BIOSIMILAR_SUFFIX.match(text[end:])
    if suffix:
        end += suffix.end()
    while True:
        salt = re.match(r"\s+([A-Za-z]+)(?![\w-])", text[end:])
        if salt and salt.group(1).lower() in SALT_WORDS:
            end += salt.end()
            continue
        return end


def _find_mentions(text: str, names: DrugNames) -> list[_Mention]:
    lowered = text.lower()
    candidates: list[_Mention] = []
    patterns = clinical_patterns()

    # 1. Brands (and misspelt brands / generics) through the drug table (of the engine's one Lexicon).
    for start, surface, generic in brand_matches(text, names.drugs):
        end = start + len(surface)
        exact = names.drugs.generic_for(surface)
        brand: str | None = None
        if exact is not None:
            brand = names.display_brand(surface)
        else:
            if _CLINICAL_WORD.search(surface) or surface.lower() in patterns.findings:
                continue  # a disease or symptom word, not a misspelt drug
            hit = names.drugs.correct_drug_name(surface.lower())
            corrected = hit[0] if hit else None
            if corrected is not None and corrected not in names.generic_names and corrected != generic:
                brand = names.display_brand(corrected)
        cleaned = clean_generic(generic)
        route = names.brand_route(brand) if brand else None
        candidates.append(_Mention(start, _extend_mention(text, end), cleaned, brand, route, priority=0))

    # 2. Generic names and synonyms, longest first; a head word standing for one multi-word generic.
    spans = [(m.group(), m.start(), m.end()) for m in WORD_TOKEN.finditer(lowered)]
    tokens = [t for t, _, _ in spans]
    i = 0
    while i < len(tokens):
        step = 1
        for length in names.phrase_lengths(tokens[i]):
            key = tuple(tokens[i : i + length])
            payload = names.phrase(key)
            if payload is not None and len(key) == length:
                start, end = spans[i][1], spans[i + length - 1][2]
                candidates.append(_Mention(start, _extend_mention(text, end), payload[0], None, payload[1], priority=1))
                step = length
                break
        else:
            heads = names.head_generics(tokens[i])
            token = tokens[i]
            if heads and len(token) >= 6 and token not in SALT_WORDS and token not in english_words():
                generic = next(iter(heads)) if len(heads) == 1 else token
                start, end = spans[i][1], spans[i][2]
                candidates.append(_Mention(start, _extend_mention(text, end), generic, None, None, priority=2))
        i += step

    # 3. Drug abbreviations (IVIG, MMF ...): as written or in capitals; 4+ letters also in lower case.
    for match in ABBREVIATION_TOKEN.finditer(text):
        surface = match.group()
        payload = names.abbreviation(surface)
        if payload is not None:
            candidates.append(_Mention(match.start(), match.end(), payload[0], None, payload[1], priority=1))

    # 4. Unknown words with a WHO INN stem (efgartigimod, enzalutamide).
    for token, start, end in spans:
        if len(token) < 7 or not token.isalpha() or names.is_known_word(token):
            continue
        if any(token.endswith(stem) for stem in patterns.inn_stems) and not _CLINICAL_WORD.search(token):
            candidates.append(_Mention(start, _extend_mention(text, end), token, None, None, priority=3))

    # Longest span wins, then priority, then the earliest.
    candidates.sort(key=lambda m: (-(m.end - m.start), m.priority, m.start))
    taken: list[_Mention] = []
    for candidate in candidates:
        if all(candidate.end <= other.start or candidate.start >= other.end for other in taken):
            taken.append(candidate)
    taken.sort(key=lambda m: m.start)
    return _pair_parentheses(text, taken, names)


_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")
_CAPITALISED = re.compile(r"([A-Z][A-Za-z0-9-]{2,})\s*$")
_PAREN_WORD = re.compile(r"\s*\(\s*([A-Z][A-Za-z0-9-]{2,})\s*\)")


def _pair_parentheses(text: str, mentions: list[_Mention], names: DrugNames) -> list[_Mention]:
    """Merge "Brand (generic)" / "generic (Brand)" into one mention; name an unknown brand next to a generic."""
    out: list[_Mention] = []
    i = 0
    routes = clinical_patterns().routes
    while i < len(mentions):
        mention = mentions[i]
        if i + 1 < len(mentions):
            nxt = mentions[i + 1]
            opening = _OPEN.match(text, mention.end)
            closing = _CLOSE.match(text, nxt.end)
            if opening and opening.end() == nxt.start and closing:
                mention.brand = mention.brand or nxt.brand
                if mention.brand is None or mention.generic != nxt.generic:
                    mention.generic = nxt.generic if mention.priority >= nxt.priority else mention.generic
                mention.route = mention.route or nxt.route
                mention.end = closing.end()
                out.append(mention)
                i += 2
                continue
        if mention.brand is None:
            # "Vyvgart (efgartigimod)": an unknown capitalised word right before the parenthesised generic.
            before = text[: mention.start]
            if before.rstrip().endswith("("):
                word = _CAPITALISED.search(before.rstrip()[:-1])
                closing = _CLOSE.match(text, mention.end)
                if word and closing and _unknown_brand_word(word.group(1), names, routes):
                    mention.brand = word.group(1)
                    mention.start = word.start(1)
                    mention.end = closing.end()
            else:
                # "efgartigimod (Vyvgart)"
                paren = _PAREN_WORD.match(text, mention.end)
                if paren and _unknown_brand_word(paren.group(1), names, routes):
                    mention.brand = paren.group(1)
                    mention.end = paren.end()
        out.append(mention)
        i += 1
    return out


def _unknown_brand_word(word: str, names: DrugNames, routes: Mapping[str, str]) -> bool:
    lowered = word.lower()
    if lowered in routes or lowered in STOPWORDS or word.isupper() and len(word) <= 4:
        return False
    return not names.drugs.is_known_word(lowered) or names.drugs.generic_for(word) is not None


# --------------------------------------------------------------------------------------------------
# Dose attributes


def _read_attribute(text: str, pos: int) -> tuple[str, object, int] | None:
    """(kind, value, end) of the dose attribute starting at ``pos`` (after spaces), else None."""
    p = clinical_patterns()
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        return None
    dose = p.dose.match(text, pos)
    if dose:
        unit = parse_unit(dose.group("unit"))
        if unit is not None:
            return "dose", (parse_number(dose.group("value")), unit.canonical), dose.end()
    schedule = read_schedule(text, pos)
    if schedule:
        return "schedule", schedule.text, schedule.end
    frequency = read_frequency(text, pos)
    if frequency:
        return "frequency", frequency.frequency, frequency.end
    duration = read_duration(text, pos)
    if duration:
        return "duration", duration.text, duration.end
    route = p.route.match(text, pos)
    if route:
        return "route", p.routes[" ".join(route.group().lower().split())], route.end()
    noun = _NOUN_FILLER.match(text, pos)
    if noun:
        route_word = noun.group().lower()
        return ("route", "IV", noun.end()) if route_word.startswith("infusion") else ("noun", None, noun.end())
    return None


def _scan_after(text: str, pos: int, limit: int) -> tuple[dict[str, object], int]:
    """Attributes written right after a drug, up to ``limit``; (attributes, end of the last one)."""
    found: dict[str, object] = {}
    bounded = text[:limit]
    end = pos
    fillers = 0
    while True:
        while pos < limit and bounded[pos].isspace():
            pos += 1
        if pos >= limit:
            break
        attribute = _read_attribute(bounded, pos)
        if attribute is not None:
            kind, value, stop = attribute
            if kind != "noun":
                found.setdefault(kind, value)
            pos = end = stop
            fillers = 0
            continue
        filler = _FILLER.match(bounded, pos)
        if filler and fillers < 2:
            pos = filler.end()
            fillers += 1
            continue
        break
    return found, end


def _scan_before(text: str, start: int, floor: int) -> tuple[dict[str, object], int]:
    """Route, dose and frequency words written right before a drug ("2 g/kg IVIG", "oral prednisone")."""
    p = clinical_patterns()
    found: dict[str, object] = {}
    for _ in range(3):
        window = text[floor:start]
        stripped = window.rstrip()
        if len(stripped) == len(window) and window:
            break  # the drug must be preceded by a space
        best: tuple[int, str, object] | None = None
        for match in p.route.finditer(stripped):
            if match.end() == len(stripped):
                best = (match.start(), "route", p.routes[" ".join(match.group().lower().split())])
        for match in p.dose.finditer(stripped):
            unit = parse_unit(match.group("unit"))
            if match.end() == len(stripped) and unit and (best is None or match.start() < best[0]):
                best = (match.start(), "dose", (parse_number(match.group("value")), unit.canonical))
        word = re.search(r"([A-Za-z-]+)$", stripped)
        if best is None and word:
            lowered = word.group(1).lower()
            if lowered in _FREQUENCY_ADJECTIVES:
                best = (word.start(1), "frequency", frequency_of(lowered))
            elif _BEFORE_ADJ.fullmatch(word.group(1)):
                best = (word.start(1), "noun", None)
        if best is None:
            break
        offset, kind, value = best
        if offset > 0 and not stripped[offset - 1].isspace() and stripped[offset - 1] not in "(,":
            break
        if kind != "noun":
            found.setdefault(kind, value)
        start = floor + offset
    return found, start


_LIST_GAP = re.compile(r"^\s*(?:,|and|or|&|\+|plus|/|,\s*and|,\s*or|,\s*plus)?\s*$", re.IGNORECASE)
_NO_CUE = re.compile(
    r"(?:add|adding|start|starting|initiate|initiating|switch(?:ing)?\s+to|consider|requesting|try)\s+$", re.IGNORECASE
)
_NEGATED_CUE = re.compile(
    r"(?<![\w-])(?:(?P<past>no\s+longer)|not|never|isn't|is\s+not)(?:\s+currently)?\s*$", re.IGNORECASE
)
# Before "on": the drug is proposed ("start him on apixaban?", "should she be on a statin?"), not taken.
_PROPOSED_CUE = re.compile(
    r"(?<![\w-])(?:start|starting|put|putting|place|placing|begin|beginning|initiate|initiating|go|going|be|get|getting)"
    r"\s+(?:(?:him|her|them|the\s+patient|patient|pt|my\s+patient)\s+)?$",
    re.IGNORECASE,
)
_ELAPSED_OF = re.compile(rf"(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?|days?)\s+(?:of|on)\s+$", re.IGNORECASE)


def cue_status(before: str) -> tuple[bool, str | None]:
    """(whether a therapy cue ends ``before``, the status it gives the drug after it: "current", "prior", or None for
    a cue that is negated or proposes the drug: "not on X" says nothing of a therapy, "no longer on X" was one,
    "start him on X?" proposes it)."""
    p = clinical_patterns()
    if p.prior_cue.search(before):
        return True, "prior"
    cue = p.current_cue.search(before)
    if not cue:
        return False, None
    negated = _NEGATED_CUE.search(before, 0, cue.start())
    if negated:
        return True, "prior" if negated.group("past") else None
    if _PROPOSED_CUE.search(before, 0, cue.start()):
        return True, None
    return True, "current"


def _status(text: str, mention: _Mention, previous: _Mention | None) -> tuple[str | None, str | None]:
    """(status, elapsed time) of a mention: a cue right before it, else the status of the list it continues."""
    before = text[max(0, mention.pre_start - 40) : mention.pre_start]
    found, status = cue_status(before)
    if found:
        return status, None
    match = _ELAPSED_OF.search(before)
    if match:  # "after 6 months of mycophenolate"
        return "current", amount_text(parse_number(match.group("n")), match.group("unit"))
    if _NO_CUE.search(before):
        return None, None
    if previous is not None and _LIST_GAP.match(text[previous.attr_end : mention.pre_start]):
        return previous.status, None
    return None, None


def _read_mentions(text: str, mentions: list[_Mention]) -> str | None:
    """Fill each mention's attributes and status, in order; returns the time on therapy if stated."""
    floor = 0
    for mention in mentions:
        before, mention.pre_start = _scan_before(text, mention.start, max(floor, mention.start - 40))
        mention.attributes.update(before)
        floor = mention.end
    therapy_duration: str | None = None
    previous: _Mention | None = None
    for index, mention in enumerate(mentions):
        mention.status, elapsed = _status(text, mention, previous)
        therapy_duration = therapy_duration or elapsed
        limit = mentions[index + 1].pre_start if index + 1 < len(mentions) else len(text)
        hard = HARD_BOUNDARY.search(text, mention.end)
        if hard and hard.start() < limit and text[hard.start()] not in "()":
            limit = hard.start()
        after, mention.attr_end = _scan_after(text, mention.end, limit)
        if "duration" in after and mention.status in ("current", "prior"):
            # "on prednisone 10 mg daily for 9 months": time on therapy, not a planned course.
            therapy_duration = therapy_duration or str(after.pop("duration"))
        for key, value in after.items():
            mention.attributes.setdefault(key, value)
        previous = mention
    return therapy_duration


_AFTER_TIME = re.compile(rf"\bafter\s+(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?)\b", re.IGNORECASE)
_TIME_OF = re.compile(rf"\b(?P<n>{_NUM})\s*(?P<unit>months?|weeks?|years?)\s+(?:of|into|on)\b", re.IGNORECASE)


@dataclass
class MedicationReading:
    """The medications of a text, and what the finding reader must leave alone (``claimed``)."""

    medications: list[Medication]
    current: list[str]
    prior: list[str]
    therapy_duration: str | None
    claimed: list[tuple[int, int]]  # the spans of the drug mentions with their dose attributes


def read_medications(t: str, names: DrugNames) -> MedicationReading:
    """One entry per drug (generic) of normalised text, with its dose attributes and status."""
    mentions = _find_mentions(t, names)
    therapy_duration = _read_mentions(t, mentions)
    claimed = [(m.pre_start, m.attr_end) for m in mentions]
    if len({m.generic for m in mentions}) == 1 and not any("dose" in m.attributes for m in mentions):
        _attach_orphan_dose(t, mentions[0], claimed)
        claimed = [(m.pre_start, m.attr_end) for m in mentions]

    medications: list[Medication] = []
    by_generic: dict[str, Medication] = {}
    current: list[str] = []
    prior: list[str] = []
    for mention in mentions:
        attrs = mention.attributes
        dose = attrs.get("dose")
        med = by_generic.get(mention.generic)
        if med is None:
            med = Medication(as_written=t[mention.start : mention.end], generic=mention.generic)
            by_generic[mention.generic] = med
            medications.append(med)
        if med.brand is None and mention.brand:
            med.brand = mention.brand
        if med.dose_value is None and isinstance(dose, tuple):
            med.dose_value, med.dose_unit = float(dose[0]), str(dose[1])
        med.route = med.route or _str(attrs.get("route")) or mention.route
        med.frequency = med.frequency or _str(attrs.get("frequency"))
        med.schedule = med.schedule or _str(attrs.get("schedule"))
        med.duration = med.duration or _str(attrs.get("duration"))
        if mention.status == "current" and mention.generic not in current:
            current.append(mention.generic)
        elif mention.status == "prior" and mention.generic not in prior:
            prior.append(mention.generic)
    prior = [g for g in prior if g not in current]
    if therapy_duration is None and (current or prior):
        for pattern in (_AFTER_TIME, _TIME_OF):
            match = pattern.search(t)
            if match:
                therapy_duration = amount_text(parse_number(match.group("n")), match.group("unit"))
                break

    return MedicationReading(medications, current, prior, therapy_duration, claimed)


def _attach_orphan_dose(text: str, mention: _Mention, claimed: list[tuple[int, int]]) -> None:
    """A dose no drug claims goes to the only drug ("dose of IVIG for Kawasaki disease: 2 g/kg ...")."""
    for match in clinical_patterns().dose.finditer(text):
        if overlaps(match.start(), match.end(), claimed) or parse_unit(match.group("unit")) is None:
            continue
        attributes, _ = _scan_after(text, match.start(), len(text))
        for key, value in attributes.items():
            mention.attributes.setdefault(key, value)
        return


def _str(value: object) -> str | None:
    return str(value) if value is not None else None

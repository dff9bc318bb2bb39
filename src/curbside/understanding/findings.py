"""The patient's findings, conditions and severity: negated and uncertain items (NegEx style), lab results,
symptoms and signs, diagnoses (with disease abbreviations expanded) and severity markers (conventions in
:mod:`curbside.understanding.patient_context`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from curbside.corpus.text import STOPWORDS
from curbside.understanding.clinical_terms import (
    ABBREVIATION_TOKEN,
    HARD_BOUNDARY,
    clinical_patterns,
    clinical_terms,
    overlaps,
)
from curbside.understanding.drug_names import DrugNames
from curbside.understanding.expansions import abbreviation_matches, choose_expansions
from curbside.understanding.story import dedupe

__all__ = ["Finding", "read_findings"]


class Finding(BaseModel):
    text: str
    negated: bool = False
    uncertain: bool = False


_WORD = re.compile(r"[\w'+-]+")
# Phrase boundaries and words that are never part of a condition or finding (curated in the TSV).
_TRAILING_NOUNS = frozenset(clinical_terms().terms("trailing_noun"))
_PERSON_WORDS = frozenset(clinical_terms().terms("person_word"))
_CONNECTORS = frozenset(clinical_terms().terms("connector"))
_DEMOGRAPHIC = re.compile(
    r"\b\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|y)?\s*-?\s*(?:old|yo|y/o|y\.o\.?)\b"
    r"|(?<![\w.])\d{1,3}\s?[MF](?![\w'])|\b\d{1,3}\s*(?:kg|lbs?|pounds)\b",
    re.IGNORECASE,
)
_NUMBERED = frozenset({"type", "stage", "class", "grade", "factor", "covid", "trisomy", "cd", "cdkl"})
_FINDING_FORM = re.compile(
    r"(?:algias?|penias?|uria|megaly|rrhea|rrhoea|rrhage|pnea|pnoea|cardia)$|^dys[a-z]{4,}$|^hyp(?:o|er)[a-z]+emia$",
    re.IGNORECASE,
)
_CONDITION_FORM = re.compile(r"[a-z]{2,}(?:itis|osis|iasis|oma|pathy|emia|philia|thyroidism)$", re.IGNORECASE)
_QUALIFIER_TAIL = re.compile(r"\s+(?:(?i:stage|class|grade|type)\s+[0-9IVX]+[a-c]?|[A-E])$")


@dataclass
class _Scope:
    start: int
    end: int
    text: str
    negated: bool
    uncertain: bool


def _clean_item(text: str) -> str:
    p = clinical_patterns()
    text = text.strip(" \t,;:-\"'")
    text = re.sub(r"^(?:a|an|the|any|his|her|their)\s+", "", text, flags=re.IGNORECASE)
    text = p.modifiers.sub("", text)
    return text.strip(" \t,;:-\"'")


_ITEM_SPLIT = r"(\s+(?:or|and|nor|vs\.?|versus)\s+|/)"


def _segment_items(segment: str, offset: int) -> tuple[list[tuple[int, int, str]], bool]:
    """Items of one comma segment of a scope (split on or/and/nor); True when a scope word ends the scope."""
    p = clinical_patterns()
    cut = len(segment)
    stopped = False
    for match in _WORD.finditer(segment):
        if match.group().lower() in p.scope_stop:
            cut, stopped = match.start(), True
            break
    items: list[tuple[int, int, str]] = []
    part = segment[:cut]
    position = 0
    for piece in re.split(_ITEM_SPLIT, part):
        if re.fullmatch(_ITEM_SPLIT, piece or ""):
            position += len(piece)
            continue
        cleaned = _clean_item(piece)
        words = cleaned.split()
        if (
            cleaned
            and 0 < len(words) <= 6
            and any(ch.isalpha() for ch in cleaned)
            and words[0].lower() not in STOPWORDS
        ):
            local = piece.find(cleaned)
            items.append((offset + position + local, offset + position + local + len(cleaned), cleaned))
        position += len(piece)
    return items, stopped


def _scopes(text: str, claimed: list[tuple[int, int]]) -> list[_Scope]:
    """Negated and uncertain items, NegEx style."""
    p = clinical_patterns()
    severity_spans = [(m.start(), m.end()) for m in p.severity.finditer(text)]
    triggers = [(m, True, False) for m in p.negation_pre.finditer(text)] + [
        (m, False, True) for m in p.uncertain_pre.finditer(text)
    ]
    trigger_starts = {m.start() for m, _, _ in triggers}
    scopes: list[_Scope] = []
    for match, negated, uncertain in sorted(triggers, key=lambda t: t[0].start()):
        if any(s <= match.start() < e for s, e in severity_spans + claimed):
            continue
        boundary = HARD_BOUNDARY.search(text, match.end())
        stop = boundary.start() if boundary else len(text)
        rest = text[match.end() : stop]
        offset = match.end()
        first = True
        if re.match(r"\s*(?:and|or|nor)\b", rest, re.IGNORECASE):
            continue  # "TB was ruled out and ...": a trigger that ends its clause negates nothing after it
        for segment in rest.split(","):
            if not first:
                lead = offset + len(segment) - len(segment.lstrip())
                # Past a comma the list goes on only with short items: "denies headache, jaw claudication
                # or visual loss", not "no fever, ferritin 1,800" or "no X, if she ...".
                pieces = [x.split() for x in re.split(_ITEM_SPLIT, segment)[::2]]
                if lead in trigger_starts or not segment.strip() or re.search(r"\d", segment):
                    break
                if any(not x or len(x) > 3 or x[0].lower() in STOPWORDS for x in pieces):
                    break
            items, stopped = _segment_items(segment, offset)
            for start, end, item in items:
                if any(s < end and start < e for s, e in claimed):
                    continue
                scopes.append(_Scope(start, end, item, negated, uncertain))
            offset += len(segment) + 1
            first = False
            if stopped:
                break
    for pattern, negated, uncertain in ((p.negation_post, True, False), (p.uncertain_post, False, True)):
        for match in pattern.finditer(text):
            head = text[: match.start()]
            cut = max(head.rfind(c) for c in ",;:.?!(")
            words = list(_WORD.finditer(head, cut + 1))
            kept = []
            for word in reversed(words):
                if word.group().lower() in p.scope_stop or word.group().lower() in _CONNECTORS:
                    break
                kept.append(word)
                if len(kept) == 4:
                    break
            if not kept:
                continue
            start, end = kept[-1].start(), kept[0].end()
            if any(s < end and start < e for s, e in claimed) or any(s.start <= start < s.end for s in scopes):
                continue
            scopes.append(_Scope(start, end, _clean_item(text[start:end]), negated, uncertain))
    return scopes


def _lab_findings(text: str) -> list[tuple[int, int, Finding]]:
    p = clinical_patterns()
    out: list[tuple[int, int, Finding]] = []
    for pattern in (p.labs, p.lab_prefix):
        for match in pattern.finditer(text):
            lab = match.group("lab")
            if len(lab) <= 3 and not lab.isupper():
                continue  # "alt", "ana": only in capitals
            qualifier = (match.groupdict().get("qual") or "").lower()
            if any(s < match.end() and match.start() < e for s, e, _ in out):
                continue
            if qualifier == "negative":
                out.append((match.start(), match.end(), Finding(text=lab, negated=True)))
            else:
                out.append((match.start(), match.end(), Finding(text=text[match.start() : match.end()].strip())))
    return out


def _is_finding_phrase(words: list[str]) -> bool:
    p = clinical_patterns()
    phrase = " ".join(words).lower()
    head = words[-1].lower()
    return phrase in p.findings or head in p.findings or bool(_FINDING_FORM.search(head))


def _is_condition_phrase(phrase: str) -> bool:
    p = clinical_patterns()
    core = _QUALIFIER_TAIL.sub("", phrase.strip())
    words = core.split()
    if not words:
        return False
    head = words[-1].lower().strip("'")
    head = head.removesuffix("'s")
    if head in p.not_condition or head in p.findings:
        return False
    return head in p.condition_heads or bool(_CONDITION_FORM.search(head)) or bool(p.conditions.fullmatch(core))


@dataclass
class _ChunkResult:
    conditions: list[tuple[int, str]] = field(default_factory=list)
    findings: list[tuple[int, Finding]] = field(default_factory=list)
    severity: list[tuple[int, str]] = field(default_factory=list)


def _context_words(text: str) -> set[str]:
    lowered = text.lower()
    return set(re.findall(r"[a-z0-9]+", lowered)) | set(re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", lowered))


def _expand_conditions(phrase: str, names: DrugNames, context: set[str]) -> tuple[str, bool]:
    """Expand disease abbreviations in a phrase ("CKD stage 4" -> "chronic kidney disease stage 4")."""
    out = phrase
    expanded = False
    extra = clinical_terms().mapping("condition_abbreviation", lower=False)
    for match in reversed(list(ABBREVIATION_TOKEN.finditer(out))):
        expansion = extra.get(match.group()) or extra.get(match.group().upper())
        if expansion:
            out = out[: match.start()] + expansion + out[match.end() :]
            expanded = True
    for start, surface, key in reversed(abbreviation_matches(out, names.lexicon)):
        choices = choose_expansions(key, names.lexicon, context)
        if not choices:
            continue
        expansion = choices[0]
        if _is_condition_phrase(expansion):
            end = start + len(surface)
            # keep "+"/"-positive" qualifiers attached to a marker; replace the whole token otherwise
            out = out[:start] + expansion + out[end:]
            expanded = True
    return out, expanded


def _chunks(text: str, masked: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of words between punctuation, connectors, masked spans and demographic words."""
    blocked = bytearray(len(text))
    for start, end in masked:
        for i in range(max(0, start), min(len(text), end)):
            blocked[i] = 1
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    last_end = 0
    previous_word = ""
    for match in _WORD.finditer(text):
        word = match.group().strip("'-")
        lowered = word.lower()
        gap = text[last_end : match.start()]
        breaks = bool(re.search(r"[,;:.?!()\[\]\"/]|\s-\s", gap)) or any(blocked[last_end : match.start()])
        letter_qualifier = run_start is not None and re.fullmatch(r"[A-E]", word) is not None  # "hemophilia A"
        is_blocked = not letter_qualifier and (
            any(blocked[match.start() : match.end()])
            or lowered in _CONNECTORS
            or lowered in _PERSON_WORDS
            or lowered in STOPWORDS
            or not word
            # a number continues a phrase only as a qualifier ("type 2 diabetes", "CKD stage 3")
            or re.fullmatch(r"[\d.,]+", word) is not None
            and previous_word not in _NUMBERED
        )
        if run_start is not None and (breaks or is_blocked):
            runs.append((run_start, run_end))
            run_start = None
        if not is_blocked:
            if run_start is None:
                run_start = match.start()
            run_end = match.start() + len(match.group().rstrip("'-"))
        last_end = match.end()
        previous_word = lowered
    if run_start is not None:
        runs.append((run_start, run_end))
    return runs


def _classify_chunks(text: str, masked: list[tuple[int, int]], names: DrugNames) -> _ChunkResult:
    p = clinical_patterns()
    result = _ChunkResult()
    context = _context_words(text)
    for start, end in _chunks(text, masked):
        phrase = text[start:end]
        # Severity words at either end move to `severity`.
        while True:
            lead = None if p.not_severity.match(phrase) else p.severity.match(phrase)
            if lead and lead.end() < len(phrase):
                result.severity.append((start, p.severities[" ".join(lead.group().lower().split())]))
                start += lead.end() + (len(phrase[lead.end() :]) - len(phrase[lead.end() :].lstrip()))
                phrase = text[start:end]
                continue
            break
        while True:
            tail = p.severity_tail.search(phrase)
            if not tail:
                break
            result.severity.append((start + tail.start(), p.severities[" ".join(tail.group().lower().split())]))
            phrase = phrase[: tail.start()]
            end = start + len(phrase)
        stripped = p.modifiers.sub("", phrase)
        start += len(phrase) - len(stripped)
        phrase = stripped.strip()
        words = phrase.split()
        while words and words[-1].lower() in _TRAILING_NOUNS:
            words.pop()
        if not words:
            continue
        phrase = " ".join(words)
        if p.not_condition_cue.search(text[max(0, start - 40) : start]):
            continue
        if _is_finding_phrase(words) and not p.conditions.fullmatch(phrase):
            result.findings.append((start, Finding(text=phrase)))
            continue
        expanded, did_expand = _expand_conditions(phrase, names, context)
        if not (did_expand or _is_condition_phrase(expanded)):
            continue
        # An expansion can bring severity words ("rapidly progressive interstitial lung disease").
        while True:
            lead = None if p.not_severity.match(expanded) else p.severity.match(expanded)
            if lead and lead.end() < len(expanded):
                result.severity.append((start, p.severities[" ".join(lead.group().lower().split())]))
                expanded = expanded[lead.end() :].strip()
                continue
            break
        if _is_condition_phrase(expanded):
            result.conditions.append((start, expanded))
    return result


def read_findings(t: str, claimed: list[tuple[int, int]], names: DrugNames) -> tuple[list[str], list[str], list[Finding]]:
    """(conditions, severity, findings) of normalised text, in order of appearance; ``claimed`` spans (the
    medications) are left alone."""
    scopes = _scopes(t, claimed)
    labs = _lab_findings(t)
    masked = claimed + [(s.start, s.end) for s in scopes] + [(s, e) for s, e, _ in labs]
    masked += [(m.start(), m.end()) for m in _DEMOGRAPHIC.finditer(t)]
    p = clinical_patterns()
    protected = [(m.start(), m.group()) for m in p.conditions.finditer(t) if not overlaps(m.start(), m.end(), masked)]
    masked += [(s, s + len(g)) for s, g in protected]
    chunked = _classify_chunks(t, masked, names)

    subtypes = [(m.start(), m.end()) for m in p.not_severity.finditer(t)]  # "primary progressive MS"
    findings: list[tuple[int, Finding]] = [
        (s.start, Finding(text=s.text, negated=s.negated, uncertain=s.uncertain)) for s in scopes
    ]
    findings += [(s, f) for s, _, f in labs] + chunked.findings
    conditions = [(s, g) for s, g in protected if not p.not_condition_cue.search(t[max(0, s - 40) : s])]
    conditions += chunked.conditions
    severity = [
        (m.start(), p.severities[" ".join(m.group().lower().split())])
        for m in p.severity.finditer(t)
        if not overlaps(m.start(), m.end(), [(s.start, s.end) for s in scopes] + claimed + subtypes)
    ] + chunked.severity

    return (
        list(dedupe(c for _, c in sorted(conditions, key=lambda x: x[0]))),
        list(dedupe(s for _, s in sorted(severity, key=lambda x: x[0]))),
        _dedupe_findings([f for _, f in sorted(findings, key=lambda x: x[0])]),
    )


def _dedupe_findings(items: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.text.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out

"""Label status: whether a drug's FDA label covers the patient's condition, decided from the label's own
Indications and Usage, matched by concept (:mod:`curbside.vocabulary.conditions`), never by a shared word.

Indications come from two sources, in one structure (:class:`Indication`: condition concepts, population,
line of therapy, limitations of use, and the indication sentence to cite):

1. labels in the index: their "Indications and Usage" passages (``MetadataStore.label_passages``), parsed
   by :func:`parse_indications`. These come first.
2. the curated table ``evidence/data/label_indications.tsv`` (one row per labelled indication of the drugs
   of the curated dose table), with ``label_coverage.tsv`` saying whether its products cover every US label
   of the generic.

:func:`label_verdict` answers with a :class:`LabelVerdict`:

* ``on_label``: an indication covers one of the patient's conditions: the condition's concept is the
  indication's or a kind of it (a subtype the label's wording covers), and the patient is in the
  indication's population (an adults-only indication covers a patient whose age is not given; a
  pediatric-only one does not). The verdict cites the indication sentence and its source.
* ``off_label``: every label of the generic is curated (coverage "complete"), each of the patient's
  conditions maps to a concept, and no indication covers any of them. The verdict names the labels.
* ``unknown``: no label of the drug is known; a condition maps to no known concept; an indication names
  a narrower condition than the patient's ("lymphoma" against "follicular lymphoma") or a pediatric
  population when the age is not given; or the curated labels may not be all of the generic's. Absence
  from the knowledge base is never read as off-label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from curbside.corpus.text import sentence_spans
from curbside.evidence.dosing.labels import LabelSource, label_section_passages
from curbside.evidence.dosing.references import normalise_generic, normalise_route
from curbside.vocabulary.ages import AGE_MIN
from curbside.vocabulary.conditions import ADULT, PEDIATRIC, ConditionMatch, concept, concepts_in, lineage, match_conditions
from curbside.vocabulary.tables import read_table, split_list

__all__ = [
    "INDICATIONS_SECTION", "Indication", "LabelStatus", "LabelVerdict", "curated_indications", "indexed_indications",
    "label_coverage_complete", "label_verdict", "parse_indications",
]

INDICATIONS_SECTION = "Indications and Usage"
ADULT_AGE = 18


class LabelStatus(StrEnum):
    """On- or off-label for the patient's condition, from the indications of the drug's labels (those in the
    index first, then a curated table), matched by condition concept; ``unknown`` where that cannot be said: no
    label of the drug is known, the condition maps to no known concept, or not every label of the drug is curated."""

    ON_LABEL = "on_label"
    OFF_LABEL = "off_label"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Indication:
    """One labelled indication: the condition (concept ids and the label's words), the population (words
    and ages in years, inclusive), line of therapy, limitations of use, route (only where a product's
    differs), the indication sentence, and where it comes from (a passage of the index, or a curated row)."""

    generic: str
    product: str
    concepts: tuple[str, ...]
    condition: str
    sentence: str
    source: str
    population: str = ""
    age_min: float | None = None
    age_max: float | None = None
    line_of_therapy: str = ""
    limitations: str = ""
    route: str = ""
    passage_id: str | None = None  # set for a label in the index
    doc_id: str | None = None

    @property
    def label_source(self) -> str:
        """The label and section, without the subsection ("RITUXAN (rituximab) FDA label — Indications and Usage")."""
        found = re.match(r".*?Indications and Usage", self.source)
        return found.group(0) if found else self.source


@dataclass(frozen=True)
class LabelVerdict:
    """The label status of one drug in the patient's conditions, with what decided it.

    ``sentence`` is the indication sentence that makes it on-label (None otherwise) and ``source`` where
    it is from; for an off-label verdict ``source`` names the labels whose indications were all checked.
    ``reason`` is derived (built by Curbside from these facts), never a quotation.
    """

    status: LabelStatus
    source: str | None = None
    sentence: str | None = None
    entry: Indication | None = None
    condition: str | None = None  # the patient's condition, as given, that the entry covers
    reason: str = ""
    indications: tuple[Indication, ...] = field(default=(), repr=False)  # every indication checked

    @property
    def indication(self) -> str | None:
        """The indication sentence (the name :func:`~curbside.evidence.assessment.assess_agent` reads)."""
        return self.sentence

    @property
    def passage_id(self) -> str | None:
        """The passage of the index the sentence is from (None for the curated table)."""
        return self.entry.passage_id if self.entry else None


# --- the curated table --------------------------------------------------------------------------------------
def _age(cell: str) -> float | None:
    return float(cell) if cell else None


@lru_cache(maxsize=1)
def _curated() -> tuple[Indication, ...]:
    rows = []
    for row in read_table("label_indications.tsv", "curbside.evidence"):
        ids = tuple(split_list(row["concepts"]))
        for concept_id in ids:
            concept(concept_id)  # a typo in the table fails loudly, not silently off-label
        rows.append(Indication(
            generic=normalise_generic(row["generic"]), product=row["product"], concepts=ids,
            condition=row["condition"], sentence=row["sentence"], source=row["source"],
            population=row["population"], age_min=_age(row["age_min"]), age_max=_age(row["age_max"]),
            line_of_therapy=row["line_of_therapy"], limitations=row["limitations"],
            route=normalise_route(row["route"]) or "" if row["route"] else "",
        ))
    return tuple(rows)


@lru_cache(maxsize=1)
def _coverage() -> dict[str, bool]:
    return {normalise_generic(r["generic"]): r["coverage"] == "complete"
            for r in read_table("label_coverage.tsv", "curbside.evidence")}


def curated_indications(generic: str) -> list[Indication]:
    """The curated indications of a generic (any name the vocabulary reads: "IVIG", "MMF", a salt)."""
    key = normalise_generic(generic)
    return [i for i in _curated() if i.generic == key]


def label_coverage_complete(generic: str) -> bool:
    """Whether the curated labels of the generic are all of its US labels (label_coverage.tsv)."""
    return _coverage().get(normalise_generic(generic), False)


# --- parsing a label's Indications and Usage ----------------------------------------------------------------
_INDICATED = re.compile(r"\bindicated\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"\bnot (?:been )?(?:indicated|recommended|established)\b", re.IGNORECASE)
_LIMITATIONS = re.compile(r"^\W*limitations? of use\b", re.IGNORECASE)
# A floor in months ("pediatric patients aged 6 months and older"); one in years is the vocabulary's AGE_MIN.
_MONTHS_FLOOR = re.compile(r"(\d+)\s*months?\s+(?:of age\s+)?(?:and|or)\s+older", re.IGNORECASE)
_ADULTS = re.compile(r"\badults?\b", re.IGNORECASE)
_CHILDREN = re.compile(r"\b(?:pediatric|paediatric|children|child|adolescents?|infants?)\b", re.IGNORECASE)
# Clauses that state the line of therapy or a combination; a condition named in them is not the indication.
_LINE = re.compile(
    r"\b(?:who (?:have )?(?:had|failed)[^.;:]*|after (?:failure of|first-line)[^.;:]*|previously (?:untreated|treated)|"
    r"relapsed or refractory|(?:first|second)-line(?: therapy)?|(?:as )?maintenance therapy|in combination with [^,.;:]*)",
    re.IGNORECASE,
)


def _population(text: str) -> tuple[str, float | None, float | None]:
    years = AGE_MIN.search(text)
    if years and years.group(1):
        return years.group(0), float(years.group(1)), None
    months = _MONTHS_FLOOR.search(text)
    if months:
        return months.group(0), float(months.group(1)) / 12, None
    adults, children = _ADULTS.search(text), _CHILDREN.search(text)
    if adults and not children:
        return adults.group(0), float(ADULT_AGE), None
    if children and not adults:
        return children.group(0), None, float(ADULT_AGE - 1)
    return "", None, None


def parse_indications(text: str, *, generic: str, product: str, source: str, passage_id: str | None = None,
                      doc_id: str | None = None) -> list[Indication]:
    """The indications of an Indications and Usage text: each sentence that says "indicated" (or each list
    item under a lead-in that does: "X is indicated for the treatment of adult patients with:"), with the
    concepts it names outside its line-of-therapy clauses, its population and line of therapy; "Limitations
    of Use" and "not indicated/recommended" sentences become the limitations of every entry, never entries."""
    drafts: list[tuple[str, str]] = []  # (sentence to cite, the part that names the condition)
    limitations: list[str] = []
    lead: str | None = None
    in_limitations = False
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        item = line[2:].strip() if line.startswith("- ") else None
        if _LIMITATIONS.match(line):
            in_limitations, lead = True, None
            limitations.append(line)
            continue
        if in_limitations and item is not None:
            limitations.append(item)
            continue
        in_limitations = False
        if lead is not None and (item is not None or not _INDICATED.search(line)):
            body = item if item is not None else line
            drafts.append((f"{lead} {body}", body))
            continue
        lead = None
        for start, end in sentence_spans(line):
            sentence = line[start:end].strip()
            if _NEGATIVE.search(sentence):
                limitations.append(sentence)
            elif _INDICATED.search(sentence) and sentence.endswith(":"):
                lead = sentence
            elif _INDICATED.search(sentence):
                drafts.append((sentence, sentence))
    out = []
    for sentence, body in drafts:
        named = concepts_in(_LINE.sub(" ", body))
        words, age_min, age_max = _population(sentence)
        lines = "; ".join(m.group(0) for m in _LINE.finditer(body))
        out.append(Indication(
            generic=normalise_generic(generic), product=product, concepts=tuple(c.id for c in named),
            condition=", ".join(c.name for c in named) or body, sentence=sentence, source=source,
            population=words, age_min=age_min, age_max=age_max, line_of_therapy=lines,
            limitations=" ".join(limitations), passage_id=passage_id, doc_id=doc_id,
        ))
    return out


def indexed_indications(store: LabelSource | None, generic: str) -> list[Indication]:
    """The indications of the labels of the generic in the index (their Indications and Usage passages)."""
    if store is None:
        return []
    out: list[Indication] = []
    for passage in label_section_passages(store, generic, INDICATIONS_SECTION):
        product = re.sub(r"\s+label$", "", passage.title)
        source = f"{passage.title} — {passage.section} (passage {passage.passage_id})"
        out.extend(parse_indications(passage.text, generic=generic, product=product, source=source,
                                     passage_id=passage.passage_id, doc_id=passage.doc_id))
    return out


# --- the verdict --------------------------------------------------------------------------------------------
COVERED, NOT_COVERED, NARROWER, AGE_NOT_GIVEN = "covered", "not covered", "narrower", "age not given"


def _fit(entry: Indication, match: ConditionMatch, age: float | None, route: str | None) -> str:
    """How an indication stands to one condition of the patient."""
    if match.concept is None:
        return NOT_COVERED
    kinds = lineage(match.concept.id)
    if not kinds & set(entry.concepts):
        # The label names a kind of the patient's condition: the patient may or may not have that kind.
        return NARROWER if any(match.concept.id in lineage(c) for c in entry.concepts) else NOT_COVERED
    if route and entry.route and normalise_route(route) != entry.route:
        return NOT_COVERED
    if age is not None:
        low, high = entry.age_min or 0.0, entry.age_max if entry.age_max is not None else float("inf")
        return COVERED if low <= age <= high else NOT_COVERED
    if match.population == ADULT:
        return NOT_COVERED if entry.age_max is not None and entry.age_max < ADULT_AGE else COVERED
    if match.population == PEDIATRIC:
        return NOT_COVERED if entry.age_min is not None and entry.age_min >= ADULT_AGE else COVERED
    return AGE_NOT_GIVEN if entry.age_max is not None and entry.age_max < ADULT_AGE else COVERED


def _names(items: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(items))


def label_verdict(generic: str, conditions: Sequence[str], *, age: float | None = None, route: str | None = None,
                  store: LabelSource | None = None) -> LabelVerdict:
    """The label status of ``generic`` in the patient's ``conditions`` (see the module docstring).
    ``age`` in years; ``route`` as written ("IV", "topical"); ``store``: the index's labels, read first."""
    key = normalise_generic(generic)
    entries = (*indexed_indications(store, key), *curated_indications(key))
    if not entries:
        return LabelVerdict(LabelStatus.UNKNOWN, reason=f"No label of {key} is known: none in the index or the curated table.")
    matches = match_conditions(conditions)
    if not matches:
        return LabelVerdict(LabelStatus.UNKNOWN, indications=entries, reason="No condition of the patient is given.")
    doubts: list[str] = []
    for match in matches:
        for entry in entries:
            fit = _fit(entry, match, age, route)
            if fit == COVERED:
                said = match.concept.name if match.concept else match.text
                population = (f" The indication is for {entry.population}; the patient's age is not given."
                              if age is None and (entry.age_min or 0) >= ADULT_AGE else "")
                return LabelVerdict(
                    LabelStatus.ON_LABEL, source=entry.source, sentence=entry.sentence, entry=entry,
                    condition=match.text, indications=entries,
                    reason=f"On-label: {entry.product}'s indication ({entry.condition}) covers {match.text} ({said}).{population}",
                )
            if fit == NARROWER:
                doubts.append(f"the label names {entry.condition}, a kind of {match.text}; the patient's kind is not given")
            elif fit == AGE_NOT_GIVEN:
                doubts.append(f"the label's indication in {entry.condition} is for {entry.population}; the patient's age is not given")
    labels = _names(e.label_source for e in entries)
    unmatched = [m.text for m in matches if m.concept is None]
    if unmatched:
        return LabelVerdict(LabelStatus.UNKNOWN, indications=entries, reason=(
            f"Label status unknown: {'; '.join(unmatched)} maps to no condition concept Curbside knows, so it cannot "
            f"be matched to the indications of {labels}."))
    if doubts:
        return LabelVerdict(LabelStatus.UNKNOWN, indications=entries,
                            reason=f"Label status unknown: {'; '.join(dict.fromkeys(doubts))}.")
    listed = _names(e.condition for e in entries)
    if not label_coverage_complete(key):
        return LabelVerdict(LabelStatus.UNKNOWN, indications=entries, reason=(
            f"Label status unknown: no indication of {labels} ({listed}) covers {'; '.join(m.text for m in matches)}, "
            f"but other labels of {key} are not curated."))
    return LabelVerdict(LabelStatus.OFF_LABEL, source=labels, indications=entries, reason=(
        f"Off-label: no indication of {labels} covers {'; '.join(m.text for m in matches)}; "
        f"the label is indicated for {listed}."))

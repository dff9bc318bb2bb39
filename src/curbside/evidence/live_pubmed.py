"""Per-question live PubMed (``ask --live-pubmed``): when the index holds too little, and what may be searched for.

**Too little** (:func:`needs_live_search`): the evidence is not ``sufficient`` (no direct source answers the
question) and fewer than ``ask_min_sentences`` of the selected sentences (those above the relevance floor,
``evidence.min_sentence_relevance``) come from a guideline, a systematic review or a study written for the
question's population. Patient information and labels do not count: they are what a thin index already has.

**The search terms** (:func:`live_query`) are concepts, never text: only what leaves the machine is built here.

- drugs the clinical question names, as generic names (a brand becomes its generic);
- conditions the clinical question names, as the curated vocabulary's names (``vocabulary/conditions``; an
  organ manifestation of a disease, "dermatomyositis-associated ILD", is searched as its two parents); when the
  clinical question names none, the conditions named in the patient's story, again as vocabulary names only;
- an abbreviation of the question with its expansion ("MDA5" OR "melanoma differentiation-associated gene 5");
- at most :data:`MAX_OTHER_TERMS` other subject words of the clinical question (an intervention, a test): only
  dictionary or clinical words of letters, never a census first name or surname, never a word of the
  patient's story or context, never a word inside what the PHI scrubber marks in the question.

Ages, sexes, dates, numbers, names and identifiers never qualify. Each term, and then the whole query, goes
through :func:`~curbside.understanding.phi.scrub_phi` as a second guard: a term it marks is dropped, and a query
it still marks is not sent at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from curbside.corpus.documents import RESEARCH_TYPES, DocType
from curbside.evidence.answers import subject_concepts
from curbside.evidence.selection import EvidenceSet, EvidenceStatus
from curbside.understanding import DrugNames, UnderstoodQuestion
from curbside.understanding.lexicon import english_words
from curbside.understanding.phi import scrub_phi
from curbside.vocabulary.conditions import ConditionConcept, concept, concepts_mentioned
from curbside.vocabulary.person_names import census_given_names, census_surnames

class LiveSearchStatus(StrEnum):
    """What the live PubMed search of one ask did: ``not_needed`` (the index held enough), ``no_terms`` (no
    concept of the question could be sent), ``nothing_found``, ``fetched`` (citations were ingested and the
    article answers from them too), or ``failed`` (E-utilities could not be reached: the article answers from the
    local index)."""

    NOT_NEEDED = "not_needed"
    NO_TERMS = "no_terms"
    NOTHING_FOUND = "nothing_found"
    FETCHED = "fetched"
    FAILED = "failed"


MAX_OTHER_TERMS = 2
_COUNTING_TYPES = frozenset({DocType.GUIDELINE}) | RESEARCH_TYPES
_WORD = re.compile(r"[a-z][a-z-]{2,}[a-z]")


def needs_live_search(evidence: EvidenceSet, min_sentences: int = 1) -> bool:
    """The index holds too little for the question (see the module docstring)."""
    if evidence.status == EvidenceStatus.SUFFICIENT:
        return False
    direct = [s for s in evidence.sentences if s.population_note is None and s.doc_type in _COUNTING_TYPES]
    return len(direct) < min_sentences


@dataclass(frozen=True)
class LiveQuery:
    """The PubMed queries for one question, broadest last, and the concept groups they were built from."""

    groups: tuple[tuple[str, ...], ...]  # each group's alternatives (OR), groups ANDed
    queries: tuple[str, ...]  # the query with every group, then with fewer (tried in turn until one matches)

    @property
    def text(self) -> str:
        return self.queries[0] if self.queries else ""


def _term(text: str) -> str:
    return f'"{text}"' if " " in text or "-" in text else text


def _group_text(group: Sequence[str]) -> str:
    alternatives = [_term(a) for a in group]
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _search_name(item: ConditionConcept) -> list[str]:
    """What a condition is searched as: its first synonym; an organ manifestation of a disease as its parents."""
    parents = [*item.manifestation_of, *item.broader]
    if parents and item.id.startswith("curbside:"):
        names: list[str] = []
        for parent in parents:
            try:
                names.extend(_search_name(concept(parent)))
            except KeyError:
                continue
        if names:
            return names
    return [item.synonyms[0] if item.synonyms else item.name.lower()]


def _clean(term: str) -> bool:
    """No identifier in it, by the PHI scrubber's reading, and no digit but in a word (MDA5, IL-6)."""
    return not scrub_phi(term).findings and not re.search(r"(?<![A-Za-z])\d", term)


def _drug(keyword: str, generics: set[str], brands: dict[str, str], drug_names: DrugNames | None) -> str | None:
    """The generic name a keyword (or a part of a hyphenated one: "truxima-treated") names, if a drug."""
    for piece in dict.fromkeys([keyword, *keyword.split("-")]):
        generic = piece if piece in generics else brands.get(piece)
        if generic is None and drug_names is not None:
            generic = drug_names.drugs.generic_for(piece)
        if generic:
            return generic
    return None


def live_query(understood: UnderstoodQuestion, drug_names: DrugNames | None = None) -> LiveQuery:
    """The search terms for ``understood`` (see the module docstring); no query when nothing qualifies."""
    clinical = understood.clinical_question
    private = " ".join(p for p in (understood.story, understood.context or "") if p).lower()
    private_words = set(re.findall(r"[a-z0-9][a-z0-9-]*", private))
    # Words inside what the scrubber marks as PHI in the question itself (a name, a place, an MRN).
    marked: set[str] = set()
    for finding in scrub_phi(understood.original).findings:
        marked.update(re.findall(r"[a-z0-9][a-z0-9-]*", understood.original[finding.start:finding.end].lower()))

    groups: dict[str, list[tuple[str, ...]]] = {"drug": [], "condition": [], "abbreviation": [], "other": []}
    used: set[str] = set()

    def add(kind: str, *alternatives: str) -> None:
        kept = tuple(dict.fromkeys(a for a in alternatives if a and _clean(a)))
        if kept and not any(a.lower() in used for a in kept):
            groups[kind].append(kept)
            for a in kept:
                used.add(a.lower())
                used.update(a.lower().split())

    generics = set(drug_names.generic_names) if drug_names is not None else set()
    brands = {e.term.lower(): e.expansion.lower() for e in understood.expansions if e.kind == "brand"}
    # The drugs the question asks about; those of the patient's story (current therapy) only when it names none.
    asked = [k for k in understood.keywords if k not in private_words]
    for keyword in asked if any(_drug(k, generics, brands, drug_names) for k in asked) else understood.keywords:
        generic = _drug(keyword, generics, brands, drug_names)
        if generic:
            add("drug", generic)

    for item in concepts_mentioned(clinical) or concepts_mentioned(understood.story):
        for name in _search_name(item):
            add("condition", name)

    for expansion in understood.expansions:
        if expansion.kind == "abbreviation" and expansion.term.lower() not in used:
            if expansion.expansion.lower() not in used:
                add("abbreviation", expansion.term, expansion.expansion.lower())

    english = english_words()
    names = census_given_names() | census_surnames()
    heads = [group[0] for group in understood.concept_groups()]
    for head in subject_concepts(heads, understood.intent):
        if len(groups["other"]) >= MAX_OTHER_TERMS:
            break
        if (head in used or not _WORD.fullmatch(head) or head in private_words or head in marked
                or head not in english or head in names):
            continue
        add("other", head)

    drugs, conditions = groups["drug"], groups["condition"]
    every = [*drugs, *conditions, *groups["abbreviation"], *groups["other"]]
    # Broadest last: a query that matches nothing is tried again without its least essential terms.
    candidates = [every, [*drugs, *conditions, *groups["abbreviation"]], [*drugs, *conditions],
                  [*drugs[:1], *conditions[:1]]]
    queries: list[str] = []
    for candidate in candidates:
        text = " AND ".join(_group_text(g) for g in candidate)
        if text and text not in queries and not scrub_phi(text).findings:
            queries.append(text)
    return LiveQuery(tuple(every), tuple(queries))

"""Condition concepts: the loader of ``data/condition_concepts.tsv`` and ``data/condition_qualifiers.tsv``,
and the matching of a condition, as a patient's story or a drug label words it, to a concept.

A condition maps to a concept only by a WHOLE phrase: the condition, normalised (lower case, possessives,
hyphens and punctuation dropped) and stripped of its qualifiers ("severe", "refractory", "MDA5+"), must be
one of the concept's synonyms. A shared word is never enough: "psoriatic arthritis" is not "rheumatoid
arthritis", "colorectal cancer" is not "carcinoma of the breast".

Concepts are related in two ways, both curated (not MeSH's tree, which files juvenile arthritis under
rheumatoid arthritis): ``broader`` (a kind of: a label naming the broader concept covers it) and
``manifestation_of`` (an organ manifestation of a disease: a label naming the disease does not cover it).

Public API: :class:`ConditionConcept`, :class:`ConditionMatch`, :func:`concept`, :func:`concepts`,
:func:`normalise_condition`, :func:`match_condition`, :func:`match_conditions` (with the refinement of an
organ concept by the patient's disease: "interstitial lung disease" in a patient with dermatomyositis is
dermatomyositis-associated ILD), :func:`concepts_in` (concepts named inside a longer text, e.g. a label's
indication sentence), :func:`concepts_mentioned` (what a title or a question is about, class words and capitalised
abbreviations included), :func:`is_kind_of`, :func:`lineage`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from curbside.vocabulary.tables import alternation, read_table, split_list

__all__ = [
    "ADULT", "PEDIATRIC", "ConditionConcept", "ConditionMatch", "concept", "concepts", "concepts_in",
    "concepts_mentioned", "is_kind_of", "describe", "lineage", "match_condition", "match_conditions", "normalise_condition",
]

ADULT = "adult"
PEDIATRIC = "pediatric"


@dataclass(frozen=True)
class ConditionConcept:
    """One condition: its id (a MeSH descriptor UI, or ``curbside:<name>``), name, synonyms (normalised),
    the concepts it is a kind of, the disease it is a manifestation of, and the population its name implies."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    broader: tuple[str, ...] = ()
    manifestation_of: tuple[str, ...] = ()
    population: str | None = None


@dataclass(frozen=True)
class ConditionMatch:
    """A condition as given, and what it was read as: its concept (None: no concept known), the population
    its words or its concept imply (``"adult"``, ``"pediatric"`` or None) and the qualifiers dropped."""

    text: str
    concept: ConditionConcept | None
    population: str | None = None
    qualifiers: tuple[str, ...] = ()


_POSSESSIVE = re.compile(r"(?<=[a-z])'s?\b")
_NOT_WORD = re.compile(r"[^a-z0-9+]+")
# A serology or antigen token: a word with a digit ("mda5", "cd20", "ro52") or a trailing "+" ("anca+").
_SEROLOGY = re.compile(r"^(?:[a-z]*\d[a-z0-9]*\+?|[a-z0-9]+\+)$")
_EDGE_WORDS = frozenset({"of", "in", "with", "the", "a", "and", "for", "to"})


def normalise_condition(text: str) -> str:
    """Lower case, accents and possessives dropped, hyphens and punctuation as spaces ("Still's" -> "still",
    "SSc-ILD" -> "ssc ild", "MDA5+" -> "mda5+")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = _POSSESSIVE.sub("", text.replace("\u2019", "'"))
    return " ".join(_NOT_WORD.sub(" ", text).split())


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, ConditionConcept], dict[str, str], dict[str, str]]:
    """(concepts by id, concept id by synonym, qualifier -> kind)."""
    by_id: dict[str, ConditionConcept] = {}
    by_synonym: dict[str, str] = {}
    for row in read_table("condition_concepts.tsv"):
        synonyms = tuple(dict.fromkeys(normalise_condition(s) for s in split_list(row["synonyms"])))
        item = ConditionConcept(row["id"], row["name"], synonyms, tuple(split_list(row["broader"])),
                                tuple(split_list(row["manifestation_of"])), row["population"] or None)
        if item.id in by_id:
            raise ValueError(f"condition_concepts.tsv: {item.id} is listed twice")
        by_id[item.id] = item
        for synonym in synonyms:
            held = by_synonym.setdefault(synonym, item.id)
            if held != item.id:
                raise ValueError(f"condition_concepts.tsv: {synonym!r} names both {held} and {item.id}")
    for item in by_id.values():
        for other in (*item.broader, *item.manifestation_of):
            if other not in by_id:
                raise ValueError(f"condition_concepts.tsv: {item.id} refers to unknown concept {other}")
    qualifiers = {normalise_condition(r["qualifier"]): r["kind"] for r in read_table("condition_qualifiers.tsv")}
    return by_id, by_synonym, qualifiers


def concepts() -> list[ConditionConcept]:
    """Every concept of the table, in file order."""
    return list(_tables()[0].values())


def concept(concept_id: str) -> ConditionConcept:
    """The concept of this id (KeyError when unknown)."""
    return _tables()[0][concept_id]


@lru_cache(maxsize=None)
def lineage(concept_id: str) -> frozenset[str]:
    """The concept and every concept it is a kind of (``broader``, transitively); never its disease."""
    out = {concept_id}
    for parent in concept(concept_id).broader:
        out |= lineage(parent)
    return frozenset(out)


def is_kind_of(concept_id: str, other_id: str) -> bool:
    """Whether ``concept_id`` is ``other_id`` or a kind of it (a label naming ``other_id`` covers it)."""
    return other_id in lineage(concept_id)


@lru_cache(maxsize=1)
def _qualifier_pattern() -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9+])(?:{alternation(_tables()[2])})(?![a-z0-9+])")


def is_qualifier(words: str) -> bool:
    """Whether ``words`` (a word or phrase) is a condition qualifier of the table ("severe", "refractory")."""
    return normalise_condition(words) in _tables()[2]


def match_condition(text: str) -> ConditionMatch:
    """The concept a condition names as a whole phrase, once its qualifiers are dropped; None when the
    remaining words are not a synonym of any concept (never a guess from one shared word)."""
    _, by_synonym, qualifier_kinds = _tables()
    normal = normalise_condition(text)
    if normal in by_synonym:
        found = concept(by_synonym[normal])
        return ConditionMatch(text, found, found.population)
    dropped: list[str] = []

    def drop(match: re.Match[str]) -> str:
        dropped.append(match.group(0))
        return " "

    words = []
    for word in _qualifier_pattern().sub(drop, normal).split():
        (dropped if _SEROLOGY.match(word) else words).append(word)
    while words and words[0] in _EDGE_WORDS:
        words.pop(0)
    while words and words[-1] in _EDGE_WORDS:
        words.pop()
    kinds = {qualifier_kinds.get(q) for q in dropped}
    said = kinds & {ADULT, PEDIATRIC}
    population = said.pop() if len(said) == 1 else None  # "adult and pediatric" says neither
    found_id = by_synonym.get(" ".join(words))
    if found_id is None:
        return ConditionMatch(text, None, population, tuple(dropped))
    found = concept(found_id)
    return ConditionMatch(text, found, population or found.population, tuple(dropped))


def match_conditions(texts: Iterable[str]) -> list[ConditionMatch]:
    """Each condition matched; then an organ concept is made specific by the patient's disease where a
    concept says so: "interstitial lung disease" with "MDA5+ dermatomyositis" is dermatomyositis-associated
    ILD (so a label for systemic sclerosis-associated ILD does not cover it)."""
    matches = [match_condition(t) for t in texts if t and t.strip()]
    diseases = {c for m in matches if m.concept is not None for c in lineage(m.concept.id)}
    out: list[ConditionMatch] = []
    for m in matches:
        specific = [c for c in concepts() if m.concept is not None and m.concept.id in c.broader
                    and set(c.manifestation_of) & diseases] if m.concept is not None else []
        if len(specific) == 1:
            m = ConditionMatch(m.text, specific[0], m.population, m.qualifiers)
        out.append(m)
    return out


@lru_cache(maxsize=1)
def _text_pattern() -> re.Pattern[str]:
    # Inside a longer text only phrases and long names count: a short abbreviation ("all", "ra", "ild") is
    # an English word or stands beside the name it abbreviates. Nor does the one word of a class of diseases
    # ("cancer", "lymphoma", "leukemia"): "in cancer patients" or "skin cancer" is no indication for every cancer.
    by_id, by_synonym, _ = _tables()
    narrower: dict[str, int] = {}
    for item in by_id.values():
        for parent in item.broader:
            narrower[parent] = narrower.get(parent, 0) + 1
    names = [s for s, cid in by_synonym.items() if " " in s or (len(s) > 4 and narrower.get(cid, 0) < 2)]
    return re.compile(rf"(?<![a-z0-9+])(?:{alternation(names)})(?![a-z0-9+])")


def concepts_in(text: str) -> list[ConditionConcept]:
    """The concepts a text names, longest phrase first at each place, in the order they appear, once each
    ("rheumatoid arthritis" in "juvenile rheumatoid arthritis" is not found: the longer phrase wins)."""
    _, by_synonym, _ = _tables()
    found: dict[str, ConditionConcept] = {}
    for match in _text_pattern().finditer(normalise_condition(text)):
        item = concept(by_synonym[match.group(0)])
        found.setdefault(item.id, item)
    return list(found.values())


@lru_cache(maxsize=1)
def _mention_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # (phrases and long names, in normalised text; abbreviations of up to four letters, as capitals in the text)
    by_synonym = _tables()[1]
    long_names = [s for s in by_synonym if " " in s or len(s) > 4]
    short = [s.upper() for s in by_synonym if " " not in s and len(s) <= 4]
    return (re.compile(rf"(?<![a-z0-9+])(?:{alternation(long_names)})(?![a-z0-9+])"),
            re.compile(rf"(?<![A-Za-z0-9])(?:{alternation(short)})(?![A-Za-z0-9])"))


def concepts_mentioned(text: str) -> list[ConditionConcept]:
    """The concepts a title or a question names, in the order they appear, once each: every whole phrase, longest
    first at each place ("pulmonary arterial hypertension" is never "hypertension"), the one word of a class
    ("diabetes", "cancer") included, unlike :func:`concepts_in`; an abbreviation of four letters or fewer only
    where it is written in capitals ("HIV", "RA"; never "all" or "ra"), and none in a text written in capitals."""
    phrases, abbreviations = _mention_patterns()
    by_synonym = _tables()[1]
    found: dict[str, ConditionConcept] = {}
    for match in phrases.finditer(normalise_condition(text)):
        item = concept(by_synonym[match.group(0)])
        found.setdefault(item.id, item)
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) <= 0.5 * len(letters):
        for match in abbreviations.finditer(text):
            item = concept(by_synonym[match.group(0).lower()])
            found.setdefault(item.id, item)
    return list(found.values())


def describe(matches: Sequence[ConditionMatch]) -> str:
    """The conditions as read, for a reason sentence: "MDA5+ dermatomyositis (Dermatomyositis)"."""
    return "; ".join(f"{m.text} ({m.concept.name})" if m.concept else f"{m.text} (no concept known)" for m in matches)

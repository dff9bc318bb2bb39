"""Drug classes and their members: ``data/drug_classes.tsv``, the one place a class ("anticoagulant",
"nsaid") is defined, and ``data/drug_class_terms.tsv``, the words labels name each class by ("organic
nitrates", "alpha-blockers"). Patient context reads anticoagulation through it; the interaction table names
classes by its ids, and the interaction check reads a label's sentence naming a class through its terms."""

from __future__ import annotations

from functools import lru_cache

from curbside.vocabulary.tables import read_table

__all__ = ["class_label", "class_terms", "classes_of", "known_classes", "members"]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    members_by_class: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for row in read_table("drug_classes.tsv"):
        members_by_class.setdefault(row["class"], set()).add(row["generic"].lower())
        labels.setdefault(row["class"], row["label"])
    return {c: frozenset(m) for c, m in members_by_class.items()}, labels


def known_classes() -> tuple[str, ...]:
    return tuple(sorted(_table()[0]))


def members(drug_class: str) -> frozenset[str]:
    """The generics of a class (empty for an unknown class)."""
    return _table()[0].get(drug_class, frozenset())


def classes_of(generic: str) -> frozenset[str]:
    """The classes a generic belongs to."""
    g = generic.lower()
    return frozenset(c for c, m in _table()[0].items() if g in m)


def class_label(drug_class: str) -> str:
    """How a sentence names the class ("anticoagulants")."""
    return _table()[1].get(drug_class, drug_class.replace("_", " "))


@lru_cache(maxsize=1)
def _terms() -> dict[str, tuple[str, ...]]:
    terms: dict[str, list[str]] = {}
    for row in read_table("drug_class_terms.tsv"):
        terms.setdefault(row["class"], []).append(row["term"].lower())
    return {c: tuple(t) for c, t in terms.items()}


def class_terms(drug_class: str) -> tuple[str, ...]:
    """The lower-case words a label names the class by ("organic nitrates", "nitrates"); none for a class
    without curated terms."""
    return _terms().get(drug_class, ())

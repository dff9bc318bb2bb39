"""Drug identity: salt words, the biosimilar suffix rule, other names of drugs, and generic-name normalisation.

Facts: ``data/drug_name_parts.tsv`` (salts, esters, formulation words, words a biosimilar suffix is not) and
``data/drug_aliases.tsv`` (abbreviations, synonyms and the literature's words for a drug). Brand to generic
names come from Drugs@FDA at ingest (:mod:`curbside.corpus.drugs`), and use :func:`generic_name`.

Public API
----------
``SALT_WORDS``
    Counter-ions and hydrate forms, dropped from a generic name ("hydroxychloroquine sulfate").
``NOT_MOIETY_WORDS``
    Salts, esters and formulation words: never a word that stands for a drug on its own.
``BIOSIMILAR_SUFFIX``
    A compiled pattern for an FDA biosimilar suffix right after a name ("-abbs" in "rituximab-abbs"), not
    a word that is part of the name ("corticotropin-zinc").
``generic_name(active_ingredient)``
    "hydroxychloroquine" from "HYDROXYCHLOROQUINE SULFATE"; "B; A" becomes "a and b".
``DrugAlias``, ``drug_aliases(kind=None)``
    The rows of the alias table (kind "abbreviation", "synonym" or "literature").
``generic_for_alias(name)``
    The generic an abbreviation or synonym names ("IVIG" -> "immune globulin"), case-insensitively; else None.
``normalise_generic(name)``
    Lower-case generic with aliases, salts and biosimilar suffixes resolved ("MMF" -> "mycophenolate mofetil").
``literature_terms(generic)``
    Lower-case words that name the drug in a sentence of the literature besides its generic name ("mmf",
    "mycophenolate"; not "rtx", which is also resiniferatoxin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from curbside.vocabulary.tables import read_table


@lru_cache(maxsize=1)
def _name_parts() -> dict[str, frozenset[str]]:
    kinds: dict[str, set[str]] = {}
    for row in read_table("drug_name_parts.tsv"):
        kinds.setdefault(row["kind"], set()).add(row["word"].lower())
    return {kind: frozenset(words) for kind, words in kinds.items()}


SALT_WORDS: frozenset[str] = _name_parts()["salt"]
NOT_MOIETY_WORDS: frozenset[str] = _name_parts()["salt"] | _name_parts()["ester"] | _name_parts()["formulation"]
_NOT_SUFFIX = "|".join(sorted(_name_parts()["not_biosimilar_suffix"]))
# A biosimilar's four-letter FDA suffix, at a position in a text ("rituximab-abbs", "epoetin alfa-epbx").
BIOSIMILAR_SUFFIX = re.compile(rf"-(?!(?:{_NOT_SUFFIX})(?![\w-]))[a-z]{{4}}(?![\w-])")
# The same suffix ending a word of a name.
_WORD_SUFFIX = re.compile(rf"(?<=[a-z]{{3}})-(?!(?:{_NOT_SUFFIX})$)[a-z]{{4}}$")


def _base_name(ingredient: str) -> str:
    """One ingredient without its salt words (kept whole if nothing but salt words would remain)."""
    words = ingredient.lower().replace(",", " ").split()
    words = [_WORD_SUFFIX.sub("", w) for w in words]
    kept = [w for w in words if w not in SALT_WORDS]
    # "sodium chloride", "calcium acetate": the salt is the drug.
    return " ".join(kept if kept else words)


def generic_name(active_ingredient: str) -> str:
    """"mycophenolate mofetil" from "MYCOPHENOLATE MOFETIL HYDROCHLORIDE"; "B; A" becomes "a and b"."""
    # Sorted, so "A; B" and "B; A" (both occur) give one name.
    parts = {_base_name(part) for part in active_ingredient.split(";")}
    return " and ".join(sorted(part for part in parts if part))


@dataclass(frozen=True)
class DrugAlias:
    kind: str  # "abbreviation", "synonym" or "literature"
    alias: str  # as written in the table (abbreviations keep their case)
    generic: str
    route: str | None = None  # a route code the name implies ("IV" for IVIG)
    in_literature: bool = False  # a sentence using this name is about the drug (not "RTX": also resiniferatoxin)


@lru_cache(maxsize=1)
def _aliases() -> tuple[DrugAlias, ...]:
    return tuple(
        DrugAlias(row["kind"], row["alias"], row["generic"].lower(), row["route"] or None, row["in_literature"] == "yes")
        for row in read_table("drug_aliases.tsv")
    )


def drug_aliases(kind: str | None = None) -> list[DrugAlias]:
    """Rows of the alias table, in file order; only those of ``kind`` when given."""
    return [a for a in _aliases() if kind is None or a.kind == kind]


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return {a.alias.lower(): a.generic for a in _aliases() if a.kind != "literature"}


def generic_for_alias(name: str) -> str | None:
    """The generic an abbreviation or synonym names, matched case-insensitively; None when it is none."""
    return _names().get(" ".join(name.strip().lower().split()))


def normalise_generic(name: str) -> str:
    """Lower-case generic name with aliases, salts and biosimilar suffixes resolved."""
    text = " ".join(name.strip().lower().split())
    alias = generic_for_alias(text)
    if alias is not None:
        return alias
    candidate = generic_name(text) or text
    return generic_for_alias(candidate) or candidate


@lru_cache(maxsize=None)
def literature_terms(generic: str) -> tuple[str, ...]:
    """Lower-case words a sentence of the literature may name the drug by besides its generic: the aliases
    marked ``in_literature`` (abbreviations, synonyms, class words such as "corticosteroids")."""
    key = generic.lower()
    return tuple(dict.fromkeys(a.alias.lower() for a in _aliases() if a.generic == key and a.in_literature))

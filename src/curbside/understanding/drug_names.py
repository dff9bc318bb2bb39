"""Drug names for reading a patient's medications: brand -> generic (Drugs@FDA and the curated rows),
generic names, drug abbreviations and synonyms, indexed once (:class:`DrugNames`).

Build it once per engine, on the engine's one :class:`Lexicon`: :func:`curbside.retrieval.lexicons.drug_names_from_store`
reads an index's table. The brands and generics, by active moiety, are a :class:`DrugTable` of that lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from curbside.corpus.text import normalize
from curbside.understanding.clinical_terms import clinical_terms, note_field
from curbside.understanding.lexicon import WORD_TOKEN, DrugTable, Lexicon, load_builtin_abbreviations
from curbside.vocabulary.drugs import drug_aliases, generic_name

__all__ = ["DrugNames", "clean_generic"]


def clean_generic(generic: str) -> str:
    """Lower-case active moiety: salts and biosimilar suffixes dropped ("rituximab-abbs" -> "rituximab")."""
    text = " ".join(normalize(generic).lower().split())
    if not text:
        return text
    if ";" in text:
        return generic_name(text)
    parts = [generic_name(part) or part for part in re.split(r"\s+and\s+", text)]
    return " and ".join(parts)


class DrugNames:
    """Brand -> generic names, generic names, drug abbreviations and synonyms, indexed once.

    ``brands`` is a mapping or ``(brand, generic)`` pairs (the Drugs@FDA table: ``store.drug_names()``).
    The curated rows of ``data/clinical_terms.tsv`` are added unless ``include_builtin=False``.

    ``lexicon`` is the engine's one :class:`Lexicon`: :attr:`lexicon` is it (its abbreviations expand a
    patient's conditions), and :attr:`drugs`, these names by active moiety, is a table it builds
    (:meth:`Lexicon.drug_table`). Without one, :attr:`lexicon` is built from these names alone and
    :attr:`drugs` is its own table.
    """

    def __init__(
        self,
        brands: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        generics: Iterable[str] = (),
        include_builtin: bool = True,
        lexicon: Lexicon | None = None,
    ) -> None:
        vocab = clinical_terms()
        items = brands.items() if isinstance(brands, Mapping) else brands
        pairs: list[tuple[str, str]] = []
        self._display: dict[str, str] = {}
        self._brand_route: dict[str, str] = {}
        for brand, generic in items:
            cleaned = clean_generic(str(generic))
            if brand and cleaned:
                pairs.append((str(brand), cleaned))
                if not str(brand).islower():
                    self._display.setdefault(str(brand).lower(), str(brand))
        generic_names = {clean_generic(g) for g in generics}
        self._abbreviations: dict[str, tuple[str, str | None]] = {}
        self._synonyms: dict[str, tuple[str, str | None]] = {}
        if include_builtin:
            for term, generic, note in vocab.rows.get("brand", []):
                pairs.append((term, generic))
                self._display.setdefault(term.lower(), term)
                route = note_field(note, "route")
                if route:
                    self._brand_route[term.lower()] = route
            generic_names.update(vocab.terms("generic"))
            for alias in drug_aliases("abbreviation"):
                self._abbreviations[normalize(alias.alias)] = (alias.generic, alias.route)
            for alias in drug_aliases("synonym"):
                self._synonyms[normalize(alias.alias).lower()] = (alias.generic, alias.route)
        for _, generic in pairs:
            generic_names.add(generic)
        components: set[str] = set()
        for name in generic_names:
            components.add(name)
            components.update(part.strip() for part in re.split(r"\s+and\s+", name) if part.strip())
        self.generic_names = frozenset(c for c in components if c)
        # The builtin abbreviation table names drugs too (RTX, TCZ ...): keep those whose expansion is a drug.
        for abbreviation, expansions in load_builtin_abbreviations().items():
            for expansion in expansions[:1]:
                generic = clean_generic(expansion)
                if len(abbreviation) >= 3 and generic in self.generic_names:
                    self._abbreviations.setdefault(abbreviation, (generic, None))
        # Generic names take part in brand matching as (generic, generic): the table then corrects
        # misspelt generics too, and never mistakes a generic for a brand.
        name_pairs = pairs + [(g, g) for g in sorted(self.generic_names)]
        if lexicon is None:
            self.lexicon = Lexicon.with_builtin_abbreviations(brands=name_pairs)
            self.drugs: DrugTable = self.lexicon.drugs
        else:
            self.lexicon = lexicon
            self.drugs = lexicon.drug_table(name_pairs)
        self._phrases: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self._heads: dict[str, set[str]] = {}
        for name in self.generic_names:
            tokens = tuple(WORD_TOKEN.findall(name))
            if tokens:
                self._phrases.setdefault(tokens, (name, None))
                if len(tokens) > 1:
                    self._heads.setdefault(tokens[0], set()).add(name)
        for term, payload in self._synonyms.items():
            tokens = tuple(WORD_TOKEN.findall(term))
            if tokens:
                self._phrases[tokens] = payload
        self._lengths: dict[str, list[int]] = {}
        for tokens in self._phrases:
            lengths = self._lengths.setdefault(tokens[0], [])
            if len(tokens) not in lengths:
                lengths.append(len(tokens))
        for lengths in self._lengths.values():
            lengths.sort(reverse=True)

    def phrase_lengths(self, first_token: str) -> list[int]:
        """The token lengths of the generic names and synonyms that start with this token, longest first."""
        return self._lengths.get(first_token, [])

    def phrase(self, tokens: tuple[str, ...]) -> tuple[str, str | None] | None:
        """(generic, implied route) of a generic name or synonym given as lower-case tokens, else None."""
        return self._phrases.get(tokens)

    def head_generics(self, token: str) -> set[str] | None:
        """The multi-word generics whose first word this is ("mycophenolate" -> mycophenolate mofetil ...)."""
        return self._heads.get(token)

    def abbreviation(self, surface: str) -> tuple[str, str | None] | None:
        """(generic, implied route) of a drug abbreviation: as written or in capitals; 4+ letters in any case."""
        payload = self._abbreviations.get(surface)
        if payload is None and surface.isupper():
            payload = next((v for k, v in self._abbreviations.items() if k.upper() == surface), None)
        if payload is None and len(surface) >= 4:
            payload = next((v for k, v in self._abbreviations.items() if k.lower() == surface.lower()), None)
        return payload

    def generic_for(self, name: str) -> str | None:
        """The generic of a brand, synonym, abbreviation or generic name, else None (no fuzzy matching)."""
        text = normalize(name)
        key = " ".join(WORD_TOKEN.findall(text.lower()))
        if key in self.generic_names:
            return key
        if text in self._abbreviations:
            return self._abbreviations[text][0]
        if key in self._synonyms:
            return self._synonyms[key][0]
        generic = self.drugs.generic_for(text)
        return clean_generic(generic) if generic else None

    def display_brand(self, name: str) -> str:
        return self._display.get(name.lower(), name if not name.islower() else name.title())

    def brand_route(self, name: str) -> str | None:
        return self._brand_route.get(name.lower())

    def is_known_word(self, word: str) -> bool:
        return self.drugs.is_known_word(word)



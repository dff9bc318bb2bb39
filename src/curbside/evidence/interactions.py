"""Drug interactions: every pair of the patient's drugs, and every drug a question or its options propose
against them, checked against two sources, with a plain statement of how far the check reaches.

1. The drug labels in the index: the "Drug Interactions" and "Contraindications" sections (and their
   subsections) of each drug's label, read through the store's label API (:mod:`curbside.evidence.dosing.labels`).
   An interaction is read only from a sentence that names the other drug by concept: its generic name,
   one of its brands, or a term for a class it belongs to (``vocabulary/data/drug_class_terms.tsv``:
   "organic nitrates" names nitroglycerin), and that says what to do or what happens ("contraindicated",
   "not recommended", "caution", "potentiate"...). A class the label's own drug belongs to is not read as
   naming the other drug ("PDE5 inhibitors, including VIAGRA" is not about tadalafil), and a sentence that
   says there is no effect is not an interaction. Severity is read from the sentence's words.
2. The curated table ``evidence/data/drug_interactions.tsv``: major interactions, drug or class against
   drug or class, with the severity, the effect in plain words, the management and the labels they come
   from, curated like the dose table.

A pair neither source lists is "not found", never "no interaction"; a drug that neither source knows is
named in the scope as not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from curbside.corpus.text import sentence_spans
from curbside.evidence.dosing.labels import LabelPassage, LabelSource, label_section_passages
from curbside.vocabulary.drug_classes import class_label, class_terms, classes_of, known_classes, members
from curbside.vocabulary.drugs import normalise_generic
from curbside.vocabulary.tables import alternation, read_table

__all__ = [
    "INTERACTION_SECTIONS", "SERIOUS_SEVERITIES", "DrugRole", "alternative_pairs", "InteractionCheck", "InteractionFinding", "InteractionRow", "InteractionSeverity",
    "InteractionSource", "InteractionSourceKind", "check_interactions", "load_interactions", "table_classes",
    "table_generics",
]

TABLE_NAME = "drug_interactions.tsv"
COLUMNS = ("drug_a", "drug_b", "severity", "effect", "management", "source")
INTERACTION_SECTIONS = ("Contraindications", "Drug Interactions")  # a contraindication is quoted from its own section first
CLASS_PREFIX = "class:"


class InteractionSeverity(StrEnum):
    """How serious an interaction is: ``contraindicated`` (a label forbids the combination), ``major``
    (avoid, or use only with close monitoring and a dose change; may cause serious harm) or ``moderate``
    (caution, monitoring or a dose change). Contraindicated and major are serious: they block a supported
    determination and lead the article's considerations."""

    CONTRAINDICATED = "contraindicated"
    MAJOR = "major"
    MODERATE = "moderate"


SERIOUS_SEVERITIES = frozenset({InteractionSeverity.CONTRAINDICATED, InteractionSeverity.MAJOR})
_SEVERITY_RANK = {InteractionSeverity.CONTRAINDICATED: 0, InteractionSeverity.MAJOR: 1, InteractionSeverity.MODERATE: 2}


class InteractionSourceKind(StrEnum):
    """Where an interaction was found: a label in the index (a sentence of its Drug Interactions or
    Contraindications section, quoted) or Curbside's curated table (its source labels named, not quoted)."""

    LABEL_IN_INDEX = "label_in_index"
    CURATED_TABLE = "curated_table"


class DrugRole(StrEnum):
    """A drug's place in the check: the patient's current ``regimen``, a drug the question ``proposed``, or a
    next-step ``option`` the evidence names."""

    REGIMEN = "regimen"
    PROPOSED = "proposed"
    OPTION = "option"


# --- the curated table -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InteractionRow:
    """One row of the curated table; a side is a generic name or ``class:<id>`` (every member of the class)."""

    drug_a: str
    drug_b: str
    severity: InteractionSeverity
    effect: str
    management: str
    source: str

    def specificity(self) -> int:
        """How many sides name a drug rather than a class: a row about warfarin beats one about anticoagulants."""
        return sum(not side.startswith(CLASS_PREFIX) for side in (self.drug_a, self.drug_b))

    def matches(self, x: str, y: str) -> bool:
        return (_side_covers(self.drug_a, x) and _side_covers(self.drug_b, y)) or (
            _side_covers(self.drug_a, y) and _side_covers(self.drug_b, x))


def _side_covers(side: str, generic: str) -> bool:
    if side.startswith(CLASS_PREFIX):
        return generic in members(side[len(CLASS_PREFIX):])
    return side == generic


def _side(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(CLASS_PREFIX):
        drug_class = cell[len(CLASS_PREFIX):]
        if drug_class not in known_classes():
            raise ValueError(f"{TABLE_NAME}: unknown drug class {drug_class!r} (add it to vocabulary/data/drug_classes.tsv)")
        return cell
    return normalise_generic(cell)


@lru_cache(maxsize=1)
def _load_table() -> tuple[InteractionRow, ...]:
    rows = read_table(TABLE_NAME, package="curbside.evidence")
    if rows and tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{TABLE_NAME}: expected columns {COLUMNS}, found {tuple(rows[0])}")
    return tuple(
        InteractionRow(_side(r["drug_a"]), _side(r["drug_b"]), InteractionSeverity(r["severity"]), r["effect"],
                       r["management"], r["source"])
        for r in rows
    )


def load_interactions() -> list[InteractionRow]:
    """Every row of the curated table, in file order."""
    return list(_load_table())


def table_classes() -> list[str]:
    """The class ids the table names."""
    sides = (side for row in _load_table() for side in (row.drug_a, row.drug_b))
    return sorted({side[len(CLASS_PREFIX):] for side in sides if side.startswith(CLASS_PREFIX)})


def table_generics() -> list[str]:
    """Every generic the table knows: those it names, and the members of the classes it names."""
    named = {side for row in _load_table() for side in (row.drug_a, row.drug_b) if not side.startswith(CLASS_PREFIX)}
    for drug_class in table_classes():
        named |= members(drug_class)
    return sorted(named)


def _combinations() -> dict[str, frozenset[str]]:
    """Combination products the table names ("sulfamethoxazole and trimethoprim") and their components."""
    sides = {side for row in _load_table() for side in (row.drug_a, row.drug_b) if " and " in side}
    return {side: frozenset(part.strip() for part in side.split(" and ")) for side in sides}


def _table_row(x: str, y: str) -> InteractionRow | None:
    """The row for a pair: the most specific, then the most severe."""
    rows = [row for row in _load_table() if row.matches(x, y)]
    return min(rows, key=lambda r: (-r.specificity(), _SEVERITY_RANK[r.severity])) if rows else None


# --- labels in the index -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class InteractionSource:
    """One source that states an interaction: a label sentence in the index (``passage_id``, ``start``/``end``
    of the sentence in the passage, and the words that named the other drug) or a row of the curated table."""

    kind: InteractionSourceKind
    severity: InteractionSeverity
    source: str  # a label's title and section, or the table row's source labels
    passage_id: str | None = None
    doc_id: str | None = None
    doc_title: str | None = None
    year: int | None = None
    start: int | None = None
    end: int | None = None
    sentence: str | None = None
    named_as: str | None = None  # the label's words for the other drug ("organic nitrates")
    label_of: str | None = None  # the generic whose label it is


_NEGATED = re.compile(
    r"\b(?:did|does|do|was|were) not (?:potentiate|affect|alter|increase|change|interact)|\bno (?:clinically "
    r"(?:significant|relevant|meaningful) |significant |relevant )?(?:effect|interaction|change)s?\b|"
    r"\bnot (?:clinically )?(?:significant|relevant)\b", re.IGNORECASE)
_SEVERITY_CUES: tuple[tuple[InteractionSeverity, re.Pattern[str]], ...] = (
    (InteractionSeverity.CONTRAINDICATED, re.compile(r"\bcontraindicated\b|\bdo not use\b|\bmust not be\b", re.IGNORECASE)),
    (InteractionSeverity.MAJOR, re.compile(
        r"\bnot recommended\b|\bavoid\w*\b|\bshould not be (?:used|given|taken|co-?administered|combined)\b|"
        r"\blife-threatening\b", re.IGNORECASE)),
    (InteractionSeverity.MODERATE, re.compile(
        r"\bcaution\b|\blowest dose\b|\bstarting dose\b|\bdose (?:reduction|adjustment)\b|\b(?:decrease|reduction) "
        r"in (?:\w+ )?dos(?:e|age)\b|\breduce the dose\b|\bnot to exceed\b|\bmonitor\w*\b|\bpotentiat\w+\b|"
        r"\badditive\b|\bincrease[sd]? (?:the )?(?:systemic |serum |plasma )?(?:exposure|concentrations?|levels?)\b",
        re.IGNORECASE)),
)


def _sentence_severity(sentence: str) -> InteractionSeverity | None:
    if _NEGATED.search(sentence):
        return None
    for severity, cue in _SEVERITY_CUES:
        if cue.search(sentence):
            return severity
    return None


@dataclass(frozen=True)
class _Names:
    """The words a label may name a drug by: its generic, brands, and the terms of its classes."""

    generic: str
    words: tuple[str, ...]
    class_words: dict[str, str]  # term -> class id
    pattern: re.Pattern[str] | None


def _names(generic: str, brands: Iterable[str], exclude_classes: frozenset[str]) -> _Names:
    words = {generic, *(b for b in brands if len(b) >= 4)}
    class_words: dict[str, str] = {}
    for drug_class in sorted(classes_of(generic) - exclude_classes):
        for term in class_terms(drug_class):
            class_words.setdefault(term, drug_class)
    terms = sorted(words | set(class_words))
    pattern = re.compile(rf"(?<![\w-])(?:{alternation(terms)})(?![\w-])", re.IGNORECASE) if terms else None
    return _Names(generic, tuple(sorted(words)), class_words, pattern)


def _label_sources(label_of: str, passages: Sequence[LabelPassage], other: _Names) -> list[InteractionSource]:
    """The most severe sentence of each label (of ``label_of``) that names ``other`` and states an interaction."""
    best: dict[str, InteractionSource] = {}
    for passage in passages:
        if other.pattern is None:
            break
        for start, end in sentence_spans(passage.text):
            sentence = passage.text[start:end]
            match = other.pattern.search(sentence)
            if match is None:
                continue
            severity = _sentence_severity(sentence)
            if severity is None:
                continue
            named = match.group(0)
            drug_class = other.class_words.get(" ".join(named.lower().split()))
            named_as = f"{named}, which include {other.generic}" if drug_class else named
            found = InteractionSource(
                InteractionSourceKind.LABEL_IN_INDEX, severity, f"{passage.title} \u2014 {passage.section}",
                passage.passage_id, passage.doc_id, passage.title, passage.year, start, end, sentence, named_as, label_of)
            held = best.get(passage.doc_id)
            if held is None or _SEVERITY_RANK[severity] < _SEVERITY_RANK[held.severity]:
                best[passage.doc_id] = found
    return list(best.values())


# --- the check ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InteractionFinding:
    """An interaction between two of the patient's drugs: its severity (the most severe of its sources), the
    effect and management (from the curated table; None when only a label states it: its sentence is the
    source) and every source that states it."""

    drugs: tuple[str, str]
    roles: tuple[DrugRole, DrugRole]
    severity: InteractionSeverity
    effect: str | None
    management: str | None
    sources: tuple[InteractionSource, ...]

    @property
    def serious(self) -> bool:
        return self.severity in SERIOUS_SEVERITIES

    def involves(self, generic: str) -> bool:
        return generic in self.drugs

    def other(self, generic: str) -> str:
        return self.drugs[1] if self.drugs[0] == generic else self.drugs[0]

    def pair_text(self) -> str:
        return f"{self.drugs[0]} with {self.drugs[1]}"


@dataclass
class InteractionCheck:
    """What was checked and found: the patient's drugs with their roles, the pairs, the findings (most severe
    first), and how far the check reaches (which of the drugs it knows, and how)."""

    drugs: dict[str, DrugRole]
    pairs: list[tuple[str, str]]
    findings: list[InteractionFinding] = field(default_factory=list)
    label_drugs: list[str] = field(default_factory=list)  # drugs whose label in the index has an interaction section
    table_drugs: list[str] = field(default_factory=list)  # drugs of this patient the curated table knows
    not_checked: list[str] = field(default_factory=list)  # drugs neither source knows
    not_included: list[str] = field(default_factory=list)  # prior therapies, left out of the check

    @property
    def serious(self) -> list[InteractionFinding]:
        return [f for f in self.findings if f.serious]

    def serious_for(self, generic: str) -> list[InteractionFinding]:
        return [f for f in self.findings if f.serious and f.involves(generic)]

    def scope_statement(self) -> str:
        """How far the check reaches, in plain words: what it read, which drugs it knows, which it could not check."""
        if not self.pairs:
            return "No interaction check: fewer than two drugs were named."
        classes = [class_label(c) for c in table_classes()]
        parts = [
            f"Interactions checked for {len(self.pairs)} pair{'s' if len(self.pairs) != 1 else ''} of "
            f"{_and(list(self.drugs))}, against Curbside's curated table of major interactions and the Drug "
            "Interactions and Contraindications sections of the drug labels in the knowledge base.",
            f"The table knows {len(table_generics())} drugs, by name or by class ({_and(classes)}); of these drugs it "
            f"knows {_and(self.table_drugs) if self.table_drugs else 'none'}.",
            f"Labels in the knowledge base were read for {_and(self.label_drugs)}." if self.label_drugs
            else "None of these drugs has a label in the knowledge base with an interaction section.",
        ]
        if self.not_checked:
            one = len(self.not_checked) == 1
            parts.append(f"Not in the table and without a label in the knowledge base, so not checked: "
                         f"{_and(self.not_checked)}; an interaction with {'it' if one else 'them'} is not excluded.")
        if self.not_included:
            parts.append(f"Prior therapies were not included: {_and(self.not_included)}.")
        if not self.findings:
            parts.append("No interaction between these drugs was found in the table or the labels read; "
                         "not found is not evidence that none exists.")
        return " ".join(parts)


def _and(words: Sequence[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _combined(generics: Sequence[str]) -> list[str]:
    """The drugs with the components of a combination the table names, written apart ("trimethoprim",
    "sulfamethoxazole"), taken together as that combination."""
    present = list(dict.fromkeys(generics))
    for combination, parts in _combinations().items():
        if parts <= set(present) and combination not in present:
            first = min(present.index(p) for p in parts)
            present = [g for g in present if g not in parts]
            present.insert(min(first, len(present)), combination)
    return present


_ALTERNATIVE_JOINER = re.compile(r"\b(?:or|vs|versus|compared (?:with|to)|instead of|rather than|than|over)\b|/",
                                 re.IGNORECASE)
_SWITCH = re.compile(r"\b(?:switch|chang|convert)\w*\b[^.?!]*\bfrom\b", re.IGNORECASE)


def alternative_pairs(text: str, written: dict[str, str]) -> set[frozenset[str]]:
    """Pairs of drugs the question offers as alternatives, not together: "warfarin or apixaban", "aspirin
    versus clopidogrel", "switch from warfarin to apixaban" (``written``: generic -> its words in ``text``)."""
    lowered = text.lower()
    at = {g: lowered.find(w.lower()) for g, w in written.items() if w and lowered.find(w.lower()) >= 0}
    pairs: set[frozenset[str]] = set()
    for a, i in at.items():
        for b, j in at.items():
            if i >= j:
                continue
            between = text[i + len(written[a]):j]
            if len(between) > 60:
                continue
            if _ALTERNATIVE_JOINER.search(between) or (re.search(r"\bto\b", between) and _SWITCH.search(text[:i + 1] + " ")):
                pairs.add(frozenset((a, b)))
    return pairs


def check_interactions(regimen_generics: Sequence[str], proposed_generics: Sequence[str] = (),
                       label_store: LabelSource | None = None, *, options: Sequence[str] = (),
                       prior: Sequence[str] = (), alternatives: Iterable[frozenset[str]] = ()) -> InteractionCheck:
    """Check every pair of the regimen and the proposed drugs, and every option against them, against the
    labels in the index (``label_store``: anything :func:`~curbside.evidence.dosing.labels.label_section_passages`
    reads; None reads none) and the curated table. ``prior``: therapies stopped, left out and named in the scope;
    ``alternatives``: pairs of proposed drugs the question offers one instead of the other (never taken together)."""
    drugs: dict[str, DrugRole] = {}
    for role, generics in ((DrugRole.REGIMEN, regimen_generics), (DrugRole.PROPOSED, proposed_generics),
                           (DrugRole.OPTION, options)):
        for generic in _combined([normalise_generic(g) for g in generics if g and g.strip()]):
            drugs.setdefault(generic, role)
    planned = [g for g, role in drugs.items() if role != DrugRole.OPTION]
    instead = {frozenset(normalise_generic(g) for g in pair) for pair in alternatives}
    pairs = [(a, b) for i, a in enumerate(planned) for b in planned[i + 1:]
             if not (drugs[a] == drugs[b] == DrugRole.PROPOSED and frozenset((a, b)) in instead)]
    pairs += [(a, g) for g, role in drugs.items() if role == DrugRole.OPTION for a in planned]

    in_pairs = list(dict.fromkeys(d for pair in pairs for d in pair))
    passages = {g: _interaction_passages(label_store, g) for g in in_pairs}
    brands = {g: _brands(label_store, g) for g in in_pairs}
    known_to_table = set(table_generics())
    check = InteractionCheck(
        drugs=drugs, pairs=pairs,
        label_drugs=[g for g in in_pairs if passages[g]],
        table_drugs=[g for g in in_pairs if g in known_to_table],
        not_checked=[g for g in in_pairs if not passages[g] and g not in known_to_table],
        not_included=[normalise_generic(g) for g in prior if normalise_generic(g) not in drugs],
    )
    for a, b in pairs:
        sources: list[InteractionSource] = []
        for label_of, other in ((a, b), (b, a)):
            if passages[label_of]:
                names = _names(other, brands[other], exclude_classes=classes_of(label_of))
                sources += _label_sources(label_of, passages[label_of], names)
        row = _table_row(a, b)
        if row is not None:
            sources.append(InteractionSource(InteractionSourceKind.CURATED_TABLE, row.severity, row.source))
        if not sources:
            continue
        sources.sort(key=lambda s: (_SEVERITY_RANK[s.severity], s.kind != InteractionSourceKind.LABEL_IN_INDEX))
        check.findings.append(InteractionFinding(
            drugs=(a, b), roles=(drugs[a], drugs[b]), severity=sources[0].severity,
            effect=row.effect if row else None, management=row.management if row else None, sources=tuple(sources)))
    check.findings.sort(key=lambda f: _SEVERITY_RANK[f.severity])
    return check


def _interaction_passages(store: LabelSource | None, generic: str) -> list[LabelPassage]:
    if store is None:
        return []
    if isinstance(store, (list, tuple)):
        # Passages already fetched: only those of labels whose title names the drug are its label's.
        name = re.compile(rf"(?<![\w-]){re.escape(generic)}(?![\w-])", re.IGNORECASE)
        store = [p for p in store if name.search(p.title)]
    found: list[LabelPassage] = []
    for section in INTERACTION_SECTIONS:
        found += label_section_passages(store, generic, section)
    return found


def _brands(store: LabelSource | None, generic: str) -> list[str]:
    brands_of = getattr(store, "brands_of", None)
    return list(brands_of(generic)) if callable(brands_of) else []

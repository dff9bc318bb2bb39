"""Dose references read from the drug labels in the index: their "Dosage and Administration" passages,
fetched through the retrieval store's API, and the doses those passages state plainly."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from curbside.corpus.documents import Document, Passage
from curbside.evidence.dosing.references import ReferenceDose, normalise_generic, normalise_indication
from curbside.retrieval.store import MetadataStore

__all__ = ["DOSAGE_SECTION", "LabelPassage", "LabelSource", "LabelStore", "doses_from_label", "label_dose_passages",
           "label_section_passages"]


@dataclass(frozen=True)
class LabelPassage:
    """A "Dosage and Administration" passage of an indexed drug label, citable by ``passage_id``."""

    passage_id: str
    doc_id: str
    title: str
    section: str
    text: str
    year: int | None = None


class LabelStore(Protocol):
    """What dose checks need of the index: :meth:`MetadataStore.label_passages`."""

    def label_passages(self, generic: str, section: str) -> list[tuple[Document, Passage]]: ...


# A LabelStore (a MetadataStore), the path of metadata.sqlite, Callable[[str], Iterable[LabelPassage]],
# or a list of passages already fetched.
LabelSource = LabelStore | Path | str | Callable[[str], Iterable[LabelPassage]] | Sequence[LabelPassage]

DOSAGE_SECTION = "Dosage and Administration"


def label_dose_passages(store: LabelSource, generic: str) -> list[LabelPassage]:
    """"Dosage and Administration" passages of indexed labels whose title names the generic or a
    brand that maps to it. ``store`` is a ``MetadataStore`` (or anything with its ``label_passages``),
    the path of ``metadata.sqlite``, a callable ``generic -> passages`` or the passages themselves."""
    return label_section_passages(store, generic, DOSAGE_SECTION)


def label_section_passages(store: LabelSource, generic: str, section: str) -> list[LabelPassage]:
    """Passages of one section (and its subsections) of the indexed labels of the generic, from any
    :data:`LabelSource` (see :func:`label_dose_passages`)."""
    key = normalise_generic(generic)
    if isinstance(store, (list, tuple)):  # passages already fetched by the caller
        return [p for p in store if _in_section(p.section, section)]
    if isinstance(store, (str, Path)):
        path = Path(store)
        if not path.is_file():
            return []
        opened = MetadataStore(path, readonly=True)
        try:
            return label_section_passages(opened, key, section)
        finally:
            opened.close()
    if hasattr(store, "label_passages"):
        return [
            LabelPassage(passage.passage_id, doc.doc_id, doc.title, passage.section, passage.text, doc.year)
            for doc, passage in store.label_passages(key, section)
        ]
    if callable(store):
        return [p for p in store(key) if _in_section(p.section, section)]
    raise TypeError(f"not a label source: {type(store).__name__}")


def _in_section(name: str, section: str) -> bool:
    return name == section or name.startswith(f"{section} >")


# Subsections about adjustments give doses for particular patients, not the reference regimen.
_ADJUSTMENT_SECTION = re.compile(r"adjust|interaction|special population|renal|hepatic|pediatric|elderly|geriatric", re.IGNORECASE)
_NUM = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_UNIT = r"(mg|g|mcg|micrograms?|milligrams?|grams?)(?:\s*(?:/|per)\s*(kg|m2|m²|m\^2))?"
_LABEL_MAX = re.compile(rf"maximum (?:recommended )?(?:daily |single )?(?:dose|dosage) (?:is|of) {_NUM}\s*{_UNIT}", re.IGNORECASE)
_LABEL_RANGE = re.compile(
    rf"recommended (?:starting |initial |adult )?(?:daily )?(?:dose|dosage) (?:is|of) {_NUM}\s*(?:mg|g|mcg)?\s*(?:to|-|–)\s*{_NUM}\s*{_UNIT}",
    re.IGNORECASE,
)
_LABEL_SINGLE = re.compile(rf"recommended (?:starting |initial |adult )?(?:daily )?(?:dose|dosage) (?:is|of) {_NUM}\s*{_UNIT}", re.IGNORECASE)
_LABEL_LOWER = re.compile(rf"(?:decreased|reduced) to {_NUM}\s*{_UNIT}", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _label_unit(mass: str, per: str | None) -> str:
    mass = mass.lower()
    base = {"mcg": "microgram", "microgram": "microgram", "micrograms": "microgram", "milligram": "mg",
            "milligrams": "mg", "gram": "g", "grams": "g"}.get(mass, mass)
    if not per:
        return base
    return f"{base}/kg" if per.lower() == "kg" else f"{base}/m**2"


def doses_from_label(
    passages: Sequence[LabelPassage], indication: str | None = None, *, generic: str = ""
) -> list[ReferenceDose]:
    """References read from plainly worded label sentences, one per passage that states a dose.

    Only "recommended dose is/of X [to Y]", "maximum recommended dose of Y" and "decreased to Z" are
    read; anything else is left to the curated table, because a misread label dose is worse than none.
    With an ``indication``, only passages whose section or text names it are read.
    """
    out: list[ReferenceDose] = []
    for passage in passages:
        if _ADJUSTMENT_SECTION.search(passage.section):
            continue
        if indication and not _mentions(passage, indication):
            continue
        lows: list[float] = []
        highs: list[float] = []
        ceiling: float | None = None
        unit: str | None = None
        per_day = False
        quoted: list[str] = []
        for sentence in _SENTENCE.split(passage.text):
            found: list[tuple[str, float, float, str]] = []
            for match in _LABEL_RANGE.finditer(sentence):
                found.append(("range", _num(match.group(1)), _num(match.group(2)), _label_unit(match.group(3), match.group(4))))
            sentence_rest = _LABEL_RANGE.sub(" ", sentence)
            for match in _LABEL_MAX.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("max", value, value, _label_unit(match.group(2), match.group(3))))
            sentence_rest = _LABEL_MAX.sub(" ", sentence_rest)
            for match in _LABEL_SINGLE.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("single", value, value, _label_unit(match.group(2), match.group(3))))
            for match in _LABEL_LOWER.finditer(sentence_rest):
                value = _num(match.group(1))
                found.append(("lower", value, value, _label_unit(match.group(2), match.group(3))))
            if found:
                quoted.append(" ".join(sentence.split()))
            for kind, low, high, found_unit in found:
                unit = unit or found_unit
                if found_unit != unit:
                    continue  # a second unit in one passage: keep only the first, do not mix
                if re.search(r"\b(?:daily|per day|a day|once a day)\b", sentence, re.IGNORECASE) and kind != "lower":
                    per_day = True
                if kind == "max":
                    ceiling = high if ceiling is None else max(ceiling, high)
                else:
                    lows.append(low)
                    highs.append(high)
        if unit is None or (not lows and ceiling is None):
            continue
        dose_min = min(lows) if lows else None
        dose_max = ceiling if ceiling is not None else max(highs)
        out.append(
            ReferenceDose(
                generic=normalise_generic(generic) if generic else "", indication=indication or "as labelled",
                indication_terms=(), routes=(),
                dose_min=dose_min, dose_max=dose_max, unit=unit, basis="per day" if per_day else "per dose",
                cap=None, schedule=" ".join(quoted), source_kind="label",
                source=f"{passage.title} — {passage.section} (passage {passage.passage_id})",
                note="Read from the label text in the index.", passage_id=passage.passage_id,
            )
        )
    return out


def _mentions(passage: LabelPassage, indication: str) -> bool:
    text = f"{passage.section} {passage.text}".lower()
    words = [w for w in re.findall(r"[a-z0-9-]+", normalise_indication(indication)) if len(w) > 3]
    return bool(words) and all(w in text for w in words)


def _num(text: str) -> float:
    return float(text.replace(",", ""))



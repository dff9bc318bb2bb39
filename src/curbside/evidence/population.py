"""Does a source fit the question's patient? Direct, indirect (with the reason), or excluded.

A source's population (:class:`~curbside.corpus.population.SourcePopulation`, from :func:`population_of`) is set
against the population of the question (:func:`question_population`: the patient's age, sex and pregnancy, the
age group, setting and conditions the question names). The rules, one dimension at a time:

* **Age**: a source whose age band cannot include the patient is EXCLUDED (a children's guideline for a
  50-year-old, an adults' guideline for a 6-year-old, "adults aged 40 to 70" for an 80-year-old). Without the
  patient's age, an age group the question names ("in children") is compared the same way; with neither, the
  question is read as about an adult (the usual consult): a source for children or adolescents only (its band
  ends before 20) is then INDIRECT.
* **Sex**: a source for women only is EXCLUDED for a man, and the other way round.
* **Pregnancy**: a source written for pregnant or postpartum women is DIRECT when the question is about pregnancy,
  EXCLUDED for a man, a child or a patient said not to be pregnant, else INDIRECT; a source for nonpregnant people
  is EXCLUDED for a pregnant patient.
* **Setting**: a source written for a special setting (homeless care, workers' compensation, occupational health,
  nursing homes, intensive care, palliative care, prison) is INDIRECT unless the question names that setting.
  The VA/DoD health system is recorded, never a bar (``source_populations.tsv`` says which settings are which).
* **Condition scope**: a source written for patients with a condition is DIRECT only when the question names that
  condition, a kind of it, or a broader condition of which it is a kind (a type 2 diabetes guideline fits a
  diabetes question; a diabetes page fits a type 2 diabetes question) — by concept (``vocabulary/conditions.py``),
  never by a shared word: "pulmonary arterial hypertension" is not "hypertension". Else it is INDIRECT, with the
  kind ``condition`` when the question names other conditions and ``condition_unstated`` when it names none (a
  reader may weigh the second more lightly: "metformin at eGFR 35" does not say "diabetes"). A condition with no
  concept (a patient page's title) is shared only as the same whole phrase.

The verdict is the worst of the dimensions (EXCLUDED, then INDIRECT, then DIRECT); ``reasons`` gives one short
sentence per mismatch ("written for people experiencing homelessness with HIV infection").

Public API: :class:`FitVerdict`, :class:`PopulationFit`, :class:`QuestionPopulation`, :func:`question_population`,
:func:`source_fit`. (``evidence.selection.population_fit`` is a different thing: the fit of one guideline
sentence's stated ages to the patient.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from curbside.corpus.population import SourcePopulation, read_population_text, setting_is_indirect, setting_label, settings_in
from curbside.vocabulary.conditions import concepts_mentioned, lineage, match_condition, normalise_condition

__all__ = ["FitVerdict", "PopulationFit", "QuestionPopulation", "question_population", "source_fit"]

ADULT_AGE = 18
# Without an age, a question is read as about an adult: a source whose band ends below this (children,
# adolescents to 19) is then indirect.
_ADULT_BAND_MIN = 20
# Below this age a patient cannot be the pregnant woman a source is written for.
_PREGNANCY_MIN_AGE = 10


class FitVerdict(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class PopulationFit:
    """How a source's population stands to the question's: the verdict, one reason per mismatch, and the kinds
    of mismatch ("age", "age_unstated", "sex", "pregnancy", "setting", "condition", "condition_unstated")."""

    verdict: FitVerdict
    population: str = ""  # the source's population in words ("" when nothing restricts it)
    reasons: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def direct(self) -> bool:
        return self.verdict == FitVerdict.DIRECT

    def to_dict(self) -> dict[str, object]:
        return {"verdict": str(self.verdict), "population": self.population, "reasons": list(self.reasons),
                "kinds": list(self.kinds)}


@dataclass(frozen=True)
class QuestionPopulation:
    """Whom the question is about. ``age_band``: an age group the question names, when no age is given;
    ``condition_ids``: the concepts it names, each with every concept it is a kind of; ``condition_words``: the
    conditions as normalised words; ``text``: the question (with its context and expansions), normalised."""

    age: int | None = None
    age_band: tuple[int | None, int | None] | None = None
    sex: str | None = None
    pregnant: bool | None = None
    settings: tuple[str, ...] = ()
    condition_ids: frozenset[str] = frozenset()
    named_ids: tuple[str, ...] = ()  # the concepts as named, without their broader kinds
    condition_words: tuple[str, ...] = ()
    text: str = ""


class _Understood(Protocol):  # the parts of UnderstoodQuestion read here
    original: str
    context: str | None
    clinical_question: str
    patient: object
    expansions: tuple[object, ...]


def question_population(understood: _Understood) -> QuestionPopulation:
    """The population of an understood question (see the module docstring)."""
    patient = understood.patient
    expansions = " ".join(str(getattr(e, "expansion", "")) for e in understood.expansions)
    text = " ".join(t for t in (understood.context or "", understood.original, expansions) if t)
    reading = read_population_text(" ".join(t for t in (understood.context or "", understood.clinical_question) if t))
    pregnant = getattr(patient, "pregnant", None)
    if pregnant is None and reading.pregnancy:
        pregnant = True  # the question is about pregnancy ("Tdap in pregnancy"), whoever the patient is
    written = [*getattr(patient, "conditions", []), *getattr(patient, "history", [])]
    named = [c.id for c in concepts_mentioned(text)]
    named += [m.concept.id for m in map(match_condition, written) if m.concept is not None]
    named = list(dict.fromkeys(named))
    return QuestionPopulation(
        age=getattr(patient, "age", None),
        age_band=reading.age_band,
        sex=getattr(patient, "sex", None),
        pregnant=pregnant,
        settings=settings_in(text),
        condition_ids=frozenset(k for c in named for k in lineage(c)),
        named_ids=tuple(named),
        condition_words=tuple(dict.fromkeys(normalise_condition(w) for w in written if w.strip())),
        text=normalise_condition(text),
    )


def _band_words(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"aged {low} to {high}"
    return f"aged {low} or older" if low is not None else f"aged {high} or younger"


def _overlap(low: int | None, high: int | None, other: tuple[int | None, int | None]) -> bool:
    o_low, o_high = other
    return (high is None or o_low is None or high >= o_low) and (o_high is None or low is None or o_high >= low)


def _age(source: SourcePopulation, question: QuestionPopulation) -> tuple[FitVerdict, str, str] | None:
    if not source.age_band_known:
        return None
    low, high = source.age_min, source.age_max
    who = source.age_words()
    if question.age is not None:
        if (low is None or question.age >= low) and (high is None or question.age <= high):
            return None
        return FitVerdict.EXCLUDED, "age", f"written for {who}; the patient is {question.age}"
    if question.age_band is not None:
        # "an adult" against "children and adolescents aged 3 to 18": sharing the year 18 is not a fit.
        adults_only = question.age_band[0] is not None and question.age_band[0] >= ADULT_AGE
        if _overlap(low, high, question.age_band) and not (adults_only and high is not None and high < _ADULT_BAND_MIN):
            return None
        return FitVerdict.EXCLUDED, "age", f"written for {who}; the question is about people {_band_words(*question.age_band)}"
    if high is not None and high < _ADULT_BAND_MIN:
        return FitVerdict.INDIRECT, "age_unstated", f"written for {who}; the question does not give the patient's age"
    return None


def _sex(source: SourcePopulation, question: QuestionPopulation) -> tuple[FitVerdict, str, str] | None:
    if source.sex is None or question.sex is None or source.sex == question.sex or source.pregnancy:
        return None  # a source for pregnant women is judged by pregnancy alone
    return FitVerdict.EXCLUDED, "sex", f"written for {'women' if source.sex == 'female' else 'men'}; the patient is {question.sex}"


def _pregnancy(source: SourcePopulation, question: QuestionPopulation) -> tuple[FitVerdict, str, str] | None:
    if source.pregnancy is True:
        if question.pregnant:
            return None
        if question.sex == "male":
            return FitVerdict.EXCLUDED, "pregnancy", "written for pregnant women; the patient is male"
        if question.pregnant is False or (question.age is not None and question.age < _PREGNANCY_MIN_AGE):
            return FitVerdict.EXCLUDED, "pregnancy", "written for pregnant women; the patient is not pregnant"
        return FitVerdict.INDIRECT, "pregnancy", "written for pregnant women; the question does not say the patient is pregnant"
    if source.pregnancy is False and question.pregnant:
        return FitVerdict.EXCLUDED, "pregnancy", f"written for {source.describe() or 'nonpregnant people'}; the patient is pregnant"
    return None


def _settings(source: SourcePopulation, question: QuestionPopulation) -> Iterable[tuple[FitVerdict, str, str]]:
    for setting in source.settings:
        if setting_is_indirect(setting) and setting not in question.settings:
            yield FitVerdict.INDIRECT, "setting", f"written for people {setting_label(setting)}"


def _phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and re.search(rf"(?<![a-z0-9+]){re.escape(phrase)}(?![a-z0-9+])", text) is not None


def _condition(source: SourcePopulation, question: QuestionPopulation) -> tuple[FitVerdict, str, str] | None:
    if not source.conditions:
        return None
    for concept_id in source.condition_ids:
        # Shared: the same concept, a kind of the question's (type 2 diabetes for "diabetes"), or broader than it.
        if concept_id in question.condition_ids or any(q in lineage(concept_id) for q in question.named_ids):
            return None
    if not source.condition_ids:
        for words in map(normalise_condition, source.conditions):
            if words in question.condition_words or _phrase_in(words, question.text):
                return None
    scope = " and ".join(source.conditions)
    if question.named_ids or question.condition_words:
        return FitVerdict.INDIRECT, "condition", f"written for patients with {scope}, not the question's condition"
    return FitVerdict.INDIRECT, "condition_unstated", f"written for patients with {scope}; the question does not name it"


_ORDER = {FitVerdict.DIRECT: 0, FitVerdict.INDIRECT: 1, FitVerdict.EXCLUDED: 2}


def source_fit(source: SourcePopulation, question: _Understood | QuestionPopulation) -> PopulationFit:
    """How ``source`` fits the question's patient (an understood question, or its :func:`question_population`)."""
    asked = question if isinstance(question, QuestionPopulation) else question_population(question)
    found = [r for r in (_age(source, asked), _sex(source, asked), _pregnancy(source, asked)) if r is not None]
    found += list(_settings(source, asked))
    condition = _condition(source, asked)
    if condition is not None:
        found.append(condition)
    verdict = max((v for v, _, _ in found), key=_ORDER.__getitem__, default=FitVerdict.DIRECT)
    return PopulationFit(verdict, source.describe(), tuple(r for _, _, r in found), tuple(k for _, k, _ in found))

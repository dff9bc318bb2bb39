"""Whom a document is written for: its age band, sex, pregnancy, setting of care and condition scope.

:func:`population_of` reads a document's title, and for a guideline the population its loader kept (an NGC
summary's "Target Population" passage, the population after " -- " in each USPSTF recommendation's section),
deterministically, with the cue words of ``vocabulary/data/source_populations.tsv`` (one loader, :func:`cues`),
the age patterns of :mod:`curbside.vocabulary.ages` and the condition concepts of
:mod:`curbside.vocabulary.conditions`. It reads; :mod:`curbside.evidence.population` judges the fit to a question.

How a population text is read
-----------------------------
* A text is cut into parts at commas, semicolons, "and", "or" and "including"; a part says something about age or
  sex only when it names people (an age group such as "children", a sex word, or a person word such as "patients").
* **Age band**: the union over the parts. A part's numbers ("aged 40 to 70 years", "65 years or older") take
  precedence over its group words; a one-sided number keeps the group's other bound ("adults 64 years or younger"
  is 18-64); a bare group before a numbered one shares its numbers ("children and adolescents aged 10 to 18").
* **Sex**: female or male only when every part that names people names that sex ("women", "pregnant persons").
* **Pregnancy**: True when every part that names people is about pregnant or postpartum women (or the only people
  are pregnant ones, "iron supplementation in pregnancy"), False when the text says "nonpregnant", None when it
  says both ("adults, including pregnant women") or neither. Pregnancy as a subject ("unintended pregnancy",
  "pregnancy rates") is no population.
* **Settings**: every setting cue not negated within four words before it ("non-institutionalized", "outside of
  palliative care").
* **Condition scope** (title only): the conditions after "with", "living with", "who have" ...; else, when the
  title names no screening or prevention ("Screening for colorectal cancer" is for people without it), every
  condition it names. A MedQuAD disease page (GARD, GHR, NINDS, NHLBI, NIDDK, CancerGov) is about its title's
  condition even when no concept is known for it. Conditions are condition concepts where the table knows them
  (``condition_ids``), always with the words as written (``conditions``).
* Title and metadata: the metadata's reading wins for age band, sex and pregnancy where it says something (it is
  the fuller statement); settings are the union of both. Only a text's first sentence before "Note" is read: the
  notes say whom a guideline does *not* apply to.

Public API: :class:`SourcePopulation` (``describe()``, ``to_dict()``), :func:`population_of`,
:func:`population_texts`, :func:`read_population_text`, :func:`settings_in`, :func:`setting_label`,
:func:`setting_is_indirect`, :func:`age_band_in`, :func:`cues`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from curbside.corpus.documents import Document, Passage
from curbside.vocabulary.ages import AGE_AT_LEAST, AGE_MAX, AGE_MIN, AGE_RANGE
from curbside.vocabulary.conditions import ConditionConcept, concepts, concepts_mentioned, normalise_condition
from curbside.vocabulary.tables import alternation, read_table

__all__ = [
    "SourcePopulation", "age_band_in", "cues", "population_of", "population_texts", "read_population_text",
    "setting_is_indirect", "setting_label", "settings_in",
]

TARGET_POPULATION_SECTION = "Target Population"  # the NGC loader's passage of the summary's target population
USPSTF_POPULATION_MARK = " -- "  # "Colorectal Cancer: Screening -- Adults aged 50 to 75 years"
INDIRECT, RECORDED = "indirect", "recorded"
NO_SETTING = "-"  # a phrase that holds a cue word but names no setting ("occupational therapy")


# --- the cue words ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cues:
    age_groups: dict[str, tuple[int | None, int | None, str]]  # phrase -> (low, high, noun)
    sexes: dict[str, str]
    pregnancy: dict[str, str]  # phrase -> pregnant | nonpregnant | topic
    settings: dict[str, str]  # cue -> setting id
    setting_info: dict[str, tuple[str, str]]  # setting id -> (indirect | recorded, description words)
    words: dict[str, frozenset[str]]  # negation, person, target, scope_lead, condition_page
    patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)


def _band(value: str) -> tuple[int | None, int | None]:
    low, _, high = value.partition("-")
    return (int(low) if low else None, int(high) if high else None)


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9+])(?:{alternation(normalise_condition(p) for p in phrases)})(?![a-z0-9+])")


@lru_cache(maxsize=1)
def cues() -> _Cues:
    """The cue words of ``source_populations.tsv``, read once (see the file's header for each kind)."""
    age_groups: dict[str, tuple[int | None, int | None, str]] = {}
    sexes: dict[str, str] = {}
    pregnancy: dict[str, str] = {}
    settings: dict[str, str] = {}
    setting_info: dict[str, tuple[str, str]] = {}
    words: dict[str, set[str]] = {}
    for row in read_table("source_populations.tsv"):
        kind, phrase, value, label = row["kind"], normalise_condition(row["phrase"]), row["value"], row["label"]
        if kind == "age_group":
            age_groups[phrase] = (*_band(value), label)
        elif kind == "sex":
            sexes[phrase] = value
        elif kind == "pregnancy":
            pregnancy[phrase] = value
        elif kind == "setting":
            settings[phrase] = value
        elif kind == "setting_id":
            if value not in (INDIRECT, RECORDED):
                raise ValueError(f"source_populations.tsv: setting {phrase!r} must be {INDIRECT} or {RECORDED}")
            setting_info[row["phrase"]] = (value, label)
        elif kind == "condition_page":
            words.setdefault(kind, set()).add(row["phrase"])
        else:
            words.setdefault(kind, set()).add(phrase)
    unknown = set(settings.values()) - set(setting_info) - {NO_SETTING}
    if unknown:
        raise ValueError(f"source_populations.tsv: settings without a setting_id row: {sorted(unknown)}")
    frozen = {kind: frozenset(items) for kind, items in words.items()}
    patterns = {
        "age_group": _phrase_pattern(age_groups), "sex": _phrase_pattern(sexes),
        "pregnancy": _phrase_pattern(pregnancy), "setting": _phrase_pattern(settings),
        "person": _phrase_pattern(frozen["person"]), "target": _phrase_pattern(frozen["target"]),
        "scope_lead": _phrase_pattern(frozen["scope_lead"]), "negation": _phrase_pattern(frozen["negation"]),
    }
    return _Cues(age_groups, sexes, pregnancy, settings, setting_info, frozen, patterns)


def setting_label(setting: str) -> str:
    """The words a description uses for a setting id ("experiencing homelessness")."""
    return cues().setting_info.get(setting, (RECORDED, setting.replace("_", " ")))[1]


def setting_is_indirect(setting: str) -> bool:
    """Whether a source written for this setting answers a question about others only indirectly (homeless care,
    workers' compensation: yes; the VA/DoD health system: no, it is recorded only)."""
    return cues().setting_info.get(setting, (RECORDED, ""))[0] == INDIRECT


# --- reading one text ---------------------------------------------------------------------------------------
_PART_BREAK = re.compile(r"[,;:\[\]]|\s(?:and|or|as well as|plus)\s(?!older|younger|over\b|under\b)", re.IGNORECASE)
_INCLUDING = re.compile(r"\b(?:including|includes|especially)\b", re.IGNORECASE)
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_NOTE = re.compile(r"\bNote\s*:|(?<=[.!?])\s+(?=[A-Z])")
_NEGATION_WINDOW = 4  # words before a cue in which a negation word cancels it
_ANY_AGE: tuple[int | None, int | None] = (None, None)


def _negated(normal: str, start: int) -> bool:
    before = " ".join(normal[:start].split()[-_NEGATION_WINDOW:])
    return bool(cues().patterns["negation"].search(before))


def _found(kind: str, normal: str) -> list[str]:
    """The phrases of one kind in a normalised text, not negated, in order."""
    return [m.group(0) for m in cues().patterns[kind].finditer(normal) if not _negated(normal, m.start())]


def settings_in(text: str) -> tuple[str, ...]:
    """The setting ids a text names, in order, once each ("homeless", "workers_compensation", "military" ...)."""
    table = cues().settings
    found = (table[p] for p in _found("setting", normalise_condition(text)))
    return tuple(dict.fromkeys(s for s in found if s != NO_SETTING))


def _number_band(text: str) -> tuple[int | None, int | None] | None:
    """The age band a part's numbers state (both bounds inclusive), or None when it states none."""
    bands: list[tuple[int | None, int | None]] = [(int(a), int(b)) for a, b in AGE_RANGE.findall(text)]
    bands += [(int(a or b), None) for a, b in AGE_MIN.findall(text)]
    bands += [(int(a), None) for a in AGE_AT_LEAST.findall(text)]
    bands += [(None, int(a) - 1 if a else int(b)) for a, b in AGE_MAX.findall(text)]
    return _union(bands) if bands else None


def _union(bands: Sequence[tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    lows = [b[0] for b in bands]
    highs = [b[1] for b in bands]
    low = None if any(x is None for x in lows) else min(x for x in lows if x is not None)
    high = None if any(x is None for x in highs) else max(x for x in highs if x is not None)
    return (low or None, high)


def _bounded(numbers: tuple[int | None, int | None], group: tuple[int | None, int | None] | None,
             ) -> tuple[int | None, int | None]:
    if group is None:
        return numbers
    return (numbers[0] if numbers[0] is not None else group[0], numbers[1] if numbers[1] is not None else group[1])


def age_band_in(text: str) -> tuple[int | None, int | None] | None:
    """The age band (low, high; inclusive years, None unbounded) a population text states, or None."""
    return read_population_text(text).age_band


@dataclass(frozen=True)
class _Reading:
    age_band: tuple[int | None, int | None] | None = None
    age_nouns: tuple[str, ...] = ()
    sex: str | None = None
    pregnancy: bool | None = None
    settings: tuple[str, ...] = ()
    names_people: bool = False


def _parts(text: str) -> list[tuple[str, str]]:
    """(part, role): role "main", "aside" (inside parentheses: it refines what precedes, "adults (aged 18 years or
    older)") or "including" (a subset of what precedes: says nothing about the age band)."""
    parts: list[tuple[str, str]] = []
    for chunk_number, chunk in enumerate(_INCLUDING.split(text)):
        inner = _PARENTHESES.findall(chunk)
        role = "including" if chunk_number else "main"
        parts.extend((p, role) for p in _PART_BREAK.split(_PARENTHESES.sub(",", chunk)) if p and p.strip())
        for aside in inner:
            aside_parts = _INCLUDING.split(aside)
            parts.extend((p, role if role == "including" or i else "aside")
                         for i, piece in enumerate(aside_parts) for p in _PART_BREAK.split(piece) if p and p.strip())
    return parts


def read_population_text(text: str) -> _Reading:
    """What one population text (a title, a target population, a recommendation's population) says."""
    text = _NOTE.split(text.strip(), maxsplit=1)[0] if text else ""
    table = cues()
    bands: list[tuple[int | None, int | None]] = []
    nouns: list[str] = []
    sexes: set[str] = set()
    pregnant_parts = people_parts = 0
    nonpregnant = pregnant_any = False
    pending: list[tuple[int | None, int | None]] = []  # bare groups waiting for the next part's numbers
    for part, role in _parts(text):
        normal = normalise_condition(part)
        groups = _found("age_group", normal)
        sex_words = _found("sex", normal)
        persons = _found("person", normal)
        states = {table.pregnancy[p] for p in _found("pregnancy", normal)}
        pregnant = "pregnant" in states
        nonpregnant |= "nonpregnant" in states
        pregnant_any |= pregnant
        numbers = _number_band(part)
        group_band = _union([table.age_groups[g][:2] for g in groups]) if groups else None
        nouns.extend(table.age_groups[g][2] for g in groups)
        if role == "including":
            pass
        elif numbers is not None:
            # A one-sided number keeps the group's other bound: "adults 64 years or younger" is 18-64.
            bands.extend(_bounded(numbers, b) for b in (group_band, *pending))
            pending = []
        elif group_band is not None:
            if len(normal.split()) <= 3 and role == "main":
                pending.append(group_band)
            else:
                bands.extend(pending)
                pending = []
                bands.append(group_band)
        elif role == "main" and (persons and not sex_words or pregnant):
            # People of no stated age ("persons at high risk", "pregnant women"): no bound from this part.
            bands.append(_ANY_AGE)
        if groups or sex_words or persons or pregnant:
            people_parts += 1
            pregnant_parts += pregnant
            part_sexes = {table.sexes[w] for w in sex_words} | ({"female"} if pregnant else set())
            sexes |= part_sexes if len(part_sexes) == 1 else {"any"}
    bands.extend(pending)
    pregnancy: bool | None = None
    if nonpregnant and not pregnant_any:
        pregnancy = False
    elif pregnant_any and not nonpregnant and pregnant_parts == people_parts:
        pregnancy = True
    sex = next(iter(sexes)) if len(sexes) == 1 and "any" not in sexes else None
    return _Reading(
        age_band=_union(bands) if bands else None, age_nouns=tuple(dict.fromkeys(nouns)), sex=sex,
        pregnancy=pregnancy, settings=settings_in(text), names_people=people_parts > 0,
    )


# --- the source population ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourcePopulation:
    """Whom a document is written for. Every field None or empty: nothing is known to restrict it.

    ``age_min``/``age_max``: inclusive years (None: unbounded); ``age_groups``: the group nouns as read
    ("children", "adolescents"); ``sex``: "female" | "male" | None; ``pregnancy``: True written for pregnant or
    postpartum women, False for people who are not pregnant, None not said (or both); ``settings``: setting ids
    ("homeless", "workers_compensation", "military", "nursing_home", "critical_care" ...); ``conditions``: the
    condition scope as written; ``condition_ids``: their concepts (MeSH descriptor UIs or ``curbside:`` ids),
    where known.
    """

    age_min: int | None = None
    age_max: int | None = None
    age_groups: tuple[str, ...] = ()
    sex: str | None = None
    pregnancy: bool | None = None
    settings: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    condition_ids: tuple[str, ...] = ()

    @property
    def age_band_known(self) -> bool:
        return self.age_min is not None or self.age_max is not None

    @property
    def is_general(self) -> bool:
        """Nothing restricts the population (no age band, sex, pregnancy, setting or condition)."""
        return self == SourcePopulation()

    def age_words(self) -> str:
        """ "children", "adults aged 40 to 70 years", "older adults 65 years or older"; "" without an age band."""
        if not self.age_band_known:
            return ""
        low, high = self.age_min, self.age_max
        # The group nouns read that overlap the band ("adolescents and adults" for 12 and older).
        named = [g for g in self.age_groups if _overlaps(_noun_band(g), (low, high))]
        noun = _join(named) if named else _age_noun(low, high)
        if named and _union([_noun_band(g) for g in named]) == (low, high):
            return noun
        if low is not None and high is not None:
            return f"{noun} aged {low} to {high} years"
        if low is not None:
            return f"{noun} {low} years or older"
        return f"{noun} {high} years or younger"

    def describe(self) -> str:
        """Short words for whom the source is written: "people experiencing homelessness with HIV infection",
        "children", "patients with pulmonary arterial hypertension", "pregnant women"; "" when general."""
        noun = self.age_words()
        sexed = {"female": "women", "male": "men"}.get(self.sex or "")
        if self.pregnancy:
            noun = "pregnant women"
        elif sexed and (not noun or noun.startswith(("adults", "people"))):
            noun = sexed + noun[len(noun.split(" ")[0]):] if noun else sexed
        if self.pregnancy is False:
            noun = f"nonpregnant {noun or 'people'}"
        settings = [setting_label(s) for s in self.settings]
        if not noun and (settings or self.conditions):
            noun = "patients" if self.conditions and not settings else "people"
        words = " ".join([noun, *[" and ".join(settings)] * bool(settings)]).strip()
        if self.conditions:
            words = f"{words} with {_join(self.conditions)}"
        return words

    def to_dict(self) -> dict[str, object]:
        return {
            "age_min": self.age_min, "age_max": self.age_max, "age_groups": list(self.age_groups), "sex": self.sex,
            "pregnancy": self.pregnancy, "settings": list(self.settings), "conditions": list(self.conditions),
            "condition_ids": list(self.condition_ids), "describe": self.describe(),
        }


@lru_cache(maxsize=None)
def _noun_band(noun: str) -> tuple[int | None, int | None]:
    """The widest band of the age-group rows with this noun ("children": 0-17)."""
    bands = [(low, high) for low, high, label in cues().age_groups.values() if label == noun]
    return _union(bands) if bands else (None, None)


def _overlaps(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool:
    return (a[1] is None or b[0] is None or a[1] >= b[0]) and (b[1] is None or a[0] is None or b[1] >= a[0])


def _age_noun(low: int | None, high: int | None) -> str:
    if high is not None and high < 18:
        return "children" if (low or 0) < 10 else "adolescents"
    if high is not None and high <= 20:
        return "children and adolescents" if (low or 0) < 10 else "adolescents"
    if low is not None and 10 <= low < 18:
        return "adolescents and adults"
    return "people" if (low or 0) < 10 else "adults"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def population_texts(document: Document, passages: Sequence[Passage] | None = None) -> list[str]:
    """The population texts a loader kept for a document: an NGC summary's target population, the population of
    each USPSTF recommendation (``passages``: the document's, else ``document.passages``)."""
    out: list[str] = []
    for passage in passages if passages is not None else document.passages:
        if passage.section == TARGET_POPULATION_SECTION and passage.ordinal >= 0:
            if not out or not any(t.startswith(passage.text[:40]) for t in out):
                out.append(passage.text)
        elif document.source == "uspstf" and USPSTF_POPULATION_MARK in passage.section:
            population = passage.section.split(USPSTF_POPULATION_MARK, 1)[1].strip()
            if population not in out:
                out.append(population)
    return out


def _condition_scope(document: Document) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(conditions as written, their concept ids) of the title: see the module docstring."""
    title = document.title
    table = cues()
    normal = normalise_condition(title)
    leads = list(table.patterns["scope_lead"].finditer(normal))
    scoped: list[ConditionConcept] = []
    if leads:
        scoped = concepts_mentioned(_after_lead(title, leads[0].group(0)))
    if not scoped and not table.patterns["target"].search(normal):
        scoped = concepts_mentioned(title)
    if scoped:
        return tuple(_condition_words(c) for c in scoped), tuple(c.id for c in scoped)
    if any(document.doc_id.startswith(prefix) for prefix in table.words.get("condition_page", ())):
        return (title.strip(),), ()
    return (), ()


def _after_lead(title: str, lead: str) -> str:
    """The title's text after the first scope lead ("... patients who are homeless with diabetes mellitus")."""
    match = re.search(r"\b" + r"\W+".join(map(re.escape, lead.split())) + r"\b", title, re.IGNORECASE)
    return title[match.end():] if match else title


def _condition_words(item: ConditionConcept) -> str:
    """A concept in a sentence: its first synonym, its abbreviations in capitals ("HIV infection")."""
    short = {syn for c in concepts() for syn in c.synonyms if " " not in syn and len(syn) <= 4}
    return " ".join(w.upper() if w in short else w for w in item.synonyms[0].split())


def population_of(document: Document, passages: Sequence[Passage] | None = None) -> SourcePopulation:
    """Whom ``document`` is written for, from its title and the population texts its loader kept (pass the
    document's ``passages`` when the document came from the metadata store without them). Drug labels: general
    (their populations are read by the label parts of the evidence layer)."""
    if document.source == "spl":
        return SourcePopulation()
    title = read_population_text(document.title)
    metadata = [read_population_text(t) for t in population_texts(document, passages)]
    told = [r for r in metadata if r.names_people or r.age_band is not None]
    age_band = _union([r.age_band for r in told if r.age_band is not None]) if any(
        r.age_band is not None for r in told) else title.age_band
    nouns = tuple(dict.fromkeys(n for r in (told or [title]) for n in r.age_nouns))
    sexes = {r.sex for r in told}
    sex = (sexes.pop() if len(sexes) == 1 else None) if told else title.sex
    pregnancies = {r.pregnancy for r in told}
    pregnancy = (pregnancies.pop() if len(pregnancies) == 1 else None) if told else title.pregnancy
    if pregnancy is None and title.pregnancy:
        pregnancy = True  # "iron supplementation in pregnant women": "pregnant women and adolescents" says no more
    settings = tuple(dict.fromkeys((*title.settings, *(s for r in metadata for s in r.settings))))
    conditions, condition_ids = _condition_scope(document)
    low, high = age_band if age_band is not None else (None, None)
    return SourcePopulation(
        age_min=low, age_max=high, age_groups=nouns, sex=sex, pregnancy=pregnancy, settings=settings,
        conditions=conditions, condition_ids=condition_ids,
    )

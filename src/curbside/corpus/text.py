"""Text utilities shared by every layer: sentence spans with character offsets, tokens, normalisation.

Sentence splitting is rule-based and fast (under 1 ms a passage). pysbd agrees on about 99% of
boundaries but costs about 7 ms a passage on these machines, too slow for the answer path,
which splits 40 passages per question.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Abbreviations after which a period does not end a sentence (lower-cased, without the period).
# Units (mg, ml, h) are left out: before a capital letter they nearly always end a sentence.
_ABBREVIATIONS = frozenset(
    """
    e.g i.e vs v al approx fig figs eq ref refs no nos vol pp ca cf resp dr mr mrs prof
    sr jr st mt inc ltd corp dept univ u.s u.k jan feb mar apr jun jul aug sep sept oct nov dec
    i.v i.m s.c p.o b.i.d t.i.d q.i.d q.d p.r.n
    """.split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s+)""")
# Line starts that always begin a new sentence: bullets, numbered items, markdown headings.
_LINE_START = re.compile(r"\n[ \t]*(?:[-*\u2022]\s+|\d{1,2}[.)]\s+|#{1,6}\s+)?")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_SPACES = re.compile(r"\s+")

STOPWORDS = frozenset(
    """
    a an and are as at be been being but by can could did do does for from had has have how i if in into
    is it its may me might my no not of on or our should so such than that the their them then there
    these they this those to was we were what when where which who whom why will with would you your
    about after again against all also am any because before between both during each few further
    he her here hers him his more most much must nor only other over own same she some until up very
    while yet s t just don now out off under once through above below
    """.split()
)


def _unify(text: str) -> str:
    """Unicode NFKC with dashes and quotes unified."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-")
    return text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')


def normalize(text: str) -> str:
    """Unicode NFKC, unified dashes and quotes, collapsed whitespace; for matching, never for quoting."""
    return _SPACES.sub(" ", _unify(text)).strip()


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (hyphenated words kept whole): the words of :func:`normalize`d text. Whitespace
    is not collapsed first because no token holds any (search tokenises every candidate passage)."""
    if text.isascii():  # NFKC and the dash/quote unification change no ASCII text: skip them
        return _TOKEN.findall(text.lower())
    return _TOKEN.findall(_unify(text).lower())


def passage_words(title: str, section: str, text: str) -> set[str]:
    """The words of a passage that count in the index's spelling vocabulary (each once): here, below the
    retrieval layer, so that a MEDLINE parse worker can count them where it parses."""
    return {term for term in tokenize(f"{title} {section} {text}") if term.isalpha()}


def content_tokens(text: str) -> list[str]:
    """Tokens without stopwords and one-letter words."""
    return [t for t in tokenize(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def _is_abbreviation(text: str, period_at: int) -> bool:
    # Look back a short window only: searching from the start made splitting quadratic in length.
    match = _WORD_BEFORE.search(text, max(0, period_at - 40), period_at)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    # Single capital letters ("J. Smith", "A. fumigatus") are initials.
    return len(word) == 1 and word.isalpha()


def _next_starts_sentence(text: str, pos: int) -> bool:
    """After the whitespace at ``pos``, does a new sentence plausibly start?"""
    i = pos
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    if i >= n:
        return False
    ch = text[i]
    # Lower-case continuation ("e.g. aspirin", "p. 5") is not a new sentence.
    return ch.isupper() or ch.isdigit() or ch in "\"'([\u201c-*\u2022#"


@lru_cache(maxsize=4096)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) offsets of the sentences in ``text``; ``text[start:end]`` is the sentence, stripped."""
    cuts: set[int] = set()
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        period = match.start()
        if text[period] == "." and _is_abbreviation(text, period):
            continue
        # Decimal numbers and dotted codes have no whitespace after the period, so never match here.
        if _next_starts_sentence(text, end):
            cuts.add(end)
    for match in _LINE_START.finditer(text):
        cuts.add(match.start())
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        s, e = start, cut
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        # Skip the bullet marker so the quoted sentence starts at its first word.
        bullet = re.match(r"(?:[-*\u2022]|\d{1,2}[.)]|#{1,6})\s+", text[s:e])
        if bullet and bullet.end() < e - s:
            s += bullet.end()
        if e > s:
            spans.append((s, e))
        start = cut
    return tuple(spans)


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def bracket_depths(text: str) -> list[int]:
    """How many round or square brackets are open at each character (an opening bracket counts itself)."""
    depths: list[int] = []
    depth = 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        depths.append(depth)
    return depths

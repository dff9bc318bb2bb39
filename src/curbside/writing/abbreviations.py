"""Abbreviations expanded in the order an audience view is read, and the "a"/"an" agreement a word
written in place of another needs.

The long forms come from the article's own definitions ("office blood pressure measurement (OBPM)"),
then the project's curated abbreviation table (``vocabulary/data/abbreviations.tsv``), whose ambiguous
entries are used only where the article's words name one sense's cues.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from curbside.understanding.expansions import long_form_before
from curbside.understanding.lexicon import abbreviation_rows
from curbside.writing.article import Article


_A_AN = re.compile(r"(?<![\w-])(a|an|A|An)\s+$")
_VOWEL_SOUND = re.compile(r"^(?:[aeioAEIO]|u(?!s|ni|se|ro)|[FHLMNRSX](?:[A-Z]|\b))")


def agree_article(before: str, word: str) -> str:
    """``before`` with a trailing "a"/"an" made to agree with ``word`` ("an adverse event" -> "a side effect")."""
    article = _A_AN.search(before, max(0, len(before) - 8))
    if article is None:
        return before
    wanted = "an" if _VOWEL_SOUND.match(word) else "a"
    found = article.group(1)
    if found.lower() == wanted:
        return before
    wanted = wanted.capitalize() if found[0].isupper() else wanted
    return before[: article.start(1)] + wanted + before[article.end(1) :]


@dataclass(frozen=True)
class _Sense:
    expansion: str
    cues: frozenset[str]


@lru_cache(maxsize=1)
def _abbreviation_table() -> dict[str, tuple[_Sense, ...]]:
    """The project's curated abbreviation table, with each sense's disambiguation cues."""
    table: dict[str, list[_Sense]] = {}
    for abbreviation, expansion, note in abbreviation_rows():
        cue_match = re.search(r"\bcues?:\s*(.+)$", note)
        cues = frozenset(w.strip().lower() for w in cue_match.group(1).split(",")) if cue_match else frozenset()
        table.setdefault(abbreviation, []).append(_Sense(expansion, cues))
    return {key: tuple(senses) for key, senses in table.items()}


_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ROMAN_CONTEXT = re.compile(r"(?:stage|grade|type|class|phase|level|part|section|table|figure)\s*$", re.IGNORECASE)
# "long form (ABBR)": the parenthesis that defines an abbreviation in running text.
_DEFINITION = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*\)")
_DEFINITION_ANY = re.compile(r"\s*[(\[]\s*([A-Za-z0-9][A-Za-z0-9-]{0,9}[A-Za-z0-9+]?)\s*[)\]]")


def _text_definitions(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviations the article defines itself, e.g. "office blood pressure measurement (OBPM)"."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _DEFINITION.finditer(text):
            short = match.group(1).rstrip("+")
            if not any(ch.isupper() for ch in short) or short.isdigit():
                continue
            long = long_form_before(short, text[: match.start()])
            if long:
                words = long.split()
                if words[0][:1].isupper() and words[0][1:].islower() and all(w.islower() for w in words[1:]):
                    long = long[0].lower() + long[1:]  # "Pulmonary hypertension (PH)" at a sentence start
                found.setdefault(short, long)
    return found


def _all_texts(article: Article) -> list[str]:
    return [article.title, article.bottom_line] + [b.text for s in article.sections for b in s.bullets]


@dataclass
class AbbreviationExpander:
    """Expands abbreviations in the order the view is read.

    ``style="define"`` writes "long form (ABBR)" on first use and leaves later uses alone (nurse,
    student). ``style="replace"`` drops defining parentheses and writes the long form every time, for
    patients, except abbreviations the glossary lists as known words (CT, MRI, HIV ...).
    A definition in the article itself wins over the table; an ambiguous table entry is used only when
    the article's words name one sense's cues more than the others'.
    """

    article: Article
    style: Literal["define", "replace"]
    keep: frozenset[str] = frozenset()
    _long: dict[str, str] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)
    _introduced: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        texts = _all_texts(self.article)
        context = set(_WORD.findall(" ".join(texts).lower()))
        long: dict[str, str] = {}
        for key, senses in _abbreviation_table().items():
            if len(senses) == 1:
                long[key] = senses[0].expansion
                continue
            scores = [len(s.cues & context) for s in senses]
            best = max(scores)
            if best > 0 and scores.count(best) == 1:
                long[key] = senses[scores.index(best)].expansion
        long.update(_text_definitions(texts))
        self._long = {k: v for k, v in long.items() if k not in self.keep}
        present = [k for k in self._long if k in " ".join(texts)]
        if present:
            alternatives = "|".join(re.escape(k) for k in sorted(present, key=len, reverse=True))
            # Whole tokens only: not inside "anti-MDA5", "MDA5+" or "IL-6R"; "ALT/AST" is two tokens.
            self._pattern = re.compile(rf"(?<![\w\-+])({alternatives})(s?)(?![\w\-+])")
        else:
            self._pattern = None

    def __call__(self, text: str) -> str:
        """Abbreviations expanded (define style: first use; replace style: every use)."""
        return self.expand(text)

    def expand(self, text: str, convert: Callable[[str], str] | None = None) -> str:
        """Expand abbreviations; ``convert`` rewrites each long form written (replace style)."""
        if self._pattern is None:
            return text
        out = ""
        last = 0
        for match in self._pattern.finditer(text):
            written = self._expand(match, text, convert)
            out = agree_article(out + text[last : match.start()], written) + written
            last = match.end()
        return out + text[last:]

    def drop_definitions(self, text: str) -> str:
        """ "computed tomography (CT)" -> "computed tomography": the long form is already there."""

        def drop(match: re.Match[str]) -> str:
            short = match.group(1).rstrip("+")
            if sum(ch.isalnum() for ch in short) < 2 or not any(ch.isupper() for ch in short):
                return match.group(0)  # "(A)", "(58)": not an abbreviation
            before = text[: match.start()].rstrip()
            known = self._long.get(short) or _text_definitions([text]).get(short)
            if long_form_before(short, before) or (known and before.lower().endswith(known.lower())):
                return ""
            if self._one_word_definition(short, before):
                return ""
            return match.group(0)

        return _DEFINITION_ANY.sub(drop, text)

    def _one_word_definition(self, short: str, before: str) -> bool:
        """ "glucocorticoids (GCs)", "alendronate (AD)": a one-word long form whose letters spell the
        abbreviation in order, from its first letter; dropped only where the article never uses the
        abbreviation again, so nothing is left unexplained."""
        letters = short.rstrip("s").lower() if short.endswith("s") and short[:-1].isupper() else short.lower()
        word = re.search(r"([A-Za-z][A-Za-z-]+)$", before)
        if word is None or not letters.isalpha() or len(letters) < 2:
            return False
        long = word.group(1).lower()
        if long[0] != letters[0] or not re.search(".*".join(map(re.escape, letters)), long):
            return False
        uses = re.findall(rf"(?<![\w\-+(\[]){re.escape(short)}(?![\w\-+])", " ".join(_all_texts(self.article)))
        return not uses

    def _expand(self, match: re.Match[str], text: str, convert: Callable[[str], str] | None) -> str:
        short, plural = match.group(1), match.group(2)
        if plural and not short[-1].isupper():
            return match.group(0)
        before = text[: match.start()]
        if len(short) <= 3 and short.isupper() and _ROMAN_CONTEXT.search(before) and set(short) <= set("IVX"):
            return match.group(0)  # "stage IV", "class II"
        if short == "PM" and re.search(r"\d\s*$", before):
            return match.group(0)  # a time of day
        long = self._long[short] + ("s" if plural else "")
        if self.style == "replace":
            return convert(long) if convert else long
        # Defined right here: "(IVIG)" after its long form, or "IVIG (intravenous immunoglobulin)".
        aside = re.match(r"\s*[(\[]([^()\[\]]{1,80})[)\]]", text[match.end() :])
        defined_here = before.rstrip().endswith(("(", "[")) or (
            aside is not None and aside.group(1).strip().lower().startswith(long.lower()[:8])
        )
        if short in self._introduced or defined_here:
            self._introduced.add(short)
            return match.group(0)
        self._introduced.add(short)
        return f"{long} ({match.group(0)})"

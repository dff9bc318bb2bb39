"""Reading the vocabulary's data files: tab-separated, a header row, ``#`` comment lines anywhere.

Each data file has exactly one loader, in the module that owns its facts; this is the reader they share.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from importlib import resources


def read_table(name: str, package: str = "curbside.vocabulary") -> list[dict[str, str]]:
    """The rows of ``<package>/data/<name>`` (the vocabulary's by default; evidence's curated tables use the
    same format) as dicts keyed by the header; cells stripped, missing cells ""."""
    text = resources.files(package).joinpath(f"data/{name}").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = [cell.strip() for cell in next(reader)]
    rows = []
    for cells in reader:
        cells = [cell.strip() for cell in cells] + [""] * len(header)
        rows.append(dict(zip(header, cells)))
    return rows


def split_list(cell: str) -> list[str]:
    """A ';'-separated cell as its items."""
    return [item.strip() for item in cell.split(";") if item.strip()]


def alternation(terms: Iterable[str]) -> str:
    """A regex alternation of literal terms, longest first (so "rapidly progressive" beats "progressive");
    a space in a term matches any run of whitespace."""
    unique = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
    return "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in unique)


def cue_phrase(cue: str) -> str:
    """The regex of one cue phrase of a cue table: whole words, a trailing ``*`` lets the last word go on
    ("monitor*" = monitored, monitoring), a space matches any whitespace or a hyphen."""
    prefix = cue.endswith("*")
    words = [re.escape(word) for word in cue.rstrip("*").split()]
    body = r"[\s-]+".join(words)
    return body + (r"\w*" if prefix else r"(?![\w-])")


def cue_regex(cues: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for cue phrases (:func:`cue_phrase`), longest first; matches nothing
    when there are none."""
    phrases = sorted(set(cues), key=lambda c: (-len(c), c))
    if not phrases:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![\w-])(?:" + "|".join(cue_phrase(c) for c in phrases) + ")", re.IGNORECASE)

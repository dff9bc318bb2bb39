"""Routes of administration, from ``data/routes.tsv``: a code (IV, PO, SC ...), a name (intravenous, oral,
subcutaneous ...) and every spelling.

Public API: ``route_codes()`` (spelling -> code, lower-case spellings), ``route_code(text)`` and
``route_name(text)`` (None for text that names no route), ``route_names()`` (every route's name).
"""

from __future__ import annotations

from functools import lru_cache

from curbside.vocabulary.tables import read_table, split_list


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, str]]:
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for row in read_table("routes.tsv"):
        names[row["route"]] = row["name"]
        for spelling in (*split_list(row["spellings"]), row["route"].lower(), row["name"].lower()):
            codes.setdefault(spelling.lower(), row["route"])
    return codes, names


def route_codes() -> dict[str, str]:
    """Every spelling (lower case) -> the route's code ("intravenously" -> "IV")."""
    return dict(_table()[0])


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def route_code(text: str | None) -> str | None:
    """ "intravenous" -> "IV", "by mouth" -> "PO"; None for text that names no route."""
    return _table()[0].get(_key(text)) if text else None


def route_name(text: str | None) -> str | None:
    """ "IV" -> "intravenous", "subq" -> "subcutaneous"; None for text that names no route."""
    code = route_code(text)
    return _table()[1][code] if code else None


def route_names() -> tuple[str, ...]:
    """The name of every route, in table order."""
    return tuple(_table()[1].values())

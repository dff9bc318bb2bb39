"""Curbside: an evidence engine for clinical questions.

The public API is :class:`Curbside` (see :mod:`curbside.engine`) and the :class:`Article` it returns.
Names are imported lazily so that ``import curbside.settings`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curbside.engine import Curbside, IngestResult, validate_question
    from curbside.writing.article import ARTICLE_SCHEMA_VERSION, Article

__all__ = ["ARTICLE_SCHEMA_VERSION", "Article", "Curbside", "IngestResult", "validate_question"]

_WHERE = {
    "Curbside": "curbside.engine",
    "IngestResult": "curbside.engine",
    "validate_question": "curbside.engine",
    "Article": "curbside.writing.article",
    "ARTICLE_SCHEMA_VERSION": "curbside.writing.article",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'curbside' has no attribute {name!r}")

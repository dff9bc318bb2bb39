"""Curbside: an evidence engine for clinical questions.

The public API is :class:`Curbside` (see :mod:`curbside.engine`), which mirrors the CLI command for command,
and :class:`Publisher` (see :mod:`curbside.articles.publisher`) for the site commands. Every type their
methods take or return is importable from here. Names are imported lazily so that ``import curbside.settings``
stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curbside.articles.accounts import Accounts, UserInfo
    from curbside.articles.publisher import Publisher, RefreshResult
    from curbside.articles.samples import DemoAccount, SamplesResult
    from curbside.articles.store import ArticleRef
    from curbside.articles.workflow import Role
    from curbside.engine import (
        BatchAnswer,
        Curbside,
        IngestResult,
        SearchFilters,
        SearchResults,
        read_question_file,
        validate_question,
    )
    from curbside.evidence.assessment import ClinicalEvidence
    from curbside.evidence.selection import EvidenceSet
    from curbside.retrieval.index import Manifest
    from curbside.retrieval.search import SearchHit
    from curbside.settings import Settings, load_settings
    from curbside.understanding import UnderstoodQuestion
    from curbside.writing.article import ARTICLE_SCHEMA_VERSION, Article
    from curbside.writing.writer import Writer

# name -> the module that defines it (one place, read by __getattr__ and by the test that checks every name).
_WHERE: dict[str, str] = {
    "Curbside": "curbside.engine",
    "BatchAnswer": "curbside.engine",
    "IngestResult": "curbside.engine",
    "SearchFilters": "curbside.engine",
    "SearchResults": "curbside.engine",
    "read_question_file": "curbside.engine",
    "validate_question": "curbside.engine",
    "SearchHit": "curbside.retrieval.search",
    "Manifest": "curbside.retrieval.index",
    "EvidenceSet": "curbside.evidence.selection",
    "ClinicalEvidence": "curbside.evidence.assessment",
    "Article": "curbside.writing.article",
    "ARTICLE_SCHEMA_VERSION": "curbside.writing.article",
    "Writer": "curbside.writing.writer",
    "UnderstoodQuestion": "curbside.understanding",
    "Settings": "curbside.settings",
    "load_settings": "curbside.settings",
    "Publisher": "curbside.articles.publisher",
    "RefreshResult": "curbside.articles.publisher",
    "SamplesResult": "curbside.articles.samples",
    "DemoAccount": "curbside.articles.samples",
    "ArticleRef": "curbside.articles.store",
    "Accounts": "curbside.articles.accounts",
    "UserInfo": "curbside.articles.accounts",
    "Role": "curbside.articles.workflow",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'curbside' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))

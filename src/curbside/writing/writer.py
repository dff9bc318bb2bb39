"""The one interface every writer implements: evidence in, an Article out.

The extractive writer (``extractive.py``, the default) quotes sentences; the LLM writer (``llm.py``) asks an
OpenAI-compatible endpoint for claims and keeps only those the verifier (``verification.py``) finds in the
passages they cite. Both return the same ``Article`` model, so rendering, review and evaluation do not care
which wrote it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from curbside.evidence.assessment import ClinicalEvidence
from curbside.evidence.selection import EvidenceSet
from curbside.writing.article import Article


@runtime_checkable
class Writer(Protocol):
    name: str

    def write(self, question: str, evidence: EvidenceSet, *, corpus_snapshot: str, article_id: str | None = None,
              clinical: ClinicalEvidence | None = None) -> Article:
        """An article answering ``question`` from ``evidence``; every sentence cites what supports it."""
        ...

"""Curbside's exceptions: one hierarchy, each message saying what to do next.

Interfaces (CLI, web) catch ``CurbsideError`` and show its message; anything else is a bug.
"""

from __future__ import annotations


class CurbsideError(Exception):
    """Base class of every error Curbside raises on purpose."""

    exit_code: int = 1


class ConfigurationError(CurbsideError):
    """A setting is missing or invalid (corpus directory, data directory, preset)."""

    exit_code = 2


class CorpusNotFoundError(ConfigurationError):
    """No corpus directory could be found."""


class InvalidQuestionError(CurbsideError):
    """The question is empty, too long, or not text."""

    exit_code = 2


class IndexError_(CurbsideError):
    """Base for problems with the on-disk index."""

    exit_code = 3


class IndexMissingError(IndexError_):
    """No index exists in the data directory."""


class IndexIncompleteError(IndexError_):
    """An index exists but was not finished, or its files do not match its manifest."""


class IndexVersionError(IndexError_):
    """The index was built with another schema version and must be rebuilt."""


class IngestError(CurbsideError):
    """A corpus file could not be ingested at all (not: some malformed lines, which are reported)."""


class EvaluationError(CurbsideError):
    """An evaluation file is missing or not in the expected format."""

    exit_code = 2

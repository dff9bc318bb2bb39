"""Curbside's exceptions: one hierarchy, each message saying what to do next.

Interfaces (CLI, web) catch ``CurbsideError`` and show its message; anything else is a bug.
"""

from __future__ import annotations


class CurbsideError(Exception):
    """Base class of every error Curbside raises on purpose."""

    exit_code: int = 1
    http_status: int = 500  # what the web API answers
    retry_after: int | None = None  # seconds, sent as Retry-After with a 429 or 503


class ConfigurationError(CurbsideError):
    """A setting is missing or invalid (corpus directory, data directory, preset)."""

    exit_code = 2


class CorpusNotFoundError(ConfigurationError):
    """No corpus directory could be found."""


class InvalidQuestionError(CurbsideError):
    """The question is empty, too long, or not text."""

    exit_code = 2
    http_status = 422


class IndexError_(CurbsideError):
    """Base for problems with the on-disk index."""

    exit_code = 3
    http_status = 503


class IndexMissingError(IndexError_):
    """No index exists in the data directory."""


class IndexIncompleteError(IndexError_):
    """An index exists but was not finished, or its files do not match its manifest."""


class IndexVersionError(IndexError_):
    """The index was built with another schema version and must be rebuilt."""


class IngestError(CurbsideError):
    """A corpus file could not be ingested at all (not: some malformed lines, which are reported)."""


class CorpusFetchError(CurbsideError):
    """A starter-corpus file could not be downloaded whole, or its size or checksum is not the expected one."""

    exit_code = 7


class DocumentNotFoundError(CurbsideError):
    """No stored document has the id asked for (``curbside show``)."""

    exit_code = 2
    http_status = 404


class LiveSearchError(CurbsideError):
    """PubMed's E-utilities could not be searched or fetched from: unreachable, refusing, or answering
    something that is not E-utilities' (the message names the address, never the API key)."""

    exit_code = 7
    http_status = 502


class BackupError(CurbsideError):
    """A backup cannot be made or restored: a target that is not empty, a damaged or missing backup, or one
    from a database schema this version does not know."""

    exit_code = 2


class EvaluationError(CurbsideError):
    """An evaluation file is missing or not in the expected format."""

    exit_code = 2


# --- the web app's workflow errors: each maps to one HTTP status ------------------------------------


class InvalidInputError(CurbsideError):
    """A request field is missing or malformed (other than the question itself)."""

    exit_code = 2
    http_status = 422


class NotFoundError(CurbsideError):
    """No such article, version or user, or not one the caller may see."""

    exit_code = 4
    http_status = 404


class AuthenticationError(CurbsideError):
    """Wrong email or password, or a missing, expired or unknown token."""

    exit_code = 5
    http_status = 401


class PermissionDeniedError(CurbsideError):
    """The caller's role does not allow this action (or a reviewer approving their own question)."""

    exit_code = 5
    http_status = 403


class ConflictError(CurbsideError):
    """The action does not fit the article's current state (a forbidden transition, a lost race)."""

    exit_code = 6
    http_status = 409


class RateLimitedError(CurbsideError):
    """Too many failed logins; try again later."""

    exit_code = 5
    http_status = 429



class RetryLaterError(CurbsideError):
    """A refusal that passes: the client should try again after ``retry_after`` seconds (sent as Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BusyError(RetryLaterError):
    """Every article-build slot of this worker is taken."""

    exit_code = 6
    http_status = 429


class ServiceUnavailableError(RetryLaterError):
    """A dependency the request needs (the index, the database) is not there now."""

    exit_code = 3
    http_status = 503

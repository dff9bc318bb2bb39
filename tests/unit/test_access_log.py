"""uvicorn's access log never records a query string (a search may carry patient text)."""

from __future__ import annotations

import logging

from curbside.web.security import AccessLogRedactor, redact_access_log


def _access_record(path: str) -> logging.LogRecord:
    # uvicorn's access line: '%s - "%s %s HTTP/%s" %d' with (client, method, full path, http version, status)
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


def test_the_query_string_is_removed_and_the_path_kept() -> None:
    record = _access_record("/articles?q=John+Smith+MRN+12345678&page=2")
    assert AccessLogRedactor().filter(record)
    message = record.getMessage()
    assert "John" not in message and "12345678" not in message
    assert '"GET /articles?[query removed] HTTP/1.1" 200' in message


def test_a_line_without_a_query_is_unchanged() -> None:
    record = _access_record("/articles/12")
    AccessLogRedactor().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /articles/12 HTTP/1.1" 200'


def test_installing_twice_adds_one_filter() -> None:
    logger = logging.getLogger("curbside-test-access")
    redact_access_log(logger.name)
    redact_access_log(logger.name)
    assert sum(isinstance(f, AccessLogRedactor) for f in logger.filters) == 1

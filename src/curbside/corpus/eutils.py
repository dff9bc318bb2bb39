"""PubMed through NCBI E-utilities: a polite client, a resumable bulk harvest, and the ledger of what was fetched.

- :class:`EutilsClient` sends ``esearch`` and ``efetch`` requests (httpx) with the API key, tool and email
  parameters NCBI asks for, never faster than NCBI allows (3 requests a second, 10 with a key: one
  :class:`RateLimiter` per address and process), and retries 429 (after its ``Retry-After``), 5xx, timeouts and
  lost connections with exponential backoff (tenacity). Whatever still fails becomes a
  :class:`~curbside.errors.LiveSearchError` that names the address, never the key.
- :func:`harvest_pubmed` runs ``curbside ingest pubmed``: ``esearch`` with ``usehistory=y`` keeps the result set
  on NCBI's side (WebEnv and query_key), then ``efetch`` reads it in batches (``retstart``/``retmax``). After each
  batch is ingested, the :class:`FetchLedger` in the data directory records the next ``retstart`` and the PMIDs
  fetched, so an interrupted run continues where it stopped. When NCBI has forgotten the history (it keeps it
  for hours, not days), the search runs again and only PMIDs not fetched yet are fetched, by id.
- :func:`search_and_fetch` runs the per-question search of ``ask --live-pubmed``: the best ``n`` citations by
  relevance, fetched by id.

The MEDLINE XML itself is parsed by :mod:`curbside.corpus.loaders.medline`; this module only moves bytes.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import tenacity

from curbside.errors import LiveSearchError
from curbside.settings import LivePubmedSettings

Progress = Callable[[str], None]
Clock = Callable[[], float]
Sleep = Callable[[float], None]

ESEARCH = "esearch.fcgi"
EFETCH = "efetch.fcgi"
# NCBI serves at most the first 10,000 records of a PubMed search through E-utilities; beyond that, the
# annual baseline files are the way (``curbside ingest medline``).
MAX_SEARCH_RESULTS = 10_000
NCBI_RATE = 3.0  # requests a second without an API key
NCBI_RATE_WITH_KEY = 10.0
# Requests are sent a little under NCBI's rate: arrival times jitter, and three requests spaced exactly a third
# of a second apart can land within one second at the other end.
RATE_MARGIN = 0.9


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class RateLimiter:
    """Spaces request starts at least ``1 / per_second`` apart, across threads. ``clock`` and ``sleep`` are
    injectable so that tests can check the spacing without waiting."""

    def __init__(self, per_second: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None

    def wait(self) -> float:
        """Block until the next request may start; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self.interval
        waited = start - now
        if waited > 0:
            self._sleep(waited)
        return waited


_LIMITERS: dict[tuple[str, float], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(base_url: str, per_second: float) -> RateLimiter:
    """One limiter per address and rate in this process, so that concurrent asks (web workers' threads) share
    NCBI's allowance instead of each taking all of it."""
    with _LIMITERS_LOCK:
        key = (base_url, per_second)
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(per_second)
        return _LIMITERS[key]


class _Retryable(Exception):
    """An answer worth asking again: 429 or 5xx (``retry_after`` from the server's header, in seconds)."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class HistoryExpiredError(LiveSearchError):
    """NCBI no longer holds the search's history (WebEnv/query_key): search again."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class SearchResult:
    """One esearch answer: how many records match, the history handle, and the PMIDs returned."""

    count: int
    webenv: str | None
    query_key: str | None
    pmids: tuple[str, ...]


_ERROR_RE = re.compile(rb"<ERROR>(.*?)</ERROR>", re.S)
_HISTORY_WORDS = re.compile(r"webenv|query ?key|query #|history", re.I)


class EutilsClient:
    """esearch and efetch against one E-utilities address (``settings.base_url``)."""

    def __init__(self, settings: LivePubmedSettings, *, transport: httpx.BaseTransport | None = None,
                 limiter: RateLimiter | None = None, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/") + "/"
        rate = settings.requests_per_second or RATE_MARGIN * (NCBI_RATE_WITH_KEY if settings.api_key else NCBI_RATE)
        self.limiter = limiter or shared_limiter(self.base_url, rate)
        self._sleep = sleep
        timeout = httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds)
        # No proxy from the environment for loopback test servers; NCBI itself is reached as configured.
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                    headers={"User-Agent": f"{settings.tool or 'curbside'} (E-utilities client)"})
        self.requests_sent = 0

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def source_url(self, endpoint: str = EFETCH) -> str:
        """The address a record came from, as recorded in articles: no parameters, so never the key or email."""
        return self.base_url + endpoint

    # --- the two calls ------------------------------------------------------------------------------
    def esearch(self, term: str, *, retmax: int = 0, usehistory: bool = True, sort: str | None = None) -> SearchResult:
        params: dict[str, Any] = {"db": "pubmed", "term": term, "retmode": "json", "retmax": retmax}
        if usehistory:
            params["usehistory"] = "y"
        if sort:
            params["sort"] = sort
        response = self._request(ESEARCH, params)
        try:
            result = response.json()["esearchresult"]
            count = int(result["count"])
            pmids = tuple(str(p) for p in result.get("idlist", []))
        except (ValueError, KeyError, TypeError) as exc:
            error = _json_error(response)
            raise LiveSearchError(f"PubMed search at {self.source_url(ESEARCH)} failed: "
                                  f"{error or 'the answer is not an esearch result'}.") from exc
        webenv, query_key = result.get("webenv"), result.get("querykey")
        if usehistory and (not webenv or not query_key):
            raise LiveSearchError(f"PubMed search at {self.source_url(ESEARCH)} kept no history (no WebEnv).")
        return SearchResult(count, webenv, str(query_key) if query_key else None, pmids)

    def efetch_history(self, webenv: str, query_key: str, retstart: int, retmax: int) -> bytes:
        """Records ``retstart`` .. ``retstart + retmax`` of a search kept on NCBI's side, as PubmedArticleSet XML."""
        params = {"db": "pubmed", "WebEnv": webenv, "query_key": query_key, "retstart": retstart, "retmax": retmax,
                  "retmode": "xml"}
        return self._articles(self._request(EFETCH, params), history=True)

    def efetch_ids(self, pmids: Sequence[str]) -> bytes:
        """The records of ``pmids`` as PubmedArticleSet XML (POST, as NCBI asks for long id lists)."""
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}
        return self._articles(self._request(EFETCH, params, post=True), history=False)

    def _articles(self, response: httpx.Response, *, history: bool) -> bytes:
        body = response.content
        if b"<PubmedArticleSet" in body[:4096] or b"<PubmedArticleSet" in body:
            return body
        found = _ERROR_RE.search(body)
        message = found.group(1).decode("utf-8", "replace").strip() if found else _json_error(response)
        if history and message and _HISTORY_WORDS.search(message):
            raise HistoryExpiredError(f"PubMed no longer holds the search history: {message}")
        raise LiveSearchError(f"PubMed fetch at {self.source_url(EFETCH)} answered no citations"
                              f"{': ' + message if message else ''}.")

    # --- one request, throttled and retried --------------------------------------------------------
    def _request(self, endpoint: str, params: dict[str, Any], *, post: bool = False) -> httpx.Response:
        params = {**params, **self._identity()}
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_Retryable, httpx.TransportError)),
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            wait=self._backoff,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._send(endpoint, params, post=post)
        except _Retryable as exc:
            raise LiveSearchError(
                f"PubMed at {self.source_url(endpoint)} answered {exc} after {self.settings.max_retries + 1} "
                "attempt(s); try again later (an NCBI API key raises the rate limit)."
            ) from None
        except httpx.TransportError as exc:
            raise LiveSearchError(
                f"PubMed at {self.source_url(endpoint)} could not be reached ({_transport_words(exc)}) after "
                f"{self.settings.max_retries + 1} attempt(s). Check the address (--eutils-url) and the network."
            ) from None
        return response

    def _send(self, endpoint: str, params: dict[str, Any], *, post: bool) -> httpx.Response:
        self.limiter.wait()
        self.requests_sent += 1
        if post:
            response = self._client.post(endpoint, data=params)
        else:
            response = self._client.get(endpoint, params=params)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(response.status_code, parse_retry_after(response.headers.get("Retry-After")))
        # efetch's 400 may say the history expired: _articles reads it.
        if response.status_code >= 400 and not (endpoint == EFETCH and response.status_code == 400):
            raise LiveSearchError(
                f"PubMed at {self.source_url(endpoint)} refused the request: HTTP {response.status_code}"
                f"{': ' + e if (e := _json_error(response)) else ''}."
            )
        return response

    def _backoff(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after  # the server said when; asking earlier only gets another 429
        exponential = self.settings.backoff_seconds * 2 ** (state.attempt_number - 1)
        return min(exponential, self.settings.max_backoff_seconds)

    def _identity(self) -> dict[str, str]:
        identity = {"tool": self.settings.tool, "email": self.settings.email, "api_key": self.settings.api_key}
        return {k: v for k, v in identity.items() if v}


def _json_error(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        error = data.get("error") or (data.get("esearchresult") or {}).get("ERROR")
        return str(error) if error else None
    return None


def _transport_words(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    return "the connection was dropped"


# --- the ledger: what was fetched, and where each harvest stands ----------------------------------------


@dataclass
class HarvestState:
    """Where one bulk harvest stands: the history handle, how far efetch got, and the PMIDs fetched."""

    key: str
    query: str
    max_results: int
    webenv: str | None = None
    query_key: str | None = None
    count: int = 0
    next_retstart: int = 0
    fetched: set[str] = field(default_factory=set)
    done: bool = False

    @property
    def target(self) -> int:
        return min(self.count, self.max_results)


@dataclass(frozen=True)
class FetchRecord:
    """One citation fetched from E-utilities: when, by which search, from which address, by which command."""

    pmid: str
    fetched_at: str
    query: str
    source_url: str
    via: str  # "ingest" (curbside ingest pubmed) or "ask" (ask --live-pubmed)


LEDGER_FILE = "pubmed-live.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvests (
    key TEXT PRIMARY KEY, query TEXT NOT NULL, max_results INTEGER NOT NULL, webenv TEXT, query_key TEXT,
    count INTEGER NOT NULL DEFAULT 0, next_retstart INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS harvest_pmids (key TEXT NOT NULL, pmid TEXT NOT NULL, PRIMARY KEY (key, pmid));
CREATE TABLE IF NOT EXISTS fetches (
    pmid TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, query TEXT NOT NULL, source_url TEXT NOT NULL, via TEXT NOT NULL
);
"""


class FetchLedger:
    """``DATA_DIR/pubmed-live.sqlite``: each harvest's progress, and each PMID's latest E-utilities fetch.

    Every change is one transaction, so a kill at any moment leaves either the batch recorded or not; a
    batch not recorded is fetched and ingested again on the rerun, which changes nothing (ingest is an upsert).
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LEDGER_FILE

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.executescript(_SCHEMA)
            with conn:
                yield conn

    @staticmethod
    def harvest_key(query: str, max_results: int) -> str:
        return hashlib.sha256(f"{' '.join(query.split())}\n{max_results}".encode()).hexdigest()[:16]

    def load(self, query: str, max_results: int) -> HarvestState | None:
        key = self.harvest_key(query, max_results)
        with self._connect() as conn:
            row = conn.execute("SELECT query, max_results, webenv, query_key, count, next_retstart, done "
                               "FROM harvests WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            fetched = {p for (p,) in conn.execute("SELECT pmid FROM harvest_pmids WHERE key = ?", (key,))}
        return HarvestState(key, row[0], row[1], row[2], row[3], row[4], row[5], fetched, bool(row[6]))

    def save(self, state: HarvestState, new_fetches: Iterable[FetchRecord] = ()) -> None:
        """The harvest's position and the fetches of its last batch, in one transaction."""
        fetches = list(new_fetches)
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO harvests (key, query, max_results, webenv, query_key, count, next_retstart, "
                "done, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (state.key, state.query, state.max_results, state.webenv, state.query_key, state.count,
                 state.next_retstart, int(state.done), utc_now()),
            )
            conn.executemany("INSERT OR IGNORE INTO harvest_pmids (key, pmid) VALUES (?, ?)",
                             [(state.key, f.pmid) for f in fetches])
            self._record(conn, fetches)

    def record(self, fetches: Iterable[FetchRecord]) -> None:
        with self._connect() as conn:
            self._record(conn, list(fetches))

    @staticmethod
    def _record(conn: sqlite3.Connection, fetches: list[FetchRecord]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO fetches (pmid, fetched_at, query, source_url, via) VALUES (?, ?, ?, ?, ?)",
            [(f.pmid, f.fetched_at, f.query, f.source_url, f.via) for f in fetches],
        )

    def fetches_for(self, pmids: Iterable[str]) -> dict[str, FetchRecord]:
        """The latest E-utilities fetch of each of ``pmids`` that came from there (others are left out)."""
        wanted = sorted(set(pmids))
        if not wanted or not self.path.is_file():
            return {}
        found: dict[str, FetchRecord] = {}
        with self._connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows = conn.execute(
                    f"SELECT pmid, fetched_at, query, source_url, via FROM fetches WHERE pmid IN "
                    f"({','.join('?' * len(chunk))})", chunk)
                found.update({r[0]: FetchRecord(*r) for r in rows})
        return found


# --- the bulk harvest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedBatch:
    """One efetch answer, with where and when it came from (for the ledger and the ingest's report)."""

    xml: bytes
    query: str
    fetched_at: str
    source_url: str
    label: str  # names the batch in problem reports, e.g. "efetch retstart=200"


@dataclass
class HarvestSummary:
    query: str
    count: int  # records the search matched
    target: int  # records this harvest fetches: min(count, max)
    fetched: int  # PMIDs recorded as fetched, over every run of this harvest
    fetched_now: int  # PMIDs fetched by this run
    resumed: bool  # this run continued an earlier, interrupted one
    searched_again: bool  # the history had expired (or the harvest was complete) and the search ran again
    requests: int


IngestBatch = Callable[[FetchedBatch], Iterable[str]]


def harvest_pubmed(client: EutilsClient, ledger: FetchLedger, query: str, max_results: int, ingest: IngestBatch,
                   *, progress: Progress | None = None) -> HarvestSummary:
    """Fetch the first ``max_results`` records of ``query`` into ``ingest``, resumably.

    ``ingest`` receives each batch and returns the PMIDs it stored; only then is the batch recorded as done,
    so a run killed at any point resumes without losing or duplicating a record.
    """
    if not query.strip():
        raise LiveSearchError("The PubMed query is empty. Give --query with search terms.")
    max_results = min(max_results, MAX_SEARCH_RESULTS)
    state = ledger.load(query, max_results)
    resumed = state is not None and not state.done
    searched_again = False
    fetched_now = 0
    requests_before = client.requests_sent
    say = progress or (lambda _message: None)

    def take(batch: FetchedBatch) -> int:
        assert state is not None
        pmids = list(dict.fromkeys(ingest(batch)))
        new = [p for p in pmids if p not in state.fetched]
        state.fetched.update(pmids)
        ledger.save(state, [FetchRecord(p, batch.fetched_at, query, batch.source_url, "ingest") for p in pmids])
        say(f"PubMed: {len(state.fetched)}/{state.target} citations fetched")
        return len(new)

    if state is None:
        state = HarvestState(FetchLedger.harvest_key(query, max_results), query, max_results)
        found = client.esearch(query, retmax=0, usehistory=True)
        state.webenv, state.query_key, state.count = found.webenv, found.query_key, found.count
        ledger.save(state)
        say(f"PubMed: {found.count} records match; fetching {state.target}")
    elif state.done:
        searched_again = True  # a finished harvest run again fetches only what is new in its first max_results
    else:
        say(f"PubMed: resuming at record {state.next_retstart} of {state.target} ({len(state.fetched)} fetched)")

    batch_size = client.settings.batch_size
    while not state.done and not searched_again and state.next_retstart < state.target:
        retmax = min(batch_size, state.target - state.next_retstart)
        try:
            assert state.webenv and state.query_key
            xml = client.efetch_history(state.webenv, state.query_key, state.next_retstart, retmax)
        except HistoryExpiredError:
            say("PubMed: the search history expired; searching again")
            searched_again = True
            break
        batch = FetchedBatch(xml, query, utc_now(), client.source_url(), f"efetch retstart={state.next_retstart}")
        state.next_retstart += retmax
        fetched_now += take(batch)

    if searched_again:
        found = client.esearch(query, retmax=max_results, usehistory=False)
        state.count = found.count
        # The first max_results records of the search as it stands now, less those already fetched.
        missing = [p for p in found.pmids[:max_results] if p not in state.fetched]
        for start in range(0, len(missing), batch_size):
            ids = missing[start:start + batch_size]
            xml = client.efetch_ids(ids)
            fetched_now += take(FetchedBatch(xml, query, utc_now(), client.source_url(), f"efetch ids {ids[0]}.."))
        state.next_retstart = state.target

    state.done = True
    ledger.save(state)
    return HarvestSummary(query, state.count, state.target, len(state.fetched), fetched_now, resumed, searched_again,
                          client.requests_sent - requests_before)


def search_and_fetch(client: EutilsClient, query: str, max_results: int) -> tuple[list[str], FetchedBatch | None]:
    """The ``max_results`` most relevant PMIDs of ``query`` and their records (None when nothing matched)."""
    found = client.esearch(query, retmax=max_results, usehistory=False, sort="relevance")
    pmids = list(found.pmids[:max_results])
    if not pmids:
        return [], None
    xml = client.efetch_ids(pmids)
    return pmids, FetchedBatch(xml, query, utc_now(), client.source_url(), f"efetch for {query!r}")

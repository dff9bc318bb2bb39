"""The E-utilities client against the local fake (tests/support/eutils_server.py): history and batches, identity
parameters, the rate limit, retries and backoff, clear errors, and resuming an interrupted harvest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.eutils_server import MDA5_QUERY, SyntheticRecord, closed_port_url, eutils_server

from curbside.corpus.eutils import (
    EutilsClient,
    FetchedBatch,
    FetchLedger,
    RateLimiter,
    harvest_pubmed,
    parse_retry_after,
    search_and_fetch,
)
from curbside.errors import LiveSearchError
from curbside.settings import LivePubmedSettings


class FakeClock:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pmids_in(batch: FetchedBatch) -> list[str]:
    return [m.decode() for m in re.findall(rb'<PMID Version="1">(\d+)</PMID>', batch.xml)]


class Collector:
    """An ingest callback that keeps every PMID it was given, in order (duplicates too)."""

    def __init__(self) -> None:
        self.pmids: list[str] = []

    def __call__(self, batch: FetchedBatch) -> list[str]:
        found = pmids_in(batch)
        self.pmids.extend(found)
        return found


def client_for(url: str, clock: FakeClock | None = None, **settings: object) -> EutilsClient:
    values: dict[str, object] = {"base_url": url, "batch_size": 5, "backoff_seconds": 0.5, "max_retries": 3}
    values.update(settings)
    clock = clock or FakeClock()
    return EutilsClient(LivePubmedSettings(**values), limiter=RateLimiter(1000, clock=clock, sleep=clock.sleep),
                        sleep=clock.sleep)


def test_esearch_keeps_history_and_efetch_reads_it_in_batches(tmp_path: Path) -> None:
    with eutils_server() as server:
        with client_for(server.url, api_key="K3Y-NOT-LOGGED", email="ops@example.org", tool="curbside-test") as client:
            got = Collector()
            summary = harvest_pubmed(client, FetchLedger(tmp_path), MDA5_QUERY, 12, got)
        expected = server.search(MDA5_QUERY, None)[:12]
        assert got.pmids == expected
        assert (summary.count, summary.target, summary.fetched, summary.fetched_now) == (23, 12, 12, 12)
        search, *fetches = server.requests
        assert search.endpoint == "esearch"
        assert search.params["usehistory"] == "y" and search.params["term"] == MDA5_QUERY
        assert [(f.params["retstart"], f.params["retmax"]) for f in fetches] == [("0", "5"), ("5", "5"), ("10", "2")]
        assert {f.params["WebEnv"] for f in fetches} == {server.histories and next(iter(server.histories))}
        assert all(f.params["query_key"] == "1" and f.params["db"] == "pubmed" for f in fetches)
        for request in server.requests:  # NCBI's identity parameters on every request
            assert request.params["api_key"] == "K3Y-NOT-LOGGED"
            assert request.params["email"] == "ops@example.org" and request.params["tool"] == "curbside-test"
    recorded = FetchLedger(tmp_path).fetches_for(expected)
    assert set(recorded) == set(expected)
    assert all(f.via == "ingest" and f.query == MDA5_QUERY for f in recorded.values())
    assert all("K3Y" not in f.source_url and "example.org" not in f.source_url for f in recorded.values())


def test_rate_limiter_spaces_requests_by_the_allowed_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(7):
        limiter.wait()
        starts.append(clock.now)
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [round(1 / 3, 6)] * 6
    clock.now += 5  # idle time is not saved up into a burst
    limiter.wait()
    limiter.wait()
    assert clock.slept[-1] == pytest.approx(1 / 3)


def test_client_rate_is_three_a_second_and_ten_with_a_key() -> None:
    # A little under NCBI's limits (RATE_MARGIN), never over them.
    plain = EutilsClient(LivePubmedSettings(base_url="http://127.0.0.1:9/a/")).limiter.interval
    keyed = EutilsClient(LivePubmedSettings(base_url="http://127.0.0.1:9/b/", api_key="k")).limiter.interval
    assert 1 / 3 < plain <= 1 / 2.7 and 1 / 10 < keyed <= 1 / 9


def test_measured_spacing_on_loopback_stays_within_ncbi_limit() -> None:
    # The fake answers 429 like NCBI when more than 3 requests arrive within a second; without a key the client
    # must never trip it, and the arrival times show the spacing.
    with eutils_server(enforce_rate=3) as server:
        client = EutilsClient(LivePubmedSettings(base_url=server.url + "spacing/", max_retries=0))
        result = client.esearch(MDA5_QUERY)
        for start in range(0, 20, 5):
            client.efetch_history(result.webenv or "", result.query_key or "", start, 5)
        arrivals = [r.at for r in server.requests]
    assert len(arrivals) == 5  # no 429, so no retry
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 1 / 3, gaps


def test_429_waits_as_long_as_retry_after_says() -> None:
    clock = FakeClock()
    with eutils_server() as server:
        server.add_fault("efetch", status=429, retry_after="7")
        client = client_for(server.url, clock)
        result = client.esearch(MDA5_QUERY)
        xml = client.efetch_history(result.webenv or "", result.query_key or "", 0, 5)
        assert xml.count(b"<PubmedArticle>") == 5
        assert server.count("efetch") == 2
    assert 7.0 in clock.slept


def test_5xx_backs_off_exponentially_then_succeeds() -> None:
    clock = FakeClock()
    with eutils_server() as server:
        server.add_fault("esearch", status=500, times=2)
        server.add_fault("esearch", status=503, skip=2, times=1)
        result = client_for(server.url, clock).esearch(MDA5_QUERY)
        assert result.count == 23 and server.count("esearch") == 4
    assert [s for s in clock.slept if s >= 0.5] == [0.5, 1.0, 2.0]


def test_dropped_connection_and_slow_answer_are_retried() -> None:
    clock = FakeClock()
    with eutils_server() as server:
        server.add_fault("efetch", drop=True, times=1)
        server.add_fault("efetch", delay=1.0, skip=1, times=1)
        client = client_for(server.url, clock, timeout_seconds=0.3)
        pmids, batch = search_and_fetch(client, "rituximab AND dermatomyositis", 3)
        assert batch is not None and pmids_in(batch) == pmids and len(pmids) == 3
        assert server.count("efetch") == 3  # dropped, timed out, answered
    assert [s for s in clock.slept if s >= 0.5] == [0.5, 1.0]


def test_persistent_failure_is_a_clear_error_without_the_key() -> None:
    with eutils_server() as server:
        server.add_fault(None, status=503, times=None)
        client = client_for(server.url, max_retries=2, api_key="SECRET-KEY-123")
        with pytest.raises(LiveSearchError) as raised:
            client.esearch(MDA5_QUERY)
        assert server.count() == 3
    message = str(raised.value)
    assert "HTTP 503" in message and "3 attempt(s)" in message and server.url in message
    assert "SECRET-KEY-123" not in message


def test_dead_endpoint_is_a_clear_error() -> None:
    client = client_for(closed_port_url(), max_retries=1)
    with pytest.raises(LiveSearchError, match="could not be reached"):
        client.esearch(MDA5_QUERY)


def test_parse_retry_after() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def _interrupted_run(server_url: str, ledger: FetchLedger, got: Collector) -> None:
    with pytest.raises(LiveSearchError):
        harvest_pubmed(client_for(server_url, max_retries=0), ledger, MDA5_QUERY, 17, got)


def test_interrupted_harvest_resumes_where_it_stopped(tmp_path: Path) -> None:
    with eutils_server() as server:
        full = Collector()
        harvest_pubmed(client_for(server.url), FetchLedger(tmp_path / "full"), MDA5_QUERY, 17, full)
        server.requests.clear()

        ledger = FetchLedger(tmp_path / "resumed")
        got = Collector()
        server.add_fault("efetch", status=500, skip=2, times=None)  # fails for good after batch 2
        _interrupted_run(server.url, ledger, got)
        assert got.pmids == full.pmids[:10]
        state = ledger.load(MDA5_QUERY, 17)
        assert state is not None and state.next_retstart == 10 and not state.done

        server.clear_faults()
        server.requests.clear()
        summary = harvest_pubmed(client_for(server.url), ledger, MDA5_QUERY, 17, got)
        assert summary.resumed and not summary.searched_again
        assert [r.endpoint for r in server.requests] == ["efetch", "efetch"]  # no new search, nothing fetched twice
        assert [r.params["retstart"] for r in server.requests] == ["10", "15"]
    assert got.pmids == full.pmids  # the same records, each once
    assert summary.fetched == 17 and summary.fetched_now == 7


def test_expired_history_searches_again_and_skips_what_was_fetched(tmp_path: Path) -> None:
    with eutils_server() as server:
        ledger = FetchLedger(tmp_path)
        got = Collector()
        server.add_fault("efetch", status=500, skip=2, times=None)
        _interrupted_run(server.url, ledger, got)
        server.clear_faults()
        server.expire_history()
        server.requests.clear()
        summary = harvest_pubmed(client_for(server.url), ledger, MDA5_QUERY, 17, got)
        assert summary.searched_again
        expired, search, *by_id = server.requests
        assert expired.endpoint == "efetch" and "WebEnv" in expired.params
        assert search.endpoint == "esearch" and search.params.get("usehistory") is None
        asked = [p for r in by_id for p in r.params["id"].split(",")]
        assert set(asked).isdisjoint(got.pmids[:10]) and len(asked) == 7
    assert sorted(got.pmids) == sorted(server.search(MDA5_QUERY, None)[:17])
    assert len(got.pmids) == len(set(got.pmids))


def test_finished_harvest_rerun_fetches_only_what_is_new(tmp_path: Path) -> None:
    with eutils_server() as server:
        ledger = FetchLedger(tmp_path)
        got = Collector()
        harvest_pubmed(client_for(server.url), ledger, MDA5_QUERY, 10, got)
        server.requests.clear()
        harvest_pubmed(client_for(server.url), ledger, MDA5_QUERY, 10, got)
        assert [r.endpoint for r in server.requests] == ["esearch"]
        server.records.append(SyntheticRecord(
            "40000001", "Rituximab in anti-MDA5 dermatomyositis interstitial lung disease", (("", "New."),), 2030, "J"))
        harvest_pubmed(client_for(server.url), ledger, MDA5_QUERY, 10, got)
    assert got.pmids.count("40000001") == 1 and len(got.pmids) == 11

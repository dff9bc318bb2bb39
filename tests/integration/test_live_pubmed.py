"""Live PubMed against the local fake E-utilities: `ingest pubmed` (progress, summary, resume after an interruption
equal to an uninterrupted run, a dead endpoint), and `ask --live-pubmed` (only concept terms leave the machine,
the article records its live fetches, a re-ask without live search gives the same article, a failed search
still answers from the local index)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.deployment import data_dir_with_index
from support.eutils_server import MDA5_QUERY, EutilsServer, closed_port_url, eutils_server

from curbside.cli.main import cli
from curbside.corpus.library import Library, document_to_json
from curbside.engine import Curbside
from curbside.evidence.live_pubmed import LiveSearchStatus, live_query
from curbside.settings import load_settings
from curbside.writing.render import to_markdown

FAST = {"CURBSIDE_LIVE_PUBMED__REQUESTS_PER_SECOND": "100", "CURBSIDE_LIVE_PUBMED__BACKOFF_SECONDS": "0",
        "CURBSIDE_PRESET": "fast", "HF_HUB_OFFLINE": "1"}

QUESTION = "Should we add rituximab for anti-MDA5 dermatomyositis with rapidly progressive ILD?"
# A patient's story full of identifiers: none of it may reach the server.
CONTEXT = ("John Smith, MRN 4482913, a 54-year-old man from Springfield seen on 3/14/2024 at Mercy Hospital, "
           "phone 617-555-0199, on prednisone and tacrolimus")
PRIVATE_WORDS = ("john", "smith", "4482913", "springfield", "3/14/2024", "2024", "54", "mercy", "617", "0199",
                 "prednisone", "tacrolimus", "man", "year")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj={}, env={**FAST, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def server() -> Iterator[EutilsServer]:
    with eutils_server() as fake:
        yield fake


def _engine(data_dir: Path, **live: object) -> Curbside:
    return Curbside(load_settings(environ={}, data_dir=data_dir, preset="fast",
                                  live_pubmed={"requests_per_second": 100, "backoff_seconds": 0, **live}))


def _library_json(data_dir: Path) -> dict[str, bytes]:
    with Library(data_dir) as library:
        return {doc.doc_id: document_to_json(doc) for doc in library.iter_documents()}


# --- ingest pubmed -----------------------------------------------------------------------------------


def test_ingest_pubmed_interrupted_then_resumed_equals_uninterrupted(tmp_path: Path, server: EutilsServer) -> None:
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    args = ("ingest", "pubmed", "--query", MDA5_QUERY, "--max", "17", "--eutils-url", server.url)
    env = {"CURBSIDE_LIVE_PUBMED__BATCH_SIZE": "5"}
    code, out, err = run("--data-dir", str(whole), *args, env=env)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["library"]["added"] == 17 and summary["pubmed"]["fetched"] == 17
    assert "PubMed: 17/17 citations fetched" in err and "Done in" in err

    server.add_fault("efetch", status=500, skip=2, times=None)  # the server fails for good after batch 2
    code, out, err = run("--data-dir", str(resumed), *args, env={**env, "CURBSIDE_LIVE_PUBMED__MAX_RETRIES": "0"})
    assert code == 7 and "Traceback" not in err
    assert "Error: PubMed at" in err and "HTTP 500" in err
    assert len(_library_json(resumed)) == 10  # two batches in, recorded as done

    server.clear_faults()
    server.requests.clear()
    code, out, err = run("--data-dir", str(resumed), *args, env=env)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["pubmed"]["resumed"] and summary["pubmed"]["fetched_now"] == 7
    assert [r.params["retstart"] for r in server.of("efetch")] == ["10", "15"] and not server.of("esearch")

    assert _library_json(resumed) == _library_json(whole)
    code_a, search_a, _ = run("--data-dir", str(whole), "search", "rituximab dermatomyositis", "--format", "json")
    code_b, search_b, _ = run("--data-dir", str(resumed), "search", "rituximab dermatomyositis", "--format", "json")
    hits_a, hits_b = json.loads(search_a), json.loads(search_b)
    assert code_a == code_b == 0 and hits_a["results"] == hits_b["results"] and hits_a["results"]

    code, out, _ = run("--data-dir", str(resumed), *args, env=env)  # a third run changes nothing
    assert code == 0 and json.loads(out)["library"]["added"] == 0 and _library_json(resumed) == _library_json(whole)


def test_ingest_pubmed_dead_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    code, out, err = run("--data-dir", str(tmp_path), "ingest", "pubmed", "--query", MDA5_QUERY, "--max", "5",
                         "--eutils-url", closed_port_url(), env={"CURBSIDE_LIVE_PUBMED__MAX_RETRIES": "1"})
    assert code == 7 and out == ""
    assert err.startswith("Error: PubMed at http://127.0.0.1:") and "could not be reached" in err
    assert "Traceback" not in err


def test_ingest_pubmed_sends_the_api_key_and_identity(tmp_path: Path, server: EutilsServer) -> None:
    code, _, err = run("--data-dir", str(tmp_path), "ingest", "pubmed", "--query", MDA5_QUERY, "--max", "3",
                       "--eutils-url", server.url, "--api-key", "abc123key",
                       env={"CURBSIDE_LIVE_PUBMED__EMAIL": "ops@example.org"})
    assert code == 0, err
    assert server.requests and all(r.params.get("api_key") == "abc123key" and r.params.get("email") == "ops@example.org"
                                   and r.params.get("tool") == "curbside" for r in server.requests)
    assert "abc123key" not in (tmp_path / "pubmed-live.sqlite").read_bytes().decode("latin-1")


# --- ask --live-pubmed -------------------------------------------------------------------------------


def test_query_terms_are_concepts_never_the_patient(fast_index: Path) -> None:
    engine = _engine(fast_index)
    try:
        cases = [
            (QUESTION, CONTEXT),
            (f"{CONTEXT}. Should we add rituximab for his anti-MDA5 dermatomyositis with rapidly progressive ILD?", None),
            ("Mary Jones (DOB 01/02/1961, SSN 123-45-6789) has dermatomyositis with interstitial lung disease: "
             "is rituximab effective?", None),
        ]
        for question, context in cases:
            query = live_query(engine.understand(question, context=context), engine.drug_names)
            assert query.queries
            for sent in query.queries:
                words = set(re.findall(r"[a-z0-9/-]+", sent.lower()))
                assert "dermatomyositis" in words or "rituximab" in words, sent
                assert words.isdisjoint({*PRIVATE_WORDS, "mary", "jones", "1961", "123-45-6789", "his", "dob", "ssn",
                                         "mrn", "phone"}), (sent, question)
            assert {"rituximab", "dermatomyositis"} <= set(re.findall(r"[a-z]+", query.queries[0].lower()))
    finally:
        engine.close()


def test_ask_live_pubmed_fetches_ingests_and_answers(tmp_path: Path, fast_index: Path, server: EutilsServer) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    engine = _engine(data_dir)
    try:
        before = engine.ask(QUESTION, context=CONTEXT)
        assert not any(r.pmid and r.pmid.startswith("39") for r in before.references)  # the index lacked them
        assert server.count() == 0  # off by default

        article = engine.ask(QUESTION, context=CONTEXT, live_pubmed=True, eutils_url=server.url)
    finally:
        engine.close()
    live = article.live_search
    assert live is not None and live.status == LiveSearchStatus.FETCHED and live.fetched
    cited = {r.number: r for r in article.references}
    assert article.live_fetches, "the article cites what was fetched"
    for fetch in article.live_fetches:
        assert cited[fetch.citation].pmid == fetch.pmid and fetch.pmid in live.fetched
        assert fetch.via == "ask" and fetch.query == live.query and fetch.source_url.startswith(server.url)
        assert fetch.fetched_at.endswith("Z")
    assert "Fetched from PubMed on" in to_markdown(article)

    # Only the search terms left the machine: every request the server saw, as received.
    assert [r.endpoint for r in server.requests] == ["esearch", "efetch"]
    term_words = set(re.findall(r"[a-z0-9/-]+", server.requests[0].params["term"].lower()))
    assert {"rituximab", "dermatomyositis"} <= term_words
    assert term_words.isdisjoint(PRIVATE_WORDS), term_words & set(PRIVATE_WORDS)
    received = server.all_text_received().lower()
    for identifier in ("john", "smith", "4482913", "springfield", "3%2f14", "3/14", "mercy", "617-555", "hospital"):
        assert identifier not in received, identifier
    assert set(server.requests[1].params["id"].split(",")) == set(live.fetched)


def test_reasking_the_same_snapshot_without_live_gives_the_same_article(tmp_path: Path, fast_index: Path,
                                                                       server: EutilsServer) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    engine = _engine(data_dir)
    try:
        live = engine.ask(QUESTION, live_pubmed=True, eutils_url=server.url)
    finally:
        engine.close()
    server.requests.clear()
    again = _engine(data_dir)
    try:
        offline = again.ask(QUESTION)
    finally:
        again.close()
    assert server.count() == 0
    first, second = json.loads(live.to_json()), json.loads(offline.to_json())
    assert first.pop("live_search")["status"] == "fetched" and second.pop("live_search") is None
    assert first == second and first["live_fetches"]


def test_no_request_when_the_index_holds_enough(fast_index: Path, tmp_path: Path, server: EutilsServer) -> None:
    engine = _engine(data_dir_with_index(fast_index, tmp_path / "data"))
    try:
        article = engine.ask("Should adults aged 50 to 75 be screened for colorectal cancer?", live_pubmed=True,
                             eutils_url=server.url)
    finally:
        engine.close()
    assert article.live_search is not None and article.live_search.status == LiveSearchStatus.NOT_NEEDED
    assert server.count() == 0 and article.live_fetches == []


def test_ask_live_pubmed_with_a_dead_endpoint_answers_from_the_index(fast_index: Path, tmp_path: Path) -> None:
    data_dir = data_dir_with_index(fast_index, tmp_path / "data")
    code, out, err = run("--data-dir", str(data_dir), "ask", QUESTION, "--context", CONTEXT, "--live-pubmed",
                         "--eutils-url", closed_port_url(), "--format", "json",
                         env={"CURBSIDE_LIVE_PUBMED__MAX_RETRIES": "0"})
    assert code == 0, err
    article = json.loads(out)
    assert article["live_search"]["status"] == "failed"
    assert "could not be reached" in article["live_search"]["message"]
    assert article["bottom_line"] and article["live_fetches"] == []
    code, out, err = run("--data-dir", str(data_dir), "ask", QUESTION, "--live-pubmed", "--eutils-url",
                         closed_port_url(), env={"CURBSIDE_LIVE_PUBMED__MAX_RETRIES": "0"})
    assert code == 0 and "Live PubMed search failed" in out and "Traceback" not in err
    shutil.rmtree(data_dir)

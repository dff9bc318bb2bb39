"""The LLM writer's HTTP path against a real OpenAI-compatible server: llama.cpp (xllamacpp) serving
SmolLM2-135M on loopback (tests/support/llm_server.py).

SmolLM2-135M is a toy model: these tests check the machinery (requests the server accepts, JSON and
schema-constrained answers read back, streamed chunks assembled, an article either written with every kept
claim verified or fallen back to the extractive article), never how good its writing is."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from curbside.settings import EvidenceSettings, LLMWriterSettings
from curbside.understanding import PatientContext
from curbside.writing.article import Article, Bullet, QueryInfo, Quote, Reference, Section, Support, WriterInfo
from curbside.writing.llm import ChatClient, LLMWriter, NumberedPassage, parse_draft, request_messages
from curbside.writing.verification import ClaimVerifier
from support.llm_server import LLMServer

pytestmark = pytest.mark.slow

QUESTION = "What is the first-line antibiotic for acute otitis media in children?"
PASSAGES = {
    "aap-1#0": ("Amoxicillin is the first-line antibiotic for acute otitis media in children. "
                "The recommended dose is 90 mg/kg/day divided into two doses."),
    "aap-1#1": "Observation without antibiotics is an option for children 2 years or older with mild symptoms.",
}


def _settings(server: LLMServer, **overrides: Any) -> LLMWriterSettings:
    # A short answer keeps each request to a few seconds on 2 busy cores; the timeout still bounds a stuck one.
    values: dict[str, Any] = {"base_url": server.base_url, "model": server.model, "max_tokens": 160,
                              "timeout_seconds": 60, "local": True}
    return LLMWriterSettings(**(values | overrides))


def _numbered() -> list[NumberedPassage]:
    return [NumberedPassage(n, pid.split("#")[0], pid, text, 1) for n, (pid, text) in enumerate(PASSAGES.items(), 1)]


def _base_article() -> Article:
    """What the extractive writer would have written: each passage's first sentence, quoted."""
    bullets = []
    for passage_id, text in PASSAGES.items():
        sentence = text.split(". ")[0] + "."
        quote = Quote(doc_id="aap-1", passage_id=passage_id, start=0, end=len(sentence), text=sentence)
        bullets.append(Bullet(text=sentence, citations=[1], quotes=[quote], doc_type="guideline", evidence_level=1,
                              relevance=0.8))
    return Article(
        title=QUESTION, question=QUESTION, bottom_line=bullets[0].text, bottom_line_citations=[1],
        bottom_line_quotes=bullets[0].quotes, evidence_status="sufficient",
        sections=[Section(id="guidelines", heading="From the Guidelines", bullets=bullets)],
        references=[Reference(number=1, doc_id="aap-1", title="Acute otitis media", source="test",
                              doc_type="guideline", doc_type_label="Guideline", evidence_level=1, year=2013)],
        patient_story=PatientContext(), query=QueryInfo(clinical_question=QUESTION, keywords=[], expansions=[],
                                                        mesh_terms=[]),
        corpus_snapshot="test", evidence_scale="Curbside levels 1-5",
        writer=WriterInfo(name="extractive", version="1", preset="default", settings={}), disclaimer="Not advice.",
    )


class _Extractive:
    name = "extractive"

    def write(self, question: str, evidence: Any, **_: Any) -> Article:
        return _base_article()


EVIDENCE: Any = SimpleNamespace(hits=[SimpleNamespace(passage=SimpleNamespace(passage_id=p, text=t))
                                      for p, t in PASSAGES.items()])


def test_the_server_lists_the_model_it_serves(llm_server: LLMServer) -> None:
    models = httpx.get(f"{llm_server.base_url}/models", timeout=10, trust_env=False).json()
    assert llm_server.model in [m["id"] for m in models["data"]]


def test_a_json_request_through_the_chat_client(llm_server: LLMServer) -> None:
    """The writer's own request (its system prompt, JSON passages, response_format json_object) is accepted
    and the answer read back: llama.cpp constrains json_object output, so it parses as one JSON object."""
    client = ChatClient(_settings(llm_server))
    try:
        content = client.complete(request_messages(QUESTION, None, _numbered()))
    finally:
        client.close()
    assert isinstance(json.loads(content), dict), content


def test_an_unknown_route_is_an_http_error_not_a_crash(llm_server: LLMServer) -> None:
    # A base URL without /v1's chat route: the client raises the HTTP error the writer turns into a fallback.
    client = ChatClient(_settings(llm_server, base_url=llm_server.base_url + "/nowhere"))
    try:
        with pytest.raises(httpx.HTTPStatusError):
            client.complete(request_messages(QUESTION, None, _numbered()))
    finally:
        client.close()


def test_an_article_is_written_or_falls_back_and_every_kept_claim_is_verified(llm_server: LLMServer) -> None:
    writer = LLMWriter(_settings(llm_server), EvidenceSettings(), fallback=_Extractive())
    outcome = writer.compose(QUESTION, EVIDENCE, corpus_snapshot="test")
    article, report = outcome.article, outcome.report
    assert report.attempts >= 1
    if report.fallback:
        # The toy model wrote nothing usable or nothing true: the user still gets the extractive article.
        assert article == _base_article() and report.fallback_reason
        return
    assert report.kept >= 1 and report.kept + report.removed + len(report.marked_claims) == report.claims_total
    assert article.writer.name == "llm" and article.writer.settings["model"] == llm_server.model
    passages = {p.number: p.text for p in _numbered()}
    verifier = ClaimVerifier()
    summary = [s for s in article.sections if s.id == "summary"]
    written = [(article.bottom_line, article.bottom_line_quotes)] + [(b.text, b.quotes) for s in summary for b in s.bullets]
    for text, quotes in written:
        # Checked again from scratch: the claim against every passage it could cite, and its quote is the
        # passage's own characters.
        assert verifier.check(text, list(passages), passages).supported, text
        for quote in quotes:
            assert PASSAGES[quote.passage_id][quote.start:quote.end] == quote.text
    for removed in report.removed_claims:
        assert removed["reason"] and removed["text"] not in article.model_dump_json()

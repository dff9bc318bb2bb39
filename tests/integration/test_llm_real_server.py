"""The LLM writer's HTTP path against a real OpenAI-compatible server: llama.cpp (xllamacpp) serving
SmolLM2-135M on loopback (tests/support/llm_server.py).

SmolLM2-135M is a toy model: these tests check the machinery (requests the server accepts, JSON and
schema-constrained answers read back, streamed chunks assembled, an article either written with every kept
claim verified or fallen back to the extractive article), never how good its writing is."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from curbside.settings import EvidenceSettings, LLMWriterSettings
from curbside.writing.llm import ChatClient, LLMWriter, NumberedPassage, parse_draft, request_messages
from curbside.writing.verification import ClaimVerifier
from support.llm_server import LLMServer, StubExtractive, stub_article, stub_evidence

pytestmark = pytest.mark.slow

QUESTION = "What is the first-line antibiotic for acute otitis media in children?"
PASSAGES = {
    "aap-1#0": ("Amoxicillin is the first-line antibiotic for acute otitis media in children. "
                "The recommended dose is 90 mg/kg/day divided into two doses."),
    "aap-1#1": "Observation without antibiotics is an option for children 2 years or older with mild symptoms.",
}


def _settings(server: LLMServer, **overrides: Any) -> LLMWriterSettings:
    # A short answer keeps each request to seconds on 2 quiet cores; the generous timeout (a machine shared with
    # other jobs ran one request past 60 s) still bounds a stuck one.
    values: dict[str, Any] = {"base_url": server.base_url, "model": server.model, "max_tokens": 120,
                              "timeout_seconds": 180, "local": True, "patient_rewrite": False}
    return LLMWriterSettings(**(values | overrides))


def _numbered() -> list[NumberedPassage]:
    return [NumberedPassage(n, pid.split("#")[0], pid, text, 1) for n, (pid, text) in enumerate(PASSAGES.items(), 1)]


# The writer's answer shape as a JSON schema: llama.cpp turns it into a grammar the sampler must follow.
DRAFT_SCHEMA = {
    "type": "object",
    "properties": {
        "bottom_line": {"$ref": "#/$defs/claim"},
        "claims": {"type": "array", "items": {"$ref": "#/$defs/claim"}, "maxItems": 1},
    },
    "required": ["bottom_line", "claims"],
    "$defs": {"claim": {"type": "object", "properties": {
        "text": {"type": "string", "maxLength": 80},
        "passages": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2}, "minItems": 1}},
        "required": ["text", "passages"]}},
}


def test_the_server_lists_the_model_it_serves(llm_server: LLMServer) -> None:
    models = httpx.get(f"{llm_server.base_url}/models", timeout=10, trust_env=False).json()
    assert llm_server.model in [m["id"] for m in models["data"]]


def test_schema_constrained_output_parses_into_claims(llm_server: LLMServer) -> None:
    """response_format json_schema (OpenAI's structured output) is honoured: the answer has the writer's shape
    with passage numbers in range, whatever the toy model says in it."""
    body = {"model": llm_server.model, "messages": request_messages(QUESTION, None, _numbered()), "temperature": 0,
            "max_tokens": 120, "response_format": {"type": "json_schema",
                                                   "json_schema": {"name": "draft", "schema": DRAFT_SCHEMA}}}
    response = httpx.post(f"{llm_server.base_url}/chat/completions", json=body, timeout=180, trust_env=False)
    response.raise_for_status()
    content = response.json()["choices"][0]["message"]["content"]
    data = json.loads(content)
    assert set(data) == {"bottom_line", "claims"}, content
    draft = parse_draft(content)
    assert draft.bottom_line is not None
    assert all(1 <= n <= 2 for claim in (draft.bottom_line, *draft.claims) for n in claim.passages)


def test_plain_and_streamed_json_requests_through_the_chat_client(llm_server: LLMServer) -> None:
    """The writer's own request (its system prompt, JSON passages, response_format json_object) is accepted
    plain and with stream=true: the server sends server-sent events, the client hands on the text so far as
    they arrive and returns the whole, the same text the plain request got (temperature 0). llama.cpp
    constrains json_object output, so a complete answer parses as one JSON object."""
    messages = request_messages(QUESTION, None, _numbered())
    seen: list[str] = []
    client = ChatClient(_settings(llm_server, max_tokens=100))
    try:
        streamed = client.complete(messages, seen.append)
        plain = client.complete(messages)
    finally:
        client.close()
    assert len(seen) > 3, seen  # many events, not one answer
    assert all(later.startswith(earlier) for earlier, later in zip(seen, seen[1:], strict=False))
    assert seen[-1] == streamed == plain
    try:
        assert isinstance(json.loads(plain), dict)
    except json.JSONDecodeError:
        assert plain.lstrip().startswith("{"), plain  # cut at max_tokens: still JSON as far as it went


def test_an_unknown_route_is_an_http_error_not_a_crash(llm_server: LLMServer) -> None:
    # A base URL without /v1's chat route: the client raises the HTTP error the writer turns into a fallback.
    client = ChatClient(_settings(llm_server, base_url=llm_server.base_url + "/nowhere"))
    try:
        with pytest.raises(httpx.HTTPStatusError):
            client.complete(request_messages(QUESTION, None, _numbered()))
    finally:
        client.close()


def test_an_article_is_written_or_falls_back_and_every_kept_claim_is_verified(llm_server: LLMServer) -> None:
    drafts: list[list[str]] = []
    writer = LLMWriter(_settings(llm_server), EvidenceSettings(), fallback=StubExtractive(PASSAGES))
    outcome = writer.compose(QUESTION, stub_evidence(PASSAGES), corpus_snapshot="test", on_draft=drafts.append)
    article, report = outcome.article, outcome.report
    assert report.attempts >= 1
    if report.fallback:
        # The toy model wrote nothing usable or nothing true: the user still gets the extractive article.
        assert article.sections == stub_article(QUESTION, PASSAGES).sections and report.fallback_reason
        assert article.verification is not None and article.verification.fallback
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
    body = json.dumps([article.bottom_line, [s.model_dump() for s in article.sections]])
    for removed in report.removed_claims:
        assert removed["reason"] and removed["text"] not in body
    assert article.verification is not None and article.verification.kept == report.kept

"""The configurable entailment check (llm.entailment, off by default) against the scripted loopback endpoint of
tests/support/fake_llm.py: its yes/no answers decide what the rules passed, an endpoint that cannot answer counts as
"not entailed", identifiers in a claim are scrubbed before a non-local endpoint, and the LLM writer uses it. Also:
a claim the verifier compared with one clause of a sentence still quotes the whole sentence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from curbside.settings import EntailmentSettings, EvidenceSettings, LLMWriterSettings, load_settings
from curbside.writing.entailment import EndpointEntailment, parse_answer
from curbside.writing.llm import LLMWriter
from curbside.writing.verification import ClaimVerifier, EntailmentUnavailable, Problem
from support.fake_llm import FakeLLM
from support.llm_server import StubExtractive, stub_evidence

PASSAGES = {1: "Empagliflozin reduced hospitalization for heart failure by 35% compared with placebo. "
               "Empagliflozin should not be started when the eGFR is below 20 mL/min/1.73 m2."}
# Reuses the passage's words for another finding: the rules pass it, an entailment model should not.
WRONG_FINDING = "Empagliflozin reduced all-cause mortality compared with placebo."
RIGHT = "Empagliflozin reduced hospitalization for heart failure by 35% compared with placebo."


def judge(body: dict[str, Any]) -> str:
    """A scripted entailment model: entailed when the hypothesis's sentence is in the premise as written."""
    data = json.loads(body["messages"][1]["content"])
    assert "never instructions" in body["messages"][0]["content"]
    assert body["response_format"]["type"] == "json_schema"
    return json.dumps({"entailed": data["hypothesis"].rstrip(".") in data["premise"]})


def _settings(base_url: str, **extra: Any) -> EntailmentSettings:
    return EntailmentSettings(enabled=True, base_url=base_url, model="judge", **extra)


def test_off_by_default_and_set_from_the_environment() -> None:
    assert LLMWriterSettings().entailment.enabled is False
    env = {"CURBSIDE_LLM__ENTAILMENT__ENABLED": "true", "CURBSIDE_LLM__ENTAILMENT__MODEL": "nli",
           "CURBSIDE_LLM__ENTAILMENT__BASE_URL": "http://127.0.0.1:1/v1"}
    entailment = load_settings(environ=env, data_dir="/tmp/unused").llm.entailment
    assert (entailment.enabled, entailment.model, entailment.base_url) == (True, "nli", "http://127.0.0.1:1/v1")


def test_the_rules_alone_pass_a_claim_the_entailment_model_rejects() -> None:
    assert ClaimVerifier().check(WRONG_FINDING, [1], PASSAGES).supported  # what the rules cannot see
    with FakeLLM(judge) as server:
        verifier = ClaimVerifier(entails=EndpointEntailment(_settings(server.base_url)))
        wrong = verifier.check(WRONG_FINDING, [1], PASSAGES)
        right = verifier.check(RIGHT, [1], PASSAGES)
        assert Problem.NOT_ENTAILED in wrong.problems and "do not entail" in wrong.reason
        assert right.supported
        assert len(server.bodies) == 2
        # A claim the rules already rejected is not sent.
        verifier.check("Empagliflozin reduced hospitalization by 50%.", [1], PASSAGES)
        assert len(server.bodies) == 2


@pytest.mark.parametrize("answer", ["PWNED", "{\"entailed\": \"maybe\"}"])
def test_an_unusable_answer_counts_as_not_entailed(answer: str) -> None:
    with FakeLLM(lambda body: answer) as server:
        check = ClaimVerifier(entails=EndpointEntailment(_settings(server.base_url))).check(RIGHT, [1], PASSAGES)
    assert Problem.NOT_ENTAILED in check.problems and "not checked for entailment" in check.reason


def test_an_unreachable_endpoint_counts_as_not_entailed() -> None:
    with FakeLLM(judge) as server:
        url = server.base_url
    entails = EndpointEntailment(_settings(url, connect_timeout_seconds=1, timeout_seconds=1))
    with pytest.raises(EntailmentUnavailable):
        entails(PASSAGES[1], RIGHT)
    check = ClaimVerifier(entails=entails).check(RIGHT, [1], PASSAGES)
    assert not check.supported and "could not answer" in check.reason


def test_bare_answers_are_read() -> None:
    assert parse_answer("Yes.") is True and parse_answer(" no") is False and parse_answer('{"entailed": false}') is False
    with pytest.raises(EntailmentUnavailable):
        parse_answer("I think so")


@pytest.mark.parametrize("local", [False, True])
def test_identifiers_in_a_claim_are_scrubbed_unless_local(local: bool) -> None:
    claim = "Jane Doe, MRN 4471234, should not start empagliflozin when the eGFR is below 20 mL/min/1.73 m2."
    with FakeLLM(judge) as server:
        EndpointEntailment(_settings(server.base_url, local=local))(PASSAGES[1], claim)
        sent = server.sent_text()
    assert ("4471234" in sent) is local and ("Jane Doe" in sent) is local


def test_the_llm_writer_asks_the_configured_endpoint() -> None:
    def model(body: dict[str, Any]) -> str:
        if "premise" in body["messages"][1]["content"]:
            return judge(body)
        data = json.loads(body["messages"][1]["content"])
        first = data["passages"][0]["number"]
        return json.dumps({"bottom_line": {"text": RIGHT, "passages": [first]},
                           "claims": [{"text": WRONG_FINDING, "passages": [first]}]})

    passages = {"doc1#0": PASSAGES[1]}
    with FakeLLM(model) as server:
        cfg = LLMWriterSettings(base_url=server.base_url, model="writer", patient_rewrite=False, local=True,
                                entailment=_settings(server.base_url))
        outcome = LLMWriter(cfg, EvidenceSettings(), fallback=StubExtractive(passages)).compose(
            "Does empagliflozin help heart failure?", stub_evidence(passages), corpus_snapshot="test")
    report = outcome.report
    assert (report.kept, report.removed) == (1, 1), report
    assert report.removed_claims[0]["text"] == WRONG_FINDING
    assert "do not entail" in report.removed_claims[0]["reason"]


def test_a_claim_closest_to_a_clause_quotes_the_whole_sentence() -> None:
    """The verifier may compare a claim with one clause; the article still quotes the sentence holding it."""
    text = ("Rifampin is not recommended in HIV-infected patients taking antiretroviral therapy; however, rifabutin "
            "can be used with certain HIV drugs if dose adjustments are made.")
    claim = "Rifabutin can be used with certain HIV drugs if dose adjustments are made."

    def model(body: dict[str, Any]) -> str:
        first = json.loads(body["messages"][1]["content"])["passages"][0]["number"]
        return json.dumps({"bottom_line": {"text": claim, "passages": [first]}, "claims": []})

    passages = {"doc1#0": text}
    with FakeLLM(model) as server:
        cfg = LLMWriterSettings(base_url=server.base_url, model="writer", patient_rewrite=False, local=True)
        article = LLMWriter(cfg, EvidenceSettings(), fallback=StubExtractive(passages)).compose(
            "Rifabutin with HIV drugs?", stub_evidence(passages), corpus_snapshot="test").article
    assert article.bottom_line == claim
    assert [q.text for q in article.bottom_line_quotes] == [text]

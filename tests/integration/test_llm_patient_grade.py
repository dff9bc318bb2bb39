"""The LLM writer's patient pass over real HTTP (the scripted loopback endpoint, tests/support/fake_llm.py): it asks
for grade 6 to 8, checks every returned sentence against the passages its text cites, keeps the facts of the text it
rewords, and sends sentences still above grade 8 back once for a simpler wording."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from curbside.settings import EvidenceSettings, LLMWriterSettings
from curbside.writing.audience import view_for_audience
from curbside.writing.llm import PATIENT_PROMPT, SIMPLER_PROMPT, LLMWriter, Outcome
from curbside.writing.readability import readability
from support.fake_llm import FakeLLM
from support.llm_server import StubExtractive, stub_evidence

ASPIRIN = ("The USPSTF recommends against initiating low-dose aspirin for primary prevention of cardiovascular "
           "disease in adults 60 years or older.")
AMOXICILLIN = "Amoxicillin is the first-line antibiotic for acute otitis media in children."
PASSAGES = {"uspstf-1#0": ASPIRIN,
            "aap-1#0": AMOXICILLIN + " The recommended dose is 90 mg/kg/day divided into two doses."}

# Verified, but above grade 8 (12.3 and 8.8): each is sent back once.
ASPIRIN_HARD = "Adults 60 years or older should not begin taking low-dose aspirin to prevent cardiovascular disease."
AMOXICILLIN_HARD = "Amoxicillin is the first drug for a middle ear infection in children."
# At grade 8 or below and verified.
ASPIRIN_PLAIN = "Adults 60 years or older should not start low-dose aspirin."
AMOXICILLIN_PLAIN = "Amoxicillin is first. It is for children with a middle ear infection."

Rewrites = dict[str, str]


def scripted(first: Rewrites, simpler: Rewrites) -> Callable[[dict[str, Any]], str]:
    """The claims request answered with the aspirin bottom line and the amoxicillin claim; each rewrite request
    answered from ``first`` (grade 6 to 8 asked) or ``simpler`` (sentences sent back), by the text sent, echoing
    what neither names."""

    def model(body: dict[str, Any]) -> str:
        system, data = body["messages"][0]["content"], json.loads(body["messages"][1]["content"])
        if "passages" in data:
            return json.dumps({"bottom_line": {"text": ASPIRIN, "passages": [1]},
                               "claims": [{"text": AMOXICILLIN, "passages": [2]}]})
        table = simpler if system == SIMPLER_PROMPT else first
        return json.dumps({"claims": [{"number": c["number"], "text": table.get(c["text"], c["text"])}
                                      for c in data["claims"]]})

    return model


def write(endpoint: FakeLLM) -> Outcome:
    settings = LLMWriterSettings(base_url=endpoint.base_url, model="scripted", local=True, stream=False)
    writer = LLMWriter(settings, EvidenceSettings(), fallback=StubExtractive(PASSAGES))
    return writer.compose("aspirin and amoxicillin?", stub_evidence(PASSAGES), corpus_snapshot="test")


def rewrite_requests(endpoint: FakeLLM) -> list[tuple[str, list[str]]]:
    out = []
    for body in endpoint.bodies[1:]:
        data = json.loads(body["messages"][1]["content"])
        out.append((body["messages"][0]["content"], [c["text"] for c in data["claims"]]))
    return out


def test_sentences_above_grade_8_are_sent_back_once_and_a_simpler_checked_wording_replaces_them() -> None:
    first = {ASPIRIN: ASPIRIN_HARD, AMOXICILLIN: AMOXICILLIN_HARD}
    with FakeLLM(scripted(first, {ASPIRIN_HARD: ASPIRIN_PLAIN, AMOXICILLIN_HARD: AMOXICILLIN_PLAIN})) as endpoint:
        outcome = write(endpoint)
    requests = rewrite_requests(endpoint)
    # The bottom line, the summary's claim and the two quoted bullets (the same two texts: each asked once); then
    # only the sentences above grade 8.
    assert requests[0] == (PATIENT_PROMPT, [ASPIRIN, AMOXICILLIN])
    assert "grade 6 to 8" in PATIENT_PROMPT and "at most 15 words" in PATIENT_PROMPT
    assert requests[1] == (SIMPLER_PROMPT, [ASPIRIN_HARD, AMOXICILLIN_HARD])
    assert len(requests) == 2  # sent back once, not again
    article = outcome.article
    counts = outcome.report.patient_rewrite
    assert counts is not None
    assert (counts.claims_total, counts.kept, counts.sent_back_for_grade, counts.simplified) == (4, 4, 4, 4)
    # Every sentence checked one by one: 4 first wordings of one sentence, 4 simpler ones (1 + 2 sentences each).
    assert (counts.sentences_checked, counts.sentences_kept) == (10, 10)
    assert article.bottom_line_plain == ASPIRIN_PLAIN
    assert [b.plain_text for s in article.sections for b in s.bullets] == [
        AMOXICILLIN_PLAIN, ASPIRIN_PLAIN, AMOXICILLIN_PLAIN]
    # The patient reads the plain wordings; the sources' words stay behind the quotes.
    view = view_for_audience(article, "patient")
    assert view.readability.flesch_kincaid_grade <= 8.0
    assert all(readability(b.text).flesch_kincaid_grade <= 8.0 for s in view.article.sections for b in s.bullets)
    assert {q.text for s in view.article.sections for b in s.bullets for q in b.quotes} == {ASPIRIN, AMOXICILLIN}


# A first sentence that is true, then one that is not: as a whole each passes the verifier (the contradiction's
# negations cancel out; the wrong dose aside), sentence by sentence it does not.
CONTRADICTION = (ASPIRIN_PLAIN + " Low-dose aspirin is advised for primary prevention in adults 60 years or older.")
WRONG_DOSE = "Amoxicillin is first. The dose is 900 mg/kg/day."


@pytest.mark.parametrize(("target", "wrong", "why", "kept_plain"), [
    (ASPIRIN, CONTRADICTION, "negated in one and not the other", AMOXICILLIN_PLAIN),
    (AMOXICILLIN, WRONG_DOSE, "'900 mg/kg/day' is not in passage", ASPIRIN_PLAIN),
])
def test_a_wording_with_one_unsupported_sentence_is_not_used_at_all(target: str, wrong: str, why: str,
                                                                     kept_plain: str) -> None:
    first = {ASPIRIN: ASPIRIN_PLAIN, AMOXICILLIN: AMOXICILLIN_PLAIN} | {target: wrong}
    with FakeLLM(scripted(first, {})) as endpoint:
        outcome = write(endpoint)
    counts = outcome.report.patient_rewrite
    assert counts is not None and (counts.kept, counts.removed) == (2, 2)
    assert all(why in c.reason and c.text == wrong for c in counts.removed_claims)
    article = outcome.article
    plain = [article.bottom_line_plain] + [b.plain_text for s in article.sections for b in s.bullets]
    # The bottom line and the quoted bullets are aspirin, amoxicillin, aspirin, amoxicillin.
    assert plain == [None if t == target else kept_plain for t in (ASPIRIN, AMOXICILLIN, ASPIRIN, AMOXICILLIN)]
    shown = json.dumps(view_for_audience(article, "patient").article.model_dump(exclude={"verification"}))
    assert wrong.split(". ")[1].rstrip(".") not in shown
    # The plain wordings kept were at grade 8 or below: nothing was sent back.
    assert [system for system, _ in rewrite_requests(endpoint)] == [PATIENT_PROMPT]


def test_a_wording_that_leaves_out_the_age_the_people_or_the_subject_is_not_used() -> None:
    # Each is supported by the passage (nothing false), but each loses what makes the statement true.
    first = {ASPIRIN: "Do not start low-dose aspirin.",  # for whom? the age and the adults are gone
             AMOXICILLIN: "It is the first drug for a middle ear infection in children."}  # which drug?
    with FakeLLM(scripted(first, {})) as endpoint:
        outcome = write(endpoint)
    counts = outcome.report.patient_rewrite
    assert counts is not None and counts.kept == 0
    reasons = [c.reason for c in counts.removed_claims]
    assert "left out the number 60, who it is about ('adults')" in reasons[0]
    assert "opens with a pronoun" in reasons[1]
    assert outcome.article.bottom_line_plain is None


def test_a_wording_that_repeats_itself_or_runs_other_claims_in_is_not_used() -> None:
    # Every sentence is true of the passage, but neither is a rewording of its text: a model looping, and one that
    # adds the passage's other sentences.
    first = {ASPIRIN: ASPIRIN_PLAIN + " " + ASPIRIN_PLAIN,
             AMOXICILLIN: AMOXICILLIN_PLAIN + " The recommended dose is 90 mg/kg/day. It is divided into two doses. "
                          "Amoxicillin is the first-line antibiotic for acute otitis media in children."}
    with FakeLLM(scripted(first, {})) as endpoint:
        outcome = write(endpoint)
    counts = outcome.report.patient_rewrite
    assert counts is not None and counts.kept == 0
    reasons = [c.reason for c in counts.removed_claims]
    assert reasons[0] == "it repeats itself" and "not a rewording of it" in reasons[1]


class TwoSentenceBullet(StubExtractive):
    """The stub article, with the amoxicillin bullet quoting both sentences of its passage."""

    def write(self, question: str, evidence: Any, **kwargs: Any) -> Any:
        article = super().write(question, evidence, **kwargs)
        whole = PASSAGES["aap-1#0"]
        bullets = [b.model_copy(update={"text": whole, "quotes": [b.quotes[0].model_copy(update={
            "end": len(whole), "text": whole})]}) if b.quotes[0].passage_id == "aap-1#0" else b
            for b in article.sections[0].bullets]
        return article.model_copy(update={"sections": [article.sections[0].model_copy(update={"bullets": bullets})]})


def test_each_sentence_of_a_text_is_reworded_alone_and_a_failing_one_stays_as_written() -> None:
    dose = "The recommended dose is 90 mg/kg/day divided into two doses."
    first = {ASPIRIN: ASPIRIN_PLAIN, AMOXICILLIN: AMOXICILLIN_PLAIN, dose: "The dose is 900 mg/kg/day."}
    with FakeLLM(scripted(first, {})) as endpoint:
        settings = LLMWriterSettings(base_url=endpoint.base_url, model="scripted", local=True, stream=False)
        writer = LLMWriter(settings, EvidenceSettings(), fallback=TwoSentenceBullet(PASSAGES))
        outcome = writer.compose("aspirin and amoxicillin?", stub_evidence(PASSAGES), corpus_snapshot="test")
    # The two-sentence bullet was sent as two sentences (each distinct sentence once).
    assert rewrite_requests(endpoint)[0] == (PATIENT_PROMPT, [ASPIRIN, AMOXICILLIN, dose])
    counts = outcome.report.patient_rewrite
    # Units: the bottom line, the summary's claim, the aspirin bullet and the two sentences of the amoxicillin one.
    assert counts is not None and (counts.claims_total, counts.kept, counts.removed) == (5, 4, 1)
    assert "'900 mg/kg/day' is not in passage" in counts.removed_claims[0].reason
    bullet = next(b for s in outcome.article.sections for b in s.bullets if b.quotes[0].passage_id == "aap-1#0"
                  and s.id != "summary")
    assert bullet.plain_text == AMOXICILLIN_PLAIN + " " + dose  # the wrong dose never shown; the sentence as written


def test_a_wording_that_reads_harder_than_the_rules_wording_is_not_used() -> None:
    # True, but harder to read (grade 14.7) than the patient view's rules make the sentence itself (13.4).
    harder = "In children with acute otitis media, amoxicillin is the first-line antibiotic medication."
    with FakeLLM(scripted({ASPIRIN: ASPIRIN_PLAIN, AMOXICILLIN: harder}, {})) as endpoint:
        outcome = write(endpoint)
    counts = outcome.report.patient_rewrite
    assert counts is not None and (counts.kept, counts.removed) == (2, 2)
    assert all(c.reason == "reads harder than the sentence (grade 14.7 against 13.4)" for c in counts.removed_claims)
    assert [b.plain_text for s in outcome.article.sections for b in s.bullets] == [None, ASPIRIN_PLAIN, None]


def test_a_simpler_wording_that_fails_its_checks_or_reads_no_easier_keeps_the_first() -> None:
    first = {ASPIRIN: ASPIRIN_HARD, AMOXICILLIN: AMOXICILLIN_HARD}
    simpler = {ASPIRIN_HARD: "Adults 60 years or older should start low-dose aspirin.",  # the negation is lost
               AMOXICILLIN_HARD: "Amoxicillin is the first antibiotic for a middle ear infection in children."}  # harder
    with FakeLLM(scripted(first, simpler)) as endpoint:
        outcome = write(endpoint)
    counts = outcome.report.patient_rewrite
    assert counts is not None and (counts.kept, counts.sent_back_for_grade, counts.simplified) == (4, 4, 0)
    assert outcome.article.bottom_line_plain == ASPIRIN_HARD
    assert [b.plain_text for s in outcome.article.sections for b in s.bullets] == [
        AMOXICILLIN_HARD, ASPIRIN_HARD, AMOXICILLIN_HARD]


@pytest.mark.slow
def test_with_a_real_model_every_kept_patient_sentence_is_checked(llm_server: Any) -> None:
    # SmolLM2-135M (a toy model, tests/support/llm_server.py) over llama.cpp's HTTP server rewords an extractive
    # article's two texts (its bottom line and its bullet: the patient pass alone, two or three short requests).
    # Whatever it writes, a patient wording is kept only when each of its sentences passes the verifier against the
    # passage its text cites and it keeps the facts of what it rewords; the counts add up.
    from curbside.corpus.text import sentences
    from curbside.writing.llm import ChatClient, VerificationReport, numbered_passages
    from curbside.writing.plain_language import lost_facts
    from curbside.writing.verification import ClaimVerifier
    from support.llm_server import stub_article

    passages = {"aap-1#0": PASSAGES["aap-1#0"]}
    settings = LLMWriterSettings(base_url=llm_server.base_url, model=llm_server.model, local=True, max_tokens=160,
                                 timeout_seconds=180)
    writer = LLMWriter(settings, EvidenceSettings(), fallback=StubExtractive(passages))
    article = stub_article("first antibiotic for ear infections in children?", passages)
    report = VerificationReport()
    client = ChatClient(settings)
    try:
        article = writer._patient_rewrite(client, article, numbered_passages(article, passages), passages, report)
    finally:
        client.close()
    counts = report.patient_rewrite
    if counts is None:
        return  # no usable answer came back: the rules word the patient view
    assert counts.claims_total == 2 and counts.kept + counts.removed == 2
    assert counts.simplified <= counts.sent_back_for_grade and counts.sentences_kept <= counts.sentences_checked
    verifier = ClaimVerifier()
    texts = [(article.bottom_line, article.bottom_line_plain)] + [
        (b.text, b.plain_text) for s in article.sections for b in s.bullets]
    assert sum(plain is not None for _, plain in texts) == counts.kept
    for source, plain in texts:
        if plain is None:
            continue
        assert not lost_facts(source, plain), (source, plain)
        for sentence in sentences(plain):
            # Checked again from scratch against the passage.
            assert verifier.check(sentence, [1], {1: passages["aap-1#0"]}).supported, sentence

"""The patient view changes wording, not facts: on real articles (tests/fixtures/patient_view_articles.json) its
citations, quotes, doses and negations equal the clinician view's, every reworded sentence is checked against the
text it rewords (writing/verification.py, through the one lay vocabulary), and a rewording that fails the check
is never shown: the text is shown as written instead."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

import curbside.writing.audience as audience
from curbside.corpus.text import sentences
from curbside.writing.article import Article
from curbside.writing.audience import view_for_audience
from curbside.writing.plain_language import _strip_reference_marks, _strip_statistics
from curbside.writing.verification import ClaimVerifier, quantities

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patient_view_articles.json"
ARTICLES = {q: Article.model_validate(a) for q, a in json.loads(FIXTURES.read_text(encoding="utf-8")).items()}
_NEGATIONS = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot)\b|n't\b", re.IGNORECASE)


def _key(bullet: object) -> tuple[object, ...]:
    return (tuple(bullet.citations), tuple((q.passage_id, q.start, q.end) for q in bullet.quotes))  # type: ignore[attr-defined]


def _facts(text: str) -> tuple[Counter[tuple[float, str | None]], bool]:
    """Numbers with their units (statistical asides and reference marks aside) and whether it negates."""
    kept = _strip_reference_marks(_strip_statistics(text))
    return Counter((q.value, q.unit) for q in quantities(kept)), bool(_NEGATIONS.search(text))


@pytest.mark.parametrize("question", sorted(ARTICLES))
def test_the_patient_view_states_the_clinician_views_facts(question: str) -> None:
    article = ARTICLES[question]
    clinician = view_for_audience(article, "physician").article
    patient = view_for_audience(article, "patient").article
    assert patient.bottom_line_citations == clinician.bottom_line_citations
    assert patient.references == clinician.references
    by_key = {_key(b): b for s in clinician.sections for b in s.bullets}
    shown = [b for s in patient.sections for b in s.bullets]
    assert sorted(map(_key, shown)) == sorted(by_key)  # no bullet added or dropped, citations and quotes as they were
    for bullet in shown:
        source = by_key[_key(bullet)]
        assert (bullet.citations, bullet.quotes, bullet.grade) == (source.citations, source.quotes, source.grade)
        numbers, negates = _facts(source.text)
        found, patient_negates = _facts(bullet.text)
        assert not numbers - found, (source.text, bullet.text)  # every number and dose, with its unit
        assert negates <= patient_negates, (source.text, bullet.text)
        assert bullet.reworded or bullet.text == source.text  # a reworded text is never shown as the quote


@pytest.mark.parametrize("question", sorted(ARTICLES))
def test_every_reworded_sentence_is_supported_by_the_text_it_rewords(question: str) -> None:
    article = ARTICLES[question]
    view = view_for_audience(article, "patient")
    checks = view.sentence_checks
    assert checks is not None and checks.checked > 0 and checks.kept + (checks.checked - checks.kept) == checks.checked
    verifier = ClaimVerifier()
    by_key = {_key(b): b.text for s in article.sections for b in s.bullets}
    for section in view.article.sections:
        for bullet in section.bullets:
            source = by_key[_key(bullet)]
            for sentence in sentences(bullet.text):
                if verifier.check(sentence, [1], {1: source}).supported:
                    continue
                # Only what a term or a grade means (from the glossary) may not be in the source.
                assert re.match(r"^(?:\w[\w -]*) (?:is|are|means) |^(?:Grade [A-D]|An I statement) means ", sentence), (
                    sentence, source)
    assert view_for_audience(article, "physician").sentence_checks is None


def test_a_rewording_that_fails_the_check_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    article = ARTICLES["hepatitis C screening"]
    original = audience.PlainLanguage.__call__

    def wrong_numbers(self: object, text: str, **options: bool) -> str:
        return re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) * 2 + 1), original(self, text, **options))  # type: ignore[arg-type]

    monkeypatch.setattr(audience.PlainLanguage, "__call__", wrong_numbers)
    view = view_for_audience(article, "patient")
    by_key = {_key(b): b.text for s in article.sections for b in s.bullets}
    dosed = [b for s in view.article.sections for b in s.bullets if re.search(r"\d", by_key[_key(b)])]
    assert dosed, "the fixture has numbers"
    for bullet in dosed:
        assert bullet.text == by_key[_key(bullet)]  # shown as written: the changed number never reaches the reader
    assert view.sentence_checks is not None and view.sentence_checks.reverted_texts >= len(dosed)


def _one_bullet(text: str) -> Article:
    from curbside.understanding import PatientContext
    from curbside.writing.article import Bullet, QueryInfo, Reference, Section, WriterInfo

    bullet = Bullet(text=text, citations=[1], quotes=[], doc_type="guideline", evidence_level=1, relevance=0.9)
    return Article(
        title="q", question="q", bottom_line="x", evidence_status="sufficient",
        sections=[Section(id="guidelines", heading="G", bullets=[bullet])],
        references=[Reference(number=1, doc_id="d", title="S", source="test", doc_type="guideline",
                              doc_type_label="Guideline", evidence_level=1, year=2020)],
        patient_story=PatientContext(), query=QueryInfo(clinical_question="q", keywords=[], expansions=[], mesh_terms=[]),
        corpus_snapshot="test", evidence_scale="Curbside levels 1-5",
        writer=WriterInfo(name="extractive", version="1", preset="default", settings={}), disclaimer="Not advice.",
    )


def test_a_split_the_check_cannot_confirm_is_undone_and_the_plain_words_stay() -> None:
    # Cut at ", and", the second sentence would stand without the first one's "no" and fail its check against the
    # sentence; the text is worded again with its sentence whole: plain words ("helpful"), nothing reverted.
    source = ("Any breastfeeding appears to be more beneficial than no breastfeeding, and longer breastfeeding gives "
              "greater benefits than shorter breastfeeding.")
    view = view_for_audience(_one_bullet(source), "patient")
    shown = view.article.sections[0].bullets[0].text
    assert shown == ("Any breastfeeding appears to be more helpful than no breastfeeding, and longer breastfeeding "
                     "gives greater benefits than shorter breastfeeding.")
    checks = view.sentence_checks
    assert checks is not None and (checks.resplit_texts, checks.reverted_texts) == (1, 0)
    # The cut itself is what failed: its second sentence, alone, is not supported by the source sentence.
    cut = "Longer breastfeeding gives greater benefits than shorter breastfeeding."
    assert not ClaimVerifier().check(cut, [1], {1: source}).supported


def test_only_the_sentence_whose_rewording_fails_is_shown_as_written() -> None:
    # "gestational diabetes" reads "diabetes in pregnancy", a population the source sentence does not name as a word:
    # that sentence is shown as written; the other sentence of the same text keeps its plain words.
    view = view_for_audience(_one_bullet("Metformin has a beneficial effect on weight. Metformin was effective in "
                                         "persons with a history of gestational diabetes."), "patient")
    assert view.article.sections[0].bullets[0].text == (
        "Metformin has a helpful effect on weight. Metformin was effective in persons with a history of gestational "
        "diabetes.")
    assert view.sentence_checks is not None and view.sentence_checks.reverted_texts == 1

"""The entry point of question understanding: :func:`understand` reads a question once, into one
:class:`UnderstoodQuestion` that retrieval, evidence and writing all use.

It holds the story / question split (:mod:`~curbside.understanding.story`), the keywords and concept
groups, the expansions (abbreviations, brands, MeSH names: :mod:`~curbside.understanding.expansions`;
spelling: :mod:`~curbside.understanding.spelling`), the MeSH terms, the question type
(:mod:`~curbside.understanding.question_type`) and the patient (:class:`PatientContext`, with the
medications: :mod:`~curbside.understanding.patient_context`). Rule-based, deterministic, no I/O: the data it
needs from the index (the :class:`Lexicon`, the :class:`DrugNames`, the spelling vocabulary) is handed in,
built once per engine (:mod:`curbside.retrieval.lexicons` builds them from an index).

Keywords and concept groups
---------------------------
``keywords`` are the content tokens of the clinical question without question framing (what, should,
next, step, best, recommended, standard, care, plan ...), person nouns (patient, woman ...), ages,
numbers and dose units. ``concept_groups()`` gives one group per keyword: ``(keyword,)``, or for an
abbreviation or brand ``(term, *content words of its expansion)``, so that a scorer can tell how many
of the question's concepts a sentence covers (it has the head, or all the expansion words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curbside.corpus.text import content_tokens, normalize, sentences, tokenize
from curbside.understanding.answer_intent import AnswerIntent, classify_intent
from curbside.understanding.expansions import Expansion, find_expansions
from curbside.understanding.lexicon import SALT_AND_FORM_WORDS, WORD_TOKEN, Lexicon
from curbside.understanding.patient_context import DrugNames, PatientContext, extract_patient_context
from curbside.understanding.question_type import QuestionType, QuestionTypeResult, explain_question_type
from curbside.understanding.spelling import SpellingCorrector
from curbside.understanding.story import (
    DEMOGRAPHIC_CUE,
    KEYWORD_TOKEN,
    dedupe,
    extract_age,
    extract_sex,
    history_items,
    keywords,
    medication_phrases,
    split_story,
)

__all__ = ["UnderstoodQuestion", "understand"]


@dataclass(frozen=True)
class UnderstoodQuestion:
    """One question, read once (see the module docstring)."""

    original: str  # the question as asked (without the patient context given apart)
    context: str | None  # patient context given apart from the question, as given
    clinical_question: str
    story: str  # the story sentences (patient context first), normalised
    keywords: tuple[str, ...]
    expansions: tuple[Expansion, ...]  # abbreviation, brand, mesh, then spelling
    mesh_terms: tuple[str, ...]
    question_type: QuestionTypeResult  # the type, with the scores and cues that decided it
    patient: PatientContext
    intent: AnswerIntent = AnswerIntent.OTHER  # the kind of answer wanted (answer_intent.py)

    @property
    def type(self) -> QuestionType:
        return self.question_type.question_type

    def search_text(self) -> str:
        """The clinical question, then each expansion text once (in order), for BM25 and embedding."""
        parts = [self.clinical_question]
        seen = {self.clinical_question.lower()}
        question = self.clinical_question.lower()
        for expansion in self.expansions:
            text = expansion.expansion
            key = text.lower()
            if key in seen or key in question:
                continue
            seen.add(key)
            parts.append(text)
        return " ".join(p for p in parts if p)

    def concept_groups(self) -> list[tuple[str, ...]]:
        """One group per keyword, in keyword order: ``(head, *expansion words)``.

        An ordinary keyword gives ``(keyword,)``. A keyword that is, or holds, an abbreviation or a brand
        gives ``(term, *content words of its expansion)``: the term as written, lower-cased ("mda5" for
        "anti-MDA5+", "rituxan hycela"), then the words of the expansion without parenthesised parts
        (for an ambiguous abbreviation, its first remaining expansion only), so that a sentence covers the
        concept when it has the head, or all the expansion words. A multi-word brand is one group at its
        first word; a keyword holding two abbreviations ("mda5-dm") gives one group for each.
        """
        terms: dict[str, list[Expansion]] = {}
        for expansion in self.expansions:
            if expansion.kind in ("abbreviation", "brand", "spelling"):
                terms.setdefault(expansion.term, []).append(expansion)
        term_tokens = {term: tuple(tokenize(term)) for term in terms}
        keyword_set = set(self.keywords)
        consumed: set[str] = set()
        groups: list[tuple[str, ...]] = []
        for keyword in self.keywords:
            if keyword in consumed:
                continue
            hits: list[str] = []
            for term, toks in term_tokens.items():
                if len(toks) == 1 and _token_contains(keyword, toks[0]):
                    hits.append(term)
                elif len(toks) > 1 and toks[0] == keyword:
                    hits.append(term)
                    consumed.update(t for t in toks[1:] if t in keyword_set)
            if not hits:
                groups.append((keyword,))
                continue
            for term in hits:
                group = _group(term_tokens[term], terms[term][0].expansion)
                if group not in groups:
                    groups.append(group)
        return groups


def _token_contains(keyword: str, token: str) -> bool:
    return keyword == token or f"-{token}-" in f"-{keyword}-"


_PARENS = re.compile(r"\([^)]*\)")


def _group(term_tokens: tuple[str, ...], expansion: str) -> tuple[str, ...]:
    out = [" ".join(term_tokens)]
    for token in content_tokens(_PARENS.sub(" ", expansion)):
        if token not in out and token not in SALT_AND_FORM_WORDS:
            out.append(token)
    return tuple(out)


def _intent(clinical: str, question_type: QuestionType, patient: PatientContext) -> AnswerIntent:
    """The answer intent; tests asked for a patient on a drug ("what eye screening on hydroxychloroquine?") are
    that drug's monitoring."""
    intent = classify_intent(clinical, question_type)
    if intent == AnswerIntent.TESTS and (patient.current_therapies or patient.medications):
        return AnswerIntent.MONITORING
    return intent


def understand(
    question: str,
    context: str | None = None,
    *,
    lexicon: Lexicon,
    drug_names: DrugNames | None = None,
    speller: SpellingCorrector | None = None,
) -> UnderstoodQuestion:
    """Read a question once: story and clinical question, keywords, expansions, MeSH terms, question type and
    patient context.

    ``context`` is patient context given apart from the question (the web app's "patient context" field):
    all of it is patient story, never part of the clinical question, though it helps disambiguation.
    ``drug_names`` reads the patient's structured context (conditions, findings, medications); without it
    only the age, sex and history are read (enough for a plain search). ``speller`` adds ``spelling``
    expansions for keywords that neither the lexicon nor the index knows.
    """
    question_text = normalize(question or "")
    clinical, story_parts = split_story(question_text)
    context_text = normalize(context or "")
    text = f"{context_text} {question_text}".strip() if context_text else question_text
    if context_text:
        story_parts = sentences(context_text) + story_parts

    # History, from the story sentences (or, without a story, from the sentences with demographics).
    history: list[str] = []
    story_medications: list[str] = []
    demographic_sentences = list(story_parts)
    if not story_parts:
        demographic_sentences = [s for s in sentences(text) if DEMOGRAPHIC_CUE.search(s)]
    for sentence in demographic_sentences:
        history.extend(history_items(sentence))
        story_medications.extend(medication_phrases(sentence, lexicon))
    on_medication = {m.lower() for m in story_medications}  # "on X" is a drug, not history
    patient_history = [h for h in dedupe(history) if h.lower() not in on_medication]
    if drug_names is not None:
        patient = extract_patient_context(text, drug_names, history=patient_history)
    else:
        sex = extract_sex(text)
        patient = PatientContext(
            age=extract_age(text), sex=sex if sex in ("female", "male") else None, history=patient_history
        )

    lowered = text.lower()
    context_words = set(WORD_TOKEN.findall(lowered)) | set(KEYWORD_TOKEN.findall(lowered))
    expansions, mesh_terms = find_expansions(clinical, text, lexicon, context_words)
    question_keywords = keywords(clinical)
    if speller is not None:
        expanded = {e.term.lower() for e in expansions}
        for keyword in question_keywords:
            if keyword in expanded or lexicon.is_known_word(keyword):
                continue
            fixed = speller.correct(keyword)
            if fixed and fixed != keyword:
                expansions.append(Expansion(term=keyword, expansion=fixed, kind="spelling"))
    question_type = explain_question_type(text)
    return UnderstoodQuestion(
        original=question,
        context=context,
        clinical_question=clinical,
        story=" ".join(story_parts),
        keywords=question_keywords,
        expansions=tuple(expansions),
        mesh_terms=tuple(mesh_terms),
        question_type=question_type,
        patient=patient,
        intent=_intent(clinical, question_type.question_type, patient),
    )

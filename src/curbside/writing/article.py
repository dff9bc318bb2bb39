"""The Article: Curbside's answer, as a versioned JSON schema (``ARTICLE_SCHEMA_VERSION``).

This is the contract that renderers, the web app and later writers build on. A statement is quoted or
derived. A quoted one carries the quotes that support it; a quote's ``text`` is exactly
``passage.text[start:end]`` of the passage it names. A derived one (``support`` ``derived``: Curbside wrote
it from a template) carries no quotes as its text, but the facts it was built from (``DerivedFact``), each
with its reference number and, where read from a passage, its quote. Change the schema only by adding
fields, or bump the major version.

The schema owns its types: each enumeration is defined once, in the lowest layer that produces it
(``DocType`` in corpus, ``QuestionType`` in understanding, ``Certainty``, ``EvidenceStatus``,
``Classification``, ``LabelStatus``, ``Determination`` and ``DoseStatus`` in evidence, ``Support`` here),
and imported here; a ``StrEnum`` serialises as its value, so the JSON is plain strings. Where the article
adds writer-only fields (citation numbers), the producing layer's type has its own name
(``DoseComparison``, ``GuidelineConflict``) and :mod:`curbside.writing.clinical` converts it, one function
per type. ``docs/article-schema.md`` is generated from these models (:mod:`curbside.writing.schema_doc`),
so descriptions written here are the documentation.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from curbside.corpus.documents import DocType
from curbside.evidence.assessment import Classification, Determination, LabelStatus
from curbside.evidence.dosing import DoseStatus
from curbside.evidence.grading import Certainty
from curbside.evidence.interactions import DrugRole, InteractionSeverity, InteractionSourceKind
from curbside.evidence.live_pubmed import LiveSearchStatus
from curbside.evidence.selection import EvidenceStatus
from curbside.evidence.statistics import Direction
from curbside.understanding.expansions import Expansion
from curbside.understanding.patient_context import PatientContext
from curbside.understanding.question_type import QuestionType

ARTICLE_SCHEMA_VERSION = "1.4"

__all__ = [
    "ARTICLE_SCHEMA_VERSION", "DISCLAIMER", "AgentAssessment", "Article", "AuthorizationSummary", "Bullet", "Certainty",
    "HistoryNote",
    "CitedStatement", "Classification", "Conflict", "DerivedFact", "Determination", "Direction", "DocType", "DoseCheck",
    "DoseStatus", "DrugRole",
    "EvidenceStatus", "Expansion", "InteractionFinding", "InteractionScope", "InteractionSeverity", "InteractionSource",
    "InteractionSourceKind", "LabelStatus", "LiveFetch", "LiveSearch", "LiveSearchStatus", "NearbyDocument", "PatientContext", "QueryInfo", "QuestionType",
    "Quote", "RankedOption", "Reference", "RemovedClaim", "RewriteCounts", "Section", "Support", "Verification",
    "WriterInfo",
]


class Support(StrEnum):
    """How directly the sources support a statement's text: ``verbatim`` (the extractive writer quotes
    whole sentences), ``excerpted`` (part of a sentence), ``paraphrased_verified`` (rephrased by an LLM
    writer and checked against its quotes), or ``derived`` (written by Curbside from a template, from the
    facts listed in its ``derived_from``; no source says these words, so it is never shown as a quote)."""

    VERBATIM = "verbatim"
    EXCERPTED = "excerpted"
    PARAPHRASED_VERIFIED = "paraphrased_verified"
    DERIVED = "derived"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Model):
    """The words of a passage that support a statement: ``text`` is exactly characters ``start`` to ``end``
    of the passage's text."""

    doc_id: str
    passage_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class DerivedFact(_Model):
    """One fact a derived (templated) sentence was built from: what it is, its value, and where it came from."""

    fact: str = Field(description="what the fact is, e.g. 'label indication', 'requested dose', 'reference dose'")
    value: str = Field(description="the fact's value as the sentence used it")
    citation: int | None = Field(
        None, description="the reference number the fact came from; null when it came from the question or from "
        "Curbside's own assessment",
    )
    quote: Quote | None = Field(
        None, description="the passage words the fact was read from, where it was read from a passage"
    )


def _no_quote_as_derived_text(support: Support | None, quotes: list[Quote], what: str) -> None:
    # A derived sentence is Curbside's wording: its sources' words belong to its facts, never to its text.
    if support == Support.DERIVED and quotes:
        raise ValueError(f"{what} is derived: its quotes belong in derived_from, not in quotes")


class Bullet(_Model):
    """One cited statement of a section. Every bullet carries two badges: ``certainty`` (how sure the
    evidence is) and ``support`` (how directly its quotes support the text)."""

    text: str
    citations: list[int] = Field(description="reference numbers")
    quotes: list[Quote]
    support: Support = Field(
        Support.VERBATIM,
        description="how directly the quotes support the text: verbatim, excerpted, or paraphrased and verified",
    )
    grade: str | None = Field(None, description="the guideline's own grade or strength code, as written (A, B, EO, ...)")
    strength: str | None = Field(None, description="the grade explained in words")
    doc_type: DocType
    evidence_level: int = Field(description="the source's evidence level, 1 (strongest) to 5")
    certainty: Certainty | None = Field(
        None, description="certainty of the evidence on one scale: the guideline's grade, else the document type"
    )
    year: int | None = None
    relevance: float = Field(description="how well the quoted sentence matches the question, 0..1")
    derived_from: list[DerivedFact] = Field(
        [], description="for a derived bullet (support 'derived'), the facts it was built from"
    )
    indirect: bool = Field(
        False, description="the source was written for another population, setting or condition scope than the "
                           "question's (population_note says which): evidence that applies only indirectly")
    population_note: str | None = Field(None, description="why the source is indirect for this question")
    reworded: bool = Field(
        False, description="an audience view reworded the text (plain words, expanded abbreviations): `support` "
        "still says how the quotes support the claim, but the text is no longer the source's own words",
    )
    plain_text: str | None = Field(
        None, description="the patient view's wording, written by the LLM writer and verified against the same "
        "quotes as the text (null: the patient view rewrites the text by rule)",
    )

    @model_validator(mode="after")
    def _derived_has_no_quotes(self) -> Bullet:
        _no_quote_as_derived_text(self.support, self.quotes, "a bullet")
        return self


class Section(_Model):
    """A part of the article, by the kind of source its bullets quote."""

    id: str = Field(description="guidelines, research, label, considerations or patient")
    heading: str
    bullets: list[Bullet]


class Reference(_Model):
    """A source the article cites, by its number in ``citations``.

    References whose ``doc_id`` starts with ``curated:`` are the sources of the hand-curated dosing and
    monitoring tables (``src/curbside/evidence/data/``). Each names the product's FDA label and section, or
    a guideline by organization, title and year. They carry no passage, PMID or DOI, because the table
    quotes no text and no identifier is written that could not be checked against the corpus.
    """

    number: int
    doc_id: str
    title: str
    source: str
    organization: str | None = None
    year: int | None = None
    doc_type: DocType
    doc_type_label: str
    evidence_level: int
    url: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    license: str | None = None
    grade_scheme: str | None = Field(None, description="how this source defines its grades, where it says")
    flags: list[str] = Field(default_factory=list, description=(
        "notices the reader must see with this source: expression_of_concern (PubMed ExpressionOfConcernIn); "
        "retracted publications are never cited"))


class HistoryNote(_Model):
    """An earlier version of a guideline that a newer statement of the same body replaced: named for the
    record, never cited."""

    doc_id: str = Field(description="the superseded document")
    title: str
    year: int | None = None
    replaced_by: str = Field(description="the doc id of the current statement")
    replaced_by_year: int | None = None
    note: str


class QueryInfo(_Model):
    """How the question was understood."""

    clinical_question: str
    keywords: list[str]
    expansions: list[Expansion]
    mesh_terms: list[str]


class PatientStoryFields(TypedDict):
    """The JSON of ``Article.patient_story``: the age, sex and history of the one patient model."""

    age: int | None
    sex: str | None
    history: list[str]


class NearbyDocument(_Model):
    """A document the index holds near the question, listed when nothing answered it directly."""

    doc_id: str
    title: str
    doc_type: DocType
    year: int | None = None
    url: str | None = None


class WriterInfo(_Model):
    """The writer that composed the article, with its preset and settings."""

    name: str = Field(description="extractive or llm: the writer whose words the article holds")
    version: str
    preset: str
    settings: dict[str, object]
    model: str | None = Field(None, description="the LLM writer's model (null for the extractive writer)")
    base_url: str | None = Field(
        None, description="the LLM writer's endpoint, without credentials or query (null for the extractive writer)"
    )


class RemovedClaim(_Model):
    """A sentence the LLM wrote that the verifier did not find in the passages it cited: never shown as article
    text, recorded for reviewers."""

    text: str
    reason: str = Field(description="what failed, in words (a number not in the source, a negation that differs...)")


class RewriteCounts(_Model):
    """What the verifier did to the rewrites of the patient view's sentences (the bottom line, the kept claims and
    the quoted evidence)."""

    claims_total: int = 0
    kept: int = 0
    removed: int = Field(0, description="rewrites that failed: the patient view words the clinician claim by rule")
    removed_claims: list[RemovedClaim] = []
    sentences_checked: int = Field(0, description="sentences of the rewrites checked one by one against the cited "
                                   "passages (first wordings and simpler ones)")
    sentences_kept: int = Field(0, description="of those, sentences that passed, in rewrites that kept every fact")
    sent_back_for_grade: int = Field(0, description="kept sentences above grade 8 sent back once for a simpler "
                                     "wording")
    simplified: int = Field(0, description="of those, sentences replaced by a simpler wording that passed the same "
                            "checks and reads at a lower grade")


class Verification(_Model):
    """How the LLM writer's sentences were checked against the passages they cite (null for the extractive writer)."""

    claims_total: int = Field(0, description="claims the model wrote, the bottom line included")
    kept: int = Field(0, description="claims supported by their cited passages: the article's LLM-written text")
    revised: int = Field(0, description="of the kept, those whose citations to passages that do not exist were dropped")
    removed: int = Field(0, description="claims not supported, left out of the article")
    removed_claims: list[RemovedClaim] = []
    marked_claims: list[RemovedClaim] = Field(
        [], description="with llm.on_unsupported = mark: unsupported claims kept out of the text, listed for a reviewer"
    )
    fallback: bool = Field(False, description="true when the extractive writer took over (its words are the article's)")
    fallback_reason: str | None = None
    attempts: int = Field(0, description="requests made to the endpoint for the claims")
    scrubbed: dict[str, int] = Field(
        {}, description="identifiers removed from the question and patient context before they were sent, by kind "
        "(counts only; empty when nothing was removed or the endpoint is marked local)",
    )
    patient_rewrite: RewriteCounts | None = Field(
        None, description="the rewrites of the patient view's sentences: bottom line, kept claims, quoted evidence "
                          "(null: none asked for or none came back)"
    )


class CitedStatement(_Model):
    """One sentence with the references that support it: quoted from a passage (``quotes`` hold its words),
    or derived (``support`` is ``derived``: Curbside wrote it from a template, and ``derived_from`` lists the
    facts it was built from, each with its reference number; it has no ``quotes``)."""

    text: str
    citations: list[int] = []
    quotes: list[Quote] = []
    support: Support | None = Field(
        None,
        description="'derived' for a templated sentence; else how directly its quotes support it (null: not stated)",
    )
    derived_from: list[DerivedFact] = Field([], description="for a derived sentence, the facts it was built from")
    grade: str | None = None
    strength: str | None = None
    certainty: Certainty | None = None
    evidence_level: int | None = None
    doc_type: DocType | None = None
    year: int | None = None

    @property
    def is_derived(self) -> bool:
        return self.support == Support.DERIVED

    @model_validator(mode="after")
    def _derived_has_no_quotes(self) -> CitedStatement:
        _no_quote_as_derived_text(self.support, self.quotes, "a statement")
        return self


class DoseCheck(_Model):
    """The requested dose against the reference dosing, with the reference cited."""

    status: DoseStatus
    dose: str | None = Field(None, description="the dose as understood from the question")
    reference: str | None = Field(None, description="the reference dose it was compared with")
    reference_source: str | None = Field(None, description="the label section or guideline the reference comes from")
    indication: str | None = Field(None, description="the patient's indication the check looked for a reference dose for")
    reference_indication: str | None = Field(
        None, description="what the reference gives a dose for ('rheumatoid arthritis', 'any indication')"
    )
    context_status: DoseStatus | None = Field(
        None, description="with no_reference_for_indication: how the dose compares with the nearest reference, "
        "shown as context only",
    )
    conversion: str | None = Field(None, description="the unit conversion, shown")
    explanation: str = ""
    citations: list[int] = []


class AgentAssessment(_Model):
    """One agent of a plan or regimen, as a prior-authorization reviewer would assess it."""

    agent: str = Field(description="generic name")
    brand: str | None = None
    as_written: str
    classification: Classification
    guideline_support: CitedStatement | None = None
    research_support: CitedStatement | None = None
    evidence_level: int | None = Field(None, description="the strongest level of the evidence cited for this agent")
    label_status: LabelStatus = LabelStatus.UNKNOWN
    label_source: str | None = None
    label_citations: list[int] = []
    dose_check: DoseCheck
    reasons: list[str] = []


class AuthorizationSummary(_Model):
    """A paragraph a utilization reviewer can paste; every sentence is cited."""

    text: str
    citations: list[int]
    sentences: list[CitedStatement]


class Conflict(_Model):
    """Newer research that disagrees with an older guideline statement on the same intervention and outcome."""

    note: str
    guideline_citation: int
    research_citation: int
    guideline_year: int | None = None
    research_year: int | None = None
    guideline_direction: Direction | None = None
    research_direction: Direction | None = None


class RankedOption(_Model):
    """A next-step option found in the evidence, ranked by evidence level; an option with a serious
    interaction with the patient's drugs is ranked after those without one."""

    agent: str
    evidence_level: int
    certainty: Certainty | None = None
    statement: CitedStatement
    monitoring: str | None = None
    monitoring_source: str | None = None
    interaction_warning: str | None = Field(
        None, description="the contraindicated or major interactions of this option with the patient's drugs, in words"
    )


class InteractionSource(_Model):
    """One source that states an interaction: a sentence of a label in the index (quoted, with the words that
    named the other drug), or a row of Curbside's curated interaction table (its source labels named)."""

    kind: InteractionSourceKind
    severity: InteractionSeverity = Field(description="the severity this source gives")
    source: str = Field(description="the label's title and section, or the labels and sections the table row cites")
    citation: int | None = Field(None, description="the reference number of the label or the curated source")
    quote: Quote | None = Field(None, description="for a label in the index, the sentence that states the interaction")
    named_as: str | None = Field(
        None, description="for a label in the index, the label's words for the other drug ('organic nitrates, which "
        "include nitroglycerin')",
    )


class InteractionFinding(_Model):
    """An interaction between two of the patient's drugs (the regimen, a drug the question proposes, or an
    option), with its severity (the most severe of its sources) and every source that states it."""

    drugs: list[str] = Field(description="the two generics")
    roles: list[DrugRole] = Field(description="each drug's place: regimen, proposed or option")
    severity: InteractionSeverity
    effect: str | None = Field(None, description="what happens, in plain words (the curated table's)")
    management: str | None = Field(None, description="what the labels advise (the curated table's)")
    sources: list[InteractionSource]
    citations: list[int] = []


class InteractionScope(_Model):
    """How far the interaction check reaches: what it read and which of the patient's drugs it knows."""

    statement: str = Field(description="the scope in plain words")
    drugs: list[str] = Field(description="the drugs checked: the regimen, the proposed drugs and the options")
    pairs_checked: int
    table_drugs: list[str] = Field(description="of these drugs, those the curated interaction table knows")
    label_drugs: list[str] = Field(description="of these drugs, those whose label in the index has an interaction section")
    not_checked: list[str] = Field(description="drugs neither source knows: an interaction with them is not excluded")
    not_included: list[str] = Field([], description="prior therapies, left out of the check")
    table_coverage: list[str] = Field(description="every generic the curated interaction table knows, by name or class")


class LiveFetch(_Model):
    """A cited reference that came from PubMed through E-utilities (``ask --live-pubmed`` or ``curbside ingest
    pubmed``): when it was fetched, by which search and from which address, so that the article can be
    reproduced from the same snapshot."""

    citation: int = Field(description="the reference number")
    pmid: str
    fetched_at: str = Field(description="when it was fetched (UTC, ISO 8601)")
    query: str = Field(description="the PubMed search that found it (concept terms only, never patient text)")
    source_url: str = Field(description="the E-utilities address it came from (no parameters, no key)")
    via: str = Field(description="'ask' (a live search for a question) or 'ingest' (curbside ingest pubmed)")


class LiveSearch(_Model):
    """What the live PubMed search of this ask did (``ask --live-pubmed``; null when live search was off)."""

    status: LiveSearchStatus
    query: str | None = Field(None, description="the last search sent (concept terms only)")
    searched_at: str | None = Field(None, description="when (UTC, ISO 8601)")
    fetched: list[str] = Field([], description="the PMIDs fetched and ingested")
    message: str | None = Field(None, description="why nothing was fetched, or the error when the search failed")


class Article(_Model):
    """Curbside's answer to one question: ``curbside ask --format json`` and ``Curbside.ask()`` return it."""

    schema_version: str = Field(
        ARTICLE_SCHEMA_VERSION,
        description="fields are only added within a major version (1.1 added certainty and clinical reasoning; "
        "1.2 the derived marker; 1.4 the LLM writer's verification record, writer model and patient wording)",
    )
    id: str | None = Field(None, description="the caller's question id, in batch mode (ask --questions FILE)")
    title: str = Field(description="the question as asked, whitespace normalised")
    question: str = Field(description="the question as asked")
    bottom_line: str = Field(description="the answer first")
    bottom_line_citations: list[int] = Field([], description="reference numbers of the bottom line's sources")
    bottom_line_quotes: list[Quote] = Field([], description="the passage words the bottom line stands on")
    bottom_line_support: Support | None = Field(
        None,
        description="'derived' when the bottom line is Curbside's templated sentence; else how its quotes support it",
    )
    bottom_line_derived_from: list[DerivedFact] = Field(
        [], description="for a derived bottom line, the facts it was built from"
    )
    evidence_status: EvidenceStatus
    evidence_note: str | None = Field(None, description="why the evidence is limited or insufficient")
    suggested_questions: list[str] = Field([], description="broader questions, when the evidence is thin")
    nearby_documents: list[NearbyDocument] = Field(
        [], description="what the index did hold, when nothing answered the question directly"
    )
    sections: list[Section]
    references: list[Reference]
    # The patient (one model, :class:`PatientContext`); its JSON keeps the three fields other tools read.
    patient_story: PatientContext = Field(description="the patient's {age, sex, history[]}, from the question's story")
    query: QueryInfo = Field(description="how the question was understood")
    corpus_snapshot: str = Field(description="the snapshot of the corpus the index was built from")
    evidence_scale: str = Field(description="the name of the scale of evidence_level")
    writer: WriterInfo
    verification: Verification | None = Field(
        None, description="the LLM writer's verification of its claims; null when the extractive writer was chosen"
    )
    bottom_line_plain: str | None = Field(
        None, description="the patient view's bottom line, written by the LLM writer and verified like bottom_line"
    )
    disclaimer: str
    generated_at: str | None = Field(None, description="the only field that differs between identical runs")
    # Clinical reasoning (schema 1.1): the kind of question, the patient, and for plans and regimens the
    # per-agent assessment, the determination and the authorization statement.
    question_type: QuestionType | None = Field(None, description="the kind of answer the question asks for")
    patient_context: PatientContext | None = None
    agent_assessments: list[AgentAssessment] = Field(
        [], description="for medical-necessity and next-step questions, one per agent of the plan or regimen"
    )
    determination: Determination | None = Field(
        None, description="for medical-necessity and next-step questions: is the plan or regimen supported"
    )
    determination_reasons: list[str] = Field([], description="why, one reason a line")
    authorization_summary: AuthorizationSummary | None = Field(None, description="for medical-necessity questions")
    conflicts: list[Conflict] = Field(
        [], description="newer research bullets against older guideline bullets of this article"
    )
    next_step_options: list[RankedOption] = Field([], description="for next-step questions, strongest evidence first")
    history_notes: list[HistoryNote] = Field(
        [], description="earlier versions of cited guidance that newer statements replaced: dated, never cited"
    )
    interactions: list[InteractionFinding] = Field(
        [], description="drug interactions among the patient's drugs, the proposed drugs and the options, most severe first"
    )
    interaction_check: InteractionScope | None = Field(
        None, description="how far the interaction check reaches, when two or more drugs were checked"
    )
    live_fetches: list[LiveFetch] = Field(
        [], description="the cited references that were fetched live from PubMed, with when and by which search"
    )
    live_search: LiveSearch | None = Field(
        None, description="what this ask's live PubMed search did (ask --live-pubmed); null when it was off"
    )

    @model_validator(mode="after")
    def _derived_bottom_line_has_no_quotes(self) -> Article:
        _no_quote_as_derived_text(self.bottom_line_support, self.bottom_line_quotes, "the bottom line")
        return self

    @field_serializer("patient_story")
    def _patient_story_fields(self, patient: PatientContext) -> PatientStoryFields:
        return {"age": patient.age, "sex": patient.sex, "history": list(patient.history)}

    def all_quotes(self) -> list[Quote]:
        """Every quote of the article: bullets, bottom line, agent assessments, authorization, options, and the
        passage words the facts of derived sentences were read from."""
        quotes = list(self.bottom_line_quotes)
        facts = list(self.bottom_line_derived_from)
        for section in self.sections:
            for bullet in section.bullets:
                quotes.extend(bullet.quotes)
                facts.extend(bullet.derived_from)
        for statement in self.cited_statements():
            quotes.extend(statement.quotes)
            facts.extend(statement.derived_from)
        return quotes + self.interaction_quotes() + [f.quote for f in facts if f.quote is not None]

    def cited_statements(self) -> list[CitedStatement]:
        """The clinical-reasoning statements (agent support, authorization sentences, options)."""
        statements: list[CitedStatement] = []
        for a in self.agent_assessments:
            statements.extend(s for s in (a.guideline_support, a.research_support) if s is not None)
        if self.authorization_summary is not None:
            statements.extend(self.authorization_summary.sentences)
        statements.extend(o.statement for o in self.next_step_options)
        return statements

    def interaction_quotes(self) -> list[Quote]:
        """The label sentences the interaction findings quote."""
        return [s.quote for f in self.interactions for s in f.sources if s.quote is not None]

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)


DISCLAIMER = (
    "Curbside summarises published evidence for health professionals. It is not medical advice for any "
    "individual patient and does not replace clinical judgement, the full guideline, or the product label. "
    "Articles are pending review by the Medical Advisory Board until marked Approved."
)

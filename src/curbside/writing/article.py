"""The Article: Curbside's answer, as a versioned JSON schema (``ARTICLE_SCHEMA_VERSION``).

This is the contract that renderers, the web app and later writers build on. Every bullet carries the
quotes that support it; a quote's ``text`` is exactly ``passage.text[start:end]`` of the passage it
names. Change the schema only by adding fields, or bump the major version and say so in
``docs/article-schema.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from curbside.understanding.patient_context import PatientContext

ARTICLE_SCHEMA_VERSION = "1.1"

Support = Literal["verbatim", "excerpted", "paraphrased_verified"]
Certainty = Literal["high", "moderate", "low", "very_low"]
EvidenceStatus = Literal["sufficient", "limited", "insufficient"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Model):
    doc_id: str
    passage_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Bullet(_Model):
    text: str
    citations: list[int] = Field(description="reference numbers")
    quotes: list[Quote]
    support: Support = Field(
        "verbatim", description="how directly the quotes support the text: verbatim, excerpted, or paraphrased and verified"
    )
    grade: str | None = Field(None, description="the guideline's own grade or strength code, as written (A, B, EO, ...)")
    strength: str | None = Field(None, description="the grade explained in words")
    doc_type: str
    evidence_level: int
    certainty: Certainty | None = Field(
        None, description="certainty of the evidence on one scale: the guideline's grade, else the document type"
    )
    year: int | None = None
    relevance: float = Field(description="how well the quoted sentence matches the question, 0..1")


class Section(_Model):
    id: str
    heading: str
    bullets: list[Bullet]


class Reference(_Model):
    number: int
    doc_id: str
    title: str
    source: str
    organization: str | None = None
    year: int | None = None
    doc_type: str
    doc_type_label: str
    evidence_level: int
    url: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    license: str | None = None
    grade_scheme: str | None = Field(None, description="how this source defines its grades, where it says")


class Expansion(_Model):
    term: str
    expansion: str
    kind: str


class QueryInfo(_Model):
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
    doc_id: str
    title: str
    doc_type: str
    year: int | None = None
    url: str | None = None


class WriterInfo(_Model):
    name: str
    version: str
    preset: str
    settings: dict[str, object]


class CitedStatement(_Model):
    """One sentence with the references that support it (quotes where it is quoted from a passage)."""

    text: str
    citations: list[int] = []
    quotes: list[Quote] = []
    grade: str | None = None
    strength: str | None = None
    certainty: Certainty | None = None
    evidence_level: int | None = None
    doc_type: str | None = None
    year: int | None = None


class DoseCheck(_Model):
    status: Literal["within", "above", "below", "unknown"]
    dose: str | None = Field(None, description="the dose as understood from the question")
    reference: str | None = Field(None, description="the reference dose it was compared with")
    reference_source: str | None = Field(None, description="the label section or guideline the reference comes from")
    conversion: str | None = Field(None, description="the unit conversion, shown")
    explanation: str = ""
    citations: list[int] = []


class AgentAssessment(_Model):
    """One agent of a plan or regimen, as a prior-authorization reviewer would assess it."""

    agent: str = Field(description="generic name")
    brand: str | None = None
    as_written: str
    classification: Literal["standard_of_care", "emerging_standard", "investigational"]
    guideline_support: CitedStatement | None = None
    research_support: CitedStatement | None = None
    evidence_level: int | None = Field(None, description="the strongest level of the evidence cited for this agent")
    label_status: Literal["on_label", "off_label", "unknown"] = "unknown"
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
    guideline_direction: str | None = None
    research_direction: str | None = None


class RankedOption(_Model):
    """A next-step option found in the evidence, ranked by evidence level."""

    agent: str
    evidence_level: int
    certainty: Certainty | None = None
    statement: CitedStatement
    monitoring: str | None = None
    monitoring_source: str | None = None


QuestionType = Literal[
    "medical_necessity", "next_step", "dosing", "drug_information", "diagnosis_screening", "prognosis",
    "comparison", "patient_education", "general",
]


class Article(_Model):
    schema_version: str = ARTICLE_SCHEMA_VERSION
    id: str | None = Field(None, description="the caller's question id, in batch mode")
    title: str
    question: str
    bottom_line: str
    bottom_line_citations: list[int] = []
    bottom_line_quotes: list[Quote] = []
    evidence_status: EvidenceStatus
    evidence_note: str | None = None
    suggested_questions: list[str] = []
    nearby_documents: list[NearbyDocument] = Field(
        [], description="what the index did hold, when nothing answered the question directly"
    )
    sections: list[Section]
    references: list[Reference]
    # The patient (one model, :class:`PatientContext`); its JSON keeps the three fields other tools read.
    patient_story: PatientContext = Field(description="the patient's {age, sex, history[]}, from the question's story")
    query: QueryInfo
    corpus_snapshot: str
    evidence_scale: str
    writer: WriterInfo
    disclaimer: str
    generated_at: str | None = Field(None, description="the only field that differs between identical runs")
    # Clinical reasoning (schema 1.1): the kind of question, the patient, and for plans and regimens the
    # per-agent assessment, the determination and the authorization statement.
    question_type: QuestionType | None = None
    patient_context: PatientContext | None = None
    agent_assessments: list[AgentAssessment] = []
    determination: Literal["supported", "partially_supported", "insufficient_evidence"] | None = None
    determination_reasons: list[str] = []
    authorization_summary: AuthorizationSummary | None = None
    conflicts: list[Conflict] = []
    next_step_options: list[RankedOption] = []

    @field_serializer("patient_story")
    def _patient_story_fields(self, patient: PatientContext) -> PatientStoryFields:
        return {"age": patient.age, "sex": patient.sex, "history": list(patient.history)}

    def all_quotes(self) -> list[Quote]:
        """Every quote of the article: bullets, bottom line, agent assessments, authorization, options."""
        quotes = list(self.bottom_line_quotes)
        for section in self.sections:
            for bullet in section.bullets:
                quotes.extend(bullet.quotes)
        for statement in self.cited_statements():
            quotes.extend(statement.quotes)
        return quotes

    def cited_statements(self) -> list[CitedStatement]:
        """The clinical-reasoning statements (agent support, authorization sentences, options)."""
        statements: list[CitedStatement] = []
        for a in self.agent_assessments:
            statements.extend(s for s in (a.guideline_support, a.research_support) if s is not None)
        if self.authorization_summary is not None:
            statements.extend(self.authorization_summary.sentences)
        statements.extend(o.statement for o in self.next_step_options)
        return statements

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)


DISCLAIMER = (
    "Curbside summarises published evidence for health professionals. It is not medical advice for any "
    "individual patient and does not replace clinical judgement, the full guideline, or the product label. "
    "Articles are pending review by the Medical Advisory Board until marked Approved."
)

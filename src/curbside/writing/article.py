"""The Article: Curbside's answer, as a versioned JSON schema (``ARTICLE_SCHEMA_VERSION``).

This is the contract that renderers, the web app and later writers build on. Every bullet carries the
quotes that support it; a quote's ``text`` is exactly ``passage.text[start:end]`` of the passage it
names. Change the schema only by adding fields, or bump the major version and say so in
``docs/article-schema.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class PatientStory(_Model):
    age: int | None = None
    sex: str | None = None
    history: list[str] = []


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
    patient_story: PatientStory
    query: QueryInfo
    corpus_snapshot: str
    evidence_scale: str
    writer: WriterInfo
    disclaimer: str
    generated_at: str | None = Field(None, description="the only field that differs between identical runs")

    def all_quotes(self) -> list[Quote]:
        quotes = list(self.bottom_line_quotes)
        for section in self.sections:
            for bullet in section.bullets:
                quotes.extend(bullet.quotes)
        return quotes

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)


DISCLAIMER = (
    "Curbside summarises published evidence for health professionals. It is not medical advice for any "
    "individual patient and does not replace clinical judgement, the full guideline, or the product label. "
    "Articles are pending review by the Medical Advisory Board until marked Approved."
)

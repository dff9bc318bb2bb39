from collections import Counter
from importlib import resources

import pytest

from curbside.articles.audience import (
    AUDIENCE_LABELS,
    AUDIENCES,
    AudienceView,
    glossary,
    parse_audience,
    readability,
    view_for_audience,
)
from curbside.writing.article import (
    Article,
    Bullet,
    PatientStory,
    QueryInfo,
    Quote,
    Reference,
    Section,
    WriterInfo,
)

USPSTF_A = "Grade A: recommended; high certainty that the net benefit is substantial"


def _bullet(text: str, n: int, doc_type: str = "rct", level: int = 2, *, relevance: float = 0.8, **extra: object) -> Bullet:
    quote = Quote(doc_id=f"doc{n}", passage_id=f"doc{n}#0", start=0, end=len(text), text=text)
    return Bullet(
        text=text, citations=[n], quotes=[quote], doc_type=doc_type, evidence_level=level, year=2020,
        relevance=relevance, **extra,  # type: ignore[arg-type]
    )


def _reference(n: int, doc_type: str) -> Reference:
    return Reference(
        number=n, doc_id=f"doc{n}", title=f"Source {n}", source="test", doc_type=doc_type,
        doc_type_label=doc_type, evidence_level=1,
    )


def _article(sections: list[Section], bottom_line: str, bottom_quote: Quote | None = None) -> Article:
    refs = sorted({c for s in sections for b in s.bullets for c in b.citations})
    types = {c: b.doc_type for s in sections for b in s.bullets for c in b.citations}
    return Article(
        title="Test question?", question="Test question?", bottom_line=bottom_line,
        bottom_line_citations=[1] if bottom_quote else [], bottom_line_quotes=[bottom_quote] if bottom_quote else [],
        evidence_status="sufficient", sections=sections, references=[_reference(n, types[n]) for n in refs],
        patient_story=PatientStory(), query=QueryInfo(clinical_question="q", keywords=[], expansions=[], mesh_terms=[]),
        corpus_snapshot="test", evidence_scale="Curbside levels 1-5",
        writer=WriterInfo(name="extractive", version="1", preset="default", settings={}), disclaimer="Not advice.",
    )


GUIDELINE = (
    "The USPSTF recommends screening for hypertension in adults 18 years or older with office blood pressure "
    "measurement (OBPM)."
)


@pytest.fixture()
def jargon_article() -> Article:
    guideline = _bullet(GUIDELINE, 1, "guideline", 1, grade="A", strength=USPSTF_A, relevance=1.0)
    sections = [
        Section(id="guidelines", heading="From the Guidelines", bullets=[guideline]),
        Section(id="research", heading="From the Research", bullets=[
            _bullet(
                "In this randomized controlled trial, myocardial infarction occurred in 18% of participants receiving "
                "the intervention versus 33% of those receiving placebo (OR 0.45, 95% CI 0.26 to 0.78; P < .001).",
                2,
            ),
            _bullet(
                "Adverse events were more frequent with concomitant anticoagulation, and hemorrhage was the most "
                "common reason for discontinuation (RR, 1.90 [95% CI, 1.25-2.88]).",
                3, "systematic_review", 1,
            ),
        ]),
        Section(id="label", heading="From the Drug Label", bullets=[
            _bullet("IVIG is contraindicated in patients with hypersensitivity; the dose is 2 g/kg over 2 to 5 days.",
                    4, "drug_label", 2),
        ]),
        Section(id="considerations", heading="Key Considerations", bullets=[
            _bullet("Hypertension increases the incidence of cardiovascular events; renal function should be monitored.",
                    5, "observational", 3),
        ]),
        Section(id="patient", heading="Patient Information", bullets=[
            _bullet("High blood pressure often has no symptoms.", 6, "patient_information", 5, relevance=0.95),
        ]),
    ]
    return _article(sections, GUIDELINE + " (Grade A)", guideline.quotes[0])


def _texts(view: AudienceView) -> str:
    return " ".join([view.article.bottom_line] + [b.text for s in view.article.sections for b in s.bullets])


def _claims(article: Article) -> Counter[str]:
    """Everything about a bullet that must never change between views, as one comparable string each."""
    return Counter(
        b.model_dump_json(include={"citations", "quotes", "grade", "doc_type", "evidence_level", "year", "support", "relevance"})
        for s in article.sections
        for b in s.bullets
    )


def test_audiences_and_labels() -> None:
    assert AUDIENCES == ("physician", "nurse", "pharmacist", "student", "patient")
    assert AUDIENCE_LABELS["nurse"] == "Nurse / NP / PA"
    assert AUDIENCE_LABELS["patient"] == "Patient or caregiver"
    assert set(AUDIENCE_LABELS) == set(AUDIENCES)


def test_parse_audience() -> None:
    assert parse_audience(None) == "physician"
    assert parse_audience("") == "physician"
    assert parse_audience("  Nurse ") == "nurse"
    assert parse_audience("patient") == "patient"
    with pytest.raises(ValueError, match="Unknown audience 'doctor'.*physician.*nurse.*pharmacist.*student.*patient"):
        parse_audience("doctor")


def test_physician_view_is_the_article_unchanged(jargon_article: Article) -> None:
    view = view_for_audience(jargon_article, "physician")
    assert view.article == jargon_article
    assert view.article is not jargon_article


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_view_keeps_the_cited_claims(jargon_article: Article, audience: str) -> None:
    view = view_for_audience(jargon_article, parse_audience(audience))
    assert _claims(view.article) == _claims(jargon_article)
    assert view.article.references == jargon_article.references
    assert view.article.bottom_line_quotes == jargon_article.bottom_line_quotes
    assert view.article.bottom_line_citations == jargon_article.bottom_line_citations
    assert sorted(s.id for s in view.article.sections) == sorted(s.id for s in jargon_article.sections)
    assert [len(s.bullets) for s in sorted(view.article.sections, key=lambda s: s.id)] == [
        len(s.bullets) for s in sorted(jargon_article.sections, key=lambda s: s.id)
    ]
    assert view.article.title == jargon_article.title


def test_patient_view_replaces_jargon_and_drops_statistics(jargon_article: Article) -> None:
    text = _texts(view_for_audience(jargon_article, "patient"))
    assert "heart attack" in text and "myocardial infarction" not in text
    assert "high blood pressure" in text and "hypertension" not in text.lower()
    assert "Side effects were more frequent" in text  # sentence-initial capital kept
    assert "should not be used" in text and "contraindicated" not in text
    assert "95% CI" not in text and "P <" not in text and "OR 0.45" not in text and "RR, 1.90" not in text
    assert "(" + ")" not in text and "[]" not in text
    assert "18%" in text and "33%" in text  # the numbers that carry the finding stay
    assert "2 g/kg" in text and "2 to 5 days" in text  # doses untouched
    assert "(OBPM)" not in text  # the long form is already written


def test_patient_view_explains_grades_and_jargon_once(jargon_article: Article) -> None:
    view = view_for_audience(jargon_article, "patient")
    assert view.article.bottom_line.endswith("This is strongly recommended (Grade A).")
    guideline = next(s for s in view.article.sections if s.id == "guidelines").bullets[0]
    assert guideline.grade == "A"
    assert guideline.strength is not None and guideline.strength.startswith("Strongly recommended")
    text = _texts(view)
    assert text.count("Placebo is a dummy treatment.") == 1


def test_patient_view_orders_and_names_sections_plainly(jargon_article: Article) -> None:
    view = view_for_audience(jargon_article, "patient")
    assert view.article.sections[0].id == "patient"
    assert {s.heading for s in view.article.sections} == {
        "In plain words", "What expert groups recommend", "What studies found", "What the drug label says", "Things to know",
    }


def test_patient_information_does_not_lead_when_it_is_off_the_point(jargon_article: Article) -> None:
    for section in jargon_article.sections:
        if section.id == "patient":
            section.bullets[0].relevance = 0.3
    view = view_for_audience(jargon_article, "patient")
    assert view.article.sections[0].id == "guidelines"


def test_patient_view_reads_easier_than_physician_view(jargon_article: Article) -> None:
    physician = view_for_audience(jargon_article, "physician").readability
    patient = view_for_audience(jargon_article, "patient").readability
    assert patient.flesch_kincaid_grade < physician.flesch_kincaid_grade - 2
    assert patient.flesch_reading_ease > physician.flesch_reading_ease
    assert patient.scope.startswith("patient view: bottom line and 6 bullets")


def test_semicolons_split_sentences_but_enumerations_stay(jargon_article: Article) -> None:
    text = _texts(view_for_audience(jargon_article, "patient"))
    assert "IVIG should not be used in patients with allergy. The dose is 2 g/kg" in text
    bullet = _bullet("Offer it when (1) they are aged 40 to 75 years; (2) they smoke; and (3) risk is 10% or greater.", 1)
    article = _article([Section(id="research", heading="R", bullets=[bullet])], "x")
    assert "; (2) they smoke; and (3)" in _texts(view_for_audience(article, "patient"))


def test_a_and_an_agree_with_the_new_word() -> None:
    bullet = _bullet("There was an adverse event in one patient.", 1)
    article = _article([Section(id="research", heading="R", bullets=[bullet])], "x")
    assert "There was a side effect in one patient." in _texts(view_for_audience(article, "patient"))


def test_pharmacist_view_puts_the_label_first_and_keeps_the_words(jargon_article: Article) -> None:
    view = view_for_audience(jargon_article, "pharmacist")
    assert [s.id for s in view.article.sections][:2] == ["label", "guidelines"]
    base = {b.quotes[0].doc_id: b.text for s in jargon_article.sections for b in s.bullets}
    assert all(base[b.quotes[0].doc_id] == b.text for s in view.article.sections for b in s.bullets)


def test_nurse_view_puts_practical_sections_before_research(jargon_article: Article) -> None:
    order = [s.id for s in view_for_audience(jargon_article, "nurse").article.sections]
    assert order.index("considerations") < order.index("research")
    assert order.index("patient") < order.index("research")


@pytest.mark.parametrize("audience", ["nurse", "student"])
def test_abbreviations_are_expanded_on_first_use_only(audience: str) -> None:
    bullets = [
        _bullet("IVIG was given to 40 patients.", 1),
        _bullet("IVIG was stopped in 2 patients.", 2),
        _bullet("Stage IV disease was excluded.", 3),
    ]
    article = _article([Section(id="research", heading="R", bullets=bullets)], "IVIG helped.")
    view = view_for_audience(article, parse_audience(audience))
    assert view.article.bottom_line == "intravenous immunoglobulin (IVIG) helped."
    texts = [b.text for b in view.article.sections[0].bullets]
    assert texts[0].startswith("IVIG was given") and texts[1].startswith("IVIG was stopped")
    assert texts[2].startswith("Stage IV disease")


def test_student_view_says_the_evidence_level_in_words(jargon_article: Article) -> None:
    view = view_for_audience(jargon_article, "student")
    research = next(s for s in view.article.sections if s.id == "research")
    assert research.bullets[0].text.endswith("(Evidence level 2 of 5, randomized controlled trial; 1 is strongest.)")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_views_are_deterministic(jargon_article: Article, audience: str) -> None:
    first = view_for_audience(jargon_article, parse_audience(audience))
    second = view_for_audience(jargon_article.model_copy(deep=True), parse_audience(audience))
    assert first.model_dump_json() == second.model_dump_json()


def test_readability_counts_decimals_as_part_of_a_sentence() -> None:
    plain = readability("The dose was 0.75 mg. It worked well for most people in the trial.", scope="demo")
    assert plain.sentences == 2
    assert plain.scope == "demo"
    assert readability("").words == 0


def test_glossary_is_curated_and_loads() -> None:
    text = resources.files("curbside.articles").joinpath("data/plain_language.tsv").read_text(encoding="utf-8")
    assert "curated by hand for curbside on 2026-11-23" in text.splitlines()[0].lower()
    entries = {e.term: e.plain for e in glossary()}
    assert len(entries) >= 300
    assert entries["myocardial infarction"] == "heart attack"
    assert entries["hypertension"] == "high blood pressure"
    assert entries["adverse events"] == "side effects"
    assert entries["contraindicated"] == "should not be used"


def test_names_and_titles_keep_their_words() -> None:
    bullet = _bullet("The American Academy of Child and Adolescent Psychiatry supports screening adolescents.", 1)
    article = _article([Section(id="research", heading="R", bullets=[bullet])], "x")
    text = _texts(view_for_audience(article, "patient"))
    assert "Child and Adolescent Psychiatry supports screening teens." in text


def test_an_unrelated_aside_does_not_count_as_a_definition() -> None:
    bullet = _bullet("We gave human IgG (drug code GB-0998) to 20 patients.", 1)
    article = _article([Section(id="research", heading="R", bullets=[bullet])], "x")
    view = view_for_audience(article, "nurse")
    assert view.article.sections[0].bullets[0].text == (
        "We gave human immunoglobulin G (IgG) (drug code GB-0998) to 20 patients."
    )

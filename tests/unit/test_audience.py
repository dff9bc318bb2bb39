from collections import Counter
from importlib import resources

import pytest

from curbside.understanding import PatientContext
from curbside.writing.audience import (
    AUDIENCE_LABELS,
    AUDIENCES,
    AudienceView,
    parse_audience,
    view_for_audience,
)
from curbside.writing.plain_language import glossary
from curbside.writing.readability import readability
from curbside.writing.article import (
    Article,
    Bullet,
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
        patient_story=PatientContext(), query=QueryInfo(clinical_question="q", keywords=[], expansions=[], mesh_terms=[]),
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
    text = resources.files("curbside.vocabulary").joinpath("data/plain_language.tsv").read_text(encoding="utf-8")
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


# --- the patient rewrite: sentence joints, asides and glossary words, with the cases where it must not cut


def _patient(text: str, *more: str, doc_type: str = "rct") -> str:
    """The patient view's text of a one-section article whose bullets are ``text`` and ``more``."""
    bullets = [_bullet(t, n, doc_type) for n, t in enumerate((text, *more), start=1)]
    article = _article([Section(id="research", heading="R", bullets=bullets)], "x")
    view = view_for_audience(article, "patient")
    assert _claims(view.article) == _claims(article)
    return " ".join(b.text for s in view.article.sections for b in s.bullets)


def test_a_relative_clause_that_ends_the_sentence_becomes_a_sentence() -> None:
    text = _patient(
        "For patients with chronic low back pain, the Work Group suggests offering an exercise program, "
        "which may include Pilates, yoga, and tai chi."
    )
    assert text == (
        "For patients with chronic low back pain, the expert group suggests offering an exercise program. "
        "This program may include Pilates, yoga, and tai chi."
    )
    assert _patient("The metabolomic studies also noted reduced omega-3 fatty acids, which are powerful antioxidants.") == (
        "The metabolomic studies also noted reduced omega-3 fatty acids. These are powerful antioxidants."
    )
    assert _patient("It does not apply to children and adults with symptoms, who are addressed in a separate statement.") == (
        "It does not apply to children and adults with symptoms. They are addressed in a separate statement."
    )


def test_a_relative_clause_stays_where_cutting_would_change_what_it_refers_to() -> None:
    # The main sentence goes on after the first clause; the second follows a coordination ("and ...").
    tb = (
        "In the US, tuberculosis remains an important preventable disease, including active tuberculosis, which may "
        "be infectious, and latent tuberculosis infection (LTBI), which is asymptomatic and not infectious."
    )
    assert "active TB, which may be infectious, and latent TB infection, which is symptom-free" in _patient(tb)
    # "which" is the object ("which doctors prescribe"), or a single person would need "he" or "she".
    assert ", which doctors often prescribe" in _patient(
        "An example of an effective ACE inhibitor is lisinopril (Zestril), which doctors commonly prescribe for kidney disease."
    )
    assert ", who was treated" in _patient("The trial enrolled one woman with a rare disease, who was treated for ten years.")
    # An embedded clause: the sentence goes on after it.
    assert ", who reported smoking in earlier pregnancies, were found" in _patient(
        "Women covered by the programme, who reported smoking in previous pregnancies, were found to quit more often."
    )


def test_contrast_and_participle_joints() -> None:
    assert "numbers that are normal for babies. By contrast, older teens have numbers similar to adults." in _patient(
        "Newborn babies often have very low blood pressure numbers that are normal for babies, while older teens have "
        "numbers similar to adults."
    )
    assert ", while taking the drug each morning" in _patient(  # not a clause of its own: no cut
        "Blood pressure was measured at home by every person in the study, while taking the drug each morning."
    )
    assert _patient(
        "Single oral doses caused rapid suppression of gastric acid secretion in healthy male subjects, making it a "
        "potential alternative to proton pump inhibitors."
    ) == (
        "Single oral doses caused rapid suppression of stomach acid secretion in healthy male people. This makes it a "
        "potential alternative to proton pump inhibitors."
    )
    assert "at 48 weeks. But the decrease after acarbose was bigger." in _patient(
        "Fasting glucose after metformin showed greater decline compared to acarbose at 48 weeks, however the decrease "
        "after acarbose was bigger."
    )


def test_although_opens_a_concession_that_can_stand_alone() -> None:
    assert _patient(
        "Although most studies are observational and definitions vary widely, any breastfeeding appears to be more "
        "helpful than none."
    ) == "Most studies are observational and definitions vary widely. But any breastfeeding appears to be more helpful than none."
    # Not a clause ("Although generally well tolerated"): stays one sentence.
    assert _patient(
        "Although generally well tolerated, rilonacept did not provide additional pain relief over 72 hours."
    ) == "Although mostly well tolerated, rilonacept did not provide extra pain relief over 72 hours."


def test_joints_that_would_break_a_sentence_are_left_alone() -> None:
    # "Not only ..., but ...": one thought.
    assert "from occurring, but they can reverse" in _patient(
        "Not only can healthy lifestyle habits prevent high blood pressure from occurring, but they can reverse "
        "prehypertension and help control existing high blood pressure."
    )
    # The verb after ", and" has its subject before the comma.
    assert "ratios, and may have reduced deaths" in _patient(
        "It was concluded that omega-3 fatty acids improved T helper/inducer ratios, and may have reduced mortality, "
        "among septic patients."
    )
    # The main verb comes after the "including" list.
    assert "drug treatments, including nicotine replacement treatment, bupropion and varenicline, is large" in _patient(
        "Convincing evidence that the benefit of pharmacotherapy interventions, including nicotine replacement "
        "therapy, bupropion and varenicline, is large."
    )
    # "including" inside a list of items that semicolons separate.
    listing = _patient(
        "These include counseling for a healthy diet in adults (B recommendation); behavioral weight loss "
        "interventions in adults, including pregnant women; and screening for diabetes in adults."
    )
    assert "in adults, including pregnant women; and screening" in listing


def test_numbered_criteria_after_the_following_become_sentences() -> None:
    text = _patient(
        "Clinicians may offer a statin to adults when all of the following criteria are met: (1) they are aged 40 to "
        "75 years; (2) they have 1 or more risk factors; and (3) they have a 10-year risk of 10% or greater "
        "(C recommendation)."
    )
    assert text == (
        "Health care providers may offer a statin to adults when all of the following criteria are met. "
        "(1) They are aged 40 to 75 years. (2) They have 1 or more risk factors. "
        "(3) They have a 10-year risk of 10% or greater (Grade C). "
        "Grade C means offered to some people, depending on their situation."
    )


def test_inline_grades_are_explained_once_in_a_sentence_of_their_own() -> None:
    text = _patient(
        "In 2013 the USPSTF recommended screening adults born between 1945 and 1965 (B recommendation).",
        "The USPSTF also recommends screening adolescents (B recommendation).",
        doc_type="guideline",
    )
    assert text == (
        "In 2013 the US expert panel (USPSTF) recommended screening adults born between 1945 and 1965 (Grade B). "
        "Grade B means recommended. The USPSTF also recommends screening teens (Grade B)."
    )


def test_asides_a_reader_does_not_need_are_dropped() -> None:
    text = _patient(
        "The TODAY study (n = 699), registered as a randomized trial (ISRCTN79347302, registered 20 Apr 2007), found "
        "fewer events [12] in group A (n = 74; 18%) than in group B (33%).",
        "According to the Centers for Disease Control and Prevention (CDC),12 most infections have no symptoms.",
        "Length of stay was 9 [8-13] vs. 11 [9-14] days.",
    )
    assert "699" not in text and "ISRCTN" not in text and "[12]" not in text and "n =" not in text
    assert "(18%)" in text and "(33%)" in text  # the numbers that carry the finding stay
    assert "Prevention, most infections" in text
    assert "9 [8-13] vs. 11 [9-14] days" in text  # a range after a number is not a reference mark


def test_a_flattened_leaflet_list_gets_its_stop_back() -> None:
    text = _patient(
        "Antibiotics do not fight infections caused by viruses, such as - Colds - Flu - Sore throats, unless caused "
        "by strep If a virus is making you sick, antibiotics may do more harm than good.",
        doc_type="patient_information",
    )
    assert "unless caused by strep. If a virus is making you sick" in text
    assert _patient("Group A strep causes - Strep throat - a sore, red throat - Scarlet fever - an illness.") == (
        "Group A strep causes - Strep throat - a sore, red throat - Scarlet fever - an illness."
    )


def test_a_study_design_aside_becomes_its_own_sentence() -> None:
    assert _patient("Group therapy reduces the daytime consequences of insomnia (Design: Randomized clinical trial).") == (
        "Group treatment reduces the daytime effects of trouble sleeping. Design: study that assigned people to "
        "treatments by chance."
    )


def test_one_word_abbreviation_definitions_go_only_when_unused() -> None:
    assert _patient("Proton pump inhibitor use is associated with a loss of the benefit of alendronate (AD).") == (
        "Proton pump inhibitor use is linked to a loss of the benefit of alendronate."
    )
    kept = _patient("Glucocorticoids (GCs) are widely used.", "Long-term GCs use causes bone loss.")
    assert "(GCs)" in kept  # "GCs" is used again: its definition stays


def test_plain_words_from_the_glossary() -> None:
    text = _patient(
        "Benefit was demonstrated in participants with latent tuberculosis infection or LTBI who received "
        "indomethacin 50 mg TID and required additional doses.",
        "The study demonstrated fewer falls; data were obtained from records.",
    )
    assert "Benefit was shown in people with latent TB infection who got indomethacin 50 mg three times a day" in text
    assert "needed extra doses" in text
    assert "The study showed fewer falls. Data were gotten from records." in text
    # A duplicate is collapsed only when it is the whole phrase.
    assert "in primary care or primary care-relevant settings" in _patient(
        "The USPSTF found 2 studies in children in primary care or primary care-relevant settings."
    )


def test_however_reads_as_but() -> None:
    assert _patient("Screening found more cancers. However, most were small.") == "Screening found more cancers. But most were small."


def test_numbered_noun_phrases_stay_one_sentence() -> None:
    text = _patient(
        "Disagreements could depend on the following: (1) the influence of baseline airflow obstruction; (2) the "
        "effect of eosinophilic inflammation; and (3) bronchial hyperresponsiveness."
    )
    assert "the following: (1) the influence" in text and "; and (3) bronchial" in text


def test_an_including_list_in_the_middle_of_a_sentence_stays() -> None:
    text = _patient(
        "While changes in specific genes affect how the body reacts to warfarin, many other factors, including "
        "gender, age, weight, diet, and other medications, also play a role in the response."
    )
    assert "many other factors, including gender, age, weight, diet, and other medicines, also play a role" in text
    assert "physical activity for older people every week. This includes walking, cycling and swimming." in _patient(
        "The expert group recommends regular physical activity for older people every week, including walking, "
        "cycling and swimming."
    )


def test_a_reworded_bullet_is_marked_so_no_view_shows_it_as_a_verbatim_quote(jargon_article: Article) -> None:
    base = {b.text: b for s in jargon_article.sections for b in s.bullets}
    assert not any(b.reworded for b in base.values())
    view = view_for_audience(jargon_article, "patient").article
    bullets = [b for s in view.sections for b in s.bullets]
    assert any(b.reworded for b in bullets)
    for bullet in bullets:
        # reworded exactly when the words are no longer the source's; the claim's support is unchanged
        assert bullet.reworded == (bullet.text not in base)
    physician = view_for_audience(jargon_article, "physician").article
    assert not any(b.reworded for s in physician.sections for b in s.bullets)


def test_examples_that_end_a_sentence_become_a_sentence_of_their_own() -> None:
    text = _patient(
        "Some pregnant people are screened earlier than 24 weeks because they have risk factors for type 2 diabetes, "
        "such as obesity, family history of type 2 diabetes, or macrosomia during an earlier pregnancy."
    )
    assert "risk factors for type 2 diabetes. Examples include obesity, family history of type 2 diabetes" in text
    # Examples in the middle of a sentence stay where they are: its verb comes after them.
    assert "Adults who have internal bleeding, such as intestinal bleeding, can develop" in _patient(
        "Adults who have internal bleeding, such as intestinal bleeding, can develop iron-deficiency anemia due to "
        "blood loss."
    )
    # ... and so do examples without a comma before them.
    assert "Side effects such as constipation, dizziness, and drowsiness are more frequent" in _patient(
        "Side effects such as constipation, dizziness, and drowsiness are more frequent with opioids than with placebo."
    )


def test_an_opening_also_or_in_addition_is_dropped() -> None:
    # It links to a sentence of the source the reader may never see; the statement stands alone without it.
    text = _patient(
        "Also, the USPSTF concluded that screening should be stopped after age 85 years. In addition, "
        "screening is not recommended in adults older than 85 years."
    )
    assert text.startswith("The US expert panel (USPSTF) concluded that screening should be stopped after age 85 years. "
                           "Screening is not recommended")
    assert "Also" not in text and "In addition" not in text

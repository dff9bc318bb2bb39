"""The drug-interaction check: the curated table, class expansion, pairs, labels read by concept, the scope,
and what a serious interaction does to a determination, to options and to the article."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from curbside.corpus.documents import DocType, Document, Passage
from curbside.evidence.assessment import (
    AgentEvidence,
    ClinicalEvidence,
    NextStepOption,
    PlannedAgent,
    check_clinical_interactions,
    determine,
)
from curbside.evidence.interactions import (
    COLUMNS,
    InteractionSourceKind,
    check_interactions,
    load_interactions,
    table_generics,
)
from curbside.evidence.selection import ScoredSentence
from curbside.retrieval.search import SearchHit
from curbside.understanding.patient_context import Medication, PatientContext
from curbside.vocabulary.drug_classes import class_terms, known_classes
from curbside.writing import clinical
from curbside.writing.article import Article, Section
from curbside.writing.render import to_html, to_markdown

VIAGRA = "spl-viagra"


class FakeLabels:
    """A LabelStore: sildenafil's label (brand Viagra) with its Contraindications and Drug Interactions passages."""

    def __init__(self, passages: dict[str, list[tuple[str, str]]]) -> None:
        self.passages = passages

    def label_passages(self, generic: str, section: str) -> list[tuple[Document, Passage]]:
        doc = Document(VIAGRA, "spl", "Viagra (sildenafil citrate) label", DocType.DRUG_LABEL, year=2017)
        return [(doc, Passage(f"{VIAGRA}#{i}", VIAGRA, i, name, text, None))
                for i, (name, text) in enumerate(self.passages.get(generic, []))
                if name == section or name.startswith(f"{section} >")]

    def brands_of(self, generic: str) -> list[str]:
        return ["viagra"] if generic == "sildenafil" else []


SILDENAFIL_LABEL = FakeLabels({"sildenafil": [
    ("Contraindications > Nitrates",
     "VIAGRA was shown to potentiate the hypotensive effects of nitrates, and its administration to patients who are "
     "using nitric oxide donors such as organic nitrates or organic nitrites in any form is therefore contraindicated."),
    ("Contraindications > Concomitant Guanylate Cyclase (GC) Stimulators",
     "PDE5 inhibitors, including VIAGRA, may potentiate the hypotensive effects of GC stimulators."),
    ("Drug Interactions > Alpha-blockers",
     "Use caution when co-administering alpha-blockers with VIAGRA because of potential additive blood "
     "pressure-lowering effects."),
    ("Drug Interactions > Alcohol",
     "Sildenafil did not potentiate the hypotensive effect of alcohol in healthy volunteers."),
    ("Drug Interactions > Amlodipine",
     "When VIAGRA 100 mg was co-administered with amlodipine to hypertensive patients, the mean additional reduction "
     "on supine blood pressure was 8 mmHg systolic."),
]})


# --- the curated table ---------------------------------------------------------------------------------------
def test_the_table_is_curated_like_the_dose_table() -> None:
    text = resources.files("curbside.evidence").joinpath("data/drug_interactions.tsv").read_text(encoding="utf-8")
    assert "Curated by hand for Curbside" in text and "No article identifiers" in text
    header = next(line for line in text.splitlines() if line and not line.startswith("#"))
    assert tuple(header.split("\t")) == COLUMNS
    rows = load_interactions()
    assert len(rows) >= 14
    for row in rows:
        assert row.effect and row.management
        # Sources are labels named by section heading: no section numbers, no identifiers.
        assert "FDA label \u2014 " in row.source and not any(ch.isdigit() for ch in row.source.split("\u2014")[1][:3])
        assert "PMID" not in row.source and "doi" not in row.source.lower()
        for side in (row.drug_a, row.drug_b):
            assert not side.startswith("class:") or side[len("class:"):] in known_classes()


@pytest.mark.parametrize(("a", "b", "severity"), [
    ("warfarin", "ciprofloxacin", "major"),
    ("warfarin", "ibuprofen", "major"),
    ("warfarin", "aspirin", "major"),
    ("warfarin", "fluconazole", "major"),
    ("warfarin", "clarithromycin", "major"),
    ("warfarin", "erythromycin", "major"),
    ("apixaban", "naproxen", "major"),
    ("sildenafil", "nitroglycerin", "contraindicated"),
    ("tadalafil", "isosorbide mononitrate", "contraindicated"),
    ("sildenafil", "doxazosin", "moderate"),
    ("simvastatin", "clarithromycin", "contraindicated"),
    ("lovastatin", "itraconazole", "contraindicated"),
    ("methotrexate", "sulfamethoxazole and trimethoprim", "major"),
    ("sertraline", "phenelzine", "contraindicated"),
    ("lisinopril", "spironolactone", "moderate"),
    ("losartan", "eplerenone", "moderate"),
    ("clopidogrel", "omeprazole", "major"),
    ("lithium", "ibuprofen", "major"),
])
def test_the_required_pairs_are_in_the_table_by_drug_or_class(a: str, b: str, severity: str) -> None:
    check = check_interactions([a], [b])
    assert [f.severity for f in check.findings] == [severity]
    assert check.findings[0].sources[0].kind == InteractionSourceKind.CURATED_TABLE
    assert check_interactions([b], [a]).findings[0].severity == severity  # either order


def test_the_most_specific_row_decides_and_a_class_covers_its_members() -> None:
    warfarin = check_interactions(["warfarin"], ["ibuprofen"]).findings[0]
    assert "COUMADIN" in warfarin.sources[0].source  # warfarin's own row, not the anticoagulant class row
    apixaban = check_interactions(["apixaban"], ["ibuprofen"]).findings[0]
    assert "ELIQUIS" in apixaban.sources[0].source
    assert {"ciprofloxacin", "levofloxacin", "nitroglycerin", "tamsulosin"} <= set(table_generics())
    assert "nitrofurantoin" not in table_generics()
    assert "organic nitrates" in class_terms("nitrate")


def test_a_combination_written_as_its_parts_is_checked_as_the_combination() -> None:
    check = check_interactions(["trimethoprim", "sulfamethoxazole", "methotrexate"], [])
    assert list(check.drugs) == ["sulfamethoxazole and trimethoprim", "methotrexate"]
    assert check.findings[0].severity == "major"


# --- pairs and scope ------------------------------------------------------------------------------------------
def test_every_regimen_pair_and_every_proposed_drug_and_option_is_paired() -> None:
    check = check_interactions(["warfarin", "lisinopril"], ["ciprofloxacin"], options=["ibuprofen", "nitrofurantoin"])
    assert check.pairs == [("warfarin", "lisinopril"), ("warfarin", "ciprofloxacin"), ("lisinopril", "ciprofloxacin"),
                           ("warfarin", "ibuprofen"), ("lisinopril", "ibuprofen"), ("ciprofloxacin", "ibuprofen"),
                           ("warfarin", "nitrofurantoin"), ("lisinopril", "nitrofurantoin"),
                           ("ciprofloxacin", "nitrofurantoin")]
    assert [(f.drugs, f.roles) for f in check.findings] == [
        (("warfarin", "ciprofloxacin"), ("regimen", "proposed")), (("warfarin", "ibuprofen"), ("regimen", "option"))]
    assert [f.drugs for f in check.serious_for("ciprofloxacin")] == [("warfarin", "ciprofloxacin")]


def test_the_scope_says_which_drugs_it_knows_and_which_it_could_not_check() -> None:
    check = check_interactions(["warfarin"], ["nitrofurantoin"], SILDENAFIL_LABEL, prior=["aspirin"])
    statement = check.scope_statement()
    assert not check.findings and check.not_checked == ["nitrofurantoin"] and check.table_drugs == ["warfarin"]
    assert f"The table knows {len(table_generics())} drugs" in statement
    assert "not checked: nitrofurantoin" in statement and "is not excluded" in statement
    assert "not evidence that none exists" in statement and "Prior therapies were not included: aspirin" in statement
    assert "None of these drugs has a label in the knowledge base" in statement
    assert "read for sildenafil" in check_interactions(["nitroglycerin"], ["sildenafil"], SILDENAFIL_LABEL).scope_statement()
    assert check_interactions(["warfarin"], []).scope_statement().startswith("No interaction check")


# --- labels in the index, read by concept ------------------------------------------------------------------
def test_a_label_names_the_other_drug_by_its_class_and_says_contraindicated() -> None:
    check = check_interactions(["isosorbide dinitrate"], ["sildenafil"], SILDENAFIL_LABEL)
    finding = check.findings[0]
    label = finding.sources[0]
    assert finding.severity == "contraindicated" and label.kind == InteractionSourceKind.LABEL_IN_INDEX
    assert label.passage_id == f"{VIAGRA}#0" and label.sentence and "contraindicated" in label.sentence
    assert label.named_as is not None and label.named_as.endswith("which include isosorbide dinitrate")
    assert finding.sources[1].kind == InteractionSourceKind.CURATED_TABLE  # the table agrees, listed after the label


def test_a_label_statement_alone_is_a_finding_with_its_own_severity() -> None:
    label_only = FakeLabels({"sildenafil": [("Drug Interactions > Alpha-blockers",
                                             "Use caution when co-administering alpha-blockers with VIAGRA.")]})
    finding = check_interactions(["terazosin"], ["sildenafil"], label_only).findings[0]
    assert finding.severity == "moderate" and [s.kind for s in finding.sources] == ["label_in_index", "curated_table"]


@pytest.mark.parametrize("other", ["tadalafil", "amlodipine", "ethanol", "heparin"])
def test_no_finding_from_a_shared_word_a_negation_or_a_sentence_without_an_interaction(other: str) -> None:
    # tadalafil: "PDE5 inhibitors, including VIAGRA" is the label's own class, not the other drug;
    # amlodipine: named, but no advice or effect word; alcohol: "did not potentiate"; heparin: not named at all.
    check = check_interactions([other], ["sildenafil"], SILDENAFIL_LABEL)
    assert not [s for f in check.findings for s in f.sources if s.kind == InteractionSourceKind.LABEL_IN_INDEX]


# --- what a serious interaction does -------------------------------------------------------------------------
def _agent(generic: str, classification: str = "standard_of_care") -> AgentEvidence:
    return AgentEvidence(generic, None, generic, classification=classification)  # type: ignore[arg-type]


def _clinical(question_type: str, current: list[str], proposed: list[str], agents: bool = True,
              options: list[NextStepOption] | None = None) -> ClinicalEvidence:
    meds = [Medication(as_written=g, generic=g) for g in [*current, *proposed]]
    patient = PatientContext(age=70, conditions=["urinary tract infection"], medications=meds, current_therapies=current)
    planned = [PlannedAgent(_agent(m.generic), m, None) for m in meds] if agents else []
    return ClinicalEvidence(question_type, patient, ["urinary tract infection"], agents=planned, options=options or [])


def test_a_serious_interaction_blocks_a_supported_determination_and_says_why() -> None:
    result = check_clinical_interactions(_clinical("medical_necessity", ["warfarin"], ["ciprofloxacin"]), None)
    assert result.interactions is not None and result.interactions.findings[0].severity == "major"
    determination, reasons = result.determination or (None, [])
    assert determination == "blocked_by_interaction"
    assert reasons[0].startswith("Not supported as planned for this patient:")
    assert "warfarin with ciprofloxacin (major)" in reasons[0]
    assert any("a serious interaction with warfarin (major)" in r for r in result.agents[1].evidence.reasons)
    # Without the interaction, the same plan is supported.
    assert determine([_agent("warfarin"), _agent("ciprofloxacin")])[0] == "supported"


def test_an_agent_without_the_interaction_keeps_the_plan_partially_supported() -> None:
    blocked, clear = _agent("ciprofloxacin"), _agent("nitrofurantoin")
    blocked.serious_interactions = check_interactions(["warfarin"], ["ciprofloxacin"]).findings
    determination, reasons = determine([blocked, clear])
    assert determination == "partially_supported"
    assert "interacts seriously" in reasons[0] and reasons[1].startswith("Serious drug interaction:")


def test_a_moderate_interaction_does_not_block() -> None:
    result = check_clinical_interactions(_clinical("medical_necessity", ["lisinopril"], ["spironolactone"]), None)
    assert result.interactions is not None and result.interactions.findings[0].severity == "moderate"
    assert result.determination is not None and result.determination[0] == "supported"


def _option(generic: str) -> NextStepOption:
    doc = Document(f"g-{generic}", "test", "UTI guideline", DocType.GUIDELINE, year=2020)
    text = f"{generic.capitalize()} is recommended for uncomplicated urinary tract infection."
    hit = SearchHit(Passage(Passage.make_id(doc.doc_id, 0), doc.doc_id, 0, "Recommendations", text, None), doc,
                    1.0, 1, None, 1.0, None)
    return NextStepOption(generic, ScoredSentence(hit, 0, len(text), 1.0, 1.0, (), None, frozenset()), None)


def test_an_option_that_interacts_seriously_is_ranked_after_and_named() -> None:
    options = [_option("ciprofloxacin"), _option("nitrofurantoin")]
    result = check_clinical_interactions(_clinical("next_step", ["warfarin"], [], agents=False, options=options), None)
    assert [o.generic for o in result.options] == ["nitrofurantoin", "ciprofloxacin"]
    _, cite = _numbering()
    ranked = clinical.ranked_options(result, cite)
    assert ranked[0].interaction_warning is None and ranked[1].interaction_warning == "major interaction with warfarin"
    bottom = clinical.next_step_bottom_line(ranked, result)
    assert bottom is not None and "nitrofurantoin" in bottom.text and "ciprofloxacin" not in bottom.text
    only = check_clinical_interactions(_clinical("next_step", ["warfarin"], [], agents=False,
                                                 options=[_option("ciprofloxacin")]), None)
    bottom = clinical.next_step_bottom_line(clinical.ranked_options(only, cite), only)
    assert bottom is not None and "interact seriously" in bottom.text and bottom.support == "derived"


def test_the_check_runs_for_any_question_that_names_drugs() -> None:
    result = check_clinical_interactions(_clinical("general", ["warfarin"], ["ciprofloxacin"], agents=False), None)
    assert result.interactions is not None and result.determination is None
    assert check_clinical_interactions(_clinical("general", [], [], agents=False), None).interactions is None


# --- the article -----------------------------------------------------------------------------------------------
def _numbering() -> tuple[list[Document], clinical.CiteFunction]:
    docs: list[Document] = []

    def cite(doc: Document) -> int:
        if doc.doc_id not in [d.doc_id for d in docs]:
            docs.append(doc)
        return [d.doc_id for d in docs].index(doc.doc_id) + 1

    return docs, cite


def test_a_serious_interaction_is_the_first_consideration_derived_never_quoted() -> None:
    result = check_clinical_interactions(_clinical("general", ["nitroglycerin"], ["sildenafil"], agents=False),
                                         SILDENAFIL_LABEL)
    docs, cite = _numbering()
    existing = Section(id="considerations", heading="Key Considerations", bullets=[])
    findings, scope, sections = clinical.interaction_fields(result, [existing], cite, "Key Considerations")
    first = sections[0].bullets[0]
    assert first.support == "derived" and not first.quotes and first.text.startswith("Serious drug interaction (contraindicated)")
    label_fact = next(f for f in first.derived_from if f.quote is not None)
    assert label_fact.quote.passage_id == f"{VIAGRA}#0" and label_fact.quote.text not in first.text
    assert docs[label_fact.citation - 1].doc_id == VIAGRA
    assert {f.citation for f in first.derived_from if f.citation} == set(first.citations)
    assert findings[0].sources[0].quote is not None and scope is not None and scope.label_drugs == ["sildenafil"]
    # No considerations section yet: one is added, before patient information.
    _, _, added = clinical.interaction_fields(result, [Section(id="patient", heading="Patient Information", bullets=[])],
                                              cite, "Key Considerations")
    assert [s.id for s in added] == ["considerations", "patient"]


def test_the_renderings_show_the_findings_and_the_scope() -> None:
    result = check_clinical_interactions(_clinical("general", ["warfarin"], ["ciprofloxacin"], agents=False), None)
    _, cite = _numbering()
    findings, scope, sections = clinical.interaction_fields(result, [], cite, "Key Considerations")
    article = Article.model_validate({
        "title": "q", "question": "q", "bottom_line": "b", "evidence_status": "limited", "sections": sections,
        "references": [], "patient_story": PatientContext(), "query": {"clinical_question": "q", "keywords": [],
        "expansions": [], "mesh_terms": []}, "corpus_snapshot": "s", "evidence_scale": "e",
        "writer": {"name": "w", "version": "1", "preset": "p", "settings": {}}, "disclaimer": "d",
        "interactions": findings, "interaction_check": scope})
    markdown = to_markdown(article)
    assert "## Drug interactions" in markdown and "**Major:** warfarin (current regimen) with ciprofloxacin (proposed)" in markdown
    assert "_Scope of the check: Interactions checked for 1 pair" in markdown
    assert "interaction-scope" in to_html(article)
    assert Article.model_validate_json(article.to_json()).interactions[0].severity == "major"


def test_the_web_template_shows_each_source_with_a_marker_that_points_at_its_note() -> None:
    jinja2 = pytest.importorskip("jinja2")
    from curbside.writing.render import template_labels

    result = check_clinical_interactions(_clinical("general", ["nitroglycerin"], ["sildenafil"], agents=False),
                                         SILDENAFIL_LABEL)
    docs, cite = _numbering()
    findings, scope, sections = clinical.interaction_fields(result, [], cite, "Key Considerations")
    references = [{"number": i + 1, "doc_id": d.doc_id, "title": d.title, "source": d.source,
                   "doc_type": str(d.doc_type), "doc_type_label": "Drug label (FDA)", "evidence_level": 2}
                  for i, d in enumerate(docs)]
    article = {"title": "q", "bottom_line": "b", "evidence_status": "limited", "sections": [s.model_dump(mode="json") for s in sections],
               "references": references, "interactions": [f.model_dump(mode="json") for f in findings],
               "interaction_check": scope.model_dump(mode="json") if scope else None}
    templates = resources.files("curbside.web").joinpath("templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True)
    env.globals.update(template_labels())
    html = env.get_template("_article_body.html").render(article=article, audience="physician")
    section = html[html.index('id="sec-interactions"'):]
    section = section[:section.index("</section>")]
    assert "Contraindicated" in section and "Scope of the check:" in section and "<q>" in section
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    described = re.findall(r'aria-describedby="([^"]+)"', section)
    assert described and all(d in ids for d in described)


def test_the_safety_answer_names_the_interaction_or_what_could_not_be_checked() -> None:
    _, cite = _numbering()
    found = check_clinical_interactions(_clinical("general", ["warfarin"], ["ciprofloxacin"], agents=False), None)
    findings, _, _ = clinical.interaction_fields(found, [], cite, "Key Considerations")
    answer = clinical.interaction_answer(found, findings)
    assert answer is not None and answer.support == "derived" and not answer.quotes and answer.citations
    assert answer.text.startswith("A serious interaction: warfarin with ciprofloxacin is a major interaction.")
    unknown = check_clinical_interactions(_clinical("general", ["warfarin"], ["nitrofurantoin"], agents=False), None)
    answer = clinical.interaction_answer(unknown, [])
    assert answer is not None and answer.text.startswith("Interactions of nitrofurantoin could not be checked")
    clear = check_clinical_interactions(_clinical("general", ["warfarin"], ["lisinopril"], agents=False), None)
    answer = clinical.interaction_answer(clear, [])
    assert answer is not None and "not evidence that none exists" in answer.text and not answer.citations
    regimen_only = check_clinical_interactions(_clinical("general", ["warfarin", "aspirin"], [], agents=False), None)
    assert clinical.interaction_answer(regimen_only, []) is None


@pytest.mark.parametrize(("question", "paired"), [
    ("Is warfarin or aspirin better for stroke prevention in atrial fibrillation?", False),
    ("Aspirin versus warfarin after a stroke", False),
    ("Should we switch from warfarin to aspirin?", False),
    ("Can aspirin be taken with warfarin?", True),
    ("Add aspirin to warfarin for a mechanical valve?", True),
])
def test_two_drugs_offered_as_alternatives_are_not_paired(question: str, paired: bool) -> None:
    result = _clinical("general", [], ["warfarin", "aspirin"], agents=False)
    check = check_clinical_interactions(result, None, question).interactions
    assert check is not None and bool(check.findings) is paired
    # A drug the patient takes is always paired with what is proposed, whatever the words between them.
    on = _clinical("general", ["warfarin"], ["aspirin"], agents=False)
    assert check_clinical_interactions(on, None, "On warfarin: aspirin or nothing?").interactions.findings  # type: ignore[union-attr]

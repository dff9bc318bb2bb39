"""Superseded guideline statements (corpus/versions.py) and their lookup on an opened index.

The titles are the corpus's own: USPSTF records (source ``uspstf``) and NGC summaries of earlier statements.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.ngc import load_ngc
from curbside.corpus.loaders.uspstf import load_uspstf
from curbside.corpus.versions import Supersession, supersessions, topic_key
from curbside.retrieval.index import Index, build_index
from curbside.settings import load_settings

USPSTF = "U.S. Preventive Services Task Force"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _doc(doc_id: str, title: str, year: int | None, *, organization: str = USPSTF) -> Document:
    source = doc_id.split("-", 1)[0]
    doc = Document(doc_id=doc_id, source=source, title=title, doc_type=DocType.GUIDELINE, year=year,
                   organization=organization)
    doc.add_passage("Recommendation", f"{title}.")
    return doc


# The current USPSTF records on the topics the issue names, and their neighbours that must not be merged.
CURRENT = [
    _doc("uspstf-449", "Aspirin Use to Prevent Cardiovascular Disease: Preventive Medication", 2022),
    _doc("uspstf-447", "Aspirin Use to Prevent Preeclampsia and Related Morbidity and Mortality: Preventive Medication", 2021),
    _doc("uspstf-634", "Statin Use for the Primary Prevention of Cardiovascular Disease in Adults: Preventive Medication", 2022),
    _doc("uspstf-443", "Colorectal Cancer: Screening", 2021),
    _doc("uspstf-734", "Breast Cancer: Screening", 2024),
    _doc("uspstf-414", "Breast Cancer: Medication Use to Reduce Risk", 2019),
    _doc("uspstf-413", "BRCA-Related Cancer: Risk Assessment, Genetic Counseling, and Genetic Testing", 2019),
    _doc("uspstf-434", "Hypertension in Adults: Screening", 2021),
    _doc("uspstf-436", "High Blood Pressure in Children and Adolescents: Screening", 2020),
    _doc("uspstf-778", "Hypertensive Disorders of Pregnancy: Screening", 2023),
    _doc("uspstf-437", "Prediabetes and Type 2 Diabetes: Screening", 2021),
    _doc("uspstf-654", "Prediabetes and Type 2 Diabetes in Children and Adolescents: Screening", 2022),
    _doc("uspstf-445", "Gestational Diabetes: Screening", 2021),
    _doc("uspstf-435", "Healthy Diet and Physical Activity for Cardiovascular Disease Prevention in Adults With "
         "Cardiovascular Risk Factors: Behavioral Counseling Interventions", 2020),
    _doc("uspstf-453", "Healthy Diet and Physical Activity for Cardiovascular Disease Prevention in Adults Without "
         "Cardiovascular Disease Risk Factors: Behavioral Counseling Interventions", 2022),
    _doc("uspstf-441", "Hepatitis B Virus Infection in Adolescents and Adults: Screening", 2020),
    _doc("uspstf-423", "Hepatitis C Virus Infection in Adolescents and Adults: Screening", 2020),
    _doc("uspstf-420", "Hepatitis B Virus Infection in Pregnant Women: Screening", 2019),
    _doc("uspstf-440", "Human Immunodeficiency Virus (HIV) Infection: Screening", 2019),
    _doc("uspstf-838", "Prevention of Acquisition of HIV: Preexposure Prophylaxis", 2023),
    _doc("uspstf-345", "Oral Cancer: Screening", 2013),
    _doc("uspstf-757", "Oral Health in Adults: Screening and Preventive Interventions", 2023),
]

# NGC summary -> the record that replaces it.
EXPECTED = {
    "ngc-11001": "uspstf-449",  # aspirin 2016 (CVD and CRC) -> 2022, not the preeclampsia statement
    "ngc-10602": "uspstf-447",  # low-dose aspirin for preeclampsia 2014 -> 2021
    "ngc-11104": "uspstf-634",  # statins 2016 -> 2022
    "ngc-11005": "uspstf-443",  # colorectal screening 2016 -> 2021
    "ngc-10904": "uspstf-734",  # breast screening 2016 -> 2024
    "ngc-10056": "uspstf-414",  # breast cancer risk-reducing medication 2013 -> 2019
    "ngc-10191": "uspstf-413",  # BRCA 2014 -> 2019
    "ngc-10822": "uspstf-434",  # "high blood pressure in adults" -> "hypertension in adults"
    "ngc-10057": "uspstf-436",  # primary hypertension in children -> high blood pressure in children
    "ngc-11201": "uspstf-778",  # preeclampsia screening -> hypertensive disorders of pregnancy
    "ngc-10853": "uspstf-437",  # abnormal blood glucose and type 2 diabetes -> prediabetes, adults (not children)
    "ngc-10198": "uspstf-445",  # gestational diabetes
    "ngc-10518": "uspstf-435",  # diet and activity, with risk factors
    "ngc-11242": "uspstf-453",  # ... without known risk factors
    "ngc-10472": "uspstf-441",  # hepatitis B, nonpregnant -> hepatitis B (never hepatitis C)
    "ngc-9806": "uspstf-440",  # HIV screening -> HIV screening, not PrEP
    "ngc-10097": "uspstf-345",  # the same 2013 statement, summarised in 2014
}
SUMMARIES = [
    _doc("ngc-11001", "Aspirin use for the primary prevention of cardiovascular disease and colorectal cancer: "
         "U.S. Preventive Services Task Force recommendation statement", 2016),
    _doc("ngc-10602", "Low-dose aspirin use for the prevention of morbidity and mortality from preeclampsia: "
         "U.S. Preventive Services Task Force recommendation statement", 2014),
    _doc("ngc-11104", "Final recommendation statement: statin use for the primary prevention of cardiovascular "
         "disease in adults: preventive medication", 2016),
    _doc("ngc-11005", "Final recommendation statement: colorectal cancer: screening", 2016),
    _doc("ngc-10904", "Screening for breast cancer: U.S. Preventive Services Task Force recommendation statement", 2016),
    _doc("ngc-10056", "Medications for risk reduction of primary breast cancer in women: U.S. Preventive Services "
         "Task Force recommendation statement", 2013),
    _doc("ngc-10191", "Risk assessment, genetic counseling, and genetic testing for BRCA-related cancer in women: "
         "U.S. Preventive Services Task Force recommendation statement", 2014),
    _doc("ngc-10822", "Screening for high blood pressure in adults: U.S. Preventive Services Task Force "
         "recommendation statement", 2015),
    _doc("ngc-10057", "Screening for primary hypertension in children and adolescents: U.S. Preventive Services "
         "Task Force recommendation statement", 2013),
    _doc("ngc-11201", "Final recommendation statement: preeclampsia: screening", 2017),
    _doc("ngc-10853", "Screening for abnormal blood glucose and type 2 diabetes mellitus: U.S. Preventive Services "
         "Task Force recommendation statement", 2015),
    _doc("ngc-10198", "Screening for gestational diabetes mellitus: U.S. Preventive Services Task Force "
         "recommendation statement", 2014),
    _doc("ngc-10518", "Behavioral counseling to promote a healthful diet and physical activity for cardiovascular "
         "disease prevention in adults with cardiovascular risk factors: U.S. Preventive Services Task Force "
         "recommendation statement", 2014),
    _doc("ngc-11242", "Final recommendation statement: healthful diet and physical activity for cardiovascular "
         "disease prevention in adults without known risk factors: behavioral counseling", 2017),
    _doc("ngc-10472", "Screening for hepatitis B virus infection in nonpregnant adolescents and adults: U.S. "
         "Preventive Services Task Force recommendation statement", 2014),
    _doc("ngc-9806", "Screening for HIV: U.S. Preventive Services Task Force recommendation statement", 2013),
    _doc("ngc-10097", "Screening for oral cancer: U.S. Preventive Services Task Force recommendation statement", 2014),
]


def test_each_summary_is_replaced_by_the_current_statement_on_its_own_topic() -> None:
    found = supersessions(CURRENT + SUMMARIES)
    assert {old: s.new_doc_id for old, s in found.items()} == EXPECTED
    aspirin = found["ngc-11001"]
    assert aspirin == Supersession("ngc-11001", "uspstf-449", 2016, 2022, CURRENT[0].title, same_statement=False)
    assert found["ngc-10097"].same_statement  # a summary of the very statement the record holds
    assert not any(s.new_doc_id.startswith("ngc-") for s in found.values())


def test_current_statements_replace_nothing_among_themselves() -> None:
    # Breast screening / risk-reducing medication / BRCA; adults / children / pregnancy; with / without risk
    # factors; hepatitis B / C; HIV screening / PrEP; oral cancer (2013) / oral health (2023).
    assert supersessions(CURRENT) == {}


def test_different_bodies_and_different_populations_are_never_merged() -> None:
    docs = [
        _doc("ngc-10531", "Managing acute complications of sickle cell disease. In: Evidence-based management of "
             "sickle cell disease", 2014, organization="National Heart, Lung, and Blood Institute (U.S.)"),
        _doc("ngc-10532", "Managing chronic complications of sickle cell disease. In: Evidence-based management of "
             "sickle cell disease", 2015, organization="National Heart, Lung, and Blood Institute (U.S.)"),
        _doc("ngc-10535", "VA/DoD clinical practice guideline for the management of upper extremity amputation "
             "rehabilitation", 2014, organization="Department of Defense"),
        _doc("ngc-11289", "VA/DoD clinical practice guideline for rehabilitation of individuals with lower limb "
             "amputation", 2017, organization="Department of Defense"),
        _doc("ngc-10403", "Preexposure prophylaxis for the prevention of HIV Infection in the United States - 2014",
             2014, organization="Centers for Disease Control and Prevention"),
        _doc("uspstf-838", "Prevention of Acquisition of HIV: Preexposure Prophylaxis", 2023),
        _doc("ngc-10911", "Screening for depression in children and adolescents: U.S. Preventive Services Task Force "
             "recommendation statement", 2016),
        _doc("uspstf-494", "Depression and Suicide Risk in Adults: Screening", 2023),
        _doc("uspstf-405", "Perinatal Depression: Preventive Interventions", 2019),
    ]
    assert supersessions(docs) == {}


def test_a_later_version_from_the_same_body_replaces_an_earlier_one_and_chains_end_at_the_current() -> None:
    docs = [
        _doc("ngc-1", "Screening for lung cancer: U.S. Preventive Services Task Force recommendation statement", 2013),
        _doc("ngc-2", "Final recommendation statement: lung cancer: screening", 2016),
        _doc("uspstf-432", "Lung Cancer: Screening", 2021),
        _doc("ngc-3", "Final recommendation statement: thyroid cancer: screening", 2017),
        _doc("ngc-4", "Final recommendation statement: thyroid cancer: screening", 2017),  # same year: neither
    ]
    found = supersessions(docs)
    assert {old: (s.new_doc_id, s.old_year, s.new_year) for old, s in found.items()} == {
        "ngc-1": ("uspstf-432", 2013, 2021),
        "ngc-2": ("uspstf-432", 2016, 2021),
    }
    # A summary far newer than the body's record of that topic is not replaced by it.
    assert supersessions([_doc("uspstf-1", "Lung Cancer: Screening", 2013), _doc("ngc-5", "Screening for lung cancer", 2016)]) == {
        "uspstf-1": Supersession("uspstf-1", "ngc-5", 2013, 2016, "Screening for lung cancer")
    }


def test_topic_key_reads_population_action_and_contrast() -> None:
    key = topic_key("Screening for high blood pressure in adults: U.S. Preventive Services Task Force "
                    "recommendation statement.")
    assert key.words == {"hypertension"} and key.actions == {"screening"} and key.ages == {"adult"}
    children = topic_key("Vision in Children Ages 6 Months to 5 Years: Screening")
    assert children.ages == {"child"} and children.words == {"vision"}
    assert topic_key("Gestational Diabetes: Screening").pregnant
    assert topic_key("Cognitive Impairment in Older Adults: Screening").ages == {"older_adult", "adult"}
    assert ("with_without", "without") in topic_key("Adults Without Cardiovascular Disease Risk Factors").contrasts


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the starter corpus is not at ../shared/corpus")
def test_on_the_real_corpus_every_uspstf_summary_is_replaced_and_nothing_else_is() -> None:
    report = IngestReport()
    docs = list(load_uspstf(CORPUS / "uspstf" / "uspstf_recommendations.jsonl", report))
    docs += list(load_ngc(CORPUS / "ngc" / "ngc_public_domain.jsonl", report))
    found = supersessions(docs)
    uspstf_summaries = {d.doc_id for d in docs if d.source == "ngc" and d.organization == USPSTF}
    assert set(found) == uspstf_summaries  # 63 NGC summaries of USPSTF statements; other bodies: no versions
    assert all(s.new_doc_id.startswith("uspstf-") for s in found.values())
    for old, new in EXPECTED.items():
        assert found[old].new_doc_id == new


def test_the_index_answers_superseded_by_from_its_metadata(tmp_path: Path) -> None:
    settings = load_settings(preset="fast", data_dir=tmp_path, environ={})
    build_index(tmp_path, CURRENT + SUMMARIES, settings, kind="test", corpus_snapshot="t", rebuild_command="-")
    index = Index(tmp_path, settings)
    try:
        found = index.superseded_by("ngc-11104")
        assert found is not None and (found.new_doc_id, found.old_year, found.new_year) == ("uspstf-634", 2016, 2022)
        assert index.superseded_by("uspstf-634") is None and index.superseded_by("no-such-doc") is None
        assert index.supersessions is index.supersessions  # computed once per opened index
    finally:
        index.close()

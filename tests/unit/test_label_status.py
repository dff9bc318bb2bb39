"""Label status from the labels' own indications, matched by concept (curbside.evidence.indications).

The table of cases was written from the labels' Indications and Usage (the FDA labels named in
evidence/data/label_indications.tsv), not from the code: "on" where the label's indication covers the
condition in the patient's population, "off" where every label of the drug is curated and none covers it,
"unknown" where that cannot be said honestly (no label known; a condition with no concept; a label naming a
narrower kind than the condition given; a pediatric-only indication without an age; a drug whose other labels
are not curated: methotrexate, prednisone and immune globulin). A wrong "on" is the error that must never occur.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.corpus.documents import DocType, Document, IngestReport
from curbside.corpus.loaders.spl import load_spl
from curbside.evidence.assessment import label_status
from curbside.evidence.indications import (
    LabelStatus,
    curated_indications,
    label_coverage_complete,
    label_verdict,
    parse_indications,
)
from curbside.retrieval.store import MetadataStore
from curbside.vocabulary.conditions import concept

ON, OFF, UNKNOWN = "on_label", "off_label", "unknown"

# (agent, conditions, age or None, route or None, truth). The cases the issue names come first.
CASES: list[tuple[str, tuple[str, ...], int | None, str | None, str]] = [
    # --- the wrong results
    ("tocilizumab", ("dermatomyositis with ILD",), None, None, OFF),  # SSc-ILD is another disease's ILD
    ("tocilizumab", ("MDA5+ dermatomyositis", "interstitial lung disease"), None, None, OFF),
    ("tocilizumab", ("dermatomyositis-associated interstitial lung disease",), None, None, OFF),
    ("tocilizumab", ("psoriatic arthritis",), None, None, OFF),
    ("hydroxychloroquine", ("juvenile idiopathic arthritis",), None, None, OFF),  # "arthritis" is not RA
    ("cyclophosphamide", ("colorectal cancer",), None, None, OFF),  # "cancer" is not "carcinoma of the breast"
    ("prednisone", ("asthma",), None, None, ON),  # Allergic States: bronchial asthma
    ("prednisone", ("rheumatoid arthritis",), None, None, ON),
    ("methotrexate", ("ALL",), None, None, ON),  # acute lymphocytic leukemia
    ("methotrexate", ("acute lymphoblastic leukemia",), None, None, ON),
    ("azathioprine", ("kidney transplantation",), None, None, ON),  # renal homotransplantation
    ("azathioprine", ("kidney transplant recipient",), None, None, ON),
    ("IVIG", ("chronic ITP",), None, None, ON),  # Octagam 10%: chronic ITP in adults
    ("immune globulin", ("chronic immune thrombocytopenia",), None, None, ON),
    # --- rituximab (Rituxan; the biosimilars' indications are a subset)
    ("rituximab", ("rheumatoid arthritis",), None, None, ON),
    ("rituximab", ("severe active rheumatoid arthritis",), 58, None, ON),
    ("rituximab", ("granulomatosis with polyangiitis",), None, None, ON),
    ("rituximab", ("Wegener's granulomatosis",), None, None, ON),
    ("rituximab", ("microscopic polyangiitis",), 12, None, ON),  # adult and pediatric patients 2 years and older
    ("rituximab", ("granulomatosis with polyangiitis",), 1, None, OFF),  # under 2 years
    ("rituximab", ("eosinophilic granulomatosis with polyangiitis",), None, None, OFF),  # a sibling vasculitis
    ("rituximab", ("ANCA-associated vasculitis",), None, None, UNKNOWN),  # GPA or MPA? not said
    ("rituximab", ("pemphigus vulgaris",), None, None, ON),
    ("rituximab", ("pemphigus",), None, None, UNKNOWN),  # the label names pemphigus vulgaris only
    ("rituximab", ("bullous pemphigoid",), None, None, OFF),
    ("rituximab", ("chronic lymphocytic leukemia",), None, None, ON),
    ("rituximab", ("follicular lymphoma",), None, None, ON),
    ("rituximab", ("diffuse large B-cell lymphoma",), None, None, ON),
    ("rituximab", ("Burkitt lymphoma",), 8, None, ON),  # pediatric mature B-cell NHL
    ("rituximab", ("Burkitt lymphoma",), 45, None, OFF),  # the adult NHL indications do not name it
    ("rituximab", ("mantle cell lymphoma",), None, None, OFF),
    ("rituximab", ("lymphoma",), None, None, UNKNOWN),
    ("rituximab", ("MDA5+ dermatomyositis",), None, None, OFF),
    ("rituximab", ("systemic lupus erythematosus",), None, None, OFF),
    ("rituximab", ("lupus nephritis",), None, None, OFF),
    ("rituximab", ("myasthenia gravis",), None, None, OFF),
    ("rituximab", ("immune thrombocytopenia",), None, None, OFF),
    ("rituximab", ("clinically amyopathic dermatomyositis",), None, None, UNKNOWN),  # no concept
    ("rituximab", ("dermatomyositis", "dysphagia"), None, None, UNKNOWN),  # dysphagia: no concept
    ("rituximab", ("DM",), None, None, UNKNOWN),  # dermatomyositis or diabetes mellitus
    # --- tocilizumab (Actemra)
    ("tocilizumab", ("rheumatoid arthritis",), None, None, ON),
    ("tocilizumab", ("giant cell arteritis",), None, None, ON),
    ("tocilizumab", ("temporal arteritis",), 72, None, ON),
    ("tocilizumab", ("systemic sclerosis-associated interstitial lung disease",), None, None, ON),
    ("tocilizumab", ("systemic sclerosis-interstitial lung disease",), None, None, ON),
    ("tocilizumab", ("SSc-ILD",), 50, None, ON),
    ("tocilizumab", ("systemic sclerosis",), None, None, OFF),  # the disease, not its ILD
    ("tocilizumab", ("rheumatoid arthritis-associated interstitial lung disease",), None, None, OFF),
    ("tocilizumab", ("idiopathic pulmonary fibrosis",), None, None, OFF),
    ("tocilizumab", ("interstitial lung disease",), None, None, UNKNOWN),  # SSc-ILD is a kind of ILD
    ("tocilizumab", ("polyarticular juvenile idiopathic arthritis",), None, None, ON),
    ("tocilizumab", ("systemic JIA",), 8, None, ON),
    ("tocilizumab", ("systemic juvenile idiopathic arthritis",), 1, None, OFF),  # under 2 years
    ("tocilizumab", ("oligoarticular JIA",), None, None, OFF),  # a sibling JIA
    ("tocilizumab", ("juvenile idiopathic arthritis",), None, None, UNKNOWN),  # which kind? not said
    ("tocilizumab", ("adult-onset Still's disease",), None, None, OFF),  # neither RA nor systemic JIA
    ("tocilizumab", ("polymyalgia rheumatica",), None, None, OFF),
    ("tocilizumab", ("COVID-19",), None, None, ON),
    ("tocilizumab", ("CAR T cell-induced cytokine release syndrome",), None, None, ON),
    ("tocilizumab", ("cytokine release syndrome",), None, None, UNKNOWN),  # the label: CAR T cell-induced
    # --- hydroxychloroquine (Plaquenil)
    ("hydroxychloroquine", ("rheumatoid arthritis",), None, None, ON),
    ("hydroxychloroquine", ("systemic lupus erythematosus",), None, None, ON),
    ("hydroxychloroquine", ("lupus",), 35, None, ON),
    ("hydroxychloroquine", ("discoid lupus erythematosus",), None, None, ON),
    ("hydroxychloroquine", ("malaria",), 9, None, ON),  # adult and pediatric patients
    ("hydroxychloroquine", ("rheumatoid arthritis",), 10, None, OFF),  # adults only
    ("hydroxychloroquine", ("lupus nephritis",), None, None, OFF),  # an organ manifestation: not named
    ("hydroxychloroquine", ("Sjogren's syndrome",), None, None, OFF),
    ("hydroxychloroquine", ("dermatomyositis",), None, None, OFF),
    # --- cyclophosphamide
    ("cyclophosphamide", ("breast cancer",), None, None, ON),
    ("cyclophosphamide", ("multiple myeloma",), None, None, ON),
    ("cyclophosphamide", ("neuroblastoma",), 3, None, ON),
    ("cyclophosphamide", ("adenocarcinoma of the ovary",), None, None, ON),
    ("cyclophosphamide", ("acute myeloid leukemia",), None, None, ON),
    ("cyclophosphamide", ("Hodgkin lymphoma",), None, None, ON),
    ("cyclophosphamide", ("diffuse large B-cell lymphoma",), None, None, ON),  # malignant lymphomas
    ("cyclophosphamide", ("ovarian cancer",), None, None, UNKNOWN),  # the label: adenocarcinoma of the ovary
    ("cyclophosphamide", ("cancer",), None, None, UNKNOWN),
    ("cyclophosphamide", ("lung cancer",), None, None, OFF),
    ("cyclophosphamide", ("lupus nephritis",), None, None, OFF),
    ("cyclophosphamide", ("granulomatosis with polyangiitis",), None, None, OFF),
    ("cyclophosphamide", ("systemic sclerosis-associated interstitial lung disease",), None, None, OFF),
    ("cyclophosphamide", ("minimal change disease",), 6, None, ON),  # pediatric patients
    ("cyclophosphamide", ("pediatric minimal change nephrotic syndrome",), None, None, ON),
    ("cyclophosphamide", ("minimal change disease",), 40, None, OFF),  # not established in adults
    ("cyclophosphamide", ("minimal change disease",), None, None, UNKNOWN),  # pediatric only; age not given
    # --- prednisone (Prednisone Tablets, USP; other prednisone labels not curated)
    ("prednisone", ("polymyositis",), None, None, ON),
    ("prednisone", ("dermatomyositis",), None, None, ON),  # systemic dermatomyositis (polymyositis)
    ("prednisone", ("systemic lupus erythematosus",), None, None, ON),
    ("prednisone", ("ulcerative colitis",), None, None, ON),
    ("prednisone", ("Crohn's disease",), None, None, ON),  # regional enteritis
    ("prednisone", ("acute exacerbation of multiple sclerosis",), None, None, ON),
    ("prednisone", ("sarcoidosis",), None, None, ON),
    ("prednisone", ("pemphigus vulgaris",), None, None, ON),  # pemphigus
    ("prednisone", ("psoriatic arthritis",), None, None, ON),
    ("prednisone", ("systemic JIA",), None, None, ON),  # juvenile rheumatoid arthritis
    ("prednisone", ("immune thrombocytopenia",), 40, None, ON),  # ITP in adults
    ("prednisone", ("immune thrombocytopenia",), 5, None, UNKNOWN),
    ("prednisone", ("giant cell arteritis",), None, None, UNKNOWN),
    ("prednisone", ("colorectal cancer",), None, None, UNKNOWN),
    # --- methotrexate (tablets; the injection and other labels not curated)
    ("methotrexate", ("rheumatoid arthritis",), None, None, ON),
    ("methotrexate", ("psoriasis",), None, None, ON),
    ("methotrexate", ("breast cancer",), None, None, ON),
    ("methotrexate", ("gestational choriocarcinoma",), None, None, ON),
    ("methotrexate", ("polyarticular JIA",), None, None, ON),
    ("methotrexate", ("non-Hodgkin lymphoma",), None, None, ON),
    ("methotrexate", ("psoriatic arthritis",), None, None, UNKNOWN),
    ("methotrexate", ("systemic JIA",), None, None, UNKNOWN),
    ("methotrexate", ("Crohn's disease",), None, None, UNKNOWN),
    # --- azathioprine (Imuran)
    ("azathioprine", ("rheumatoid arthritis",), None, None, ON),
    ("azathioprine", ("liver transplant",), None, None, OFF),
    ("azathioprine", ("systemic lupus erythematosus",), None, None, OFF),
    ("azathioprine", ("Crohn's disease",), None, None, OFF),
    ("azathioprine", ("myasthenia gravis",), None, None, OFF),
    ("azathioprine", ("dermatomyositis",), None, None, OFF),
    # --- mycophenolate mofetil (CellCept)
    ("MMF", ("kidney transplant",), None, None, ON),
    ("mycophenolate mofetil", ("heart transplantation",), None, None, ON),
    ("mycophenolate mofetil", ("liver transplant recipient",), None, None, ON),
    ("mycophenolate mofetil", ("lung transplant",), None, None, OFF),
    ("mycophenolate mofetil", ("lupus nephritis",), None, None, OFF),
    ("mycophenolate mofetil", ("systemic sclerosis-associated interstitial lung disease",), None, None, OFF),
    ("mycophenolate mofetil", ("dermatomyositis",), None, None, OFF),
    # --- tacrolimus (Prograf, Protopic)
    ("tacrolimus", ("lung transplant",), None, None, ON),
    ("tacrolimus", ("renal transplant",), None, None, ON),
    ("tacrolimus", ("atopic dermatitis",), None, "topical", ON),
    ("tacrolimus", ("atopic dermatitis",), None, "oral", OFF),  # the ointment's indication
    ("tacrolimus", ("MDA5+ dermatomyositis", "rapidly progressive interstitial lung disease"), None, None, OFF),
    ("tacrolimus", ("lupus nephritis",), None, None, OFF),
    ("tacrolimus", ("myasthenia gravis",), None, None, OFF),
    # --- immune globulin (Octagam 10%, Gamunex-C; other products not curated)
    ("IVIG", ("dermatomyositis",), None, None, ON),  # Octagam 10%: dermatomyositis in adults
    ("IVIG", ("MDA5+ dermatomyositis", "interstitial lung disease"), 52, None, ON),
    ("IVIG", ("dermatomyositis",), 10, None, UNKNOWN),  # adults only; other products not curated
    ("IVIG", ("juvenile dermatomyositis",), None, None, UNKNOWN),
    ("IVIG", ("CIDP",), None, None, ON),
    ("IVIG", ("primary immunodeficiency",), None, None, ON),
    ("IVIG", ("common variable immunodeficiency",), None, None, ON),
    ("IVIG", ("immune thrombocytopenia",), 6, None, ON),  # Gamunex-C: ITP in adults and children
    ("IVIG", ("Guillain-Barre syndrome",), None, None, UNKNOWN),
    ("IVIG", ("Kawasaki disease",), None, None, UNKNOWN),
    ("IVIG", ("dermatomyositis-associated interstitial lung disease",), None, None, UNKNOWN),
    # --- drugs with no label known
    ("notadrug", ("dermatomyositis",), None, None, UNKNOWN),
    ("anifrolumab", ("systemic lupus erythematosus",), None, None, UNKNOWN),
    ("methylprednisolone", ("dermatomyositis",), None, None, UNKNOWN),
    ("sildenafil", ("erectile dysfunction",), None, None, UNKNOWN),  # no index given
]


def _verdict(case: tuple[str, tuple[str, ...], int | None, str | None, str]) -> str:
    agent, conditions, age, route, _ = case
    return str(label_status(agent, conditions, age=age, route=route).status)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}|{'+'.join(c[1])}|{c[2]}|{c[3]}" for c in CASES])
def test_label_status_case(case: tuple[str, tuple[str, ...], int | None, str | None, str]) -> None:
    assert _verdict(case) == case[4]


def test_the_table_is_large_and_varied_and_wholly_right() -> None:
    assert len(CASES) >= 60
    truths = [c[4] for c in CASES]
    assert {truths.count(ON), truths.count(OFF), truths.count(UNKNOWN)} and min(
        truths.count(ON), truths.count(OFF), truths.count(UNKNOWN)) >= 15
    wrong = [c for c in CASES if _verdict(c) != c[4]]
    wrong_on_label = [c for c in wrong if _verdict(c) == ON]
    assert not wrong_on_label and not wrong


def test_an_on_label_verdict_cites_the_indication_sentence_and_its_source() -> None:
    verdict = label_status("tocilizumab", ["systemic sclerosis-associated interstitial lung disease"])
    assert verdict.status == LabelStatus.ON_LABEL and verdict.entry is not None
    assert verdict.sentence and "systemic sclerosis-associated interstitial lung disease" in verdict.sentence
    assert verdict.source and verdict.source.startswith("ACTEMRA (tocilizumab) FDA label")
    assert verdict.condition == "systemic sclerosis-associated interstitial lung disease"
    assert verdict.indication == verdict.sentence and verdict.passage_id is None  # curated, not from the index


def test_an_off_label_verdict_names_the_labels_and_their_indications_but_quotes_nothing() -> None:
    verdict = label_status("rituximab", ["MDA5+ dermatomyositis"])
    assert verdict.status == LabelStatus.OFF_LABEL and verdict.sentence is None and verdict.entry is None
    assert verdict.source and "RITUXAN" in verdict.source
    assert "pemphigus vulgaris" in verdict.reason.lower() and "MDA5+ dermatomyositis" in verdict.reason
    assert {i.product for i in verdict.indications} == {"RITUXAN"}


def test_unknown_says_why() -> None:
    assert "No label of notadrug" in label_status("notadrug", ["RA"]).reason
    assert "no condition concept" in label_status("rituximab", ["dysphagia"]).reason
    assert "not curated" in label_status("IVIG", ["Guillain-Barre syndrome"]).reason
    assert "age is not given" in label_status("cyclophosphamide", ["minimal change disease"]).reason
    assert "a kind of lymphoma" in label_status("rituximab", ["lymphoma"]).reason
    assert label_status("rituximab", []).status == LabelStatus.UNKNOWN


def test_the_population_of_an_adults_only_indication_is_said_when_the_age_is_not_given() -> None:
    verdict = label_status("IVIG", ["dermatomyositis"])
    assert verdict.status == LabelStatus.ON_LABEL and "OCTAGAM" in (verdict.source or "")
    assert "age is not given" in verdict.reason


# --- the curated table --------------------------------------------------------------------------------------
def test_every_curated_indication_has_a_sentence_a_source_and_known_concepts() -> None:
    for generic in ("rituximab", "tocilizumab", "hydroxychloroquine", "cyclophosphamide", "prednisone",
                    "methotrexate", "azathioprine", "immune globulin", "mycophenolate mofetil", "tacrolimus"):
        rows = curated_indications(generic)
        assert rows, generic
        for row in rows:
            product_word = row.product.split()[0].lower()
            assert row.sentence.endswith(".") and (product_word in row.sentence.lower() or generic in row.sentence.lower())
            assert "FDA label" in row.source and "Indications and Usage" in row.source
            assert row.concepts and all(concept(c) for c in row.concepts)
            assert "PMID" not in row.source and "doi" not in row.source.lower()
    assert curated_indications("IVIG") == curated_indications("immune globulin")
    assert label_coverage_complete("rituximab") and not label_coverage_complete("immune globulin")
    assert not label_coverage_complete("notadrug")


def test_the_dose_table_no_longer_carries_label_indications() -> None:
    from curbside.evidence.dosing import COLUMNS
    assert "on_label_indications" not in COLUMNS


# --- parsing Indications and Usage ---------------------------------------------------------------------------
_PLR_TEXT = (
    "ZYLOMAB is indicated for the treatment of adult patients with:\n"
    "- Moderately to severely active rheumatoid arthritis who have had an inadequate response to one or more "
    "TNF antagonist therapies.\n"
    "- Giant cell arteritis.\n"
    "ZYLOMAB is indicated for the treatment of patients 2 years of age and older with active systemic juvenile "
    "idiopathic arthritis.\n"
    "Limitations of Use:\n"
    "- ZYLOMAB is not indicated for the treatment of psoriatic arthritis."
)


def _parse(text: str) -> list:  # type: ignore[type-arg]
    return parse_indications(text, generic="zylomab", product="ZYLOMAB", source="ZYLOMAB label — Indications and Usage")


def test_parser_reads_list_items_under_a_lead_in_with_population_and_line_of_therapy() -> None:
    entries = _parse(_PLR_TEXT)
    assert [e.concepts for e in entries] == [("D001172",), ("D013700",), ("curbside:systemic-jia",)]
    ra, gca, sjia = entries
    assert ra.sentence.startswith("ZYLOMAB is indicated for the treatment of adult patients with: Moderately")
    assert (ra.age_min, ra.age_max, ra.population) == (18.0, None, "adult")
    assert "inadequate response to one or more TNF antagonist therapies" in ra.line_of_therapy
    assert gca.sentence.endswith("Giant cell arteritis.")
    assert (sjia.age_min, sjia.population) == (2.0, "2 years of age and older")
    # Limitations of use are kept on every entry, and never become an indication.
    assert all("not indicated for the treatment of psoriatic arthritis" in e.limitations for e in entries)
    assert not any("D015535" in e.concepts for e in entries)


def test_parser_keeps_conditions_in_line_of_therapy_clauses_out_of_the_indication() -> None:
    text = "FOOMAB is indicated for giant cell arteritis in patients who have failed therapy for rheumatoid arthritis."
    (entry,) = _parse(text)
    assert entry.concepts == ("D013700",)


def test_parser_reads_one_sentence_labels_and_pediatric_populations() -> None:
    (entry,) = _parse("FOO is indicated for the treatment of minimal change nephrotic syndrome in pediatric patients.")
    assert entry.concepts == ("D009402",) and entry.age_max == 17 and entry.age_min is None
    assert _parse("to regrow hair on the top of the scalp") == []  # an OTC "Use" line is no indication sentence
    (infants,) = _parse("FOO, with chemotherapy, is indicated for pediatric patients aged 6 months and older with "
                        "previously untreated Burkitt lymphoma.")
    assert infants.age_min == 0.5 and infants.concepts == ("D002051",) and "previously untreated" in infants.line_of_therapy


def test_parser_never_reads_a_condition_from_a_shared_word() -> None:
    (entry,) = _parse("FOO is indicated for the treatment of arthritis pain and skin cancer screening.")
    assert entry.concepts == ()  # "arthritis" and "cancer" inside other phrases name no concept here


# --- labels in the index come first --------------------------------------------------------------------------
_SPL = """<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="urn:hl7-org:v3">
  <setId root="{set_id}"/>
  <effectiveTime value="20240101"/>
  <title>{brand} label</title>
  <component><structuredBody>
    <component><section>
      <subject><manufacturedProduct><manufacturedProduct>
        <name>{brand}</name>
        <asEntityWithGeneric><genericMedicine><name>{generic}</name></genericMedicine></asEntityWithGeneric>
      </manufacturedProduct></manufacturedProduct></subject>
    </section></component>
    <component><section>
      <code code="34067-9" codeSystem="2.16.840.1.113883.6.1"/>
      <title>1 INDICATIONS AND USAGE</title>
      <text>{indications}</text>
    </section></component>
  </structuredBody></component>
</document>
"""


def _index(tmp_path: Path, labels: list[tuple[str, str, str, str]], brands: list[tuple[str, str]]) -> MetadataStore:
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "spl_loinc.csv").write_text('"loinc","name"\n"34067-9", "Indications & Usage"\n', encoding="utf-8")
    for set_id, brand, generic, indications in labels:
        (folder / f"{set_id}.xml").write_text(
            _SPL.format(set_id=set_id, brand=brand, generic=generic, indications=indications), encoding="utf-8")
    store = MetadataStore.create(tmp_path / "metadata.sqlite")
    for doc in load_spl(folder, IngestReport()):
        store.add_document(doc)
    store.add_drug_names(brands)
    store.commit()
    return store


def test_an_indexed_label_is_read_first_and_cited_by_passage(tmp_path: Path) -> None:
    store = _index(tmp_path, [
        ("11111111-aaaa", "Viagra", "sildenafil citrate",
         "<paragraph>VIAGRA is indicated for the treatment of erectile dysfunction.</paragraph>"),
        ("22222222-bbbb", "Actemra", "tocilizumab",
         "<paragraph>ACTEMRA is indicated for treatment of:</paragraph><list><item>Adult patients with giant cell "
         "arteritis.</item><item>Patients 2 years of age and older with active polyarticular juvenile idiopathic "
         "arthritis.</item></list>"),
    ], [("viagra", "sildenafil"), ("actemra", "tocilizumab")])
    verdict = label_verdict("sildenafil", ["erectile dysfunction"], store=store)
    assert verdict.status == LabelStatus.ON_LABEL
    assert verdict.passage_id == "spl-11111111-aaaa#0" and verdict.entry is not None
    assert verdict.sentence == "VIAGRA is indicated for the treatment of erectile dysfunction."
    assert "passage spl-11111111-aaaa#0" in (verdict.source or "")
    # A label in the index, alone, never makes a drug off-label: other labels of it may exist (Revatio).
    assert label_verdict("sildenafil", ["pulmonary arterial hypertension"], store=store).status == LabelStatus.UNKNOWN
    # The indexed label comes before the curated table; the curated table still decides what the index lacks.
    gca = label_verdict("tocilizumab", ["giant cell arteritis"], store=store)
    assert gca.status == LabelStatus.ON_LABEL and gca.passage_id is not None
    assert gca.sentence == "ACTEMRA is indicated for treatment of: Adult patients with giant cell arteritis."
    assert label_verdict("tocilizumab", ["COVID-19"], store=store).passage_id is None
    assert label_verdict("tocilizumab", ["psoriatic arthritis"], store=store).status == LabelStatus.OFF_LABEL
    store.close()


def test_the_analysis_passes_age_route_and_the_index_to_label_status(tmp_path: Path) -> None:
    store = _index(tmp_path, [("33333333-cccc", "Viagra", "sildenafil citrate",
                               "<paragraph>VIAGRA is indicated for the treatment of erectile dysfunction.</paragraph>")],
                   [("viagra", "sildenafil")])
    assert label_status("sildenafil", ["erectile dysfunction"], store=store).status == LabelStatus.ON_LABEL
    assert label_status("sildenafil", ["erectile dysfunction"]).status == LabelStatus.UNKNOWN
    store.close()


def test_a_document_built_by_hand_reads_the_same(tmp_path: Path) -> None:
    store = MetadataStore.create(tmp_path / "m.sqlite")
    doc = Document(doc_id="spl-x", source="spl", title="Imuran (azathioprine) label", doc_type=DocType.DRUG_LABEL)
    doc.add_passage("Indications and Usage > Rheumatoid Arthritis",
                    "IMURAN is indicated for the management of active rheumatoid arthritis to reduce signs and symptoms.")
    store.add_document(doc)
    store.commit()
    verdict = label_verdict("azathioprine", ["RA"], store=store)
    assert verdict.status == LabelStatus.ON_LABEL and verdict.passage_id == "spl-x#0"
    store.close()

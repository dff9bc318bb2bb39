"""Dose checks against reference dosing (curbside.evidence.dosing) and the hygiene of the curated table."""

from __future__ import annotations

import re
from pathlib import Path

import pint
import pytest

from curbside.corpus.documents import DocType, Document
from curbside.evidence.dosing import (
    LabelPassage,
    ReferenceDose,
    check_dose,
    doses_from_label,
    label_dose_passages,
    load_reference_doses,
    parse_frequency,
    parse_unit,
    reference_for,
    table_text,
)
from curbside.retrieval.store import MetadataStore

# --- table hygiene ---------------------------------------------------------------------------------


def test_table_says_it_was_curated_by_hand_and_when() -> None:
    assert "# Curated by hand for Curbside on 2026-11-23" in table_text().splitlines()[0]


def test_every_row_has_a_source_of_a_known_kind() -> None:
    rows = load_reference_doses()
    assert len(rows) >= 20
    for row in rows:
        assert row.source.strip(), row
        assert row.source_kind in ("label", "guideline"), row
        if row.source_kind == "label":
            # The product's label and the section it comes from.
            assert "FDA label" in row.source and "Dosage and Administration" in row.source, row.source
        else:
            # A guideline by organization, title and year.
            assert re.search(r"— .+, (19|20)\d\d$", row.source), row.source


def test_table_names_no_article_identifiers() -> None:
    text = table_text()
    assert "pmid" not in text.lower()
    assert not re.search(r"\bdoi\b", text, re.IGNORECASE)
    assert not re.search(r"\b10\.\d{4,9}/", text)  # a DOI prefix
    assert not re.search(r"\b\d{7,8}\b", text)  # a bare PMID-like number


def test_every_unit_and_cap_parses_with_pint() -> None:
    ureg = pint.UnitRegistry()
    for row in load_reference_doses():
        ureg.Quantity(1, parse_unit(row.unit))
        ureg.Quantity(1, row.unit)  # the table's spelling itself is pint's
        if row.cap:
            assert ureg.Quantity(row.cap).dimensionality == ureg("mg").dimensionality


def test_ranges_and_bases_are_well_formed() -> None:
    for row in load_reference_doses():
        assert row.dose_max is not None and row.dose_max > 0, row
        if row.dose_min is not None:
            assert 0 < row.dose_min <= row.dose_max, row
        assert row.basis == "per dose" or row.basis == "per course" or row.period_days, row
        assert row.indication_terms, row
        assert row.routes, row


def test_the_drugs_of_the_issue_are_covered() -> None:
    generics = {row.generic for row in load_reference_doses()}
    assert {
        "rituximab", "immune globulin", "mycophenolate mofetil", "hydroxychloroquine",
        "tocilizumab", "prednisone", "tacrolimus", "methotrexate", "azathioprine",
    } <= generics


# --- the examples of the issue ---------------------------------------------------------------------


def test_ivig_2_g_per_kg_monthly_is_within_for_dermatomyositis() -> None:
    result = check_dose("IVIG", 2, "g/kg", frequency="monthly", indication="dermatomyositis")
    assert result.status == "within"
    assert result.reference is not None and "OCTAGAM 10%" in result.source
    assert "monthly read as every 4 weeks" in result.explanation


def test_ivig_given_daily_over_five_days_every_four_weeks_sums_to_the_course() -> None:
    result = check_dose("IVIG", 0.4, "g/kg", frequency="daily for 5 days every 4 weeks", indication="dermatomyositis")
    assert result.status == "within"
    assert "0.4 g/kg × 5 doses per 4 weeks = 2 g/kg per 4 weeks" in result.conversion


def test_rituximab_1000_mg_day_0_and_14_is_within() -> None:
    result = check_dose("rituximab", 1000, "mg", frequency="day 0 and 14")
    assert result.status == "within"
    assert result.reference is not None and result.reference.indication == "rheumatoid arthritis"
    assert "RITUXAN" in result.source
    assert "2 doses 2 weeks apart" in result.conversion


def test_rituximab_1_g_is_shown_converted_to_1000_mg() -> None:
    result = check_dose("rituximab", 1, "g", frequency="day 0 and 14", indication="rheumatoid arthritis")
    assert result.status == "within"
    assert "1 g per dose = 1000 mg per dose" in result.conversion


# --- the indication a dose is compared against --------------------------------------------------------


def test_no_reference_for_the_indication_is_said_and_the_nearest_is_context_only() -> None:
    # No label or curated regimen doses rituximab for dermatomyositis: the RA regimen is shown, never judged by.
    result = check_dose("rituximab", 1, "g", frequency="day 0 and 14", indication="dermatomyositis")
    assert result.status == "no_reference_for_indication" and result.context_status == "within"
    assert result.indication == "dermatomyositis" and result.reference_indication == "rheumatoid arthritis"
    assert result.explanation.startswith("No reference dose for dermatomyositis")
    assert "For context only" in result.explanation and "1 g per dose = 1000 mg per dose" in result.conversion
    assert "off-label" not in result.explanation  # no reference is not a label verdict


def test_tacrolimus_in_ild_is_not_judged_against_a_transplant_dose() -> None:
    result = check_dose("tacrolimus", 0.075, "mg/kg/day", weight_kg=70, indication="interstitial lung disease")
    assert result.status == "no_reference_for_indication"
    assert result.reference_indication is not None and "transplant" in result.reference_indication
    assert "interstitial lung disease" in result.explanation


def test_prednisone_1_mg_per_kg_is_not_judged_by_the_label_general_range() -> None:
    # The label's 5-60 mg/day "depending on the disease" is no dose for dermatomyositis.
    result = check_dose("prednisone", 1, "mg/kg/day", weight_kg=70, indication="dermatomyositis")
    assert result.status == "no_reference_for_indication" and result.context_status == "above"
    assert "70 mg/day > 60 mg/day" in result.conversion and "general dosing" in result.explanation
    assert check_dose("prednisone", 80, "mg", frequency="daily").status == "above"  # no indication asked


def test_a_reference_for_any_of_the_patient_conditions_covers_the_dose() -> None:
    result = check_dose("IVIG", 2, "g/kg", frequency="monthly",
                        indication=["MDA5+ dermatomyositis", "interstitial lung disease"])
    assert result.status == "within" and result.context_status is None
    assert result.reference_indication == "dermatomyositis"
    assert result.indication == "MDA5+ dermatomyositis or interstitial lung disease"


def test_a_ceiling_binds_whatever_the_indication() -> None:
    above = check_dose("hydroxychloroquine", 400, "mg", frequency="daily", weight_kg=60, indication="dermatomyositis")
    assert above.status == "above" and above.reference is not None and above.reference.is_ceiling
    under = check_dose("hydroxychloroquine", 300, "mg", frequency="daily", weight_kg=90, indication="dermatomyositis")
    assert under.status == "no_reference_for_indication" and under.context_status == "within"


def test_mycophenolate_1_5_g_bid_is_3_g_a_day_within() -> None:
    result = check_dose("MMF", 1.5, "g", frequency="BID")
    assert result.status == "within"
    assert "1.5 g × 2 doses/day = 3 g/day" in result.conversion


def test_mycophenolate_4_g_a_day_is_above() -> None:
    assert check_dose("mycophenolate mofetil", 4, "g/day").status == "above"
    result = check_dose("mycophenolate mofetil", 2000, "mg", frequency="twice daily", indication="lupus nephritis")
    assert result.status == "above"
    assert "American College of Rheumatology" in result.source
    assert "> 3 g/day" in result.conversion


def test_hydroxychloroquine_400_mg_at_60_kg_is_above_with_the_conversion() -> None:
    result = check_dose("hydroxychloroquine", 400, "mg", frequency="daily", weight_kg=60)
    assert result.status == "above"
    assert "400 mg/day ÷ 60 kg = 6.7 mg/kg/day > 5 mg/kg/day" in result.conversion
    assert "American Academy of Ophthalmology" in result.source and "2016" in result.source


def test_hydroxychloroquine_400_mg_at_90_kg_is_within() -> None:
    result = check_dose("hydroxychloroquine", 400, "mg/day", weight_kg=90, indication="SLE")
    assert result.status == "within"
    assert "400 mg/day ÷ 90 kg = 4.4 mg/kg/day ≤ 5 mg/kg/day" in result.conversion


# --- units, weights and frequencies --------------------------------------------------------------


def test_micrograms_and_milligrams_compare_alike() -> None:
    in_mcg = check_dose("prednisone", 60_000, "mcg", frequency="daily")
    in_mg = check_dose("prednisone", 60, "mg", frequency="daily")
    assert in_mcg.status == in_mg.status == "within"
    assert "60000 mcg/day = 60 mg/day" in in_mcg.conversion
    assert check_dose("prednisone", 80, "mg", frequency="daily").status == "above"


def test_weight_based_reference_without_weight_is_unknown_and_says_what_is_needed() -> None:
    result = check_dose("IVIG", 140, "g", frequency="every 4 weeks", indication="dermatomyositis")
    assert result.status == "unknown"
    assert "weight" in result.explanation
    assert "100-200 g per 4 weeks for 50-100 kg" in result.conversion
    assert "fits at 70 kg" in result.conversion
    with_weight = check_dose("IVIG", 140, "g", frequency="every 4 weeks", indication="dermatomyositis", weight_kg=70)
    assert with_weight.status == "within"


def test_hydroxychloroquine_without_weight_is_unknown_even_inside_the_label_range() -> None:
    result = check_dose("hydroxychloroquine", 400, "mg", frequency="daily", indication="rheumatoid arthritis")
    assert result.status == "unknown"  # the retinopathy ceiling binds and cannot be checked
    assert "250-500 mg/day for 50-100 kg" in result.conversion
    assert "≥ 80 kg" in result.conversion


def test_bsa_based_reference_needs_body_surface_area() -> None:
    assert check_dose("rituximab", 375, "mg/m2", frequency="weekly x4", indication="GPA").status == "within"
    without = check_dose("rituximab", 700, "mg", frequency="weekly x4", indication="GPA")
    assert without.status == "unknown" and "body surface area" in without.explanation
    with_bsa = check_dose("rituximab", 675, "mg", frequency="weekly x4", indication="GPA", bsa_m2=1.8)
    assert with_bsa.status == "within"
    assert "675 mg per dose ÷ 1.8 m² = 375 mg/m² per dose" in with_bsa.conversion


def test_methotrexate_taken_daily_is_flagged_above() -> None:
    daily = check_dose("methotrexate", 15, "mg", frequency="daily", indication="rheumatoid arthritis")
    assert daily.status == "above"
    assert "15 mg × 7 doses/week = 105 mg/week" in daily.conversion
    assert check_dose("methotrexate", 15, "mg", frequency="once weekly").status == "within"


def test_missing_frequency_compares_per_dose_only_where_the_reference_is_per_dose() -> None:
    assert check_dose("rituximab", 1000, "mg", indication="rheumatoid arthritis").status == "within"
    result = check_dose("mycophenolate mofetil", 1000, "mg", indication="kidney transplant")
    assert result.status == "unknown"
    assert "how often" in result.explanation


def test_tocilizumab_cap_of_800_mg_per_infusion() -> None:
    heavy = check_dose("tocilizumab", 8, "mg/kg", frequency="every 4 weeks", route="IV", weight_kg=120)
    assert heavy.status == "above"
    assert "960 mg per dose > cap 800 mg" in heavy.conversion
    assert check_dose("tocilizumab", 8, "mg/kg", frequency="every 4 weeks", route="IV", weight_kg=70).status == "within"
    assert check_dose("tocilizumab", 162, "mg", frequency="weekly", route="SC").status == "within"


def test_tacrolimus_weight_based_daily_dose() -> None:
    result = check_dose("tacrolimus", 5, "mg", frequency="q12h", weight_kg=70, indication="kidney transplant")
    assert result.status == "within"
    assert "10 mg/day ÷ 70 kg = 0.143 mg/kg/day" in result.conversion
    assert check_dose("azathioprine", 300, "mg", frequency="daily", weight_kg=60, indication="RA").status == "above"


def test_unknown_drug_is_unknown() -> None:
    result = check_dose("unobtainium", 10, "mg", frequency="daily")
    assert result.status == "unknown" and result.reference is None
    assert "No reference dosing" in result.explanation


def test_ambiguous_mycophenolate_and_unreadable_units_are_unknown() -> None:
    assert check_dose("mycophenolate", 1, "g", frequency="bid").status == "unknown"
    bad_unit = check_dose("rituximab", 10, "mL")
    assert bad_unit.status == "unknown" and "unit" in bad_unit.explanation


@pytest.mark.parametrize(
    ("text", "interval", "course", "cycle"),
    [
        ("daily", 1.0, None, None),
        ("twice daily", 0.5, None, None),
        ("BID", 0.5, None, None),
        ("weekly", 7.0, None, None),
        ("twice weekly", 3.5, None, None),
        ("every 4 weeks", 28.0, None, None),
        ("monthly", 28.0, None, None),
        ("q6 months", 182.625, None, None),
        ("day 0 and 14", 14.0, 2, None),
        ("days 1 and 15, every 24 weeks", 14.0, 2, 168.0),
        ("daily for 5 days every 4 weeks", 1.0, 5, 28.0),
        ("weekly x4", 7.0, 4, None),
    ],
)
def test_parse_frequency(text: str, interval: float, course: int | None, cycle: float | None) -> None:
    schedule = parse_frequency(text)
    assert schedule is not None
    assert schedule.interval_days == pytest.approx(interval)
    assert schedule.course_doses == course
    assert schedule.cycle_days == (pytest.approx(cycle) if cycle else None)


def test_parse_frequency_of_nonsense_is_none() -> None:
    assert parse_frequency("with breakfast") is None
    assert parse_frequency("") is None


# --- choosing references ----------------------------------------------------------------------------


def test_reference_for_puts_the_indication_first_and_keeps_ceilings() -> None:
    rows = reference_for("hydroxychloroquine", "systemic lupus erythematosus")
    assert [r.indication for r in rows] == ["systemic lupus erythematosus", "any"]
    assert rows[1].is_ceiling
    off_label = reference_for("hydroxychloroquine", "dermatomyositis")
    assert off_label[0].indication == "any" and len(off_label) == 4  # the ceiling, then every labelled regimen


def test_reference_for_filters_by_route_and_resolves_synonyms() -> None:
    subcutaneous = reference_for("tocilizumab", "rheumatoid arthritis", route="SC")
    assert [r.routes for r in subcutaneous] == [("subcutaneous",)]
    assert reference_for("HCQ") == reference_for("hydroxychloroquine sulfate")
    assert reference_for("rituximab-abbs", "RA")[0].source.startswith("RITUXAN")
    assert reference_for("nothing-known") == []


# --- labels in the index are preferred --------------------------------------------------------------

_VIAGRA_TEXT = (
    "For most patients, the recommended dose is 50 mg taken, as needed, approximately 1 hour before sexual "
    "activity.\nThe maximum recommended dosing frequency is once per day.\nBased on effectiveness and "
    "toleration, the dose may be increased to a maximum recommended dose of 100 mg or decreased to 25 mg."
)


def _label_store(tmp_path: Path) -> Path:
    path = tmp_path / "metadata.sqlite"
    store = MetadataStore.create(path)
    doc = Document(doc_id="spl-test", source="spl", title="Viagra (sildenafil citrate) label", doc_type=DocType.DRUG_LABEL)
    doc.add_passage("Indications and Usage", "VIAGRA is indicated for the treatment of erectile dysfunction.")
    doc.add_passage("Dosage and Administration > Dosage Information", _VIAGRA_TEXT)
    doc.add_passage("Dosage and Administration > Dosage Adjustments Due to Drug Interactions",
                    "The recommended dose for ritonavir-treated patients is 25 mg prior to sexual activity.")
    store.add_document(doc)
    store.add_drug_names([("viagra", "sildenafil")])
    store.commit()
    store.close()
    return path


def test_label_dose_passages_reads_dosage_sections_from_the_index(tmp_path: Path) -> None:
    path = _label_store(tmp_path)
    passages = label_dose_passages(MetadataStore(path), "sildenafil")
    assert [p.passage_id for p in passages] == ["spl-test#1", "spl-test#2"]
    assert label_dose_passages(path, "rituximab") == []


def test_label_in_the_index_is_preferred_and_cited_by_passage(tmp_path: Path) -> None:
    path = _label_store(tmp_path)
    result = check_dose("sildenafil", 200, "mg", frequency="as needed", store=path)
    assert result.status == "above"
    assert result.reference is not None and result.reference.passage_id == "spl-test#1"
    assert "passage spl-test#1" in result.source
    assert [p.passage_id for p in result.label_passages] == ["spl-test#1", "spl-test#2"]
    assert check_dose("sildenafil", 50, "mg", store=path).status == "within"


def test_doses_from_label_reads_only_plain_statements() -> None:
    plain = LabelPassage("x#1", "x", "X label", "Dosage and Administration", _VIAGRA_TEXT)
    vague = LabelPassage("x#2", "x", "X label", "Dosage and Administration", "Individualize the dose.")
    refs = doses_from_label([plain, vague])
    assert len(refs) == 1
    ref: ReferenceDose = refs[0]
    assert (ref.dose_min, ref.dose_max, ref.unit, ref.basis) == (25.0, 100.0, "mg", "per dose")


def test_label_source_may_be_a_callable() -> None:
    passage = LabelPassage("y#0", "y", "Y label", "Dosage and Administration",
                           "The recommended dose is 10 mg to 20 mg once daily.")

    def fetch(generic: str) -> list[LabelPassage]:
        return [passage] if generic == "examplinib" else []

    assert check_dose("examplinib", 15, "mg", frequency="daily", store=fetch).status == "within"
    assert check_dose("examplinib", 30, "mg", frequency="daily", store=fetch).status == "above"


def test_the_store_gives_label_passages_of_a_section_by_generic_or_brand(tmp_path: Path) -> None:
    store = MetadataStore(_label_store(tmp_path))
    assert store.brands_of("Sildenafil") == ["viagra"]
    found = store.label_passages("sildenafil", "Dosage and Administration")
    assert [(doc.doc_id, p.passage_id) for doc, p in found] == [("spl-test", "spl-test#1"), ("spl-test", "spl-test#2")]
    assert [p.passage_id for _, p in store.label_passages("viagra", "Indications and Usage")] == ["spl-test#0"]
    assert store.label_passages("rituximab", "Dosage and Administration") == []

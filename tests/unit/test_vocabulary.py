"""The clinical vocabulary (curbside.vocabulary): its data files, one loader each, and what is read from them."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from curbside.vocabulary import ages, drugs, routes, schedules, units
from curbside.vocabulary.conditions import concept, concepts, concepts_in, is_kind_of, match_condition, match_conditions
from curbside.vocabulary.tables import read_table

DATA_FILES = ("drug_name_parts.tsv", "drug_aliases.tsv", "routes.tsv", "units.tsv", "time_units.tsv", "number_words.tsv",
              "frequencies.tsv", "condition_concepts.tsv", "condition_qualifiers.tsv")


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_data_file_has_a_header_and_says_what_it_is_and_who_curated_it(name: str) -> None:
    text = resources.files("curbside.vocabulary").joinpath(f"data/{name}").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert not lines[0].startswith("#") and "\t" in lines[0]
    assert any(line.startswith("# ") and "Curated by hand for Curbside" in line for line in lines)
    assert read_table(name)


def test_salts_are_dropped_and_the_biosimilar_suffix_rule_has_its_exceptions() -> None:
    assert drugs.generic_name("HYDROXYCHLOROQUINE SULFATE") == "hydroxychloroquine"
    assert drugs.generic_name("RITUXIMAB-ABBS") == "rituximab"
    assert drugs.generic_name("CORTICOTROPIN-ZINC HYDROXIDE") == "corticotropin-zinc hydroxide"
    assert drugs.generic_name("POTASSIUM CHLORIDE") == "potassium chloride"
    assert drugs.BIOSIMILAR_SUFFIX.match("-abbs 500 mg")
    assert not drugs.BIOSIMILAR_SUFFIX.match("-zinc hydroxide")
    assert {"sulfate", "hcl", "monohydrate"} <= drugs.SALT_WORDS
    assert "propionate" not in drugs.SALT_WORDS and "propionate" in drugs.NOT_MOIETY_WORDS


def test_aliases_name_one_generic_each_reader_agrees_on() -> None:
    assert drugs.normalise_generic("IVIG") == "immune globulin"
    assert drugs.normalise_generic("intravenous immunoglobulin") == "immune globulin"
    assert drugs.normalise_generic("MMF") == "mycophenolate mofetil"
    assert drugs.normalise_generic("FK506") == "tacrolimus"
    assert drugs.normalise_generic("hydroxychloroquine sulfate") == "hydroxychloroquine"
    assert drugs.normalise_generic("mycophenolate") == "mycophenolate"  # mofetil or acid: not guessed
    assert drugs.generic_for_alias("steroids") is None  # a literature word, never read as a drug
    ivig = next(a for a in drugs.drug_aliases("abbreviation") if a.alias == "IVIG")
    assert (ivig.generic, ivig.route) == ("immune globulin", "IV")
    assert {"ivig", "immunoglobulin"} <= set(drugs.literature_terms("immune globulin"))
    assert {"mmf", "mycophenolate"} <= set(drugs.literature_terms("mycophenolate mofetil"))
    assert "rtx" not in drugs.literature_terms("rituximab")  # also resiniferatoxin in the literature


def test_routes_have_a_code_a_name_and_every_spelling() -> None:
    assert routes.route_code("intravenously") == "IV"
    assert routes.route_name("IV") == "intravenous"
    assert routes.route_name("i.v.") == "intravenous"
    assert routes.route_name("by mouth") == "oral"
    assert routes.route_name("subq") == "subcutaneous"
    assert routes.route_code("sideways") is None
    assert routes.route_codes()["po"] == "PO"
    assert "intra-articular" in routes.route_names()


def test_one_unit_parser_and_one_registry() -> None:
    assert units.normalize_dose_unit("MG/KG/D") == "mg/kg/day"
    assert units.normalize_dose_unit("µg") == "mcg"
    assert units.normalize_dose_unit("mg/m**2") == "mg/m2"
    assert units.parse_unit("g per day") == units.DoseUnit("g", ("day",))
    assert units.parse_unit("mg/kg/dose") == units.DoseUnit("mg", ("kg",))
    assert units.parse_unit("furlongs") is None
    assert units.ureg().Quantity(1, units.pint_unit("g/kg")).to("mg/kg").magnitude == pytest.approx(1000)
    with pytest.raises(ValueError):
        units.pint_unit("mg/fortnight")
    assert units.pint_unit("IU").dimensionality != units.pint_unit("mg").dimensionality
    assert units.ureg() is units.ureg()


def test_dose_conversion_shows_the_arithmetic() -> None:
    assert units.dose_in(2, "g/kg", "g", weight_kg=70).text == "2 g/kg × 70 kg = 140 g"
    assert units.dose_in(140, "g", "g/kg", weight_kg=70).value == pytest.approx(2)
    with pytest.raises(units.DoseConversionError):
        units.dose_in(2, "g/kg", "g")
    assert units.format_value(0.0050) == "0.005"
    assert units.body_surface_area(180, 80) == pytest.approx(2.0, abs=0.01)


def test_schedules_read_frequencies_with_the_shared_tables() -> None:
    assert schedules.parse_frequency("twice daily") == schedules.Schedule(interval_days=0.5)
    assert schedules.parse_frequency("q6h").interval_days == pytest.approx(0.25)
    assert schedules.parse_frequency("every 4 weeks").interval_days == 28
    assert schedules.parse_frequency("daily for 5 days every 4 weeks") == schedules.Schedule(1.0, 5, 28.0)
    assert schedules.parse_frequency("for seven days") == schedules.Schedule(1.0, 7)
    assert schedules.parse_frequency("whenever") is None
    assert schedules.unit_days()["h"] == 1 / 24
    assert schedules.time_units()["wks"] == "weeks"
    assert schedules.parse_number("Two") == 2 and schedules.parse_number("1,000") == 1000
    assert schedules.days_text(14) == "2 weeks" and schedules.interval_text(1) == "once daily"
    assert schedules.format_number(6.666) == "6.7"


def test_one_frequency_reader_gives_the_patient_wording_and_the_dosing_interval() -> None:
    reading = schedules.read_frequency("methotrexate 15 mg 3 times a week", 19)
    assert (reading.frequency, reading.interval_days, reading.end) == ("three times weekly", pytest.approx(7 / 3), 33)
    assert schedules.read_frequency("q6h").frequency == "every 6 hours"
    assert schedules.read_frequency("every 2 days").frequency == "every other day"
    assert schedules.read_frequency("QMONTH").frequency == "monthly"
    assert schedules.read_frequency("BID").frequency == "twice daily"
    # read inside a dose schedule, not in a question's free text
    assert schedules.read_frequency("biweekly") is None and schedules.read_frequency("a day") is None
    assert schedules.read_frequency("every 4-6 weeks") is None
    assert schedules.frequency_of("qhs") == "nightly" and schedules.frequency_of("whenever") is None
    row = schedules.frequency_phrases()["monthly"]
    assert row.interval_days == schedules.DAYS_PER_MONTH_AS_WEEKS == 28 and row.note
    # every wording the patient model writes is read back by the dose check with its interval
    for phrase, row in schedules.frequency_phrases().items():
        schedule = schedules.parse_frequency(row.frequency)
        assert schedule is not None, phrase
        if row.interval_days:
            assert schedule.interval_days == pytest.approx(row.interval_days), phrase
    assert schedules.parse_frequency("three times weekly").interval_days == pytest.approx(7 / 3)
    assert schedules.parse_frequency("2x/day").interval_days == 0.5
    assert schedules.parse_frequency("yearly").interval_days == 365.25
    assert schedules.parse_frequency("mg/kg/day").interval_days == 1
    assert schedules.parse_frequency("biweekly").notes == ("'biweekly' read as every 2 weeks",)
    assert schedules.parse_frequency("single infusion") == schedules.Schedule(None, 1)
    assert schedules.parse_frequency("prn").notes == ("as needed",)


def test_frequency_words_are_the_tables_abbreviations_and_read_as_the_rule_does() -> None:
    assert schedules.frequency_words() == frozenset(
        "bid tid qid qd qhs qam qpm prn q4h q6h q8h q12h q24h qod".split()
    )
    # the qNh rows say what the "every N units" rule reads, in a question and in a dose schedule
    for phrase, row in schedules.frequency_phrases().items():
        every = re.fullmatch(r"q(\d+)h", phrase)
        if every:
            assert row.frequency == f"every {every.group(1)} hours" and row.note is None, phrase
            assert row.interval_days == pytest.approx(int(every.group(1)) / 24), phrase
            assert schedules.read_frequency(phrase).frequency == row.frequency
    assert schedules.parse_frequency("10 mg qpm").interval_days == 1


@pytest.mark.parametrize(
    ("text", "wording", "days", "doses"),
    [
        ("day 0 and 14", "day 0 and 14", (0, 14), 2),
        ("Days 1, 8, and 15", "days 1, 8 and 15", (1, 8, 15), 3),
        ("days 1-5", "days 1-5", (1, 2, 3, 4, 5), 5),
        ("day 1 and day 15", "day 1 and 15", (1, 15), 2),
        ("day 1 + 15", "day 1 and 15", (1, 15), 2),
    ],
)
def test_a_day_list_reads_as_the_patients_wording_and_as_treatment_days(
    text: str, wording: str, days: tuple[int, ...], doses: int
) -> None:
    reading = schedules.read_schedule(text)
    assert reading is not None and reading.kind == "days"
    assert (reading.text, reading.days, reading.doses, reading.end) == (wording, days, doses, len(text))


def test_one_course_reader_gives_the_patient_wording_and_the_dosing_numbers() -> None:
    apart = schedules.read_schedule("rituximab 1000 mg 2 doses two weeks apart", 18)
    assert (apart.kind, apart.text, apart.doses, apart.length_days) == ("apart", "2 doses 2 weeks apart", 2, 14)
    over = schedules.read_schedule("divided over 2-5 consecutive days")
    assert (over.text, over.number, over.unit, over.length_days) == ("over 2-5 days", 5, "days", 5)
    assert schedules.read_schedule("over 2 hours").text == "over 2 hours"
    assert schedules.read_schedule("for 4 weeks") is None and schedules.read_duration("daily") is None
    weeks = schedules.read_duration("for 4 wks")
    assert (weeks.kind, weeks.text, weeks.length_days, weeks.doses) == ("for", "4 weeks", 28, None)
    assert schedules.read_duration("x 4 doses").doses == 4 and schedules.read_duration("x 4 doses").text == "4 doses"
    assert schedules.read_duration("over the next 6 months").text == "6 months"
    assert (schedules.read_duration("x4").kind, schedules.read_duration("x4").text) == ("times", "4 doses")
    assert schedules.read_duration("x4.5") is None and schedules.read_duration("x 1").text == "1 dose"
    assert schedules.amount_text(1, "months") == "1 month" and schedules.amount_text(6, "mos") == "6 months"
    # the dose check reads the same courses as numbers
    assert schedules.parse_frequency("day 0 and 14") == schedules.Schedule(14, 2)
    assert schedules.parse_frequency("days 1-5 every 28 days") == schedules.Schedule(1, 5, 28)
    over_days = schedules.parse_frequency("2 g/kg divided over 5 consecutive days")
    assert over_days == schedules.Schedule(None, None, None, 5)
    assert schedules.parse_frequency("once weekly for 4 weeks") == schedules.Schedule(7, 4)
    assert schedules.parse_frequency("two 1,000 mg infusions two weeks apart").interval_days == 14
    assert schedules.parse_frequency("x4") == schedules.Schedule(None, 4)
    # an infusion's length is not a course; one day is not a course of its own
    assert schedules.parse_frequency("every 3 weeks, over 30 minutes") == schedules.Schedule(21)
    assert schedules.parse_frequency("day 1 every 21 days") == schedules.Schedule(21)


def test_age_patterns_serve_questions_redaction_and_populations() -> None:
    assert ages.AGE_PATTERNS[0].search("a 45-year-old woman").group(1) == "45"
    assert ages.AGE_PATTERNS[4].search("62F with RA").group(2) == "F"
    assert ages.person_age_patterns("mother")[1].search("my mother is 82").group(1) == "82"
    assert ages.AGE_LETTER.search("62 yo F").group(1) == "F"
    assert ages.AGE_TOKEN.match("45-year-old")
    assert ages.OLD_AGE_NOUN.search("a 93-year-old man") and not ages.OLD_AGE.search("an 89-year-old")
    assert ages.AGE_RANGE.search("adults aged 18 to 65 years").groups() == ("18", "65")
    assert ages.AGE_MIN.search("65 years or older") and ages.AGE_MAX.search("younger than 18")


# --- condition concepts (vocabulary/conditions.py) -------------------------------------------------------------
def test_a_condition_maps_to_a_concept_by_its_whole_phrase_once_qualifiers_are_dropped() -> None:
    def read(text: str) -> str | None:
        found = match_condition(text).concept
        return found.id if found else None

    assert read("MDA5+ dermatomyositis") == read("anti-MDA5 antibody-positive dermatomyositis") == "D003882"
    assert read("rapidly progressive interstitial lung disease") == read("RP-ILD") == "D017563"
    assert read("RA") == read("severe, active rheumatoid arthritis") == "D001172"
    assert read("Wegener's granulomatosis") == "D014890" and read("non-Hodgkin's lymphoma") == "D008228"
    assert read("refractory chronic ITP") == "curbside:chronic-itp"  # "chronic" makes another concept
    assert read("systemic sclerosis-interstitial lung disease") == "curbside:ssc-ild"
    # Never by one shared word: these name no concept, or another one.
    assert read("psoriatic arthritis") == "D015535" and read("arthritis pain") is None
    assert read("adult-onset Still's disease") == "D016706"  # not rheumatoid arthritis
    assert read("clinically amyopathic dermatomyositis") is None and read("DM") is None  # DM: diabetes too
    assert read("dysphagia") is None


def test_population_words_and_concepts_give_the_patient_population() -> None:
    assert match_condition("pediatric ITP").population == "pediatric"
    assert match_condition("childhood acute lymphoblastic leukemia").population == "pediatric"
    assert match_condition("juvenile dermatomyositis").population == "pediatric"
    assert match_condition("dermatomyositis in adults").population == "adult"
    assert match_condition("dermatomyositis").population is None


def test_broader_is_curated_not_meshs_tree_and_a_manifestation_is_no_kind_of_its_disease() -> None:
    assert is_kind_of("curbside:systemic-jia", "D001171") and is_kind_of("D016403", "D008228")
    assert not is_kind_of("D001171", "D001172")  # MeSH files JIA under RA; no label's RA covers JIA
    assert not is_kind_of("D016706", "D001172")
    assert not is_kind_of("D008181", "D008180")  # lupus nephritis: a manifestation of SLE, not a kind
    assert is_kind_of("curbside:ssc-ild", "D017563") and not is_kind_of("curbside:ssc-ild", "D012595")


def test_an_organ_concept_is_made_specific_by_the_patients_disease() -> None:
    read = [m.concept.id for m in match_conditions(["MDA5+ dermatomyositis", "interstitial lung disease"]) if m.concept]
    assert read == ["D003882", "curbside:dm-ild"]
    alone = match_conditions(["interstitial lung disease"])
    assert alone[0].concept is not None and alone[0].concept.id == "D017563"


def test_concepts_inside_a_label_sentence_are_phrases_never_class_words_or_short_abbreviations() -> None:
    ids = [c.id for c in concepts_in("Rheumatoid arthritis, including juvenile rheumatoid arthritis (RA)")]
    assert ids == ["D001172", "curbside:juvenile-rheumatoid-arthritis"]
    assert concepts_in("for all patients with cancer or lymphoma") == []


def test_every_concept_id_is_a_mesh_ui_or_a_curbside_id_and_relations_resolve() -> None:
    items = concepts()
    assert len(items) > 80
    for item in items:
        assert re.fullmatch(r"D\d{6,9}|curbside:[a-z0-9-]+", item.id), item.id
        assert item.synonyms and all(concept(other) for other in (*item.broader, *item.manifestation_of))


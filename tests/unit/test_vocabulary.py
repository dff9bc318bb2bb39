"""The clinical vocabulary (curbside.vocabulary): its data files, one loader each, and what is read from them."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from curbside.vocabulary import ages, drugs, routes, schedules, units
from curbside.vocabulary.tables import read_table

DATA_FILES = ("drug_name_parts.tsv", "drug_aliases.tsv", "routes.tsv", "units.tsv", "time_units.tsv", "number_words.tsv",
              "frequencies.tsv")


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

import time

import pytest

from curbside.understanding.phi import PhiFinding, ScrubResult, scrub_phi

SEED_QUESTIONS = [
    (
        "Is a treatment plan of Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG medically "
        "necessary and standard of care for MDA5+ dermatomyositis with dysphagia, dysphonia and evolving rapidly "
        "progressive ILD?"
    ),
    (
        "What is the next step for severe dermatomyositis on IVIG, rituximab, Actemra, prednisone, Plaquenil and "
        "CellCept, improved but still active after 6 months?"
    ),
]

# (text, expected scrubbed text, [(kind, original value)] in order)
POSITIVE: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Mrs. Jane Doe has lupus.", "Mrs. [name] has lupus.", [("name", "Jane Doe")]),
    ("Seen by Dr. Smith today.", "Seen by Dr. [name] today.", [("name", "Smith")]),
    ("Mr. J. Smith's rash", "Mr. [name]'s rash", [("name", "J. Smith")]),
    ("Ms Okafor and Miss Lee", "Ms [name] and Miss [name]", [("name", "Okafor"), ("name", "Lee")]),
    ("Patient named John O'Brien has gout.", "Patient named [name] has gout.", [("name", "John O'Brien")]),
    ("Her name is Maria Lopez.", "Her name is [name].", [("name", "Maria Lopez")]),
    ("My mother Mary Smith has RA.", "My mother [name] has RA.", [("name", "Mary Smith")]),
    ("my son, Liam, has asthma", "my son, [name], has asthma", [("name", "Liam")]),
    ("John Smith, a 45-year-old man, has ILD.", "[name], a 45-year-old man, has ILD.", [("name", "John Smith")]),
    ("Anna is a 30-year-old nurse.", "[name] is a 30-year-old nurse.", [("name", "Anna")]),
    ("DOB 03/14/1950", "DOB [date]", [("date", "03/14/1950")]),
    ("seen 2025-03-14 in clinic", "seen [date] in clinic", [("date", "2025-03-14")]),
    ("admitted March 14, 2025.", "admitted [date].", [("date", "March 14, 2025")]),
    ("biopsy on 14 March 2025", "biopsy on [date]", [("date", "14 March 2025")]),
    ("rash since March 14", "rash since [date]", [("date", "March 14")]),
    ("started Mar. 3rd 2024", "started [date]", [("date", "Mar. 3rd 2024")]),
    ("diagnosed in March 2025", "diagnosed in [date]", [("date", "March 2025")]),
    ("discharged on 3/14", "discharged on [date]", [("date", "3/14")]),
    ("follow-up on May 5.", "follow-up on [date].", [("date", "May 5")]),
    ("MRN: 00123456", "MRN: [MRN]", [("mrn", "00123456")]),
    ("medical record number AB-123456", "medical record number [MRN]", [("mrn", "AB-123456")]),
    ("SSN 123-45-6789", "SSN [ID]", [("id", "123-45-6789")]),
    ("insurance ID: XJ-99812", "insurance ID: [ID]", [("id", "XJ-99812")]),
    ("member number 4455667", "member number [ID]", [("id", "4455667")]),
    ("call (617) 555-0123 today", "call [phone] today", [("phone", "(617) 555-0123")]),
    ("cell 617.555.0123", "cell [phone]", [("phone", "617.555.0123")]),
    ("write to jane.doe@example.com.", "write to [email].", [("email", "jane.doe@example.com")]),
    ("see https://example.org/chart?id=4.", "see [URL].", [("url", "https://example.org/chart?id=4")]),
    ("from 192.168.1.20 at night", "from [IP] at night", [("ip", "192.168.1.20")]),
    ("lives at 123 Main Street, Boston, MA 02115.", "lives at [address].", [("address", "123 Main Street, Boston, MA 02115")]),
    ("zip code 02115", "zip code [ZIP]", [("zip", "02115")]),
    ("A 93-year-old man fell.", "A man aged 90 or older fell.", [("age", "A 93-year-old man")]),
    ("She is 95 years old.", "She is 90 or older.", [("age", "95 years old")]),
    ("patient aged 97 with CKD", "patient aged 90 or older with CKD", [("age", "aged 97")]),
    ("92 yo F with AF", "90+ yo F with AF", [("age", "92 yo")]),
    # names found by cue ("patient", "pt", "Mr", "Mrs", "Ms") and by position (a name opening a sentence before a
    # clinical verb)
    ("Patient John Smith has gout.", "Patient [name] has gout.", [("name", "John Smith")]),
    ("Spoke to patient John Smith today.", "Spoke to patient [name] today.", [("name", "John Smith")]),
    ("pt Maria Lopez with RA", "pt [name] with RA", [("name", "Maria Lopez")]),
    ("Pt. Okafor declined IVIG.", "Pt. [name] declined IVIG.", [("name", "Okafor")]),
    ("Mrs Jane Doe and Ms. Lee", "Mrs [name] and Ms. [name]", [("name", "Jane Doe"), ("name", "Lee")]),
    ("Jane Doe has lupus nephritis.", "[name] has lupus nephritis.", [("name", "Jane Doe")]),
    ("Rash for 2 weeks. John Smith reports fever.", "Rash for 2 weeks. [name] reports fever.",
     [("name", "John Smith")]),
    ("Maria Lopez presents with dysphagia.", "[name] presents with dysphagia.", [("name", "Maria Lopez")]),
    ("Anna Maria Kowalski was admitted.", "[name] was admitted.", [("name", "Anna Maria Kowalski")]),
    ("Robert Brown is on rituximab.", "[name] is on rituximab.", [("name", "Robert Brown")]),
    # names without a cue, from the census lists: a lone first name or surname, a name that is also an
    # English word opening a sentence before a clinical verb, or mid-sentence in capitals
    ("Jane has lupus.", "[name] has lupus.", [("name", "Jane")]),
    ("Seen by Smith today.", "Seen by [name] today.", [("name", "Smith")]),
    ("Should Kevin stop warfarin?", "Should [name] stop warfarin?", [("name", "Kevin")]),
    ("Nguyen's eGFR is 28.", "[name]'s eGFR is 28.", [("name", "Nguyen")]),
    ("Will has gout.", "[name] has gout.", [("name", "Will")]),
    ("Grace takes prednisone.", "[name] takes prednisone.", [("name", "Grace")]),
    ("May was started on apixaban.", "[name] was started on apixaban.", [("name", "May")]),
    ("I spoke with Hope about it.", "I spoke with [name] about it.", [("name", "Hope")]),
    ("Rebecca Thompson, 52, has scleroderma.", "[name], 52, has scleroderma.", [("name", "Rebecca Thompson")]),
]

NEGATIVE = SEED_QUESTIONS + [
    "Should a 55-year-old woman be screened for colorectal cancer?",
    "For a 70-year-old with Crohn disease, is vedolizumab safe?",
    "Hashimoto thyroiditis, Sjögren syndrome, Parkinson disease, Down syndrome and Graves disease.",
    "IVIG 2 g/kg every 4 weeks, prednisone 1 mg/kg/day, methylprednisolone 1 g for 3 days, 5 mg/kg/day.",
    "Rituximab 1000 mg on day 0 and 14, then every 24 weeks; q6 months; since 2019; for 6 months.",
    "Grade B recommendation; USPSTF 2021; MDA5+ and anti-MDA5 antibodies; Jo-1; CD20; IL-6.",
    "BP 120/80 mmHg, HbA1c 6.5%, CK 12000 U/L, ANA 1:640, platelets 150,000, 1/2 tablet, 24/7 care.",
    "Adults aged 90 years or older, aged 90 to 100, aged 90+ and people 65 years or older.",
    "May 2 doses be given the same day? Truxima, Actemra, CellCept, Plaquenil and Benlysta.",
    "The trial NCT01234567 (PMID 12345678) enrolled 1,204 patients in 2015-2018.",
    "The Dr. panel's advice was published in 2020.",
    # eponyms and clinical facts that a name rule must leave alone
    "Parkinson Disease is common. Graves' disease has eye signs. Addison Disease presents with fatigue.",
    "Still's disease presents with fever. Graves Disease was treated. Crohn Disease has flares.",
    "Hashimoto Thyroiditis is autoimmune. Rheumatoid Arthritis has extra-articular features.",
    "Multiple Sclerosis is relapsing. Hodgkin Lymphoma was staged. Down Syndrome is trisomy 21.",
    "Parkinson was described in 1817. Addison has a crisis form. Still's disease is rare.",
    "IVIG 2 g/kg on day 14 at age 45. Patient Reported Outcomes were better. Patient Education is key.",
    "Medicare Advantage has rules. Blue Cross is a payer. Giant Cell arteritis has a jaw claudication sign.",
    "Patient has lupus. Patient is 45. The patient reports fever. Pt has RA.",
    "Kawasaki Disease presents in children. Lyme Disease is tick-borne. Bell Palsy is sudden.",
    # census names that are also words, eponyms, drugs or institutions
    "Will rituximab help? May I give IVIG? Mark the site. Hope of remission is low. Grace period applies.",
    "Still febrile on day 5. Brown recluse bite. White blood cell count 2.1. Long-term prednisone.",
    "Cushing was excluded. Addison and Graves together. Parkinson patients on levodopa.",
    "Wilson disease, Gilbert syndrome, Turner syndrome, a Wells score of 6, Gleason score 7, a Foley catheter.",
    "Stevens-Johnson syndrome, Kaplan-Meier curves, Child-Pugh class B, Bence Jones protein, Murphy sign.",
    "She switched from Sprintec to Camila. Is Ella effective? Allegra or Zyrtec?",
    "Johns Hopkins and the Mayo Clinic differ. Does Kaiser Permanente cover Wegovy? Rose Bengal staining.",
    "Symptoms began in June and worsened in August.",
]


@pytest.mark.parametrize(("text", "expected", "found"), POSITIVE)
def test_identifiers_are_replaced(text: str, expected: str, found: list[tuple[str, str]]) -> None:
    result = scrub_phi(text)
    assert result.text == expected
    # Offsets point into the ORIGINAL text.
    assert [(f.kind, text[f.start : f.end]) for f in result.findings] == found


@pytest.mark.parametrize("text", NEGATIVE)
def test_clinical_text_is_untouched(text: str) -> None:
    result = scrub_phi(text)
    assert result.text == text
    assert result.findings == ()
    assert result.summary() == ""


def test_summary_counts_in_words() -> None:
    result = scrub_phi("Mr. Lee was seen 03/14/2025 and again on March 20, 2025.")
    assert result.summary() == "Removed 1 name and 2 dates."
    ages = scrub_phi("A 93-year-old woman, MRN 4455667, phone 555-123-4567.")
    assert ages.summary() == "Removed 1 medical record number and 1 phone number. Wrote 1 age over 89 as 90 or older."


def test_findings_never_hold_the_value() -> None:
    result = scrub_phi("Mrs. Jane Doe, SSN 123-45-6789")
    assert isinstance(result, ScrubResult)
    assert all(isinstance(f, PhiFinding) for f in result.findings)
    assert "Jane" not in repr(result.findings) and "6789" not in repr(result.findings)


def test_a_story_with_several_identifiers() -> None:
    text = (
        "My father Robert Brown, DOB 1/2/1931, MRN 00987654, lives at 42 Oak Avenue, Salem, OR 97301. "
        "He is a 93-year-old man with Parkinson disease on 100 mg levodopa. Call 503-555-0199."
    )
    result = scrub_phi(text)
    assert result.text == (
        "My father [name], DOB [date], MRN [MRN], lives at [address]. "
        "He is a man aged 90 or older with Parkinson disease on 100 mg levodopa. Call [phone]."
    )
    kinds = [f.kind for f in result.findings]
    assert kinds == ["name", "date", "mrn", "address", "age", "phone"]
    for finding in result.findings:
        assert 0 <= finding.start < finding.end <= len(text)


def test_scrubbing_is_deterministic_and_idempotent() -> None:
    text = "Mrs. Jane Doe, seen March 14, 2025, MRN 12345678."
    first, second = scrub_phi(text), scrub_phi(text)
    assert first == second
    assert scrub_phi(first.text).text == first.text


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2000,
        "a@" * 1000,
        "1" * 2000,
        "1/" * 1000,
        "1.1." * 500,
        "Mr. " * 500,
        "Aa " * 666,
        "my mother " + "Aa " * 600,
        "named " + "Abc " * 480,
        "aged 99 " * 250,
        ("x" * 60 + "@") * 30,
        "www." + "a" * 1996,
        "12 " * 600 + "Street",
        "March " * 333,
        "Smith Jones " * 180,
        "Will has " * 250,
    ],
)
def test_adversarial_input_is_fast(text: str) -> None:
    text = text[:2000]
    scrub_phi("Jane Smith. Jovana has gout.")  # the census and English word lists load once per process; this times the scrubbing
    started = time.perf_counter()
    scrub_phi(text)
    assert time.perf_counter() - started < 0.5


def test_the_name_lists_come_from_the_census_files_and_the_exceptions_from_their_sources() -> None:
    from curbside.vocabulary.person_names import EXCEPTIONS_FILE, census_given_names, census_surnames, name_exceptions

    given, surnames, exceptions = census_given_names(), census_surnames(), name_exceptions()
    assert {"Jane", "Grace", "Will", "Olivia"} <= given and len(given) > 5000
    assert {"Smith", "Nguyen", "Kowalski", "Hernandez"} <= surnames and 15000 < len(surnames) < 25000
    assert exceptions["Parkinson"] == exceptions["Cushing"] == exceptions["Still"] == "eponym"
    assert exceptions["Will"] == exceptions["Grace"] == exceptions["Hope"] == "english"
    assert exceptions["Camila"] == exceptions["Ella"] == "drug"
    assert "Jane" not in exceptions and "Nguyen" not in exceptions
    header = EXCEPTIONS_FILE.read_text(encoding="utf-8")[:2000]
    assert "MeSH" in header and "SCOWL" in header and "Drugs@FDA" in header and "Kevin Atkinson" in header


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Spoke to Thandiwe about the biopsy.", "Spoke to [name] about the biopsy."),
        ("Reviewed with Kofi: keep the heparin.", "Reviewed with [name]: keep the heparin."),
        ("Could Yevgenia stop her apixaban?", "Could [name] stop her apixaban?"),
        ("Is it safe for Baraka to swim?", "Is it safe for [name] to swim?"),
        ("Tadeusz Wiśniewski has gout.", "[name] has gout."),
        ("Halvorsen, Ragnhild: new AF.", "[name]: new AF."),
        ("Mobile 07700 900123 after 5 pm.", "Mobile [phone] after 5 pm."),
    ],
)
def test_names_outside_the_census_lists_by_position(text: str, expected: str) -> None:
    assert scrub_phi(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Takayasu arteritis on tocilizumab.",
        "Returning from Mombasa with fever.",
        "The Glasgow Coma Scale was 9.",
        "Crohn and Barrett both raise cancer risk.",
        "Symptoms began after the second dose.",
        "Treated with Xarelto for 3 months.",
    ],
)
def test_eponyms_places_brands_and_openings_are_kept(text: str) -> None:
    assert scrub_phi(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # opening a sentence before a plain verb: a word that is no English word and no listed word
        ("Radomira has a TSH of 9.", "[name] has a TSH of 9."),
        ("Fine. Oyelowo developed a rash on day 9.", "Fine. [name] developed a rash on day 9."),
        ("Ifeoluwa's ferritin is 8.", "[name]'s ferritin is 8."),
        # pairs, runs and appositions
        ("Vuong and Hieu both carry HLA-B*58:01.", "[name] and [name] both carry HLA-B*58:01."),
        ("Agnes and Torvald both have gout.", "[name] and [name] both have gout."),
        ("Seen: Bongani Khumalo, new AF.", "Seen: [name], new AF."),
        ("Joy Nwachukwu, 52, has ILD.", "[name], 52, has ILD."),
        ("Rash in Akosua, 2 years old, after amoxicillin.", "Rash in [name], 2 years old, after amoxicillin."),
        ("Tamerlan, who is 60, smokes.", "[name], who is 60, smokes."),
        # after a relative, put on a drug, in a question about what someone does
        ("Her grandson Kaveh is 6 and wheezy.", "Her grandson [name] is 6 and wheezy."),
        ("We restarted Dobromir on apixaban.", "We restarted [name] on apixaban."),
        ("When can Oyinkansola return to work?", "When can [name] return to work?"),
        # lower case after a cue, titles with letters beyond ASCII
        ("patient named wojtek has asthma", "patient named [name] has asthma"),
        ("my daughter ngozika is 9", "my daughter [name] is 9"),
        ("Dr Şahin and Mrs Ní Bhriain agree.", "Dr [name] and Mrs [name] agree."),
    ],
)
def test_names_that_no_list_knows_and_no_english_word_is(text: str, expected: str) -> None:
    assert scrub_phi(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Calprotectin has risen to 300.",  # a term the medical corpus writes in lower case
        "Achalasia was confirmed on manometry.",
        "Rigors began an hour into the infusion.",  # English words opening a sentence
        "Twins are at higher risk.",
        "Kawasaki with coronary aneurysm: aspirin?",  # a heading, not a person, before "with"
        "Kibale and Bwindi during the rains.",  # a pair not followed by what people do
        "Shapiro-Wilk's test was used.",  # a hyphenated compound is an eponym
        "A tumour called chloroma was seen.",  # "called" alone is no person's cue for a lower-case word
        "Travel to Kuala Lumpur next week.",  # a place after a place word
        "Can Mounjaro be started at 2.5 mg?",  # a drug in a question, not a person's action
    ],
)
def test_terms_english_words_places_and_compounds_are_kept(text: str) -> None:
    assert scrub_phi(text).text == text


def test_the_english_word_list_is_read_from_the_installed_package() -> None:
    from curbside.vocabulary.person_names import english_words

    words = english_words()
    assert {"symptoms", "began", "twins", "rigors"} <= words
    assert not {"jovana", "gunnhild", "oluwaseun"} & words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call Farida on 0161 496 0123 about her INR.", "Call [name] on [phone] about her INR."),
        ("Ring (0161) 496 0123 or 020 7946 0958.", "Ring [phone] or [phone]."),
        ("Carer: 01632 960123.", "Carer: [phone]."),
        ("Ward +44 (0)161 496 0123, office abroad +33 1 42 68 53 00.", "Ward [phone], office abroad [phone]."),
        ("Clinic +1-555-201-3344 or +49 30 1234567.", "Clinic [phone] or [phone]."),
    ],
)
def test_uk_and_international_phone_numbers(text: str, expected: str) -> None:
    assert scrub_phi(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a given name that is also an English word ("maria") opening a run of surnames
        ("Maria Gonzalez, MRN 88213490: screen for colorectal cancer?", "[name], MRN [MRN]: screen for colorectal cancer?"),
        ("Will Okafor has gout.", "[name] has gout."),
        # one name opening a question before a comma and an age
        ("John, 45, with type 2 diabetes: metformin?", "[name], 45, with type 2 diabetes: metformin?"),
        ("Grace, 72, on warfarin: what INR?", "[name], 72, on warfarin: what INR?"),
        # an imperative to call or contact someone
        ("Call Maria back about the potassium.", "Call [name] back about the potassium."),
        ("Contact Ngozi Adeyemi tomorrow.", "Contact [name] tomorrow."),
    ],
)
def test_names_opening_a_question_or_after_an_imperative(text: str, expected: str) -> None:
    assert scrub_phi(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call 999 if chest pain lasts 15 minutes.",
        "Call the pharmacy about platelets 150 000 and 0.125 mg daily.",
        "HER2 +3 and ER +2 on staining.",
        "Parkinson, 70 patients in the cohort.",
        "Rose Bengal staining of the cornea.",
        "Will rituximab help on day 14?",
    ],
)
def test_numbers_and_openings_that_are_not_phone_numbers_or_names(text: str) -> None:
    assert scrub_phi(text).text == text

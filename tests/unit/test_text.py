from curbside.corpus.text import bracket_depths, content_tokens, normalize, sentence_spans, sentences, tokenize


def test_spans_are_exact_substrings_and_cover_sentences() -> None:
    text = "Screening is recommended. Adults aged 45 to 49 years benefit, e.g. those at average risk. Dose was 2.5 mg daily."
    spans = sentence_spans(text)
    got = [text[s:e] for s, e in spans]
    assert got == [
        "Screening is recommended.",
        "Adults aged 45 to 49 years benefit, e.g. those at average risk.",
        "Dose was 2.5 mg daily.",
    ]


def test_units_at_sentence_end_split_but_abbreviations_do_not() -> None:
    text = "Values were 4.9 ml/kg. Regression showed no effect. See Smith et al. for details."
    assert sentences(text) == ["Values were 4.9 ml/kg.", "Regression showed no effect.", "See Smith et al. for details."]


def test_bullets_are_their_own_sentences_without_marker() -> None:
    text = "Check with your doctor if you have:\n - Weakness or feeling tired.\n - Fever or night sweats."
    got = sentences(text)
    assert got[1:] == ["Weakness or feeling tired.", "Fever or night sweats."]
    for s, e in sentence_spans(text):
        assert not text[s:e].startswith("-")


def test_initials_do_not_end_sentences() -> None:
    assert len(sentences("Infection with A. fumigatus is common in transplant recipients.")) == 1


def test_tokens_and_normalize() -> None:
    assert tokenize("Anti-MDA5 \u2013 positive DM") == ["anti-mda5", "positive", "dm"]
    assert "the" not in content_tokens("What is the dose of IVIG?")
    assert normalize("a\u2014b  \u201cq\u201d") == 'a-b "q"'


def test_bracket_depths_count_open_brackets_at_each_character() -> None:
    assert bracket_depths("a (b [c]) d") == [0, 0, 1, 1, 1, 2, 2, 1, 0, 0, 0]
    assert bracket_depths("x) (y") == [0, 0, 0, 1, 1]  # a stray closing bracket never goes below zero

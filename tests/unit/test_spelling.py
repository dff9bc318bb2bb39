from curbside.understanding.spelling import SpellingCorrector

VOCAB = {"hemorrhoids": 40, "hemorrhage": 300, "neuritis": 12, "vestibular": 30, "socks": 1, "statin": 50, "statins": 80}


def test_corrects_misspellings_towards_words_the_index_holds() -> None:
    speller = SpellingCorrector(VOCAB)
    assert speller.correct("hemmroids") == "hemorrhoids"
    assert speller.correct("nueritis") == "neuritis"


def test_leaves_known_short_and_unmatched_words_alone() -> None:
    speller = SpellingCorrector(VOCAB)
    assert speller.correct("statins") is None  # known
    assert speller.correct("mda5") is None  # not alphabetic
    assert speller.correct("gout") is None  # too short to correct safely
    assert speller.correct("bicycle") is None  # nothing close
    assert speller.correct("sockss") is None  # candidates need a few passages behind them

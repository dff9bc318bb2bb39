"""What is never quoted as content, and the display form of a quoted sentence.

Guideline and trial texts carry apparatus around their statements: abbreviation lists ("Abbreviations: CVD,
cardiovascular disease; ..."), pointers to tables and figures ("The table in the original guideline document
lists ..."), footnote markers ("aspirin use to prevent CVD,23"), reference debris ("2006 Sep 1;174(5):605-14.",
"[PubMed]", "doi:"), trial registrations, copyright lines and grade lines standing alone ("( B recommendation )").

- :func:`is_noise_sentence`: a sentence that is apparatus only, never quoted.
- :func:`display_text`: a quoted sentence as shown, without footnote markers, pointers in parentheses
  ("(see Table 2 in the original guideline document)", "(Table 1)"), a registration in parentheses and a
  trailing copyright clause. Real numbers
  stay: "1,000 mg", "COVID-19", "HbA1c", "B12", "T2DM", "IL-6", "0.8-1.2", "Section J.4".
- :func:`is_reportable_concept`: whether a question's concept may be named as not covered; ordinary words
  ("persistent", "rapidly", "severe") never are.
"""

from __future__ import annotations

import re
from functools import lru_cache

from curbside.corpus.text import STOPWORDS, tokenize
from curbside.evidence.grading import is_grade_line
from curbside.vocabulary.conditions import is_qualifier
from curbside.vocabulary.schedules import number_words
from curbside.vocabulary.tables import read_table

__all__ = ["display_text", "is_noise_sentence", "is_reportable_concept"]

# --- noise sentences --------------------------------------------------------------------------------------

# A grade code opening a statement ("[EO] See Box 4 ..."), skipped before the tests.
_LEADING_CODE = re.compile(r"^\s*(?:\[[^\]]{1,6}\]\s*)+")
_ABBREVIATION_LIST = re.compile(r"^\s*(?:Abbreviations?\b\s*(?:[:=]|used\b|for\b|are\b)|Key\s*:|Note\s*:\s*[A-Z]{2,}\s*[,=])")
# "CVD, cardiovascular disease; USPSTF, US Preventive..." without its heading: 3+ "ABBR, words" items.
_DEFINITION_ITEM = re.compile(
    r"(?:^|;)\s*(?=[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z])[A-Za-z0-9-]+\s*[,=:]\s*[A-Za-z][^;,=]{2,80}(?=;|\.?$)"
)
_DOC_PART = r"(?:tables?|figures?|fig\.|appendix|appendices|box(?:es)?|sections?|algorithms?|annex|supplement\w*|"\
    r"the\s+original\s+guideline\s+document|original\s+guideline|the\s+guideline\s+document|website|web\s+site)"
_POINTER_START = re.compile(
    rf"^\s*(?:see|refer\s+to|go\s+to|please\s+(?:see|refer|access)|"
    rf"(?:for|further)\s+(?:more|additional|further|detailed|complete|specific)?\s*(?:information|details|discussion|"
    rf"descriptions?|recommendations?|clinical\s+indications)\b[^.]{{0,160}}\b(?:see|refer\s+to|go\s+to|consult))\b"
    rf"[^.]{{0,200}}\b{_DOC_PART}",
    re.IGNORECASE,
)
_PART_AS_SUBJECT = re.compile(
    rf"^\s*(?:the|this|these|a|an)\s+{_DOC_PART}(?:\s+(?:below|above|\d+|[A-Z]))?(?:\s+(?:in|of)\s+the\s+original"
    rf"\s+guideline\s+document)?\s+(?:lists?|shows?|presents?|summari[sz]es?|provides?|describes?|contains?|"
    rf"outlines?|details?|displays?|gives?|includes?)\b",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*(?:table|figure|fig\.|appendix|box|panel)\s*[A-Z0-9]{0,4}(?:\.\d+)?\s*[:.\u2014-]\s", re.I)
_SHOWN_IN = re.compile(
    r"\b(?:is|are)\s+(?:shown|presented|listed|summari[sz]ed|provided|given|described|depicted|displayed|found)\s+"
    r"in\s+(?:the\s+)?(?:tables?|figures?|fig\.|appendix|box)(?:\s*[A-Z0-9]{1,4}(?:\s*(?:,|and|-|\u2013)\s*[A-Z0-9]{1,4})*)?"
    r"(?:\s+(?:below|above|in\s+the\s+original\s+guideline\s+document))?\s*[.)]?\s*$",
    re.IGNORECASE,
)
_ORIGINAL_DOCUMENT_POINTER = re.compile(
    r"\b(?:in|from)\s+the\s+original\s+guideline\s+document\s*(?:for\b[^.]*)?\.?\s*$", re.IGNORECASE
)
_OTHER_STATEMENTS = re.compile(
    r"^\s*the\s+(?:uspstf|task\s+force)\s+has\s+(?:made|issued|published)\s+(?:several\s+|a\s+number\s+of\s+|"
    r"separate\s+|other\s+|related\s+)*recommendations?(?:\s+statements?)?\s+(?:on|about|related\s+to|regarding)\b",
    re.IGNORECASE,
)
_CITATION = re.compile(
    r"\b(?:19|20)\d\d\s*(?:[A-Z][a-z]{2}\s*(?:\d{1,2}\s*)?)?;\s*\d+\s*(?:\(\s*[\w-]+\s*\))?\s*:\s*[A-Za-z]?\d+"  # 2006 Sep 1;174(5):605
    r"|\[\s*(?:PubMed|PMC\s*free\s*article|Google\s*Scholar|CrossRef|Medline)[^\]]*\]"
    r"|\bdoi\s*:\s*10\.|\bdx\.doi\.org/|\bPMID\s*:?\s*\d{6,}|\bPMCID\s*:",
    re.IGNORECASE,
)
# "Smith et al. 2015", "Garcia et al. (2014)": debris only in a short sentence ("Adapted from ... Garcia et al.").
_AUTHOR_YEAR = re.compile(r"\bet\s+al\.?,?\s*\(?(?:19|20)\d\d\b", re.IGNORECASE)
_REGISTRATION = re.compile(
    r"\b(?:clinicaltrials\.gov|ISRCTN\s*\d+|NCT\s?\d{8}|UMIN\s?\d{6,}|ACTRN\s?\d+|ChiCTR[\w-]*\d|EudraCT|"
    r"trial\s+regist(?:ration|ry)|clinical\s+trials?\s+regist\w*|trialregister)",
    re.IGNORECASE,
)
# A registration in parentheses after a finding: "... are warranted (ClinicalTrials.gov identifier, NCT00934544)."
_REGISTRATION_ASIDE = re.compile(rf"\s*\((?=[^()]*(?:{_REGISTRATION.pattern}))[^()]*\)", re.IGNORECASE)
# Sentences this short around a citation or a registration hold nothing else.
_MAX_DEBRIS_WORDS = 12
_MAX_REGISTRATION_WORDS = 25
_URL = re.compile(r"\(?\s*(?:https?://|www\.)\S+\s*\)?", re.IGNORECASE)
_COPYRIGHT_START = re.compile(r"^\s*(?:\u00a9|\(c\)\s*(?:19|20)\d\d|copyright\b|published\s+by\b)", re.IGNORECASE)
# A table footnote: a lone footnote letter opening the line ("a See Oros et al", "b Referral if 2 or more checks").
_FOOTNOTE_LINE = re.compile(r"^\s*[a-h]\s+[A-Z]")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


# Cheap substring tests run before the costlier patterns (a question scores a few hundred sentences).
_DOCUMENT_PART_WORDS = ("table", "figure", "fig.", "appendix", "box", "section", "algorithm", "annex", "supplement",
                        "original guideline", "guideline document", "website", "web site")
_REGISTRATION_WORDS = ("clinicaltrials", "isrctn", "nct", "umin", "actrn", "chictr", "eudract", "regist")
_CITATION_MARKS = (";", "pubmed", "pmc", "scholar", "crossref", "medline", "doi", "pmid")


def _has_any(lowered: str, words: tuple[str, ...]) -> bool:
    return any(word in lowered for word in words)


def is_noise_sentence(text: str) -> bool:
    """True when ``text`` (one sentence) is apparatus, never content: an abbreviation list, a pointer to a table,
    figure, appendix or the original guideline document, a caption, reference debris (a citation, "[PubMed]",
    "doi:"), a trial registration, a bare URL, a copyright line, a grade line standing alone, a table footnote,
    or a list of the body's other statements."""
    stripped = _LEADING_CODE.sub("", text).strip() if text.lstrip().startswith("[") else text.strip()
    if not stripped or is_grade_line(text.strip()):
        return True
    lowered = stripped.lower()
    if _ABBREVIATION_LIST.match(stripped) or _FOOTNOTE_LINE.match(stripped) or _COPYRIGHT_START.match(stripped):
        return True
    if stripped.count(";") >= 2 and len(_DEFINITION_ITEM.findall(stripped)) >= 3:
        return True
    if _has_any(lowered, _DOCUMENT_PART_WORDS):
        if _POINTER_START.search(stripped) or _PART_AS_SUBJECT.match(stripped) or _CAPTION.match(stripped):
            return True
        if _SHOWN_IN.search(stripped):
            return True  # "The mean profiles ... are shown in Figure 2.": where the data are, not what they say
        if _ORIGINAL_DOCUMENT_POINTER.search(stripped) and not re.search(r"\(\s*see\b", stripped, re.I):
            return True  # "Refer to Section F.4.h ... in the original guideline document."
    if _OTHER_STATEMENTS.match(stripped):
        return True
    if _has_any(lowered, _CITATION_MARKS) and _CITATION.search(stripped):
        return True
    if "et al" in lowered and _AUTHOR_YEAR.search(stripped) and _words(stripped) <= _MAX_DEBRIS_WORDS:
        return True
    has_url = "http" in lowered or "www." in lowered
    if _has_any(lowered, _REGISTRATION_WORDS) and _REGISTRATION.search(stripped):
        rest = _REGISTRATION_ASIDE.sub(" ", stripped)
        words = _words(_URL.sub(" ", rest) if has_url else rest)
        if words < 4 or (_REGISTRATION.search(rest) and words <= _MAX_REGISTRATION_WORDS):
            return True  # a registration sentence; one in parentheses after a finding leaves the finding
    return has_url and _words(_URL.sub(" ", stripped)) < 4


# --- display text -----------------------------------------------------------------------------------------

# A footnote after punctuation that follows a word of 2+ letters, a closing bracket or a year before a word:
# "CVD,23 screening", "disorders.4 Common", "(Table 1).1-3", "factors),27,28 and", "in 1992.6 There".
# Not "J.4" (one letter), "1.36", "1,000", "2016.5 mg".
_FOOTNOTE_AFTER_PUNCTUATION = re.compile(
    r"(?:(?<=[A-Za-z]{2})|(?<=[)\]%])|(?<=(?<![\d.,])(?:19|20)\d\d))"
    r"(?P<punct>[,.;:])(?P<refs>\d{1,3}(?:\s?[,\u2013-]\s?\d{1,3})*)(?=\s|$)"
)
# A footnote glued to a lower-case word of 4+ letters: "recommendation30 In", "review7,19 to", "cancer19 and". Not
# "HbA1c", "B12", "T2DM", "IL-6", "COVID-19", "CD20" (upper case, a hyphen, letters after the digits), "chi2",
# "alpha2", "kinase1" (a name's number), nor inside a URL or file name ("www2.aap.org", "chartv8.pdf").
_FOOTNOTE_GLUED = re.compile(
    r"(?<=[a-z]{4})(?P<refs>\d{1,3}(?:,\d{1,3}|[\u2013-]\d{1,3})*)"
    r"(?=[\s,;:)]|\.(?:\s|$)|$)"  # not "brochure2.pdf", "from138.2"
)
_WORD_BEFORE = re.compile(r"[A-Za-z0-9./-]*$")
_SUPERSCRIPT_DIGIT = "[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]"
# Superscript footnotes: two or more digits or a list after a word ("disease\u00b9\u00b2", "risk\u00b9,\u00b3"); one
# superscript digit is an exponent ("kg/m\u00b2", "r\u00b2", "chi\u00b2").
_SUPERSCRIPTS = re.compile(
    rf"(?<=[A-Za-z.,;)]){_SUPERSCRIPT_DIGIT}(?:{_SUPERSCRIPT_DIGIT}+|(?:[,\u2013-]{_SUPERSCRIPT_DIGIT}+)+)"
)
_ABBREVIATIONS_BEFORE_NUMBERS = frozenset("vs no nos fig figs ref refs eq vol pp ca approx version".split())
_NEW_SENTENCE = re.compile(r"\s+[A-Z]|\s*$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_PARENTHESISED_POINTER = re.compile(
    rf"\s*\((?:(?:see|refer\s+to|as\s+shown\s+in|shown\s+in|cf\.?)\s[^()]*?\b{_DOC_PART}[^()]*"
    rf"|(?:table|figure|fig\.|appendix|box)s?\s*[A-Z0-9]{{0,4}}(?:\s*(?:and|,|-|\u2013)\s*[A-Z0-9]{{1,4}})*)\)",
    re.IGNORECASE,
)
# "... clinical training. \u00a9 2015 The Authors." (not "Zocor\u00a9, in 43 ...": a mark glued to a name).
_TRAILING_COPYRIGHT = re.compile(r"(?:^|\s)(?:\u00a9|\(c\)|copyright\b)\s*(?:19|20)\d\d\b[^.]*\.?\s*$", re.IGNORECASE)
# Units that a number glued to a word may be ("mg1"? never): a glued footnote is never followed by a unit.
_UNIT_AFTER = re.compile(r"^\s?(?:mg|g|kg|mcg|\u00b5g|ml|mL|l|L|mmol|mol|iu|IU|units?|%|mm|cm|h|hr|hours?|days?|"
                         r"weeks?|months?|years?)\b")


def _word_before(match: re.Match[str]) -> str:
    """The token that ends where ``match`` starts ("CVD" before ",23"; "www2.aap" style tokens whole)."""
    head = match.string[max(0, match.start() - 60) : match.start()]
    found = _WORD_BEFORE.search(head)
    return found.group(0) if found else ""


def _drop_after_punctuation(match: re.Match[str]) -> str:
    punct, refs, rest = match.group("punct"), match.group("refs"), match.string[match.end():]
    before = _word_before(match).rstrip(".")
    word = re.search(r"[A-Za-z]+$", before)
    if word and (_ROMAN.match(word.group(0)) or word.group(0).lower() in _ABBREVIATIONS_BEFORE_NUMBERS):
        return match.group(0)  # "Section IV.2", "vs.10": a numbering or a number, not a footnote
    if word and len(word.group(0)) < 2 and not match.string[match.start() - 1] in ")]%":
        return match.group(0)  # "J.4"
    if refs.startswith("0") or _UNIT_AFTER.match(rest):
        return match.group(0)
    if before[-4:].isdigit() and not re.match(r"\s+[A-Za-z]", rest):
        return match.group(0)  # after a year only before a word: "in 1992.6 There", not "2016.5 mg"
    if punct == "." and not _NEW_SENTENCE.match(rest):
        return match.group(0)  # "MY.11 is", "SPSS.18 using": a name's number; a footnote ends a sentence
    return punct


# Words a number may follow without a space as part of a name ("week12", "grade3", "alpha2"), never a footnote.
_NUMBERED_WORDS = frozenset(
    "days week weeks month months year years cycle cycles grade stage type class phase dose visit group level step part "
    "trial study covid alpha beta gamma delta kappa lambda sigma omega kinase receptor factor antigen protein hormone "
    "subunit chain domain isoform variant allele gene".split()
)


def _drop_glued(match: re.Match[str]) -> str:
    token = _word_before(match)
    if not re.fullmatch(r"[a-z]{4,}", token) or token in _NUMBERED_WORDS:
        return match.group(0)  # part of a code, a URL or a name's number
    if _UNIT_AFTER.match(match.string[match.end():]):
        return match.group(0)
    return ""


def display_text(text: str) -> str:
    """``text`` as shown to a reader: footnote markers, pointers and registrations in parentheses and a trailing
    copyright clause dropped, whitespace collapsed. A display form only: quotes keep their verbatim text and offsets."""
    out = _SUPERSCRIPTS.sub("", text)
    out = _FOOTNOTE_AFTER_PUNCTUATION.sub(_drop_after_punctuation, out)
    out = _FOOTNOTE_GLUED.sub(_drop_glued, out)
    lowered = out.lower()
    if "(" in out and _has_any(lowered, _DOCUMENT_PART_WORDS):
        out = _PARENTHESISED_POINTER.sub("", out)
    if "(" in out and _has_any(lowered, _REGISTRATION_WORDS):
        out = _REGISTRATION_ASIDE.sub("", out)
    if ("\u00a9" in out or "copyright" in lowered or "(c)" in lowered) and not _COPYRIGHT_START.match(out):
        out = _TRAILING_COPYRIGHT.sub("", out)
    return " ".join(out.split())


# --- concepts worth reporting -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _ordinary_words() -> frozenset[str]:
    return frozenset(row["word"].lower() for row in read_table("ordinary_clinical_words.tsv"))


def is_reportable_concept(concept: str) -> bool:
    """Whether a question's concept may be named as missing from the evidence ("Not covered: ..."): False for a
    concept made only of ordinary clinical words ("persistent", "rapidly", "severe", "evolving"), condition
    qualifiers (``condition_qualifiers.tsv``), stopwords and numbers."""
    ordinary = _ordinary_words()
    tokens = tokenize(concept)
    if not tokens:
        return False
    if is_qualifier(concept):
        return False
    return any(
        not (t in ordinary or t in STOPWORDS or t.isdigit() or t in number_words() or is_qualifier(t)) for t in tokens
    )

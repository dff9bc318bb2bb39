"""Question understanding: the question is read once, into one typed object that retrieval, evidence and
writing all use (story and clinical question, expansions, spelling, question type, patient context).

    understood = understand(question, context, lexicon=lexicon, drug_names=drug_names, speller=speller)

Modules: :mod:`.understood` (the entry point and :class:`UnderstoodQuestion`), :mod:`.lexicon`
(abbreviations, brands, MeSH names), :mod:`.story` (story / question split, age, sex, history),
:mod:`.expansions` (abbreviation, brand and MeSH matching; abbreviations a text defines),
:mod:`.spelling`, :mod:`.question_type`, :mod:`.patient_context` (the one patient model) with its readers
:mod:`.medications`, :mod:`.findings`, :mod:`.drug_names` and :mod:`.clinical_terms`. Nothing here imports
retrieval, evidence or writing.
"""

from curbside.understanding.answer_intent import AnswerIntent, classify_intent
from curbside.understanding.expansions import Expansion, abbreviation_definitions
from curbside.understanding.lexicon import DrugTable, Lexicon, load_builtin_abbreviations
from curbside.understanding.drug_names import DrugNames
from curbside.understanding.findings import Finding
from curbside.understanding.medications import Medication
from curbside.understanding.patient_context import PatientContext, extract_patient_context
from curbside.understanding.question_type import (
    QuestionType,
    QuestionTypeResult,
    classify_question,
    explain_question_type,
)
from curbside.understanding.spelling import SpellingCorrector
from curbside.understanding.understood import UnderstoodQuestion, understand

__all__ = [
    "AnswerIntent",
    "classify_intent",
    "DrugNames",
    "DrugTable",
    "Expansion",
    "Finding",
    "Lexicon",
    "Medication",
    "PatientContext",
    "QuestionType",
    "QuestionTypeResult",
    "SpellingCorrector",
    "UnderstoodQuestion",
    "abbreviation_definitions",
    "classify_question",
    "explain_question_type",
    "extract_patient_context",
    "load_builtin_abbreviations",
    "understand",
]

"""Consult questions: does the article answer the question asked, from the right source, for the patient described?

The question set (``tests/fixtures/consult_questions.jsonl``, written by hand from the starter corpus) has
three kinds of question, each with a contract on the article's JSON (``Article.model_dump(mode="json")``).
Only structure and sources are checked, never wording:

- ``answerable``: ``evidence_status`` is sufficient or limited, and the bottom line cites one of
  ``expected_sources`` (``bottom_line_citations`` -> ``references[].doc_id``), or, for a question with an
  ``expected_table``, the bottom line is derived (``bottom_line_support == "derived"``) from a fact that
  names that curated table ("reference dose", "monitoring", "interaction");
- ``unanswerable``: the bottom line cites nothing, says what the knowledge base lacks (contains
  "knowledge base"), and ``evidence_status`` is never sufficient;
- ``population_trap``: only the checks every question gets (below).

Every question, whatever its kind:

- a ``forbidden_sources`` id (a guideline for another population) is not among the bottom line's sources
  (its citations and its derived facts' citations), and a section bullet citing one is marked
  ``indirect: true`` (a missing field counts as false);
- no reference at all is a superseded guideline (the older ids of the superseded map, plus any forbidden id
  found there): a replaced statement belongs only in a dated history note, never among the references.

:func:`check_article` is the one place these rules live; ``bench/eval_consult.py`` and
``tests/integration/test_consult_questions.py`` both call it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from curbside.errors import InvalidQuestionError
from curbside.evaluation.files import EvalProblem, iter_jsonl, require_file
from curbside.evaluation.runner import EvaluationLoop, Progress, per_question, timed

if TYPE_CHECKING:
    from curbside.engine import Curbside

Kind = Literal["answerable", "unanswerable", "population_trap"]
KINDS: tuple[Kind, ...] = ("answerable", "unanswerable", "population_trap")
INTENTS = ("should", "first_drug", "dose", "monitoring", "tests", "safety", "next", "other")
# The curated tables a derived bottom line may come from, by the words its derived facts use for them.
TABLE_FACT_WORDS = {"reference_doses": "reference dose", "monitoring": "monitoring", "interactions": "interaction"}
ANSWERED_STATUSES = frozenset({"sufficient", "limited"})
ABSTAINING_STATUSES = frozenset({"insufficient", "limited"})
ABSTENTION_PHRASE = "knowledge base"


@dataclass(frozen=True, slots=True)
class ConsultQuestion:
    """One question of the set: what is asked, of which kind, and which sources must or must not answer it."""

    id: str
    question: str
    kind: Kind
    intent: str
    why: str
    context: str | None = None
    expected_sources: tuple[str, ...] = ()
    expected_table: str | None = None
    forbidden_sources: tuple[str, ...] = ()


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def _question_from(record: dict[str, Any]) -> ConsultQuestion | str:
    """The question of one record, or why it cannot be used."""
    for key in ("id", "question", "kind", "intent", "why"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            return f"missing or blank '{key}'"
    if record["kind"] not in KINDS:
        return f"'kind' must be one of {', '.join(KINDS)}"
    if record["intent"] not in INTENTS:
        return f"'intent' must be one of {', '.join(INTENTS)}"
    expected, forbidden = _strings(record.get("expected_sources")), _strings(record.get("forbidden_sources"))
    if expected is None or forbidden is None:
        return "'expected_sources' and 'forbidden_sources' must be lists of doc ids"
    table = record.get("expected_table")
    if table is not None and table not in TABLE_FACT_WORDS:
        return f"'expected_table' must be one of {', '.join(TABLE_FACT_WORDS)}"
    if record["kind"] == "answerable" and not expected and table is None:
        return "an answerable question needs 'expected_sources' or 'expected_table'"
    if record["kind"] != "answerable" and (expected or table):
        return "only an answerable question has 'expected_sources' or 'expected_table'"
    if set(expected) & set(forbidden):
        return "a doc id cannot be both expected and forbidden"
    context = record.get("context")
    if context is not None and (not isinstance(context, str) or not context.strip()):
        return "'context' must be non-blank text when present"
    return ConsultQuestion(
        id=record["id"].strip(), question=record["question"].strip(), kind=record["kind"], intent=record["intent"],
        why=record["why"].strip(), context=context.strip() if context else None, expected_sources=expected,
        expected_table=table, forbidden_sources=forbidden,
    )


def load_consult_questions(path: str | Path) -> tuple[list[ConsultQuestion], list[EvalProblem]]:
    """The usable questions of a consult-question file, and a problem for each unusable or repeated line."""
    path = require_file(path, "Consult questions file")
    problems: list[EvalProblem] = []
    questions: list[ConsultQuestion] = []
    seen: set[str] = set()
    for line, record in iter_jsonl(path, problems):
        parsed = _question_from(record)
        if isinstance(parsed, str):
            problems.append(EvalProblem(str(path), line, parsed))
        elif parsed.id in seen:
            problems.append(EvalProblem(str(path), line, f"repeated id {parsed.id!r}"))
        else:
            seen.add(parsed.id)
            questions.append(parsed)
    return questions, problems


def load_superseded(path: str | Path) -> dict[str, str]:
    """``older doc id -> newer doc id`` from a TSV of ``older<TAB>newer<TAB>topic`` (``#`` comments, a header)."""
    superseded: dict[str, str] = {}
    for line in require_file(path, "Superseded guidelines file").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        older, newer, *_ = line.split("\t")
        if older != "older":
            superseded.setdefault(older.strip(), newer.strip())
    return superseded


def _reference_ids(article: Mapping[str, Any]) -> dict[int, str]:
    return {int(r["number"]): str(r["doc_id"]) for r in article.get("references") or []}


def bottom_line_sources(article: Mapping[str, Any]) -> list[str]:
    """The doc ids the bottom line cites, in order: its citations, then its derived facts' citations."""
    refs = _reference_ids(article)
    numbers = list(article.get("bottom_line_citations") or [])
    numbers += [f["citation"] for f in article.get("bottom_line_derived_from") or [] if f.get("citation") is not None]
    out: list[str] = []
    for n in numbers:
        doc_id = refs.get(int(n), f"<missing reference {n}>")
        if doc_id not in out:
            out.append(doc_id)
    return out


@dataclass
class ConsultCheck:
    """The verdict on one article: passed when no rule failed; ``failures`` says which failed and why."""

    id: str
    kind: Kind
    intent: str
    evidence_status: str
    bottom_line: str
    bottom_line_sources: list[str]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _check_answerable(q: ConsultQuestion, article: Mapping[str, Any], cited: list[str]) -> list[str]:
    failures: list[str] = []
    status = article.get("evidence_status")
    if status not in ANSWERED_STATUSES:
        failures.append(f"evidence_status is {status!r}, not sufficient or limited")
    from_source = bool(set(q.expected_sources) & set(cited))
    from_table = False
    if q.expected_table:
        word = TABLE_FACT_WORDS[q.expected_table]
        facts = [str(f.get("fact", "")).lower() for f in article.get("bottom_line_derived_from") or []]
        from_table = article.get("bottom_line_support") == "derived" and any(word in f for f in facts)
    if not (from_source or from_table):
        wanted = [f"one of {list(q.expected_sources)}"] if q.expected_sources else []
        if q.expected_table:
            wanted.append(f"a derived statement from the {q.expected_table} table")
        failures.append(f"bottom line cites {cited or 'nothing'}; expected {' or '.join(wanted)}")
    return failures


def _check_unanswerable(article: Mapping[str, Any]) -> list[str]:
    failures: list[str] = []
    if article.get("bottom_line_citations"):
        failures.append(f"bottom line cites {bottom_line_sources(article)}; it should cite nothing")
    if ABSTENTION_PHRASE not in str(article.get("bottom_line", "")).lower():
        failures.append(f"bottom line does not say what the {ABSTENTION_PHRASE} lacks")
    status = article.get("evidence_status")
    if status not in ABSTAINING_STATUSES:
        failures.append(f"evidence_status is {status!r}; an unanswered question is never sufficient")
    return failures


def _check_sources(
    q: ConsultQuestion, article: Mapping[str, Any], cited: list[str], superseded: Mapping[str, str]
) -> list[str]:
    failures: list[str] = []
    referenced = set(_reference_ids(article).values())
    for doc_id in sorted(referenced & set(superseded)):
        failures.append(f"cites superseded {doc_id} (replaced by {superseded[doc_id]}) in references")
    forbidden = [f for f in q.forbidden_sources if f not in superseded]
    for doc_id in forbidden:
        if doc_id in cited:
            failures.append(f"bottom line cites off-population {doc_id}")
    refs = _reference_ids(article)
    direct: Counter[str] = Counter()
    for section in article.get("sections") or []:
        for bullet in section.get("bullets") or []:
            if bullet.get("indirect") is True:
                continue
            for n in bullet.get("citations") or []:
                if refs.get(int(n)) in forbidden:
                    direct[refs[int(n)]] += 1
    for doc_id, count in sorted(direct.items()):
        failures.append(f"{count} section bullet(s) cite off-population {doc_id} without indirect: true")
    return failures


def check_article(
    q: ConsultQuestion, article: Mapping[str, Any], superseded: Mapping[str, str] | None = None
) -> ConsultCheck:
    """Judge an article's JSON (``Article.model_dump(mode="json")``) against the question's contract."""
    superseded = superseded or {}
    cited = bottom_line_sources(article)
    check = ConsultCheck(
        id=q.id, kind=q.kind, intent=q.intent, evidence_status=str(article.get("evidence_status")),
        bottom_line=str(article.get("bottom_line", "")), bottom_line_sources=cited,
    )
    if q.kind == "answerable":
        check.failures += _check_answerable(q, article, cited)
    elif q.kind == "unanswerable":
        check.failures += _check_unanswerable(article)
    check.failures += _check_sources(q, article, cited, superseded)
    return check


@dataclass
class ConsultResult:
    check: ConsultCheck
    ask_seconds: float


@dataclass
class ConsultEvaluation:
    questions_file: str
    results: list[ConsultResult]
    seconds: float
    corpus_snapshot: str = ""
    problems: list[EvalProblem] = field(default_factory=list)

    def totals(self) -> dict[str, dict[str, int]]:
        """Passed and asked questions per kind, and over all."""
        out: dict[str, dict[str, int]] = {}
        for kind in (*KINDS, "all"):
            mine = [r for r in self.results if kind in ("all", r.check.kind)]
            out[kind] = {"passed": sum(r.check.passed for r in mine), "questions": len(mine)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions_file": self.questions_file,
            "corpus_snapshot": self.corpus_snapshot,
            "totals": self.totals(),
            "results": [asdict(r.check) | {"passed": r.check.passed, "ask_seconds": round(r.ask_seconds, 3)}
                        for r in self.results],
            "seconds": round(self.seconds, 3),
            "seconds_per_question": per_question(self.seconds, len(self.results)),
            "problems": [str(p) for p in self.problems],
        }


def evaluate_consult(
    cb: Curbside,
    questions_file: str | Path,
    superseded: Mapping[str, str] | None = None,
    *,
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ConsultEvaluation:
    """Ask every question (with its patient context) and check each article; ``ids`` picks some by id."""
    questions, problems = load_consult_questions(questions_file)
    if ids:
        questions = [q for q in questions if q.id in set(ids)]
    loop = EvaluationLoop("consult", questions_file, questions, problems, limit=limit,
                          if_empty=f"No usable consult question in {questions_file}.")

    def score(q: ConsultQuestion) -> ConsultResult:
        article, seconds = timed(cb.ask, q.question, context=q.context, article_id=q.id)
        return ConsultResult(check_article(q, article.model_dump(mode="json"), superseded), seconds)

    def rejected(q: ConsultQuestion, exc: InvalidQuestionError) -> EvalProblem:
        return EvalProblem(str(questions_file), None, str(exc), record=q.id)

    run = loop.run(score, rejected, progress=progress, progress_every=10)
    return ConsultEvaluation(str(questions_file), run.results, run.seconds,
                             corpus_snapshot=cb.index.corpus_snapshot, problems=run.problems)

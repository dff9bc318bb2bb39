"""The one loop every evaluation runs: limit the questions, score each on the engine, time the run.

An evaluation reads its question file into items and problems (:mod:`curbside.evaluation.files`),
then hands them to an :class:`EvaluationLoop`, which

- keeps the first ``limit`` items, and stops with an :class:`~curbside.errors.EvaluationError` when none is usable;
- passes each item to the evaluation's scorer (which asks or searches the engine and judges the answer);
- records a question the engine rejects (:class:`~curbside.errors.InvalidQuestionError`) as a problem and goes on;
- reports progress every so many questions, and times the whole run.

The evaluation then aggregates the :class:`LoopRun`'s results into its own report, whose ``to_dict()``
is the JSON that ``curbside eval ... --format json`` prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, ParamSpec, TypeVar

from curbside.errors import EvaluationError, InvalidQuestionError
from curbside.evaluation.files import EvalProblem

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
ValueT = TypeVar("ValueT")
Params = ParamSpec("Params")

Progress = Callable[[str], None]


def timed(call: Callable[Params, ValueT], *args: Params.args, **kwargs: Params.kwargs) -> tuple[ValueT, float]:
    """``call(*args, **kwargs)`` and the seconds it took (wall clock, ``perf_counter``)."""
    started = time.perf_counter()
    value = call(*args, **kwargs)
    return value, time.perf_counter() - started


def per_question(seconds: float, questions: int) -> float:
    """Seconds a question, as reports give it (4 decimals; 0.0 for no questions)."""
    return round(seconds / questions, 4) if questions else 0.0


@dataclass
class LoopRun(Generic[ResultT]):
    """What the loop hands back: the scored results in question order, all problems so far, the run's seconds."""

    results: list[ResultT]
    problems: list[EvalProblem]
    seconds: float


class EvaluationLoop(Generic[ItemT]):
    """The questions of one evaluation, limited and checked on construction; :meth:`run` scores them.

    Construction raises ``EvaluationError(if_empty)`` when no item is left, before anything touches the
    engine or loads a model. ``name`` prefixes the progress lines (``kqa: 25/200 questions``).
    """

    def __init__(
        self,
        name: str,
        questions_file: str | Path,
        items: Sequence[ItemT],
        problems: list[EvalProblem],
        *,
        limit: int | None,
        if_empty: str,
    ) -> None:
        self.name = name
        self.questions_file = str(questions_file)
        self.items: list[ItemT] = list(items if limit is None else items[: max(0, limit)])
        if not self.items:
            raise EvaluationError(if_empty)
        self.problems = problems

    def run(
        self,
        score: Callable[[ItemT], ResultT],
        rejected: Callable[[ItemT, InvalidQuestionError], EvalProblem],
        *,
        progress: Progress | None = None,
        progress_every: int = 25,
        verb: str = "asked",
    ) -> LoopRun[ResultT]:
        """Score every item in order; ``rejected`` turns a question the engine refuses into its problem.

        Raises :class:`EvaluationError` when every question was rejected (``verb`` says what was tried).
        """
        started = time.perf_counter()
        results: list[ResultT] = []
        total = len(self.items)
        for n, item in enumerate(self.items, start=1):
            try:
                results.append(score(item))
            except InvalidQuestionError as exc:
                self.problems.append(rejected(item, exc))
                continue
            if progress and (n % progress_every == 0 or n == total):
                progress(f"{self.name}: {n}/{total} questions")
        if not results:
            raise EvaluationError(
                f"None of the questions in {self.questions_file} could be {verb}; see the problems reported."
            )
        return LoopRun(results=results, problems=self.problems, seconds=time.perf_counter() - started)

"""Reading evaluation files: the one problem type, the JSON and JSONL readers, and field coercion.

A question file is read tolerantly: each record that cannot be used becomes an :class:`EvalProblem`
(``path:line: why``, or ``path: record KEY: why`` for a JSON object file) and is skipped, so one bad
line never stops an evaluation. The evaluation loop (:mod:`curbside.evaluation.runner`) reports a
question the engine rejects with the same type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curbside.corpus.documents import IngestReport
from curbside.corpus.loaders.common import read_jsonl
from curbside.errors import EvaluationError, IngestError


@dataclass(frozen=True, slots=True)
class EvalProblem:
    """One unusable record of an evaluation file, reported as ``path:line: message`` (or ``path: record KEY: ...``)."""

    path: str
    line: int | None  # None for a record of a JSON object file (then ``record`` names it)
    message: str
    record: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        if self.record is not None:
            return f"{self.path}: record {self.record}: {self.message}"
        return f"{self.path}: {self.message}"


def require_file(path: str | Path, what: str) -> Path:
    """``path`` (``~`` expanded) when it is a file; an :class:`EvaluationError` naming ``what`` when not."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise EvaluationError(f"{what} {path} does not exist. Pass the path of the file.")
    return path


def iter_jsonl(path: Path, problems: list[EvalProblem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each JSON-object line; bad lines are added to ``problems`` and skipped.

    The corpus loaders' reader does the work; its problems are passed on in order, as they arise.
    """
    report = IngestReport()
    passed = 0

    def pass_on() -> None:
        nonlocal passed
        problems.extend(EvalProblem(p.file, p.line, p.message) for p in report.problems[passed:])
        passed = len(report.problems)

    try:
        for item in read_jsonl(path, report):
            pass_on()
            yield item
        pass_on()
    except IngestError as exc:
        raise EvaluationError(str(exc)) from exc


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EvaluationError(f"{what} {path} is not readable JSON: {exc}") from exc


def text_field(record: dict[str, Any], key: str) -> str | None:
    """``record[key]`` as stripped text; None when missing, blank or not a string/number."""
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text or None


def text_list(record: dict[str, Any], key: str) -> list[str] | None:
    """``record[key]`` as a list of non-blank stripped strings (numbers accepted); None when not a list."""
    value = record.get(key)
    if not isinstance(value, list):
        return None
    out: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            return None
        text = str(item).strip()
        if text:
            out.append(text)
    return out


def default_eval_file(corpus_dir: Path | None, *parts: str) -> Path | None:
    """``<shared>/eval/<parts>`` beside the corpus directory (``<shared>/corpus``), where that file exists."""
    from curbside.settings import find_default_corpus_dir

    root = corpus_dir or find_default_corpus_dir()
    if root is None:
        return None
    candidate = Path(root).expanduser().resolve().parent.joinpath("eval", *parts)
    return candidate if candidate.is_file() else None

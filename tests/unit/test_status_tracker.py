"""The article page's status tracker: Submitted, Under Review, Approved, with the outcome off the happy path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from curbside.web.pages import tracker


@pytest.mark.parametrize(("status", "expected"), [
    ("submitted", [("Submitted", "current"), ("Under Review", "todo"), ("Approved", "todo")]),
    ("under_review", [("Submitted", "done"), ("Under Review", "current"), ("Approved", "todo")]),
    ("approved", [("Submitted", "done"), ("Under Review", "done"), ("Approved", "current done")]),
    ("changes_requested", [("Submitted", "done"), ("Under Review", "done"), ("Changes requested", "current changes")]),
    ("rejected", [("Submitted", "done"), ("Under Review", "done"), ("Rejected", "current rejected")]),
])
def test_tracker_marks_the_current_step(status: str, expected: list[tuple[str, str]]) -> None:
    steps = tracker(SimpleNamespace(status=status))  # type: ignore[arg-type]
    assert [(s["label"], s["state"]) for s in steps] == expected

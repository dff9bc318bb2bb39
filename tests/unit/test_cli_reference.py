"""The command reference cannot drift from the code: docs/cli-reference.md is what cog generates from
``--help``, every command has a library call, the README's short table names every command, role choices
come from ``Role``, and the types the public methods return are importable from ``curbside``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest
from cogapp import Cog

import curbside
from curbside.articles.publisher import Publisher
from curbside.articles.workflow import Role
from curbside.cli.main import cli
from curbside.cli.reference import LIBRARY_CALLS, call_signature, help_text, iter_commands, leaf_commands
from curbside.engine import Curbside

ROOT = Path(__file__).resolve().parents[2]
CLI_REFERENCE = ROOT / "docs" / "cli-reference.md"
README = ROOT / "README.md"


def test_cli_reference_is_what_cog_generates(capsys: pytest.CaptureFixture[str]) -> None:
    code = Cog().main(["cog", "--check", str(CLI_REFERENCE)])
    assert code == 0, f"{CLI_REFERENCE} is out of date: run `cog -r docs/cli-reference.md`\n{capsys.readouterr()}"


def test_every_command_has_a_library_call_that_exists() -> None:
    assert sorted(LIBRARY_CALLS) == sorted(leaf_commands())
    for calls in LIBRARY_CALLS.values():
        for call in calls:
            assert "(" in call_signature(call)


def test_help_text_is_the_commands_help() -> None:
    text = help_text(("ingest", "starter"))
    assert text.startswith("Usage: curbside ingest starter [OPTIONS]")
    assert "--if-missing" in text


def _readme_command_rows() -> list[str]:
    """Each command the README's command table shows (``ingest starter [--corpus-dir PATH] ...``): the
    `curbside ...` spans of each row's first cell."""
    cells = re.findall(r"^\|((?:[^|\\]|\\.)*)\|", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return [span for cell in cells for span in re.findall(r"`curbside ([^`]*)`", cell)]


def test_readme_command_table_names_every_command_and_no_other() -> None:
    rows = _readme_command_rows()
    leading = [row.split()[0] for row in rows]
    for path in leaf_commands():
        words = path.split()
        # A group's commands may share a row: `curbside eval retrieval|pubmedqa|kqa ...`.
        assert any(row.startswith(words[0]) and re.search(rf"(?<![\w-]){re.escape(words[-1])}(?![\w-])", row)
                   for row in rows), f"README's command table lacks `curbside {path}`"
    top_level = {path[0] for path, _ in iter_commands() if len(path) == 1}
    assert set(leading) <= top_level, f"README names commands that do not exist: {set(leading) - top_level}"
    assert "docs/cli-reference.md" in README.read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[2] == "```sh" and lines[5] == "```"
    assert lines[3].startswith("make demo ") and lines[4].startswith("make test ")


def test_role_choices_are_the_role_enumeration() -> None:
    users = cli.commands["users"]
    assert isinstance(users, click.Group)
    for name in ("add", "set-role"):
        role = next(p for p in users.commands[name].params if p.name == "role")
        assert isinstance(role.type, click.Choice)
        assert list(role.type.choices) == [r.value for r in Role]


def test_every_exported_name_resolves() -> None:
    for name in curbside.__all__:
        assert getattr(curbside, name) is not None
    with pytest.raises(AttributeError):
        curbside.NoSuchThing  # noqa: B018


# Generic and built-in names that need no export.
_NOT_OURS = {"Any", "Iterator", "Iterable", "Sequence", "Callable", "None", "Self"}


@pytest.mark.parametrize("owner", [Curbside, Publisher])
def test_types_in_public_method_signatures_are_exported(owner: type) -> None:
    for name, member in inspect.getmembers(owner, inspect.isfunction):
        if name.startswith("_"):
            continue
        returns = inspect.signature(member).return_annotation
        if returns is inspect.Signature.empty:
            continue
        for type_name in re.findall(r"\b[A-Z]\w*", str(returns)):
            if type_name not in _NOT_OURS:
                assert type_name in curbside.__all__, f"{owner.__name__}.{name} returns {type_name}, not exported"

"""The command reference (docs/cli-reference.md): each command's library call and its ``--help``, rendered
from the code so that the document cannot drift. cog runs :func:`command_reference` in that file;
``cog -r docs/cli-reference.md`` rewrites it, and a test fails while it is out of date.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import click

from curbside.cli.main import cli

# Fixed, so that the rendering does not depend on the terminal it runs in.
HELP_WIDTH = 88

# command path -> the library calls it is a shell over, as "module:qualified.name" (each is imported when the
# reference is rendered, so a renamed call fails the reference test instead of leaving a stale line).
LIBRARY_CALLS: dict[str, tuple[str, ...]] = {
    "ingest starter": ("curbside.engine:Curbside.ingest_starter",),
    "ingest bioasq": ("curbside.engine:Curbside.ingest_bioasq",),
    "ingest pubmed": ("curbside.engine:Curbside.ingest_pubmed",),
    # H12-core's commands (listed here so that the reference renders; their owner may move them)
    "ingest medline": ("curbside.engine:Curbside.ingest_medline",),
    "ingest refresh": ("curbside.engine:Curbside.refresh",),
    "show": ("curbside.engine:Curbside.show",),
    "ingest jats": ("curbside.corpus.loaders.jats:iter_jats", "curbside.engine:Curbside.ingest_documents"),
    "ingest spl": ("curbside.corpus.loaders.spl:iter_spl", "curbside.engine:Curbside.ingest_documents"),
    "ingest openfda": ("curbside.corpus.loaders.openfda:iter_openfda", "curbside.engine:Curbside.ingest_documents"),
    "ingest guideline": ("curbside.corpus.loaders.guideline_docs:iter_guidelines",
                         "curbside.engine:Curbside.ingest_documents"),
    "embed": ("curbside.retrieval.embed_stage:run_embed_stage",),
    "corpus fetch": ("curbside.corpus.fetch:fetch_corpus",),
    "search": ("curbside.engine:Curbside.search", "curbside.engine:Curbside.search_results"),
    "ask": ("curbside.engine:Curbside.ask", "curbside.engine:Curbside.ask_many", "curbside.engine:read_question_file"),
    "understand": ("curbside.engine:Curbside.understand",),
    "info": ("curbside.engine:Curbside.info",),
    "schema": ("curbside.engine:Curbside.schema",),
    "eval retrieval": ("curbside.evaluation.retrieval:evaluate_retrieval",),
    "eval pubmedqa": ("curbside.evaluation.pubmedqa:evaluate_pubmedqa",),
    "eval kqa": ("curbside.evaluation.kqa:evaluate_kqa", "curbside.evaluation.kqa:calibrate_judge"),
    "train encoder": ("curbside.retrieval.finetune:build_tuned_encoder",),
    "train fusion": ("curbside.evaluation.fusion_training:train_fusion",),
    "train entailment": ("curbside.evaluation.entailment_training:train_entailment",),
    "serve": ("curbside.web.app:create_app",),
    "users add": ("curbside.articles.accounts:Accounts.add_user",),
    "users set-role": ("curbside.articles.accounts:Accounts.set_role",),
    "users set-password": ("curbside.articles.accounts:Accounts.set_password",),
    "users list": ("curbside.articles.accounts:Accounts.list_users",),
    "samples": ("curbside.articles.publisher:Publisher.samples",),
    "refresh": ("curbside.articles.publisher:Publisher.refresh",),
    "backup": ("curbside.articles.backup:backup_data_dir",),
    "restore": ("curbside.articles.backup:restore_data_dir",),
}


def iter_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group``, each group followed by its commands, in the order ``--help`` lists them."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from iter_commands(command, (*path, name))


def leaf_commands() -> list[str]:
    """The command paths that do something (``"ingest starter"``, ``"search"``), not the groups."""
    return [" ".join(path) for path, command in iter_commands() if not isinstance(command, click.Group)]


def help_text(path: tuple[str, ...]) -> str:
    """``curbside PATH --help``, at :data:`HELP_WIDTH` columns."""
    ctx = click.Context(cli, info_name="curbside", terminal_width=HELP_WIDTH)
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        if found is None:
            raise KeyError(f"no command `curbside {' '.join(path)}`")
        command = found
        ctx = click.Context(command, info_name=name, parent=ctx)
    return command.get_help(ctx)


def resolve(reference: str) -> Any:
    """The object a ``"module:qualified.name"`` reference names."""
    module_name, _, qualname = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def call_signature(reference: str) -> str:
    """``Curbside.ask(question, *, context=None, article_id=None) -> Article``: the call as its code declares it."""
    signature = inspect.signature(resolve(reference))
    # Parameter annotations are left out (names and defaults say enough here); the return type is kept.
    params = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
              if p.name not in ("self", "cls")]
    shown = signature.replace(parameters=params, return_annotation=inspect.Signature.empty)
    returns = signature.return_annotation
    if returns is inspect.Signature.empty:
        arrow = ""
    else:
        arrow = f" -> {returns if isinstance(returns, str) else inspect.formatannotation(returns)}"
    return f"{reference.partition(':')[2]}{shown}{arrow}"


def command_reference() -> str:
    """The Markdown body of docs/cli-reference.md: one section a command, with its library calls and ``--help``."""
    missing = [path for path in leaf_commands() if path not in LIBRARY_CALLS]
    if missing:
        raise KeyError(f"no library call listed in LIBRARY_CALLS for: {', '.join(missing)}")
    parts = [f"## curbside\n\n```\n{help_text(())}\n```\n"]
    for path, _command in iter_commands():
        name = " ".join(path)
        parts.append(f"## curbside {name}\n")
        calls = LIBRARY_CALLS.get(name, ())
        if calls:
            parts.append("Library:\n\n" + "".join(f"- `{call_signature(call)}`\n" for call in calls))
        parts.append(f"```\n{help_text(path)}\n```\n")
    return "\n".join(parts)

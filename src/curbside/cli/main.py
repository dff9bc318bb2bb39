"""The ``curbside`` command. Each command is a thin shell over the :class:`curbside.engine.Curbside` method of the same name."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import click
from pydantic import BaseModel

from curbside.engine import Curbside, read_question_file
from curbside.errors import CurbsideError
from curbside.settings import SearchMode, WriterName, load_settings, preset_names
from curbside.writing.article import Article
from curbside.writing.render import to_html, to_markdown


class CurbsideGroup(click.Group):
    """Turns Curbside's own errors into one clear line on stderr and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CurbsideError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _engine(ctx: click.Context) -> Curbside:
    obj = ctx.find_root().obj
    if "engine" not in obj:
        settings = load_settings(preset=obj["preset"], config_file=obj["config"], data_dir=obj["data_dir"],
                                 **obj.get("overrides", {}))
        obj["engine"] = Curbside(settings)
    return obj["engine"]


def writer_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--writer`` and the LLM endpoint flags (``ask``, ``eval kqa``): they override the settings (config file,
    CURBSIDE_WRITER, CURBSIDE_LLM__*) before the engine is made. The API key itself is never a flag."""

    @click.option("--writer", type=click.Choice(get_args(WriterName)), default=None,
                  help="Who writes the article: extractive (quotes; the default) or llm (an OpenAI-compatible "
                       "endpoint, every claim verified; see docs/llm-writer.md). Also CURBSIDE_WRITER.")
    @click.option("--llm-base-url", metavar="URL", default=None,
                  help="The LLM endpoint's base URL, e.g. http://127.0.0.1:8080/v1 (also CURBSIDE_LLM__BASE_URL).")
    @click.option("--llm-model", metavar="NAME", default=None, help="The model to ask (also CURBSIDE_LLM__MODEL).")
    @click.option("--llm-api-key-env", metavar="VAR", default=None,
                  help="The environment variable holding the API key (default OPENAI_API_KEY; local servers need "
                       "none).")
    @functools.wraps(command)
    def with_writer(*args: Any, writer: str | None, llm_base_url: str | None, llm_model: str | None,
                    llm_api_key_env: str | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        llm = {"base_url": llm_base_url, "model": llm_model, "api_key_env": llm_api_key_env}
        ctx.find_root().obj.setdefault("overrides", {}).update(
            writer=writer, llm={k: v for k, v in llm.items() if v is not None})
        if llm_api_key_env is not None and _engine(ctx).settings.llm.api_key() is None:
            raise click.UsageError(f"--llm-api-key-env names {llm_api_key_env}, which is not set.")
        return command(*args, **kwargs)

    return with_writer


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=CurbsideGroup)
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Data directory holding the index (also CURBSIDE_DATA_DIR; default ~/.local/share/curbside).",
)
@click.option("--preset", type=click.Choice(preset_names()), default=None, help="Named settings preset (also CURBSIDE_PRESET).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None, help="TOML or JSON settings file.")
@click.version_option(package_name="curbside")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, preset: str | None, config: Path | None) -> None:
    """Curbside: guideline-first, cited answers to clinical questions."""
    ctx.ensure_object(dict)
    ctx.obj.update(data_dir=data_dir, preset=preset, config=config)


@cli.group()
def ingest() -> None:
    """Build the index of a data directory."""


@ingest.command("starter")
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Starter corpus folder (default ../shared/corpus where it exists; also CURBSIDE_CORPUS_DIR).")
@click.option("--if-missing", is_flag=True, help="Do nothing when a complete index already exists.")
@click.pass_context
def ingest_starter(ctx: click.Context, corpus_dir: Path | None, if_missing: bool) -> None:
    """Ingest the starter knowledge base (USPSTF, NGC, MedQuAD, PubMedQA, PMC trials, drug labels)."""
    engine = _engine(ctx)
    result = engine.ingest_starter(corpus_dir, if_missing=if_missing, progress=_progress)
    if result.skipped:
        click.echo(f"Index already built in {engine.data_dir} ({result.manifest.corpus_snapshot}); skipping.", err=True)
        return
    _print_ingest(result.to_dict())


@ingest.command("bioasq")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def ingest_bioasq(ctx: click.Context, path: Path) -> None:
    """Index a BioASQ-style corpus: one record a line with pmid, title and snippets[]."""
    result = _engine(ctx).ingest_bioasq(path, progress=_progress)
    _print_ingest(result.to_dict())


def _print_ingest(summary: dict[str, Any]) -> None:
    """The summary as JSON on stdout; the problems on stderr, grouped by file and kind (every one is in the log)."""
    problems = summary.pop("problems")
    groups = summary.pop("problem_summary", None) or []
    log = summary.pop("problems_log", None)
    click.echo(json.dumps(summary, indent=2))
    if not problems:
        return
    where = f" (each one in {log})" if log else ""
    click.echo(f"{len(problems)} record(s) could not be read or were skipped{where}:", err=True)
    for group in groups:
        if group["count"] == 1:
            click.echo(f"  {group['first']}", err=True)
            continue
        lines = [n for n in group["lines"] if n]
        shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
        click.echo(f"  {group['file']}: {group['count']} x {group['kind']}" + (f" (lines {shown})" if lines else ""),
                   err=True)


@cli.command()
@click.argument("query")
@click.option("--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Number of passages.")
@click.option("--doc-type", "doc_types", multiple=True, help="Only these document types (repeatable): guideline, rct, ...")
@click.option("--year-min", type=int, default=None)
@click.option("--year-max", type=int, default=None)
@click.option("--mode", type=click.Choice(get_args(SearchMode)), default=None, help="Retriever (default from settings).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def search(ctx: click.Context, query: str, k: int, doc_types: tuple[str, ...], year_min: int | None,
           year_max: int | None, mode: str | None, fmt: str) -> None:
    """Print the passages that best match QUERY, with document ids, scores and sources."""
    results = _engine(ctx).search_results(query, k, doc_types=list(doc_types) or None, year_min=year_min,
                                          year_max=year_max, mode=mode)  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps(results.to_dict(), indent=2))
        return
    for i, h in enumerate(results, 1):
        d = h.document
        click.echo(f"{i:>2}. [{h.score:.4f}] {d.doc_id} \u00b7 {d.doc_type} \u00b7 {d.year or 'n.d.'} \u00b7 {d.title}")
        click.echo(f"    {h.passage.section}: {h.passage.text[:200]}")


def _render(article: Article, fmt: str) -> str:
    if fmt == "json":
        return article.to_json()
    if fmt == "jsonl":
        return article.to_json(indent=None)
    if fmt == "html":
        return to_html(article)
    return to_markdown(article)


@cli.command()
@click.argument("question", required=False)
@click.option("--questions", "questions_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Answer every question in FILE (one a line: text, or {\"id\", \"question\"} JSON).")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html", "jsonl"]), default=None,
              help="Output format (default md; jsonl with --questions).")
@click.option("--context", default=None,
              help="Patient context given apart from the question (age, history, drugs and doses).")
@writer_options
@click.option("--live-pubmed", is_flag=True, default=False,
              help="When the index holds too little, search PubMed (NCBI E-utilities) with the question's drug, "
                   "condition and clinical terms only, ingest the best citations and answer from them too.")
@click.option("--eutils-url", default=None, help="E-utilities address (default NCBI's; a mirror or a test server).")
@click.pass_context
def ask(ctx: click.Context, question: str | None, questions_file: Path | None, fmt: str | None,
        context: str | None, live_pubmed: bool, eutils_url: str | None) -> None:
    """Answer QUESTION with a cited article ('-' reads the question from standard input)."""
    engine = _engine(ctx)
    if live_pubmed or eutils_url:
        live = {"on_ask": True} if live_pubmed else {}
        live |= {"base_url": eutils_url} if eutils_url else {}
        engine.settings = engine.settings.model_copy(
            update={"live_pubmed": engine.settings.live_pubmed.model_copy(update=live)})
    if questions_file is not None:
        if question:
            raise click.UsageError("Give either QUESTION or --questions FILE, not both.")
        fmt = fmt or "jsonl"
        failures = 0
        for answer in engine.ask_many(read_question_file(questions_file)):
            if answer.article is None:
                failures += 1
                click.echo(json.dumps({"id": answer.id, "error": answer.error}))
                continue
            click.echo(_render(answer.article, fmt if fmt != "json" else "jsonl"))
        if failures:
            click.echo(f"{failures} question(s) could not be answered.", err=True)
            ctx.exit(1)
        return
    if question is None:
        raise click.UsageError("Give a QUESTION (or '-' to read it from standard input), or --questions FILE.")
    if question == "-":
        question = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    started = time.perf_counter()
    article = engine.ask(question, context=context)
    click.echo(_render(article, fmt or "md"), nl=False)
    click.echo(f"({time.perf_counter() - started:.2f} s)", err=True)


def _jsonable(value: Any) -> Any:
    """Dataclasses, pydantic models, tuples and enums as JSON values (for ``understand --format json``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


@cli.command()
@click.argument("question")
@click.option("--context", default=None,
              help="Patient context given apart from the question (age, history, drugs and doses).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def understand(ctx: click.Context, question: str, context: str | None, fmt: str) -> None:
    """Show how QUESTION is read: clinical question and story, keywords, expansions, MeSH terms, question type,
    answer intent and patient context with medications ('-' reads the question from standard input)."""
    if question == "-":
        question = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    understood = _engine(ctx).understand(question, context=context)
    fields = _jsonable(understood)
    if fmt == "json":
        click.echo(json.dumps(fields, indent=2))
        return
    click.echo(f"question type: {understood.type}")
    click.echo(f"answer intent: {understood.intent}")
    for name in ("clinical_question", "story", "keywords", "mesh_terms"):
        value = fields[name]
        click.echo(f"{name.replace('_', ' ')}: {', '.join(value) if isinstance(value, list) else value}")
    for expansion in understood.expansions:
        click.echo(f"expansion ({expansion.kind}): {expansion.term} -> {expansion.expansion}")
    for name, value in understood.patient.model_dump(mode="json", exclude_defaults=True).items():
        click.echo(f"patient {name.replace('_', ' ')}: {json.dumps(value)}")


@cli.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Describe the index in the data directory."""
    click.echo(json.dumps(_engine(ctx).info(), indent=2))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the article (generated from the code)."""
    click.echo(json.dumps(Curbside.schema(), indent=2, sort_keys=True))


@cli.group("eval")
def eval_group() -> None:
    """Measure retrieval and answers on evaluation sets (BioASQ, PubMedQA, K-QA)."""


from curbside.cli import (
    backup_commands,  # noqa: F401  (registers `curbside backup`, `restore`)
    corpus_commands,  # noqa: F401  (registers `curbside corpus fetch`)
    embed_commands,  # noqa: F401  (registers `curbside embed`)
    eval_commands,  # noqa: F401  (registers `curbside eval ...`)
    format_commands,  # noqa: F401  (registers `curbside ingest jats|spl|openfda|guideline`)
    ingest_commands,  # noqa: F401  (registers `curbside ingest medline|refresh`, `show`)
    pubmed_commands,  # noqa: F401  (registers `curbside ingest pubmed`)
    train_commands,  # noqa: F401  (registers `curbside train ...`)
    web_commands,  # noqa: F401  (registers `curbside serve`, `users`, `samples`)
)


def main() -> None:  # pragma: no cover - console entry point
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()

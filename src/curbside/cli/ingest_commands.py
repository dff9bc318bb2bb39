"""``curbside ingest medline``, ``ingest refresh`` and ``curbside show``: thin shells over
:meth:`Curbside.ingest_medline`, :meth:`Curbside.refresh` and :meth:`Curbside.show` (docs/ingestion.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from curbside.cli.main import _engine, _print_ingest, _progress, cli, ingest


@contextmanager
def item_progress(description: str, *, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (rich), told the number of items done; plain lines when stderr is no terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr)
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total, rate="")
        last_line = [0]

        def update(done: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
            bar.update(task, completed=done, rate=rate)
            if not console.is_terminal and done - last_line[0] >= 10_000:  # logs get a line every 10,000 items
                last_line[0] = done
                click.echo(f"  {done:,} items ({rate})", err=True)

        yield update


def _summary_line(summary: dict[str, Any]) -> str:
    counts = summary.get("library") or {}
    parts = [f"{counts.get(k, 0):,} {k}" for k in ("added", "updated", "unchanged", "skipped", "deleted", "retracted")]
    files = summary.get("files_skipped") or 0
    extra = f"; {files} file(s) already ingested" if files else ""
    refresh = summary.get("index_refresh")
    index = (f"index refreshed ({refresh})" if summary.get("index_rebuilt") and refresh else
             "index rebuilt" if summary.get("index_rebuilt") else "index already up to date")
    if summary.get("library_items_per_second") is not None:
        index += f"; library stage {summary['library_items_per_second']:,.0f} items/s"
    return f"Done in {summary.get('seconds', 0)} s: {', '.join(parts)}{extra}; {index}."


@ingest.command("medline")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Read files again even when the same bytes were ingested before.")
@click.option("--embed/--no-embed", default=False, show_default=True,
              help="Embed new passages now (slow on CPU); else only cached vectors are used until `curbside embed`.")
@click.pass_context
def ingest_medline(ctx: click.Context, paths: tuple[Path, ...], force: bool, embed: bool) -> None:
    """Add PubMed/MEDLINE XML files (.xml or .xml.gz: baseline, update or efetch output) to the library and
    bring the index up to date: new citations are added, newer versions replace older ones, DeleteCitation
    removes them; retracted ones are kept but never cited."""
    engine = _engine(ctx)
    with item_progress("MEDLINE citations") as update:
        result = engine.ingest_medline(list(paths), force=force, embed=embed, progress=_progress, on_items=update)
    summary = result.to_dict()
    line = _summary_line(summary)
    _print_ingest(summary)
    click.echo(line, err=True)


@ingest.command("refresh")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Embed passages without a cached vector (else attach only cached vectors).")
@click.pass_context
def ingest_refresh(ctx: click.Context, embed: bool) -> None:
    """Rebuild the index from the document library (after a damaged index, or to attach new vectors)."""
    manifest = _engine(ctx).refresh(embed=embed, progress=_progress)
    click.echo(json.dumps({"corpus_snapshot": manifest.corpus_snapshot, "kind": manifest.kind,
                           "counts": manifest.counts, "build_seconds": manifest.build_seconds}, indent=2))


def _show_text(record: dict[str, Any]) -> str:
    flags = []
    if record["retracted"]:
        flags.append("RETRACTED (never cited)")
    if record["concern"]:
        flags.append("EXPRESSION OF CONCERN")
    lines = [f"{record['doc_id']} \u00b7 {record['doc_type']} (level {record['evidence_level']}) \u00b7 "
             f"{record['year'] or 'n.d.'} \u00b7 version {record['version']}",
             record["title"]]
    if flags:
        lines.append("Flags: " + "; ".join(flags))
    for name in ("organization", "pmid", "pmcid", "doi", "url", "license", "origin"):
        if record.get(name):
            lines.append(f"{name}: {record[name]}")
    for name in ("authors", "publication_types", "mesh_terms", "keywords"):
        if record.get(name):
            lines.append(f"{name.replace('_', ' ')}: {'; '.join(record[name])}")
    for section in record["sections"]:
        lines += ["", f"[{section['passage_id']}] {section['section']}", section["text"]]
    return "\n".join(lines)


@cli.command()
@click.argument("doc_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def show(ctx: click.Context, doc_id: str, fmt: str) -> None:
    """Print a stored document: type, retracted and concern flags, version, metadata and sections
    (DOC_ID: a doc_id such as uspstf-449, a bare PMID, or a PMCID)."""
    record = _engine(ctx).show(doc_id)
    click.echo(json.dumps(record, indent=2, ensure_ascii=False) if fmt == "json" else _show_text(record))

"""``curbside ingest jats|spl|openfda|guideline``: each streams one format's loader into
:meth:`Curbside.ingest_documents` (the document library, then the index brought up to date; docs/ingestion.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import click

from curbside.cli.ingest_commands import _summary_line, item_progress
from curbside.cli.main import _engine, _print_ingest, _progress, ingest
from curbside.corpus.documents import Document, IngestReport

_PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
_EMBED = click.option("--embed/--no-embed", default=False, show_default=True,
                      help="Embed new passages now (slow on CPU); else only cached vectors are used until `curbside embed`.")


def _run(ctx: click.Context, kind: str, description: str,
         load: Callable[[IngestReport, int], Iterator[Document]], embed: bool) -> None:
    """Stream ``load(report, passage_chars)`` into the library and the index, with a progress bar and a summary."""
    engine = _engine(ctx)
    report = IngestReport()
    docs = load(report, engine.settings.ingest.passage_chars)
    with item_progress(description) as update:
        result = engine.ingest_documents(docs, kind=kind, report=report, progress=_progress, on_items=update,
                                         embed=embed)
    summary = result.to_dict()
    _print_ingest(summary)
    click.echo(_summary_line(summary), err=True)


@ingest.command("jats")
@_PATHS
@_EMBED
@click.pass_context
def ingest_jats(ctx: click.Context, paths: tuple[Path, ...], embed: bool) -> None:
    """Add PMC articles in JATS XML (.nxml, .xml, .nxml.gz, .xml.gz files, PMC's tar packages: the bulk
    oa_comm/oa_noncomm .tar.gz and per-article .tar.gz, read as a stream, or folders of any of these): abstract,
    body sections, tables, figure captions and references, with ids, journal, year and licence. An article with
    a PMID is stored under it, replacing its PubMed record (the full text wins when ingested after it)."""
    from curbside.corpus.loaders.jats import SOURCE, iter_jats

    _run(ctx, SOURCE, "JATS articles",
         lambda report, chars: iter_jats(list(paths), report, passage_chars=chars), embed)


@ingest.command("spl")
@_PATHS
@_EMBED
@click.pass_context
def ingest_spl(ctx: click.Context, paths: tuple[Path, ...], embed: bool) -> None:
    """Add FDA drug labels: SPL XML files, folders of them, or DailyMed release zips (zips of zipped SPL files,
    read without unpacking). Sections are kept by LOINC code; a newer version of a label (same set id) replaces
    the older one, and its indications feed label status and dose checks."""
    from curbside.corpus.loaders.spl import SOURCE, iter_spl

    _run(ctx, SOURCE, "SPL labels", lambda report, chars: iter_spl(list(paths), report, passage_chars=chars), embed)


@ingest.command("openfda")
@_PATHS
@_EMBED
@click.pass_context
def ingest_openfda(ctx: click.Context, paths: tuple[Path, ...], embed: bool) -> None:
    """Add openFDA drug label files (the results[] of api.fda.gov/drug/label.json: .json, or the bulk
    downloads' .json.zip), read as a stream. Labels share ids with SPL (spl-<set id>): the newer version wins."""
    from curbside.corpus.loaders.openfda import SOURCE, iter_openfda

    _run(ctx, SOURCE, "openFDA labels",
         lambda report, chars: iter_openfda(list(paths), report, passage_chars=chars), embed)


@ingest.command("guideline")
@_PATHS
@click.option("--organization", default=None, help="The guideline's developer (e.g. 'American College of Rheumatology').")
@click.option("--year", type=click.IntRange(1900, 2100), default=None,
              help="The guideline's year; a later year of the same file replaces an earlier one.")
@_EMBED
@click.pass_context
def ingest_guideline(ctx: click.Context, paths: tuple[Path, ...], organization: str | None, year: int | None,
                     embed: bool) -> None:
    """Add your own guideline documents (Markdown, HTML or PDF files, or folders of them). Recommendation
    statements are recognised where the text marks them (Recommendation N, we recommend/suggest, strong or
    conditional, GRADE certainty, Class/Level of Evidence) and keep their strength as their grade."""
    from curbside.corpus.loaders.guideline_docs import SOURCE, iter_guidelines

    _run(ctx, SOURCE, "guideline documents",
         lambda report, chars: iter_guidelines(list(paths), report, organization=organization, year=year,
                                               passage_chars=chars), embed)

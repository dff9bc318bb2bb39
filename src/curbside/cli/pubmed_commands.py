"""``curbside ingest pubmed``: a thin shell over :meth:`Curbside.ingest_pubmed` (docs/ingestion.md)."""

from __future__ import annotations

import click

from curbside.cli.ingest_commands import _summary_line, item_progress
from curbside.cli.main import _engine, _print_ingest, _progress, ingest
from curbside.corpus.eutils import MAX_SEARCH_RESULTS


@ingest.command("pubmed")
@click.option("--query", required=True, help="The PubMed search, as on pubmed.ncbi.nlm.nih.gov.")
@click.option("--max", "max_results", type=click.IntRange(1, MAX_SEARCH_RESULTS), default=500, show_default=True,
              help="Ingest the first N citations of the search (E-utilities serve at most 10,000).")
@click.option("--api-key", default=None,
              help="NCBI API key: 10 requests a second instead of 3 (also CURBSIDE_LIVE_PUBMED__API_KEY).")
@click.option("--eutils-url", default=None, help="E-utilities address (default NCBI's; a mirror or a test server).")
@click.option("--embed/--no-embed", default=False, show_default=True,
              help="Embed new passages now (slow on CPU); else only cached vectors are used until `curbside embed`.")
@click.pass_context
def ingest_pubmed(ctx: click.Context, query: str, max_results: int, api_key: str | None, eutils_url: str | None,
                  embed: bool) -> None:
    """Search PubMed through NCBI E-utilities and ingest the first --max citations: esearch with history, then
    efetch in batches, at NCBI's rate limit, retrying 429 and 5xx. An interrupted run continues where it stopped
    when run again with the same --query and --max."""
    engine = _engine(ctx)
    with item_progress("PubMed citations", total=max_results) as update:
        result = engine.ingest_pubmed(query, max_results, api_key=api_key, eutils_url=eutils_url, embed=embed,
                                      progress=_progress, on_items=update)
    summary = result.to_dict()
    line = _summary_line(summary)
    _print_ingest(summary)
    click.echo(line, err=True)

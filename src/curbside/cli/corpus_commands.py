"""``curbside corpus fetch``: a thin shell over :func:`curbside.corpus.fetch.fetch_corpus`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from curbside.cli.main import _engine, _progress, cli


@cli.group("corpus")
def corpus_group() -> None:
    """The starter corpus's files."""


@corpus_group.command("fetch")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to put the corpus (default: DATA_DIR/corpus).")
@click.option("--mirror", metavar="URL", default=None,
              help="A copy of the starter corpus served over HTTP(S), laid out like the corpus folder "
                   "(URL/uspstf/..., URL/pubmedqa/...); without it only files with a public download are fetched.")
@click.option("--only", "only", multiple=True, metavar="PATH", help="Fetch only this file (repeatable), e.g. "
              "pubmedqa/ori_pqal.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def corpus_fetch(ctx: click.Context, dest: Path | None, mirror: str | None, only: tuple[str, ...],
                 as_json: bool) -> None:
    """Download the starter corpus from its public homes (or a mirror), verify every file's size and SHA-256
    against the list this release was built with, and resume partial downloads. A file whose checksum differs is
    not kept, and the command says which and why."""
    from curbside.corpus.fetch import fetch_corpus

    engine = _engine(ctx)
    target = dest or engine.data_dir / "corpus"
    result = fetch_corpus(target, mirror=mirror, only=only or None, progress=_progress)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"{len(result.downloaded)} file(s) downloaded ({result.bytes_downloaded:,} bytes, "
               f"{len(result.resumed)} resumed), {len(result.present)} already present; all verified. "
               f"Build the index with: curbside --data-dir {engine.data_dir} ingest starter --corpus-dir {target}")

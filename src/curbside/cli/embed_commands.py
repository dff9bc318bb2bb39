"""``curbside embed``: a thin shell over :func:`curbside.retrieval.embed_stage.run_embed_stage`."""

from __future__ import annotations

import json

import click

from curbside.cli.main import _engine, _progress, cli


@cli.command()
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes on this machine, each loading the model once (or Ray CPUs with --ray local).")
@click.option("--ray", "ray_address", metavar="ADDRESS", default=None,
              help="Run on Ray Data instead: 'local' starts a local Ray runtime, else a cluster address "
                   "(ray://host:10001 or host:6379). GPUs are used where the cluster has them.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Texts embedded per batch; each batch is committed to the cache when it comes back.")
@click.option("--no-attach", is_flag=True, help="Only fill the embedding cache; do not rebuild the index.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def embed(ctx: click.Context, workers: int, ray_address: str | None, batch_size: int, no_attach: bool,
          as_json: bool) -> None:
    """Embed the library's passages that have no vector in the embedding cache (DATA_DIR/cache/embeddings.sqlite),
    then rebuild the index with the vectors attached. Resumable: batches are committed as they finish, so a run
    that is stopped and started again continues; vectors made on a Ray cluster and here are interchangeable.
    Full passages are embedded for guidelines, studies and labels, a short header (title and section) for
    patient information (embedding.embed_doc_types)."""
    from curbside.retrieval.embed_stage import run_embed_stage

    engine = _engine(ctx)
    engine.close()  # the index is rebuilt at the end
    result = run_embed_stage(engine.data_dir, engine.settings, workers=workers, ray_address=ray_address,
                             batch_size=batch_size, attach=not no_attach, progress=_progress)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"Embedded {result.embedded:,} texts in {result.seconds} s ({result.texts_per_second}/s, "
               f"{result.backend}, {result.workers} worker(s)); {result.cached_before:,} of {result.texts:,} "
               f"distinct texts were already cached; the index has {result.vectors:,} vectors.")

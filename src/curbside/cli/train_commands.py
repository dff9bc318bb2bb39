"""``curbside train encoder``, ``train fusion``, ``train entailment``: thin shells over the training functions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from curbside.cli.main import _engine, _progress, cli
from curbside.errors import ConfigurationError
from curbside.evaluation.files import default_eval_file
from curbside.evaluation.entailment_training import Recipe
from curbside.retrieval.dense import TUNED_MODEL_NAME, models_dir
from curbside.retrieval.finetune import SPLIT_FILE, EncoderRecipe, build_tuned_encoder


@cli.group()
def train() -> None:
    """Build the models Curbside can train itself (cached; nothing binary is committed)."""


@train.command("encoder")
@click.option("--questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="BioASQ questions with gold PMIDs (default ../shared/eval/bioasq/questions_dev.jsonl).")
@click.option("--split", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Batches of the tuning and report parts; only the tuning part trains (default: the packaged "
              "split, curbside/retrieval/data/bioasq_dev_split.json).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Model folder (default: the models folder's {TUNED_MODEL_NAME}, where the tuned preset reads it).")
@click.option("--epochs", type=click.IntRange(1, 50), default=EncoderRecipe().epochs, show_default=True)
@click.option("--seed", type=int, default=EncoderRecipe().seed, show_default=True)
@click.option("--if-missing", is_flag=True, help="Do nothing when the model folder already holds a built model.")
@click.pass_context
def train_encoder(ctx: click.Context, questions: Path | None, split: Path | None, out: Path | None, epochs: int,
                  seed: int, if_missing: bool) -> None:
    """Fine-tune a MiniLM query encoder on BioASQ against a BioASQ index's vectors, for the tuned preset.

    Run it on an index built with the default preset from ../shared/eval/bioasq/corpus.jsonl (curbside
    --data-dir DIR ingest bioasq ...). Minutes on 2 cores (docs/benchmarks.md). The models folder is the
    setting embedding.models_dir (CURBSIDE_EMBEDDING__MODELS_DIR), else ~/.cache/curbside/models.
    """
    engine = _engine(ctx)
    target = out or models_dir(engine.settings.embedding) / TUNED_MODEL_NAME
    if if_missing and (target / "recipe.json").is_file():
        click.echo(f"Encoder already built in {target}; skipping.", err=True)
        return
    questions = questions or default_eval_file(None, "bioasq", "questions_dev.jsonl")
    if questions is None:
        raise ConfigurationError(
            "The BioASQ questions were not found beside the corpus (../shared/eval/bioasq); give --questions."
        )
    split = split or SPLIT_FILE
    for path in (questions, split):
        if not Path(path).is_file():
            raise ConfigurationError(f"{path}: no such file.")
    recipe = EncoderRecipe(epochs=epochs, seed=seed)
    record = build_tuned_encoder(engine.index, questions, split, recipe=recipe, out=target, progress=_progress)
    click.echo(json.dumps({"model": str(target), **record}, indent=2))


@train.command("fusion")
@click.option("--questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="BioASQ questions with gold PMIDs (default ../shared/eval/bioasq/questions_dev.jsonl).")
@click.option("--split", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Batches of the tuning and report parts (default: the packaged split).")
@click.option("--part", type=click.Choice(["tuning", "report"]), default="tuning", show_default=True)
@click.option("--l2", type=click.FloatRange(min=0), multiple=True, default=(1e-4, 1e-3, 1e-2, 1e-1), show_default=True,
              help="Regularisation; several: the best by leave-one-batch-out nDCG@10 inside the part.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Weights file to update (default: the packaged retrieval/data/fusion_weights.json).")
@click.pass_context
def train_fusion_command(ctx: click.Context, questions: Path | None, split: Path | None, part: str,
                         l2: tuple[float, ...], out: Path | None) -> None:
    """Fit the learned fusion's weights for the index's embedding model (a BioASQ index; seconds).

    Build the index first: curbside --data-dir DIR [--preset tuned] ingest bioasq corpus.jsonl.
    """
    from curbside.evaluation.fusion_training import train_fusion
    from curbside.retrieval.fusion import WEIGHTS_FILE

    questions = questions or default_eval_file(None, "bioasq", "questions_dev.jsonl")
    if questions is None or not Path(questions).is_file():
        raise ConfigurationError("The BioASQ questions were not found (../shared/eval/bioasq); give --questions.")
    command = "curbside --data-dir DIR" + (f" --preset {ctx.find_root().obj['preset']}" if ctx.find_root().obj.get("preset") else "")
    command += f" train fusion --part {part}" + "".join(f" --l2 {value:g}" for value in l2)
    entry = train_fusion(_engine(ctx), questions, split_path=split or SPLIT_FILE, part=part, l2=list(l2),
                         out=out or WEIGHTS_FILE, command=command, progress=_progress)
    click.echo(json.dumps(entry, indent=2))


@train.command("entailment")
@click.option("--evidence-inference", "ei_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Evidence Inference 2.0 folder (default ../shared/eval/evidence_inference); its train articles "
              "train, its validation articles measure.")
@click.option("--kqa", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="K-QA's nli_claims_dev.csv (default ../shared/eval/kqa); only its tuning part is read.")
@click.option("--cases", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Hand-written claim cases (tests/fixtures/claim_cases.jsonl); only cases without held_out are read.")
@click.option("--embeddings/--no-embeddings", default=False, show_default=True,
              help="Add MiniLM cosine features (slower to train; the verifier then loads the embedding model).")
@click.option("--l2", type=click.FloatRange(min=0), default=Recipe().l2, show_default=True, help="Regularisation.")
@click.option("--in-domain-weight", type=click.IntRange(0, 1000), default=Recipe().in_domain_weight, show_default=True,
              help="Times each K-QA and hand-written pair counts against one Evidence Inference pair.")
@click.option("--keep-precision/--best-f1", default=Recipe().keep_precision, show_default=True,
              help="The threshold: the best F1 on the tuning parts that keeps the rules' precision there, or the best "
              "F1 alone (flags more, at lower precision).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Model file to write (default: the packaged writing/data/entailment_model.json); point "
              "llm.entailment.model_file at another.")
@click.pass_context
def train_entailment_command(ctx: click.Context, ei_dir: Path | None, kqa: Path | None, cases: Path | None,
                             embeddings: bool, l2: float, in_domain_weight: int, keep_precision: bool,
                             out: Path | None) -> None:
    """Train the claim verifier's local entailment model (llm.entailment.backend = "local"; seconds, minutes with
    --embeddings). Never reads a report part: K-QA's report questions, held-out hand cases, Evidence Inference's
    test articles.
    """
    from curbside.evaluation.entailment_training import train_entailment
    from curbside.writing.entailment import MODEL_FILE

    if ei_dir is None:
        readme = default_eval_file(None, "evidence_inference", "v2_annotations.csv")
        ei_dir = readme.parent if readme is not None else None
    if ei_dir is None or not (Path(ei_dir) / "v2_annotations.csv").is_file():
        raise ConfigurationError("Evidence Inference was not found (../shared/eval/evidence_inference); give "
                                 "--evidence-inference DIR.")
    kqa = kqa or default_eval_file(None, "kqa", "nli_claims_dev.csv")
    for path in (kqa, cases):
        if path is not None and not Path(path).is_file():
            raise ConfigurationError(f"{path}: no such file.")
    recipe = Recipe(embeddings=embeddings, l2=l2, in_domain_weight=in_domain_weight, keep_precision=keep_precision)
    embed, embedding_model = None, None
    if embeddings:
        from curbside.retrieval.dense import Embedder

        embedder = Embedder(_engine(ctx).settings.embedding)  # the engine opens no index until asked
        embed, embedding_model = embedder.encode, embedder.model_id
    command = "curbside train entailment" + (" --cases tests/fixtures/claim_cases.jsonl" if cases else "") + \
        (" --embeddings" if embeddings else "") + ("" if keep_precision else " --best-f1") + \
        f" --l2 {l2:g} --in-domain-weight {in_domain_weight}"
    entry = train_entailment(Path(ei_dir), kqa, cases, recipe=recipe, embed=embed, embedding_model=embedding_model,
                             out=out or MODEL_FILE, command=command, progress=_progress)
    click.echo(json.dumps({"model_file": str(out or MODEL_FILE), **entry}, indent=2))

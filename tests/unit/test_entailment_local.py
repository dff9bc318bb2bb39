"""The local entailment model (llm.entailment.backend = "local"): it changes the verifier's verdicts on claims the
rules pass, the packaged model loads, training is deterministic and reads no report part, and a missing model file
is a clear configuration error (CLI exit 2), never a traceback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.errors import ConfigurationError
from curbside.evaluation.entailment_training import Recipe, ei_pairs, kqa_pairs, kqa_part, train_entailment
from curbside.settings import EvidenceSettings, LLMWriterSettings, load_settings
from curbside.writing.entailment import (
    LEXICAL_FEATURES,
    EntailmentModel,
    LocalEntailment,
    entailment_check,
    load_entailment_model,
)
from curbside.writing.llm import LLMWriter
from curbside.writing.verification import ClaimVerifier, Problem

PASSAGES = {1: "Empagliflozin reduced hospitalization for heart failure by 35% compared with placebo. "
               "The benefit was seen in patients with and without diabetes."}
RIGHT = "Empagliflozin reduced hospitalization for heart failure compared with placebo."
# Reuses the passage's words for another finding, with no number or negation the rules could catch.
WRONG_DIRECTION = "Empagliflozin increased hospitalization for heart failure compared with placebo."


def _model(threshold: float = 0.5) -> EntailmentModel:
    """A model that wants the claim's words in one sentence and no direction against it."""
    weights = {name: 0.0 for name in LEXICAL_FEATURES} | {"sentence_coverage": 6.0, "direction_conflict": -8.0}
    return EntailmentModel(LEXICAL_FEATURES, tuple(weights[n] for n in LEXICAL_FEATURES), -3.0, threshold)


def test_the_model_decides_what_the_rules_pass() -> None:
    assert ClaimVerifier().check(WRONG_DIRECTION, [1], PASSAGES).supported  # the rules alone cannot see it
    verifier = ClaimVerifier(entails=LocalEntailment(_model()))
    wrong = verifier.check(WRONG_DIRECTION, [1], PASSAGES)
    assert Problem.NOT_ENTAILED in wrong.problems and "do not entail" in wrong.reason
    assert verifier.check(RIGHT, [1], PASSAGES).supported
    # Numbers stay a hard gate: a wrong number is rejected by the rules before the model is asked.
    assert Problem.NUMBER_NOT_IN_SOURCE in verifier.check(RIGHT[:-1] + " by 50%.", [1], PASSAGES).problems


def test_the_packaged_model_loads_and_separates_entailed_from_unrelated() -> None:
    model = load_entailment_model()
    assert set(model.features) <= set(LEXICAL_FEATURES) or model.embedding_model
    local = LocalEntailment(model) if not model.uses_embeddings else None
    if local is None:
        pytest.skip("the packaged model uses embeddings (tested with MiniLM in the slow tests)")
    unrelated = "Warfarin dosing is guided by the INR in atrial fibrillation."
    assert local.probability(PASSAGES[1], RIGHT) > local.probability(PASSAGES[1], WRONG_DIRECTION)
    assert local.probability(PASSAGES[1], RIGHT) > local.probability(PASSAGES[1], unrelated)
    assert local(PASSAGES[1], RIGHT)


def test_the_setting_selects_the_local_model(tmp_path: Path) -> None:
    env = {"CURBSIDE_LLM__ENTAILMENT__ENABLED": "true", "CURBSIDE_LLM__ENTAILMENT__BACKEND": "local"}
    entailment = load_settings(environ=env, data_dir=str(tmp_path)).llm.entailment
    assert entailment.backend == "local" and isinstance(entailment_check(entailment), LocalEntailment)
    assert entailment_check(entailment.model_copy(update={"enabled": False})) is None
    assert LLMWriterSettings().entailment.backend == "endpoint"  # unchanged default


def test_a_missing_model_file_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigurationError, match="curbside train entailment"):
        LocalEntailment(model_file=missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{\"model\": {\"features\": {\"no such feature\": 1}}}")
    with pytest.raises(ConfigurationError, match="not readable"):
        LocalEntailment(model_file=bad)
    settings = LLMWriterSettings(base_url="http://127.0.0.1:1/v1", model="m", entailment={
        "enabled": True, "backend": "local", "model_file": str(missing)})
    with pytest.raises(ConfigurationError, match="does not exist"):
        LLMWriter(settings, EvidenceSettings())


# --- training on a tiny fixture -------------------------------------------------------------------------------

_TRIALS = [  # article, intervention, comparator, outcome, label, evidence
    ("101", "Drug A", "placebo", "blood pressure", "significantly decreased",
     "Blood pressure was significantly lower with drug A than with placebo (p < 0.01)."),
    ("101", "Drug A", "placebo", "headache", "no significant difference",
     "Headache did not differ between drug A and placebo (p = 0.4)."),
    ("102", "Exercise", "usual care", "walking distance", "significantly increased",
     "Walking distance increased significantly more with exercise than with usual care."),
    ("102", "Exercise", "usual care", "falls", "significantly decreased",
     "Exercise significantly reduced falls compared with usual care."),
    ("103", "Vitamin C", "placebo", "cold duration", "no significant difference",
     "There was no significant difference in cold duration between vitamin C and placebo."),
    ("104", "Statin B", "placebo", "LDL cholesterol", "significantly decreased",
     "Statin B lowered LDL cholesterol significantly compared with placebo."),
]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def _tiny_sets(root: Path) -> tuple[Path, Path, Path]:
    ei = root / "ei"
    (ei / "splits").mkdir(parents=True)
    (ei / "splits" / "ev2_train_article_ids.txt").write_text("101\n102\n103\n")
    (ei / "splits" / "ev2_validation_article_ids.txt").write_text("104\n")
    _write_csv(ei / "prompts_merged.csv", ["PromptID", "PMCID", "Outcome", "Intervention", "Comparator"],
               [[i, t[0], t[3], t[1], t[2]] for i, t in enumerate(_TRIALS)])
    _write_csv(ei / "v2_annotations.csv", ["UserID", "PromptID", "PMCID", "Valid Label", "Valid Reasoning", "Label",
                                           "Annotations", "Label Code", "In Abstract", "Evidence Start", "Evidence End"],
               [[0, i, t[0], "True", "True", t[4], t[5], 0, 1, 0, 0] for i, t in enumerate(_TRIALS)])
    tuning = [q for q in (f"question {n}" for n in range(40)) if kqa_part(q) == "tuning"][:3]
    report = next(q for q in (f"question {n}" for n in range(40)) if kqa_part(q) == "report")
    diabetes = "Metformin is first-line for type 2 diabetes."
    kqa = _write_csv(root / "nli.csv", ["", "Question", "answer", "claim", "majority_label"], [
        [0, tuning[0], diabetes, "Metformin is first-line.", "Entailment"],
        [1, tuning[1], diabetes, "Insulin cures diabetes.", "Neutral"],
        [2, tuning[2], "Amoxicillin treats otitis media.", "Amoxicillin treats otitis media.", "Entailment"],
        [3, report, "REPORT PART", "REPORT PART", "Entailment"],
    ])
    hand = root / "cases.jsonl"
    hand.write_text("\n".join(json.dumps(case) for case in [
        {"id": "a", "kind": "supported", "supported": True, "claim": RIGHT, "citations": [1], "passages": PASSAGES},
        {"id": "b", "kind": "unsupported_content", "supported": False, "claim": WRONG_DIRECTION, "citations": [1],
         "passages": PASSAGES},
        {"id": "c", "kind": "supported", "supported": True, "claim": "HELD OUT", "citations": [1],
         "passages": {"1": "HELD OUT"}, "held_out": True},
    ]) + "\n")
    return ei, kqa, hand


def test_training_is_deterministic_and_reads_no_report_part(tmp_path: Path) -> None:
    ei, kqa, hand = _tiny_sets(tmp_path)
    assert {p.claim for p in kqa_pairs(kqa)} == {"Metformin is first-line.", "Insulin cures diabetes.",
                                                 "Amoxicillin treats otitis media."}
    assert [p.kind for p in ei_pairs(ei, "train")].count("entailed") == 5
    recipe = Recipe(folds=2)
    first = train_entailment(ei, kqa, hand, recipe=recipe, out=tmp_path / "a.json")
    second = train_entailment(ei, kqa, hand, recipe=recipe, out=tmp_path / "b.json")
    assert first["model"] == second["model"]
    assert first["trained"]["pairs"] == {"evidence_inference_train": 15, "kqa_tuning": 3, "hand_tuning": 2}
    # One validation article: its finding and the contradicted one; no other article to take an unrelated one from.
    assert first["trained"]["held_out (Evidence Inference validation articles)"]["at_0.5"]["pairs"] == 2
    model = load_entailment_model(tmp_path / "a.json")
    assert model.features == LEXICAL_FEATURES and model.embedding_model is None


def test_the_train_command_writes_a_model_the_verifier_reads(tmp_path: Path) -> None:
    ei, kqa, hand = _tiny_sets(tmp_path)
    out = tmp_path / "model.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), "train", "entailment", "--evidence-inference",
                                 str(ei), "--kqa", str(kqa), "--cases", str(hand), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["trained"]["pairs"]["kqa_tuning"] == 3
    assert isinstance(LocalEntailment(model_file=out)(PASSAGES[1], RIGHT), bool)
    missing = runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), "train", "entailment",
                                  "--evidence-inference", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "Evidence Inference was not found" in missing.output
    assert "Traceback" not in missing.output


@pytest.mark.slow
def test_a_model_with_embedding_features_loads_minilm_itself(tmp_path: Path) -> None:
    from curbside.retrieval.dense import Embedder
    from curbside.settings import EmbeddingSettings, EntailmentSettings

    ei, kqa, hand = _tiny_sets(tmp_path)
    embedder = Embedder(EmbeddingSettings())
    out = tmp_path / "with-embeddings.json"
    train_entailment(ei, kqa, hand, recipe=Recipe(embeddings=True, folds=2), embed=embedder.encode,
                     embedding_model=embedder.model_id, out=out)
    check = entailment_check(EntailmentSettings(enabled=True, backend="local", model_file=str(out)))
    assert isinstance(check, LocalEntailment) and check.model.embedding_model == embedder.model_id
    assert "cosine_best" in check.model.features
    assert check.probability(PASSAGES[1], RIGHT) > check.probability(PASSAGES[1], "Warfarin dosing uses the INR.")
    with pytest.raises(ConfigurationError, match="embedder"):
        LocalEntailment(check.model)  # a model with cosine features needs an embedder


def test_the_engine_reports_a_missing_model_before_it_answers(tmp_path: Path) -> None:
    """A wrong model_file stops ``ask`` at its start with the configuration error (exit 2 in the CLI, a 4xx/5xx page
    with the message in the web app), not a traceback per claim."""
    from curbside.engine import Curbside

    env = {"CURBSIDE_WRITER": "llm", "CURBSIDE_LLM__BASE_URL": "http://127.0.0.1:1/v1", "CURBSIDE_LLM__MODEL": "m",
           "CURBSIDE_LLM__ENTAILMENT__ENABLED": "true", "CURBSIDE_LLM__ENTAILMENT__BACKEND": "local",
           "CURBSIDE_LLM__ENTAILMENT__MODEL_FILE": str(tmp_path / "missing.json")}
    engine = Curbside(load_settings(environ=env, data_dir=str(tmp_path / "data")))
    with pytest.raises(ConfigurationError, match="curbside train entailment") as raised:
        engine.writer()
    assert raised.value.exit_code == 2

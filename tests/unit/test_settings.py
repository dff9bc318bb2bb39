from pathlib import Path

import pytest

from curbside.errors import ConfigurationError, CorpusNotFoundError
from curbside.settings import load_settings, preset_names


def test_layers_override_in_order(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[retrieval]\nrrf_k = 30\nlexical_candidates = 77\n')
    env = {"CURBSIDE_RETRIEVAL__RRF_K": "40", "HOME": str(tmp_path)}
    s = load_settings(preset="fast", config_file=config, environ=env, data_dir=tmp_path / "d")
    assert s.retrieval.mode == "bm25"  # from the preset
    assert s.retrieval.lexical_candidates == 77  # config file beats preset (60)
    assert s.retrieval.rrf_k == 40  # environment beats config file
    s2 = load_settings(preset="fast", config_file=config, environ=env, data_dir=tmp_path, retrieval={"rrf_k": 5})
    assert s2.retrieval.rrf_k == 5  # explicit override beats environment
    assert s2.embedding.enabled is False


def test_defaults_and_presets(tmp_path: Path) -> None:
    s = load_settings(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert s.data_dir == tmp_path / "curbside"
    assert s.preset == "default" and s.retrieval.mode == "hybrid"
    assert {"default", "fast", "thorough"} <= set(preset_names())


def test_bad_values_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Unknown preset"):
        load_settings(preset="nope", environ={})
    with pytest.raises(ConfigurationError, match="Invalid settings"):
        load_settings(environ={"CURBSIDE_RETRIEVAL__RRF_K": "zero"}, data_dir=tmp_path)


def test_missing_corpus_dir_says_how_to_fix(tmp_path: Path) -> None:
    s = load_settings(environ={}, data_dir=tmp_path, corpus_dir=tmp_path / "absent")
    with pytest.raises(CorpusNotFoundError, match="--corpus-dir"):
        s.require_corpus_dir()

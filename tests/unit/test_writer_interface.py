"""The Writer interface, and the LLM writer's settings as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.errors import ConfigurationError
from curbside.settings import EvidenceSettings, load_settings
from curbside.writing.extractive import ExtractiveWriter
from curbside.writing.writer import Writer


def test_extractive_writer_is_a_writer() -> None:
    assert isinstance(ExtractiveWriter(EvidenceSettings()), Writer)
    assert not isinstance(object(), Writer)


def test_llm_settings_default_to_the_extractive_writer(tmp_path: Path) -> None:
    s = load_settings(environ={}, data_dir=tmp_path)
    assert s.writer == "extractive"
    assert s.llm.base_url is None and s.llm.on_unsupported == "remove" and s.llm.local is False


def test_llm_settings_from_file_environment_and_overrides(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('writer = "llm"\n[llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m1"\ntemperature = 0.3\n')
    env = {"CURBSIDE_LLM__MODEL": "m2", "CURBSIDE_LLM__LOCAL": "true", "MY_KEY": "sk-test"}
    s = load_settings(config_file=config, environ=env, data_dir=tmp_path, llm={"api_key_env": "MY_KEY"})
    assert s.writer == "llm"
    assert s.llm.base_url == "http://127.0.0.1:9/v1" and s.llm.temperature == 0.3
    assert s.llm.model == "m2" and s.llm.local is True  # the environment beats the file
    assert s.llm.api_key(env) == "sk-test"
    assert s.llm.api_key({}) is None


def test_bad_llm_settings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Invalid settings"):
        load_settings(environ={"CURBSIDE_LLM__ON_UNSUPPORTED": "ignore"}, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="Invalid settings"):
        load_settings(environ={"CURBSIDE_WRITER": "gpt"}, data_dir=tmp_path)

"""Settings precedence: flag > env > config file > preset > defaults (CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litsynth.config import FLAT_ENV, Settings, fingerprint, load_settings, preset_names
from litsynth.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*FLAT_ENV, "LITSYNTH_RETRIEVAL__TOP_N"]:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.retrieval.dense_k == 70
    assert settings.retrieval.per_paper == 3
    assert settings.retrieval.sources == ["local"]
    assert settings.home_path() == Path("~/.local/share/litsynth").expanduser()


def test_precedence_flag_env_file_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[retrieval]\ntop_n = 7\nbm25_k = 33\n[feedback]\nmax_items = 2\n")
    # preset 'fast' sets top_n 6 and max_items 1; the file beats it
    settings = load_settings(config_file=config, preset="fast")
    assert settings.retrieval.top_n == 7
    assert settings.feedback.max_items == 2
    assert settings.retrieval.dense_k == 40  # from the preset, untouched by the file
    monkeypatch.setenv("LITSYNTH_RETRIEVAL__TOP_N", "9")
    assert load_settings(config_file=config, preset="fast").retrieval.top_n == 9
    flagged = load_settings(config_file=config, overrides={"retrieval.top_n": 11})
    assert flagged.retrieval.top_n == 11
    assert flagged.retrieval.bm25_k == 33


def test_flat_env_aliases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LITSYNTH_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("LITSYNTH_OFFLINE", "yes")
    monkeypatch.setenv("LITSYNTH_LLM", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("S2_API_KEY", "secret")
    monkeypatch.setenv("LITSYNTH_S2_API_URL", "http://127.0.0.1:8/graph/v1")
    settings = load_settings()
    assert settings.home_path() == tmp_path / "h"
    assert settings.offline is True
    assert settings.llm.backend == "http://127.0.0.1:9/v1"
    assert settings.sources.s2_api_key == "secret"
    assert settings.sources.s2_api_url == "http://127.0.0.1:8/graph/v1"
    # a flag still wins over the flat env alias
    assert load_settings(overrides={"offline": False}).offline is False


def test_home_config_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "litsynth.toml").write_text("[retrieval]\nper_paper = 2\n")
    assert load_settings(overrides={"home": str(tmp_path)}).retrieval.per_paper == 2


def test_invalid_values_name_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[retrieval]\ntop_n = 0\nnonsense = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=config)
    assert "retrieval.top_n" in str(info.value)
    assert "retrieval.nonsense" in str(info.value)


def test_broken_toml_and_unknown_preset(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[retrieval\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_settings(config_file=config)
    with pytest.raises(ConfigError, match="unknown preset"):
        load_settings(preset="nope")


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_validates(name: str) -> None:
    assert isinstance(load_settings(preset=name), Settings)


def test_fingerprint_changes_with_embedding_settings() -> None:
    base = load_settings()
    other = load_settings(overrides={"chunk.max_tokens": 128})
    assert fingerprint(base) != fingerprint(other)
    assert fingerprint(base) == fingerprint(load_settings(overrides={"retrieval.top_n": 3}))

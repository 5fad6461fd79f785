"""Settings precedence: flag > env > config file > preset > defaults (CONTRACT.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litsynth.cli import app
from litsynth.config import FLAT_ENV, Settings, fingerprint, load_settings, preset_names
from litsynth.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*FLAT_ENV, "LITSYNTH_RETRIEVAL__TOP_N", "LITSYNTH_RETRIEVAL"]:
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


# -- errors name where the bad value came from ------------------------------------------------
def test_bad_nested_env_value_names_the_variable_and_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITSYNTH_RETRIEVAL__TOP_N", "abc")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "env LITSYNTH_RETRIEVAL__TOP_N: retrieval.top_n = 'abc'" in message
    assert "(expected int)" in message
    assert "\n" not in message


def test_bad_flat_env_alias_names_the_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITSYNTH_OFFLINE", "maybe")
    with pytest.raises(ConfigError, match=r"env LITSYNTH_OFFLINE: offline = 'maybe'.*bool"):
        load_settings()


def test_bad_toml_value_and_unknown_key_name_file_and_dotted_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[retrieval]\ntop_n = "x"\ntop_m = 1\n[rerank]\nbackend = "fused"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=config)
    message = str(info.value)
    assert f"{config}: retrieval.top_n = 'x'" in message
    assert "(expected int)" in message
    assert f"{config}: unknown key retrieval.top_m (did you mean 'top_n'?)" in message
    assert "\n" not in message


def test_unknown_key_without_a_near_name_lists_the_known_keys(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[feedback]\nzzz = 1\n")
    with pytest.raises(ConfigError, match=r"unknown key feedback\.zzz \(known keys: enabled, "):
        load_settings(config_file=config)


def test_the_home_config_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "litsynth.toml").write_text("[llm]\ntimeout = -1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(overrides={"home": str(tmp_path)})
    assert f"{tmp_path / 'litsynth.toml'}: llm.timeout = -1: Input should be greater" in str(
        info.value
    )


def test_the_winning_source_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """File and env both set retrieval.top_n: env wins, so the error names env, not the file."""
    config = tmp_path / "c.toml"
    config.write_text('[retrieval]\ntop_n = "from-file"\n')
    monkeypatch.setenv("LITSYNTH_RETRIEVAL__TOP_N", "from-env")
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=config)
    assert "env LITSYNTH_RETRIEVAL__TOP_N" in str(info.value)
    assert "c.toml" not in str(info.value)


def test_section_json_env_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITSYNTH_RETRIEVAL", '{"top_n": "z"}')
    with pytest.raises(ConfigError, match=r"env LITSYNTH_RETRIEVAL: retrieval\.top_n = 'z'"):
        load_settings()


def test_env_list_that_is_not_json_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITSYNTH_RETRIEVAL__SOURCES", "local,s2")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        "invalid settings: env LITSYNTH_RETRIEVAL__SOURCES: 'local,s2' is not valid JSON "
        "(expected list[str] as JSON)"
    )


def test_secrets_are_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[llm]\napi_key = 987654321\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config_file=config)
    assert "llm.api_key = ***" in str(info.value)
    assert "987654321" not in str(info.value)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "syntax.toml"
    config.write_text("[retrieval]\ntop_n = 3\nbm25_k = \n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(config))} is not valid TOML.*line 3"):
        load_settings(config_file=config)


def test_cli_reports_a_bad_setting_on_one_line_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[retrieval]\nper_paper = 0\n")
    runner = CliRunner()
    for args, env, named in [
        (["search", "q"], {"LITSYNTH_RETRIEVAL__TOP_N": "abc"}, "LITSYNTH_RETRIEVAL__TOP_N"),
        (["--config", str(config), "search", "q"], {}, f"{config}: retrieval.per_paper = 0"),
    ]:
        result = runner.invoke(app, [*args, "--home", str(tmp_path / "home")], env=env)
        assert result.exit_code == 1, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        assert named in result.stderr
        assert "Traceback" not in result.stderr

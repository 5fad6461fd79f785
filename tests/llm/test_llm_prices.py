"""The price table: bundled prices, id matching, user overrides, unknown models."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from litsynth.errors import ConfigError
from litsynth.llm.prices import load_prices


def bundled_entry(model: str) -> dict[str, float]:
    text = (resources.files("litsynth") / "data" / "prices.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["models"][model]


def test_bundled_prices_cost_per_million_tokens() -> None:
    entry = bundled_entry("gpt-4o")
    cost = load_prices().cost("gpt-4o", 2_000, 500, cached_tokens=1_000)

    expected = 1_000 * entry["input"] + 1_000 * entry["cached_input"] + 500 * entry["output"]
    assert cost == pytest.approx(expected / 1e6)


@pytest.mark.parametrize(
    ("served_id", "listed"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ],
)
def test_dated_and_prefixed_ids_match_the_longest_listed_id(served_id: str, listed: str) -> None:
    table = load_prices()

    assert table.cost(served_id, 1_000_000, 0) == pytest.approx(bundled_entry(listed)["input"])


def test_local_models_cost_nothing_and_unknown_models_are_unknown() -> None:
    table = load_prices()

    assert table.cost("qwen2.5-coder-1.5b", 5_000, 300) == 0.0
    assert table.cost("some-new-model", 5_000, 300) is None
    assert "gpt-4o" in table and "gpt-4" not in table


def test_user_table_overrides_and_extends(tmp_path: Path) -> None:
    user = tmp_path / "prices.toml"
    user.write_text(
        '[models."gpt-4o"]\ninput = 1.0\noutput = 1.0\n\n'
        '[models."my-vllm-model"]\ninput = 0.2\noutput = 0.4\n',
        encoding="utf-8",
    )
    table = load_prices(user)

    assert table.cost("gpt-4o", 1_000_000, 1_000_000) == pytest.approx(2.0)
    assert table.cost("my-vllm-model", 1_000_000, 0) == pytest.approx(0.2)
    assert table.cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(
        bundled_entry("gpt-4o-mini")["input"]
    )


def test_bad_user_table_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[models."x"]\ninput = \n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml.*line 2"):
        load_prices(broken)
    incomplete = tmp_path / "incomplete.toml"
    incomplete.write_text('[models."x"]\ninput = 1.0\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'x' needs numeric"):
        load_prices(incomplete)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_prices(tmp_path / "absent.toml")

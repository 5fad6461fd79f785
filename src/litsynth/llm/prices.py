"""Token prices: the bundled ``data/prices.toml`` plus an optional user table on top.

Cost is computed only from a listed price; an unlisted model has cost ``None`` (unknown),
which reports show as such instead of a made-up number.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from litsynth.errors import ConfigError

_PER = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: float
    output: float
    cached_input: float | None = None


class PriceTable:
    """Model id -> :class:`Price`, with tolerant id matching (see ``prices.toml``)."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self._prices = dict(prices)

    def __contains__(self, model: str) -> bool:
        return self.lookup(model) is not None

    def lookup(self, model: str) -> Price | None:
        """Price of ``model``: exact id, then without a ``provider/`` prefix, then the longest
        listed id that ``model`` extends with ``-`` (dated snapshots)."""
        for candidate in (model, model.rsplit("/", 1)[-1]):
            if candidate in self._prices:
                return self._prices[candidate]
        bare = model.rsplit("/", 1)[-1]
        extended = [known for known in self._prices if bare.startswith(known + "-")]
        return self._prices[max(extended, key=len)] if extended else None

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float | None:
        """USD for one call, or ``None`` when ``model`` has no listed price."""
        price = self.lookup(model)
        if price is None:
            return None
        cached = min(max(cached_tokens, 0), prompt_tokens)
        cached_rate = price.input if price.cached_input is None else price.cached_input
        return (
            (prompt_tokens - cached) * price.input
            + cached * cached_rate
            + completion_tokens * price.output
        ) / _PER


def _parse(table: dict[str, Any], origin: str) -> dict[str, Price]:
    models = table.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{origin}: [models] must be a table of model ids")
    prices: dict[str, Price] = {}
    for model, entry in models.items():
        try:
            prices[model] = Price(
                input=float(entry["input"]),
                output=float(entry["output"]),
                cached_input=(float(entry["cached_input"]) if "cached_input" in entry else None),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{origin}: model {model!r} needs numeric 'input' and 'output' prices ({exc})"
            ) from exc
    return prices


def load_prices(prices_file: Path | str | None = None) -> PriceTable:
    """The bundled table, overlaid with ``prices_file`` (``settings.llm.prices_file``) when
    given. A missing or malformed file raises ``ConfigError`` naming it."""
    bundled = resources.files("litsynth") / "data" / "prices.toml"
    prices = _parse(tomllib.loads(bundled.read_text(encoding="utf-8")), "bundled prices.toml")
    if prices_file is not None:
        path = Path(prices_file).expanduser()
        try:
            with open(path, "rb") as fh:
                user = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"price table {path} cannot be read: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"price table {path} is not valid TOML: {exc}") from exc
        prices.update(_parse(user, str(path)))
    return PriceTable(prices)

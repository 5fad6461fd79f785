"""Shared fixtures for the corpus tests: the sample data folder and the encoder tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data`` beside the checkout; tests needing it skip when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"sample data not found at {DATA.resolve()} (needs ../shared/data)")
    return DATA.resolve()


@pytest.fixture(scope="session")
def tokenizer():  # type: ignore[no-untyped-def]
    """The bi-encoder's fast tokenizer (no model weights are loaded)."""
    from litsynth.config import EmbeddingSettings
    from litsynth.index.encoder import load_tokenizer

    return load_tokenizer(EmbeddingSettings().model)

"""Fixtures of the index tests: one bi-encoder per session, a fresh datastore per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from litsynth.config import EmbeddingSettings, Settings, load_settings
from litsynth.errors import ModelError
from litsynth.index.datastore import Datastore
from litsynth.index.encoder import Encoder, get_encoder


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real MiniLM bi-encoder, loaded once; the datastore gets the same shared instance."""
    emb = EmbeddingSettings()
    shared = get_encoder(emb.model, emb.device, emb.batch_size)
    try:
        shared.model  # noqa: B018 - loads the model now, once for the session
    except ModelError as exc:
        pytest.skip(f"bi-encoder not available: {exc}")
    return shared


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(overrides={"home": str(tmp_path / "home")})


@pytest.fixture
def datastore(settings: Settings, encoder: Encoder) -> Iterator[Datastore]:
    with Datastore.open(settings) as store:
        yield store

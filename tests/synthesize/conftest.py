"""Shared fixtures of the synthesis tests: the bi-encoder, loaded once per session."""

from __future__ import annotations

import pytest

from litsynth.index.encoder import Encoder, get_encoder


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2 bi-encoder (process-wide shared instance)."""
    return get_encoder("all-MiniLM-L6-v2")

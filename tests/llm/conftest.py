"""Fixtures of the LM tests: a scripted OpenAI-compatible server on loopback, and the real
0.5b GGUF model (shared per session; the tests that need it skip when it is unavailable)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import FakeOpenAIServer

from litsynth.config import DEFAULT_MODELS_DIR
from litsynth.errors import ModelError
from litsynth.llm.models import get_spec, install_model, is_installed

GGUF_TEST_MODEL = "qwen2.5-coder-0.5b"


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the installed 0.5b GGUF. Looks in $LITSYNTH_MODELS_DIR and the default models
    folder, else assembles it from already installed part packages; never downloads (tests
    send no traffic off loopback; the CI installs the model before running them)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    spec = get_spec(GGUF_TEST_MODEL)
    folders = [Path(p).expanduser() for p in (os.environ.get("LITSYNTH_MODELS_DIR"),) if p]
    folders.append(DEFAULT_MODELS_DIR.expanduser())
    for folder in folders:
        if is_installed(spec, folder):
            return folder / spec.filename
    try:
        return install_model(
            GGUF_TEST_MODEL, tmp_path_factory.mktemp("models"), progress=False, download=False
        )
    except ModelError as exc:
        pytest.skip(
            f"the {GGUF_TEST_MODEL} GGUF is not available ({exc}); run "
            f"`litsynth models install {GGUF_TEST_MODEL}` or set LITSYNTH_MODELS_DIR"
        )

"""load_llm: which backend a setting selects, and the errors for what is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_openai import FakeOpenAIServer, Reply, chat_reply

from litsynth.config import Settings
from litsynth.errors import ModelError, OfflineError
from litsynth.llm.factory import is_loopback_url, load_llm
from litsynth.llm.openai_http import OpenAICompatibleLLM


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LITSYNTH_LLM", "LITSYNTH_LLM_MODEL", "LITSYNTH_LLM_API_KEY", "LITSYNTH_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def settings(models_dir: Path, backend: str | None, **llm: object) -> Settings:
    return Settings(models_dir=models_dir, llm={"backend": backend, **llm})


def test_no_backend_and_no_installed_model_means_extractive(tmp_path: Path) -> None:
    assert load_llm(settings(tmp_path, None)) is None


def test_url_backend_takes_first_served_model(fake_server: FakeOpenAIServer, tmp_path: Path):
    fake_server.script("/v1/models", Reply(body={"data": [{"id": "served-1"}, {"id": "b"}]}))
    fake_server.script("/v1/chat/completions", chat_reply("hi"))

    llm = load_llm(settings(tmp_path, fake_server.url + "/v1", api_key="k", max_retries=0))

    assert isinstance(llm, OpenAICompatibleLLM)
    assert llm.name == "served-1"
    llm.chat([{"role": "user", "content": "hello"}], max_tokens=4)
    assert fake_server.requests_to("/v1/chat/completions")[0].body["model"] == "served-1"


def test_url_backend_with_named_model_skips_discovery(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    llm = load_llm(settings(tmp_path, fake_server.url, model="chosen"))

    assert llm is not None and llm.name == "chosen"
    assert fake_server.requests == []


def test_offline_refuses_a_remote_server_but_allows_loopback(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    remote = Settings(models_dir=tmp_path, offline=True, llm={"backend": "https://lm.example.org"})
    with pytest.raises(OfflineError, match=r"lm\.example\.org"):
        load_llm(remote)
    local = Settings(
        models_dir=tmp_path, offline=True, llm={"backend": fake_server.url, "model": "m"}
    )
    assert load_llm(local) is not None


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost/v1", True),
        ("http://[::1]:80", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.5:8000", False),
    ],
)
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_missing_gguf_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"not found: .*absent\.gguf"):
        load_llm(settings(tmp_path, str(tmp_path / "absent.gguf")))


def test_known_but_uninstalled_model_hints_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as error:
        load_llm(settings(tmp_path, "qwen2.5-coder-0.5b"))
    assert error.value.hint == "litsynth models install qwen2.5-coder-0.5b"


def test_unknown_name_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown LM 'llama-99b'"):
        load_llm(settings(tmp_path, "llama-99b"))


def test_gguf_without_llama_cpp_hints_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail

    with pytest.raises(ModelError) as error:
        load_llm(settings(tmp_path, str(model)))
    assert error.value.hint == "pip install 'litsynth[llm]'"

"""Pick and build the LM that ``settings.llm.backend`` names (CONTRACT.md, "Models and LMs")."""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path
from urllib.parse import urlparse

from litsynth.config import Settings
from litsynth.errors import ModelError, OfflineError
from litsynth.llm.base import LLM
from litsynth.llm.gguf import GGUFLLM
from litsynth.llm.models import MODELS, default_model_path, resolve_model, spec_for_path
from litsynth.llm.openai_http import OpenAICompatibleLLM, served_models
from litsynth.llm.prices import load_prices

_loaded: dict[tuple[str, int, int | None], GGUFLLM] = {}
_loading = threading.Lock()


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost`` or a loopback address)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_gguf(path: Path, settings: Settings) -> GGUFLLM:
    """The in-process model for ``path``, loaded once per process and context size."""
    key = (str(path.resolve()), settings.llm.n_ctx, settings.llm.n_threads)
    with _loading:
        if key not in _loaded:
            spec = spec_for_path(path)
            _loaded[key] = GGUFLLM(
                path,
                n_ctx=settings.llm.n_ctx,
                n_threads=settings.llm.n_threads,
                chat_format=spec.chat_format if spec else None,
            )
        return _loaded[key]


def _http_llm(url: str, settings: Settings) -> OpenAICompatibleLLM:
    if settings.offline and not is_loopback_url(url):
        raise OfflineError("llm", f"offline mode forbids the remote LM server {url}")
    llm_settings = settings.llm
    model = llm_settings.model
    if not model:
        served = served_models(
            url, api_key=llm_settings.api_key, timeout=min(llm_settings.timeout, 30.0)
        )
        if not served:
            raise ModelError(f"the LM server {url} lists no models", hint="set LITSYNTH_LLM_MODEL")
        model = served[0]
    return OpenAICompatibleLLM(
        url,
        model,
        llm_settings.api_key,
        timeout=llm_settings.timeout,
        max_retries=llm_settings.max_retries,
        prices=load_prices(llm_settings.prices_file),
    )


def load_llm(settings: Settings) -> LLM | None:
    """The LM for ``settings.llm.backend``: an ``http(s)://`` URL (OpenAI-compatible server),
    a ``.gguf`` path, or an installed model name; unset = the installed default model, or
    ``None`` when there is none (the pipeline then runs extractively).

    Raises ``ModelError`` for a missing file or a model that is not installed.
    """
    backend = settings.llm.backend
    models_dir = settings.models_path()
    if backend is None or not backend.strip():
        default = default_model_path(models_dir)
        return load_gguf(default, settings) if default is not None else None
    backend = backend.strip()
    if backend.startswith(("http://", "https://")):
        return _http_llm(backend, settings)
    if backend.endswith(".gguf"):
        path = Path(backend).expanduser()
        if not path.is_file():
            raise ModelError(f"GGUF model file not found: {path}")
        return load_gguf(path, settings)
    path = resolve_model(backend, models_dir)
    if path is not None:
        return load_gguf(path, settings)
    if backend in MODELS:
        raise ModelError(
            f"model {backend!r} is not installed in {models_dir}",
            hint=f"litsynth models install {backend}",
        )
    raise ModelError(
        f"unknown LM {backend!r}: not a URL, a .gguf file, or an installed model",
        hint=f"installable models: {', '.join(sorted(MODELS))}",
    )

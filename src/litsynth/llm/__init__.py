"""Language models: the LLM protocol, its two backends, model installation, prices and
structured (JSON) calls."""

from litsynth.llm.base import LLM, Completion, Message
from litsynth.llm.factory import is_loopback_url, load_gguf, load_llm
from litsynth.llm.gguf import GGUFLLM
from litsynth.llm.models import (
    DEFAULT_MODEL,
    MODELS,
    ModelInfo,
    ModelSpec,
    default_model_path,
    get_spec,
    install_model,
    list_models,
    resolve_model,
)
from litsynth.llm.openai_http import OpenAICompatibleLLM, estimate_tokens, served_models
from litsynth.llm.prices import Price, PriceTable, load_prices
from litsynth.llm.structured import chat_json, parse_json_lenient, schema_problems

__all__ = [
    "DEFAULT_MODEL",
    "GGUFLLM",
    "LLM",
    "MODELS",
    "Completion",
    "Message",
    "ModelInfo",
    "ModelSpec",
    "OpenAICompatibleLLM",
    "Price",
    "PriceTable",
    "chat_json",
    "default_model_path",
    "estimate_tokens",
    "get_spec",
    "install_model",
    "is_loopback_url",
    "list_models",
    "load_gguf",
    "load_llm",
    "load_prices",
    "parse_json_lenient",
    "resolve_model",
    "schema_problems",
    "served_models",
]

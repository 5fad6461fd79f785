"""An LM run in process from a GGUF file with llama.cpp (llama-cpp-python).

llama-cpp-python keeps the previous call's tokens in its KV cache and evaluates only the part
of a new prompt after the longest common token prefix, so stages that share a prompt prefix
(system prompt + evidence) pay for it once. ``Completion.cached_tokens`` reports that reused
prefix. A per-prompt state cache (``LlamaRAMCache``) is not used: each saved state copies the
whole KV cache (about 100 MB at 4k context for the 1.5B model), and the pipeline's calls are
sequential, so each one mostly shares its prefix with the call just before it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from litsynth.errors import LLMError, ModelError
from litsynth.llm.base import Completion, Message


def _import_llama() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError(
            "running a GGUF model needs llama-cpp-python, which is not installed",
            hint="pip install 'litsynth[llm]'",
        ) from exc
    return llama_cpp


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _common_prefix(previous: list[int], current: list[int]) -> int:
    length = 0
    for old, new in zip(previous, current, strict=False):
        if old != new:
            break
        length += 1
    return length


class GGUFLLM:
    """Chat with a local GGUF model. Costs nothing per token (``cost_usd`` is 0.0).

    Not safe for concurrent calls from several threads; calls are serialised by a lock.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        chat_format: str | None = None,
        seed: int = 0,
    ) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise ModelError(f"GGUF model file not found: {self.path}")
        llama_cpp = _import_llama()
        self.name = self.path.name.removesuffix(".gguf")
        self.n_ctx = n_ctx
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                # llama-cpp-python's default is half the CPUs for generation: on a 2-core box
                # that is one thread and roughly half the decode speed.
                n_threads=n_threads or usable_cpus(),
                chat_format=chat_format,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load GGUF model {self.path}: {exc}") from exc
        self._grammars: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _grammar(self, schema: dict[str, Any] | None, gbnf: str | None) -> Any:
        """llama.cpp grammar for a GBNF text (preferred) or a JSON schema, built once each;
        ``None`` for neither, or when llama.cpp cannot express the schema (then the output is
        unconstrained and parsed tolerantly)."""
        if gbnf is not None:
            key = ("gbnf", gbnf)
        elif schema is not None:
            key = ("schema", json.dumps(schema, sort_keys=True))
        else:
            return None
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar

            if gbnf is not None:
                self._grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
            else:
                try:
                    self._grammars[key] = LlamaGrammar.from_json_schema(key[1], verbose=False)
                except Exception:  # llama.cpp's converter raises many types for such schemas
                    self._grammars[key] = None
        return self._grammars[key]

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: list[str] | None = None,
        grammar: str | None = None,
    ) -> Completion:
        """One chat completion; raises ``LLMError`` when the prompt does not fit the context.
        A ``grammar`` (GBNF) takes precedence over ``json_schema``; a GBNF text llama.cpp
        cannot parse is a programming error and raises."""
        grammar = self._grammar(json_schema, grammar)
        with self._lock:
            previous = self._llama._input_ids.tolist()
            started = time.monotonic()
            try:
                result = self._llama.create_chat_completion(
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=stop or [],
                    grammar=grammar,
                )
            except ValueError as exc:
                raise LLMError(
                    f"{self.name}: {exc}", hint=f"shorten the prompt or raise n_ctx ({self.n_ctx})"
                ) from exc
            seconds = time.monotonic() - started
            usage = result["usage"]
            prompt_tokens = int(usage["prompt_tokens"])
            prompt = self._llama._input_ids[:prompt_tokens].tolist()
        # llama.cpp re-evaluates at least the prompt's last token to get fresh logits.
        cached = min(_common_prefix(previous, prompt), max(prompt_tokens - 1, 0))
        choice = result["choices"][0]
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=prompt_tokens,
            completion_tokens=int(usage["completion_tokens"]),
            seconds=seconds,
            model=self.name,
            cost_usd=0.0,
            cached_tokens=cached,
            finish_reason=choice.get("finish_reason"),
        )

    def count_tokens(self, text: str) -> int:
        """Exact token count in the model's own tokenizer (no BOS)."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

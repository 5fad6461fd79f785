"""The LM interface: one ``chat`` call, two backends (OpenAI-compatible HTTP, in-process GGUF).

Every call returns a :class:`Completion` with token usage and cost, so the pipeline can
account per stage. ``json_schema`` asks for schema-constrained output where the backend can
(llama.cpp grammar, ``response_format``); ``grammar`` (GBNF text) constrains free text the same
way on llama.cpp, in process or served. Both are requests, not guarantees: a backend without
them answers unconstrained, so callers still parse tolerantly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]


@dataclass
class Completion:
    """One LM answer and what it cost. ``cost_usd`` is ``None`` when the model's price is
    unknown; ``cached_tokens`` counts prompt tokens served from a prefix cache (not evaluated)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    model: str
    cost_usd: float | None = None
    cached_tokens: int = 0
    finish_reason: str | None = None

    @property
    def evaluated_prompt_tokens(self) -> int:
        """Prompt tokens the model actually had to process."""
        return max(0, self.prompt_tokens - self.cached_tokens)


@runtime_checkable
class LLM(Protocol):
    """A chat model."""

    #: Human-readable name (model id or file name) for traces and reports.
    name: str

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
        """Complete ``messages``; raises ``LLMError`` after bounded retries. ``grammar`` is a
        GBNF grammar the output should follow (ignored by backends that cannot apply one)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Token count of ``text`` in this model's tokenizer (an estimate for HTTP models)."""
        ...

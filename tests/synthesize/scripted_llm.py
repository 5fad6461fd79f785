"""ScriptedLLM: a scripted test double of the ``LLM`` protocol (no model runs).

It answers each ``chat`` call with the next queued response, records every prompt, and reports
token usage (whitespace words) like a real backend, with ``finish_reason="length"`` for a reply of
at least ``max_tokens`` words. Responses can be one queue for all calls, or
one queue per prompt kind chosen by a ``route(messages) -> kind`` function; in that mode the last
response of a kind repeats, so a caller's parse retries see the same reply. A queued exception is
raised instead of answering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litsynth.llm.base import Completion, Message

Response = str | Exception


@dataclass
class RecordedCall:
    """One chat call as the test double saw it."""

    kind: str
    messages: list[Message]
    max_tokens: int
    json_schema: dict[str, Any] | None
    grammar: str | None = None

    @property
    def user(self) -> str:
        return self.messages[-1]["content"]


class ScriptedLLM:
    """A scripted test double standing in for a chat model."""

    name = "scripted-llm"

    def __init__(
        self,
        responses: list[Response] | dict[str, list[Response]],
        *,
        route: Callable[[list[Message]], str] | None = None,
        cost_usd: float | None = 0.0,
    ) -> None:
        if isinstance(responses, dict) and route is None:
            raise ValueError("per-kind responses need a route function")
        self.responses = responses
        self.route = route
        self.cost_usd = cost_usd
        self.calls: list[RecordedCall] = []

    def _next(self, kind: str) -> Response:
        if isinstance(self.responses, list):
            if not self.responses:
                raise AssertionError(f"unexpected extra LM call ({kind})")
            return self.responses.pop(0)
        queue = self.responses.get(kind)
        if not queue:
            raise AssertionError(f"no scripted response for a {kind!r} call")
        return queue.pop(0) if len(queue) > 1 else queue[0]

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
        kind = self.route(messages) if self.route else "any"
        self.calls.append(
            RecordedCall(kind, [dict(m) for m in messages], max_tokens, json_schema, grammar)
        )
        response = self._next(kind)
        if isinstance(response, Exception):
            raise response
        prompt = " ".join(m["content"] for m in messages)
        completion_tokens = self.count_tokens(response)
        return Completion(
            text=response,
            prompt_tokens=self.count_tokens(prompt),
            completion_tokens=completion_tokens,
            seconds=0.0,
            model=self.name,
            cost_usd=self.cost_usd,
            # As a real backend: a reply as long as the budget counts as cut off.
            finish_reason="length" if completion_tokens >= max_tokens else "stop",
        )

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def kinds(self) -> list[str]:
        """The kinds of the calls made so far, in order."""
        return [c.kind for c in self.calls]

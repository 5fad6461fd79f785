"""An LM behind an OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, llama.cpp
server, OpenAI, …), spoken over httpx with timeouts and bounded retries.

Retried: connection errors, timeouts, HTTP 429 (honouring ``Retry-After``) and 5xx, with
exponential backoff and jitter. Anything else, or the last failed try, raises ``LLMError``;
there is never a fallback to another provider.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from litsynth.errors import LLMError, LLMUnavailable
from litsynth.llm.base import Completion, Message
from litsynth.llm.prices import PriceTable, load_prices

#: English text averages about four characters per BPE token; used when the server cannot
#: tokenize for us. It errs on neither side by much for prose, more for code or non-Latin text.
CHARS_PER_TOKEN = 4
_MAX_RETRY_AFTER = 60.0
UNAVAILABLE_HINT = (
    "is the LM server running and reachable? --no-llm answers without it (extractive)"
)
#: Ways to ask for schema-constrained output, strictest first: OpenAI/vLLM ``json_schema``,
#: then llama.cpp's ``json_object`` with a ``schema``, then nothing.
RESPONSE_FORMATS: tuple[str | None, ...] = ("json_schema", "json_object", None)
#: Statuses with which servers refuse a request body they do not understand.
_REJECTED = (400, 422)


def _refused_field(response: httpx.Response, body: dict[str, Any]) -> str | None:
    """The optional field of ``body`` (``grammar`` or ``response_format``) the server refused,
    if it refused one. A refusal is HTTP 400/422, or any error whose text names the field:
    llama-cpp-python's server answers a format it does not know with HTTP 500 naming it (not
    a server fault to retry)."""
    if response.status_code < 400:
        return None
    sent = [f for f in ("grammar", "response_format") if f in body]
    named = [f for f in sent if f in response.text]
    if named:
        return named[0]
    return sent[0] if len(sent) == 1 and response.status_code in _REJECTED else None


_TOKENIZE_ENDPOINTS = (("/extras/tokenize", "input"), ("/tokenize", "content"))


def api_root(base_url: str) -> str:
    """``base_url`` without a trailing ``/`` or ``/v1``: both spellings of a server work."""
    root = base_url.strip().rstrip("/")
    return root.removesuffix("/v1").rstrip("/")


def estimate_tokens(text: str) -> int:
    """Character-based token estimate (see ``CHARS_PER_TOKEN``)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def served_models(base_url: str, *, api_key: str | None = None, timeout: float = 10.0) -> list[str]:
    """Model ids the server lists at ``/v1/models``; raises ``LLMError`` if it cannot."""
    url = f"{api_root(base_url)}/v1/models"
    try:
        response = httpx.get(url, headers=_headers(api_key), timeout=timeout)
        response.raise_for_status()
        return [str(entry["id"]) for entry in response.json()["data"]]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise LLMError(
            f"cannot list the models served at {url}: {exc}",
            hint="check the URL, or name the model with LITSYNTH_LLM_MODEL",
        ) from exc


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value) if value.strip() else None
        if moment is None:
            return None
        seconds = moment.timestamp() - time.time()
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


def _response_format(kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    if kind == "json_object":
        return {"type": "json_object", "schema": schema}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "response"))[:64]
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class OpenAICompatibleLLM:
    """Chat over an OpenAI-compatible HTTP API. ``cost_usd`` comes from ``prices`` (the
    bundled table by default) and is ``None`` for a model it does not list."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        max_retries: int = 2,
        prices: PriceTable | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = api_root(base_url)
        self.model = model
        self.name = model
        self.max_retries = max_retries
        self.backoff = backoff
        self.prices = prices if prices is not None else load_prices()
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=_headers(api_key),
        )
        #: Index into RESPONSE_FORMATS of the strictest format the server may accept.
        self._format_index = 0
        #: False once the server refused a ``grammar`` field.
        self._grammar_accepted = True
        self._tokenize_endpoint: tuple[str, str] | None = None
        self._tokenize_checked = False

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

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
        """One chat completion; see the module docstring for retries and errors. ``grammar``
        (GBNF) goes in llama.cpp's ``grammar`` field; a server that refuses the field is not
        sent it again (vLLM ignores it), and the output is then unconstrained."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = stop
        if grammar is not None and self._grammar_accepted:
            body["grammar"] = grammar
        started = time.monotonic()
        response = self._post(body, json_schema)
        if "grammar" in body and _refused_field(response, body) == "grammar":
            self._grammar_accepted = False
            del body["grammar"]
            response = self._post(body, json_schema)
        if response.status_code in (401, 403, 404):
            raise LLMUnavailable(
                f"{self.base_url} answered HTTP {response.status_code}: {response.text[:300]}",
                hint="check the URL, LITSYNTH_LLM_MODEL and LITSYNTH_LLM_API_KEY",
            )
        if response.status_code >= 400:
            raise LLMError(
                f"{self.base_url} answered HTTP {response.status_code}: {response.text[:300]}"
            )
        return self._completion(response, messages, time.monotonic() - started)

    def _post(self, body: dict[str, Any], schema: dict[str, Any] | None) -> httpx.Response:
        if schema is None:
            return self._post_with_retries(body)
        return self._post_constrained(body, schema)

    def _post_constrained(self, body: dict[str, Any], schema: dict[str, Any]) -> httpx.Response:
        """Try the response formats not yet known to be rejected, strictest first, and remember
        the first one the server accepts (the caller parses tolerantly in any case)."""
        for index in range(self._format_index, len(RESPONSE_FORMATS)):
            kind = RESPONSE_FORMATS[index]
            request = dict(body)
            if kind is not None:
                request["response_format"] = _response_format(kind, schema)
            response = self._post_with_retries(request)
            if kind is None or _refused_field(response, request) != "response_format":
                if response.status_code < 400:
                    self._format_index = index
                return response
        raise AssertionError("unreachable: the last format sends no response_format")

    def _post_with_retries(self, body: dict[str, Any]) -> httpx.Response:
        url = f"{self.base_url}/v1/chat/completions"
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                return self._post_once(url, body)
            except _Retryable as failure:
                if attempt == attempts - 1:
                    raise LLMUnavailable(
                        f"{url}: {failure} (gave up after {attempts} tries)",
                        hint=UNAVAILABLE_HINT,
                    ) from None
                jittered = self.backoff * 2**attempt * (0.5 + random.random())
                self._sleep(failure.wait if failure.wait is not None else jittered)
        raise AssertionError("unreachable")

    def _post_once(self, url: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.post(url, json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({exc})") from exc
        if _refused_field(response, body):
            return response
        if response.status_code == 429:
            raise _Retryable("rate limited (HTTP 429)", _retry_after(response))
        if response.status_code >= 500:
            raise _Retryable(f"server error HTTP {response.status_code}: {response.text[:200]}")
        return response

    def _completion(
        self, response: httpx.Response, messages: list[Message], seconds: float
    ) -> Completion:
        try:
            payload = response.json()
            choice = payload["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(
                f"{self.base_url} sent a response that is not a chat completion: "
                f"{response.text[:200]!r}"
            ) from exc
        usage = payload.get("usage") or {}
        if usage.get("prompt_tokens") is None:
            prompt_tokens = sum(estimate_tokens(m.get("content", "")) for m in messages)
        else:
            prompt_tokens = int(usage["prompt_tokens"])
        if usage.get("completion_tokens") is None:
            completion_tokens = estimate_tokens(text)
        else:
            completion_tokens = int(usage["completion_tokens"])
        details = usage.get("prompt_tokens_details") or {}
        cached = int(details.get("cached_tokens") or 0)
        model = str(payload.get("model") or self.model)
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=seconds,
            model=model,
            cost_usd=self.prices.cost(model, prompt_tokens, completion_tokens, cached),
            cached_tokens=cached,
            finish_reason=choice.get("finish_reason"),
        )

    def count_tokens(self, text: str) -> int:
        """Exact count from the server's tokenize endpoint (llama.cpp servers have one),
        else the character estimate. The endpoint is probed once and remembered."""
        if not self._tokenize_checked:
            self._tokenize_checked = True
            self._tokenize_endpoint = next(
                (ep for ep in _TOKENIZE_ENDPOINTS if self._tokenize(ep, "probe") is not None),
                None,
            )
        if self._tokenize_endpoint is not None:
            tokens = self._tokenize(self._tokenize_endpoint, text)
            if tokens is not None:
                return tokens
        return estimate_tokens(text)

    def _tokenize(self, endpoint: tuple[str, str], text: str) -> int | None:
        path, field = endpoint
        try:
            response = self._client.post(
                f"{self.base_url}{path}", json={field: text, "model": self.model}, timeout=10.0
            )
            if response.status_code != 200:
                return None
            return len(response.json()["tokens"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

"""Structured LM steps: ask for JSON matching a schema, parse whatever comes back tolerantly.

Constrained decoding (``json_schema``) is requested from the backend, but small models and
servers without constraints still wrap JSON in prose or code fences, leave trailing commas or
write Python-style literals. :func:`parse_json_lenient` repairs those; :func:`chat_json` asks
once more with a short correction, then gives up with warnings instead of raising.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from litsynth.errors import LLMError
from litsynth.llm.base import LLM, Completion, Message

_FENCE = re.compile(r"```[A-Za-z0-9_-]*\s*\n?(.*?)(?:```|$)", re.DOTALL)
#: Bracket positions tried as the start of the JSON (prose may hold "[1]"-style brackets).
_MAX_OPENINGS = 50
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _balanced_from(text: str, begin: int) -> str | None:
    """The complete ``{...}``/``[...]`` opening at ``text[begin]``, skipping brackets inside
    string literals; ``None`` when it never closes or closes with the wrong bracket."""
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for index in range(begin, len(text)):
        char = text[index]
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in closing:
            stack.append(closing[char])
        elif char in "}]":
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return text[begin : index + 1]
    return None


def _openings(text: str) -> list[int]:
    return [i for i, char in enumerate(text) if char in "{["][:_MAX_OPENINGS]


def _drop_trailing_commas(text: str) -> str:
    """Remove commas before ``}``/``]`` outside string literals."""
    pieces = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if i % 2 else _TRAILING_COMMA.sub(r"\1", p) for i, p in enumerate(pieces))


def _is_json_like(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_like(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json_like(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _python_literal(text: str) -> Any:
    """Single-quoted strings, ``True``/``None``: accepted only when Python's own literal
    grammar reads the text unambiguously as JSON-shaped data."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) and _is_json_like(value) else None


def _parse_block(block: str) -> Any:
    for attempt in (block, _drop_trailing_commas(block)):
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            pass
    return _python_literal(block)


def parse_json_lenient(text: str, expect: str | None = None) -> Any:
    """Parse the JSON in an LM reply; raise ``ValueError`` saying why not.

    Tolerates code fences, prose around the JSON, trailing commas and Python-style literals.
    ``expect`` ("object" or "array") skips bracketed prose such as "[1]" before the JSON.
    """
    wanted = {"object": dict, "array": list}.get(expect or "", dict | list)
    stripped = text.strip()
    if not stripped:
        raise ValueError("the reply is empty")
    fenced = _FENCE.search(stripped)
    candidates = [fenced.group(1).strip()] if fenced else []
    candidates.append(stripped)
    unclosed = False
    for candidate in candidates:
        try:
            value = json.loads(candidate)
            if isinstance(value, wanted):
                return value
        except json.JSONDecodeError:
            pass
        for begin in _openings(candidate):
            block = _balanced_from(candidate, begin)
            unclosed = unclosed or block is None
            value = _parse_block(block) if block else None
            if isinstance(value, wanted):
                return value
    if unclosed:
        raise ValueError("the JSON in the reply is incomplete (cut off?)")
    raise ValueError(f"the reply contains no JSON {expect or 'object or array'}")


def schema_problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Loose check of ``value`` against ``schema``: ``type``, ``required``, ``properties``,
    ``items`` and ``enum``; other keywords are ignored. Returns readable problems."""
    problems: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        allowed = tuple(t for n in names for t in _JSON_TYPES.get(n, (object,)))
        is_bool = isinstance(value, bool)
        if not isinstance(value, allowed) or (is_bool and "boolean" not in names):
            return [f"{where} should be {' or '.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where} should be one of {schema['enum']}")
    if isinstance(value, dict):
        missing = [key for key in schema.get("required", ()) if key not in value]
        problems += [f"{where} lacks key {key!r}" for key in missing]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += schema_problems(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}[{index}]")
    return problems


def chat_json(
    llm: LLM,
    messages: list[Message],
    schema: dict[str, Any],
    *,
    max_tokens: int,
    retries: int = 1,
    temperature: float = 0.0,
) -> tuple[Any | None, list[Completion], list[str]]:
    """Ask ``llm`` for JSON matching ``schema``.

    Returns ``(value, completions, warnings)``: ``value`` is the parsed object, or ``None``
    when every try was malformed (or the LM failed); ``completions`` holds every call made,
    for usage accounting. Never raises on bad output.
    """
    completions: list[Completion] = []
    warnings: list[str] = []
    conversation = list(messages)
    for attempt in range(retries + 1):
        try:
            completion = llm.chat(
                conversation, max_tokens=max_tokens, temperature=temperature, json_schema=schema
            )
        except LLMError as exc:
            warnings.append(f"{llm.name}: structured call failed: {exc}")
            return None, completions, warnings
        completions.append(completion)
        try:
            value = parse_json_lenient(completion.text, schema.get("type"))
            problems = schema_problems(value, schema)
        except ValueError as exc:
            problems = [str(exc)]
        if not problems:
            return value, completions, warnings
        warnings.append(f"{llm.name}: malformed JSON (try {attempt + 1}): {'; '.join(problems)}")
        conversation = [
            *messages,
            {"role": "assistant", "content": completion.text},
            {
                "role": "user",
                "content": "That reply was not usable: "
                + "; ".join(problems[:3])
                + ". Reply again with only the JSON, no other text.",
            },
        ]
    return None, completions, warnings

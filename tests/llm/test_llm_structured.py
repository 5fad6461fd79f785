"""Tolerant JSON parsing and chat_json's retry-then-give-up behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from litsynth.errors import LLMError
from litsynth.llm.base import Completion, Message
from litsynth.llm.structured import chat_json, parse_json_lenient, schema_problems

SCHEMA = {
    "type": "object",
    "properties": {
        "supported": {"type": "boolean"},
        "score": {"type": "number"},
        "items": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["supported", "score"],
}


class FakeLLM:
    """Stands in for an LM: answers each chat call with the next scripted reply (an exception
    is raised instead) and records what it was asked."""

    name = "fake-llm"

    def __init__(self, replies: list[str | Exception]) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def chat(self, messages: list[Message], **options: Any) -> Completion:
        self.calls.append({"messages": list(messages), **options})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return Completion(reply, prompt_tokens=10, completion_tokens=3, seconds=0.0, model="f")

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
        ('```\n{"a": 1}\n```\nHope this helps!', {"a": 1}),
        ('Sure! Here is the JSON: {"a": "b"} Let me know.', {"a": "b"}),
        ('{"a": [1, 2,], "b": {"c": 3,},}', {"a": [1, 2], "b": {"c": 3}}),
        ('{"text": "commas, inside ,] strings stay",}', {"text": "commas, inside ,] strings stay"}),
        ("{'a': 'it is', 'b': True, 'c': None}", {"a": "it is", "b": True, "c": None}),
        ('{"quote": "she said \\"}\\" twice"} trailing', {"quote": 'she said "}" twice'}),
        ('As shown in [1] and [2], {"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}', {"a": 1}),
    ],
)
def test_parse_json_lenient_repairs_common_damage(reply: str, expected: Any) -> None:
    assert parse_json_lenient(reply, "object") == expected


def test_parse_json_lenient_reads_arrays() -> None:
    assert parse_json_lenient('Items: [{"q": "x"}, {"q": "y"},]', "array") == [
        {"q": "x"},
        {"q": "y"},
    ]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("I cannot answer that.", "no JSON"),
        ('{"a": 1, "b": [2, 3', "incomplete"),
        ("{'a': set()}", "no JSON"),
    ],
)
def test_parse_json_lenient_explains_failure(reply: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_json_lenient(reply, "object")


def test_schema_problems_checks_required_keys_and_types() -> None:
    assert schema_problems({"supported": True, "score": 0.5, "items": ["x"]}, SCHEMA) == []
    problems = schema_problems({"supported": "yes", "items": ["x", 3]}, SCHEMA)
    assert "$ lacks key 'score'" in problems
    assert any(p.startswith("$.supported should be boolean") for p in problems)
    assert any(p.startswith("$.items[1] should be string") for p in problems)
    # A boolean is not a number, though Python says True is an int.
    assert schema_problems({"supported": True, "score": True}, SCHEMA) == [
        "$.score should be number, got bool"
    ]


def test_chat_json_returns_value_on_first_try() -> None:
    llm = FakeLLM(['```json\n{"supported": true, "score": 0.9}\n```'])

    value, completions, warnings = chat_json(
        llm, [{"role": "user", "content": "q"}], SCHEMA, max_tokens=50
    )

    assert value == {"supported": True, "score": 0.9}
    assert len(completions) == 1
    assert warnings == []
    assert llm.calls[0]["json_schema"] == SCHEMA
    assert llm.calls[0]["max_tokens"] == 50


def test_chat_json_retries_once_with_a_correction() -> None:
    llm = FakeLLM(['{"supported": true}', '{"supported": true, "score": 1}'])
    question = [{"role": "user", "content": "Is it supported?"}]

    value, completions, warnings = chat_json(llm, question, SCHEMA, max_tokens=20)

    assert value == {"supported": True, "score": 1}
    assert len(completions) == 2
    assert len(warnings) == 1 and "lacks key 'score'" in warnings[0]
    retry = llm.calls[1]["messages"]
    assert retry[0] == question[0]
    assert retry[1] == {"role": "assistant", "content": '{"supported": true}'}
    assert retry[2]["role"] == "user" and "score" in retry[2]["content"]


def test_chat_json_gives_up_with_none_and_warnings() -> None:
    llm = FakeLLM(["no idea", "still prose"])

    value, completions, warnings = chat_json(
        llm, [{"role": "user", "content": "q"}], SCHEMA, max_tokens=20, retries=1
    )

    assert value is None
    assert len(completions) == 2
    assert len(warnings) == 2
    assert all("no JSON" in w for w in warnings)


def test_chat_json_turns_llm_failure_into_a_warning() -> None:
    llm = FakeLLM([LLMError("server down")])

    value, completions, warnings = chat_json(
        llm, [{"role": "user", "content": "q"}], SCHEMA, max_tokens=20
    )

    assert value is None
    assert completions == []
    assert "server down" in warnings[0]

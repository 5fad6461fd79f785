"""OpenAICompatibleLLM against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import math
import socket

import pytest
from fake_openai import FakeOpenAIServer, Reply, chat_reply

from litsynth.errors import LLMError, LLMUnavailable
from litsynth.llm.openai_http import (
    CHARS_PER_TOKEN,
    OpenAICompatibleLLM,
    api_root,
    served_models,
)
from litsynth.llm.prices import Price, PriceTable

CHAT = "/v1/chat/completions"
MESSAGES = [
    {"role": "system", "content": "You answer briefly."},
    {"role": "user", "content": "What does a ribosome make?"},
]
SCHEMA = {
    "title": "verdict",
    "type": "object",
    "properties": {"supported": {"type": "boolean"}},
    "required": ["supported"],
}
PRICES = PriceTable({"test-model": Price(input=1.0, output=2.0, cached_input=0.5)})


def make_llm(server: FakeOpenAIServer, sleeps: list[float], **options) -> OpenAICompatibleLLM:
    settings = {"timeout": 5.0, "max_retries": 2, "prices": PRICES, "backoff": 0.5}
    settings.update(options)
    return OpenAICompatibleLLM(
        server.url, "test-model", "secret-key", sleep=sleeps.append, **settings
    )


def test_success_reports_text_usage_and_cost(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(
        CHAT, chat_reply("Proteins.", prompt_tokens=100, completion_tokens=10, cached_tokens=40)
    )
    llm = make_llm(fake_server, [])

    completion = llm.chat(MESSAGES, max_tokens=32, stop=["\n\n"])

    assert completion.text == "Proteins."
    assert (completion.prompt_tokens, completion.completion_tokens) == (100, 10)
    assert completion.cached_tokens == 40
    assert completion.evaluated_prompt_tokens == 60
    assert completion.cost_usd == pytest.approx((60 * 1.0 + 40 * 0.5 + 10 * 2.0) / 1e6)
    assert completion.finish_reason == "stop"
    (request,) = fake_server.requests_to(CHAT)
    assert request.body["messages"] == MESSAGES
    assert request.body["model"] == "test-model"
    assert request.body["max_tokens"] == 32
    assert request.body["stop"] == ["\n\n"]
    assert "response_format" not in request.body
    assert request.headers["Authorization"] == "Bearer secret-key"


def test_unknown_model_has_unknown_cost_and_missing_usage_is_estimated(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.script(
        CHAT,
        chat_reply("abcdefghij", model="mystery-7b", prompt_tokens=None, completion_tokens=None),
    )
    completion = make_llm(fake_server, []).chat(MESSAGES, max_tokens=8)

    assert completion.cost_usd is None
    assert completion.model == "mystery-7b"
    expected_prompt = sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) for m in MESSAGES)
    assert completion.prompt_tokens == expected_prompt
    assert completion.completion_tokens == math.ceil(10 / CHARS_PER_TOKEN)


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_with_or_without_v1(fake_server: FakeOpenAIServer, suffix: str) -> None:
    fake_server.script(CHAT, chat_reply("ok"))
    llm = OpenAICompatibleLLM(fake_server.url + suffix, "test-model", prices=PRICES)

    assert llm.chat(MESSAGES, max_tokens=4).text == "ok"
    assert api_root(fake_server.url + suffix) == fake_server.url


def test_429_honours_retry_after_then_succeeds(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(
        CHAT,
        Reply(status=429, body={"error": "slow down"}, headers={"Retry-After": "3"}),
        chat_reply("done"),
    )
    sleeps: list[float] = []

    completion = make_llm(fake_server, sleeps).chat(MESSAGES, max_tokens=4)

    assert completion.text == "done"
    assert len(fake_server.requests_to(CHAT)) == 2
    assert sleeps == [3.0]


def test_5xx_retried_until_exhausted(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, Reply(status=503, body={"error": "overloaded"}))
    sleeps: list[float] = []

    with pytest.raises(LLMError, match="gave up after 3 tries"):
        make_llm(fake_server, sleeps, max_retries=2).chat(MESSAGES, max_tokens=4)

    assert len(fake_server.requests_to(CHAT)) == 3
    # Exponential backoff with jitter in [0.5, 1.5) of base * 2**attempt.
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] < 0.75
    assert 0.5 <= sleeps[1] < 1.5


def test_5xx_then_success(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, Reply(status=500, body={}), Reply(status=502, raw=b"bad gateway"))
    fake_server.script(CHAT, chat_reply("third time"))

    completion = make_llm(fake_server, []).chat(MESSAGES, max_tokens=4)

    assert completion.text == "third time"
    assert len(fake_server.requests_to(CHAT)) == 3


def test_slow_response_times_out_and_is_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, Reply(body={}, delay=1.0))

    with pytest.raises(LLMError, match="timed out"):
        make_llm(fake_server, [], timeout=0.1, max_retries=1).chat(MESSAGES, max_tokens=4)

    assert len(fake_server.requests_to(CHAT)) == 2


def test_connection_refused_is_an_llm_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    llm = OpenAICompatibleLLM(
        f"http://127.0.0.1:{port}", "m", max_retries=1, sleep=sleeps.append, prices=PRICES
    )

    with pytest.raises(LLMUnavailable, match="connection failed"):
        llm.chat(MESSAGES, max_tokens=4)
    assert len(sleeps) == 1


def test_client_error_is_not_retried(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, Reply(status=401, body={"error": "bad key"}))

    with pytest.raises(LLMUnavailable, match="401"):
        make_llm(fake_server, []).chat(MESSAGES, max_tokens=4)
    assert len(fake_server.requests_to(CHAT)) == 1


def test_json_schema_is_sent_as_response_format(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, chat_reply('{"supported": true}'))

    make_llm(fake_server, []).chat(MESSAGES, max_tokens=16, json_schema=SCHEMA)

    (request,) = fake_server.requests_to(CHAT)
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": SCHEMA, "strict": True},
    }


@pytest.mark.parametrize(
    "rejected",
    [
        Reply(status=400, body={"error": "response_format not supported"}),
        Reply(status=422, body={"detail": "invalid body"}),
        # llama-cpp-python's server reports the unknown format as a server error.
        Reply(status=500, body={"error": {"message": "('body', 'response_format', 'type')"}}),
    ],
    ids=["400", "422", "500-naming-the-field"],
)
def test_rejected_response_format_falls_back_and_is_remembered(
    fake_server: FakeOpenAIServer, rejected: Reply
) -> None:
    fake_server.script(CHAT, rejected, rejected, chat_reply('{"supported": false}'))
    sleeps: list[float] = []
    llm = make_llm(fake_server, sleeps)
    llm = make_llm(fake_server, [])

    first = llm.chat(MESSAGES, max_tokens=16, json_schema=SCHEMA)
    llm.chat(MESSAGES, max_tokens=16, json_schema=SCHEMA)

    assert first.text == '{"supported": false}'
    formats = [r.body.get("response_format") for r in fake_server.requests_to(CHAT)]
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == {"type": "json_object", "schema": SCHEMA}
    # Third try and every later call go without a response_format; no retry of a rejection.
    assert formats[2:] == [None, None]
    assert sleeps == []


def test_json_object_format_is_remembered_when_accepted(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, Reply(status=400, body={}), chat_reply("{}"))
    llm = make_llm(fake_server, [])

    llm.chat(MESSAGES, max_tokens=16, json_schema=SCHEMA)
    llm.chat(MESSAGES, max_tokens=16, json_schema=SCHEMA)

    types = [r.body["response_format"]["type"] for r in fake_server.requests_to(CHAT)]
    assert types == ["json_schema", "json_object", "json_object"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(raw=b"<html>proxy error</html>"),
        Reply(body={"choices": []}),
        Reply(body={"unexpected": True}),
    ],
)
def test_garbage_body_is_an_llm_error(fake_server: FakeOpenAIServer, reply: Reply) -> None:
    fake_server.script(CHAT, reply)

    with pytest.raises(LLMError, match="not a chat completion"):
        make_llm(fake_server, []).chat(MESSAGES, max_tokens=4)


def test_count_tokens_uses_tokenize_endpoint_when_served(fake_server: FakeOpenAIServer) -> None:
    fake_server.script("/extras/tokenize", Reply(body={"tokens": [1, 2, 3, 4, 5, 6, 7]}))
    llm = make_llm(fake_server, [])

    assert llm.count_tokens("seven tokens of text, say") == 7
    sent = fake_server.requests_to("/extras/tokenize")[-1].body
    assert sent["input"] == "seven tokens of text, say"


def test_count_tokens_estimates_without_tokenize_endpoint(fake_server: FakeOpenAIServer) -> None:
    llm = make_llm(fake_server, [])
    text = "x" * 41

    assert llm.count_tokens(text) == math.ceil(41 / CHARS_PER_TOKEN)
    assert llm.count_tokens(text) == math.ceil(41 / CHARS_PER_TOKEN)
    # Both endpoints probed once, then never again.
    assert len(fake_server.requests) == 2


def test_served_models_lists_ids(fake_server: FakeOpenAIServer) -> None:
    fake_server.script("/v1/models", Reply(body={"data": [{"id": "m-1"}, {"id": "m-2"}]}))

    assert served_models(fake_server.url + "/v1") == ["m-1", "m-2"]


def test_served_models_error_names_url(fake_server: FakeOpenAIServer) -> None:
    with pytest.raises(LLMError, match="/v1/models"):
        served_models(fake_server.url)


def test_grammar_is_sent_in_llama_cpp_grammar_field(fake_server: FakeOpenAIServer) -> None:
    fake_server.script(CHAT, chat_reply("yes"))

    make_llm(fake_server, []).chat(MESSAGES, max_tokens=4, grammar='root ::= "yes" | "no"')

    (request,) = fake_server.requests_to(CHAT)
    assert request.body["grammar"] == 'root ::= "yes" | "no"'
    assert "response_format" not in request.body


@pytest.mark.parametrize(
    "refusal",
    [
        # OpenAI's answer to a parameter it does not know.
        Reply(status=400, body={"error": {"message": "Unrecognized request argument: grammar"}}),
        Reply(status=422, body={"detail": "extra fields not permitted"}),
    ],
    ids=["400-naming-it", "422"],
)
def test_refused_grammar_is_dropped_and_not_sent_again(
    fake_server: FakeOpenAIServer, refusal: Reply
) -> None:
    fake_server.script(CHAT, refusal, chat_reply("Ribosomes make proteins."))
    sleeps: list[float] = []
    llm = make_llm(fake_server, sleeps)

    first = llm.chat(MESSAGES, max_tokens=16, grammar='root ::= "x"')
    llm.chat(MESSAGES, max_tokens=16, grammar='root ::= "x"')

    assert first.text == "Ribosomes make proteins."
    sent = ["grammar" in r.body for r in fake_server.requests_to(CHAT)]
    assert sent == [True, False, False]
    assert sleeps == []  # a refusal is not retried as a fault


def test_a_client_error_with_a_grammar_is_still_reported(fake_server: FakeOpenAIServer) -> None:
    # A 400 for another reason reads as a refusal of the grammar: one try without it, then the
    # same error is reported, not swallowed.
    fake_server.script(CHAT, Reply(status=400, body={"error": "max_tokens too large"}))
    with pytest.raises(LLMError, match="max_tokens too large"):
        make_llm(fake_server, []).chat(MESSAGES, max_tokens=10**7, grammar='root ::= "x"')
    assert ["grammar" in r.body for r in fake_server.requests_to(CHAT)] == [True, False]

"""The real 0.5b GGUF model: in process with llama.cpp, and served by llama-cpp-python's
OpenAI-compatible server. One short question each (CI time)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from litsynth.config import Settings
from litsynth.errors import LLMError
from litsynth.llm.factory import load_gguf, load_llm
from litsynth.llm.gguf import GGUFLLM
from litsynth.llm.openai_http import OpenAICompatibleLLM, served_models
from litsynth.llm.structured import parse_json_lenient
from litsynth.synthesize import prompts
from litsynth.synthesize.pipeline import drop_unfinished_sentence

pytestmark = [pytest.mark.slow, pytest.mark.gguf]

N_CTX = 1024
SYSTEM = {"role": "system", "content": "You are a concise assistant. Answer in a few words."}
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
}


PASSAGES = [
    ("Gold", "Gold is a chemical element with the symbol Au and atomic number 79."),
    ("Silver", "Silver is a chemical element with the symbol Ag and atomic number 47."),
    ("Copper", "Copper is a soft, malleable metal with very high electrical conductivity."),
]
#: A finished answer under ``prompts.cited_answer_grammar(3)``, with an optional cut-off tail.
CITED_SENTENCES = re.compile(r"(?:[^\[\]\n]+?[.!?] (?:\[[1-3]\])+(?: |\n\n|$))+")


def assert_cited_sentences(text: str) -> None:
    """Every finished sentence of ``text`` ends with markers into the three passages."""
    if text.strip() == prompts.INSUFFICIENT:
        return
    finished = drop_unfinished_sentence(text)
    assert CITED_SENTENCES.fullmatch(finished), text
    assert finished.count("[") >= prompts.ANSWER_SENTENCES[0], text


def gguf_settings(path: Path) -> Settings:
    return Settings(models_dir=path.parent, llm={"backend": str(path), "n_ctx": N_CTX})


@pytest.fixture(scope="session")
def local_llm(small_gguf: Path) -> GGUFLLM:
    return load_gguf(small_gguf, gguf_settings(small_gguf))


def test_in_process_chat_reports_usage_and_reuses_prefix(local_llm: GGUFLLM) -> None:
    question = {"role": "user", "content": "What is the chemical symbol of gold?"}

    first = local_llm.chat([SYSTEM, question], max_tokens=16)
    # A second call with the same system prompt re-evaluates only the new tail.
    second = local_llm.chat([SYSTEM, question], max_tokens=1)

    assert first.text.strip()
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    assert first.cost_usd == 0.0
    assert second.prompt_tokens == first.prompt_tokens
    assert second.cached_tokens == second.prompt_tokens - 1
    assert 0 < local_llm.count_tokens(question["content"]) < first.prompt_tokens


def test_in_process_json_schema_yields_parseable_json(local_llm: GGUFLLM) -> None:
    question = {"role": "user", "content": "Is water wet? Reply in JSON."}

    completion = local_llm.chat([SYSTEM, question], max_tokens=40, json_schema=SCHEMA)

    value = parse_json_lenient(completion.text, "object")
    assert set(value) == {"answer", "confident"}
    assert isinstance(value["confident"], bool)


def test_cited_answer_grammar_puts_markers_after_every_sentence(local_llm: GGUFLLM) -> None:
    messages = prompts.draft_messages("What are gold and silver?", PASSAGES)

    completion = local_llm.chat(
        messages, max_tokens=120, grammar=prompts.cited_answer_grammar(len(PASSAGES))
    )

    assert_cited_sentences(completion.text)


def test_factory_reuses_the_loaded_model(local_llm: GGUFLLM, small_gguf: Path) -> None:
    assert load_llm(gguf_settings(small_gguf)) is local_llm


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served_gguf(small_gguf: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(small_gguf)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX)]
    # A file, not a pipe: llama.cpp logs enough to fill a pipe nobody reads and stall.
    log = tmp_path / "server.log"
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-500:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_served_model_answers_over_http(served_gguf: str, local_llm: GGUFLLM) -> None:
    (model,) = served_models(served_gguf)
    llm = OpenAICompatibleLLM(served_gguf, model, timeout=120, max_retries=0)
    question = {"role": "user", "content": "Is the sun a star? Reply in JSON."}

    completion = llm.chat([SYSTEM, question], max_tokens=40, json_schema=SCHEMA)

    value = parse_json_lenient(completion.text, "object")
    assert set(value) >= {"answer", "confident"}
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
    # The server's tokenizer endpoint gives the model's own count.
    text = "Reciprocal rank fusion merges ranked lists."
    assert abs(llm.count_tokens(text) - local_llm.count_tokens(text)) <= 1
    # llama-cpp-python's server applies a grammar sent in its ``grammar`` field.
    cited = llm.chat(
        prompts.draft_messages("What are gold and silver?", PASSAGES),
        max_tokens=120,
        grammar=prompts.cited_answer_grammar(len(PASSAGES)),
    )
    assert_cited_sentences(cited.text)
    llm.close()


def test_prompt_beyond_the_context_is_an_llm_error(local_llm: GGUFLLM) -> None:
    too_long = {"role": "user", "content": "evidence " * (2 * N_CTX)}

    with pytest.raises(LLMError, match="raise n_ctx"):
        local_llm.chat([SYSTEM, too_long], max_tokens=8)

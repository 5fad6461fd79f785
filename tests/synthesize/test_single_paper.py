from __future__ import annotations

import pytest
from scripted_llm import ScriptedLLM

from litsynth.errors import LLMError
from litsynth.synthesize.prompts import CLOSE, OPEN
from litsynth.synthesize.single_paper import (
    CLAIM_LABELS,
    YES_NO_LABELS,
    answer_claim,
    answer_yes_no,
    parse_label,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"label": "true"}', "true"),
        ('```json\n{"label": "FALSE"}\n```', "false"),
        ("True. The passage reports a decrease.", "true"),
        ("**false**", "false"),
        ("not true: the passage contradicts it", "false"),
        ("The claim is true", None),  # label not the first word: ambiguous
        ("maybe", None),
        ('{"label": "partly"}', None),
        ("", None),
    ],
)
def test_parse_label_claims(text: str, expected: str | None) -> None:
    assert parse_label(text, CLAIM_LABELS) == expected


def test_parse_label_yes_no_ignores_claim_negations() -> None:
    assert parse_label("Yes, it does.", YES_NO_LABELS) == "yes"
    assert parse_label("not true", YES_NO_LABELS) is None
    assert parse_label('{"answer": "no"}', YES_NO_LABELS) == "no"


def test_answer_claim_cites_the_passage_and_reports_usage() -> None:
    llm = ScriptedLLM(['{"label": "false"}'], cost_usd=0.001)
    ctxs = [{"title": "Vitamin D trial", "text": "Vitamin D did not reduce fractures."}]
    result = answer_claim("Vitamin D reduces fractures.", ctxs, llm)
    assert result["output"] == "false [1]"
    assert result["label"] == "false"
    assert result["ctxs"] == ctxs
    assert result["usage"]["prompt_tokens"] > 0
    assert result["usage"]["cost_usd"] == pytest.approx(0.001)
    prompt = llm.calls[0].user
    assert "Claim: Vitamin D reduces fractures." in prompt
    assert prompt.index("Vitamin D did not") < prompt.index(CLOSE)
    assert llm.calls[0].json_schema["properties"]["label"]["enum"] == ["true", "false"]


def test_answer_yes_no_reads_pubmedqa_context_dicts() -> None:
    llm = ScriptedLLM(['{"label": "yes"}'])
    ctx = {"title": "", "text": {"contexts": ["First finding.", "Second finding."], "labels": []}}
    result = answer_yes_no("Does X help?", [ctx], llm)
    assert result["output"] == "yes [1]"
    assert result["ctxs"][0]["text"] == "First finding. Second finding."
    user = llm.calls[0].user
    assert user.startswith(OPEN) and "First finding. Second finding." in user


def test_ambiguous_reply_gives_no_label_and_a_warning() -> None:
    # Both tries (the first and chat_json's correction retry) are prose.
    llm = ScriptedLLM(["It depends on the dose.", "It depends on the dose."])
    result = answer_claim("Claim.", [{"title": "T", "text": "Text."}], llm)
    assert result["label"] is None
    assert result["output"] == ""
    assert any("ambiguous label" in w for w in result["warnings"])


def test_failed_call_gives_no_label_and_a_warning() -> None:
    llm = ScriptedLLM([LLMError("server down")])
    result = answer_yes_no("Q?", [{"title": "T", "text": "Text."}], llm)
    assert result["label"] is None
    assert any("server down" in w for w in result["warnings"])

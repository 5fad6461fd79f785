"""ScholarQABench single-paper tasks: a label from the given passages, cited.

- SciFact: :func:`answer_claim` -> ``"true"`` (the passage supports the claim) or ``"false"``.
- PubMedQA: :func:`answer_yes_no` -> ``"yes"`` or ``"no"``.

The model is asked for ``{"label": ...}`` (schema-constrained where the backend can), and the
reply is read strictly by :func:`parse_label`: an answer that cannot be read as exactly one
label gives no label and a warning, never a guess. The result has the ``ask --json`` keys
``input, output, ctxs, usage`` (+ ``label``, ``warnings``); ``output`` is the label followed by
the citation ``[1]`` of the passage it was judged on.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from litsynth.llm.base import LLM, Message
from litsynth.llm.structured import chat_json
from litsynth.records import Hit
from litsynth.synthesize import prompts

CLAIM_LABELS = ("true", "false")
YES_NO_LABELS = ("yes", "no")
#: Explicit negated phrases that name a label (only for the label sets that contain it).
_NEGATIONS = {"not true": "false", "untrue": "false"}
_FIRST_WORD = re.compile(r"[A-Za-z]+")

Ctx = Hit | dict[str, Any]


def parse_label(text: str, labels: Sequence[str]) -> str | None:
    """The label ``text`` states, or ``None`` when it is ambiguous.

    Accepted: JSON whose ``label`` (or ``answer``) value is a label; or a reply whose first
    word is a label (``"True. The passage…"``); or an explicit leading negation such as
    ``"not true"`` when ``"false"`` is a label. Anything else (``"The claim is true"``,
    ``"maybe"``) is ambiguous."""
    wanted = {label.lower() for label in labels}
    stripped = text.strip().strip("`").strip()
    if stripped.lower().startswith("json"):
        stripped = stripped[4:].strip()
    try:
        data = json.loads(stripped)
    except ValueError:
        data = None
    if isinstance(data, dict):
        value = data.get("label", data.get("answer"))
        value = value.strip().lower() if isinstance(value, str) else None
        return value if value in wanted else None
    lowered = stripped.lower()
    for phrase, label in _NEGATIONS.items():
        if label in wanted and re.match(rf"{phrase}\b", lowered):
            return label
    first = _FIRST_WORD.search(lowered)
    if first is None or first.start() > 2:
        return None
    return first.group(0) if first.group(0) in wanted else None


def _ctx_dict(ctx: Ctx) -> dict[str, Any]:
    """A ctx as a dict; ScholarQABench PubMedQA rows hold ``text`` as ``{"contexts": [...]}``."""
    if isinstance(ctx, Hit):
        return ctx.to_ctx()
    data = dict(ctx)
    text = data.get("text")
    if isinstance(text, dict):
        contexts = text.get("contexts")
        data["text"] = " ".join(contexts) if isinstance(contexts, list) else json.dumps(text)
    return data


def _answer_label(
    text: str,
    ctxs: Sequence[Ctx],
    llm: LLM,
    labels: Sequence[str],
    build: Callable[[str, list[prompts.PassageText]], list[Message]],
) -> dict[str, Any]:
    started = time.perf_counter()
    docs = [_ctx_dict(c) for c in ctxs]
    passages = [(str(d.get("title") or ""), str(d.get("text") or "")) for d in docs]
    value, completions, warnings = chat_json(
        llm, build(text, passages), prompts.label_schema(labels), max_tokens=16
    )
    label: str | None = None
    if completions:
        raw = completions[-1].text
        label = parse_label(json.dumps(value) if isinstance(value, dict) else raw, labels)
        if label is None:
            warnings.append(f"ambiguous label in LM output: {raw.strip()[:80]!r}")
    costs = [c.cost_usd for c in completions]
    return {
        "input": text,
        "output": f"{label} [1]" if label and docs else (label or ""),
        "label": label,
        "ctxs": docs,
        "usage": {
            "prompt_tokens": sum(c.prompt_tokens for c in completions),
            "completion_tokens": sum(c.completion_tokens for c in completions),
            "cost_usd": None
            if any(c is None for c in costs)
            else float(sum(c for c in costs if c is not None)),
            "seconds": round(time.perf_counter() - started, 3),
        },
        "warnings": warnings,
    }


def answer_claim(claim: str, ctxs: Sequence[Ctx], llm: LLM) -> dict[str, Any]:
    """SciFact: is ``claim`` true or false according to ``ctxs`` (Hits or ``{title, text}``)?"""
    return _answer_label(claim, ctxs, llm, CLAIM_LABELS, prompts.claim_messages)


def answer_yes_no(question: str, ctxs: Sequence[Ctx], llm: LLM) -> dict[str, Any]:
    """PubMedQA: does the evidence in ``ctxs`` answer ``question`` with yes or no?"""
    return _answer_label(question, ctxs, llm, YES_NO_LABELS, prompts.yes_no_messages)

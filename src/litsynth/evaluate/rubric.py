"""The ``cs-rubric`` task: ScholarQA-CS rubrics (``test_configs_snippets.json``) judged by an LM.

Each config holds a question and rubric items ``{name, criterion, weight, evidence}``. As in
ScholarQABench's ``scholarqacs_rubric.py``: the LM rates each criterion 0-10 (scaled to 0-1),
and counts how many of an item's evidence snippets the answer covers; an item with both a
criterion and evidence splits its weight between them, and the evidence part scores 0 when the
criterion scored 0. Length is scored without an LM (1 up to ``low_length`` words, falling
linearly to 0 at ``high_length``) and "expertise" is one more LM-rated criterion.

Differences from the reference, on purpose:
- A judge call that fails or returns no usable score is counted in ``judge_failures`` and its
  component is left out (weights renormalised over the scored components); the reference
  scores it 0, which mixes judge failures into the system's score.
- The LM-parsed "citations" and "excerpts" components are not computed: citation quality is
  measured by the support judge in the other tasks.

``rubric_score`` is the mean over configs of the weighted rubric items alone (the reference's
``ann_score``); ``rubric_overall`` also includes length and expertise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from litsynth.errors import LitsynthError, LLMError, RecordError
from litsynth.evaluate.inputs import AnswerFn, answer_source, read_rows
from litsynth.evaluate.report import (
    plot_histogram,
    plot_stage_latency,
    usage_summary,
    write_outputs,
)
from litsynth.llm.base import LLM

EXPERTISE_CRITERION = (
    "The level of expertise needed to follow the answer matches what a typical person asking "
    "this question would have."
)
_SCORE_SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "number"}},
    "required": ["score"],
}
_CRITERION_SYSTEM = (
    "You grade one aspect of an answer to a question. The question is in <question> tags, the "
    "answer in <response> tags and the aspect to grade in <criterion> tags. Rate from 0 to 10 "
    "how well the answer meets the criterion, judging nothing else. Reply with JSON only: "
    '{"score": <0-10>}.'
)
_EVIDENCE_SYSTEM = (
    "You are given an answer in <response> tags and numbered snippets in <snippets> tags that "
    "a good answer should cover. Count the snippets whose information is partly or fully "
    'present in the answer, each at most once. Reply with JSON only: {"score": <count>}.'
)


class JudgeFailure(LitsynthError):
    """The rubric judge gave no usable score."""


def _ask_score(llm: LLM, system: str, user: str, upper: float) -> float:
    """The judge's score scaled to [0, 1]; raises ``JudgeFailure`` when there is none."""
    try:
        completion = llm.chat(
            [{"role": "system", "content": system}, {"role": "user", "content": user}],
            max_tokens=64,
            temperature=0.0,
            json_schema=_SCORE_SCHEMA,
        )
    except LLMError as exc:
        raise JudgeFailure(f"judge call failed: {exc}") from exc
    match = re.search(r"\{.*?\}", completion.text, re.DOTALL)
    try:
        value = float(json.loads(match.group(0))["score"]) if match else None
    except (ValueError, KeyError, TypeError):
        value = None
    if value is None or not 0 <= value <= upper:
        raise JudgeFailure(f"judge gave no score in [0, {upper:g}]: {completion.text[:80]!r}")
    return value / upper


def length_score(answer: str, low: int, high: int) -> float:
    """1 up to ``low`` words, then falling linearly to 0 at ``high`` words."""
    words = len(answer.split())
    if high <= low:
        return 1.0 if words <= low else 0.0
    return 1 - (max(min(high, words), low) - low) / (high - low)


def score_config(llm: LLM, config: dict[str, Any], answer: str) -> dict[str, Any]:
    """Scores of one rubric config: ``rubric`` (weighted items), ``overall``, ``length``,
    ``expertise``, ``components`` and ``failures`` (judge calls without a score)."""
    question = str(config.get("question", ""))
    failures = 0

    def criterion(text: str) -> float | None:
        nonlocal failures
        user = f"<question>{question}</question>\n<response>{answer}</response>\n"
        try:
            return _ask_score(llm, _CRITERION_SYSTEM, user + f"<criterion>{text}</criterion>", 10)
        except JudgeFailure:
            failures += 1
            return None

    def evidence(snippets: list[str]) -> float | None:
        nonlocal failures
        listed = "\n".join(f"{i}. {s}" for i, s in enumerate(snippets, start=1))
        user = f"<response>{answer}</response>\n<snippets>{listed}</snippets>"
        try:
            return min(_ask_score(llm, _EVIDENCE_SYSTEM, user, len(snippets)), 1.0)
        except JudgeFailure:
            failures += 1
            return None

    items: list[tuple[str, float, float | None]] = []  # (component, weight, score)
    for item in config.get("other_properties") or []:
        name, weight = str(item.get("name")), float(item.get("weight") or 0.0)
        text, snippets = item.get("criterion"), [str(s) for s in item.get("evidence") or []]
        share = weight / 2 if text and snippets else weight
        met = criterion(str(text)) if text else None
        if text:
            items.append((name, share, met))
        if not snippets:
            continue
        # The reference only looks for evidence when the criterion is (partly) met.
        if text and met is None:
            found = None
        elif text and met == 0:
            found = 0.0
        else:
            found = evidence(snippets)
        items.append((f"{name}_evidence", share, found))
    length = length_score(
        answer, int(config.get("low_length", 300)), int(config.get("high_length", 600))
    )
    expertise = criterion(EXPERTISE_CRITERION)

    def weighted(parts: list[tuple[str, float, float | None]]) -> float | None:
        scored = [(w, s) for _, w, s in parts if s is not None and w > 0]
        total = sum(w for w, _ in scored)
        return sum(w * s for w, s in scored) / total if total else None

    statics = [
        ("length", float(config.get("length_weight", 0.05)), length),
        ("expertise", float(config.get("expertise_weight", 0.05)), expertise),
    ]
    return {
        "rubric": weighted(items),
        "overall": weighted(items + statics),
        "length": length,
        "expertise": expertise,
        "components": {name: score for name, _, score in items},
        "failures": failures,
    }


def eval_cs_rubric(
    out_dir: Path,
    *,
    data: Path,
    llm: LLM | None = None,
    answer_fn: AnswerFn | None = None,
    limit: int | None = None,
    predictions: Path | None = None,
    zero_based: bool = False,
) -> dict[str, Any]:
    """Judge answers to the first ``limit`` configs of ``data`` against their rubrics with
    ``llm``. Predictions are matched by ``case_id`` or question. ``zero_based`` is accepted for
    a uniform task signature; rubric judging does not resolve markers."""
    if llm is None:
        raise LitsynthError(
            "cs-rubric is judged by a language model and none is configured",
            hint="pass --llm URL|GGUF|NAME or set LITSYNTH_LLM",
        )
    errors: list[RecordError] = []
    configs = read_rows(data, errors)
    configs = configs[:limit] if limit is not None else configs
    get_answer = answer_source(predictions, answer_fn, errors)
    answers_by_question: dict[str, dict[str, Any] | None] = {}
    per_query: list[dict[str, Any]] = []
    failures = 0
    for config in configs:
        rubric = (config.get("metric_config") or {}).get("config") or {}
        question = str(rubric.get("question") or config.get("initial_prompt") or "")
        if question not in answers_by_question:
            answers_by_question[question] = get_answer(question, config.get("case_id"))
        answer = answers_by_question[question]
        if answer is None:
            per_query.append(
                {"case_id": config.get("case_id"), "question": question, "missing": True}
            )
            continue
        scores = score_config(
            llm, {**rubric, "question": question}, str(answer.get("output") or "")
        )
        failures += scores["failures"]
        per_query.append({"case_id": config.get("case_id"), "question": question, **scores})

    judged = [q for q in per_query if not q.get("missing")]

    def mean(key: str) -> float | None:
        values = [q[key] for q in judged if q.get(key) is not None]
        return sum(values) / len(values) if values else None

    metrics: dict[str, Any] = {
        "task": "cs-rubric",
        "num_queries": len(configs),
        "answered": len(judged),
        "missing_predictions": len(configs) - len(judged),
        "rubric_score": mean("rubric"),
        "rubric_overall": mean("overall"),
        "length_score": mean("length"),
        "expertise_score": mean("expertise"),
        "judge": getattr(llm, "name", type(llm).__name__),
        "judge_failures": failures,
        "unscored_configs": sum(q["rubric"] is None for q in judged),
        "skipped_lines": len(errors),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    rubric_values = [q["rubric"] for q in judged if q["rubric"] is not None]
    plots = [plot_histogram(out_dir / "rubric.png", rubric_values, "Rubric scores", "score")]
    answered = [a for a in answers_by_question.values() if a is not None]
    usage = usage_summary(answered)
    if usage.get("stage_seconds"):
        plots.append(plot_stage_latency(out_dir / "latency.png", usage["stage_seconds"]))
    notes = [
        f"Rubric judge: {metrics['judge']}. Judge failures ({failures}) are left out of the "
        "scores, never scored 0; a config with no scored item is counted in unscored_configs.",
        *[str(e) for e in errors],
    ]
    write_outputs(
        out_dir,
        "litsynth eval cs-rubric",
        metrics,
        per_query=per_query,
        usage=usage,
        notes=notes,
        plots=plots,
    )
    return metrics

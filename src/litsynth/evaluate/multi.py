"""The ``multi`` task: ScholarQABench's expert-written answers (``human_answers.json``).

For each question, the papers of the snippets the expert cited are the gold evidence; the
task reports which share of them the system's evidence set (the answer's ``ctxs``) contains,
matching papers by Semantic Scholar paper id (from the url or an ``s2:`` paper id) or by
normalised title, and, with a judge, the citation precision and recall of the answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litsynth.errors import RecordError
from litsynth.evaluate.citations import SupportJudge, score_answers
from litsynth.evaluate.inputs import AnswerFn, answer_source, read_rows
from litsynth.evaluate.report import (
    plot_histogram,
    plot_stage_latency,
    usage_summary,
    write_outputs,
)
from litsynth.synthesize.markers import find_markers

_S2_URL = re.compile(r"semanticscholar\.org/paper/(?:[^/?#]+/)?([0-9a-f]{40})", re.IGNORECASE)


def paper_keys(ctx: dict[str, Any]) -> set[str]:
    """Keys that identify the ctx's paper: ``s2:<40-hex id>`` and ``title:<normalised>``."""
    keys = set()
    paper_id = str(ctx.get("paper_id") or "")
    if paper_id.startswith("s2:"):
        keys.add(paper_id.lower())
    match = _S2_URL.search(str(ctx.get("url") or ""))
    if match:
        keys.add(f"s2:{match.group(1).lower()}")
    title = " ".join(re.findall(r"[a-z0-9]+", str(ctx.get("title") or "").lower()))
    if title:
        keys.add(f"title:{title}")
    return keys


def expert_papers(row: dict[str, Any]) -> list[set[str]]:
    """Key sets of the distinct papers behind the snippets the expert's answer cites (its
    markers are 0-based); all its snippets when the answer cites none."""
    ctxs = row.get("ctxs") or []
    cited = sorted({m for m in find_markers(row.get("output") or "") if 0 <= m < len(ctxs)})
    papers: list[set[str]] = []
    for index in cited or range(len(ctxs)):
        keys = paper_keys(ctxs[index])
        if keys and not any(keys & seen for seen in papers):
            papers.append(keys)
    return papers


def eval_multi(
    out_dir: Path,
    *,
    data: Path,
    answer_fn: AnswerFn | None = None,
    judge: SupportJudge | None = None,
    limit: int | None = None,
    predictions: Path | None = None,
    zero_based: bool = False,
    compat: bool = False,
) -> dict[str, Any]:
    """Score answers to the questions of ``data`` (first ``limit``). A question without a
    prediction scores 0 evidence recall and is counted in ``missing_predictions``."""
    errors: list[RecordError] = []
    rows = read_rows(data, errors)
    rows = rows[:limit] if limit is not None else rows
    get_answer = answer_source(predictions, answer_fn, errors)
    answers: list[dict[str, Any]] = []
    per_query: list[dict[str, Any]] = []
    for row in rows:
        question = str(row.get("input", ""))
        gold = expert_papers(row)
        answer = get_answer(question, row.get("id"))
        if answer is None:
            per_query.append(
                {
                    "id": row.get("id"),
                    "input": question,
                    "missing": True,
                    "expert_paper_recall": 0.0,
                }
            )
            continue
        found = [paper_keys(ctx) for ctx in answer.get("ctxs") or []]
        hits = sum(any(keys & f for f in found) for keys in gold)
        answers.append(answer)
        per_query.append(
            {
                "id": row.get("id"),
                "input": question,
                "expert_papers": len(gold),
                "found": hits,
                "expert_paper_recall": hits / len(gold) if gold else None,
            }
        )
    recalls = [q["expert_paper_recall"] for q in per_query if q["expert_paper_recall"] is not None]
    metrics: dict[str, Any] = {
        "task": "multi",
        "num_queries": len(rows),
        "answered": len(answers),
        "missing_predictions": len(rows) - len(answers),
        "expert_paper_recall": sum(recalls) / len(recalls) if recalls else 0.0,
        "skipped_lines": len(errors),
    }
    if judge is not None:
        summary = score_answers(
            answers, judge, zero_based=zero_based and predictions is not None, compat=compat
        )
        metrics.update(summary.metrics())
        metrics["judge"] = judge.name
        metrics["citation_mode"] = "compat" if compat else "strict"
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = [
        plot_histogram(
            out_dir / "expert_recall.png", recalls, "Expert-cited papers found", "recall"
        )
    ]
    usage = usage_summary(answers)
    if usage.get("stage_seconds"):
        plots.append(plot_stage_latency(out_dir / "latency.png", usage["stage_seconds"]))
    notes = [
        "expert_paper_recall: share of the papers behind the expert's cited snippets that appear "
        "among the answer's ctxs (matched by Semantic Scholar id or normalised title).",
        *[str(e) for e in errors],
    ]
    if judge is None:
        notes.append("No support judge given: citation metrics were not computed.")
    write_outputs(
        out_dir,
        "litsynth eval multi",
        metrics,
        per_query=per_query,
        usage=usage,
        judge_name=judge.name if judge else None,
        notes=notes,
        plots=plots,
    )
    return metrics

"""The ``scifact`` and ``pubmedqa`` tasks: ScholarQABench's single-paper files
(``{input, gold_ctx, answer}``), scored for label accuracy (strict and the reference's
substring rule) and, with a judge, short-form citation correctness."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from litsynth.errors import RecordError, UsageError
from litsynth.evaluate.citations import SupportJudge, score_answers
from litsynth.evaluate.inputs import LabelFn, Predictions, read_rows
from litsynth.evaluate.labels import TASK_LABELS, compat_correct, parse_label
from litsynth.evaluate.report import plot_bars, plot_stage_latency, usage_summary, write_outputs


def gold_ctxs(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's gold passages as ctxs with string ``text`` (PubMedQA keeps a dict there)."""
    ctxs = []
    for ctx in row.get("gold_ctx") or row.get("ctxs") or []:
        text = ctx.get("text", "")
        if isinstance(text, dict):
            text = " ".join(str(part) for part in text.get("contexts", []))
        ctxs.append({"title": ctx.get("title") or "", "text": str(text)})
    return ctxs


def eval_single_paper(
    task: str,
    out_dir: Path,
    *,
    data: Path | None = None,
    label_fn: LabelFn | None = None,
    judge: SupportJudge | None = None,
    limit: int | None = None,
    predictions: Path | None = None,
    zero_based: bool = False,
    compat: bool = False,
) -> dict[str, Any]:
    """Score ``task`` ("scifact" or "pubmedqa") over the first ``limit`` rows of ``data``.
    Answers come from ``predictions`` (matched by question; gold labels may come from the
    predictions' ``answer`` when ``data`` is None) or from ``label_fn``. A data row without a
    prediction counts as wrong. ``zero_based`` describes the predictions file's markers;
    ``compat`` selects the reference citation rules."""
    if task not in TASK_LABELS:
        raise UsageError(f"unknown single-paper task {task!r}; expected one of {list(TASK_LABELS)}")
    errors: list[RecordError] = []
    table = Predictions(predictions, errors) if predictions is not None else None
    if data is not None:
        rows = read_rows(data, errors)
    elif table is not None:
        rows = table.rows
    else:
        raise UsageError(f"{task}: give the task's data file or a predictions file")
    if table is None and label_fn is None:
        raise UsageError(f"{task}: give a predictions file (--predictions) or a label_fn")
    rows = rows[:limit] if limit is not None else rows

    answers: list[dict[str, Any]] = []
    per_query: list[dict[str, Any]] = []
    missing = 0
    for row in rows:
        question, gold = str(row.get("input", "")), str(row.get("answer", "")).strip().lower()
        if table is not None:
            answer = table.find(question, row.get("id"))
        else:
            assert label_fn is not None
            answer = {"input": question, **label_fn(task, question, gold_ctxs(row))}
        if answer is None:
            missing += 1
            per_query.append({"input": question, "gold": gold, "missing": True})
            continue
        answer = {"input": question, **answer, "ctxs": answer.get("ctxs") or gold_ctxs(row)}
        output = str(answer.get("output") or "")
        parsed = parse_label(task, output)
        answers.append(answer)
        per_query.append(
            {
                "input": question,
                "gold": gold,
                "output": output,
                "parsed": parsed,
                "correct": parsed == gold,
                "correct_compat": compat_correct(output, gold),
            }
        )

    scored = [q for q in per_query if not q.get("missing")]
    count = len(rows)
    metrics: dict[str, Any] = {
        "task": task,
        "num_queries": count,
        "answered": len(scored),
        "missing_predictions": missing,
        "accuracy": sum(q["correct"] for q in scored) / count if count else 0.0,
        "accuracy_compat": sum(q["correct_compat"] for q in scored) / count if count else 0.0,
        "unparsed": sum(q["parsed"] is None for q in scored),
        "skipped_lines": len(errors),
    }
    if judge is not None:
        summary = score_answers(
            answers,
            judge,
            zero_based=zero_based and table is not None,
            compat=compat,
            short_form=True,
        )
        metrics.update(summary.metrics())
        metrics["judge"] = judge.name
        metrics["citation_mode"] = "compat" if compat else "strict"
        for query, cited in zip(scored, summary.per_answer, strict=True):
            query["citation_recall"] = cited.recall if cited else None
            query["citation_precision"] = cited.precision if cited else None

    out_dir.mkdir(parents=True, exist_ok=True)
    labels = Counter(str(q["parsed"]) if q["parsed"] else "unparsed" for q in scored)
    plots = [plot_bars(out_dir / "labels.png", dict(labels), "Predicted labels", "answers")]
    usage = usage_summary(answers)
    if usage.get("stage_seconds"):
        plots.append(plot_stage_latency(out_dir / "latency.png", usage["stage_seconds"]))
    notes = [
        "accuracy: the answer must state the label up front (strict); accuracy_compat: the "
        "reference's substring rule, where 'not true' matches 'true' and 'not' matches 'no'.",
        *[str(e) for e in errors],
    ]
    if judge is None:
        notes.append("No support judge given: citation metrics were not computed.")
    write_outputs(
        out_dir,
        f"litsynth eval {task}",
        metrics,
        per_query=per_query,
        usage=usage,
        judge_name=judge.name if judge else None,
        notes=notes,
        plots=plots,
    )
    return metrics

"""What every task writes into its output folder: ``metrics.json``, ``report.md``, PNG plots
and ``per_query.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

JUDGE_NOTE = (
    "Citation scores come from the support judge named above, not from the OpenScholar "
    "paper's fine-tuned Flan-T5-XL (osunlp/attrscore-flan-t5-xl), which is not available "
    "offline here; numbers are not directly comparable to the paper's."
)


def usage_summary(answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-query means from the answers' ``usage``: seconds, prompt and completion tokens,
    cost (``None`` when any answer's cost is unknown), and seconds per stage (over the
    answers that ran that stage)."""
    usages = [a["usage"] for a in answers if isinstance(a.get("usage"), dict)]
    if not usages:
        return {}
    count = len(usages)
    costs = [u.get("cost_usd") for u in usages]
    stage_seconds: dict[str, list[float]] = {}
    for usage in usages:
        for name, stage in (usage.get("stages") or {}).items():
            if isinstance(stage, dict) and not stage.get("skipped"):
                stage_seconds.setdefault(name, []).append(float(stage.get("seconds") or 0.0))
    return {
        "queries": count,
        "seconds_per_query": sum(float(u.get("seconds") or 0.0) for u in usages) / count,
        "prompt_tokens_per_query": sum(int(u.get("prompt_tokens") or 0) for u in usages) / count,
        "completion_tokens_per_query": sum(int(u.get("completion_tokens") or 0) for u in usages)
        / count,
        "cost_usd_per_query": None if None in costs else sum(costs) / count,
        "stage_seconds": {name: sum(v) / len(v) for name, v in stage_seconds.items()},
    }


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_histogram(path: Path, values: Sequence[float], title: str, xlabel: str) -> Path:
    """A histogram of per-query values in [0, 1] saved as PNG."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(list(values), bins=[i / 10 for i in range(11)], color="#4c72b0", edgecolor="white")
    ax.set(title=title, xlabel=xlabel, ylabel="queries", xlim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_bars(path: Path, values: dict[str, float], title: str, xlabel: str) -> Path:
    """``values`` as a horizontal bar chart (one bar per key, in order) saved as PNG."""
    plt = _plt()
    names = list(values)
    fig, ax = plt.subplots(figsize=(6, 0.9 + 0.4 * max(len(names), 1)))
    ax.barh(names, [values[n] for n in names], color="#dd8452")
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_stage_latency(path: Path, stage_seconds: dict[str, float]) -> Path:
    """Mean seconds per pipeline stage as a bar chart saved as PNG."""
    return plot_bars(path, stage_seconds, "Mean latency per stage", "seconds per query")


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def metrics_table(metrics: dict[str, Any]) -> str:
    """A two-column markdown table of the metrics."""
    rows = ["| metric | value |", "| --- | --- |"]
    rows += [f"| {key} | {_cell(value)} |" for key, value in metrics.items()]
    return "\n".join(rows)


def write_outputs(
    out_dir: Path,
    title: str,
    metrics: dict[str, Any],
    *,
    per_query: Sequence[dict[str, Any]] = (),
    usage: dict[str, Any] | None = None,
    judge_name: str | None = None,
    notes: Sequence[str] = (),
    plots: Sequence[Path] = (),
) -> None:
    """Write ``metrics.json``, ``per_query.jsonl`` (when given) and ``report.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if per_query:
        with open(out_dir / "per_query.jsonl", "w", encoding="utf-8") as handle:
            for row in per_query:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    lines = [f"# {title}", "", metrics_table(metrics), ""]
    if judge_name:
        lines += ["## Citation judge", "", f"Judge: `{judge_name}`.", "", JUDGE_NOTE, ""]
    if usage:
        cost = usage["cost_usd_per_query"]
        lines += [
            "## Cost and latency per query",
            "",
            f"- queries answered: {usage['queries']}",
            f"- seconds: {usage['seconds_per_query']:.2f}",
            f"- prompt tokens: {usage['prompt_tokens_per_query']:.1f}",
            f"- completion tokens: {usage['completion_tokens_per_query']:.1f}",
            f"- cost (USD): {'unknown' if cost is None else f'{cost:.6f}'}",
            "",
        ]
        if usage["stage_seconds"]:
            lines += ["| stage | mean seconds |", "| --- | --- |"]
            lines += [f"| {n} | {s:.3f} |" for n, s in usage["stage_seconds"].items()]
            lines.append("")
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    if plots:
        lines += ["## Plots", "", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")

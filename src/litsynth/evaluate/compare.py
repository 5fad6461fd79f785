"""``litsynth eval compare DIR...``: the metrics of several eval runs side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litsynth.errors import InputError
from litsynth.text import json_error


def load_metrics(run_dir: Path) -> dict[str, Any]:
    """The ``metrics.json`` of an eval output folder."""
    path = run_dir / "metrics.json"
    if not path.is_file():
        raise InputError(f"{path}: no such file (is {run_dir} an eval output folder?)")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: {json_error(exc)}") from exc
    if not isinstance(metrics, dict):
        raise InputError(f"{path}: expected a JSON object of metrics")
    return metrics


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def compare_runs(dirs: Sequence[Path]) -> str:
    """A markdown table: one row per metric (in order of first appearance), one column per
    folder; a metric a run lacks shows as ``-``."""
    runs = [(Path(d), load_metrics(Path(d))) for d in dirs]
    keys: list[str] = []
    for _, metrics in runs:
        keys += [k for k in metrics if k not in keys]
    header = "| metric | " + " | ".join(d.name or str(d) for d, _ in runs) + " |"
    lines = [header, "| --- |" + " --- |" * len(runs)]
    for key in keys:
        cells = [_cell(m[key]) if key in m else "-" for _, m in runs]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

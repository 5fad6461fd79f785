"""`litsynth eval` from the command line: a TREC run scored against qrels, compare, and an
LM-judged task without an LM."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from litsynth.cli import app


def _eval_retrieval(tmp_path: Path, qrels_lines: str, run_lines: str):  # type: ignore[no-untyped-def]
    """``eval retrieval`` of a run against qrels (a BEIR TSV header is added); the result and
    the output folder."""
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\n" + qrels_lines)
    run = tmp_path / "run.trec"
    run.write_text(run_lines)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "retrieval", "--qrels", str(qrels), "--run", str(run), "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    return result, out


def test_eval_retrieval_scores_a_run_and_compare_tabulates(tmp_path: Path) -> None:
    # q1: the relevant doc at rank 2 -> nDCG@10 = 1/log2(3); q2: never found -> 0
    _, out = _eval_retrieval(
        tmp_path,
        "q1\td1\t1\nq2\td9\t1\n",
        "q1 Q0 d5 1 2.0 x\nq1 Q0 d1 2 1.0 x\nq2 Q0 d3 1 1.0 x\n",
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_queries"] == 2
    assert abs(metrics["ndcg@10"] - (1 / 1.5849625007211562) / 2) < 1e-9
    assert metrics["mrr@10"] == 0.25
    assert (out / "report.md").is_file()
    table = CliRunner().invoke(app, ["eval", "compare", str(out), str(out)])
    assert table.exit_code == 0 and "ndcg@10" in table.stdout


def test_eval_retrieval_warns_about_skipped_lines(tmp_path: Path) -> None:
    result, out = _eval_retrieval(
        tmp_path, "q1\td1\t1\nq2 only-two-columns\n", "q1 Q0 d1 1 1.0 x\n"
    )
    assert json.loads((out / "metrics.json").read_text())["skipped_lines"] == 1
    assert "skipped 1 malformed input line(s)" in result.stderr
    assert "qrels.tsv:3" in (out / "report.md").read_text()


def test_lm_judged_task_without_lm_exits_1_naming_llm(tmp_path: Path) -> None:
    data = tmp_path / "rubric.json"
    data.write_text("[]")
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "cs-rubric",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--home",
            str(tmp_path / "h"),
        ],
        env={"LITSYNTH_MODELS_DIR": str(tmp_path / "no-models"), "LITSYNTH_LLM": ""},
    )
    assert result.exit_code == 1
    assert "--llm" in result.stderr

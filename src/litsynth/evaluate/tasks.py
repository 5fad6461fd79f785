"""Evaluation tasks by name: ``retrieval``, ``scifact``, ``pubmedqa``, ``multi``, ``cs-rubric``.

Each task writes ``metrics.json``, ``report.md``, ``per_query.jsonl`` and PNG plots into its
output folder and returns the metrics. Every task takes ``limit`` (first N items) and
``predictions`` (score an existing output instead of running the system: a TREC run for
``retrieval``, OpenScholar-style JSON/JSONL answers for the others).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from litsynth.errors import LitsynthError, RecordError, UsageError
from litsynth.evaluate.citations import SupportJudge
from litsynth.evaluate.inputs import RunFn
from litsynth.evaluate.metrics import evaluate_run, per_query_metrics
from litsynth.evaluate.multi import eval_multi
from litsynth.evaluate.report import plot_histogram, write_outputs
from litsynth.evaluate.rubric import eval_cs_rubric
from litsynth.evaluate.single_paper import eval_single_paper
from litsynth.evaluate.trec import Scores, read_qrels, read_queries, read_run, write_run


def eval_retrieval(
    out_dir: Path,
    *,
    qrels: Path,
    predictions: Path | None = None,
    queries: Path | None = None,
    run_fn: RunFn | None = None,
    k: int = 100,
    limit: int | None = None,
) -> dict[str, Any]:
    """Score a retrieval run against ``qrels`` (first ``limit`` qrels queries). The run is
    ``predictions`` (a TREC run file) or is made by ``run_fn`` over the ``queries`` that have
    qrels, at depth ``k``, and saved as ``out_dir/run.trec``."""
    errors: list[RecordError] = []
    judged = read_qrels(qrels, errors)
    if limit is not None:
        judged = dict(list(judged.items())[:limit])
    notes: list[str] = []
    if predictions is not None:
        run = read_run(predictions, errors)
    elif queries is not None and run_fn is not None:
        wanted = [(qid, text) for qid, text in read_queries(queries, errors) if qid in judged]
        unknown = len(judged) - len({qid for qid, _ in wanted})
        if unknown:
            notes.append(f"{unknown} qrels queries are not in {queries}; they score 0.")
        run = _run_scores(run_fn(wanted, k))
        write_run(out_dir / "run.trec", run)
    else:
        raise UsageError("retrieval: give a run file (--run) or a corpus and queries to search")

    metrics: dict[str, Any] = {**evaluate_run(judged, run), "skipped_lines": len(errors)}
    per_query = [{"qid": qid, **m} for qid, m in per_query_metrics(judged, run).items()]
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = [
        plot_histogram(
            out_dir / "ndcg_hist.png",
            [q["ndcg@10"] for q in per_query],
            "nDCG@10 per query",
            "nDCG@10",
        )
    ]
    notes += [
        "trec_eval conventions: relevant = grade > 0, linear gain, log2(rank + 1) discount, "
        "ties broken by docid descending, mean over all qrels queries (missing ones score 0).",
        *[str(e) for e in errors],
    ]
    write_outputs(
        out_dir, "litsynth eval retrieval", metrics, per_query=per_query, notes=notes, plots=plots
    )
    return metrics


def _run_scores(results: dict[str, list[tuple[str, float]]]) -> Scores:
    """``run_fn`` output as ``{qid: {docid: score}}``, keeping a repeated docid's best score."""
    run: Scores = {}
    for qid, hits in results.items():
        docs = run.setdefault(str(qid), {})
        for docid, score in hits:
            docs[str(docid)] = max(float(score), docs.get(str(docid), float("-inf")))
    return run


#: Task name -> function(out_dir, **options) -> metrics.
TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "retrieval": eval_retrieval,
    "scifact": partial(eval_single_paper, "scifact"),
    "pubmedqa": partial(eval_single_paper, "pubmedqa"),
    "multi": eval_multi,
    "cs-rubric": eval_cs_rubric,
}


def run_task(name: str, out_dir: Path, **options: Any) -> dict[str, Any]:
    """Run the task ``name`` with its keyword ``options``; ``UsageError`` for unknown names."""
    task = TASKS.get(name)
    if task is None:
        raise UsageError(f"unknown eval task {name!r}; expected one of {', '.join(TASKS)}")
    return task(out_dir, **options)


def default_judge() -> SupportJudge:
    """The default citation support judge (``litsynth.synthesize.judges.AlignmentJudge``)."""
    try:
        from litsynth.synthesize.judges import AlignmentJudge
    except ImportError as exc:
        raise LitsynthError("the default citation judge (AlignmentJudge) is not available") from exc
    return AlignmentJudge()

"""Evaluation harness: retrieval metrics (trec_eval conventions), ScholarQABench tasks
(SciFact, PubMedQA, multi-paper, ScholarQA-CS rubrics), citation precision/recall, reports."""

from litsynth.evaluate.citations import (
    AnswerCitations,
    CitationSummary,
    SupportJudge,
    score_answer,
    score_answers,
)
from litsynth.evaluate.compare import compare_runs
from litsynth.evaluate.labels import compat_correct, parse_label
from litsynth.evaluate.metrics import evaluate_run, per_query_metrics
from litsynth.evaluate.multi import eval_multi
from litsynth.evaluate.rubric import eval_cs_rubric
from litsynth.evaluate.single_paper import eval_single_paper
from litsynth.evaluate.tasks import TASKS, default_judge, eval_retrieval, run_task
from litsynth.evaluate.trec import read_qrels, read_queries, read_run, write_run

__all__ = [
    "TASKS",
    "AnswerCitations",
    "CitationSummary",
    "SupportJudge",
    "compare_runs",
    "compat_correct",
    "default_judge",
    "eval_cs_rubric",
    "eval_multi",
    "eval_retrieval",
    "eval_single_paper",
    "evaluate_run",
    "parse_label",
    "per_query_metrics",
    "read_qrels",
    "read_queries",
    "read_run",
    "run_task",
    "score_answer",
    "score_answers",
    "write_run",
]

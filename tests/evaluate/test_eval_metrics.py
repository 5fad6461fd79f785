"""Retrieval metrics against hand-computed values (trec_eval conventions)."""

from __future__ import annotations

import math
import random

import pytest

from litsynth.evaluate.metrics import evaluate_run, ndcg_at_k, per_query_metrics
from litsynth.evaluate.trec import ranking

LOG2_3 = math.log2(3)


def test_graded_ndcg_recall_mrr_by_hand():
    qrels = {"q1": {"d1": 2, "d2": 1, "d3": 0, "d4": 1}}
    run = {"q1": {"d2": 0.9, "d1": 0.8, "d5": 0.7, "d4": 0.5}}
    # DCG  = 1/log2(2) + 2/log2(3) + 0 + 1/log2(5)   (linear gain, rank r discounted log2(r+1))
    # IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4)       (d3 has grade 0: not relevant, no gain)
    dcg = 1 + 2 / LOG2_3 + 1 / math.log2(5)
    idcg = 2 + 1 / LOG2_3 + 0.5
    metrics = evaluate_run(qrels, run)
    assert metrics["ndcg@10"] == pytest.approx(dcg / idcg)
    assert metrics["ndcg@10"] == pytest.approx(0.85998, abs=1e-5)
    assert metrics["recall@10"] == pytest.approx(1.0)
    assert metrics["mrr@10"] == pytest.approx(1.0)
    assert metrics["num_queries"] == 1


def test_graded_gain_is_linear_not_exponential():
    qrels = {"q": {"a": 3, "b": 1}}
    run = {"q": {"b": 2.0, "a": 1.0}}
    # DCG = 1 + 3/log2(3); IDCG = 3 + 1/log2(3). With 2^g - 1 gains it would be 0.6613...
    assert evaluate_run(qrels, run)["ndcg@10"] == pytest.approx((1 + 3 / LOG2_3) / (3 + 1 / LOG2_3))


def test_ties_are_broken_by_docid_descending_like_trec_eval():
    assert ranking({"a": 1.0, "b": 1.0, "c": 2.0, "B": 1.0}) == ["c", "b", "a", "B"]
    # "b" ranks before "a" at equal score, so a relevant "a" sits at rank 2.
    metrics = evaluate_run({"q": {"a": 1}}, {"q": {"a": 1.0, "b": 1.0}})
    assert metrics["ndcg@10"] == pytest.approx(1 / LOG2_3)
    assert metrics["mrr@10"] == pytest.approx(0.5)
    assert evaluate_run({"q": {"b": 1}}, {"q": {"a": 1.0, "b": 1.0}})["mrr@10"] == 1.0


def test_missing_queries_score_zero_and_extra_run_queries_are_ignored():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    run = {"q1": {"d1": 1.0}, "q3": {"d9": 1.0}}
    metrics = evaluate_run(qrels, run)
    assert metrics["num_queries"] == 2
    assert metrics["ndcg@10"] == pytest.approx(0.5)
    assert metrics["recall@100"] == pytest.approx(0.5)


def test_empty_run_and_query_without_relevant_documents():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 0}}
    assert evaluate_run(qrels, {}) == {
        "ndcg@10": 0.0,
        "recall@10": 0.0,
        "recall@100": 0.0,
        "mrr@10": 0.0,
        "num_queries": 2,
    }
    assert per_query_metrics(qrels, {"q2": {"d2": 5.0}})["q2"]["ndcg@10"] == 0.0
    assert evaluate_run({}, {"q": {"d": 1.0}})["num_queries"] == 0


def test_cutoffs_apply_to_recall_mrr_and_ideal_dcg():
    run = {"q": {f"n{i:02d}": 100.0 - i for i in range(10)} | {"rel": 1.0}}
    qrels = {"q": {"rel": 1}}
    metrics = evaluate_run(qrels, run)
    assert (metrics["recall@10"], metrics["recall@100"], metrics["mrr@10"]) == (0.0, 1.0, 0.0)
    # Ideal DCG is cut at k too: 12 relevant docs all retrieved first gives nDCG@10 = 1.
    many = {f"r{i:02d}": 1 for i in range(12)}
    assert ndcg_at_k(many, ranking({d: 1.0 for d in many}), 10) == pytest.approx(1.0)


def test_matches_pytrec_eval_on_random_runs_with_ties():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = random.Random(7)
    qrels, run = {}, {}
    for q in range(60):
        docs = [f"d{i}" for i in range(30)]
        qrels[f"q{q}"] = {d: rng.choice([0, 1, 1, 2, 3]) for d in rng.sample(docs, 8)}
        run[f"q{q}"] = {d: float(rng.randint(0, 4)) for d in rng.sample(docs, 20)}
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10"}).evaluate(run)
    ours = per_query_metrics(qrels, run)
    for qid, values in reference.items():
        assert ours[qid]["ndcg@10"] == pytest.approx(values["ndcg_cut_10"])
        assert ours[qid]["recall@10"] == pytest.approx(values["recall_10"])

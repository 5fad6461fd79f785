"""Retrieval metrics with trec_eval's conventions (as in trec_eval 9.x and pytrec_eval).

- A document is relevant when its qrels grade is > 0; unjudged documents are not relevant.
- nDCG@k: linear gain (the grade itself), discount log2(rank + 1) for 1-based rank, ideal DCG
  from all the query's judged grades sorted descending and cut at k (trec_eval ``ndcg_cut``).
- Recall@k: relevant documents in the top k / all relevant documents (trec_eval ``recall``).
- MRR@k: 1 / rank of the first relevant document within the top k, else 0 (BEIR's MRR@k;
  trec_eval's ``recip_rank`` has no cut-off).
- Ranking: by score descending, ties broken by docid descending (trec_eval's
  ``comp_sim_docno``); the rank column of a run file is ignored.
- Averages are over every query in the qrels (trec_eval ``-c``): a query missing from the run
  scores 0 on every metric, a qrels query with no relevant document scores 0, and run queries
  absent from the qrels are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from litsynth.evaluate.trec import Scores, ranking

#: The metrics ``evaluate_run`` reports, as (key, function name, cut-off).
METRICS: tuple[tuple[str, str, int], ...] = (
    ("ndcg@10", "ndcg", 10),
    ("recall@10", "recall", 10),
    ("recall@100", "recall", 100),
    ("mrr@10", "mrr", 10),
)


def ndcg_at_k(grades: Mapping[str, float], ranked: list[str], k: int) -> float:
    """nDCG@k of ``ranked`` docids against ``grades`` (docid -> qrels grade)."""
    dcg = sum(
        grades[docid] / math.log2(rank + 1)
        for rank, docid in enumerate(ranked[:k], start=1)
        if grades.get(docid, 0.0) > 0
    )
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    ideal_dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / ideal_dcg if ideal_dcg > 0 else 0.0


def recall_at_k(grades: Mapping[str, float], ranked: list[str], k: int) -> float:
    """Share of the relevant documents found in the top ``k``; 0 when none is relevant."""
    relevant = {docid for docid, grade in grades.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(grades: Mapping[str, float], ranked: list[str], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top ``k``, else 0."""
    for rank, docid in enumerate(ranked[:k], start=1):
        if grades.get(docid, 0.0) > 0:
            return 1.0 / rank
    return 0.0


_FUNCTIONS = {"ndcg": ndcg_at_k, "recall": recall_at_k, "mrr": mrr_at_k}


def per_query_metrics(qrels: Scores, run: Scores) -> dict[str, dict[str, float]]:
    """Every metric of ``METRICS`` for every query of ``qrels`` (missing run query -> 0)."""
    results: dict[str, dict[str, float]] = {}
    for qid, grades in qrels.items():
        ranked = ranking(run.get(qid, {}))
        results[qid] = {key: _FUNCTIONS[name](grades, ranked, k) for key, name, k in METRICS}
    return results


def evaluate_run(qrels: Scores, run: Scores) -> dict[str, float | int]:
    """Mean ``ndcg@10``, ``recall@10``, ``recall@100``, ``mrr@10`` over the queries of
    ``qrels``, plus ``num_queries``."""
    per_query = per_query_metrics(qrels, run)
    count = len(per_query)
    summary: dict[str, float | int] = {
        key: (sum(m[key] for m in per_query.values()) / count if count else 0.0)
        for key, _, _ in METRICS
    }
    summary["num_queries"] = count
    return summary

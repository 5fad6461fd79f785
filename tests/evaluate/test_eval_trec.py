"""TREC run / qrels / queries files: parsing, errors with file:line, writing, and the
retrieval task end to end."""

from __future__ import annotations

import json
import math

import pytest
from eval_fakes import shared_file

from litsynth.errors import RecordError, UsageError
from litsynth.evaluate import eval_retrieval, read_qrels, read_queries, read_run, write_run


def test_read_run_keeps_good_lines_and_reports_bad_ones(tmp_path):
    path = tmp_path / "run.trec"
    path.write_text(
        "q1 Q0 d1 1 2.5 tag\n"
        "q1 Q0 d2 2\n"
        "q1 Q0 d3 3 high tag\n"
        "\n"
        "q1 Q0 d1 4 1.0 tag\n"
        "q2 Q0 d9 1 -1e-3 tag\n"
    )
    errors: list[RecordError] = []
    assert read_run(path, errors) == {"q1": {"d1": 2.5}, "q2": {"d9": -0.001}}
    assert [(e.line, e.path) for e in errors] == [(2, str(path)), (3, str(path)), (5, str(path))]
    assert "6 fields" in errors[0].reason and "twice" in errors[2].reason
    with pytest.raises(RecordError, match=r"run\.trec:2: expected 6 fields"):
        read_run(path)


def test_read_qrels_beir_with_header_and_trec_format(tmp_path):
    beir = tmp_path / "qrels.tsv"
    beir.write_text("query-id\tcorpus-id\tscore\n1\t31715818\t1\n1\t123\t0\n3\t14717500\t2\n")
    assert read_qrels(beir) == {"1": {"31715818": 1.0, "123": 0.0}, "3": {"14717500": 2.0}}
    trec = tmp_path / "qrels.txt"
    trec.write_text("q1 0 dA 1\nq1 0 dB 0\nq2 0 dC 3\n")
    assert read_qrels(trec) == {"q1": {"dA": 1.0, "dB": 0.0}, "q2": {"dC": 3.0}}
    bad = tmp_path / "bad.tsv"
    bad.write_text("q1\td1\t1\nq1\td2\tyes\nq1 d3\n")
    errors: list[RecordError] = []
    assert read_qrels(bad, errors) == {"q1": {"d1": 1.0}}
    assert [e.line for e in errors] == [2, 3]
    assert str(errors[0]).startswith(f"{bad}:2: relevance 'yes'")


def test_read_queries_beir_and_scifact_forms(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text(
        json.dumps({"_id": "q1", "text": "first"})
        + "\n{not json\n"
        + json.dumps({"id": 7, "claim": "second", "evidence": {}})
        + "\n"
        + json.dumps({"title": "no id"})
        + "\n"
    )
    errors: list[RecordError] = []
    assert read_queries(path, errors) == [("q1", "first"), ("7", "second")]
    assert [e.line for e in errors] == [2, 4]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        read_run(tmp_path / "absent.trec")


def test_write_run_ranks_in_trec_eval_order_and_round_trips(tmp_path):
    run = {"q1": {"a": 1.0, "b": 1.0, "c": 0.1 + 0.2}, "q2": {"x": 5.0}}
    path = tmp_path / "out" / "run.trec"
    write_run(path, run)
    lines = path.read_text().splitlines()
    assert [line.split()[2:4] for line in lines[:3]] == [["b", "1"], ["a", "2"], ["c", "3"]]
    assert lines[0].split()[5] == "litsynth"
    assert read_run(path) == run
    with pytest.raises(Exception, match="white space"):
        write_run(tmp_path / "bad.trec", {"q 1": {"a": 1.0}})


def _write(path, text):
    path.write_text(text)
    return path


def test_retrieval_task_scores_a_run_file_computed_by_hand(tmp_path):
    qrels = _write(
        tmp_path / "qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\nq2\td3\t1\n"
    )
    run = _write(
        tmp_path / "run.trec",
        "q1 Q0 d9 1 3.0 x\nq1 Q0 d1 2 2.0 x\nq1 Q0 d2 3 1.0 x\nq3 Q0 d3 1 1.0 x\n",
    )
    # q1: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3). q2 is missing from the run: 0.
    q1_ndcg = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    out = tmp_path / "eval"
    metrics = eval_retrieval(out, qrels=qrels, predictions=run)
    assert metrics["ndcg@10"] == pytest.approx(q1_ndcg / 2)
    assert metrics["mrr@10"] == pytest.approx(0.25)
    assert metrics["recall@10"] == pytest.approx(0.5)
    saved = json.loads((out / "metrics.json").read_text())
    assert {"ndcg@10", "recall@10", "recall@100", "mrr@10", "num_queries"} <= set(saved)
    assert saved["num_queries"] == 2
    assert (out / "ndcg_hist.png").read_bytes()[:4] == b"\x89PNG"
    assert "ndcg@10" in (out / "report.md").read_text()
    assert not (out / "run.trec").exists()
    assert (
        eval_retrieval(tmp_path / "e2", qrels=qrels, predictions=run, limit=1)["num_queries"] == 1
    )


def test_retrieval_task_runs_run_fn_and_saves_the_run(tmp_path):
    qrels = _write(tmp_path / "qrels.tsv", "q1\td1\t1\nq2\td2\t1\n")
    queries = _write(
        tmp_path / "queries.jsonl",
        "".join(
            json.dumps({"_id": qid, "text": text}) + "\n"
            for qid, text in [("q1", "alpha"), ("q2", "beta"), ("q9", "x")]
        ),
    )
    asked: list[tuple[list[tuple[str, str]], int]] = []

    def run_fn(pairs, k):
        asked.append((pairs, k))
        return {qid: [("d1", 0.5), ("d2", 0.4)] for qid, _ in pairs}

    out = tmp_path / "eval"
    metrics = eval_retrieval(out, qrels=qrels, queries=queries, run_fn=run_fn, k=50)
    assert asked == [([("q1", "alpha"), ("q2", "beta")], 50)]  # q9 has no qrels: not run
    assert metrics["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert read_run(out / "run.trec") == {
        "q1": {"d1": 0.5, "d2": 0.4},
        "q2": {"d1": 0.5, "d2": 0.4},
    }
    with pytest.raises(UsageError):
        eval_retrieval(out, qrels=qrels)


def test_reads_the_shared_scifact_qrels(tmp_path):
    qrels_path = shared_file("scifact", "derived", "beir_qrels_train.tsv")
    qrels = read_qrels(qrels_path)
    assert len(qrels) == 809
    assert sum(len(docs) for docs in qrels.values()) == 919
    run = tmp_path / "perfect.trec"
    write_run(run, {qid: dict.fromkeys(docs, 1.0) for qid, docs in qrels.items()})
    metrics = eval_retrieval(tmp_path / "eval", qrels=qrels_path, predictions=run)
    assert metrics["ndcg@10"] == pytest.approx(1.0)
    assert metrics["num_queries"] == 809

"""The answer-scoring tasks end to end: files written, predictions scoring, run functions,
the LM-judged rubric task, and the compare table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_fakes import FakeJudge, shared_file

from litsynth.errors import LitsynthError, UsageError
from litsynth.evaluate import compare_runs, eval_cs_rubric, eval_multi, eval_single_paper, run_task
from litsynth.evaluate.multi import paper_keys
from litsynth.llm.base import Completion


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


SCIFACT_ROWS = [
    {
        "input": "Aspirin reduces fever.",
        "gold_ctx": [{"title": "Aspirin trial", "text": "It is true that aspirin reduces fever."}],
        "answer": "true",
    },
    {
        "input": "Aspirin cures cancer.",
        "gold_ctx": [{"title": "Oncology", "text": "Aspirin does not cure cancer."}],
        "answer": "false",
    },
    {"input": "Cats sleep all day.", "gold_ctx": [], "answer": "true"},
]


def test_scifact_from_a_predictions_file(tmp_path):
    data = write_jsonl(tmp_path / "scifact.jsonl", SCIFACT_ROWS)
    predictions = write_jsonl(
        tmp_path / "preds.jsonl",
        [
            {"input": "Aspirin reduces fever.", "output": "True [0]."},
            # strict: unparsed (wrong); reference rule: "false" is a substring (right)
            {"input": "aspirin cures  cancer", "output": "It is not clear that this is false."},
        ],
    )
    out = tmp_path / "eval"
    metrics = eval_single_paper(
        "scifact", out, data=data, predictions=predictions, judge=FakeJudge(), zero_based=True
    )
    assert metrics["num_queries"] == 3 and metrics["missing_predictions"] == 1
    assert metrics["accuracy"] == pytest.approx(1 / 3)
    assert metrics["accuracy_compat"] == pytest.approx(2 / 3)
    assert metrics["unparsed"] == 1
    # Answer 1 ("Aspirin reduces fever. True." cites the gold passage) is supported; answer 2
    # cites nothing: recall 0, and no precision to average.
    assert metrics["citation_recall"] == pytest.approx(0.5)
    assert metrics["citation_precision"] == 1.0
    assert metrics["hallucinated_reference_rate"] == 0.0
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["judge"] == "fake-word-overlap" and saved["citation_mode"] == "strict"
    report = (out / "report.md").read_text()
    assert "fake-word-overlap" in report and "Flan-T5-XL" in report
    assert (out / "labels.png").read_bytes()[:4] == b"\x89PNG"
    per_query = [json.loads(line) for line in (out / "per_query.jsonl").read_text().splitlines()]
    assert [q.get("parsed") for q in per_query] == ["true", None, None]

    limited = eval_single_paper(
        "scifact", tmp_path / "e2", data=data, predictions=predictions, limit=1
    )
    assert (limited["num_queries"], limited["accuracy"]) == (1, 1.0)
    assert "citation_recall" not in limited
    assert "not computed" in (tmp_path / "e2" / "report.md").read_text()


def test_gold_labels_can_come_from_the_predictions_file(tmp_path):
    predictions = write_jsonl(
        tmp_path / "preds.jsonl",
        [
            {"input": "q1", "output": "Yes.", "answer": "yes"},
            {"input": "q2", "output": "Yes.", "answer": "no"},
        ],
    )
    metrics = eval_single_paper("pubmedqa", tmp_path / "eval", predictions=predictions)
    assert metrics["accuracy"] == pytest.approx(0.5)


def test_pubmedqa_through_label_fn_reports_usage_and_latency(tmp_path):
    rows = [
        {
            "input": "Does aspirin reduce fever?",
            "gold_ctx": [
                {"title": "", "text": {"contexts": ["Yes: does aspirin reduce fever?", "It does."]}}
            ],
            "answer": "yes",
        }
    ]
    data = write_jsonl(tmp_path / "pubmed.jsonl", rows)
    seen = []

    def label_fn(task, question, ctxs):
        seen.append((task, question, ctxs))
        usage = {
            "prompt_tokens": 120,
            "completion_tokens": 8,
            "cost_usd": None,
            "seconds": 1.5,
            "stages": {"draft": {"seconds": 1.2}, "verification": {"seconds": 0.3}},
        }
        return {"output": "Yes [1].", "ctxs": ctxs, "usage": usage}

    out = tmp_path / "eval"
    metrics = eval_single_paper("pubmedqa", out, data=data, label_fn=label_fn, judge=FakeJudge())
    assert seen[0][0] == "pubmedqa"
    assert seen[0][2] == [{"title": "", "text": "Yes: does aspirin reduce fever? It does."}]
    assert (metrics["accuracy"], metrics["citation_recall"], metrics["citation_precision"]) == (
        1.0,
        1.0,
        1.0,
    )
    report = (out / "report.md").read_text()
    assert "Cost and latency" in report and "| draft | 1.200 |" in report and "unknown" in report
    assert (out / "latency.png").is_file()


def test_single_paper_needs_an_answer_source(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", SCIFACT_ROWS)
    with pytest.raises(UsageError, match="predictions"):
        eval_single_paper("scifact", tmp_path / "eval", data=data)
    with pytest.raises(UsageError, match="unknown eval task"):
        run_task("qasa", tmp_path / "eval")


A_ID, B_ID = "a" * 40, "b" * 40


def test_multi_expert_paper_recall_and_citations(tmp_path):
    data = tmp_path / "human_answers.json"
    data.write_text(
        json.dumps(
            [
                {
                    "id": "q1",
                    "input": "How do lipid nanoparticles form a corona?",
                    "output": "Proteins adsorb [0]. Charge matters [1].",
                    "ctxs": [
                        {
                            "title": "Paper A",
                            "text": "...",
                            "url": f"https://www.semanticscholar.org/paper/{A_ID}",
                        },
                        {
                            "title": "Paper B",
                            "text": "...",
                            "url": f"https://www.semanticscholar.org/paper/{B_ID}",
                        },
                    ],
                },
                {
                    "id": "q2",
                    "input": "Which models predict molecules?",
                    "output": "Graph networks [0].",
                    "ctxs": [
                        {"title": "Graph neural networks for molecules", "text": "...", "url": None}
                    ],
                },
                {
                    "id": "q3",
                    "input": "Unanswered question?",
                    "output": "x [0]",
                    "ctxs": [{"title": "Z"}],
                },
            ]
        )
    )
    predictions = write_jsonl(
        tmp_path / "preds.jsonl",
        [
            {
                "input": "How do lipid nanoparticles form a corona?",
                "output": "Proteins adsorb onto particles [1].",
                "ctxs": [
                    {
                        "paper_id": f"s2:{A_ID}",
                        "title": "Other title",
                        "text": "Proteins adsorb onto particles.",
                    }
                ],
            },
            {
                "id": "q2",
                "output": "Graph networks predict molecules [1].",
                "ctxs": [
                    {
                        "title": "Graph Neural Networks for Molecules!",
                        "text": "Graph networks predict molecules.",
                    }
                ],
            },
        ],
    )
    out = tmp_path / "eval"
    metrics = eval_multi(out, data=data, predictions=predictions, judge=FakeJudge())
    # q1: paper A found by S2 id, B not (1/2); q2: found by normalised title (1); q3: missing (0).
    assert metrics["expert_paper_recall"] == pytest.approx(0.5)
    assert metrics["missing_predictions"] == 1
    assert (metrics["citation_recall"], metrics["citation_precision"]) == (1.0, 1.0)
    assert (out / "expert_recall.png").is_file()
    assert paper_keys({"url": f"https://www.semanticscholar.org/paper/Some-Title/{A_ID}"}) == {
        f"s2:{A_ID}"
    }


def test_multi_reads_the_shared_human_answers(tmp_path):
    data = shared_file("scholarqabench", "data", "scholarqa_multi", "human_answers.json")
    rows = json.loads(data.read_text())[:3]
    # Answering with the expert's own snippets finds every expert paper.
    metrics = eval_multi(
        tmp_path / "eval",
        data=data,
        answer_fn=lambda q: next(r for r in rows if r["input"] == q),
        limit=3,
    )
    assert (metrics["num_queries"], metrics["expert_paper_recall"]) == (3, 1.0)


class FakeRubricLLM:
    """Stands in for the judging LM: fixed scores per kind of request, garbage for criteria
    that contain FAILME."""

    name = "fake-rubric-lm"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def chat(
        self, messages, *, max_tokens, temperature=0.0, json_schema=None, stop=None, grammar=None
    ):
        user = messages[-1]["content"]
        self.prompts.append(user)
        if "<snippets>" in user:
            text = '{"score": 1}'
        elif "FAILME" in user:
            text = "I cannot grade this."
        elif "expertise" in user:
            text = '{"score": 10}'
        else:
            text = '{"score": 5}'
        return Completion(
            text=text, prompt_tokens=10, completion_tokens=5, seconds=0.0, model=self.name
        )

    def count_tokens(self, text: str) -> int:
        return len(text.split())


RUBRIC_CONFIGS = [
    {
        "case_id": "c1",
        "initial_prompt": "Which datasets evaluate Python type inference?",
        "metric_config": {
            "name": "rubric_corpusqa_generic",
            "config": {
                "question": "Which datasets evaluate Python type inference?",
                "low_length": 300,
                "high_length": 600,
                "length_weight": 0.05,
                "expertise_weight": 0.05,
                "other_properties": [
                    {
                        "name": "item0",
                        "criterion": "Names datasets.",
                        "weight": 0.3,
                        "evidence": ["a", "b"],
                    },
                    {
                        "name": "item1",
                        "criterion": "FAILME explains metrics.",
                        "weight": 0.2,
                        "evidence": [],
                    },
                    {"name": "item2", "criterion": "", "weight": 0.1, "evidence": ["c"]},
                ],
            },
        },
    },
    {
        "case_id": "c2",
        "initial_prompt": "Unanswered?",
        "metric_config": {"config": {"question": "Unanswered?"}},
    },
]


def test_cs_rubric_without_an_lm_names_the_llm_flag(tmp_path):
    data = tmp_path / "configs.json"
    data.write_text(json.dumps(RUBRIC_CONFIGS))
    with pytest.raises(LitsynthError, match="--llm"):
        eval_cs_rubric(tmp_path / "eval", data=data)


def test_cs_rubric_counts_judge_failures_instead_of_scoring_zero(tmp_path):
    data = tmp_path / "configs.json"
    data.write_text(json.dumps(RUBRIC_CONFIGS))
    predictions = write_jsonl(
        tmp_path / "answers.jsonl",
        [{"case_id": "c1", "output": "ManyTypes4Py and TypeEvalPy [1]."}],
    )
    llm = FakeRubricLLM()
    out = tmp_path / "eval"
    metrics = eval_cs_rubric(out, data=data, llm=llm, predictions=predictions)
    # item0: criterion 5/10 (weight 0.15) + evidence 1 of 2 (0.15); item1: judge failure, left
    # out; item2: evidence 1 of 1 (0.1). Rubric = (0.075 + 0.075 + 0.1) / 0.4.
    assert metrics["rubric_score"] == pytest.approx(0.625)
    # Overall adds length 1.0 (5 words) and expertise 1.0, weight 0.05 each.
    assert metrics["rubric_overall"] == pytest.approx((0.25 + 0.1) / 0.5)
    assert metrics["judge_failures"] == 1
    assert (metrics["answered"], metrics["missing_predictions"]) == (1, 1)
    assert metrics["judge"] == "fake-rubric-lm"
    assert any("ManyTypes4Py" in p for p in llm.prompts)
    assert "Judge failures (1)" in (out / "report.md").read_text()
    assert (out / "rubric.png").is_file()


def test_cs_rubric_reads_the_shared_configs(tmp_path):
    data = shared_file("scholarqabench", "data", "scholarqa_cs", "test_configs_snippets.json")
    metrics = eval_cs_rubric(
        tmp_path / "eval",
        data=data,
        llm=FakeRubricLLM(),
        answer_fn=lambda q: {"output": "An answer."},
        limit=2,
    )
    assert metrics["answered"] == 2 and metrics["rubric_score"] is not None


def test_single_paper_reads_the_shared_scifact_file(tmp_path):
    data = shared_file("scholarqabench", "data", "single_paper_tasks", "scifact_test.jsonl")
    rows = [json.loads(line) for line in data.read_text().splitlines()[:6]]
    predictions = write_jsonl(
        tmp_path / "p.jsonl", [{"input": r["input"], "output": "True."} for r in rows]
    )
    metrics = eval_single_paper(
        "scifact", tmp_path / "eval", data=data, predictions=predictions, limit=6
    )
    assert metrics["accuracy"] == pytest.approx(sum(r["answer"] == "true" for r in rows) / 6)


def test_compare_runs_tabulates_metrics_side_by_side(tmp_path):
    for name, metrics in {
        "bm25": {"ndcg@10": 0.69, "num_queries": 809},
        "hybrid": {"ndcg@10": 0.71123456},
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    table = compare_runs([tmp_path / "bm25", tmp_path / "hybrid"])
    lines = table.splitlines()
    assert lines[0] == "| metric | bm25 | hybrid |"
    assert "| ndcg@10 | 0.6900 | 0.7112 |" in lines
    assert "| num_queries | 809 | - |" in lines
    with pytest.raises(LitsynthError, match=r"metrics\.json"):
        compare_runs([tmp_path / "absent"])

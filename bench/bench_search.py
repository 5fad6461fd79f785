"""Search and ask latency in process with warm models, CLI start-up time, peak memory, and
SciFact retrieval quality (BM25 alone, dense alone, fused).

    python bench/bench_search.py [--home DIR] [--runs 7]

Builds (or reuses) a datastore of the SciFact corpus in --home (default: a cache folder),
then prints a Markdown block for BENCHMARKS.md. SciFact is a test fixture (CC BY-NC): it is
read from ../shared/data, never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from litsynth import Litsynth, load_settings
from litsynth.evaluate.metrics import evaluate_run
from litsynth.evaluate.trec import read_qrels, read_queries
from litsynth.retrieve.fusion import best_per_paper

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scifact" / "derived"
QUESTIONS = [
    "Does vitamin D supplementation reduce fracture risk?",
    "What is the role of microRNA in cancer progression?",
    "How does obesity affect insulin resistance?",
    "Are statins associated with reduced mortality?",
    "What mechanisms link inflammation and atherosclerosis?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def channel_run(ls: Litsynth, queries: list[tuple[str, str]], channel: str, k: int = 100):  # type: ignore[no-untyped-def]
    from litsynth.sources.local import LocalSource

    local = LocalSource(ls.datastore, ls.settings.retrieval)
    run = {}
    if channel == "dense":
        vectors = ls.datastore.encode_queries([t for _, t in queries])
        lists = ls.datastore.search_dense_vectors(vectors, 200)
    for i, (qid, text) in enumerate(queries):
        scored = lists[i] if channel == "dense" else ls.datastore.search_bm25(text, 200)
        hits = best_per_paper(local.channel_hits(scored, channel))[:k]
        run[qid] = {h.paper.raw_id(): h.score for h in hits}
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=Path("~/.cache/litsynth/bench-scifact"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    settings = load_settings(overrides={"home": str(args.home.expanduser())})
    with Litsynth(settings, llm=False) as ls:
        started = time.perf_counter()
        report = ls.ingest([DATA / "corpus.jsonl.gz"], "scifact", progress=False)
        print(
            f"ingest: {report.summary_text()} in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        queries = read_queries(DATA / "claims_train.jsonl")
        qrels = read_qrels(DATA / "beir_qrels_train.tsv")
        quality = {
            "bm25": evaluate_run(qrels, channel_run(ls, queries, "bm25")),
            "dense": evaluate_run(qrels, channel_run(ls, queries, "dense")),
            "fused": evaluate_run(
                qrels, {q: dict(docs) for q, docs in ls.search_batch(queries, 100).items()}
            ),
        }
        ls.search("warm up", 10)
        search_ms = timed(lambda: [ls.search(q, 10) for q in QUESTIONS[:1]], args.runs)
        ask_ms = timed(lambda: ls.ask(QUESTIONS[1]), max(5, args.runs // 2))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cli_ms = timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "litsynth", "--help"], capture_output=True, check=True
        ),
        5,
    )
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "quality": quality,
        "search_ms": {"median": statistics.median(search_ms), "p95": percentile(search_ms, 0.95)},
        "ask_extractive_ms": {"median": statistics.median(ask_ms), "p95": percentile(ask_ms, 0.95)},
        "cli_help_ms": {"median": statistics.median(cli_ms)},
        "peak_rss_mb": peak_mb,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

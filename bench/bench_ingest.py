"""Ingest throughput: the SciFact corpus into a fresh temporary home.

    python bench/bench_ingest.py [--limit N] [--batch 64] [--threads T]

Prints passages/s overall and for each step (parse, chunk, embed, index), the datastore's
size on disk and the peak RSS of this process. SciFact is a test fixture (CC BY-NC): it is read
from ../shared/data, never copied into the repository; ``--limit`` writes the first N records
to a temporary file outside the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import sys
import tempfile
from pathlib import Path

from litsynth.config import load_settings
from litsynth.corpus.ingest import ingest
from litsynth.index.datastore import Datastore

CORPUS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scifact" / "derived"
).resolve() / "corpus.jsonl.gz"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}/s" if seconds > 0 else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="ingest only the first N records")
    parser.add_argument("--batch", type=int, default=64, help="papers per committed batch")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"SciFact corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="litsynth-bench-ingest-") as tmp:
        source = CORPUS
        if args.limit:
            source = Path(tmp) / "corpus.jsonl.gz"
            with gzip.open(CORPUS, "rt", encoding="utf-8") as src:
                head = [line for _, line in zip(range(args.limit), src, strict=False)]
            with gzip.open(source, "wt", encoding="utf-8") as dst:
                dst.writelines(head)
        settings = load_settings(overrides={"home": str(Path(tmp) / "home")})
        with Datastore.open(settings) as datastore:
            report = ingest(datastore, [source], batch_papers=args.batch, progress=False)
        with Datastore.open(settings, create=False) as datastore:
            stats = datastore.stats()
    passages = report.passages_added
    seconds = report.to_dict()["seconds"]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"## Ingest: SciFact corpus ({report.records_seen} records)\n")
    print(f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"- settings: {settings.embedding.model}, chunk {settings.chunk.max_tokens} tokens, "
        f"FAISS {settings.index.factory}, batch {args.batch} papers"
    )
    print(f"- papers {report.papers_added}, passages {passages}, skipped {report.records_skipped}")
    print(f"- total {seconds['total']:.1f} s = {_rate(passages, seconds['total'])} passages")
    for step in ("parse", "chunk", "embed", "index"):
        print(f"  - {step}: {seconds[step]:.1f} s ({_rate(passages, seconds[step])} passages)")
    print(f"- disk: {stats['disk']['total_bytes'] / 2**20:.1f} MiB")
    print(f"- peak RSS: {peak_mib:,.0f} MiB")
    print("\n```json\n" + json.dumps(report.to_dict()["seconds"]) + "\n```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Peak memory and time of reading and chunking one giant JSONL record (no embedding).

    python bench/bench_chunk_memory.py [--mb 20] [--one-sentence]

Writes one record of about ``--mb`` MB of generated sentences (``--one-sentence``: lower-cased
and without sentence ends, the worst case for the sentence splitter) to a temporary file, then
reads and chunks it with the default settings. Prints the process's peak RSS after loading the
tokenizer, after reading and after chunking (Linux ``ru_maxrss``), the passage count and the
chunking time. Embedding is left out on purpose: it is the same per passage for any record
size, and at about 16 passages/s a 20 MB record would take half an hour.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from litsynth.config import ChunkSettings, EmbeddingSettings
from litsynth.corpus.chunker import chunk_document
from litsynth.corpus.readers import read_jsonl
from litsynth.index.encoder import load_tokenizer

WORDS = (
    "protein binding cell assay cohort patients outcome significant increase decrease receptor "
    "kinase pathway expression model analysis sample measured observed dose response mortality "
    "risk ratio trial randomized placebo effect gene mutation tumor inflammation therapy"
).split()


def peak_mb() -> int:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def generated_text(size: int, *, one_sentence: bool) -> str:
    """About ``size`` characters of varied sentences, a paragraph break every 40."""
    rng = random.Random(7)
    parts: list[str] = []
    length = 0
    while length < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 30))]
        sentence = " ".join(words).capitalize() + rng.choice(".?!")
        parts.append(sentence)
        length += len(sentence) + 1
        if len(parts) % 40 == 0:
            parts.append("\n\n")
    text = " ".join(parts)
    return text.lower().replace(".", "").replace("?", "").replace("!", "") if one_sentence else text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--one-sentence", action="store_true")
    args = parser.parse_args()

    model = EmbeddingSettings().model
    load_tokenizer(model)
    print(f"peak after loading the tokenizer: {peak_mb()} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.jsonl"
        text = generated_text(int(args.mb * 1_000_000), one_sentence=args.one_sentence)
        record = {"id": "big-1", "title": "A giant full text", "abstract": "Short.", "text": text}
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        del text, record
        (document,) = list(read_jsonl(path))
    print(f"peak after reading a {args.mb:g} MB record: {peak_mb()} MB")
    started = time.perf_counter()
    passages = chunk_document(document, ChunkSettings(), model)
    seconds = time.perf_counter() - started
    print(f"peak after chunking: {peak_mb()} MB; {len(passages)} passages in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""LM-mode ask: per-question latency and tokens per stage over the demo questions.

    python bench/bench_ask_lm.py --llm ~/.cache/litsynth/models/qwen2.5-coder-1.5b.gguf \
        [--home DIR] [--preset fast] [--questions 2] [--n-threads 2] [--json-out FILE]

``--llm`` takes what ``LITSYNTH_LLM`` takes (a .gguf path, an http(s):// OpenAI-compatible
server, an installed model name) and defaults to that variable. The demo datastore is built in
--home (default: the demo cache folder) if it is not there yet. Prints a Markdown block for
BENCHMARKS.md: one row per question and stage with seconds, prompt tokens (and how many were
actually evaluated, i.e. not served from the prefix cache), completion tokens, plus the totals
against the targets (at most 4k evaluated prompt tokens and 120 s per question on 2 cores with
the 1.5B model).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from litsynth import Litsynth, load_settings
from litsynth.config import DEFAULT_DEMO_HOME
from litsynth.demo import SAMPLE_QUESTIONS, build_demo
from litsynth.records import Answer

TARGET_EVALUATED_TOKENS = 4000
TARGET_SECONDS = 120.0


def stage_rows(answer: Answer) -> list[dict[str, Any]]:
    """One row per stage: name, seconds, tokens, evaluated prompt tokens, skipped reason."""
    return [
        {
            "stage": s.name,
            "seconds": round(s.seconds, 2),
            "tokens_in": s.tokens_in,
            "evaluated_in": s.data.get("evaluated_prompt_tokens", s.tokens_in),
            "tokens_out": s.tokens_out,
            "skipped": s.skipped,
        }
        for s in answer.stages
    ]


def summarise(question: str, answer: Answer, seconds: float) -> dict[str, Any]:
    rows = stage_rows(answer)
    judge = next((s for s in answer.stages if s.name == "judge"), None)
    verification = next((s for s in answer.stages if s.name == "verification"), None)
    shares = verification.data if verification and not verification.skipped else {}
    return {
        "question": question,
        "mode": answer.mode,
        "seconds": round(seconds, 2),
        "tokens_in": sum(r["tokens_in"] for r in rows),
        "evaluated_in": sum(r["evaluated_in"] for r in rows),
        "tokens_out": sum(r["tokens_out"] for r in rows),
        "ctxs": len(answer.ctxs),
        "citations": len(answer.citations),
        "supported": sum(c.verdict == "supported" for c in answer.citations),
        "supported_share_before": shares.get("supported_share_before"),
        "supported_share_after": shares.get("supported_share_after"),
        "revision": judge.data.get("reason") if judge and not judge.skipped else None,
        "warnings": answer.warnings,
        "stages": rows,
        "output": answer.text,
        "trace": answer.trace(),
    }


def markdown(results: list[dict[str, Any]], header: dict[str, Any]) -> str:
    lines = [
        f"### ask (LM mode): {header['llm']}",
        "",
        f"{header['machine']}; preset {header['preset']}; model load {header['load_s']} s.",
        "",
        "| question | stage | seconds | prompt tok | evaluated | completion tok | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for number, result in enumerate(results, start=1):
        for row in result["stages"]:
            note = f"skipped: {row['skipped']}" if row["skipped"] else ""
            lines.append(
                f"| Q{number} | {row['stage']} | {row['seconds']} | {row['tokens_in']} | "
                f"{row['evaluated_in']} | {row['tokens_out']} | {note} |"
            )
        within = (
            result["seconds"] <= TARGET_SECONDS
            and result["evaluated_in"] <= TARGET_EVALUATED_TOKENS
        )
        lines.append(
            f"| Q{number} | **total** | **{result['seconds']}** | {result['tokens_in']} | "
            f"**{result['evaluated_in']}** | {result['tokens_out']} | "
            f"{'within' if within else 'OVER'} target; {result['supported']}/"
            f"{result['citations']} citations supported; cited sentences accepted "
            f"{_share(result['supported_share_before'])} before verification, "
            f"{_share(result['supported_share_after'])} after |"
        )
    lines += ["", "Questions:"]
    lines += [f"- Q{i}: {r['question']} ({r['mode']})" for i, r in enumerate(results, 1)]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm", default=os.environ.get("LITSYNTH_LLM"))
    parser.add_argument("--home", type=Path, default=DEFAULT_DEMO_HOME.expanduser())
    parser.add_argument("--preset", default=None, help="settings preset, e.g. fast")
    parser.add_argument("--questions", type=int, default=len(SAMPLE_QUESTIONS))
    parser.add_argument("--n-threads", type=int, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    if not args.llm:
        parser.error("give --llm (a .gguf path, URL or model name) or set LITSYNTH_LLM")

    settings = load_settings(
        preset=args.preset,
        overrides={"home": str(args.home), "llm.n_threads": args.n_threads},
    )
    print(f"building/reusing the demo datastore in {args.home} ...", file=sys.stderr)
    build_demo(settings, progress=False)
    load_before = os.getloadavg()[0]
    with Litsynth(settings, llm=args.llm) as ls:
        started = time.perf_counter()
        llm = ls.llm
        load_s = round(time.perf_counter() - started, 1)
        if llm is None:
            parser.error(f"no LM could be loaded from {args.llm!r}")
        results = []
        for question in SAMPLE_QUESTIONS[: args.questions]:
            print(f"asking: {question}", file=sys.stderr)
            started = time.perf_counter()
            answer = ls.ask(question)
            results.append(summarise(question, answer, time.perf_counter() - started))
    header = {
        "llm": llm.name,
        "preset": args.preset or "default",
        "load_s": load_s,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, n_threads={args.n_threads}, "
        f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}",
    }
    print(markdown(results, header))
    if args.json_out:
        args.json_out.write_text(json.dumps({**header, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

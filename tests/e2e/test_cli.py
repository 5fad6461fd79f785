"""The CLI as users and scripts see it: JSON shapes on stdout, exit codes, --home placement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litsynth.cli import app

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env or {})


@pytest.mark.slow
def test_search_json_shape_and_home_after_subcommand(demo_home: Path) -> None:
    result = invoke(
        "search",
        "gravitational waves binary neutron star",
        "-k",
        "4",
        "--json",
        "--home",
        str(demo_home),
    )
    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert [h["rank"] for h in hits] == [1, 2, 3, 4]
    for hit in hits:
        assert set(hit) >= {
            "rank",
            "passage_id",
            "paper_id",
            "source_id",
            "title",
            "year",
            "text",
            "scores",
            "score",
        }
        assert set(hit["scores"]) == {"dense", "bm25", "s2", "openalex", "web", "rerank"}
    assert hits[0]["scores"]["s2"] is None


@pytest.mark.slow
def test_ask_json_trace_and_out_with_home_before_subcommand(
    demo_home: Path, tmp_path: Path
) -> None:
    trace, out = tmp_path / "t.json", tmp_path / "a.md"
    result = invoke(
        "--home",
        str(demo_home),
        "ask",
        "Can a mosquito carry several dengue virus types?",
        "--no-llm",
        "--json",
        "--trace",
        str(trace),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"input", "output", "ctxs", "references", "mode", "usage", "warnings"} <= doc.keys()
    assert doc["mode"] == "extractive"
    assert {"prompt_tokens", "completion_tokens", "cost_usd", "seconds", "stages"} <= doc[
        "usage"
    ].keys()
    traced = json.loads(trace.read_text())
    assert [s["name"] for s in traced["stages"]] == ["retrieve", "extract", "verification"]
    markdown = out.read_text()
    assert "## References" in markdown and "[1]" in markdown


@pytest.mark.slow
def test_batch_search_writes_a_trec_run(demo_home: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"_id": "q1", "text": "diphoton production cross sections"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "dengue virus in mosquitoes"})
        + "\n"
    )
    run = tmp_path / "run.trec"
    result = invoke(
        "search",
        "--queries",
        str(queries),
        "--run-out",
        str(run),
        "-k",
        "5",
        "--home",
        str(demo_home),
    )
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in run.read_text().splitlines()]
    assert len(rows) == 10
    q1 = [r for r in rows if r[0] == "q1"]
    assert [r[3] for r in q1] == ["1", "2", "3", "4", "5"]
    assert q1[0][2] == "0704.0001"  # the raw id from the CSV, no prefix
    assert len({r[2] for r in q1}) == 5 and all(r[5] == "litsynth" for r in rows)


def test_missing_input_is_exit_1(tmp_path: Path) -> None:
    result = invoke("ingest", str(tmp_path / "nope.jsonl"), "--home", str(tmp_path / "h"))
    assert result.exit_code == 1
    assert "nope.jsonl" in result.stderr


def test_live_source_while_offline_is_usage_error(tmp_path: Path) -> None:
    result = invoke("search", "q", "--sources", "local,s2", "--offline", "--home", str(tmp_path))
    assert result.exit_code == 2
    assert "offline" in result.stderr


def test_unknown_flag_is_usage_error() -> None:
    assert invoke("search", "--no-such-flag").exit_code == 2


@pytest.mark.slow
def test_ingest_bad_records_exit_0_strict_exit_1(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"_id": "a", "title": "Protein folding by neural networks", "text": "We predict '
        'structures of proteins with deep learning."}\n'
        "{not json\n"
        '{"_id": "b", "title": "Coral bleaching", "text": "Warming seas bleach corals."}\n'
    )
    home = tmp_path / "h"
    result = invoke("ingest", str(corpus), "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert "corpus.jsonl:2" in result.stderr
    status = json.loads(invoke("status", "--json", "--home", str(home)).stdout)
    assert status["papers"] == 2
    assert status["sources"][0]["format"] == "beir"  # the detected format, not "auto"
    assert (
        "corpus.jsonl  [beir] 3 records, 2 new papers"
        in invoke("status", "--home", str(home)).stdout
    )
    other = tmp_path / "other.jsonl"
    other.write_text(corpus.read_text().replace('"a"', '"c"').replace('"b"', '"d"'))
    strict = invoke("ingest", str(other), "--strict", "--home", str(home))
    assert strict.exit_code == 1
    assert json.loads(invoke("status", "--json", "--home", str(home)).stdout)["papers"] >= 2


@pytest.mark.slow
def test_ingest_warns_on_stderr_about_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    corpus = tmp_path / "latin.jsonl"
    corpus.write_bytes(
        b'{"_id": "a", "title": "Coral bleaching", "text": "Warming seas bleach corals."}\n'
        b'{"_id": "b", "title": "Caf\xe9 culture", "text": "Na\xefve coffee drinkers."}\n'
    )
    result = invoke("ingest", str(corpus), "--json", "--home", str(tmp_path / "h"))
    assert result.exit_code == 0, result.stderr
    assert f"warning: {corpus}:2: not valid UTF-8" in result.stderr
    assert json.loads(result.stdout)["papers_added"] == 2


def test_verify_prints_verdict_lines(tmp_path: Path) -> None:
    answer = {
        "output": "Corals bleach when seas warm [1]. Pianos have 88 keys [2].",
        "ctxs": [
            {"title": "Coral bleaching", "text": "Corals bleach when seas warm."},
        ],
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answer))
    fixed = tmp_path / "fixed.json"
    result = invoke("verify", str(path), "--out", str(fixed), "--home", str(tmp_path / "h"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("S0 [1] supported") for line in lines)
    assert any(line.startswith("S1 [2] out-of-range") for line in lines)
    written = json.loads(fixed.read_text())
    assert "[2]" not in written["output"] and written["ctxs"] == answer["ctxs"]
    assert "verification" in written


def test_verify_skips_a_bad_jsonl_line_and_keeps_it(tmp_path: Path) -> None:
    answer = {"output": "Corals bleach [1].", "ctxs": [{"text": "Corals bleach [x]."}]}
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps(answer) + "\n{broken [red]\n")
    fixed = tmp_path / "fixed.jsonl"
    result = invoke("verify", str(path), "--out", str(fixed), "--home", str(tmp_path / "h"))
    assert result.exit_code == 0, result.stderr
    assert "answers.jsonl:2: not valid JSON" in result.stderr
    assert "skipped 1 of 2 answers" in result.stderr
    assert result.stdout.splitlines()[-2:] == ["# answer 2", "skipped"]
    assert fixed.read_text().splitlines()[1] == "{broken [red]"


def test_verify_unreadable_file_is_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = invoke("verify", str(bad), "--home", str(tmp_path / "h"))
    assert result.exit_code == 1 and "bad.json" in result.stderr


def test_installed_command_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    for args in (["search", "x", "-k", "0"], ["frobnicate"], ["search", "--bogus-flag"]):
        proc = subprocess.run(
            [sys.executable, "-m", "litsynth", *args], capture_output=True, text=True
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_search_in_a_home_without_datastore_is_exit_1(tmp_path: Path) -> None:
    result = invoke("search", "anything", "--home", str(tmp_path / "typo"))
    assert result.exit_code == 1
    assert "litsynth ingest" in result.stderr or "no datastore" in result.stderr.lower()
    assert not (tmp_path / "typo" / "litsynth.sqlite3").exists()


def test_unknown_format_is_usage_error_and_records_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"_id": "a", "title": "T", "text": "x"}\n')
    result = invoke("ingest", str(corpus), "--format", "bogus", "--home", str(tmp_path / "h"))
    assert result.exit_code == 2
    assert not (tmp_path / "h" / "litsynth.sqlite3").exists()

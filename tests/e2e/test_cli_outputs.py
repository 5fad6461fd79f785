"""Output paths, mode messages and the demo command as users see them: an unwritable path is
one error line (exit 1, no traceback) before any work; missing folders are created by every
command that writes a file; `demo` never adds its papers to a user's store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litsynth.cli import app

runner = CliRunner()
PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self").exists(), reason="needs Linux /proc")


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env or {})


def _clean_error(result, exit_code: int, *needles: str) -> None:  # type: ignore[no-untyped-def]
    """One `error:` line naming the path, the exit code, no traceback."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


@pytest.fixture
def no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An `ask` that got as far as answering fails the test: the path check comes first."""
    from litsynth.session import Litsynth

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("the answer was computed before the output path was checked")

    monkeypatch.setattr(Litsynth, "ask", fail)


def _answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(
        json.dumps({"output": "Corals bleach [1].", "ctxs": [{"text": "Corals bleach."}]})
    )
    return path


# -- 1. unwritable output paths -----------------------------------------------------------------
@pytest.mark.parametrize("option", ["--out", "--trace"])
def test_ask_output_under_a_file_fails_before_the_answer(
    option: str, tmp_path: Path, no_answer: None
) -> None:
    (tmp_path / "a.md").write_text("mine")
    target = tmp_path / "a.md" / ("x.html" if option == "--out" else "t.json")
    # The home has no datastore: an unchecked path would fail on that instead.
    result = invoke(
        "ask", "protein folding", "--no-llm", option, str(target), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 1, f"cannot write {option} {target}", "is a file, not a folder")
    assert (tmp_path / "a.md").read_text() == "mine"


@pytest.mark.parametrize("name", ["litsynth.sqlite3", "litsynth.sqlite3-wal", "dense.faiss"])
def test_outputs_never_overwrite_the_datastore(name: str, tmp_path: Path, no_answer: None) -> None:
    home = tmp_path / "h"
    home.mkdir()
    store_file = home / name
    store_file.write_text("the store")
    for args in (
        ("ask", "q", "--no-llm", "--trace", str(store_file)),
        ("verify", str(_answer_file(tmp_path)), "--out", str(store_file)),
    ):
        result = invoke(*args, "--home", str(home))
        _clean_error(result, 1, f"{store_file}: it is a file of the datastore")
    assert store_file.read_text() == "the store"


def test_out_and_trace_naming_one_file_is_a_usage_error(tmp_path: Path, no_answer: None) -> None:
    same = tmp_path / "same.json"
    result = invoke(
        "ask", "q", "--no-llm", "--out", str(same), "--trace", str(same), "--home", str(tmp_path)
    )
    _clean_error(result, 2, "--out and --trace name the same file")


@needs_proc
@pytest.mark.parametrize("option", ["--out", "--trace"])
def test_ask_output_in_proc_fails_before_the_answer(
    option: str, tmp_path: Path, no_answer: None
) -> None:
    target = PROC / ("a.md" if option == "--out" else "t.json")
    result = invoke(
        "ask", "protein folding", "--no-llm", option, str(target), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 1, f"cannot write {option} {target}")


def test_ask_out_with_unknown_extension_is_usage_error_before_the_answer(
    tmp_path: Path, no_answer: None
) -> None:
    result = invoke(
        "ask", "q", "--no-llm", "--out", str(tmp_path / "a.txt"), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 2, "a.txt")


def test_ask_path_check_leaves_no_folders_behind(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deep" / "a.md"
    result = invoke("ask", "q", "--no-llm", "--out", str(out), "--home", str(tmp_path / "h"))
    _clean_error(result, 1, "no datastore")
    assert not (tmp_path / "new").exists()


@needs_proc
def test_verify_out_in_proc_is_a_clean_error(tmp_path: Path) -> None:
    result = invoke(
        "verify", str(_answer_file(tmp_path)), "--out", "/proc/x.json", "--home", str(tmp_path)
    )
    _clean_error(result, 1, "cannot write --out /proc/x.json")


def test_verify_out_under_a_file_fails_before_verifying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litsynth.synthesize.answer_files as answer_files

    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("verified before the output path was checked")

    monkeypatch.setattr(answer_files, "verify_file", fail)
    (tmp_path / "f").write_text("")
    out = tmp_path / "f" / "x.json"
    result = invoke(
        "verify", str(_answer_file(tmp_path)), "--out", str(out), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 1, f"cannot write --out {out}")


def test_verify_write_failure_after_the_check_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OSError at write time (the path changed after the check) is handled too."""
    import litsynth.render.files as files

    monkeypatch.setattr(files, "check_output", lambda *a, **k: None)
    out = tmp_path / "x.json"
    out.mkdir()
    result = invoke(
        "verify", str(_answer_file(tmp_path)), "--out", str(out), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 1, f"cannot write --out {out}", "it is a folder")


def test_batch_search_run_out_under_a_file_fails_first(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"_id": "q1", "text": "x"}) + "\n")
    run = queries / "run.trec"
    result = invoke(
        "search", "--queries", str(queries), "--run-out", str(run), "--home", str(tmp_path / "h")
    )
    _clean_error(result, 1, f"cannot write --run-out {run}")


def test_run_out_without_queries_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("search", "x", "--run-out", str(tmp_path / "r.trec"), "--home", str(tmp_path))
    _clean_error(result, 2, "--run-out needs --queries")
    assert not (tmp_path / "r.trec").exists()


def test_eval_out_that_is_a_file_fails_first(tmp_path: Path) -> None:
    out = tmp_path / "metrics"
    out.write_text("")
    result = invoke("eval", "retrieval", "--qrels", "q.tsv", "--run", "r.trec", "--out", str(out))
    _clean_error(result, 1, f"cannot write --out {out}", "is a file, not a folder")


# -- 2. every command creates missing parent folders ---------------------------------------------
def test_verify_out_creates_missing_folders(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deep" / "fixed.json"
    result = invoke(
        "verify", str(_answer_file(tmp_path)), "--out", str(out), "--home", str(tmp_path / "h")
    )
    assert result.exit_code == 0, result.stderr
    assert "verification" in json.loads(out.read_text())


@pytest.mark.slow
def test_ask_creates_folders_and_handles_a_write_failure(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "Can a mosquito carry several dengue virus types?"
    out, trace = tmp_path / "new" / "a.html", tmp_path / "other" / "deep" / "t.json"
    args = ("ask", question, "--no-llm", "--home", str(demo_home))
    result = invoke(*args, "--out", str(out), "--trace", str(trace))
    assert result.exit_code == 0, result.stderr
    assert out.read_text().strip() and json.loads(trace.read_text())["stages"]

    import litsynth.render.files as files

    monkeypatch.setattr(files, "check_output", lambda *a, **k: None)
    taken = tmp_path / "taken.md"
    taken.mkdir()
    _clean_error(invoke(*args, "--out", str(taken)), 1, f"cannot write --out {taken}")


# -- 3. the mode line --------------------------------------------------------------------------
@pytest.mark.slow
def test_no_llm_says_it_was_chosen_and_the_real_no_model_case_keeps_its_line(
    demo_home: Path, tmp_path: Path
) -> None:
    question = "Can a mosquito carry several dengue virus types?"
    forced = invoke("ask", question, "--no-llm", "--home", str(demo_home))
    assert forced.exit_code == 0, forced.stderr
    assert "extractive mode (--no-llm)" in forced.stderr
    assert "no language model configured or installed" not in forced.stderr

    env = {"LITSYNTH_MODELS_DIR": str(tmp_path / "no-models"), "LITSYNTH_LLM": ""}
    none = invoke("ask", question, "--home", str(demo_home), env=env)
    assert none.exit_code == 0, none.stderr
    assert "no language model configured or installed: extractive mode" in none.stderr


# -- 4. demo and a user's store ----------------------------------------------------------------
@pytest.mark.slow
def test_demo_refuses_a_store_with_non_demo_papers(tmp_path: Path) -> None:
    corpus = tmp_path / "mine.jsonl"
    corpus.write_text(
        '{"_id": "a", "title": "Coral bleaching", "text": "Warming seas bleach corals."}\n'
    )
    home = tmp_path / "h"
    assert invoke("ingest", str(corpus), "--home", str(home)).exit_code == 0
    result = invoke("demo", "--no-llm", "--home", str(home))
    _clean_error(result, 1, str(home), "mine.jsonl", "--home")
    assert json.loads(invoke("status", "--json", "--home", str(home)).stdout)["papers"] == 1


@pytest.mark.slow
def test_demo_reuses_the_demo_store(demo_home: Path) -> None:
    result = invoke("demo", "--no-llm", "--json", "--home", str(demo_home))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mode"] == "extractive"


# -- 5. help text and empty questions ----------------------------------------------------------
def test_ingest_help_lists_every_format() -> None:
    from litsynth.corpus import FORMATS

    result = invoke("ingest", "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    words = result.stdout.replace("│", " ").replace(",", " ").replace(".", " ").split()
    for name in ["auto", *FORMATS]:
        assert name in words, (name, result.stdout)


@pytest.mark.parametrize("question", ["", "   "])
def test_demo_empty_question_is_usage_error_and_builds_nothing(
    question: str, tmp_path: Path
) -> None:
    home = tmp_path / "h"
    result = invoke("demo", question, "--no-llm", "--home", str(home))
    _clean_error(result, 2, "question is empty")
    assert not home.exists()

"""The one output-path helper every writing command uses: check before the work (leaving no
trace), create missing folders at write time, OSError -> OutputError naming the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from litsynth.render.files import (
    OutputError,
    check_output,
    output_errors,
    prepare_output,
    write_text,
)


def test_check_accepts_a_new_path_in_new_folders_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.md"
    assert check_output(target, option="--out") == target
    assert list(tmp_path.iterdir()) == []


def test_check_keeps_an_existing_file_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_text("keep me")
    check_output(target)
    assert target.read_text() == "keep me"


def test_check_refuses_a_parent_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("")
    with pytest.raises(OutputError, match=r"cannot write --out .*a\.md/x\.html: .* not a folder"):
        check_output(tmp_path / "a.md" / "x.html", option="--out")


def test_check_refuses_a_folder_as_a_file_and_a_file_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder"):
        check_output(tmp_path)
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        check_output(tmp_path / "f", folder=True)


def test_check_folder_mode_probes_and_cleans_up(tmp_path: Path) -> None:
    check_output(tmp_path / "runs" / "x", folder=True)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "there").mkdir()
    check_output(tmp_path / "there", folder=True)
    assert list((tmp_path / "there").iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_check_refuses_a_folder_that_takes_no_files() -> None:
    with pytest.raises(OutputError, match=r"cannot write --trace /proc/t\.json"):
        check_output("/proc/t.json", option="--trace")


def test_write_text_creates_folders(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a" / "b.json", "{}")
    assert target.read_text() == "{}"


def test_prepare_output_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        prepare_output(tmp_path / "f" / "x.json")


def test_output_errors_converts_writes_and_passes_other_paths_through(tmp_path: Path) -> None:
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(OutputError, match=r"dir\.md: it is a folder"), output_errors(tmp_path):
        (tmp_path / "dir.md").write_text("x")
    with pytest.raises(FileNotFoundError), output_errors(tmp_path / "out"):
        (tmp_path / "missing-input.txt").read_text()

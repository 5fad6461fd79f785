"""The CLI on damaged or unsupported input and on a bad index factory: what the user sees
(stderr, exit code per CONTRACT.md) and that the home stays usable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litsynth.cli import app

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env or {})


def _status(home: Path) -> dict:
    return json.loads(invoke("status", "--json", "--home", str(home)).stdout)


@pytest.mark.slow
def test_a_truncated_gzip_keeps_its_records_and_the_other_files(tmp_path: Path) -> None:
    lines = "".join(
        json.dumps({"id": f"r{i}", "title": f"Reef survey {i}", "abstract": f"Reef {i} bleached."})
        + "\n"
        for i in range(200)
    )
    packed = gzip.compress(lines.encode())
    half = tmp_path / "half.jsonl.gz"
    half.write_bytes(packed[: len(packed) // 2])  # head -c N full.jsonl.gz
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "o", "title": "Kelp", "abstract": "Otters eat urchins."}))
    home = tmp_path / "h"
    result = invoke("ingest", str(half), str(other), "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert "Aborted" not in result.stderr
    status = _status(home)
    sources = {Path(s["path"]).name: s for s in status["sources"]}
    kept = sources["half.jsonl.gz"]["records_seen"] - 1
    assert 50 < kept < 200 and status["papers"] == kept + 1
    assert (
        f"{half}:{kept + 1}: cannot read the rest of the file (truncated or damaged; the "
        "records before this line were kept): Compressed file ended" in result.stderr
    )
    assert (sources["half.jsonl.gz"]["finished"], sources["other.jsonl"]["finished"]) == (
        False,
        True,
    )
    strict = invoke("ingest", str(half), "--strict", "--home", str(home))
    assert strict.exit_code == 1 and f"{half}:{kept + 1}" in strict.stderr
    assert _status(home)["papers"] == kept + 1


@pytest.mark.slow
def test_a_bad_index_factory_leaves_the_new_home_usable(tmp_path: Path) -> None:
    corpus = tmp_path / "some.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Coral", "abstract": "Corals bleach."}))
    home = tmp_path / "h3"
    bad = invoke(
        "ingest", str(corpus), "--home", str(home), env={"LITSYNTH_INDEX__FACTORY": "Bogus99"}
    )
    assert bad.exit_code == 1
    assert "invalid FAISS factory string 'Bogus99'" in bad.stderr
    good = invoke("ingest", str(corpus), "--home", str(home))
    assert good.exit_code == 0, good.stderr
    found = invoke("search", "coral bleaching", "--json", "--home", str(home))
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)[0]["title"] == "Coral"


def test_a_pdf_is_named_as_an_unsupported_input_format(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    result = invoke("ingest", str(pdf), "--home", str(tmp_path / "h"))
    assert result.exit_code == 1
    assert f"{pdf}: PDF is not a supported input format" in result.stderr
    assert "cannot tell which input format" not in result.stderr
    assert "generic JSONL" in result.stderr and "JATS" in result.stderr

"""The ingest pipeline: reports, bad records, strict mode, skipping finished files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from index_builders import synthetic_records, write_jsonl

from litsynth.corpus.ingest import ingest
from litsynth.errors import InputError
from litsynth.index.datastore import Datastore

pytestmark = pytest.mark.slow


def test_ingest_reports_counts_skips_and_time(
    datastore: Datastore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = synthetic_records(6)[:5]
    bad = ["{not json", json.dumps({"id": "empty", "title": "", "abstract": ""})]
    path = write_jsonl(tmp_path / "papers.jsonl", records, bad)
    report = ingest(datastore, [path], strict=True, progress=True, batch_papers=2)
    assert (report.records_seen, report.papers_added, report.records_skipped) == (7, 5, 2)
    assert report.passages_added == datastore.stats()["passages"] >= 5
    assert report.exit_code == 1
    assert report.errors[0].startswith(f"{path}:6: ")
    assert report.errors[1].startswith(f"{path}:7: ")
    assert report.embed_seconds > 0 and report.total_seconds >= report.embed_seconds
    out = report.to_dict()
    assert set(out["seconds"]) == {"parse", "chunk", "embed", "index", "total"}
    assert "2 skipped" in report.summary_text()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "papers.jsonl" in captured.err
    source = datastore.stats()["sources"][0]
    assert (source["finished"], source["records_skipped"], source["papers_added"]) == (True, 2, 5)


def test_finished_file_is_skipped_and_a_changed_file_is_completed(
    datastore: Datastore, tmp_path: Path
) -> None:
    records = synthetic_records(6)
    path = write_jsonl(tmp_path / "papers.jsonl", records[:4])
    ingest(datastore, [path], progress=False)
    again = ingest(datastore, [path], progress=False)
    assert again.files_already_ingested == 1 and again.records_seen == 0
    assert again.exit_code == 0
    write_jsonl(path, records)
    grown = ingest(datastore, [path], progress=False)
    assert (grown.papers_unchanged, grown.papers_added) == (4, 2)
    assert datastore.stats()["papers"] == 6


def test_missing_path_fails_before_anything_is_read(datastore: Datastore, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", synthetic_records(2))
    with pytest.raises(InputError, match=r"nope\.jsonl"):
        ingest(datastore, [good, tmp_path / "nope.jsonl"], progress=False)
    assert datastore.stats()["papers"] == 0

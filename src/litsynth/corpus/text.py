"""Text clean-up shared by every reader: tags out, entities decoded, whitespace collapsed."""

from __future__ import annotations

import codecs
import gzip
import html
import io
import re
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from litsynth.errors import RecordError, TruncatedFile

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


#: TeX accent commands (arXiv metadata is TeX: "dixi\`eme conf\'erence", "{\"o}") and the
#: Unicode combining marks they stand for.
_TEX_ACCENTS = {
    "`": "\u0300",
    "'": "\u0301",
    "^": "\u0302",
    "~": "\u0303",
    '"': "\u0308",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
}
_TEX_ACCENT = re.compile(r"\{?\\(?:([`'^~\"=.])\s*|([cvuH])\s*(?=\{))\{?([A-Za-z])\}?\}?")


def decode_tex_accents(text: str) -> str:
    """``text`` with TeX accent commands as accented letters: ``conf\'erence`` ->
    ``conférence``, ``{\"o}`` -> ``ö``, ``\\c{c}`` -> ``ç``. Other TeX is left alone."""
    if "\\" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        return unicodedata.normalize("NFC", m[3] + _TEX_ACCENTS[m[1] or m[2]])

    return _TEX_ACCENT.sub(repl, text)


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


def iter_text_blocks(path: Path, size: int = 1 << 16) -> Iterator[str]:
    """The text of ``path`` (decoded as :func:`open_text` does, newlines kept) in blocks of
    about ``size`` bytes. Each block is yielded as soon as it is read, so a caller keeps every
    block before a :class:`ReadFailure` (a text handle's ``read(n)`` drops the part of its
    result it had already read)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors=_CP1252_FALLBACK)
    with open_binary(path) as handle:
        while block := handle.read1(size):
            text = decoder.decode(block)
            if text:
                yield text
    if rest := decoder.decode(b"", final=True):
        yield rest


def first_char(path: Path, skip: str | None = None) -> str:
    """The first character of ``path``'s text not in ``skip`` (white space when ``None``), or
    ``""``; :class:`ReadFailure` when the file is damaged before it."""
    for block in iter_text_blocks(path, 4096):
        stripped = block.lstrip(skip)
        if stripped:
            return stripped[0]
    return ""


def read_text(path: Path, limit: int | None = None) -> tuple[str, ReadFailure | None]:
    """The text of ``path`` (at least its first ``limit`` characters when given, else all of
    it) and ``None``; for a file that cannot be read to its end, the text before the damage
    and the :class:`ReadFailure`."""
    parts: list[str] = []
    size = 0
    try:
        for part in iter_text_blocks(path):
            parts.append(part)
            size += len(part)
            if limit is not None and size >= limit:
                break
    except ReadFailure as exc:
        return "".join(parts), exc
    return "".join(parts), None


def first_non_utf8_line(path: Path) -> int | None:
    """The 1-based line of the first bytes in ``path`` (decompressed when ``.gz``) that are
    not UTF-8, or ``None`` when the whole file is UTF-8. Reads the file once, in blocks; a file
    that cannot be read to its end is checked as far as it can be read (the reader reports
    the damage)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with open_binary(path) as handle:
        while True:
            try:
                block = handle.read(1 << 20)
            except ReadFailure:
                return None
            if not block:
                break
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


#: What reading a file's bytes can raise: I/O errors, a truncated or damaged gzip stream.
_BYTE_ERRORS = (OSError, EOFError, zlib.error)


class ReadFailure(OSError):
    """Reading a file's bytes failed part way: an I/O error, or compressed data that is
    truncated or damaged. ``line`` is the 1-based line of the (decompressed) data where the
    readable part ends (``None`` when unknown); ``cause`` is the original error. Raised by
    every handle :func:`open_binary` and :func:`open_text` return, so that each reader learns
    where the damage is in the same way."""

    def __init__(self, path: Path, line: int | None, cause: BaseException) -> None:
        self.path = path
        self.line = line
        self.cause = cause
        super().__init__(str(cause) or type(cause).__name__)


def unreadable_rest(path: Path, exc: BaseException) -> RecordError:
    """The error record for a file whose reading stopped with ``exc``: a
    :class:`~litsynth.errors.TruncatedFile` naming the file, the line where reading stopped
    and the reason."""
    line = exc.line if isinstance(exc, ReadFailure) else None
    reason = str(exc) or type(exc).__name__
    kept = "the records before this line were kept" if line is not None else "records kept"
    reason = f"cannot read the rest of the file (truncated or damaged; {kept}): {reason}"
    return TruncatedFile(str(path), line, reason)


class _LineCountingReader(io.RawIOBase):
    """A raw byte stream over ``inner`` that counts the newlines it has delivered and turns
    any read error into a :class:`ReadFailure` carrying the line where the data stops."""

    def __init__(self, inner: IO[bytes], path: Path) -> None:
        self._inner = inner
        self._path = path
        self._newlines: int | None = 0
        self._read1 = getattr(inner, "read1", inner.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            # One read of the inner stream at most (``read1``): a buffered ``read(n)`` that
            # fails on its second inner read drops the bytes of its first.
            data = self._read1(len(buffer))
        except _BYTE_ERRORS as exc:
            line = None if self._newlines is None else self._newlines + 1
            raise ReadFailure(self._path, line, exc) from exc
        size = len(data)
        buffer[:size] = data
        if self._newlines is not None:
            self._newlines += data.count(b"\n")
        return size

    def read1(self, size: int = -1) -> bytes:
        """At most ``size`` bytes from one read of the inner stream."""
        return self.read(size if size is not None and size >= 0 else 1 << 16)

    def seekable(self) -> bool:
        return self._inner.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._inner.seek(offset, whence)
        # Lines are only known when counted from the start.
        self._newlines = 0 if position == 0 else None
        return position

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading, through gzip when the name ends ``.gz``. A read
    that fails part way (truncated gzip, I/O error) raises :class:`ReadFailure` with the line
    where the readable data ends."""
    if path.name.endswith(".gz"):
        inner: IO[bytes] = gzip.open(path, "rb")  # noqa: SIM115 - closed with the wrapper
    else:
        inner = open(path, "rb")  # noqa: SIM115 - closed with the wrapper
    # Not wrapped in a BufferedReader: its read(n) loops over inner reads and drops what it
    # had read when a later one fails; the inner stream buffers already.
    return _LineCountingReader(inner, path)  # type: ignore[return-value]

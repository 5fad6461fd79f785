"""Text clean-up shared by every reader: tags out, entities decoded, whitespace collapsed."""

from __future__ import annotations

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


def clean_text(value: object) -> str:
    """``value`` as one line of plain text: HTML/XML tags removed, entities decoded,
    whitespace collapsed. Anything but a string (``None``, a NaN from a spreadsheet) gives
    ``""``."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub(" ", value)) if "<" in value or "&" in value else value
    return _SPACE.sub(" ", text).strip()


def open_text(path: Path) -> IO[str]:
    """``path`` opened for reading as UTF-8 text, through gzip when the name ends ``.gz``.
    Newlines are kept as in the file (CSV needs that)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace", newline="")


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading, through gzip when the name ends ``.gz``."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")

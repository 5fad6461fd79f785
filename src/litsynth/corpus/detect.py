"""Which reader a file needs, decided by content (SciFact and BEIR both call their file
``corpus.jsonl``), and reading many paths, directories included, into Documents."""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from litsynth.corpus.readers import FORMATS
from litsynth.corpus.readers._xml import local_name
from litsynth.corpus.text import (
    ReadFailure,
    first_char,
    open_binary,
    open_text,
    read_text,
    unreadable_rest,
)
from litsynth.errors import InputError, RecordError, UsageError
from litsynth.records import Document

#: File name endings looked at when a directory is given (each also with ``.gz``).
KNOWN_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".ndjson", ".xml", ".nxml", ".csv")

_XML_ROOTS = {
    "MedlineCitationSet": "medline",
    "PubmedArticleSet": "medline",
    "PubmedArticle": "medline",
    "MedlineCitation": "medline",
    "article": "jats",
    "pmc-articleset": "jats",
}
_LINES_TRIED = 20
_ARRAY_HEAD_CHARS = 1 << 20
_FORMAT_HINT = "pass --format with one of: " + ", ".join(FORMATS)
#: The input formats in words (README "Input formats"), for files that are none of them.
SUPPORTED_FORMATS = (
    "generic JSONL (peS2o/S2ORC style), BEIR, SciFact, ScholarQABench, arXiv metadata (Kaggle "
    "JSON lines or CSV), PubMed/MEDLINE XML, PMC JATS XML (.nxml) and unarXive JSONL, each "
    "optionally .gz"
)
#: Leading bytes of file types that are no input format, with their names for the message.
_OTHER_TYPES: tuple[tuple[bytes, str], ...] = ((b"%PDF-", "PDF"),)
# Everything that can go wrong while opening or decoding a file on disk.
_READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, zlib.error)


def detect_format(path: Path) -> str:
    """The reader name for ``path`` from its content: the XML root element, the first JSON
    record's keys, or the CSV header. Raises InputError naming the file when unknown (saying
    so plainly for a PDF, which is not an input format). A file damaged part way is told by
    the part that can be read."""
    try:
        other = _other_type(path)
        if other is not None:
            raise InputError(
                f"{path}: {other} is not a supported input format",
                hint=f"litsynth ingests {SUPPORTED_FORMATS}; for a paper only available as "
                f"{other}, ingest its metadata and abstract as JSONL",
            )
        first = first_char(path, skip="\ufeff \t\r\n")
        if first == "<":
            fmt = _xml_format(path)
        elif first == "[":
            fmt = _json_format(_first_array_element(path))
        elif first == "{":
            fmt = _json_format(_first_json_line(path))
        else:
            fmt = _csv_format(path)
    except ReadFailure as exc:
        # A RecordError, so a folder ingest can report it with its line as it stands.
        reason = f"cannot read (truncated or damaged): {exc}"
        raise RecordError(str(path), exc.line, reason) from exc
    except _READ_ERRORS as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell which input format this is",
            hint=f"{_FORMAT_HINT} (supported: {SUPPORTED_FORMATS})",
        )
    return fmt


def _other_type(path: Path) -> str | None:
    """The name of a known file type that is no input format (PDF), from its first bytes."""
    with open_binary(path) as handle:
        try:
            head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
        except ReadFailure:
            return None
    return next((name for magic, name in _OTHER_TYPES if head.startswith(magic)), None)


def _xml_format(path: Path) -> str | None:
    with open_binary(path) as handle:
        try:
            for _event, elem in ET.iterparse(handle, events=("start",)):
                return _XML_ROOTS.get(local_name(elem.tag))
        except ET.ParseError:
            return None
    return None


def _first_json_line(path: Path) -> Any:
    """The first line (of the first few) that parses as JSON: one broken line must not
    hide the format of the rest."""
    with open_text(path) as handle:
        tried = 0
        try:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    tried += 1
                    if tried >= _LINES_TRIED:
                        break
        except ReadFailure:
            if not tried:
                raise  # damaged before its first line: nothing to tell the format by
            return None
    return None


def _first_array_element(path: Path) -> Any:
    head, failure = read_text(path, _ARRAY_HEAD_CHARS)
    head = head.lstrip("\ufeff \t\r\n")
    try:
        element, _end = json.JSONDecoder().raw_decode(head[1:].lstrip())
    except json.JSONDecodeError:
        if failure is not None:
            raise failure from None  # damaged inside the first element
        return None
    return element


def _json_format(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    keys = set(record)
    if keys & {"ctxs", "gold_ctx"}:
        return "sqa"
    if "_id" in keys and keys & {"title", "text"}:
        return "beir"
    if "doc_id" in keys and isinstance(record.get("abstract"), list):
        return "scifact"
    if {"metadata", "body_text"} <= keys:
        return "unarxive"
    if {"id", "abstract"} <= keys and keys & {"categories", "authors_parsed", "versions"}:
        return "arxiv-json"
    if keys & {"title", "abstract", "text"}:
        return "jsonl"
    return None


def _csv_format(path: Path) -> str | None:
    with open_text(path) as handle:
        try:
            header = set(next(csv.reader(handle), []))
        except csv.Error:
            return None
    has_id = bool(header & {"id", "index"})
    if has_id and {"title", "abstract"} <= header and header & {"categories", "tags"}:
        return "arxiv-csv"
    return None


def expand_paths(paths: Sequence[Path]) -> Iterator[tuple[Path, bool]]:
    """``(file, named)`` for every input file: the files given (``named``) and, for each
    directory, its files with a known suffix, recursively, in sorted order. Raises
    InputError for a path that is missing or unreadable."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _known(p))
            if not found:
                raise InputError(
                    f"{path}: no input files in this directory",
                    hint="expected " + ", ".join(KNOWN_SUFFIXES) + " (optionally .gz)",
                )
            yield from ((p, False) for p in found)
        else:
            yield path, True


def _known(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return not path.name.startswith(".") and name.endswith(KNOWN_SUFFIXES)


def read_documents(paths: Sequence[Path], fmt: str = "auto") -> Iterator[Document | RecordError]:
    """Documents from every file under ``paths``, read with ``fmt`` or, for ``"auto"``, the
    format detected per file. Bad records come out as RecordError and reading goes on; a
    file found in a directory whose format is unknown is one RecordError too, while a file
    named directly with an unknown format, or a missing path, raises InputError."""
    if fmt != "auto" and fmt not in FORMATS:
        raise UsageError(f"unknown input format {fmt!r}", hint=_FORMAT_HINT)
    for path, named in expand_paths([Path(p) for p in paths]):
        try:
            reader = FORMATS[detect_format(path) if fmt == "auto" else fmt]
        except InputError as exc:
            if named:
                raise
            yield RecordError(str(path), None, str(exc).removeprefix(f"{path}: "))
            continue
        yield from _guarded(path, reader(path))


def _guarded(
    path: Path, records: Iterator[Document | RecordError]
) -> Iterator[Document | RecordError]:
    """``records``, ending in one :class:`~litsynth.errors.TruncatedFile` (file, line where
    reading stopped, reason) if the file cannot be read to its end: every reader's records
    before the damage are kept, whatever the format."""
    try:
        yield from records
    except _READ_ERRORS as exc:
        yield unreadable_rest(path, exc)

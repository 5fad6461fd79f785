"""Streaming XML records with flat memory, and text extraction that can skip elements."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from litsynth.corpus.text import clean_text, open_binary, unreadable_rest
from litsynth.errors import RecordError
from litsynth.records import Document

#: Decides whether an element (and its text, not its tail) is left out of extracted text.
Skip = Callable[[ET.Element], bool]


def local_name(tag: object) -> str:
    """An element's tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def iter_records(
    path: Path, record_tags: frozenset[str]
) -> Iterator[tuple[int, ET.Element] | RecordError]:
    """``(index, element)`` for each outermost element named in ``record_tags`` (1-based
    index), each cleared once the caller moves on. Broken XML ends the stream with one
    RecordError naming the line, after every record read before it."""
    count = 0
    open_records = 0
    root: ET.Element | None = None
    try:
        with open_binary(path) as handle:
            for event, elem in ET.iterparse(handle, events=("start", "end")):
                if root is None:
                    root = elem
                if local_name(elem.tag) not in record_tags:
                    continue
                if event == "start":
                    open_records += 1
                    continue
                open_records -= 1
                if open_records == 0:
                    count += 1
                    yield count, elem
                    # Dropping finished records from the root keeps memory flat on big files.
                    elem.clear()
                    if root is not elem:
                        root.clear()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        yield RecordError(str(path), line, f"XML is not well-formed: {exc}")
    except (OSError, EOFError, zlib.error) as exc:
        yield unreadable_rest(path, exc)


def find(elem: ET.Element | None, *path: str) -> ET.Element | None:
    """The first descendant reached by following child names ``path`` (namespace-blind)."""
    for name in path:
        if elem is None:
            return None
        elem = next((c for c in elem if local_name(c.tag) == name), None)
    return elem


def children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    """Direct children of ``elem`` called ``name``."""
    return [c for c in elem if local_name(c.tag) == name] if elem is not None else []


def descendants(elem: ET.Element | None, name: str) -> list[ET.Element]:
    """All descendants of ``elem`` called ``name``, in document order."""
    return [e for e in elem.iter() if local_name(e.tag) == name] if elem is not None else []


def element_text(elem: ET.Element | None, skip: Skip | None = None) -> str:
    """The cleaned text inside ``elem``, leaving out elements ``skip`` selects (their tails,
    which belong to the surrounding text, are kept)."""
    if elem is None:
        return ""
    parts: list[str] = []
    _collect(elem, skip, parts)
    return clean_text("".join(parts))


def _collect(elem: ET.Element, skip: Skip | None, parts: list[str]) -> None:
    if elem.text:
        parts.append(elem.text)
    for child in elem:
        if skip is None or not skip(child):
            _collect(child, skip, parts)
        if child.tail:
            parts.append(child.tail)


def read_xml_documents(
    path: Path,
    record_tags: frozenset[str],
    build: Callable[[Path, int, ET.Element], Document | RecordError],
) -> Iterator[Document | RecordError]:
    """``build(path, index, element)`` for each record element; XML errors pass through."""
    for item in iter_records(path, record_tags):
        if isinstance(item, RecordError):
            yield item
            continue
        index, element = item
        yield build(path, index, element)

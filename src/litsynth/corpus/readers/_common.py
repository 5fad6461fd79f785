"""What every reader shares: JSON record iteration with per-line errors, field parsing, and
assembling a Document with its ids, url and provenance."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from litsynth.corpus.ids import make_paper_id, normalise_external_ids, paper_url
from litsynth.corpus.text import (
    ReadFailure,
    clean_text,
    first_char,
    open_text,
    read_text,
    unreadable_rest,
)
from litsynth.errors import RecordError
from litsynth.records import Author, Document, Paper, Section
from litsynth.text import json_error

#: A reader turns one file into Documents, yielding a RecordError for each bad record.
Reader = Callable[[Path], Iterator[Document | RecordError]]

ABSTRACT = "Abstract"
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def iter_json_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """``(position, record)`` for each JSON object in a JSONL file (position = 1-based line)
    or in a file holding one JSON array (position = 1-based element). A line that is not a
    JSON object comes out as a RecordError and the rest is still read. A file that cannot be
    read to its end (a truncated ``.gz``) gives every record before the damage, then one
    :class:`~litsynth.errors.TruncatedFile` naming the line where reading stopped."""
    try:
        if first_char(path) == "[":
            yield from _array_records(path)
            return
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line, object_hook=_without_surrogates)
                except json.JSONDecodeError as exc:
                    yield number, RecordError(str(path), number, json_error(exc))
                    continue
                if isinstance(record, dict):
                    yield number, record
                else:
                    yield number, RecordError(str(path), number, "expected a JSON object")
    except ReadFailure as exc:
        error = unreadable_rest(path, exc)
        yield error.line or 0, error


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _array_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """The elements of a JSON array file, parsed one by one so that the elements before a
    syntax error or a truncation are kept."""
    content, failure = read_text(path)
    try:
        for number, record in _array_elements(content):
            if isinstance(record, dict):
                yield number, record
            else:
                yield number, RecordError(str(path), number, "expected a JSON object")
    except json.JSONDecodeError as exc:
        if failure is None:
            # An array cannot be resynchronised after a syntax error: say what is lost.
            reason = f"{json_error(exc)}; the rest of the array was not read"
            yield exc.lineno, RecordError(str(path), exc.lineno, reason)
    if failure is not None:
        # The element cut by the damage, if any, is the failure's to report.
        raise failure


def _array_elements(content: str) -> Iterator[tuple[int, Any]]:
    """``(1-based index, element)`` of the JSON array in ``content``, one at a time; raises
    JSONDecodeError where the array stops being valid JSON."""
    decoder = json.JSONDecoder(object_hook=_without_surrogates)
    pos = _JSON_SPACE.match(content).end()
    if not content.startswith("[", pos):
        raise json.JSONDecodeError("Expecting '['", content, pos)
    pos = _JSON_SPACE.match(content, pos + 1).end()
    if content.startswith("]", pos):
        return
    number = 0
    while True:
        element, pos = decoder.raw_decode(content, pos)
        number += 1
        yield number, element
        pos = _JSON_SPACE.match(content, pos).end()
        if content.startswith(",", pos):
            pos = _JSON_SPACE.match(content, pos + 1).end()
        elif content.startswith("]", pos):
            return
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", content, pos)


def parse_year(value: object) -> int | None:
    """A publication year from an int or any text holding a 4-digit year (1800-2099)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1800 <= value <= 2099 else None
    match = _YEAR.search(str(value)) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def parse_authors(value: object) -> list[Author]:
    """Authors from a list of names or ``{name, authorId}`` objects, or from one string of
    names separated by commas, semicolons or "and"."""
    if isinstance(value, str):
        names = re.split(r"\s*(?:,|;|\band\b)\s*", clean_text(value))
        return [Author(name) for name in names if name]
    authors: list[Author] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping):
            name = clean_text(item.get("name"))
            author_id = item.get("authorId") or item.get("author_id")
            if name:
                authors.append(Author(name, str(author_id) if author_id else None))
        elif clean_text(item):
            authors.append(Author(clean_text(item)))
    return authors


def abstract_sections(abstract: str | Sequence[tuple[str, str]]) -> list[Section]:
    """The abstract as Sections: one titled "Abstract", or for a structured abstract one per
    labelled part titled "Abstract / LABEL"."""
    if isinstance(abstract, str):
        text = clean_text(abstract)
        return [Section(text, ABSTRACT)] if text else []
    sections = []
    for label, part in abstract:
        text = clean_text(part)
        if text:
            title = f"{ABSTRACT} / {clean_text(label)}" if clean_text(label) else ABSTRACT
            sections.append(Section(text, title))
    return sections


def abstract_text(sections: Sequence[Section]) -> str:
    """The plain abstract of a paper: its abstract sections joined, labels inline."""
    parts = []
    for section in sections:
        if section.title == ABSTRACT:
            parts.append(section.text)
        elif section.title.startswith(f"{ABSTRACT} / "):
            parts.append(f"{section.title.removeprefix(f'{ABSTRACT} / ')}: {section.text}")
    return " ".join(parts)


def build_document(
    *,
    source: str,
    path: Path,
    line: int,
    raw_id: str | None,
    title: object,
    abstract: str | Sequence[tuple[str, str]] = "",
    body: Sequence[Section] = (),
    external_ids: Mapping[str, object] | None = None,
    authors: Sequence[Author] = (),
    year: int | None = None,
    venue: object = None,
    url: str | None = None,
    citation_count: int | None = None,
    licence: object = None,
    fields_of_study: Sequence[str] = (),
) -> Document | RecordError:
    """A Document for one record, or a RecordError when it has neither title nor text.
    Text fields are cleaned; the paper id, url and provenance are derived here."""
    clean_title = clean_text(title)
    sections = abstract_sections(abstract)
    sections += [
        Section(clean_text(s.text), clean_text(s.title), s.page) for s in body if clean_text(s.text)
    ]
    if not clean_title and not sections:
        return RecordError(str(path), line, "record has neither a title nor any text")
    ids = normalise_external_ids(external_ids or {})
    all_text = "\n".join(s.text for s in sections)
    paper = Paper(
        id=make_paper_id(ids, raw_id, clean_title, all_text),
        title=clean_title,
        abstract=abstract_text(sections),
        authors=list(authors),
        year=year,
        venue=clean_text(venue) or None,
        url=url or paper_url(ids),
        citation_count=citation_count,
        external_ids=ids,
        source=source,
        source_ids={str(path.resolve()): raw_id or ""},
        licence=clean_text(licence) or None,
        provenance=f"{path.name}:{line}",
        fields_of_study=[f for f in (clean_text(f) for f in fields_of_study) if f],
    )
    return Document(paper=paper, sections=sections, line=line)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(obj: dict[str, Any]) -> dict[str, Any]:
    """JSON may escape lone UTF-16 surrogates (``"\\ud800"``) that no UTF-8 store accepts:
    each becomes U+FFFD instead of failing the whole batch later."""
    for key, value in obj.items():
        if isinstance(value, str) and _SURROGATE.search(value):
            obj[key] = _SURROGATE.sub("\ufffd", value)
        elif isinstance(value, list):
            obj[key] = [_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in value]
    return obj

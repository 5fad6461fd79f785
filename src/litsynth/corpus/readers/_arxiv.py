"""The arXiv OAI metadata record (Kaggle ``arxiv-metadata-oai-snapshot``) as a Document; the
JSON, CSV and unarXive readers all carry it."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from litsynth.corpus.ids import normalise_arxiv
from litsynth.corpus.readers._common import build_document, parse_authors, parse_year
from litsynth.corpus.text import clean_text, decode_tex_accents
from litsynth.errors import RecordError
from litsynth.records import Author, Document, Section

_ID_YYMM = re.compile(r"(?:^|/)(\d{2})(\d{2})[.\d]")
# Old-style arXiv ids start in 1991; two-digit years from 91 on are 19xx.
_FIRST_ARXIV_YY = 91


def python_list(value: object) -> list[Any] | None:
    """A list written as a Python literal in a CSV cell (``"['a', 'b']"``), or the list
    itself; ``None`` when ``value`` is neither."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str) or not value.strip().startswith("["):
        return None
    try:
        parsed = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return parsed if isinstance(parsed, list) else None


def year_from_arxiv_id(arxiv_id: str) -> int | None:
    """The submission year in an arXiv id's yymm (``0704.0001`` -> 2007)."""
    match = _ID_YYMM.search(arxiv_id)
    if not match:
        return None
    yy = int(match.group(1))
    return 1900 + yy if yy >= _FIRST_ARXIV_YY else 2000 + yy


def _authors(record: Mapping[str, Any]) -> list[Author]:
    parsed = python_list(record.get("authors_parsed"))
    if parsed:
        names = [
            " ".join(
                decode_tex_accents(clean_text(p))
                for p in (*parts[1:2], parts[0], *parts[2:3])
                if clean_text(p)
            )
            for parts in parsed
            if isinstance(parts, list) and parts
        ]
        return [Author(name) for name in names if name]
    listed = python_list(record.get("authors"))
    authors = parse_authors(listed if listed is not None else record.get("authors"))
    return [dataclasses.replace(a, name=decode_tex_accents(a.name)) for a in authors]


def _year(record: Mapping[str, Any], arxiv_id: str) -> int | None:
    versions = python_list(record.get("versions")) or []
    first = versions[0] if versions and isinstance(versions[0], Mapping) else {}
    return (
        parse_year(first.get("created"))
        or year_from_arxiv_id(arxiv_id)
        or parse_year(record.get("update_date"))
    )


def _categories(record: Mapping[str, Any]) -> list[str]:
    categories = record.get("categories")
    if isinstance(categories, str) and categories.strip():
        return categories.split()
    tags = python_list(record.get("tags"))
    return [str(t) for t in tags] if tags else []


def arxiv_document(
    *,
    source: str,
    path: Path,
    line: int,
    record: Mapping[str, Any],
    raw_id: object,
    body: Sequence[Section] = (),
) -> Document | RecordError:
    """A Document from an arXiv metadata record. Its raw id is the normalised arXiv id, so
    ids a spreadsheet damaged come out repaired (they would match no qrels otherwise)."""
    arxiv_id = normalise_arxiv(str(raw_id)) if raw_id not in (None, "") else None
    if arxiv_id is None:
        return RecordError(str(path), line, f"no valid arXiv id (got {raw_id!r})")
    dois = str(record.get("doi") or "").split()
    # arXiv metadata is TeX: accents come as commands ("conf\\'erence").
    title, abstract = (
        decode_tex_accents(v) if isinstance(v, str) else v
        for v in (record.get("title"), record.get("abstract"))
    )
    return build_document(
        source=source,
        path=path,
        line=line,
        raw_id=arxiv_id,
        title=title,
        abstract=abstract if isinstance(abstract, str) else "",
        body=body,
        external_ids={"arxiv": arxiv_id, "doi": dois[0] if dois else None},
        authors=_authors(record),
        year=_year(record, arxiv_id),
        venue=record.get("journal-ref") or "arXiv",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        licence=record.get("license"),
        fields_of_study=_categories(record),
    )

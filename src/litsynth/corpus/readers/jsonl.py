"""Generic JSON lines of papers (peS2o / S2ORC / Semantic Scholar style): ``id``, ``title``,
``abstract`` and/or ``text``, ``year``, ``authors``, ``venue``, ``doi``, ``url``,
``citation_count``, ``externalids`` … A file holding one JSON array is read the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from litsynth.corpus.ids import s2_id_from_url
from litsynth.corpus.readers._common import (
    build_document,
    iter_json_records,
    parse_authors,
    parse_year,
)
from litsynth.errors import RecordError
from litsynth.records import Document, Section
from litsynth.text import parse_int

FORMAT = "jsonl"

_RAW_ID_KEYS = ("id", "_id", "paper_id", "paperId", "corpusid", "corpus_id", "doc_id")
# Semantic Scholar's externalIds names -> our id kinds.
_S2_ID_KINDS = {
    "doi": "doi",
    "arxiv": "arxiv",
    "pubmed": "pmid",
    "pmid": "pmid",
    "corpusid": "s2corpus",
    "pubmedcentral": "pmcid",
    "pmcid": "pmcid",
}
_TOP_LEVEL_IDS = {
    "doi": "doi",
    "arxiv_id": "arxiv",
    "arxiv": "arxiv",
    "pmid": "pmid",
    "paperId": "s2",
    "corpusid": "s2corpus",
    "corpus_id": "s2corpus",
}
_S2_SHA = re.compile(r"[0-9a-f]{40}")


def read_jsonl(path: Path) -> Iterator[Document | RecordError]:
    """Documents from a generic JSONL (or JSON array) file of papers."""
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        yield _document(path, line, record)


def _first(record: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if record.get(key) not in (None, "", []):
            return record[key]
    return None


def _external_ids(record: Mapping[str, Any], raw_id: str | None) -> dict[str, object]:
    ids: dict[str, object] = {}
    nested = _first(record, "externalids", "externalIds", "external_ids")
    if isinstance(nested, Mapping):
        for key, value in nested.items():
            kind = _S2_ID_KINDS.get(str(key).lower())
            if kind:
                ids[kind] = value
    for key, kind in _TOP_LEVEL_IDS.items():
        if record.get(key) not in (None, ""):
            ids.setdefault(kind, record[key])
    if raw_id and _S2_SHA.fullmatch(raw_id):
        ids.setdefault("s2", raw_id)
    s2_from_url = s2_id_from_url(record.get("url"))
    if s2_from_url:
        ids.setdefault("s2", s2_from_url)
    return ids


def _document(path: Path, line: int, record: Mapping[str, Any]) -> Document | RecordError:
    raw = _first(record, *_RAW_ID_KEYS)
    raw_id = str(raw) if raw is not None else None
    body = record.get("text") or record.get("body")
    return build_document(
        source=FORMAT,
        path=path,
        line=line,
        raw_id=raw_id,
        title=record.get("title"),
        abstract=_joined(record.get("abstract")),
        body=[Section(body, "")] if isinstance(body, str) else [],
        external_ids=_external_ids(record, raw_id),
        authors=parse_authors(record.get("authors")),
        year=parse_year(_first(record, "year", "publication_date", "publicationDate", "date")),
        venue=_first(record, "venue", "journal"),
        url=record.get("url") if isinstance(record.get("url"), str) else None,
        citation_count=parse_int(_first(record, "citation_count", "citationCount")),
        licence=_first(record, "licence", "license"),
        fields_of_study=_strings(_first(record, "fields_of_study", "fieldsOfStudy")),
    )


def _joined(value: object) -> str:
    """A text field given as a string or as a list of sentences."""
    return value if isinstance(value, str) else " ".join(_strings(value))


def _strings(value: object) -> list[str]:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []

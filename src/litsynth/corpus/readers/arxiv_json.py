"""Kaggle ``arxiv-metadata-oai-snapshot`` JSON lines: ``id, submitter, authors, title,
comments, journal-ref, doi, categories, license, abstract, versions, update_date,
authors_parsed``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from litsynth.corpus.readers._arxiv import arxiv_document
from litsynth.corpus.readers._common import iter_json_records
from litsynth.errors import RecordError
from litsynth.records import Document

FORMAT = "arxiv-json"


def read_arxiv_json(path: Path) -> Iterator[Document | RecordError]:
    """Documents from arXiv OAI metadata JSON lines; the raw id is the arXiv id as given."""
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        yield arxiv_document(
            source=FORMAT, path=path, line=line, record=record, raw_id=record.get("id")
        )

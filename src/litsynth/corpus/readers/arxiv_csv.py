"""CSV exports of arXiv metadata: the full Kaggle columns (ids and dates possibly damaged by a
spreadsheet: ``704.2`` for ``0704.2000``, dates as M/D/YYYY) or scraper exports with
``index, title, tags, authors, abstract`` where tags and authors are Python-list strings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from litsynth.corpus.readers._arxiv import arxiv_document
from litsynth.corpus.text import open_text
from litsynth.errors import RecordError
from litsynth.records import Document

FORMAT = "arxiv-csv"


def read_arxiv_csv(path: Path) -> Iterator[Document | RecordError]:
    """Documents from an arXiv metadata CSV; positions are the 1-based line where a row
    starts (rows span several lines when abstracts hold newlines)."""
    with open_text(path) as handle:
        rows = csv.DictReader(handle)
        row_start = 2
        try:
            for row in rows:
                raw_id = row.get("id") or row.get("index")
                yield arxiv_document(
                    source=FORMAT, path=path, line=row_start, record=row, raw_id=raw_id
                )
                row_start = rows.line_num + 1
        except csv.Error as exc:
            yield RecordError(str(path), row_start, f"unreadable CSV: {exc}")

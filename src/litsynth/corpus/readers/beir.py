"""BEIR corpora: ``corpus.jsonl`` lines ``{"_id", "title", "text", "metadata"?}``. The ``_id``
is the raw id that batch runs write back as docid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from litsynth.corpus.readers._common import build_document, iter_json_records
from litsynth.errors import RecordError
from litsynth.records import Document

FORMAT = "beir"


def read_beir(path: Path) -> Iterator[Document | RecordError]:
    """Documents from a BEIR ``corpus.jsonl``; ``text`` is taken as the abstract."""
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        raw_id = record.get("_id")
        if raw_id in (None, ""):
            yield RecordError(str(path), line, "BEIR record has no _id")
            continue
        yield build_document(
            source=FORMAT,
            path=path,
            line=line,
            raw_id=str(raw_id),
            title=record.get("title"),
            abstract=record.get("text") if isinstance(record.get("text"), str) else "",
        )

"""SciFact corpus: ``corpus.jsonl`` lines ``{"doc_id": int, "title", "abstract": [sentences],
"structured": bool}``. ``doc_id`` is an S2ORC corpus id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from litsynth.corpus.readers._common import build_document, iter_json_records
from litsynth.errors import RecordError
from litsynth.records import Document
from litsynth.text import parse_int

FORMAT = "scifact"


def read_scifact(path: Path) -> Iterator[Document | RecordError]:
    """Documents from a SciFact corpus; raw id = ``str(doc_id)``, external id ``s2corpus``."""
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        doc_id = parse_int(record.get("doc_id"))
        if doc_id is None:
            yield RecordError(str(path), line, "SciFact record has no integer doc_id")
            continue
        sentences = record.get("abstract")
        if isinstance(sentences, str):
            sentences = [sentences]
        if not isinstance(sentences, list):
            sentences = []
        yield build_document(
            source=FORMAT,
            path=path,
            line=line,
            raw_id=str(doc_id),
            title=record.get("title"),
            abstract=" ".join(s.strip() for s in sentences if isinstance(s, str)),
            external_ids={"s2corpus": doc_id},
        )

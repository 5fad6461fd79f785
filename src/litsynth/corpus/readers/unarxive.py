"""unarXive JSON lines: ``paper_id``, ``metadata`` (the arXiv OAI record), ``abstract``,
``body_text`` paragraphs with their ``section``. Inline ``{{formula:…}}`` / ``{{cite:…}}``
markers are dropped; consecutive paragraphs of one section become one Section."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from litsynth.corpus.readers._arxiv import arxiv_document
from litsynth.corpus.readers._common import iter_json_records
from litsynth.corpus.text import clean_text
from litsynth.errors import RecordError
from litsynth.records import Document, Section

FORMAT = "unarxive"
_MARKER = re.compile(r"\{\{[a-z]+:[^{}]*\}\}")


def read_unarxive(path: Path) -> Iterator[Document | RecordError]:
    """Documents with full text from an unarXive JSONL file."""
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        metadata = record.get("metadata") if isinstance(record.get("metadata"), Mapping) else {}
        abstract = record.get("abstract")
        merged = {
            **metadata,
            "abstract": metadata.get("abstract")
            or (abstract.get("text") if isinstance(abstract, Mapping) else ""),
        }
        yield arxiv_document(
            source=FORMAT,
            path=path,
            line=line,
            record=merged,
            raw_id=metadata.get("id") or record.get("paper_id"),
            body=_sections(record.get("body_text")),
        )


def _sections(paragraphs: Any) -> list[Section]:
    sections: list[Section] = []
    for paragraph in paragraphs if isinstance(paragraphs, list) else []:
        if not isinstance(paragraph, Mapping):
            continue
        text = clean_text(_MARKER.sub(" ", str(paragraph.get("text") or "")))
        heading = clean_text(paragraph.get("section"))
        if not text:
            continue
        if sections and sections[-1].title == heading:
            sections[-1].text += " " + text
        else:
            sections.append(Section(text, heading))
    return sections

"""ScholarQABench files: ``human_answers.json`` (answers whose ``ctxs`` are Semantic Scholar
snippets) and the single-paper task files ``scifact_test.jsonl`` / ``pubmed_test.jsonl``
(``gold_ctx`` = [{title, text}], ``text`` sometimes a PubMedQA dict of labelled contexts).

The same paper is cited by several answers, with different snippets: all snippets of one paper
become one Document with one Section per distinct snippet. The task files repeat gold
abstracts across claims; each distinct paper is yielded once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litsynth.corpus.ids import normalise_title, s2_id_from_url
from litsynth.corpus.readers._common import (
    ABSTRACT,
    build_document,
    iter_json_records,
    parse_authors,
    parse_year,
)
from litsynth.corpus.text import clean_text
from litsynth.errors import RecordError
from litsynth.records import Document, Section
from litsynth.text import parse_int

FORMAT = "sqa"


@dataclass
class _PaperParts:
    """What the file says about one paper, gathered over every record that cites it."""

    line: int
    title: str
    ctx: Mapping[str, Any]
    s2_id: str | None
    sections: list[Section] = field(default_factory=list)

    def add(self, sections: list[Section]) -> None:
        seen = {(s.title, s.text) for s in self.sections}
        self.sections += [s for s in sections if (s.title, s.text) not in seen]


def read_sqa(path: Path) -> Iterator[Document | RecordError]:
    """Documents for the papers in a ScholarQABench answers or single-paper task file."""
    papers: dict[str, _PaperParts] = {}
    for line, record in iter_json_records(path):
        if isinstance(record, RecordError):
            yield record
            continue
        contexts, fallback_title = _contexts(record)
        if contexts is None:
            yield RecordError(str(path), line, "record has neither ctxs nor gold_ctx")
            continue
        for number, ctx in enumerate(contexts, start=1):
            parts = _parts(ctx, fallback_title)
            if parts is None:
                yield RecordError(str(path), line, f"context {number} has no title and no text")
                continue
            title, sections = parts
            s2_id = s2_id_from_url(ctx.get("url"))
            key = s2_id or normalise_title(title) or (sections[0].text if sections else title)
            if key not in papers:
                papers[key] = _PaperParts(line, title, ctx, s2_id)
            papers[key].add(sections)
    for parts in papers.values():
        yield build_document(
            source=FORMAT,
            path=path,
            line=parts.line,
            raw_id=parts.s2_id,
            title=parts.title,
            body=parts.sections,
            external_ids={"s2": parts.s2_id} if parts.s2_id else {},
            authors=parse_authors(parts.ctx.get("authors")),
            year=parse_year(parts.ctx.get("year")),
            venue=parts.ctx.get("venue"),
            url=parts.ctx.get("url") or None,
            citation_count=parse_int(parts.ctx.get("citation_count")),
        )


def _contexts(record: Mapping[str, Any]) -> tuple[list[Any] | None, str]:
    """The record's contexts and, for task files, the question: PubMedQA questions are the
    titles of the papers whose abstracts are the gold contexts, which carry no title."""
    if isinstance(record.get("ctxs"), list):
        return record["ctxs"], ""
    if isinstance(record.get("gold_ctx"), list):
        return record["gold_ctx"], clean_text(record.get("input"))
    return None, ""


def _parts(ctx: object, fallback_title: str) -> tuple[str, list[Section]] | None:
    if not isinstance(ctx, Mapping):
        return None
    text = ctx.get("text")
    if isinstance(text, Mapping):
        sections = _labelled_sections(text)
    else:
        cleaned = clean_text(text)
        # Task files hold gold abstracts; answer snippets are passages from anywhere.
        heading = ABSTRACT if fallback_title else ""
        sections = [Section(cleaned, heading)] if cleaned else []
    title = clean_text(ctx.get("title")) or (fallback_title if sections else "")
    if not sections and not title:
        return None
    return title, sections


def _labelled_sections(text: Mapping[str, Any]) -> list[Section]:
    contexts = text.get("contexts") if isinstance(text.get("contexts"), list) else []
    labels = text.get("labels") if isinstance(text.get("labels"), list) else []
    sections = []
    for index, context in enumerate(contexts):
        label = clean_text(labels[index]) if index < len(labels) else ""
        heading = f"{ABSTRACT} / {label}" if label else ABSTRACT
        if clean_text(context):
            sections.append(Section(clean_text(context), heading))
    return sections

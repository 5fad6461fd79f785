"""Documents and input files for the index tests, built by hand (synthetic text)."""

from __future__ import annotations

import json
from pathlib import Path

from litsynth.corpus.ids import make_paper_id, normalise_external_ids
from litsynth.records import Document, Paper, Section


def make_doc(
    title: str,
    text: str,
    *,
    source: str = "/data/a.jsonl",
    raw: str = "1",
    ids: dict[str, str] | None = None,
    year: int | None = 2020,
    citation_count: int | None = None,
    venue: str | None = None,
    body: list[Section] | None = None,
) -> Document:
    """A Document shaped like a reader's: id from the external ids or a content hash,
    ``source_ids`` keyed by the source file."""
    external = normalise_external_ids(ids or {})
    sections = [Section(text, "Abstract"), *(body or [])]
    all_text = "\n".join(s.text for s in sections)
    paper = Paper(
        id=make_paper_id(external, raw, title, all_text),
        title=title,
        abstract=text,
        year=year,
        venue=venue,
        citation_count=citation_count,
        external_ids=external,
        source="jsonl",
        source_ids={source: raw},
        provenance=f"{Path(source).name}:1",
    )
    return Document(paper, sections)


TOPICS = [
    "vitamin D supplementation and bone fractures in older adults",
    "statin therapy and cardiovascular mortality",
    "gut microbiome composition and obesity",
    "transformer language models for protein folding",
    "graphene transistors at terahertz frequencies",
    "sleep deprivation and working memory",
]


def synthetic_records(count: int) -> list[dict]:
    """``count`` generic-JSONL paper records; every 25th shares a DOI with the record
    before it (one file: they must stay separate papers)."""
    records = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        doi = f"10.5555/test.{i - 1 if i % 25 == 24 else i}"
        records.append(
            {
                "id": f"rec{i}",
                "title": f"Study {i} of {topic}",
                "abstract": f"We examined {topic} in cohort {i}. "
                f"The effect size in group {i} was moderate. Findings replicate in sample {i}.",
                "year": 2000 + i % 20,
                "doi": doi,
            }
        )
    return records


def write_jsonl(path: Path, records: list[dict], extra_lines: list[str] = ()) -> Path:
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

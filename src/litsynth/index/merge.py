"""Pure parts of deduplication: record digests, dedup ids, and merging two Paper records.

CONTRACT.md: the same DOI / arXiv id / PMID / S2 id merges; a title merges only for titles of
at least 5 words with equal years; records of one source file are never merged with each
other. The look-ups themselves live in the datastore; this module only decides values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from litsynth.corpus.ids import normalise_external_ids
from litsynth.records import ID_KINDS, Paper


def record_digest(paper: Paper, texts: Sequence[tuple[str, str]]) -> str:
    """A hash of one input record: its metadata and its (heading, text) pieces. Provenance
    (file line) is left out, so a record that only moved within its file is still known."""
    meta = dataclasses.asdict(paper)
    meta.pop("provenance", None)
    payload = json.dumps([meta, list(texts)], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def dedup_ids(paper: Paper) -> dict[str, str]:
    """The paper's normalised external ids of the kinds that identify a paper, in
    preference order (doi, arxiv, pmid, s2, s2corpus)."""
    ids = normalise_external_ids(paper.external_ids)
    return {kind: ids[kind] for kind in ID_KINDS if kind in ids}


def distinct_id(source: str, raw_id: str, digest: str) -> str:
    """A content-hash id for a record that must stay apart from a paper it collides with
    (another record of the same file); stable across re-ingests of that file."""
    payload = f"{source}\x1f{raw_id or digest}"
    return "h:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """The richest combination: the stored values, gaps filled from ``incoming``, the longer
    abstract, external and source ids united (stored wins on conflict), the larger citation
    count. The stored paper keeps its id, source and provenance."""

    def pick(current: Any, offered: Any) -> Any:
        return offered if current in (None, "", []) else current

    counts = [c for c in (stored.citation_count, incoming.citation_count) if c is not None]
    return dataclasses.replace(
        stored,
        title=pick(stored.title, incoming.title),
        abstract=max(stored.abstract, incoming.abstract, key=len),
        authors=pick(stored.authors, incoming.authors),
        year=pick(stored.year, incoming.year),
        venue=pick(stored.venue, incoming.venue),
        url=pick(stored.url, incoming.url),
        licence=pick(stored.licence, incoming.licence),
        fields_of_study=pick(stored.fields_of_study, incoming.fields_of_study),
        citation_count=max(counts) if counts else None,
        external_ids={**incoming.external_ids, **stored.external_ids},
        source_ids={**incoming.source_ids, **stored.source_ids},
    )

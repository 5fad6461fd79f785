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


def content_digest(paper: Paper) -> str:
    """A hash of a record's metadata that leaves out where it was read from (its source
    file), so the same record read from another path gives the same value."""
    return record_digest(dataclasses.replace(paper, source_ids={}), ())


def distinct_id(paper_id: str, key: str) -> str:
    """A content-hash id for a record that must stay apart from a paper it collides with
    (another record of the same file) and whose own id another paper holds: made from its own
    id and ``key`` (its raw id, else :func:`content_digest`), never from the file's path, so
    it is stable across re-ingests and across copies of the file at other paths."""
    payload = f"{paper_id}\x1f{key}"
    return "h:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


#: Paper fields combined by "first value that is not empty".
_FILLED_FIELDS = ("title", "authors", "year", "venue", "url", "licence", "fields_of_study")


def _filled(primary: Paper, fallback: Paper, fields: tuple[str, ...]) -> dict[str, Any]:
    """``primary``'s value of each field, ``fallback``'s where ``primary`` has none."""
    values = {}
    for field in fields:
        value = getattr(primary, field)
        values[field] = getattr(fallback, field) if value in (None, "", []) else value
    return values


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """The richest combination: the stored values, gaps filled from ``incoming``, the longer
    abstract, external and source ids united (stored wins on conflict), the larger citation
    count. The stored paper keeps its id, source and provenance."""
    counts = [c for c in (stored.citation_count, incoming.citation_count) if c is not None]
    return dataclasses.replace(
        stored,
        **_filled(stored, incoming, _FILLED_FIELDS),
        abstract=max(stored.abstract, incoming.abstract, key=len),
        citation_count=max(counts) if counts else None,
        external_ids={**incoming.external_ids, **stored.external_ids},
        source_ids={**incoming.source_ids, **stored.source_ids},
    )


def prefer_incoming(stored: Paper, incoming: Paper) -> Paper:
    """``stored`` updated by a new version of a record that went into it: the new version's
    values win where it has them (title, abstract, authors, …), the stored ones fill its
    gaps; external and source ids are united. The stored paper keeps its id, source and
    provenance."""
    return dataclasses.replace(
        merge_papers(stored, incoming),
        **_filled(incoming, stored, (*_FILLED_FIELDS, "abstract", "citation_count")),
        external_ids={**stored.external_ids, **incoming.external_ids},
    )

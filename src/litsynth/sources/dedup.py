"""One paper per work across sources: merge metadata and unify the papers of duplicate hits.

Two papers are the same work when they share a DOI, arXiv id, S2 id (paperId or CorpusId) or
PMID, or a normalised title of at least 5 words with equal years (CONTRACT.md).
"""

from __future__ import annotations

import dataclasses

from litsynth.corpus.ids import make_paper_id, title_key
from litsynth.records import ID_KINDS, Author, Hit, Paper

#: External id kinds that identify a work across sources.
DEDUP_KINDS: tuple[str, ...] = ("doi", "arxiv", "s2", "s2corpus", "pmid")


def paper_keys(paper: Paper) -> list[tuple[str, str]]:
    """The identity keys of ``paper``: its external ids and, when long enough, its title."""
    keys = [
        (kind, paper.external_ids[kind]) for kind in DEDUP_KINDS if paper.external_ids.get(kind)
    ]
    title = title_key(paper)
    if title:
        keys.append(("title", f"{title}|{paper.year}"))
    return keys


def _richness(paper: Paper) -> int:
    filled = [paper.abstract, paper.authors, paper.year, paper.venue, paper.citation_count]
    return sum(value not in (None, "", []) for value in filled) + len(paper.external_ids)


def _merge_authors(primary: list[Author], other: list[Author]) -> list[Author]:
    base, extra = (primary, other) if len(primary) >= len(other) else (other, primary)
    known = {a.name.casefold(): a.author_id for a in extra if a.author_id}
    return [Author(a.name, a.author_id or known.get(a.name.casefold())) for a in base]


def merge_papers(a: Paper, b: Paper) -> Paper:
    """One Paper from two records of the same work: the richer record leads, its gaps are
    filled from the other, the longer abstract and author list win, ids and source ids are
    united, and the id is re-derived from the united external ids."""
    lead, other = (a, b) if _richness(a) >= _richness(b) else (b, a)
    ids = {**other.external_ids, **lead.external_ids}
    abstract = max((lead.abstract, other.abstract), key=len)
    fields = list(dict.fromkeys([*lead.fields_of_study, *other.fields_of_study]))
    counts = [c for c in (lead.citation_count, other.citation_count) if c is not None]
    has_stable_id = any(kind in ids for kind in ID_KINDS)
    return Paper(
        id=make_paper_id(ids, lead.raw_id(), lead.title, abstract) if has_stable_id else lead.id,
        title=lead.title or other.title,
        abstract=abstract,
        authors=_merge_authors(lead.authors, other.authors),
        year=lead.year if lead.year is not None else other.year,
        venue=lead.venue or other.venue,
        url=lead.url or other.url,
        citation_count=max(counts) if counts else None,
        external_ids=ids,
        source=lead.source or other.source,
        source_ids={**other.source_ids, **lead.source_ids},
        licence=lead.licence or other.licence,
        provenance=lead.provenance or other.provenance,
        fields_of_study=fields,
    )


class _Groups:
    """Union-find over hit positions."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def _text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def dedup_hits(hits: list[Hit]) -> list[Hit]:
    """``hits`` with duplicate papers unified (one merged Paper and id per work) and
    duplicate passages (same paper, same text) folded into one hit that keeps every
    channel's score and the best score. Order follows first appearance; inputs are not
    modified."""
    groups = _Groups(len(hits))
    first_with: dict[tuple[str, str], int] = {}
    for index, hit in enumerate(hits):
        for key in paper_keys(hit.paper):
            if key in first_with:
                groups.union(index, first_with[key])
            else:
                first_with[key] = index
    merged: dict[int, Paper] = {}
    for index, hit in enumerate(hits):
        root = groups.find(index)
        merged[root] = merge_papers(merged[root], hit.paper) if root in merged else hit.paper
    out: list[Hit] = []
    by_text: dict[tuple[str, str], Hit] = {}
    used_ids: set[str] = set()
    for index, hit in enumerate(hits):
        paper = merged[groups.find(index)]
        key = (paper.id, _text_key(hit.passage.text))
        if key in by_text:
            _fold_scores(by_text[key], hit)
            continue
        suffix = hit.passage.id.split("#", 1)[1] if "#" in hit.passage.id else str(index)
        passage_id = f"{paper.id}#{suffix}"
        while passage_id in used_ids:
            passage_id += "+"
        used_ids.add(passage_id)
        passage = dataclasses.replace(hit.passage, id=passage_id, paper_id=paper.id)
        unified = Hit(passage=passage, paper=paper, scores=dict(hit.scores), score=hit.score)
        by_text[key] = unified
        out.append(unified)
    return out


def _fold_scores(into: Hit, other: Hit) -> None:
    for channel, value in other.scores.items():
        current = into.scores.get(channel)
        if value is not None and (current is None or value > current):
            into.scores[channel] = value
    into.score = max(into.score, other.score)

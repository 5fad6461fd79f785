"""Numbered references of an answer: one per cited paper, in order of first use."""

from __future__ import annotations

from litsynth.records import Hit, Reference
from litsynth.synthesize.markers import find_markers


def build_references(text: str, ctxs: list[Hit]) -> list[Reference]:
    """One Reference per paper cited in ``text`` (``[n]`` -> ``ctxs[n-1]``), numbered by first
    use; ``ctx_indices`` lists the 0-based ctxs of that paper that the text cites.
    Out-of-range markers are ignored here (verification reports them)."""
    by_paper: dict[str, Reference] = {}
    for marker in find_markers(text):
        index = marker - 1
        if not 0 <= index < len(ctxs):
            continue
        paper = ctxs[index].paper
        ref = by_paper.get(paper.id)
        if ref is None:
            ref = by_paper[paper.id] = Reference(
                paper_id=paper.id,
                title=paper.title,
                authors=list(paper.authors),
                year=paper.year,
                venue=paper.venue,
                doi=paper.doi,
                url=paper.url,
            )
        if index not in ref.ctx_indices:
            ref.ctx_indices.append(index)
    return list(by_paper.values())

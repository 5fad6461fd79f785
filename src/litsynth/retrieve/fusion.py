"""Reciprocal rank fusion and per-paper capping.

RRF (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
rank learning methods", SIGIR 2009) scores a document by ``sum_i w_i / (k + rank_i)`` over the
ranked lists that contain it. ``k`` dampens the weight of top ranks: with the usual ``k = 60`` a
first place is worth 1/61 and a tenth place 1/70, so agreement between lists matters more than
any single list's top. Lists are 1-ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from litsynth.records import Hit


def reciprocal_rank_fusion(
    ranked_lists: Sequence[Sequence[Hit]],
    *,
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[Hit]:
    """Fuse ranked lists of hits into one, keyed by passage id.

    A passage seen by several lists keeps one Hit whose ``scores`` merge every channel's score;
    ``score`` becomes the fused RRF score. Ties are broken by passage id for determinism.
    """
    weights = list(weights) if weights is not None else [1.0] * len(ranked_lists)
    fused: dict[str, Hit] = {}
    totals: dict[str, float] = {}
    for weight, hits in zip(weights, ranked_lists, strict=True):
        for rank, hit in enumerate(hits, start=1):
            key = hit.passage.id
            if key in fused:
                merged = fused[key]
                for channel, value in hit.scores.items():
                    if value is not None:
                        merged.scores[channel] = value
            else:
                fused[key] = Hit(hit.passage, hit.paper, dict(hit.scores), 0.0)
            totals[key] = totals.get(key, 0.0) + weight / (k + rank)
    for key, hit in fused.items():
        hit.score = totals[key]
    return sorted(fused.values(), key=lambda h: (-h.score, h.passage.id))


def cap_per_paper(hits: Iterable[Hit], per_paper: int) -> list[Hit]:
    """Keep at most ``per_paper`` hits of each paper, in the given order."""
    seen: dict[str, int] = {}
    kept: list[Hit] = []
    for hit in hits:
        count = seen.get(hit.paper.id, 0)
        if count < per_paper:
            kept.append(hit)
            seen[hit.paper.id] = count + 1
    return kept


def best_per_paper(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per paper: its best-scoring passage (a paper's score = its best passage's),
    ordered by score desc, then by the paper's raw id."""
    best: dict[str, Hit] = {}
    for hit in hits:
        current = best.get(hit.paper.id)
        if current is None or hit.score > current.score:
            best[hit.paper.id] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.paper.raw_id()))

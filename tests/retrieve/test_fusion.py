from __future__ import annotations

from litsynth.records import CHANNELS, Hit, Paper, Passage
from litsynth.retrieve.fusion import best_per_paper, cap_per_paper, reciprocal_rank_fusion


def hit(pid: str, paper: str, channel: str, score: float) -> Hit:
    scores = dict.fromkeys(CHANNELS)
    scores[channel] = score
    return Hit(Passage(pid, paper, 0, "t"), Paper(paper, f"title {paper}"), scores, score)


def test_rrf_scores_and_merges_channels() -> None:
    dense = [hit("a#0", "a", "dense", 0.9), hit("b#0", "b", "dense", 0.8)]
    bm25 = [hit("b#0", "b", "bm25", 12.0), hit("c#0", "c", "bm25", 10.0)]
    fused = reciprocal_rank_fusion([dense, bm25], k=60)
    assert [h.passage.id for h in fused] == ["b#0", "a#0", "c#0"]
    assert fused[0].score == 1 / 62 + 1 / 61
    assert fused[0].scores["dense"] == 0.8 and fused[0].scores["bm25"] == 12.0
    assert fused[1].scores["bm25"] is None


def test_rrf_ties_broken_by_passage_id_and_weights() -> None:
    fused = reciprocal_rank_fusion([[hit("z#0", "z", "dense", 1)], [hit("y#0", "y", "bm25", 1)]])
    assert [h.passage.id for h in fused] == ["y#0", "z#0"]
    weighted = reciprocal_rank_fusion(
        [[hit("z#0", "z", "dense", 1)], [hit("y#0", "y", "bm25", 1)]], weights=[2.0, 1.0]
    )
    assert weighted[0].passage.id == "z#0"


def test_cap_per_paper_keeps_order() -> None:
    hits = [hit(f"a#{i}", "a", "dense", 1) for i in range(5)] + [hit("b#0", "b", "dense", 1)]
    kept = cap_per_paper(hits, 3)
    assert [h.passage.id for h in kept] == ["a#0", "a#1", "a#2", "b#0"]


def test_best_per_paper_uses_best_passage_and_raw_id_ties() -> None:
    a1, a2, b = (
        hit("a#0", "a", "dense", 0.1),
        hit("a#1", "a", "dense", 0.7),
        hit("b#0", "b", "dense", 0.7),
    )
    a1.paper.source_ids = {"f": "20"}
    b.paper.source_ids = {"f": "10"}
    ranked = best_per_paper([a1, a2, b])
    assert [h.passage.id for h in ranked] == ["b#0", "a#1"]

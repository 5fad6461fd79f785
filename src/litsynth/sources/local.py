"""The local datastore as a Source: dense ANN and BM25 over stored passages, fused by RRF."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from litsynth.config import RetrievalSettings
from litsynth.records import CHANNELS, Hit
from litsynth.retrieve.fusion import reciprocal_rank_fusion
from litsynth.sources.base import SearchFilters

if TYPE_CHECKING:
    from litsynth.index.datastore import Datastore


class LocalSource:
    """Hybrid search over a :class:`~litsynth.index.datastore.Datastore`.

    Each channel (dense, BM25) is searched to depth ``max(channel_k, k)`` (CONTRACT.md), the
    two lists are fused with reciprocal rank fusion, and filters are applied to the result.
    """

    name = "local"

    def __init__(self, datastore: Datastore, settings: RetrievalSettings) -> None:
        self.datastore = datastore
        self.settings = settings

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        """The best ``k`` fused hits for ``query``."""
        return self.candidates(query, k, filters)[:k]

    def candidates(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        """Every fused hit of both channels at depth ``max(channel_k, k)``, best first."""
        dense = self.datastore.search_dense(query, max(self.settings.dense_k, k))
        bm25 = self.datastore.search_bm25(query, max(self.settings.bm25_k, k))
        return self._fuse(dense, bm25, filters)

    def candidates_many(
        self, queries: Sequence[str], k: int, filters: SearchFilters | None = None
    ) -> list[list[Hit]]:
        """``candidates`` for many queries, encoding all of them in one batch."""
        vectors = self.datastore.encode_queries(list(queries))
        dense_lists = self.datastore.search_dense_vectors(vectors, max(self.settings.dense_k, k))
        depth = max(self.settings.bm25_k, k)
        return [
            self._fuse(dense, self.datastore.search_bm25(query, depth), filters)
            for query, dense in zip(queries, dense_lists, strict=True)
        ]

    def channel_hits(self, scored: list[tuple[str, float]], channel: str) -> list[Hit]:
        """Hits for ``(passage_id, score)`` pairs of one channel, in the given order."""
        passages = self.datastore.passages([pid for pid, _ in scored])
        papers = self.datastore.papers(sorted({p.paper_id for p in passages.values()}))
        hits: list[Hit] = []
        for passage_id, score in scored:
            passage = passages.get(passage_id)
            if passage is None or passage.paper_id not in papers:
                continue
            scores: dict[str, float | None] = dict.fromkeys(CHANNELS)
            scores[channel] = float(score)
            hits.append(Hit(passage, papers[passage.paper_id], scores, float(score)))
        return hits

    def _fuse(
        self,
        dense: list[tuple[str, float]],
        bm25: list[tuple[str, float]],
        filters: SearchFilters | None,
    ) -> list[Hit]:
        fused = reciprocal_rank_fusion(
            [self.channel_hits(dense, "dense"), self.channel_hits(bm25, "bm25")],
            k=self.settings.rrf_k,
        )
        if filters is not None and not filters.is_empty():
            fused = [hit for hit in fused if filters.accepts(hit)]
        return fused

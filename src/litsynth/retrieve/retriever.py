"""Retrieval across sources: the local datastore plus any live sources, fused and deduplicated."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from litsynth.records import Hit
from litsynth.retrieve.fusion import reciprocal_rank_fusion
from litsynth.sources.base import SearchFilters, Source
from litsynth.sources.local import LocalSource


@dataclass
class Retrieval:
    """What one retrieval produced: fused hits (best first), per-source hit counts, warnings
    from sources that failed, and the seconds it took."""

    hits: list[Hit]
    per_source: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Retriever:
    """Searches the local store (hybrid) and live sources, then fuses them by reciprocal rank.

    With the local store alone, its own dense+BM25 fusion is the result. Live sources join
    through a second RRF over the per-source lists, and papers found by several sources are
    merged (DOI, arXiv id, S2 id, PMID, or normalised title + year).
    """

    def __init__(
        self,
        local: LocalSource | None,
        live: list[Source] | None = None,
        *,
        rrf_k: int = 60,
        live_k: int = 20,
    ) -> None:
        self.local = local
        self.live = list(live or [])
        self.rrf_k = rrf_k
        self.live_k = live_k

    @property
    def source_names(self) -> list[str]:
        names = ["local"] if self.local is not None else []
        return names + [s.name for s in self.live]

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> Retrieval:
        """Fused candidates for ``query``; channel depth is ``max(channel_k, k)``."""
        started = time.perf_counter()
        lists: list[list[Hit]] = []
        per_source: dict[str, int] = {}
        warnings: list[str] = []
        if self.local is not None:
            local_hits = self.local.candidates(query, k, filters)
            lists.append(local_hits)
            per_source["local"] = len(local_hits)
        if self.live:
            from litsynth.sources.registry import search_all

            live_lists, live_warnings = search_all(self.live, query, max(self.live_k, k), filters)
            warnings.extend(live_warnings)
            for name, hits in live_lists.items():
                per_source[name] = len(hits)
                lists.append(hits)
        if len(lists) == 1:
            hits = lists[0]
        else:
            from litsynth.sources.dedup import dedup_hits

            hits = dedup_hits(reciprocal_rank_fusion(lists, k=self.rrf_k))
        return Retrieval(hits, per_source, warnings, time.perf_counter() - started)

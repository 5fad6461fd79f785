"""The Source interface every retrieval source implements, the local datastore included.

A source answers ``search(query, k, filters)`` with at most ``k`` hits, best first. Each hit's
``scores`` carries the source's own channel score(s) (``dense``/``bm25`` for the local store,
``s2``, ``openalex`` or ``web`` for live ones); ``score`` is the source's ranking score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from litsynth.errors import UsageError
from litsynth.records import Hit


@dataclass(frozen=True)
class SearchFilters:
    """Filters a source applies where it can (live APIs natively, the local store after
    retrieval). ``None``/empty means no filter."""

    year_min: int | None = None
    year_max: int | None = None
    fields_of_study: tuple[str, ...] = field(default_factory=tuple)
    venue: str | None = None
    min_citations: int | None = None

    def __post_init__(self) -> None:
        # Contradictory bounds would silently return nothing.
        years = (self.year_min, self.year_max)
        if None not in years and years[0] > years[1]:  # type: ignore[operator]
            raise UsageError(f"--year-min {self.year_min} is after --year-max {self.year_max}")
        if self.min_citations is not None and self.min_citations < 0:
            raise UsageError(f"--min-citations must be 0 or more, not {self.min_citations}")

    def is_empty(self) -> bool:
        return self == SearchFilters()

    def accepts(self, hit: Hit) -> bool:
        """Whether ``hit``'s paper passes the filters (unknown values pass year/citation
        filters only when no bound is set)."""
        paper = hit.paper
        if self.year_min is not None and (paper.year is None or paper.year < self.year_min):
            return False
        if self.year_max is not None and (paper.year is None or paper.year > self.year_max):
            return False
        if self.min_citations is not None and (paper.citation_count or 0) < self.min_citations:
            return False
        if self.venue and self.venue.lower() not in (paper.venue or "").lower():
            return False
        if self.fields_of_study:
            wanted = {f.lower() for f in self.fields_of_study}
            if not wanted & {f.lower() for f in paper.fields_of_study}:
                return False
        return True


@runtime_checkable
class Source(Protocol):
    """Anything that can be searched for passages."""

    #: Short name used in ``--sources`` and as the channel name of its scores.
    name: str

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        """At most ``k`` hits for ``query``, best first."""
        ...

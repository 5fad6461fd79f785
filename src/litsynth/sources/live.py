"""The base of every live source: the public ``search`` validates and finishes, subclasses
implement only ``_search``."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from litsynth.records import CHANNELS, Hit, Paper, Passage
from litsynth.sources.base import SearchFilters

log = logging.getLogger(__name__)

#: Sources that need the network (``--sources`` names); everything else is local.
LIVE_SOURCES: tuple[str, ...] = ("s2", "openalex", "web")


class LiveSource(ABC):
    """A remote search API behind the :class:`~litsynth.sources.base.Source` protocol.

    ``search`` trims the query, returns nothing for an empty one or ``k < 1``, applies the
    filters again on the way out (APIs ignore some of them) and cuts to ``k``. Failures are
    raised as :class:`~litsynth.errors.SourceError`; partial trouble that still produced hits
    is kept in :meth:`drain_warnings`."""

    name: str = ""

    def __init__(self) -> None:
        self._warnings: list[str] = []

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        """At most ``k`` hits for ``query``, best first."""
        query = " ".join(query.split())
        if not query or k < 1:
            return []
        filters = filters or SearchFilters()
        hits = self._search(query, k, filters)
        return [hit for hit in hits if filters.accepts(hit)][:k]

    @abstractmethod
    def _search(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        """Ask the API; return hits best first (may be more than ``k``)."""

    def warn(self, message: str) -> None:
        """Note a partial failure (the search still returns what it has)."""
        message = message.removeprefix(f"{self.name}: ")
        log.warning("%s: %s", self.name, message)
        self._warnings.append(f"{self.name}: {message}")

    def drain_warnings(self) -> list[str]:
        """Warnings noted since the last call, then forgotten."""
        out, self._warnings = self._warnings, []
        return out


def make_hit(
    paper: Paper, channel: str, ordinal: int, text: str, section: str, score: float
) -> Hit:
    """A hit whose passage id is ``<paper_id>#<channel>-<ordinal>`` and whose only channel
    score is ``score`` under ``channel``."""
    passage = Passage(
        id=f"{paper.id}#{channel}-{ordinal}",
        paper_id=paper.id,
        ordinal=ordinal,
        text=text,
        section=section,
    )
    scores: dict[str, float | None] = dict.fromkeys(CHANNELS)
    scores[channel] = score
    return Hit(passage=passage, paper=paper, scores=scores, score=score)


def with_rank_scores(hits: list[Hit], channel: str) -> list[Hit]:
    """Re-score ``hits`` by their position (see :func:`rank_score`), so score order is list
    order."""
    for rank, hit in enumerate(hits):
        hit.score = rank_score(rank)
        hit.scores[channel] = hit.score
    return hits


def title_passage(paper: Paper) -> tuple[str, str]:
    """Text and section of a paper's own passage: title plus abstract, or the title alone
    (section ``"title"``) when the source gave no abstract."""
    if paper.abstract.strip():
        return f"{paper.title}\n\n{paper.abstract}", "abstract"
    return paper.title, "title"


def rank_score(rank: int) -> float:
    """A score for APIs that rank without scoring: 1 for the first, then 1/2, 1/3, …"""
    return 1.0 / (rank + 1)


def dicts(data: object, key: str | None = None) -> list[dict[str, Any]]:
    """The dict items of ``data[key]`` (or of ``data`` itself when ``key`` is None); anything
    of another shape yields nothing, so one odd record never sinks a response."""
    value = data.get(key) if key is not None and isinstance(data, dict) else data
    if key is not None and not isinstance(data, dict):
        value = None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def as_text(value: object) -> str:
    """``value`` stripped when it is a string, else ``""``."""
    return value.strip() if isinstance(value, str) else ""


def strings(value: object) -> list[str]:
    """The non-empty strings of a list (stripped); anything else yields nothing."""
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]

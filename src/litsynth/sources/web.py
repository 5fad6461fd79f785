"""Academic web search: a provider fetches web results, :class:`WebSearchSource` keeps those
on academic domains and turns their snippets into passages.

Everything specific to one search API lives in its provider; another provider only has to
implement :class:`WebSearchProvider`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from litsynth.corpus.ids import make_paper_id, normalise_external_ids
from litsynth.errors import SourceError
from litsynth.records import Hit, Paper
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.live import LiveSource, as_text, dicts, make_hit, rank_score, strings
from litsynth.sources.urlids import host_of, ids_from_url, on_domain


@dataclass
class WebResult:
    """One web search result, provider-neutral."""

    url: str
    title: str
    description: str = ""
    snippets: list[str] = field(default_factory=list)


class WebSearchProvider(Protocol):
    """A web search API. ``search`` returns up to ``k`` results, best first, and raises
    :class:`~litsynth.errors.SourceError` on failure."""

    name: str

    def search(self, query: str, k: int) -> list[WebResult]: ...


class YouComProvider:
    """You.com search: ``GET {base}/search?query=…`` with ``X-API-Key``; results in
    ``hits[]`` with ``url, title, description, snippets``."""

    name = "you.com"
    #: The API's cap on ``num_web_results``.
    MAX_RESULTS = 20

    def __init__(self, client: HttpClient, *, has_key: bool) -> None:
        self.client = client
        self.has_key = has_key

    def search(self, query: str, k: int) -> list[WebResult]:
        """Up to ``k`` You.com results (the key is checked before any request)."""
        if not self.has_key:
            raise SourceError("web", "no You.com API key (set YDC_API_KEY)", query=query)
        data = self.client.get_json(
            "/search", {"query": query, "num_web_results": min(k, self.MAX_RESULTS)}, query=query
        )
        return [
            WebResult(
                url=as_text(hit.get("url")),
                title=as_text(hit.get("title")),
                description=as_text(hit.get("description")),
                snippets=strings(hit.get("snippets")),
            )
            for hit in dicts(data, "hits")
            if as_text(hit.get("url"))
        ]


def paper_from_result(result: WebResult) -> Paper:
    """A Paper for a web result: ids read off its URL, else a hash of URL and title."""
    ids = normalise_external_ids(ids_from_url(result.url))
    return Paper(
        id=make_paper_id(ids, result.url, result.title, ""),
        title=result.title or result.url,
        url=result.url,
        external_ids=ids,
        source="web",
        source_ids={"web": result.url},
    )


class WebSearchSource(LiveSource):
    """Web search restricted to ``academic_domains`` (the host or a subdomain of it); each
    snippet becomes a passage (the description when there are none, else the title)."""

    name = "web"

    def __init__(self, provider: WebSearchProvider, academic_domains: Sequence[str]) -> None:
        super().__init__()
        self.provider = provider
        self.academic_domains = tuple(d for d in academic_domains if d.strip())

    def is_academic(self, url: str) -> bool:
        """Whether ``url`` is on one of the academic domains."""
        host = host_of(url)
        return any(on_domain(host, domain) for domain in self.academic_domains)

    def _search(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        hits: list[Hit] = []
        kept = [r for r in self.provider.search(query, k) if self.is_academic(r.url)]
        for rank, result in enumerate(kept):
            paper = paper_from_result(result)
            if result.snippets:
                texts, section = result.snippets, "snippet"
            elif result.description:
                texts, section = [result.description], "description"
            else:
                texts, section = [paper.title], "title"
            for ordinal, text in enumerate(texts):
                hits.append(make_hit(paper, self.name, ordinal, text, section, rank_score(rank)))
        return hits

"""Semantic Scholar (Graph API v1): paper search, snippet search, and batch metadata."""

from __future__ import annotations

from itertools import chain, zip_longest
from typing import Any

from litsynth.corpus.ids import make_paper_id, normalise_external_ids, paper_url
from litsynth.errors import OfflineError, SourceError
from litsynth.records import Author, Hit, Paper
from litsynth.sources.base import SearchFilters
from litsynth.sources.http import HttpClient
from litsynth.sources.live import (
    LiveSource,
    as_text,
    dicts,
    make_hit,
    strings,
    title_passage,
    with_rank_scores,
)
from litsynth.text import parse_int

API_PREFIX = "/graph/v1"
PAPER_FIELDS = (
    "paperId,externalIds,title,abstract,year,authors,venue,citationCount,openAccessPdf,url,"
    "fieldsOfStudy,publicationDate"
)
#: The API's own caps on ``limit`` and on the ids of one batch request.
MAX_PAPER_LIMIT = 100
MAX_SNIPPET_LIMIT = 1000
MAX_BATCH_IDS = 500
#: S2 ``externalIds`` keys -> our id kinds.
EXTERNAL_ID_KINDS = {
    "DOI": "doi",
    "ArXiv": "arxiv",
    "PubMed": "pmid",
    "PubMedCentral": "pmcid",
    "CorpusId": "s2corpus",
}


def normalise_s2_base(url: str) -> str:
    """The S2 host root: a trailing ``/`` or ``/graph/v1`` is stripped, so both
    ``https://api.semanticscholar.org`` and ``…/graph/v1/`` work (CONTRACT.md)."""
    base = url.strip().rstrip("/")
    if base.endswith(API_PREFIX):
        base = base[: -len(API_PREFIX)].rstrip("/")
    return base


def filter_params(filters: SearchFilters) -> dict[str, str]:
    """The S2 query parameters for ``filters`` (``year=2019-2023``, ``2019-``, ``-2023``)."""
    params: dict[str, str] = {}
    if filters.year_min is not None or filters.year_max is not None:
        low = "" if filters.year_min is None else str(filters.year_min)
        high = "" if filters.year_max is None else str(filters.year_max)
        params["year"] = f"{low}-{high}"
    if filters.fields_of_study:
        params["fieldsOfStudy"] = ",".join(filters.fields_of_study)
    if filters.venue:
        params["venue"] = filters.venue
    if filters.min_citations is not None:
        params["minCitationCount"] = str(filters.min_citations)
    return params


def paper_from_s2(data: dict[str, Any]) -> Paper | None:
    """A Paper from an S2 paper object (search or batch); ``None`` without title and id."""
    paper_id = as_text(data.get("paperId"))
    title = as_text(data.get("title"))
    if not title and not paper_id:
        return None
    external = data.get("externalIds") if isinstance(data.get("externalIds"), dict) else {}
    raw_ids: dict[str, object] = {
        kind: external.get(key) for key, kind in EXTERNAL_ID_KINDS.items()
    }
    raw_ids["s2"] = paper_id
    ids = normalise_external_ids(raw_ids)
    abstract = as_text(data.get("abstract"))
    pdf = data.get("openAccessPdf") if isinstance(data.get("openAccessPdf"), dict) else {}
    return Paper(
        id=make_paper_id(ids, paper_id or None, title, abstract),
        title=title,
        abstract=abstract,
        authors=[
            Author(as_text(a.get("name")), as_text(a.get("authorId")) or None)
            for a in dicts(data, "authors")
            if as_text(a.get("name"))
        ],
        year=parse_int(data.get("year")),
        venue=as_text(data.get("venue")) or None,
        url=as_text(data.get("url")) or as_text(pdf.get("url")) or paper_url(ids),
        citation_count=parse_int(data.get("citationCount")),
        external_ids=ids,
        source="s2",
        source_ids={"s2": paper_id} if paper_id else {},
        fields_of_study=strings(data.get("fieldsOfStudy")),
    )


def paper_from_snippet_stub(data: dict[str, Any]) -> Paper | None:
    """A thin Paper from the ``paper`` of a snippet match (corpusId, title, author names)."""
    corpus_id = as_text(str(data.get("corpusId") or ""))
    title = as_text(data.get("title"))
    if not corpus_id:
        return None
    ids = {"s2corpus": corpus_id}
    return Paper(
        id=make_paper_id(ids, corpus_id, title, ""),
        title=title,
        authors=[Author(name) for name in strings(data.get("authors"))],
        url=paper_url(ids),
        external_ids=ids,
        source="s2",
        source_ids={"s2": f"CorpusId:{corpus_id}"},
    )


class SemanticScholarSource(LiveSource):
    """Semantic Scholar: title+abstract passages from paper search interleaved with passages
    from snippet search (full-text excerpts), whose papers are completed by a batch call.

    The paper search API ranks without scoring, so ``scores["s2"]`` is rank-derived."""

    name = "s2"

    def __init__(self, client: HttpClient, *, snippets: bool = True) -> None:
        super().__init__()
        self.client = client
        self.snippets = snippets

    def _search(self, query: str, k: int, filters: SearchFilters) -> list[Hit]:
        extra = filter_params(filters)
        calls = [self._paper_hits, *([self._snippet_hits] if self.snippets else [])]
        results: list[list[Hit]] = []
        errors: list[SourceError] = []
        for call in calls:
            try:
                results.append(call(query, k, extra))
            except OfflineError:
                raise
            except SourceError as exc:
                errors.append(exc)
                results.append([])
        if len(errors) == len(calls):
            raise errors[0]
        for error in errors:
            self.warn(str(error))
        merged: list[Hit] = []
        seen: set[str] = set()
        # Snippets first: full-text excerpts are the better evidence for the same rank.
        for hit in chain.from_iterable(zip_longest(*reversed(results))):
            if hit is not None and hit.passage.id not in seen:
                seen.add(hit.passage.id)
                merged.append(hit)
        return with_rank_scores(merged, self.name)

    def _paper_hits(self, query: str, k: int, extra: dict[str, str]) -> list[Hit]:
        params = {"query": query, "limit": min(k, MAX_PAPER_LIMIT), "fields": PAPER_FIELDS}
        data = self.client.get_json(f"{API_PREFIX}/paper/search", {**params, **extra}, query=query)
        hits = []
        for item in dicts(data, "data"):
            paper = paper_from_s2(item)
            if paper is not None:
                text, section = title_passage(paper)
                hits.append(make_hit(paper, self.name, 0, text, section, 0.0))
        return hits

    def _snippet_hits(self, query: str, k: int, extra: dict[str, str]) -> list[Hit]:
        params = {"query": query, "limit": min(k, MAX_SNIPPET_LIMIT)}
        data = self.client.get_json(
            f"{API_PREFIX}/snippet/search", {**params, **extra}, query=query
        )
        matches = [
            (stub, m["snippet"])
            for m in dicts(data, "data")
            if isinstance(m.get("paper"), dict) and isinstance(m.get("snippet"), dict)
            for stub in [paper_from_snippet_stub(m["paper"])]
            if stub is not None and as_text(m["snippet"].get("text"))
        ]
        papers = self._complete({stub.external_ids["s2corpus"]: stub for stub, _ in matches}, query)
        hits = []
        for index, (stub, snippet) in enumerate(matches):
            paper = papers[stub.external_ids["s2corpus"]]
            hits.append(self._snippet_hit(paper, snippet, index))
        return hits

    def _snippet_hit(self, paper: Paper, snippet: dict[str, Any], index: int) -> Hit:
        text = as_text(snippet.get("text"))
        kind = as_text(snippet.get("snippetKind")) or "body"
        if kind in ("title", "abstract"):
            if kind == "abstract" and not paper.abstract:
                paper.abstract = text
            passage_text, section = title_passage(paper)
            return make_hit(paper, self.name, 0, passage_text, section, 0.0)
        offset = snippet.get("snippetOffset")
        start = parse_int(offset.get("start")) if isinstance(offset, dict) else None
        # The offset into the paper makes the passage id stable across queries.
        ordinal = 1 + (start if start is not None else index)
        section = as_text(snippet.get("section")) or "body"
        return make_hit(paper, self.name, ordinal, text, section, 0.0)

    def _complete(self, stubs: dict[str, Paper], query: str) -> dict[str, Paper]:
        """Full metadata for the snippet papers via ``POST /paper/batch``; a failed batch
        keeps the stubs and notes a warning."""
        complete = dict(stubs)
        corpus_ids = list(stubs)
        for start in range(0, len(corpus_ids), MAX_BATCH_IDS):
            chunk = corpus_ids[start : start + MAX_BATCH_IDS]
            try:
                data = self.client.post_json(
                    f"{API_PREFIX}/paper/batch",
                    {"ids": [f"CorpusId:{c}" for c in chunk]},
                    {"fields": PAPER_FIELDS},
                    query=query,
                )
            except OfflineError:
                raise
            except SourceError as exc:
                self.warn(f"paper metadata unavailable: {exc}")
                continue
            for item in dicts(data):
                paper = paper_from_s2(item)
                corpus = paper.external_ids.get("s2corpus") if paper else None
                if paper is not None and corpus in complete:
                    complete[corpus] = paper
        return complete

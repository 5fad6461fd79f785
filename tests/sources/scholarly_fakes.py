"""Fake Semantic Scholar, OpenAlex and You.com APIs on 127.0.0.1 (pytest-httpserver),
answering in each API's documented response shape, with fault injection.

Shapes follow the public documentation: S2 Graph API v1 paper search ``{total, offset, next,
data: [paper]}``, snippet search ``{data: [{score, paper: {corpusId, title, authors: [str],
openAccessInfo}, snippet: {text, snippetKind, section, snippetOffset, annotations}}],
retrievalVersion}``, paper batch ``[paper | null]``; OpenAlex ``{meta, results: [work]}`` with
``abstract_inverted_index``; You.com ``{hits: [{url, title, description, snippets}],
latency}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class FakeApi:
    """Shared fault injection for the fakes below (all on one pytest-httpserver)."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def requests(self, path: str) -> list[Request]:
        """Requests this server received for ``path``."""
        return [request for request, _ in self.server.log if request.path == path]

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: str = "",
    ) -> None:
        """The next ``times`` requests to ``path`` answer ``status``."""
        for _ in range(times):
            self.server.expect_oneshot_request(path).respond_with_data(
                body, status=status, headers=headers
            )

    def fail_always(self, path: str, status: int) -> None:
        self.server.expect_request(path).respond_with_data("upstream broke", status=status)

    def truncate(self, path: str, payload: Any) -> None:
        """Answer ``path`` with the first half of a JSON document."""
        text = json.dumps(payload)
        self.server.expect_request(path).respond_with_data(
            text[: len(text) // 2], content_type="application/json"
        )

    def slow(self, path: str, seconds: float, payload: Any) -> None:
        """Answer ``path`` only after ``seconds``."""

        def handler(_: Request) -> Response:
            time.sleep(seconds)
            return Response(json.dumps(payload), content_type="application/json")

        self.server.expect_request(path).respond_with_handler(handler)


def inverted_index(text: str) -> dict[str, list[int]]:
    """OpenAlex's ``abstract_inverted_index`` for ``text``."""
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index


def s2_paper(
    paper_id: str,
    title: str,
    *,
    abstract: str | None = "An abstract.",
    doi: str | None = None,
    arxiv: str | None = None,
    pmid: str | None = None,
    corpus_id: int = 1000,
    year: int | None = 2021,
    authors: tuple[tuple[str, str | None], ...] = (("Ada Lovelace", "1741101"),),
    venue: str = "Nature",
    citations: int = 42,
    fields: tuple[str, ...] = ("Computer Science",),
) -> dict[str, Any]:
    """An S2 Graph API paper object with the fields litsynth asks for."""
    external: dict[str, Any] = {"CorpusId": corpus_id, "MAG": "123"}
    if doi:
        external["DOI"] = doi
    if arxiv:
        external["ArXiv"] = arxiv
    if pmid:
        external["PubMed"] = pmid
    return {
        "paperId": paper_id,
        "externalIds": external,
        "url": f"https://www.semanticscholar.org/paper/{paper_id}",
        "title": title,
        "abstract": abstract,
        "venue": venue,
        "year": year,
        "citationCount": citations,
        "openAccessPdf": {"url": "https://example.org/p.pdf", "status": "GREEN"},
        "fieldsOfStudy": list(fields),
        "publicationDate": f"{year}-01-01" if year else None,
        "authors": [{"authorId": a, "name": n} for n, a in authors],
    }


def s2_snippet(
    corpus_id: int,
    title: str,
    text: str,
    *,
    kind: str = "body",
    section: str | None = "Results",
    start: int = 500,
    score: float = 0.5,
) -> dict[str, Any]:
    """One S2 snippet match."""
    return {
        "score": score,
        "paper": {
            "corpusId": str(corpus_id),
            "title": title,
            "authors": ["Ada Lovelace"],
            "openAccessInfo": {"license": "CCBY", "status": "GREEN", "disclaimer": "Notice."},
        },
        "snippet": {
            "text": text,
            "snippetKind": kind,
            "section": section,
            "snippetOffset": {"start": start, "end": start + len(text)},
            "annotations": {"refMentions": None, "sentences": None},
        },
    }


class FakeSemanticScholar(FakeApi):
    """The S2 Graph API v1 under ``/graph/v1``."""

    SEARCH = "/graph/v1/paper/search"
    SNIPPETS = "/graph/v1/snippet/search"
    BATCH = "/graph/v1/paper/batch"

    def serve(
        self,
        papers: list[dict[str, Any]],
        snippets: list[dict[str, Any]] | None = None,
        batch: list[dict[str, Any]] | None = None,
    ) -> None:
        """Answer paper search with ``papers``, snippet search with ``snippets`` and batch
        look-ups (``CorpusId:N``) from ``batch``."""
        self.server.expect_request(self.SEARCH, method="GET").respond_with_json(
            {"total": len(papers), "offset": 0, "next": len(papers), "data": papers}
        )
        self.server.expect_request(self.SNIPPETS, method="GET").respond_with_json(
            {"data": snippets or [], "retrievalVersion": "pa1-v1"}
        )
        by_corpus = {f"CorpusId:{p['externalIds']['CorpusId']}": p for p in batch or []}

        def answer_batch(request: Request) -> Response:
            ids = json.loads(request.get_data())["ids"]
            return Response(
                json.dumps([by_corpus.get(i) for i in ids]), content_type="application/json"
            )

        self.server.expect_request(self.BATCH, method="POST").respond_with_handler(answer_batch)


def openalex_work(
    work_id: str,
    title: str,
    *,
    abstract: str | None = "An abstract from OpenAlex.",
    doi: str | None = None,
    pmid: str | None = None,
    year: int | None = 2021,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    venue: str = "Nature",
    citations: int = 7,
    relevance: float | None = 12.5,
    field: tuple[int, str] = (17, "Computer Science"),
    landing: str | None = None,
) -> dict[str, Any]:
    """An OpenAlex work object."""
    ids: dict[str, Any] = {"openalex": f"https://openalex.org/{work_id}"}
    if doi:
        ids["doi"] = f"https://doi.org/{doi}"
    if pmid:
        ids["pmid"] = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}"
    topic_field = {"id": f"https://openalex.org/fields/{field[0]}", "display_name": field[1]}
    return {
        "id": f"https://openalex.org/{work_id}",
        "doi": ids.get("doi"),
        "title": title,
        "display_name": title,
        "relevance_score": relevance,
        "publication_year": year,
        "publication_date": f"{year}-01-01" if year else None,
        "ids": ids,
        "primary_location": {
            "is_oa": True,
            "landing_page_url": landing or ids.get("doi"),
            "source": {"id": "https://openalex.org/S1", "display_name": venue},
        },
        "authorships": [
            {
                "author_position": "first",
                "author": {"id": "https://openalex.org/A1", "display_name": name, "orcid": None},
                "institutions": [],
            }
            for name in authors
        ],
        "cited_by_count": citations,
        "abstract_inverted_index": inverted_index(abstract) if abstract else None,
        "primary_topic": {
            "id": "https://openalex.org/T1",
            "display_name": "Some topic",
            "field": topic_field,
        },
        "topics": [],
        "concepts": [{"id": "https://openalex.org/C1", "display_name": "Biology", "level": 0}],
    }


class FakeOpenAlex(FakeApi):
    """OpenAlex ``/works``."""

    WORKS = "/works"

    def serve(self, works: list[dict[str, Any]]) -> None:
        self.server.expect_request(self.WORKS, method="GET").respond_with_json(
            {
                "meta": {"count": len(works), "db_response_time_ms": 3, "page": 1},
                "results": works,
                "group_by": [],
            }
        )


def youcom_hit(
    url: str, title: str, *, description: str = "", snippets: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One You.com search hit."""
    return {"url": url, "title": title, "description": description, "snippets": list(snippets)}


class FakeYouCom(FakeApi):
    """You.com ``/search``."""

    SEARCH = "/search"

    def serve(self, hits: list[dict[str, Any]]) -> None:
        self.server.expect_request(self.SEARCH, method="GET").respond_with_json(
            {"hits": hits, "latency": 0.2}
        )
